"""Training posts: UK CT1/ST1 posts by specialty (secondary source), the England level-one
total (HL7476) and paediatrics ST1 by local office (HL7483); the specialties kept and the
national (England) totals."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from .common import Sources, check, num, read_rows, round_half_up
from .geography import LOCAL_OFFICES

UK_POSTS_2024 = 9_331  # CT1/ST1 Round 1 posts over the 17 specialties (posts/PROVENANCE.md §3)
UK_APPLICATIONS_2024 = 49_905
ENGLAND_LEVEL_ONE_POSTS_2024 = 7_929  # HL7476 (posts/regional/PROVENANCE.md, S5)
PAEDIATRICS_ST1_ENGLAND = {"2023": 417, "2024": 412}  # HL7483


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

# Paediatrics ST1 has a published split by local office; its baseline is the latest round.
PAEDIATRICS_BASELINE_ROUND = "2024"
# The historical skew used for every other specialty: paediatrics ST1, these rounds pooled.
SKEW_ROUNDS = ("2023", "2024")


def read_uk_posts(sources_dir: Path) -> dict[str, dict[str, int]]:
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


def read_stated_totals(sources_dir: Path) -> int:
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


def read_paediatrics(sources_dir: Path) -> dict[str, dict[str, int]]:
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
