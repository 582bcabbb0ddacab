"""Speed at national and trust scale (issue 15): the levers ``speed.py`` does not cover.

Each lever runs in its own process, one thread, on ``generate(R, 65, 10, seed=1)`` with the
default model, and prints one Markdown row:

- ``reduced`` (formulation reduction): the definitional columns ``dec`` (from ``flow``:
  ``dec = inc − x + x_prev``) and ``surplus`` (from ``target_gap``: ``surplus = x − T + short``)
  substituted out of the LP, each definition row becoming the inequality ``dec ≥ 0`` /
  ``surplus ≥ 0`` — the textbook |·| form with a third fewer columns and no more rows. Solved
  by HiGHS IPM with crossover beside the model as built; the objective must agree (the
  substitution is exact, its constant is added back).
- ``lagrange`` (decomposition): the coupling rows ``region_net_loss`` (R·Y) and
  ``national_moves`` (Y) dualised with multipliers λ ≥ 0; the rest separates into 65
  specialty blocks solved one by one (or on a process pool with ``--workers``). Reports the
  seconds per iteration and the best Lagrangian bound after ``--iterations`` subgradient
  steps (Polyak step on the reference optimum, the most favourable case), against the
  optimum.
- ``dw`` (decomposition): Dantzig–Wolfe on the same split, the 65 blocks pricing columns for
  a master over the coupling rows and one convexity row per specialty, until no column prices
  out (the LP optimum) or ``--iterations``.
- ``ipm-face``: the §6b face from the interior-point duals without crossover, at several
  tolerances for "non-zero", against the shipped route (crossover, basic duals).
- ``trust`` (scale): R = 200 end to end with the tie-break, and HiGHS IPM alone on its MPS.
- ``sweep``: 50 weightings (moves × worst shortfall, 10 × 5) on the national instance solved
  warm (``allocator.study.warm.solve_weightings``: primal simplex from the previous basis, the
  tie-break every run) against cold solves (``--cold`` of them timed, the rest extrapolated).

    python benchmarks/levers.py reduced                  # ~1 min
    python benchmarks/levers.py lagrange --iterations 30 # ~3 min
    python benchmarks/levers.py dw --iterations 300      # ~5 min
    python benchmarks/levers.py trust --time-limit 600   # ~10 min
    python benchmarks/levers.py sweep --cold 3           # ~15 min
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from allocator.model.tiebreak import constraint_matrix

SEED = 1


def _national(R: int = 42):
    from allocator.core.data import problem_data
    from allocator.study.generate import generate

    inst = generate(R, 65, 10, seed=SEED)
    return inst, problem_data(inst)


def _built(d, spec=None):
    from allocator.core.spec import DEFAULT_MODEL
    from allocator.pipeline.steps import build_data

    return build_data(d, spec or DEFAULT_MODEL).model


def _run(h, threads: int = 1, time_limit: float = 600.0, **options) -> float:
    for k, v in {"output_flag": False, "threads": threads, "time_limit": float(time_limit), **options}.items():
        h.setOptionValue(k, v)
    t0 = time.perf_counter()
    h.run()
    return time.perf_counter() - t0


def _ipm(h, time_limit: float = 600.0) -> float:
    return _run(h, time_limit=time_limit, solver="ipm", run_crossover="on")


# ------------------------------------------------------------------------------- reduced


def substitute(lp, pairs: list[tuple[np.ndarray, np.ndarray]]):
    """The LP with column ``c`` of each (row r, column c) pair eliminated through its equality
    row: ``v_c = (b_r − Σ_{j≠c} a_rj v_j) / a_rc``; row r becomes ``v_c ≥ 0`` (or ``≤ 0``)
    in the remaining columns. Returns ``(A, row_lower, row_upper, cost, col_lower, col_upper,
    offset, keep)``."""
    import highspy

    INF = highspy.kHighsInf
    A = constraint_matrix(lp).tocsr()
    rl, ru = np.array(lp.row_lower_, float), np.array(lp.row_upper_, float)
    cost = np.array(lp.col_cost_, float)
    rows = np.concatenate([p[0] for p in pairs])
    cols = np.concatenate([p[1] for p in pairs])
    assert np.all(rl[rows] == ru[rows]), "substitution needs equality rows"
    a = np.asarray(A[rows, cols]).ravel()
    n = A.shape[1]
    elim = np.zeros(n, bool)
    elim[cols] = True
    keep = np.flatnonzero(~elim)
    # E: v_c = beta − E v_keep
    Erows = sp.diags(1.0 / a) @ A[rows]
    beta = rl[rows] / a
    E = Erows[:, keep]
    Acols = A.tocsc()[:, cols]  # every row's coefficient on the eliminated columns
    A_new = (A[:, keep] - Acols @ E).tocsr()
    shift = Acols @ beta
    rl_new, ru_new = rl - shift, ru - shift
    # the definition rows become v_c >= 0, i.e. E v <= beta
    A_new = A_new.tolil()
    E = E.tocsr()
    for i, r in enumerate(rows):
        A_new.rows[r] = list(E[i].indices)
        A_new.data[r] = list(E[i].data)
    A_new = A_new.tocsc()
    rl_new[rows], ru_new[rows] = -INF, beta
    cost_new = cost[keep] - (cost[cols] @ E if len(cols) else 0)
    offset = float(cost[cols] @ beta)
    cl, cu = np.array(lp.col_lower_, float)[keep], np.array(lp.col_upper_, float)[keep]
    return A_new, rl_new, ru_new, np.asarray(cost_new).ravel(), cl, cu, offset, keep


def lever_reduced(args) -> None:
    import highspy

    _, d = _national(args.regions)
    m = _built(d)
    ref = _ipm(m.highs, args.time_limit)
    ref_obj = m.highs.getInfo().objective_function_value
    v = m.columns
    blocks = {b.name: b for b in m.blocks}
    k = np.arange(v.K)
    pairs = [(blocks["flow"].start + k, v.dec + k), (blocks["target_gap"].start + k, v.surplus + k)]
    t0 = time.perf_counter()
    A, rl, ru, cost, cl, cu, offset, _ = substitute(m.highs.getLp(), pairs)
    t_sub = time.perf_counter() - t0
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, cl, cu
    lp.row_lower_, lp.row_upper_ = rl, ru
    lp.offset_ = offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = A.shape[1], A.shape[0]
    h = highspy.Highs()
    h.silent()
    h.passModel(lp)
    sec = _ipm(h, args.time_limit)
    obj = h.getInfo().objective_function_value
    print("| lever | size | non-zeros | LP s (IPM + crossover) | objective | rel. diff |")
    print("|---|---|---|---|---|---|")
    nnz = len(m.highs.getLp().a_matrix_.value_)
    print(f"| as built | {v.n:,} cols, {m.highs.getNumRow():,} rows | {nnz:,} | {ref:.1f} | {ref_obj:.6f} | 0 |")
    print(
        f"| dec, surplus substituted ({t_sub:.1f} s to build) | {A.shape[1]:,} cols, {A.shape[0]:,} rows | {A.nnz:,} |"
        f" {sec:.1f} | {obj:.6f} | {abs(obj - ref_obj) / ref_obj:.1e} |"
    )


# ------------------------------------------------------------------------------ lagrange


def split(m):
    """The built model split for decomposition: ``(cost, Ac, bc, blocks)`` with the coupling rows
    ``Ac v <= bc`` (``region_net_loss``, ``national_moves``) and, per specialty, ``(columns,
    highspy.Highs of its block LP, Ac[:, columns])``, each block solved by simplex (warm across
    cost changes)."""
    import highspy

    lp = m.highs.getLp()
    A = constraint_matrix(lp).tocsr()
    rl, ru = np.array(lp.row_lower_), np.array(lp.row_upper_)
    cost, cl, cu = np.array(lp.col_cost_), np.array(lp.col_lower_), np.array(lp.col_upper_)
    coupling = np.zeros(A.shape[0], bool)
    for b in m.blocks:
        if b.name in ("region_net_loss", "national_moves"):
            coupling[b.start : b.start + b.size] = True
    Ac, bc = A[coupling].tocsc(), ru[coupling]  # all "<=" rows
    v = m.columns
    spec_of = np.full(v.n, -1)  # the specialty of every column (z absent: q = 0)
    for name in v.names:
        spec_of[v.span(name)] = v.s
    rest = A[~coupling]
    rl_r, ru_r = rl[~coupling], ru[~coupling]
    row_spec = spec_of[rest.indices[rest.indptr[:-1]]]
    blocks = []
    for s in range(v.S):
        cols = np.flatnonzero(spec_of == s)
        rows = np.flatnonzero(row_spec == s)
        sub = rest[rows][:, cols].tocsc()
        h = highspy.Highs()
        h.silent()
        blp = highspy.HighsLp()
        blp.num_col_, blp.num_row_ = len(cols), len(rows)
        blp.col_cost_, blp.col_lower_, blp.col_upper_ = cost[cols], cl[cols], cu[cols]
        blp.row_lower_, blp.row_upper_ = rl_r[rows], ru_r[rows]
        blp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        blp.a_matrix_.start_, blp.a_matrix_.index_, blp.a_matrix_.value_ = sub.indptr, sub.indices, sub.data
        blp.a_matrix_.num_col_, blp.a_matrix_.num_row_ = len(cols), len(rows)
        h.passModel(blp)
        h.setOptionValue("solver", "simplex")
        blocks.append((cols, h, Ac[:, cols]))
    return cost, Ac, bc, blocks


def lever_lagrange(args) -> None:
    """Dualise region_net_loss and national_moves; the rest separates by specialty."""

    _, d = _national(args.regions)
    m = _built(d)
    ref = _ipm(m.highs, args.time_limit)
    z_star = m.highs.getInfo().objective_function_value
    v = m.columns
    cost, Ac, bc, blocks = split(m)
    lam = np.zeros(Ac.shape[0])
    best, times = -np.inf, []
    col = np.zeros(v.n)
    for it in range(args.iterations):
        t0 = time.perf_counter()
        reduced = cost + Ac.T @ lam
        for cols, h, _ in blocks:
            h.changeColsCost(len(cols), np.arange(len(cols), dtype=np.int32), reduced[cols])
            h.run()
            col[cols] = np.asarray(h.getSolution().col_value)
        times.append(time.perf_counter() - t0)
        g = Ac @ col - bc  # subgradient
        L = float(reduced @ col - lam @ bc)
        best = max(best, L)
        step = (z_star - L) / max(float(g @ g), 1e-12)  # Polyak with the true optimum: the best case
        lam = np.maximum(0.0, lam + step * g)
        if it in (0, 4, 9, 19, 29, 49, 99) or it == args.iterations - 1:
            viol = float(np.maximum(g, 0).max())
            print(
                f"iteration {it + 1}: bound {best:.4f} (gap {100 * (z_star - best) / z_star:.3f}%), "
                f"coupling violation {viol:.2f} posts, {times[-1]:.2f} s"
            )
    print(
        f"| Lagrangian, {args.iterations} subgradient steps | {statistics.median(times):.2f} s per step "
        f"(65 block LPs, warm) | bound {best:.4f} vs optimum {z_star:.4f} "
        f"(gap {100 * (z_star - best) / z_star:.3f}%) | IPM on the whole LP {ref:.1f} s |"
    )


# ---------------------------------------------------------------------------- dantzig-wolfe


def lever_dw(args) -> None:
    """Dantzig–Wolfe on the same split: a master over the coupling rows (region_net_loss,
    national_moves) and one convexity row per specialty, columns priced by the 65 block LPs
    (warm simplex), an elastic slack priced at 1e3 per post until the master is feasible."""
    import highspy

    INF = highspy.kHighsInf
    _, d = _national(args.regions)
    m = _built(d)
    ref = _ipm(m.highs, args.time_limit)
    z_star = m.highs.getInfo().objective_function_value
    v = m.columns
    cost, Ac, bc, blocks = split(m)
    nc = Ac.shape[0]
    master = highspy.Highs()
    master.silent()
    master.setOptionValue("solver", "simplex")
    # rows: coupling (<= bc), convexity (= 1); elastic slacks on the coupling rows
    master.addRows(nc, np.full(nc, -INF), bc, 0, np.array([], np.int32), np.array([], np.int32), np.array([]))
    master.addRows(v.S, np.ones(v.S), np.ones(v.S), 0, np.array([], np.int32), np.array([], np.int32), np.array([]))
    for i in range(nc):
        master.addCol(1e3, 0.0, INF, 1, np.array([i], np.int32), np.array([-1.0]))
    t0 = time.perf_counter()
    pi, mu = np.zeros(nc), np.zeros(v.S)
    best_lb, it, added, z_prev, z = -np.inf, 0, 0, np.inf, np.inf
    while it < args.iterations:
        it += 1
        total_rc, new = 0.0, 0
        for s, (cols, h, Acs) in enumerate(blocks):
            red = cost[cols] - Acs.T @ pi
            h.changeColsCost(len(cols), np.arange(len(cols), dtype=np.int32), red)
            h.run()
            vals = np.asarray(h.getSolution().col_value)
            rc = float(red @ vals) - mu[s]
            total_rc += min(rc, 0.0)
            if rc < -1e-9 * max(1.0, abs(z_star)) or it == 1:
                a = Acs @ vals
                nz = np.flatnonzero(a)
                idx = np.concatenate([nz, [nc + s]]).astype(np.int32)
                master.addCol(float(cost[cols] @ vals), 0.0, INF, len(idx), idx, np.concatenate([a[nz], [1.0]]))
                new += 1
        added += new
        master.run()
        z = master.getInfo().objective_function_value
        dual = np.asarray(master.getSolution().row_dual)
        pi, mu = dual[:nc], dual[nc:]
        if it > 1:  # Lagrangian bound from the previous master's duals
            best_lb = max(best_lb, z_prev + total_rc)
        z_prev = z
        if it in (1, 2, 5, 10, 20, 50, 100, 200) or new == 0:
            print(
                f"iteration {it}: master {z:.4f} (optimum {z_star:.4f}, {100 * (z - z_star) / z_star:+.3f}%), "
                f"bound {best_lb:.4f}, {added} columns, {time.perf_counter() - t0:.1f} s"
            )
        if new == 0:
            break
    print(
        f"| Dantzig–Wolfe, {it} iterations | {time.perf_counter() - t0:.1f} s | master {z:.4f} vs optimum "
        f"{z_star:.4f} ({100 * (z - z_star) / z_star:+.3f}%) | IPM on the whole LP {ref:.1f} s |"
    )


# ------------------------------------------------------------------------- interior duals


def lever_ipm_face(args) -> None:
    """The §6b face from the interior-point duals (no crossover): a reduced cost or row dual
    above ``tol · max(1, |cost|)`` fixes its column or row, as complementary slackness does
    with a basic solution's duals; then the same QP. Compared with the shipped route (crossover,
    then the face from the basic duals) on the posts it reports."""
    from allocator.model import tiebreak

    _, d = _national(args.regions)
    target_bar = d.target_bar.reshape(-1)
    m = _built(d)
    t_ref = _ipm(m.highs, args.time_limit)
    v = m.columns
    t0 = time.perf_counter()
    ref = tiebreak.least_squares(m.highs, np.arange(v.K), target_bar)
    t_ref_tb = time.perf_counter() - t0
    print(f"shipped: IPM + crossover {t_ref:.1f} s, tie-break {t_ref_tb:.1f} s ({ref.free_columns:,} free columns)")
    for tol in (1e-9, 1e-7, 1e-5, 1e-4, 1e-3, 1e-2):
        m = _built(d)
        h = m.highs
        t_ipm = _run(h, time_limit=args.time_limit, solver="ipm", run_crossover="off")
        lp, sol = h.getLp(), h.getSolution()
        scale = np.maximum(1.0, np.abs(np.asarray(lp.col_cost_)))
        cd, rd = np.asarray(sol.col_dual), np.asarray(sol.row_dual)
        cl, cu = np.array(lp.col_lower_, float), np.array(lp.col_upper_, float)
        rl, ru = np.array(lp.row_lower_, float), np.array(lp.row_upper_, float)
        lo_c, up_c = (cd > tol * scale) & np.isfinite(cl), (cd < -tol * scale) & np.isfinite(cu)
        cu[lo_c], cl[up_c] = cl[lo_c], cu[up_c]
        lo_r, up_r = (rd > tol) & np.isfinite(rl), (rd < -tol) & np.isfinite(ru)
        ru[lo_r], rl[up_r] = rl[lo_r], ru[up_r]
        t1 = time.perf_counter()
        try:
            tb = tiebreak.on_face(tiebreak.constraint_matrix(lp), cl, cu, rl, ru, np.arange(v.K), target_bar)
            diff = float(np.abs(tb.posts - ref.posts).max())
            obj = float(np.asarray(lp.col_cost_) @ tb.columns)
            status = (
                f"max |Δ posts| {diff:.1e}, objective {obj:.6f} vs {float(np.asarray(lp.col_cost_) @ ref.columns):.6f}"
            )
        except tiebreak.TieBreakError as err:
            status = f"QP failed: {err}"
        t_qp = time.perf_counter() - t1
        print(f"| tol {tol:g} | IPM without crossover {t_ipm:.1f} s | QP {t_qp:.1f} s | {status} |")


# --------------------------------------------------------------------------------- trust


def lever_trust(args) -> None:
    import highspy

    import allocator

    inst, d = _national(args.regions)
    t0 = time.perf_counter()
    res = allocator.solve(inst, threads=1, time_limit=args.time_limit)
    e2e = time.perf_counter() - t0
    m = _built(d)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "trust.mps")
        m.write(path)
        h = highspy.Highs()
        h.silent()
        h.readModel(path)
        alone = _ipm(h, args.time_limit)
    print(
        f"| {args.regions}×65×10 | {m.highs.getNumRow():,} × {m.columns.n:,} | end to end {e2e:.1f} s "
        f"({res.status}, tie-break {res.tie_break}) | HiGHS IPM alone {alone:.1f} s "
        f"({h.modelStatusToString(h.getModelStatus())}) | {e2e / alone:.2f}× |"
    )


# --------------------------------------------------------------------------------- sweep


def lever_sweep(args) -> None:
    import allocator
    from allocator.core.spec import DEFAULT_MODEL
    from allocator.model.backends.base import SolveOptions
    from allocator.study.warm import solve_weightings

    inst, d = _national(args.regions)
    specs = [
        DEFAULT_MODEL.with_weights(moves=m, worst_shortfall=q)
        for m in np.geomspace(0.001, 1.0, 10)
        for q in (0.0, 1.0, 5.0, 20.0, 50.0)
    ]
    cold = []
    for spec in specs[: args.cold]:
        t0 = time.perf_counter()
        allocator.solve(inst, spec, threads=1)
        cold.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    warm = list(solve_weightings(d, specs, options=SolveOptions(threads=1)))
    t_warm = time.perf_counter() - t0
    per_cold = statistics.median(cold)
    n_warm = sum(1 for _, _, w in warm if w)
    print(
        f"| 50 weightings | cold: {per_cold:.1f} s each (median of {len(cold)}), 50 × = {50 * per_cold:.0f} s "
        f"(extrapolated) | warm: {t_warm:.0f} s ({n_warm} warm-started) | {50 * per_cold / t_warm:.1f}× |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lever", choices=["reduced", "lagrange", "dw", "ipm-face", "trust", "sweep"])
    ap.add_argument("--regions", type=int, default=None, help="R (default 42; 200 for trust)")
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--cold", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=600.0)
    args = ap.parse_args()
    if args.regions is None:
        args.regions = 200 if args.lever == "trust" else 42
    levers = {"reduced": lever_reduced, "lagrange": lever_lagrange, "dw": lever_dw, "trust": lever_trust}
    levers["sweep"], levers["ipm-face"] = lever_sweep, lever_ipm_face
    levers[args.lever](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
