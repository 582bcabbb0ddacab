"""Pacing a redistribution (docs/model.md §5b) as arrays, computed once per instance.

Three optional inputs pace a redistribution the way NHS England does:

- ``phases``: before ``from_year`` no region loses posts of that specialty (``dec = 0``);
- ``transition_by_specialty``: a specialty's own transition limits, for every year or one;
- ``floors``: from ``from_year`` on, a cell (or a region's total) holds at least a share φ of
  its fair share; φ is constant (``share_of_target``) or follows a convergence path.

:func:`pacing_data` turns them into a :class:`Pacing` attached to the problem data
(``ProblemData.pacing``); :func:`effective_limits` resolves the transition limits of every
specialty and year (the year entry's field, else the all-years entry's, else the global one;
a rate written ``null`` removes that limit and its allowance). Every backend reads these
arrays, so a limit and a floor have one home. The independent checker does not: it restates
the rules from the contract.

Floors. For a floor with ``convergence`` ρ, ``φ[t] = 1 − (1 − ρ)^k · g0`` where
``g0 = max(0, 1 − b / T̄)`` at the first planning year (``T̄`` of §6b; sums over the level's
cells; ``g0 = 0`` where ``T̄`` is 0) and ``k`` counts the planning years from ``from_year`` to
``t``. Where several floors cover one cell (or one region's total) the largest φ holds: the
rows ``x ≥ φ_1 · T`` and ``x ≥ φ_2 · T`` are one row ``x ≥ max(φ) · T`` since ``T ≥ 0``. A
region floor over one specialty is that cell's floor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allocator.core.instance import Floor, Instance, TransitionBySpecialty

#: A :class:`~allocator.core.data.ProblemData` (not imported: ``core.data`` imports this module).
ProblemData = Any

#: The transition fields a ``transition_by_specialty`` entry may replace.
LIMIT_FIELDS = TransitionBySpecialty.LIMITS


@dataclass(frozen=True)
class Pacing:
    """The pacing of one instance as arrays (R regions, S specialties, Y planning years).

    Attributes
    ----------
    phase_year : (S,) the ``from_year`` of each specialty's phase, ``-1`` where it has none.
    phased : (S, Y) bool: no region may lose posts of s in year t (t before its phase).
    given : ``{field: (S, Y) bool}``: a ``transition_by_specialty`` entry sets the field for (s, t).
    value : ``{field: (S, Y) float}``: the value set, ``nan`` for a rate written ``null``
        (booleans as 0/1).
    floor_cell : (R, S, Y) φ of the cell floor, 0 where no floor covers the cell that year.
    floor_cell_entry : (R, S, Y) int, the ``floors`` entry whose φ holds there, ``-1`` where none.
    floor_region : (R, Y) φ of a region's total over every specialty, 0 where none.
    floor_region_entry : (R, Y) int, its ``floors`` entry, ``-1`` where none.
    floors : the ``floors`` entries themselves (for words).
    """

    phase_year: np.ndarray
    phased: np.ndarray
    given: dict[str, np.ndarray]
    value: dict[str, np.ndarray]
    floor_cell: np.ndarray
    floor_cell_entry: np.ndarray
    floor_region: np.ndarray
    floor_region_entry: np.ndarray
    floors: tuple[Floor, ...] = field(default=())

    def year(self, t: int) -> Pacing:
        """The pacing of planning year ``t`` alone (whole posts, one year at a time)."""
        cut = slice(t, t + 1)
        return dataclasses.replace(
            self,
            phased=self.phased[:, cut],
            given={k: v[:, cut] for k, v in self.given.items()},
            value={k: v[:, cut] for k, v in self.value.items()},
            floor_cell=self.floor_cell[:, :, cut],
            floor_cell_entry=self.floor_cell_entry[:, :, cut],
            floor_region=self.floor_region[:, cut],
            floor_region_entry=self.floor_region_entry[:, cut],
        )


@dataclass(frozen=True)
class Limits:
    """The transition limits in effect for each specialty and planning year, (S, Y) arrays.

    ``growth_rate`` and ``shrink_rate`` are ``nan`` where there is no such limit (no row);
    the allowances are 0 where none is given; ``programme`` says whether ``programme_shrink``
    holds."""

    growth_rate: np.ndarray
    growth_allowance: np.ndarray
    shrink_rate: np.ndarray
    shrink_allowance: np.ndarray
    programme: np.ndarray


def effective_limits(d: ProblemData) -> Limits:
    """The transition limits of every (s, t): the global ``transition`` fields of ``d``,
    replaced field by field by ``transition_by_specialty`` (docs/model.md §5b)."""
    S, Y = len(d.specialties), len(d.years)

    def glob(value: float | None) -> np.ndarray:
        return np.full((S, Y), np.nan if value is None else float(value))

    out = {
        "max_growth_rate": glob(d.max_growth_rate),
        "growth_allowance": glob(d.growth_allowance),
        "max_shrink_rate": glob(d.max_shrink_rate),
        "shrink_allowance": glob(d.shrink_allowance),
        "shrink_by_programme_length": glob(float(d.shrink_by_programme_length)),
    }
    p = d.pacing
    if p is not None:
        for name, arr in out.items():
            arr[p.given[name]] = p.value[name][p.given[name]]
    programme = np.nan_to_num(out["shrink_by_programme_length"]) > 0
    return Limits(
        growth_rate=out["max_growth_rate"],
        growth_allowance=np.nan_to_num(out["growth_allowance"]),
        shrink_rate=out["max_shrink_rate"],
        shrink_allowance=np.nan_to_num(out["shrink_allowance"]),
        programme=programme & ~np.isnan(d.programme_years)[:, None],
    )


def phased_cells(d: ProblemData) -> np.ndarray:
    """(R, S, Y) bool: the cells whose ``dec`` a phase holds at 0."""
    R, S, Y = d.shape
    if d.pacing is None:
        return np.zeros((R, S, Y), bool)
    return np.broadcast_to(d.pacing.phased[None, :, :], (R, S, Y))


def phi_path(floor: Floor, years: list[int], g0: np.ndarray | float) -> np.ndarray:
    """φ of ``floor`` in every planning year (0 before ``from_year``), shape ``(*g0.shape, Y)``:
    ``share_of_target``, or ``1 − (1 − ρ)^k · g0`` with ``k`` the planning years from
    ``from_year`` to t."""
    g0 = np.asarray(g0, float)
    k = np.cumsum([y >= floor.from_year for y in years])  # planning years from from_year to t
    on = np.array([y >= floor.from_year for y in years])
    if floor.share_of_target is not None:
        phi = np.broadcast_to(np.where(on, floor.share_of_target, 0.0), (*g0.shape, len(years)))
        return np.array(phi)
    path = 1.0 - (1.0 - floor.convergence) ** k * g0[..., None]
    return np.where(on, path, 0.0)


def gap_at_start(baseline: np.ndarray, target_bar_first: np.ndarray) -> np.ndarray:
    """``g0 = max(0, 1 − b / T̄)`` at the first planning year (0 where ``T̄`` is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(target_bar_first > 0, 1.0 - baseline / target_bar_first, 0.0)
    return np.maximum(g, 0.0)


def pacing_data(inst: Instance, d: ProblemData) -> Pacing:
    """The :class:`Pacing` of ``inst`` (``d``: its arrays without pacing: baseline, ``T̄``)."""
    R, S, Y = d.shape
    si = {s: j for j, s in enumerate(d.specialties)}
    ri = {r: i for i, r in enumerate(d.regions)}
    years = list(d.years)
    phase_year = np.full(S, -1)
    phased = np.zeros((S, Y), bool)
    for p in inst.phases:
        phase_year[si[p.specialty]] = p.from_year
        phased[si[p.specialty]] = np.array(years) < p.from_year
    given = {f: np.zeros((S, Y), bool) for f in LIMIT_FIELDS}
    value = {f: np.full((S, Y), np.nan) for f in LIMIT_FIELDS}
    # all-years entries first, then year entries over them: each field resolved on its own
    for entry in sorted(inst.transition_by_specialty, key=lambda e: e.year is not None):
        j = si[entry.specialty]
        t = slice(None) if entry.year is None else years.index(entry.year)
        for name, v in entry.given().items():
            given[name][j, t] = True
            value[name][j, t] = np.nan if v is None else float(v)
    # a rate resolved to null has no row, so its allowance (whatever its source) has no effect
    bar = d.target  # T̄ of §6b (T where the national total is fixed)
    cell_phi, cell_entry = np.zeros((R, S, Y)), np.full((R, S, Y), -1)
    reg_phi, reg_entry = np.zeros((R, Y)), np.full((R, Y), -1)
    for n, f in enumerate(inst.floors):
        rs = list(range(R)) if f.region is None else [ri[f.region]]
        if f.level == "region" and f.specialty is None:
            g0 = gap_at_start(d.baseline[rs].sum(axis=1), bar[rs, :, 0].sum(axis=1))
            phi = phi_path(f, years, g0)  # (len(rs), Y)
            has_need = d.share[rs].sum(axis=1) > 0
            phi = np.where(has_need, phi, 0.0)
            better = phi > reg_phi[rs]
            reg_phi[rs] = np.where(better, phi, reg_phi[rs])
            reg_entry[rs] = np.where(better, n, reg_entry[rs])
            continue
        ss = list(range(S)) if f.specialty is None else [si[f.specialty]]
        sub = np.ix_(rs, ss)
        g0 = gap_at_start(d.baseline[sub], bar[:, :, 0][sub])
        phi = np.where(d.share[np.ix_(rs, ss, range(Y))] > 0, phi_path(f, years, g0), 0.0)
        cur = cell_phi[np.ix_(rs, ss, range(Y))]
        better = phi > cur
        cell_phi[np.ix_(rs, ss, range(Y))] = np.where(better, phi, cur)
        cell_entry[np.ix_(rs, ss, range(Y))] = np.where(better, n, cell_entry[np.ix_(rs, ss, range(Y))])
    return Pacing(
        phase_year=phase_year,
        phased=phased,
        given=given,
        value=value,
        floor_cell=cell_phi,
        floor_cell_entry=cell_entry,
        floor_region=reg_phi,
        floor_region_entry=reg_entry,
        floors=tuple(inst.floors),
    )
