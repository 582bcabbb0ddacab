"""Hooks on the stage boundaries of one solve, for the profile and memory benchmarks.

:func:`hooked` wraps the functions the pipeline calls for each stage of a result's ``timings``
(load, build, solve, tie_break, assemble; plus the pre-solve checks, which the timings count
only in ``total``), so a benchmark can act when a stage starts and ends (switch profilers,
read the memory) while ``allocator.solve`` or ``allocator solve`` runs as users get it.
Stages nest (the tie-break runs inside the backend's solve): the callbacks see that order.

The wrapped names are looked up where the pipeline calls them, so the wrappers take effect
without touching ``allocator``; a name that has moved is an error that names it.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: ``make bench-instances`` writes the benchmark instances here (not committed)
INSTANCES = Path(__file__).resolve().parent.parent / "instances" / "benchmarks"

#: the stages in the order a solve runs them
STAGES = ("load", "presolve", "build", "solve", "tie_break", "assemble")

#: (module, function, stage): where the pipeline looks each stage's function up
TARGETS = [
    ("allocator.pipeline.solve", "as_instance", "load"),
    ("allocator.pipeline.solve", "problem_data", "load"),
    ("allocator.pipeline.solve", "_model", "load"),
    ("allocator.pipeline.solve", "presolve", "presolve"),
    ("allocator.pipeline.solve", "build_data", "build"),
    ("allocator.model.backends.{backend}", "solve_model", "solve"),
    ("allocator.model.tiebreak", "apply", "tie_break"),
    ("allocator.pipeline.steps", "assemble", "assemble"),
]


def _wrap(func: Callable, stage: str, on_enter: Callable[[str], None], on_exit: Callable[[str], None]) -> Callable:
    @functools.wraps(func)
    def staged(*args, **kwargs):
        on_enter(stage)
        try:
            return func(*args, **kwargs)
        finally:
            on_exit(stage)

    return staged


@contextmanager
def hooked(on_enter: Callable[[str], None], on_exit: Callable[[str], None], backend: str = "highs") -> Iterator[None]:
    """Call ``on_enter(stage)`` and ``on_exit(stage)`` around each stage's function while the
    context is open; the original functions are put back on leaving it.

    Raises
    ------
    AttributeError
        If a function of :data:`TARGETS` is no longer where the pipeline calls it.
    """
    saved = []
    try:
        for module_name, name, stage in TARGETS:
            module = importlib.import_module(module_name.format(backend=backend))
            if not hasattr(module, name):
                where = f"{module.__name__}.{name}"
                raise AttributeError(f"benchmarks/stages.py: {where} ({stage}) is gone; update TARGETS")
            original = getattr(module, name)
            saved.append((module, name, original))
            setattr(module, name, _wrap(original, stage, on_enter, on_exit))
        yield
    finally:
        for module, name, original in reversed(saved):
            setattr(module, name, original)


def instance_file(size: str, tmp: Path) -> Path:
    """The benchmark instance of a size ``RxSxY``: ``instances/benchmarks/*-RxSxY.json`` where
    ``make bench-instances`` wrote it, else ``generate(R, S, Y, seed=1)`` (the same instance)
    written into the folder ``tmp``."""
    found = sorted(INSTANCES.glob(f"*-{size}.json"))
    if found:
        return found[0]
    from allocator.study.generate import generate

    R, S, Y = (int(v) for v in size.split("x"))
    path = tmp / f"{size}.json"
    generate(R, S, Y, seed=1).to_json(path)
    return path
