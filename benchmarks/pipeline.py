"""The workforce pipeline's cost (issue 13, item 10): the 42-ICB instance with and without a
15-year pipeline, end to end as a user gets it.

The instance with a pipeline is ``england-icb-2025`` (42 ICBs × 12 specialties × 5 planning
years 2026–2030) with the ``pipeline`` block of ``england-pipeline-2025`` (its kernels,
completion, settle, join and leave rates) and ``horizon_year`` 2040: evaluation years
2026–2040 (15), assessed 2035 and 2040. Population after 2030 holds the 2030 value (the ICB
instance gives population for its planning years only).

For each model (``fair-share``: supply weights 0, the pipeline changes nothing but the report;
``future-supply``: the supply gap weighed) and backend, the time of ``allocator.solve`` (load
done beforehand: validate → targets → pre-solve → build → solve → tie-break → Result with
measures and supply), one HiGHS thread, median of ``--repeats``; and the LP's size.

    python benchmarks/pipeline.py                      # highs, 5 repeats, ~1 min
    python benchmarks/pipeline.py --backends highs pyomo pulp --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import allocator
from allocator.core.data import problem_data
from allocator.core.spec import load_model
from allocator.pipeline.steps import build_data

ROOT = Path(__file__).resolve().parents[1]


def icb_with_pipeline(horizon: int = 2040) -> dict:
    """``england-icb-2025`` with the pipeline block of ``england-pipeline-2025``."""
    icb = json.loads((ROOT / "instances" / "england-icb-2025.json").read_text())
    pipe = json.loads((ROOT / "instances" / "england-pipeline-2025.json").read_text())
    icb["name"] = "england-icb-2025-pipeline"
    block = dict(pipe["pipeline"])
    block["horizon_year"] = horizon
    block["assess_years"] = [y for y in block.get("assess_years", [horizon]) if y <= horizon] or [horizon]
    block.pop("fill_rate", None)  # by NHS region in the pipeline instance
    block.pop("stock", None)
    icb["pipeline"] = block
    py = {s["id"]: s.get("programme_years") for s in pipe["specialties"]}
    for s in icb["specialties"]:
        if py.get(s["id"]) is not None:
            s["programme_years"] = py[s["id"]]
    return icb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--backends", nargs="+", default=["highs"])
    ap.add_argument("--horizon", type=int, default=2040)
    args = ap.parse_args(argv)
    plain = allocator.load_instance(ROOT / "instances" / "england-icb-2025.json")
    piped = allocator.validate(icb_with_pipeline(args.horizon), "england-icb-2025 + pipeline")
    opts = {"threads": 1}
    print("| model | backend | instance | rows | cols | end-to-end s (median) | × without pipeline | objective |")
    print("|---|---|---|---|---|---|---|---|")
    for model in ("fair-share", "future-supply"):
        spec = load_model(ROOT / "models" / f"{model}.toml")
        for backend in args.backends:
            base = None
            for label, inst in (("without pipeline", plain), ("with 15-year pipeline", piped)):
                lp = build_data(problem_data(inst), spec).model.highs
                rows, cols = lp.getNumRow(), lp.getNumCol()
                times, res = [], None
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    res = allocator.solve(inst, spec, backend=backend, **opts)
                    times.append(time.perf_counter() - t0)
                med = statistics.median(times)
                base = med if base is None else base
                print(
                    f"| {model} | {backend} | {label} | {rows:,} | {cols:,} | {med:.3f} | {med / base:.2f} |"
                    f" {res.objective:.6f} ({res.status}) |"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
