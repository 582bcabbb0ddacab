"""The need factors of the need-based instances (docs/model.md §3b): NHS England's component
need indices by programme, the age weights from the ONS projections, deprivation from the
health-inequalities component at NHS England's 20 % blend and rurality at blend 0, with the
``sources`` entries that say where each comes from.

The rules, in words (instances/README.md has the table and the reasons):

* ``need_index`` (the built-in core index, blend 0): NHS England's final core index blends
  every component, the health-inequalities one included; the programme components replace it,
  so it is listed (first in the waterfall) and switched off.
* ``programme_need`` (blend 1): for each programme the component of NHS England's 2025/26
  allocation formula that measures the care its doctors give (:data:`PROGRAMME_COMPONENT`),
  as an index (component weighted population ÷ GP-registered population, England = 1).
  Paediatrics and public health have no component of their own and are left out (value 1).
* ``need_weights`` (the built-in age weights, blend 1): paediatrics' share of children 0-14
  and obstetrics & gynaecology's projected change of the share of women 15-44 since 2025
  (the maternity component already holds the 2025/26 level), both by year from the ONS
  2022-based projections (:data:`NEED_WEIGHT_RULES`).
* ``deprivation`` (blend 0.2): the health-inequalities (avoidable mortality) component index,
  for every programme; NHS England's specialty-post modelling gives deprivation, measured by
  the under-75 standardised mortality ratio, a 20 % weight.
* ``rurality`` (blend 0): 1 + the share of Census 2021 residents in rural LSOAs (ONS RUC 2021),
  for every programme. No published rurality weight for training posts was found
  (rurality/EVIDENCE.md), so it is present, documented and off.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .common import FILES, OGL, OWN, SOURCES_PREFIX, Area, r4

NEED_FACTOR_IDS = ("need_index", "programme_need", "need_weights", "deprivation", "rurality")
BLENDS = {
    "need_index": Fraction(0),
    "programme_need": Fraction(1),
    "need_weights": Fraction(1),
    "deprivation": Fraction(2, 10),  # NHS England (HEE) specialty-post modelling: 20 % for deprivation
    "rurality": Fraction(0),  # no published weight (rurality/EVIDENCE.md)
}
COMPONENT_NAMES = {
    "general_acute": "general and acute",
    "mental_health": "mental health",
    "maternity": "maternity",
    "primary_medical_care": "primary medical care",
}
# Which NHS England component measures each programme's need (None: no component of its own),
# and why; instances/README.md shows this table (written by the build).
PROGRAMME_COMPONENT: dict[str, tuple[str | None, str]] = {
    "accs-emergency-medicine": ("general_acute", "emergency admissions are general and acute care"),
    "anaesthetics": ("general_acute", "theatres and critical care serve acute hospital activity"),
    "clinical-radiology": ("general_acute", "imaging follows hospital activity"),
    "core-psychiatry": ("mental_health", "NHS England's mental health need"),
    "core-surgery": ("general_acute", "surgery is general and acute care"),
    "general-practice": (
        "primary_medical_care",
        "GP utilisation, before its inequalities adjustment (deprivation counts once, below)",
    ),
    "histopathology": ("general_acute", "diagnostics follow hospital activity"),
    "internal-medicine": ("general_acute", "medical admissions are general and acute care"),
    "obstetrics-gynaecology": ("maternity", "NHS England's maternity need"),
    "ophthalmology": ("general_acute", "hospital eye services are general and acute care"),
    "paediatrics": (None, "no children's component: the children share (need_weights) stands for it"),
    "public-health": (None, "population health: head count, with deprivation"),
}
# The built-in need_weights factor of the need-based instances (rules of weights.need_weight).
NEED_WEIGHT_RULES = {"paediatrics": "children", "obstetrics-gynaecology": "women_since_base"}
DEPRIVATION_COMPONENT = "health_inequalities"
HEE_DEPRIVATION_URL = (
    "http://www.hee.nhs.uk/our-work/doctors-training/addressing-health-inequalities-distribution-"
    "medical-specialty-training-programme/addressing-health-inequalities-28"
)


def rurality_value(area: Area) -> Fraction:
    """The rurality factor's value: 1 + the share of residents in rural LSOAs (0-1), so that an
    all-urban area (London, 0 %) has 1 and the factor stays > 0; normalised like every factor."""
    return 1 + area.rural_share


def need_block(areas: list[Area], specialties: list[tuple[str, str]]) -> dict[str, Any]:
    """The ``need`` block (docs/model.md §3b) of a need-based instance, factors in waterfall order."""
    ids = [sid for sid, _ in specialties]
    component = {sid: PROGRAMME_COMPONENT[sid][0] for sid in ids}
    with_component = [sid for sid in ids if component[sid] is not None]
    programme = {
        "id": "programme_need",
        "name": "Programme-specific need (NHS England 2025/26 component indices)",
        "blend": r4(BLENDS["programme_need"]),
        "specialties": with_component,
        "values": [
            {"region": a.id, "specialty": sid, "value": r4(a.components[component[sid] or ""])}
            for a in areas
            for sid in with_component
        ],
        "source": "nhse-need-components-2025-26",
    }
    deprivation = {
        "id": "deprivation",
        "name": "Deprivation (NHS England health-inequalities component, avoidable mortality)",
        "blend": r4(BLENDS["deprivation"]),
        "values": [{"region": a.id, "value": r4(a.components[DEPRIVATION_COMPONENT])} for a in areas],
        "source": "nhse-need-components-2025-26",
    }
    rurality = {
        "id": "rurality",
        "name": "Rurality (1 + share of residents in rural areas, ONS RUC 2021)",
        "blend": r4(BLENDS["rurality"]),
        "values": [{"region": a.id, "value": r4(rurality_value(a))} for a in areas],
        "source": "ons-ruc2021-icb",
    }
    return {
        "factors": [
            {"id": "need_index", "blend": r4(BLENDS["need_index"])},
            programme,
            {"id": "need_weights", "blend": r4(BLENDS["need_weights"])},
            deprivation,
            rurality,
        ]
    }


def need_source_entries(geo: str) -> list[dict[str, str]]:
    """The ``sources`` entries of the need factors; ``geo`` is ``regions``, ``offices`` or ``icbs``."""
    need_file = f"{SOURCES_PREFIX}/{FILES['need_region' if geo == 'regions' else 'need_icb']}"
    office_note = (
        " A local office's indices are the ONS-population-weighted means of its ICBs' indices."
        if geo == "offices"
        else ""
    )
    rural_geo = {
        "regions": "ICBs (April 2024) aggregated to NHS England regions",
        "offices": "ICBs (April 2024) aggregated to local offices",
        "icbs": "ICBs (April 2024)",
    }[geo]
    uses = "; ".join(
        f"{name} for {', '.join(s for s, (c, _) in PROGRAMME_COMPONENT.items() if c == comp)}"
        for comp, name in COMPONENT_NAMES.items()
    )
    return [
        {
            "id": "nhse-need-components-2025-26",
            "table": "ICB allocations 2025/26: component weighted populations (general and acute, mental "
            "health, maternity, primary medical care, health inequalities), summed from GP practices",
            "publisher": "NHS England",
            "year": "2025/26",
            "licence": OGL,
            "kind": "published",
            "used_for": "need.factors: programme_need (by programme), deprivation (health inequalities)",
            "path": need_file,
            "url": "https://www.england.nhs.uk/allocations/",
            "note": "Index of a component = (its weighted population ÷ GP-registered population) ÷ the same "
            "for England; every component's weighted populations sum to the GP-registered population. "
            f"programme_need: {uses}; paediatrics and public health have no component of their own. "
            "deprivation: the health-inequalities component (NHS England's avoidable-mortality weighted "
            "population)." + office_note,
        },
        {
            "id": "hee-deprivation-20pc",
            "table": "Addressing health inequalities: distribution of medical specialty training programme, "
            "'How does the modelling work?'",
            "publisher": "Health Education England (now NHS England WT&E)",
            "year": "2022",
            "licence": OGL,
            "kind": "published",
            "used_for": "need.factors: the blend 0.2 of deprivation",
            "url": HEE_DEPRIVATION_URL,
            "note": "The distribution modelling 'includes a 20% weighting to account for deprivation across "
            "England via the Standardised Mortality Rate (SMR) for 75<'. The health-inequalities component "
            "stands for that SMR measure; its blend is 0.2.",
        },
        {
            "id": "ons-ruc2021-icb",
            "table": "Rural Urban Classification 2021 of LSOAs, residents in rural LSOAs by "
            f"{rural_geo} (Census 2021 usual residents)",
            "publisher": "Office for National Statistics (via the British Red Cross geographr package)",
            "year": "2021",
            "licence": OGL + " (contains OS data © Crown copyright and database right)",
            "kind": "published",
            "used_for": "need.factors: rurality (value 1 + rural share; blend 0)",
            "path": f"{SOURCES_PREFIX}/{FILES['rurality_icb']}",
            "url": "https://geoportal.statistics.gov.uk/datasets/ons::rural-urban-classification-2021-of-lsoas-in-ew/about",
            "note": "Share of residents living in rural LSOAs (England 16.59 %; Cornwall and the Isles of Scilly "
            "54.8 %; London 0 %). Regions and local offices: the Census-resident-weighted mean of their ICBs. "
            "Blend 0: NHS England's ICB funding has two rurality-type cost adjustments (ambulances, remote "
            "small hospitals) and GP training had a rural recruitment scheme (TERS), but no rurality weight "
            "for training posts is published (instances/sources/rurality/EVIDENCE.md).",
        },
        {
            "id": "est-need-factors",
            "table": "Which need component each programme uses; the age weights; the blends",
            "publisher": "this project (instances/build/needfactors.py: PROGRAMME_COMPONENT, NEED_WEIGHT_RULES, "
            "BLENDS)",
            "year": "2025",
            "licence": OWN,
            "kind": "estimated",
            "used_for": "need (the factors, their order and blends); need_weights",
            "note": "Hospital programmes use general and acute need, psychiatry mental health, obstetrics and "
            "gynaecology maternity, general practice primary medical care (the utilisation index, before its "
            "inequalities adjustment, so that deprivation counts once). The core index (need_index) is "
            "listed at blend 0: it blends every component, deprivation included. need_weights: paediatrics "
            "the share of children 0-14, obstetrics and gynaecology the change of the share of women 15-44 "
            "since 2025, by year from the ONS projections (ons-snpp2022). Waterfall order: need_index, "
            "programme_need, need_weights, deprivation, rurality.",
        },
    ]


def programme_table() -> str:
    """The markdown table of which programme uses which component, and why."""
    lines = [
        "| programme | need component (NHS England 2025/26) | age weight (need_weights) | why |",
        "|---|---|---|---|",
    ]
    ages = {"children": "share of children 0-14, by year", "women_since_base": "change of women 15-44 share since 2025"}
    for sid, (comp, why) in PROGRAMME_COMPONENT.items():
        age = ages.get(NEED_WEIGHT_RULES.get(sid, ""), "none")
        lines.append(f"| {sid} | {COMPONENT_NAMES[comp] if comp else 'none'} | {age} | {why} |")
    return "\n".join(lines) + "\n"
