"""allocator report: write the report of a saved result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.report.guard import check_match
from allocator.report.write import write_report
from allocator.solution.result import Result

# --------------------------------------------------------------------------- command


def report_command(
    result: Annotated[Path, typer.Argument(help="Result JSON written by `allocator solve --format json` or --out.")],
    instance: Annotated[Path, typer.Option("--instance", help="The instance the result was solved on.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.xlsx, report.html and the figures.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files of the same names not written by allocator report.")
    ] = False,
):
    """Write a result's report: Excel workbook, figures (PNG, SVG) and a one-page HTML summary."""
    from rich.console import Console
    from rich.markup import escape

    from allocator.core.instance import InstanceError
    from allocator.io.instance import load_instance
    from allocator.io.results import ResultFormatError, load_result

    err = Console(stderr=True, soft_wrap=True)

    def fail(msg: str) -> typer.Exit:
        err.print(f"[bold red]error:[/] {escape(msg)}", markup=True, highlight=False)
        return typer.Exit(2)

    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise fail(f"--out {out}: exists and is not a folder (give a folder for the report)")
    try:
        res = Result.from_dict(load_result(result, report=True))
    except ResultFormatError as e:
        raise fail(str(e)) from None
    try:
        inst = load_instance(instance)
    except InstanceError as e:
        raise fail(str(e)) from None
    except OSError as e:
        raise fail(f"{instance}: {e}") from None
    try:
        check_match(res, inst)
    except ValueError as e:
        raise fail(f"{result}: {e} ({instance})") from None
    try:
        written = write_report(res, inst, out, force=force)
    except ValueError as e:
        raise fail(str(e)) from None
    Console(width=120).print("wrote " + ", ".join(str(p) for p in written), highlight=False, markup=False)
