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

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "EXIT_INTERRUPTED",
    "abort",
    "atomic_write",
    "critical",
    "run_interruptible",
]

EXIT_INTERRUPTED = 130
MESSAGE = "interrupted"
# the longest a Ctrl-C waits for files being renamed (a rename takes microseconds)
CRITICAL_WAIT = 10.0

T = TypeVar("T")

_lock = threading.Lock()
_critical = 0
_temps: set[str] = set()


@contextmanager
def critical() -> Iterator[None]:
    """A section (renaming output files) that a Ctrl-C lets finish before the process ends."""
    global _critical
    with _lock:
        _critical += 1
    try:
        yield
    finally:
        with _lock:
            _critical -= 1


def abort(message: str = MESSAGE) -> None:
    """Print ``message`` on standard error and end the process with exit code 130, now.

    Waits (at most :data:`CRITICAL_WAIT` seconds) for a :func:`critical` section to end and
    removes the temporary files of unfinished writes first.
    """
    deadline = time.monotonic() + CRITICAL_WAIT
    while _critical and time.monotonic() < deadline:
        time.sleep(0.01)
    for name in list(_temps):
        try:
            os.unlink(name)
        except OSError:
            pass
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a closed stderr must not stop the exit
        pass
    os._exit(EXIT_INTERRUPTED)


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


def atomic_write(files: Mapping[str, bytes | str], folder: str | Path) -> list[Path]:
    """Write ``{name: content}`` into ``folder``: every file to a temporary file first, then
    all renamed over their targets (a failure removes the temporaries, writes nothing).

    Each temporary file is made by :func:`tempfile.mkstemp` in ``folder`` (``O_CREAT |
    O_EXCL``: created exclusively, an unpredictable name, a planted symlink is never followed;
    mode 0600 widened to the usual 0644 less the umask). The targets are replaced by
    ``os.replace``, which replaces a symlink itself, not the file it points to.
    """
    out = Path(folder)
    done: list[tuple[str, Path]] = []
    try:
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            fd, tmp = tempfile.mkstemp(prefix=f".{Path(name).name}.", suffix=".tmp", dir=out)
            with _lock:
                _temps.add(tmp)
            done.append((tmp, out / name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        for tmp, _ in done:
            _forget(tmp, unlink=True)
        raise
    with critical():
        for tmp, final in done:
            os.replace(tmp, final)
            _forget(tmp)
    return [final for _, final in done]


def _forget(tmp: str, unlink: bool = False) -> None:
    with _lock:
        _temps.discard(tmp)
    if unlink:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _umask() -> int:
    """The process umask, read without changing it (os.umask would, for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


# ------------------------------------------------------------------ text that spreadsheets run

# A cell starting with one of these is taken by Excel, LibreOffice or Google Sheets as a
# formula (OWASP, "CSV Injection"): tab and carriage return too, as some parsers skip them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_escape(value: Any) -> Any:
    """A text value for a CSV file: one starting with ``= + - @``, tab or carriage return gets
    a leading apostrophe (the OWASP mitigation), so a spreadsheet shows it as text instead of
    running it. Anything that is not a string (numbers, negative ones included) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _is_text(values: Any) -> bool:
    import pandas as pd

    dtype = values.dtype
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype) or str(dtype) == "category"


def csv_text(frame: Any, **kwargs: Any) -> str:
    """``frame.to_csv(**kwargs)`` with every text cell, column name and index label passed
    through :func:`csv_escape`."""
    out = frame.copy()
    for col in out.columns:
        if _is_text(out[col]):
            out[col] = out[col].astype(object).map(csv_escape)
    out.columns = [csv_escape(c) for c in out.columns]
    if _is_text(out.index):
        out.index = out.index.astype(object).map(csv_escape)
        out.index.name = csv_escape(frame.index.name)
    if "index_label" in kwargs:
        kwargs["index_label"] = csv_escape(kwargs["index_label"])
    return out.to_csv(**kwargs)
