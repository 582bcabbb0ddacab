"""ONS 2022-based subnational population projections by NHS England region, ICB and local
office, checked against ``population_projections/PROVENANCE.md`` and against each other."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from .common import Projection, check, num, read_rows, round_half_up, show
from .population import CHILD_BANDS, ONS_REGION_TOTAL_2022, WOMEN_BANDS

# ONS 2022-based projections (population_projections/PROVENANCE.md), all ages, whole persons
SNPP_ENGLAND_TOTAL = {2022: 57_112_542, 2025: 58_893_277, 2030: 60_202_256, 2032: 60_759_854, 2035: 61_552_257}
SNPP_REGION_TOTAL = {  # 2025, 2035
    "London": (9_274_951, 9_583_875),
    "South East": (9_341_742, 9_785_942),
    "South West": (5_947_545, 6_305_179),
    "Midlands": (11_276_201, 11_782_573),
    "North East and Yorkshire": (8_745_840, 9_049_660),
    "East of England": (6_898_037, 7_266_116),
    "North West": (7_408_961, 7_778_913),
}
SNPP_YEARS = (2022, 2047)  # first and last projection year in the files
SNPP_TOLERANCE = 2  # persons: ONS rows "may not sum exactly due to rounding" (max 1.1 seen)


def read_region_projections(sources_dir: Path) -> tuple[dict[str, Projection], Projection]:
    """ONS-published projection rows of the 7 NHS England regions and of England: name ->
    year -> (persons, children 0-14, women 15-44), unrounded, checked against PROVENANCE."""
    cols = ["year", "nhser_name", "age_band", "female", "male", "persons"]
    path, rows = read_rows(sources_dir, "snpp_region", cols)
    out: dict[str, Projection] = {}
    acc: dict[tuple[str, int], list[Fraction]] = {}
    for row in rows:
        name, year, band = row["nhser_name"], int(row["year"]), row["age_band"]
        female, male, persons = (num(path, row, c) for c in ("female", "male", "persons"))
        check(
            abs(female + male - persons) <= Fraction(1, 10),
            path,
            "female + male = persons in every row (to 0.1)",
            f"{name} {year} {band}",
        )
        a = acc.setdefault((name, year), [Fraction(0), Fraction(0), Fraction(0), Fraction(-1)])
        if band == "All ages":
            check(a[3] < 0, path, "one All ages row per area and year", f"{name} {year}")
            a[3] = persons
        elif band in CHILD_BANDS:
            a[1] += persons
        elif band in WOMEN_BANDS:
            a[2] += female
    for (name, year), (_, children, women, persons) in acc.items():
        check(persons > 0, path, "an All ages row for every area and year", f"{name} {year}")
        out.setdefault(name, {})[year] = (persons, children, women)
    check(
        sorted(out) == sorted([*ONS_REGION_TOTAL_2022, "England"]),
        path,
        "the 7 NHS England regions and England",
        f"got {sorted(out)}",
    )
    years = list(range(SNPP_YEARS[0], SNPP_YEARS[1] + 1))
    for name, by_year in out.items():
        check(sorted(by_year) == years, path, f"every year {years[0]}-{years[-1]}", name)
    england = out.pop("England")
    for year, want in SNPP_ENGLAND_TOTAL.items():
        got = round_half_up(england[year][0])
        check(got == want, path, f"England {year} projection = {want:,} (PROVENANCE)", f"got {got:,}")
    for name, wants in SNPP_REGION_TOTAL.items():
        for year, want in zip((2025, 2035), wants, strict=True):
            got = round_half_up(out[name][year][0])
            check(got == want, path, f"{name} {year} projection = {want:,} (PROVENANCE)", f"got {got:,}")
    for year in years:
        for i, what in enumerate(("persons", "children 0-14", "women 15-44")):
            total = sum((p[year][i] for p in out.values()), Fraction(0))
            check(
                abs(total - england[year][i]) <= SNPP_TOLERANCE,
                path,
                f"the 7 regions sum to England ({what}, within {SNPP_TOLERANCE})",
                f"{year}: {float(total):,.1f} vs {float(england[year][i]):,.1f}",
            )
    return out, england


def read_icb_projections(
    sources_dir: Path, icb_region: dict[str, str], icb_office: dict[str, str], regions: dict[str, Projection]
) -> dict[str, Projection]:
    """ONS projections by ICB (ODS code), checked against the region rows and the local-office
    file; ``icb_region`` and ``icb_office`` map ODS codes to region and office names."""
    cols = ["year", "icb_ods_code", "hee_local_office", "persons_all_ages", "persons_0_14", "female_15_44"]
    path, rows = read_rows(sources_dir, "snpp_icb", cols)
    out: dict[str, Projection] = {}
    for row in rows:
        ods, year = row["icb_ods_code"], int(row["year"])
        check(ods in icb_region, path, "ICB ODS codes are those of the other vendored files", ods)
        check(
            row["hee_local_office"] == icb_office[ods],
            path,
            "local office of each ICB agrees with icb_to_hee_local_office.csv",
            ods,
        )
        by_year = out.setdefault(ods, {})
        check(year not in by_year, path, "one row per ICB and year", f"{ods} {year}")
        by_year[year] = tuple(num(path, row, c) for c in cols[3:])  # type: ignore[assignment]
    check(set(out) == set(icb_region), path, "all 42 ICBs", f"got {len(out)}")
    for name, proj in regions.items():
        for year, values in proj.items():
            for i, what in enumerate(("persons", "children 0-14", "women 15-44")):
                total = sum((out[c][year][i] for c in out if icb_region[c] == name), Fraction(0))
                check(
                    abs(total - values[i]) <= SNPP_TOLERANCE,
                    path,
                    f"{name}: its ICBs sum to the published region row ({what}, within {SNPP_TOLERANCE})",
                    f"{year}: {float(total):,.1f} vs {float(values[i]):,.1f}",
                )
    p_off, rows = read_rows(sources_dir, "snpp_office", ["year", "hee_local_office", *cols[3:]])
    check(len(rows) == 11 * len(next(iter(out.values()))), p_off, "11 local offices × every year")
    for row in rows:
        office, year = row["hee_local_office"], int(row["year"])
        for i, c in enumerate(cols[3:]):
            total = sum((out[ods][year][i] for ods in out if icb_office[ods] == office), Fraction(0))
            check(
                total == num(p_off, row, c),
                p_off,
                f"each local office = the sum of its ICBs in {show(path)}",
                f"{office} {year} {c}",
            )
    return out
