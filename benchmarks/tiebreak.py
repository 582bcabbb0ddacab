"""The §6b tie-break: its cost beside the LP, and the agreement it buys.

For each instance (default model ``fair-share``, one HiGHS thread):

- **LP s**: HiGHS's interior point with crossover (the default method), no tie-break;
- **tie-break s**: the least-squares QP over the optimal face found by complementary
  slackness, solved by Clarabel with its active-set polish (:mod:`allocator.model.tiebreak`);
- **QP columns**, **held rows**, **rounds**: the QP in its smallest form (fixed and defined
  columns out, one-column rows as bounds; :mod:`allocator.model.face_form`), the dense
  inequality rows it held back to the end, and its solves;
- **plain s** (``--plain``): the same face as one QP over every free column and row (the form
  before the smallest form), for comparison, and **plain Δ**, the largest post difference;
- **HiGHS QP s** (``--highs-qp``, small sizes only): the same QP on the same face solved by
  HiGHS's own active-set QP solver, for the choice of solver;
- **vertex Δ**: the largest difference in any cell between the interior-point and the
  dual-simplex vertices (posts); **answer Δ**: the same after the tie-break.

Times are medians of ``--repeats`` runs (the machine is shared and noisy).

    python benchmarks/tiebreak.py                                  # 4 sizes, ~5 min
    python benchmarks/tiebreak.py --instances 42x20x5 --highs-qp --repeats 1
    python benchmarks/tiebreak.py --instances england-icb-2025 42x65x10 --plain --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

import allocator
from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL
from allocator.model import face_cache, tiebreak
from allocator.model.backends.base import SolveOptions
from allocator.pipeline.steps import build_data
from allocator.study.generate import generate

ROOT = Path(__file__).resolve().parents[1]
SIZES = ["7x10x5", "42x20x5", "england-icb-2025", "42x65x10"]


def load(name: str):
    if name.startswith("england"):
        return allocator.load_instance(ROOT / "instances" / f"{name}.json")
    R, S, Y = (int(v) for v in name.split("x"))
    return generate(R, S, Y, seed=1)


def highs_qp(h, x_cols, tbar) -> float:
    """Seconds for HiGHS's own QP solver on the same face (for comparison)."""
    import highspy

    lp, cl, cu, rl, ru = tiebreak.optimal_face(h)
    n = lp.num_col_
    w = tiebreak.weights(tbar)
    lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_ = cl, cu, rl, ru
    cost = np.zeros(n)
    cost[x_cols] = -2 * w * tbar
    lp.col_cost_ = cost
    q = highspy.Highs()
    q.silent()
    q.passModel(lp)
    diag = np.zeros(n)
    diag[x_cols] = 2 * w
    idx = np.flatnonzero(diag).astype(np.int32)
    start = np.zeros(n + 1, dtype=np.int32)
    start[1:] = np.cumsum(diag != 0)
    q.passHessian(n, len(idx), highspy.HessianFormat.kTriangular, start, idx, diag[idx])
    q.setOptionValue("threads", 1)
    t0 = time.perf_counter()
    q.run()
    return time.perf_counter() - t0


def plain(h, x_cols, tbar) -> tuple[float, np.ndarray, int]:
    """Seconds, posts and columns of the plain-form QP on the same face."""
    lp, cl, cu, rl, ru = tiebreak.optimal_face(h)
    t0 = time.perf_counter()
    tb = tiebreak.on_face(tiebreak.constraint_matrix(lp), cl, cu, rl, ru, x_cols, tbar, substitute=False)
    return time.perf_counter() - t0, tb.posts, tb.free_columns


def measure(name: str, repeats: int, with_highs_qp: bool, with_plain: bool = False) -> dict:
    d = problem_data(load(name))
    x_cols = np.arange(int(np.prod(d.shape)))
    tbar = d.target_bar.reshape(-1)
    lp_s, tb_s, answers, vertices = [], [], {}, {}
    # dual simplex takes over 10 minutes on 42×65×10: the vertex comparison is for smaller sizes
    methods = ("ipm", "simplex") if x_cols.size <= 20_000 else ("ipm",)
    for method in methods:
        for _ in range(repeats if method == "ipm" else 1):
            built = build_data(d, DEFAULT_MODEL)
            m = built.model
            raw = built.solve_raw(SolveOptions(method=method, threads=1, tie_break="none"))
            face_cache.clear()  # each QP solved, not reused from an earlier run's identical face
            tb = tiebreak.least_squares(m.highs, x_cols, tbar)
            if method == "ipm":
                lp_s.append(raw.solve_seconds)
                tb_s.append(tb.seconds)
            vertices[method], answers[method] = raw.x.reshape(-1), tb.posts
    row = {
        "instance": name,
        "R×S×Y": "×".join(str(v) for v in d.shape),
        "LP s": statistics.median(lp_s),
        "tie-break s": statistics.median(tb_s),
        "tie-break / LP": statistics.median(tb_s) / statistics.median(lp_s),
        "QP columns": tb.free_columns,
        "held rows": tb.held_rows,
        "rounds": tb.rounds,
    }
    if with_plain:
        seconds, posts, columns = plain(m.highs, x_cols, tbar)
        row["plain s"], row["plain columns"] = seconds, columns
        row["plain Δ"] = float(np.abs(posts - answers["ipm"]).max())
    if "simplex" in vertices:
        row["vertex Δ"] = float(np.abs(vertices["ipm"] - vertices["simplex"]).max())
        row["answer Δ"] = float(np.abs(answers["ipm"] - answers["simplex"]).max())
    if with_highs_qp:
        row["HiGHS QP s"] = highs_qp(m.highs, x_cols, tbar)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", nargs="+", default=SIZES)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--highs-qp", action="store_true", help="also time HiGHS's QP solver on the face")
    ap.add_argument("--plain", action="store_true", help="also time the plain-form QP on the face")
    args = ap.parse_args()
    rows = [measure(n, args.repeats, args.highs_qp, args.plain) for n in args.instances]
    cols: list[str] = []
    for r in rows:
        cols += [c for c in r if c not in cols]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            cells.append(
                f"{v:.2e}" if isinstance(v, float) and "Δ" in c else f"{v:.2f}" if isinstance(v, float) else str(v)
            )
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
