"""The direct HiGHS backend's rows of the transition limits and of pacing (docs/model.md §5, §5b).

The limits of each specialty and year come from :func:`allocator.core.pacing.effective_limits`
(the global ``transition`` replaced, field by field, by ``transition_by_specialty``); a cell
whose specialty has no such limit that year gets no row. A phase is an upper bound 0 on the
``dec`` columns of the years before it (:func:`phase`); a floor is a row (:func:`floor`).
"""

from __future__ import annotations

import highspy
import numpy as np

from allocator.core.data import ProblemData
from allocator.core.pacing import effective_limits, phased_cells
from allocator.model.backends.blocks import Block

INF = highspy.kHighsInf


def _limit_rows(name: str, d: ProblemData, v, own_col: int, rate: np.ndarray, extra: np.ndarray) -> Block | None:
    """Rows ``own[k] − rate_k · x_prev[k] <= extra_k`` for the cells with a rate (not ``nan``),
    the baseline moved to the right side in the first year; ``None`` when no cell has one."""
    keep = np.flatnonzero(~np.isnan(rate))
    if len(keep) == 0:
        return None
    m = len(keep)
    rate, extra = rate[keep], extra[keep]
    first = v.first[keep]
    base = d.baseline[v.r[keep], v.s[keep]]
    rows = np.concatenate([np.arange(m), np.flatnonzero(~first)])
    cols = np.concatenate([own_col + keep, v.x + keep[~first] - 1])
    vals = np.concatenate([np.ones(m), -rate[~first]])
    upper = extra + np.where(first, rate * base, 0.0)
    labels = {key: arr[keep] for key, arr in v.cell_labels().items()}
    return Block(name, rows, cols, vals, np.full(m, -INF), upper, labels)


def _per_cell(arr_st: np.ndarray, v) -> np.ndarray:
    """An (S, Y) array read at every cell ``k``."""
    return arr_st[v.s, v.t]


def growth_limit(d: ProblemData, v) -> Block | None:
    """``inc <= max_growth_rate · x_prev + growth_allowance`` for each cell whose specialty has a
    growth limit that year."""
    lim = effective_limits(d)
    return _limit_rows("growth_limit", d, v, v.inc, _per_cell(lim.growth_rate, v), _per_cell(lim.growth_allowance, v))


def shrink_limit(d: ProblemData, v) -> Block | None:
    """``dec <= max_shrink_rate · x_prev + shrink_allowance`` for each cell whose specialty has a
    shrink limit that year."""
    lim = effective_limits(d)
    return _limit_rows("shrink_limit", d, v, v.dec, _per_cell(lim.shrink_rate, v), _per_cell(lim.shrink_allowance, v))


def programme_shrink(d: ProblemData, v) -> Block | None:
    """``dec <= x_prev / programme_years[s]`` for each cell where ``shrink_by_programme_length`` holds."""
    lim = effective_limits(d)
    rate = np.where(_per_cell(lim.programme, v), 1.0 / d.programme_years[v.s], np.nan)
    return _limit_rows("programme_shrink", d, v, v.dec, rate, np.zeros(v.K))


def phase(d: ProblemData, v) -> np.ndarray:
    """``dec = 0`` for each cell before its specialty's phase: the ``dec`` columns whose upper
    bound is 0 (a boolean mask over the K cells)."""
    return phased_cells(d).ravel()


def floor(d: ProblemData, v) -> Block | None:
    """``x ≥ φ · T`` for each floored cell, ``Σ_s x ≥ φ · Σ_s T`` for each floored region total.

    Where the national total of (s, t) is a range, ``T = share · Σ_r' x[r',s,t]`` is moved to
    the left: the row gets ``−φ · share[r,s,t]`` on every ``x[r',s,t]`` and a right side 0 for
    that specialty (still linear)."""
    p = d.pacing
    if p is None:
        return None
    ranged = d.ranged  # (S, Y)
    T = np.where(ranged[None], 0.0, d.target)  # the data part of T
    share = np.where(ranged[None], d.share, 0.0)  # the variable part: share · Σ_r' x
    R, S, Y = d.shape
    cells = np.flatnonzero(p.floor_cell.ravel() > 0)
    phi_c = p.floor_cell.ravel()[cells]
    reg_r, reg_t = np.nonzero(p.floor_region > 0)
    phi_r = p.floor_region[reg_r, reg_t]
    m_c, n = len(cells), len(cells) + len(reg_r)
    if n == 0:
        return None
    # x[k] (cell rows), then x[r, s, t] for every s (region rows)
    rows = [np.arange(m_c), np.repeat(np.arange(m_c, n), S)]
    cols = [v.x + cells, v.x + v.cell[reg_r[:, None], np.arange(S)[None, :], reg_t[:, None]].ravel()]
    vals = [np.ones(m_c), np.ones(len(reg_r) * S)]
    lower = np.concatenate([phi_c * T.ravel()[cells], phi_r * T[reg_r, :, reg_t].sum(axis=1)])
    # −φ · share[r,s,t] on x[r',s,t] for every r' where (s, t) is ranged
    row_rst = [(i, v.r[k], v.s[k], v.t[k], phi_c[i]) for i, k in enumerate(cells) if ranged[v.s[k], v.t[k]]]
    for i, (r, t) in enumerate(zip(reg_r, reg_t, strict=True)):
        row_rst += [(m_c + i, r, s, t, phi_r[i]) for s in np.flatnonzero(ranged[:, t])]
    if row_rst:
        at = np.array([(i, r, s, t) for i, r, s, t, _ in row_rst], int)
        phi = np.array([f for *_, f in row_rst])
        rows.append(np.repeat(at[:, 0], R))
        cols.append(v.x + v.cell[np.arange(R)[None, :], at[:, 2:3], at[:, 3:4]].ravel())
        vals.append(np.repeat(-phi * share[at[:, 1], at[:, 2], at[:, 3]], R))
    labels = {
        "region": np.concatenate([v.r[cells], reg_r]),
        "specialty": np.concatenate([v.s[cells], np.full(len(reg_r), -1)]),
        "year": np.concatenate([v.t[cells], reg_t]),
    }
    return Block(
        "floor",
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        lower,
        np.full(n, INF),
        labels,
    )
