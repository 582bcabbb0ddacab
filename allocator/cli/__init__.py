"""The command line: one typer app (``allocator``), one console, one error path.

Kept light: the app and typer load only when :func:`main` runs.
"""


def main() -> None:
    """The ``allocator`` console script."""
    from allocator.cli.main import main as run

    run()
