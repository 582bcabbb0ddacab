"""Read and check every vendored source file into one :class:`~.common.Sources`."""

from __future__ import annotations

from pathlib import Path

from .common import FILES, Area, Sources, check, resident_weighted
from .geography import NHS_REGIONS, read_office_map
from .need import read_need
from .population import read_lookup, read_population
from .posts import read_paediatrics, read_stated_totals, read_uk_posts
from .projections import read_icb_projections, read_region_projections
from .rurality import read_rurality


def read_sources(sources_dir: Path) -> Sources:
    """Read and check every vendored file the build needs."""
    sources_dir = Path(sources_dir)
    ons_icb, ons_reg, icb_region = read_population(sources_dir)
    ods_to_ons = read_lookup(sources_dir, ons_icb, icb_region)
    need_icb, need_reg = read_need(sources_dir)
    p_ni = sources_dir / FILES["need_icb"]
    check(
        set(need_icb) == set(ods_to_ons),
        p_ni,
        "ICB ODS codes match the code lookup",
        f"differ: {sorted(set(need_icb) ^ set(ods_to_ons))}",
    )
    for ods, v in need_icb.items():
        check(
            v["region"] == icb_region[ods_to_ons[ods]],
            p_ni,
            "region of each ICB agrees with the ONS file",
            ods,
        )
    icb_office, straddlers = read_office_map(sources_dir, ods_to_ons, need_icb)
    proj_region, _ = read_region_projections(sources_dir)
    icb_region_name = {ods: v["region"] for ods, v in need_icb.items()}
    proj_icb = read_icb_projections(sources_dir, icb_region_name, icb_office, proj_region)
    rural = read_rurality(sources_dir, set(need_icb))

    icbs = []
    for ods, ons in ods_to_ons.items():
        o, n = ons_icb[ons], need_icb[ods]
        icbs.append(
            Area(
                id=ods,
                name=o["name"].replace("Integrated Care Board", "ICB"),
                population=o["population"],
                children=o["children"],
                women=o["women"],
                need_index=n["core"],
                pmc_index=n["pmc"],
                region=n["region"],
                office=icb_office[ods],
                projection=proj_icb[ods],
                components=n["components"],
                residents_2021=rural[ods][0],
                rural_share=rural[ods][1],
            )
        )
    region_order = [n for _, n in NHS_REGIONS]
    icbs.sort(key=lambda a: (region_order.index(a.region), a.name))
    regions = [
        Area(
            id=rid,
            name=name,
            population=ons_reg[name]["population"],
            children=ons_reg[name]["children"],
            women=ons_reg[name]["women"],
            need_index=need_reg[name]["core"],
            pmc_index=need_reg[name]["pmc"],
            region=name,
            projection=proj_region[name],
            components=need_reg[name]["components"],
            residents_2021=sum(a.residents_2021 for a in icbs if a.region == name),
            rural_share=resident_weighted([a for a in icbs if a.region == name]),
        )
        for rid, name in NHS_REGIONS
    ]
    return Sources(
        icbs=icbs,
        regions=regions,
        uk_posts=read_uk_posts(sources_dir),
        england_level_one_2024=read_stated_totals(sources_dir),
        paediatrics_by_office=read_paediatrics(sources_dir),
        straddlers=straddlers,
    )
