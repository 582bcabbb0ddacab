"""Problem data: an :class:`~allocator.instance.Instance` as dense arrays, computed once.

Every backend (``highs``, ``pyomo``, ``pulp``) builds from the same :class:`ProblemData`, so
defaults, targets and bounds have exactly one home. Arrays are indexed ``[r, s, t]`` with
``r`` the region, ``s`` the specialty and ``t`` the planning year, in instance order.

Targets (FORMULATION §3)::

    D[r,s,t] = population[r,t] · need_index[r] · w[r,s]
    T[r,s,t] = N[s,t] · D[r,s,t] / Σ_r' D[r',s,t]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .instance import Instance


@dataclass(frozen=True)
class ProblemData:
    """Dense arrays of one instance. Shapes: R regions, S specialties, Y planning years.

    Attributes
    ----------
    baseline : (R, S) posts in the baseline year, ``x[r,s,y_0]``.
    national : (S, Y) national totals ``N[s,t]``.
    population : (R, Y) population by year.
    need_index : (R,) need index.
    weight : (R, S) specialty need weights ``w[r,s]``.
    need : (R, S, Y) ``D[r,s,t]``.
    target : (R, S, Y) fair shares ``T[r,s,t]``.
    min_posts, max_posts : (R, S, Y) capacity bounds (``max_posts`` is ``inf`` if none);
        several entries on one cell intersect.
    has_capacity : (R, S, Y) bool, a capacity entry covers the cell.
    lock : (R, S, Y) locked posts, ``nan`` where not locked.
    cost : (R, S) cost per post ``c[r,s]``.
    budget : (Y,) budget per year, ``nan`` where none.
    programme_years : (S,) programme length, ``nan`` where not given.
    """

    name: str
    regions: list[str]
    specialties: list[str]
    years: list[int]
    baseline_year: int
    baseline: np.ndarray
    national: np.ndarray
    population: np.ndarray
    need_index: np.ndarray
    weight: np.ndarray
    need: np.ndarray
    target: np.ndarray
    min_posts: np.ndarray
    max_posts: np.ndarray
    has_capacity: np.ndarray
    lock: np.ndarray
    cost: np.ndarray
    budget: np.ndarray
    programme_years: np.ndarray
    max_growth_rate: float | None = None
    growth_allowance: float = 0.0
    max_shrink_rate: float | None = None
    shrink_by_programme_length: bool = False
    max_region_net_loss_rate: float | None = None
    max_national_moves: float | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.regions), len(self.specialties), len(self.years)

    def cells(self):
        """Every cell in array order as ``((r, s, t), (i, j, k))``: its ids and its position."""
        ids = itertools.product(self.regions, self.specialties, self.years)
        pos = itertools.product(range(len(self.regions)), range(len(self.specialties)), range(len(self.years)))
        return zip(ids, pos, strict=True)

    @property
    def locked(self) -> np.ndarray:
        """(R, S, Y) bool: the cell carries a lock."""
        return ~np.isnan(self.lock)

    @property
    def baseline_by_year(self) -> np.ndarray:
        """(R, S, Y) the baseline posts held unchanged in every planning year ("before")."""
        return np.repeat(self.baseline[:, :, None], len(self.years), axis=2)

    @property
    def weighted_population(self) -> np.ndarray:
        """(R, Y) ``population[r,t] · need_index[r]``, the base of posts per 100,000."""
        return self.population * self.need_index[:, None]


def targets(need: np.ndarray, national: np.ndarray) -> np.ndarray:
    """Fair shares ``T[r,s,t] = N[s,t] · D[r,s,t] / Σ_r' D[r',s,t]`` (0 where Σ D = 0)."""
    total = need.sum(axis=0)  # (S, Y)
    share = np.divide(need, total, out=np.zeros_like(need), where=total > 0)
    return share * national[None, :, :]


def problem_data(inst: Instance) -> ProblemData:
    """Turn a validated instance into dense arrays, applying every default of §2."""
    regions, specs, years = inst.region_ids, inst.specialty_ids, list(inst.years)
    ri = {r: i for i, r in enumerate(regions)}
    si = {s: i for i, s in enumerate(specs)}
    ti = {t: i for i, t in enumerate(years)}
    R, S, Y = len(regions), len(specs), len(years)

    baseline = np.zeros((R, S))
    for b in inst.baseline_posts:
        baseline[ri[b.region], si[b.specialty]] = b.posts

    national = np.repeat(baseline.sum(axis=0)[:, None], Y, axis=1)
    for n in inst.national_posts:
        national[si[n.specialty], ti[n.year]] = n.posts

    population = np.repeat(np.array([r.population for r in inst.regions], float)[:, None], Y, axis=1)
    for p in inst.population_by_year:
        population[ri[p.region], ti[p.year]] = p.population
    need_index = np.array([r.need_index for r in inst.regions], float)

    weight = np.ones((R, S))
    for w in inst.need_weights:
        weight[ri[w.region], si[w.specialty]] = w.weight

    need = population[:, None, :] * need_index[:, None, None] * weight[:, :, None]
    target = targets(need, national)

    min_posts = np.zeros((R, S, Y))
    max_posts = np.full((R, S, Y), np.inf)
    has_capacity = np.zeros((R, S, Y), bool)
    for c in inst.capacity:
        r, s = ri[c.region], si[c.specialty]
        t = slice(None) if c.year is None else ti[c.year]
        min_posts[r, s, t] = np.maximum(min_posts[r, s, t], c.min_posts)
        if c.max_posts is not None:
            max_posts[r, s, t] = np.minimum(max_posts[r, s, t], c.max_posts)
        has_capacity[r, s, t] = True

    lock = np.full((R, S, Y), np.nan)
    for lk in inst.locks:
        lock[ri[lk.region], si[lk.specialty], ti[lk.year]] = lk.posts

    cost = np.zeros((R, S))
    for c in inst.cost_per_post:
        cost[ri[c.region], si[c.specialty]] = c.cost

    budget = np.full(Y, np.nan)
    for b in inst.budget:
        budget[ti[b.year]] = b.amount

    prog = np.array([np.nan if s.programme_years is None else s.programme_years for s in inst.specialties], float)
    tr = inst.transition
    return ProblemData(
        name=inst.name,
        regions=regions,
        specialties=specs,
        years=years,
        baseline_year=inst.baseline_year,
        baseline=baseline,
        national=national,
        population=population,
        need_index=need_index,
        weight=weight,
        need=need,
        target=target,
        min_posts=min_posts,
        max_posts=max_posts,
        has_capacity=has_capacity,
        lock=lock,
        cost=cost,
        budget=budget,
        programme_years=prog,
        max_growth_rate=tr.max_growth_rate,
        growth_allowance=tr.growth_allowance or 0.0,
        max_shrink_rate=tr.max_shrink_rate,
        shrink_by_programme_length=tr.shrink_by_programme_length,
        max_region_net_loss_rate=tr.max_region_net_loss_rate,
        max_national_moves=tr.max_national_moves,
    )
