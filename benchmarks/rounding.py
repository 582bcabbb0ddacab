"""Whole posts that keep every limit (docs/model.md §7 v2): repair, and the MIP started from it.

For each instance (default model ``fair-share``, one HiGHS thread):

- **LP**: the LP optimum (interior point with crossover, tie-broken), its objective ``z*``;
- **repair** (``--round``): :func:`allocator.model.wholeposts.repair`, whole posts near the LP
  optimum that keep every constraint of §5; its objective, the gap to the LP bound, time
  (median of ``--repeats``), and the repair's steps;
- **MIP** (``--integer``): the LP, the repair, then HiGHS's MIP started from the repaired
  plan, within ``--time-limit`` (120 s) and ``--mip-gap`` (1e-4); its objective, proven
  bound and gap; and the repair's gap measured against that MIP bound.

Every whole-post plan is re-checked by the independent checker: the column ``broken`` must
read 0 (the script exits 1 otherwise).

    python benchmarks/rounding.py                                 # 3 generated + 3 England, ~15 min
    python benchmarks/rounding.py --instances 7x10x5 england-regions-2025 --time-limit 30
    python benchmarks/rounding.py --out benchmarks/rounding.md    # also write the table
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import allocator
from allocator.core.data import problem_data
from allocator.pipeline.rounding import round_result
from allocator.study.generate import generate

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


def lp_and_repair(inst, repeats: int, threads: int):
    """Median LP solve seconds, median repair seconds, the LP result and the whole-post one."""
    d = problem_data(inst)
    lp_times, repair_times = [], []
    lp = whole = None
    for _ in range(repeats):
        lp = allocator.solve(inst, threads=threads)
        if lp.status != "optimal":
            raise RuntimeError(f"{inst.name}: LP status {lp.status}")
        lp_times.append(lp.solve_seconds)
        t0 = time.perf_counter()
        # the repair alone (no bounding MIP: benchmarks/wholepost_bound.py measures that)
        whole = round_result(d, allocator.DEFAULT_MODEL, lp, instance=inst, threads=threads, bound_time=0)
        repair_times.append(time.perf_counter() - t0)
    return statistics.median(lp_times), statistics.median(repair_times), lp, whole


def pct(value: float, base: float) -> str:
    return f"{100 * value / abs(base):.3f}%" if base else "-"


def steps(res) -> str:
    """The repair's steps, shortly: "all k=0" or "by year (k≤3)"."""
    rec = res.rounding or {}
    done = [s for s in rec.get("steps", []) if s.get("status") in ("optimal", "time_limit")]
    if any("year" in s for s in done):
        return f"by year (k≤{max(s['width'] for s in done if 'year' in s and s['width'] != 'all')})"
    return "all years, k=0"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", nargs="+", default=INSTANCES, help="RxSxY (generated, seed 1) or a shipped stem")
    ap.add_argument("--repeats", type=int, default=3, help="LP + repair runs (median)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="MIP seconds")
    ap.add_argument("--mip-gap", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = ap.parse_args(argv)

    head = (
        "| instance | R×S×Y | LP obj | LP s | repair s | repair | repair obj | gap to LP | MIP status "
        "| MIP obj | MIP bound | MIP gap | MIP s | repair gap to MIP bound | broken |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    failed = False
    for name in args.instances:
        inst = load(name)
        size = "×".join(map(str, problem_data(inst).shape))
        print(f"{name} ({size}): LP + repair ×{args.repeats} ...", file=sys.stderr, flush=True)
        lp_s, repair_s, lp, whole = lp_and_repair(inst, args.repeats, args.threads)
        broken = 0
        for res in (whole,):
            if res.solved:
                broken += len(allocator.check(inst, res, model=allocator.DEFAULT_MODEL).violations)
        print(f"  MIP from the repair (limit {args.time_limit:g} s, gap {args.mip_gap:g}) ...", file=sys.stderr)
        t0 = time.perf_counter()
        mip = allocator.solve(
            inst, integer=True, mip_gap=args.mip_gap, time_limit=args.time_limit, threads=args.threads
        )
        mip_s = time.perf_counter() - t0
        if mip.solved:
            x = mip.allocation["posts"].to_numpy(dtype=float)
            report = allocator.check(inst, mip, model=allocator.DEFAULT_MODEL)
            broken += len(report.violations)
            if np.abs(x - np.round(x)).max() > 1e-6:
                broken += 1
        failed |= broken > 0
        l_obj = lp.objective
        if whole.solved:
            r_cols = f"{steps(whole)} | {whole.objective:.2f} | {pct(whole.objective - l_obj, whole.objective)}"
        else:
            r_cols = f"{whole.status} | - | -"
        if mip.solved:
            m_cols = f"{mip.objective:.2f} | {mip.bound:.2f} | {pct(mip.objective - mip.bound, mip.objective)}"
            vs_bound = pct(whole.objective - mip.bound, whole.objective) if whole.solved else "-"
        else:
            m_cols, vs_bound = "none | - | -", "-"
        lines.append(
            f"| {name} | {size} | {l_obj:.2f} | {lp_s:.2f} | {repair_s:.2f} | {r_cols} | {mip.status} "
            f"| {m_cols} | {mip_s:.1f} | {vs_bound} | {broken} |"
        )
        print(lines[-1], flush=True)
    table = "\n".join(lines) + "\n"
    print("\n" + table)
    if args.out:
        args.out.write_text(table)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
