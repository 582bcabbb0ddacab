"""The checker's rows of each constraint family of docs/model.md §5, recomputed from the
instance alone (a mixin of the checker: no code shared with the model builders)."""

from __future__ import annotations

import math

import numpy as np

from allocator.io.results import (
    fmt_number,
)


class FamilyChecks:
    """One method per family: each adds a Violation for every row the allocation breaks."""

    def _unknown(self, family: str, *values: float) -> bool:
        """True (and counted) when a row involves a missing cell."""
        if any(math.isnan(v) for v in values):
            self.skipped[family] += 1
            return True
        return False

    def _violated(self, family: str, excess: np.ndarray, rhs, cells: int = 1) -> np.ndarray:
        """Indices (in C order) of the rows, one per element of ``excess``, that are off by
        more than their allowance; ``excess`` is ``lhs - rhs``, or ``|lhs - rhs|`` for an
        equality. Rows involving a missing cell (``excess`` NaN) are counted as not checked.
        """
        unknown = np.isnan(excess)
        if unknown.any():
            self.skipped[family] += int(unknown.sum())
        return np.argwhere(excess > self.tol * np.maximum(np.abs(rhs), max(1.0, cells)))  # allowance(), elementwise

    def national_total(self, x: np.ndarray) -> None:
        """Σ_r x[r,s,t] = N[s,t] for each s, t; min <= Σ_r x[r,s,t] <= max for a range."""
        tb = self.tb
        total = x.sum(axis=0)  # [j, h]
        off = total - tb.national
        for (j, h), (low, high) in tb.ranges.items():
            off[j, h] = 0.0  # checked here, not as an equality
            value = float(total[j, h])
            if self._unknown("national_total", value):
                continue
            where = (
                f"national_total: {tb.specialties[j]}/{tb.years[h]}: regions hold {fmt_number(value)} posts in total"
            )
            ent = {"specialty": tb.specialties[j], "year": tb.years[h]}
            if low is not None and low - value > self.allowance(low, cells=tb.shape[0]):
                self.add(
                    "national_total",
                    low - value,
                    f"{where}, below the range's min_posts {fmt_number(low)} by {fmt_number(low - value)}",
                    **ent,
                )
            if high is not None and value - high > self.allowance(high, cells=tb.shape[0]):
                self.add(
                    "national_total",
                    value - high,
                    f"{where}, above the range's max_posts {fmt_number(high)} by {fmt_number(value - high)}",
                    **ent,
                )
        for j, h in self._violated("national_total", np.abs(off), tb.national, cells=tb.shape[0]):
            word = "above" if off[j, h] > 0 else "below"
            self.add(
                "national_total",
                abs(off[j, h]),
                f"national_total: {tb.specialties[j]}/{tb.years[h]}: regions hold "
                f"{fmt_number(total[j, h])} posts in total, {word} national_posts {fmt_number(tb.national[j, h])} "
                f"by {fmt_number(abs(off[j, h]))}",
                specialty=tb.specialties[j],
                year=tb.years[h],
            )

    def capacity(self, x: np.ndarray) -> None:
        """min_posts <= x[r,s,t] <= max_posts for each entry and each year it covers."""
        tb = self.tb
        for entry in tb.inst.capacity:
            i, j = tb.ri[entry.region], tb.si[entry.specialty]
            hs = range(len(tb.years)) if entry.year is None else [tb.yi[entry.year]]
            for h in hs:
                value = float(x[i, j, h])
                if self._unknown("capacity", value):
                    continue
                ent = {"region": entry.region, "specialty": entry.specialty, "year": tb.years[h]}
                low = entry.min_posts
                if low - value > self.allowance(low):
                    self.add(
                        "capacity",
                        low - value,
                        f"capacity: {tb.cell(i, j, h)}: {fmt_number(value)} posts below min_posts "
                        f"{fmt_number(low)} by {fmt_number(low - value)}",
                        **ent,
                    )
                high = entry.max_posts
                if high is not None and value - high > self.allowance(high):
                    self.add(
                        "capacity",
                        value - high,
                        f"capacity: {tb.cell(i, j, h)}: {fmt_number(value)} posts above max_posts "
                        f"{fmt_number(high)} by {fmt_number(value - high)}",
                        **ent,
                    )

    def lock(self, x: np.ndarray) -> None:
        """x[r,s,t] = posts for each lock."""
        tb = self.tb
        for entry in tb.inst.locks:
            i, j, h = tb.ri[entry.region], tb.si[entry.specialty], tb.yi[entry.year]
            value = float(x[i, j, h])
            if self._unknown("lock", value):
                continue
            off = value - entry.posts
            if abs(off) > self.allowance(entry.posts):
                self.add(
                    "lock",
                    abs(off),
                    f"lock: {tb.cell(i, j, h)}: {fmt_number(value)} posts but locked at "
                    f"{fmt_number(entry.posts)} (off by {fmt_number(abs(off))})",
                    region=entry.region,
                    specialty=entry.specialty,
                    year=entry.year,
                )

    def _cell_rows(self, family: str, lhs: np.ndarray, rhs: np.ndarray, describe) -> None:
        """One row ``lhs <= rhs`` per cell (arrays indexed ``[i, j, h]``), reported in year,
        region, specialty order; ``describe(i, j, h)`` puts a violated row's lhs and rhs in
        words (only violated rows are described)."""
        tb = self.tb
        excess = lhs - rhs
        by_year = (2, 0, 1)
        for h, i, j in self._violated(family, excess.transpose(by_year), rhs.transpose(by_year)):
            self.add(
                family,
                excess[i, j, h],
                f"{family}: {tb.cell(i, j, h)}: {describe(i, j, h)}, over by {fmt_number(excess[i, j, h])}",
                region=tb.regions[i],
                specialty=tb.specialties[j],
                year=tb.years[h],
            )

    def growth_limit(self, x_prev: np.ndarray, inc: np.ndarray) -> None:
        """inc <= max_growth_rate · x_prev + growth_allowance for each cell whose specialty has a
        growth limit that year (the global one, or its own: ``PacingChecks.limit``)."""
        rate, allowance = self.rate_and_allowance("max_growth_rate", "growth_allowance")
        if np.isnan(rate).all():
            return
        rate, allowance = rate[np.newaxis], allowance[np.newaxis]
        limit = np.where(np.isnan(rate), np.inf, np.nan_to_num(rate) * x_prev + allowance)
        rate, allowance = (np.broadcast_to(a, x_prev.shape) for a in (rate, allowance))
        self._cell_rows(
            "growth_limit",
            inc,
            limit,
            lambda i, j, h: (
                f"grows by {fmt_number(inc[i, j, h])} posts from {fmt_number(x_prev[i, j, h])}, limit "
                f"{fmt_number(limit[i, j, h])} (max_growth_rate {fmt_number(rate[i, j, h])} × "
                f"{fmt_number(x_prev[i, j, h])} + growth_allowance {fmt_number(allowance[i, j, h])})"
            ),
        )

    def shrink_limit(self, x_prev: np.ndarray, dec: np.ndarray) -> None:
        """dec <= max_shrink_rate · x_prev + shrink_allowance for each cell whose specialty has a
        shrink limit that year (the global one, or its own: ``PacingChecks.limit``)."""
        rate, allowance = self.rate_and_allowance("max_shrink_rate", "shrink_allowance")
        if np.isnan(rate).all():
            return
        rate, allowance = rate[np.newaxis], allowance[np.newaxis]
        limit = np.where(np.isnan(rate), np.inf, np.nan_to_num(rate) * x_prev + allowance)
        rate, allowance = (np.broadcast_to(a, x_prev.shape) for a in (rate, allowance))
        self._cell_rows(
            "shrink_limit",
            dec,
            limit,
            lambda i, j, h: (
                f"shrinks by {fmt_number(dec[i, j, h])} posts from {fmt_number(x_prev[i, j, h])}, limit "
                f"{fmt_number(limit[i, j, h])} (max_shrink_rate {fmt_number(rate[i, j, h])} × "
                f"{fmt_number(x_prev[i, j, h])}"
                + (f" + shrink_allowance {fmt_number(allowance[i, j, h])})" if allowance[i, j, h] else ")")
            ),
        )

    def programme_shrink(self, x_prev: np.ndarray, dec: np.ndarray) -> None:
        """dec <= x_prev / programme_years[s] for each cell where shrink_by_programme_length holds."""
        inst = self.tb.inst
        on = self.programme_limited()
        if not on.any():
            return
        # validation requires programme_years of every specialty where it holds
        years = [s.programme_years or np.nan for s in inst.specialties]
        limit = np.where(on[np.newaxis], x_prev / np.array(years, dtype=float)[np.newaxis, :, np.newaxis], np.inf)
        self._cell_rows(
            "programme_shrink",
            dec,
            limit,
            lambda i, j, h: (
                f"shrinks by {fmt_number(dec[i, j, h])} posts from {fmt_number(x_prev[i, j, h])}, limit "
                f"{fmt_number(limit[i, j, h])} ({fmt_number(x_prev[i, j, h])} / programme_years {years[j]})"
            ),
        )

    def region_net_loss(self, x_prev: np.ndarray, inc: np.ndarray, dec: np.ndarray) -> None:
        """Σ_s (dec - inc) <= max_region_net_loss_rate · Σ_s x_prev for each r, t."""
        tb = self.tb
        rate = tb.inst.transition.max_region_net_loss_rate
        if rate is None:
            return
        lost, gained, before = (a.sum(axis=1).T for a in (dec, inc, x_prev))  # [h, i]
        net = lost - gained
        limit = rate * before
        for h, i in self._violated("region_net_loss", net - limit, limit, cells=tb.shape[1]):
            self.add(
                "region_net_loss",
                net[h, i] - limit[h, i],
                f"region_net_loss: {tb.regions[i]}/{tb.years[h]}: net loss of "
                f"{fmt_number(net[h, i])} posts (lost {fmt_number(lost[h, i])}, "
                f"gained {fmt_number(gained[h, i])}) from "
                f"{fmt_number(before[h, i])}, limit {fmt_number(limit[h, i])} (max_region_net_loss_rate "
                f"{fmt_number(rate)} × {fmt_number(before[h, i])}), over by {fmt_number(net[h, i] - limit[h, i])}",
                region=tb.regions[i],
                year=tb.years[h],
            )

    def national_moves(self, dec: np.ndarray) -> None:
        """Σ_{r,s} dec <= max_national_moves for each t."""
        tb = self.tb
        limit = tb.inst.transition.max_national_moves
        if limit is None:
            return
        nr, ns, _ = tb.shape
        moved = dec.sum(axis=(0, 1))  # [h]
        for (h,) in self._violated("national_moves", moved - limit, limit, cells=nr * ns):
            self.add(
                "national_moves",
                moved[h] - limit,
                f"national_moves: {tb.years[h]}: {fmt_number(moved[h])} posts moved (posts lost, "
                f"summed over regions and specialties), above max_national_moves "
                f"{fmt_number(limit)} by {fmt_number(moved[h] - limit)}",
                year=tb.years[h],
            )

    def spent(self, x: np.ndarray) -> np.ndarray:
        """Σ_{r,s} c[r,s] · x[r,s,t], indexed by h (NaN for a year with a missing cell)."""
        return (self.tb.cost[:, :, np.newaxis] * x).sum(axis=(0, 1))

    def budget(self, x: np.ndarray) -> None:
        """Σ_{r,s} c[r,s] · x[r,s,t] <= amount for each budgeted t."""
        tb = self.tb
        nr, ns, _ = tb.shape
        spent = self.spent(x)
        for entry in tb.inst.budget:
            cost = float(spent[tb.yi[entry.year]])
            if self._unknown("budget", cost):
                continue
            if cost - entry.amount > self.allowance(entry.amount, cells=nr * ns):
                self.add(
                    "budget",
                    cost - entry.amount,
                    f"budget: {entry.year}: cost {fmt_number(cost)} above budget "
                    f"{fmt_number(entry.amount)} by {fmt_number(cost - entry.amount)}",
                    year=entry.year,
                )
