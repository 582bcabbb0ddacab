"""The cost of scenarios (issue 23, item 6): five member futures on the 42-ICB pipeline
instance against one, end to end as a user gets it.

The instance is ``england-icb-2025`` with the pipeline of ``england-pipeline-2025`` and a
horizon of 2040 (``benchmarks/pipeline.py``: 42 ICBs × 12 specialties × 5 planning years, 15
evaluation years, assessed 2035 and 2040), with a ``scenarios`` block of

- one member (``central``, probability 1): the plain pipeline, solved through the scenarios
  path, and
- five members: ``central`` (0.4), ``low-retention`` (0.15: every settle rate 0.1 lower),
  ``more-leavers`` (0.15: leave rates 0.06), ``fewer-joiners`` (0.15: join rates 0.8) and
  ``northern-growth`` (0.15: the population of the first 14 ICBs 4 % higher from 2031).

Model ``future-supply`` (the supply gap weighed), backend ``highs``, one HiGHS thread; the time
of ``allocator.solve`` from the instance's data (validate → targets → pre-solve → build → LP →
§6b tie-break → result with each member's measures and the risk term), median of ``--repeats``.

    python benchmarks/scenarios.py                  # expected, worst, cvar; 3 repeats
    python benchmarks/scenarios.py --tie-break none  # the LP alone (HiGHS's vertex)
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import statistics
import time
from pathlib import Path

import allocator
from allocator.core.data import problem_data
from allocator.core.spec import load_model
from allocator.pipeline.steps import build_data

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_pipeline", ROOT / "benchmarks" / "pipeline.py")
_pipeline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pipeline)


def five_members(icb: dict) -> list[dict]:
    """The five member futures of the module docstring for the instance data ``icb``."""
    specs = icb["pipeline"]["specialties"]
    lower = [{"specialty": s["specialty"], "settle_rate": round(s.get("settle_rate", 0.8) - 0.1, 6)} for s in specs]
    north = [{"region": r["id"], "year": 2031, "factor": 1.04} for r in icb["regions"][:14]]
    return [
        {"id": "central", "probability": 0.4},
        {"id": "low-retention", "probability": 0.15, "pipeline": {"specialties": lower}},
        {
            "id": "more-leavers",
            "probability": 0.15,
            "pipeline": {"specialties": [{"specialty": s["specialty"], "leave_rate": 0.06} for s in specs]},
        },
        {
            "id": "fewer-joiners",
            "probability": 0.15,
            "pipeline": {"specialties": [{"specialty": s["specialty"], "join_rate": 0.8} for s in specs]},
        },
        {"id": "northern-growth", "probability": 0.15, "population_scale": north},
    ]


def with_scenarios(icb: dict, members: list[dict], risk: str) -> dict:
    data = copy.deepcopy(icb) | {"schema_version": 3}
    data["scenarios"] = {"risk": risk, "members": members} | ({"alpha": 0.8} if risk == "cvar" else {})
    return data


def timed(data: dict, model, repeats: int, tie_break: str) -> tuple[dict[str, float], object]:
    """Medians of the end-to-end time and of the LP solve and tie-break stages."""
    runs, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = allocator.solve(allocator.validate(data, data["name"]), model, threads=1, tie_break=tie_break)
        runs.append({"total": time.perf_counter() - t0, **res.timings})
    return {k: statistics.median(r.get(k, 0.0) for r in runs) for k in ("total", "solve", "tie_break")}, res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--risks", nargs="+", default=["expected", "worst", "cvar"])
    ap.add_argument("--tie-break", default="least-squares", choices=["least-squares", "none"])
    args = ap.parse_args(argv)
    model = load_model(ROOT / "models" / "future-supply.toml")
    icb = _pipeline.icb_with_pipeline(2040)
    print(
        f"| risk | members | rows | cols | LP solve s | tie-break s ({args.tie_break}) | end-to-end s | × one member "
        "| objective | risk term |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for risk in args.risks:
        base = None
        for members in ([{"id": "central", "probability": 1.0}], five_members(icb)):
            data = with_scenarios(icb, members, risk)
            lp = build_data(problem_data(allocator.validate(data, "bench")), model, "highs").model.highs.getLp()
            seconds, res = timed(data, model, args.repeats, args.tie_break)
            base = base or seconds["total"]
            print(
                f"| {risk} | {len(members)} | {lp.num_row_:,} | {lp.num_col_:,} | {seconds['solve']:.3f} | "
                f"{seconds['tie_break']:.3f} | {seconds['total']:.3f} | {seconds['total'] / base:.2f} | "
                f"{res.objective:.6f} | {res.risk:.6f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
