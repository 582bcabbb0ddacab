"""The need-based England instances (``schema_version: 3``, docs/model.md §3b): the 7 regions,
the 11 local offices and the 42 ICBs of the single-index instances, and the 7 regions with the
workforce pipeline (same posts, baseline, capacity, transition, populations and pipeline) with a
``need`` block built from the method's parts (:mod:`.needfactors`)."""

from __future__ import annotations

from typing import Any

from .baseline import icb_baseline, local_office_baseline, region_baseline
from .common import PLANNING_YEARS, Area, Sources, check
from .entries import source_entries
from .geography import LOCAL_OFFICES, NHS_REGIONS, local_office_areas
from .make import make_instance
from .needfactors import NEED_WEIGHT_RULES, need_block, need_source_entries
from .pipeline import PIPELINE_HORIZON, PROGRAMME_YEARS, pipeline_block, pipeline_source_entries
from .posts import MIN_UK_POSTS

NEED_NAMES = {
    "regions": "england-regions-need-2025",
    "offices": "england-training-regions-need-2025",
    "icbs": "england-icb-need-2025",
    "pipeline": "england-pipeline-need-2025",
}
GEOGRAPHY = {
    "regions": "The 7 NHS England regions",
    "offices": "The 11 NHS England WT&E local offices (ex-HEE deaneries), each the sum of whole ICBs",
    "icbs": "The 42 integrated care boards (ICBs, April 2023 boundaries; ids are ODS codes)",
    "pipeline": f"The workforce pipeline (docs/model.md §10) on the 7 NHS England regions, to {PIPELINE_HORIZON}",
}
SINGLE = {
    "regions": "england-regions-2025",
    "offices": "england-training-regions-2025",
    "icbs": "england-icb-2025",
    "pipeline": "england-pipeline-2025",
}
NEED_DESCRIPTION = (
    "{geography}, with need from the parts of NHS England's method (docs/model.md §3b) instead of one "
    "index for every programme: the posts, baseline, capacity, transition limits and populations of "
    "{single} ({n} CT1/ST1 entry specialties with at least {m} UK posts in 2025, baseline 2025, "
    "planning 2026-2030{pipeline}). Need factors, in waterfall order: the core need index listed at blend 0; "
    "programme-specific need from NHS England's 2025/26 component indices (general and acute for the "
    "hospital programmes, mental health for psychiatry, maternity for obstetrics and gynaecology, "
    "primary medical care for general practice) at blend 1; the age weights from the ONS 2022-based "
    "projections (children for paediatrics, the change of women 15-44 since 2025 for obstetrics) at "
    "blend 1; deprivation from the health-inequalities component at NHS England's 20 % blend; "
    "rurality (ONS RUC 2021) at blend 0: present, documented, off. See `sources` and instances/README.md."
)


def _retarget(entries: list[dict[str, str]], geo: str) -> list[dict[str, str]]:
    """The single-index ``sources`` entries, with the two whose use changes said anew."""
    out = []
    for e in entries:
        e = dict(e)
        if e["id"] == "nhse-need-2025-26":
            e["used_for"] = "regions.need_index (listed in need at blend 0: the programme components replace it)"
            e["note"] = "need_index = (wp_final_core ÷ GP-registered population) ÷ the same for England." + (
                " A local office's index is the ONS-population-weighted mean of its ICBs' indices."
                if geo == "offices"
                else ""
            )
        if e["id"] == "ons-snpp2022":
            e["used_for"] = (
                "population_by_year; the need_weights with a year (paediatrics: share of children 0-14; "
                "obstetrics-gynaecology: change of the share of women 15-44 since 2025)"
            )
        out.append(e)
    return out


def need_instances(
    src: Sources,
    specialties: list[tuple[str, str]],
    national: dict[str, int],
) -> dict[str, dict[str, Any]]:
    """The four need-based instances, by file stem, checked."""
    by_office_name = local_office_baseline(src, specialties, national)
    by_icb = icb_baseline(src, specialties, by_office_name)
    by_region_name = region_baseline(src, specialties, by_icb)
    office_id = {name: oid for oid, name in LOCAL_OFFICES}
    region_id = {name: rid for rid, name in NHS_REGIONS}
    geos: dict[str, tuple[list[Area], dict[tuple[str, str], int]]] = {
        "regions": (src.regions, {(region_id[r], s): n for (r, s), n in by_region_name.items()}),
        "offices": (local_office_areas(src), {(office_id[o], s): n for (o, s), n in by_office_name.items()}),
        "icbs": (src.icbs, by_icb),
    }
    geos["pipeline"] = geos["regions"]
    out = {}
    for geo, (areas, baseline) in geos.items():
        name = NEED_NAMES[geo]
        description = NEED_DESCRIPTION.format(
            geography=GEOGRAPHY[geo],
            single=SINGLE[geo],
            n=len(specialties),
            m=MIN_UK_POSTS,
            pipeline="; the pipeline block and its sources, with need shares from these factors"
            if geo == "pipeline"
            else "",
        )
        base_geo = "regions" if geo == "pipeline" else geo
        sources = _retarget(source_entries(base_geo, src, national), base_geo)
        extra: dict[str, Any] = {"need": need_block(areas, specialties)}
        pipeline: dict[str, Any] = {}
        if geo == "pipeline":
            sources += pipeline_source_entries()
            extra["pipeline"] = pipeline_block(areas, specialties)
            pipeline = {
                "eval_years": list(range(PLANNING_YEARS[0], PIPELINE_HORIZON + 1)),
                "programme_years": PROGRAMME_YEARS,
            }
        inst = make_instance(
            name,
            description,
            areas,
            baseline,
            specialties,
            national,
            sources + need_source_entries(base_geo),
            weight_rules=NEED_WEIGHT_RULES,
            extra=extra,
            schema_version=3,
            **pipeline,
        )
        check_need(name, inst)
        out[name] = inst
    return out


def check_need(name: str, inst: dict[str, Any]) -> None:
    """Sanity checks of a need block (docs/model.md §3b); a failure is a bug in this package."""
    where = f"{name}.json (built)"
    regions = {r["id"] for r in inst["regions"]}
    specialties = {s["id"] for s in inst["specialties"]}
    factors = inst["need"]["factors"]
    ids = [f["id"] for f in factors]
    check(len(ids) == len(set(ids)), where, "need factor ids unique")
    source_ids = {s["id"] for s in inst["sources"]}
    for f in factors:
        check(0 <= f["blend"] <= 1, where, "blend in [0, 1]", f["id"])
        check(f.get("source", "") in source_ids | {""}, where, "a factor's source is a sources entry", f["id"])
        check(("source" in f) == ("values" in f), where, "every factor with values names its source", f["id"])
        check(set(f.get("specialties", [])) <= specialties, where, "factor specialties exist", f["id"])
        cells = [(v["region"], v.get("specialty"), v.get("year")) for v in f.get("values", [])]
        check(len(cells) == len(set(cells)), where, "one value per region, specialty and year", f["id"])
        for v in f.get("values", []):
            check(v["region"] in regions, where, "factor regions exist", f"{f['id']} {v['region']}")
            check(v["value"] > 0, where, "factor values > 0", f"{f['id']} {v['region']}")
        if "values" in f:
            want = {(r, s) for r in regions for s in f.get("specialties", [None])}
            check({(c[0], c[1]) for c in cells} == want, where, "a value for every region (and specialty)", f["id"])
