"""Scenario members (docs/model.md §12) as pipeline arrays: one :class:`PipelineData` per member.

A member's ``pipeline`` overrides the §10 rates and ``mobility`` only: ``specialties[]`` entries
merge onto the base entry of the same specialty field by field; ``settle_rate[]`` and
``fill_rate[]`` entries replace the base entry of the same (region, specialty) and keep the
others; a region's own settle rate beats the specialty's. Its ``population_scale`` factors
multiply the population of the evaluation years after the last planning year (the factor of
year t is that of the region's entry for the latest year ≤ t, 1.0 before the first), so the
member's need shares, fair stocks ``S*`` and ``S̄*`` and ``supply_gini`` follow its population
while the planning years' targets stay the instance's.

Each member's arrays come from :func:`allocator.core.workforce.pipeline_data`, called once per
member with the member's merged data: the one builder of §10's arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocator.core.instance import Instance, PipelineSpecialty, ScenarioMember
from allocator.core.workforce import PipelineData, pipeline_data

RISKS = ("expected", "worst", "cvar")


@dataclass(frozen=True)
class Member:
    """One member scenario: its id, probability and pipeline arrays."""

    id: str
    probability: float
    pipeline: PipelineData


@dataclass(frozen=True)
class ScenarioSet:
    """The ``scenarios`` block as arrays: the risk measure, its level ``alpha`` (``cvar``), and
    the members, the first the central case."""

    risk: str
    alpha: float | None
    members: tuple[Member, ...]

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.members]

    @property
    def probabilities(self) -> np.ndarray:
        return np.array([m.probability for m in self.members], float)


def merged_pipeline(inst: Instance, member: ScenarioMember):
    """``(pipeline, region_settle)``: the instance's pipeline block with the member's rates merged
    in (a :class:`~allocator.core.instance.Pipeline`), and the region settle rates in effect."""
    base = inst.pipeline
    over = member.pipeline
    region_settle = {(e.region, e.specialty): e for e in getattr(base, "settle_rate", None) or []}
    if over is None:
        return base, list(region_settle.values())
    specs = {ps.specialty: ps for ps in base.specialties}
    for ps in over.specialties:
        given = {k: v for k, v in ps.model_dump(exclude={"specialty"}).items() if v is not None}
        old = specs.get(ps.specialty) or PipelineSpecialty(specialty=ps.specialty)
        specs[ps.specialty] = old.model_copy(update=given)
    fill = {(f.region, f.specialty): f for f in base.fill_rate}
    fill |= {(f.region, f.specialty): f for f in over.fill_rate}
    region_settle |= {(e.region, e.specialty): e for e in over.settle_rate}
    update = {"specialties": list(specs.values()), "fill_rate": list(fill.values())}
    if over.mobility is not None:
        update["mobility"] = over.mobility
    return base.model_copy(update=update), list(region_settle.values())


def population_scale(inst: Instance, member: ScenarioMember, years: list[int]) -> np.ndarray | None:
    """(R, E) the member's factors on the population of each evaluation year, or ``None``."""
    if not member.population_scale:
        return None
    ri = {r: i for i, r in enumerate(inst.region_ids)}
    scale = np.ones((len(ri), len(years)))
    ordered = sorted(member.population_scale, key=lambda e: e.year)
    for e in ordered:  # later entries overwrite from their year on
        scale[ri[e.region], np.asarray(years) >= e.year] = e.factor
    return scale


def member_pipeline(inst: Instance, d, member: ScenarioMember) -> PipelineData:
    """The pipeline arrays of one member (``d``: the instance's ProblemData)."""
    pipe, region_settle = merged_pipeline(inst, member)
    years = list(range(d.years[0], inst.pipeline.horizon_year + 1))
    return pipeline_data(
        inst.model_copy(update={"pipeline": pipe}), d, region_settle, population_scale(inst, member, years)
    )


def scenario_data(inst: Instance, d) -> ScenarioSet | None:
    """The ``scenarios`` block of ``inst`` as a :class:`ScenarioSet` (``None`` without one)."""
    sc = inst.scenarios
    if sc is None or inst.pipeline is None:
        return None
    members = tuple(Member(m.id, m.probability, member_pipeline(inst, d, m)) for m in sc.members)
    return ScenarioSet(sc.risk, sc.alpha, members)
