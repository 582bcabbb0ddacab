"""The public solve pipeline: pre-solve → build → solve → assemble (steps: :mod:`allocator.pipeline.steps`).

The data flow is one way: instance → :func:`~allocator.core.data.problem_data` (targets, bounds)
→ pre-solve checks → backend build → HiGHS → measures → Result. :func:`run` is the pipeline on
problem data; :func:`solve` loads the instance and model and calls it.

>>> import allocator
>>> res = allocator.solve("instances/toy/toy-2x1.json")            # doctest: +SKIP
>>> built = allocator.build("instances/toy/toy-2x1.json", backend="pyomo")  # doctest: +SKIP
>>> built.model          # the pyomo ConcreteModel: add constraints, then built.solve()
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from allocator.core.data import ProblemData
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec, load_model
from allocator.io.instance import as_instance, as_problem_data
from allocator.model.backends.base import SolveOptions
from allocator.pipeline.steps import (  # noqa: F401  (re-exported: the pipeline's public names)
    Built,
    allocation_frame,
    assemble,
    backend_module,
    build_data,
    presolve,
)

if TYPE_CHECKING:  # the Result's module (pandas) loads when a result is made (steps.py)
    from allocator.solution.result import Result


def problem_data(instance: Instance | str | Path) -> ProblemData:
    """The problem data of an instance or an instance file: dense arrays, fair shares and
    targets (docs/model.md §3), every default of §2 applied
    (:func:`allocator.core.data.problem_data`)."""
    return as_problem_data(instance)


def _model(model: ModelSpec | str | Path | None) -> ModelSpec:
    return model if isinstance(model, ModelSpec) else load_model(model)


def build(
    instance: Instance | str | Path,
    model: ModelSpec | str | Path | None = None,
    backend: str = "highs",
    integer: bool | None = None,
) -> Built:
    """Build the model of an instance in one backend without solving it."""
    inst, spec = as_instance(instance), _model(model)
    integer = spec.solve.integer if integer is None else integer
    return build_data(problem_data(inst), spec, backend, integer, instance=inst)


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
    """Solve an instance (docs/model.md §3–§9) and return a :class:`Result`.

    Parameters
    ----------
    instance : an :class:`Instance`, the path of a JSON file, workbook or CSV folder, or the
        name of a shipped instance (``"england-regions-2025"``; a path wins over a name).
    model : a :class:`ModelSpec`, a model file path, a shipped model's name (``"equity-first"``),
        or ``None`` for the default model.
    backend : ``highs`` (default), ``pyomo`` or ``pulp``; all solve with HiGHS.
    time_limit, threads, method, mip_gap, integer, verbose : see :class:`SolveOptions`.
    tie_break : ``"least-squares"`` (§6b, the default: one allocation whatever the backend,
        LP method or start) or ``"none"``; ``None`` takes the model file's ``[solve] tie_break``.
    progress : optional callable receiving a short text at each stage (the CLI's spinner).
    round_posts : turn an optimal LP result into whole posts that keep every constraint of §5
        (:func:`allocator.pipeline.rounding.round_result`: repair near the LP optimum), with ``bound``
        (the LP optimum) and ``gap``; what it did is in ``result.rounding``. Ignored in
        integer mode, which runs the MIP started from that plan.

    Returns
    -------
    Result
        An instance that the pre-solve checks prove infeasible is not built: the result has
        status ``infeasible`` and a ``diagnosis``. So has one the solver finds infeasible.
    """
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    inst, spec = as_instance(instance), _model(model)
    say("computing targets")
    d = problem_data(inst)
    load = time.perf_counter() - t0
    integer = spec.solve.integer if integer is None else integer
    options = SolveOptions(time_limit, threads, method, mip_gap, integer, verbose, tie_break)
    res = run(d, spec, backend, options, instance=inst, round_posts=round_posts, progress=progress)
    res.timings = {"load": load, **res.timings, "total": time.perf_counter() - t0}
    return res


def run(
    d: ProblemData,
    spec: ModelSpec,
    backend: str = "highs",
    options: SolveOptions | None = None,
    *,
    instance: Instance | None = None,
    round_posts: bool = False,
    progress=None,
) -> Result:
    """The pipeline on problem data: pre-solve → build → solve → assemble (what :func:`solve`
    runs once it has the data).

    ``options.integer`` ``None`` takes the model file's ``[solve] integer``. Integer mode on
    the direct backend solves the LP, repairs whole posts from it and starts HiGHS's MIP from
    that plan; ``round_posts`` rounds an optimal LP answer (:meth:`Built.solve`).
    ``instance``: the instance of ``d``, for the rounding's checks.
    """
    t0 = time.perf_counter()
    res = _run(d, spec, backend, options, instance=instance, round_posts=round_posts, progress=progress)
    res.timings["total"] = time.perf_counter() - t0
    return res


def _run(d, spec, backend, options, *, instance, round_posts, progress) -> Result:
    say = progress or (lambda _msg: None)
    options = options or SolveOptions()
    integer = spec.solve.integer if options.integer is None else options.integer
    options = replace(options, integer=integer)
    blocked = presolve(d, spec, integer, backend)
    if blocked is not None:
        return blocked
    if integer and backend == "highs":
        say("solving the LP, then whole posts by repair and MIP")
        return _whole_posts_mip(instance, d, spec, options)
    say(f"building the {backend} model")
    built = build_data(d, spec, backend, integer, instance=instance)
    say(f"solving with HiGHS ({'MIP' if integer else options.method})" + (", then rounding" if round_posts else ""))
    return built.solve(options, round_posts=round_posts, release=True)  # solved once: HiGHS goes first


def _whole_posts_mip(inst: Instance | None, d: ProblemData, spec: ModelSpec, options: SolveOptions) -> Result:
    """``--integer`` on the direct backend (docs/model.md §7 v2): the LP, a whole-post plan that
    keeps every limit repaired from it, then HiGHS's MIP started from that plan, all within
    ``time_limit``. Bound: the MIP's proven bound, never below the LP optimum."""
    from allocator.model.wholeposts import integer_solve, repair
    from allocator.pipeline.rounding import whole_result

    t0 = time.perf_counter()

    def left() -> float | None:
        return None if options.time_limit is None else max(0.0, options.time_limit - (time.perf_counter() - t0))

    lp_options = replace(options, integer=False, mip_gap=None)
    built = build_data(d, spec, "highs", integer=False, instance=inst)
    lp = built.solve(lp_options, release=True)
    if lp.status != "optimal":
        return lp
    x_lp = lp.posts_array(d)
    assert lp.objective is not None  # an optimal LP has an objective
    t_whole = time.perf_counter()
    repaired = repair(d, spec, x_lp, lp.objective, time_limit=left(), mip_gap=options.mip_gap, threads=options.threads)
    if repaired.status == "infeasible":
        # the repair's last resort is the whole range: no whole-post plan exists
        res = whole_result(d, spec, lp, repaired, lp.objective, x_lp, instance=inst)
        fix = (
            "Add a shrink_allowance or growth_allowance of one post, or widen capacity: the instance has a "
            "fractional solution but no whole-post plan keeps every limit, as limits read in whole posts are "
            "tighter (with max_shrink_rate 0.05 and no shrink_allowance a cell under 20 posts cannot lose a post)."
        )
        res.diagnosis = {
            "summary": fix,
            "actions": [fix],
            "constraints": [],
            "findings": [],
            "technical_detail": ["Found by the whole-post repair: its last resort, the whole range, found no plan."],
        }
        return res
    wp = integer_solve(d, spec, repaired, lp.objective, options, left())
    res = whole_result(d, spec, lp, wp, lp.objective, x_lp, instance=inst)
    res.binding = res.binding.iloc[0:0]  # duals belong to the LP, not to a whole-post plan
    res.build_seconds = built.build_seconds
    res.solve_seconds = time.perf_counter() - t0 - built.build_seconds
    res.timings["whole_posts"] = time.perf_counter() - t_whole  # repair, MIP, measures, checker
    return res
