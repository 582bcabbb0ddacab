"""Safe file output: atomic writes (exclusive temporaries renamed into place inside a critical
section that a Ctrl-C lets finish), abort with exit code 130, and CSV text with formula-like
values escaped.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

EXIT_INTERRUPTED = 130
MESSAGE = "interrupted"
# the longest a Ctrl-C waits for files being renamed (a rename takes microseconds)
CRITICAL_WAIT = 10.0

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
