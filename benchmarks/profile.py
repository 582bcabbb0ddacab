"""Where the time of one solve goes: cProfile, function by function, under each stage of ``timings``.

Runs ``allocator.solve`` once on an instance file (the default model, one HiGHS thread, the
direct backend unless ``--backend``), with one profiler per stage (load, presolve checks,
build, solve, tie_break, assemble; ``other`` is the glue between them): the stage's profiler
runs while its function does (:mod:`stages`), so a function's time is counted under the stage
that called it. Prints Markdown: the result's ``timings`` beside the profiled time of each
stage, then each stage's top functions by own time and by cumulative time (for the stages
that took at least ``--min-stage`` seconds).

    python benchmarks/profile.py                      # national 42x65x10, ~40 s
    python benchmarks/profile.py --size 7x10x5 --top 5

The instance is ``instances/benchmarks/*-RxSxY.json`` (``make bench-instances``) where it
exists, else the same ``generate(R, S, Y, seed=1)`` written to a temporary file, so the load
stage reads JSON as ``allocator solve`` does. cProfile slows Python-heavy stages (load,
assemble) more than HiGHS's and Clarabel's compiled code: compare stages with the unprofiled
times of ``make bench``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# run as a script, this folder comes first on sys.path and this file would stand in for the
# standard library's ``profile``, which cProfile imports: keep the folder last instead
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402

from stages import STAGES, hooked, instance_file  # noqa: E402

ALL = ("other", *STAGES)


class StageProfiles:
    """One ``cProfile.Profile`` per stage; :meth:`enter` and :meth:`leave` switch between
    them, and add the wall time spent in each stage outside the stages nested in it."""

    def __init__(self) -> None:
        self.profiles = {s: cProfile.Profile() for s in ALL}
        self.wall: dict[str, float] = defaultdict(float)
        self.stack = ["other"]
        self.since = 0.0

    def _switch(self, to: str | None) -> None:
        now = time.perf_counter()
        self.profiles[self.stack[-1]].disable()
        self.wall[self.stack[-1]] += now - self.since
        self.since = now
        if to is not None:
            self.profiles[to].enable()

    def start(self) -> None:
        self.since = time.perf_counter()
        self.profiles["other"].enable()

    def stop(self) -> None:
        self._switch(None)

    def enter(self, stage: str) -> None:
        self._switch(stage)
        self.stack.append(stage)

    def leave(self, stage: str) -> None:
        assert self.stack[-1] == stage, (self.stack, stage)
        self._switch(self.stack[-2])
        self.stack.pop()


def label(func: tuple[str, int, str]) -> str:
    """A function's name as ``path:line name``, the path from the package folder on."""
    filename, line, name = func
    if filename == "~":  # a built-in: cProfile names it in angle brackets
        text = name
    else:
        parts = Path(filename).parts
        for anchor in ("allocator", "site-packages", "lib"):
            if anchor in parts:
                i = len(parts) - 1 - parts[::-1].index(anchor)
                parts = parts[i + 1 :] if anchor != "allocator" else parts[i:]
                break
        text = f"{'/'.join(parts)}:{line} {name}"
    return (text if len(text) <= 90 else text[:87] + "...").replace("|", "\\|")


def top_functions(profile: cProfile.Profile, key: str, n: int) -> list[tuple[str, int, float, float]]:
    """The ``n`` functions with the most own (``key="own"``) or cumulative time in a profile:
    (label, calls, own s, cumulative s); the benchmark's own wrappers are left out."""
    try:
        stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    except TypeError:  # a profile that never ran
        return []
    rows = [
        (label(f), nc, tt, ct)
        for f, (_cc, nc, tt, ct, _callers) in stats.items()
        if Path(f[0]).parent != HERE and f[2] not in ("<method 'disable' of '_lsprof.Profiler' objects>",)
    ]
    rows.sort(key=lambda r: r[2] if key == "own" else r[3], reverse=True)
    return rows[:n]


def profile_solve(path: Path, backend: str, threads: int):
    """Solve ``path`` once under the stage profilers: (result, :class:`StageProfiles`)."""
    import allocator

    sp = StageProfiles()
    with hooked(sp.enter, sp.leave, backend):
        sp.start()
        try:
            res = allocator.solve(path, backend=backend, threads=threads)
        finally:
            sp.stop()
    return res, sp


def markdown(res, sp: StageProfiles, top: int, min_stage: float = 0.0) -> str:
    """The stage table and the two function tables (without the stages that took less than
    ``min_stage`` seconds)."""
    lines = [
        "| stage | result's timings s | profiled s |",
        "|---|---|---|",
    ]
    for stage in ALL:
        t = res.timings.get(stage)
        lines.append(f"| {stage} | {'' if t is None else f'{t:.3f}'} | {sp.wall[stage]:.3f} |")
    lines.append(f"| total | {res.timings['total']:.3f} | {sum(sp.wall.values()):.3f} |")
    for key, title in (("own", "own time"), ("cumulative", "cumulative time")):
        lines += ["", f"Top {top} functions of each stage by {title}:", ""]
        lines += ["| stage | function | calls | own s | cumulative s |", "|---|---|---|---|---|"]
        for stage in (s for s in ALL if sp.wall[s] >= min_stage):
            for name, calls, own, cum in top_functions(sp.profiles[stage], key, top):
                lines.append(f"| {stage} | `{name}` | {calls:,} | {own:.3f} | {cum:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="42x65x10", help="R×S×Y of generate(R, S, Y, seed=1), e.g. 7x10x5")
    ap.add_argument("--instance", type=Path, help="an instance file instead of --size")
    ap.add_argument("--top", type=int, default=8, help="functions listed per stage and table")
    ap.add_argument("--min-stage", type=float, default=0.05, help="no function table for a shorter stage (s)")
    ap.add_argument("--backend", default="highs")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.instance or instance_file(args.size, Path(tmp))
        res, sp = profile_solve(path, args.backend, args.threads)
    print(
        f"`{path.name}`, backend {args.backend}, {args.threads} HiGHS thread(s), status {res.status}, "
        f"objective {res.objective:.6f}\n"
    )
    print(markdown(res, sp, args.top, args.min_stage))


if __name__ == "__main__":
    main()
