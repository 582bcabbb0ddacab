"""The independent solution checker: is a result's allocation right for its instance?

Written from ``docs/model.md`` alone. It shares no code with the model builders (it reads
only the validated :class:`~allocator.core.instance.Instance` and, optionally, a
:class:`~allocator.core.spec.ModelSpec`), so that a mistake in a builder cannot hide itself.

Only the allocation ``x[r,s,t]`` of the result is read. Every other variable of docs/model.md
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
total ``Σ_r baseline_posts[r,s]``. Where a ``national_posts`` entry is a range (v2:
``min_posts``/``max_posts`` instead of ``posts``), ``N[s,t]`` is the total the allocation itself
holds, ``Σ_r x[r,s,t]``, so the targets of that specialty-year are recomputed from the
result's own allocation. The ``worst_shortfall`` row of such a cell uses the data-only
``T̄[r,s,t]`` (§6b: the fair share at the baseline national total clipped into the range), so
``z = max over cells with T̄ > 0 of 100 · short / T̄``, with ``short`` still measured against
``T``; for a fixed total ``T̄ = T``.

Checks, each violation named by its docs/model.md §5 family (or by a result-format name) and
its entity:

``status``
    the result's ``status`` is one of ``optimal, feasible, infeasible, unbounded, time_limit,
    error``; a ``feasible`` result carries numbers ``bound`` and ``gap`` (§9 v2), with
    ``bound`` not above its ``objective`` (a minimisation).
``allocation``
    every region × specialty × year appears exactly once, no unknown region, specialty or
    year, every ``posts`` a finite number ``>= -tol``.
``target``
    every row's ``target`` equals the recomputed ``T[r,s,t]``.
``national_total``
    ``Σ_r x[r,s,t] = N[s,t]`` for each s, t; for a ranged entry
    ``min_posts <= Σ_r x[r,s,t] <= max_posts`` (a missing side is no bound).
``capacity``
    ``min_posts <= x[r,s,t] <= max_posts`` for each entry and each year it covers (every
    year, or only its ``year``); where several entries cover a cell, each is checked.
``lock``
    ``x[r,s,t] = posts`` for each lock.
``growth_limit`` (if ``max_growth_rate`` is given)
    ``inc <= max_growth_rate · x_prev + growth_allowance`` for each cell, allowance
    default 0.
``shrink_limit`` (if ``max_shrink_rate`` is given)
    ``dec <= max_shrink_rate · x_prev + shrink_allowance`` for each cell, allowance default 0.
``programme_shrink`` (if ``shrink_by_programme_length`` is true)
    ``dec <= x_prev / programme_years[s]`` for each cell.
``region_net_loss`` (if ``max_region_net_loss_rate`` is given)
    ``Σ_s (dec - inc) <= max_region_net_loss_rate · Σ_s x_prev`` for each r, t.
``national_moves`` (if ``max_national_moves`` is given)
    ``Σ_{r,s} dec <= max_national_moves`` for each t.
``budget``
    ``Σ_{r,s} c[r,s] · x[r,s,t] <= amount`` for each budgeted t.
``objective`` (only with a ``model``, a status ``optimal`` or ``feasible`` and an ``objective``
in the result)
    the reported objective equals
    ``Σ_k [a·short + b·surplus + m·(inc + dec) + c_w·c[r,s]·x] + q·z`` (z counted only if
    q > 0) at the least derived values.
``kpi`` (only if the result has ``kpis``)
    one row per planning year, each carrying the six measures of §8 (``gap_posts``,
    ``gap_closed_pct``, ``gini``, ``max_shortfall_pct``, ``posts_moved``, ``cost``), each
    equal to its recomputed value. Other keys in a row are ignored.

v2 workforce (§10, §11; recomputed in :mod:`allocator.analysis.check_workforce` from x and
the instance alone: intake, completions, joiners, stocks, fair stocks over every calendar
year, team capacities and targets):

``team_mix`` (each team member with a ``max_share``)
    ``e_m · x[r,m,t] <= max_share_m · E[r,g,t]`` (``e_m · S`` with ``"on": "stock"``), a
    hard constraint, named with its team, member, region and year.
``supply`` (with a pipeline)
    a solved result carries ``supply`` rows, every region × specialty × evaluation year once,
    whose completions, joiners, stock and fair_stock equal the recomputed C, A, S, S*.
``supply_kpi`` (with a pipeline)
    a solved result carries ``supply_kpis``, one row per assessed year, whose supply_gap,
    supply_gini and supply_max_shortfall_pct equal their recomputed values.
``team`` (with teams)
    a solved result carries ``teams`` rows, every team × region × year of the team once,
    whose capacity and target equal the recomputed E and T_g.

A result with such rows for an instance without a pipeline (teams) is a violation too. The
``objective`` adds ``supply_shortfall · Σ max(0, S* − S) + supply_surplus · Σ max(0, S − S*)
+ worst_supply · z_S`` over regions, specialties and assessed years (``z_S`` the worst
``100 · max(0, S* − S) / S̄*`` over S̄* > 0, counted only if its weight > 0) and
``team_shortfall · Σ max(0, T_g − E) + team_surplus · Σ max(0, E − T_g)``.

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
``optimal`` and ``feasible`` (v2: keeps every constraint, not proven optimal): an allocation
is expected; a result without one (key absent, null or empty) is a violation (``ok=False``),
and so is any violated row: a result that breaks a limit is not a solution, whichever of the
two it claims. ``time_limit``: the allocation is checked if there is one (the
incumbent); without one there is nothing to check (``ok=True``, ``checked=False``): running
out of time before finding a solution is not a wrong solution. The objective is compared for
``optimal`` and ``feasible`` (the reported objective is that of the reported allocation, §6b,
§7); not for ``time_limit`` (an incumbent's objective is not claimed, so it is not checked
either way). ``infeasible``,
``unbounded``, ``error``: nothing to check (``ok=True``, ``checked=False``), even if rows
are present; the report says so. A missing or unknown status is a ``status`` violation.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

# --------------------------------------------------------------------------- the checker
from allocator.analysis.check_families import FamilyChecks
from allocator.analysis.check_report import CheckReport, Violation
from allocator.analysis.check_scenarios import ScenarioChecks
from allocator.analysis.check_tables import _Tables
from allocator.analysis.check_workforce import WorkforceChecks, weighted_gini
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec, load_model
from allocator.io.instance import as_instance
from allocator.io.results import (
    KPI_MEASURES,
    SOLVED,
    STATUSES,
    as_year,
    close_to,
    fmt_number,
    is_number,
    read_result,
)


class _Checker(FamilyChecks, WorkforceChecks, ScenarioChecks):
    """Runs every check of the module docstring and collects the violations."""

    def __init__(self, tables: _Tables, tol: float, rtol: float):
        self.tb = tables
        self.tol = tol
        self.rtol = rtol
        self.violations: list[Violation] = []
        self.notes: list[str] = []
        self.skipped: Counter[str] = Counter()
        self.deferred_targets: list[tuple[int, int, int, dict, dict]] = []

    def add(
        self,
        constraint: str,
        amount: float,
        message: str,
        region: str | None = None,
        specialty: str | None = None,
        year: int | None = None,
        team: str | None = None,
    ) -> None:
        self.violations.append(Violation(constraint, region, specialty, year, float(amount), message, team))

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
            year = as_year(year_raw)
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
            if not is_number(posts) or not math.isfinite(posts):
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
                        f"allocation: {name}: {fmt_number(posts)} posts is negative",
                        **ent,
                    )
                x[i, j, h] = posts
            if (j, h) in tb.ranges:  # its target needs the allocation's own total: checked after
                self.deferred_targets.append((i, j, h, row, ent))
            else:
                self.check_target(i, j, h, row, ent, tb.target_bar)
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

    def check_deferred_targets(self, target: np.ndarray) -> None:
        """The targets of ranged specialty-years, once the allocation's totals are known."""
        for i, j, h, row, ent in self.deferred_targets:
            if self._unknown("target", float(target[i, j, h])):
                continue
            self.check_target(i, j, h, row, ent, target)

    def check_target(self, i: int, j: int, h: int, row: dict, ent: dict, target: np.ndarray) -> None:
        """The row's ``target`` equals the recomputed T[r,s,t] (relative ``rtol``)."""
        expected = float(target[i, j, h])
        name = self.tb.cell(i, j, h)
        given = row.get("target")
        if not is_number(given) or not math.isfinite(given):
            self.add(
                "target",
                max(abs(expected), 1.0),
                f"target: {name}: target is {given!r}, expected the number {fmt_number(expected)}",
                **ent,
            )
        elif not close_to(given, expected, self.rtol):
            self.add(
                "target",
                abs(given - expected),
                f"target: {name}: target {fmt_number(given)} but the need-based target is "
                f"{fmt_number(expected)} (off by {fmt_number(abs(given - expected))})",
                **ent,
            )

    # ----------------------------------------------------------------- §5 families

    # ----------------------------------------------------------------- objective, measures

    def objective(self, model: ModelSpec, x, inc, dec, short, surplus) -> tuple[float, str]:
        """Σ_k [a·short + b·surplus + m·(inc + dec) + c_w·c·x] + q·z, and its breakdown
        (z against the data-only T̄, as the ``worst_shortfall`` row states it)."""
        w = model.objective
        total_short = float(np.sum(short))
        total_surplus = float(np.sum(surplus))
        total_moves = float(np.sum(inc) + np.sum(dec))
        total_cost = float(np.sum(self.spent(x)))
        z = _worst_shortfall(self.tb.target_bar, short) if w.worst_shortfall > 0 else 0.0
        value = (
            w.shortfall * total_short
            + w.surplus * total_surplus
            + w.moves * total_moves
            + w.cost * total_cost
            + w.worst_shortfall * z
        )
        parts = (
            f"shortfall {fmt_number(total_short)} × {fmt_number(w.shortfall)} + surplus "
            f"{fmt_number(total_surplus)} × {fmt_number(w.surplus)} + moves {fmt_number(total_moves)} × "
            f"{fmt_number(w.moves)} + cost {fmt_number(total_cost)} × {fmt_number(w.cost)} + worst shortfall "
            f"{fmt_number(z)}% × {fmt_number(w.worst_shortfall)}"
        )
        extra, extra_parts = self.workforce_objective(model)  # v2 §10, §11 (0 without them)
        return value + extra, parts + extra_parts

    def measures(self, x, dec, short, target) -> dict[int, dict[str, float | None]]:
        """The §8 measures per year against the allocation's targets ``target`` (all None for
        a year with a missing cell)."""
        tb = self.tb
        gap = np.abs(x - target).sum(axis=(0, 1))
        gap0 = np.abs(tb.baseline[:, :, np.newaxis] - target).sum(axis=(0, 1))
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
                "max_shortfall_pct": _worst_shortfall(target[:, :, h], short[:, :, h]),
                "posts_moved": float(moved[h]),
                "cost": float(cost[h]),
            }
        return out

    def gini(self, x: np.ndarray, h: int) -> float:
        """Weighted Gini of posts per 100,000 weighted population (docs/model.md §8).

        ``p_r = 1e5 · Σ_s x[r,s,t] / v_r`` with ``v_r = population[r,t] · need_index[r]``;
        ``gini = Σ_i Σ_j v_i v_j |p_i - p_j| / (2 (Σ v)² p̄)``, ``p̄ = Σ v_i p_i / Σ v``.
        Regions with ``v_r = 0`` are left out; 0 when ``Σ v = 0`` or ``p̄ = 0``.
        """
        tb = self.tb
        return weighted_gini(x[:, :, h].sum(axis=1), tb.population[:, h] * tb.need_index)

    def compare_kpis(self, rows: Any, computed: dict[int, dict[str, float | None]]) -> None:
        """Each planning year has one ``kpis`` row whose six measures match ``computed``."""
        tb = self.tb
        if not isinstance(rows, list):
            self.add("kpi", 1, f"kpi: kpis must be a list of rows, got {type(rows).__name__}")
            return
        seen: set[int] = set()
        for n, row in enumerate(rows):
            year = as_year(row.get("year")) if isinstance(row, dict) else None
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
                if not is_number(given) or not math.isfinite(given):
                    self.add(
                        "kpi",
                        max(1.0, abs(expected)),
                        f"kpi: {year}: {measure} is {given!r}, expected {fmt_number(expected)}",
                        year=year,
                    )
                elif not close_to(given, expected, self.rtol):
                    self.add(
                        "kpi",
                        abs(given - expected),
                        f"kpi: {year}: {measure} reported {fmt_number(given)}, recomputed "
                        f"{fmt_number(expected)} (off by {fmt_number(abs(given - expected))})",
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
    instance: Instance | str | Path,
    result: Any,
    model: ModelSpec | str | Path | None = None,
    tol: float = 1e-6,
    rtol: float = 1e-6,
) -> CheckReport:
    """Check a result against its instance, from the model document (docs/model.md) alone.

    Parameters
    ----------
    instance
        The instance the result claims to solve, or the path of its file (JSON, workbook or
        CSV folder).
    result
        A dict in the docs/model.md §9 format, a path to such a JSON file, or an object with a
        ``to_dict()`` method returning one. Only ``status``, ``allocation`` (region,
        specialty, year, posts, target), ``objective``, ``kpis`` and (v2) ``supply``,
        ``supply_kpis``, ``teams`` are read.
    model
        The model (or model file) whose objective the result claims to minimise. None (the default): the
        objective value is not checked. Given: it is recomputed and compared when the
        status is ``optimal`` or ``feasible`` and the result carries an ``objective``.
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
        ``budget``, ``team_mix``; the objective; the KPIs; ``supply``, ``supply_kpi``,
        ``team`` (v2 §10, §11). ``flow`` and ``target_gap`` hold by
        construction of the derived least inc, dec, short, surplus; ``worst_shortfall``
        defines z and is checked through the objective.

    Raises
    ------
    ResultFormatError
        If the result cannot be read at all (no such file, not JSON, not an object).
    InstanceError
        If ``instance`` is a path to a file that is not a valid instance.
    """
    instance = as_instance(instance)
    if model is not None and not isinstance(model, ModelSpec):
        model = load_model(model)
    data = read_result(result)
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
    if status == "feasible":
        _feasible_fields(checker, data)
    if status in SOLVED and not has_rows:
        checker.add(
            "allocation",
            1,
            f"allocation: status {status} but the result has no allocation to check",
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
    target = tables.targets_of(x)  # v2: a ranged total's targets follow the allocation's total
    checker.check_deferred_targets(target)
    short = np.maximum(0.0, target - x)
    surplus = np.maximum(0.0, x - target)

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
    if complete:  # v2 §10, §11: supply and teams from x and the data alone
        checker.recompute_workforce(x)
        checker.recompute_scenarios(x)  # §12: each member's supply
        checker.team_mix()
    elif tables.inst.pipeline is not None or tables.inst.teams:
        checker.notes.append("team_mix, supply and teams not checked: cells of the allocation are missing")
    if model is not None:
        reported = data.get("objective")
        if status not in SOLVED:
            checker.notes.append(f"objective not compared: status is {status}, not optimal or feasible")
        elif not is_number(reported) or not math.isfinite(reported):
            checker.notes.append(f"objective not compared: the result gives {reported!r}")
        elif not complete:
            checker.notes.append("objective not compared: cells are missing")
        else:
            value, parts = checker.objective(model, x, inc, dec, short, surplus)
            report.objective = value
            if not close_to(reported, value, rtol):
                checker.add(
                    "objective",
                    abs(reported - value),
                    f"objective: reported {fmt_number(reported)}, recomputed {fmt_number(value)} under "
                    f"model {model.name!r} ({parts}), off by {fmt_number(abs(reported - value))}",
                )
    report.kpis = checker.measures(x, dec, short, target)
    if "kpis" in data and data["kpis"] is not None:
        checker.compare_kpis(data["kpis"], report.kpis)
    report.supply_kpis = dict(checker.supply_kpis or {})
    checker.check_workforce_rows(data, solved=status in SOLVED)
    checker.check_scenario_rows(data, status in SOLVED, model)
    return _finish(report, checker)


def _feasible_fields(checker: _Checker, data: dict[str, Any]) -> None:
    """A ``feasible`` result carries ``bound`` and ``gap`` (§9 v2); the bound of a minimisation
    is not above the objective."""
    for key in ("bound", "gap"):
        value = data.get(key)
        if not is_number(value) or not math.isfinite(value):
            checker.add("status", 1, f"status: a feasible result carries a number {key!r}, got {value!r}")
    bound, objective = data.get("bound"), data.get("objective")
    if is_number(bound) and is_number(objective) and math.isfinite(bound) and math.isfinite(objective):
        if bound - objective > checker.rtol * max(1.0, abs(objective)):
            checker.add(
                "status",
                bound - objective,
                f"status: bound {fmt_number(bound)} is above the objective {fmt_number(objective)} of a minimisation",
            )


def _finish(report: CheckReport, checker: _Checker) -> CheckReport:
    report.violations = checker.violations
    report.notes = checker.notes
    for family, n in checker.skipped.items():
        report.notes.append(f"{n} {family} row(s) not checked: they involve missing cells")
    report.ok = not report.violations
    return report
