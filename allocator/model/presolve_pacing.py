"""Pre-solve checks of pacing (docs/model.md §5b): a floor above what capacity or the growth
limit lets a cell or region reach, and a phase that a falling national total makes impossible.

The reachable bounds ``L, U`` come from :func:`allocator.model.presolve.reachable_bounds`
(which already holds ``dec = 0`` before a phase); ``needed_rate`` is
:func:`allocator.model.presolve.needed_rate`, passed in (this module does not import
``presolve``, which calls it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from allocator.core.data import ProblemData
from allocator.model.findings import Finding, finding

TOL = 1e-7


def _pct(share: float) -> str:
    return f"{100 * share:.3g} %"


def pacing_findings(d: ProblemData, L: np.ndarray, U: np.ndarray, needed_rate: Callable) -> list[Finding]:
    """Floors out of reach of capacity or of the growth limits, and phases a falling national
    total cannot keep; empty without pacing."""
    p = d.pacing
    if p is None:
        return []
    return _floor_findings(d, U, needed_rate) + _phase_findings(d, L)


def _floor_findings(d: ProblemData, U: np.ndarray, needed_rate: Callable) -> list[Finding]:
    p = d.pacing
    out: list[Finding] = []
    hi = np.where(d.locked, d.lock, d.max_posts)
    fixed = ~d.ranged  # a ranged total's fair share is the solution's: not checked here
    T = d.target
    cell = (p.floor_cell > 0) & fixed[None] & (T > 0)
    for r, s, t in zip(*np.nonzero(cell & (U < p.floor_cell * T - TOL)), strict=True):
        phi, fair, top = p.floor_cell[r, s, t], T[r, s, t], U[r, s, t]
        need = phi * fair
        by_capacity = top >= hi[r, s, t] - TOL
        what = f"{d.regions[r]} must reach {_pct(phi)} of its fair share of {d.specialties[s]} posts ({need:.4g}) by "
        what += f"{d.years[t]}, but "
        if by_capacity:
            what += (
                f"its capacity allows {_pct(top / fair)} ({top:.4g} posts): lower the floor to {_pct(top / fair)} "
                f"or raise max_posts to {need:.4g}."
            )
            rate = None
        else:
            rate = needed_rate(d, "growth_limit", s, lambda L2, U2, r=r, s=s, t=t, n=need: U2[r, s, t] >= n - TOL)
            allows = _pct(top / fair)
            what += f"its growth limit allows {allows} ({top:.4g} posts): lower the floor to {allows}"
            what += " or raise the growth limit" + (f" to {_pct(rate)}." if rate is not None else ".")
        out.append(
            finding(
                "floor",
                what,
                "unreachable",
                need - top,
                region=d.regions[r],
                specialty=d.specialties[s],
                year=d.years[t],
                direction="down",
                needed_rate=rate,
            )
        )
    region = (p.floor_region > 0) & fixed.all(axis=0)[None]
    top_r, fair_r = U.sum(axis=1), T.sum(axis=1)  # (R, Y)
    for r, t in zip(*np.nonzero(region & (top_r < p.floor_region * fair_r - TOL)), strict=True):
        phi, fair, top = p.floor_region[r, t], fair_r[r, t], top_r[r, t]
        out.append(
            finding(
                "floor",
                f"{d.regions[r]} must reach {_pct(phi)} of its fair share of all its posts ({phi * fair:.4g}) "
                f"by {d.years[t]}, but its capacity and growth limits allow {_pct(top / fair)} ({top:.4g} posts): "
                f"lower the floor to {_pct(top / fair)} or raise capacity or the growth limits.",
                "unreachable",
                phi * fair - top,
                region=d.regions[r],
                year=d.years[t],
                direction="down",
            )
        )
    return out


def _phase_findings(d: ProblemData, L: np.ndarray) -> list[Finding]:
    p = d.pacing
    out: list[Finding] = []
    bottom = L.sum(axis=0)  # (S, Y): the least the regions can hold
    for s, t in zip(*np.nonzero(p.phased & (bottom > d.national_max + TOL)), strict=True):
        n = d.national_max[s, t]
        out.append(
            finding(
                "phase",
                f"{d.specialties[s]} falls to {n:g} posts nationally in {d.years[t]}, but its phase starts in "
                f"{p.phase_year[s]}: before it no region may lose posts, so regions keep at least "
                f"{bottom[s, t]:.4g}: start the phase by {d.years[t]} or keep the national total at "
                f"{bottom[s, t]:.4g}.",
                "unreachable",
                bottom[s, t] - n,
                specialty=d.specialties[s],
                year=d.years[t],
                direction="up",
            )
        )
    return out
