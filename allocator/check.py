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
total ``Σ_r baseline_posts[r,s]``. Where a ``national_posts`` entry is a range (v2:
``min_posts``/``max_posts`` instead of ``posts``), ``N[s,t]`` is the total the allocation itself
holds, ``Σ_r x[r,s,t]``, so the targets of that specialty-year are recomputed from the
result's own allocation. The ``worst_shortfall`` row of such a cell uses the data-only
``T̄[r,s,t]`` (§6b: the fair share at the baseline national total clipped into the range), so
``z = max over cells with T̄ > 0 of 100 · short / T̄``, with ``short`` still measured against
``T``; for a fixed total ``T̄ = T``.

Checks, each violation named by its FORMULATION §5 family (or by a result-format name) and
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
    "load_result",
    "main",
    "result_problems",
]

STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "time_limit", "error")
# Statuses that claim a solution keeping every constraint (FORMULATION §9).
SOLVED = ("optimal", "feasible")
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
    """The result cannot be read at all (no such file, not JSON, not a JSON object), or (from
    :func:`load_result`) it is not in the result format; the message names the file and place."""


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


def _json_kind(value: Any) -> str:
    """What a JSON value is, in words: 'a list', 'null', 'the string "x"'…"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "…"
        return f"the string {json.dumps(shown)}"
    return f"the number {value!r}"


def _read_json(path: Path) -> Any:
    """A result file's JSON; :class:`ResultFormatError` (naming the file) if it cannot be read."""
    if path.is_dir():
        raise ResultFormatError(f"{path}: is a folder, not a result file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ResultFormatError(f"{path}: no such file") from None
    except OSError as err:
        raise ResultFormatError(f"{path}: cannot read the result: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ResultFormatError(
            f"{path}: not a result file: not UTF-8 text (byte {err.start}); a result is the JSON allocator solve writes"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ResultFormatError(
            f"{path}: not a result file: not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})"
        ) from None
    except RecursionError:
        raise ResultFormatError(f"{path}: not a result file: the JSON is nested too deeply") from None


RESULT_STATUSES = STATUSES  # feasible included (FORMULATION §9 v2)
_ROW_FIELDS = ("region", "specialty", "year", "posts", "target")


def result_problems(data: Any, instance: Instance | None = None, report: bool = False) -> list[tuple[str, str]]:
    """What keeps ``data`` from being a FORMULATION §9 result (of ``instance``), as ``(where,
    message)`` pairs, ``where`` a JSON place such as ``allocation[3].posts``; [] if none.

    Checked: a JSON object; ``status`` one of the §9 statuses; ``instance``, ``model``,
    ``backend`` strings; ``objective``, ``mip_gap``, ``best_bound``, ``bound``, ``gap`` finite
    numbers or null; ``allocation`` a list of rows each with a ``region`` and ``specialty``
    (strings), a whole ``year``, ``posts`` a finite number >= 0 (-1e-6 allowed: solver noise)
    and ``target`` a finite number; ``kpis`` rows with a whole ``year`` and finite measures;
    ``binding`` rows with a ``constraint`` and a finite ``dual``; ``diagnosis`` an object
    whose ``findings`` are objects. With ``instance``: the result names it, and every row's
    region, specialty and year is one of its own, no row repeated. With ``report``: the six
    measures of every ``kpis`` row are present, and an allocation has its ``kpis``.
    Other keys are left alone (later versions add fields).
    """
    if not isinstance(data, dict):
        return [("", f"a result must be a JSON object {{...}}, not {_json_kind(data)}")]
    problems: list[tuple[str, str]] = []

    def number(where: str, value: Any, required: bool = False, least: float | None = None) -> None:
        if value is None and not required:
            return
        if value is None:
            problems.append((where, "missing: a number is required"))
        elif not _is_number(value):
            problems.append((where, f"must be a number, not {_json_kind(value)}"))
        elif not math.isfinite(value):
            problems.append((where, f"must be a finite number, not {value!r}"))
        elif least is not None and value < least:
            problems.append((where, f"{_fmt(value)} is negative"))

    def text(where: str, value: Any, required: bool = False) -> None:
        if value is None and not required:
            return
        if not isinstance(value, str) or (required and not value):
            problems.append((where, f"must be a non-empty string, not {_json_kind(value)}"))

    def year(where: str, value: Any, required: bool = False) -> int | None:
        if value is None and not required:
            return None
        y = _as_year(value)
        if y is None:
            problems.append((where, f"must be a whole year such as 2025, not {_json_kind(value)}"))
        return y

    def rows(key: str) -> list[Any]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            problems.append((key, f"must be a list of rows, not {_json_kind(value)}"))
            return []
        for n, row in enumerate(value):
            if not isinstance(row, dict):
                problems.append((f"{key}[{n}]", f"must be an object {{...}}, not {_json_kind(row)}"))
        return value

    status = data.get("status")
    if status is None:
        problems.append(("status", f"missing: one of {', '.join(RESULT_STATUSES)}"))
    elif status not in RESULT_STATUSES:
        problems.append(("status", f"{_json_kind(status)} is not one of {', '.join(RESULT_STATUSES)}"))
    name = data.get("instance")
    text("instance", name, required=True)
    if instance is not None and isinstance(name, str) and name and name != instance.name:
        return [("", f"this result is for instance {name!r}, not {instance.name!r}")]
    for key in ("model", "backend"):
        text(key, data.get(key))
    for key in ("objective", "mip_gap", "best_bound", "bound", "gap"):
        number(key, data.get(key))
    if _is_number(data.get("mip_gap")) and data.get("best_bound") is None:
        problems.append(("best_bound", "missing: a result with a mip_gap gives its best bound"))

    known = None
    if instance is not None:
        known = (set(instance.region_ids), set(instance.specialty_ids), set(instance.years))
    seen: dict[tuple, int] = {}
    allocation = rows("allocation")
    for n, row in enumerate(allocation):
        if not isinstance(row, dict):
            continue
        where = f"allocation[{n}]"
        missing = [f for f in _ROW_FIELDS if f not in row]
        if missing:
            problems.append((where, f"missing {', '.join(missing)} (a row has {', '.join(_ROW_FIELDS)})"))
            continue
        text(f"{where}.region", row["region"], required=True)
        text(f"{where}.specialty", row["specialty"], required=True)
        y = year(f"{where}.year", row["year"], required=True)
        number(f"{where}.posts", row["posts"], required=True, least=-1e-6)
        number(f"{where}.target", row["target"], required=True)
        if known is not None:
            for field_, value, ids, kind in (
                ("region", row["region"], known[0], "region"),
                ("specialty", row["specialty"], known[1], "specialty"),
            ):
                if isinstance(value, str) and value and value not in ids:
                    shown = ", ".join(sorted(ids)[:8]) + (", …" if len(ids) > 8 else "")
                    problems.append((f"{where}.{field_}", f"unknown {kind} {value!r} (known: {shown})"))
            if y is not None and y not in known[2]:
                problems.append((f"{where}.year", f"{y} is not a planning year of the instance"))
        key = (row["region"], row["specialty"], y)
        if all(isinstance(k, str) for k in key[:2]) and y is not None:
            if key in seen:
                problems.append((where, f"repeats allocation[{seen[key]}] ({key[0]}/{key[1]}/{y})"))
            else:
                seen[key] = n

    kpis = rows("kpis")
    kpi_years: dict[int, int] = {}
    for n, row in enumerate(kpis):
        if not isinstance(row, dict):
            continue
        y = year(f"kpis[{n}].year", row.get("year"), required=True)
        if y is not None and report:
            if y in kpi_years:
                problems.append((f"kpis[{n}]", f"repeats kpis[{kpi_years[y]}] (year {y})"))
            kpi_years.setdefault(y, n)
        for measure in KPI_MEASURES:
            number(f"kpis[{n}].{measure}", row.get(measure), required=report)
    if report and allocation and not kpis and data.get("status") in ("optimal", "feasible", "time_limit"):
        problems.append(("kpis", "missing: a result with an allocation gives its measures (kpis) per year"))

    for n, row in enumerate(rows("binding")):
        if not isinstance(row, dict):
            continue
        text(f"binding[{n}].constraint", row.get("constraint"), required=True)
        text(f"binding[{n}].region", row.get("region"))
        text(f"binding[{n}].specialty", row.get("specialty"))
        year(f"binding[{n}].year", row.get("year"))
        number(f"binding[{n}].dual", row.get("dual"), required=True)

    diagnosis = data.get("diagnosis")
    if diagnosis is not None:
        if not isinstance(diagnosis, dict):
            problems.append(("diagnosis", f"must be an object {{...}}, not {_json_kind(diagnosis)}"))
        else:
            text("diagnosis.summary", diagnosis.get("summary"))
            findings = diagnosis.get("findings")
            if findings is not None and not isinstance(findings, list):
                problems.append(("diagnosis.findings", f"must be a list, not {_json_kind(findings)}"))
            for n, f in enumerate(findings if isinstance(findings, list) else []):
                where = f"diagnosis.findings[{n}]"
                if not isinstance(f, dict):
                    problems.append((where, f"must be an object {{...}}, not {_json_kind(f)}"))
                    continue
                for key in ("constraint", "message", "region", "specialty"):
                    text(f"{where}.{key}", f.get(key))
                year(f"{where}.year", f.get("year"))
                number(f"{where}.relax_by", f.get("relax_by"))
    rounding = data.get("rounding")
    if rounding is not None and not isinstance(rounding, dict):
        problems.append(("rounding", f"must be an object {{...}}, not {_json_kind(rounding)}"))
    return problems


def load_result(path: str | Path, instance: Instance | None = None, report: bool = False) -> dict[str, Any]:
    """Read a result file and check its form (:func:`result_problems`).

    Raises
    ------
    ResultFormatError
        One line naming the file and the place of the first problem, and how many more there
        are, e.g. ``r.json: allocation[3].posts: must be a finite number, not nan``.
    """
    path = Path(path)
    data = _read_json(path)
    problems = result_problems(data, instance, report=report)
    if problems:
        where, msg = problems[0]
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        raise ResultFormatError(f"{path}: {where}: {msg}{more}" if where else f"{path}: {msg}{more}")
    return data


def _read_result(result: Any) -> dict[str, Any]:
    """A result given as a dict, a path to a JSON file, or an object with ``to_dict()``."""
    if isinstance(result, dict):
        return result
    if isinstance(result, str | Path):
        path = Path(result)
        data = _read_json(path)
        if not isinstance(data, dict):
            raise ResultFormatError(f"{path}: a result must be a JSON object {{...}}, not {_json_kind(data)}")
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

        # T̄: the targets at data-only totals (T itself wherever the total is fixed)
        self.target_bar = self._targets(self.national_bar)
        self.target = self.target_bar

    def _targets(self, national: np.ndarray) -> np.ndarray:
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
        self.deferred_targets: list[tuple[int, int, int, dict, dict]] = []

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
        """Σ_r x[r,s,t] = N[s,t] for each s, t; min <= Σ_r x[r,s,t] <= max for a range."""
        tb = self.tb
        total = x.sum(axis=0)  # [j, h]
        off = total - tb.national
        for (j, h), (low, high) in tb.ranges.items():
            off[j, h] = 0.0  # checked here, not as an equality
            value = float(total[j, h])
            if self._unknown("national_total", value):
                continue
            where = f"national_total: {tb.specialties[j]}/{tb.years[h]}: regions hold {_fmt(value)} posts in total"
            ent = {"specialty": tb.specialties[j], "year": tb.years[h]}
            if low is not None and low - value > self.allowance(low, cells=tb.shape[0]):
                self.add(
                    "national_total",
                    low - value,
                    f"{where}, below the range's min_posts {_fmt(low)} by {_fmt(low - value)}",
                    **ent,
                )
            if high is not None and value - high > self.allowance(high, cells=tb.shape[0]):
                self.add(
                    "national_total",
                    value - high,
                    f"{where}, above the range's max_posts {_fmt(high)} by {_fmt(value - high)}",
                    **ent,
                )
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
        """dec <= max_shrink_rate · x_prev + shrink_allowance for each cell."""
        tr = self.tb.inst.transition
        rate = tr.max_shrink_rate
        if rate is None:
            return
        allowance = tr.shrink_allowance or 0.0
        limit = rate * x_prev + allowance
        self._cell_rows(
            "shrink_limit",
            dec,
            limit,
            lambda i, j, h: (
                f"shrinks by {_fmt(dec[i, j, h])} posts from {_fmt(x_prev[i, j, h])}, limit "
                f"{_fmt(limit[i, j, h])} (max_shrink_rate {_fmt(rate)} × {_fmt(x_prev[i, j, h])}"
                + (f" + shrink_allowance {_fmt(allowance)})" if allowance else ")")
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
            f"shortfall {_fmt(total_short)} × {_fmt(w.shortfall)} + surplus "
            f"{_fmt(total_surplus)} × {_fmt(w.surplus)} + moves {_fmt(total_moves)} × "
            f"{_fmt(w.moves)} + cost {_fmt(total_cost)} × {_fmt(w.cost)} + worst shortfall "
            f"{_fmt(z)}% × {_fmt(w.worst_shortfall)}"
        )
        return value, parts

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
    if model is not None:
        reported = data.get("objective")
        if status not in SOLVED:
            checker.notes.append(f"objective not compared: status is {status}, not optimal or feasible")
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
    report.kpis = checker.measures(x, dec, short, target)
    if "kpis" in data and data["kpis"] is not None:
        checker.compare_kpis(data["kpis"], report.kpis)
    return _finish(report, checker)


def _feasible_fields(checker: _Checker, data: dict[str, Any]) -> None:
    """A ``feasible`` result carries ``bound`` and ``gap`` (§9 v2); the bound of a minimisation
    is not above the objective."""
    for key in ("bound", "gap"):
        value = data.get(key)
        if not _is_number(value) or not math.isfinite(value):
            checker.add("status", 1, f"status: a feasible result carries a number {key!r}, got {value!r}")
    bound, objective = data.get("bound"), data.get("objective")
    if _is_number(bound) and _is_number(objective) and math.isfinite(bound) and math.isfinite(objective):
        if bound - objective > checker.rtol * max(1.0, abs(objective)):
            checker.add(
                "status",
                bound - objective,
                f"status: bound {_fmt(bound)} is above the objective {_fmt(objective)} of a minimisation",
            )


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
        report = check(instance, load_result(result_path, instance), model=model)
    except (InstanceError, ResultFormatError) as err:
        print(str(err), file=sys.stderr)
        return 2
    print(report)
    return 0 if report.ok else 1
