"""allocator report: write the report of a saved result."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from allocator.cli.console import console, fail, instance_or_fail

if TYPE_CHECKING:  # the report modules load when a report is written, not with every command
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
    ranges: Annotated[
        Path | None,
        typer.Option(
            "--ranges",
            help="Ranges of the uncertain rates (TOML; docs/robust.md): adds the section Under uncertain rates.",
        ),
    ] = None,
    draws: Annotated[
        int, typer.Option("--draws", min=1, max=10_000_000, help="How many draws (with --ranges).")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws (with --ranges).")] = 0,
):
    """Write a result's report: Excel workbook, figures (PNG, SVG) and a one-page HTML summary."""
    from allocator.core.instance import InstanceError
    from allocator.io.results import ResultFormatError, load_result
    from allocator.report.guard import check_match
    from allocator.report.write import write_report
    from allocator.solution.result import Result

    if (out.exists() or out.is_symlink()) and not out.is_dir():
        fail(f"--out {out}: exists and is not a folder (give a folder for the report)")
    try:
        res = Result.from_dict(load_result(result, report=True))
    except ResultFormatError as e:
        fail(str(e))
    inst = instance_or_fail(instance)
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
    mc = None if ranges is None else evaluated(inst, res, ranges, draws, seed, result)
    try:
        written = write_report(
            res, inst, out, force=force, model=spec, model_file=None if model is None else str(model), montecarlo=mc
        )
    except ValueError as e:
        fail(str(e))
    console.print("wrote " + ", ".join(str(p) for p in written), highlight=False, markup=False)


def fits(inst, ranges: Path):
    """The ranges file read and checked against ``inst`` (the Monte Carlo module's validation),
    or exit 2: an instance without a pipeline, a ranges file that does not fit the instance."""
    from allocator.study.ranges import RangesError, load_ranges

    if inst.pipeline is None:
        fail(f"--ranges {ranges}: the instance {inst.name} has no pipeline (docs/model.md §10): no supply to draw")
    try:
        rg = load_ranges(ranges)
        rg.check(inst)
    except RangesError as e:
        fail(e)
    return rg


def evaluated(inst, res: Result, ranges: Path, draws: int, seed: int, result: Path | None = None):
    """The Monte Carlo evaluation of ``res`` (:func:`allocator.study.montecarlo.monte_carlo`) on
    the ranges file (:func:`fits`), or exit 2 (also for a result without a plan)."""
    from allocator.solution.result import SOLVED
    from allocator.study.montecarlo import monte_carlo
    from allocator.study.ranges import RangesError

    rg = fits(inst, ranges)
    if res.status not in SOLVED:
        fail(
            f"--ranges {ranges}: the result{f' {result}' if result else ''} is {res.status}: it has no plan to evaluate"
        )
    try:
        return monte_carlo(inst, res, rg, draws=draws, seed=seed)
    except (ValueError, RangesError) as e:
        fail(e)
