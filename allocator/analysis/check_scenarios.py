"""The checker's scenarios (docs/model.md §12), recomputed from the instance and the posts alone.

Each member's pipeline is the instance's with the member's overrides, merged by the contract's
rules restated here: a ``pipeline.specialties[]`` entry of the member replaces the rates it
gives (completion, settle, join, leave) of that specialty and keeps the others; its
``fill_rate[]`` and ``settle_rate[]`` entries replace those of their (region, specialty); a
region's own settle rate beats the specialty's; ``mobility`` if given. A ``population_scale``
entry multiplies the population of its region from its year on (the latest entry ≤ the year
applies; 1.0 before the first), in every use: need shares, fair stocks, ``S̄*``, supply Gini.

For each member ω, from x: the stocks ``S_ω`` and fair stocks ``S*_ω`` (the checker's own
recursion, ``check_workforce.Workforce.forward``), ``L_ω = supply_shortfall · Σ max(0, S*_ω −
S_ω) + supply_surplus · Σ max(0, S_ω − S*_ω) + worst_supply · max 100 · max(0, S*_ω − S_ω) /
S̄*_ω`` over the assessed years; the risk term ``Σ p_ω L_ω`` (expected), ``max L_ω`` (worst)
or ``min over η of η + Σ p_ω max(0, L_ω − η) / (1 − α)`` (cvar; the minimum lies at one of the
``L_ω``, all of which are tried).

Checks: ``scenarios`` (a solved result with a scenarios block carries one entry per member, in
order, with its id and probability, and ``supply_kpis`` equal to the member's recomputed §10
measures; ``risk`` equal to the recomputed risk term); the objective (``check``) uses the risk
term in place of the §10 supply terms.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from allocator.io.results import close_to, fmt_number, is_number


def _member(base, member):
    """A copy of the checker's workforce ``base`` with ``member``'s overrides applied."""
    wf = copy.copy(base)
    tb = base.tb
    for name in ("completion", "settle", "join", "leave", "fill", "population", "settle_by_region"):
        setattr(wf, name, getattr(base, name).copy())
    over = member.pipeline
    if over is not None:
        if over.mobility is not None:
            wf.mobility = over.mobility
        for ps in over.specialties:
            j = tb.si[ps.specialty]
            for field, attr in (("completion_rate", "completion"), ("join_rate", "join"), ("leave_rate", "leave")):
                if getattr(ps, field) is not None:
                    getattr(wf, attr)[j] = getattr(ps, field)
            if ps.settle_rate is not None:
                wf.settle[j] = ps.settle_rate
        for f in over.fill_rate:
            wf.fill[tb.ri[f.region], tb.si[f.specialty]] = f.rate
    # σ[r,s]: the specialty's (as merged) unless the instance's or the member's region entry says
    wf.settle_by_region = np.repeat(wf.settle[np.newaxis, :], len(tb.regions), axis=0)
    own = list(getattr(tb.inst.pipeline, "settle_rate", None) or []) + list(over.settle_rate if over else [])
    for e in own:
        wf.settle_by_region[tb.ri[e.region], tb.si[e.specialty]] = e.rate
    for e in sorted(member.population_scale, key=lambda e: e.year):
        for u in wf.years:
            if u >= e.year:
                wf.population[tb.ri[e.region], wf.ei[u]] = base.population[tb.ri[e.region], wf.ei[u]] * e.factor
    return wf


def _loss(wf, supply, w) -> float:
    cols = [wf.ei[u] for u in wf.assess]
    stock, fair = supply["stock"][:, :, cols], supply["fair_stock"][:, :, cols]
    short = np.maximum(0.0, fair - stock)
    value = w.supply_shortfall * short.sum() + w.supply_surplus * np.maximum(0.0, stock - fair).sum()
    if w.worst_supply > 0:
        bar = wf.forward(wf.tb.target_bar)["fair_stock"][:, :, cols]
        positive = bar > 0
        value += w.worst_supply * float(np.max(100.0 * short[positive] / bar[positive], initial=0.0))
    return float(value)


def _risk(risk: str, alpha: float | None, losses: np.ndarray, p: np.ndarray) -> float:
    if risk == "worst":
        return float(losses.max())
    if risk == "cvar":
        return min(float(eta + p @ np.maximum(0.0, losses - eta) / (1.0 - alpha)) for eta in losses)
    return float(p @ losses)


class ScenarioChecks:
    """The checks of the module docstring, as methods of the checker (``self.tb``, ``self.wf``,
    ``self.add``, ``self.rtol`` come from it)."""

    scenario_supply: list | None = None

    def recompute_scenarios(self, x: np.ndarray) -> None:
        """Each member's workforce, supply and §10 measures for the posts ``x``."""
        sc = self.tb.inst.scenarios
        if sc is None or self.wf is None or not self.wf.has_pipeline:
            return
        self.scenario_supply = []
        for member in sc.members:
            wf = _member(self.wf, member)
            supply = wf.forward(x)
            self.scenario_supply.append((member, wf, supply, wf.supply_measures(supply)))

    def scenario_risk(self, w) -> tuple[float, str]:
        """The risk term of the members' supply terms under the weights ``w``, and the terms."""
        sc = self.tb.inst.scenarios
        losses = np.array([_loss(wf, supply, w) for _, wf, supply, _ in self.scenario_supply])
        p = np.array([m.probability for m in sc.members])
        text = ", ".join(f"{m.id} {fmt_number(v)}" for m, v in zip(sc.members, losses, strict=True))
        return _risk(sc.risk, sc.alpha, losses, p), text

    def check_scenario_rows(self, data: dict[str, Any], solved: bool, model) -> None:
        """``scenarios`` and ``risk`` of a solved result against their recomputed values."""
        sc = self.tb.inst.scenarios
        if sc is None or not solved or self.scenario_supply is None:
            return
        rows = data.get("scenarios")
        if not isinstance(rows, list) or len(rows) != len(sc.members):
            self.add("scenarios", 1.0, f"scenarios: the result must list the {len(sc.members)} members (§9, §12)")
            return
        for row, (member, _, _, kpis) in zip(rows, self.scenario_supply, strict=True):
            if not isinstance(row, dict) or row.get("id") != member.id or row.get("probability") != member.probability:
                self.add(
                    "scenarios", 1.0, f"scenarios: expected member {member.id!r} with probability {member.probability}"
                )
                continue
            reported = {r.get("year"): r for r in row.get("supply_kpis") or [] if isinstance(r, dict)}
            for year, measures in kpis.items():
                for name, value in measures.items():
                    got = reported.get(year, {}).get(name)
                    if not is_number(got) or not close_to(got, value, self.rtol):
                        self.add(
                            "scenarios",
                            abs(got - value) if is_number(got) else 1.0,
                            f"scenarios: {name} of member {member.id!r} in {year}: reported {got!r}, "
                            f"recomputed {fmt_number(value)}",
                        )
        if model is not None:
            value, _ = self.scenario_risk(model.objective)
            got = data.get("risk")
            if not is_number(got) or not close_to(got, value, self.rtol):
                self.add("scenarios", 1.0, f"risk: reported {got!r}, recomputed {fmt_number(value)}")
