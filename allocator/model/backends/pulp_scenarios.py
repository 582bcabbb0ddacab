"""Scenario members (docs/model.md §12) in the PuLP backend.

The first member's §10 variables and rows are the problem's own (``prob.stock`` ...). Each other
member ω gets its own copies, named ``member<ω>.stock[...]`` and kept in ``prob.members[ω]``
(a dict of the variable dicts and its rows), written by the same functions (``stock_flow``,
``supply_gap``, ``worst_supply``) with the member's pipeline data. The risk term:

    expected  Σ_ω p_ω · L_ω
    worst     risk_u,                     scenario_risk[ω]:  risk_u − L_ω ≥ 0
    cvar      risk_eta + Σ_ω p_ω · risk_v[ω] / (1 − α),
                                          scenario_risk[ω]:  risk_eta + risk_v[ω] − L_ω ≥ 0
"""

from __future__ import annotations

import dataclasses
import itertools

import pulp

from allocator.core.data import ProblemData
from allocator.core.spec import ModelSpec
from allocator.model.backends.pulp_rows import add_row, label

MEMBER_VARIABLES = ("stock", "pool", "stock_total", "supply_short", "supply_surplus", "z_supply")


def _member_variables(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec, w: int) -> dict:
    p = d.pipeline

    def var(name: str, keys, low: float | None = 0) -> dict:
        return {k: prob.add_variable(f"member{w}.{name}[{label(k)}]", lowBound=low) for k in keys}

    rse = list(itertools.product(d.regions, d.specialties, p.years))
    rsa = list(itertools.product(d.regions, d.specialties, p.assess_years))
    return {
        "stock": var("stock", rse, None),
        "pool": var("pool", itertools.product(d.specialties, p.years), None),
        "stock_total": var("stock_total", itertools.product(d.specialties, p.assess_years), None),
        "supply_short": var("supply_short", rsa),
        "supply_surplus": var("supply_surplus", rsa),
        "z_supply": prob.add_variable(f"member{w}.z_supply", lowBound=0) if spec.objective.worst_supply > 0 else None,
    }


def loss(variables: dict, spec: ModelSpec) -> pulp.LpAffineExpression:
    """A member's supply term ``L_ω`` from its variables."""
    w = spec.objective
    terms: dict = {}
    terms.update(dict.fromkeys(variables["supply_short"].values(), w.supply_shortfall))
    terms.update(dict.fromkeys(variables["supply_surplus"].values(), w.supply_surplus))
    if variables["z_supply"] is not None:
        terms[variables["z_supply"]] = w.worst_supply
    return pulp.LpAffineExpression({k: v for k, v in terms.items() if v})


def add_members(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec, builders) -> None:
    """The other members' variables and §10 rows (``builders``: the backend's ``stock_flow``,
    ``supply_gap`` and ``worst_supply``), and the ``scenario_risk`` rows."""
    stock_flow, supply_gap, worst_supply = builders
    sc = d.scenarios
    prob.scenario_set = sc if d.pipeline is not None else None
    if prob.scenario_set is None:
        return
    own = {n: getattr(prob, n) for n in MEMBER_VARIABLES}
    prob.members = [{"variables": own, "rows": prob.rows}]
    rows = prob.rows
    for w in range(1, len(sc.members)):
        dw = dataclasses.replace(d, pipeline=sc.members[w].pipeline, teams=())
        variables = _member_variables(prob, dw, spec, w)
        for name, value in variables.items():
            setattr(prob, name, value)
        prob.rows = {}
        prob.row_prefix = f"member{w}."  # its rows' names, like its variables' (pulp_rows.add_row)
        stock_flow(prob, dw)
        supply_gap(prob, dw)
        worst_supply(prob, dw, spec)
        prob.members.append({"variables": variables, "rows": prob.rows})
    prob.rows = rows
    prob.row_prefix = ""
    for name, value in own.items():
        setattr(prob, name, value)
    if sc.risk == "worst":
        prob.risk_u = prob.add_variable("risk_u", lowBound=0)
    elif sc.risk == "cvar":
        prob.risk_eta = prob.add_variable("risk_eta", lowBound=0)
        prob.risk_v = {m.id: prob.add_variable(f"risk_v[{label((m.id,))}]", lowBound=0) for m in sc.members}
    if sc.risk == "expected":
        return
    for mem, member in zip(sc.members, prob.members, strict=True):
        L = loss(member["variables"], spec)
        lhs = prob.risk_u if sc.risk == "worst" else prob.risk_eta + prob.risk_v[mem.id]
        add_row(prob, "scenario_risk", (mem.id,), lhs - L >= 0)


def risk_terms(prob: pulp.LpProblem, spec: ModelSpec, terms: dict) -> None:
    """Replace the supply terms of ``terms`` (``{variable: cost}``) by the risk measure's (§12)."""
    sc = prob.scenario_set
    for mem, member in zip(sc.members, prob.members, strict=True):
        scale = mem.probability if sc.risk == "expected" else 0.0
        for var, cost in loss(member["variables"], spec).items():
            terms[var] = scale * cost
    if sc.risk == "worst":
        terms[prob.risk_u] = 1.0
    elif sc.risk == "cvar":
        terms[prob.risk_eta] = 1.0
        for mem in sc.members:
            terms[prob.risk_v[mem.id]] = mem.probability / (1 - sc.alpha)
