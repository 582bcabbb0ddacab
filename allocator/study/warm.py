"""Warm-started solves of many weightings on one instance (one process, one HiGHS model)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from allocator.core.data import ProblemData
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec
from allocator.io.instance import as_problem_data
from allocator.model import face_cache
from allocator.model.backends.base import SolveOptions
from allocator.model.backends.highs import workforce_rows
from allocator.pipeline.steps import Built, build_data, error_result, infeasible_result, presolve
from allocator.solution.result import Result
from allocator.study.scenarios import WEIGHTS

# ------------------------------------------------------------------------------ warm starts

#: added to a run's message when its §6b tie-break was taken from an earlier run with the same
#: optimal face (:mod:`allocator.model.face_cache`) instead of being solved again
REUSED = "tie-break reused: same optimal face as an earlier run"


# How far a step in each weight carries a warm start: worst_shortfall prices one column (z),
# every other weight prices a whole block of cells, so its steps cost far more pivots.
ORDER_SCALE = {"shortfall": 1.0, "surplus": 1.0, "moves": 1.0, "cost": 1.0, "worst_shortfall": 0.05}
# v2: the supply and team weights price blocks of stocks and team gaps; worst_supply one column
ORDER_SCALE |= {"supply_shortfall": 1.0, "supply_surplus": 1.0, "worst_supply": 0.05}
ORDER_SCALE |= {"team_shortfall": 1.0, "team_surplus": 1.0}


def warm_order(specs: Sequence[ModelSpec]) -> list[int]:
    """Indices of ``specs`` in nearest-neighbour order, starting from the first, so that
    consecutive warm starts change the costs as little as possible.

    The distance between two weightings is ``Σ_k scale_k · |log10(w_k + 0.001) −
    log10(w'_k + 0.001)|``, with scale 0.05 for ``worst_shortfall`` (it prices the one column
    ``z``) and 1 for the others (each prices a block of every cell). On a product grid this
    visits the ``worst_shortfall`` values inside each value of the other weights, which
    change the optimum much more (measured: benchmarks/README.md).
    """
    n = len(specs)
    if n <= 2:
        return list(range(n))
    w = np.array([[getattr(s.objective, k) for k in WEIGHTS] for s in specs])
    p = np.log10(w + 1e-3) * np.array([ORDER_SCALE[k] for k in WEIGHTS])
    visited = np.zeros(n, dtype=bool)
    visited[0] = True
    order = [0]
    for _ in range(n - 1):
        dist = np.abs(p - p[order[-1]]).sum(axis=1)
        dist[visited] = np.inf
        nxt = int(np.argmin(dist))  # the first of equally near ones: the lowest index
        order.append(nxt)
        visited[nxt] = True
    return order


def solve_weightings(
    d: ProblemData | Instance | str | Path,
    specs: Sequence[ModelSpec],
    options: SolveOptions | None = None,
    *,
    backend: str = "highs",
    warm: bool = True,
    order: Iterable[int] | None = None,
    fallback: float | None = 0.5,
) -> Iterator[tuple[int, Result, bool]]:
    """Solve one instance under several weightings; yield ``(index, Result, warm_started)``.

    Parameters
    ----------
    d : ProblemData, Instance, str or Path
        The instance's problem data, or the instance (or its file) to compute them from.
    specs : sequence of ModelSpec
        The weightings; ``index`` in what is yielded refers to this sequence.
    options : SolveOptions, optional
        HiGHS options of every solve (the first, cold one uses ``options.method``).
    backend : str
        ``highs`` warm-starts; ``pyomo`` and ``pulp`` build and solve each run cold.
    warm : bool
        ``False`` builds a fresh model and solves it with ``options.method`` for every run
        (the cold reference).
    order : iterable of int, optional
        Solving order (default :func:`warm_order`), taken one index at a time as runs are
        solved (a sweep's chain claims its next run from a segment it shares only when it is
        ready for it: :func:`allocator.study.chains.claims`).
    fallback : float or None
        A warm start that has not finished after ``fallback`` × the seconds of the first
        (cold) solve is stopped and the run is solved with ``options.method`` instead, on
        the same model: primal simplex is fast for small changes of the weights but can be
        slower than interior point after a large one (at least 0.05 s; 0 stops every warm
        start at once, for testing). ``None``: never stop a warm start.

    Notes
    -----
    Runs come back in solving order. ``warm_started`` is True when the run was solved by
    primal simplex from the previous run's basis. A warm solve that ends neither optimal
    nor stopped by ``fallback`` is repeated on a freshly built model. A run that raises is
    yielded as a Result with status ``error`` and the exception in ``message``; the next run
    starts from a fresh model. An instance that the pre-solve checks prove infeasible is not
    built: every run is ``infeasible`` with a diagnosis.

    Each Result's ``timings`` has the run's own stages and its ``total`` (from the start of the
    run to its Result: ``build`` only for a run that built the model). A run whose LP optimal
    face equals a recent run's takes that run's §6b tie-break (:mod:`allocator.model.face_cache`:
    the same face is the same QP) and its message ends with :data:`REUSED`.
    """
    d = as_problem_data(d)
    options = options or SolveOptions()
    # taken one index at a time: a sweep's chain claims each run from a shared segment as it goes
    order = order if order is not None else warm_order(specs)
    # feasibility does not depend on the weights: once the pre-solve checks or the LP show an
    # instance infeasible (LP or integer), every run of that kind gets the same diagnosis
    infeasible: dict[bool, Result | None] = {}
    need_z = any(s.objective.worst_shortfall > 0 or s.objective.worst_supply > 0 for s in specs)
    # the §10/§11 definitions, if any weighting needs them: later weightings reuse the model
    need_workforce = any(any(workforce_rows(d, s)) for s in specs) or None
    built: Built | None = None  # the warm-started model, re-used from run to run
    for i in order:
        spec = specs[i]
        t0, hits = time.perf_counter(), face_cache.hits()
        # the model file's [solve] tie_break unless the options say (docs/model.md §6b)
        run_options = options if options.tie_break is not None else replace(options, tie_break=spec.solve.tie_break)
        integer = spec.solve.integer if options.integer is None else options.integer
        try:
            if integer not in infeasible:
                infeasible[integer] = presolve(d, spec, integer, backend)
            known = infeasible[integer]
            if known is not None:
                yield i, infeasible_result(d, spec, backend, known.diagnosis, known.message), False
                continue
            if backend != "highs" or integer or not warm:
                yield i, _note_reuse(build_data(d, spec, backend, integer).solve(run_options), hits), False
                continue
            warm_started = built is not None
            if built is None:
                built = build_data(d, spec, "highs", integer=False, with_z=need_z, with_workforce=need_workforce)
                built.build_seconds = built.model.build_seconds
                raw = built.solve_raw(run_options)
                first = raw.solve_seconds
            else:
                built.reweight(spec)
                built.model.highs.setOptionValue("simplex_strategy", 4)  # primal simplex from the basis
                cap = None if fallback is None else max(fallback * first, 0.05) if fallback > 0 else 0.0
                stop_early = cap is not None and (options.time_limit is None or cap < options.time_limit)
                budget = cap if stop_early else options.time_limit
                raw = built.solve_raw(replace(run_options, method="simplex", time_limit=budget))
                spent = raw.solve_seconds
                if raw.status == "time_limit" and stop_early:
                    # a long warm start: interior point from scratch on the same model
                    rest = None if options.time_limit is None else max(options.time_limit - spent, 0.0)
                    raw = built.solve_raw(replace(run_options, time_limit=rest))
                    raw.solve_seconds += spent
                    warm_started = False
                elif raw.status != "optimal":  # never trust a failed warm start: solve it cold
                    built = build_data(d, spec, "highs", integer=False, with_z=need_z, with_workforce=need_workforce)
                    built.build_seconds = built.model.build_seconds
                    raw = built.solve_raw(run_options)
                    raw.solve_seconds += spent
                    warm_started = False
            res = built.assemble(raw)
            res.timings["total"] = time.perf_counter() - t0  # this run's share: its own build, if any
            _note_reuse(res, hits)
            if res.status == "infeasible":
                infeasible[False] = infeasible_result(d, spec, backend, res.diagnosis, res.message)
            yield i, res, warm_started
        except Exception as err:  # a failed run is recorded, the others go on
            built = None
            yield i, error_result(d, spec, backend, err), False


def _note_reuse(res: Result, hits: int) -> Result:
    """Say in ``res.message`` that its tie-break was reused, if the cache was hit since ``hits``."""
    if face_cache.hits() > hits:
        res.message = f"{res.message}; {REUSED}"
    return res
