"""The checker's need factors (docs/model.md §3b), restated from the document alone: it shares no
code with ``core.need`` (which the model builders use), so that a mistake there cannot hide.

For a calendar year ``u``, with the population ``pop[r]`` and need weights ``w[r,s]`` of that
year, the factors are taken in the waterfall's order: the built-ins not listed first
(``need_index`` then ``need_weights``, blend 1), then the listed ones. The value of factor f
in cell (r, s) is the first found of: the region-and-specialty entry for the latest year
``<= u``; the region-and-specialty entry without a year; the region entry for the latest year
``<= u``; the region entry without a year; 1.0 (``need_index[r]`` and ``w[r,s]`` for the
built-ins). Per specialty::

    F̂[r,s] = F[r,s] · Σ_r pop[r] / Σ_r pop[r] · F[r,s]          (1 where the denominator is 0)
    D[r,s] = pop[r] · Π_f (1 − β_f + β_f · F̂_f[r,s])             (f applying to s)

and the need-weighted population (§8's ``v_r``, §10's ``supply_gini``, §11's ``D_g``) is
``pop[r] · Π_f (1 − β_f + β_f · F̂_f[r])`` over the factors with no ``specialties`` and no
region-and-specialty values (``need_index`` among them, ``need_weights`` not).
"""

from __future__ import annotations

import numpy as np

from allocator.core.instance import Instance


class NeedRule:
    """The need factors of an instance with a ``need`` block, evaluated year by year."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.regions = [r.id for r in inst.regions]
        self.specialties = [s.id for s in inst.specialties]
        self.need_index = [r.need_index for r in inst.regions]
        listed = [f.id for f in inst.need.factors]
        # (id, blend, specialties or None, values) in the waterfall's order
        self.factors = [(b, 1.0, None, []) for b in ("need_index", "need_weights") if b not in listed]
        self.factors += [(f.id, f.blend, f.specialties, f.values) for f in inst.need.factors]

    def _value(self, fid: str, values: list, i: int, j: int, year: int, weight: np.ndarray) -> float:
        if fid == "need_index":
            return self.need_index[i]
        if fid == "need_weights":
            return float(weight[i, j])
        region, spec = self.regions[i], self.specialties[j]
        for with_specialty in (True, False):
            mine = [
                v
                for v in values
                if v.region == region and (v.specialty == spec if with_specialty else v.specialty is None)
            ]
            dated = [v for v in mine if v.year is not None and v.year <= year]
            if dated:
                return max(dated, key=lambda v: v.year).value
            undated = [v for v in mine if v.year is None]
            if undated:
                return undated[0].value
        return 1.0

    def _terms(self, fid, blend, specs, values, population, weight, year) -> np.ndarray:
        """(R, S) ``1 − β + β · F̂`` of one factor (1 where it does not apply)."""
        nr, ns = len(self.regions), len(self.specialties)
        out = np.ones((nr, ns))
        for j in range(ns):
            if specs is not None and self.specialties[j] not in specs:
                continue
            raw = [self._value(fid, values, i, j, year, weight) for i in range(nr)]
            denominator = sum(population[i] * raw[i] for i in range(nr))
            for i in range(nr):
                normalised = 1.0 if denominator == 0 else raw[i] * sum(population) / denominator
                out[i, j] = 1.0 - blend + blend * normalised
        return out

    def need(self, population: np.ndarray, weight: np.ndarray, year: int) -> np.ndarray:
        """(R, S) ``D`` of calendar year ``year``, from its population (R,) and weights (R, S)."""
        need = np.repeat(np.asarray(population, float)[:, np.newaxis], len(self.specialties), axis=1)
        for fid, blend, specs, values in self.factors:
            need = need * self._terms(fid, blend, specs, values, population, weight, year)
        return need

    def weighted_population(self, population: np.ndarray, weight: np.ndarray, year: int) -> np.ndarray:
        """(R,) the need-weighted population of calendar year ``year``."""
        out = np.asarray(population, float).copy()
        for fid, blend, specs, values in self.factors:
            regional = fid == "need_index" or (
                fid != "need_weights" and specs is None and all(v.specialty is None for v in values)
            )
            if regional:
                out = out * self._terms(fid, blend, specs, values, population, weight, year)[:, 0]
        return out
