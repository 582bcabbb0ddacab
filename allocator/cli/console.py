"""The command line's one console (standard output), one error console (standard error) and
one error path: :func:`fail` prints ``error: …`` and exits 2 (bad input or usage)."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

__all__ = ["console", "err", "fail", "instance_or_fail"]

# 80 columns truncates region names when output is piped or logged: use 120 there
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, soft_wrap=True)


def fail(problem: Exception | str) -> NoReturn:
    """Print ``error: PROBLEM`` on standard error (markup in it is shown as typed) and exit 2."""
    err.print(f"[bold red]error:[/] {escape(str(problem))}", markup=True, highlight=False)
    raise typer.Exit(2)


def instance_or_fail(path):
    """The instance at ``path`` (a file, folder or example name), or :func:`fail` with its problems."""
    from allocator.core.instance import InstanceError
    from allocator.io.instance import load_instance

    try:
        return load_instance(path)
    except InstanceError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{path}: {e}")
