"""Table cells: column kinds, value conversion and the wording of table problems (shared by reading
and writing).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from allocator.core.instance import LISTS, Instance, NeedFactor, Pipeline, Team, Transition, is_rate
from allocator.core.limits import model_of

# Sheet "instance" (or instance.csv) holds the scalars as two columns: field, value.
SCALARS = ("schema_version", "name", "description", "baseline_year", "years")
TRANSITION_PREFIX = "transition."
PIPELINE_PREFIX = "pipeline."  # the scalars of the pipeline block (§10): horizon_year, mobility, assess_years
# The lists of the v2 blocks, one sheet each: sheet -> list of the pipeline block (§10) ...
PIPELINE_SHEETS = {
    "pipeline_specialties": "specialties",
    "fill_rate": "fill_rate",
    "stock": "stock",
    "settle_rate": "settle_rate",  # v3
}
# ... and sheet -> list of each team (§11); a column ``team`` names the team of each row
TEAM_SHEETS = {"team_members": "members", "team_need_weights": "need_weights"}
# ... and the need block (§3b, v3): one row per factor, and its values (a column ``factor`` names it)
NEED_SHEETS = ("need_factors", "need_values")
# columns that name the entry a row belongs to (matched by the reader, not fields of the entry)
OWNER_COLUMNS = frozenset({"team", "factor"})
# Every list sheet, in the order written: the lists of §2, the pipeline, the teams, the sources.
SHEETS = (
    *(name for name in LISTS if name != "sources"),
    *PIPELINE_SHEETS,
    "teams",
    *TEAM_SHEETS,
    *NEED_SHEETS,
    "sources",
)
LIST_SEPARATOR = ";"  # between the items of a list cell (delay_years 3;4); "," is read too
README = "readme"  # a sheet (or file) of notes, never read
TRUE = frozenset({"true", "yes", "1"})
FALSE = frozenset({"false", "no", "0"})
NO_VALUE = "has no value: open and save the workbook in Excel, or type the value"
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"})
TABLE_SUFFIXES = (".xlsx", ".xlsm")
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_PERCENT = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*%\s*")


class Unread:
    """A cell that could not be read: its problem is reported already, and validation sets its
    entry aside (:mod:`allocator.core.salvage`) so the rest of the file is still checked."""

    def __repr__(self) -> str:
        return "<unread cell>"


UNREAD = Unread()

# What each scalar and transition field means (the "meaning" column of the instance sheet).
MEANING = {
    "schema_version": "version of the instance format: 1, 2 or 3; at least 2 to use v2 fields (shrink_allowance, "
    "national ranges, the pipeline.* fields and sheets, teams, profession, need_weights year)",
    "name": "name of the instance, shown in results",
    "description": "free text",
    "baseline_year": "the year of baseline_posts (y0)",
    "years": "planning years, comma-separated, increasing, all after baseline_year",
    "transition.max_growth_rate": "growth per year as a fraction of the previous year's posts, 0.05 or 5% "
    "(empty: no limit)",
    "transition.growth_allowance": "posts of growth allowed on top of the rate (needs max_growth_rate)",
    "transition.max_shrink_rate": "loss per year as a fraction of the previous year's posts, 0.05 or 5% "
    "(empty: no limit)",
    "transition.shrink_allowance": "posts of loss allowed on top of the rate (schema_version 2; needs max_shrink_rate)",
    "transition.shrink_by_programme_length": "true: a programme loses at most 1/programme_years a year (empty: false)",
    "transition.max_region_net_loss_rate": "a region's net loss per year as a fraction of its posts, 0.03 or 3% "
    "(empty: no limit)",
    "transition.max_national_moves": "posts lost across all cells in one year (empty: no limit)",
    "pipeline.horizon_year": "schema_version 2: the last year the workforce pipeline is followed to (at least the last "
    "planning year); empty: no pipeline, and the sheets pipeline_specialties, fill_rate and stock must be empty",
    "pipeline.mobility": "where completers who do not settle in their training region go: need (in proportion to "
    "need) or lost (empty: need)",
    "pipeline.assess_years": "years whose supply gap is assessed, comma-separated, within the first planning year to "
    "horizon_year (empty: horizon_year)",
}
SHEET_MEANING = {
    "instance": "the scalars: one row per field (field, value); an empty value means absent",
    "regions": "one row per region: id (unique), name, population, need_index (empty: 1.0)",
    "specialties": "one row per specialty programme: id (unique), name, programme_years, profession (empty: "
    "medicine; schema_version 2: e.g. acp, pa, pharmacist)",
    "baseline_posts": "posts in the baseline year; a missing region × specialty pair has 0 posts (required)",
    "national_posts": "national total of a specialty in a year (empty sheet: the baseline total every year)",
    "population_by_year": "population of a region in a planning year (empty sheet: population every year)",
    "need_weights": "need weight of a region × specialty (empty sheet: 1.0); with a year (schema_version 2), the "
    "weight of that year only",
    "capacity": "bounds min_posts ≤ posts ≤ max_posts; an empty year means every year",
    "locks": "posts fixed in a region × specialty × year",
    "cost_per_post": "cost of one post in a region × specialty (empty sheet: 0)",
    "budget": "cap on the total cost of the posts in a year",
    "pipeline_specialties": "workforce pipeline (needs pipeline.horizon_year), one row per specialty, every column "
    "optional: completion_rate (1), delay_years and delay_shares as lists such as 3;4 and 0.7;0.3 (one share per "
    "delay, summing to 1; empty: programme_years, all completing then), settle_rate (0.8), join_rate (1), "
    "leave_rate (0); a specialty not listed gets these defaults",
    "fill_rate": "workforce pipeline: share of the posts of a region × specialty that are filled (empty sheet: 1)",
    "stock": "workforce pipeline: trained staff (headcount or FTE) of a region × specialty in baseline_year "
    "(empty sheet: 0)",
    "teams": "schema_version 2: one row per team of programmes sharing one area of need: id (unique), name, on "
    "(posts, or stock to count trained staff: needs a pipeline; empty: posts)",
    "team_members": "one row per member of a team: team (an id of sheet teams), specialty, equivalence (share of the "
    "need one post covers; empty: 1), max_share (largest share of the team's capacity, in (0, 1]; empty: no limit)",
    "team_need_weights": "need weight of a team in a region: team, region, weight (a region not listed: 1.0)",
    "settle_rate": "schema_version 3, workforce pipeline: a region's own settle rate for a specialty, replacing "
    "settle_rate of pipeline_specialties there (empty sheet: none)",
    "need_factors": "schema_version 3: one row per need factor, in the order of the fair-share waterfall: id "
    "(unique; need_index and need_weights place the built-in factors), name, blend (0 to 1, or 20%; empty: 1), "
    "specialties (the programmes it applies to, separated by ';'; empty: all), source (an id of sheet sources)",
    "need_values": "values of the need factors (> 0): factor (an id of sheet need_factors), region, specialty "
    "(empty: every specialty), year (empty: every year; else from that year on), value",
    "phases": "schema_version 3 (docs/model.md §5b): one row per specialty that moves in a phase: specialty, from_year "
    "(before it, no region loses posts of that specialty)",
    "transition_by_specialty": "schema_version 3 (§5b): a specialty's own transition limits, for every year (empty "
    "year) or one planning year; a field left empty keeps the global one, the word none removes that rate (and its "
    "allowance) for the specialty",
    "floors": "schema_version 3 (§5b): from from_year on, each matching cell (level cell) or region total (level "
    "region) holds at least a share of its fair share: share_of_target (0.9 or 90%), or convergence (the share of "
    "the baseline shortfall closed each year); empty region or specialty: all",
    "sources": "where the numbers come from (ignored by the model)",
}
#: The list sheet whose rate cells may say ``none``: a rate removed for that specialty (§5b).
NULLABLE_SHEET = "transition_by_specialty"
NONE_WORD = "none"


# --------------------------------------------------------------------------- field types


def _kind(annotation: Any) -> str:
    """``"bool" | "int" | "float" | "rate" | "str" | "list:<kind>" | "other"`` for a field
    annotation; a ``rate`` is a float that a cell may write as a percentage (``5%``)."""
    if is_rate(annotation):
        return "rate"
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds = {_kind(a) for a in typing.get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else "other"
    if origin is typing.Literal:
        return "str" if all(isinstance(a, str) for a in typing.get_args(annotation)) else "other"
    if origin is list:
        return "list:" + _kind(typing.get_args(annotation)[0])
    return {bool: "bool", int: "int", float: "float", str: "str"}.get(annotation, "other")


def _field_kind(info: Any) -> str:
    """The kind of a pydantic field (:func:`_kind`; ``rate`` also where pydantic moved the
    rate's marker from the annotation to the field's metadata)."""
    return "rate" if is_rate(info) else _kind(info.annotation)


def _sheet_fields(name: str) -> dict[str, Any]:
    """The fields of the entries of list sheet ``name`` (:data:`SHEETS`): name -> pydantic field info
    (``None`` for the column ``team`` of the team sheets)."""
    if name in PIPELINE_SHEETS:
        model = model_of(Pipeline.model_fields[PIPELINE_SHEETS[name]].annotation)
    elif name == "teams":  # members and need weights have sheets of their own
        return {f: info for f, info in Team.model_fields.items() if model_of(info.annotation) is None}
    elif name in TEAM_SHEETS:
        model = model_of(Team.model_fields[TEAM_SHEETS[name]].annotation)
        return {"team": None, **model.model_fields}
    elif name == "need_factors":  # values have a sheet of their own
        return {f: info for f, info in NeedFactor.model_fields.items() if model_of(info.annotation) is None}
    elif name == "need_values":
        model = model_of(NeedFactor.model_fields["values"].annotation)
        return {"factor": None, **model.model_fields}
    else:
        model = model_of(Instance.model_fields[name].annotation)
    return dict(model.model_fields)


def list_columns(name: str) -> dict[str, str]:
    """Columns of list sheet ``name`` and their kinds, in the order of the schema."""
    return {f: "str" if info is None else _field_kind(info) for f, info in _sheet_fields(name).items()}


def _required_columns(name: str) -> list[str]:
    return [f for f, info in _sheet_fields(name).items() if info is None or info.is_required()]


def scalar_fields() -> dict[str, str]:
    """Rows of the ``instance`` sheet and their kinds: the scalars, then ``transition.*``, then
    the scalars of the pipeline block, ``pipeline.*``."""
    out = {}
    for f, info in Instance.model_fields.items():
        if f in LISTS or model_of(info.annotation) is not None:
            continue
        out[f] = _field_kind(info)
    for f, info in Transition.model_fields.items():
        out[TRANSITION_PREFIX + f] = _field_kind(info)
    for f, info in Pipeline.model_fields.items():
        if model_of(info.annotation) is None:
            out[PIPELINE_PREFIX + f] = _field_kind(info)
    return out


def list_cell(values: list[Any], sep: str = LIST_SEPARATOR) -> Any:
    """A list as one cell: ``[3, 4]`` -> ``"3;4"``; one item is written as a number. Floats keep
    every digit (their shortest exact form), so the cell reads back to the same list."""

    def item(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
            return int(v)
        return v

    if len(values) == 1:
        return item(values[0])
    return sep.join(repr(item(v)) if isinstance(item(v), float) else str(item(v)) for v in values)


def _convert_list(value: Any, kind: str) -> tuple[Any, str | None]:
    """A list cell (``3;4``, ``0.7;0.3``; ``,`` is read too; one number is a list of one) ->
    ``(list, None)``, or ``(None, message)``."""
    item = kind.split(":", 1)[1]
    example = "3;4" if item == "int" else "0.7;0.3"
    how = f"give the values separated by ';', e.g. {example}"
    if isinstance(value, bool):
        return None, f"is TRUE/FALSE, not a list of numbers: {how}"
    if isinstance(value, int | float):
        parts: list[Any] = [value]
    elif isinstance(value, str):
        if "," in value and ";" in value:
            return None, f"mixes ';' and ',': {how}, with a decimal point"
        parts = re.split(r"[;,]", value)
        if any(not p.strip() for p in parts):
            return None, f"has an empty item: {how}"
    else:
        parts = [value]
    out = []
    for p in parts:
        v, msg = _convert(p, item)
        if msg is not None:
            shown = f"item {_quote(p.strip())} " if isinstance(p, str) and len(parts) > 1 else ""
            return None, f"{shown}{msg}: {how}"
        out.append(v)
    return out, None


def _convert(value: Any, kind: str) -> tuple[Any, str | None]:
    """A non-blank cell -> ``(value, None)``, or ``(None, message)`` when it cannot be read exactly."""
    if kind.startswith("list:") and not isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return _convert_list(value, kind)
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return None, "is a date or time: type the value (format the cell as a number or as text)"
    if kind in ("bool", "int", "float", "rate") and isinstance(value, str) and value.strip() in EXCEL_ERRORS:
        return None, "is an Excel error value: correct the formula or type the value"
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if isinstance(value, int | float) and value in (0, 1):
            text = str(int(value))
        if text in TRUE:
            return True, None
        if text in FALSE:
            return False, None
        return None, "must be true or false (or yes/no, 1/0)"
    if kind in ("int", "float", "rate"):
        if isinstance(value, bool):
            return None, "is TRUE/FALSE, not a number"
        percent = _PERCENT.fullmatch(value) if isinstance(value, str) else None
        if percent and kind == "rate":
            return float(percent.group(1)) / 100, None  # 5% -> 0.05 (docs/model.md §2)
        if percent:
            return None, "is a percentage, but only a rate may be written as one: type the number"
        if isinstance(value, str):
            if not _NUMBER.fullmatch(value):
                hint = " (no thousands separators)" if re.fullmatch(r"\s*[\d,]+(\.\d*)?\s*", value) else ""
                return None, f"is not a number{hint}"
            value = float(value)
        if not isinstance(value, int | float):
            return None, "is not a number"
        if isinstance(value, float) and not math.isfinite(value):
            return None, "is not a finite number"
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                return None, "is not a whole number"
            return int(value), None
        return float(value), None
    if kind == "str":
        if isinstance(value, bool):
            return ("TRUE" if value else "FALSE"), None
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value)), None
        if isinstance(value, int | float):
            return str(value), None
        return value, None
    return value, None


def _clean(value: Any) -> Any:
    """A table cell -> plain Python, or ``None`` for an empty cell (NaN, blank text)."""
    if value is None:
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _safe(text: str) -> str:
    """User text fit for a one-line message: control characters shown escaped."""
    return text if text.isprintable() else repr(text)[1:-1]


def _quote(text: str) -> str:
    """``'name'`` for a message, at most 100 characters, control characters escaped."""
    return "'" + _safe(text[:100]) + ("…" if len(text) > 100 else "") + "'"


def _shown(value: Any) -> str:
    text = ("TRUE" if value else "FALSE") if isinstance(value, bool) else repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


# --------------------------------------------------------------------------- problems


@dataclass
class _Problem:
    label: str  # "sheet capacity", "file capacity.csv"
    message: str
    row: int | None = None
    place: str | None = None  # "column max_posts", "field years"
    where: str | None = None  # "capacity[3].max_posts": the entry, as in JSON messages
    got: str | None = None


def _ranges(rows: list[int]) -> str:
    rows = sorted(set(rows))
    parts, start, prev = [], rows[0], rows[0]
    for r in rows[1:] + [None]:
        if r is not None and r == prev + 1:
            prev = r
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if r is not None:
            start = prev = r
    shown = ", ".join(parts[:10]) + (", …" if len(parts) > 10 else "")
    return ("row " if len(rows) == 1 else "rows ") + shown


def _format(problems: list[_Problem]) -> list[tuple[str, str]]:
    """One line per problem, or per column for a problem repeated down a column."""
    groups: dict[tuple, list[_Problem]] = {}
    for p in problems:
        key = (p.label, p.place, p.message) if p.row is not None else (id(p),)
        groups.setdefault(key, []).append(p)
    out = []
    for ps in groups.values():
        p = ps[0]
        gots = list(dict.fromkeys(q.got for q in ps if q.got is not None))
        got = f" (got {', '.join(gots[:3])}{', …' if len(gots) > 3 else ''})" if gots else ""
        if p.row is None:
            where = p.where or p.label
            tail = f" ({p.label})" if p.where and p.label else ""
            out.append((where, f"{p.message}{got}{tail}"))
        elif len(ps) == 1 and p.where:
            place = f", {p.place}" if p.place else ""
            out.append((p.where, f"{p.message}{got} ({p.label}, row {p.row}{place})"))
        else:
            place = f", {p.place}" if p.place else ""
            out.append((f"{p.label}{place}, {_ranges([q.row for q in ps])}", f"{p.message}{got}"))
    return out
