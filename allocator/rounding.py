"""Whole posts from an LP optimum (docs/model.md §6): round, re-measure, re-check.

The LP optimum may hold fractions of a post. :func:`round_result` turns it into whole posts
year by year with :func:`allocator.apportion.round_matrix` on the region × specialty matrix:

* every column keeps its national total ``N[s,t]`` exactly;
* every cell stays within its capacity and lock bounds
  (:func:`allocator.diagnose.effective_bounds`; a lock is both bounds), and ends at the floor
  or the ceiling of its LP value wherever those bounds allow;
* every row keeps its region total, rounded: the year's posts shared among regions by
  largest remainder (Hamilton) on the LP region totals, within what the region's cells
  allow. If no matrix meets both margins, the region totals are dropped for that year and
  the rounding record says so.

The rounded posts are then measured as any solution is: the objective is recomputed from
the posts alone (:func:`objective_of`, the least values of the auxiliary variables), the
measures by :func:`allocator.measures.kpis`, and the independent checker
(:func:`allocator.check.check`) lists every constraint the rounding broke, typically a
transition limit (``growth_limit``, ``shrink_limit``, ``region_net_loss``,
``national_moves``) or a ``budget``.

The rounded allocation is *not* proven optimal among whole-post allocations, nor even
feasible: for that, solve with ``integer=True`` (a MIP). Its status stays ``optimal`` (the
LP it comes from is), and ``result.rounding`` says what the rounding did.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pandas as pd

from . import measures
from .apportion import ApportionmentInfeasible, divisor, round_matrix
from .check import check
from .data import ProblemData
from .diagnose import effective_bounds
from .instance import Instance, validate
from .result import Result
from .spec import ModelSpec

__all__ = ["ROUNDING_NOTE", "instance_of", "objective_of", "round_posts", "round_result"]

# LP values this close to a whole number are taken as that number before rounding.
SNAP = 1e-6

ROUNDING_NOTE = (
    "Whole posts by rounding the LP optimum year by year: every national total is kept exactly and "
    "every cell stays within its capacity and locks, but the rounded allocation is not proven optimal "
    "among whole-post allocations (solve with integer=True for that), and it may break transition "
    "limits or budgets (listed in 'violations'). 'binding' still lists the LP's duals."
)


def objective_of(d: ProblemData, spec: ModelSpec, x: np.ndarray) -> float:
    """The objective of posts ``x`` under ``spec``, at the least auxiliary values.

    ``Σ [a·short + b·surplus + m·(inc + dec) + c_w·c·x] + q·z`` with ``inc = max(0, x − x_prev)``,
    ``dec = max(0, x_prev − x)``, ``short = max(0, T − x)``, ``surplus = max(0, x − T)`` and
    ``z = max over cells with T > 0 of 100·short/T`` (0 if none; counted only when q > 0).

    Parameters
    ----------
    d : ProblemData
        The instance's arrays (targets, baseline, costs).
    spec : ModelSpec
        The objective weights.
    x : numpy.ndarray
        Posts, shape (R, S, Y).

    Returns
    -------
    float
        The objective value.
    """
    w = spec.objective
    prev = measures.previous(d, x)
    moves = np.abs(x - prev).sum()  # inc + dec at their least values
    short = np.maximum(0.0, d.target - x)
    surplus = np.maximum(0.0, x - d.target)
    cost = (d.cost[:, :, None] * x).sum()
    value = w.shortfall * short.sum() + w.surplus * surplus.sum() + w.moves * moves + w.cost * cost
    if w.worst_shortfall > 0:
        pct = np.divide(100.0 * short, d.target, out=np.zeros_like(short), where=d.target > 0)
        value += w.worst_shortfall * (pct.max() if pct.size else 0.0)
    return float(value)


def instance_of(d: ProblemData) -> Instance:
    """An :class:`Instance` equivalent to ``d`` (every default of §2 written out).

    Used to run the independent checker when only the problem data is at hand (e.g. from
    :meth:`allocator.Built.solve`). The checker then recomputes targets from these explicit
    values, so a mistake in the defaults of :mod:`allocator.data` would not show; pass the
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
    data = {
        "schema_version": 1,
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
            {"specialty": sid, "year": year, "posts": float(d.national[s, t])}
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
        ],
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
    return validate(data, source=f"<problem data of {d.name}>")


def _posts_array(d: ProblemData, allocation: pd.DataFrame) -> np.ndarray:
    """The allocation's posts as an (R, S, Y) array in the order of ``d``."""
    index = pd.MultiIndex.from_product([d.regions, d.specialties, d.years], names=["region", "specialty", "year"])
    posts = allocation.set_index(["region", "specialty", "year"])["posts"].astype(float)
    if not posts.index.is_unique:
        raise ValueError("the allocation repeats a region × specialty × year")
    posts = posts.reindex(index)
    missing = posts.index[posts.isna()]
    if len(missing):
        shown = ", ".join("/".join(map(str, k)) for k in missing[:5])
        raise ValueError(f"the allocation has no posts for {len(missing)} cell(s): {shown}")
    return posts.to_numpy().reshape(d.shape)


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


def round_result(data: ProblemData, spec: ModelSpec, result: Result, *, instance: Instance | None = None) -> Result:
    """An LP result rounded to whole posts, re-measured and re-checked.

    Each year's region × specialty matrix is rounded by :func:`round_posts`: national totals
    kept exactly, cells within capacity and locks and at the floor or ceiling of their LP
    value where those allow, region totals kept (rounded) where possible. The objective is
    recomputed from the rounded posts (:func:`objective_of`), the measures too, and the
    independent checker lists the constraints the rounding broke.

    The rounded allocation is **not** proven optimal among whole-post allocations (and may
    break transition limits): its status stays that of ``result`` (``optimal`` for an LP
    optimum), and ``rounding["note"]`` says so. Solve with ``integer=True`` (a MIP) for a
    proven whole-post optimum. Constraints a researcher added to a built model are not
    known here and are not checked.

    Parameters
    ----------
    data : ProblemData
        The instance's arrays.
    spec : ModelSpec
        The model whose objective is recomputed.
    result : Result
        A result with an allocation (normally an optimal LP).
    instance : Instance, optional
        The original instance, for the checker; without it an equivalent one is rebuilt
        from ``data`` (:func:`instance_of`).

    Returns
    -------
    Result
        A copy of ``result`` with whole posts, the recomputed objective and measures, and
        ``rounding = {"method", "lp_objective", "objective", "objective_change",
        "objective_change_pct", "region_totals_kept", "years", "cells_changed",
        "max_cell_change", "violations", "counts", "note"}``; ``violations`` are the checker's
        ``{constraint, region, specialty, year, amount, message}``.

    Raises
    ------
    ValueError
        The result has no allocation, or it does not cover every cell.
    ApportionmentInfeasible
        National totals or locks are not whole numbers, or the bounds leave no whole-post
        allocation (see :func:`round_posts`).
    """
    if result.allocation is None or not len(result.allocation):
        raise ValueError(f"cannot round a result without an allocation (status {result.status})")
    x_lp = _posts_array(data, result.allocation)
    x, years = round_posts(data, x_lp)
    objective = objective_of(data, spec, x)
    lp_objective = result.objective if result.objective is not None else objective_of(data, spec, x_lp)
    change = objective - lp_objective
    allocation = result.allocation.copy()
    index = pd.MultiIndex.from_frame(allocation[["region", "specialty", "year"]])
    rounded = pd.Series(
        x.reshape(-1),
        index=pd.MultiIndex.from_product([data.regions, data.specialties, data.years]),
    )
    allocation["posts"] = rounded.reindex(index).to_numpy()
    methods = sorted({str(y["method"]) for y in years})
    out = dataclasses.replace(
        result,
        objective=objective,
        allocation=allocation,
        kpis=measures.kpis(data, x),
        binding=result.binding.copy(),
        message=(result.message + "; " if result.message else "") + "rounded to whole posts",
    )
    report = check(instance if instance is not None else instance_of(data), out, model=spec)
    violations = [v.to_dict() for v in report.violations]
    out.rounding = {
        "method": methods[0] if len(methods) == 1 else "mixed: " + ", ".join(methods),
        "lp_objective": float(lp_objective),
        "objective": objective,
        "objective_change": float(change),
        "objective_change_pct": float(100.0 * change / abs(lp_objective)) if lp_objective else None,
        "region_totals_kept": all(bool(y["region_totals"]) for y in years),
        "years": years,
        "cells_changed": int((np.abs(x - x_lp) > SNAP).sum()),
        "max_cell_change": float(np.abs(x - x_lp).max()) if x.size else 0.0,
        "violations": violations,
        "counts": dict(Counter(v["constraint"] for v in violations)),
        "note": ROUNDING_NOTE,
    }
    return out
