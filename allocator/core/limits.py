"""Sane limits on input, in one place, and the helpers that make input messages actionable.

Every input route (instance JSON, Excel workbook, CSV folder, model TOML) is checked against
these limits after its shapes and types, so a value that no real instance needs (an id of a
megabyte, ``1e308`` posts, a year 20252026) is an error that names the entry, the field and
the limit, rather than a slow command or a refusal from HiGHS later. The limits are
documented in docs/model.md ("Limits").
"""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from collections.abc import Iterable
from typing import Any

# --------------------------------------------------------------------------- the limits

MAX_ID_LENGTH = 100  # region and specialty ids, and every reference to them
MAX_NAME_LENGTH = 1_000  # names (of the instance, a region, a specialty, a model)
MAX_TEXT_LENGTH = 10_000  # descriptions, notes and every other text
MAX_POSTS = 1e9  # posts, min_posts, max_posts, allowances, max_national_moves
MAX_POPULATION = 1e10
MAX_FACTOR = 1e6  # need_index, weight, the transition rates, objective weights
MAX_MONEY = 1e15  # cost per post, budget amount
MIN_YEAR, MAX_YEAR = 1000, 9999
MAX_PROGRAMME_YEARS = 100
MAX_NUMBER = 1e12  # any other number
MAX_YEARS = 100  # planning years; also the evaluation years of a pipeline (first planning year to horizon)
MAX_CELLS = 10_000_000  # regions × specialties × years
# at most this many runs (weightings × scenarios) per sweep unless asked for more: a grid's
# size is counted before it is expanded (5 weights × 40 values would be 10^8 runs)
MAX_RUNS = 10_000

# field name -> (largest value, what it is)
NUMBER_LIMITS: dict[str, tuple[float, str]] = {
    **{f: (MAX_POSTS, "posts") for f in ("posts", "min_posts", "max_posts", "growth_allowance", "shrink_allowance")},
    "max_national_moves": (MAX_POSTS, "posts"),
    "population": (MAX_POPULATION, "population"),
    **{f: (MAX_FACTOR, "factor") for f in ("need_index", "weight")},
    **{f: (MAX_FACTOR, "rate") for f in ("max_growth_rate", "max_shrink_rate", "max_region_net_loss_rate")},
    **{f: (MAX_MONEY, "money") for f in ("cost", "amount")},
    "programme_years": (MAX_PROGRAMME_YEARS, "years"),
    "delay_years": (MAX_PROGRAMME_YEARS, "years"),  # pipeline (§10)
    "headcount": (MAX_POSTS, "staff"),
    "equivalence": (MAX_FACTOR, "factor"),  # teams (§11)
    "value": (MAX_FACTOR, "factor"),  # need factors (§3b)
}
YEAR_FIELDS = frozenset({"year", "years", "baseline_year", "horizon_year", "assess_years"})
ID_FIELDS = frozenset({"id", "region", "specialty", "profession"})
UNCHECKED = frozenset({"schema_version"})  # checked by validation itself


def _text_limit(field: str) -> tuple[int, str]:
    if field in ID_FIELDS:
        return MAX_ID_LENGTH, "an id"
    if field == "name":
        return MAX_NAME_LENGTH, "a name"
    return MAX_TEXT_LENGTH, "a text"


#: C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F); the second also allows tab, LF, CR
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control(text: str, allow_newlines: bool) -> str | None:
    """The first control character of ``text`` that is not allowed, if any."""
    found = (_CONTROL_BUT_NEWLINES if allow_newlines else _CONTROL).search(text)
    return None if found is None else found.group()


def check_value(field: str, value: Any) -> str | None:
    """The message for a value of ``field`` outside its limit, or ``None`` when it is fine."""
    if field in UNCHECKED or value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        limit, what = _text_limit(field)
        if len(value) > limit:
            return f"{len(value):,} characters, more than the limit of {limit:,} for {what}"
        ch = _control(value, allow_newlines=field not in ID_FIELDS and field != "name")
        if ch is not None:
            return f"contains the control character U+{ord(ch):04X}, which is not allowed in {what}"
        return None
    if isinstance(value, int | float):
        if field in YEAR_FIELDS:
            if not MIN_YEAR <= value <= MAX_YEAR:
                return f"year {value:g} is outside {MIN_YEAR}–{MAX_YEAR}"
            return None
        limit, _ = NUMBER_LIMITS.get(field, (MAX_NUMBER, "number"))
        if math.isfinite(value) and abs(value) > limit:
            return f"{value:g} is above the limit of {limit:,.0f} for {field}"
    return None


def _where(path: list[tuple[Any, bool]]) -> str:
    """``regions[3].id`` from the keys (``False``) and list positions (``True``) of a path."""
    where = ""
    for step, is_position in path:
        where = f"{where}[{step}]" if is_position else (f"{where}.{step}" if where else str(step))
    return where


def _check_tree(value: Any, path: list[tuple[Any, bool]], field: str, problems: list[tuple[str, str]]) -> None:
    """Check every value under ``value``; a value's place is written out only for a problem
    (an instance has tens of thousands of values, and nearly always no problem)."""
    if isinstance(value, dict):
        for k, v in value.items():
            path.append((k, False))
            _check_tree(v, path, str(k), problems)
            path.pop()
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            path.append((i, True))
            _check_tree(v, path, field, problems)
            path.pop()
    else:
        msg = check_value(field, value)
        if msg is not None:
            problems.append((_where(path), msg))


def check_limits(obj: Any) -> list[tuple[str, str]]:
    """Every value of a validated model (an :class:`~allocator.core.instance.Instance`, a model
    file) outside its limit, as ``(where, message)`` pairs, plus the size of the instance."""
    data = obj.model_dump() if hasattr(obj, "model_dump") else obj
    problems: list[tuple[str, str]] = []
    _check_tree(data, [], "", problems)
    if isinstance(data, dict) and isinstance(data.get("years"), list) and len(data["years"]) > MAX_YEARS:
        problems.append(("years", f"{len(data['years']):,} planning years, more than the limit of {MAX_YEARS}"))
    pipeline = data.get("pipeline") if isinstance(data, dict) else None
    years = data.get("years") if isinstance(data, dict) else None
    if isinstance(pipeline, dict) and isinstance(pipeline.get("horizon_year"), int) and years:
        span = pipeline["horizon_year"] - years[0] + 1
        if span > MAX_YEARS:
            problems.append(
                (
                    "pipeline.horizon_year",
                    f"{span:,} evaluation years ({years[0]}–{pipeline['horizon_year']}), more than the limit of "
                    f"{MAX_YEARS}",
                )
            )
    if isinstance(data, dict) and all(isinstance(data.get(k), list) for k in ("regions", "specialties", "years")):
        cells = len(data["regions"]) * len(data["specialties"]) * len(data["years"])
        if cells > MAX_CELLS:
            problems.append(("", f"{cells:,} region × specialty × year cells, more than the limit of {MAX_CELLS:,}"))
    return problems


# --------------------------------------------------------------------------- messages


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name nearest to ``word`` (a typo, another case), or ``None``.

    Only short words are compared (difflib is quadratic in their length), so a megabyte of
    text costs nothing here.
    """
    known = [k for k in known if isinstance(k, str)]
    if not isinstance(word, str) or not word.strip() or len(word) > 100:
        return None
    word = word.strip().lower()
    lower = {k.lower(): k for k in known}
    if word in lower:
        return lower[word]
    close = difflib.get_close_matches(word, list(lower), n=1, cutoff=0.6)
    return lower[close[0]] if close else None


def known_ids(ids: list[str]) -> str:
    """``(known: a, b, …)``: the first eight ids, for a message naming an unknown one."""
    shown = ", ".join(ids[:8]) + (", …" if len(ids) > 8 else "")
    return f"(known: {shown})"


def unknown(what: str, value: str, known: list[str]) -> str:
    """``unknown region 'London' (known: north, london); did you mean `london`?``: an unknown
    id, the known ones, and the nearest (a typo, another case)."""
    near = closest(value, known)
    return f"unknown {what} '{value}' {known_ids(known)}" + (f"; did you mean `{near}`?" if near else "")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean `max_posts`?)`` for a near miss of a known name, else ``""``."""
    near = closest(word, known)
    return f" (did you mean `{near}`?)" if near else ""


def model_of(annotation: Any) -> Any:
    """The pydantic model inside ``X``, ``X | None``, ``list[X]``, ``Annotated[X, ...]``, if any."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return model_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple):
        for arg in typing.get_args(annotation):
            found = model_of(arg)
            if found is not None:
                return found
        return None
    return annotation if isinstance(annotation, type) and hasattr(annotation, "model_fields") else None


def fields_at(root: Any, loc: Iterable[Any]) -> list[str]:
    """The field names the model at ``loc`` inside ``root`` accepts (``[]`` if unknown).

    ``fields_at(Instance, ("capacity", 3))`` -> ``["region", "specialty", ...]``.
    """
    model = root
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(model, "model_fields", {}).get(part)
        if info is None:
            return []
        model = model_of(info.annotation)
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))
