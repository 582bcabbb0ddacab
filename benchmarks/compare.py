"""Compare a new ``results.json`` (``run.py``) with the last committed one: what moved by more than 20 %.

Rows are matched by size and run (``HiGHS alone (MPS)`` or a backend). Every time (load,
build, solve, tie-break, assemble, end to end, × HiGHS alone) and the peak memory is compared;
a figure that moved by more than ``--threshold`` (relative, default 0.2) is listed, slower or
faster, larger or smaller. A time that moved by less than ``--min-seconds`` (default 0.05 s)
is not listed, whatever its relative change: milliseconds on the small instance move by more
than 20 % from one run to the next. An objective that moved by more than 1e-6 relative is
listed too: that is a change of the answer, not of speed.

Exit code 1 when a figure got worse (slower, larger) by more than the threshold or an
objective changed, so a script can act on it; 0 otherwise; 2 when a table cannot be read.

    python benchmarks/compare.py                                  # benchmarks/results.json vs HEAD's
    python benchmarks/compare.py new.json --baseline old.json --threshold 0.1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: figures compared, each higher-is-worse: time (seconds or a ratio) and memory (MB)
TIMES = ("load_s", "build_s", "solve_s", "tie_break_s", "assemble_s", "end_to_end_s")
RATIO = "x_highs_alone"
MEMORY = "peak_mb"
OBJECTIVE_TOL = 1e-6


@dataclass
class Change:
    """One figure of one row that moved beyond the threshold."""

    size: str
    run: str
    figure: str
    baseline: float
    new: float
    worse: bool

    @property
    def relative(self) -> float:
        """(new − baseline) / |baseline|."""
        return (self.new - self.baseline) / abs(self.baseline) if self.baseline else float("inf")

    @property
    def kind(self) -> str:
        if self.figure == "objective":
            return "objective changed"
        if self.figure == MEMORY:
            return "larger" if self.new > self.baseline else "smaller"
        return "slower" if self.new > self.baseline else "faster"


def _rows(table: dict) -> dict[tuple[str, str], dict]:
    return {(r["size"], r["run"]): r for r in table["rows"]}


def compare(
    baseline: dict, new: dict, threshold: float = 0.2, min_seconds: float = 0.05
) -> tuple[list[Change], list[str]]:
    """The figures of ``new`` that moved beyond ``threshold`` against ``baseline`` (two tables
    as ``run.py`` writes them), and notes on rows or figures only one of them has."""
    old_rows, new_rows = _rows(baseline), _rows(new)
    changes: list[Change] = []
    notes = [f"{s} {r}: only in the baseline" for s, r in old_rows if (s, r) not in new_rows]
    notes += [f"{s} {r}: only in the new table" for s, r in new_rows if (s, r) not in old_rows]
    for key in (k for k in new_rows if k in old_rows):
        old, cur = old_rows[key], new_rows[key]
        for figure in (*TIMES, RATIO, MEMORY):
            a, b = old.get(figure), cur.get(figure)
            if a is None or b is None:
                if (a is None) != (b is None):
                    notes.append(f"{key[0]} {key[1]}: {figure} only in the {'new table' if a is None else 'baseline'}")
                continue
            if figure in TIMES and abs(b - a) < min_seconds:
                continue
            if abs(b - a) > threshold * abs(a):
                changes.append(Change(*key, figure, a, b, worse=b > a))
        a, b = old.get("objective"), cur.get("objective")
        if a is not None and b is not None and abs(b - a) > OBJECTIVE_TOL * max(1.0, abs(a)):
            changes.append(Change(*key, "objective", a, b, worse=True))
    return changes, notes


def markdown(changes: list[Change], threshold: float) -> str:
    """The changes as a Markdown table (worse first)."""
    if not changes:
        return f"No figure moved by more than {threshold:.0%}."
    lines = ["| size | run | figure | baseline | new | change | |", "|---|---|---|---|---|---|---|"]
    for c in sorted(changes, key=lambda c: (not c.worse, c.size, c.run, c.figure)):
        digits = ".6f" if c.figure == "objective" else ".3f"
        lines.append(
            f"| {c.size} | {c.run} | {c.figure} | {c.baseline:{digits}} | {c.new:{digits}} "
            f"| {c.relative:+.1%} | {'**' + c.kind + '**' if c.worse else c.kind} |"
        )
    return "\n".join(lines)


def committed(root: Path, rel: str = "benchmarks/results.json") -> dict | None:
    """The table as last committed in the git repository at ``root`` (``None`` if there is none)."""
    try:
        out = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("new", type=Path, nargs="?", default=HERE / "results.json", help="the new table")
    ap.add_argument("--baseline", type=Path, help="the baseline table (default: HEAD's benchmarks/results.json)")
    ap.add_argument("--threshold", type=float, default=0.2, help="relative change listed (0.2 = 20 %%)")
    ap.add_argument("--min-seconds", type=float, default=0.05, help="smaller time changes are not listed")
    args = ap.parse_args(argv)
    try:
        new = json.loads(args.new.read_text())
        baseline = json.loads(args.baseline.read_text()) if args.baseline else committed(HERE.parent)
    except (OSError, json.JSONDecodeError) as e:
        print(f"compare.py: cannot read a table: {e}", file=sys.stderr)
        return 2
    if baseline is None:
        print("No committed benchmarks/results.json to compare with: commit this one as the baseline.")
        return 0
    print(
        f"{args.new} ({new.get('date')}, commit {str(new.get('commit'))[:10]}) against the baseline "
        f"({baseline.get('date')}, commit {str(baseline.get('commit'))[:10]}):\n"
    )
    if baseline.get("machine", {}).get("cpu_count") != new.get("machine", {}).get("cpu_count"):
        print("Measured on different machines (CPU counts differ): times do not compare.\n")
    changes, notes = compare(baseline, new, args.threshold, args.min_seconds)
    print(markdown(changes, args.threshold))
    for note in notes:
        print(f"- {note}")
    worse = [c for c in changes if c.worse]
    if worse:
        print(f"\n{len(worse)} figure(s) got worse by more than {args.threshold:.0%} or changed the answer.")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
