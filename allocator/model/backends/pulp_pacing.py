"""The PuLP backend's rows of the transition limits and of pacing (docs/model.md §5, §5b).

The limits of each specialty and year come from :func:`allocator.core.pacing.effective_limits`
(the global ``transition`` replaced, field by field, by ``transition_by_specialty``); a cell
whose specialty has no such limit that year gets no row. Rows are named as in
:mod:`~allocator.model.backends.pulp_rows`: ``phase[r,s,t]``, ``floor[r,s,t]`` (a floored cell),
``floor_region[r,t]`` (a floored region total), filed under ``prob.rows[group][key]``.
"""

from __future__ import annotations

import numpy as np
import pulp

from allocator.core.data import ProblemData
from allocator.core.pacing import effective_limits, phased_cells
from allocator.core.spec import ModelSpec
from allocator.model.backends.pulp_rows import add_row


def _x_prev(prob: pulp.LpProblem, d: ProblemData, cell: tuple, at: tuple):
    r, s, _ = cell
    i, j, k = at
    return float(d.baseline[i, j]) if k == 0 else prob.x[r, s, d.years[k - 1]]


def growth_limit(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell grows at most a rate of last year's posts plus an allowance.

    ::

        inc[r,s,t] <= max_growth_rate[s,t] · x_prev + growth_allowance[s,t]    for each cell

    Only where specialty s has a growth limit in year t (global, or by specialty).

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["growth_limit"][(r, s, t)]``.
    d : the instance as arrays.
    """
    lim = effective_limits(d)
    for c, at in d.cells():
        rate = float(lim.growth_rate[at[1:]])
        if not np.isnan(rate):
            allowance = float(lim.growth_allowance[at[1:]])
            add_row(prob, "growth_limit", c, prob.inc[c] <= rate * _x_prev(prob, d, c, at) + allowance)


def shrink_limit(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell shrinks at most a rate of last year's posts plus an allowance.

    ::

        dec[r,s,t] <= max_shrink_rate[s,t] · x_prev + shrink_allowance[s,t]     for each cell

    Only where specialty s has a shrink limit in year t (global, or by specialty).

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["shrink_limit"][(r, s, t)]``.
    d : the instance as arrays.
    """
    lim = effective_limits(d)
    for c, at in d.cells():
        rate = float(lim.shrink_rate[at[1:]])
        if not np.isnan(rate):
            allowance = float(lim.shrink_allowance[at[1:]])
            add_row(prob, "shrink_limit", c, prob.dec[c] <= rate * _x_prev(prob, d, c, at) + allowance)


def programme_shrink(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell loses at most one cohort a year: its posts over the programme length.

    ::

        dec[r,s,t] <= x_prev / programme_years[s]                     for each cell

    Only where ``shrink_by_programme_length`` holds for s in year t (global, or by specialty).

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["programme_shrink"][(r, s, t)]``.
    d : the instance as arrays.
    """
    lim = effective_limits(d)
    for c, at in d.cells():
        if lim.programme[at[1:]]:
            years = float(d.programme_years[at[1]])
            add_row(prob, "programme_shrink", c, prob.dec[c] <= _x_prev(prob, d, c, at) / years)


def phase(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Before its phase, no region loses posts of a specialty.

    ::

        dec[r,s,t] <= 0        for each r, each t before the from_year of s

    (``dec >= 0`` already, so ``dec = 0``.)

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["phase"][(r, s, t)]``.
    d : the instance as arrays.
    """
    mask = phased_cells(d)
    for c, at in d.cells():
        if mask[at]:
            add_row(prob, "phase", c, prob.dec[c] <= 0)


def _fair_share(prob: pulp.LpProblem, d: ProblemData, s: str, t: int, at: tuple):
    """``T[r,s,t]``: the data, or ``share · total[s,t]`` where the national total is a range."""
    if (s, t) in prob.total:
        return float(d.share[at]) * prob.total[s, t]
    return float(d.target[at])


def floor(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """From its year on, a cell (or a region's total) holds at least a share φ of its fair share.

    ::

        x[r,s,t] >= φ[r,s,t] · T[r,s,t]                  for each floored cell
        Σ_s x[r,s,t] >= φ[r,t] · Σ_s T[r,s,t]            for each floored region total

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["floor"][(r, s, t)]`` and
        ``prob.rows["floor_region"][(r, t)]``.
    d : the instance as arrays.
    """
    p = d.pacing
    if p is None:
        return
    for c, at in d.cells():
        phi = float(p.floor_cell[at])
        if phi > 0:
            add_row(prob, "floor", c, prob.x[c] >= phi * _fair_share(prob, d, c[1], c[2], at))
    for i, k in zip(*np.nonzero(p.floor_region > 0), strict=True):
        r, t, phi = d.regions[i], d.years[k], float(p.floor_region[i, k])
        held = pulp.lpSum(prob.x[r, s, t] for s in d.specialties)
        fair = pulp.lpSum(_fair_share(prob, d, s, t, (i, j, k)) for j, s in enumerate(d.specialties))
        add_row(prob, "floor_region", (r, t), held >= phi * fair)
