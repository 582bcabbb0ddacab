"""Cross-field validation of the v2 blocks: the workforce pipeline (docs/model.md §10) and teams
(§11). Each problem is ``(where, message)``, naming the entry and the field."""

from __future__ import annotations

from allocator.core.instance import Instance
from allocator.core.limits import unknown


def _duplicates(keys: list[tuple], where: str) -> list[tuple[str, str]]:
    seen: dict[tuple, int] = {}
    problems = []
    for i, key in enumerate(keys):
        if key in seen:
            problems.append((f"{where}[{i}]", f"duplicate entry for {key} (first at {where}[{seen[key]}])"))
        else:
            seen[key] = i
    return problems


def pipeline_problems(inst: Instance) -> list[tuple[str, str]]:
    """The ``pipeline`` block: horizon, assessed years, ids, duplicates, delays."""
    p = inst.pipeline
    if p is None:
        return []
    problems: list[tuple[str, str]] = []
    regions, specs = inst.region_ids, inst.specialty_ids
    rset, sset = set(regions), set(specs)
    last = inst.years[-1]
    if p.horizon_year < last:
        problems.append(("pipeline.horizon_year", f"{p.horizon_year} is before the last planning year {last}"))
    if p.assess_years is not None:
        if not p.assess_years:
            problems.append(("pipeline.assess_years", "is empty: give at least one year (or leave it out)"))
        for i, y in enumerate(p.assess_years):
            if not inst.years[0] <= y <= p.horizon_year:
                problems.append(
                    (
                        f"pipeline.assess_years[{i}]",
                        f"year {y} is outside the evaluation years {inst.years[0]}–{p.horizon_year}",
                    )
                )
            elif i and y <= p.assess_years[i - 1]:
                problems.append(
                    (f"pipeline.assess_years[{i}]", f"years must increase strictly ({p.assess_years[i - 1]} then {y})")
                )
    listed = set()
    delays = {ps.specialty for ps in p.specialties if ps.delay_years is not None}  # the others use programme_years
    for i, ps in enumerate(p.specialties):
        where = f"pipeline.specialties[{i}]"
        if ps.specialty not in sset:
            problems.append((f"{where}.specialty", unknown("specialty", ps.specialty, specs)))
        elif ps.specialty in listed:
            problems.append((f"{where}.specialty", f"specialty '{ps.specialty}' is listed twice"))
        listed.add(ps.specialty)
        if ps.delay_years is not None and max(ps.delay_years) > 100:
            problems.append((f"{where}.delay_years", f"a delay of {max(ps.delay_years)} years is over 100"))
    for j, s in enumerate(inst.specialties):
        if s.id not in delays and s.programme_years is None:
            problems.append(
                (
                    f"specialties[{j}].programme_years",
                    f"required by the pipeline: '{s.id}' has no delay_years in pipeline.specialties, so its "
                    "trainees complete after programme_years: give one of them",
                )
            )
    for list_name in ("fill_rate", "stock"):
        entries = getattr(p, list_name)
        keys = []
        for i, e in enumerate(entries):
            ok = True
            if e.region not in rset:
                problems.append((f"pipeline.{list_name}[{i}].region", unknown("region", e.region, regions)))
                ok = False
            if e.specialty not in sset:
                problems.append((f"pipeline.{list_name}[{i}].specialty", unknown("specialty", e.specialty, specs)))
                ok = False
            keys.append((e.region, e.specialty) if ok else (i,))
        problems += _duplicates(keys, f"pipeline.{list_name}")
    return problems


def team_problems(inst: Instance) -> list[tuple[str, str]]:
    """The ``teams`` block: ids, members, need weights, ``on: stock`` without a pipeline."""
    problems: list[tuple[str, str]] = []
    regions, specs = inst.region_ids, inst.specialty_ids
    rset, sset = set(regions), set(specs)
    seen: dict[str, int] = {}
    for g, team in enumerate(inst.teams):
        where = f"teams[{g}]"
        if team.id in seen:
            problems.append((f"{where}.id", f"duplicate id '{team.id}' (first at teams[{seen[team.id]}])"))
        seen.setdefault(team.id, g)
        members: dict[str, int] = {}
        for i, m in enumerate(team.members):
            if m.specialty not in sset:
                problems.append((f"{where}.members[{i}].specialty", unknown("team member", m.specialty, specs)))
            elif m.specialty in members:
                problems.append(
                    (
                        f"{where}.members[{i}].specialty",
                        f"'{m.specialty}' is already a member ({where}.members[{members[m.specialty]}])",
                    )
                )
            members.setdefault(m.specialty, i)
        keys = []
        for i, w in enumerate(team.need_weights):
            if w.region not in rset:
                problems.append((f"{where}.need_weights[{i}].region", unknown("region", w.region, regions)))
                keys.append((i,))
            else:
                keys.append((w.region,))
        problems += _duplicates(keys, f"{where}.need_weights")
        if team.on == "stock" and inst.pipeline is None:
            problems.append((f"{where}.on", 'a team "on": "stock" counts trained staff: it needs a pipeline block'))
    return problems
