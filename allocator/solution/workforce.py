"""The workforce of an allocation (docs/model.md §10, §11): supply, its measures, and teams.

Computed from the posts ``x[r,s,t]`` and the data alone, like the §8 measures, never from the
solver's auxiliary variables. ``least`` gives the §10/§11 variables at their least values for
``x`` (the objective of a whole-post plan, a MIP start).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.core.workforce import Supply
from allocator.solution.measures import weighted_gini
from allocator.solution.result import SUPPLY_COLUMNS, SUPPLY_KPI_COLUMNS, TEAM_COLUMNS


def _supply(d: ProblemData, x: np.ndarray, sup: Supply | None) -> Supply:
    return d.pipeline.forward(x) if sup is None else sup


def supply_frame(d: ProblemData, x: np.ndarray, sup: Supply | None = None) -> pd.DataFrame:
    """§9 ``supply``: completions, joiners, stock and fair stock for every region × specialty ×
    evaluation year (empty without a pipeline). ``sup``: the pipeline of ``x``, if computed."""
    p = d.pipeline
    if p is None:
        return pd.DataFrame(columns=SUPPLY_COLUMNS)
    sup = _supply(d, x, sup)
    idx = pd.MultiIndex.from_product([d.regions, d.specialties, p.years], names=SUPPLY_COLUMNS[:3])
    frame = idx.to_frame(index=False)
    for name in ("completions", "joiners", "stock", "fair_stock"):
        frame[name] = getattr(sup, name).reshape(-1)
    return frame


def supply_per_100k(d: ProblemData, stock: np.ndarray) -> np.ndarray:
    """(R, E) ``1e5 · Σ_s S[r,s,e] / (population[r,e] · need_index[r])`` (0 where no need)."""
    wp = d.pipeline.population * d.need_index[:, None]
    return np.divide(1e5 * stock.sum(axis=1), wp, out=np.zeros_like(wp), where=wp > 0)


def supply_kpis(d: ProblemData, x: np.ndarray, sup: Supply | None = None) -> pd.DataFrame:
    """§10 measures per assessed year: ``supply_gap = Σ |S − S*|``, ``supply_gini`` (the §8 Gini
    of supply per 100,000 need-weighted population), ``supply_max_shortfall_pct``."""
    p = d.pipeline
    if p is None:
        return pd.DataFrame(columns=SUPPLY_KPI_COLUMNS)
    sup = _supply(d, x, sup)
    per = supply_per_100k(d, sup.stock)
    wp = p.population * d.need_index[:, None]
    S, fair = sup.stock[:, :, p.assess], sup.fair_stock[:, :, p.assess]  # (R, S, A)
    pct = np.divide(100 * np.maximum(0.0, fair - S), fair, out=np.zeros_like(fair), where=fair > 0)
    return pd.DataFrame(
        {
            "year": p.assess_years,
            "supply_gap": np.abs(S - fair).sum(axis=(0, 1)),
            "supply_gini": [weighted_gini(per[:, e], wp[:, e]) for e in p.assess],
            "supply_max_shortfall_pct": pct.max(axis=(0, 1)) if pct.size else 0.0,
        },
        columns=SUPPLY_KPI_COLUMNS,
    )


def _team_arrays(d: ProblemData, x: np.ndarray, sup: Supply | None = None):
    """``(team, E, T_g)`` per team: capacity and fair share, (R, Y_g) each."""
    stock = _supply(d, x, sup).stock if d.pipeline is not None and any(t.on == "stock" for t in d.teams) else None
    for team in d.teams:
        E = team.capacity(x, stock)
        yield team, E, team.target(E)


def teams_frame(d: ProblemData, x: np.ndarray, sup: Supply | None = None) -> pd.DataFrame:
    """§9 ``teams``: capacity and fair share of every team × region × year of the team."""
    frames = []
    for team, E, T in _team_arrays(d, x, sup):
        idx = pd.MultiIndex.from_product([[team.id], d.regions, team.years], names=TEAM_COLUMNS[:3])
        frame = idx.to_frame(index=False)
        frame["capacity"], frame["target"] = E.reshape(-1), T.reshape(-1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TEAM_COLUMNS)


def team_measures(d: ProblemData, x: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """§11 measures: per team and year the team gap ``Σ_r |E − T_g|`` and the Gini of team
    capacity per 100,000 team-need-weighted population; and the share of each member in each
    region's team capacity (``team, region, year, specialty, share``)."""
    kpis, mixes = [], []
    sup = d.pipeline.forward(x) if d.pipeline is not None and any(t.on == "stock" for t in d.teams) else None
    for team, E, T in _team_arrays(d, x, sup):
        pop = d.pipeline.population[:, team.cols] if team.on == "stock" else d.population
        v = pop * (d.need_index * team.weight)[:, None]
        per = np.divide(1e5 * E, v, out=np.zeros_like(E), where=v > 0)
        kpis.append(
            pd.DataFrame(
                {
                    "team": team.id,
                    "year": team.years,
                    "team_gap": np.abs(E - T).sum(axis=0),
                    "team_gini": [weighted_gini(per[:, t], v[:, t]) for t in range(len(team.years))],
                }
            )
        )
        X = sup.stock if team.on == "stock" else x
        part = team.equivalence[None, :, None] * X[:, team.members][:, :, team.cols]  # (R, M, Y_g)
        share = np.divide(part, E[:, None, :], out=np.zeros_like(part), where=E[:, None, :] > 0)
        idx = pd.MultiIndex.from_product(
            [[team.id], d.regions, [d.specialties[s] for s in team.members], team.years],
            names=["team", "region", "specialty", "year"],
        )
        mixes.append(idx.to_frame(index=False).assign(share=share.reshape(-1)))
    kpi_cols, mix_cols = ["team", "year", "team_gap", "team_gini"], ["team", "region", "year", "specialty", "share"]
    kpi = pd.concat(kpis, ignore_index=True)[kpi_cols] if kpis else pd.DataFrame(columns=kpi_cols)
    if not mixes:
        return kpi, pd.DataFrame(columns=mix_cols)
    mix = pd.concat(mixes, ignore_index=True).sort_values(["team", "year", "region"], kind="stable")
    return kpi, mix[mix_cols].reset_index(drop=True)


def least(d: ProblemData, x: np.ndarray, weights=None) -> dict[str, np.ndarray]:
    """The §10/§11 variables at their least values for posts ``x``, in the direct backend's
    shapes: ``stock`` (R,S,E), ``pool`` (S,E), ``stock_total`` (S,A), ``supply_short``/``supply_surplus`` (R,S,A),
    ``z_supply`` (max 100·supply_short/S̄* over S̄* > 0), ``team_short``/``team_surplus``
    (teams stacked, each R × its years). Only the variables the data has. With scenarios (§12)
    and ``weights`` (a model's ``[objective]``), also the other members' copies and the risk
    columns (``solution.scenarios.least_columns``)."""
    from allocator.solution import scenarios

    out: dict[str, np.ndarray] = {}
    p = d.pipeline
    if p is not None:
        sup = p.forward(x)
        out |= scenarios.supply_least(d, x)
        if d.scenarios is not None and weights is not None:
            out |= scenarios.least_columns(d, weights, x)
    if d.teams:
        parts = list(_team_arrays(d, x, sup if p is not None else None))
        out["team_short"] = np.concatenate([np.maximum(0.0, T - E).ravel() for _, E, T in parts])
        out["team_surplus"] = np.concatenate([np.maximum(0.0, E - T).ravel() for _, E, T in parts])
    return out


def objective_terms(d: ProblemData, weights, x: np.ndarray) -> float:
    """The §10/§11 part of the objective for posts ``x`` at the least values (``weights``: a
    model file's ``[objective]``)."""
    w = weights
    aux = least(d, x)
    value = 0.0
    if d.scenarios is not None and d.pipeline is not None:  # §12: the risk measure of the members' supply terms
        from allocator.solution import scenarios

        value += scenarios.risk(d, w, x)
    elif "stock" in aux:
        value += w.supply_shortfall * aux["supply_short"].sum() + w.supply_surplus * aux["supply_surplus"].sum()
        if w.worst_supply > 0:
            value += w.worst_supply * float(aux["z_supply"][0])
    if "team_short" in aux:
        value += w.team_shortfall * aux["team_short"].sum() + w.team_surplus * aux["team_surplus"].sum()
    return float(value)


def attach(result, d: ProblemData, x: np.ndarray | None, weights=None) -> None:
    """Set a result's ``supply``, ``supply_kpis`` and ``teams`` from posts ``x`` (emptied when
    ``x`` is ``None``: no plan, nothing to report)."""
    if x is None:
        result.supply = pd.DataFrame(columns=SUPPLY_COLUMNS)
        result.supply_kpis = pd.DataFrame(columns=SUPPLY_KPI_COLUMNS)
        result.teams = pd.DataFrame(columns=TEAM_COLUMNS)
        result.scenarios, result.risk = None, None
        return
    sup = d.pipeline.forward(x) if d.pipeline is not None else None  # once, for all three
    if sup is not None:
        result.supply = supply_frame(d, x, sup)
        result.supply_kpis = supply_kpis(d, x, sup)
    if d.scenarios is not None and weights is not None:  # §12: each member's measures, the risk term
        from allocator.solution import scenarios

        result.scenarios = [
            {"id": m.id, "probability": m.probability, "supply_kpis": supply_kpis(md, x).to_dict("records")}
            for m, md in ((m, scenarios.member_data(d, w)) for w, m in enumerate(d.scenarios.members))
        ]
        result.risk = scenarios.risk(d, weights, x)
    if d.teams:
        result.teams = teams_frame(d, x, sup)
