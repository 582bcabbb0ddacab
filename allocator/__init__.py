"""allocator: redistribute medical specialty training posts toward population need.

Library quickstart::

    import allocator
    res = allocator.solve("instances/england-regions-2025.json", "models/equity-first.toml")
    res.status, res.objective
    res.allocation          # pandas DataFrame: region, specialty, year, posts, target
    res.kpis                # FORMULATION §8 measures per year
    allocator.check(allocator.load_instance("..."), res)   # the independent checker

The contract is FORMULATION.md (the project's copy: docs/model.md).
"""

from allocator.cli.interrupt import is_command_line as _is_command_line

if _is_command_line():  # the `allocator` command: Ctrl-C while it loads gives one line, exit 130
    from allocator.cli.interrupt import quiet_interrupts

    quiet_interrupts()

from allocator.analysis.check import check

# imported eagerly so `allocator.check` stays the function after `import allocator.check`
from allocator.analysis.check_report import CheckReport
from allocator.core.data import ProblemData, problem_data
from allocator.core.instance import Instance, InstanceError
from allocator.core.spec import DEFAULT_MODEL, ModelSpec, load_model
from allocator.core.validate import validate
from allocator.core.version import package_version as _package_version
from allocator.io.instance import load_instance
from allocator.model.backends.base import SolveOptions
from allocator.pipeline.solve import Built, build, solve
from allocator.solution.result import Result

__version__: str = _package_version()
"""The installed package's version (its metadata), e.g. ``"0.2.0"``."""

__all__ = [
    "DEFAULT_MODEL",
    "Built",
    "CheckReport",
    "Instance",
    "InstanceError",
    "ModelSpec",
    "ProblemData",
    "Result",
    "SolveOptions",
    "build",
    "check",
    "load_instance",
    "load_model",
    "problem_data",
    "solve",
    "validate",
]
