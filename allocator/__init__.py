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

from .interrupt import is_command_line as _is_command_line

if _is_command_line():  # the `allocator` command: Ctrl-C while it loads gives one line, exit 130
    from .interrupt import quiet_interrupts

    quiet_interrupts()

from .backends.base import SolveOptions

# imported eagerly so `allocator.check` stays the function after `import allocator.check`
from .check import CheckReport, check
from .data import ProblemData, problem_data
from .instance import Instance, InstanceError, load_instance, validate
from .result import Result
from .solve import Built, build, solve
from .spec import DEFAULT_MODEL, ModelSpec, load_model

__version__ = "0.1.0"

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
