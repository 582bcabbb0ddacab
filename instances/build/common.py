"""Shared by every source module: paths, the vendored files, errors, exact arithmetic and the
areas (:class:`Area`) and checked sources (:class:`Sources`) the instances are built from."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import pandas as pd

from allocator.apportion.divisors import divisor

HERE = Path(__file__).resolve().parents[1]  # instances/
DEFAULT_SOURCES = HERE / "sources"
SOURCES_PREFIX = "instances/sources"  # how vendored files are named inside the instances

K = TypeVar("K")

# The baseline year and the planning years of every instance.
BASELINE_YEAR = 2025
PLANNING_YEARS = [2026, 2027, 2028, 2029, 2030]

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
    "rurality_icb": "rurality/rurality_icb24_england.csv",
}


OGL = "Open Government Licence v3.0"
OPL = "Open Parliament Licence v3.0"
OWN = "MIT (this project's rule), applied to the data of the published entries under their licences"


# --------------------------------------------------------------------------- errors and I/O


class BuildError(Exception):
    """A source file is missing or fails a check; the message names the file and the check."""


def show(path: Path | str) -> str:
    if isinstance(path, str):
        return path
    try:
        return str(path.resolve().relative_to(HERE.parent))
    except ValueError:
        return str(path)


def check(ok: bool, path: Path | str, what: str, detail: str = "") -> None:
    """Fail the build with ``<file>: check failed: <what> (<detail>)`` unless ``ok``."""
    if not ok:
        msg = f"{show(path)}: check failed: {what}"
        raise BuildError(msg + (f" ({detail})" if detail else ""))


def read_rows(sources_dir: Path, key: str, columns: Iterable[str]) -> tuple[Path, list[dict]]:
    """The rows of a vendored CSV file, after checking it exists and has ``columns``."""
    path = sources_dir / FILES[key]
    if not path.is_file():
        raise BuildError(
            f"{show(path)}: missing source file (the build reads only the files vendored in "
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
        raise BuildError(f"{show(path)}: check failed: column {column} is a number (got {row.get(column)!r})") from None


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
    # NHS England 2025/26 component need indices (England = 1), by component (need.COMPONENTS)
    components: dict[str, Fraction] = dc_field(default_factory=dict)
    # ONS RUC 2021: Census 2021 usual residents, and their share living in rural LSOAs (0-1)
    residents_2021: int = 0
    rural_share: Fraction = Fraction(0)

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


Projection = dict[int, tuple[Fraction, Fraction, Fraction]]


def resident_weighted(members: list[Area]) -> Fraction:
    """The rural share of a group of ICBs: their rural shares weighted by Census 2021 residents."""
    residents = sum(a.residents_2021 for a in members)
    return sum((a.residents_2021 * a.rural_share for a in members), Fraction(0)) / residents
