"""The checker's rows of pacing (docs/model.md §5b), restated from the contract on the
instance alone (a mixin of the checker; no code shared with ``core.pacing`` or the builders).

- ``transition_by_specialty``: each field of (s, t) is the year entry's if it gives the field,
  else the all-years entry's, else the global ``transition`` field; a rate given as ``null``
  means no such limit for that specialty and year (its allowance then has no effect).
- ``phase``: ``dec = 0`` for each region and each planning year before ``from_year``.
- ``floor``: from ``from_year`` on, ``x ≥ φ · T`` for each matching cell (``level`` cell) and
  ``Σ_s x ≥ φ · Σ_s T`` over the matching specialties of each matching region (``level``
  region); ``φ`` is ``share_of_target``, or ``1 − (1 − ρ)^k · g0`` for ``convergence`` ρ,
  with ``g0 = max(0, 1 − b / T̄)`` at the first planning year (sums over the level's cells;
  0 where that ``T̄`` is 0) and ``k`` the number of planning years from ``from_year`` to t.
"""

from __future__ import annotations

import numpy as np

from allocator.io.results import fmt_number

_FIELDS = ("max_growth_rate", "growth_allowance", "max_shrink_rate", "shrink_allowance", "shrink_by_programme_length")


class PacingChecks:
    """The limits by specialty, phases and floors, checked against an allocation."""

    def limit(self, name: str) -> np.ndarray:
        """(S, Y) the transition field ``name`` in effect for each specialty and year: a number,
        ``nan`` for no limit (a rate) or no value (an allowance); booleans as 1.0 / 0.0."""
        tb = self.tb
        ns, ny = len(tb.specialties), len(tb.years)
        glob = getattr(tb.inst.transition, name)
        out = np.full((ns, ny), np.nan if glob is None else float(glob))
        for entry in tb.inst.transition_by_specialty:  # all-years entries first
            if entry.year is None and name in entry.model_fields_set:
                v = getattr(entry, name)
                out[tb.si[entry.specialty], :] = np.nan if v is None else float(v)
        for entry in tb.inst.transition_by_specialty:  # then the year entries over them
            if entry.year is not None and name in entry.model_fields_set:
                v = getattr(entry, name)
                out[tb.si[entry.specialty], tb.yi[entry.year]] = np.nan if v is None else float(v)
        return out

    def rate_and_allowance(self, rate: str, allowance: str) -> tuple[np.ndarray, np.ndarray]:
        """(S, Y) a rate (``nan``: no limit) and its allowance (0 where none)."""
        return self.limit(rate), np.nan_to_num(self.limit(allowance))

    def programme_limited(self) -> np.ndarray:
        """(S, Y) bool: ``shrink_by_programme_length`` holds for s in year t."""
        return np.nan_to_num(self.limit("shrink_by_programme_length")) > 0

    def phase(self, dec: np.ndarray) -> None:
        """dec = 0 for each region and each planning year before the phase of a specialty."""
        tb = self.tb
        for entry in tb.inst.phases:
            j = tb.si[entry.specialty]
            for h, year in enumerate(tb.years):
                if year >= entry.from_year:
                    continue
                for i in range(len(tb.regions)):
                    lost = float(dec[i, j, h])
                    if self._unknown("phase", lost):
                        continue
                    if lost > self.allowance(0.0):
                        self.add(
                            "phase",
                            lost,
                            f"phase: {tb.cell(i, j, h)}: loses {fmt_number(lost)} posts in {year}, before the phase "
                            f"of {entry.specialty} starts in {entry.from_year}",
                            region=tb.regions[i],
                            specialty=entry.specialty,
                            year=year,
                        )

    def _phi(self, entry, baseline: float, fair_first: float) -> list[float | None]:
        """φ of a floor entry in each planning year (``None`` before ``from_year``)."""
        if entry.share_of_target is not None:
            return [entry.share_of_target if y >= entry.from_year else None for y in self.tb.years]
        g0 = max(0.0, 1.0 - baseline / fair_first) if fair_first > 0 else 0.0
        out: list[float | None] = []
        k = 0
        for y in self.tb.years:
            if y >= entry.from_year:
                k += 1
                out.append(1.0 - (1.0 - entry.convergence) ** k * g0)
            else:
                out.append(None)
        return out

    def floor(self, x: np.ndarray, target: np.ndarray) -> None:
        """x ≥ φ · T for each floored cell, Σ_s x ≥ φ · Σ_s T for each floored region."""
        tb = self.tb
        for n, entry in enumerate(tb.inst.floors):
            regions = range(len(tb.regions)) if entry.region is None else [tb.ri[entry.region]]
            specs = list(range(len(tb.specialties))) if entry.specialty is None else [tb.si[entry.specialty]]
            groups = [[j] for j in specs] if entry.level == "cell" else [specs]
            for i in regions:
                for group in groups:
                    base = float(tb.baseline[i, group].sum())
                    phis = self._phi(entry, base, float(tb.target_bar[i, group, 0].sum()))
                    for h, phi in enumerate(phis):
                        if phi is None:
                            continue
                        held, fair = float(x[i, group, h].sum()), float(target[i, group, h].sum())
                        if self._unknown("floor", held, fair):
                            continue
                        need = phi * fair
                        if need - held > self.allowance(need, cells=len(group)):
                            what = tb.cell(i, group[0], h) if len(group) == 1 else f"{tb.regions[i]}/{tb.years[h]}"
                            self.add(
                                "floor",
                                need - held,
                                f"floor: {what}: {fmt_number(held)} posts, below floors[{n}]'s "
                                f"{fmt_number(100 * phi)} % of the fair share {fmt_number(fair)} "
                                f"({fmt_number(need)}) by {fmt_number(need - held)}",
                                region=tb.regions[i],
                                specialty=tb.specialties[group[0]] if len(group) == 1 else None,
                                year=tb.years[h],
                            )
