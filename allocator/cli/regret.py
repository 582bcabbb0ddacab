"""``allocator regret INSTANCE [--model M] [--backend B] [--format table|json] [--out DIR]``:
the regret table of docs/model.md §12 with VSS and EVPI (:mod:`allocator.study.regret`).

A typer command function, registered by the main command line (``allocator/cli/main.py``).
Exit codes: 0 every plan solved optimal and the table made; 1 a plan's solve is not optimal
(infeasible, time limit: named); 2 bad input (no scenarios block, a bad model file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from allocator.cli.console import console, err, fail


def _print(title: str, frame, unit: str) -> None:
    from allocator.solution import vocabulary as V

    t = Table(title=escape(title))
    t.add_column("plan")
    for c in frame.columns:
        t.add_column(escape(str(c)), justify="right")
    for plan, row in frame.iterrows():
        t.add_row(escape(str(plan)), *[V.fmt(unit, v) for v in row])
    console.print(t)


def regret_command(
    instance: Annotated[Path, typer.Argument(help="Instance with a scenarios block: JSON, .xlsx, or a CSV folder.")],
    model: Annotated[Path | None, typer.Option(help="Model file (TOML); default: fair-share.")] = None,
    backend: Annotated[str, typer.Option(help="Model builder of every solve: highs, pyomo or pulp.")] = "highs",
    format: Annotated[str, typer.Option("--format", help="table (a summary) or json (the table as JSON).")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Folder for regret.json and regret.csv.")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds, per solve.")] = None,
    threads: Annotated[int | None, typer.Option(help="HiGHS threads.")] = None,
):
    """Each member's own plan and the robust plan, evaluated in every member: regret, VSS, EVPI."""
    from allocator.core.instance import InstanceError
    from allocator.core.spec import load_model
    from allocator.io.instance import load_instance
    from allocator.model.backends import BACKENDS
    from allocator.study.regret import RegretError, regret

    if format not in ("table", "json"):
        fail(f"--format: '{format}' is not one of: table, json")
    if backend not in BACKENDS:
        fail(f"--backend: unknown backend '{backend}' (choose one of: {', '.join(BACKENDS)})")
    if out is not None and (out.exists() or out.is_symlink()) and not out.is_dir():
        fail(f"--out {out}: exists and is not a folder (give a folder for the regret table)")
    try:
        inst = load_instance(instance)
        spec = load_model(model)
    except InstanceError as e:
        fail(e)
    if inst.scenarios is None:
        fail(f"{instance}: the instance has no scenarios block (docs/model.md §12): no futures to compare")
    options = {k: v for k, v in (("time_limit", time_limit), ("threads", threads)) if v is not None}
    try:
        with err.status("solving each member's plan and the robust plan", spinner="dots"):
            table = regret(inst, spec, backend, **options)
    except RegretError as e:
        err.print(f"[bold red]not solved:[/] {escape(str(e))}", highlight=False)
        raise typer.Exit(1) from None
    if format == "json":
        print(table.to_json(), end="")
    else:
        from allocator.solution import vocabulary as V

        who = ", ".join(f"{m} {p:g}" for m, p in zip(table.members, table.probabilities, strict=True))
        console.print(
            f"[bold]{escape(table.instance)}[/] with model [bold]{escape(table.model)}[/]: risk {table.risk}"
            + (f" (alpha {table.alpha:g})" if table.alpha is not None else "")
            + f"; members {escape(who)}",
            highlight=False,
        )
        cells = table.table().rename(columns={"risk_objective": "R: risk objective"})
        _print("Each plan's objective in each member (posts terms + that member's supply term)", cells, "objective")
        _print(f"{V.name('regret')}: cell − the best plan for that member", table.regret_table(), "regret")
        console.print(f"{V.name('vss')} = {V.fmt('vss', table.vss)}", highlight=False)
        if table.evpi is not None:
            console.print(f"{V.name('evpi')} = {V.fmt('evpi', table.evpi)}", highlight=False)
    if out is not None:
        written = table.write(out)
        if format != "json":
            console.print("wrote " + ", ".join(str(p) for p in written), highlight=False, markup=False)
