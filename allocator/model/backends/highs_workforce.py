"""The direct HiGHS backend's families of docs/model.md §10 (pipeline) and §11 (teams).

Columns (after those of §4, see :class:`~allocator.model.backends.highs.Columns`); ``stock``,
``pool`` and ``stock_total`` have no lower bound (``highs.FREE_VARIABLES``), the others are ``>= 0``::

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
from allocator.core.spec import ModelSpec
from allocator.model.backends.blocks import Block
from allocator.model.backends.highs_scenarios import per_member

INF = float("inf")


def _block(name, rows, cols, vals, lower, upper, labels):
    """A :class:`Block` from lists of triplet arrays, explicit zeros dropped."""
    rows, cols, vals = (np.concatenate(a) if isinstance(a, list) else a for a in (rows, cols, vals))
    nz = vals != 0
    return Block(name, rows[nz], cols[nz], vals[nz], np.asarray(lower, float), np.asarray(upper, float), labels)


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


def completions(d: ProblemData, v):
    """§12: ``C[r,s,e] − f[r,s] · Σ_p K[s,e,p] · x[r,s,p] = C0[r,s,e]`` for each r, s, e: the
    completions as columns, written once for the members that share their fill and completion
    rates, so that x enters the members' stock rows through them alone (the tie-break's QP
    then stays as sparse as one member's: benchmarks/README.md)."""
    p = d.pipeline
    R, S, _ = d.shape
    E = len(p.years)
    n = R * S * E
    rows_rse = np.arange(n).reshape(R, S, E)
    ir, ic, iv = _intake_terms(d, v, rows_rse, np.ones((R, S, E)))
    r, s, e = (a.ravel() for a in np.meshgrid(np.arange(R), np.arange(S), np.arange(E), indexing="ij"))
    rhs = p.base_completions.ravel()
    rows, cols, vals = [rows_rse.ravel(), ir], [v.completions + rows_rse.ravel(), ic], [np.ones(n), iv]
    return _block("stock_flow", rows, cols, vals, rhs, rhs.copy(), {"region": r, "specialty": s, "eval_year": e})


@per_member(definitions=completions)
def stock_flow(d: ProblemData, v):
    """``S[r,s,e] − (1 − ℓ_s)·S[r,s,e−1] − j_s σ_s f K·x − j_s (1 − σ_s) m[r,s,e]·P[s,e]
    = j_s σ_s · C0[r,s,e] (+ (1 − ℓ_s)·S[r,s,y_1 − 1] in the first year)`` for each r, s, e;
    then the pool rows ``P[s,e] − Σ_r w[r,s]·f K·x = Σ_r w[r,s]·C0[r,s,e]`` for each s, e (``w = 1``, or
    ``1 − σ[r,s]`` where regions have their own settle rates: ``PipelineData.pool_weight``)."""
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
    done = getattr(v, "completions", None)  # §12: completions C as columns, shared by the members
    if done is None:
        ir, ic, iv = _intake_terms(d, v, rows_rse, own)
        rows.append(ir), cols.append(ic), vals.append(iv)
    else:
        rows.append(rows_rse.ravel()), cols.append(done + rows_rse.ravel()), vals.append(-own.ravel())
    pool_col = v.pool + np.arange(S)[None, :, None] * E + np.arange(E)[None, None, :]
    pool_col = np.broadcast_to(pool_col, (R, S, E))
    nz = pooled != 0
    rows.append(rows_rse[nz]), cols.append(pool_col[nz]), vals.append(-pooled[nz])
    rhs = own * p.base_completions if done is None else np.zeros((R, S, E))
    rhs[:, :, 0] += keep[:, :, 0] * p.stock_before
    # pool rows: P[s,e] − Σ_r f K x = Σ_r C0
    pool_rows = n + np.arange(S * E).reshape(S, E)
    rows.append(pool_rows.ravel()), cols.append(v.pool + np.arange(S * E)), vals.append(np.ones(S * E))
    pr = np.broadcast_to(pool_rows[None], (R, S, E))
    weight = np.broadcast_to(p.pool_weight()[:, :, None], (R, S, E))
    if done is None:
        ir, ic, iv = _intake_terms(d, v, pr, weight)
        rows.append(ir), cols.append(ic), vals.append(iv)
        prhs = (weight * p.base_completions).sum(axis=0).ravel()
    else:
        rows.append(pr.ravel()), cols.append(done + rows_rse.ravel()), vals.append(-weight.ravel())
        prhs = np.zeros(S * E)
    r_lab, s_lab, e_lab = (a.ravel() for a in np.meshgrid(np.arange(R), np.arange(S), np.arange(E), indexing="ij"))
    s_pool, e_pool = np.divmod(np.arange(S * E), E)
    labels = {
        "region": np.concatenate([r_lab, np.full(S * E, -1)]),
        "specialty": np.concatenate([s_lab, s_pool]),
        "eval_year": np.concatenate([e_lab, e_pool]),
    }
    lower = np.concatenate([rhs.ravel(), prhs])
    return _block("stock_flow", rows, cols, vals, lower, lower.copy(), labels)


@per_member
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


@per_member
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


def _capacity_columns(d: ProblemData, v, team) -> np.ndarray:
    """(R, M, Y_g) the column of ``X[r,m,t]`` in ``E[r,g,t] = Σ_m e_m · X[r,m,t]``: the posts
    ``x`` of the team's planning years, or (``"on": "stock"``) the stocks of its assessed years."""
    r = np.arange(d.shape[0])[:, None, None]
    m = team.members[None, :, None]
    t = team.cols[None, None, :]
    if team.on == "stock":
        return v.stock + (r * d.shape[1] + m) * len(d.pipeline.years) + t
    return v.x + v.cell[r, m, t]


def team_gap(d: ProblemData, v):
    """``E[r,g,t] − share_g[r,t] · Σ_r' E[r',g,t] − team_surplus + team_short = 0`` for each team,
    region and year of the team (rows ``[g][r][t]``, as the team columns are stacked)."""
    if not d.teams or v.team_short is None:
        return None
    R = d.shape[0]
    rows, cols, vals, labels = [], [], [], {"team": [], "region": [], "at": []}
    start = 0
    for g, team in enumerate(d.teams):
        T = len(team.years)
        row = start + np.arange(R * T).reshape(R, T)
        X = _capacity_columns(d, v, team)  # (R', M, T)
        # row (r, t) gets e_m · (δ(r, r') − share[r, t]) on X[r', m, t]
        coef = team.equivalence[None, None, :, None] * (np.eye(R)[:, :, None, None] - team.share[:, None, None, :])
        shape = (R, R, len(team.members), T)  # [r, r', m, t]
        rows.append(np.broadcast_to(row[:, None, None, :], shape).ravel())
        cols.append(np.broadcast_to(X[None], shape).ravel())
        vals.append(coef.ravel())
        var = v.team_offset[g] + np.arange(R * T)
        rows += [row.ravel(), row.ravel()]
        cols += [v.team_surplus + var, v.team_short + var]
        vals += [-np.ones(R * T), np.ones(R * T)]
        labels["team"].append(np.full(R * T, g))
        labels["region"].append(np.repeat(np.arange(R), T))
        labels["at"].append(np.tile(team.years, R))
        start += R * T
    zeros = np.zeros(start)
    return _block("team_gap", rows, cols, vals, zeros, zeros.copy(), {k: np.concatenate(a) for k, a in labels.items()})


def team_mix(d: ProblemData, v):
    """``e_m · X[r,m,t] − max_share_m · Σ_m' e_m' · X[r,m',t] <= 0`` for each member with a
    ``max_share``, each r and t of the team."""
    if not any(np.isfinite(t.max_share).any() for t in d.teams):
        return None
    R = d.shape[0]
    rows, cols, vals, labels = [], [], [], {"team": [], "specialty": [], "region": [], "at": []}
    start = 0
    for g, team in enumerate(d.teams):
        limited = np.flatnonzero(np.isfinite(team.max_share))
        if not len(limited):
            continue
        L, M, T = len(limited), len(team.members), len(team.years)
        row = start + np.arange(L * R * T).reshape(L, R, T)
        X = _capacity_columns(d, v, team)  # (R, M, T)
        # row (l, r, t) gets δ(m, l)·e_m − max_share_l·e_m on X[r, m, t]  (L, M)
        own = np.eye(M)[limited]  # (L, M)
        coef = own * team.equivalence[None, :] - team.max_share[limited][:, None] * team.equivalence[None, :]
        shape = (L, R, M, T)
        rows.append(np.broadcast_to(row[:, :, None, :], shape).ravel())
        cols.append(np.broadcast_to(X[None], shape).ravel())
        vals.append(np.broadcast_to(coef[:, None, :, None], shape).ravel())
        labels["team"].append(np.full(L * R * T, g))
        labels["specialty"].append(np.repeat(team.members[limited], R * T))
        labels["region"].append(np.tile(np.repeat(np.arange(R), T), L))
        labels["at"].append(np.tile(team.years, L * R))
        start += L * R * T
    return _block(
        "team_mix",
        rows,
        cols,
        vals,
        np.full(start, -INF),
        np.zeros(start),
        {k: np.concatenate(a) for k, a in labels.items()},
    )


def workforce_rows(d: ProblemData, spec: ModelSpec, with_workforce: bool | None = None) -> tuple[bool, bool]:
    """Whether the model needs the pipeline's columns and rows (§10) and the ``team_gap`` rows
    (§11): ``(pipeline, team_gap)``.

    They are definitions: with every weight on them 0 they cannot move the posts, the optimum
    or the tie-break (docs/model.md §10: "a pipeline block with no supply weights changes
    nothing but the report"), so the direct backend leaves them out unless asked
    (``with_workforce=True``, e.g. to add a row on the stocks, or for a sweep whose later
    weightings weigh them). The pipeline stays whenever a team counts stocks (``"on":
    "stock"``: its ``team_mix`` rows read them); ``team_mix`` is a limit, always written.
    """
    w = spec.objective
    if with_workforce:
        return d.pipeline is not None, bool(d.teams)
    supply = w.supply_shortfall > 0 or w.supply_surplus > 0 or w.worst_supply > 0
    team = w.team_shortfall > 0 or w.team_surplus > 0
    on_stock = any(t.on == "stock" and (team or np.isfinite(t.max_share).any()) for t in d.teams)
    return d.pipeline is not None and (supply or on_stock), bool(d.teams) and team
