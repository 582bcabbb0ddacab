"""Result files: reading a result JSON and reporting its format problems (docs/model.md §9), before
any checking.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from allocator.core.instance import Instance

STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "time_limit", "error")
# Statuses that claim a solution keeping every constraint (docs/model.md §9).
SOLVED = ("optimal", "feasible")
KPI_MEASURES = (
    "gap_posts",
    "gap_closed_pct",
    "gini",
    "max_shortfall_pct",
    "posts_moved",
    "cost",
)
# v2 §9: the measures of a ``supply`` row (§10), a ``supply_kpis`` row, a ``teams`` row (§11).
SUPPLY_MEASURES = ("completions", "joiners", "stock", "fair_stock")
SUPPLY_KPI_MEASURES = ("supply_gap", "supply_gini", "supply_max_shortfall_pct")
TEAM_MEASURES = ("capacity", "target")
# Families of docs/model.md §5 (and §11's team_mix) that are checked, in report order, then the result-format names.
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
    "team_mix",
)
# v3 §9 whole posts: where ``bound`` comes from (allocator.model.wholeposts.BOUND_SOURCES)
BOUND_SOURCES = ("lp", "mip-root", "mip")
FORMAT_NAMES = ("status", "allocation", "target", "objective", "kpi", "supply", "supply_kpi", "team")

#: A SHA-256 as §9 v3 ``inputs`` writes it.
SHA256 = re.compile(r"[0-9a-f]{64}")

# How many violations __str__ lists before summarising the rest.
SHOWN = 50


class ResultFormatError(ValueError):
    """The result cannot be read at all (no such file, not JSON, not a JSON object), or (from
    :func:`load_result`) it is not in the result format; the message names the file and place."""


# --------------------------------------------------------------------------- helpers


def fmt_number(value: float) -> str:
    """A number for a message: up to 10 significant digits, no trailing zeros."""
    return f"{value:.10g}"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_year(value: Any) -> int | None:
    """A JSON year (an int, or a float with no fraction) as int; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def close_to(reported: float, recomputed: float, rtol: float) -> bool:
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


RESULT_STATUSES = STATUSES  # feasible included (docs/model.md §9 v2)
_ROW_FIELDS = ("region", "specialty", "year", "posts", "target")


def result_problems(data: Any, instance: Instance | None = None, report: bool = False) -> list[tuple[str, str]]:
    """What keeps ``data`` from being a docs/model.md §9 result (of ``instance``), as ``(where,
    message)`` pairs, ``where`` a JSON place such as ``allocation[3].posts``; [] if none.

    Checked: a JSON object; ``status`` one of the §9 statuses; ``instance``, ``model``,
    ``backend`` strings; ``objective``, ``mip_gap``, ``best_bound``, ``bound``, ``gap``,
    ``lp_bound`` finite numbers or null; ``bound_source`` one of :data:`BOUND_SOURCES` or null;
    ``allocation`` a list of rows each with a ``region`` and ``specialty``
    (strings), a whole ``year``, ``posts`` a finite number >= 0 (-1e-6 allowed: solver noise)
    and ``target`` a finite number; ``kpis`` rows with a whole ``year`` and finite measures;
    ``binding`` rows with a ``constraint`` and a finite ``dual``; ``diagnosis`` an object
    whose ``findings`` are objects and whose ``actions`` and ``technical_detail`` (when
    present) are lists of strings; (v2) ``supply`` rows with a ``region``, a ``specialty``, a
    whole ``year`` and finite ``completions``, ``joiners``, ``stock``, ``fair_stock``;
    ``supply_kpis`` rows with a whole ``year`` and finite ``supply_gap``, ``supply_gini``,
    ``supply_max_shortfall_pct``; ``teams`` rows with a ``team``, a ``region``, a whole ``year``
    and finite ``capacity`` and ``target``. With ``instance``: the result names it, every
    allocation row's region, specialty and year is one of its own, no row repeated, and every
    region, specialty and team named by a ``supply`` or ``teams`` row is one of its own; (v3)
    ``inputs`` and ``timings`` in their form (:func:`_provenance`). With ``report``: the six
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
        elif not is_number(value):
            problems.append((where, f"must be a number, not {_json_kind(value)}"))
        elif not math.isfinite(value):
            problems.append((where, f"must be a finite number, not {value!r}"))
        elif least is not None and value < least:
            problems.append((where, f"{fmt_number(value)} is negative"))

    def text(where: str, value: Any, required: bool = False) -> None:
        if value is None and not required:
            return
        if not isinstance(value, str) or (required and not value):
            problems.append((where, f"must be a non-empty string, not {_json_kind(value)}"))

    def year(where: str, value: Any, required: bool = False) -> int | None:
        if value is None and not required:
            return None
        y = as_year(value)
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
    for key in ("objective", "mip_gap", "best_bound", "bound", "gap", "lp_bound"):
        number(key, data.get(key))
    if data.get("bound_source") is not None and data["bound_source"] not in BOUND_SOURCES:
        source = _json_kind(data["bound_source"])
        problems.append(("bound_source", f"{source} is not one of {', '.join(BOUND_SOURCES)}"))
    if is_number(data.get("mip_gap")) and data.get("best_bound") is None:
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

    _workforce_rows(rows, text, year, number, problems, instance)

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
            for key in ("actions", "technical_detail"):  # v3 words; absent in older results
                lines = diagnosis.get(key)
                if lines is not None and not isinstance(lines, list):
                    problems.append((f"diagnosis.{key}", f"must be a list of strings, not {_json_kind(lines)}"))
                for n, line in enumerate(lines if isinstance(lines, list) else []):
                    if not isinstance(line, str):
                        problems.append((f"diagnosis.{key}[{n}]", f"must be a string, not {_json_kind(line)}"))
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
    _provenance(data, text, number, problems)
    return problems


def _provenance(data: dict, text, number, problems: list[tuple[str, str]]) -> None:
    """The v3 fields of §9: ``inputs`` (hashes as 64 hex digits, versions as text, the declared
    ``schema_version`` a whole number) and ``timings`` (seconds, finite and >= 0). Both are
    optional: results written before v3 have neither."""
    given = data.get("inputs")
    if given is not None:
        if not isinstance(given, dict):
            problems.append(("inputs", f"must be an object {{...}}, not {_json_kind(given)}"))
        else:
            for key in ("instance_sha256", "model_sha256"):
                value = given.get(key)
                if value is not None and not (isinstance(value, str) and SHA256.fullmatch(value)):
                    problems.append((f"inputs.{key}", f"must be a SHA-256 of 64 hex digits, not {_json_kind(value)}"))
            for key in ("allocator_version", "highs_version"):
                text(f"inputs.{key}", given.get(key))
            version = given.get("schema_version")
            if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
                problems.append(("inputs.schema_version", f"must be a whole number, not {_json_kind(version)}"))
    timings = data.get("timings")
    if timings is not None:
        if not isinstance(timings, dict):
            problems.append(("timings", f"must be an object {{...}} of seconds, not {_json_kind(timings)}"))
        else:
            for stage, seconds in timings.items():
                number(f"timings.{stage}", seconds, required=True, least=0.0)


def _workforce_rows(rows, text, year, number, problems: list[tuple[str, str]], instance: Instance | None) -> None:
    """The v2 rows of §9: ``supply``, ``supply_kpis`` and ``teams`` (helpers of :func:`result_problems`)."""
    ids = {}
    if instance is not None:
        ids = {
            "region": instance.region_ids,
            "specialty": instance.specialty_ids,
            "team": [t.id for t in instance.teams],
        }
    for key, names, measures in (
        ("supply", ("region", "specialty"), SUPPLY_MEASURES),
        ("supply_kpis", (), SUPPLY_KPI_MEASURES),
        ("teams", ("team", "region"), TEAM_MEASURES),
    ):
        for n, row in enumerate(rows(key)):
            if not isinstance(row, dict):
                continue
            where = f"{key}[{n}]"
            missing = [f for f in (*names, "year", *measures) if f not in row]
            if missing:
                fields = ", ".join((*names, "year", *measures))
                problems.append((where, f"missing {', '.join(missing)} (a {key} row has {fields})"))
                continue
            for name in names:
                value = row[name]
                text(f"{where}.{name}", value, required=True)
                known = ids.get(name)
                if known is not None and isinstance(value, str) and value and value not in known:
                    shown = ", ".join(sorted(known)[:8]) + (", …" if len(known) > 8 else "")
                    problems.append((f"{where}.{name}", f"unknown {name} {value!r} (known: {shown or 'none'})"))
            year(f"{where}.year", row["year"], required=True)
            for measure in measures:
                number(f"{where}.{measure}", row[measure], required=True)


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


def read_result(result: Any) -> dict[str, Any]:
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
