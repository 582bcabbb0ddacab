"""The command line: one typer app (``allocator``), one console, one error path.

Kept light: the app and typer load only when :func:`main` runs.
"""


def main() -> None:
    """The ``allocator`` console script."""
    from allocator.cli.app import main as run

    run()
