"""The PuLP backend's families of docs/model.md §10 (pipeline) and §11 (teams).

The same LP as the direct backend's ``highs_workforce`` (the reference), written one readable
function per family. Variables and rows added to the problem of
:mod:`allocator.model.backends.pulp`, keyed by real ids (regions, specialties and teams by
id, every year by the year itself):

=================================  ==========================================================
attribute of the problem           meaning
=================================  ==========================================================
``prob.stock[(r, s, e)]``          the trained workforce S of evaluation year e (``y_1 … H_E``)
``prob.pool[(s, e)]``              ``P = Σ_r' C[r',s,e]``, the completions of England
``prob.stock_total[(s, a)]``       ``Σ_r' S[r',s,a]``, the national stock of an assessed year
``prob.supply_short[(r, s, a)]``,  stock below / above its fair share ``S*``, assessed years a
``prob.supply_surplus``
``prob.z_supply``                  the worst supply shortfall ``z_S`` in % (``None`` unless
                                   a pipeline and its weight > 0)
``prob.team_short[(g, r, t)]``,    team capacity below / above its fair share, for each team,
``prob.team_surplus``              region and year of the team
``prob.rows[name][key]``           rows ``stock_flow[(r, s, e)]``, ``stock_flow_pool[(s, e)]``,
                                   ``supply_gap[(r, s, a)]``, ``supply_gap_total[(s, a)]``,
                                   ``worst_supply[(r, s, a)]``,
                                   ``team_gap[(g, r, t)]``, ``team_mix[(g, s, r, t)]``
=================================  ==========================================================

``stock``, ``pool`` and ``stock_total`` are free (no bounds), as in the direct backend: they
are sums of non-negative terms in ``x >= 0``, so a bound 0 would never bind, and without it the
§6b tie-break's QP has fewer inequalities. Every other variable is ``>= 0``.

Without a ``pipeline`` block (or ``teams``) these dicts are empty. The data are those of
``d.pipeline`` (:class:`~allocator.core.workforce.PipelineData`) and ``d.teams``.

Example: a constraint of your own on the stocks (the middle holds at least 210 trained GPs in
2032), added before solving::

    from allocator.model.backends.base import SolveOptions
    from allocator.model.backends.pulp import build_model, solve_model

    prob = build_model(d, spec)
    prob += prob.stock[("middle", "gp", 2032)] >= 210, "gp_middle"
    raw = solve_model(prob, SolveOptions())
    print(prob.stock[("middle", "gp", 2032)].varValue, prob.get_constraint_by_name("gp_middle").pi)
"""

from __future__ import annotations

import itertools

import numpy as np
import pulp

from allocator.core.data import ProblemData
from allocator.core.spec import ModelSpec
from allocator.model.backends.pulp_rows import add_row, label
from allocator.model.backends.pulp_scenarios import add_members, risk_terms

# ------------------------------------------------------------------------------ variables


def workforce_variables(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec) -> None:
    """The variables of §10 and §11, as dicts keyed by real ids.

    ``stock[(r,s,e)]`` and ``pool[(s,e)]`` for each evaluation year e, ``stock_total[(s,a)]``
    for each assessed year a (these three free: sums of non-negative terms of x);
    ``supply_short``, ``supply_surplus[(r,s,a)]``, ``>= 0``; ``z_supply`` only if the weight
    ``worst_supply`` is positive (else ``None``); ``team_short``, ``team_surplus[(g,r,t)]``
    for each team, region and year of the team.
    """

    def nonnegative(name: str, keys, low: float | None = 0) -> dict:
        return {k: prob.add_variable(f"{name}[{label(k)}]", lowBound=low) for k in keys}

    p = d.pipeline
    years = [] if p is None else p.years
    assessed = [] if p is None else p.assess_years
    prob.stock = nonnegative("stock", itertools.product(d.regions, d.specialties, years), low=None)
    prob.pool = nonnegative("pool", itertools.product(d.specialties, years), low=None)
    prob.stock_total = nonnegative("stock_total", itertools.product(d.specialties, assessed), low=None)
    prob.supply_short = nonnegative("supply_short", itertools.product(d.regions, d.specialties, assessed))
    prob.supply_surplus = nonnegative("supply_surplus", itertools.product(d.regions, d.specialties, assessed))
    with_z = p is not None and spec.objective.worst_supply > 0
    prob.z_supply = prob.add_variable("z_supply", lowBound=0) if with_z else None
    team_cells = [(t.id, r, y) for t in d.teams for r in d.regions for y in t.years]
    prob.team_short = nonnegative("team_short", team_cells)
    prob.team_surplus = nonnegative("team_surplus", team_cells)


# ------------------------------------------------------------------------------ expressions


def intake_completions(prob: pulp.LpProblem, d: ProblemData, i: int, j: int, e: int) -> pulp.LpAffineExpression:
    """``f[r,s] · Σ_t K[s,e,t] · x[r,s,t]``: completions of evaluation year e (index) from the
    planned posts (the baseline's, ``C0``, are data)."""
    p = d.pipeline
    r, s = d.regions[i], d.specialties[j]
    return pulp.LpAffineExpression(
        {
            prob.x[r, s, t]: float(p.fill[i, j] * p.kernel[j, e, k])
            for k, t in enumerate(d.years)
            if p.kernel[j, e, k] != 0
        }
    )


def team_capacity(prob: pulp.LpProblem, d: ProblemData, team, i: int, k: int) -> pulp.LpAffineExpression:
    """``E[r,g,t] = Σ_m e_m · x[r,m,t]`` (``e_m · stock[r,m,t]`` for a team ``on`` the stock),
    for region index ``i`` and year index ``k`` of the team."""
    X = prob.stock if team.on == "stock" else prob.x
    r, t = d.regions[i], team.years[k]
    terms: dict = {}
    for s, e in zip(team.members, team.equivalence, strict=True):
        var = X[r, d.specialties[s], t]
        terms[var] = terms.get(var, 0.0) + float(e)
    return pulp.LpAffineExpression(terms)


# ------------------------------------------------------------- constraint families (§10, §11)


def stock_flow(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """The trained workforce of a year: last year's, less leavers, plus the joiners.

    ::

        stock[r,s,e] − (1 − ℓ_s) · stock[r,s,e−1] − own[r,s,e] · f[r,s] · Σ_t K[s,e,t] · x[r,s,t]
            − pooled[r,s,e] · pool[s,e]
          = own[r,s,e] · C0[r,s,e]  (+ (1 − ℓ_s) · stock_before[r,s] in the first year)
                                                              for each r, s, evaluation year e
        pool[s,e] − Σ_r f[r,s] · Σ_t K[s,e,t] · x[r,s,t] = Σ_r C0[r,s,e]
                                                              for each s, evaluation year e

    with ``(own, pooled)`` of ``PipelineData.joiner_coefficients`` (``A = own · C + pooled · P``).

    Parameters
    ----------
    prob : the problem; gets rows ``prob.rows["stock_flow"][(r, s, e)]`` and
        ``prob.rows["stock_flow_pool"][(s, e)]``.
    d : the instance as arrays (only with a pipeline).
    """
    p = d.pipeline
    if p is None:
        return
    own, pooled = p.joiner_coefficients()
    for (i, r), (j, s), (e, y) in itertools.product(enumerate(d.regions), enumerate(d.specialties), enumerate(p.years)):
        keep = 1.0 - float(p.leave[j])
        lhs = prob.stock[r, s, y] - float(own[i, j, e]) * intake_completions(prob, d, i, j, e)
        rhs = float(own[i, j, e] * p.base_completions[i, j, e])
        if e == 0:
            rhs += keep * float(p.stock_before[i, j])
        else:
            lhs -= keep * prob.stock[r, s, p.years[e - 1]]
        if pooled[i, j, e] != 0:
            lhs -= float(pooled[i, j, e]) * prob.pool[s, y]
        add_row(prob, "stock_flow", (r, s, y), lhs == rhs)
    for (j, s), (e, y) in itertools.product(enumerate(d.specialties), enumerate(p.years)):
        weight = p.pool_weight()[:, j]
        made = pulp.lpSum(float(weight[i]) * intake_completions(prob, d, i, j, e) for i in range(len(d.regions)))
        rhs = float((weight * p.base_completions[:, j, e]).sum())
        add_row(prob, "stock_flow_pool", (s, y), prob.pool[s, y] - made == rhs)


def supply_gap(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Distance of the stock to its fair share of the national stock.

    ::

        stock[r,s,a] − share[r,s,a] · stock_total[s,a] − supply_surplus[r,s,a] + supply_short[r,s,a] = 0
                                                              for each r, s, assessed year a
        stock_total[s,a] − Σ_r stock[r,s,a] = 0                for each s, assessed year a

    ``stock_total`` holds the national stock once per specialty and year, so that the fair
    stock ``S* = share · Σ_r' S`` does not put R terms in every row.

    Parameters
    ----------
    prob : the problem; gets rows ``prob.rows["supply_gap"][(r, s, a)]`` and
        ``prob.rows["supply_gap_total"][(s, a)]``.
    d : the instance as arrays (only with a pipeline).
    """
    p = d.pipeline
    if p is None:
        return
    for (i, r), (j, s), e in itertools.product(enumerate(d.regions), enumerate(d.specialties), p.assess):
        a = p.years[e]
        gap = prob.stock[r, s, a] - float(p.share[i, j, e]) * prob.stock_total[s, a]
        row = gap - prob.supply_surplus[r, s, a] + prob.supply_short[r, s, a] == 0
        add_row(prob, "supply_gap", (r, s, a), row)
    for s, e in itertools.product(d.specialties, p.assess):
        a = p.years[e]
        national = pulp.lpSum(prob.stock[r, s, a] for r in d.regions)
        add_row(prob, "supply_gap_total", (s, a), prob.stock_total[s, a] - national == 0)


def worst_supply(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec) -> None:
    """``z_supply`` is at least every cell's supply shortfall, in % of its fair stock S̄*.

    ::

        100 · supply_short[r,s,a] − S̄*[r,s,a] · z_supply <= 0   for each r, s, assessed a with S̄* > 0

    Only with a pipeline and if the weight ``worst_supply`` is positive. ``S̄*`` is data (the
    fair stock when every planning year holds T̄), so the row stays linear.

    Parameters
    ----------
    prob : the problem; gets rows ``prob.rows["worst_supply"][(r, s, a)]``.
    d : the instance as arrays.
    spec : the model file (the weight ``worst_supply``).
    """
    p = d.pipeline
    if p is None or prob.z_supply is None:
        return
    for (i, r), (j, s), e in itertools.product(enumerate(d.regions), enumerate(d.specialties), p.assess):
        bar = float(p.fair_stock_bar[i, j, e])
        if bar > 0:
            a = p.years[e]
            add_row(prob, "worst_supply", (r, s, a), 100 * prob.supply_short[r, s, a] - bar * prob.z_supply <= 0)


def team_gap(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Distance of a region's team capacity to its fair share.

    ::

        E[r,g,t] − share_g[r,t] · Σ_r' E[r',g,t] − team_surplus[g,r,t] + team_short[g,r,t] = 0
                                                              for each team g, r, year t of g

    with ``E[r,g,t] = Σ_m e_m · x[r,m,t]`` (``e_m · stock[r,m,t]`` for a team ``on`` the stock).

    Parameters
    ----------
    prob : the problem; gets rows ``prob.rows["team_gap"][(g, r, t)]``.
    d : the instance as arrays (only with teams).
    """
    R = len(d.regions)
    for team in d.teams:
        for (i, r), (k, t) in itertools.product(enumerate(d.regions), enumerate(team.years)):
            national = pulp.lpSum(team_capacity(prob, d, team, q, k) for q in range(R))
            gap = team_capacity(prob, d, team, i, k) - float(team.share[i, k]) * national
            key = (team.id, r, t)
            add_row(prob, "team_gap", key, gap - prob.team_surplus[key] + prob.team_short[key] == 0)


def team_mix(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A member provides at most its ``max_share`` of the team capacity.

    ::

        e_m · X[r,m,t] − max_share_m · E[r,g,t] <= 0      for each member m of g with a max_share,
                                                          each r and year t of g

    ``X`` is ``x``, or ``stock`` for a team ``on`` the stock.

    Parameters
    ----------
    prob : the problem; gets rows ``prob.rows["team_mix"][(g, s, r, t)]`` (team, member
        specialty, region, year).
    d : the instance as arrays (only with teams).
    """
    for team in d.teams:
        X = prob.stock if team.on == "stock" else prob.x
        for m in np.flatnonzero(np.isfinite(team.max_share)):
            s, e, cap = d.specialties[team.members[m]], float(team.equivalence[m]), float(team.max_share[m])
            for (i, r), (k, t) in itertools.product(enumerate(d.regions), enumerate(team.years)):
                row = e * X[r, s, t] - cap * team_capacity(prob, d, team, i, k) <= 0
                add_row(prob, "team_mix", (team.id, s, r, t), row)


# ----------------------------------------------------------------------------- objective


def workforce_objective(prob: pulp.LpProblem, spec: ModelSpec) -> dict:
    """The terms of §10 and §11 added to the objective of §6, as ``{variable: cost}``::

    supply_shortfall · Σ supply_short + supply_surplus · Σ supply_surplus
      + worst_supply · z_supply + team_shortfall · Σ team_short + team_surplus · Σ team_surplus
    """
    w = spec.objective
    terms: dict = {}
    for variables, weight in (
        (prob.supply_short, w.supply_shortfall),
        (prob.supply_surplus, w.supply_surplus),
        (prob.team_short, w.team_shortfall),
        (prob.team_surplus, w.team_surplus),
    ):
        terms.update(dict.fromkeys(variables.values(), weight))
    if prob.z_supply is not None:
        terms[prob.z_supply] = w.worst_supply
    if getattr(prob, "scenario_set", None) is not None:  # §12: the risk measure's terms instead
        risk_terms(prob, spec, terms)
    return terms


def scenario_risk(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec) -> None:
    """§12: the other members' §10 rows, and the risk rows (``model.backends.pulp_scenarios``)."""
    add_members(prob, d, spec, (stock_flow, supply_gap, worst_supply))
