"""Problem data: an :class:`~allocator.core.instance.Instance` as dense arrays, computed once.

Every backend (``highs``, ``pyomo``, ``pulp``) builds from the same :class:`ProblemData`, so
defaults, targets and bounds have exactly one home. Arrays are indexed ``[r, s, t]`` with
``r`` the region, ``s`` the specialty and ``t`` the planning year, in instance order.

Targets (docs/model.md §3)::

    D[r,s,t] = population[r,t] · need_index[r] · w[r,s]
    share[r,s,t] = D[r,s,t] / Σ_r' D[r',s,t]
    T[r,s,t] = N[s,t] · share[r,s,t]

v2: a specialty-year whose national total is a range ``min_posts <= Σ_r x <= max_posts``
(:attr:`ProblemData.ranged`) has no data target: its fair share is
``T = share · Σ_r' x[r',s,t]``, a function of the solution (:meth:`ProblemData.target_of`).
Where a row cannot carry a variable target (``worst_shortfall``, the tie-break of §6b) it uses
the data-only ``T̄`` (:attr:`ProblemData.target_bar`): the fair share at the baseline national
total clipped into the range. For a fixed total ``T̄ = T``.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np

from allocator.core.instance import Instance
from allocator.core.provenance import instance_sha256
from allocator.core.scenarios import ScenarioSet, scenario_data
from allocator.core.workforce import PipelineData, TeamInfo, by_year, pipeline_data, team_data


@dataclass(frozen=True)
class ProblemData:
    """Dense arrays of one instance. Shapes: R regions, S specialties, Y planning years.

    Attributes
    ----------
    baseline : (R, S) posts in the baseline year, ``x[r,s,y_0]``.
    national : (S, Y) national totals ``N[s,t]``; for a ranged entry (v2) the baseline national
        total clipped into the range, ``N̄[s,t]`` (the total of ``T̄``).
    national_min, national_max : (S, Y) the bounds of the ``national_total`` row: both
        ``N[s,t]`` for a fixed total; the range for a ranged one (``national_max`` is ``inf``
        where the range has no maximum, ``national_min`` 0 where it has no minimum).
    population : (R, Y) population by year.
    need_index : (R,) need index.
    weight : (R, S) specialty need weights ``w[r,s]``.
    need : (R, S, Y) ``D[r,s,t]``.
    share : (R, S, Y) need shares ``D / Σ_r' D`` (0 where the specialty has no need that year).
    target : (R, S, Y) fair shares ``T[r,s,t]`` where the national total is fixed, ``T̄`` where
        it is a range (same array as :attr:`target_bar`; the solution's own targets are
        :meth:`target_of`).
    min_posts, max_posts : (R, S, Y) capacity bounds (``max_posts`` is ``inf`` if none);
        several entries on one cell intersect.
    has_capacity : (R, S, Y) bool, a capacity entry covers the cell.
    lock : (R, S, Y) locked posts, ``nan`` where not locked.
    cost : (R, S) cost per post ``c[r,s]``.
    budget : (Y,) budget per year, ``nan`` where none.
    programme_years : (S,) programme length, ``nan`` where not given.
    shrink_allowance : posts a cell may always lose in a year on top of
        ``max_shrink_rate · x_prev`` (v2; 0 by default).
    weight : (R, S) the general need weights; ``need`` uses the weights of each year where
        ``need_weights`` entries carry a ``year`` (a project extension).
    pipeline : the workforce pipeline of §10 (:class:`~allocator.core.workforce.PipelineData`),
        or ``None``.
    teams : the teams of §11 (:class:`~allocator.core.workforce.TeamInfo`), possibly none.
    scenarios : the members of §12 (:class:`~allocator.core.scenarios.ScenarioSet`), or
        ``None``; with them ``pipeline`` is the first (central) member's.
    professions : (S,) the profession of each programme (§11; ``"medicine"`` by default).
    instance_sha256, schema_version : what the instance was (§9 v3 ``inputs``: the hash of the
        instance as read, :func:`allocator.core.provenance.instance_sha256`, and its declared
        ``schema_version``); results made from these arrays carry them.
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
    share: np.ndarray
    target: np.ndarray
    national_min: np.ndarray
    national_max: np.ndarray
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
    shrink_allowance: float = 0.0
    shrink_by_programme_length: bool = False
    max_region_net_loss_rate: float | None = None
    max_national_moves: float | None = None
    pipeline: PipelineData | None = None
    teams: tuple[TeamInfo, ...] = ()
    scenarios: ScenarioSet | None = None
    professions: tuple[str, ...] = ()
    instance_sha256: str | None = None
    schema_version: int | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.regions), len(self.specialties), len(self.years)

    def cells(self):
        """Every cell in array order as ``((r, s, t), (i, j, k))``: its ids and its position."""
        ids = itertools.product(self.regions, self.specialties, self.years)
        pos = itertools.product(range(len(self.regions)), range(len(self.specialties)), range(len(self.years)))
        return zip(ids, pos, strict=True)

    @property
    def ranged(self) -> np.ndarray:
        """(S, Y) bool: the national total is a range (v2), not a fixed number."""
        return self.national_min < self.national_max

    @property
    def target_bar(self) -> np.ndarray:
        """(R, S, Y) ``T̄`` of §6b: ``T`` where the national total is fixed; where it is a range,
        the fair share at the baseline national total clipped into the range. Data only."""
        return self.target

    def totals_of(self, x: np.ndarray) -> np.ndarray:
        """(S, Y) the national totals a solution holds: ``N`` where fixed, ``Σ_r x`` where ranged."""
        return np.where(self.ranged, x.sum(axis=0), self.national)

    def target_of(self, x: np.ndarray) -> np.ndarray:
        """(R, S, Y) the fair shares ``T`` a solution ``x`` implies (§3): ``T`` where the
        national total is fixed, ``share · Σ_r' x[r',s,t]`` where it is a range. What the
        ``target`` column and the §8 measures report."""
        if not self.ranged.any():
            return self.target
        return np.where(self.ranged[None, :, :], self.share * x.sum(axis=0)[None, :, :], self.target)

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


def shares(need: np.ndarray) -> np.ndarray:
    """Need shares ``D[r,s,t] / Σ_r' D[r',s,t]`` (0 where Σ D = 0)."""
    total = need.sum(axis=0)  # (S, Y)
    return np.divide(need, total, out=np.zeros_like(need), where=total > 0)


def targets(need: np.ndarray, national: np.ndarray) -> np.ndarray:
    """Fair shares ``T[r,s,t] = N[s,t] · D[r,s,t] / Σ_r' D[r',s,t]`` (0 where Σ D = 0)."""
    return shares(need) * national[None, :, :]


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
    national_min, national_max = national.copy(), national.copy()
    for n in inst.national_posts:
        s, t = si[n.specialty], ti[n.year]
        if n.ranged:  # v2: N̄ = the baseline national total clipped into the range
            lo = 0.0 if n.min_posts is None else n.min_posts
            hi = np.inf if n.max_posts is None else n.max_posts
            national[s, t] = min(max(national[s, t], lo), hi)
            national_min[s, t], national_max[s, t] = lo, hi
        else:
            national[s, t] = national_min[s, t] = national_max[s, t] = n.posts

    population = np.repeat(np.array([r.population for r in inst.regions], float)[:, None], Y, axis=1)
    for p in inst.population_by_year:
        if p.year in ti:  # evaluation years after y_H belong to the pipeline (§10)
            population[ri[p.region], ti[p.year]] = p.population
    need_index = np.array([r.need_index for r in inst.regions], float)

    weight = np.ones((R, S))
    by_cell: dict[tuple, dict[int, float]] = {}
    for w in inst.need_weights:
        if w.year is None:
            weight[ri[w.region], si[w.specialty]] = w.weight
        elif w.year in ti:
            by_cell.setdefault((ri[w.region], si[w.specialty]), {})[w.year] = w.weight
    weights = by_year(weight, by_cell, years, set(years))  # (R, S, Y)

    need = population[:, None, :] * need_index[:, None, None] * weights
    share = shares(need)
    target = share * national[None, :, :]

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
    d = ProblemData(
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
        share=share,
        target=target,
        national_min=national_min,
        national_max=national_max,
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
        shrink_allowance=tr.shrink_allowance or 0.0,
        shrink_by_programme_length=tr.shrink_by_programme_length,
        max_region_net_loss_rate=tr.max_region_net_loss_rate,
        max_national_moves=tr.max_national_moves,
        professions=tuple(s.profession for s in inst.specialties),
        instance_sha256=instance_sha256(inst),
        schema_version=inst.schema_version,
    )
    if inst.pipeline is None and not inst.teams:
        return d
    sc = scenario_data(inst, d)
    pipe = sc.members[0].pipeline if sc is not None else pipeline_data(inst, d)
    return dataclasses.replace(d, pipeline=pipe, teams=team_data(inst, d, pipe), scenarios=sc)
