"""One instance (docs/model.md §2) from areas, a baseline and the rules: :func:`make_instance`."""

from __future__ import annotations

from typing import Any

from .baseline import capacity_bounds, transition_limits
from .common import BASELINE_YEAR, PLANNING_YEARS, Area, r4, round_half_up
from .weights import WEIGHT_RULES, YEARLY_RULES, need_weight

KEY_ORDER = (
    "schema_version",
    "name",
    "description",
    "baseline_year",
    "years",
    "regions",
    "specialties",
    "baseline_posts",
    "national_posts",
    "population_by_year",
    "need_weights",
    "need",
    "capacity",
    "cost_per_post",
    "budget",
    "transition",
    "pipeline",
    "teams",
    "sources",
)


def make_instance(
    name: str,
    description: str,
    areas: list[Area],
    baseline: dict[tuple[str, str], int],
    specialties: list[tuple[str, str]],
    national: dict[str, int],
    sources: list[dict[str, str]],
    *,
    eval_years: list[int] | None = None,
    weight_rules: dict[str, str] | None = None,
    programme_years: dict[str, int] | None = None,
    professions: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    schema_version: int = 2,
) -> dict[str, Any]:
    """An instance (docs/model.md §2) from areas and a baseline keyed by (area id, specialty).

    ``population_by_year`` and the age-based need weights by year are given for ``eval_years``
    (default: the planning years): ONS projected persons rounded half up to whole people, and
    weights from the unrounded projections. ``extra`` adds blocks (pipeline, teams, costs, …);
    the keys are written in the order of :data:`KEY_ORDER`."""
    eval_years = list(PLANNING_YEARS) if eval_years is None else eval_years
    rules = WEIGHT_RULES if weight_rules is None else weight_rules
    spec_names = {
        sid: name.replace(" CT1/ST1", "").replace(" CT1", "").replace(" ST1", "") for sid, name in specialties
    }
    regions = [
        {
            "id": a.id,
            "name": a.name,
            "population": a.population,
            "need_index": r4(a.need_index),
        }
        for a in areas
    ]
    spec_rows = []
    for sid, _ in specialties:
        row: dict[str, Any] = {"id": sid, "name": spec_names[sid]}
        if programme_years is not None:
            row["programme_years"] = programme_years[sid]
        if professions is not None and professions.get(sid, "medicine") != "medicine":
            row["profession"] = professions[sid]
        spec_rows.append(row)
    pop_rows = [
        {"region": a.id, "year": y, "population": round_half_up(a.projection[y][0])} for a in areas for y in eval_years
    ]
    base_rows, cap_rows, weight_rows = [], [], []
    for a in areas:
        for sid, _ in specialties:
            b = baseline[(a.id, sid)]
            lo, hi = capacity_bounds(b)
            base_rows.append({"region": a.id, "specialty": sid, "posts": b})
            cap_rows.append({"region": a.id, "specialty": sid, "min_posts": lo, "max_posts": hi})
    for sid, _ in specialties:
        rule = rules.get(sid)
        if rule is None:
            continue
        for a in areas:
            weight_rows.append({"region": a.id, "specialty": sid, "weight": r4(need_weight(rule, a, areas))})
            if rule in YEARLY_RULES:
                weight_rows += [
                    {"region": a.id, "specialty": sid, "year": y, "weight": r4(need_weight(rule, a, areas, y))}
                    for y in eval_years
                ]
    inst = {
        "schema_version": schema_version,  # v2: transition.shrink_allowance; v3: need
        "name": name,
        "description": description,
        "baseline_year": BASELINE_YEAR,
        "years": list(PLANNING_YEARS),
        "regions": regions,
        "specialties": spec_rows,
        "baseline_posts": base_rows,
        "population_by_year": pop_rows,
        "need_weights": weight_rows,
        "capacity": cap_rows,
        "transition": transition_limits(sum(national.values())),
        "sources": sources,
    } | (extra or {})
    unknown = set(inst) - set(KEY_ORDER)
    if unknown:
        raise ValueError(f"make_instance: unknown keys {sorted(unknown)}")
    return {k: inst[k] for k in KEY_ORDER if k in inst}
