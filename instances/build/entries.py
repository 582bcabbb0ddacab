"""The ``sources`` entries of the posts instances: what is published and what is estimated."""

from __future__ import annotations

from .common import BASELINE_YEAR, FILES, OGL, OPL, OWN, SOURCES_PREFIX, Sources
from .posts import MIN_UK_POSTS, SPECIALTY_YEAR, england_share

SOURCE_FIELDS = ("id", "table", "publisher", "year", "licence", "kind", "used_for", "path", "url")


def entry(path_key: str | None = None, **fields: str) -> dict[str, str]:
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
        entry(
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
        entry(
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
        entry(
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
            entry(
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
        entry(
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
        entry(
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
        entry(
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
        entry(
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
        entry(
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
        entry(
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
        entry(
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
        entry(
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
