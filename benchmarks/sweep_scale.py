"""Sweeps across Dask workers: the 50-weighting sweep on one worker against two, warm against cold.

The grid is that of ``benchmarks/warm_start.py`` (10 ``moves`` × 5 ``worst_shortfall`` values over
the default model) on ``generate(R, S, Y, seed=1)``. For each worker count a
``distributed.LocalCluster(n_workers=W, threads_per_worker=1, processes=True)`` is started
first (not timed); the wall seconds are those of :func:`allocator.study.sweep.sweep` on it
(one HiGHS thread per run, no store, no progress bar): planning, shipping the problem data,
``W`` warm chains, collecting the results. Per run the figures are the runs table's
``time_total`` (build, solve, tie-break, assembly of that run).

Cold is a fresh build and default solve per run (interior point + crossover, then the
tie-break), in this process with the face cache emptied before each run (as a run in a fresh
process): timed on a sample of ``--cold-sample`` weightings evenly spread over the warm order
(the first included), and the cold sweep is projected as 50 × their median.

The projection to more workers uses the measured per-run times of the one-worker sweep: the
runs cut as the sweep cuts them (:mod:`allocator.study.chains`: ``W`` pieces, neighbouring
pieces in pairs whose two chains share the segment from both ends), each chain's first run
costing the median cold run (every chain starts cold), every other run what it took in the
one-worker chain (a backward chain's step is taken to cost what the same step took forward);
the projected wall is the last chain's end plus the sweep's fixed cost measured with one
worker (wall minus the sum of its runs). It assumes one free core per worker, as on a
cluster, and is checked against the measured two-worker sweep.

    python benchmarks/sweep_scale.py --size 42x20x5                   # ~2 min
    python benchmarks/sweep_scale.py                                  # 42x65x10, ~15 min

Exits 1 if a two-worker objective differs from the one-worker one by more than 1e-6
(relative) or a run is not optimal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL
from allocator.model import face_cache
from allocator.model.backends.base import SolveOptions
from allocator.study.chains import split_chain
from allocator.study.generate import generate
from allocator.study.grids import expand_grid
from allocator.study.sweep import LOCAL_HOST, sweep
from allocator.study.warm import solve_weightings, warm_order

MOVES = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
WORST = [0.0, 1.0, 5.0, 20.0, 50.0]
GRID = {"moves": MOVES, "worst_shortfall": WORST}
RTOL = 1e-6


def timed_sweep(inst, workers: int, log) -> dict:
    """Wall seconds of the sweep on a fresh local cluster of ``workers`` single-thread processes,
    the runs table, and per task its worker and compute seconds (Dask's task stream)."""
    from distributed import Client, LocalCluster, get_task_stream

    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host=LOCAL_HOST, dashboard_address=None
    )
    client = Client(cluster)
    try:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        with get_task_stream(client) as stream:
            runs = sweep(inst, GRID, client=client, progress=False, options=SolveOptions(threads=1))
        wall = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    tasks = []
    for t in stream.data:
        compute = [s for s in t["startstops"] if s["action"] == "compute"]
        tasks.append({"worker": t["worker"], "seconds": sum(s["stop"] - s["start"] for s in compute)})
    log(f"{workers} worker(s): {wall:.1f} s wall, load average before {load:.2f}, after {os.getloadavg()[0]:.2f}")
    return {"wall": wall, "runs": runs, "tasks": tasks}


def cold_sample(d, specs, order: list[int], k: int, log) -> dict[int, float]:
    """Seconds of a fresh build + solve of ``k`` weightings spread over the warm order."""
    picks = sorted({order[round(j * (len(order) - 1) / max(k - 1, 1))] for j in range(k)}, key=order.index)
    out = {}
    for i in picks:
        face_cache.clear()  # a cold run: no earlier face in this process
        t0 = time.perf_counter()
        ((_, res, _),) = list(solve_weightings(d, [specs[i]], SolveOptions(threads=1), warm=False))
        out[i] = time.perf_counter() - t0
        log(f"cold {specs[i].name:45s} {res.status:8s} {out[i]:8.2f} s")
        if res.status != "optimal":
            raise SystemExit(f"cold run {specs[i].name}: {res.status}")
    return out


def project(per_run: list[float], cold: float, fixed: float, workers: int) -> float:
    """Wall seconds of the sweep on ``workers`` workers from per-run seconds in warm order, cut
    as the sweep cuts it (``workers`` pieces, neighbouring pieces in pairs sharing their segment
    from both ends): each chain's first run costs ``cold``; then whichever chain of a pair is
    free first claims the next run from its end, at that run's measured one-worker seconds."""
    pieces = split_chain(per_run, workers)
    ends = []
    for j in range(0, len(pieces), 2):
        seg = [t for piece in pieces[j : j + 2] for t in piece]
        if len(pieces[j : j + 2]) == 1:
            ends.append(cold + sum(seg[1:]))
            continue
        lo, hi = 1, len(seg) - 2  # the first and last runs are the two cold starts
        clock = [cold, cold]  # forward, backward
        while lo <= hi:
            c = 0 if clock[0] <= clock[1] else 1
            clock[c] += seg[lo] if c == 0 else seg[hi]
            lo, hi = (lo + 1, hi) if c == 0 else (lo, hi - 1)
        ends.append(max(clock))
    return fixed + max(ends)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="42x65x10")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cold-sample", type=int, default=5)
    ap.add_argument("--project", type=int, nargs="*", default=[2, 4, 8, 16])
    ap.add_argument("--json", type=Path, default=Path("benchmarks/_work/sweep_scale.json"))
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    R, S, Y = (int(k) for k in args.size.split("x"))
    inst = generate(R, S, Y, seed=args.seed)
    specs = expand_grid(DEFAULT_MODEL, GRID)
    order = warm_order(specs)
    names = [specs[i].name for i in order]
    log(f"instance generate({R}, {S}, {Y}, seed={args.seed}); {len(specs)} weightings; 1 HiGHS thread per run")

    one = timed_sweep(inst, 1, log)
    two = timed_sweep(inst, 2, log)
    cold = cold_sample(problem_data(inst), specs, order, args.cold_sample, log)

    bad = []
    r1, r2 = (s["runs"].set_index("model") for s in (one, two))
    for name in names:
        a, b = r1.loc[name], r2.loc[name]
        if (
            a["status"] != "optimal"
            or b["status"] != "optimal"
            or not np.isfinite([a["objective"], b["objective"]]).all()
        ):
            bad.append(name)
        elif abs(a["objective"] - b["objective"]) > RTOL * max(1.0, abs(a["objective"])):
            bad.append(name)

    per_run = [float(r1.loc[n, "time_total"]) for n in names]  # warm order: one chain
    cold_median = statistics.median(cold.values())
    warm_runs = [t for n, t in zip(names, per_run, strict=True) if r1.loc[n, "warm_start"]]
    fixed = max(0.0, one["wall"] - sum(per_run))
    cold_sweep = len(specs) * cold_median
    reused = {k: int(s["runs"]["tie_break_reused"].sum()) for k, s in (("1", one), ("2", two))}
    busy2 = {}
    for t in two["tasks"]:
        busy2[t["worker"]] = busy2.get(t["worker"], 0.0) + t["seconds"]
    projected = {w: project(per_run, cold_median, fixed, w) for w in args.project}

    log("")
    log(f"| {args.size}, {len(specs)} weightings | seconds |")
    log("|---|---|")
    log(f"| sweep, 1 worker (wall) | {one['wall']:.1f} |")
    log(f"| sweep, 2 workers (wall) | {two['wall']:.1f} |")
    log(f"| speed-up, 2 workers against 1 | **{one['wall'] / two['wall']:.2f}×** |")
    log(f"| cold run, median of {len(cold)} (fresh build + solve + tie-break) | {cold_median:.2f} |")
    log(f"| first run of the 1-worker chain (cold start) | {per_run[0]:.2f} |")
    log(f"| warm run, median of {len(warm_runs)} (1 worker) | {statistics.median(warm_runs):.3f} |")
    log(f"| cold sweep, projected: {len(specs)} × median cold run | {cold_sweep:.1f} |")
    log(f"| warm against cold, 1 worker | **{cold_sweep / one['wall']:.1f}×** |")
    log(f"| fixed cost of a sweep (1-worker wall − its runs) | {fixed:.2f} |")
    log("")
    log(f"tie-breaks reused (same optimal face): {reused['1']}/{len(specs)} with 1 worker, {reused['2']} with 2")
    hit = r1.loc[names[1:], "tie_break_reused"].astype(bool).to_numpy()
    later = np.array(per_run[1:])
    if hit.any() and (~hit).any():
        log(
            f"1 worker, runs after the first: {hit.sum()} reused the tie-break, median {np.median(later[hit]):.2f} s, "
            f"{later[hit].sum():.1f} s in all; {(~hit).sum()} did not, median {np.median(later[~hit]):.2f} s, "
            f"{later[~hit].sum():.1f} s in all; slowest run {max(per_run):.1f} s"
        )
    starts = int((~two["runs"]["warm_start"]).sum())
    log(
        f"2 workers: compute seconds per worker {', '.join(f'{v:.1f}' for v in busy2.values())}; "
        f"runs not warm-started {starts} (the chains' cold starts and any warm start that fell back)"
    )
    log("")
    log("| workers | projected wall s | × 1 worker (measured) |")
    log("|---|---|---|")
    for w, p in projected.items():
        log(f"| {w} | {p:.1f} | {one['wall'] / p:.2f} |")
    if 2 in projected:
        log(f"projection for 2 workers {projected[2]:.1f} s against {two['wall']:.1f} s measured")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "size": args.size,
                "seed": args.seed,
                "weightings": names,
                "wall_1": one["wall"],
                "wall_2": two["wall"],
                "speedup_2": one["wall"] / two["wall"],
                "cold_sample": {specs[i].name: s for i, s in cold.items()},
                "cold_median": cold_median,
                "per_run_1": dict(zip(names, per_run, strict=True)),
                "warm_median": statistics.median(warm_runs),
                "warm_vs_cold": cold_sweep / one["wall"],
                "fixed": fixed,
                "reused": reused,
                "busy_2": busy2,
                "projected": projected,
                "mismatches": bad,
                "per_run_2": {n: float(r2.loc[n, "time_total"]) for n in names},
                "runs": {
                    n: {
                        k: [r.loc[n, "status"], float(r.loc[n, "objective"]), str(r.loc[n, "message"])]
                        for k, r in (("1", r1), ("2", r2))
                    }
                    for n in names
                },
                "max_rel_diff": float(
                    np.nanmax(
                        np.abs(r1.loc[names, "objective"].to_numpy() - r2.loc[names, "objective"].to_numpy())
                        / np.maximum(1.0, np.abs(r1.loc[names, "objective"].to_numpy()))
                    )
                ),
                "machine": platform.platform(),
                "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
            },
            indent=1,
        )
    )
    if bad:
        for n in bad:
            log(
                f"MISMATCH or not optimal: {n}: 1 worker {r1.loc[n, 'status']} {r1.loc[n, 'objective']!r}, "
                f"2 workers {r2.loc[n, 'status']} {r2.loc[n, 'objective']!r}"
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
