"""Pacing in words (docs/model.md §5b): the limits of a row's specialty and year, the share φ
of a floor, and the action sentences of a floor or a phase found out of reach before a solve.

Used by the diagnosis (``diagnose``, ``diagnosis_words``) and the shadow-price sentences
(``shadow``), so that "a shrink rate of 3 %" is the rate of that specialty in that year and a
floor is stated as the share of the fair share it holds.
"""

from __future__ import annotations

import numpy as np

from allocator.core.data import ProblemData
from allocator.core.pacing import effective_limits
from allocator.model.findings import Finding
from allocator.model.presolve import reachable_bounds


def _at(d: ProblemData, where: dict) -> tuple[int | None, int | None, int | None]:
    r = d.regions.index(where["region"]) if where.get("region") in d.regions else None
    s = d.specialties.index(where["specialty"]) if where.get("specialty") in d.specialties else None
    t = d.years.index(where["year"]) if where.get("year") in d.years else None
    return r, s, t


def limit_at(d: ProblemData, family: str, where: dict) -> tuple[float | None, float]:
    """``(rate, allowance)`` of ``growth_limit`` or ``shrink_limit`` for the row's specialty and
    year (its own, or the global one); the global rate where the row has no specialty;
    ``region_net_loss``'s rate with no allowance."""
    if family == "region_net_loss":
        return d.max_region_net_loss_rate, 0.0
    if family not in ("growth_limit", "shrink_limit"):
        return None, 0.0
    _, s, t = _at(d, where)
    growth = family == "growth_limit"
    if s is None or t is None:
        return (d.max_growth_rate, d.growth_allowance) if growth else (d.max_shrink_rate, d.shrink_allowance)
    lim = effective_limits(d)
    rate = (lim.growth_rate if growth else lim.shrink_rate)[s, t]
    allowance = (lim.growth_allowance if growth else lim.shrink_allowance)[s, t]
    return (None if np.isnan(rate) else float(rate)), float(allowance)


def floor_share(d: ProblemData, where: dict) -> float | None:
    """φ of the floor row at ``where`` (a cell, or a region and year with no specialty)."""
    if d.pacing is None:
        return None
    r, s, t = _at(d, where)
    if r is None or t is None:
        return None
    phi = d.pacing.floor_cell[r, s, t] if s is not None else d.pacing.floor_region[r, t]
    return float(phi) if phi > 0 else None


def _pct(share: float) -> str:
    return f"{100 * share:.3g} %"


def pacing_action(f: Finding, d: ProblemData) -> str:
    """A floor or phase found out of reach before the solve, as an action: what to change
    first, then why (with the numbers of the instance)."""
    r, s, t = _at(d, {"region": f.region, "specialty": f.specialty, "year": f.year})
    _, U = reachable_bounds(d)
    if f.constraint == "phase":
        n = float(d.national_max[s, t])
        keep = n + float(f.relax_by or 0.0)
        return (
            f"Allow {f.specialty} to move from {f.year} (its phase starts in {d.pacing.phase_year[s]}), or keep its "
            f"{f.year} national total at {keep:.4g} posts: it falls to {n:.4g}, but before its phase no region may "
            "lose posts."
        )
    if s is None:  # a region's total
        phi, fair, top = d.pacing.floor_region[r, t], d.target[r, :, t].sum(), U[r, :, t].sum()
        what = "all its posts"
    else:
        phi, fair, top = d.pacing.floor_cell[r, s, t], d.target[r, s, t], U[r, s, t]
        what = f"{f.specialty} posts"
    can = _pct(top / fair) if fair > 0 else "0 %"
    hi = np.where(d.locked, d.lock, d.max_posts)
    if f.needed_rate is not None:
        raise_ = f"raise the growth limit to {_pct(f.needed_rate)}"
    elif s is not None and top >= hi[r, s, t] - 1e-9:  # capacity (or a lock) is what stops it
        raise_ = f"raise max_posts of {f.region} {f.specialty} in {f.year} to {phi * fair:.4g}"
    else:
        raise_ = "raise capacity or the growth limits"
    return (
        f"Lower the floor of {f.region} in {f.year} to {can} of its fair share, or {raise_}: {f.region} must reach "
        f"{_pct(phi)} of its fair share of {what} ({phi * fair:.4g}) by {f.year}, but can hold at most "
        f"{top:.4g} ({can})."
    )
