"""The instance as the checker's own arrays (no code shared with the model builders)."""

from __future__ import annotations

import numpy as np

from allocator.analysis.check_need import NeedRule
from allocator.core.instance import Instance

# --------------------------------------------------------------------------- the instance


class _Tables:
    """The instance's numbers with every default of docs/model.md §2 filled in.

    Arrays are indexed ``[i, j]`` (region, specialty) or ``[i, j, h]`` with ``h`` the
    position of the year in ``inst.years``; ``[i, h]`` for population.
    """

    def __init__(self, inst: Instance):
        self.inst = inst
        self.regions = [r.id for r in inst.regions]
        self.specialties = [s.id for s in inst.specialties]
        self.years = list(inst.years)
        self.ri = {r: i for i, r in enumerate(self.regions)}
        self.si = {s: j for j, s in enumerate(self.specialties)}
        self.yi = {t: h for h, t in enumerate(self.years)}
        nr, ns, ny = len(self.regions), len(self.specialties), len(self.years)
        self.shape = (nr, ns, ny)

        # baseline posts b[r,s]; a pair that is missing holds 0 posts
        self.baseline = np.zeros((nr, ns))
        for entry in inst.baseline_posts:
            self.baseline[self.ri[entry.region], self.si[entry.specialty]] = entry.posts

        # population[r,t]: population_by_year, else the region's population (entries for the
        # pipeline's evaluation years between or after the planning years are read by
        # check_workforce, not here)
        self.population = np.zeros((nr, ny))
        for i, region in enumerate(inst.regions):
            for h in range(ny):
                self.population[i, h] = region.population
        for entry in inst.population_by_year:
            if entry.year in self.yi:
                self.population[self.ri[entry.region], self.yi[entry.year]] = entry.population

        self.need_index = np.array([r.need_index for r in inst.regions], dtype=float)

        # need weights: the general w[r,s] (an entry without ``year``, default 1), and those of
        # each planning year (project extension: an entry with ``year`` gives that year only; a
        # planning year without one uses the general weight)
        self.weight = np.ones((nr, ns))
        for entry in inst.need_weights:
            if entry.year is None:
                self.weight[self.ri[entry.region], self.si[entry.specialty]] = entry.weight
        self.weight_by_year = np.repeat(self.weight[:, :, np.newaxis], ny, axis=2)
        for entry in inst.need_weights:
            if entry.year is not None and entry.year in self.yi:
                self.weight_by_year[self.ri[entry.region], self.si[entry.specialty], self.yi[entry.year]] = entry.weight

        # national posts N[s,t]: default the baseline national total of s, every year
        self.national = np.zeros((ns, ny))
        for j in range(ns):
            total = sum(self.baseline[i, j] for i in range(nr))
            for h in range(ny):
                self.national[j, h] = total
        # v2 ranges: min (None: no minimum), max (None: no maximum); N[s,t] is then the
        # allocation's own total, and national_bar the baseline total clipped into the range
        self.ranges: dict[tuple[int, int], tuple[float | None, float | None]] = {}
        self.national_bar = self.national.copy()
        for entry in inst.national_posts:
            j, h = self.si[entry.specialty], self.yi[entry.year]
            if entry.posts is None:
                self.ranges[j, h] = (entry.min_posts, entry.max_posts)
                clipped = self.national[j, h]
                if entry.min_posts is not None:
                    clipped = max(clipped, entry.min_posts)
                if entry.max_posts is not None:
                    clipped = min(clipped, entry.max_posts)
                self.national_bar[j, h] = clipped
            else:
                self.national[j, h] = entry.posts
                self.national_bar[j, h] = entry.posts

        # cost per post c[r,s]: default 0
        self.cost = np.zeros((nr, ns))
        for entry in inst.cost_per_post:
            self.cost[self.ri[entry.region], self.si[entry.specialty]] = entry.cost

        # need factors (§3b, v3): D from the factors, restated in check_need
        self.need_rule = NeedRule(inst) if inst.need is not None else None

        # T̄: the targets at data-only totals (T itself wherever the total is fixed)
        self.target_bar = self._targets(self.national_bar)
        self.target = self.target_bar

    def weighted_population(self, h: int) -> np.ndarray:
        """(R,) ``v_r`` of planning year ``h``: ``population · need_index``, or with a need block
        the need-weighted population of §3b."""
        if self.need_rule is None:
            return self.population[:, h] * self.need_index
        return self.need_rule.weighted_population(self.population[:, h], self.weight_by_year[:, :, h], self.years[h])

    def _targets(self, national: np.ndarray) -> np.ndarray:
        """T[r,s,t] = N[s,t] · D[r,s,t] / Σ_r' D[r',s,t], D = population · need_index · w (or,
        with a need block, the D of §3b)."""
        nr, ns, ny = self.shape
        target = np.zeros(self.shape)
        for h in range(ny):
            factored = None
            if self.need_rule is not None:
                factored = self.need_rule.need(self.population[:, h], self.weight_by_year[:, :, h], self.years[h])
            for j in range(ns):
                need = [self.population[i, h] * self.need_index[i] * self.weight_by_year[i, j, h] for i in range(nr)]
                if factored is not None:
                    need = list(factored[:, j])
                total = sum(need)
                if total <= 0:
                    continue  # no need anywhere: no fair share (validation forbids posts here)
                for i in range(nr):
                    target[i, j, h] = national[j, h] * need[i] / total
        return target

    def targets_of(self, x: np.ndarray) -> np.ndarray:
        """The targets T of an allocation: where a national total is a range, N[s,t] is the
        allocation's own Σ_r x[r,s,t] (NaN where a cell of that column is missing)."""
        if not self.ranges:
            return self.target_bar
        national = self.national_bar.copy()
        for j, h in self.ranges:
            national[j, h] = x[:, j, h].sum()
        return self._targets(national)

    def cell(self, i: int, j: int, h: int) -> str:
        return f"{self.regions[i]}/{self.specialties[j]}/{self.years[h]}"
