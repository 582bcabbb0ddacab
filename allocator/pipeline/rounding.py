"""Whole posts from an LP optimum (docs/model.md §7): repair, re-measure, re-check.

:func:`round_result` turns an LP optimum into whole posts that keep **every** constraint of §5
(:func:`allocator.model.wholeposts.repair`: the model's own whole-post MIP with each post held near
its LP value), re-measures them and re-checks them with the independent checker; the result
states its objective, the best bound the tool can afford in a few seconds (HiGHS's MIP
started from the repaired plan, :func:`allocator.model.wholeposts.tighten`), which bound that is
(``bound_source``), the gap, and the LP optimum (``lp_bound``: the price of whole posts)
(docs/model.md §7 v2, §9).

:func:`round_posts` is the apportionment rounding of v1 (each year's region × specialty
matrix rounded with national totals and capacity kept, by
:func:`allocator.apportion.round_matrix`): it keeps totals and bounds but not transition
limits, so it is no longer how whole posts are reported; it stays for comparison
(``benchmarks/rounding.py``). :func:`instance_of` rebuilds an instance from problem data.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from allocator.analysis.check import check
from allocator.apportion.divisors import ApportionmentInfeasible, divisor
from allocator.apportion.matrix import round_matrix
from allocator.core.data import ProblemData
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec
from allocator.core.validate import validate
from allocator.model.presolve import effective_bounds
from allocator.solution import measures, workforce
from allocator.solution.result import Result

__all__ = ["ROUNDING_NOTE", "instance_of", "objective_of", "round_posts", "round_result", "whole_result"]

# LP values this close to a whole number are taken as that number before rounding.
SNAP = 1e-6

ROUNDING_NOTE = (
    "Whole posts that keep every limit, found near the LP optimum by the model itself (rounding and "
    "repair, docs/model.md §7), then a short run of HiGHS's MIP from that plan: 'bound' is the best bound "
    "proven (bound_source: 'mip' or 'mip-root' from the MIP, 'lp' the LP optimum), which no whole-post "
    "plan can beat, and 'gap' the relative distance to it; 'lp_bound' is the LP optimum (fractional "
    "posts). Solve with integer=True for a longer MIP. 'binding' still lists the LP's duals."
)


def objective_of(d: ProblemData, spec: ModelSpec, x: np.ndarray) -> float:
    """The objective of posts ``x`` under ``spec``, at the least auxiliary values
    (:func:`allocator.model.wholeposts.objective_of`)."""
    from allocator.model.wholeposts import objective_of as of

    return of(d, spec, x)


def instance_of(d: ProblemData) -> Instance:
    """An :class:`Instance` equivalent to ``d`` (every default of §2 written out).

    Used to run the independent checker when only the problem data is at hand (e.g. from
    :meth:`allocator.Built.solve`). The checker then recomputes targets from these explicit
    values, so a mistake in the defaults of :mod:`allocator.core.data` would not show; pass the
    original instance to :func:`round_result` where you have it.
    """
    R, S, Y = d.shape
    cells = [(r, s) for r in range(R) for s in range(S)]
    capacity = []
    for r, s, t in zip(*np.nonzero(d.has_capacity | (d.min_posts > 0) | np.isfinite(d.max_posts)), strict=True):
        hi = d.max_posts[r, s, t]
        capacity.append(
            {
                "region": d.regions[r],
                "specialty": d.specialties[s],
                "year": d.years[t],
                "min_posts": float(d.min_posts[r, s, t]),
                "max_posts": float(hi) if np.isfinite(hi) else None,
            }
        )
    transition = {
        "max_growth_rate": d.max_growth_rate,
        "max_shrink_rate": d.max_shrink_rate,
        "shrink_by_programme_length": d.shrink_by_programme_length,
        "max_region_net_loss_rate": d.max_region_net_loss_rate,
        "max_national_moves": d.max_national_moves,
    }
    if d.max_growth_rate is not None and d.growth_allowance:
        transition["growth_allowance"] = d.growth_allowance
    if d.max_shrink_rate is not None and d.shrink_allowance:
        transition["shrink_allowance"] = d.shrink_allowance
    data = {
        "schema_version": 2,
        "name": d.name,
        "baseline_year": d.baseline_year,
        "years": list(d.years),
        "regions": [
            {"id": rid, "population": float(d.population[r, 0]), "need_index": float(d.need_index[r])}
            for r, rid in enumerate(d.regions)
        ],
        "specialties": [
            {"id": sid} | ({} if np.isnan(d.programme_years[s]) else {"programme_years": int(d.programme_years[s])})
            for s, sid in enumerate(d.specialties)
        ],
        "baseline_posts": [
            {"region": d.regions[r], "specialty": d.specialties[s], "posts": float(d.baseline[r, s])} for r, s in cells
        ],
        "national_posts": [
            {"specialty": sid, "year": year}
            | (
                {"min_posts": float(d.national_min[s, t])}
                | ({"max_posts": float(d.national_max[s, t])} if np.isfinite(d.national_max[s, t]) else {})
                if d.ranged[s, t]
                else {"posts": float(d.national[s, t])}
            )
            for s, sid in enumerate(d.specialties)
            for t, year in enumerate(d.years)
        ],
        "population_by_year": [
            {"region": rid, "year": year, "population": float(d.population[r, t])}
            for r, rid in enumerate(d.regions)
            for t, year in enumerate(d.years)
        ],
        "need_weights": [
            {"region": d.regions[r], "specialty": d.specialties[s], "weight": float(d.weight[r, s])} for r, s in cells
        ]
        + _weights_by_year(d, d.need, d.population, d.years),
        "capacity": capacity,
        "locks": [
            {"region": d.regions[r], "specialty": d.specialties[s], "year": d.years[t], "posts": float(d.lock[r, s, t])}
            for r, s, t in zip(*np.nonzero(d.locked), strict=True)
        ],
        "cost_per_post": [
            {"region": d.regions[r], "specialty": d.specialties[s], "cost": float(d.cost[r, s])}
            for r, s in cells
            if d.cost[r, s] != 0
        ],
        "budget": [{"year": d.years[t], "amount": float(d.budget[t])} for t in np.flatnonzero(~np.isnan(d.budget))],
        "transition": {k: v for k, v in transition.items() if v is not None},
    }
    if d.professions:
        for spec, profession in zip(data["specialties"], d.professions, strict=True):
            if profession != "medicine":
                spec["profession"] = profession
    _workforce_of(d, data)
    return validate(data, source=f"<problem data of {d.name}>")


def _weights_by_year(d: ProblemData, need: np.ndarray, population: np.ndarray, years: list[int]) -> list[dict]:
    """``need_weights`` entries with a ``year`` wherever the need of a year implies a weight
    other than the general one (need weights by year, docs/workforce.md)."""
    base = population * d.need_index[:, None]  # (R, T)
    out = []
    for r, s, t in zip(*np.nonzero(np.broadcast_to(base[:, None, :] > 0, need.shape)), strict=True):
        w = need[r, s, t] / base[r, t]
        if not np.isclose(w, d.weight[r, s], rtol=1e-15, atol=0):
            out.append({"region": d.regions[r], "specialty": d.specialties[s], "year": years[t], "weight": float(w)})
    return out


def _workforce_of(d: ProblemData, data: dict) -> None:
    """The ``pipeline`` and ``teams`` blocks of ``d`` written out into ``data``."""
    p = d.pipeline
    if p is not None:
        later = [e for e, year in enumerate(p.years) if year not in d.years]
        data["population_by_year"] += [
            {"region": rid, "year": p.years[e], "population": float(p.population[r, e])}
            for r, rid in enumerate(d.regions)
            for e in later
        ]
        data["need_weights"] += _weights_by_year(
            d, p.need[:, :, later], p.population[:, later], [p.years[e] for e in later]
        )
        data["pipeline"] = {
            "horizon_year": p.horizon_year,
            "mobility": p.mobility,
            "assess_years": p.assess_years,
            "specialties": [
                {
                    "specialty": sid,
                    "completion_rate": float(p.completion[s]),
                    "delay_years": list(p.delays[s][0]),
                    "delay_shares": list(p.delays[s][1]),
                    "settle_rate": float(p.settle[s]),
                    "join_rate": float(p.join[s]),
                    "leave_rate": float(p.leave[s]),
                }
                for s, sid in enumerate(d.specialties)
            ],
            "fill_rate": [
                {"region": d.regions[r], "specialty": d.specialties[s], "rate": float(p.fill[r, s])}
                for r, s in zip(*np.nonzero(p.fill != 1.0), strict=True)
            ],
            "stock": [
                {"region": d.regions[r], "specialty": d.specialties[s], "headcount": float(p.stock0[r, s])}
                for r, s in zip(*np.nonzero(p.stock0), strict=True)
            ],
        }
    if d.teams:
        data["teams"] = [
            {
                "id": g.id,
                "name": g.name,
                "on": g.on,
                "members": [
                    {"specialty": d.specialties[m], "equivalence": float(e)}
                    | ({} if np.isnan(ms) else {"max_share": float(ms)})
                    for m, e, ms in zip(g.members, g.equivalence, g.max_share, strict=True)
                ],
                "need_weights": [{"region": rid, "weight": float(g.weight[r])} for r, rid in enumerate(d.regions)],
            }
            for g in d.teams
        ]


def _whole_totals(d: ProblemData) -> np.ndarray:
    """National totals as ints; :class:`ApportionmentInfeasible` naming any that is not whole."""
    frac = np.abs(d.national - np.round(d.national)) > SNAP
    if frac.any():
        bad = [f"{d.specialties[s]} {d.years[t]}: {d.national[s, t]:g}" for s, t in zip(*np.nonzero(frac), strict=True)]
        raise ApportionmentInfeasible(
            "national totals must be whole numbers to be kept exactly in whole posts: " + "; ".join(bad)
        )
    return np.round(d.national).astype(np.int64)


def _allowed(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole values a cell may take: [floor v, ceil v] within [ceil lo, floor hi] (the nearest
    bound if v lies outside them), as :func:`round_matrix` takes them."""
    lo_w, hi_w = np.ceil(lo - SNAP), np.floor(hi + SNAP)
    a, b = np.maximum(np.floor(values), lo_w), np.minimum(np.ceil(values), hi_w)
    outside = a > b
    near = np.where(np.ceil(values) < lo_w, lo_w, hi_w)
    return np.where(outside, near, a), np.where(outside, near, b)


def round_posts(
    d: ProblemData, x: np.ndarray, *, row_totals: bool = True
) -> tuple[np.ndarray, list[dict[str, object]]]:
    """Round LP posts to whole posts, year by year (see the module docstring).

    Parameters
    ----------
    d : ProblemData
        The instance's arrays (national totals, capacity, locks).
    x : numpy.ndarray
        LP posts, shape (R, S, Y).
    row_totals : bool
        Keep region totals (rounded) too, where possible.

    Returns
    -------
    posts : numpy.ndarray
        Whole posts (float array of whole numbers), shape (R, S, Y).
    years : list of dict
        Per year: ``year``, ``method`` (``round_matrix``'s: ``biproportional``,
        ``transportation`` or ``largest-remainder``), ``region_totals`` (kept or not), and
        ``note`` when the region totals had to be dropped, saying why.

    Raises
    ------
    ApportionmentInfeasible
        A national total or a lock is not a whole number, a cell's capacity interval holds no
        whole number, or a national total is out of reach of its cells' bounds.
    """
    national = _whole_totals(d)
    lo, hi = effective_bounds(d)
    frac_lock = d.locked & (np.abs(d.lock - np.round(np.nan_to_num(d.lock))) > SNAP)
    if frac_lock.any():
        bad = [
            f"{d.regions[r]} {d.specialties[s]} {d.years[t]}: {d.lock[r, s, t]:g}"
            for r, s, t in zip(*np.nonzero(frac_lock), strict=True)
        ]
        raise ApportionmentInfeasible("locks must be whole numbers to be kept in whole posts: " + "; ".join(bad))
    x = np.where(np.abs(x - np.round(x)) <= SNAP, np.round(x), x)
    x = np.maximum(x, 0.0)
    out = np.empty_like(x)
    years: list[dict[str, object]] = []
    for t, year in enumerate(d.years):
        values, lower, upper = (pd.DataFrame(a[:, :, t], index=d.regions, columns=d.specialties) for a in (x, lo, hi))
        cols = pd.Series(national[:, t], index=d.specialties)
        record: dict[str, object] = {"year": year, "region_totals": False}
        rows = None
        if row_totals:
            rows, why = _region_totals(values, lower.to_numpy(), upper.to_numpy(), int(cols.sum()))
            if rows is None:
                record["note"] = why
        try:
            seats = round_matrix(values, cols, lower, upper, rows)
            record["region_totals"] = rows is not None
        except ApportionmentInfeasible as err:
            if rows is None:
                raise ApportionmentInfeasible(f"{year}: {err}") from None
            record["note"] = f"region totals dropped: {err}"
            seats = round_matrix(values, cols, lower, upper)
        except ValueError as err:  # e.g. a capacity interval without a whole number
            raise ApportionmentInfeasible(f"{year}: {err}") from None
        record["method"] = seats.attrs["method"]
        out[:, :, t] = seats.to_numpy(dtype=float)
        years.append(record)
    return out, years


def _region_totals(values: pd.DataFrame, lo: np.ndarray, hi: np.ndarray, total: int):
    """Region totals: ``total`` shared by largest remainder on the LP region totals, each
    within what the region's cells allow; ``(None, reason)`` if that is impossible."""
    low, high = _allowed(values.to_numpy(), lo, hi)
    sums = values.sum(axis=1).clip(lower=0.0)
    try:
        rows = divisor(
            sums,
            total,
            "hamilton",
            min_seats=pd.Series(low.sum(axis=1).astype(np.int64), index=values.index),
            max_seats=pd.Series(high.sum(axis=1).astype(np.int64), index=values.index),
            ties="report",
        )
    except ValueError as err:  # bounds out of reach (ties are reported, not raised)
        return None, f"region totals dropped: {err}"
    return rows, ""


def round_result(
    data: ProblemData,
    spec: ModelSpec,
    result: Result,
    *,
    instance: Instance | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    bound_time: float | None = None,
) -> Result:
    """An LP result turned into whole posts that keep every limit (docs/model.md §7 v2).

    :func:`allocator.model.wholeposts.repair` finds whole posts near the LP optimum with the model
    itself, so every constraint of §5 holds (transition limits, region net loss, national
    moves, budget), and the independent checker confirms it. The LP optimum bounds every
    whole-post plan from below, weakly: HiGHS's MIP then runs from the repaired plan for
    ``bound_time`` seconds (:func:`allocator.model.wholeposts.tighten`) for a proven bound and
    perhaps a better plan. The result carries ``bound`` (the best bound), ``bound_source``
    (``lp``, ``mip-root`` or ``mip``), ``lp_bound`` (the LP optimum) and ``gap``, and is
    ``optimal`` when the gap is within ``mip_gap`` (default 1e-4), ``feasible`` otherwise.
    Where no whole-post plan is found in ``time_limit`` the status is
    ``time_limit`` (``infeasible`` where none exists) and no allocation is presented.
    Constraints a researcher added to a Pyomo or PuLP model are not known here: the repair
    keeps the families of §5.

    Parameters
    ----------
    data, spec : the instance's arrays and the model whose objective is minimised.
    result : an optimal LP result (normally tie-broken, §6b).
    instance : the original instance, for the checker (rebuilt from ``data`` if omitted).
    time_limit, mip_gap, threads : for the repair's MIPs.
    bound_time : seconds for the bounding MIP (``None``: :func:`allocator.model.wholeposts.bound_seconds`,
        1 s per 100 cells from 1 s to 5 s; 0: the LP bound only); never beyond ``time_limit``.

    Returns
    -------
    Result
        Whole posts with their objective, ``bound``, ``gap`` and measures, and
        ``rounding = {"method", "lp_objective", "objective", "objective_change",
        "objective_change_pct", "steps", "seconds", "cells_changed", "max_cell_change",
        "violations", "note"}``.
    """
    from allocator.model.wholeposts import bound_seconds, repair, tighten

    if result.allocation is None or not len(result.allocation):
        raise ValueError(f"cannot round a result without an allocation (status {result.status})")
    x_lp = result.posts_array(data)
    lp_objective = result.objective if result.objective is not None else objective_of(data, spec, x_lp)
    t0 = time.perf_counter()
    wp = repair(data, spec, x_lp, lp_objective, time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    seconds = bound_seconds(data) if bound_time is None else bound_time
    if time_limit is not None:
        seconds = min(seconds, max(0.0, time_limit - wp.seconds))
    wp = tighten(data, spec, wp, lp_objective, seconds=seconds, mip_gap=mip_gap, threads=threads)
    res = whole_result(data, spec, result, wp, lp_objective, x_lp, instance=instance)
    res.timings["whole_posts"] = time.perf_counter() - t0  # repair, the MIP bound, measures and the checker
    return res


def whole_result(data, spec, result: Result, wp, lp_objective: float, x_lp=None, *, instance=None) -> Result:
    """A :class:`Result` from a whole-post answer ``wp`` (:class:`allocator.model.wholeposts.WholePosts`),
    re-checked by the independent checker: a plan that broke any limit would be reported as an
    ``error`` with no allocation, never as a solution."""
    record = {
        "method": wp.kind,
        "lp_objective": float(lp_objective),
        "objective": wp.objective,
        "objective_change": None if wp.objective is None else float(wp.objective - lp_objective),
        "objective_change_pct": (
            None
            if wp.objective is None or not lp_objective
            else float(100.0 * (wp.objective - lp_objective) / abs(lp_objective))
        ),
        "steps": wp.steps_dicts(),
        "seconds": wp.seconds,
        "bound_seconds": wp.bound_seconds,
        "note": ROUNDING_NOTE,
    }
    base = dataclasses.replace(
        result,
        status=wp.status,
        objective=wp.objective,
        mip_gap=wp.gap,
        best_bound=wp.bound,
        bound_source=wp.bound_source,
        lp_bound=float(lp_objective),
        binding=result.binding.copy(),
        tie_break="none",
        solve_seconds=result.solve_seconds + wp.seconds,
        rounding=record,
        timings={**result.timings, "whole_posts": wp.seconds},  # a copy: the LP result keeps its own
    )
    if wp.x is None:
        base.allocation = base.allocation.iloc[0:0]
        base.kpis = base.kpis.iloc[0:0]
        workforce.attach(base, data, None)
        base.message = f"no whole-post plan that keeps every limit ({wp.status})"
        return base
    x = wp.x
    allocation = _allocation_of(data, x, result.allocation)
    base.allocation = allocation
    base.kpis = measures.kpis(data, x)
    workforce.attach(base, data, x, spec.objective)
    base.message = (result.message + "; " if result.message else "") + f"whole posts ({wp.kind})"
    if x_lp is not None:
        record["cells_changed"] = int((np.abs(x - x_lp) > SNAP).sum())
        record["max_cell_change"] = float(np.abs(x - x_lp).max()) if x.size else 0.0
    report = check(instance if instance is not None else instance_of(data), base, model=spec)
    record["violations"] = [v.to_dict() for v in report.violations]
    if report.violations:  # never present a plan that breaks a limit as a solution
        base.status = "error"
        base.message = f"the whole-post plan broke {len(report.violations)} constraint(s): not reported"
        base.allocation = base.allocation.iloc[0:0]
        base.kpis = base.kpis.iloc[0:0]
        workforce.attach(base, data, None)
    return base


def _allocation_of(data: ProblemData, x: np.ndarray, like: pd.DataFrame) -> pd.DataFrame:
    """The long allocation table of posts ``x``, in the row order of ``like``, with the targets
    the posts imply (§3 v2)."""
    allocation = like.copy()
    index = pd.MultiIndex.from_frame(allocation[["region", "specialty", "year"]])
    full = pd.MultiIndex.from_product([data.regions, data.specialties, data.years])
    allocation["posts"] = pd.Series(x.reshape(-1), index=full).reindex(index).to_numpy()
    allocation["target"] = pd.Series(data.target_of(x).reshape(-1), index=full).reindex(index).to_numpy()
    return allocation
