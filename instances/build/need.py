"""NHS England 2025/26 need-weighted populations by ICB and region, checked against
``need/PROVENANCE.md``: the final core and primary medical care need indices of every instance,
and the component indices (:data:`COMPONENTS`) of the need-based instances."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from .common import check, num, read_rows, show
from .population import ONS_REGION_TOTAL_2022

NHSE_POPULATION_TOTAL = {  # sum of GP-registered population = sum of wp_final_core, by year
    "2025/26": 63_849_324,
    "2024/25": 62_154_630,
    "2023/24": 61_903_547,
    "2022/23": 61_498_822,
}
NHSE_ICB_INDEX_RANGE_2025 = (0.88, 1.12)  # final core need index, rounded to 2 dp
NHSE_REGION_INDEX_RANGE_2025 = (0.93, 1.09)


NEED_YEAR = "2025/26"
# The components of NHS England's allocation formula (column ``wp_<name>``): a component's index
# is (its weighted population ÷ GP-registered population) ÷ the same for England. Every
# component's weighted populations sum to the GP-registered population (checked).
COMPONENTS = (
    "general_acute",
    "community",
    "mental_health",
    "maternity",
    "health_inequalities",
    "prescribing",
    "primary_medical_care",
)


def _need_by_area(path: Path, rows: list[dict], code_col: str, n_areas: int) -> dict[str, dict[str, Any]]:
    """NHS England 2025/26 need indices (final core, final PMC) by area code, with checks."""
    by_year: dict[str, list[dict]] = {}
    for row in rows:
        by_year.setdefault(row["allocation_year"], []).append(row)
    check(
        sorted(by_year) == sorted(NHSE_POPULATION_TOTAL),
        path,
        "allocation years 2022/23 … 2025/26",
        f"got {sorted(by_year)}",
    )
    for year, yrows in by_year.items():
        check(
            len({r[code_col] for r in yrows}) == n_areas == len(yrows),
            path,
            f"{n_areas} distinct areas in {year}",
            f"got {len(yrows)} rows",
        )
        pop = sum((num(path, r, "population") for r in yrows), Fraction(0))
        core = sum((num(path, r, "wp_final_core") for r in yrows), Fraction(0))
        want = NHSE_POPULATION_TOTAL[year]
        check(
            round(pop) == want,
            path,
            f"{year} GP-registered population total = {want:,} (PROVENANCE)",
            f"got {float(pop):,.1f}",
        )
        check(
            abs(core - pop) <= 1,
            path,
            f"{year} sum of wp_final_core = sum of population (PROVENANCE)",
            f"{float(core):,.1f} vs {float(pop):,.1f}",
        )
    rows25 = by_year[NEED_YEAR]
    pop_e = sum((num(path, r, "population") for r in rows25), Fraction(0))
    core_e = sum((num(path, r, "wp_final_core") for r in rows25), Fraction(0))
    pmc_e = sum((num(path, r, "wp_final_pmc") for r in rows25), Fraction(0))
    out = {}
    for r in rows25:
        pop = num(path, r, "population")
        core = num(path, r, "wp_final_core") / pop / (core_e / pop_e)
        pmc = num(path, r, "wp_final_pmc") / pop / (pmc_e / pop_e)
        for mine, col in ((core, "need_index_final_core"), (pmc, "need_index_final_pmc")):
            check(
                abs(mine - num(path, r, col)) <= Fraction(51, 1_000_000),
                path,
                f"{col} reproduced from the weighted populations",
                f"{r[code_col]}: {float(mine):.5f} vs {r[col]}",
            )
        out[r[code_col]] = {"core": core, "pmc": pmc, "region": r["region_name"], "components": {}}
    for name in COMPONENTS:
        col = f"wp_{name}"
        total = sum((num(path, r, col) for r in rows25), Fraction(0))
        check(
            abs(total - pop_e) <= 1,
            path,
            f"{NEED_YEAR} sum of {col} = sum of population (every component is normalised to it)",
            f"{float(total):,.1f} vs {float(pop_e):,.1f}",
        )
        for r in rows25:
            index = num(path, r, col) / num(path, r, "population") / (total / pop_e)
            check(index > 0, path, f"{NEED_YEAR} {col} > 0", r[code_col])
            out[r[code_col]]["components"][name] = index
    return out


def _check_index_range(path: Path, need: dict, want: tuple[float, float], what: str) -> None:
    lo = min(v["core"] for v in need.values())
    hi = max(v["core"] for v in need.values())
    check(
        (round(float(lo), 2), round(float(hi), 2)) == want,
        path,
        f"{NEED_YEAR} {what} need index ranges {want[0]}-{want[1]} (PROVENANCE)",
        f"got {float(lo):.4f}-{float(hi):.4f}",
    )


def read_need(sources_dir: Path) -> tuple[dict, dict]:
    """NHS England 2025/26 need indices by ICB (ODS code) and by region (name), checked."""
    need_cols = ["allocation_year", "population", "wp_final_core", "wp_final_pmc"]
    need_cols += ["need_index_final_core", "need_index_final_pmc", "region_name"]
    need_cols += [f"wp_{name}" for name in COMPONENTS]
    p_ni, icb_rows = read_rows(sources_dir, "need_icb", need_cols + ["icb_ods_code", "icb_name"])
    need_icb = _need_by_area(p_ni, icb_rows, "icb_ods_code", 42)
    _check_index_range(p_ni, need_icb, NHSE_ICB_INDEX_RANGE_2025, "ICB")
    p_nr, reg_rows = read_rows(sources_dir, "need_region", need_cols)
    need_reg = _need_by_area(p_nr, reg_rows, "region_name", 7)
    check(
        set(need_reg) == set(ONS_REGION_TOTAL_2022),
        p_nr,
        "the 7 NHS England regions",
        f"got {sorted(need_reg)}",
    )
    _check_index_range(p_nr, need_reg, NHSE_REGION_INDEX_RANGE_2025, "region")
    # the regional file is the sum of the ICB file (the same GP practices)
    for reg in reg_rows:
        if reg["allocation_year"] != NEED_YEAR:
            continue
        name = reg["region_name"]
        members = [r for r in icb_rows if r["allocation_year"] == NEED_YEAR and r["region_name"] == name]
        for col in ("population", "wp_final_core", "wp_final_pmc", *(f"wp_{c}" for c in COMPONENTS)):
            icb_sum = sum((num(p_ni, r, col) for r in members), Fraction(0))
            check(
                abs(icb_sum - num(p_nr, reg, col)) <= 1,
                p_nr,
                f"{name} {NEED_YEAR} {col} = sum of its ICBs in {show(p_ni)}",
            )
    return need_icb, need_reg
