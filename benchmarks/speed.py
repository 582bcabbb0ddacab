"""Speed at national scale (issue 15): each lever measured beside HiGHS's interior point alone.

On the national instance ``generate(42, 65, 10, seed=1)`` with the default model, for each
number of HiGHS threads asked (``--threads``, default 1 and 2):

- **reference**: the same LP written as MPS and solved by HiGHS's interior point alone, with
  crossover on (the reference objective) and off;
- **end to end**: ``allocator.solve`` as a user gets it (targets, build, interior point with
  crossover, §6b tie-break, Result);
- **IPM without crossover + tie-break**: the built model solved by interior point with
  ``run_crossover=off``; the tie-break needs a basis, so :func:`allocator.model.tiebreak.apply`
  runs simplex from the interior-point point first (timed separately) and then the QP;
- **presolve off**: the reference LP with HiGHS's presolve off;
- **HiPO** (``solver="hipo"``, needs ``highspy-extras``): run with ``--hipo-python``, a Python
  that has it, on the same MPS file, with a time limit. highspy and highspy-extras must be the
  same release (e.g. both 1.15.1): with highspy 1.16.0 and extras 1.15.1 HiGHS logs "features
  unavailable: amd, blas, metis, rcm" and silently runs dual simplex instead (the note's
  "simplex iters" shows it);
- **PDLP** with a loose optimality tolerance (``--pdlp-tol``), with a time limit;
- **presolved size**: rows and columns of the LP after HiGHS's presolve.

Every measurement runs in its own process (HiGHS's thread pool is fixed per process, and a
long run can be stopped), one after another. The machine is shared: give ``--repeats`` > 1
when it is quiet. Prints a Markdown table; ``--json`` also writes the rows.

    python benchmarks/speed.py --time-limit 300                   # ~16 min on 2 cores
    python benchmarks/speed.py --levers hipo --hipo-threads 1 2 --hipo-python /tmp/hipo115/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
SIZE = (42, 65, 10)
SEED = 1


# ------------------------------------------------------------------------------ workers


def _highs(threads: int, time_limit: float):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("time_limit", float(time_limit))
    return h


def _finish(h, seconds: float, **extra) -> dict:
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    obj = float(info.objective_function_value) if info.primal_solution_status == 2 else None
    return {"seconds": seconds, "objective": obj, "status": status, **extra}


def mps_lever(lever: str, threads: int, mps: str, time_limit: float, pdlp_tol: float) -> dict:
    """A lever on the LP read from MPS (needs only highspy: also runs under HiPO's Python)."""
    h = _highs(threads, time_limit)
    h.readModel(mps)
    if lever == "presolved_size":
        lp = h.getLp()
        t0 = time.perf_counter()
        h.presolve()
        seconds = time.perf_counter() - t0
        p = h.getPresolvedLp()
        nnz0, nnz1 = len(lp.a_matrix_.value_), len(p.a_matrix_.value_)
        note = f"{lp.num_row_}×{lp.num_col_} → {p.num_row_}×{p.num_col_} (rows×cols), nonzeros {nnz0} → {nnz1}"
        return {"seconds": seconds, "objective": None, "status": "presolved", "note": note}
    options = {
        "ipm_xover": {"solver": "ipm", "run_crossover": "on"},
        "ipm_noxover": {"solver": "ipm", "run_crossover": "off"},
        "ipm_xover_nopresolve": {"solver": "ipm", "run_crossover": "on", "presolve": "off"},
        "hipo": {"solver": "hipo"},
        "pdlp": {"solver": "pdlp", "pdlp_optimality_tolerance": pdlp_tol},
    }[lever]
    for k, v in options.items():
        h.setOptionValue(k, v)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    info = h.getInfo()
    iters = f"ipm iters {info.ipm_iteration_count}, crossover iters {info.crossover_iteration_count}"
    # a solver HiGHS cannot run (HiPO without a matching highspy-extras) falls back to simplex
    extra = {"note": f"{iters}, simplex iters {info.simplex_iteration_count}"}
    if lever == "pdlp":
        extra = {"note": f"pdlp iters {info.pdlp_iteration_count}, tol {pdlp_tol:g}"}
    return _finish(h, seconds, **extra)


def project_lever(lever: str, threads: int, time_limit: float) -> dict:
    """A lever through the package's public functions."""
    import numpy as np

    import allocator
    from allocator.core.data import problem_data
    from allocator.core.spec import DEFAULT_MODEL
    from allocator.model import tiebreak
    from allocator.model.backends.base import RawSolution
    from allocator.pipeline.steps import build_data
    from allocator.study.generate import generate

    inst = generate(*SIZE, seed=SEED)
    if lever == "e2e":
        t0 = time.perf_counter()
        res = allocator.solve(inst, threads=threads, time_limit=time_limit)
        seconds = time.perf_counter() - t0
        note = f"build {res.build_seconds:.1f} s, LP+tie-break {res.solve_seconds:.1f} s"
        return {"seconds": seconds, "objective": res.objective, "status": res.status, "note": note}
    # e2e_noxover_tb: interior point without crossover, then the tie-break as the code does it
    t0 = time.perf_counter()
    built = build_data(problem_data(inst), DEFAULT_MODEL)
    m = built.model
    h = m.highs
    t_build = time.perf_counter() - t0
    for k, v in {
        "output_flag": False,
        "threads": int(threads),
        "time_limit": float(time_limit),
        "solver": "ipm",
        "run_crossover": "off",
    }.items():
        h.setOptionValue(k, v)
    t1 = time.perf_counter()
    h.run()
    t_ipm = time.perf_counter() - t1
    v = m.columns
    info = h.getInfo()
    ipm_obj = float(info.objective_function_value)
    optimal = h.getModelStatus() == type(h.getModelStatus()).kOptimal
    raw = RawSolution(status="optimal" if optimal else "error", objective=ipm_obj)
    raw.x = np.asarray(h.getSolution().col_value)[: v.K].reshape(v.R, v.S, v.Y)
    had_basis = bool(info.basis_validity)
    t2 = time.perf_counter()
    tiebreak.apply(raw, h, np.arange(v.K), built.data.target_bar.reshape(-1), None)
    t_after = time.perf_counter() - t2
    t_simplex = t_after - raw.tie_break_seconds
    note = (
        f"build {t_build:.1f} s, IPM {t_ipm:.1f} s (basis after IPM: {had_basis}), "
        f"simplex from IPM point {t_simplex:.1f} s ({h.getInfo().simplex_iteration_count} iters), "
        f"QP {raw.tie_break_seconds:.1f} s, tie-break {raw.tie_break}; IPM-point objective {ipm_obj:.10g}"
    )
    return {"seconds": time.perf_counter() - t0, "objective": raw.objective, "status": raw.status, "note": note}


def worker(args) -> None:
    if args.worker in ("e2e", "e2e_noxover_tb"):
        out = project_lever(args.worker, args.worker_threads, args.time_limit)
    else:
        out = mps_lever(args.worker, args.worker_threads, args.mps, args.time_limit, args.pdlp_tol)
    print("RESULT " + json.dumps(out))


# ------------------------------------------------------------------------------ driver


LABELS = {
    "ipm_xover": "reference: HiGHS IPM + crossover on MPS",
    "ipm_noxover": "HiGHS IPM without crossover on MPS",
    "e2e": "end to end `allocator.solve` (build + IPM + crossover + tie-break)",
    "e2e_noxover_tb": "build + IPM without crossover + tie-break (simplex from IPM point + QP)",
    "ipm_xover_nopresolve": "HiGHS IPM + crossover, presolve off, on MPS",
    "pdlp": "HiGHS PDLP, loose tolerance, on MPS",
    "hipo": "HiPO (highspy-extras) on MPS",
    "presolved_size": "HiGHS presolve only (size of the presolved LP)",
}


def write_mps(path: str) -> None:
    from allocator.core.data import problem_data
    from allocator.core.spec import DEFAULT_MODEL
    from allocator.pipeline.steps import build_data
    from allocator.study.generate import generate

    built = build_data(problem_data(generate(*SIZE, seed=SEED)), DEFAULT_MODEL)
    built.model.highs.writeModel(path)


def run_one(python: str, lever: str, threads: int, mps: str, args) -> dict:
    cmd = [python, str(HERE), "--worker", lever, "--worker-threads", str(threads), "--mps", mps]
    cmd += ["--time-limit", str(args.hipo_time_limit if lever in ("hipo", "pdlp") else args.time_limit)]
    cmd += ["--pdlp-tol", str(args.pdlp_tol)]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.time_limit + 300)
    except subprocess.TimeoutExpired:
        return {"seconds": time.perf_counter() - t0, "objective": None, "status": "killed", "note": "process timeout"}
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return {"seconds": None, "objective": None, "status": "failed", "note": p.stderr.strip().splitlines()[-1:]}


def table(rows: list[dict], ref: float | None) -> str:
    out = [
        "| lever | threads | seconds | objective | rel. error vs reference | status / note |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        obj = r["objective"]
        err = "" if obj is None or ref is None else f"{abs(obj - ref) / max(1.0, abs(ref)):.1e}"
        sec = "" if r["seconds"] is None else f"{r['seconds']:.1f}"
        objs = "" if obj is None else f"{obj:.10g}"
        note = r["status"] + (f"; {r['note']}" if r.get("note") else "")
        out.append(f"| {LABELS[r['lever']]} | {r['threads']} | {sec} | {objs} | {err} | {note} |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--levers", nargs="+", default=list(LABELS), choices=list(LABELS))
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per run (HiGHS time_limit)")
    ap.add_argument("--hipo-python", default="/tmp/hipo/bin/python", help="a Python with highspy-extras")
    ap.add_argument("--hipo-threads", type=int, nargs="+", default=[2])
    ap.add_argument("--hipo-time-limit", type=float, default=120.0, help="seconds for HiPO and PDLP")
    ap.add_argument("--pdlp-tol", type=float, default=1e-4)
    ap.add_argument("--json", help="write the rows here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-threads", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--mps", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return 0

    print(f"# {platform.node()} · {os.cpu_count()} CPUs · load {os.getloadavg()[0]:.2f}", flush=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        mps = str(Path(tmp) / "national.mps")
        write_mps(mps)
        for lever in args.levers:
            if lever == "presolved_size":
                plan = [1]
            elif lever == "hipo":
                if not Path(args.hipo_python).exists():
                    print(f"# skipping HiPO: no {args.hipo_python}", flush=True)
                    continue
                plan = args.hipo_threads
            else:
                plan = args.threads
            python = args.hipo_python if lever == "hipo" else sys.executable
            for threads in plan:
                for _ in range(1 if lever == "presolved_size" else args.repeats):
                    r = {"lever": lever, "threads": threads, **run_one(python, lever, threads, mps, args)}
                    r["load"] = os.getloadavg()[0]
                    rows.append(r)
                    print(json.dumps(r), flush=True)
                    if args.json:
                        Path(args.json).write_text(json.dumps(rows, indent=1))
    refs = [r["objective"] for r in rows if r["lever"] == "ipm_xover" and r["objective"] is not None]
    print()
    print(table(rows, refs[0] if refs else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
