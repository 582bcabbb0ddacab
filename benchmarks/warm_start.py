"""Warm-started sweep versus cold solves: the same weightings, one built model against fresh builds.

Warm (what :func:`allocator.study.warm.solve_weightings` does in a sweep, one process): build the
HiGHS model once (with the ``z`` column), solve the first weighting with interior point and
crossover, then for each further weighting change the column costs in place and restart
primal simplex from the previous optimal basis. Cold: for each weighting, a fresh build and
the default solve (interior point with crossover). Both include assembling the Result
(measures and duals); one HiGHS thread. Every warm objective must equal the cold one to
1e-6 relative, or the script exits 1.

    python benchmarks/warm_start.py                      # 42x65x10, 50 weightings (~25 min)
    python benchmarks/warm_start.py --size 42x20x5 --weightings 20

The 50 weightings are the product of 10 ``moves`` values (0.005 … 5) and 5
``worst_shortfall`` values (0 … 50) over the default model: a typical sweep grid.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL
from allocator.model.backends.base import SolveOptions
from allocator.study.generate import generate
from allocator.study.grids import expand_grid
from allocator.study.warm import solve_weightings, warm_order

MOVES = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
WORST = [0.0, 1.0, 5.0, 20.0, 50.0]
RTOL = 1e-6


def weightings(n: int):
    specs = expand_grid(DEFAULT_MODEL, {"moves": MOVES, "worst_shortfall": WORST})
    return specs[:n]


def run(d, specs, order, warm: bool, threads: int, log) -> tuple[float, dict[int, tuple[float, float, str, bool]]]:
    """Total seconds, and per weighting (objective, seconds, status, warm-started)."""
    out = {}
    t_all = time.perf_counter()
    t_prev = t_all
    for i, res, warm_started in solve_weightings(d, specs, SolveOptions(threads=threads), warm=warm, order=order):
        now = time.perf_counter()
        out[i] = (res.objective, now - t_prev, res.status, warm_started)
        log(
            f"{'warm' if warm else 'cold'} {len(out):3d}/{len(specs)} {specs[i].name:45s} {res.status:8s} "
            f"{res.objective!s:>22s} {now - t_prev:8.3f} s"
        )
        t_prev = now
    return time.perf_counter() - t_all, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="42x65x10")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--weightings", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, default=Path("benchmarks/_work/warm_start.json"))
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    R, S, Y = (int(k) for k in args.size.split("x"))
    d = problem_data(generate(R, S, Y, seed=args.seed))
    specs = weightings(args.weightings)
    order = warm_order(specs)
    log(f"instance generate({R}, {S}, {Y}, seed={args.seed}); {len(specs)} weightings; {args.threads} thread(s)")

    warm_s, warm = run(d, specs, order, True, args.threads, log)
    cold_s, cold = run(d, specs, order, False, args.threads, log)

    worst = 0.0
    bad = []
    for i in range(len(specs)):
        ow, oc = warm[i][0], cold[i][0]
        if ow is None or oc is None or warm[i][2] != cold[i][2]:
            bad.append(i)
            continue
        rel = abs(ow - oc) / max(1.0, abs(oc))
        worst = max(worst, rel)
        if rel > RTOL:
            bad.append(i)
    n_warm = sum(1 for v in warm.values() if v[3])
    first = warm[order[0]][1]
    later = [warm[i][1] for i in order[1:]]
    cold_each = [v[1] for v in cold.values()]
    rows = [
        (
            "warm (one model, primal simplex from the last basis)",
            warm_s,
            first,
            statistics.median(later) if later else 0,
        ),
        ("cold (fresh build + interior point each)", cold_s, cold_each[0], statistics.median(cold_each)),
    ]
    log("")
    log(f"| run ({args.size}, {len(specs)} weightings, {args.threads} thread) | total s | first s | median per run s |")
    log("|---|---|---|---|")
    for name, total, f, med in rows:
        log(f"| {name} | {total:,.1f} | {f:.2f} | {med:.3f} |")
    log("")
    log(f"speed-up (cold total / warm total): {cold_s / warm_s:.1f}x; warm-started runs: {n_warm}/{len(specs) - 1}")
    log(f"largest relative objective difference warm vs cold: {worst:.2e} (tolerance {RTOL:g})")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "size": args.size,
                "seed": args.seed,
                "threads": args.threads,
                "weightings": [s.name for s in specs],
                "warm_total_s": warm_s,
                "cold_total_s": cold_s,
                "speedup": cold_s / warm_s,
                "max_rel_diff": worst,
                "mismatches": [specs[i].name for i in bad],
                "warm": {specs[i].name: warm[i] for i in warm},
                "cold": {specs[i].name: cold[i] for i in cold},
                "machine": platform.platform(),
                "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
            },
            indent=1,
        )
    )
    if bad:
        log(f"MISMATCH: warm and cold differ on {', '.join(specs[i].name for i in bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
