"""The five instances, assembled from the checked sources and the rules, and their checks."""

from __future__ import annotations

from typing import Any

from .baseline import (
    icb_baseline,
    local_office_baseline,
    region_baseline,
)
from .common import BASELINE_YEAR, PLANNING_YEARS, Sources, check
from .entries import source_entries
from .geography import LOCAL_OFFICES, NHS_REGIONS, local_office_areas
from .make import make_instance
from .needinstances import need_instances
from .pipeline import PIPELINE_ASSESS_YEARS, PIPELINE_HORIZON, PROGRAMME_YEARS, pipeline_block, pipeline_source_entries
from .posts import MIN_UK_POSTS, england_national_posts, select_specialties
from .teams import TEAM_PROGRAMMES, team_programme_baseline, teams_blocks, teams_source_entries
from .weights import WEIGHT_RULES

COMMON_DESCRIPTION = (
    "CT1/ST1 entry posts of the {n} specialties with at least {m} UK posts in 2025, baseline "
    "2025, planning 2026-2030. Population: ONS 2022-based projections for each planning year "
    "(regions.population: ONS mid-2022 residents); the age-based need weights follow the "
    "projected age structure year by year. Need index: NHS England "
    "2025/26 final core. National totals: UK 2025 Round-1 posts (secondary, unverified source) "
    "scaled to England, held constant; paediatrics: England 2024 published. {baseline} "
    "Capacity and transition limits are illustrative. See `sources` for what is published and "
    "what is estimated, and instances/build.py for every rule."
)


def build_instances(src: Sources) -> dict[str, dict[str, Any]]:
    """The five single-index instances and the three need-based ones, by file stem, checked."""
    specialties = select_specialties(src)
    national = england_national_posts(src, specialties)
    by_office_name = local_office_baseline(src, specialties, national)
    by_icb = icb_baseline(src, specialties, by_office_name)
    by_region_name = region_baseline(src, specialties, by_icb)

    office_id = {name: oid for oid, name in LOCAL_OFFICES}
    region_id = {name: rid for rid, name in NHS_REGIONS}
    fmt = {"n": len(specialties), "m": MIN_UK_POSTS}
    out = {}

    out["england-regions-2025"] = make_instance(
        "england-regions-2025",
        "The 7 NHS England regions. "
        + COMMON_DESCRIPTION.format(
            **fmt,
            baseline="Baseline: paediatrics from the published 2024 posts by local office; "
            "every other specialty estimated from the paediatrics skew by local office.",
        ),
        src.regions,
        {(region_id[r], s): n for (r, s), n in by_region_name.items()},
        specialties,
        national,
        source_entries("regions", src, national),
    )
    out["england-training-regions-2025"] = make_instance(
        "england-training-regions-2025",
        "The 11 NHS England WT&E local offices (ex-HEE deaneries), each the sum of whole ICBs. "
        + COMMON_DESCRIPTION.format(
            **fmt,
            baseline="Baseline: paediatrics as published for the 2024 round; every other "
            "specialty estimated from the paediatrics skew.",
        ),
        local_office_areas(src),
        {(office_id[o], s): n for (o, s), n in by_office_name.items()},
        specialties,
        national,
        source_entries("offices", src, national),
    )
    out["england-icb-2025"] = make_instance(
        "england-icb-2025",
        "The 42 integrated care boards (ICBs, April 2023 boundaries; ids are ODS codes). "
        + COMMON_DESCRIPTION.format(
            **fmt,
            baseline="Baseline: each local office's baseline split over its ICBs by need-weighted population.",
        ),
        src.icbs,
        by_icb,
        specialties,
        national,
        source_entries("icbs", src, national),
    )
    region_areas = src.regions
    region_base = {(region_id[r], s): n for (r, s), n in by_region_name.items()}
    regions_sources = source_entries("regions", src, national)
    out["england-pipeline-2025"] = make_instance(
        "england-pipeline-2025",
        "The workforce pipeline (docs/model.md §10) on the 7 NHS England regions: the posts, "
        "baseline and planning years 2026-2030 of england-regions-2025, followed through training "
        f"to {PIPELINE_HORIZON} (assessed in {', '.join(map(str, PIPELINE_ASSESS_YEARS))}). "
        f"Population and age-based need weights: ONS 2022-based projections for every year to "
        f"{PIPELINE_HORIZON}. Published: settle rate 0.8 (about 80 % settle within 50 miles of "
        "where they trained, NHS England 2023); GP join rate 0.62 and joining lags (Palmer et al. "
        "2025); training delays from the GMC's 5 → 5.5 and 7 → 9 years (2017). Illustrative: "
        "programme lengths, completion, join (other than GP), leave and fill rates. No trained "
        "stock by region and specialty is available, so pipeline.stock is absent: the stock "
        f"counts only the doctors who complete training from {BASELINE_YEAR + 1} on (from the "
        "baseline intakes before the plan and the plan's intakes), not the whole workforce. "
        "See `sources` and instances/build.py.",
        region_areas,
        region_base,
        specialties,
        national,
        regions_sources + pipeline_source_entries(),
        eval_years=list(range(PLANNING_YEARS[0], PIPELINE_HORIZON + 1)),
        programme_years=PROGRAMME_YEARS,
        extra={"pipeline": pipeline_block(region_areas, specialties)},
    )

    team_specs = specialties + [(sid, name) for sid, name, *_ in TEAM_PROGRAMMES]
    professions = {sid: "medicine" for sid, _ in specialties} | {sid: prof for sid, _, prof, *_ in TEAM_PROGRAMMES}
    team_base = dict(region_base)
    team_national = dict(national)
    for sid, _, _, total, _, rule in TEAM_PROGRAMMES:
        team_national[sid] = total
        for rid, n in team_programme_baseline(region_areas, rule, total).items():
            team_base[(rid, sid)] = n
    team_base = {(a.id, sid): team_base[(a.id, sid)] for a in region_areas for sid, _ in team_specs}
    out["england-teams-2025"] = make_instance(
        "england-teams-2025",
        "Teams and skill mix (docs/model.md §11) on the 7 NHS England regions: the 12 medical "
        "programmes of england-regions-2025 (same baseline, national totals and planning years) "
        "plus three non-medical training programmes: advanced clinical practitioners and clinical "
        "pharmacists in primary care, surgical care practitioners. A primary-care team (general "
        "practice, ACP, pharmacist) and a surgical team (core surgery, SCP) share need, with "
        "substitution capped by max_share: associate and advanced-practice roles work under a "
        "senior doctor and do not replace doctors (the Leng review, 2025). Non-medical national "
        "posts are ranges; every post has a cost and each year a budget. The non-medical numbers, "
        "costs, budget, equivalences and shares are illustrative estimates (see `sources`).",
        region_areas,
        team_base,
        team_specs,
        team_national,
        regions_sources + teams_source_entries(),
        weight_rules=WEIGHT_RULES | {sid: rule for sid, *_, rule in TEAM_PROGRAMMES if rule is not None},
        professions=professions,
        extra=teams_blocks(region_areas, team_base, professions),
    )
    for name, inst in out.items():
        check_instance(name, inst, team_national if name == "england-teams-2025" else national)
    need = need_instances(src, specialties, national)
    for name, inst in need.items():
        check_instance(name, inst, national)
    return out | need


def check_instance(name: str, inst: dict[str, Any], national: dict[str, int]) -> None:
    """Sanity checks of a built instance; a failure is a bug in this file."""
    where = f"{name}.json (built)"
    years = [inst["baseline_year"], *inst["years"]]
    check(all(a < b for a, b in zip(years, years[1:], strict=False)), where, "years increase strictly")
    regions = {r["id"] for r in inst["regions"]}
    check(len(regions) == len(inst["regions"]), where, "region ids unique")
    for r in inst["regions"]:
        check(r["population"] > 0, where, "population > 0", r["id"])
        check(0.5 < r["need_index"] < 1.5, where, "need_index in (0.5, 1.5)", r["id"])
    sums: dict[str, int] = {}
    for b in inst["baseline_posts"]:
        sums[b["specialty"]] = sums.get(b["specialty"], 0) + b["posts"]
    check(sums == national, where, "every specialty's baseline sums to its national total")
    base = {(b["region"], b["specialty"]): b["posts"] for b in inst["baseline_posts"]}
    for c in inst["capacity"]:
        b = base[(c["region"], c["specialty"])]
        check(
            c["min_posts"] <= b <= c["max_posts"],
            where,
            "capacity min ≤ baseline ≤ max",
            f"{c['region']} {c['specialty']}",
        )
    for w in inst["need_weights"]:
        check(0.2 < w["weight"] < 5, where, "need weight in (0.2, 5)", str(w))
    check(
        {(p["region"], p["year"]) for p in inst["population_by_year"]}
        == {(r, y) for r in regions for y in range(inst["years"][0], _last_year(inst) + 1)},
        where,
        "population_by_year gives every region and every year from the first planning year",
    )
    for team in inst.get("teams", []):
        for r in regions:
            cap = sum(m["equivalence"] * base[(r, m["specialty"])] for m in team["members"])
            for m in team["members"]:
                if "max_share" in m:
                    check(
                        m["equivalence"] * base[(r, m["specialty"])] <= m["max_share"] * cap,
                        where,
                        "the baseline keeps every team_mix limit",
                        f"{team['id']} {r} {m['specialty']}",
                    )
    if "budget" in inst:
        cost = {(c["region"], c["specialty"]): c["cost"] for c in inst["cost_per_post"]}
        base_cost = sum(cost.get(k, 0) * b for k, b in base.items())
        for b in inst["budget"]:
            check(base_cost <= b["amount"], where, "the baseline keeps the budget", str(b["year"]))
    for n in inst.get("national_posts", []):
        check(n["min_posts"] <= sums[n["specialty"]] <= n["max_posts"], where, "baseline within the national range")


def _last_year(inst: dict[str, Any]) -> int:
    return inst["pipeline"]["horizon_year"] if "pipeline" in inst else inst["years"][-1]
