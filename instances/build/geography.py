"""The geographies: the 7 NHS England regions, the 11 WT&E local offices and the assignment
of the 42 ICBs to local offices (local offices as sums of whole ICBs)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from .common import Area, Sources, check, read_rows, resident_weighted

# NHS England regions: id, name as in the ONS and NHS England files.
NHS_REGIONS = [
    ("london", "London"),
    ("south-west", "South West"),
    ("south-east", "South East"),
    ("midlands", "Midlands"),
    ("east-of-england", "East of England"),
    ("north-west", "North West"),
    ("north-east-and-yorkshire", "North East and Yorkshire"),
]

# NHS England WT&E local offices (the former HEE local offices / deaneries).
LOCAL_OFFICES = [
    ("london", "London"),
    ("kent-surrey-and-sussex", "Kent, Surrey and Sussex"),
    ("thames-valley", "Thames Valley"),
    ("wessex", "Wessex"),
    ("south-west", "South West"),
    ("east-of-england", "East of England"),
    ("east-midlands", "East Midlands"),
    ("west-midlands", "West Midlands"),
    ("north-west", "North West"),
    ("north-east", "North East"),
    ("yorkshire-and-the-humber", "Yorkshire and the Humber"),
]


def read_office_map(
    sources_dir: Path, ods_to_ons: dict[str, str], need_icb: dict
) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """ICB ODS code -> local office name; and the straddling ICBs (name, office, other)."""
    p_map, rows = read_rows(
        sources_dir,
        "icb_to_office",
        ["icb_ods_code", "icb_name", "nhs_england_region", "hee_local_office", "straddles"],
    )
    office_names = [n for _, n in LOCAL_OFFICES]
    check(len(rows) == 42, p_map, "42 ICBs", f"got {len(rows)}")
    icb_office = {r["icb_ods_code"]: r["hee_local_office"] for r in rows}
    check(
        set(icb_office) == set(ods_to_ons),
        p_map,
        "ICB ODS codes match the code lookup",
        f"differ: {sorted(set(icb_office) ^ set(ods_to_ons))}",
    )
    check(
        set(icb_office.values()) == set(office_names),
        p_map,
        "the 11 local offices, each with at least one ICB",
        f"got {sorted(set(icb_office.values()))}",
    )
    straddlers = []
    for r in rows:
        check(
            r["nhs_england_region"] == need_icb[r["icb_ods_code"]]["region"],
            p_map,
            "NHS England region of each ICB agrees with the need file",
            r["icb_ods_code"],
        )
        if r["straddles"] == "Y":
            straddlers.append((r["icb_name"], r["hee_local_office"], r.get("secondary_local_office", "")))
    return icb_office, straddlers


def local_office_areas(src: Sources) -> list[Area]:
    """Local offices as sums of their ICBs (whole-ICB assignment): population, children and
    women are sums; need indices (and component indices) are ONS-population-weighted means of the
    ICBs' indices; the rural share is the Census-resident-weighted mean of the ICBs' shares."""
    out = []
    for oid, office in LOCAL_OFFICES:
        members = [a for a in src.icbs if a.office == office]
        pop = sum(a.population for a in members)
        years = members[0].projection
        out.append(
            Area(
                id=oid,
                name=office,
                population=pop,
                children=sum(a.children for a in members),
                women=sum(a.women for a in members),
                need_index=sum((a.population * a.need_index for a in members), Fraction(0)) / pop,
                pmc_index=sum((a.population * a.pmc_index for a in members), Fraction(0)) / pop,
                projection={
                    y: tuple(sum((a.projection[y][i] for a in members), Fraction(0)) for i in range(3))  # type: ignore[misc]
                    for y in years
                },
                components={
                    c: sum((a.population * a.components[c] for a in members), Fraction(0)) / pop
                    for c in members[0].components
                },
                residents_2021=sum(a.residents_2021 for a in members),
                rural_share=resident_weighted(members),
            )
        )
    return out
