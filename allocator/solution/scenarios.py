"""A plan judged in every scenario member (docs/model.md §12), from the posts alone.

Each member's supply term ``L_ω = supply_shortfall · Σ supply_short_ω + supply_surplus · Σ
supply_surplus_ω + worst_supply · z_S,ω`` is recomputed from x: the negative and positive parts
of ``S_ω − S*_ω`` and their largest relative shortfall against the member's ``S̄*`` (never the
LP's slacks, which members that do not set the risk leave free to sit above these). The risk
term is ``Σ p_ω L_ω`` (``expected``), ``max L_ω`` (``worst``) or
``min_η η + Σ p_ω (L_ω − η)⁺ / (1 − α)`` (``cvar``; the minimum lies at one of the ``L_ω``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from allocator.core.data import ProblemData


def member_data(d: ProblemData, w: int) -> ProblemData:
    """``d`` with member ``w``'s pipeline (its arrays of §10)."""
    return dataclasses.replace(d, pipeline=d.scenarios.members[w].pipeline)


def supply_least(d: ProblemData, x: np.ndarray) -> dict[str, np.ndarray]:
    """The §10 variables of ``d.pipeline`` at their least values for posts ``x``."""
    p = d.pipeline
    sup = p.forward(x)
    S, fair = sup.stock[:, :, p.assess], sup.fair_stock[:, :, p.assess]
    short = np.maximum(0.0, fair - S)
    bar = p.fair_stock_bar[:, :, p.assess]
    pct = np.divide(100 * short, bar, out=np.zeros_like(short), where=bar > 0)
    return {
        "completions": sup.completions,
        "stock": sup.stock,
        "pool": (p.pool_weight()[:, :, None] * sup.completions).sum(axis=0),
        "stock_total": S.sum(axis=0),
        "supply_short": short,
        "supply_surplus": np.maximum(0.0, S - fair),
        "z_supply": np.array([pct.max() if pct.size else 0.0]),
    }


def supply_term(aux: dict[str, np.ndarray], weights) -> float:
    """``L`` of one member from its least §10 variables (``weights``: a model's ``[objective]``)."""
    w = weights
    value = w.supply_shortfall * aux["supply_short"].sum() + w.supply_surplus * aux["supply_surplus"].sum()
    if w.worst_supply > 0:
        value += w.worst_supply * float(aux["z_supply"][0])
    return float(value)


def losses(d: ProblemData, weights, x: np.ndarray) -> np.ndarray:
    """(M,) each member's supply term ``L_ω`` for posts ``x``."""
    return np.array([supply_term(supply_least(member_data(d, w), x), weights) for w in range(len(d.scenarios.members))])


def cvar(values: np.ndarray, probabilities: np.ndarray, alpha: float) -> tuple[float, float]:
    """``(value, η)``: ``min_η η + Σ p (L − η)⁺ / (1 − α)`` and the smallest η attaining it."""
    best = None
    for eta in np.sort(values):
        value = eta + float(probabilities @ np.maximum(0.0, values - eta)) / (1 - alpha)
        if best is None or value < best[0] - 1e-15:
            best = (value, float(eta))
    return best


def risk_of(risk: str, alpha: float | None, values: np.ndarray, probabilities: np.ndarray) -> float:
    """The risk measure of the members' supply terms."""
    if risk == "worst":
        return float(values.max())
    if risk == "cvar":
        return cvar(values, probabilities, alpha)[0]
    return float(probabilities @ values)


def risk(d: ProblemData, weights, x: np.ndarray) -> float:
    """§12's risk term for posts ``x``."""
    sc = d.scenarios
    return risk_of(sc.risk, sc.alpha, losses(d, weights, x), sc.probabilities)


def least_columns(d: ProblemData, weights, x: np.ndarray) -> dict[str, np.ndarray]:
    """The other members' §10 variables (``stock#1`` ...) and the risk columns at their least
    values for ``x``, in the direct backend's names (a MIP start)."""
    sc = d.scenarios
    out: dict[str, np.ndarray] = {}
    values = []
    for w in range(len(sc.members)):
        aux = supply_least(member_data(d, w), x)
        values.append(supply_term(aux, weights))
        if w:
            out |= {f"{k}#{w}": v for k, v in aux.items()}  # (completions#w only where w owns them)
    L = np.array(values)
    out["risk_u"] = np.array([L.max()])
    eta = cvar(L, sc.probabilities, sc.alpha)[1] if sc.risk == "cvar" else 0.0
    out["risk_eta"] = np.array([eta])
    out["risk_v"] = np.maximum(0.0, L - eta)
    return out
