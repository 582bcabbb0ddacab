"""The public API: the names a library user needs, importable from a few documented modules,
each listed in ``__all__`` with a docstring; the package says it is typed (``py.typed``)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from .conftest import ROOT

PUBLIC = ("allocator", "allocator.study", "allocator.report", "allocator.apportion")


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_is_importable_and_documented(name):
    module = importlib.import_module(name)
    assert inspect.getdoc(module), f"{name}: no module docstring"
    undocumented = []
    for public in module.__all__:
        obj = getattr(module, public)  # AttributeError: a name in __all__ that is not there
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and not (obj.__doc__ or "").strip():
            undocumented.append(public)
    assert not undocumented, f"{name}: public names without a docstring: {undocumented}"


def test_what_a_library_user_needs():
    import allocator
    import allocator.apportion
    import allocator.report
    import allocator.study

    assert {"solve", "check", "load_instance", "load_model", "examples", "copy_example", "Result"} <= set(
        allocator.__all__
    )
    assert {"sweep", "frontier", "Scenario", "load_sweep", "load_grid"} <= set(allocator.study.__all__)
    assert {"write_report", "markdown"} <= set(allocator.report.__all__)
    assert {"divisor", "biproportional", "round_matrix"} <= set(allocator.apportion.__all__)


def test_typed_marker_ships():
    assert (ROOT / "allocator" / "py.typed").is_file()
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["allocator"]


def test_a_solve_loads_pandas_only_once_highs_is_done():
    """Issue 24: pandas and pyarrow (~60 MB) load when the result is assembled, not with the
    package or the command line, so they are not beneath the peak memory of HiGHS and the
    tie-break; the lazily loaded public names are the same objects as their modules'."""
    import json
    import subprocess
    import sys

    code = """
import json, sys
import allocator, allocator.cli.main
from allocator.model.backends.base import SolveOptions
seen = {"import": "pandas" in sys.modules}
built = allocator.build("instances/toy/toy-3x2.json")
raw = built.solve_raw(SolveOptions(tie_break="least-squares"))
seen["solved"] = "pandas" in sys.modules
res = built.assemble(raw)
seen["assembled"] = "pandas" in sys.modules
from allocator.pipeline.solve import solve
from allocator.solution.result import Result
seen["same"] = allocator.solve is solve and allocator.Result is Result and type(res) is Result
print(json.dumps(seen))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "import": False,
        "solved": False,
        "assembled": True,
        "same": True,
    }


def test_a_model_solved_once_is_released_before_its_result_is_assembled():
    """``Built.solve(release=True)`` (what ``allocator.solve`` does) drops the backend's model,
    and with it HiGHS's working memory, before the result is assembled; the result is the same."""
    import allocator
    from allocator.pipeline.steps import give_back_memory

    path = ROOT / "instances" / "toy" / "toy-3x2.json"
    kept, released = allocator.build(path), allocator.build(path)
    a = kept.solve()
    b = released.solve(release=True)
    assert kept.model is not None and released.model is None
    assert a.allocation.equals(b.allocation) and a.objective == b.objective
    assert allocator.solve(path).allocation.equals(a.allocation)
    give_back_memory()  # harmless when called again, and on any platform
