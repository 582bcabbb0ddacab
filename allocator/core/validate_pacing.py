"""Validation of the pacing inputs of docs/model.md §5b: ``phases``, ``transition_by_specialty``
and ``floors`` (ids, years, duplicates, programme lengths)."""

from __future__ import annotations

from allocator.core.instance import Instance
from allocator.core.limits import known_ids, unknown

Problems = list[tuple[str, str]]


def pacing_problems(inst: Instance) -> Problems:
    """Every problem of the three pacing lists: an unknown specialty or region, a year of a
    ``transition_by_specialty`` entry that is not a planning year, two phases of one specialty,
    two ``transition_by_specialty`` entries for the same specialty and year, and
    ``shrink_by_programme_length`` for a specialty without
    ``programme_years``."""
    problems: Problems = []
    regions, specs = inst.region_ids, inst.specialty_ids
    rset, sset = set(regions), set(specs)
    seen: dict[object, int] = {}
    for i, p in enumerate(inst.phases):
        if p.specialty not in sset:
            problems.append((f"phases[{i}].specialty", unknown("specialty", p.specialty, specs)))
        elif p.specialty in seen:
            problems.append(
                (f"phases[{i}]", f"a second phase for '{p.specialty}' (first at phases[{seen[p.specialty]}])")
            )
        else:
            seen[p.specialty] = i
    seen = {}
    programme = {s.id: s.programme_years for s in inst.specialties}
    for i, e in enumerate(inst.transition_by_specialty):
        where = f"transition_by_specialty[{i}]"
        ok = True
        if e.specialty not in sset:
            problems.append((f"{where}.specialty", unknown("specialty", e.specialty, specs)))
            ok = False
        if e.year is not None and e.year not in inst.years:
            problems.append(
                (f"{where}.year", f"year {e.year} is not a planning year {known_ids([str(y) for y in inst.years])}")
            )
            ok = False
        if not ok:
            continue
        key = (e.specialty, e.year)
        if key in seen:
            when = "every year" if e.year is None else str(e.year)
            problems.append(
                (
                    where,
                    f"a second entry for '{e.specialty}' in {when} (first at transition_by_specialty[{seen[key]}]): "
                    "give each field of a specialty and year once",
                )
            )
        else:
            seen[key] = i
        if e.shrink_by_programme_length and programme[e.specialty] is None:
            problems.append(
                (
                    f"{where}.shrink_by_programme_length",
                    f"specialty '{e.specialty}' has no programme_years to divide by",
                )
            )
    for i, f in enumerate(inst.floors):
        if f.region is not None and f.region not in rset:
            problems.append((f"floors[{i}].region", unknown("region", f.region, regions)))
        if f.specialty is not None and f.specialty not in sset:
            problems.append((f"floors[{i}].specialty", unknown("specialty", f.specialty, specs)))
    return problems


def pacing_later_fields(inst: Instance) -> list[tuple[int, str, str]]:
    """The ``later_fields`` lines of §5b: each list is a ``schema_version`` 3 field."""
    out = []
    for name in ("phases", "transition_by_specialty", "floors"):
        if getattr(inst, name):
            out.append((3, name, f"{name} (docs/model.md §5b)"))
    return out
