"""Whole posts two ways: LP + rounding against the MIP, on generated and England instances.

For each instance (default model ``fair-share``, one HiGHS thread):

- **LP + rounding**: the LP optimum (interior point with crossover), then
  :func:`allocator.rounding.round_result`: national totals kept exactly, cells within
  capacity and locks, region totals kept where possible. Times are medians of ``--repeats``
  runs; the rounding time includes re-measuring and the independent checker.
- **MIP**: ``integer=True`` with ``--mip-gap`` (1e-4) and ``--time-limit`` (120 s), one run
  (a run may take minutes). Its status, objective, gap and best bound are reported; at a time
  limit without an incumbent there is no objective.

Reported: each objective; rounded − LP (absolute and % of the LP optimum) and rounded − MIP
(absolute and % of the MIP objective);
the times; and how many constraints rounding broke, by family (the MIP breaks none: it is
checked too).

    python benchmarks/rounding.py                                 # 3 generated + 3 England, ~15 min
    python benchmarks/rounding.py --instances 7x10x5 england-regions-2025 --time-limit 30
    python benchmarks/rounding.py --out benchmarks/rounding.md    # also write the table
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

import allocator
from allocator.data import problem_data
from allocator.generate import generate
from allocator.rounding import round_result

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = [
    "7x10x5",
    "42x20x5",
    "42x65x10",
    "england-regions-2025",
    "england-training-regions-2025",
    "england-icb-2025",
]
# short names of the constraint families in the table
SHORT = {
    "growth_limit": "growth",
    "shrink_limit": "shrink",
    "programme_shrink": "programme",
    "region_net_loss": "region-loss",
    "national_moves": "moves",
    "budget": "budget",
}


def load(name: str) -> allocator.Instance:
    """A generated size ``RxSxY`` (seed 1) or a shipped instance by file stem."""
    if name[0].isdigit():
        R, S, Y = (int(v) for v in name.split("x"))
        return generate(R, S, Y, seed=1)
    return allocator.load_instance(ROOT / "instances" / f"{name}.json")


def lp_and_rounding(inst, repeats: int, threads: int):
    """Median LP solve seconds, median rounding seconds, the LP result and the rounded one."""
    d = problem_data(inst)
    lp_times, round_times = [], []
    lp = rounded = None
    for _ in range(repeats):
        lp = allocator.solve(inst, threads=threads)
        if lp.status != "optimal":
            raise RuntimeError(f"{inst.name}: LP status {lp.status}")
        lp_times.append(lp.solve_seconds)
        t0 = time.perf_counter()
        rounded = round_result(d, allocator.DEFAULT_MODEL, lp, instance=inst)
        round_times.append(time.perf_counter() - t0)
    return statistics.median(lp_times), statistics.median(round_times), lp, rounded


def pct(value: float, base: float) -> str:
    return f"{100 * value / abs(base):+.3f}%" if base else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", nargs="+", default=INSTANCES, help="RxSxY (generated, seed 1) or a shipped stem")
    ap.add_argument("--repeats", type=int, default=3, help="LP + rounding runs (median)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="MIP seconds")
    ap.add_argument("--mip-gap", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = ap.parse_args(argv)

    head = (
        "| instance | R×S×Y | LP obj | LP s | round s | LP+round obj | round − LP | MIP status | MIP obj "
        "| MIP gap | MIP bound | MIP s | round − MIP | constraints rounding broke |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    failed = False
    for name in args.instances:
        inst = load(name)
        size = "×".join(map(str, problem_data(inst).shape))
        print(f"{name} ({size}): LP + rounding ×{args.repeats} ...", file=sys.stderr, flush=True)
        lp_s, round_s, lp, rounded = lp_and_rounding(inst, args.repeats, args.threads)
        counts = Counter(rounded.rounding["counts"])
        broken = (
            f"{sum(counts.values())} (" + ", ".join(f"{SHORT.get(k, k)} {n}" for k, n in counts.most_common()) + ")"
            if counts
            else "0"
        )
        print(f"  MIP (limit {args.time_limit:g} s, gap {args.mip_gap:g}) ...", file=sys.stderr, flush=True)
        mip = allocator.solve(
            inst, integer=True, mip_gap=args.mip_gap, time_limit=args.time_limit, threads=args.threads
        )
        has_mip = mip.objective is not None and len(mip.allocation)
        if has_mip:
            x = mip.allocation["posts"].to_numpy(dtype=float)
            report = allocator.check(inst, mip, model=allocator.DEFAULT_MODEL)
            if not report.ok or np.abs(x - np.round(x)).max() > 1e-6:
                print(f"  MIP result fails the checker or is fractional:\n{report}", file=sys.stderr)
                failed = True
        r_obj, l_obj = rounded.objective, lp.objective
        gap_lp = f"{r_obj - l_obj:+.2f} ({pct(r_obj - l_obj, l_obj)})"
        if has_mip:
            m_obj = mip.objective
            gap_mip = f"{r_obj - m_obj:+.2f} ({pct(r_obj - m_obj, m_obj)})"
            mip_cols = f"{m_obj:.2f} | {mip.mip_gap:.2e} | {mip.best_bound:.2f}"
        else:
            gap_mip, mip_cols = "-", "none | - | -"
        lines.append(
            f"| {name} | {size} | {l_obj:.2f} | {lp_s:.2f} | {round_s:.2f} | {r_obj:.2f} | {gap_lp} | {mip.status} "
            f"| {mip_cols} | {mip.solve_seconds:.1f} | {gap_mip} | {broken} |"
        )
        print(lines[-1], flush=True)
    table = "\n".join(lines) + "\n"
    print("\n" + table)
    if args.out:
        args.out.write_text(table)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
