"""``allocator sweep INSTANCE --grid GRID.toml --out DIR [--scheduler tcp://HOST:PORT]``.

A typer command function, registered by the main command line (``allocator/cli/main.py``)::

    from allocator.cli.sweep import sweep_command
    app.command("sweep")(sweep_command)

The grid file format is in :mod:`allocator.study.sweep`. Exit codes: 0 every run optimal; 1 the
sweep finished but some run is not optimal (infeasible, error, …: each is recorded in the
store with its message); 2 bad input or usage (a malformed instance or grid, an unknown
backend, an unreachable scheduler, a damaged results store named with its fix), with nothing
solved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from allocator.cli.console import console, fail
from allocator.core.instance import InstanceError
from allocator.core.limits import MAX_RUNS  # not allocator.study: `allocator solve` should not load it
from allocator.io.instance import load_instance


def sweep_command(
    instance: Annotated[Path, typer.Argument(help="Instance: JSON, .xlsx, or a folder of CSV files.")],
    grid: Annotated[Path, typer.Option("--grid", help="Grid file (TOML): base model, weight grid, scenarios.")],
    out: Annotated[Path, typer.Option("--out", help="Folder of the Parquet results store (resumed if present).")],
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address tcp://HOST:PORT; default: a local cluster.")
    ] = None,
    backend: Annotated[str, typer.Option(help="Model builder: highs (warm starts), pyomo or pulp.")] = "highs",
    max_runs: Annotated[
        int, typer.Option(min=1, help="Refuse a grid of more runs (weightings × scenarios) than this.")
    ] = MAX_RUNS,
    dashboard: Annotated[
        bool, typer.Option("--dashboard/--no-dashboard", help="Serve the local cluster's dashboard (on 127.0.0.1).")
    ] = True,
):
    """Solve an instance under every weighting × scenario of a grid file, on Dask; results to Parquet."""
    from allocator.model.backends import BACKENDS
    from allocator.study.grids import load_grid
    from allocator.study.scenarios import GridError, SchedulerError
    from allocator.study.store import Store, StoreError, comparison_table
    from allocator.study.sweep import check_scheduler, sweep

    if backend not in BACKENDS:
        fail(f"--backend: unknown backend '{backend}' (choose one of: {', '.join(BACKENDS)})")
    if scheduler is not None:
        try:
            scheduler = check_scheduler(scheduler)
        except SchedulerError as e:
            fail(e)
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        fail(f"--out {out}: exists and is not a folder (give a folder for the results store)")
    try:
        inst = load_instance(instance)
    except InstanceError as e:
        fail(e)
    try:
        g = load_grid(grid, max_runs=max_runs)
        g.check(inst)
        models = g.models()
    except GridError as e:
        fail(e)
    if out.is_dir():  # a store to resume: a damaged one is named with its fix before anything runs
        try:
            Store(out).runs()
        except StoreError as e:
            fail(e)
    n = len(models) * max(1, len(g.scenarios))
    console.print(
        f"sweep of [bold]{escape(inst.name)}[/]: {len(models)} weightings × {max(1, len(g.scenarios))} scenarios "
        f"= {n} runs",
        highlight=False,
    )
    try:
        runs = sweep(inst, g, backend=backend, scheduler=scheduler, out=out, dashboard=dashboard)
    except (SchedulerError, StoreError) as e:  # StoreError: a damaged store, named with its fix
        fail(e)

    counts = runs.groupby(["scenario", "status"], sort=False).size().unstack(fill_value=0)
    t = Table(title="Runs by scenario and status")
    t.add_column("scenario")
    for c in counts.columns:
        t.add_column(escape(str(c)), justify="right")
    for sc, row in counts.iterrows():
        t.add_row(escape(str(sc)), *[str(int(v)) for v in row])
    console.print(t)
    varied = [w for w, vals in g.weights.items() if len(set(vals)) > 1]
    if varied and (runs["status"] == "optimal").any():
        table = comparison_table(runs, varied[0], by=None)
        from allocator.solution import vocabulary as V

        t = Table(
            title=f"Optimal runs by {varied[0]} (mean): {V.name('gap_closed_pct').lower()} and Gini in the last "
            f"year; {V.name('max_shortfall_pct').lower()}, in any year; {V.name('posts_moved').lower()}, summed"
        )
        t.add_column(varied[0], justify="right")
        for c in table.columns:
            t.add_column(escape(V.label(c) if c in V.MEASURES else str(c)), justify="right")
        for w, row in table.iterrows():
            t.add_row(f"{w:g}", *[V.fmt(c, v) if c in V.MEASURES else f"{v:,.3f}" for c, v in row.items()])
        console.print(t)
    failed = runs[runs["status"] != "optimal"]
    for _, r in failed.head(5).iterrows():
        what = " / ".join(escape(str(r[k])) for k in ("scenario", "model"))
        console.print(f"[yellow]{escape(str(r['status']))}[/] {what}: {escape(str(r['message']))}", highlight=False)
    skipped = int(runs["from_store"].sum())
    if skipped:
        console.print(f"{skipped} runs already in the store, not solved again", highlight=False)
    console.print(f"wrote {out}: runs.parquet, measures.parquet, allocations.parquet", highlight=False, markup=False)
    raise typer.Exit(0 if len(failed) == 0 else 1)
