"""allocator report: write the report of a saved result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.cli.console import console, fail
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
    model: Annotated[
        Path | None,
        typer.Option("--model", help="The model file the result was solved with: its weights go in the Assumptions."),
    ] = None,
):
    """Write a result's report: Excel workbook, figures (PNG, SVG) and a one-page HTML summary."""
    from allocator.core.instance import InstanceError
    from allocator.io.instance import load_instance
    from allocator.io.results import ResultFormatError, load_result

    if (out.exists() or out.is_symlink()) and not out.is_dir():
        fail(f"--out {out}: exists and is not a folder (give a folder for the report)")
    try:
        res = Result.from_dict(load_result(result, report=True))
    except ResultFormatError as e:
        fail(str(e))
    try:
        inst = load_instance(instance)
    except InstanceError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{instance}: {e}")
    try:
        check_match(res, inst)
    except ValueError as e:
        fail(f"{result}: {e} ({instance})")
    spec = None
    if model is not None:
        from allocator.core.provenance import model_sha256
        from allocator.core.spec import load_model

        try:
            spec = load_model(model)
        except InstanceError as e:
            fail(str(e))
        recorded = (res.inputs or {}).get("model_sha256")
        if recorded and recorded != model_sha256(spec):
            fail(f"--model {model}: not the model of {result} (its model_sha256 differs: other weights or options)")
    try:
        written = write_report(
            res, inst, out, force=force, model=spec, model_file=None if model is None else str(model)
        )
    except ValueError as e:
        fail(str(e))
    console.print("wrote " + ", ".join(str(p) for p in written), highlight=False, markup=False)
