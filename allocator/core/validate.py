"""Validation of an instance (docs/model.md §2): schema problems, ids, years, later-version fields,
zero need, every problem of a file in one :class:`InstanceError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from allocator.core.instance import SCHEMA_VERSIONS, Instance, InstanceError
from allocator.core.limits import check_limits, known_ids, unknown
from allocator.core.salvage import Salvaged, clean_loc, path_text, prefixes, salvage

Problems = list[tuple[str, str]]

# --------------------------------------------------------------------------- validation


def _where(loc: Iterable[Any]) -> str:
    """``('baseline_posts', 12, 'region')`` -> ``baseline_posts[12].region``."""
    return path_text(tuple(loc))


def _pydantic_problems(err: ValidationError, root: type[BaseModel] | None = None) -> list[tuple[str, str]]:
    """pydantic's errors as ``(where, message)``; ``root`` (the model validated) lets an
    unknown field name its nearest known field."""
    from allocator.core.limits import closest, fields_at

    problems = []
    for e in err.errors():
        loc = list(clean_loc(e["loc"]))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            near = closest(str(loc[-1]), fields_at(root, loc[:-1])) if root is not None and loc else None
            hint = f": did you mean `{near}`?" if near else " (check the spelling;"
            msg = f"unknown field{hint} {'(' if near else ''}the format is in docs/model.md)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if "input" in e and e["type"] not in ("missing", "extra_forbidden", "rate_percent"):
            shown = repr(e["input"])
            if len(shown) <= 40:
                msg += f" (got {shown})"
        problems.append((_where(loc), msg))
    return problems


def _cross_check(inst: Instance, data_checks: bool = True) -> Problems:
    """Checks that span lists: ids, duplicates, years, transition, later-version fields; with
    ``data_checks``, and when all of these pass, zero need (which needs sound data)."""
    problems: Problems = []
    if inst.schema_version not in SCHEMA_VERSIONS:
        read = ", ".join(str(v) for v in SCHEMA_VERSIONS[:-1]) + f" and {SCHEMA_VERSIONS[-1]}"
        problems.append(("schema_version", f"unsupported version {inst.schema_version} (this tool reads {read})"))
    else:
        problems += version_problems(inst)
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
                    problems.append((f"{list_name}[{i}].region", unknown("region", v, regions)))
                    ok = False
                elif f == "specialty" and v not in sset:
                    problems.append((f"{list_name}[{i}].specialty", unknown("specialty", v, specs)))
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
    from allocator.core.validate_need import need_problems, settle_rate_problems
    from allocator.core.validate_pacing import pacing_problems
    from allocator.core.validate_scenarios import scenario_problems
    from allocator.core.validate_workforce import pipeline_problems, team_problems

    problems += pipeline_problems(inst) + settle_rate_problems(inst) + team_problems(inst) + need_problems(inst)
    problems += scenario_problems(inst) + pacing_problems(inst)
    if data_checks and not problems:
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


def later_fields(inst: Instance) -> list[tuple[int, str, str]]:
    """Every field the instance uses that a later ``schema_version`` introduced, as
    ``(version, where, what)``: the one place that says which version each field needs.

    A v3 block adds its lines here, e.g. ``if inst.phases: out.append((3, "phases", "phases
    (docs/model.md §5b)"))``; :func:`version_problems` refuses it in a v1 or v2 file.
    """
    out: list[tuple[int, str, str]] = []
    if inst.transition.shrink_allowance is not None:
        out.append((2, "transition.shrink_allowance", "shrink_allowance"))
    for i, n in enumerate(inst.national_posts):
        if n.ranged:
            field = "min_posts" if n.min_posts is not None else "max_posts"
            out.append((2, f"national_posts[{i}].{field}", f"a range of national posts ({field})"))
    if inst.pipeline is not None:
        out.append((2, "pipeline", "the workforce pipeline (docs/model.md §10)"))
    if inst.teams:
        out.append((2, "teams", "teams (docs/model.md §11)"))
    for i, s in enumerate(inst.specialties):
        if s.profession != "medicine":  # the default written out (a model_dump) is v1 too
            out.append((2, f"specialties[{i}].profession", "profession (docs/model.md §11)"))
    for i, w in enumerate(inst.need_weights):
        if w.year is not None:
            out.append((2, f"need_weights[{i}].year", "a need weight for one year"))
    if inst.need is not None:
        out.append((3, "need", "need factors (docs/model.md §3b)"))
    if inst.pipeline is not None and inst.pipeline.settle_rate:
        out.append((3, "pipeline.settle_rate", "region settle rates (docs/model.md §10)"))
    if inst.scenarios is not None:
        out.append((3, "scenarios", "scenarios (docs/model.md §12)"))
    from allocator.core.validate_pacing import pacing_later_fields

    out += pacing_later_fields(inst)  # v3 §5b: phases, transition_by_specialty, floors
    return out


def version_problems(inst: Instance) -> Problems:
    """A file that uses a field of a later ``schema_version`` than it declares: name the field
    and say which version to set."""
    return [
        (where, f"{what} is a schema_version {v} field: set schema_version: {v} to use it")
        for v, where, what in later_fields(inst)
        if v > inst.schema_version
    ]


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


def check(data: Any, strict: bool = True) -> tuple[Instance | None, Problems]:
    """The validated instance and every problem of ``data`` at once (the instance is ``None``
    when there is any problem).

    Types (pydantic), limits, references and consistency are reported together: when pydantic
    refuses entries, they are set aside (:mod:`allocator.core.salvage`), the other checks run on
    the rest, and a problem that only follows from an entry set aside is not reported. Checks
    that need sound data throughout (zero need) run once everything else passes.
    """
    if not isinstance(data, dict):
        return None, [("", "an instance must be a JSON object")]
    try:
        inst = Instance.model_validate(data, strict=strict)
    except ValidationError as err:
        problems = _pydantic_problems(err, Instance)
        saved = salvage(data, err, strict)
        if saved is not None:
            problems += _checks(saved.instance, saved, data_checks=False)
        return None, sorted(problems, key=_position)
    from allocator.core.provenance import remember

    # docs/model.md §9 v3: the hash of the instance as read, whatever its route. Recorded before
    # the checks, as the zero-need check computes the problem data (with its hash) of ``inst``:
    # remembered after, that hash would be computed from ``inst.to_dict()`` and thrown away
    remember(inst, data)
    problems = _checks(inst, None, data_checks=True)
    if problems:
        return None, sorted(problems, key=_position)
    return inst, []


_ORDER = {name: i for i, name in enumerate(Instance.model_fields)}


def _position(problem: tuple[str, str]) -> tuple[int, list[int]]:
    """Where a problem is in the file, to list problems top to bottom: the field's place in the
    format, then the entry numbers (a stable sort keeps the order of problems of one entry)."""
    where = problem[0]
    head = re.match(r"[A-Za-z_]*", where).group(0)
    return (_ORDER.get(head, len(_ORDER)) if head else -1, [int(n) for n in re.findall(r"\[(\d+)\]", where)])


def _checks(inst: Instance, saved: Salvaged | None, data_checks: bool) -> Problems:
    """Limits, then the cross-checks (without those about a value out of its limits), with the
    entry numbers of the file and without follow-ons of what ``saved`` set aside."""
    limits = check_limits(inst)
    if any(w.split("[")[0] in ("", "years", "baseline_year", "pipeline.horizon_year") for w, _ in limits):
        return limits  # too large, or years out of range: every year check would only repeat it
    cross = _cross_check(inst, data_checks=data_checks and not limits)
    # an entry with a value out of its limits ("year 20252026", an id with a control character)
    # has no sound cross-checks: "not a planning year" would only repeat it
    limited = {w[: w.rindex("]") + 1] if "]" in w else w for w, _ in limits}
    cross = [(w, m) for w, m in cross if m.isprintable() and not limited.intersection(prefixes(w))]
    problems = limits + cross
    if saved is None:
        return problems
    mapped = [(saved.original(w), saved.original(m)) for w, m in problems]
    return [(w, m) for w, m in mapped if not saved.follows_from_damage(w, m)]


def validate(data: dict[str, Any], source: str = "<instance>", strict: bool = True) -> Instance:
    """Validate raw data into an :class:`Instance`, or raise :class:`InstanceError` listing
    every problem at once (:func:`check`).

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
    inst, problems = check(data, strict)
    if inst is None:
        raise InstanceError(source, problems)
    return inst
