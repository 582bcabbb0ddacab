"""Need factors and the fair-share waterfall (docs/model.md §3b): data only.

A factor's value of cell (r, s) in year t is, first found: the region-and-specialty entry for
the latest year ≤ t; the region-and-specialty entry without a year; the region entry for the
latest year ≤ t; the region entry without a year; 1.0. The built-in factors take the §2 fields:
``need_index[r]``, and ``need_weights`` ``w[r,s,t]`` (by §2's rule for years). Each factor is
normalised to a population-weighted mean of 1 over regions, per specialty and year::

    F̂[r,s,t] = F[r,s,t] · Σ_r population[r,t] / Σ_r population[r,t] · F[r,s,t]   (1 where that is 0)

and, over the factors f that apply to s (``specialties``, default all), with blend β_f::

    D[r,s,t] = population[r,t] · Π_f (1 − β_f + β_f · F̂_f[r,s,t])

The need-weighted population (§8, §10's ``supply_gini``, §11's ``D_g``) is
``population · Π_f (1 − β_f + β_f · F̂_f)`` over the factors with no ``specialties`` and no
region-and-specialty entries (``need_index`` among them).

**The waterfall.** ``T⁰ = N · population / Σ_r population``, then ``T^f`` is §3's ``T`` with
the factors up to f (in the listed order); the step of f is ``T^f − T^{f−1}`` and ``T^F = T``.

Without a ``need`` block none of this applies: :mod:`allocator.core.data` computes §3's ``D``
exactly as in version 2. The independent checker restates these rules on its own
(``allocator.analysis.check_need``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocator.core.instance import BUILTIN_FACTORS, Instance, NeedFactor


@dataclass(frozen=True)
class Factor:
    """One need factor of an instance, over some years (Y' of them: the planning years, or the
    calendar years of the pipeline).

    Attributes
    ----------
    id, name, blend, source : as in the instance (``name`` defaults to the id).
    applies : (S,) bool, the factor applies to the specialty.
    regional : no ``specialties`` and no region-and-specialty values (it enters the
        need-weighted population); ``need_index`` is regional, ``need_weights`` is not.
    values : (R, S, Y') ``F``, the values before normalisation.
    normalised : (R, S, Y') ``F̂``.
    term : (R, S, Y') ``1 − β + β · F̂`` where the factor applies, 1 elsewhere.
    """

    id: str
    name: str
    blend: float
    source: str | None
    applies: np.ndarray
    regional: bool
    values: np.ndarray
    normalised: np.ndarray
    term: np.ndarray


@dataclass(frozen=True)
class NeedArrays:
    """``D`` (R, S, Y'), the need-weighted population (R, Y') and the factors, in order."""

    need: np.ndarray
    weighted_population: np.ndarray
    factors: tuple[Factor, ...]


def ordered_factors(inst: Instance) -> list[NeedFactor]:
    """The factors in waterfall order: the built-ins not listed come first (``need_index`` then
    ``need_weights``, blend 1), then the listed factors in their order."""
    assert inst.need is not None
    listed = {f.id for f in inst.need.factors}
    first = [NeedFactor(id=b, blend=1.0) for b in BUILTIN_FACTORS if b not in listed]
    return first + list(inst.need.factors)


def lookup(inst: Instance, factor: NeedFactor, years: list[int]) -> np.ndarray:
    """(R, S, len(years)) the values of a listed (not built-in) factor by the rule of §3b."""
    ri = {r: i for i, r in enumerate(inst.region_ids)}
    si = {s: j for j, s in enumerate(inst.specialty_ids)}
    yrs = np.asarray(years)
    out = np.ones((len(ri), len(si), len(years)))
    # lowest priority first: each layer overrides the ones before where it applies
    layers = (
        (False, False),  # region, no year
        (False, True),  # region, latest year <= t
        (True, False),  # region and specialty, no year
        (True, True),  # region and specialty, latest year <= t
    )
    for by_specialty, by_year in layers:
        entries = [
            v for v in factor.values if (v.specialty is not None) == by_specialty and (v.year is not None) == by_year
        ]
        for v in sorted(entries, key=lambda v: v.year or 0):  # later years override earlier ones
            s = si[v.specialty] if by_specialty else slice(None)
            t = yrs >= v.year if by_year else slice(None)
            out[ri[v.region], s, t] = v.value
    return out


def normalise(values: np.ndarray, population: np.ndarray) -> np.ndarray:
    """``F̂ = F · Σ_r pop / Σ_r pop · F`` per specialty and year (1 where ``Σ_r pop · F = 0``);
    ``values`` (R, S, Y'), ``population`` (R, Y')."""
    weighted = (population[:, None, :] * values).sum(axis=0)  # (S, Y')
    scale = np.divide(population.sum(axis=0)[None, :], weighted, out=np.zeros_like(weighted), where=weighted != 0)
    return np.where(weighted[None] != 0, values * scale[None], 1.0)


def need_arrays(
    inst: Instance, years: list[int], population: np.ndarray, weights: np.ndarray, need_index: np.ndarray
) -> NeedArrays:
    """``D``, the need-weighted population and the factors of ``inst`` (which has a need block)
    over ``years``, from the population (R, Y'), the need weights ``w`` (R, S, Y') and the need
    index (R,) of those years."""
    R, S = len(inst.regions), len(inst.specialties)
    Yn = len(years)
    si = {s: j for j, s in enumerate(inst.specialty_ids)}
    need = np.broadcast_to(population[:, None, :], (R, S, Yn)).copy()
    weighted = population.astype(float).copy()
    factors = []
    for f in ordered_factors(inst):
        if f.id == "need_index":
            values = np.broadcast_to(need_index[:, None, None], (R, S, Yn)).astype(float)
        elif f.id == "need_weights":
            values = np.asarray(weights, float)
        else:
            values = lookup(inst, f, years)
        applies = np.ones(S, bool)
        if f.specialties is not None:
            applies[:] = False
            applies[[si[s] for s in f.specialties]] = True
        regional = f.id == "need_index" or (
            f.id != "need_weights" and f.specialties is None and all(v.specialty is None for v in f.values)
        )
        normalised = normalise(values, population)
        term = np.where(applies[None, :, None], 1.0 - f.blend + f.blend * normalised, 1.0)
        need = need * term
        if regional:
            weighted = weighted * term[:, 0, :]
        factors.append(Factor(f.id, f.name or f.id, f.blend, f.source, applies, regional, values, normalised, term))
    return NeedArrays(need, weighted, tuple(factors))


def waterfall(
    population: np.ndarray, factors: tuple[Factor, ...], national: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """The fair-share waterfall of §3b: ``(steps, posts)`` with ``steps`` the step names
    (``"population"``, then each factor id in order) and ``posts`` (len(steps), R, S, Y) the
    steps, summing to ``T`` over the first axis.

    Parameters
    ----------
    population : (R, Y) population of the planning years.
    factors : the factors over the planning years (``ProblemData.need_factors``).
    national : (S, Y) the national totals ``N`` (for a ranged total, the solution's ``Σ_r x``).
    """
    R, Y = population.shape
    S = national.shape[0]
    need = np.broadcast_to(population[:, None, :], (R, S, Y)).astype(float)
    levels = [_fair(need, national)]
    for f in factors:
        need = need * f.term
        levels.append(_fair(need, national))
    steps = [levels[0]] + [b - a for a, b in zip(levels, levels[1:], strict=False)]
    return ["population", *(f.id for f in factors)], np.stack(steps)


def _fair(need: np.ndarray, national: np.ndarray) -> np.ndarray:
    total = need.sum(axis=0)
    share = np.divide(need, total, out=np.zeros_like(need), where=total > 0)
    return share * national[None, :, :]
