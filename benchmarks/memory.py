"""Peak memory of ``allocator solve``, and the resident memory at each stage of one solve.

For each instance, in subprocesses run one after another:

- **peak**: the maximum resident set size (max RSS) of ``allocator solve INSTANCE --threads 1``
  (the console script, the default model, the direct backend unless ``--backend``; the median
  of ``--repeats`` runs), read by ``/usr/bin/time -v`` where it exists, else by a fresh Python
  parent's ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` (that parent has no other child);
- **breakdown**: the same command run inside a worker process (``memory.py --worker``) that
  reads its resident memory (psutil, else ``/proc/self/status``) and its peak so far
  (``getrusage(RUSAGE_SELF)``) at each stage boundary (:mod:`stages`): after Python starts,
  after importing each library ``allocator solve`` imports (:data:`IMPORTS`), then allocator,
  after the instance file is read, after load, pre-solve checks, build, the LP solve (HiGHS),
  the tie-break, assemble, and when the command has printed its output. The worker's own peak
  is shown too: it imports psutil besides, and peaks move by some MB from run to run (427–467
  MB on national).

MB are 2**20 bytes. Prints Markdown; ``--json FILE`` writes the measurements.

    python benchmarks/memory.py --repeats 3                       # national 42x65x10, ~3 min
    python benchmarks/memory.py --sizes 42x65x10 200x65x10 --json memory.json   # ~20 min
    python benchmarks/memory.py --sizes 7x10x5 --no-breakdown

Instances: ``instances/benchmarks/*-RxSxY.json`` (``make bench-instances``) where they exist,
else ``generate(R, S, Y, seed=1)`` written to a temporary file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve()
TIME = Path("/usr/bin/time")
MIB = 2**20
#: the libraries ``allocator solve`` imports before it reads the instance, in the order the
#: breakdown imports them (pandas imports pyarrow when it is installed)
IMPORTS = ("numpy", "pyarrow", "pandas", "scipy.sparse", "highspy", "rich", "typer")
#: run a command as this Python's only child and print the child's max RSS (KiB on Linux)
RUSAGE_PARENT = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _maxrss_mb(value: float) -> float:
    """``ru_maxrss`` in MB: kilobytes on Linux, bytes on macOS."""
    return value / MIB if platform.system() == "Darwin" else value / 1024


def run_measured(cmd: list[str]) -> tuple[float, str]:
    """Run ``cmd`` (its standard output discarded) and return its max RSS in MB and the tool
    that read it. Raises RuntimeError, with the end of its standard error, if it fails."""
    if TIME.exists():
        wrapped, tool = [str(TIME), "-v", *cmd], "/usr/bin/time -v"
    else:
        wrapped, tool = [sys.executable, "-c", RUSAGE_PARENT, *cmd], "getrusage(RUSAGE_CHILDREN)"
    proc = subprocess.run(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    if TIME.exists():
        kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        if kb is None:
            raise RuntimeError(f"{TIME} -v printed no maximum resident set size:\n{proc.stderr[-2000:]}")
        return int(kb.group(1)) / 1024, tool
    return _maxrss_mb(float(proc.stderr.split("MAXRSS")[-1].split()[0])), tool


def solve_args(path: Path, backend: str, threads: int) -> list[str]:
    """The ``allocator solve`` arguments the benchmark runs (the default model)."""
    return ["solve", str(path), "--threads", str(threads), "--backend", backend]


def cli_peak(path: Path, backend: str = "highs", threads: int = 1, repeats: int = 1) -> dict:
    """Max RSS of the ``allocator`` console script solving ``path``, the median of ``repeats``
    runs: ``{peak_mb, peaks_mb, tool}`` (``peaks_mb``: every run's)."""
    script = Path(sys.executable).with_name("allocator")
    runs = [run_measured([str(script), *solve_args(path, backend, threads)]) for _ in range(repeats)]
    peaks = [peak for peak, _ in runs]
    return {"peak_mb": statistics.median(peaks), "peaks_mb": peaks, "tool": runs[0][1]}


def breakdown(path: Path, backend: str = "highs", threads: int = 1) -> dict:
    """Resident memory at each stage boundary of ``allocator solve`` in a worker process:
    ``{samples: [{at, rss_mb, peak_mb}], peak_mb, tool}``; ``peak_mb`` is the worker's."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "samples.json"
        cmd = [sys.executable, str(HERE), "--worker", str(path), "--backend", backend, "--threads", str(threads)]
        peak, tool = run_measured([*cmd, "--worker-out", str(out)])
        samples = json.loads(out.read_text())
    return {"samples": samples, "peak_mb": peak, "tool": tool}


# ------------------------------------------------------------------------------ the worker


def _rss_mb() -> float | None:
    try:
        import psutil

        return psutil.Process().memory_info().rss / MIB
    except ImportError:
        status = Path("/proc/self/status")
        if not status.exists():
            return None
        kb = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
        return None if kb is None else int(kb.group(1)) / 1024


def _peak_mb() -> float:
    import resource

    return _maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class Sampler:
    """The stage boundaries a solve passes, with the memory at each; consecutive boundaries
    of one name keep the last (the load stage is three functions)."""

    def __init__(self) -> None:
        self.samples: list[dict] = []

    def take(self, at: str) -> None:
        sample = {"at": at, "rss_mb": _rss_mb(), "peak_mb": _peak_mb()}
        if self.samples and self.samples[-1]["at"] == at:
            self.samples[-1] = sample
        else:
            self.samples.append(sample)

    def enter(self, stage: str) -> None:
        if stage == "load" and not any(s["at"] == "instance file read" for s in self.samples):
            self.take("instance file read")
        elif stage == "tie_break":
            self.take("after the LP solve (HiGHS)")

    def leave(self, stage: str) -> None:
        if stage != "solve":  # the backend's solve ends with the tie-break (or the LP)
            self.take(f"after {stage.replace('_', '-')}")


def worker(path: Path, backend: str, threads: int, out: Path) -> None:
    """Run ``allocator solve`` in this process with samples at the stage boundaries; write them to ``out``."""
    import importlib

    sampler = Sampler()
    sampler.take("Python started")
    for name in IMPORTS:  # each adds what the ones before it did not import
        importlib.import_module(name)
        sampler.take(f"+ import {name}")
    sys.path.insert(0, str(HERE.parent))
    from stages import hooked

    from allocator.cli.main import main

    with hooked(sampler.enter, sampler.leave, backend):
        sampler.take("+ import allocator (the CLI, the stages' modules)")
        sys.argv = ["allocator", *solve_args(path, backend, threads)]
        try:
            main()
        except SystemExit as e:
            if e.code not in (0, None):
                raise
        sampler.take("after the command's output")
    out.write_text(json.dumps(sampler.samples))


# ------------------------------------------------------------------------------ the tables


def markdown(rows: list[dict]) -> str:
    """The peak table, then the breakdown (one RSS and one peak column per instance)."""
    lines = [
        "| instance | R×S×Y | peak MB (`allocator solve`, median) | runs | worker's peak MB | read by |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        worker_peak = f"{r['breakdown']['peak_mb']:.0f}" if r.get("breakdown") else ""
        peak = f"{r['peak_mb']:.0f}" if r.get("peak_mb") is not None else ""
        runs = ", ".join(f"{v:.0f}" for v in r.get("peaks_mb", []))
        lines.append(f"| {r['instance']} | {r['size']} | {peak} | {runs} | {worker_peak} | {r['tool']} |")
    with_b = [r for r in rows if r.get("breakdown")]
    if with_b:
        head = " | ".join(f"{r['size']} RSS MB | {r['size']} peak so far MB" for r in with_b)
        lines += ["", f"| at | {head} |", "|---" * (1 + 2 * len(with_b)) + "|"]
        for i, first in enumerate(with_b[0]["breakdown"]["samples"]):
            cells = []
            for r in with_b:
                s = r["breakdown"]["samples"][i] if i < len(r["breakdown"]["samples"]) else {}
                cells += [f"{s['rss_mb']:.0f}" if s.get("rss_mb") is not None else "", f"{s.get('peak_mb', 0):.0f}"]
            lines.append(f"| {first['at']} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["42x65x10"], help="R×S×Y sizes, e.g. 42x65x10 200x65x10")
    ap.add_argument("--backend", default="highs")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1, help="runs of the console script (median peak)")
    ap.add_argument("--no-breakdown", action="store_true", help="only the console script's peak")
    ap.add_argument("--no-peak", action="store_true", help="only the worker's breakdown (and its peak)")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.backend, args.threads, args.worker_out)
        return
    sys.path.insert(0, str(HERE.parent))
    from stages import instance_file

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = instance_file(size, Path(tmp))
            row: dict = {"instance": path.name, "size": size, "backend": args.backend, "threads": args.threads}
            row.update(
                cli_peak(path, args.backend, args.threads, args.repeats) if not args.no_peak else {"peak_mb": None}
            )
            if not args.no_breakdown:
                row["breakdown"] = breakdown(path, args.backend, args.threads)
                row.setdefault("tool", row["breakdown"]["tool"])
            print(f"{size}: measured", file=sys.stderr, flush=True)
            rows.append(row)
    print(markdown(rows))
    if args.json:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        args.json.write_text(json.dumps({"load_average_1min": load, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
