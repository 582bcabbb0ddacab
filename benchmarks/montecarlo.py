"""Monte Carlo evaluation of a plan (issue 23, item 3): draws per second on the 42-ICB
pipeline instance.

The instance is ``england-icb-2025`` (42 ICBs × 12 specialties × planning years 2026–2030) with
the ``pipeline`` block of ``england-pipeline-2025`` and horizon 2040 (15 evaluation years),
built by ``benchmarks/pipeline.py``'s :func:`icb_with_pipeline`. The plan is its ``fair-share``
solve (one HiGHS thread, timed apart). Every rate is uncertain: each specialty's completion,
settle, join and leave rate its own triangular range (± 0.05 around the instance's value,
clipped to [0, 1]): 48 entries; each ICB's fill rate uniform on [0.85, 1]: 42 entries; and,
for the "with population scales" rows, each ICB's population from 2031 on scaled by a factor
uniform on [0.97, 1.04]: 42 more (then need shares, and so fair stocks, differ by draw).

Timed: ``allocator.study.monte_carlo`` (problem data, the draws, every stock of every draw;
the P10/P50/P90 tables are made on request and timed apart), median of ``--repeats``.

    python benchmarks/montecarlo.py                       # 10,000 draws, 3 repeats, ~30 s
    python benchmarks/montecarlo.py --draws 1000 10000 100000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import allocator
from allocator.study import monte_carlo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import icb_with_pipeline  # noqa: E402


def ranges_for(inst, population: bool) -> dict:
    """The benchmark's ranges (module docstring) for the instance ``inst``."""
    out: dict = {k: [] for k in ("completion_rate", "settle_rate", "join_rate", "leave_rate")}
    for ps in inst.pipeline.specialties:
        for kind in out:
            v = getattr(ps, kind)
            lo, hi = max(0.0, v - 0.05), min(1.0, v + 0.05)
            out[kind].append({"specialty": ps.specialty, "min": lo, "mode": v, "max": hi})
    out["fill_rate"] = [{"region": r.id, "min": 0.85, "max": 1.0} for r in inst.regions]
    if population:
        year = inst.years[-1] + 1
        out["population_scale"] = [{"region": r.id, "year": year, "min": 0.97, "max": 1.04} for r in inst.regions]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--draws", type=int, nargs="+", default=[10_000])
    args = ap.parse_args(argv)
    inst = allocator.validate(icb_with_pipeline(2040), "england-icb-2025 + pipeline")
    started = time.perf_counter()
    res = allocator.solve(inst, threads=1)
    solve_s = time.perf_counter() - started
    R, S, Y = len(inst.regions), len(inst.specialties), len(inst.years)
    print(f"plan: {res.status} in {solve_s:.2f} s ({R}×{S}×{Y}, horizon {inst.pipeline.horizon_year})")
    print()
    print("| draws | population scales | entries drawn | median s | draws per s | tables s |")
    print("|---|---|---|---|---|---|")
    for population in (False, True):
        ranges = ranges_for(inst, population)
        entries = sum(len(v) for v in ranges.values())
        for n in args.draws:
            times, tables = [], []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                mc = monte_carlo(inst, res, ranges, draws=n, seed=1)
                t1 = time.perf_counter()
                mc.regions_table(), mc.national_table()
                tables.append(time.perf_counter() - t1)
                times.append(t1 - t0)
            med = statistics.median(times)
            print(
                f"| {n:,} | {'yes' if population else 'no'} | {entries} | {med:.2f} | {n / med:,.0f} "
                f"| {statistics.median(tables):.2f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
