"""The measures of docs/model.md §8, per planning year, computed from posts ``x[r,s,t]``.

Measures are computed from x alone (the least ``inc``/``dec`` consistent with it), never from
the solver's auxiliary variables, so they mean the same whatever the objective weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData


def previous(d: ProblemData, x: np.ndarray) -> np.ndarray:
    """``x_prev[r,s,t]``: the baseline in the first planning year, else the year before."""
    return np.concatenate([d.baseline[:, :, None], x[:, :, :-1]], axis=2)


def posts_per_100k(d: ProblemData, x: np.ndarray) -> np.ndarray:
    """(R, Y) ``p[r,t] = 1e5 · Σ_s x[r,s,t] / (population[r,t] · need_index[r])`` (0 if no need;
    with a need block, per the need-weighted population of docs/model.md §3b)."""
    wp = d.weighted_population
    return np.divide(1e5 * x.sum(axis=1), wp, out=np.zeros_like(wp), where=wp > 0)


def weighted_gini(p: np.ndarray, v: np.ndarray) -> float:
    """``Σ_i Σ_j v_i v_j |p_i − p_j| / (2 · (Σ v)² · p̄)``, ``p̄ = Σ v_i p_i / Σ v`` (0 if p̄ = 0)."""
    total = v.sum()
    if total <= 0:
        return 0.0
    mean = (v * p).sum() / total
    if mean <= 0:
        return 0.0
    diff = np.abs(p[:, None] - p[None, :])
    return float((v[:, None] * v[None, :] * diff).sum() / (2 * total**2 * mean))


def kpis(d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """One row per planning year: gap_posts, gap_closed_pct, gini, max_shortfall_pct,
    posts_moved, cost (docs/model.md §8). Targets are those ``x`` implies (v2: a ranged national
    total's fair shares follow ``Σ_r x``), also for the baseline gap ``G0``."""
    T = d.target_of(x)
    gap = np.abs(x - T).sum(axis=(0, 1))
    gap0 = np.abs(d.baseline[:, :, None] - T).sum(axis=(0, 1))
    closed = np.where(gap0 > 0, 100 * (1 - gap / np.where(gap0 > 0, gap0, 1)), 100.0)
    p = posts_per_100k(d, x)
    wp = d.weighted_population
    gini = [weighted_gini(p[:, t], wp[:, t]) for t in range(len(d.years))]
    short = np.maximum(0.0, T - x)
    pct = np.divide(100 * short, T, out=np.zeros_like(T), where=T > 0)
    moved = np.maximum(0.0, previous(d, x) - x).sum(axis=(0, 1))
    cost = (d.cost[:, :, None] * x).sum(axis=(0, 1))
    return pd.DataFrame(
        {
            "year": d.years,
            "gap_posts": gap,
            "gap_closed_pct": closed,
            "gini": gini,
            "max_shortfall_pct": pct.max(axis=(0, 1)) if pct.size else 0.0,
            "posts_moved": moved,
            "cost": cost,
        }
    )


def baseline_kpis(d: ProblemData) -> pd.DataFrame:
    """The same measures for the baseline held unchanged in every planning year."""
    return kpis(d, d.baseline_by_year)
