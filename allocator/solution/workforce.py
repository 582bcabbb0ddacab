"""The workforce of an allocation (FORMULATION §10, §11): supply, its measures, and teams.

Computed from the posts ``x[r,s,t]`` and the data alone, like the §8 measures, never from the
solver's auxiliary variables. ``least`` gives the §10/§11 variables at their least values for
``x`` (the objective of a whole-post plan, a MIP start).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.solution.measures import weighted_gini
from allocator.solution.result import SUPPLY_COLUMNS, SUPPLY_KPI_COLUMNS, TEAM_COLUMNS


def supply_frame(d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """§9 ``supply``: completions, joiners, stock and fair stock for every region × specialty ×
    evaluation year (empty without a pipeline)."""
    p = d.pipeline
    if p is None:
        return pd.DataFrame(columns=SUPPLY_COLUMNS)
    sup = p.forward(x)
    idx = pd.MultiIndex.from_product([d.regions, d.specialties, p.years], names=SUPPLY_COLUMNS[:3])
    frame = idx.to_frame(index=False)
    for name in ("completions", "joiners", "stock", "fair_stock"):
        frame[name] = getattr(sup, name).reshape(-1)
    return frame


def supply_per_100k(d: ProblemData, stock: np.ndarray) -> np.ndarray:
    """(R, E) ``1e5 · Σ_s S[r,s,e] / (population[r,e] · need_index[r])`` (0 where no need)."""
    wp = d.pipeline.population * d.need_index[:, None]
    return np.divide(1e5 * stock.sum(axis=1), wp, out=np.zeros_like(wp), where=wp > 0)


def supply_kpis(d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """§10 measures per assessed year: ``supply_gap = Σ |S − S*|``, ``supply_gini`` (the §8 Gini
    of supply per 100,000 need-weighted population), ``supply_max_shortfall_pct``."""
    p = d.pipeline
    if p is None:
        return pd.DataFrame(columns=SUPPLY_KPI_COLUMNS)
    sup = p.forward(x)
    per = supply_per_100k(d, sup.stock)
    wp = p.population * d.need_index[:, None]
    rows = []
    for e in p.assess:
        S, fair = sup.stock[:, :, e], sup.fair_stock[:, :, e]
        short = np.maximum(0.0, fair - S)
        pct = np.divide(100 * short, fair, out=np.zeros_like(fair), where=fair > 0)
        rows.append(
            {
                "year": p.years[e],
                "supply_gap": float(np.abs(S - fair).sum()),
                "supply_gini": weighted_gini(per[:, e], wp[:, e]),
                "supply_max_shortfall_pct": float(pct.max()) if pct.size else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=SUPPLY_KPI_COLUMNS)


def _team_arrays(d: ProblemData, x: np.ndarray):
    stock = d.pipeline.forward(x).stock if d.pipeline is not None else None
    for team in d.teams:
        E = team.capacity(x, stock)
        yield team, E, team.target(E)


def teams_frame(d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """§9 ``teams``: capacity and fair share of every team × region × year of the team."""
    rows = []
    for team, E, T in _team_arrays(d, x):
        for r, region in enumerate(d.regions):
            for t, year in enumerate(team.years):
                rows.append({"team": team.id, "region": region, "year": year, "capacity": E[r, t], "target": T[r, t]})
    return pd.DataFrame(rows, columns=TEAM_COLUMNS)


def team_measures(d: ProblemData, x: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """§11 measures: per team and year the team gap ``Σ_r |E − T_g|`` and the Gini of team
    capacity per 100,000 team-need-weighted population; and the share of each member in each
    region's team capacity (``team, region, year, specialty, share``)."""
    kpi, mix = [], []
    stock = d.pipeline.forward(x).stock if d.pipeline is not None else None
    for team, E, T in _team_arrays(d, x):
        pop = d.pipeline.population[:, team.cols] if team.on == "stock" else d.population
        v = pop * (d.need_index * team.weight)[:, None]
        per = np.divide(1e5 * E, v, out=np.zeros_like(E), where=v > 0)
        X = stock if team.on == "stock" else x
        for t, year in enumerate(team.years):
            kpi.append(
                {
                    "team": team.id,
                    "year": year,
                    "team_gap": float(np.abs(E[:, t] - T[:, t]).sum()),
                    "team_gini": weighted_gini(per[:, t], v[:, t]),
                }
            )
            for r, region in enumerate(d.regions):
                for m, s in enumerate(team.members):
                    part = team.equivalence[m] * X[r, s, team.cols[t]]
                    mix.append(
                        {
                            "team": team.id,
                            "region": region,
                            "year": year,
                            "specialty": d.specialties[s],
                            "share": float(part / E[r, t]) if E[r, t] > 0 else 0.0,
                        }
                    )
    return pd.DataFrame(kpi, columns=["team", "year", "team_gap", "team_gini"]), pd.DataFrame(
        mix, columns=["team", "region", "year", "specialty", "share"]
    )


def least(d: ProblemData, x: np.ndarray) -> dict[str, np.ndarray]:
    """The §10/§11 variables at their least values for posts ``x``, in the direct backend's
    shapes: ``stock`` (R,S,E), ``pool`` (S,E), ``stock_total`` (S,A), ``supply_short``/``supply_surplus`` (R,S,A),
    ``z_supply`` (max 100·supply_short/S̄* over S̄* > 0), ``team_short``/``team_surplus``
    (teams stacked, each R × its years). Only the variables the data has."""
    out: dict[str, np.ndarray] = {}
    p = d.pipeline
    if p is not None:
        sup = p.forward(x)
        S, fair = sup.stock[:, :, p.assess], sup.fair_stock[:, :, p.assess]
        short = np.maximum(0.0, fair - S)
        bar = p.fair_stock_bar[:, :, p.assess]
        pct = np.divide(100 * short, bar, out=np.zeros_like(short), where=bar > 0)
        out |= {
            "stock": sup.stock,
            "pool": sup.completions.sum(axis=0),
            "stock_total": S.sum(axis=0),
            "supply_short": short,
            "supply_surplus": np.maximum(0.0, S - fair),
            "z_supply": np.array([pct.max() if pct.size else 0.0]),
        }
    if d.teams:
        parts = list(_team_arrays(d, x))
        out["team_short"] = np.concatenate([np.maximum(0.0, T - E).ravel() for _, E, T in parts])
        out["team_surplus"] = np.concatenate([np.maximum(0.0, E - T).ravel() for _, E, T in parts])
    return out


def objective_terms(d: ProblemData, weights, x: np.ndarray) -> float:
    """The §10/§11 part of the objective for posts ``x`` at the least values (``weights``: a
    model file's ``[objective]``)."""
    w = weights
    aux = least(d, x)
    value = 0.0
    if "stock" in aux:
        value += w.supply_shortfall * aux["supply_short"].sum() + w.supply_surplus * aux["supply_surplus"].sum()
        if w.worst_supply > 0:
            value += w.worst_supply * float(aux["z_supply"][0])
    if "team_short" in aux:
        value += w.team_shortfall * aux["team_short"].sum() + w.team_surplus * aux["team_surplus"].sum()
    return float(value)


def attach(result, d: ProblemData, x: np.ndarray | None) -> None:
    """Set a result's ``supply``, ``supply_kpis`` and ``teams`` from posts ``x`` (emptied when
    ``x`` is ``None``: no plan, nothing to report)."""
    if x is None:
        result.supply = pd.DataFrame(columns=SUPPLY_COLUMNS)
        result.supply_kpis = pd.DataFrame(columns=SUPPLY_KPI_COLUMNS)
        result.teams = pd.DataFrame(columns=TEAM_COLUMNS)
        return
    if d.pipeline is not None:
        result.supply = supply_frame(d, x)
        result.supply_kpis = supply_kpis(d, x)
    if d.teams:
        result.teams = teams_frame(d, x)
