"""``allocator examples`` lists the shipped examples; ``allocator examples copy NAME DIR`` writes
one out to edit (:mod:`allocator.core.examples`).

Any command that reads an instance, a model file, a grid or apportionment totals also takes an
example's name in place of a path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from allocator.cli.console import console, fail
from allocator.core.examples import INSTANCE_KINDS, Example, ExampleError, copy_example, examples
from allocator.core.instance import InstanceError

examples_app = typer.Typer(
    add_completion=False,
    help="The shipped examples (instances, templates, model files, grids): list them, or copy one out to edit.",
)


def _first_sentence(text: str | None, width: int = 100) -> str:
    """The first sentence of a description on one line, at most ``width`` characters."""
    flat = " ".join((text or "").split())
    end = flat.find(". ")
    line = flat if end < 0 else flat[: end + 1]
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def describe(e: Example) -> tuple[str, str]:
    """(size, one line) of an example: its dimensions and the first sentence of its description."""
    if e.kind in INSTANCE_KINDS:
        from allocator.io.instance import load_instance

        inst = load_instance(e.path)
        size = f"{len(inst.regions)} × {len(inst.specialties)} × {len(inst.years)}"
        return size, _first_sentence(inst.description)
    if e.kind == "model":
        from allocator.core.spec import load_model

        spec = load_model(e.path)
        weights = sum(1 for v in spec.objective.model_dump().values() if v)
        return f"{weights} weights", _first_sentence(spec.description)
    if e.kind == "grid":
        from allocator.study.grids import load_grid

        grid = load_grid(e.path)
        comment = next((line.lstrip("# ") for line in e.path.read_text(encoding="utf-8").splitlines()), "")
        return f"{len(grid.models())} runs × {len(grid.scenarios)}", _first_sentence(comment)
    if e.kind == "ranges":
        from allocator.study.ranges import load_ranges

        ranges = load_ranges(e.path)
        return f"{len(ranges.entries)} ranges", _first_sentence(ranges.description)
    rows = len(e.path.read_text(encoding="utf-8").splitlines()) - 1
    return f"{rows} units", "Populations to apportion seats by (unit,weight) for allocator apportion."


@examples_app.callback(invoke_without_command=True)
def list_command(ctx: typer.Context) -> None:
    """List the shipped examples: name, kind, size and what each is.

    Name one wherever a path is accepted, e.g. ``allocator solve england-regions-2025 --model equity-first``.
    """
    if ctx.invoked_subcommand is not None:
        return
    t = Table(
        title="Shipped examples: name one in place of a path; `allocator examples copy NAME DIR` to edit one",
        caption="size: regions × specialties × years; a grid's weightings × scenarios; a model's non-zero weights; "
        "the uncertain quantities of a ranges file",
    )
    t.add_column("name", no_wrap=True)
    t.add_column("kind", no_wrap=True)
    t.add_column("size", no_wrap=True)
    t.add_column("what it is")
    try:
        for e in examples():
            size, line = describe(e)
            t.add_row(escape(e.name), e.kind, size, escape(line))
    except (ExampleError, InstanceError) as err:
        fail(err)
    console.print(t)


@examples_app.command("copy")
def copy_command(
    name: Annotated[str, typer.Argument(help="The example's name (allocator examples lists them).")],
    folder: Annotated[Path, typer.Argument(help="Folder to write it into (made if missing).")],
) -> None:
    """Write one shipped example into a folder, to edit it; refuses to overwrite a file."""
    try:
        target = copy_example(name, folder)
    except (ExampleError, OSError) as err:
        fail(err)
    console.print(f"wrote {target}", highlight=False, markup=False)
