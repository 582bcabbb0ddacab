"""allocator brief: one region's number explained (docs/model.md §3b), as brief.html, brief.xlsx
and waterfall.csv."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.cli.console import console, err, fail, instance_or_fail


def brief_command(
    instance: Annotated[Path, typer.Argument(help="Instance: JSON, .xlsx, or a folder of CSV files.")],
    result: Annotated[
        Path | None, typer.Argument(help="Result JSON of that instance; without it the instance is solved first.")
    ] = None,
    area: Annotated[str, typer.Option("--area", help="The region: its id or its name.")] = ...,  # type: ignore[assignment]
    out: Annotated[Path, typer.Option("--out", help="Folder for brief.html, brief.xlsx and waterfall.csv.")] = ...,  # type: ignore[assignment]
    model: Annotated[
        Path | None, typer.Option("--model", help="Model file (TOML): solved with it, or the result's model.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files of the same names not written by a brief.")
    ] = False,
    ranges: Annotated[
        Path | None,
        typer.Option("--ranges", help="Ranges of the uncertain rates (TOML; docs/robust.md): adds the region's fan."),
    ] = None,
    draws: Annotated[
        int, typer.Option("--draws", min=1, max=10_000_000, help="How many draws (with --ranges).")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws (with --ranges).")] = 0,
):
    """Write an area brief: one region's fair share, its waterfall and sensitivity to each need
    factor's blend, its plan by programme and year, what holds it back and the assumptions."""
    from allocator.core.instance import InstanceError
    from allocator.core.spec import load_model
    from allocator.report.brief import UnknownArea, area_brief, find_region, write_brief

    if (out.exists() or out.is_symlink()) and not out.is_dir():
        fail(f"--out {out}: exists and is not a folder (give a folder for the brief)")
    inst = instance_or_fail(instance)
    try:
        find_region(inst, area)
    except UnknownArea as e:
        fail(str(e))
    if ranges is not None:  # refused before any solve
        from allocator.cli.report import fits

        fits(inst, ranges)
    try:
        spec = load_model(model)
    except InstanceError as e:
        fail(str(e))
    if result is None:
        from allocator.pipeline.solve import solve

        with err.status("solving", spinner="dots"):
            res = solve(inst, spec)
    else:
        from allocator.core.provenance import model_sha256
        from allocator.io.results import ResultFormatError, load_result
        from allocator.solution.result import Result

        try:
            res = Result.from_dict(load_result(result, report=True))
        except ResultFormatError as e:
            fail(str(e))
        recorded = (res.inputs or {}).get("model_sha256")
        if model is not None and recorded and recorded != model_sha256(spec):
            fail(f"--model {model}: not the model of {result} (its model_sha256 differs: other weights or options)")
    try:
        b = area_brief(
            res,
            inst,
            area,
            model=spec if model is not None or result is None else None,
            model_file=None if model is None else str(model),
        )
    except ValueError as e:
        fail(f"{result or instance}: {e} ({instance})")
    if ranges is not None:
        from allocator.cli.report import evaluated

        mc = evaluated(inst, res, ranges, draws, seed, result)
    else:
        mc = None
    try:
        written = write_brief(b, out, force=force, montecarlo=mc)
    except ValueError as e:
        fail(str(e))
    for line in b.lead:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    console.print("wrote " + ", ".join(str(p) for p in written), highlight=False, markup=False, soft_wrap=True)
