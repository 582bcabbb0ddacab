"""The Pyomo backend's rows of the transition limits and of pacing (docs/model.md §5, §5b).

The limits of each specialty and year come from :func:`allocator.core.pacing.effective_limits`
(the global ``transition`` replaced, field by field, by ``transition_by_specialty``); a cell
whose specialty has no such limit that year gets no row (``Constraint.Skip``).

==========================  =================================================================
component                   meaning
==========================  =================================================================
``m.phase[r,s,t]``          ``dec[r,s,t] <= 0`` before the phase of s (with ``dec >= 0``: no loss)
``m.floor[r,s,t]``          ``x[r,s,t] >= φ · T[r,s,t]`` for each floored cell
``m.floor_region[r,t]``     ``Σ_s x[r,s,t] >= φ · Σ_s T[r,s,t]`` for each floored region total
``m.floor_share[r,s,t]``    φ of each floored cell (a mutable Param: change it and solve again)
``m.floor_region_share``    φ of each floored region total, ``[r, t]`` (mutable)
==========================  =================================================================
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from allocator.core.data import ProblemData
from allocator.core.pacing import effective_limits, phased_cells
from allocator.core.spec import ModelSpec


def _x_prev(m: pyo.ConcreteModel, r: str, s: str, t: int):
    if t == m.T.first():
        return m.baseline[r, s]
    return m.x[r, s, m.T.prev(t)]


def _at(d: ProblemData, s: str, t: int) -> tuple[int, int]:
    return d.specialties.index(s), d.years.index(t)


def growth_limit(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell grows at most a rate of last year's posts plus an allowance.

    ::

        inc[r,s,t] <= max_growth_rate[s,t] · x_prev + growth_allowance[s,t]    for each cell

    Only where specialty s has a growth limit in year t (global, or by specialty).

    Parameters
    ----------
    m : the model; gets ``m.growth_limit[r, s, t]``.
    d : the instance as arrays.
    """
    lim = effective_limits(d)
    if np.isnan(lim.growth_rate).all():
        return

    def rule(m, r, s, t):
        j, k = _at(d, s, t)
        rate = float(lim.growth_rate[j, k])
        if np.isnan(rate):
            return pyo.Constraint.Skip
        return m.inc[r, s, t] <= rate * _x_prev(m, r, s, t) + float(lim.growth_allowance[j, k])

    m.growth_limit = pyo.Constraint(m.R, m.S, m.T, rule=rule)


def shrink_limit(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell shrinks at most a rate of last year's posts plus an allowance.

    ::

        dec[r,s,t] <= max_shrink_rate[s,t] · x_prev + shrink_allowance[s,t]     for each cell

    Only where specialty s has a shrink limit in year t (global, or by specialty).

    Parameters
    ----------
    m : the model; gets ``m.shrink_limit[r, s, t]``.
    d : the instance as arrays.
    """
    lim = effective_limits(d)
    if np.isnan(lim.shrink_rate).all():
        return

    def rule(m, r, s, t):
        j, k = _at(d, s, t)
        rate = float(lim.shrink_rate[j, k])
        if np.isnan(rate):
            return pyo.Constraint.Skip
        return m.dec[r, s, t] <= rate * _x_prev(m, r, s, t) + float(lim.shrink_allowance[j, k])

    m.shrink_limit = pyo.Constraint(m.R, m.S, m.T, rule=rule)


def programme_shrink(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell loses at most one cohort a year: its posts over the programme length.

    ::

        dec[r,s,t] <= x_prev / programme_years[s]                     for each cell

    Only where ``shrink_by_programme_length`` holds for s in year t (global, or by specialty).

    Parameters
    ----------
    m : the model; gets ``m.programme_shrink[r, s, t]``.
    d : the instance as arrays.
    """
    lim = effective_limits(d)
    if not lim.programme.any():
        return

    def rule(m, r, s, t):
        if not lim.programme[_at(d, s, t)]:
            return pyo.Constraint.Skip
        return m.dec[r, s, t] <= _x_prev(m, r, s, t) / m.programme_years[s]

    m.programme_shrink = pyo.Constraint(m.R, m.S, m.T, rule=rule)


def phase(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Before its phase, no region loses posts of a specialty.

    ::

        dec[r,s,t] <= 0        for each r, each t before the from_year of s

    (``dec >= 0`` already, so ``dec = 0``; written ``<=`` so that its dual is the value of
    letting a cell lose a post, and ``dec``'s own bound 0 keeps the other side.)

    Parameters
    ----------
    m : the model; gets ``m.phase[r, s, t]``.
    d : the instance as arrays.
    """
    mask = phased_cells(d)
    if not mask.any():
        return
    cells = [c for c, at in d.cells() if mask[at]]
    m.phase = pyo.Constraint(cells, rule=lambda m, r, s, t: m.dec[r, s, t] <= 0)


def _fair_share(m: pyo.ConcreteModel, r: str, s: str, t: int):
    """``T[r,s,t]``: the data, or ``share · Σ_r' x`` where the national total is a range."""
    if (r, s, t) in m.share:
        return m.share[r, s, t] * sum(m.x[q, s, t] for q in m.R)
    return m.target[r, s, t]


def floor(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """From its year on, a cell (or a region's total) holds at least a share φ of its fair share.

    ::

        x[r,s,t] >= φ[r,s,t] · T[r,s,t]                  for each floored cell
        Σ_s x[r,s,t] >= φ[r,t] · Σ_s T[r,s,t]            for each floored region total

    ``T`` is the fair share of §3 (``share · Σ_r' x`` where the national total is a range);
    φ is ``share_of_target`` or the convergence path of docs/model.md §5b.

    Parameters
    ----------
    m : the model; gets ``m.floor[r, s, t]``, ``m.floor_region[r, t]`` and the mutable
        Params ``m.floor_share``, ``m.floor_region_share`` (φ).
    d : the instance as arrays.
    """
    p = d.pacing
    if p is None:
        return
    cells = {c: float(p.floor_cell[at]) for c, at in d.cells() if p.floor_cell[at] > 0}
    regions = {
        (d.regions[i], d.years[k]): float(p.floor_region[i, k])
        for i, k in zip(*np.nonzero(p.floor_region > 0), strict=True)
    }
    if cells:
        m.floor_share = pyo.Param(list(cells), initialize=cells, mutable=True)
        m.floor = pyo.Constraint(
            list(cells), rule=lambda m, r, s, t: m.x[r, s, t] >= m.floor_share[r, s, t] * _fair_share(m, r, s, t)
        )
    if regions:
        m.floor_region_share = pyo.Param(list(regions), initialize=regions, mutable=True)

        def rule(m, r, t):
            return sum(m.x[r, s, t] for s in m.S) >= m.floor_region_share[r, t] * sum(
                _fair_share(m, r, s, t) for s in m.S
            )

        m.floor_region = pyo.Constraint(list(regions), rule=rule)
