"""What pacing costs (docs/model.md §5b): the national 42×65×10 generated instance with a floor on
every cell and a phase on half the specialties, against the same instance without, end to end.

    python benchmarks/pacing.py                      # 42x65x10, median of 3 (minutes)
    python benchmarks/pacing.py --size 42x20x5 --repeats 1

The instance is ``allocator generate ... --regions 42 --specialties 65 --years 10 --seed 1``
(:func:`allocator.study.generate.generate`). The paced variant adds, as schema_version 3:

- one floor entry covering every cell: a convergence path from the third planning year, each
  cell closing at least :data:`CONVERGENCE` of its baseline shortfall a year (a cell at or above
  its fair share stays at or above it): ``floors: [{"convergence": 0.03, "from_year": y3}]``
  (from the second year, a year after the phases start, it is infeasible: a phased
  programme has had one year to move, and its donors may not fall below their fair share;
  at 0.05 a year the pre-solve checks refuse it: a few cells' capacity is below their path).
  A constant share (``share_of_target`` 0.5 from the first year) is infeasible here: the
  generator leaves cells empty, and an empty cell grows by at most 2 posts a year;
- a phase on half the specialties, from the second planning year: no region loses posts of
  them in the first. The generator's national totals move a little each year, and a phase
  cannot hold where a total falls before it (docs/model.md §5b: that instance is infeasible),
  so the half is taken from the specialties whose total does not fall in the first year.

"End to end" is :func:`allocator.solve` on the JSON file (load, validate, targets, pre-solve
checks, build, solve, tie-break, result with measures), one HiGHS thread, default model.
The runs alternate (plain, paced, plain, ...) so that load on the machine falls on both alike.
Prints a Markdown table (the one in benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import allocator
from allocator.pipeline.steps import build_data
from allocator.study.generate import generate

CONVERGENCE = 0.03


def instances(R: int, S: int, Y: int, folder: Path) -> dict[str, Path]:
    """The plain and the paced instance as JSON files in ``folder``."""
    data = generate(R, S, Y, seed=1).to_dict()
    paced = json.loads(json.dumps(data))
    paced["schema_version"] = 3
    paced["name"] = data["name"] + "-paced"
    start = data["years"][min(1, len(data["years"]) - 1)]
    paced["floors"] = [{"convergence": CONVERGENCE, "from_year": data["years"][min(2, len(data["years"]) - 1)]}]
    total = {s["id"]: 0.0 for s in data["specialties"]}
    for b in data["baseline_posts"]:
        total[b["specialty"]] += b["posts"]
    first = {n["specialty"]: n["posts"] for n in data["national_posts"] if n["year"] == data["years"][0]}
    steady = [s for s in total if first.get(s, total[s]) >= total[s]]
    paced["phases"] = [{"specialty": s, "from_year": start} for s in steady[: len(total) // 2]]
    out = {}
    for name, d in (("plain", data), ("paced", paced)):
        out[name] = folder / f"{name}.json"
        out[name].write_text(json.dumps(d))
    return out


def size_of(path: Path) -> tuple[int, int]:
    inst = allocator.load_instance(path)
    m = build_data(allocator.problem_data(inst), allocator.load_model("fair-share")).model
    return m.highs.getNumRow(), m.highs.getNumCol()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="42x65x10", help="RxSxY (default 42x65x10)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    R, S, Y = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        paths = instances(R, S, Y, Path(tmp))
        times: dict[str, list[float]] = {"plain": [], "paced": []}
        results = {}
        for _ in range(args.repeats):
            for name, path in paths.items():
                t0 = time.perf_counter()
                results[name] = allocator.solve(path, threads=1)
                times[name].append(time.perf_counter() - t0)
                print(f"{name}: {times[name][-1]:.2f} s ({results[name].status})", file=sys.stderr, flush=True)
        sizes = {name: size_of(path) for name, path in paths.items()}
        paths_text = {name: path.read_text() for name, path in paths.items()}
    base = statistics.median(times["plain"])
    print(f"| {args.size} | rows | cols | status | objective | end-to-end s (median of {args.repeats}) | × plain |")
    print("|---|---|---|---|---|---|---|")
    for name in ("plain", "paced"):
        med = statistics.median(times[name])
        rows, cols = sizes[name]
        r = results[name]
        objective = "" if r.objective is None else f"{r.objective:.6f}"
        print(f"| {name} | {rows:,} | {cols:,} | {r.status} | {objective} | {med:.2f} | **{med / base:.2f}** |")
    phased = len(json.loads(paths_text["paced"])["phases"])
    print(f"\n{phased} of {S} specialties phased; every cell on a convergence path of {CONVERGENCE:g} a year.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
