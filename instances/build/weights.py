"""Specialty need weights ``w[r,s]`` (docs/model.md §3): the age-based weights from the ONS
estimates and projections, and general practice's primary-medical-care weight."""

from __future__ import annotations

from fractions import Fraction

from .common import Area

# Specialty need weights w[r,s] (docs/model.md §3); a specialty not named here has w = 1.
WEIGHT_RULES = {
    "paediatrics": "children",  # share of children 0-14 in r ÷ share in England
    "obstetrics-gynaecology": "women",  # share of women 15-44 in r ÷ share in England
    "general-practice": "pmc",  # primary medical care need index ÷ core need index
}
# The age-based rules get one need weight per year from the ONS projections (need_weights[].year);
# the weight without a year (mid-2022 estimates) stays as the fallback.
YEARLY_RULES = ("children", "women", "women_since_base")
# "women_since_base" (the need-based instances, where NHS England's maternity component sets the
# level): the projected change of the women 15-44 share since this year; 1 without a year.
AGE_BASE_YEAR = 2025


def need_weight(rule: str, area: Area, areas: list[Area], year: int | None = None) -> Fraction:
    """w[r,s] for a weight rule (WEIGHT_RULES); shares are relative to all ``areas`` (England).

    Without ``year``: from the ONS mid-2022 estimates. With ``year``: from the ONS 2022-based
    projection of that year (unrounded), the same rule: share of the group in the area ÷ share
    in England. ``women_since_base``: the ``women`` weight of ``year`` ÷ that of
    :data:`AGE_BASE_YEAR` (the change of the age structure since then; 1 without a year)."""
    if rule == "pmc":
        return area.pmc_index / area.need_index
    if rule == "women_since_base":
        if year is None:
            return Fraction(1)
        return need_weight("women", area, areas, year) / need_weight("women", area, areas, AGE_BASE_YEAR)
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
