"""``allocator check INSTANCE RESULT.json [--model MODEL.toml]``: the independent checker
(:func:`allocator.analysis.check.check`) on a result file.

Exit codes: 0 the result passes (or has nothing to check), 1 it has violations, 2 the
instance, model or result cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from allocator.cli.console import console, fail
from allocator.core.instance import InstanceError
from allocator.core.spec import load_model
from allocator.io.instance import load_instance


def check_command(
    instance: Annotated[Path, typer.Argument(help="The instance the result was solved from.")],
    result: Annotated[Path, typer.Argument(help="A result JSON (the result format of docs/model.md).")],
    model: Annotated[Path | None, typer.Option(help="Model file, to check the objective too.")] = None,
):
    """Check a result against its instance with the independent checker (exit 1 on violations)."""
    from allocator.analysis.check import check as run_check
    from allocator.io.results import load_result

    try:
        inst = load_instance(instance)
        spec = load_model(model) if model is not None else None
        report = run_check(inst, load_result(result, inst), model=spec)
    except (InstanceError, ValueError) as e:
        fail(e)
    console.print(str(report), highlight=False, markup=False)
    raise typer.Exit(0 if report.ok else 1)
