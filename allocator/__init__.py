"""allocator: redistribute medical specialty training posts toward population need.

Library quickstart::

    import allocator
    res = allocator.solve("england-regions-2025", "equity-first")   # shipped examples by name
    res.status, res.objective
    res.allocation          # pandas DataFrame: region, specialty, year, posts, target
    res.kpis                # the measures per year (docs/model.md §8)
    allocator.check("england-regions-2025", res)   # the independent checker
    [e.name for e in allocator.examples()]   # every shipped instance, model file and grid

Every function that takes an instance takes an :class:`Instance`, the path of its file (JSON,
workbook or CSV folder) or the name of a shipped example; a path wins over a name. The public
names are those in ``__all__`` here and in :mod:`allocator.study`, :mod:`allocator.report` and
:mod:`allocator.apportion`; everything else is internal. The contract (instance format,
mathematics, result format) is docs/model.md.
"""

from allocator.cli.interrupt import is_command_line as _is_command_line

if _is_command_line():  # the `allocator` command: Ctrl-C while it loads gives one line, exit 130
    from allocator.cli.interrupt import quiet_interrupts

    quiet_interrupts()

from allocator.core.data import ProblemData
from allocator.core.examples import Example, ExampleError, copy_example, examples
from allocator.core.instance import Instance, InstanceError
from allocator.core.spec import DEFAULT_MODEL, ModelSpec, load_model
from allocator.core.validate import validate
from allocator.core.version import package_version as _package_version
from allocator.io.instance import load_instance
from allocator.model.backends.base import SolveOptions

#: Public names whose modules load on first use (PEP 562): they bring pandas and pyarrow, which
#: a solve needs only once HiGHS is done (issue 24: the solve's peak memory is HiGHS's and the
#: tie-break's, with less beneath it).
_LAZY = {
    "check": "allocator.analysis.check",
    "CheckReport": "allocator.analysis.check_report",
    "Built": "allocator.pipeline.solve",
    "build": "allocator.pipeline.solve",
    "problem_data": "allocator.pipeline.solve",
    "solve": "allocator.pipeline.solve",
    "Result": "allocator.solution.result",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # once loaded, an ordinary attribute
        return value
    raise AttributeError(f"module 'allocator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__: str = _package_version()
"""The installed package's version (its metadata), e.g. ``"0.2.0"``."""

__all__ = [
    "DEFAULT_MODEL",
    "Built",
    "CheckReport",
    "Example",
    "ExampleError",
    "Instance",
    "InstanceError",
    "ModelSpec",
    "ProblemData",
    "Result",
    "SolveOptions",
    "build",
    "check",
    "copy_example",
    "examples",
    "load_instance",
    "load_model",
    "problem_data",
    "solve",
    "validate",
]
