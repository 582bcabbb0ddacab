"""Cross-field validation of an instance (docs/model.md §2): schema problems, ids, years, v2 fields,
zero need.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from allocator.core.instance import SCHEMA_VERSIONS, Instance, InstanceError
from allocator.core.limits import known_ids  # noqa: F401 - re-exported

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
    # population and need weights may also give the evaluation years of a pipeline (§10)
    cal = set(calendar_years(inst))
    keyfields = {
        "baseline_posts": ("region", "specialty"),
        "national_posts": ("specialty", "year"),
        "population_by_year": ("region", "year"),
        "need_weights": ("region", "specialty", "year"),
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
                elif f == "year" and v is not None and list_name in ("population_by_year", "need_weights"):
                    if v not in cal:
                        problems.append((f"{list_name}[{i}].year", _not_a_year(v, inst)))
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
    from allocator.core.validate_workforce import pipeline_problems, team_problems

    problems += pipeline_problems(inst) + team_problems(inst)
    if not problems:
        problems += _zero_need(inst)
    return problems


def calendar_years(inst: Instance) -> list[int]:
    """The years a population or need weight may be given for: the planning years, and with a
    pipeline (§10) every calendar year from the first planning year to ``horizon_year``."""
    years = list(inst.years)
    if inst.pipeline is not None and years:
        return sorted(set(years) | set(range(years[0], inst.pipeline.horizon_year + 1)))
    return years


def _not_a_year(year: int, inst: Instance) -> str:
    if inst.pipeline is not None:
        return f"year {year} is outside the planning and evaluation years {inst.years[0]}–{inst.pipeline.horizon_year}"
    later = ""
    if year > inst.years[-1]:
        later = " (years after the planning years need a pipeline block with its horizon_year)"
    return f"year {year} is not a planning year {known_ids([str(y) for y in inst.years])}{later}"


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
    if inst.pipeline is not None:
        problems.append(("pipeline", f"the workforce pipeline (docs/model.md §10) {fix}"))
    if inst.teams:
        problems.append(("teams", f"teams (docs/model.md §11) {fix}"))
    for i, s in enumerate(inst.specialties):
        if s.profession != "medicine":  # the default written out (a model_dump) is v1 too
            problems.append((f"specialties[{i}].profession", f"profession (docs/model.md §11) {fix}"))
    for i, w in enumerate(inst.need_weights):
        if w.year is not None:
            problems.append((f"need_weights[{i}].year", f"a need weight for one year {fix}"))
    return problems


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
    try:
        inst = Instance.model_validate(data, strict=strict)
    except ValidationError as err:
        raise InstanceError(source, _pydantic_problems(err, Instance)) from None
    from allocator.core.limits import check_limits

    problems = check_limits(inst) or _cross_check(inst)
    if problems:
        raise InstanceError(source, problems)
    from allocator.core.provenance import remember

    remember(inst, data)  # docs/model.md §9 v3: the hash of the instance as read
    return inst
