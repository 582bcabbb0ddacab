"""Ctrl-C and safe file output for the command line.

HiGHS solves in C++ (``Highs.run()``): while it runs on the main thread, Python's SIGINT
handler cannot run, so Ctrl-C took effect only when the solve ended. The command line
therefore runs each command in a worker thread (:func:`run_interruptible`;
:class:`InterruptibleTyper` does it for a whole typer app) while the main thread waits in
short ``join(0.1)`` steps. ``Highs.run()`` releases the GIL, so the main thread stays
responsive: on Ctrl-C it prints one line (``interrupted``) on standard error and ends the
process with exit code 130 at once (``os._exit``), without waiting for the solver.

Nothing is written before a command has finished its work, and every file is written by
:func:`atomic_write`: each to a fresh temporary file (``tempfile.mkstemp`` in the target
folder: created exclusively, with an unpredictable name, never through a symlink), then
renamed over the target. The writes run inside :func:`critical`: a Ctrl-C that arrives while
files are being renamed lets them finish (so a set of files is never left half-written)
before the process exits 130; temporary files of an interrupted write are removed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from allocator.io.atomic import abort

T = TypeVar("T")


def run_interruptible(work: Callable[[], T]) -> T:
    """Run ``work()`` in a worker thread; Ctrl-C on the main thread calls :func:`abort`.

    The worker's return value is returned and its exception (``SystemExit`` included) is
    raised again on the calling thread. Called from another thread than the main one (where
    no signal arrives), ``work()`` simply runs.
    """
    if threading.current_thread() is not threading.main_thread():
        return work()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as err:  # noqa: BLE001 - handed to the main thread
            box["error"] = err

    worker = threading.Thread(target=target, name="allocator-command", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        abort()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _interruptible_typer() -> type:
    import typer

    class InterruptibleTyper(typer.Typer):
        """A :class:`typer.Typer` whose ``app()`` runs the command in a worker thread
        (:func:`run_interruptible`). In-process test runners (``typer.testing.CliRunner``)
        do not go through ``__call__`` and are not affected."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            parent = super().__call__
            return run_interruptible(lambda: parent(*args, **kwargs))

    return InterruptibleTyper


def __getattr__(name: str) -> Any:  # InterruptibleTyper is made on first use: typer loads late
    if name == "InterruptibleTyper":
        cls = _interruptible_typer()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_command_line() -> bool:
    """True when this process is the ``allocator`` command (its console script)."""
    argv0 = getattr(sys, "argv", None) or [""]
    return Path(str(argv0[0])).name in ("allocator", "allocator.exe")


def quiet_interrupts() -> None:
    """From now on, Ctrl-C ends the process with one line and exit code 130, no traceback
    (:func:`abort`): installed by the command line before it imports its modules."""
    import signal

    try:
        signal.signal(signal.SIGINT, lambda signum, frame: abort())
    except ValueError:  # pragma: no cover - not the main thread
        pass
