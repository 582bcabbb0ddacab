"""The independent solution checker: is a result's allocation right for its instance?

Written from ``FORMULATION.md`` alone. It shares no code with the model builders (it reads
only the validated :class:`~allocator.instance.Instance` and, optionally, a
:class:`~allocator.spec.ModelSpec`), so that a mistake in a builder cannot hide itself.

Only the allocation ``x[r,s,t]`` of the result is read. Every other variable of FORMULATION
§4 is derived from it at its *least* value, with ``x_prev = x[r,s,t-1]`` and
``x[r,s,y_0] = baseline_posts[r,s]`` (0 for a pair missing from ``baseline_posts``)::

    inc[r,s,t]     = max(0, x[r,s,t] - x_prev)
    dec[r,s,t]     = max(0, x_prev - x[r,s,t])
    short[r,s,t]   = max(0, T[r,s,t] - x[r,s,t])
    surplus[r,s,t] = max(0, x[r,s,t] - T[r,s,t])
    z              = max over cells with T > 0 of 100 · short / T   (0 if there is none)

so the rows ``flow`` (x - x_prev = inc - dec) and ``target_gap`` (x - T = surplus - short) of
§5 hold by construction and are not checked, and ``worst_shortfall`` (100 · short <= T · z)
is the definition of ``z``, checked through the objective value. Any other feasible inc, dec,
short, surplus, z is at least as large, so a constraint that fails for the least values fails
for every choice of them, and a constraint that holds for them is satisfiable.

The targets are recomputed (§3, with every default of §2)::

    D[r,s,t] = population[r,t] · need_index[r] · w[r,s]
    T[r,s,t] = N[s,t] · D[r,s,t] / Σ_r' D[r',s,t]        (0 if Σ_r' D[r',s,t] = 0)

with ``population[r,t]`` from ``population_by_year`` else the region's ``population``,
``need_index`` 1, ``w`` 1, and ``N[s,t]`` from ``national_posts`` else the baseline national
total ``Σ_r baseline_posts[r,s]``.

Checks, each violation named by its FORMULATION §5 family (or by a result-format name) and
its entity:

``status``
    the result's ``status`` is one of ``optimal, infeasible, unbounded, time_limit, error``.
``allocation``
    every region × specialty × year appears exactly once, no unknown region, specialty or
    year, every ``posts`` a finite number ``>= -tol``.
``target``
    every row's ``target`` equals the recomputed ``T[r,s,t]``.
``national_total``
    ``Σ_r x[r,s,t] = N[s,t]`` for each s, t.
``capacity``
    ``min_posts <= x[r,s,t] <= max_posts`` for each entry and each year it covers (every
    year, or only its ``year``); where several entries cover a cell, each is checked.
``lock``
    ``x[r,s,t] = posts`` for each lock.
``growth_limit`` (if ``max_growth_rate`` is given)
    ``inc <= max_growth_rate · x_prev + growth_allowance`` for each cell, allowance
    default 0.
``shrink_limit`` (if ``max_shrink_rate`` is given)
    ``dec <= max_shrink_rate · x_prev`` for each cell.
``programme_shrink`` (if ``shrink_by_programme_length`` is true)
    ``dec <= x_prev / programme_years[s]`` for each cell.
``region_net_loss`` (if ``max_region_net_loss_rate`` is given)
    ``Σ_s (dec - inc) <= max_region_net_loss_rate · Σ_s x_prev`` for each r, t.
``national_moves`` (if ``max_national_moves`` is given)
    ``Σ_{r,s} dec <= max_national_moves`` for each t.
``budget``
    ``Σ_{r,s} c[r,s] · x[r,s,t] <= amount`` for each budgeted t.
``objective`` (only with a ``model``, a status ``optimal`` and an ``objective`` in the result)
    the reported objective equals
    ``Σ_k [a·short + b·surplus + m·(inc + dec) + c_w·c[r,s]·x] + q·z`` (z counted only if
    q > 0) at the least derived values.
``kpi`` (only if the result has ``kpis``)
    one row per planning year, each carrying the six measures of §8 (``gap_posts``,
    ``gap_closed_pct``, ``gini``, ``max_shortfall_pct``, ``posts_moved``, ``cost``), each
    equal to its recomputed value. Other keys in a row are ignored.

Tolerances
----------
``tol`` (default 1e-6) is absolute on post counts, scaled by the size of the row. A row
``lhs <= rhs`` is violated when ``lhs - rhs > tol · max(1, |rhs|, n)``, a row
``lhs >= rhs`` when ``rhs - lhs > tol · max(1, |rhs|, n)`` and an equality when
``|lhs - rhs| > tol · max(1, |rhs|, n)``, where ``n`` is the number of cells the row sums
(1 for ``capacity``, ``lock``, ``growth_limit``, ``shrink_limit``, ``programme_shrink``;
the regions for ``national_total``; the specialties for ``region_net_loss``; every region ×
specialty for ``national_moves`` and ``budget``): a solver's error is absolute per cell, and
a sum of n cells carries n of them, which matters where ``rhs`` may be 0 (e.g.
``max_national_moves = 0``). ``posts`` is non-negative when ``posts >= -tol`` (absolute).
The ``amount`` of a violation is ``lhs - rhs`` (or ``|lhs - rhs|``) itself.

``rtol`` (default 1e-6) is relative, with the same absolute value near zero, for values
that are recomputed rather than bounded (targets, the objective, the KPIs): ``reported``
matches ``recomputed`` when ``|reported - recomputed| <= rtol · max(1, |recomputed|)``.

Edge cases of §8: ``gap_closed_pct`` is 100 when ``G0[t] <= tol`` (the baseline already sits
on its targets; below that, the ratio is rounding noise); a region with weighted population
``v_r = 0`` has no posts per head and weighs nothing in the Gini, so it is left out of it;
``gini`` is 0 when ``Σ v = 0`` or ``p̄ = 0``; ``max_shortfall_pct`` is 0 when no cell has
``T > 0``.

What is checked for which status
--------------------------------
``optimal``: an allocation is expected; a result without one (key absent, null or empty) is
a violation (``ok=False``). ``time_limit``: the allocation is checked if there is one (the
incumbent); without one there is nothing to check (``ok=True``, ``checked=False``): running
out of time before finding a solution is not a wrong solution. The objective is only
compared for ``optimal`` (an incumbent's objective is not claimed optimal, but it is still
the value of its allocation, so it is not checked either way). ``infeasible``,
``unbounded``, ``error``: nothing to check (``ok=True``, ``checked=False``), even if rows
are present; the report says so. A missing or unknown status is a ``status`` violation.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .instance import Instance, InstanceError, load_instance
from .spec import ModelSpec, load_model

__all__ = [
    "CheckReport",
    "ResultFormatError",
    "Violation",
    "check",
    "main",
]

STATUSES = ("optimal", "infeasible", "unbounded", "time_limit", "error")
KPI_MEASURES = (
    "gap_posts",
    "gap_closed_pct",
    "gini",
    "max_shortfall_pct",
    "posts_moved",
    "cost",
)
# Families of FORMULATION §5 that are checked, in report order, then the result-format names.
FAMILIES = (
    "national_total",
    "capacity",
    "lock",
    "growth_limit",
    "shrink_limit",
    "programme_shrink",
    "region_net_loss",
    "national_moves",
    "budget",
)
FORMAT_NAMES = ("status", "allocation", "target", "objective", "kpi")

# How many violations __str__ lists before summarising the rest.
SHOWN = 50


class ResultFormatError(ValueError):
    """The result cannot be read at all (no such file, not JSON, not a JSON object)."""


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Violation:
    """One violated row (or one problem with the result's format).

    Attributes
    ----------
    constraint
        A FORMULATION §5 name (``capacity``, ``lock``, …) or a result-format name
        (``status``, ``allocation``, ``target``, ``objective``, ``kpi``).
    region, specialty, year
        The entity of the row; None where not applicable (e.g. ``national_moves`` has only a
        year).
    amount
        How far the row is violated, in its own unit (posts, cost, percentage points…); > 0.
    message
        The violation in plain words.
    """

    constraint: str
    region: str | None
    specialty: str | None
    year: int | None
    amount: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckReport:
    """What :func:`check` found.

    Attributes
    ----------
    ok
        True when there is no violation.
    violations
        Every violation, in the order families are checked.
    checked
        False when the result had nothing to check (see the module docstring).
    status
        The result's status as given.
    notes
        Things the reader should know that are not violations (objective not compared,
        rows skipped because cells are missing, …).
    kpis
        The recomputed §8 measures, ``{year: {measure: value}}`` (a measure is None when
        missing cells make it impossible to compute).
    objective
        The recomputed objective when a model was given, else None.
    """

    ok: bool
    violations: list[Violation] = field(default_factory=list)
    checked: bool = True
    status: str | None = None
    notes: list[str] = field(default_factory=list)
    kpis: dict[int, dict[str, float | None]] = field(default_factory=dict)
    objective: float | None = None

    def counts(self) -> dict[str, int]:
        """Number of violations per constraint name."""
        return dict(Counter(v.constraint for v in self.violations))

    def __str__(self) -> str:
        lines = []
        if not self.checked:
            head = "nothing to check"
        elif self.ok:
            head = "OK: the allocation satisfies every constraint checked"
        else:
            n = len(self.violations)
            head = f"FAILED: {n} violation{'s' if n != 1 else ''}"
        lines.append(f"check (status {self.status}): {head}")
        if self.violations:
            summary = ", ".join(f"{k} {n}" for k, n in self.counts().items())
            lines.append(f"  by constraint: {summary}")
            for v in self.violations[:SHOWN]:
                lines.append(f"  - {v.message}")
            if len(self.violations) > SHOWN:
                lines.append(f"  … and {len(self.violations) - SHOWN} more")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "status": self.status,
            "counts": self.counts(),
            "violations": [v.to_dict() for v in self.violations],
            "notes": list(self.notes),
            "objective": self.objective,
            "kpis": [{"year": y, **m} for y, m in self.kpis.items()],
        }


# --------------------------------------------------------------------------- helpers


def _fmt(value: float) -> str:
    """A number for a message: up to 10 significant digits, no trailing zeros."""
    return f"{value:.10g}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_year(value: Any) -> int | None:
    """A JSON year (an int, or a float with no fraction) as int; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _close(reported: float, recomputed: float, rtol: float) -> bool:
    return abs(reported - recomputed) <= rtol * max(1.0, abs(recomputed))


def _read_result(result: Any) -> dict[str, Any]:
    """A result given as a dict, a path to a JSON file, or an object with ``to_dict()``."""
    if isinstance(result, dict):
        return result
    if isinstance(result, str | Path):
        path = Path(result)
        try:
            text = path.read_text()
        except OSError as err:
            raise ResultFormatError(f"{path}: cannot read the result: {err}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ResultFormatError(f"{path}: not valid JSON: {err}") from None
        if not isinstance(data, dict):
            raise ResultFormatError(f"{path}: a result must be a JSON object")
        return data
    to_dict = getattr(result, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if not isinstance(data, dict):
            raise ResultFormatError("result.to_dict() did not return a dict")
        return data
    raise ResultFormatError(
        f"cannot read a result from {type(result).__name__}: "
        "give a dict, a path to a JSON file, or an object with to_dict()"
    )


# --------------------------------------------------------------------------- the instance


class _Tables:
    """The instance's numbers with every default of FORMULATION §2 filled in.

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

        # population[r,t]: population_by_year, else the region's population
        self.population = np.zeros((nr, ny))
        for i, region in enumerate(inst.regions):
            for h in range(ny):
                self.population[i, h] = region.population
        for entry in inst.population_by_year:
            self.population[self.ri[entry.region], self.yi[entry.year]] = entry.population

        self.need_index = np.array([r.need_index for r in inst.regions], dtype=float)

        # need weights w[r,s]: default 1
        self.weight = np.ones((nr, ns))
        for entry in inst.need_weights:
            self.weight[self.ri[entry.region], self.si[entry.specialty]] = entry.weight

        # national posts N[s,t]: default the baseline national total of s, every year
        self.national = np.zeros((ns, ny))
        for j in range(ns):
            total = sum(self.baseline[i, j] for i in range(nr))
            for h in range(ny):
                self.national[j, h] = total
        for entry in inst.national_posts:
            self.national[self.si[entry.specialty], self.yi[entry.year]] = entry.posts

        # cost per post c[r,s]: default 0
        self.cost = np.zeros((nr, ns))
        for entry in inst.cost_per_post:
            self.cost[self.ri[entry.region], self.si[entry.specialty]] = entry.cost

        self.target = self._targets()

    def _targets(self) -> np.ndarray:
        """T[r,s,t] = N[s,t] · D[r,s,t] / Σ_r' D[r',s,t], D = population · need_index · w."""
        nr, ns, ny = self.shape
        target = np.zeros(self.shape)
        for h in range(ny):
            for j in range(ns):
                need = [self.population[i, h] * self.need_index[i] * self.weight[i, j] for i in range(nr)]
                total = sum(need)
                if total <= 0:
                    continue  # no need anywhere: no fair share (validation forbids posts here)
                for i in range(nr):
                    target[i, j, h] = self.national[j, h] * need[i] / total
        return target

    def cell(self, i: int, j: int, h: int) -> str:
        return f"{self.regions[i]}/{self.specialties[j]}/{self.years[h]}"


# --------------------------------------------------------------------------- the checker


class _Checker:
    """Runs every check of the module docstring and collects the violations."""

    def __init__(self, tables: _Tables, tol: float, rtol: float):
        self.tb = tables
        self.tol = tol
        self.rtol = rtol
        self.violations: list[Violation] = []
        self.notes: list[str] = []
        self.skipped: Counter[str] = Counter()

    def add(
        self,
        constraint: str,
        amount: float,
        message: str,
        region: str | None = None,
        specialty: str | None = None,
        year: int | None = None,
    ) -> None:
        self.violations.append(Violation(constraint, region, specialty, year, float(amount), message))

    def allowance(self, rhs: float, cells: int = 1) -> float:
        """How far a row over ``cells`` cells with right-hand side ``rhs`` may be off."""
        return self.tol * max(1.0, abs(rhs), cells)

    # ----------------------------------------------------------------- allocation, targets

    def read_allocation(self, rows: list[Any]) -> np.ndarray:
        """x[i,j,h] from the allocation rows (NaN where a cell is missing or unusable)."""
        tb = self.tb
        x = np.full(tb.shape, np.nan)
        seen = np.zeros(tb.shape, dtype=bool)
        for n, row in enumerate(rows):
            where = f"allocation[{n}]"
            if not isinstance(row, dict):
                self.add("allocation", 1, f"allocation: {where} is not an object")
                continue
            region, specialty, year_raw = row.get("region"), row.get("specialty"), row.get("year")
            year = _as_year(year_raw)
            problems = []
            if region not in tb.ri:
                problems.append(f"unknown region {region!r}")
            if specialty not in tb.si:
                problems.append(f"unknown specialty {specialty!r}")
            if year not in tb.yi:
                problems.append(f"year {year_raw!r} is not a planning year")
            if problems:
                self.add(
                    "allocation",
                    1,
                    f"allocation: {where}: {'; '.join(problems)}",
                    region=region if isinstance(region, str) else None,
                    specialty=specialty if isinstance(specialty, str) else None,
                    year=year,
                )
                continue
            i, j, h = tb.ri[region], tb.si[specialty], tb.yi[year]
            name = tb.cell(i, j, h)
            ent = {"region": region, "specialty": specialty, "year": year}
            if seen[i, j, h]:
                self.add(
                    "allocation",
                    1,
                    f"allocation: {name}: appears more than once ({where} repeats it; the first is used)",
                    **ent,
                )
                continue
            seen[i, j, h] = True
            posts = row.get("posts")
            if not _is_number(posts) or not math.isfinite(posts):
                self.add(
                    "allocation",
                    1,
                    f"allocation: {name}: posts is {posts!r}, not a finite number",
                    **ent,
                )
            else:
                if posts < -self.tol:
                    self.add(
                        "allocation",
                        -posts,
                        f"allocation: {name}: {_fmt(posts)} posts is negative",
                        **ent,
                    )
                x[i, j, h] = posts
            self.check_target(i, j, h, row, ent)
        missing = np.argwhere(~seen)
        for i, j, h in missing:
            self.add(
                "allocation",
                1,
                f"allocation: {tb.cell(i, j, h)}: missing (every region × specialty × year must appear once)",
                region=tb.regions[i],
                specialty=tb.specialties[j],
                year=tb.years[h],
            )
        return x

    def check_target(self, i: int, j: int, h: int, row: dict, ent: dict) -> None:
        """The row's ``target`` equals the recomputed T[r,s,t] (relative ``rtol``)."""
        expected = float(self.tb.target[i, j, h])
        name = self.tb.cell(i, j, h)
        given = row.get("target")
        if not _is_number(given) or not math.isfinite(given):
            self.add(
                "target",
                max(abs(expected), 1.0),
                f"target: {name}: target is {given!r}, expected the number {_fmt(expected)}",
                **ent,
            )
        elif not _close(given, expected, self.rtol):
            self.add(
                "target",
                abs(given - expected),
                f"target: {name}: target {_fmt(given)} but the need-based target is "
                f"{_fmt(expected)} (off by {_fmt(abs(given - expected))})",
                **ent,
            )

    # ----------------------------------------------------------------- §5 families

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
        """Σ_r x[r,s,t] = N[s,t] for each s, t."""
        tb = self.tb
        total = x.sum(axis=0)  # [j, h]
        off = total - tb.national
        for j, h in self._violated("national_total", np.abs(off), tb.national, cells=tb.shape[0]):
            word = "above" if off[j, h] > 0 else "below"
            self.add(
                "national_total",
                abs(off[j, h]),
                f"national_total: {tb.specialties[j]}/{tb.years[h]}: regions hold "
                f"{_fmt(total[j, h])} posts in total, {word} national_posts {_fmt(tb.national[j, h])} "
                f"by {_fmt(abs(off[j, h]))}",
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
                        f"capacity: {tb.cell(i, j, h)}: {_fmt(value)} posts below min_posts "
                        f"{_fmt(low)} by {_fmt(low - value)}",
                        **ent,
                    )
                high = entry.max_posts
                if high is not None and value - high > self.allowance(high):
                    self.add(
                        "capacity",
                        value - high,
                        f"capacity: {tb.cell(i, j, h)}: {_fmt(value)} posts above max_posts "
                        f"{_fmt(high)} by {_fmt(value - high)}",
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
                    f"lock: {tb.cell(i, j, h)}: {_fmt(value)} posts but locked at "
                    f"{_fmt(entry.posts)} (off by {_fmt(abs(off))})",
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
                f"{family}: {tb.cell(i, j, h)}: {describe(i, j, h)}, over by {_fmt(excess[i, j, h])}",
                region=tb.regions[i],
                specialty=tb.specialties[j],
                year=tb.years[h],
            )

    def growth_limit(self, x_prev: np.ndarray, inc: np.ndarray) -> None:
        """inc <= max_growth_rate · x_prev + growth_allowance for each cell."""
        tr = self.tb.inst.transition
        if tr.max_growth_rate is None:
            return
        rate = tr.max_growth_rate
        allowance = tr.growth_allowance or 0.0
        limit = rate * x_prev + allowance
        self._cell_rows(
            "growth_limit",
            inc,
            limit,
            lambda i, j, h: (
                f"grows by {_fmt(inc[i, j, h])} posts from {_fmt(x_prev[i, j, h])}, limit "
                f"{_fmt(limit[i, j, h])} (max_growth_rate {_fmt(rate)} × {_fmt(x_prev[i, j, h])} + "
                f"growth_allowance {_fmt(allowance)})"
            ),
        )

    def shrink_limit(self, x_prev: np.ndarray, dec: np.ndarray) -> None:
        """dec <= max_shrink_rate · x_prev for each cell."""
        rate = self.tb.inst.transition.max_shrink_rate
        if rate is None:
            return
        limit = rate * x_prev
        self._cell_rows(
            "shrink_limit",
            dec,
            limit,
            lambda i, j, h: (
                f"shrinks by {_fmt(dec[i, j, h])} posts from {_fmt(x_prev[i, j, h])}, limit "
                f"{_fmt(limit[i, j, h])} (max_shrink_rate {_fmt(rate)} × {_fmt(x_prev[i, j, h])})"
            ),
        )

    def programme_shrink(self, x_prev: np.ndarray, dec: np.ndarray) -> None:
        """dec <= x_prev / programme_years[s] for each cell (if shrink_by_programme_length)."""
        inst = self.tb.inst
        if not inst.transition.shrink_by_programme_length:
            return
        # validation requires programme_years of every specialty here
        years = [s.programme_years for s in inst.specialties]
        limit = x_prev / np.array(years, dtype=float)[np.newaxis, :, np.newaxis]
        self._cell_rows(
            "programme_shrink",
            dec,
            limit,
            lambda i, j, h: (
                f"shrinks by {_fmt(dec[i, j, h])} posts from {_fmt(x_prev[i, j, h])}, limit "
                f"{_fmt(limit[i, j, h])} ({_fmt(x_prev[i, j, h])} / programme_years {years[j]})"
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
                f"{_fmt(net[h, i])} posts (lost {_fmt(lost[h, i])}, gained {_fmt(gained[h, i])}) from "
                f"{_fmt(before[h, i])}, limit {_fmt(limit[h, i])} (max_region_net_loss_rate "
                f"{_fmt(rate)} × {_fmt(before[h, i])}), over by {_fmt(net[h, i] - limit[h, i])}",
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
                f"national_moves: {tb.years[h]}: {_fmt(moved[h])} posts moved (posts lost, "
                f"summed over regions and specialties), above max_national_moves "
                f"{_fmt(limit)} by {_fmt(moved[h] - limit)}",
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
                    f"budget: {entry.year}: cost {_fmt(cost)} above budget "
                    f"{_fmt(entry.amount)} by {_fmt(cost - entry.amount)}",
                    year=entry.year,
                )

    # ----------------------------------------------------------------- objective, measures

    def objective(self, model: ModelSpec, x, inc, dec, short, surplus) -> tuple[float, str]:
        """Σ_k [a·short + b·surplus + m·(inc + dec) + c_w·c·x] + q·z, and its breakdown."""
        w = model.objective
        total_short = float(np.sum(short))
        total_surplus = float(np.sum(surplus))
        total_moves = float(np.sum(inc) + np.sum(dec))
        total_cost = float(np.sum(self.spent(x)))
        z = _worst_shortfall(self.tb.target, short) if w.worst_shortfall > 0 else 0.0
        value = (
            w.shortfall * total_short
            + w.surplus * total_surplus
            + w.moves * total_moves
            + w.cost * total_cost
            + w.worst_shortfall * z
        )
        parts = (
            f"shortfall {_fmt(total_short)} × {_fmt(w.shortfall)} + surplus "
            f"{_fmt(total_surplus)} × {_fmt(w.surplus)} + moves {_fmt(total_moves)} × "
            f"{_fmt(w.moves)} + cost {_fmt(total_cost)} × {_fmt(w.cost)} + worst shortfall "
            f"{_fmt(z)}% × {_fmt(w.worst_shortfall)}"
        )
        return value, parts

    def measures(self, x, dec, short) -> dict[int, dict[str, float | None]]:
        """The §8 measures per year (all None for a year with a missing cell)."""
        tb = self.tb
        gap = np.abs(x - tb.target).sum(axis=(0, 1))
        gap0 = np.abs(tb.baseline[:, :, np.newaxis] - tb.target).sum(axis=(0, 1))
        moved = dec.sum(axis=(0, 1))
        cost = self.spent(x)
        out: dict[int, dict[str, float | None]] = {}
        for h, year in enumerate(tb.years):
            if np.isnan(x[:, :, h]).any():
                out[year] = dict.fromkeys(KPI_MEASURES)
                continue
            out[year] = {
                "gap_posts": float(gap[h]),
                "gap_closed_pct": 100.0 if gap0[h] <= self.tol else float(100.0 * (1.0 - gap[h] / gap0[h])),
                "gini": self.gini(x, h),
                "max_shortfall_pct": _worst_shortfall(tb.target[:, :, h], short[:, :, h]),
                "posts_moved": float(moved[h]),
                "cost": float(cost[h]),
            }
        return out

    def gini(self, x: np.ndarray, h: int) -> float:
        """Weighted Gini of posts per 100,000 weighted population (FORMULATION §8).

        ``p_r = 1e5 · Σ_s x[r,s,t] / v_r`` with ``v_r = population[r,t] · need_index[r]``;
        ``gini = Σ_i Σ_j v_i v_j |p_i - p_j| / (2 (Σ v)² p̄)``, ``p̄ = Σ v_i p_i / Σ v``.
        Regions with ``v_r = 0`` are left out; 0 when ``Σ v = 0`` or ``p̄ = 0``.
        """
        tb = self.tb
        v = tb.population[:, h] * tb.need_index
        keep = v > 0
        v = v[keep]
        p = 1e5 * x[keep, :, h].sum(axis=1) / v
        total_v = v.sum()
        if total_v <= 0:
            return 0.0
        p_bar = (v * p).sum() / total_v
        if p_bar == 0:
            return 0.0
        spread = (v[:, np.newaxis] * v[np.newaxis, :] * np.abs(p[:, np.newaxis] - p[np.newaxis, :])).sum()
        return float(spread / (2.0 * total_v**2 * p_bar))

    def compare_kpis(self, rows: Any, computed: dict[int, dict[str, float | None]]) -> None:
        """Each planning year has one ``kpis`` row whose six measures match ``computed``."""
        tb = self.tb
        if not isinstance(rows, list):
            self.add("kpi", 1, f"kpi: kpis must be a list of rows, got {type(rows).__name__}")
            return
        seen: set[int] = set()
        for n, row in enumerate(rows):
            year = _as_year(row.get("year")) if isinstance(row, dict) else None
            if year not in tb.yi:
                shown = row.get("year") if isinstance(row, dict) else row
                self.add("kpi", 1, f"kpi: kpis[{n}]: year {shown!r} is not a planning year")
                continue
            if year in seen:
                self.add("kpi", 1, f"kpi: {year}: more than one kpis row", year=year)
                continue
            seen.add(year)
            for measure in KPI_MEASURES:
                expected = computed[year][measure]
                given = row.get(measure)
                if expected is None:
                    self.skipped["kpi"] += 1
                    continue
                if not _is_number(given) or not math.isfinite(given):
                    self.add(
                        "kpi",
                        max(1.0, abs(expected)),
                        f"kpi: {year}: {measure} is {given!r}, expected {_fmt(expected)}",
                        year=year,
                    )
                elif not _close(given, expected, self.rtol):
                    self.add(
                        "kpi",
                        abs(given - expected),
                        f"kpi: {year}: {measure} reported {_fmt(given)}, recomputed "
                        f"{_fmt(expected)} (off by {_fmt(abs(given - expected))})",
                        year=year,
                    )
        for year in tb.years:
            if year not in seen:
                self.add("kpi", 1, f"kpi: {year}: no kpis row for this year", year=year)


def _worst_shortfall(target: np.ndarray, short: np.ndarray) -> float:
    """z = max over cells with T > 0 of 100 · short / T (0 if no cell has T > 0)."""
    positive = target > 0
    return float(np.max(100.0 * short[positive] / target[positive], initial=0.0))


# --------------------------------------------------------------------------- entry points


def check(
    instance: Instance,
    result: Any,
    model: ModelSpec | None = None,
    tol: float = 1e-6,
    rtol: float = 1e-6,
) -> CheckReport:
    """Check a result against its instance, from FORMULATION alone.

    Parameters
    ----------
    instance
        The validated instance the result claims to solve.
    result
        A dict in the FORMULATION §9 format, a path to such a JSON file, or an object with a
        ``to_dict()`` method returning one. Only ``status``, ``allocation`` (region,
        specialty, year, posts, target), ``objective`` and ``kpis`` are read.
    model
        The model whose objective the result claims to minimise. None (the default): the
        objective value is not checked. Given: it is recomputed and compared when the
        status is ``optimal`` and the result carries an ``objective``.
    tol
        Absolute tolerance on post counts, scaled per row: a row is violated by more than
        ``tol · max(1, |rhs|, n)`` for a row summing n cells (see the module docstring).
    rtol
        Relative tolerance (absolute near zero) for targets, the objective and KPIs:
        ``|reported - recomputed| <= rtol · max(1, |recomputed|)``.

    Returns
    -------
    CheckReport
        ``ok`` is True when nothing is violated. Checks: allocation coverage and values;
        targets; ``national_total``, ``capacity``, ``lock``, ``growth_limit``,
        ``shrink_limit``, ``programme_shrink``, ``region_net_loss``, ``national_moves``,
        ``budget``; the objective; the KPIs. ``flow`` and ``target_gap`` hold by
        construction of the derived least inc, dec, short, surplus; ``worst_shortfall``
        defines z and is checked through the objective.

    Raises
    ------
    ResultFormatError
        If the result cannot be read at all (no such file, not JSON, not an object).
    """
    data = _read_result(result)
    status = data.get("status")
    report = CheckReport(ok=True, status=status if isinstance(status, str) else None)
    tables = _Tables(instance)
    checker = _Checker(tables, tol, rtol)

    if status not in STATUSES:
        checker.add(
            "status",
            1,
            f"status: {status!r} is not one of {', '.join(STATUSES)}",
        )
    rows = data.get("allocation")
    has_rows = isinstance(rows, list) and len(rows) > 0

    name = data.get("instance")
    if isinstance(name, str) and name != instance.name:
        checker.notes.append(f"the result names instance {name!r}, checked against {instance.name!r}")

    if status in ("infeasible", "unbounded", "error") or (status == "time_limit" and not has_rows):
        report.checked = False
        why = "time limit reached without a solution" if status == "time_limit" else status
        extra = " (its allocation rows are ignored)" if has_rows else ""
        checker.notes.append(f"nothing to check: {why}{extra}")
        return _finish(report, checker)
    if rows is not None and not isinstance(rows, list):
        checker.add("allocation", 1, f"allocation: must be a list, got {type(rows).__name__}")
        return _finish(report, checker)
    if status == "optimal" and not has_rows:
        checker.add(
            "allocation",
            1,
            "allocation: status optimal but the result has no allocation to check",
        )
        return _finish(report, checker)
    if not has_rows:  # unknown status and no rows: the status violation says it all
        report.checked = False
        return _finish(report, checker)

    # x, then the least values of the derived variables
    x = checker.read_allocation(rows)
    baseline = tables.baseline[:, :, np.newaxis]
    x_prev = np.concatenate([baseline, x[:, :, :-1]], axis=2)
    inc = np.maximum(0.0, x - x_prev)
    dec = np.maximum(0.0, x_prev - x)
    short = np.maximum(0.0, tables.target - x)
    surplus = np.maximum(0.0, x - tables.target)

    checker.national_total(x)
    checker.capacity(x)
    checker.lock(x)
    checker.growth_limit(x_prev, inc)
    checker.shrink_limit(x_prev, dec)
    checker.programme_shrink(x_prev, dec)
    checker.region_net_loss(x_prev, inc, dec)
    checker.national_moves(dec)
    checker.budget(x)

    complete = not np.isnan(x).any()
    if model is not None:
        reported = data.get("objective")
        if status != "optimal":
            checker.notes.append(f"objective not compared: status is {status}, not optimal")
        elif not _is_number(reported) or not math.isfinite(reported):
            checker.notes.append(f"objective not compared: the result gives {reported!r}")
        elif not complete:
            checker.notes.append("objective not compared: cells are missing")
        else:
            value, parts = checker.objective(model, x, inc, dec, short, surplus)
            report.objective = value
            if not _close(reported, value, rtol):
                checker.add(
                    "objective",
                    abs(reported - value),
                    f"objective: reported {_fmt(reported)}, recomputed {_fmt(value)} under "
                    f"model {model.name!r} ({parts}), off by {_fmt(abs(reported - value))}",
                )
    report.kpis = checker.measures(x, dec, short)
    if "kpis" in data and data["kpis"] is not None:
        checker.compare_kpis(data["kpis"], report.kpis)
    return _finish(report, checker)


def _finish(report: CheckReport, checker: _Checker) -> CheckReport:
    report.violations = checker.violations
    report.notes = checker.notes
    for family, n in checker.skipped.items():
        report.notes.append(f"{n} {family} row(s) not checked: they involve missing cells")
    report.ok = not report.violations
    return report


def main(
    instance_path: str | Path,
    result_path: str | Path,
    model_path: str | Path | None = None,
) -> int:
    """``allocator check INSTANCE RESULT.json [--model MODEL.toml]``: print the report.

    Returns
    -------
    int
        0 if the result passes (or has nothing to check), 1 if there are violations, 2 if
        the instance, model or result cannot be read.
    """
    try:
        instance = load_instance(instance_path)
        model = load_model(model_path) if model_path is not None else None
        report = check(instance, result_path, model=model)
    except (InstanceError, ResultFormatError) as err:
        print(str(err), file=sys.stderr)
        return 2
    print(report)
    return 0 if report.ok else 1
