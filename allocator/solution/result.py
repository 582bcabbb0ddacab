"""Results (docs/model.md §9): status, objective, allocation, measures, binding constraints.

``Result.to_json()`` writes exactly the §9 format; ``Result.from_json`` reads it back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData

STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "time_limit", "error")
#: Statuses whose allocation keeps every constraint (docs/model.md §9): a solution.
SOLVED = ("optimal", "feasible")
#: The tie-breaks of docs/model.md §6b, as results name them.
TIE_BREAKS = ("least-squares", "none")
ALLOCATION_COLUMNS = ["region", "specialty", "year", "posts", "target"]
#: The axes of :meth:`Result.posts_array`, in order (labels: ``d.regions``, ``d.specialties``, ``d.years``).
POSTS_AXES = ("region", "specialty", "year")
KPI_COLUMNS = ["year", "gap_posts", "gap_closed_pct", "gini", "max_shortfall_pct", "posts_moved", "cost"]
#: v2 §9 with a pipeline (§10): one row per region × specialty × evaluation year.
SUPPLY_COLUMNS = ["region", "specialty", "year", "completions", "joiners", "stock", "fair_stock"]
#: v2 §9: the §10 measures per assessed year.
SUPPLY_KPI_COLUMNS = ["year", "supply_gap", "supply_gini", "supply_max_shortfall_pct"]
#: The columns of ``binding``; a binding ``team_mix`` row (v2 §11) also names its ``team``.
BINDING_COLUMNS = ["constraint", "region", "specialty", "year", "dual"]
#: v2 §9 with teams (§11): one row per team × region × year of the team.
TEAM_COLUMNS = ["team", "region", "year", "capacity", "target"]
#: v3 §9 ``inputs``: what a result was computed from (:mod:`allocator.core.provenance`).
INPUT_FIELDS = ("instance_sha256", "model_sha256", "allocator_version", "highs_version", "schema_version")
#: v3 §9 ``timings``: seconds per stage of the pipeline, in order; a stage that did not run is absent.
TIMING_STAGES = ("load", "build", "solve", "tie_break", "whole_posts", "assemble", "total")


def json_number(v: Any) -> Any:
    """numpy scalars -> Python; NaN / inf -> None (JSON has neither)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def binding_frame(records: list) -> pd.DataFrame:
    """``binding`` records as a frame with :data:`BINDING_COLUMNS`, and ``team`` (v2 §11) or
    ``scenario`` (v3 §12) after ``constraint`` when some row names one."""
    columns = list(BINDING_COLUMNS)
    if any(isinstance(b, dict) and "team" in b for b in records):
        columns.insert(1, "team")
    if any(isinstance(b, dict) and "scenario" in b for b in records):  # v3 §12: a member's row
        columns.insert(1, "scenario")
    return pd.DataFrame(records, columns=columns)


def _is_seconds(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: json_number(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]


@dataclass
class Result:
    """The outcome of one solve.

    Attributes
    ----------
    status : one of ``optimal``, ``feasible``, ``infeasible``, ``unbounded``, ``time_limit``,
        ``error`` (docs/model.md §9). ``feasible`` (v2): keeps every constraint but is not proven
        optimal (a whole-post answer found by a heuristic, or a MIP stopped by its time limit);
        it carries ``bound`` and ``gap``.
    objective : the optimum (or best found), ``None`` without a solution.
    allocation : DataFrame ``region, specialty, year, posts, target`` (empty without a solution).
    kpis : DataFrame of the §8 measures per year.
    binding : DataFrame ``constraint, region, specialty, year, dual`` of constraints with a
        non-zero dual (LP only); ``dual`` is the change in the optimum per unit increase of
        the constraint's bound.
    diagnosis : for an infeasible result, the conflicting constraints and the smallest
        relaxation, as ``{"summary": str, "constraints": [family, ...], "findings": [...]}``
        (see :mod:`allocator.analysis.diagnose`).
    rounding : for a whole-post result, how it was found from the LP optimum (repair steps,
        LP objective, change; see :func:`allocator.pipeline.rounding.round_result`); ``None`` otherwise.
    mip_gap, best_bound : the relative ``gap`` and the ``bound`` of §9 for whole posts (also
        readable and writable as :attr:`gap` and :attr:`bound`, their names in the JSON);
        ``None`` for an LP result.
    bound_source : for whole posts, where ``bound`` comes from: ``"lp"`` (the LP optimum),
        ``"mip-root"`` (HiGHS's MIP, proven in its root node) or ``"mip"`` (its branch and
        bound); ``None`` where not stated.
    lp_bound : for whole posts, the LP optimum (fractional posts): the objective's distance
        from it is the price of whole posts.
    tie_break : which tie-break of §6b chose the allocation, ``"least-squares"`` or ``"none"``;
        ``None`` where not stated (results written before v2).
    supply : with a pipeline (§10), DataFrame ``region, specialty, year, completions, joiners,
        stock, fair_stock`` for every evaluation year; empty without one.
    supply_kpis : with a pipeline, DataFrame ``year, supply_gap, supply_gini,
        supply_max_shortfall_pct`` for each assessed year.
    teams : with teams (§11), DataFrame ``team, region, year, capacity, target``.
    inputs : (v3) what the result was computed from: ``instance_sha256``, ``model_sha256``,
        ``allocator_version``, ``highs_version``, ``schema_version`` (:data:`INPUT_FIELDS`;
        :mod:`allocator.core.provenance`); ``None`` where not stated (results written before v3).
    scenarios : (v3, §12) each member's ``{id, probability, supply_kpis}`` for the one plan;
        ``None`` without a ``scenarios`` block.
    risk : (v3, §12) the risk term's value, recomputed from the posts; ``None`` without one.
    timings : (v3) seconds of each stage that ran, keys among :data:`TIMING_STAGES`
        (``load``: reading the instance and computing its targets; ``build``; ``solve``: HiGHS;
        ``tie_break``: §6b; ``whole_posts``: repair and MIP of §7; ``assemble``: measures and
        diagnosis; ``total``: the whole call).
    """

    status: str
    instance: str
    model: str
    backend: str
    objective: float | None = None
    allocation: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ALLOCATION_COLUMNS))
    kpis: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=KPI_COLUMNS))
    binding: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BINDING_COLUMNS))
    diagnosis: dict | None = None
    mip_gap: float | None = None
    best_bound: float | None = None
    message: str = ""
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    baseline_kpis: pd.DataFrame | None = field(default=None, repr=False)
    rounding: dict | None = None
    tie_break: str | None = None
    supply: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SUPPLY_COLUMNS))
    supply_kpis: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SUPPLY_KPI_COLUMNS))
    teams: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TEAM_COLUMNS))
    inputs: dict | None = None
    timings: dict[str, float] = field(default_factory=dict)
    bound_source: str | None = None
    lp_bound: float | None = None
    scenarios: list[dict] | None = None
    risk: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "optimal"

    @property
    def solved(self) -> bool:
        """The allocation keeps every constraint: status ``optimal`` or ``feasible``."""
        return self.status in SOLVED

    @property
    def gap(self) -> float | None:
        """§9 ``gap``: the relative gap between the objective and :attr:`bound` (whole posts)."""
        return self.mip_gap

    @gap.setter
    def gap(self, value: float | None) -> None:
        self.mip_gap = value

    @property
    def bound(self) -> float | None:
        """§9 ``bound``: the best bound known on the objective (whole posts)."""
        return self.best_bound

    @bound.setter
    def bound(self, value: float | None) -> None:
        self.best_bound = value

    def posts(self) -> pd.DataFrame:
        """Allocation pivoted: rows (region, specialty), one column per year."""
        return self.allocation.pivot_table(index=["region", "specialty"], columns="year", values="posts", sort=False)

    def posts_array(self, d: ProblemData) -> np.ndarray:
        """Posts as an (R, S, Y) array whose axes are ``d.regions``, ``d.specialties`` and
        ``d.years`` (:attr:`POSTS_AXES`), matched by label: the allocation's row order does not
        matter (a sorted or filtered-then-restored frame gives the same array).

        Raises ``ValueError`` when there is no allocation, a cell is repeated, or a cell of
        ``d`` has no posts."""
        if self.allocation is None or not len(self.allocation):
            raise ValueError(f"this result has no allocation (status {self.status})")
        keys = list(POSTS_AXES)
        index = pd.MultiIndex.from_product([d.regions, d.specialties, d.years], names=keys)
        frame = self.allocation.astype({"region": str, "specialty": str, "year": int})
        posts = frame.set_index(keys)["posts"].astype(float)
        if not posts.index.is_unique:
            raise ValueError("the allocation repeats a region × specialty × year")
        posts = posts.reindex(index)
        missing = posts.index[posts.isna()]
        if len(missing):
            shown = ", ".join("/".join(map(str, k)) for k in missing[:5])
            raise ValueError(f"the allocation has no posts for {len(missing)} cell(s): {shown}")
        return posts.to_numpy().reshape(d.shape)

    def to_dict(self) -> dict[str, Any]:
        """The §9 format: ``bound`` and ``gap`` where known (always for ``feasible``),
        ``tie_break`` where stated, and (v3) ``inputs`` and ``timings`` (to the microsecond)."""
        out: dict[str, Any] = {
            "status": self.status,
            "objective": json_number(self.objective),
            "backend": self.backend,
            "model": self.model,
            "instance": self.instance,
            "allocation": _records(self.allocation[ALLOCATION_COLUMNS]) if len(self.allocation) else [],
            "kpis": _records(self.kpis[KPI_COLUMNS]) if len(self.kpis) else [],
            "binding": [
                {k: int(v) if k == "year" else v for k, v in rec.items() if v is not None}
                for rec in _records(self.binding)
            ],
        }
        if self.diagnosis is not None:
            out["diagnosis"] = self.diagnosis
        if self.tie_break is not None:
            out["tie_break"] = self.tie_break
        if self.mip_gap is not None or self.best_bound is not None or self.status == "feasible":
            out["bound"] = json_number(self.best_bound)
            out["gap"] = json_number(self.mip_gap)
        for key in ("bound_source", "lp_bound"):  # whole posts: which bound, and the LP's
            if getattr(self, key) is not None:
                out[key] = json_number(getattr(self, key))
        if self.rounding is not None:
            out["rounding"] = self.rounding
        for key, columns in (("supply", SUPPLY_COLUMNS), ("supply_kpis", SUPPLY_KPI_COLUMNS), ("teams", TEAM_COLUMNS)):
            frame = getattr(self, key)
            if frame is not None and len(frame):
                out[key] = _records(frame[columns])
        if self.scenarios is not None:  # v3 §12
            out["scenarios"] = self.scenarios
            out["risk"] = json_number(self.risk)
        if self.inputs is not None:
            out["inputs"] = dict(self.inputs)
        if self.timings:
            out["timings"] = {k: round(float(self.timings[k]), 6) for k in TIMING_STAGES if k in self.timings}
        return out

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2) + "\n"
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        binding = binding_frame(data.get("binding") or [])
        return cls(
            status=data["status"],
            instance=data.get("instance", ""),
            model=data.get("model", ""),
            backend=data.get("backend", ""),
            objective=data.get("objective"),
            allocation=pd.DataFrame(data.get("allocation", []), columns=ALLOCATION_COLUMNS),
            kpis=pd.DataFrame(data.get("kpis", []), columns=KPI_COLUMNS),
            binding=binding,
            diagnosis=data.get("diagnosis"),
            # v2 names; results written before v2 said mip_gap / best_bound
            mip_gap=data.get("gap", data.get("mip_gap")),
            best_bound=data.get("bound", data.get("best_bound")),
            rounding=data.get("rounding"),
            tie_break=data.get("tie_break"),
            supply=pd.DataFrame(data.get("supply") or [], columns=SUPPLY_COLUMNS),
            supply_kpis=pd.DataFrame(data.get("supply_kpis") or [], columns=SUPPLY_KPI_COLUMNS),
            teams=pd.DataFrame(data.get("teams") or [], columns=TEAM_COLUMNS),
            inputs=dict(data["inputs"]) if isinstance(data.get("inputs"), dict) else None,  # v3; absent before
            timings={k: float(v) for k, v in (data.get("timings") or {}).items() if _is_seconds(v)}
            if isinstance(data.get("timings"), dict)
            else {},
            bound_source=data.get("bound_source"),
            lp_bound=data.get("lp_bound"),
            scenarios=data.get("scenarios") if isinstance(data.get("scenarios"), list) else None,
            risk=data.get("risk"),
        )

    @classmethod
    def from_json(cls, path: str | Path) -> Result:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``result.json``, ``allocation.csv``, ``kpis.csv``, ``binding.csv`` into a folder
        (and ``supply.csv``, ``supply_kpis.csv``, ``teams.csv`` where the result has them).

        Every file is written to a temporary name first and renamed, so a failure never
        leaves a half-written set (:func:`allocator.io.atomic.atomic_write`). A text cell of
        a CSV file starting with ``= + - @`` gets a leading ``'`` (not run as a formula).
        """
        from allocator.io.atomic import atomic_write, csv_text  # exclusive temporaries; ids escaped as text

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        texts = {
            "result.json": self.to_json(),
            "allocation.csv": csv_text(self.allocation, index=False),
            "kpis.csv": csv_text(self.kpis, index=False),
            "binding.csv": csv_text(self.binding, index=False),
        }
        for key in ("supply", "supply_kpis", "teams"):
            frame = getattr(self, key)
            if frame is not None and len(frame):
                texts[f"{key}.csv"] = csv_text(frame, index=False)
        return atomic_write(texts, out)
