"""Scenario members (docs/model.md §12) in the Pyomo backend.

The first member's §10 components are the model's own (``m.stock`` ...). Each other member ω
gets a block ``m.member[ω]`` holding its own copies, built by the same functions
(``workforce_components``, ``stock_flow``, ``supply_gap``, ``worst_supply``) with the member's
pipeline data; the block's ``x`` is a reference to the model's posts. The risk term:

    expected  Σ_ω p_ω · L_ω
    worst     risk_u,                     scenario_risk[ω]:  risk_u − L_ω ≥ 0
    cvar      risk_eta + Σ_ω p_ω · risk_v[ω] / (1 − α),
                                          scenario_risk[ω]:  risk_eta + risk_v[ω] − L_ω ≥ 0

with ``L_ω`` the member's supply term (``pyomo_workforce.supply_term``).
"""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo

from allocator.core.data import ProblemData
from allocator.core.spec import ModelSpec


def add_members(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec, wf) -> None:
    """The other members' blocks and the ``scenario_risk`` rows (only with scenarios); ``wf``:
    the module of the backend's §10 builders (``pyomo_workforce``)."""
    sc = d.scenarios
    if sc is None or d.pipeline is None:
        m.scenario_set = None
        return
    m.scenario_set = sc
    m.scenario_ids = pyo.Set(initialize=sc.ids, ordered=True)
    blocks = [m]
    m.member = pyo.Block(range(1, len(sc.members)))
    for w in range(1, len(sc.members)):
        b = m.member[w]
        dw = dataclasses.replace(d, pipeline=sc.members[w].pipeline, teams=())
        b.R = pyo.Set(initialize=list(m.R), ordered=True)
        b.S = pyo.Set(initialize=list(m.S), ordered=True)
        b.T = pyo.Set(initialize=list(m.T), ordered=True)
        b.x = pyo.Reference(m.x)
        wf.workforce_components(b, dw, spec)
        wf.stock_flow(b, dw)
        wf.supply_gap(b, dw)
        wf.worst_supply(b, dw, spec)
        blocks.append(b)
    m.scenario_blocks = blocks
    if sc.risk == "expected":
        return
    losses = {sc.ids[w]: wf.supply_term(b, spec) for w, b in enumerate(blocks)}
    if sc.risk == "worst":
        m.risk_u = pyo.Var(within=pyo.NonNegativeReals)
        m.scenario_risk = pyo.Constraint(m.scenario_ids, rule=lambda m, i: m.risk_u - losses[i] >= 0)
    else:
        m.risk_eta = pyo.Var(within=pyo.NonNegativeReals)
        m.risk_v = pyo.Var(m.scenario_ids, within=pyo.NonNegativeReals)
        m.scenario_risk = pyo.Constraint(m.scenario_ids, rule=lambda m, i: m.risk_eta + m.risk_v[i] - losses[i] >= 0)


def risk_term(m: pyo.ConcreteModel, spec: ModelSpec, supply_term):
    """The objective's risk term (§12); ``supply_term`` gives ``L_ω`` of a member's block."""
    sc = m.scenario_set
    if sc.risk == "worst":
        return m.risk_u
    if sc.risk == "cvar":
        return m.risk_eta + sum(mem.probability * m.risk_v[mem.id] for mem in sc.members) / (1 - sc.alpha)
    return sum(mem.probability * supply_term(b, spec) for mem, b in zip(sc.members, m.scenario_blocks, strict=True))
