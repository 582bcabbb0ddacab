"""Pre-solve checks: infeasibility proofs from the data alone (bounds, rates, whole posts) that
solve runs before building a model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from allocator.core.data import ProblemData
from allocator.core.families import DEFINITIONS, FAMILIES, words  # noqa: F401 - DEFINITIONS re-exported
from allocator.core.pacing import effective_limits
from allocator.model.findings import Finding, finding
from allocator.model.presolve_pacing import pacing_findings

TOL = 1e-7

#: What a policy team would rather relax, as ``(family, penalty per unit of violation, why)``,
#: read from the family table (core/families.py). HiGHS's feasibility relaxation minimises the
#: weighted sum of violations, so a family with a higher penalty is relaxed last; ``None`` is
#: never relaxed (a definition, not a policy). A ``min_posts`` can be relaxed only where it is
#: > 0; the bound 0 of every variable never.
RELAXATION_PENALTIES: tuple[tuple[str, float | None, str], ...] = tuple((f.name, f.penalty, f.why) for f in FAMILIES)

#: ``{family: penalty}`` of :data:`RELAXATION_PENALTIES` (-1 = never relaxed, HiGHS's convention).
PENALTY = {f: (-1.0 if p is None else p) for f, p, _ in RELAXATION_PENALTIES}

#: The IIS runs only on models up to this many columns, and for at most this many seconds.
IIS_MAX_COLUMNS = 200_000
IIS_TIME_LIMIT = 20.0


def make_finding(constraint: str, message: str, relax_by: float | None = None, *, kind: str, **where) -> Finding:
    """A :class:`~allocator.model.findings.Finding` (kept for callers of the older name)."""
    return finding(constraint, message, kind, relax_by, **where)


def pct_text(rate: float) -> str:
    return f"{100 * rate:.3g}%"


def effective_bounds(d: ProblemData) -> tuple[np.ndarray, np.ndarray]:
    """(R, S, Y) bounds on x from capacity and locks together (a lock fixes both)."""
    lo, hi = d.min_posts.copy(), d.max_posts.copy()
    locked = d.locked
    lo[locked] = d.lock[locked]
    hi[locked] = d.lock[locked]
    return lo, hi


def max_loss(d: ProblemData, prev: np.ndarray, t: int = 0) -> np.ndarray:
    """(R, S) the most posts a cell holding ``prev`` (R, S) may lose in a year: the tighter of
    ``max_shrink_rate · prev + shrink_allowance`` and ``prev / programme_years`` (when they
    apply in planning year ``t``; none before a phase, §5b), and never more than ``prev``."""
    loss = prev.astype(float, copy=True)
    lim = effective_limits(d)  # §5b: the limits of each specialty in year t, and its phase
    rate = lim.shrink_rate[:, t]
    loss = np.where(np.isnan(rate), loss, np.minimum(loss, rate * prev + lim.shrink_allowance[:, t]))
    loss = np.where(lim.programme[:, t], np.minimum(loss, prev / d.programme_years[None, :]), loss)
    if d.pacing is not None:
        loss = np.where(d.pacing.phased[:, t], 0.0, loss)
    return loss


def reachable_bounds(d: ProblemData) -> tuple[np.ndarray, np.ndarray]:
    """(R, S, Y) bounds on x implied by capacity, locks and the growth and shrink limits.

    ``U_t = min(max_t, (1 + g) · U_{t−1} + growth_allowance)`` and
    ``L_t = max(min_t, L_{t−1} − loss(L_{t−1}))``, from ``U_0 = L_0 = baseline``, where
    ``loss`` is :func:`max_loss`: the tighter of ``max_shrink_rate · x + shrink_allowance``
    and ``x / programme_years`` (when applicable).
    """
    lo, hi = effective_bounds(d)
    R, S, Y = d.shape
    L, U = np.empty((R, S, Y)), np.empty((R, S, Y))
    prev_l = prev_u = d.baseline
    lim = effective_limits(d)  # §5b: each specialty's own limits
    for t in range(Y):
        g = lim.growth_rate[:, t]
        grow = np.where(np.isnan(g), np.inf, prev_u * (1 + np.nan_to_num(g)) + lim.growth_allowance[:, t])
        U[:, :, t] = np.minimum(hi[:, :, t], grow)
        L[:, :, t] = np.maximum(lo[:, :, t], prev_l - max_loss(d, prev_l, t))
        prev_l, prev_u = L[:, :, t], U[:, :, t]
    return L, U


def _shrink_family(d: ProblemData, s: int) -> str:
    """``programme_shrink`` where the programme length is what limits shrinking, else ``shrink_limit``."""
    if d.shrink_by_programme_length and (
        d.max_shrink_rate is None or 1.0 / d.programme_years[s] < d.max_shrink_rate - 1e-12
    ):
        return "programme_shrink"
    return "shrink_limit"


def current_rate(d: ProblemData, family: str, s: int, t: int | None = None) -> float | None:
    """The rate of a rate-type family; in planning year ``t``, specialty s's own (§5b)."""
    if family in ("growth_limit", "shrink_limit") and t is not None and d.pacing is not None:
        lim = effective_limits(d)
        rate = (lim.growth_rate if family == "growth_limit" else lim.shrink_rate)[s, t]
        return None if np.isnan(rate) else float(rate)
    if family == "growth_limit":
        return d.max_growth_rate
    if family == "shrink_limit":
        return d.max_shrink_rate
    if family == "programme_shrink":
        return 1.0 / d.programme_years[s]
    if family == "region_net_loss":
        return d.max_region_net_loss_rate
    return None


def _with_rate(d: ProblemData, family: str, s: int, rate: float) -> ProblemData:
    if family == "growth_limit":
        return dataclasses.replace(d, max_growth_rate=rate)
    if family == "shrink_limit":
        return dataclasses.replace(d, max_shrink_rate=rate)
    years = d.programme_years.copy()
    years[s] = 1.0 / rate if rate > 0 else np.inf
    return dataclasses.replace(d, programme_years=years)


def needed_rate(d: ProblemData, family: str, s: int, ok) -> float | None:
    """The smallest rate of a growth or shrink family for which ``ok(L, U)`` holds.

    ``ok`` receives the :func:`reachable_bounds` of the instance with that one rate changed
    (``max_growth_rate``, ``max_shrink_rate``, or ``1/programme_years[s]``); the rate is found
    by bisection (reachable bounds are monotone in it). ``None`` if no rate would do (a
    shrink rate above 1, a growth rate above 10⁶, or another limit in the way).
    """
    now = current_rate(d, family, s) or 0.0
    if family == "growth_limit":
        hi = max(2 * now, 1.0)
        while not ok(*reachable_bounds(_with_rate(d, family, s, hi))):
            hi *= 4
            if hi > 1e6:
                return None
    else:
        hi = 1.0
        if not ok(*reachable_bounds(_with_rate(d, family, s, hi))):
            return None
    lo = now
    for _ in range(60):
        mid = (lo + hi) / 2
        if ok(*reachable_bounds(_with_rate(d, family, s, mid))):
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-12 * max(1.0, hi):
            break
    return hi


def rate_words(family: str, now: float | None, needed: float | None) -> str:
    """', or a growth rate of 200% instead of 10%' (empty when unknown)."""
    if needed is None or now is None:
        return ""
    what = words(family).rate
    extra = ""
    if family == "programme_shrink" and needed > 0:
        extra = f" (programmes of at most {1 / needed:.3g} years)"
    return f"{what} {pct_text(needed)} instead of {pct_text(now)}{extra}"


def whole_post_findings(d: ProblemData) -> list[Finding]:
    """Integer mode only: national totals and locks must be whole numbers, and each capacity
    interval must contain one."""
    out: list[Finding] = []
    ranged = d.ranged
    no_whole = ranged & (np.ceil(d.national_min - TOL) > np.floor(d.national_max + TOL))
    for s, t in zip(*np.nonzero(no_whole), strict=True):
        lo, hi = d.national_min[s, t], d.national_max[s, t]
        out.append(
            make_finding(
                "national_total",
                f"{d.specialties[s]} must have between {lo:g} and {hi:g} posts nationally in {d.years[t]}: "
                "no whole number lies between them, so no allocation in whole posts can meet it.",
                np.ceil(lo) - hi,
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up",
                bound="max_posts",
                kind="no_whole_number",
            )
        )
    fractional = ~ranged & (np.abs(d.national - np.round(d.national)) > TOL)
    for s, t in zip(*np.nonzero(fractional), strict=True):
        n = d.national[s, t]
        out.append(
            make_finding(
                "national_total",
                f"{d.specialties[s]} has {n:g} posts nationally in {d.years[t]}, not a whole number, so no "
                f"allocation in whole posts can meet it: round it to {np.floor(n):g} or {np.ceil(n):g}.",
                abs(n - np.round(n)),
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up" if np.round(n) > n else "down",
                kind="not_whole",
            )
        )
    frac = d.locked & (np.abs(d.lock - np.round(np.nan_to_num(d.lock))) > TOL)
    for r, s, t in zip(*np.nonzero(frac), strict=True):
        v = d.lock[r, s, t]
        out.append(
            make_finding(
                "lock",
                f"{d.regions[r]} {d.specialties[s]} is locked at {v:g} posts in {d.years[t]}, "
                "not a whole number: lock a whole number of posts.",
                abs(v - np.round(v)),
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up" if np.round(v) > v else "down",
                bound="lock",
                kind="not_whole",
            )
        )
    empty = ~d.locked & (np.ceil(d.min_posts - TOL) > np.floor(d.max_posts + TOL))
    for r, s, t in zip(*np.nonzero(empty), strict=True):
        out.append(
            make_finding(
                "capacity",
                f"{d.regions[r]} {d.specialties[s]} in {d.years[t]} must hold between {d.min_posts[r, s, t]:g} "
                f"and {d.max_posts[r, s, t]:g} posts: no whole number lies between them.",
                np.ceil(d.min_posts[r, s, t]) - d.max_posts[r, s, t],
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up",
                bound="max_posts",
                kind="no_whole_number",
            )
        )
    return out


def _range_findings(d: ProblemData, s: int, t: int, top: float, bottom: float, what: str) -> list[Finding]:
    """A ranged national total (v2) out of reach: ``top`` (the most the regions may hold) below
    its minimum, or ``bottom`` (the least they must hold) above its maximum."""
    lo, hi = d.national_min[s, t], d.national_max[s, t]
    where = {"specialty": d.specialties[s], "year": d.years[t]}
    if top < lo - TOL:
        return [
            make_finding(
                "national_total",
                f"{d.specialties[s]} needs at least {lo:g} posts nationally in {d.years[t]} (min_posts of its "
                f"range), but {what} allow at most {top:g} across all regions: raise max_posts by {lo - top:g} "
                "in total, or lower the range's min_posts.",
                lo - top,
                **where,
                direction="down",
                bound="min_posts",
                kind="out_of_reach",
            )
        ]
    if bottom > hi + TOL:
        return [
            make_finding(
                "national_total",
                f"{d.specialties[s]} may have at most {hi:g} posts nationally in {d.years[t]} (max_posts of its "
                f"range), but {what} need at least {bottom:g}: lower min_posts by {bottom - hi:g} in total, "
                "or raise the range's max_posts.",
                bottom - hi,
                **where,
                direction="up",
                bound="max_posts",
                kind="out_of_reach",
            )
        ]
    return []


def presolve_findings(d: ProblemData, integer: bool = False) -> list[Finding]:
    """Cheap checks that prove infeasibility before any model is built (empty if none).

    With ``integer`` true, the whole-post checks of :func:`whole_post_findings` come first.
    """
    out: list[Finding] = whole_post_findings(d) if integer else []
    if out:
        return out
    R, S, Y = d.shape
    lo, hi = effective_bounds(d)

    for r, s, t in zip(
        *np.nonzero(d.locked & ((d.lock < d.min_posts - TOL) | (d.lock > d.max_posts + TOL))), strict=True
    ):
        v, mn, mx = d.lock[r, s, t], d.min_posts[r, s, t], d.max_posts[r, s, t]
        bound, by = ("max_posts", v - mx) if v > mx else ("min_posts", mn - v)
        out.append(
            make_finding(
                "lock",
                f"{d.regions[r]} {d.specialties[s]} is locked at {v:g} posts in {d.years[t]}, "
                f"outside its capacity {mn:g}–{mx:g}: change the lock or the {bound} by {by:g}.",
                by,
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
                direction="down" if v > mx else "up",
                bound="lock",
                kind="lock_outside_capacity",
            )
        )
    if out:
        return out

    for s in range(S):
        for t in range(Y):
            top, bottom = hi[:, s, t].sum(), lo[:, s, t].sum()
            if d.ranged[s, t]:
                out += _range_findings(d, s, t, top, bottom, "capacity and locks")
                continue
            n = d.national[s, t]
            if top < n - TOL:
                out.append(
                    make_finding(
                        "national_total",
                        f"{d.specialties[s]} needs {n:g} posts nationally in {d.years[t]}, but capacity and "
                        f"locks allow at most {top:g} across all regions: raise max_posts by {n - top:g} "
                        f"in total, or lower the national total.",
                        n - top,
                        specialty=d.specialties[s],
                        year=d.years[t],
                        direction="down",
                        kind="out_of_reach",
                    )
                )
            elif bottom > n + TOL:
                out.append(
                    make_finding(
                        "national_total",
                        f"{d.specialties[s]} has {n:g} posts nationally in {d.years[t]}, but minimum "
                        f"capacity and locks need at least {bottom:g}: lower min_posts by {bottom - n:g} "
                        f"in total, or raise the national total.",
                        bottom - n,
                        specialty=d.specialties[s],
                        year=d.years[t],
                        direction="up",
                        kind="out_of_reach",
                    )
                )
    for t in np.flatnonzero(~np.isnan(d.budget)):
        cheapest = (d.cost * lo[:, :, t]).sum()
        if cheapest > d.budget[t] + TOL:
            out.append(
                make_finding(
                    "budget",
                    f"the {d.years[t]} budget of {d.budget[t]:g} is below {cheapest:g}, the cost of the "
                    f"minimum posts and locks alone: raise it by {cheapest - d.budget[t]:g}.",
                    cheapest - d.budget[t],
                    year=d.years[t],
                    direction="up",
                    kind="out_of_reach",
                )
            )
    if d.max_national_moves is not None:
        # the least fall of each national total (a range falls from its least to its most)
        before = np.concatenate([d.baseline.sum(axis=0)[:, None], d.national_min[:, :-1]], axis=1)
        fall = np.maximum(0.0, before - d.national_max).sum(axis=0)
        for t in np.flatnonzero(fall > d.max_national_moves + TOL):
            out.append(
                make_finding(
                    "national_moves",
                    f"national totals fall by {fall[t]:g} posts in {d.years[t]}, but at most "
                    f"{d.max_national_moves:g} posts may move in a year: raise max_national_moves to "
                    f"{fall[t]:g} or slow the reduction.",
                    fall[t] - d.max_national_moves,
                    year=d.years[t],
                    direction="up",
                    kind="out_of_reach",
                )
            )
    if out:
        return out

    L, U = reachable_bounds(d)
    for n_found, (r, s, t) in enumerate(zip(*np.nonzero(L > U + TOL), strict=True)):
        family = "growth_limit" if U[r, s, t] < hi[r, s, t] else _shrink_family(d, s)
        if family != "growth_limit" and d.pacing is not None and d.pacing.phased[s, t]:
            family = "phase"  # §5b: no loss at all before the phase
        amount = L[r, s, t] - U[r, s, t]
        now = current_rate(d, family, s)
        need = None
        if n_found < 20 and family != "phase":  # bisection per finding: bounded work on instances with many findings
            need = needed_rate(d, family, s, lambda L2, U2, r=r, s=s, t=t: L2[r, s, t] <= U2[r, s, t])
        if family == "growth_limit":
            fix = f"allow {amount:g} more posts of growth (growth_allowance)"
        elif family == "shrink_limit":
            fix = f"allow {amount:g} more posts of reduction (shrink_allowance)"
        elif family == "phase":
            fix = f"start the phase of {d.specialties[s]} by {d.years[t]} (it starts in {d.pacing.phase_year[s]})"
        else:
            fix = f"allow {amount:g} more posts of reduction"
        rate = rate_words(family, now, need)
        out.append(
            make_finding(
                family,
                f"{d.regions[r]} {d.specialties[s]} in {d.years[t]} must hold at least {L[r, s, t]:g} posts "
                f"but can hold at most {U[r, s, t]:g} given its capacity, locks and the growth and "
                f"shrink limits from {d.baseline[r, s]:g} baseline posts: {fix}"
                + (f", or {rate}" if rate else "")
                + ".",
                amount,
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up",
                rate=now,
                needed_rate=need,
                kind="unreachable",
            )
        )
    if out:
        return out
    out = pacing_findings(d, L, U, needed_rate)  # §5b: floors out of reach, phases a falling total breaks
    if out:
        return out
    for s in range(S):
        for t in range(Y):
            n, top, bottom = d.national[s, t], U[:, s, t].sum(), L[:, s, t].sum()
            if d.ranged[s, t]:  # v2: the range's minimum must be reachable, its maximum not undercut
                n_low, n_high = d.national_min[s, t], d.national_max[s, t]
            else:
                n_low = n_high = n
            if top < n_low - TOL:
                n = n_low
                family, amount = "growth_limit", n - top
                need = needed_rate(d, family, s, lambda L2, U2, s=s, t=t, n=n: U2[:, s, t].sum() >= n)
                words = (
                    f"{d.specialties[s]} needs {'at least ' if d.ranged[s, t] else ''}{n:g} posts nationally "
                    f"in {d.years[t]}, but the growth limits "
                    f"(with capacity) let regions reach at most {top:g}: allow {amount:g} more posts of growth"
                )
                tail = "grow the national total more slowly"
            elif bottom > n_high + TOL:
                n = n_high
                family, amount = _shrink_family(d, s), bottom - n
                need = needed_rate(d, family, s, lambda L2, U2, s=s, t=t, n=n: L2[:, s, t].sum() <= n)
                words = (
                    f"{d.specialties[s]} has {'at most ' if d.ranged[s, t] else ''}{n:g} posts nationally "
                    f"in {d.years[t]}, but the shrink limits "
                    f"keep at least {bottom:g} in regions: allow {amount:g} more posts of reduction"
                    + (" (shrink_allowance)" if family == "shrink_limit" else "")
                )
                tail = "reduce the national total more slowly"
            else:
                continue
            now = current_rate(d, family, s)
            rate = rate_words(family, now, need)
            out.append(
                make_finding(
                    family,
                    words + (f" ({rate})" if rate else "") + f", or {tail}.",
                    amount,
                    specialty=d.specialties[s],
                    year=d.years[t],
                    direction="up",
                    rate=now,
                    needed_rate=need,
                    kind="unreachable",
                )
            )
    return out
