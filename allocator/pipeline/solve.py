"""Choose a backend, build, solve with HiGHS, and assemble a :class:`~allocator.result.Result`.

The data flow is one way: instance → :func:`~allocator.data.problem_data` (targets, bounds)
→ pre-solve checks → backend build → HiGHS → measures → Result.

>>> import allocator
>>> res = allocator.solve("instances/toy/toy-2x1.json")            # doctest: +SKIP
>>> built = allocator.build("instances/toy/toy-2x1.json", backend="pyomo")  # doctest: +SKIP
>>> built.model          # the pyomo ConcreteModel: add constraints, then built.solve()
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.analysis.diagnose import diagnose
from allocator.core.data import ProblemData, problem_data
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec, load_model
from allocator.io.instance import load_instance
from allocator.model.backends import BACKENDS
from allocator.model.backends.base import SolveOptions
from allocator.model.highs_env import quiet_banner
from allocator.model.presolve import presolve_findings
from allocator.solution import measures
from allocator.solution.result import ALLOCATION_COLUMNS, Result


def _instance(instance: Instance | str | Path) -> Instance:
    return instance if isinstance(instance, Instance) else load_instance(instance)


def _model(model: ModelSpec | str | Path | None) -> ModelSpec:
    return model if isinstance(model, ModelSpec) else load_model(model)


def backend_module(name: str):
    if name not in BACKENDS:
        raise ValueError(f"unknown backend '{name}' (choose one of: {', '.join(BACKENDS)})")
    return importlib.import_module(f"allocator.model.backends.{name}")


@dataclass
class Built:
    """A model built by one backend, not yet solved.

    ``model`` is the backend's native object: a ``pyomo.environ.ConcreteModel``, a
    ``pulp.LpProblem``, or a :class:`~allocator.backends.highs.HighsModel` (its
    ``.highs`` is the ``highspy.Highs``). Change it freely, then call :meth:`solve`.
    """

    backend: str
    model: Any
    data: ProblemData
    spec: ModelSpec
    integer: bool
    build_seconds: float
    instance: Instance | None = None

    def solve(self, options: SolveOptions | None = None, *, round_posts: bool = False, **kw) -> Result:
        """Solve with HiGHS; keyword arguments are :class:`SolveOptions` fields.

        The LP answer is the §6b tie-break over the optimal face of the model as built, so rows
        or columns a researcher added count. ``round_posts``: whole posts that keep every §5
        constraint (:func:`allocator.rounding.round_result`; constraints added to a Pyomo or
        PuLP model are not known to the repair).
        """
        options = options or SolveOptions(**kw)
        if options.tie_break is None:
            options = replace(options, tie_break=self.spec.solve.tie_break)
        t0 = time.perf_counter()
        raw = backend_module(self.backend).solve_model(self.model, options)
        res = assemble(self.data, self.spec, self.backend, raw, self.build_seconds)
        if round_posts and res.status == "optimal" and not self.integer and res.mip_gap is None:
            from allocator.pipeline.rounding import round_result

            left = None if options.time_limit is None else max(0.0, options.time_limit - (time.perf_counter() - t0))
            res = round_result(
                self.data,
                self.spec,
                res,
                instance=self.instance,
                time_limit=left,
                mip_gap=options.mip_gap,
                threads=options.threads,
            )
        return res


def _build(inst: Instance, d: ProblemData, spec: ModelSpec, backend: str, integer: bool) -> Built:
    quiet_banner()
    t0 = time.perf_counter()
    native = backend_module(backend).build_model(d, spec, integer)
    return Built(backend, native, d, spec, integer, time.perf_counter() - t0, inst)


def build(
    instance: Instance | str | Path,
    model: ModelSpec | str | Path | None = None,
    backend: str = "highs",
    integer: bool | None = None,
) -> Built:
    """Build the model of an instance in one backend without solving it."""
    inst, spec = _instance(instance), _model(model)
    integer = spec.solve.integer if integer is None else integer
    return _build(inst, problem_data(inst), spec, backend, integer)


def solve(
    instance: Instance | str | Path,
    model: ModelSpec | str | Path | None = None,
    backend: str = "highs",
    *,
    time_limit: float | None = None,
    threads: int | None = None,
    method: str = "ipm",
    mip_gap: float | None = None,
    integer: bool | None = None,
    verbose: bool = False,
    progress=None,
    round_posts: bool = False,
    tie_break: str | None = None,
) -> Result:
    """Solve an instance (FORMULATION §3–§9) and return a :class:`Result`.

    Parameters
    ----------
    instance : an :class:`Instance` or the path of a JSON file, workbook or CSV folder.
    model : a :class:`ModelSpec`, a model file path, or ``None`` for the default model.
    backend : ``highs`` (default), ``pyomo`` or ``pulp``; all solve with HiGHS.
    time_limit, threads, method, mip_gap, integer, verbose : see :class:`SolveOptions`.
    tie_break : ``"least-squares"`` (§6b, the default: one allocation whatever the backend,
        LP method or start) or ``"none"``; ``None`` takes the model file's ``[solve] tie_break``.
    progress : optional callable receiving a short text at each stage (the CLI's spinner).
    round_posts : turn an optimal LP result into whole posts that keep every constraint of §5
        (:func:`allocator.rounding.round_result`: repair near the LP optimum), with ``bound``
        (the LP optimum) and ``gap``; what it did is in ``result.rounding``. Ignored in
        integer mode, which runs the MIP started from that plan.

    An instance that the pre-solve checks prove infeasible is not built: the result has
    status ``infeasible`` and a ``diagnosis``. So has one the solver finds infeasible.
    """
    say = progress or (lambda _msg: None)
    inst, spec = _instance(instance), _model(model)
    say("computing targets")
    d = problem_data(inst)
    integer = spec.solve.integer if integer is None else integer
    findings = presolve_findings(d, integer)
    if findings:
        return Result(
            status="infeasible",
            instance=d.name,
            model=spec.name,
            backend=backend,
            diagnosis=diagnose(d, spec, findings),
            message="infeasible (pre-solve checks)",
        )
    options = SolveOptions(time_limit, threads, method, mip_gap, integer, verbose, tie_break)
    if integer and backend == "highs":
        say("solving the LP, then whole posts by repair and MIP")
        return _whole_posts_mip(inst, d, spec, options)
    say(f"building the {backend} model")
    built = _build(inst, d, spec, backend, integer)
    say(f"solving with HiGHS ({'MIP' if integer else options.method})" + (", then rounding" if round_posts else ""))
    return built.solve(options, round_posts=round_posts)


def _whole_posts_mip(inst: Instance, d: ProblemData, spec: ModelSpec, options: SolveOptions) -> Result:
    """``--integer`` on the direct backend (FORMULATION §7 v2): the LP, a whole-post plan that
    keeps every limit repaired from it, then HiGHS's MIP started from that plan, all within
    ``time_limit``. Bound: the MIP's proven bound, never below the LP optimum."""
    from allocator.model.wholeposts import integer_solve, repair
    from allocator.pipeline.rounding import whole_result

    t0 = time.perf_counter()

    def left() -> float | None:
        return None if options.time_limit is None else max(0.0, options.time_limit - (time.perf_counter() - t0))

    lp_options = replace(options, integer=False, mip_gap=None)
    built = _build(inst, d, spec, "highs", integer=False)
    lp = built.solve(lp_options)
    if lp.status != "optimal":
        return lp
    x_lp = lp.allocation["posts"].to_numpy().reshape(d.shape)
    repaired = repair(d, spec, x_lp, lp.objective, time_limit=left(), mip_gap=options.mip_gap, threads=options.threads)
    if repaired.status == "infeasible":
        # the repair's last resort is the whole range: no whole-post plan exists
        res = whole_result(d, spec, lp, repaired, lp.objective, x_lp, instance=inst)
        res.diagnosis = {
            "summary": "The instance has a fractional solution but no whole-post plan keeps every limit: "
            "limits read in whole posts are tighter (with max_shrink_rate 0.05 and no shrink_allowance a "
            "cell under 20 posts cannot lose a post). A shrink_allowance or growth_allowance of one post, "
            "or wider capacity, usually restores a plan.",
            "constraints": [],
            "findings": [],
        }
        return res
    wp = integer_solve(d, spec, repaired, lp.objective, options, left())
    res = whole_result(d, spec, lp, wp, lp.objective, x_lp, instance=inst)
    res.binding = res.binding.iloc[0:0]  # duals belong to the LP, not to a whole-post plan
    res.build_seconds = built.build_seconds
    res.solve_seconds = time.perf_counter() - t0 - built.build_seconds
    return res


def assemble(d: ProblemData, spec: ModelSpec, backend: str, raw, build_seconds: float = 0.0) -> Result:
    """A backend's raw solution → Result, with measures and (if infeasible) a diagnosis."""
    if raw.status == "error" and raw.mip_gap is None:
        raw.status = _confirm_status(d, spec)
    res = Result(
        status=raw.status,
        instance=d.name,
        model=spec.name,
        backend=backend,
        objective=raw.objective,
        mip_gap=raw.mip_gap,
        best_bound=raw.best_bound,
        message=raw.message,
        build_seconds=build_seconds,
        solve_seconds=raw.solve_seconds + raw.tie_break_seconds,
    )
    if raw.status == "infeasible":
        res.diagnosis = diagnose(d, spec)
    if raw.x is None:
        return res
    res.tie_break = raw.tie_break
    x = np.where(np.abs(raw.x) < 1e-9, 0.0, raw.x)
    if raw.mip_gap is not None:  # a MIP's posts carry float noise (~1e-11): make them exactly whole
        x = np.where(np.abs(x - np.round(x)) < 1e-6, np.round(x), x)
        from allocator.model.wholeposts import objective_of

        # a MIP incumbent's auxiliary variables need not be at their least values: report the
        # objective of its posts (what the checker recomputes), never more than HiGHS's
        least = objective_of(d, spec, x)
        if res.objective is None or least < res.objective:
            res.objective = least
        if res.status == "time_limit":  # stopped with a plan that keeps every constraint (§9 v2)
            res.status = "feasible"
    res.allocation = allocation_frame(d, x)
    res.kpis = measures.kpis(d, x)
    res.baseline_kpis = measures.baseline_kpis(d)
    res.binding = pd.DataFrame(raw.binding, columns=["constraint", "region", "specialty", "year", "dual"])
    if len(res.binding):
        res.binding = res.binding.reindex(res.binding["dual"].abs().sort_values(ascending=False).index)
        res.binding = res.binding.reset_index(drop=True)
    return res


def _confirm_status(d: ProblemData, spec: ModelSpec) -> str:
    """HiGHS's interior point may end in "Solve error" on an infeasible LP, where dual simplex
    proves infeasibility: re-solve the same data with simplex to get a definitive status."""
    from allocator.model.backends import highs

    raw = highs.solve_model(highs.build_model(d, spec, integer=False), SolveOptions(method="simplex"))
    return raw.status if raw.status in ("infeasible", "unbounded") else "error"


def allocation_frame(d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """(R, S, Y) posts → the long allocation table of §9, in instance order."""
    R, S, Y = d.shape
    idx = pd.MultiIndex.from_product([d.regions, d.specialties, d.years], names=ALLOCATION_COLUMNS[:3])
    frame = idx.to_frame(index=False)
    frame["posts"] = x.reshape(-1)
    frame["target"] = d.target_of(x).reshape(-1)  # v2: a ranged total's targets follow x
    return frame
