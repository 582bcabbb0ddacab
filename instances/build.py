"""Build the real England instances from the public data vendored in ``instances/sources/``.

    python instances/build.py [--out instances] [--sources instances/sources]

writes five instances (docs/model.md §2, ``schema_version: 2``, plus the project's ``sources``
list):

* ``england-regions-2025.json``           the 7 NHS England regions
* ``england-training-regions-2025.json``  the 11 NHS England WT&E local offices (ex-HEE)
* ``england-icb-2025.json``               the 42 integrated care boards (ICBs)
* ``england-pipeline-2025.json``          the 7 regions with the workforce pipeline to 2040 (§10)
* ``england-teams-2025.json``             the 7 regions with primary-care and surgical teams (§11)

Every instance has ``population_by_year`` and need weights by year (``need_weights[].year``) for
paediatrics (children 0-14) and obstetrics & gynaecology (women 15-44) from the ONS 2022-based
subnational projections (published region rows; ICB sums; local-office sums of whole ICBs),
for the planning years, and in the pipeline instance for every year to 2040.
``regions[].population`` and the weights without a year stay the ONS mid-2022 estimates (the
base, and the fallback of any year without an entry).

Everything in those files is made here, from the CSV files in ``instances/sources/`` (each
folder carries its PROVENANCE.md). Nothing is read from anywhere else. What is published and
what is estimated is stated in every instance's ``sources`` list; every estimate is a rule
written in this file, in a function or constant whose docstring says the rule in words:

* national totals per specialty (England): :func:`england_national_posts`
* baseline posts by local office, ICB and NHS England region: :func:`local_office_baseline`,
  :func:`icb_baseline`, :func:`region_baseline`
* capacity: :func:`capacity_bounds`
* transition limits: :data:`TRANSITION` and :func:`transition_limits`
* pipeline (§10): :data:`PROGRAMME_YEARS`, :func:`training_kernel`, :func:`gp_join`,
  :func:`pipeline_kernel`, :func:`completion_rate`, :func:`pipeline_block`
* teams (§11): :data:`TEAM_PROGRAMMES`, :data:`COST_PER_POST`, :data:`TEAMS`,
  :func:`team_programme_baseline`, :func:`teams_blocks`

The build first reads and checks every source file (totals against those stated in its
PROVENANCE.md, row counts, code joins), then builds all five instances in memory and checks
them (every specialty's baseline column sums to its national total, min ≤ baseline ≤ max,
years increasing, a population for every region and year, and the baseline keeps every
``team_mix`` limit, budget and national range). Only when everything passes are the files
written, each to a temporary file renamed into place at the end: a failed build writes nothing. A failure raises
:class:`BuildError` naming the file and the check; on the command line it exits with code 2.

Arithmetic is exact (:class:`fractions.Fraction`) until the last step, where floats are rounded
to 4 decimals, so the same sources give byte-identical JSON on any machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from allocator.apportion.divisors import divisor

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCES = HERE / "sources"
SOURCES_PREFIX = "instances/sources"  # how vendored files are named inside the instances

K = TypeVar("K")

# --------------------------------------------------------------------------- source files

FILES = {
    "ons_icb": "population/ons_icb2023_population_by_5yr_age_sex_mid2021_mid2022.csv",
    "ons_region": "population/ons_nhser2023_population_by_5yr_age_sex_mid2021_mid2022.csv",
    "icb_lookup": "population/icb_code_lookup_ons_ods.csv",
    "need_icb": "need/icb_weighted_population_2022_23_to_2025_26.csv",
    "need_region": "need/nhs_region_weighted_population_2022_23_to_2025_26.csv",
    "posts_national": "posts/competition_ratios_ct1_st1_2024_2025_SECONDARY_unverified.csv",
    "posts_regional": "posts/regional/regional_training_posts.csv",
    "national_context": "posts/regional/national_totals_context.csv",
    "icb_to_office": "posts/regional/icb_to_hee_local_office.csv",
    "snpp_region": "population_projections/ons_snpp2022_nhser_by_5yr_age_sex_2022_2047.csv",
    "snpp_icb": "population_projections/ons_snpp2022_icb2023_summary_2022_2047.csv",
    "snpp_office": "population_projections/ons_snpp2022_hee_local_office_summary_2022_2047.csv",
}

# Checks stated in the PROVENANCE.md files (the build fails if a vendored file disagrees).
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
NHSE_POPULATION_TOTAL = {  # sum of GP-registered population = sum of wp_final_core, by year
    "2025/26": 63_849_324,
    "2024/25": 62_154_630,
    "2023/24": 61_903_547,
    "2022/23": 61_498_822,
}
NHSE_ICB_INDEX_RANGE_2025 = (0.88, 1.12)  # final core need index, rounded to 2 dp
NHSE_REGION_INDEX_RANGE_2025 = (0.93, 1.09)
UK_POSTS_2024 = 9_331  # CT1/ST1 Round 1 posts over the 17 specialties (posts/PROVENANCE.md §3)
UK_APPLICATIONS_2024 = 49_905
ENGLAND_LEVEL_ONE_POSTS_2024 = 7_929  # HL7476 (posts/regional/PROVENANCE.md, S5)
PAEDIATRICS_ST1_ENGLAND = {"2023": 417, "2024": 412}  # HL7483
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

AGE_BANDS = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"]
CHILD_BANDS = ["0-4", "5-9", "10-14"]  # children 0-14 (5-year bands cannot give 0-15)
WOMEN_BANDS = ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44"]  # women 15-44

ONS_YEAR = "2022"
NEED_YEAR = "2025/26"

# --------------------------------------------------------------------------- geography

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

# --------------------------------------------------------------------------- specialties

# Every CT1/ST1 entry specialty in the 2024/2025 competition-ratio file: id, name as in the
# file. The instances keep those with at least MIN_UK_POSTS posts in SPECIALTY_YEAR (see
# :func:`select_specialties`).
SPECIALTY_IDS = {
    "ACCS Emergency Medicine CT1/ST1": "accs-emergency-medicine",
    "Anaesthetics CT1": "anaesthetics",
    "Cardiothoracic Surgery ST1": "cardiothoracic-surgery",
    "Clinical Radiology ST1": "clinical-radiology",
    "Community Sexual & Reproductive Health ST1": "community-sexual-reproductive-health",
    "Core Psychiatry Training CT1": "core-psychiatry",
    "Core Surgical Training CT1": "core-surgery",
    "General Practice ST1": "general-practice",
    "GP & Public Health Dual CCT ST1": "gp-public-health-dual",
    "Histopathology ST1": "histopathology",
    "Internal Medicine Training CT1": "internal-medicine",
    "Neurosurgery ST1": "neurosurgery",
    "Obstetrics & Gynaecology ST1": "obstetrics-gynaecology",
    "Ophthalmology ST1": "ophthalmology",
    "Oral & Maxillo Facial Surgery ST1": "oral-maxillofacial-surgery",
    "Paediatrics ST1": "paediatrics",
    "Public Health Medicine ST1": "public-health",
}
SPECIALTY_YEAR = "2025"
MIN_UK_POSTS = 50

# Specialty need weights w[r,s] (docs/model.md §3); a specialty not named here has w = 1.
WEIGHT_RULES = {
    "paediatrics": "children",  # share of children 0-14 in r ÷ share in England
    "obstetrics-gynaecology": "women",  # share of women 15-44 in r ÷ share in England
    "general-practice": "pmc",  # primary medical care need index ÷ core need index
}
# The age-based rules get one need weight per year from the ONS projections (need_weights[].year);
# the weight without a year (mid-2022 estimates) stays as the fallback.
YEARLY_RULES = ("children", "women")

# --------------------------------------------------------------------------- estimates

BASELINE_YEAR = 2025
PLANNING_YEARS = [2026, 2027, 2028, 2029, 2030]

# Paediatrics ST1 has a published split by local office; its baseline is the latest round.
PAEDIATRICS_BASELINE_ROUND = "2024"
# The historical skew used for every other specialty: paediatrics ST1, these rounds pooled.
SKEW_ROUNDS = ("2023", "2024")

CAPACITY_MIN_FACTOR = Fraction(6, 10)  # min_posts = floor(0.6 · baseline)
CAPACITY_MAX_FACTOR = Fraction(3, 2)  # max_posts = ceil(1.5 · baseline + 5)
CAPACITY_MAX_SLACK = 5

# Illustrative policy parameters (not published): docs/model.md §5.
TRANSITION = {
    "max_growth_rate": 0.10,
    "growth_allowance": 2,
    "max_shrink_rate": 0.05,
    # one post a year may always go (schema v2): in whole posts 5 % alone freezes every cell
    # under 20 posts (see instances/README.md)
    "shrink_allowance": 1,
    "max_region_net_loss_rate": 0.03,
}
NATIONAL_MOVES_RATE = Fraction(3, 100)  # max_national_moves = round(3 % of all posts)

# --------------------------------------------------------------------------- pipeline (§10)

PIPELINE_HORIZON = 2040
PIPELINE_ASSESS_YEARS = [2035, 2040]
# Indicative full length of each pathway from CT1/ST1 entry to CCT (curricula; not vendored):
# core + higher training for uncoupled programmes.
PROGRAMME_YEARS = {
    "accs-emergency-medicine": 6,  # run-through EM (ACCS 3 + intermediate/higher 3)
    "anaesthetics": 7,  # core 3 + ST4-7
    "clinical-radiology": 5,
    "core-psychiatry": 6,  # core 3 + higher 3
    "core-surgery": 8,  # core 2 + ST3-8
    "general-practice": 3,
    "histopathology": 5,
    "internal-medicine": 7,  # IMT 3 + higher 4 (group 1)
    "obstetrics-gynaecology": 7,
    "ophthalmology": 7,
    "paediatrics": 7,  # Progress+ (2023)
    "public-health": 5,
}
# GMC training pathways working paper (2017): programmes of 5 years take 5.5 on average, of 7 years 9.
GMC_MEAN_YEARS = {5: Fraction(11, 2), 7: Fraction(9)}
# NHS England (Population Medicine, 2023): about 80 % settle within 50 miles of where they trained.
SETTLE_RATE = Fraction(8, 10)
# Palmer et al. 2025 (Human Resources for Health): of GP trainees completing, the share who had
# joined NHS general practice within 6, 12 and 24 months.
GP_JOINED_BY_MONTHS = {6: Fraction(34, 100), 12: Fraction(47, 100), 24: Fraction(62, 100)}
# Illustrative estimates (not published): see the docstrings of the functions using them.
COMPLETION_RUN_THROUGH = Fraction(9, 10)
COMPLETION_UNCOUPLED = Fraction(3, 4)  # core then a competitive ST3/ST4 application
UNCOUPLED = ("anaesthetics", "core-psychiatry", "core-surgery", "internal-medicine")
JOIN_RATE_OTHER = Fraction(9, 10)
LEAVE_RATE = Fraction(4, 100)
FILL_RATE = Fraction(95, 100)

# --------------------------------------------------------------------------- teams (§11)

# Non-medical training programmes: id, name, profession, England baseline posts a year, national
# range (min, max), need-weight rule (None: weight 1). Illustrative estimates, not published.
TEAM_PROGRAMMES = [
    ("acp-primary-care", "Advanced clinical practitioner (primary care)", "acp", 600, (500, 1000), "pmc"),
    ("pharmacist-primary-care", "Clinical pharmacist (primary care)", "pharmacist", 800, (600, 1200), "pmc"),
    ("surgical-care-practitioner", "Surgical care practitioner", "scp", 120, (80, 250), None),
]
# Illustrative cost per training post a year, £ thousand: a medical post, then by profession.
COST_PER_POST = {"medicine": 60, "acp": 30, "pharmacist": 20, "scp": 30}
BUDGET_GROWTH = Fraction(1, 100)  # budget[t] = baseline cost × (1 + 1 % × (t − 2025))
# Teams: id, name, members (specialty, equivalence, max_share), need-weight rule of the team.
TEAMS = [
    (
        "primary-care",
        "Primary care team",
        [
            ("general-practice", Fraction(1), None),
            ("acp-primary-care", Fraction(6, 10), Fraction(25, 100)),
            ("pharmacist-primary-care", Fraction(4, 10), Fraction(20, 100)),
        ],
        "pmc",
    ),
    (
        "surgical",
        "Surgical team",
        [("core-surgery", Fraction(1), None), ("surgical-care-practitioner", Fraction(1, 2), Fraction(25, 100))],
        None,
    ),
]

OGL = "Open Government Licence v3.0"
OPL = "Open Parliament Licence v3.0"
OWN = "MIT (this project's rule), applied to the data of the published entries under their licences"


# --------------------------------------------------------------------------- errors and I/O


class BuildError(Exception):
    """A source file is missing or fails a check; the message names the file and the check."""


def _show(path: Path | str) -> str:
    if isinstance(path, str):
        return path
    try:
        return str(path.resolve().relative_to(HERE.parent))
    except ValueError:
        return str(path)


def check(ok: bool, path: Path | str, what: str, detail: str = "") -> None:
    """Fail the build with ``<file>: check failed: <what> (<detail>)`` unless ``ok``."""
    if not ok:
        msg = f"{_show(path)}: check failed: {what}"
        raise BuildError(msg + (f" ({detail})" if detail else ""))


def read_rows(sources_dir: Path, key: str, columns: Iterable[str]) -> tuple[Path, list[dict]]:
    """The rows of a vendored CSV file, after checking it exists and has ``columns``."""
    path = sources_dir / FILES[key]
    if not path.is_file():
        raise BuildError(
            f"{_show(path)}: missing source file (the build reads only the files vendored in "
            f"instances/sources/; see the PROVENANCE.md and VENDORED.md next to it)"
        )
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        check(not missing, path, "expected columns present", f"missing {', '.join(missing)}")
        rows = list(reader)
    check(len(rows) > 0, path, "file has data rows")
    return path, rows


def num(path: Path, row: dict, column: str) -> Fraction:
    """A cell as an exact number (``"1870894.5435"`` -> ``Fraction``)."""
    try:
        return Fraction(row[column].strip())
    except (ValueError, ZeroDivisionError, AttributeError):
        raise BuildError(
            f"{_show(path)}: check failed: column {column} is a number (got {row.get(column)!r})"
        ) from None


def round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def r4(x: Fraction) -> float:
    """Fixed float rounding for the JSON files: 4 decimals."""
    return float(round(x, 4))


def largest_remainder(quotas: dict[K, Fraction], total: int) -> dict[K, int]:
    """Whole numbers that sum to ``total``: each quota's floor, plus one for the largest
    remainders (Hamilton's method, ``allocator.apportion.divisors``, exact). The quotas must sum
    to ``total`` exactly. Equal remainders go to the key that comes first in ``quotas``."""
    if sum(quotas.values(), Fraction(0)) != total:
        raise ValueError("largest_remainder: quotas do not sum to the total")
    seats = divisor(pd.Series(quotas, dtype=object), total, "hamilton", ties="report")
    return {k: int(v) for k, v in seats.items()}


# --------------------------------------------------------------------------- reading sources


@dataclass
class Area:
    """One geography (ICB, local office or NHS England region) with its population and need."""

    id: str
    name: str
    population: int  # ONS mid-2022 residents
    children: int  # ONS mid-2022, ages 0-14
    women: int  # ONS mid-2022, women 15-44
    need_index: Fraction  # NHS England 2025/26, final core (England = 1)
    pmc_index: Fraction  # NHS England 2025/26, final primary medical care (England = 1)
    region: str = ""  # NHS England region name (ICBs)
    office: str = ""  # local office name (ICBs)
    # ONS 2022-based projection by year: (persons, children 0-14, women 15-44), unrounded
    projection: dict[int, tuple[Fraction, Fraction, Fraction]] = dc_field(default_factory=dict)

    @property
    def weighted_population(self) -> Fraction:
        return self.population * self.need_index


@dataclass
class Sources:
    """Everything read from the vendored files, already checked."""

    icbs: list[Area]
    regions: list[Area]
    uk_posts: dict[str, dict[str, int]]  # year -> specialty name -> UK posts
    england_level_one_2024: int
    paediatrics_by_office: dict[str, dict[str, int]]  # round -> office -> posts
    straddlers: list[tuple[str, str, str]]  # (ICB name, assigned office, other office)


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
        out[r[code_col]] = {"core": core, "pmc": pmc, "region": r["region_name"]}
    return out


def _read_population(sources_dir: Path) -> tuple[dict, dict, dict[str, str]]:
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
                f"{icb_sum:,} vs {ons_reg[name][field]:,} in {_show(p_icb)}",
            )
    return ons_icb, ons_reg, icb_region


def _read_lookup(sources_dir: Path, ons_icb: dict, icb_region: dict[str, str]) -> dict[str, str]:
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


def _check_index_range(path: Path, need: dict, want: tuple[float, float], what: str) -> None:
    lo = min(v["core"] for v in need.values())
    hi = max(v["core"] for v in need.values())
    check(
        (round(float(lo), 2), round(float(hi), 2)) == want,
        path,
        f"{NEED_YEAR} {what} need index ranges {want[0]}-{want[1]} (PROVENANCE)",
        f"got {float(lo):.4f}-{float(hi):.4f}",
    )


def _read_need(sources_dir: Path) -> tuple[dict, dict]:
    """NHS England 2025/26 need indices by ICB (ODS code) and by region (name), checked."""
    need_cols = ["allocation_year", "population", "wp_final_core", "wp_final_pmc"]
    need_cols += ["need_index_final_core", "need_index_final_pmc", "region_name"]
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
        for col in ("population", "wp_final_core", "wp_final_pmc"):
            icb_sum = sum((num(p_ni, r, col) for r in members), Fraction(0))
            check(
                abs(icb_sum - num(p_nr, reg, col)) <= 1,
                p_nr,
                f"{name} {NEED_YEAR} {col} = sum of its ICBs in {_show(p_ni)}",
            )
    return need_icb, need_reg


def _read_office_map(
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


def _read_uk_posts(sources_dir: Path) -> dict[str, dict[str, int]]:
    """UK CT1/ST1 Round-1 posts: year -> specialty name -> posts (secondary source)."""
    p_nat, rows = read_rows(sources_dir, "posts_national", ["year", "specialty", "applications", "posts"])
    uk_posts: dict[str, dict[str, int]] = {}
    apps_2024 = 0
    for r in rows:
        check(
            r["specialty"] in SPECIALTY_IDS,
            p_nat,
            "every specialty is a known CT1/ST1 entry specialty",
            r["specialty"],
        )
        posts = int(num(p_nat, r, "posts"))
        check(posts > 0, p_nat, "posts > 0", r["specialty"])
        uk_posts.setdefault(r["year"], {})[r["specialty"]] = posts
        apps_2024 += int(num(p_nat, r, "applications")) if r["year"] == "2024" else 0
    check(sorted(uk_posts) == ["2024", "2025"], p_nat, "years 2024 and 2025")
    for year, by_spec in uk_posts.items():
        check(len(by_spec) == 17, p_nat, f"17 specialties in {year}", f"got {len(by_spec)}")
    got = sum(uk_posts["2024"].values())
    check(
        got == UK_POSTS_2024,
        p_nat,
        f"2024 posts total = {UK_POSTS_2024:,} (PROVENANCE)",
        f"got {got:,}",
    )
    check(
        apps_2024 == UK_APPLICATIONS_2024,
        p_nat,
        f"2024 applications total = {UK_APPLICATIONS_2024:,} (PROVENANCE)",
        f"got {apps_2024:,}",
    )
    return uk_posts


def _read_stated_totals(sources_dir: Path) -> int:
    """England level-one posts 2024 (HL7476), after checking the stated paediatrics totals."""
    p_ctx, rows = read_rows(sources_dir, "national_context", ["geography", "specialty", "level", "round_year", "posts"])
    level_one = [
        r
        for r in rows
        if r["geography"] == "England" and r["specialty"] == "All specialty pathways" and r["round_year"] == "2024"
    ]
    check(len(level_one) == 1, p_ctx, "one England 2024 level-one (CT1/ST1) total (HL7476)")
    england_2024 = int(num(p_ctx, level_one[0], "posts"))
    check(
        england_2024 == ENGLAND_LEVEL_ONE_POSTS_2024,
        p_ctx,
        f"England 2024 level-one posts = {ENGLAND_LEVEL_ONE_POSTS_2024:,} (PROVENANCE, S5)",
        f"got {england_2024:,}",
    )
    stated_paeds = {
        r["round_year"]: int(num(p_ctx, r, "posts"))
        for r in rows
        if r["geography"] == "England" and r["specialty"] == "Paediatrics" and r["level"] == "ST1"
    }
    for year, want in PAEDIATRICS_ST1_ENGLAND.items():
        check(
            stated_paeds.get(year) == want,
            p_ctx,
            f"England paediatrics ST1 {year} = {want} (HL7483, PROVENANCE)",
            f"got {stated_paeds.get(year)}",
        )
    return england_2024


def _read_paediatrics(sources_dir: Path) -> dict[str, dict[str, int]]:
    """Paediatrics ST1 posts by local office (HL7483): round -> office name -> posts."""
    p_rp, rows = read_rows(sources_dir, "posts_regional", ["region", "specialty", "level", "round_year", "posts"])
    office_names = [n for _, n in LOCAL_OFFICES]
    paeds: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["specialty"] != "Paediatrics" or r["level"] != "ST1":
            continue
        check(r["region"] in office_names, p_rp, "regions are the 11 local offices", r["region"])
        check(r["posts"].strip() != "", p_rp, "paediatrics ST1 posts published", r["region"])
        year = paeds.setdefault(r["round_year"], {})
        check(r["region"] not in year, p_rp, "one row per office and round", r["region"])
        year[r["region"]] = int(num(p_rp, r, "posts"))
    for year, want in PAEDIATRICS_ST1_ENGLAND.items():
        got_year = paeds.get(year, {})
        check(len(got_year) == 11, p_rp, f"paediatrics ST1 {year}: all 11 local offices")
        check(
            sum(got_year.values()) == want,
            p_rp,
            f"paediatrics ST1 {year}: the 11 offices sum to the stated England total {want}",
            f"got {sum(got_year.values())}",
        )
    return paeds


Projection = dict[int, tuple[Fraction, Fraction, Fraction]]


def _read_region_projections(sources_dir: Path) -> tuple[dict[str, Projection], Projection]:
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


def _read_icb_projections(
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
                f"each local office = the sum of its ICBs in {_show(path)}",
                f"{office} {year} {c}",
            )
    return out


def read_sources(sources_dir: Path) -> Sources:
    """Read and check every vendored file the build needs."""
    sources_dir = Path(sources_dir)
    ons_icb, ons_reg, icb_region = _read_population(sources_dir)
    ods_to_ons = _read_lookup(sources_dir, ons_icb, icb_region)
    need_icb, need_reg = _read_need(sources_dir)
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
    icb_office, straddlers = _read_office_map(sources_dir, ods_to_ons, need_icb)
    proj_region, _ = _read_region_projections(sources_dir)
    icb_region_name = {ods: v["region"] for ods, v in need_icb.items()}
    proj_icb = _read_icb_projections(sources_dir, icb_region_name, icb_office, proj_region)

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
        )
        for rid, name in NHS_REGIONS
    ]
    return Sources(
        icbs=icbs,
        regions=regions,
        uk_posts=_read_uk_posts(sources_dir),
        england_level_one_2024=_read_stated_totals(sources_dir),
        paediatrics_by_office=_read_paediatrics(sources_dir),
        straddlers=straddlers,
    )


# --------------------------------------------------------------------------- estimates (rules)


def select_specialties(src: Sources) -> list[tuple[str, str]]:
    """The CT1/ST1 entry specialties with at least MIN_UK_POSTS (50) UK posts in the 2025
    round: (id, name as published). Smaller programmes (cardiothoracic surgery, community
    sexual & reproductive health, GP & public health dual CCT, neurosurgery, oral &
    maxillofacial surgery: 10 to 22 UK posts each) would be 0-3 posts per region."""
    chosen = [
        (SPECIALTY_IDS[name], name) for name, posts in src.uk_posts[SPECIALTY_YEAR].items() if posts >= MIN_UK_POSTS
    ]
    return sorted(chosen)


def england_share(src: Sources) -> Fraction:
    """England's share of UK CT1/ST1 posts: England level-one posts offered in 2024 (HL7476,
    7,929) ÷ UK Round-1 CT1/ST1 posts in 2024 over all 17 specialties (9,331)."""
    return Fraction(src.england_level_one_2024, sum(src.uk_posts["2024"].values()))


def england_national_posts(src: Sources, specialties: list[tuple[str, str]]) -> dict[str, int]:
    """National (England) posts per specialty, held in every planning year.

    No England-only figure per specialty is published for 2025: the posts file is UK-wide. So
    N[s] = UK 2025 Round-1 posts of s × :func:`england_share`, rounded half up. Paediatrics is
    the exception: its England total for the 2024 round (412, HL7483) is published together
    with its split by local office, and is used as is."""
    share = england_share(src)
    out = {}
    for sid, name in specialties:
        if sid == "paediatrics":
            out[sid] = sum(src.paediatrics_by_office[PAEDIATRICS_BASELINE_ROUND].values())
        else:
            out[sid] = round_half_up(src.uk_posts[SPECIALTY_YEAR][name] * share)
    return out


def office_shares(src: Sources) -> dict[str, Fraction]:
    """Each local office's share of the paediatrics ST1 posts of the 2023 and 2024 rounds
    pooled (the only CT1/ST1 specialty with a published split by office)."""
    pooled = {office: sum(src.paediatrics_by_office[y][office] for y in SKEW_ROUNDS) for _, office in LOCAL_OFFICES}
    total = sum(pooled.values())
    return {office: Fraction(p, total) for office, p in pooled.items()}


def local_office_baseline(
    src: Sources, specialties: list[tuple[str, str]], national: dict[str, int]
) -> dict[tuple[str, str], int]:
    """Baseline posts by (local office name, specialty id).

    Paediatrics: the published 2024-round posts of each office. Every other specialty s:
    N[s] × the office's paediatrics share (:func:`office_shares`), made whole posts by largest
    remainder so that the offices add up to N[s] exactly."""
    shares = office_shares(src)
    out: dict[tuple[str, str], int] = {}
    for sid, _ in specialties:
        if sid == "paediatrics":
            whole = dict(src.paediatrics_by_office[PAEDIATRICS_BASELINE_ROUND])
        else:
            whole = largest_remainder({o: national[sid] * shares[o] for o in shares}, national[sid])
        for office, posts in whole.items():
            out[(office, sid)] = posts
    return out


def icb_baseline(
    src: Sources, specialties: list[tuple[str, str]], by_office: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """Baseline posts by (ICB ODS code, specialty id): each office's baseline of s split over
    its ICBs in proportion to need-weighted population (ONS mid-2022 residents × 2025/26 core
    need index), whole posts by largest remainder within the office. Straddling ICBs count
    whole in the office they are assigned to."""
    out: dict[tuple[str, str], int] = {}
    for _, office in LOCAL_OFFICES:
        members = [a for a in src.icbs if a.office == office]
        wpop = sum((a.weighted_population for a in members), Fraction(0))
        for sid, _ in specialties:
            posts = by_office[(office, sid)]
            quotas = {a.id: posts * a.weighted_population / wpop for a in members}
            out.update({(icb, sid): n for icb, n in largest_remainder(quotas, posts).items()})
    return out


def region_baseline(
    src: Sources, specialties: list[tuple[str, str]], by_icb: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """Baseline posts by (NHS England region name, specialty id): the sum of its ICBs'
    baselines (:func:`icb_baseline`). Every office lies within one region except Wessex
    (Hampshire and Isle of Wight: South East; Dorset: South West), which is thereby split by
    need-weighted population."""
    out: dict[tuple[str, str], int] = {}
    for a in src.icbs:
        for sid, _ in specialties:
            key = (a.region, sid)
            out[key] = out.get(key, 0) + by_icb[(a.id, sid)]
    return out


def capacity_bounds(baseline: int) -> tuple[int, int]:
    """Estimated capacity of a cell: min_posts = floor(0.6 · baseline) and
    max_posts = ceil(1.5 · baseline + 5). The baseline lies inside, so keeping it is feasible."""
    lo = math.floor(CAPACITY_MIN_FACTOR * baseline)
    hi = math.ceil(CAPACITY_MAX_FACTOR * baseline + CAPACITY_MAX_SLACK)
    return lo, hi


def transition_limits(national_total: int) -> dict[str, Any]:
    """Illustrative policy parameters (TRANSITION) plus max_national_moves = 3 % of all posts
    (rounded half up). With national totals held constant, keeping the baseline satisfies them."""
    return TRANSITION | {"max_national_moves": round_half_up(NATIONAL_MOVES_RATE * national_total)}


# --------------------------------------------------------------------------- pipeline and teams (rules)


def whole_shares(shares: dict[int, Fraction]) -> dict[int, float]:
    """Shares rounded to 4 decimals that still sum to exactly 1 (largest remainder on 10,000
    units), so the JSON kernel passes the loader's "shares sum to 1" check."""
    units = largest_remainder({k: v * 10_000 for k, v in shares.items()}, 10_000)
    return {k: u / 10_000 for k, u in units.items()}


def training_kernel(years: int) -> dict[int, Fraction]:
    """Years from entry to completion and the share completing after each (LTFT, breaks).

    Rule, from the GMC training pathways working paper (2017: five-year programmes take 5.5 years
    on average, seven-year ones 9): the mean extra time is e = 0.5 year for a programme of 5
    years or fewer, and e = 0.5 + 0.75 · (L − 5) for L ≥ 5 (the line through both published
    points: 6 → 1.25, 7 → 2, 8 → 2.75). Completion is spread in equal shares over L, L + 1, …,
    L + n with n = 2e rounded half up, so the mean is L + n/2: exactly 5.5 for L = 5 (5 and 6
    years, half each) and 9 for L = 7 (7 to 11 years, a fifth each); 7.5 for L = 6, 11 for L = 8,
    3.5 for L = 3."""
    e = Fraction(1, 2) if years <= 5 else Fraction(1, 2) + Fraction(3, 4) * (years - 5)
    n = round_half_up(2 * e)
    return {years + k: Fraction(1, n + 1) for k in range(n + 1)}


def gp_join() -> tuple[Fraction, dict[int, Fraction]]:
    """GP join rate and the lag from completion to joining (Palmer et al. 2025): 47 % of
    completers had joined NHS general practice within a year, 62 % within two. join_rate = 0.62
    (those who had not joined within two years are not counted); of the joiners, 47/62 join in
    the year they complete (lag 0; 34 % within six months) and 15/62 a year later (lag 1)."""
    within_1, within_2 = GP_JOINED_BY_MONTHS[12], GP_JOINED_BY_MONTHS[24]
    return within_2, {0: within_1 / within_2, 1: (within_2 - within_1) / within_2}


def pipeline_kernel(sid: str) -> dict[int, Fraction]:
    """Entry-to-workforce delays of a specialty: :func:`training_kernel` of its programme length;
    for general practice convolved with the joining lag of :func:`gp_join`."""
    kernel = training_kernel(PROGRAMME_YEARS[sid])
    if sid != "general-practice":
        return kernel
    out: dict[int, Fraction] = {}
    for d, share in kernel.items():
        for lag, q in gp_join()[1].items():
            out[d + lag] = out.get(d + lag, Fraction(0)) + share * q
    return dict(sorted(out.items()))


def completion_rate(sid: str) -> Fraction:
    """Illustrative: 0.9 of filled entry posts complete a run-through pathway; 0.75 an uncoupled
    one (anaesthetics, core psychiatry, core surgery, internal medicine), whose core trainees must
    win a competitive higher-training post."""
    return COMPLETION_UNCOUPLED if sid in UNCOUPLED else COMPLETION_RUN_THROUGH


def pipeline_block(areas: list[Area], specialties: list[tuple[str, str]]) -> dict[str, Any]:
    """The ``pipeline`` block (docs/model.md §10): published settle rate (0.8), GP join rate and
    lags (Palmer et al.), delay kernels from the GMC rule; completion, join (other than GP),
    leave and fill rates illustrative. ``stock`` is left out (no consultant or GP stock by
    region and specialty is vendored): S0 = 0, so the stock counts the doctors who complete
    training from 2026 on, from the baseline intakes before the plan and the plan's intakes."""
    rows = []
    for sid, _ in specialties:
        kernel = whole_shares(pipeline_kernel(sid))
        join = gp_join()[0] if sid == "general-practice" else JOIN_RATE_OTHER
        rows.append(
            {
                "specialty": sid,
                "completion_rate": r4(completion_rate(sid)),
                "delay_years": list(kernel),
                "delay_shares": list(kernel.values()),
                "settle_rate": r4(SETTLE_RATE),
                "join_rate": r4(join),
                "leave_rate": r4(LEAVE_RATE),
            }
        )
    return {
        "horizon_year": PIPELINE_HORIZON,
        "mobility": "need",
        "specialties": rows,
        "fill_rate": [
            {"region": a.id, "specialty": sid, "rate": r4(FILL_RATE)} for a in areas for sid, _ in specialties
        ],
        "assess_years": list(PIPELINE_ASSESS_YEARS),
    }


def team_programme_baseline(areas: list[Area], rule: str | None, total: int) -> dict[str, int]:
    """Baseline posts of a non-medical programme by region: the England baseline (illustrative)
    split in proportion to need (population × need index × the rule's weight, mid-2022), whole
    posts by largest remainder."""
    need = {a.id: a.weighted_population * (1 if rule is None else need_weight(rule, a, areas)) for a in areas}
    whole = sum(need.values(), Fraction(0))
    return largest_remainder({k: total * v / whole for k, v in need.items()}, total)


def teams_blocks(
    areas: list[Area], baseline: dict[tuple[str, str], int], professions: dict[str, str]
) -> dict[str, Any]:
    """``national_posts`` ranges, ``cost_per_post``, ``budget`` and ``teams`` of the teams
    instance (illustrative estimates; rules in the constants TEAM_PROGRAMMES, COST_PER_POST,
    BUDGET_GROWTH and TEAMS). The budget of year t is the baseline cost × (1 + 1 % × (t − 2025)),
    rounded half up to £ thousand."""
    national = [
        {"specialty": sid, "year": y, "min_posts": lo, "max_posts": hi}
        for sid, _, _, _, (lo, hi), _ in TEAM_PROGRAMMES
        for y in PLANNING_YEARS
    ]
    costs = [{"region": rid, "specialty": sid, "cost": COST_PER_POST[professions[sid]]} for (rid, sid) in baseline]
    base_cost = sum(COST_PER_POST[professions[sid]] * b for (_, sid), b in baseline.items())
    budget = [
        {"year": y, "amount": round_half_up(base_cost * (1 + BUDGET_GROWTH * (y - BASELINE_YEAR)))}
        for y in PLANNING_YEARS
    ]
    teams = []
    for tid, name, members, rule in TEAMS:
        team: dict[str, Any] = {"id": tid, "name": name, "members": []}
        for sid, eq, cap in members:
            m: dict[str, Any] = {"specialty": sid, "equivalence": r4(eq)}
            if cap is not None:
                m["max_share"] = r4(cap)
            team["members"].append(m)
        if rule is not None:
            team["need_weights"] = [{"region": a.id, "weight": r4(need_weight(rule, a, areas))} for a in areas]
        teams.append(team)
    return {"national_posts": national, "cost_per_post": costs, "budget": budget, "teams": teams}


# --------------------------------------------------------------------------- aggregation


def local_office_areas(src: Sources) -> list[Area]:
    """Local offices as sums of their ICBs (whole-ICB assignment): population, children and
    women are sums; need indices are ONS-population-weighted means of the ICBs' indices."""
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
            )
        )
    return out


def need_weight(rule: str, area: Area, areas: list[Area], year: int | None = None) -> Fraction:
    """w[r,s] for a weight rule (WEIGHT_RULES); shares are relative to all ``areas`` (England).

    Without ``year``: from the ONS mid-2022 estimates. With ``year``: from the ONS 2022-based
    projection of that year (unrounded), the same rule: share of the group in the area ÷ share
    in England."""
    if rule == "pmc":
        return area.pmc_index / area.need_index
    i = {"children": 1, "women": 2}[rule]
    if year is None:

        def get(a: Area) -> tuple[Fraction, Fraction]:
            return Fraction(a.population), Fraction(a.children if i == 1 else a.women)
    else:

        def get(a: Area) -> tuple[Fraction, Fraction]:
            return a.projection[year][0], a.projection[year][i]

    pop, group = get(area)
    pop_e = sum((get(a)[0] for a in areas), Fraction(0))
    group_e = sum((get(a)[1] for a in areas), Fraction(0))
    return (group / pop) / (group_e / pop_e)


# --------------------------------------------------------------------------- sources entries


SOURCE_FIELDS = ("id", "table", "publisher", "year", "licence", "kind", "used_for", "path", "url")


def _src(path_key: str | None = None, **fields: str) -> dict[str, str]:
    """A ``sources`` entry, fields in a fixed order; ``path_key`` names the vendored file."""
    if path_key is not None:
        fields["path"] = f"{SOURCES_PREFIX}/{FILES[path_key]}"
    order = [*SOURCE_FIELDS, "note"]
    return {k: fields[k] for k in order if k in fields}


def source_entries(geo: str, src: Sources, national: dict[str, int]) -> list[dict[str, str]]:
    """The ``sources`` list of an instance; ``geo`` is ``regions``, ``offices`` or ``icbs``."""
    share = england_share(src)
    n_total = sum(national.values())
    pop_file = "ons_region" if geo == "regions" else "ons_icb"
    pop_geo = {
        "regions": "NHS England regions (2023)",
        "offices": "ICBs (2023), summed to local offices",
        "icbs": "ICBs (2023)",
    }[geo]
    need_file = "need_region" if geo == "regions" else "need_icb"
    need_note = (
        "need_index = (wp_final_core ÷ GP-registered population) ÷ the same for England; "
        "general-practice weight = final primary medical care index (same formula with "
        "wp_final_pmc) ÷ core index."
    )
    if geo == "offices":
        need_note += " A local office's indices are the ONS-population-weighted means of its ICBs' indices."
    out = [
        _src(
            pop_file,
            id="ons-mid2022",
            table="Population estimates for health geographies, mid-2022 (release SAPE24), "
            f"{pop_geo}, single year of age and sex aggregated to 5-year bands",
            publisher="Office for National Statistics",
            year="2022",
            licence=OGL,
            kind="published",
            used_for="regions.population; the need_weights without a year for paediatrics (share "
            "of children 0-14) and obstetrics-gynaecology (share of women 15-44)",
            url="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/"
            "populationestimates/datasets/clinicalcommissioninggroupmidyearpopulationestimates",
            note="Residents at mid-2022, kept as regions.population (the base: the fallback of any "
            "year without a population_by_year entry, and the steady past before the first planning "
            "year). Weight = share of the group in the region ÷ share in England; other "
            "specialties have weight 1. Every planning year has its own population and age-based "
            "weights from ons-snpp2022.",
        ),
        _src(
            "snpp_region" if geo == "regions" else "snpp_icb",
            id="ons-snpp2022",
            table="2022-based subnational population projections for Sub-ICB locations by five-year "
            "age group and sex, England (Table 3, migration category variant), "
            + {
                "regions": "the ONS-published NHS England region rows",
                "offices": "Sub-ICB locations summed to ICBs (2023) and ICBs summed to local offices",
                "icbs": "Sub-ICB locations summed to ICBs (2023)",
            }[geo],
            publisher="Office for National Statistics",
            year="2025",
            licence=OGL + " (contains National Statistics data © Crown copyright and database right 2025)",
            kind="published",
            used_for="population_by_year; the need_weights with a year for paediatrics (share of "
            "children 0-14) and obstetrics-gynaecology (share of women 15-44)",
            url="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/"
            "populationprojections/bulletins/subnationalpopulationprojectionsforengland/2022based",
            note="Projected residents at mid-year (published 24 June 2025), rounded half up to whole "
            "people; the need weights by year use the unrounded figures, by the same rule as "
            "ons-mid2022. Projections, not forecasts (trend-based, no policy effects). The 2022 "
            "base of the projections is ONS's revised mid-2022 estimate (England 57,112,542 "
            "against 57,106,398 in ons-mid2022), so the two are not mixed within one year."
            + (" A local office is the sum of its whole ICBs (see icb-to-local-office)." if geo == "offices" else ""),
        ),
        _src(
            need_file,
            id="nhse-need-2025-26",
            table="ICB allocations 2025/26: GP-registered and need-weighted populations "
            "(final core, final primary medical care), summed from GP practices",
            publisher="NHS England",
            year="2025/26",
            licence=OGL,
            kind="published",
            used_for="regions.need_index; need_weights for general-practice",
            url="https://www.england.nhs.uk/allocations/",
            note=need_note,
        ),
    ]
    if geo != "regions":
        out.append(
            _src(
                "icb_lookup",
                id="icb-code-lookup",
                table="ICB code lookup: ONS E54 code <-> ODS code <-> NHS England region, "
                "matched by ICB name between the ONS and NHS England files (42/42)",
                publisher="Office for National Statistics; NHS England (joined in the project's shared data)",
                year="2023",
                licence=OGL,
                kind="published",
                used_for="joining ONS populations to NHS England need indices by ICB",
            )
        )
    out.append(
        _src(
            "icb_to_office",
            id="icb-to-local-office",
            table="Assignment of the 42 ICBs to the 11 NHS England WT&E (ex-HEE) local offices",
            publisher="compiled in the project's shared data from local-office pages and ONS/ODS code lists",
            year="2022",
            licence=OGL,
            kind="estimated",
            used_for={
                "regions": "baseline_posts (splitting local offices over NHS England regions)",
                "offices": "regions (which ICBs make up each local office); baseline_posts",
                "icbs": "baseline_posts (splitting local-office baselines over ICBs)",
            }[geo],
            note="Each ICB is assigned whole to the office that trains for the acute trusts "
            "serving most of its population. Straddling ICBs, counted whole in the first "
            "office: "
            + "; ".join(f"{n} ({o}; part in {s})" for n, o, s in src.straddlers)
            + ". No population below ICB level is vendored, so they are not split.",
        )
    )
    out += [
        _src(
            "posts_national",
            id="nhse-ct1-st1-posts-2024-2025",
            table="CT1/ST1 competition ratios, Round 1, 2024 and 2025: applications and posts "
            "by specialty (UK national recruitment)",
            publisher="NHS England Medical & Dental Recruitment and Selection, via a secondary transcription",
            year="2024-2025",
            licence=OGL,
            kind="published",
            used_for="specialties (the CT1/ST1 entry specialties with at least "
            f"{MIN_UK_POSTS} UK posts in {SPECIALTY_YEAR}); national totals (see "
            "est-national-posts)",
            url="https://medical.hee.nhs.uk/medical-training-recruitment/medical-specialty-training/competition-ratios",
            note="SECONDARY, UNVERIFIED source (a data file in a public GitHub repository whose "
            "name is not known); its 2024 totals and several 2025 figures agree with "
            "independent pages. The figures are UK-wide (England, Scotland, Wales, Northern "
            "Ireland), not England. Licence: HEE/NHS England content is OGL v3.0; the intermediate "
            "source does not restate it.",
        ),
        _src(
            "national_context",
            id="hl7476-level-one-posts",
            table="Written answer HL7476: core and run-through level-one (CT1/ST1) posts offered in England, 2020-2024",
            publisher="Department of Health and Social Care (UK Parliament written answer; "
            "data: NHS England Specialty Training Places Fill Rates)",
            year="2024",
            licence=OPL,
            kind="published",
            used_for="England's share of UK posts (see est-national-posts)",
            url="https://parallelparliament.co.uk/question/HL7476/medicine-higher-education",
        ),
        _src(
            "posts_regional",
            id="hl7483-paediatrics-st1",
            table="Written answer HL7483: paediatrics ST1 posts available by local office, 2023 and 2024 entry rounds",
            publisher="Department of Health and Social Care (UK Parliament written answer; data: NHS England)",
            year="2023-2024",
            licence=OPL,
            kind="published",
            used_for={
                "regions": "baseline_posts of paediatrics (2024 round, local offices summed to "
                "regions, Wessex split as in est-baseline); shares for est-baseline",
                "offices": "baseline_posts of paediatrics (2024 round, as published); shares for est-baseline",
                "icbs": "baseline_posts of paediatrics (2024 round by local office, split over "
                "ICBs as in est-baseline); shares for est-baseline",
            }[geo],
            url="https://parallelparliament.co.uk/question/HL7483/junior-doctors-training",
            note="Posts offered (not filled). England totals 417 (2023) and 412 (2024).",
        ),
        _src(
            id="est-national-posts",
            table="National (England) posts per specialty, held constant 2026-2030",
            publisher="this project (instances/build.py: england_national_posts)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="national totals: the column sums of baseline_posts (national_posts "
            "omitted, so they hold in every planning year)",
            note="No England-only figure per specialty is published for 2025. N[s] = UK 2025 "
            f"Round-1 posts of s × England share {float(share):.4f} (England level-one posts "
            f"2024, {src.england_level_one_2024:,} [HL7476] ÷ UK Round-1 CT1/ST1 posts 2024 "
            f"over all 17 specialties, {sum(src.uk_posts['2024'].values()):,}), rounded half "
            "up. Paediatrics uses its published England total for the 2024 round, 412 "
            f"[HL7483]. Total over the specialties: {n_total:,}.",
        ),
        _src(
            id="est-baseline",
            table="Baseline posts by region and specialty",
            publisher="this project (instances/build.py: local_office_baseline, icb_baseline, region_baseline)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="baseline_posts (every specialty except paediatrics at local-office level)",
            note="No split by region is published for any specialty but paediatrics. Each local "
            "office's share of the paediatrics ST1 posts of the 2023 and 2024 rounds pooled "
            "(HL7483) stands for the real historical skew of training posts; baseline[office, s] "
            "= N[s] × that share, whole posts by largest remainder so that every specialty sums "
            "to N[s]. Paediatrics keeps its published 2024 posts. ICB baseline: each office's "
            "baseline split over its ICBs by need-weighted population (ONS mid-2022 × 2025/26 "
            "core need index), whole posts by largest remainder within the office. NHS England "
            "region baseline: the sum of its ICBs (only Wessex spans two regions). The skew of "
            "one specialty is assumed for all: London holds about 26 % of paediatrics ST1 posts "
            "against 15.5 % of residents.",
        ),
        _src(
            id="est-capacity",
            table="Capacity per region and specialty",
            publisher="this project (instances/build.py: capacity_bounds)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="capacity",
            note="min_posts = floor(0.6 × baseline), max_posts = ceil(1.5 × baseline + 5): "
            "illustrative bounds, not published; the baseline lies inside them.",
        ),
        _src(
            id="est-transition",
            table="Transition limits",
            publisher="this project (instances/build.py: TRANSITION, transition_limits)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="transition",
            note="Illustrative policy parameters, not published: growth up to 10 % + 2 posts "
            "a year, shrink up to 5 % + 1 post a year per cell, a region's net loss up to 3 % a year, "
            "posts moved nationally up to 3 % of all posts a year (rounded half up).",
        ),
    ]
    return out


def pipeline_source_entries() -> list[dict[str, str]]:
    """The ``sources`` entries of the pipeline block (added to the regions' entries)."""
    lengths = ", ".join(f"{sid} {n}" for sid, n in PROGRAMME_YEARS.items())
    kernels = "; ".join(
        f"{n} years: {', '.join(str(d) for d in training_kernel(n))}" for n in sorted(set(PROGRAMME_YEARS.values()))
    )
    gp = pipeline_kernel("general-practice")
    gp_text = ", ".join(f"{d} ({float(q):.4f})" for d, q in gp.items())
    return [
        _src(
            id="gmc-training-pathways-2017",
            table="Training pathways: analysis of the time doctors take to complete specialty training (working paper)",
            publisher="General Medical Council",
            year="2017",
            licence="figures cited with attribution; no data copied",
            kind="published",
            used_for="pipeline.specialties[].delay_years and delay_shares (the rule of est-delay-kernels)",
            note="Five-year programmes take 5.5 years on average, seven-year programmes 9 years "
            "(less than full-time training, breaks, time out of programme).",
        ),
        _src(
            id="nhse-settle-2023",
            table="Share of doctors who settle within 50 miles of where they trained",
            publisher="NHS England (Population Medicine, 2023)",
            year="2023",
            licence="figure cited with attribution; no data copied",
            kind="published",
            used_for="pipeline.specialties[].settle_rate (0.8, every specialty)",
            note="About 80 % of doctors settle within 50 miles of where they trained. An NHS "
            "England region is wider than a 50-mile circle around most training sites, so 0.8 is, "
            "if anything, a low settle rate for regions (one reason for choosing NHS England "
            "regions for this instance). Applied to every specialty alike.",
        ),
        _src(
            id="palmer-2025-gp-joiners",
            table="Joining the NHS general practice workforce after completing GP training in England",
            publisher="Palmer et al., Human Resources for Health",
            year="2025",
            licence="figures cited with attribution (open-access article); no data copied",
            kind="published",
            used_for="pipeline.specialties[general-practice].join_rate (0.62) and its delay_years "
            "and delay_shares (with est-delay-kernels)",
            note="Of GP trainees completing, 34 % had joined NHS general practice within 6 months, "
            "47 % within a year, 62 % within two. join_rate = 0.62 (later joiners are not "
            "counted); of the joiners 47/62 join in the year they complete and 15/62 a year later, "
            f"so the GP kernel (years from entry: share) is {gp_text}.",
        ),
        _src(
            id="est-programme-years",
            table="Indicative length of each training pathway from CT1/ST1 entry to CCT",
            publisher="this project (instances/build.py: PROGRAMME_YEARS)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="specialties[].programme_years",
            note="Indicative full length of each curriculum, core plus higher training for "
            f"uncoupled programmes (not vendored; taken as common knowledge of the curricula): {lengths}.",
        ),
        _src(
            id="est-delay-kernels",
            table="Years from entry to completion and the share completing after each",
            publisher="this project (instances/build.py: training_kernel, pipeline_kernel)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.specialties[].delay_years and delay_shares",
            note="Mean extra time e = 0.5 year for programmes of 5 years or fewer and e = 0.5 + "
            "0.75 × (L − 5) beyond (the line through the GMC's published 5 → 5.5 and 7 → 9); "
            "completion in equal shares over L, …, L + n with n = 2e rounded half up (mean L + "
            f"n/2). Kernels: {kernels}. General practice: convolved with the joining lag of "
            "palmer-2025-gp-joiners (its kernel runs from entry to joining NHS general practice). "
            "Shares rounded to 4 decimals by largest remainder so that they sum to 1.",
        ),
        _src(
            id="est-completion-rate",
            table="Share of filled entry posts that complete training",
            publisher="this project (instances/build.py: completion_rate)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.specialties[].completion_rate",
            note=f"Illustrative, not published: {float(COMPLETION_RUN_THROUGH):g} for run-through "
            f"pathways; {float(COMPLETION_UNCOUPLED):g} for the uncoupled ones ({', '.join(UNCOUPLED)}), "
            "whose core trainees must win a competitive higher-training post.",
        ),
        _src(
            id="est-join-rate",
            table="Share of completers who join the NHS workforce in England (other than GP)",
            publisher="this project (instances/build.py: JOIN_RATE_OTHER)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.specialties[].join_rate (every specialty but general-practice)",
            note=f"Illustrative, not published: {float(JOIN_RATE_OTHER):g} (some completers "
            "emigrate, work abroad or outside the NHS).",
        ),
        _src(
            id="est-leave-rate",
            table="Share of the trained stock leaving each year",
            publisher="this project (instances/build.py: LEAVE_RATE)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.specialties[].leave_rate",
            note=f"Illustrative, not published: {float(LEAVE_RATE):g} a year for every specialty "
            "(about a 25-year career: retirement, emigration, leaving the NHS).",
        ),
        _src(
            id="est-fill-rate",
            table="Share of training posts filled",
            publisher="this project (instances/build.py: FILL_RATE)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.fill_rate",
            note=f"Illustrative, not published: {float(FILL_RATE):g} in every region and "
            "specialty (NHS England publishes fill rates by specialty; they are not vendored).",
        ),
        _src(
            id="est-stock",
            table="Trained workforce in the baseline year",
            publisher="this project (instances/build.py: pipeline_block)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.stock (left out: S0 = 0)",
            note="No consultant or GP stock by region and specialty is vendored, so pipeline.stock "
            f"is absent and the stock counts only the doctors who complete training from "
            f"{BASELINE_YEAR + 1} on: from the baseline intakes of the years before the plan and "
            "from the plan's intakes. It is a flow of new doctors, not the whole workforce; "
            "leave_rate applies to it alike.",
        ),
        _src(
            id="est-pipeline-years",
            table="Evaluation horizon and assessed years",
            publisher="this project (instances/build.py: PIPELINE_HORIZON, PIPELINE_ASSESS_YEARS)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.horizon_year, pipeline.assess_years, pipeline.mobility",
            note=f"A choice, not data: horizon {PIPELINE_HORIZON}, assessed years "
            f"{', '.join(map(str, PIPELINE_ASSESS_YEARS))}; mobility 'need' (completers who do not "
            "settle go where need is).",
        ),
    ]


def teams_source_entries() -> list[dict[str, str]]:
    """The ``sources`` entries of the non-medical programmes, costs, budget and teams."""
    progs = "; ".join(
        f"{sid} ({prof}): baseline {b:,} a year, range {lo:,}-{hi:,}"
        for sid, _, prof, b, (lo, hi), _ in TEAM_PROGRAMMES
    )
    team_text = "; ".join(
        f"{tid}: "
        + ", ".join(
            f"{sid} {float(eq):g}" + ("" if cap is None else f" (max share {float(cap):g})") for sid, eq, cap in members
        )
        for tid, _, members, _ in TEAMS
    )
    return [
        _src(
            id="est-team-programmes",
            table="Non-medical training programmes: national posts a year and their regional baseline",
            publisher="this project (instances/build.py: TEAM_PROGRAMMES, team_programme_baseline)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="specialties (profession acp, pharmacist, scp); their baseline_posts, "
            "national_posts (ranges) and capacity",
            note=f"Illustrative, not published: {progs}. Baseline by region = the national "
            "baseline split by need-weighted population (ONS mid-2022 × need index × weight: the "
            "primary medical care weight for primary-care programmes, 1 otherwise), whole posts by "
            "largest remainder. Capacity by the rule of est-capacity.",
        ),
        _src(
            id="est-costs",
            table="Cost per training post a year (£ thousand) and the annual budget",
            publisher="this project (instances/build.py: COST_PER_POST, BUDGET_GROWTH, teams_blocks)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="cost_per_post, budget",
            note="Illustrative, not published: "
            + ", ".join(f"{k} {v}" for k, v in COST_PER_POST.items())
            + " (£ thousand per post a year, every region). Budget of year t = the baseline cost "
            f"× (1 + {float(BUDGET_GROWTH):.0%} × (t − {BASELINE_YEAR})), rounded half up.",
        ),
        _src(
            id="est-teams",
            table="Teams: equivalences and substitution limits",
            publisher="this project (instances/build.py: TEAMS)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="teams (members' equivalence and max_share, team need weights)",
            note=f"Illustrative, not published: {team_text}. The primary-care team's need weights "
            "are the general-practice weights (primary medical care index ÷ core index); the "
            "surgical team's are 1. Substitution is capped by max_share because associate and "
            "advanced-practice roles work under a senior doctor and do not replace doctors (the "
            "Leng review of physician and anaesthesia associates, 2025, for associate roles); the "
            "equivalences say how much need one post covers, not that one role replaces another.",
        ),
    ]


# --------------------------------------------------------------------------- instances


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
        "schema_version": 2,  # transition.shrink_allowance is a v2 field
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
    """The five instances, by file stem, checked."""
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
    return out


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


def to_json(inst: dict[str, Any]) -> str:
    return json.dumps(inst, indent=2, ensure_ascii=False) + "\n"


def write_all_or_nothing(texts: dict[Path, str]) -> None:
    """Write every file to a temporary file next to it, then rename all into place."""
    temps: list[tuple[Path, Path]] = []
    try:
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; these are ordinary repository files
            temps.append((Path(tmp), path))
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in temps:
        os.replace(tmp, path)


def build_all(out_dir: Path, sources_dir: Path = DEFAULT_SOURCES) -> list[Path]:
    """Read and check the sources, build and check the five instances, then write them to
    ``out_dir`` (all or nothing). Returns the paths written."""
    instances = build_instances(read_sources(Path(sources_dir)))
    texts = {Path(out_dir) / f"{name}.json": to_json(inst) for name, inst in instances.items()}
    write_all_or_nothing(texts)
    return list(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: instances/)")
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="vendored sources folder")
    args = parser.parse_args(argv)
    try:
        paths = build_all(args.out, args.sources)
    except BuildError as err:
        print(f"build.py: error: {err}\nNothing was written.", file=sys.stderr)
        return 2
    for p in paths:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
