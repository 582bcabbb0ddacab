"""Cross-field validation of an instance (FORMULATION §3): schema problems, ids, years, v2 fields,
zero need.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from allocator.core.instance import NOT_YET_SUPPORTED, SCHEMA_VERSIONS, Instance, InstanceError

# --------------------------------------------------------------------------- validation


def _where(loc: Iterable[Any]) -> str:
    """``('baseline_posts', 12, 'region')`` -> ``baseline_posts[12].region``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _pydantic_problems(err: ValidationError, root: type[BaseModel] | None = None) -> list[tuple[str, str]]:
    """pydantic's errors as ``(where, message)``; ``root`` (the model validated) lets an
    unknown field name its nearest known field."""
    from allocator.core.limits import closest, fields_at

    problems = []
    for e in err.errors():
        loc = [p for p in e["loc"] if p not in ("function-after[_min_below_max()]",)]
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            near = closest(str(loc[-1]), fields_at(root, loc[:-1])) if root is not None and loc else None
            hint = f": did you mean `{near}`?" if near else " (check the spelling;"
            msg = f"unknown field{hint} {'(' if near else ''}the format is in docs/model.md)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if "input" in e and e["type"] not in ("missing", "extra_forbidden"):
            shown = repr(e["input"])
            if len(shown) <= 40:
                msg += f" (got {shown})"
        problems.append((_where(loc), msg))
    return problems


def known_ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:8]) + (", …" if len(ids) > 8 else "")
    return f"(known: {shown})"


def _cross_check(inst: Instance) -> list[tuple[str, str]]:
    """Checks that span lists: ids, duplicates, years, transition, zero need."""
    problems: list[tuple[str, str]] = []
    if inst.schema_version not in SCHEMA_VERSIONS:
        problems.append(
            (
                "schema_version",
                f"unsupported version {inst.schema_version} (this tool reads "
                f"{' and '.join(str(v) for v in SCHEMA_VERSIONS)})",
            )
        )
    elif inst.schema_version < 2:
        problems += _v2_fields(inst)
    regions, specs = inst.region_ids, inst.specialty_ids
    for label, ids in (("regions", regions), ("specialties", specs), ("sources", [s.id for s in inst.sources])):
        seen: set[str] = set()
        for i, x in enumerate(ids):
            if x in seen:
                problems.append((f"{label}[{i}].id", f"duplicate id '{x}'"))
            seen.add(x)
    years = inst.years
    for i in range(1, len(years)):
        if years[i] <= years[i - 1]:
            problems.append((f"years[{i}]", f"years must increase strictly ({years[i - 1]} then {years[i]})"))
    if years and years[0] <= inst.baseline_year:
        problems.append(("years[0]", f"{years[0]} is not after baseline_year {inst.baseline_year}"))

    rset, sset, yset = set(regions), set(specs), set(years)
    keyfields = {
        "baseline_posts": ("region", "specialty"),
        "national_posts": ("specialty", "year"),
        "population_by_year": ("region", "year"),
        "need_weights": ("region", "specialty"),
        "capacity": ("region", "specialty", "year"),
        "locks": ("region", "specialty", "year"),
        "cost_per_post": ("region", "specialty"),
        "budget": ("year",),
    }
    for list_name, fields in keyfields.items():
        seen_keys: dict[tuple, int] = {}
        for i, entry in enumerate(getattr(inst, list_name)):
            ok = True
            for f in fields:
                v = getattr(entry, f)
                if f == "region" and v not in rset:
                    problems.append((f"{list_name}[{i}].region", f"unknown region '{v}' {known_ids(regions)}"))
                    ok = False
                elif f == "specialty" and v not in sset:
                    problems.append((f"{list_name}[{i}].specialty", f"unknown specialty '{v}' {known_ids(specs)}"))
                    ok = False
                elif f == "year" and v is not None and v not in yset:
                    problems.append(
                        (
                            f"{list_name}[{i}].year",
                            f"year {v} is not a planning year {known_ids([str(y) for y in years])}",
                        )
                    )
                    ok = False
            key = tuple(getattr(entry, f) for f in fields)
            # capacity may repeat a cell: "where several entries cover a cell and year, all hold"
            if ok and list_name != "capacity":
                if key in seen_keys:
                    problems.append(
                        (f"{list_name}[{i}]", f"duplicate entry for {key} (first at {list_name}[{seen_keys[key]}])")
                    )
                else:
                    seen_keys[key] = i
    tr = inst.transition
    if tr.growth_allowance is not None and tr.max_growth_rate is None:
        problems.append(("transition.growth_allowance", "growth_allowance needs max_growth_rate (it is added to it)"))
    if tr.shrink_allowance is not None and tr.max_shrink_rate is None:
        problems.append(("transition.shrink_allowance", "shrink_allowance needs max_shrink_rate (it is added to it)"))
    if tr.shrink_by_programme_length:
        for i, s in enumerate(inst.specialties):
            if s.programme_years is None:
                problems.append(
                    (f"specialties[{i}].programme_years", "required when transition.shrink_by_programme_length is true")
                )
    if not problems:
        problems += _zero_need(inst)
    return problems


def _v2_fields(inst: Instance) -> list[tuple[str, str]]:
    """A ``schema_version: 1`` file that uses a field of v2: name it and say what to do."""
    fix = "is a schema_version 2 field: set schema_version: 2 to use it"
    problems = []
    if inst.transition.shrink_allowance is not None:
        problems.append(("transition.shrink_allowance", f"shrink_allowance {fix}"))
    for i, n in enumerate(inst.national_posts):
        if n.ranged:
            field = "min_posts" if n.min_posts is not None else "max_posts"
            problems.append((f"national_posts[{i}].{field}", f"a range of national posts ({field}) {fix}"))
    return problems


def _not_yet_supported(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The v2 blocks this version cannot solve yet (FORMULATION §10, §11), taken out of ``data``
    and named, so that they are rejected as "not yet supported", never as an unknown field and
    never silently."""
    problems: list[tuple[str, str]] = []
    data = dict(data)
    for key in ("pipeline", "teams"):
        if key in data:
            del data[key]
            problems.append((key, f"not yet supported in this version: {key} ({NOT_YET_SUPPORTED[key]})"))
    specs = data.get("specialties")
    if isinstance(specs, list):
        cleaned = []
        for i, spec in enumerate(specs):
            if isinstance(spec, dict) and "profession" in spec:
                spec = {k: v for k, v in spec.items() if k != "profession"}
                problems.append(
                    (
                        f"specialties[{i}].profession",
                        "not yet supported in this version: profession "
                        f"({NOT_YET_SUPPORTED['specialties[].profession']})",
                    )
                )
            cleaned.append(spec)
        data["specialties"] = cleaned
    return data, problems


def _zero_need(inst: Instance) -> list[tuple[str, str]]:
    """A specialty with posts in some year but zero total need that year has no fair share.

    Need and national totals come from :func:`allocator.core.data.problem_data`, the one home of
    the §2 defaults (population by year, weights, national totals).
    """
    from allocator.core.data import problem_data  # data.py imports this module

    d = problem_data(inst)
    # a ranged total (v2) has posts when its minimum is above 0
    no_need = (d.need.sum(axis=0) <= 0) & (d.national_min > 0)  # (S, Y)
    problems = []
    for j, t in zip(*np.nonzero(no_need), strict=True):
        if problems and problems[-1][0] == f"specialties[{j}]":
            continue  # one message per specialty: its first such year
        problems.append(
            (
                f"specialties[{j}]",
                f"specialty '{d.specialties[j]}' has {d.national_min[j, t]:g} posts in {d.years[t]} but its total need "
                "(population × need_index × weight, summed over regions) is zero",
            )
        )
    return problems


def validate(data: dict[str, Any], source: str = "<instance>", strict: bool = True) -> Instance:
    """Validate raw data into an :class:`Instance`, or raise :class:`InstanceError`.

    Parameters
    ----------
    data
        The instance as parsed JSON (or rows read from a workbook / CSV folder).
    source
        Name of the file, used in every message.
    strict
        JSON is checked strictly (``"120"`` is not a number); tables read from Excel or CSV
        are checked in lax mode, where a cell ``120`` read as text is a number.
    """
    if not isinstance(data, dict):
        raise InstanceError(source, [("", "an instance must be a JSON object")])
    data, unsupported = _not_yet_supported(data)
    try:
        inst = Instance.model_validate(data, strict=strict)
    except ValidationError as err:
        raise InstanceError(source, unsupported + _pydantic_problems(err, Instance)) from None
    if unsupported:
        raise InstanceError(source, unsupported)
    from allocator.core.limits import check_limits

    problems = check_limits(inst) or _cross_check(inst)
    if problems:
        raise InstanceError(source, problems)
    return inst
