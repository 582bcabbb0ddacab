"""ONS mid-2022 population estimates by ICB and NHS England region, and the ICB code lookup,
checked against the totals stated in ``population/PROVENANCE.md``."""

from __future__ import annotations

from pathlib import Path

from .common import check, num, read_rows, show

ONS_ENGLAND_TOTAL = {"2022": 57_106_398, "2021": 56_554_891}
ONS_REGION_TOTAL_2022 = {
    "London": 8_866_180,
    "South East": 9_073_701,
    "South West": 5_771_573,
    "East of England": 6_697_937,
    "North West": 7_199_831,
    "Midlands": 10_956_592,
    "North East and Yorkshire": 8_540_584,
}


AGE_BANDS = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"]
CHILD_BANDS = ["0-4", "5-9", "10-14"]  # children 0-14 (5-year bands cannot give 0-15)
WOMEN_BANDS = ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44"]  # women 15-44

ONS_YEAR = "2022"


def _ons_by_area(path: Path, rows: list[dict], code_col: str, name_col: str) -> dict[str, dict]:
    """Mid-2022 persons, children 0-14 and women 15-44 by area code, with checks."""
    out: dict[str, dict] = {}
    totals = {"2021": 0, "2022": 0}
    for row in rows:
        year = row["year"]
        check(year in totals, path, "years are 2021 and 2022", f"got {year!r}")
        female, male, persons = (int(num(path, row, c)) for c in ("female", "male", "persons"))
        check(
            female + male == persons,
            path,
            "female + male = persons in every row",
            f"{row[code_col]} {year} {row['age_band']}",
        )
        check(row["age_band"] in AGE_BANDS, path, "age bands 0-4 … 90+", row["age_band"])
        totals[year] += persons
        if year != ONS_YEAR:
            continue
        a = out.setdefault(
            row[code_col],
            {"name": row[name_col], "bands": set(), "population": 0, "children": 0, "women": 0},
        )
        check(row["age_band"] not in a["bands"], path, "one row per area and age band")
        a["bands"].add(row["age_band"])
        a["population"] += persons
        a["children"] += persons if row["age_band"] in CHILD_BANDS else 0
        a["women"] += female if row["age_band"] in WOMEN_BANDS else 0
    for year, want in ONS_ENGLAND_TOTAL.items():
        check(
            totals[year] == want,
            path,
            f"England mid-{year} total = {want:,} (PROVENANCE)",
            f"got {totals[year]:,}",
        )
    for code, a in out.items():
        check(len(a["bands"]) == len(AGE_BANDS), path, "all 19 age bands for every area", code)
    return out


def read_population(sources_dir: Path) -> tuple[dict, dict, dict[str, str]]:
    """ONS mid-2022 by ICB (2023 codes) and by NHS England region; ICB code -> region name."""
    band_cols = ["year", "age_band", "female", "male", "persons"]
    p_icb, rows = read_rows(sources_dir, "ons_icb", band_cols + ["icb_code", "icb_name", "nhser_name"])
    ons_icb = _ons_by_area(p_icb, rows, "icb_code", "icb_name")
    check(len(ons_icb) == 42, p_icb, "42 ICBs in mid-2022", f"got {len(ons_icb)}")
    icb_region = {r["icb_code"]: r["nhser_name"] for r in rows}
    p_reg, rows = read_rows(sources_dir, "ons_region", band_cols + ["nhser_code", "nhser_name"])
    ons_reg = _ons_by_area(p_reg, rows, "nhser_name", "nhser_name")
    check(
        sorted(ons_reg) == sorted(ONS_REGION_TOTAL_2022),
        p_reg,
        "the 7 NHS England regions",
        f"got {sorted(ons_reg)}",
    )
    for name, want in ONS_REGION_TOTAL_2022.items():
        got = ons_reg[name]["population"]
        check(got == want, p_reg, f"{name} mid-2022 total = {want:,} (PROVENANCE)", f"got {got:,}")
        for field in ("population", "children", "women"):
            icb_sum = sum(a[field] for c, a in ons_icb.items() if icb_region[c] == name)
            check(
                icb_sum == ons_reg[name][field],
                p_reg,
                f"{name}: sum of its ICBs ({field}) = region figure",
                f"{icb_sum:,} vs {ons_reg[name][field]:,} in {show(p_icb)}",
            )
    return ons_icb, ons_reg, icb_region


def read_lookup(sources_dir: Path, ons_icb: dict, icb_region: dict[str, str]) -> dict[str, str]:
    """ICB ODS code -> ONS code."""
    p_lk, rows = read_rows(sources_dir, "icb_lookup", ["icb_ons_code", "icb_ods_code", "icb_name", "nhser_name"])
    check(len(rows) == 42, p_lk, "42 ICBs", f"got {len(rows)}")
    ods_to_ons = {r["icb_ods_code"]: r["icb_ons_code"] for r in rows}
    check(len(ods_to_ons) == 42, p_lk, "ODS codes unique")
    check(
        set(ods_to_ons.values()) == set(ons_icb),
        p_lk,
        "ONS codes are those of the population file",
        f"differ: {sorted(set(ods_to_ons.values()) ^ set(ons_icb))}",
    )
    for r in rows:
        check(
            icb_region[r["icb_ons_code"]] == r["nhser_name"],
            p_lk,
            "region of each ICB agrees with the population file",
            r["icb_ods_code"],
        )
    return ods_to_ons
