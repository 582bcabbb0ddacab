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
the P10/P50/P90 tables are made on request and timed apart), median of ``--repeats``; and the
command ``allocator evaluate INSTANCE RESULT --ranges FILE --draws N --out DIR`` end to end in
a fresh process (reading and checking the instance and the result, the draws, the tables, the
JSON and CSV files and the four fan charts), with population scales.

    python benchmarks/montecarlo.py                       # 1,000 and 10,000 draws, 3 repeats (the README table)
    python benchmarks/montecarlo.py --draws 10000 100000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
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


def toml_text(ranges: dict) -> str:
    """The ranges as a TOML file (``[[kind]]`` tables of strings and numbers)."""
    lines = []
    for kind, entries in ranges.items():
        for entry in entries:
            lines.append(f"[[{kind}]]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def command_seconds(inst, res, ranges: dict, draws: int, repeats: int) -> float:
    """Median seconds of ``allocator evaluate … --out`` in a fresh process."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inst.to_json(folder / "instance.json")
        res.to_json(folder / "result.json")
        (folder / "ranges.toml").write_text(toml_text(ranges))
        cmd = [str(Path(sys.executable).parent / "allocator"), "evaluate", "instance.json", "result.json"]
        cmd += ["--ranges", "ranges.toml", "--draws", str(draws), "--seed", "1", "--out", "mc"]
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=folder, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--draws", type=int, nargs="+", default=[1_000, 10_000])
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
    print()
    for n in args.draws:
        sec = command_seconds(inst, res, ranges_for(inst, True), n, args.repeats)
        print(f"allocator evaluate … --draws {n:,} --out DIR, end to end: {sec:.2f} s (median of {args.repeats})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
