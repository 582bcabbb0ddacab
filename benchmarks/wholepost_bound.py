"""Whole-post gaps against the LP bound and against the bound HiGHS's MIP proves in a few seconds.

For each instance (default model, one HiGHS thread): the LP optimum, then ``--round``'s whole
posts twice, each ``--repeats`` times (median seconds):

- **LP bound**: :func:`allocator.pipeline.rounding.round_result` with ``bound_time=0``: the
  repaired plan and its gap against the LP optimum (what ``--round`` reported before);
- **MIP bound**: ``round_result`` as ``--round`` runs it now: HiGHS's MIP started from the
  repaired plan for :func:`allocator.model.wholeposts.bound_seconds` (1 s per 100 cells,
  1–5 s), its proven bound, and its plan where better.

The table gives both gaps, ``bound_source``, the plan's objective both ways, the extra
seconds (median with the MIP minus median without) and ``broken``: violations the
independent checker finds in either plan (must be 0; the script exits 1 otherwise).

    python benchmarks/wholepost_bound.py                           # 22 instances, ~5 min
    python benchmarks/wholepost_bound.py --instances 3x4x3-3 england-regions-2025 --repeats 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import allocator
from allocator.core.data import problem_data
from allocator.pipeline.rounding import round_result
from allocator.study.generate import generate

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = [
    *(f"3x4x3-{s}" for s in range(6)),
    *(f"4x6x3-{s}" for s in range(6)),
    *(f"5x5x4-{s}" for s in range(6)),
    *(f"7x10x5-{s}" for s in range(2)),
    "england-regions-2025",
    "england-training-regions-2025",
]


def load(name: str) -> allocator.Instance:
    """``RxSxY-SEED`` (``allocator generate``) or a shipped instance by file stem."""
    if name[0].isdigit():
        size, seed = name.split("-")
        R, S, Y = (int(v) for v in size.split("x"))
        return generate(R, S, Y, seed=int(seed))
    return allocator.load_instance(ROOT / "instances" / f"{name}.json")


def timed(inst, d, lp, repeats: int, threads: int, bound_time: float | None):
    """The whole-post result and the median seconds of ``repeats`` runs."""
    seconds, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = round_result(d, allocator.DEFAULT_MODEL, lp, instance=inst, threads=threads, bound_time=bound_time)
        seconds.append(time.perf_counter() - t0)
    return res, statistics.median(seconds)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.3f}%"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", nargs="+", default=INSTANCES, help="RxSxY-SEED (generated) or a shipped stem")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each (median seconds)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = ap.parse_args(argv)

    head = (
        "| instance | cells | LP obj | plan obj (LP bound) | gap to LP | plan obj (MIP bound) | gap to MIP bound "
        "| bound_source | status | s without | s with | extra s | broken |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    failed, extras = False, []
    for name in args.instances:
        inst = load(name)
        d = problem_data(inst)
        print(f"{name}: ×{args.repeats} ...", file=sys.stderr, flush=True)
        lp = allocator.solve(inst, threads=args.threads)
        if lp.status != "optimal":
            lines.append(f"| {name} | {int(d.target.size)} | LP {lp.status} |" + " - |" * 10)
            continue
        weak, s_weak = timed(inst, d, lp, args.repeats, args.threads, 0.0)
        best, s_best = timed(inst, d, lp, args.repeats, args.threads, None)
        broken = sum(
            len(allocator.check(inst, r, model=allocator.DEFAULT_MODEL).violations) for r in (weak, best) if r.solved
        )
        failed |= broken > 0
        extras.append(s_best - s_weak)
        obj = lambda r: f"{r.objective:.2f}" if r.objective is not None else "-"  # noqa: E731
        lines.append(
            f"| {name} | {int(d.target.size)} | {lp.objective:.2f} | {obj(weak)} | {pct(weak.gap)} | {obj(best)} "
            f"| {pct(best.gap)} | {best.bound_source} | {best.status} | {s_weak:.2f} | {s_best:.2f} "
            f"| {s_best - s_weak:.2f} | {broken} |"
        )
    if extras:
        lines.append("")
        lines.append(f"Extra seconds for the MIP bound: median {statistics.median(extras):.2f}, max {max(extras):.2f}.")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
