"""The process-wide state of HiGHS that no single ``Highs`` object owns.

Two things leak across solves in one Python process, and both are handled here:

- **The banner.** highspy ≥ 1.16 prints "Running HiGHS …" to the C-level standard output
  the first time a ``Highs`` object is made in a process, whatever its ``output_flag``.
  :func:`quiet_banner` makes that first object with file descriptor 1 pointed at
  ``/dev/null``, so the banner never reaches a script's standard output (``allocator solve
  --format json > result.json`` must write the JSON alone, docs/model.md §9).
- **The thread pool.** HiGHS keeps one global task scheduler per process, started with the
  ``threads`` of the first solve; a later solve asking for a different number fails with
  model status "Not Set". :func:`use_threads` restarts the pool when a solve asks for a
  number of threads other than the pool's, so any sequence of solves (threads, backends, LP
  and MIP, in any order, as a notebook does) runs with the threads it asked for.

Solves running at the same time in several threads of one process share the pool: give them
the same ``threads``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_lock = threading.Lock()
_UNSET = object()
_pool: object = _UNSET  # the ``threads`` the global pool was started with (None: HiGHS's choice)
_primed = False


@contextlib.contextmanager
def stdout_fd_to(target_fd: int | None):
    """Point file descriptor 1 at ``target_fd`` (``None``: ``/dev/null``) inside the block.

    This catches what C and C++ code print, which ``contextlib.redirect_stdout`` cannot.
    """
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY) if target_fd is None else None
    try:
        os.dup2(null if target_fd is None else target_fd, 1)
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        if null is not None:
            os.close(null)


def quiet_banner() -> None:
    """Make (and drop) the process's first ``highspy.Highs`` with its banner sent nowhere."""
    global _primed
    if _primed:
        return
    with _lock:
        if _primed:
            return
        import highspy

        with stdout_fd_to(None):
            highspy.Highs()
        _primed = True


def use_threads(threads: int | None) -> None:
    """Make HiGHS's global thread pool match ``threads`` before a solve (see the module doc)."""
    global _pool
    import highspy

    quiet_banner()
    with _lock:
        # a pool may exist already, started by a solve that did not come through here
        if threads != _pool and not (_pool is _UNSET and threads is None):
            reset = getattr(highspy.Highs, "resetGlobalScheduler", None)
            if reset is not None:
                reset(True)
            _pool = threads


def pool_threads() -> int:
    """The ``threads`` option that matches the global pool (0, HiGHS's choice, when no solve has
    set it): for a ``Highs`` object run outside :func:`use_threads` (a diagnosis's relaxation or
    IIS), so that it does not ask the pool for another number of threads."""
    return 0 if _pool is _UNSET or _pool is None else int(_pool)
