"""The regret table of docs/model.md §12, with the value of the stochastic solution (VSS) and
the expected value of perfect information (EVPI).

For an instance with a ``scenarios`` block (members ``j`` with probabilities ``p_j``, the first
the central case) and a model file:

- ``x_i``: the plan optimal if member i were certain, one LP solve (with the tie-break, §6b) of
  the instance with member i alone at probability 1; ``x_R``: the robust plan, the solve of the
  instance as it stands (its risk measure over every member);
- ``cell(x, j) = posts terms of §6 (and §11's team terms) + L_j(x)``, with ``L_j`` member j's
  supply term recomputed from the posts (docs/model.md §12): no solve, §10 is affine in x;
- the regret of plan x in member j: ``cell(x, j) − cell(x_j, j)`` (≥ 0: x_j is best in j);
- ``R(x)``: the instance's risk objective, posts terms plus ``risk`` of the ``L_j(x)``;
- ``VSS = R(x_1) − R(x_R)``: what judging the plan in every future saves over planning for
  the central one (≥ 0, as x_R minimises R);
- ``EVPI = R(x_R) − Σ_j p_j · cell(x_j, j)`` (for ``risk = "expected"`` only): what knowing the
  future before planning would be worth (≥ 0).

:func:`regret_cells` evaluates given plans (no solve); :func:`regret` solves the plans and
evaluates them.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData, problem_data
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec, load_model
from allocator.io.instance import as_instance
from allocator.model.wholeposts import objective_of
from allocator.solution import scenarios as sc
from allocator.solution.result import Result

__all__ = ["Regret", "RegretError", "regret", "regret_cells"]


class RegretError(ValueError):
    """The regret table cannot be made: no scenarios block, or a plan that did not solve."""


def _spec(model: ModelSpec | str | os.PathLike | None) -> ModelSpec:
    if isinstance(model, ModelSpec):
        return model
    return load_model(None if model is None else model if isinstance(model, str) else Path(model))


def regret_cells(d: ProblemData, model: ModelSpec, plans: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``(cells, R)`` for posts ``plans`` (each (R, S, Y)) of an instance with scenarios:
    ``cells[k, j] = cell(plans[k], j)`` (posts and team terms plus member j's ``L_j``) and
    ``R[k]`` the instance's risk objective of ``plans[k]``. No solve."""
    if d.scenarios is None:
        raise RegretError(f"the instance {d.name} has no scenarios block (docs/model.md §12)")
    w = model.objective
    # posts terms of §6 and team terms of §11 (teams on stock use the central member's stocks)
    rest = dataclasses.replace(d, scenarios=None)
    quiet = model.with_weights(supply_shortfall=0.0, supply_surplus=0.0, worst_supply=0.0)
    M = len(d.scenarios.members)
    cells = np.empty((len(plans), M))
    R = np.empty(len(plans))
    for k, x in enumerate(plans):
        base = objective_of(rest, quiet, x)
        L = sc.losses(d, w, x)
        cells[k] = base + L
        R[k] = base + sc.risk_of(d.scenarios.risk, d.scenarios.alpha, L, d.scenarios.probabilities)
    return cells, R


@dataclass(frozen=True)
class Regret:
    """The regret table of one instance and model (:func:`regret`).

    Attributes
    ----------
    instance, model : names; ``risk``, ``alpha`` : the instance's risk measure.
    members : member ids, the first the central case; ``probabilities`` theirs.
    plans : row labels: each member's id (its plan ``x_i``), then ``robust`` (``x_R``).
    cells : (plans, members) ``cell(x, j)``; ``objective`` : (plans,) ``R(x)``.
    vss : ``R(x_1) − R(x_R)``; ``evpi`` : ``R(x_R) − Σ p_j · cell(x_j, j)`` (``None`` unless
        ``risk`` is ``expected``).
    results : the solved :class:`~allocator.Result` of each plan, by row label.
    """

    instance: str
    model: str
    risk: str
    alpha: float | None
    members: list[str]
    probabilities: list[float]
    plans: list[str]
    cells: np.ndarray
    objective: np.ndarray
    vss: float
    evpi: float | None
    results: dict[str, Result] = dataclasses.field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per plan: ``cell(x, j)`` for each member j, then ``R(x)`` (column
        ``risk_objective``)."""
        frame = pd.DataFrame(self.cells, index=pd.Index(self.plans, name="plan"), columns=self.members)
        frame["risk_objective"] = self.objective
        return frame

    def regret_table(self) -> pd.DataFrame:
        """One row per plan: its regret in each member, ``cell(x, j) − cell(x_j, j)``."""
        best = np.diag(self.cells[: len(self.members)])
        return pd.DataFrame(self.cells - best[None, :], index=pd.Index(self.plans, name="plan"), columns=self.members)

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON-ready data: members, one entry per plan (cells, regrets, ``R``),
        ``vss`` and ``evpi``."""
        regrets = self.regret_table().to_numpy()
        return {
            "instance": self.instance,
            "model": self.model,
            "risk": self.risk,
            "alpha": self.alpha,
            "members": [{"id": m, "probability": p} for m, p in zip(self.members, self.probabilities, strict=True)],
            "plans": [
                {
                    "plan": name,
                    "optimal_for": name if k < len(self.members) else "robust",
                    "cells": {m: float(self.cells[k, j]) for j, m in enumerate(self.members)},
                    "regret": {m: float(regrets[k, j]) for j, m in enumerate(self.members)},
                    "risk_objective": float(self.objective[k]),
                }
                for k, name in enumerate(self.plans)
            ],
            "vss": self.vss,
            "evpi": self.evpi,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, out: str | os.PathLike) -> list[Path]:
        """Write ``regret.json`` and ``regret.csv`` (one row per plan and member: ``cell`` and
        ``regret``) into the folder ``out`` (created if missing), atomically."""
        from allocator.io.atomic import atomic_write, csv_text

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        long = self.table().drop(columns="risk_objective").stack().rename("cell").reset_index()
        long.columns = ["plan", "member", "cell"]
        long["regret"] = self.regret_table().stack().to_numpy()
        return atomic_write({"regret.json": self.to_json(), "regret.csv": csv_text(long, index=False)}, folder)


def _alone(inst: Instance, i: int) -> Instance:
    """``inst`` with member i alone, at probability 1."""
    block = inst.scenarios
    assert block is not None
    member = block.members[i].model_copy(update={"probability": 1.0})
    return inst.model_copy(update={"scenarios": block.model_copy(update={"members": [member]})})


def regret(
    instance: Instance | str | os.PathLike,
    model: ModelSpec | str | os.PathLike | None = None,
    backend: str = "highs",
    **options: Any,
) -> Regret:
    """The regret table of docs/model.md §12: each member's own plan and the robust plan, each
    evaluated in every member, with VSS and EVPI (module docstring).

    Parameters
    ----------
    instance : an instance with a ``scenarios`` block, or its path or shipped name.
    model : a :class:`~allocator.core.spec.ModelSpec`, a model file, a shipped model's name, or
        ``None`` (the default model).
    backend : the model builder of every solve (``highs``, ``pyomo``, ``pulp``).
    **options : passed to :func:`allocator.solve` (``time_limit``, ``threads``, ``method``);
        the plans are LP optima with the tie-break (``integer=False``), as §12 defines them.

    Returns
    -------
    Regret

    Raises
    ------
    RegretError
        No scenarios block, or a plan whose solve is not optimal (named with its status).
    """
    from allocator.pipeline.solve import solve

    inst = as_instance(instance)
    spec = _spec(model)
    if inst.scenarios is None or inst.pipeline is None:
        raise RegretError(f"the instance {inst.name} has no scenarios block (docs/model.md §12): no futures to compare")
    d = problem_data(inst)
    block = d.scenarios
    assert block is not None  # a pipeline and a scenarios block
    ids = [m.id for m in inst.scenarios.members]
    robust = "robust" if "robust" not in ids else "robust plan"
    labels = [*ids, robust]
    results: dict[str, Result] = {}
    for label, case in [*((ids[i], _alone(inst, i)) for i in range(len(ids))), (robust, inst)]:
        res = solve(case, spec, backend, integer=False, **options)
        if res.status != "optimal":
            what = f"member {label} alone" if label != robust else "the robust plan"
            raise RegretError(f"{inst.name}: the solve of {what} is {res.status}, not optimal: no regret table")
        results[label] = res
    plans = [results[label].posts_array(d) for label in labels]
    cells, R = regret_cells(d, spec, plans)
    p = block.probabilities
    M = len(ids)
    evpi = float(R[M] - p @ np.diag(cells[:M])) if block.risk == "expected" else None
    return Regret(
        instance=inst.name,
        model=spec.name,
        risk=block.risk,
        alpha=block.alpha,
        members=ids,
        probabilities=[float(v) for v in p],
        plans=labels,
        cells=cells,
        objective=R,
        vss=float(R[0] - R[M]),
        evpi=evpi,
        results=results,
    )
