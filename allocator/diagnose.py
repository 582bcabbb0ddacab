"""Why an instance is infeasible, in words a policy analyst can act on (FORMULATION §2, §9).

Three tools, used together by :func:`diagnose`:

1. :func:`presolve_findings`: cheap checks on the data before any model is built: locks
   outside capacity, national totals out of reach of capacity and locks, budgets below the
   cheapest allowed allocation, national totals falling faster than ``max_national_moves``,
   and targets out of reach of the growth and shrink limits (bounds propagated year by year).
2. :func:`relaxation_findings`: if the solver still finds the instance infeasible, HiGHS's
   feasibility relaxation finds the smallest weighted violation of the constraints (weights
   in :data:`RELAXATION_PENALTIES`); every violated row or bound is named by its §5 family
   and its region, specialty and year, with the relaxation that would make the instance
   solve, and for rate limits the rate that would be needed.
3. :func:`iis_findings`: HiGHS's irreducible infeasible subset (IIS): a set of constraints
   and bounds that cannot all hold, but any one of which could be dropped and the rest
   would hold. Every member is named by its family, its index (region / specialty / year)
   and its numbers. The relaxation says *how much* to relax; the IIS says *which* rules
   collide.

A finding is a dict ``{constraint, region?, specialty?, year?, message, relax_by?,
direction?, bound?, rate?, needed_rate?}``: ``relax_by`` is the amount by which to move the
named constraint's bound, ``direction`` (``"up"``/``"down"``) which way, ``bound`` which
instance field that is where it is ambiguous (``max_posts``, ``min_posts``, ``lock``), and
for rate-type limits ``rate`` (now) and ``needed_rate`` (enough for this finding).

A conflict member is a dict ``{constraint, name, kind, index, region?, specialty?, year?,
bound, value, message}``: ``name`` is ``family[keys]`` (e.g. ``region_net_loss[north,2025]``),
``kind`` ``"row"`` or ``"column"`` and ``index`` its row or column in the HiGHS model,
``bound`` the side in conflict (``"upper"``, ``"lower"`` or ``"both"``) and ``value`` that
bound's number.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .data import ProblemData
from .measures import previous
from .result import _num

TOL = 1e-7

#: What a policy team would rather relax, as ``(family, penalty per unit of violation, why)``.
#: HiGHS's feasibility relaxation minimises the weighted sum of violations, so a family with
#: a higher penalty is relaxed last; ``None`` is never relaxed (a definition, not a policy).
#: A ``min_posts`` can be relaxed only where it is > 0; the bound 0 of every variable never.
RELAXATION_PENALTIES: tuple[tuple[str, float | None, str], ...] = (
    (
        "national_total",
        100.0,
        "set by national commissioning and funding; a regional plan cannot change it, so relaxed last",
    ),
    ("lock", 20.0, "a dean's decision already taken (posts recruited, contracts signed): costly to reopen"),
    ("budget", 5.0, "money can be found, but needs a finance sign-off"),
    ("capacity", 1.0, "supervisors and placements: can be expanded or trimmed locally"),
    ("growth_limit", 1.0, "pace of change, a policy choice"),
    ("shrink_limit", 1.0, "pace of change, a policy choice"),
    ("programme_shrink", 1.0, "pace of change tied to programme length, a policy choice"),
    ("region_net_loss", 1.0, "pace of change for a region, a policy choice"),
    ("national_moves", 1.0, "pace of change nationally, a policy choice"),
    ("flow", None, "definition of posts gained and lost"),
    ("target_gap", None, "definition of shortfall and surplus"),
    ("worst_shortfall", None, "definition of the worst shortfall z"),
)

#: ``{family: penalty}`` of :data:`RELAXATION_PENALTIES` (-1 = never relaxed, HiGHS's convention).
PENALTY = {f: (-1.0 if p is None else p) for f, p, _ in RELAXATION_PENALTIES}

#: Families that only define auxiliary variables: reported in a conflict, never as the cause.
DEFINITIONS = ("flow", "target_gap", "worst_shortfall", "nonnegativity")

#: The IIS runs only on models up to this many columns, and for at most this many seconds.
IIS_MAX_COLUMNS = 200_000
IIS_TIME_LIMIT = 20.0


def _finding(constraint: str, message: str, relax_by: float | None = None, **where) -> dict:
    extra = {k: where.pop(k) for k in ("direction", "bound", "rate", "needed_rate") if k in where}
    rec = {"constraint": constraint, **{k: v for k, v in where.items() if v is not None}}
    rec["message"] = message
    if relax_by is not None:
        rec["relax_by"] = float(relax_by)
    for k, v in extra.items():
        if v is not None:
            rec[k] = float(v) if isinstance(v, (int, float, np.floating)) else v
    return rec


def _pct(rate: float) -> str:
    return f"{100 * rate:.3g}%"


def effective_bounds(d: ProblemData) -> tuple[np.ndarray, np.ndarray]:
    """(R, S, Y) bounds on x from capacity and locks together (a lock fixes both)."""
    lo, hi = d.min_posts.copy(), d.max_posts.copy()
    locked = d.locked
    lo[locked] = d.lock[locked]
    hi[locked] = d.lock[locked]
    return lo, hi


def max_loss(d: ProblemData, prev: np.ndarray) -> np.ndarray:
    """(R, S) the most posts a cell holding ``prev`` (R, S) may lose in a year: the tighter of
    ``max_shrink_rate · prev + shrink_allowance`` and ``prev / programme_years`` (when they
    apply), and never more than ``prev``."""
    loss = prev.astype(float, copy=True)
    if d.max_shrink_rate is not None:
        loss = np.minimum(loss, d.max_shrink_rate * prev + d.shrink_allowance)
    if d.shrink_by_programme_length:
        loss = np.minimum(loss, prev / d.programme_years[None, :])
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
    for t in range(Y):
        grow = prev_u * (1 + d.max_growth_rate) + d.growth_allowance if d.max_growth_rate is not None else np.inf
        U[:, :, t] = np.minimum(hi[:, :, t], grow)
        L[:, :, t] = np.maximum(lo[:, :, t], prev_l - max_loss(d, prev_l))
        prev_l, prev_u = L[:, :, t], U[:, :, t]
    return L, U


def _shrink_family(d: ProblemData, s: int) -> str:
    """``programme_shrink`` where the programme length is what limits shrinking, else ``shrink_limit``."""
    if d.shrink_by_programme_length and (
        d.max_shrink_rate is None or 1.0 / d.programme_years[s] < d.max_shrink_rate - 1e-12
    ):
        return "programme_shrink"
    return "shrink_limit"


def _current_rate(d: ProblemData, family: str, s: int) -> float | None:
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
    now = _current_rate(d, family, s) or 0.0
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


def _rate_words(family: str, now: float | None, needed: float | None) -> str:
    """', or a growth rate of 200% instead of 10%' (empty when unknown)."""
    if needed is None or now is None:
        return ""
    what = {
        "growth_limit": "a growth rate of",
        "shrink_limit": "a shrink rate of",
        "programme_shrink": "a programme shrink of",
        "region_net_loss": "a regional net-loss limit of",
    }[family]
    extra = ""
    if family == "programme_shrink" and needed > 0:
        extra = f" (programmes of at most {1 / needed:.3g} years)"
    return f"{what} {_pct(needed)} instead of {_pct(now)}{extra}"


def whole_post_findings(d: ProblemData) -> list[dict]:
    """Integer mode only: national totals and locks must be whole numbers, and each capacity
    interval must contain one."""
    out: list[dict] = []
    ranged = d.ranged
    no_whole = ranged & (np.ceil(d.national_min - TOL) > np.floor(d.national_max + TOL))
    for s, t in zip(*np.nonzero(no_whole), strict=True):
        lo, hi = d.national_min[s, t], d.national_max[s, t]
        out.append(
            _finding(
                "national_total",
                f"{d.specialties[s]} must have between {lo:g} and {hi:g} posts nationally in {d.years[t]}: "
                "no whole number lies between them, so no allocation in whole posts can meet it.",
                np.ceil(lo) - hi,
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up",
                bound="max_posts",
            )
        )
    fractional = ~ranged & (np.abs(d.national - np.round(d.national)) > TOL)
    for s, t in zip(*np.nonzero(fractional), strict=True):
        n = d.national[s, t]
        out.append(
            _finding(
                "national_total",
                f"{d.specialties[s]} has {n:g} posts nationally in {d.years[t]}, not a whole number, so no "
                f"allocation in whole posts can meet it: round it to {np.floor(n):g} or {np.ceil(n):g}.",
                abs(n - np.round(n)),
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up" if np.round(n) > n else "down",
            )
        )
    frac = d.locked & (np.abs(d.lock - np.round(np.nan_to_num(d.lock))) > TOL)
    for r, s, t in zip(*np.nonzero(frac), strict=True):
        v = d.lock[r, s, t]
        out.append(
            _finding(
                "lock",
                f"{d.regions[r]} {d.specialties[s]} is locked at {v:g} posts in {d.years[t]}, "
                "not a whole number: lock a whole number of posts.",
                abs(v - np.round(v)),
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up" if np.round(v) > v else "down",
                bound="lock",
            )
        )
    empty = ~d.locked & (np.ceil(d.min_posts - TOL) > np.floor(d.max_posts + TOL))
    for r, s, t in zip(*np.nonzero(empty), strict=True):
        out.append(
            _finding(
                "capacity",
                f"{d.regions[r]} {d.specialties[s]} in {d.years[t]} must hold between {d.min_posts[r, s, t]:g} "
                f"and {d.max_posts[r, s, t]:g} posts: no whole number lies between them.",
                np.ceil(d.min_posts[r, s, t]) - d.max_posts[r, s, t],
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up",
                bound="max_posts",
            )
        )
    return out


def _range_findings(d: ProblemData, s: int, t: int, top: float, bottom: float, what: str) -> list[dict]:
    """A ranged national total (v2) out of reach: ``top`` (the most the regions may hold) below
    its minimum, or ``bottom`` (the least they must hold) above its maximum."""
    lo, hi = d.national_min[s, t], d.national_max[s, t]
    where = {"specialty": d.specialties[s], "year": d.years[t]}
    if top < lo - TOL:
        return [
            _finding(
                "national_total",
                f"{d.specialties[s]} needs at least {lo:g} posts nationally in {d.years[t]} (min_posts of its "
                f"range), but {what} allow at most {top:g} across all regions: raise max_posts by {lo - top:g} "
                "in total, or lower the range's min_posts.",
                lo - top,
                **where,
                direction="down",
                bound="min_posts",
            )
        ]
    if bottom > hi + TOL:
        return [
            _finding(
                "national_total",
                f"{d.specialties[s]} may have at most {hi:g} posts nationally in {d.years[t]} (max_posts of its "
                f"range), but {what} need at least {bottom:g}: lower min_posts by {bottom - hi:g} in total, "
                "or raise the range's max_posts.",
                bottom - hi,
                **where,
                direction="up",
                bound="max_posts",
            )
        ]
    return []


def presolve_findings(d: ProblemData, integer: bool = False) -> list[dict]:
    """Cheap checks that prove infeasibility before any model is built (empty if none).

    With ``integer`` true, the whole-post checks of :func:`whole_post_findings` come first.
    """
    out: list[dict] = whole_post_findings(d) if integer else []
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
            _finding(
                "lock",
                f"{d.regions[r]} {d.specialties[s]} is locked at {v:g} posts in {d.years[t]}, "
                f"outside its capacity {mn:g}–{mx:g}: change the lock or the {bound} by {by:g}.",
                by,
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
                direction="down" if v > mx else "up",
                bound="lock",
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
                    _finding(
                        "national_total",
                        f"{d.specialties[s]} needs {n:g} posts nationally in {d.years[t]}, but capacity and "
                        f"locks allow at most {top:g} across all regions: raise max_posts by {n - top:g} "
                        f"in total, or lower the national total.",
                        n - top,
                        specialty=d.specialties[s],
                        year=d.years[t],
                        direction="down",
                    )
                )
            elif bottom > n + TOL:
                out.append(
                    _finding(
                        "national_total",
                        f"{d.specialties[s]} has {n:g} posts nationally in {d.years[t]}, but minimum "
                        f"capacity and locks need at least {bottom:g}: lower min_posts by {bottom - n:g} "
                        f"in total, or raise the national total.",
                        bottom - n,
                        specialty=d.specialties[s],
                        year=d.years[t],
                        direction="up",
                    )
                )
    for t in np.flatnonzero(~np.isnan(d.budget)):
        cheapest = (d.cost * lo[:, :, t]).sum()
        if cheapest > d.budget[t] + TOL:
            out.append(
                _finding(
                    "budget",
                    f"the {d.years[t]} budget of {d.budget[t]:g} is below {cheapest:g}, the cost of the "
                    f"minimum posts and locks alone: raise it by {cheapest - d.budget[t]:g}.",
                    cheapest - d.budget[t],
                    year=d.years[t],
                    direction="up",
                )
            )
    if d.max_national_moves is not None:
        # the least fall of each national total (a range falls from its least to its most)
        before = np.concatenate([d.baseline.sum(axis=0)[:, None], d.national_min[:, :-1]], axis=1)
        fall = np.maximum(0.0, before - d.national_max).sum(axis=0)
        for t in np.flatnonzero(fall > d.max_national_moves + TOL):
            out.append(
                _finding(
                    "national_moves",
                    f"national totals fall by {fall[t]:g} posts in {d.years[t]}, but at most "
                    f"{d.max_national_moves:g} posts may move in a year: raise max_national_moves to "
                    f"{fall[t]:g} or slow the reduction.",
                    fall[t] - d.max_national_moves,
                    year=d.years[t],
                    direction="up",
                )
            )
    if out:
        return out

    L, U = reachable_bounds(d)
    for n_found, (r, s, t) in enumerate(zip(*np.nonzero(L > U + TOL), strict=True)):
        family = "growth_limit" if U[r, s, t] < hi[r, s, t] else _shrink_family(d, s)
        amount = L[r, s, t] - U[r, s, t]
        now = _current_rate(d, family, s)
        need = None
        if n_found < 20:  # bisection per finding: bounded work on instances with many findings
            need = needed_rate(d, family, s, lambda L2, U2, r=r, s=s, t=t: L2[r, s, t] <= U2[r, s, t])
        if family == "growth_limit":
            fix = f"allow {amount:g} more posts of growth (growth_allowance)"
        elif family == "shrink_limit":
            fix = f"allow {amount:g} more posts of reduction (shrink_allowance)"
        else:
            fix = f"allow {amount:g} more posts of reduction"
        rate = _rate_words(family, now, need)
        out.append(
            _finding(
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
            )
        )
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
            now = _current_rate(d, family, s)
            rate = _rate_words(family, now, need)
            out.append(
                _finding(
                    family,
                    words + (f" ({rate})" if rate else "") + f", or {tail}.",
                    amount,
                    specialty=d.specialties[s],
                    year=d.years[t],
                    direction="up",
                    rate=now,
                    needed_rate=need,
                )
            )
    return out


# ------------------------------------------------------------------ feasibility relaxation


def relaxation_findings(model) -> list[dict]:
    """The smallest weighted relaxation that makes a built HiGHS model feasible.

    Runs HiGHS's feasibility relaxation on ``model`` (a
    :class:`~allocator.backends.highs.HighsModel`) with the penalties of
    :data:`RELAXATION_PENALTIES` (national totals relaxed last; definitional rows never),
    and names every violated row or bound by its family and region / specialty / year, with
    the amount. For the rate-type limits it also gives the rate that would be needed, with
    last year's posts ``x_prev`` taken from the relaxed solution:

    - ``region_net_loss``: ``rate + amount / Σ_s x_prev[r,s,t]``;
    - ``growth_limit``, ``shrink_limit``: ``rate + amount / x_prev[r,s,t]``;
    - ``programme_shrink``: ``1/programme_years + amount / x_prev[r,s,t]``.
    """
    import highspy

    from .backends.highs import row_ids

    h, d, v = model.highs, model.data, model.columns
    n_rows = h.getNumRow()
    rhs_pen = np.full(n_rows, -1.0)
    for b in model.blocks:
        rhs_pen[b.start : b.start + b.size] = PENALTY[b.name]
    locked = d.locked.ravel()
    # x's bounds come from capacity and locks; the other columns' bound 0 is never relaxed
    upper_pen = np.full(v.n, -1.0)
    upper_pen[: v.K] = np.where(locked, PENALTY["lock"], PENALTY["capacity"])
    lower_pen = np.full(v.n, -1.0)
    has_lower = locked | (d.min_posts.ravel() > 0)
    lower_pen[: v.K][has_lower] = upper_pen[: v.K][has_lower]
    h.setOptionValue("output_flag", False)
    status = h.feasibilityRelaxation(1.0, 1.0, 1.0, lower_pen, upper_pen, rhs_pen)
    if status == highspy.HighsStatus.kError:
        return [_finding("error", "HiGHS could not compute a feasibility relaxation.")]
    sol = h.getSolution()
    lp = h.getLp()
    act = np.asarray(sol.row_value)
    lo_r, hi_r = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    x = np.asarray(sol.col_value)[: v.K]
    prev = previous(d, x.reshape(v.R, v.S, v.Y))
    out: list[dict] = []

    for b in model.blocks:
        sl = slice(b.start, b.start + b.size)
        over = act[sl] - hi_r[sl]
        under = lo_r[sl] - act[sl]
        for i in np.flatnonzero((over > 1e-6) | (under > 1e-6)):
            amount = max(over[i], under[i])
            where = row_ids(d, b.labels, i)
            extra = {"direction": "up" if over[i] > 0 else "down"}
            now = need = None
            if b.name in ("growth_limit", "shrink_limit", "programme_shrink", "region_net_loss"):
                r, t = int(b.labels["region"][i]), int(b.labels["year"][i])
                s = int(b.labels["specialty"][i]) if "specialty" in b.labels else 0
                base = prev[r, :, t].sum() if b.name == "region_net_loss" else prev[r, s, t]
                now = _current_rate(d, b.name, s)
                need = now + amount / base if base > TOL and now is not None else None
                extra.update(rate=now, needed_rate=need)
            words = _relax_words(b.name, where, amount, over[i] > 0, _is_ranged(d, b.name, where))
            rate = _rate_words(b.name, now, need) if need is not None else ""
            out.append(_finding(b.name, words + (f" ({rate})" if rate else ""), amount, **where, **extra))
    clo, chi = np.asarray(lp.col_lower_)[: v.K], np.asarray(lp.col_upper_)[: v.K]
    cells = v.cell_labels()
    for k in np.flatnonzero((x > chi + 1e-6) | (x < clo - 1e-6)):
        up = x[k] > chi[k]
        amount = x[k] - chi[k] if up else clo[k] - x[k]
        where = row_ids(d, cells, k)
        name = "lock" if locked[k] else "capacity"
        bound = chi[k] if up else clo[k]
        words = (
            f"{'raise' if up else 'lower'} the {where['year']} {'lock' if locked[k] else 'cap' if up else 'minimum'} "
            f"for {where['region']} {where['specialty']} from {bound:g} to {bound + amount if up else bound - amount:g}"
        )
        field = "lock" if locked[k] else "max_posts" if up else "min_posts"
        out.append(_finding(name, words, amount, **where, direction="up" if up else "down", bound=field))
    return out


def _is_ranged(d: ProblemData, family: str, where: dict) -> bool:
    """The row is a ``national_total`` whose total is a range (v2)."""
    if family != "national_total":
        return False
    return bool(d.ranged[d.specialties.index(where["specialty"]), d.years.index(where["year"])])


def _relax_words(name: str, where: dict, amount: float, over: bool, ranged: bool = False) -> str:
    """One relaxation in plain words (``ranged``: a national total given as a range, v2)."""
    cell = " ".join(str(where[k]) for k in ("region", "specialty") if k in where)
    year = where.get("year")
    total = f"{'maximum' if over else 'minimum'} of the {year} national range" if ranged else f"{year} national total"
    words = {
        "national_total": f"{'raise' if over else 'lower'} the {total} of {cell} by {amount:g} posts",
        "growth_limit": f"let {cell} grow by {amount:g} more posts in {year} than the growth limit allows",
        "shrink_limit": f"let {cell} shrink by {amount:g} more posts in {year} than the shrink limit allows "
        "(raise shrink_allowance or max_shrink_rate)",
        "programme_shrink": f"let {cell} shrink by {amount:g} more posts in {year} than its programme length allows",
        "region_net_loss": f"allow {cell} to lose {amount:g} more posts in {year} than the regional net-loss limit",
        "national_moves": f"allow {amount:g} more posts to move nationally in {year}",
        "budget": f"raise the {year} budget by {amount:g}",
    }
    return words.get(name, f"relax {name} for {cell} {year} by {amount:g}")


# ------------------------------------------------------------------------ conflict (IIS)

_BOUND = {2: "lower", 3: "upper", 4: "both"}


def _member_name(family: str, where: dict) -> str:
    keys = [str(where[k]) for k in ("region", "specialty", "year") if k in where]
    return f"{family}[{','.join(keys)}]"


def _row_words(d: ProblemData, family: str, where: dict, side: str, value: float, first: bool) -> str:
    """What one IIS row says, with its numbers."""
    r, s, t = where.get("region"), where.get("specialty"), where.get("year")
    cell = " ".join(str(k) for k in (r, s) if k is not None)
    last = "the baseline" if first else f"its {t - 1} posts" if t is not None else "last year's posts"
    if family == "national_total":
        half = {"lower": "at least", "upper": "no more than", "both": "exactly"}[side]
        if d.ranged[d.specialties.index(s), d.years.index(t)]:
            field = "min_posts" if side == "lower" else "max_posts"
            return f"{s} must have {half} {value:g} posts nationally in {t} ({field} of its range)"
        return f"{s} must have exactly {value:g} posts nationally in {t} (it is the '{half}' half that conflicts)"
    if family == "flow":
        return f"definition: {cell} posts in {t} = {last} + posts gained − posts lost"
    if family == "target_gap":
        if d.ranged[d.specialties.index(s), d.years.index(t)]:
            return f"definition: {cell} posts in {t} − fair share of the national total = surplus − shortfall"
        return f"definition: {cell} posts in {t} − fair share {value:g} = surplus − shortfall"
    if family == "worst_shortfall":
        return f"definition: the worst shortfall z is at least the shortfall % of {cell} in {t}"
    if family == "growth_limit":
        rate = _pct(d.max_growth_rate) + (f" + {d.growth_allowance:g}" if d.growth_allowance else "")
        limit = f" ({value:g} posts)" if first else ""
        return f"{cell} may gain at most {rate} of {last} in {t}{limit}"
    if family == "shrink_limit":
        limit = f" ({value:g} posts)" if first else ""
        extra = f" + {d.shrink_allowance:g} posts" if d.shrink_allowance else ""
        return f"{cell} may lose at most {_pct(d.max_shrink_rate)} of {last}{extra} in {t}{limit}"
    if family == "programme_shrink":
        py = d.programme_years[d.specialties.index(s)]
        limit = f" ({value:g} posts)" if first else ""
        return f"{cell} may lose at most 1/{py:g} of {last} in {t}, as a {py:g}-year programme{limit}"
    if family == "region_net_loss":
        limit = f" ({value:g} posts)" if first else ""
        return f"{r} may lose at most {_pct(d.max_region_net_loss_rate)} of {last}, net, in {t}{limit}"
    if family == "national_moves":
        return f"at most {value:g} posts may be lost by regions (moved) in {t}"
    if family == "budget":
        return f"the {t} budget is {value:g}"
    return f"{family} {side} bound {value:g}"


def _row_limit(d: ProblemData, family: str, where: dict, side: str, value: float, first: bool) -> str:
    """The bound of one IIS row in short form: '= 120', '≤ 4.5', '≤ 3% of the 2025 posts'."""
    if family == "national_total" and where.get("year") is not None:
        if d.ranged[d.specialties.index(where["specialty"]), d.years.index(where["year"])]:
            return f"{'≥' if side == 'lower' else '≤'} {value:g}"
    if family in ("national_total", "flow", "target_gap"):
        return f"= {value:g}"
    sym = "≥" if side == "lower" else "≤"
    if first or family in ("national_moves", "budget", "worst_shortfall"):
        return f"{sym} {value:g}"
    t = where.get("year")
    rate = {
        "growth_limit": _pct(d.max_growth_rate or 0.0) + (f" + {d.growth_allowance:g}" if d.growth_allowance else ""),
        "shrink_limit": _pct(d.max_shrink_rate or 0.0) + (f" + {d.shrink_allowance:g}" if d.shrink_allowance else ""),
        "region_net_loss": _pct(d.max_region_net_loss_rate or 0.0),
    }.get(family)
    if family == "programme_shrink":
        rate = f"1/{d.programme_years[d.specialties.index(where['specialty'])]:g}"
    return f"{sym} {rate} of the {t - 1} posts" if rate else f"{sym} {value:g}"


def _iis(model, time_limit: float = IIS_TIME_LIMIT) -> tuple[str, list[dict]]:
    """``(status, members)`` of HiGHS's IIS; status ``irreducible``, ``reducible`` (HiGHS
    stopped before the set was minimal), ``feasible``, ``time_limit`` or ``unavailable``."""
    import highspy

    from .backends.highs import row_ids

    h, d, v = model.highs, model.data, model.columns
    if v.n > IIS_MAX_COLUMNS:
        return "unavailable", []
    h.setOptionValue("output_flag", False)
    # from the elastic LP's candidate set, then HiGHS's deletion filter to make it irreducible
    # (measured: 0.14 s against 9.6 s for the deletion filter on the whole 7×12×5 model)
    strategy = int(highspy.IisStrategy.kIisStrategyFromLp) | int(highspy.IisStrategy.kIisStrategyIrreducible)
    h.setOptionValue("iis_strategy", strategy)
    h.setOptionValue("iis_time_limit", float(time_limit))
    try:
        status, iis = h.getIis()
    except Exception:  # a diagnosis must never fail on the IIS
        return "unavailable", []
    if status == highspy.HighsStatus.kError or not iis.valid_:
        return "unavailable", []
    state = {-1: "feasible", 0: "unavailable", 1: "time_limit", 2: "reducible", 3: "irreducible"}.get(
        int(iis.status_), "unavailable"
    )
    if state not in ("irreducible", "reducible"):  # no IIS, or HiGHS stopped before it had one
        return state, []
    lp = h.getLp()
    lo_r, hi_r = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    lo_c, hi_c = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    starts = np.array([b.start for b in model.blocks])
    locked, capped = d.locked.ravel(), d.has_capacity.ravel()
    out: list[dict] = []
    for k, bs in zip(iis.row_index_, iis.row_bound_, strict=True):
        side = _BOUND.get(int(bs))
        if side is None:
            continue
        k = int(k)
        b = model.blocks[int(np.searchsorted(starts, k, side="right")) - 1]
        i = k - b.start
        where = row_ids(d, b.labels, i)
        value = float(hi_r[k] if side == "upper" else lo_r[k])
        first = where.get("year") == d.years[0]
        out.append(
            {
                "constraint": b.name,
                "name": _member_name(b.name, where),
                "kind": "row",
                "index": k,
                **where,
                "bound": side,
                "equality": bool(lo_r[k] == hi_r[k]),
                "value": _num(value),
                "limit": _row_limit(d, b.name, where, side, value, first),
                "message": _row_words(d, b.name, where, side, value, first),
            }
        )
    var_names = ("posts", "posts gained", "posts lost", "shortfall", "surplus")
    var_codes = ("x", "inc", "dec", "short", "surplus")
    cells = v.cell_labels()
    for j, bs in zip(iis.col_index_, iis.col_bound_, strict=True):
        side = _BOUND.get(int(bs))
        if side is None:  # a column in the IIS whose bounds play no part
            continue
        j = int(j)
        value = float(hi_c[j] if side == "upper" else lo_c[j])
        variable = "z"
        if j == v.z:
            where, family = {}, "nonnegativity"
            msg = "definition: the worst shortfall z cannot be negative"
        else:
            kind, k = divmod(j, v.K)
            where = row_ids(d, cells, k)
            cell = f"{where['region']} {where['specialty']}"
            what, variable = var_names[kind], var_codes[kind]
            if kind == 0:
                family = "lock" if locked[k] else "capacity"
                if locked[k]:
                    msg = f"{cell} is locked at {value:g} posts in {where['year']}"
                elif side == "upper":
                    msg = f"{cell} may hold at most {value:g} posts in {where['year']} (max_posts)"
                elif capped[k] and value > 0:
                    msg = f"{cell} must hold at least {value:g} posts in {where['year']} (min_posts)"
                else:
                    msg = f"{cell} cannot hold fewer than 0 posts in {where['year']}"
            else:
                family = "nonnegativity"
                msg = f"definition: {what} of {cell} in {where['year']} cannot be negative"
        limit = f"{'=' if lo_c[j] == hi_c[j] else '≥' if side == 'lower' else '≤'} {value:g}"
        name = _member_name(family, where)
        if family == "nonnegativity":
            name = f"{variable}{name[len(family) :]} ≥ 0" if where else f"{variable} ≥ 0"
        out.append(
            {
                "constraint": family,
                "name": name,
                "kind": "column",
                "index": j,
                **where,
                "bound": side,
                "equality": bool(lo_c[j] == hi_c[j]),
                "value": _num(value),
                "limit": limit,
                "message": msg,
            }
        )
    return state, out


def iis_findings(model, time_limit: float = IIS_TIME_LIMIT) -> list[dict]:
    """HiGHS's irreducible infeasible subset of a built model, member by member.

    Runs ``Highs.getIis`` (HiGHS 1.15) with ``iis_strategy = kIisStrategyFromLp |
    kIisStrategyIrreducible``: HiGHS first takes the rows and bounds an elastic LP needs to
    violate as candidates, then runs its deletion filter (solving a sequence of LPs, dropping
    each candidate in turn and keeping it only if the rest becomes feasible) until no member
    can be dropped. Only the LP relaxation is analysed; integrality is ignored. The deletion
    filter alone, on the whole model, finds a much larger IIS far more slowly (9.6 s and 473
    members against 0.14 s and 20 on a 7 × 12 × 5 instance). Every row in the IIS is mapped back through
    ``model.blocks`` to its §5 family and region / specialty / year; every column bound of
    ``x`` in it is reported as ``capacity`` (``max_posts``, ``min_posts``, or the bound
    ``x ≥ 0``) or ``lock``; a bound 0 of an auxiliary variable (posts gained or lost,
    shortfall, surplus, z) as ``nonnegativity``. Each member carries the bound in conflict
    and its number (see the module docstring for the keys).

    Returns ``[]`` when the LP is feasible, when HiGHS gives no IIS, or when the model has
    more than :data:`IIS_MAX_COLUMNS` columns. ``model`` is left with the IIS options set;
    build a fresh one to solve.
    """
    return _iis(model, time_limit)[1]


def _presolve_conflict(d: ProblemData, findings: list[dict]) -> list[dict]:
    """A conflict stated from the pre-solve findings where the built LP cannot show one:
    a lock outside capacity (the direct model sets a locked cell's bounds to the lock, so
    its capacity is not in the LP) and fractional totals in integer mode."""
    out: list[dict] = []
    for f in findings:
        where = {k: f[k] for k in ("region", "specialty", "year") if k in f}
        if f["constraint"] == "lock" and "outside its capacity" in f["message"]:
            r, s, t = d.regions.index(f["region"]), d.specialties.index(f["specialty"]), d.years.index(f["year"])
            v, mn, mx = d.lock[r, s, t], d.min_posts[r, s, t], d.max_posts[r, s, t]
            side, bound = ("upper", mx) if v > mx else ("lower", mn)
            cell = f"{f['region']} {f['specialty']}"
            out.append(
                {
                    "constraint": "lock",
                    "name": _member_name("lock", where),
                    "kind": "data",
                    **where,
                    "bound": "both",
                    "equality": True,
                    "value": float(v),
                    "message": f"{cell} is locked at {v:g} posts in {f['year']}",
                }
            )
            words = "at most" if side == "upper" else "at least"
            field = "max_posts" if side == "upper" else "min_posts"
            out.append(
                {
                    "constraint": "capacity",
                    "name": _member_name("capacity", where),
                    "kind": "data",
                    **where,
                    "bound": side,
                    "equality": False,
                    "value": float(bound),
                    "message": f"{cell} may hold {words} {bound:g} posts in {f['year']} ({field})",
                }
            )
        elif "not a whole number" in f["message"] or "no whole number" in f["message"]:
            out.append(
                {
                    "constraint": f["constraint"],
                    "name": _member_name(f["constraint"], where),
                    "kind": "data",
                    **where,
                    "message": f["message"],
                }
            )
            out.append(
                {
                    "constraint": "integrality",
                    "name": "integrality",
                    "kind": "data",
                    "message": "whole posts: every x is an integer",
                }
            )
    return out


def _conflict_words(conflict: list[dict], limit: int = 6) -> str:
    """'A, B and C cannot all hold' for the policy members of a conflict."""
    sym = {"upper": "≤", "lower": "≥", "both": "="}
    policy = [m for m in conflict if m["constraint"] not in DEFINITIONS]
    parts = []
    for m in policy[:limit]:
        if m.get("limit"):
            parts.append(f"{m['name']} {m['limit']}")
        elif m.get("value") is not None:
            parts.append(f"{m['name']} {'=' if m.get('equality') else sym.get(m.get('bound'), '=')} {m['value']:g}")
        else:
            parts.append(m["name"])
    if len(policy) > limit:
        parts.append(f"{len(policy) - limit} more")
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""
    if len(policy) < len(conflict):
        text += " (with the definitions of gains, losses and gaps)"
    return text


def diagnose(d: ProblemData, spec=None, findings: list[dict] | None = None, iis: bool = True) -> dict:
    """The ``diagnosis`` of an infeasible result (FORMULATION §9).

    Uses ``findings`` if given (the pre-solve checks), else builds the HiGHS model and runs
    the feasibility relaxation. With ``iis`` true it also builds the LP once more and asks
    HiGHS for an irreducible infeasible subset (:func:`iis_findings`).

    Returns
    -------
    dict with keys

    - ``summary``: one paragraph naming the stage, the first three findings and the
      conflicting constraints;
    - ``constraints``: the families of the findings;
    - ``findings``: the relaxation (or pre-solve) findings, each with ``relax_by``;
    - ``conflict``: the members of the IIS (or, where the LP cannot show the conflict, the
      members stated by the pre-solve check), by family name and index, with numbers;
    - ``conflict_status``: ``irreducible``, ``reducible``, ``time_limit``, ``feasible``
      (the LP relaxation is feasible: only whole posts conflict), ``pre-solve`` or
      ``unavailable``.
    """
    from .backends.highs import build_model
    from .spec import DEFAULT_MODEL

    spec = spec or DEFAULT_MODEL
    stage = "pre-solve checks"
    presolved = bool(findings)
    if not findings:
        findings = relaxation_findings(build_model(d, spec, integer=False))
        stage = "the smallest relaxation HiGHS finds"
    if not findings:
        findings = [
            _finding(
                "unknown",
                "the LP relaxation is feasible, so the conflict comes from requiring whole posts: "
                "solve without --integer and round the result, or widen capacities to whole-number ranges.",
            )
        ]
    conflict: list[dict] = []
    conflict_status = "unavailable"
    if iis:
        # a fresh model: the one the relaxation ran on would change HiGHS's IIS (measured: 13
        # members instead of 7 on region-net-loss-vs-falling-total); building it takes milliseconds
        try:
            conflict_status, conflict = _iis(build_model(d, spec, integer=False))
        except Exception:  # a diagnosis must never fail on the IIS
            conflict_status, conflict = "unavailable", []
        if not conflict and presolved:
            stated = _presolve_conflict(d, findings)
            if stated:
                conflict, conflict_status = stated, "pre-solve"
    families = sorted({f["constraint"] for f in findings})
    summary = (
        f"'{d.name}' cannot be satisfied ({stage}): "
        + "; ".join(f["message"].rstrip(".") for f in findings[:3])
        + (f"; and {len(findings) - 3} more" if len(findings) > 3 else "")
        + "."
    )
    if conflict:
        source = "HiGHS's irreducible infeasible subset" if conflict_status != "pre-solve" else "pre-solve checks"
        summary += f" These cannot all hold ({source}): {_conflict_words(conflict)}."
    elif conflict_status == "feasible":
        summary += " The LP relaxation is feasible: only the requirement of whole posts conflicts."
    return {
        "summary": summary,
        "constraints": families,
        "findings": findings,
        "conflict": conflict,
        "conflict_status": conflict_status,
    }
