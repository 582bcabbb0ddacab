"""Why an instance is infeasible, in words a policy analyst can act on (FORMULATION §2, §9).

Two stages:

1. :func:`presolve_findings`: cheap checks on the data before any model is built: locks
   outside capacity, national totals out of reach of capacity and locks, budgets below the
   cheapest allowed allocation, national totals falling faster than ``max_national_moves``,
   and targets out of reach of the growth and shrink limits (bounds propagated year by year).
2. :func:`relaxation_findings`: if the solver still finds the instance infeasible, HiGHS's
   feasibility relaxation finds the smallest weighted violation of the constraints; every
   violated row or bound is named by its §5 family and its region, specialty and year,
   with the relaxation that would make the instance solve.

A finding is a dict ``{constraint, region?, specialty?, year?, message, relax_by}``.
"""

from __future__ import annotations

import numpy as np

from .data import ProblemData

TOL = 1e-7

# What a policy team would rather relax: a higher penalty is relaxed last.
PENALTY = {
    "national_total": 100.0,
    "lock": 20.0,
    "budget": 5.0,
    "capacity": 1.0,
    "growth_limit": 1.0,
    "shrink_limit": 1.0,
    "programme_shrink": 1.0,
    "region_net_loss": 1.0,
    "national_moves": 1.0,
    "worst_shortfall": -1.0,  # a definition, never relaxed
    "flow": -1.0,
    "target_gap": -1.0,
}


def _finding(constraint: str, message: str, relax_by: float | None = None, **where) -> dict:
    rec = {"constraint": constraint, **{k: v for k, v in where.items() if v is not None}}
    rec["message"] = message
    if relax_by is not None:
        rec["relax_by"] = float(relax_by)
    return rec


def effective_bounds(d: ProblemData) -> tuple[np.ndarray, np.ndarray]:
    """(R, S, Y) bounds on x from capacity and locks together (a lock fixes both)."""
    lo, hi = d.min_posts.copy(), d.max_posts.copy()
    locked = d.locked
    lo[locked] = d.lock[locked]
    hi[locked] = d.lock[locked]
    return lo, hi


def reachable_bounds(d: ProblemData) -> tuple[np.ndarray, np.ndarray]:
    """(R, S, Y) bounds on x implied by capacity, locks and the growth and shrink limits.

    ``U_t = min(max_t, (1 + g) · U_{t−1} + allowance)`` and
    ``L_t = max(min_t, (1 − σ) · L_{t−1})``, from ``U_0 = L_0 = baseline``, where ``σ`` is
    the tighter of ``max_shrink_rate`` and ``1 / programme_years`` (when applicable).
    """
    lo, hi = effective_bounds(d)
    R, S, Y = d.shape
    sigma = np.full(S, d.max_shrink_rate if d.max_shrink_rate is not None else 1.0)
    if d.shrink_by_programme_length:
        sigma = np.minimum(sigma, 1.0 / d.programme_years)
    sigma = np.minimum(sigma, 1.0)
    L, U = np.empty((R, S, Y)), np.empty((R, S, Y))
    prev_l = prev_u = d.baseline
    for t in range(Y):
        grow = prev_u * (1 + d.max_growth_rate) + d.growth_allowance if d.max_growth_rate is not None else np.inf
        U[:, :, t] = np.minimum(hi[:, :, t], grow)
        L[:, :, t] = np.maximum(lo[:, :, t], prev_l * (1 - sigma[None, :]))
        prev_l, prev_u = L[:, :, t], U[:, :, t]
    return L, U


def whole_post_findings(d: ProblemData) -> list[dict]:
    """Integer mode only: national totals and locks must be whole numbers, and each capacity
    interval must contain one."""
    out: list[dict] = []
    for s, t in zip(*np.nonzero(np.abs(d.national - np.round(d.national)) > TOL), strict=True):
        n = d.national[s, t]
        out.append(
            _finding(
                "national_total",
                f"{d.specialties[s]} has {n:g} posts nationally in {d.years[t]}, not a whole number, so no "
                f"allocation in whole posts can meet it: round it to {np.floor(n):g} or {np.ceil(n):g}.",
                abs(n - np.round(n)),
                specialty=d.specialties[s],
                year=d.years[t],
            )
        )
    frac = d.locked & (np.abs(d.lock - np.round(np.nan_to_num(d.lock))) > TOL)
    for r, s, t in zip(*np.nonzero(frac), strict=True):
        out.append(
            _finding(
                "lock",
                f"{d.regions[r]} {d.specialties[s]} is locked at {d.lock[r, s, t]:g} posts in {d.years[t]}, "
                "not a whole number: lock a whole number of posts.",
                abs(d.lock[r, s, t] - np.round(d.lock[r, s, t])),
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
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
            )
        )
    return out


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
            )
        )
    if out:
        return out

    for s in range(S):
        for t in range(Y):
            n, top, bottom = d.national[s, t], hi[:, s, t].sum(), lo[:, s, t].sum()
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
                )
            )
    if d.max_national_moves is not None:
        before = np.concatenate([d.baseline.sum(axis=0)[:, None], d.national[:, :-1]], axis=1)
        fall = np.maximum(0.0, before - d.national).sum(axis=0)
        for t in np.flatnonzero(fall > d.max_national_moves + TOL):
            out.append(
                _finding(
                    "national_moves",
                    f"national totals fall by {fall[t]:g} posts in {d.years[t]}, but at most "
                    f"{d.max_national_moves:g} posts may move in a year: raise max_national_moves to "
                    f"{fall[t]:g} or slow the reduction.",
                    fall[t] - d.max_national_moves,
                    year=d.years[t],
                )
            )
    if out:
        return out

    L, U = reachable_bounds(d)
    for r, s, t in zip(*np.nonzero(L > U + TOL), strict=True):
        out.append(
            _finding(
                "growth_limit" if U[r, s, t] < hi[r, s, t] else "shrink_limit",
                f"{d.regions[r]} {d.specialties[s]} in {d.years[t]} must hold at least {L[r, s, t]:g} posts "
                f"but can hold at most {U[r, s, t]:g} given its capacity, locks and the growth and "
                f"shrink limits from {d.baseline[r, s]:g} baseline posts.",
                L[r, s, t] - U[r, s, t],
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
            )
        )
    if out:
        return out
    for s in range(S):
        for t in range(Y):
            n, top, bottom = d.national[s, t], U[:, s, t].sum(), L[:, s, t].sum()
            if top < n - TOL:
                out.append(
                    _finding(
                        "growth_limit",
                        f"{d.specialties[s]} needs {n:g} posts nationally in {d.years[t]}, but the growth limits "
                        f"(with capacity) let regions reach at most {top:g}: allow {n - top:g} more posts of growth, "
                        f"or grow the national total more slowly.",
                        n - top,
                        specialty=d.specialties[s],
                        year=d.years[t],
                    )
                )
            elif bottom > n + TOL:
                out.append(
                    _finding(
                        "shrink_limit",
                        f"{d.specialties[s]} has {n:g} posts nationally in {d.years[t]}, but the shrink limits "
                        f"keep at least {bottom:g} in regions: allow {bottom - n:g} more posts of reduction, "
                        f"or reduce the national total more slowly.",
                        bottom - n,
                        specialty=d.specialties[s],
                        year=d.years[t],
                    )
                )
    return out


def relaxation_findings(model) -> list[dict]:
    """The smallest weighted relaxation that makes a built HiGHS model feasible.

    Runs HiGHS's feasibility relaxation on ``model`` (a
    :class:`~allocator.backends.highs.HighsModel`) with the penalties of :data:`PENALTY`
    (national totals relaxed last; definitional rows never), and names every violated
    row or bound by its family and region / specialty / year, with the amount.
    """
    import highspy

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
    out: list[dict] = []

    def label(labels: dict, i: int) -> dict:
        where = {}
        for key, arr in labels.items():
            j = int(arr[i])
            where[key] = d.regions[j] if key == "region" else d.specialties[j] if key == "specialty" else d.years[j]
        return where

    for b in model.blocks:
        sl = slice(b.start, b.start + b.size)
        over = act[sl] - hi_r[sl]
        under = lo_r[sl] - act[sl]
        for i in np.flatnonzero((over > 1e-6) | (under > 1e-6)):
            amount = max(over[i], under[i])
            where = label(b.labels, i)
            out.append(_finding(b.name, _relax_words(b.name, where, amount, over[i] > 0), amount, **where))
    x = np.asarray(sol.col_value)[: v.K]
    clo, chi = np.asarray(lp.col_lower_)[: v.K], np.asarray(lp.col_upper_)[: v.K]
    for k in np.flatnonzero((x > chi + 1e-6) | (x < clo - 1e-6)):
        up = x[k] > chi[k]
        amount = x[k] - chi[k] if up else clo[k] - x[k]
        where = {"region": d.regions[v.r[k]], "specialty": d.specialties[v.s[k]], "year": d.years[v.t[k]]}
        name = "lock" if locked[k] else "capacity"
        bound = chi[k] if up else clo[k]
        words = (
            f"{'raise' if up else 'lower'} the {where['year']} {'lock' if locked[k] else 'cap' if up else 'minimum'} "
            f"for {where['region']} {where['specialty']} from {bound:g} to {bound + amount if up else bound - amount:g}"
        )
        out.append(_finding(name, words, amount, **where))
    return out


def _relax_words(name: str, where: dict, amount: float, over: bool) -> str:
    """One relaxation in plain words."""
    cell = " ".join(str(where[k]) for k in ("region", "specialty") if k in where)
    year = where.get("year")
    words = {
        "national_total": f"change the {year} national total of {cell} by {amount:g} posts",
        "growth_limit": f"let {cell} grow by {amount:g} more posts in {year} than the growth limit allows",
        "shrink_limit": f"let {cell} shrink by {amount:g} more posts in {year} than the shrink limit allows",
        "programme_shrink": f"let {cell} shrink by {amount:g} more posts in {year} than its programme length allows",
        "region_net_loss": f"allow {cell} to lose {amount:g} more posts in {year} than the regional net-loss limit",
        "national_moves": f"allow {amount:g} more posts to move nationally in {year}",
        "budget": f"raise the {year} budget by {amount:g}",
    }
    return words.get(name, f"relax {name} for {cell} {year} by {amount:g}")


def diagnose(d: ProblemData, spec=None, findings: list[dict] | None = None) -> dict:
    """The ``diagnosis`` of an infeasible result: a summary sentence and the findings.

    Uses ``findings`` if given (the pre-solve checks), else builds the HiGHS model and
    runs the feasibility relaxation.
    """
    stage = "pre-solve checks"
    if not findings:
        from .backends.highs import build_model
        from .spec import DEFAULT_MODEL

        findings = relaxation_findings(build_model(d, spec or DEFAULT_MODEL, integer=False))
        stage = "the smallest relaxation HiGHS finds"
    if not findings:
        findings = [
            _finding(
                "unknown",
                "the LP relaxation is feasible, so the conflict comes from requiring whole posts: "
                "solve without --integer and round the result, or widen capacities to whole-number ranges.",
            )
        ]
    families = sorted({f["constraint"] for f in findings})
    summary = (
        f"'{d.name}' cannot be satisfied ({stage}): "
        + "; ".join(f["message"] for f in findings[:3])
        + (f"; and {len(findings) - 3} more" if len(findings) > 3 else "")
    )
    return {"summary": summary, "constraints": families, "findings": findings}
