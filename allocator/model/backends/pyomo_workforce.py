"""The Pyomo backend's families of docs/model.md §10 (pipeline) and §11 (teams).

The same LP as the direct backend's ``highs_workforce`` (the reference), written one readable
function per family. Components added to the model of :mod:`allocator.model.backends.pyomo`
(indexed by real ids: regions and specialties by id, every year by the year itself, teams by
their id):

============================  =================================================================
component                     meaning
============================  =================================================================
``m.E``, ``m.A``              evaluation years ``y_1 … H_E`` and assessed years (ordered Sets)
``m.leave[s]``                ``ℓ_s``, share of the stock leaving each year
``m.fill[r,s]``               fill rate ``f[r,s]``
``m.kernel[s,e,t]``           ``K[s,e,t]``: completions in year e per filled post of planning
                              year t (only non-zero entries)
``m.base_completions[r,s,e]`` ``C0``: completions from the baseline intake
``m.stock_before[r,s]``       the stock in the year before ``y_1``
``m.own[r,s,e]``,             joiners ``A = own · C + pooled · P``
``m.pooled[r,s,e]``           (``PipelineData.joiner_coefficients``)
``m.stock_share[r,s,e]``      need share ``D / Σ_r' D`` of an evaluation year
``m.fair_stock_bar[r,s,a]``   ``S̄*``, the fair stock when every planning year holds T̄ (data)
``m.stock[r,s,e]``            the trained workforce S of evaluation year e
``m.pool[s,e]``               ``P = Σ_r' C[r',s,e]``, the completions of England
``m.stock_total[s,a]``        ``Σ_r' S[r',s,a]``, the national stock of an assessed year
``m.supply_short``,           stock below / above its fair share ``S*``, each ``[r, s, a]``
``m.supply_surplus``
``m.z_supply``                the worst supply shortfall ``z_S`` in % (only if its weight > 0)
``m.G``                       team ids (ordered Set)
``m.members[g, s]``           (team, member specialty) pairs; ``m.equivalence[g, s]`` ``e_m``,
                              ``m.max_share[g, s]`` (only members with one), ``m.team_on[g]``
                              (``"posts"`` or ``"stock"``)
``m.team_cells``              ``(g, r, t)`` for each team, region and year of the team
``m.team_share[g, r, t]``     ``D_g / Σ_r' D_g``
``m.team_short``,             team capacity below / above its fair share, each ``[g, r, t]``
``m.team_surplus``
============================  =================================================================

``stock``, ``pool`` and ``stock_total`` are free (``Reals``), as in the direct backend: they are
sums of non-negative terms in ``x >= 0``, so a bound 0 would never bind, and without it the
§6b tie-break's QP has fewer inequalities. Every other variable is ``>= 0``.

Without a ``pipeline`` block the pipeline Sets are empty and its variables have no index;
without ``teams`` likewise. Each family adds no component when it has no rows.

Example: a constraint of your own on the stocks (the middle holds at least 210 trained GPs in
2032), added before solving::

    import pyomo.environ as pyo
    from allocator.model.backends.base import SolveOptions
    from allocator.model.backends.pyomo import build_model, solve_model

    m = build_model(d, spec)
    m.gp_middle = pyo.Constraint(expr=m.stock["middle", "gp", 2032] >= 210)
    raw = solve_model(m, SolveOptions())
    print(pyo.value(m.stock["middle", "gp", 2032]), m.dual[m.gp_middle])
"""

from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo

from allocator.core.data import ProblemData
from allocator.core.spec import ModelSpec
from allocator.model.backends.pyomo_scenarios import add_members, risk_term

# ---------------------------------------------------------------------- data and variables


def workforce_components(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec) -> None:
    """The data (Sets, Params) and variables of §10 and §11.

    ``stock[r,s,e]`` and ``pool[s,e]`` for each evaluation year e, ``stock_total[s,a]`` for
    each assessed year a (these three free: sums of non-negative terms of x); ``supply_short``
    and ``supply_surplus[r,s,a]``, ``>= 0``; ``z_supply`` only if the weight
    ``worst_supply`` is positive; ``team_short`` and ``team_surplus[g,r,t]`` for each team,
    region and year of the team.
    """
    p = d.pipeline
    years = [] if p is None else list(p.years)
    m.E = pyo.Set(initialize=years, ordered=True)
    m.A = pyo.Set(initialize=[] if p is None else p.assess_years, ordered=True)
    if p is not None:
        _pipeline_parameters(m, d)
    nonneg = pyo.NonNegativeReals
    m.stock = pyo.Var(m.R, m.S, m.E, within=pyo.Reals)
    m.pool = pyo.Var(m.S, m.E, within=pyo.Reals)
    m.stock_total = pyo.Var(m.S, m.A, within=pyo.Reals)
    m.supply_short = pyo.Var(m.R, m.S, m.A, within=nonneg)
    m.supply_surplus = pyo.Var(m.R, m.S, m.A, within=nonneg)
    if p is not None and spec.objective.worst_supply > 0:
        m.z_supply = pyo.Var(within=nonneg)
    _team_parameters(m, d)
    m.team_short = pyo.Var(m.team_cells, within=nonneg)
    m.team_surplus = pyo.Var(m.team_cells, within=nonneg)


def _pipeline_parameters(m: pyo.ConcreteModel, d: ProblemData) -> None:
    p = d.pipeline
    R, S, E = list(enumerate(d.regions)), list(enumerate(d.specialties)), list(enumerate(p.years))
    own, pooled = p.joiner_coefficients()

    def per_rse(values: np.ndarray) -> dict:
        return {(r, s, y): float(values[i, j, e]) for (i, r), (j, s), (e, y) in itertools.product(R, S, E)}

    m.leave = pyo.Param(m.S, initialize={s: float(p.leave[j]) for j, s in S})
    m.fill = pyo.Param(m.R, m.S, initialize={(r, s): float(p.fill[i, j]) for (i, r), (j, s) in itertools.product(R, S)})
    m.kernel = pyo.Param(
        m.S,
        m.E,
        m.T,
        initialize={
            (d.specialties[j], p.years[e], d.years[k]): float(p.kernel[j, e, k])
            for j, e, k in zip(*np.nonzero(p.kernel), strict=True)
        },
    )
    m.base_completions = pyo.Param(m.R, m.S, m.E, initialize=per_rse(p.base_completions))
    m.stock_before = pyo.Param(
        m.R, m.S, initialize={(r, s): float(p.stock_before[i, j]) for (i, r), (j, s) in itertools.product(R, S)}
    )
    w = p.pool_weight()
    m.pool_weight = pyo.Param(
        m.R, m.S, initialize={(r, s): float(w[i, j]) for (i, r), (j, s) in itertools.product(R, S)}
    )
    m.own = pyo.Param(m.R, m.S, m.E, initialize=per_rse(own))
    m.pooled = pyo.Param(m.R, m.S, m.E, initialize=per_rse(pooled))
    m.stock_share = pyo.Param(m.R, m.S, m.E, initialize=per_rse(p.share))
    bar = {
        (r, s, p.years[e]): float(p.fair_stock_bar[i, j, e])
        for (i, r), (j, s) in itertools.product(R, S)
        for e in p.assess
    }
    m.fair_stock_bar = pyo.Param(m.R, m.S, m.A, initialize=bar)


def _team_parameters(m: pyo.ConcreteModel, d: ProblemData) -> None:
    m.G = pyo.Set(initialize=[t.id for t in d.teams], ordered=True)
    pairs = [(t.id, d.specialties[s]) for t in d.teams for s in t.members]
    m.members = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.equivalence = pyo.Param(
        m.members,
        initialize={
            (t.id, d.specialties[s]): float(e) for t in d.teams for s, e in zip(t.members, t.equivalence, strict=True)
        },
    )
    m.max_share = pyo.Param(
        m.members,
        initialize={
            (t.id, d.specialties[s]): float(c)
            for t in d.teams
            for s, c in zip(t.members, t.max_share, strict=True)
            if np.isfinite(c)
        },
    )
    m.team_on = pyo.Param(m.G, initialize={t.id: t.on for t in d.teams}, within=pyo.Any)
    cells = [(t.id, r, y) for t in d.teams for r in d.regions for y in t.years]
    m.team_cells = pyo.Set(initialize=cells, dimen=3, ordered=True)
    m.team_share = pyo.Param(
        m.team_cells,
        initialize={
            (t.id, r, y): float(t.share[i, k])
            for t in d.teams
            for i, r in enumerate(d.regions)
            for k, y in enumerate(t.years)
        },
    )


# ------------------------------------------------------------------------------ expressions


def completions(m: pyo.ConcreteModel, r: str, s: str, e: int):
    """``C[r,s,e] = C0[r,s,e] + f[r,s] · Σ_t K[s,e,t] · x[r,s,t]``: completions of year e."""
    intake = sum(m.kernel[s, e, t] * m.x[r, s, t] for t in m.T if (s, e, t) in m.kernel)
    return m.base_completions[r, s, e] + m.fill[r, s] * intake


def team_capacity(m: pyo.ConcreteModel, g: str, r: str, t: int):
    """``E[r,g,t] = Σ_m e_m · x[r,m,t]`` (``e_m · stock[r,m,t]`` for a team ``on`` the stock)."""
    X = m.stock if m.team_on[g] == "stock" else m.x
    return sum(m.equivalence[g, s] * X[r, s, t] for g2, s in m.members if g2 == g)


# ------------------------------------------------------------- constraint families (§10, §11)


def stock_flow(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """The trained workforce of a year: last year's, less leavers, plus the joiners.

    ::

        stock[r,s,e] − (1 − ℓ_s) · stock[r,s,e−1] − own[r,s,e] · f[r,s] · Σ_t K[s,e,t] · x[r,s,t]
            − pooled[r,s,e] · pool[s,e]
          = own[r,s,e] · C0[r,s,e]  (+ (1 − ℓ_s) · stock_before[r,s] in the first year)
                                                              for each r, s, evaluation year e
        pool[s,e] − Σ_r f[r,s] · Σ_t K[s,e,t] · x[r,s,t] = Σ_r C0[r,s,e]
                                                              for each s, evaluation year e

    i.e. ``stock = (1 − ℓ)·stock_prev + own · C + pooled · P`` with ``P = Σ_r C`` the
    completions of England (defined once per specialty and year so that the rows stay short).

    Parameters
    ----------
    m : the model; gets ``m.stock_flow[r, s, e]`` and ``m.stock_flow_pool[s, e]``.
    d : the instance as arrays (only with a pipeline).
    """
    if d.pipeline is None:
        return

    def rule(m, r, s, e):
        prev = m.stock_before[r, s] if e == m.E.first() else m.stock[r, s, m.E.prev(e)]
        joiners = m.own[r, s, e] * completions(m, r, s, e) + m.pooled[r, s, e] * m.pool[s, e]
        return m.stock[r, s, e] == (1 - m.leave[s]) * prev + joiners

    def pool_rule(m, s, e):
        return m.pool[s, e] == sum(m.pool_weight[r, s] * completions(m, r, s, e) for r in m.R)

    m.stock_flow = pyo.Constraint(m.R, m.S, m.E, rule=rule)
    m.stock_flow_pool = pyo.Constraint(m.S, m.E, rule=pool_rule)


def supply_gap(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Distance of the stock to its fair share of the national stock.

    ::

        stock[r,s,a] − share[r,s,a] · stock_total[s,a] = supply_surplus[r,s,a] − supply_short[r,s,a]
                                                              for each r, s, assessed year a
        stock_total[s,a] − Σ_r stock[r,s,a] = 0                for each s, assessed year a

    ``stock_total`` holds the national stock once per specialty and year, so that the fair
    stock ``S* = share · Σ_r' S`` does not put R terms in every row.

    Parameters
    ----------
    m : the model; gets ``m.supply_gap[r, s, a]`` and ``m.supply_gap_total[s, a]``.
    d : the instance as arrays (only with a pipeline).
    """
    if d.pipeline is None:
        return

    def rule(m, r, s, a):
        fair = m.stock_share[r, s, a] * m.stock_total[s, a]
        return m.stock[r, s, a] - fair == m.supply_surplus[r, s, a] - m.supply_short[r, s, a]

    def total_rule(m, s, a):
        return m.stock_total[s, a] == sum(m.stock[r, s, a] for r in m.R)

    m.supply_gap = pyo.Constraint(m.R, m.S, m.A, rule=rule)
    m.supply_gap_total = pyo.Constraint(m.S, m.A, rule=total_rule)


def worst_supply(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec) -> None:
    """``z_supply`` is at least every cell's supply shortfall, in % of its fair stock S̄*.

    ::

        100 · supply_short[r,s,a] <= S̄*[r,s,a] · z_supply     for each r, s, assessed a with S̄* > 0

    Only with a pipeline and if the weight ``worst_supply`` is positive. ``S̄*`` is data (the
    fair stock when every planning year holds T̄), so the row stays linear.

    Parameters
    ----------
    m : the model; gets ``m.worst_supply[r, s, a]``.
    d : the instance as arrays.
    spec : the model file (the weight ``worst_supply``).
    """
    if d.pipeline is None or spec.objective.worst_supply <= 0:
        return
    cells = [c for c in itertools.product(m.R, m.S, m.A) if m.fair_stock_bar[c] > 0]

    def rule(m, r, s, a):
        return 100 * m.supply_short[r, s, a] <= m.fair_stock_bar[r, s, a] * m.z_supply

    m.worst_supply = pyo.Constraint(cells, rule=rule)


def team_gap(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Distance of a region's team capacity to its fair share.

    ::

        E[r,g,t] − share_g[r,t] · Σ_r' E[r',g,t] = team_surplus[g,r,t] − team_short[g,r,t]
                                                              for each team g, r, year t of g

    with ``E[r,g,t] = Σ_m e_m · x[r,m,t]`` (``e_m · stock[r,m,t]`` for a team ``on`` the stock).

    Parameters
    ----------
    m : the model; gets ``m.team_gap[g, r, t]``.
    d : the instance as arrays (only with teams).
    """
    if not d.teams:
        return

    def rule(m, g, r, t):
        fair = m.team_share[g, r, t] * sum(team_capacity(m, g, q, t) for q in m.R)
        return team_capacity(m, g, r, t) - fair == m.team_surplus[g, r, t] - m.team_short[g, r, t]

    m.team_gap = pyo.Constraint(m.team_cells, rule=rule)


def team_mix(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A member provides at most its ``max_share`` of the team capacity.

    ::

        e_m · X[r,m,t] − max_share_m · E[r,g,t] <= 0      for each member m of g with a max_share,
                                                          each r and year t of g

    ``X`` is ``x``, or ``stock`` for a team ``on`` the stock.

    Parameters
    ----------
    m : the model; gets ``m.team_mix[g, s, r, t]`` (team, member specialty, region, year).
    d : the instance as arrays (only with teams).
    """
    rows = [(g, s, r, t) for g, s in m.max_share.sparse_keys() for g2, r, t in m.team_cells if g2 == g]
    if not rows:
        return

    def rule(m, g, s, r, t):
        X = m.stock if m.team_on[g] == "stock" else m.x
        return m.equivalence[g, s] * X[r, s, t] - m.max_share[g, s] * team_capacity(m, g, r, t) <= 0

    m.team_mix = pyo.Constraint(rows, rule=rule)


# ----------------------------------------------------------------------------- objective


def supply_term(m, spec: ModelSpec):
    """``supply_shortfall · Σ supply_short + supply_surplus · Σ supply_surplus + worst_supply ·
    z_supply`` of ``m`` (the model, or a scenario member's block)."""
    w = spec.objective
    expr = 0
    if w.supply_shortfall:
        expr += w.supply_shortfall * pyo.quicksum(m.supply_short.values())
    if w.supply_surplus:
        expr += w.supply_surplus * pyo.quicksum(m.supply_surplus.values())
    if w.worst_supply and hasattr(m, "z_supply"):
        expr += w.worst_supply * m.z_supply
    return expr


def workforce_objective(m: pyo.ConcreteModel, spec: ModelSpec):
    """The terms of §10 and §11 added to the objective of §6::

    supply_shortfall · Σ supply_short + supply_surplus · Σ supply_surplus
      + worst_supply · z_supply + team_shortfall · Σ team_short + team_surplus · Σ team_surplus

    With scenarios (§12) the supply terms are the risk measure's (``pyomo_scenarios.risk_term``).
    """
    w = spec.objective
    expr = 0
    if getattr(m, "scenario_set", None) is not None:
        expr += risk_term(m, spec, supply_term)
    else:
        expr += supply_term(m, spec)
    if w.team_shortfall:
        expr += w.team_shortfall * pyo.quicksum(m.team_short.values())
    if w.team_surplus:
        expr += w.team_surplus * pyo.quicksum(m.team_surplus.values())
    return expr


def scenario_risk(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec) -> None:
    """§12: the other members' §10 rows, and the risk rows (``model.backends.pyomo_scenarios``)."""
    import sys

    add_members(m, d, spec, sys.modules[__name__])
