"""Regenerate the results table of instances/README.md: the default model on every instance.

    python instances/gallery.py          # or: make gallery

Solves every shipped instance (``england-*.json`` and ``toy/*.json``) with the default model
on the direct HiGHS backend, checks each solution with the independent checker, and rewrites
the part of ``instances/README.md`` between the ``gallery:start`` and ``gallery:end`` markers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import allocator
from allocator.analysis.check import check

HERE = Path(__file__).resolve().parent
START, END = "<!-- gallery:start -->", "<!-- gallery:end -->"


def rows() -> list[str]:
    out = [
        "| instance | R×S×Y | status | gap closed by the last year | posts moved (all years) | "
        "Gini before → after | worst shortfall before → after | checker |",
        "|---|---|---|---|---|---|---|---|",
    ]
    paths = sorted(HERE.glob("england-*.json")) + sorted((HERE / "toy").glob("*.json"))
    for path in paths:
        inst = allocator.load_instance(path)
        res = allocator.solve(inst)
        size = f"{len(inst.regions)}×{len(inst.specialties)}×{len(inst.years)}"
        name = path.relative_to(HERE).as_posix()
        if res.status != "optimal":
            out.append(f"| `{name}` | {size} | {res.status} | | | | | |")
            continue
        k, b = res.kpis.iloc[-1], res.baseline_kpis.iloc[-1]
        closed = round(k.gap_closed_pct, 1) + 0.0  # no "-0.0%" from a -1e-13
        ok = "passes" if check(inst, res, model=allocator.DEFAULT_MODEL).ok else "FAILS"
        out.append(
            f"| `{name}` | {size} | optimal | {closed:.1f}% | {res.kpis.posts_moved.sum():,.1f} | "
            f"{b.gini:.4f} → {k.gini:.4f} | {b.max_shortfall_pct:.1f}% → {k.max_shortfall_pct:.1f}% | {ok} |"
        )
    return out


def main() -> int:
    readme = HERE / "README.md"
    text = readme.read_text()
    table = "\n".join(
        [
            START,
            "",
            "Default model (`models/fair-share.toml`), direct HiGHS backend; regenerate with "
            "`python instances/gallery.py`.",
            "",
            *rows(),
            "",
            END,
        ]
    )
    if START in text:
        head, rest = text.split(START, 1)
        text = head + table + rest.split(END, 1)[1]
    else:
        text = text.replace("## Gallery\n", "## Gallery\n\n" + table + "\n", 1)
    readme.write_text(text)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
