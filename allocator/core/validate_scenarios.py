"""Cross-field validation of the ``scenarios`` block (docs/model.md §12). Each problem is
``(where, message)``, naming the member, the entry and the field."""

from __future__ import annotations

from allocator.core.instance import Instance
from allocator.core.limits import unknown

#: How far the members' probabilities may sum from 1 (docs/model.md §12).
PROBABILITY_TOL = 1e-9


def _first_seen(keys: list, where: str, what: str) -> list[tuple[str, str]]:
    """A problem for every key repeated in ``keys`` (``None`` keys are skipped)."""
    seen: dict = {}
    out = []
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            out.append((f"{where}[{i}]", f"{what} {key} is given twice in this member (first at {where}[{seen[key]}])"))
        else:
            seen[key] = i
    return out


def scenario_problems(inst: Instance) -> list[tuple[str, str]]:
    """The ``scenarios`` block: a pipeline to judge, ``alpha`` with ``cvar`` only, probabilities,
    unique ids, known regions and specialties, each key once per member, population years."""
    sc = inst.scenarios
    if sc is None:
        return []
    problems: list[tuple[str, str]] = []
    if inst.pipeline is None:
        problems.append(("scenarios", "scenarios judge a plan's future workforce: they need a pipeline block (§10)"))
    if sc.risk == "cvar" and sc.alpha is None:
        problems.append(("scenarios.alpha", 'required with risk "cvar": the level α in [0, 1), e.g. 0.8'))
    if sc.risk != "cvar" and sc.alpha is not None:
        problems.append(("scenarios.alpha", f'alpha is the level of risk "cvar" only (risk is "{sc.risk}"): remove it'))
    total = sum(m.probability for m in sc.members)
    if abs(total - 1.0) > PROBABILITY_TOL:
        problems.append(("scenarios.members", f"the probabilities sum to {total:.12g}, not 1"))
    regions, specs = inst.region_ids, inst.specialty_ids
    rset, sset = set(regions), set(specs)
    last = inst.years[-1] if inst.years else 0
    horizon = inst.pipeline.horizon_year if inst.pipeline is not None else None
    ids: dict[str, int] = {}
    for i, m in enumerate(sc.members):
        where = f"scenarios.members[{i}]"
        if m.id in ids:
            problems.append((f"{where}.id", f"duplicate id '{m.id}' (first at scenarios.members[{ids[m.id]}])"))
        ids.setdefault(m.id, i)
        if m.pipeline is not None:
            pw = f"{where}.pipeline"
            keys = []
            for j, ps in enumerate(m.pipeline.specialties):
                ok = ps.specialty in sset
                if not ok:
                    problems.append((f"{pw}.specialties[{j}].specialty", unknown("specialty", ps.specialty, specs)))
                keys.append(f"'{ps.specialty}'" if ok else None)
            problems += _first_seen(keys, f"{pw}.specialties", "specialty")
            for list_name in ("settle_rate", "fill_rate"):
                keys = []
                for j, e in enumerate(getattr(m.pipeline, list_name)):
                    ok = True
                    if e.region not in rset:
                        problems.append((f"{pw}.{list_name}[{j}].region", unknown("region", e.region, regions)))
                        ok = False
                    if e.specialty not in sset:
                        problems.append((f"{pw}.{list_name}[{j}].specialty", unknown("specialty", e.specialty, specs)))
                        ok = False
                    keys.append(f"({e.region}, {e.specialty})" if ok else None)
                problems += _first_seen(keys, f"{pw}.{list_name}", "the cell")
        keys = []
        for j, e in enumerate(m.population_scale):
            ew = f"{where}.population_scale[{j}]"
            ok = True
            if e.region not in rset:
                problems.append((f"{ew}.region", unknown("region", e.region, regions)))
                ok = False
            if e.year <= last or (horizon is not None and e.year > horizon):
                upto = f"–{horizon}" if horizon is not None else " on"
                problems.append(
                    (
                        f"{ew}.year",
                        f"year {e.year} is not after the last planning year {last}: a scale applies to the "
                        f"evaluation years {last + 1}{upto} (the planning years' targets are the instance's)"
                        if e.year <= last
                        else f"year {e.year} is after the horizon year {horizon}",
                    )
                )
                ok = False
            keys.append(f"({e.region}, {e.year})" if ok else None)
        problems += _first_seen(keys, f"{where}.population_scale", "the region and year")
    return problems
