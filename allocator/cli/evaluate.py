"""``allocator evaluate INSTANCE RESULT --ranges FILE [--draws N] [--seed S] [--out DIR]``:
Monte Carlo evaluation of a solved plan's workforce supply (:mod:`allocator.study.montecarlo`).

A typer command function, registered by the main command line (``allocator/cli/main.py``).
Exit codes: 0 evaluated; 2 bad input (an instance without a pipeline, a result that is not a
plan of that instance, a bad ranges file, named with the key at fault), nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from allocator.cli.console import console, fail


def evaluate_command(
    instance: Annotated[Path, typer.Argument(help="Instance with a pipeline: JSON, .xlsx, or a folder of CSV files.")],
    result: Annotated[
        Path, typer.Argument(help="Result JSON of that instance (allocator solve --format json or --out).")
    ],
    ranges: Annotated[Path, typer.Option("--ranges", help="Ranges of the uncertain rates (TOML; docs/robust.md).")],
    draws: Annotated[int, typer.Option("--draws", min=1, max=10_000_000, help="How many draws.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random draws: same seed, same numbers.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for montecarlo.json, regions.csv, national.csv and the fan charts."),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table (a summary) or json (the summary as JSON).")] = "table",
):
    """Draw the pipeline's uncertain rates and report P10/P50/P90 of the plan's supply (no solve)."""
    from allocator.core.instance import InstanceError
    from allocator.io.instance import load_instance
    from allocator.io.results import ResultFormatError, load_result
    from allocator.report.guard import check_match
    from allocator.solution import vocabulary as V
    from allocator.solution.result import SOLVED, Result
    from allocator.study.montecarlo import monte_carlo
    from allocator.study.ranges import RangesError, load_ranges

    if format not in ("table", "json"):
        fail(f"--format: '{format}' is not one of: table, json")
    if out is not None and (out.exists() or out.is_symlink()) and not out.is_dir():
        fail(f"--out {out}: exists and is not a folder (give a folder for the evaluation's files)")
    try:
        inst = load_instance(instance)
    except InstanceError as e:
        fail(e)
    if inst.pipeline is None:
        fail(f"{instance}: the instance has no pipeline (docs/model.md §10): there is no supply to evaluate")
    try:
        rg = load_ranges(ranges)
        rg.check(inst)
    except RangesError as e:
        fail(e)
    try:
        res = Result.from_dict(load_result(result))
    except ResultFormatError as e:
        fail(e)
    if res.status not in SOLVED:
        fail(f"{result}: the result is {res.status}: it has no plan to evaluate")
    try:
        check_match(res, inst)
    except ValueError as e:
        fail(f"{result}: {e} ({instance})")
    try:
        mc = monte_carlo(inst, res, rg, draws=draws, seed=seed)
    except (ValueError, RangesError) as e:
        fail(e)
    if format == "json":
        print(mc.to_json(), end="")
    else:
        nat = mc.national_table().query("assessed")
        t = Table(title=f"{escape(mc.instance)}: {mc.draws:,} draws (seed {mc.seed}), national, assessed years")
        for c in ("year", "measure", "central", "P10", "P50", "P90"):
            t.add_column(c, justify="left" if c in ("year", "measure") else "right")
        for row in nat.itertuples(index=False):
            vals = [V.fmt(row.measure, v) for v in (row.central, row.p10, row.p50, row.p90)]
            t.add_row(str(row.year), V.name(row.measure), *vals)
        console.print(t)
        last = mc.assess_years[-1]
        reg = mc.regions_table().query("year == @last and measure == 'supply_per_100k'")
        t = Table(title=f"{V.name('supply_per_100k')} in {last}, by region")
        for c in ("region", "central", "P10", "P50", "P90"):
            t.add_column(c, justify="left" if c == "region" else "right")
        for row in reg.itertuples(index=False):
            t.add_row(
                escape(str(row.region)),
                *[V.fmt("supply_per_100k", v) for v in (row.central, row.p10, row.p50, row.p90)],
            )
        console.print(t)
    if out is not None:
        try:
            written = mc.write(out)
        except OSError as e:
            fail(f"--out {out}: cannot write: {e.strerror or e}")
        if format != "json":
            console.print("wrote " + ", ".join(str(p) for p in written), highlight=False, markup=False)
