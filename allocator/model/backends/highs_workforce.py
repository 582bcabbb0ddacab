"""The direct HiGHS backend's families of FORMULATION §10 (pipeline) and §11 (teams).

Columns (after those of §4, see :class:`~allocator.model.backends.highs.Columns`), all ``>= 0``::

    stock[r,s,e]            R·S·E   the trained workforce S of evaluation year e
    pool[s,e]               S·E     P = Σ_r' C[r',s,e], the completions of England
    supply_short, supply_surplus[r,s,a]   R·S·A  against the fair stock, assessed years a
    stock_total[s,a]        S·A     the national stock Σ_r S of an assessed year
    z_supply                1       the worst supply shortfall z_S (only if its weight > 0)
    team_short, team_surplus[g,r,t]       Σ_g R·Y_g  against the team fair share

Completions are written out in x (``core.workforce``: ``C = C0 + f · Σ_p K[s,e,p] · x[r,s,p]``).
"""

from __future__ import annotations

import numpy as np

from allocator.core.data import ProblemData
from allocator.model.backends.blocks import Block

INF = float("inf")


def _block(name, rows, cols, vals, lower, upper, labels):
    cat = [np.concatenate(a) if isinstance(a, list) else a for a in (rows, cols, vals)]
    return Block(name, *cat, np.asarray(lower, float), np.asarray(upper, float), labels)


def _intake_terms(d: ProblemData, v, rows_of_rse, scale: np.ndarray):
    """Triplets of ``− scale[r,s,e] · f[r,s] · K[s,e,p] · x[r,s,p]`` into rows ``rows_of_rse[r,s,e]``."""
    p = d.pipeline
    R, S, Y = d.shape
    s_i, e_i, p_i = np.nonzero(p.kernel)
    k = p.kernel[s_i, e_i, p_i]
    r = np.repeat(np.arange(R), len(k))
    s_i, e_i, p_i, k = (np.tile(a, R) for a in (s_i, e_i, p_i, k))
    coef = -scale[r, s_i, e_i] * p.fill[r, s_i] * k
    keep = coef != 0
    return rows_of_rse[r, s_i, e_i][keep], (v.x + v.cell[r, s_i, p_i])[keep], coef[keep]


def stock_flow(d: ProblemData, v):
    """``S[r,s,e] − (1 − ℓ_s)·S[r,s,e−1] − j_s σ_s f K·x − j_s (1 − σ_s) m[r,s,e]·P[s,e]
    = j_s σ_s · C0[r,s,e] (+ (1 − ℓ_s)·S[r,s,y_1 − 1] in the first year)`` for each r, s, e;
    then the pool rows ``P[s,e] − Σ_r f K·x = Σ_r C0[r,s,e]`` for each s, e."""
    p = d.pipeline
    if p is None or v.stock is None:
        return None
    R, S, _ = d.shape
    E = len(p.years)
    n = R * S * E
    rows_rse = np.arange(n).reshape(R, S, E)
    own, pooled = p.joiner_coefficients()
    keep = np.broadcast_to((1 - p.leave)[None, :, None], (R, S, E))
    st = v.stock + rows_rse
    later = np.arange(E)[None, None, :] > 0
    later = np.broadcast_to(later, (R, S, E))
    rows = [rows_rse.ravel(), rows_rse[later]]
    cols = [st.ravel(), (st - 1)[later]]
    vals = [np.ones(n), -keep[later]]
    ir, ic, iv = _intake_terms(d, v, rows_rse, own)
    rows.append(ir), cols.append(ic), vals.append(iv)
    pool_col = v.pool + np.arange(S)[None, :, None] * E + np.arange(E)[None, None, :]
    pool_col = np.broadcast_to(pool_col, (R, S, E))
    nz = pooled != 0
    rows.append(rows_rse[nz]), cols.append(pool_col[nz]), vals.append(-pooled[nz])
    rhs = own * p.base_completions
    rhs[:, :, 0] += keep[:, :, 0] * p.stock_before
    # pool rows: P[s,e] − Σ_r f K x = Σ_r C0
    pool_rows = n + np.arange(S * E).reshape(S, E)
    rows.append(pool_rows.ravel()), cols.append(v.pool + np.arange(S * E)), vals.append(np.ones(S * E))
    pr = np.broadcast_to(pool_rows[None], (R, S, E))
    ir, ic, iv = _intake_terms(d, v, pr, np.ones((R, S, E)))
    rows.append(ir), cols.append(ic), vals.append(iv)
    prhs = p.base_completions.sum(axis=0).ravel()
    r_lab, s_lab, e_lab = (a.ravel() for a in np.meshgrid(np.arange(R), np.arange(S), np.arange(E), indexing="ij"))
    s_pool, e_pool = np.divmod(np.arange(S * E), E)
    labels = {
        "region": np.concatenate([r_lab, np.full(S * E, -1)]),
        "specialty": np.concatenate([s_lab, s_pool]),
        "eval_year": np.concatenate([e_lab, e_pool]),
    }
    lower = np.concatenate([rhs.ravel(), prhs])
    return _block("stock_flow", rows, cols, vals, lower, lower.copy(), labels)


def supply_gap(d: ProblemData, v):
    """``S − share · S_total − supply_surplus + supply_short = 0`` for each r, s, assessed year,
    then (row group ``supply_gap_total``) ``S_total[s,a] − Σ_r S[r,s,a] = 0`` for each s, a.

    ``S_total`` holds the national stock once per specialty and year, so the rows of the fair
    stock ``S* = share · Σ_r' S`` are not R terms each (measured: benchmarks/README.md)."""
    p = d.pipeline
    if p is None or v.stock is None:
        return None
    R, S, _ = d.shape
    E, A = len(p.years), len(p.assess)
    n = R * S * A
    row = np.arange(n).reshape(R, S, A)
    stock = v.stock + (np.arange(R)[:, None, None] * S + np.arange(S)[None, :, None]) * E + p.assess[None, None, :]
    total = v.stock_total + np.arange(S * A).reshape(S, A)
    share = p.share[:, :, p.assess]  # (R, S, A)
    rows = [row.ravel(), row.ravel(), row.ravel(), row.ravel()]
    cols = [stock.ravel(), np.broadcast_to(total[None], (R, S, A)).ravel(), v.supply_surplus + np.arange(n)]
    cols.append(v.supply_short + np.arange(n))
    vals = [np.ones(n), -share.ravel(), -np.ones(n), np.ones(n)]
    # the national stock rows: S_total[s,a] − Σ_r S[r,s,a] = 0
    trow = n + np.arange(S * A).reshape(S, A)
    rows += [trow.ravel(), np.broadcast_to(trow[None], (R, S, A)).ravel()]
    cols += [total.ravel(), stock.ravel()]
    vals += [np.ones(S * A), -np.ones(n)]
    r, s, a = (x.ravel() for x in np.meshgrid(np.arange(R), np.arange(S), p.assess, indexing="ij"))
    st, at = np.divmod(np.arange(S * A), A)
    labels = {
        "region": np.concatenate([r, np.full(S * A, -1)]),
        "specialty": np.concatenate([s, st]),
        "eval_year": np.concatenate([a, p.assess[at]]),
    }
    zeros = np.zeros(n + S * A)
    return _block("supply_gap", rows, cols, vals, zeros, zeros.copy(), labels)


def worst_supply(d: ProblemData, v):
    """``100 · supply_short − S̄* · z_S <= 0`` for each r, s, assessed year with S̄* > 0."""
    p = d.pipeline
    if p is None or v.z_supply is None or v.stock is None:
        return None
    bar = p.fair_stock_bar[:, :, p.assess].ravel()
    cells = np.flatnonzero(bar > 0)
    m = len(cells)
    R, S, _ = d.shape
    r, s, a = np.unravel_index(cells, (R, S, len(p.assess)))
    rows = [np.arange(m), np.arange(m)]
    cols = [v.supply_short + cells, np.full(m, v.z_supply)]
    vals = [np.full(m, 100.0), -bar[cells]]
    labels = {"region": r, "specialty": s, "eval_year": p.assess[a]}
    return _block("worst_supply", rows, cols, vals, np.full(m, -INF), np.zeros(m), labels)


def _team_capacity_cols(d: ProblemData, v, team, r: int, t: int):
    """Columns and coefficients of ``E[r,g,t] = Σ_m e_m · X[r,m,t]`` (X = x or the stocks)."""
    if team.on == "stock":
        E = len(d.pipeline.years)
        cols = v.stock + (r * d.shape[1] + team.members) * E + team.cols[t]
    else:
        cols = v.x + v.cell[r, team.members, team.cols[t]]
    return cols, team.equivalence


def team_gap(d: ProblemData, v):
    """``E[r,g,t] − share_g[r,t] · Σ_r' E[r',g,t] − team_surplus + team_short = 0``."""
    if not d.teams or v.team_short is None:
        return None
    R = d.shape[0]
    rows, cols, vals, labels = [], [], [], {"team": [], "region": [], "at": []}
    row = 0
    for g, team in enumerate(d.teams):
        off = v.team_offset[g]
        for r in range(R):
            for t in range(len(team.years)):
                var = off + r * len(team.years) + t
                for r2 in range(R):
                    c, e = _team_capacity_cols(d, v, team, r2, t)
                    coef = e * ((1.0 if r2 == r else 0.0) - team.share[r, t])
                    rows.append(np.full(len(c), row)), cols.append(c), vals.append(coef)
                rows.append(np.array([row, row])), cols.append(np.array([v.team_surplus + var, v.team_short + var]))
                vals.append(np.array([-1.0, 1.0]))
                labels["team"].append(g), labels["region"].append(r), labels["at"].append(team.years[t])
                row += 1
    zeros = np.zeros(row)
    return _block("team_gap", rows, cols, vals, zeros, zeros.copy(), {k: np.array(a) for k, a in labels.items()})


def team_mix(d: ProblemData, v):
    """``e_m · X[r,m,t] − max_share_m · Σ_m' e_m' · X[r,m',t] <= 0`` for each member with a
    ``max_share``, each r and t of the team."""
    if not any(np.isfinite(t.max_share).any() for t in d.teams):
        return None
    R = d.shape[0]
    rows, cols, vals, labels = [], [], [], {"team": [], "specialty": [], "region": [], "at": []}
    row = 0
    for g, team in enumerate(d.teams):
        for i in np.flatnonzero(np.isfinite(team.max_share)):
            for r in range(R):
                for t in range(len(team.years)):
                    c, e = _team_capacity_cols(d, v, team, r, t)
                    coef = -team.max_share[i] * e
                    coef[i] += e[i]
                    rows.append(np.full(len(c), row)), cols.append(c), vals.append(coef)
                    labels["team"].append(g), labels["specialty"].append(int(team.members[i]))
                    labels["region"].append(r), labels["at"].append(team.years[t])
                    row += 1
    return _block(
        "team_mix", rows, cols, vals, np.full(row, -INF), np.zeros(row), {k: np.array(a) for k, a in labels.items()}
    )
