"""Equity measures beyond docs/model.md §8: Theil index and its decomposition, Lorenz curves,
distance from target, and posts per 100,000 before and after.

Every function here is computed from posts ``x[r,s,t]`` (an (R, S, Y) array in instance order)
and the :class:`~allocator.core.data.ProblemData` alone, like :mod:`allocator.solution.measures`, so it
means the same for a result of any model file, backend or rounding. Each public function taking
``x`` also takes a :class:`~allocator.solution.result.Result` and reads its posts by label
(:meth:`~allocator.solution.result.Result.posts_array`); each taking ``d`` also takes an
:class:`~allocator.core.instance.Instance` or the path of its file. ``docs/measures.md``
gives each formula with a worked example and how to read it.

Notation (per planning year ``t``):

- ``x[r,s]`` posts, ``T[r,s]`` fair share (docs/model.md §3), ``D[r,s]`` need;
- ``v_r = population[r,t] · need_index[r]`` the need-weighted population of region ``r`` (with a
  need block, that of docs/model.md §3b: ``ProblemData.weighted_population``);
- ``p_r = 1e5 · Σ_s x[r,s] / v_r`` posts per 100,000 need-weighted population (§8).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.core.instance import Instance
from allocator.io.instance import as_problem_data
from allocator.solution.measures import posts_per_100k, weighted_gini
from allocator.solution.result import Result

#: what a function here takes as ``d``: problem data, or the instance (or its file) to compute them from
Data = ProblemData | Instance | str | Path

__all__ = [
    "distance_from_target",
    "distance_from_target_by_region",
    "equity_table",
    "lorenz_by_year",
    "lorenz_points",
    "per_100k",
    "per_100k_table",
    "theil",
    "theil_by_year",
]


def as_posts(d: ProblemData, x: np.ndarray | Result) -> np.ndarray:
    """(R, S, Y) posts as floats from an array or a :class:`~allocator.solution.result.Result`."""
    if isinstance(x, Result):
        return x.posts_array(d)
    return np.asarray(x, float)


def per_100k(d: Data, x: np.ndarray | Result) -> np.ndarray:
    """Posts per 100,000 need-weighted population, (R, Y).

    ``p[r,t] = 1e5 · Σ_s x[r,s,t] / (population[r,t] · need_index[r])`` (docs/model.md §8),
    0 for a region with no weighted population. Same as
    :func:`allocator.solution.measures.posts_per_100k`.
    """
    d = as_problem_data(d)
    return posts_per_100k(d, as_posts(d, x))


# ------------------------------------------------------------------------------ Theil


def _slogs(s: np.ndarray, ratio: np.ndarray) -> float:
    """``Σ s_i ln(ratio_i)`` over ``s_i > 0`` (``s ln s → 0``: empty units contribute 0)."""
    pos = s > 0
    return float((s[pos] * np.log(ratio[pos])).sum())


def theil(p: np.ndarray, v: np.ndarray, groups: np.ndarray | None = None) -> dict:
    """Population-weighted Theil T index of posts per head, and its exact decomposition.

    Units ``i`` have a weight ``v_i`` (population, or need) and a level ``p_i`` (posts per
    unit of ``v``), so ``y_i = v_i p_i`` are the posts of unit ``i``. With

    ``s_i = y_i / Σ_j y_j`` (the unit's share of posts) and ``p̄ = Σ y / Σ v``,

    the Theil T index is ``T = Σ_i s_i ln(p_i / p̄)``: 0 when every unit has the same posts per
    head, and ``ln(Σ v / v_k)`` when all posts sit in unit ``k``. Equivalently
    ``T = Σ_i s_i ln(s_i / w_i)`` with ``w_i = v_i / Σ v``, the Kullback-Leibler divergence of
    the post shares from the need shares.

    With ``groups`` (one label per unit), ``T`` splits exactly into

    - between groups: ``T_B = Σ_g S_g ln(p̄_g / p̄)``, ``S_g = Σ_{i∈g} s_i``,
      ``p̄_g = Σ_{i∈g} y_i / Σ_{i∈g} v_i``;
    - within groups: ``T_W = Σ_g S_g T_g``, ``T_g = Σ_{i∈g} (s_i / S_g) ln(p_i / p̄_g)``;

    and ``T = T_B + T_W``, because ``ln(p_i/p̄) = ln(p_i/p̄_g) + ln(p̄_g/p̄)``. Without
    groups every unit is in one group: ``between = 0`` and ``within = total``.

    Units with ``v_i <= 0`` are dropped. A unit with ``p_i = 0`` contributes 0 (the limit of
    ``s ln s``). If there are no posts at all, every component is 0.

    Parameters
    ----------
    p : (n,) levels, ``>= 0`` (e.g. posts per 100,000).
    v : (n,) weights, ``>= 0``.
    groups : (n,) optional group labels (any hashable values).

    Returns
    -------
    dict with float keys ``total``, ``between``, ``within``.

    Examples
    --------
    Two equal regions, one with three times the posts per head of the other:
    ``s = (1/4, 3/4)``, ``p̄ = 2``, ``T = ¼ ln(1/2) + ¾ ln(3/2) = 0.1308``.

    >>> round(theil([1.0, 3.0], [1.0, 1.0])["total"], 4)
    0.1308
    """
    p = np.asarray(p, float).ravel()
    v = np.asarray(v, float).ravel()
    if p.shape != v.shape:
        raise ValueError(f"p and v differ in length: {p.size} and {v.size}")
    if np.any(p < 0) or np.any(~np.isfinite(p)):
        raise ValueError("posts per head must be finite and >= 0")
    keep = v > 0
    p, v = p[keep], v[keep]
    y = v * p
    total_posts = y.sum()
    zero = {"total": 0.0, "between": 0.0, "within": 0.0}
    if total_posts <= 0:
        return zero
    mean = total_posts / v.sum()
    s = y / total_posts
    total = _slogs(s, p / mean)
    if groups is None:
        return {"total": total, "between": 0.0, "within": total}
    g = np.asarray(groups).ravel()
    if g.shape[0] != keep.shape[0]:
        raise ValueError(f"groups has {g.shape[0]} labels for {keep.shape[0]} units")
    _, gi = np.unique(g[keep], return_inverse=True)
    S_g = np.bincount(gi, weights=s)
    Y_g = np.bincount(gi, weights=y)
    V_g = np.bincount(gi, weights=v)
    mean_g = np.divide(Y_g, V_g, out=np.zeros_like(Y_g), where=V_g > 0)
    between = _slogs(S_g, mean_g / mean)
    within = _slogs(s, p / np.where(mean_g[gi] > 0, mean_g[gi], 1.0))
    return {"total": total, "between": between, "within": within}


def theil_by_year(d: Data, x: np.ndarray | Result, basis: str = "target") -> pd.DataFrame:
    """Theil T of posts across region × specialty cells, split between and within regions.

    Units are the cells ``(r, s)`` of year ``t``, with posts ``x[r,s,t]`` and need weight
    ``v[r,s]``; groups are the regions. So ``between_regions`` measures how unevenly posts
    follow need from region to region (all specialties together), and ``within_regions``
    how unevenly, inside each region, they follow need across its specialties.

    ``basis`` chooses the need weight:

    - ``"target"`` (default): ``v = T[r,s,t]``, the fair share, which is the need ``D``
      expressed in posts of each specialty (``T = N[s,t] · D / Σ_r D``). Then
      ``p = x / T`` is each cell's fraction of its fair share, and the index is exactly 0
      when every cell holds its fair share. This is the reading the model aims at.
    - ``"need"``: ``v = D[r,s,t]`` itself. Specialties with many posts per unit of need
      (e.g. general practice against a small specialty with the same need weight) then
      look "over-provided" even at fair shares, so the index is not 0 at the target;
      use it only to compare specialties' overall provision per unit of need.

    Cells with zero weight are dropped; cells with zero posts contribute 0.

    Returns
    -------
    DataFrame ``year, theil, between_regions, within_regions``.
    """
    d = as_problem_data(d)
    x = as_posts(d, x)
    if basis == "target":
        weight = d.target
    elif basis == "need":
        weight = d.need
    else:
        raise ValueError(f"basis must be 'target' or 'need', not {basis!r}")
    R, S, Y = d.shape
    region = np.repeat(np.arange(R), S)
    rows = []
    for t in range(Y):
        w = weight[:, :, t].ravel()
        xt = x[:, :, t].ravel()
        p = np.divide(xt, w, out=np.zeros_like(xt), where=w > 0)
        th = theil(p, w, region)
        rows.append((d.years[t], th["total"], th["between"], th["within"]))
    return pd.DataFrame(rows, columns=["year", "theil", "between_regions", "within_regions"])


# ----------------------------------------------------------------------------- Lorenz


def _lorenz(p: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order (by p ascending, stable), cumulative need share and cumulative posts share."""
    p = np.asarray(p, float).ravel()
    v = np.asarray(v, float).ravel()
    order = np.argsort(p, kind="stable")
    vs, ys = v[order], (v * p)[order]
    V, Yt = vs.sum(), ys.sum()
    need = np.cumsum(vs) / V if V > 0 else np.zeros_like(vs)
    posts = np.cumsum(ys) / Yt if Yt > 0 else np.zeros_like(ys)
    return order, need, posts


def lorenz_points(p: np.ndarray, v: np.ndarray) -> pd.DataFrame:
    """Points of the Lorenz curve of posts against need.

    Units are sorted by ``p`` ascending (the least provided first); point ``k`` is
    ``(Σ_{i<=k} v_i / Σ v, Σ_{i<=k} v_i p_i / Σ v p)``: the share of need covered by the ``k``
    least provided units, and the share of posts they hold. The curve starts at (0, 0) and
    ends at (1, 1); it is the diagonal when posts follow need exactly and sags below it
    otherwise. Twice the area between the diagonal and the curve is the Gini coefficient.

    Returns
    -------
    DataFrame ``need_share, posts_share`` with ``n + 1`` rows.
    """
    _, need, posts = _lorenz(p, v)
    return pd.DataFrame({"need_share": np.r_[0.0, need], "posts_share": np.r_[0.0, posts]})


def lorenz_by_year(d: Data, x: np.ndarray | Result) -> pd.DataFrame:
    """Lorenz curves across regions for every planning year, and for the baseline.

    Per year, ``p`` is :func:`per_100k` and ``v`` the need-weighted population. The
    baseline comes first, as ``year = baseline_year``: the baseline posts measured against
    the population of the first planning year (the data hold no baseline-year population).
    Each point carries the ``region`` it adds; the origin has ``region`` ``None``.

    Returns
    -------
    DataFrame ``year, region, need_share, posts_share``.
    """
    d = as_problem_data(d)
    x = as_posts(d, x)
    wp = d.weighted_population
    frames = []
    base_p = per_100k(d, d.baseline_by_year)
    cases = [(d.baseline_year, base_p[:, 0], wp[:, 0])]
    p = per_100k(d, x)
    cases += [(d.years[t], p[:, t], wp[:, t]) for t in range(len(d.years))]
    for year, pt, vt in cases:
        order, need, posts = _lorenz(pt, vt)
        frames.append(
            pd.DataFrame(
                {
                    "year": year,
                    "region": [None] + [d.regions[i] for i in order],
                    "need_share": np.r_[0.0, need],
                    "posts_share": np.r_[0.0, posts],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------ distance from target


def _distance(posts: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``100 · (posts − target) / target``, NaN where the target is 0."""
    return np.divide(100 * (posts - target), target, out=np.full_like(posts, np.nan, dtype=float), where=target > 0)


def _below(posts: np.ndarray, target: np.ndarray) -> np.ndarray:
    """How far ``posts`` fall below ``target``, in % of it: 0 where at or above it or where the target is 0."""
    return np.nan_to_num(np.maximum(-_distance(posts, target), 0.0))


def distance_from_target(d: Data, x: np.ndarray | Result) -> pd.DataFrame:
    """Each cell's distance from its fair share, NHS England's "distance from target".

    ``distance_pct = 100 · (x − T) / T``: negative below target (under-provided), positive
    above; NaN where the fair share is 0.

    Returns
    -------
    DataFrame ``region, specialty, year, posts, target, distance_pct`` in instance order.
    """
    d = as_problem_data(d)
    x = as_posts(d, x)
    idx = pd.MultiIndex.from_product([d.regions, d.specialties, d.years], names=["region", "specialty", "year"])
    frame = idx.to_frame(index=False)
    frame["posts"] = x.reshape(-1)
    frame["target"] = d.target.reshape(-1)
    frame["distance_pct"] = _distance(frame["posts"].to_numpy(), frame["target"].to_numpy())
    return frame


def distance_from_target_by_region(d: Data, x: np.ndarray | Result) -> pd.DataFrame:
    """Distance from target of each region, all specialties together.

    ``distance_pct[r,t] = 100 · (Σ_s x[r,s,t] − Σ_s T[r,s,t]) / Σ_s T[r,s,t]``.

    Returns
    -------
    DataFrame ``region, year, posts, target, distance_pct``.
    """
    d = as_problem_data(d)
    x = as_posts(d, x)
    posts, target = x.sum(axis=1), d.target.sum(axis=1)  # (R, Y)
    idx = pd.MultiIndex.from_product([d.regions, d.years], names=["region", "year"])
    frame = idx.to_frame(index=False)
    frame["posts"] = posts.reshape(-1)
    frame["target"] = target.reshape(-1)
    frame["distance_pct"] = _distance(frame["posts"].to_numpy(), frame["target"].to_numpy())
    return frame


# --------------------------------------------------------------------------- tables


def per_100k_table(d: Data, x: np.ndarray | Result) -> pd.DataFrame:
    """Posts per 100,000 need-weighted population per region and year, before and after.

    ``before`` is the baseline posts against the year-``t`` population (what the region
    would have if nothing moved), ``after`` the allocation ``x``.

    Returns
    -------
    DataFrame ``region, year, before, after``.
    """
    d = as_problem_data(d)
    before = per_100k(d, d.baseline_by_year)
    after = per_100k(d, x)
    idx = pd.MultiIndex.from_product([d.regions, d.years], names=["region", "year"])
    frame = idx.to_frame(index=False)
    frame["before"] = before.reshape(-1)
    frame["after"] = after.reshape(-1)
    return frame


def equity_table(d: Data, x: np.ndarray | Result) -> pd.DataFrame:
    """One row per planning year: the equity measures side by side, with the baseline.

    ``x`` is the (R, S, Y) posts, or a :class:`~allocator.solution.result.Result` (its
    :meth:`~allocator.solution.result.Result.posts_array`, matched by label).

    Columns
    -------
    year
    gini, gini_before : weighted Gini of posts per 100,000 across regions (§8), for ``x``
        and for the unchanged baseline.
    theil, theil_before : Theil T across region × specialty cells against fair shares
        (:func:`theil_by_year`), for ``x`` and the baseline.
    between_regions, within_regions : the two parts of ``theil``.
    max_below_target_pct : how far the region furthest below its fair share is below it,
        in % (``max_r max(0, −distance_pct[r])``, regions summed over specialties).
    most_below_region : that region (``None`` when no region is below target).
    max_cell_below_target_pct : the same over single region × specialty cells (§8's
        ``max_shortfall_pct``).
    """
    d = as_problem_data(d)
    x = as_posts(d, x)
    base = d.baseline_by_year
    wp = d.weighted_population
    p, p0 = per_100k(d, x), per_100k(d, base)
    th, th0 = theil_by_year(d, x), theil_by_year(d, base)
    below = _below(x.sum(axis=1), d.target.sum(axis=1))  # (R, Y), regions summed over specialties
    cell = _below(x, d.target)
    rows = []
    for t, year in enumerate(d.years):
        worst = int(np.argmax(below[:, t])) if below.size else 0
        rows.append(
            {
                "year": year,
                "gini": weighted_gini(p[:, t], wp[:, t]),
                "gini_before": weighted_gini(p0[:, t], wp[:, t]),
                "theil": th["theil"].iloc[t],
                "theil_before": th0["theil"].iloc[t],
                "between_regions": th["between_regions"].iloc[t],
                "within_regions": th["within_regions"].iloc[t],
                "max_below_target_pct": float(below[worst, t]) if below.size else 0.0,
                "most_below_region": d.regions[worst] if below.size and below[worst, t] > 0 else None,
                "max_cell_below_target_pct": float(cell[:, :, t].max()) if cell.size else 0.0,
            }
        )
    return pd.DataFrame(rows)
