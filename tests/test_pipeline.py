"""One public pipeline (issue 12, item 3): pre-solve → build → solve → assemble in
``allocator.pipeline``, called by solve, sweeps, frontiers and the benchmarks."""

from __future__ import annotations

import re

import pytest

import allocator
from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL
from allocator.model.backends.base import SolveOptions
from allocator.pipeline.solve import run
from allocator.pipeline.steps import build_data, error_result, infeasible_result, presolve

from .conftest import ROOT

TOY = ROOT / "instances" / "toy" / "toy-2x1.json"
INFEASIBLE = ROOT / "instances" / "infeasible" / "capacity-below-national-total.json"


def test_run_on_data_is_solve():
    inst = allocator.load_instance(TOY)
    a = allocator.solve(TOY).to_dict()
    b = run(problem_data(inst), DEFAULT_MODEL, instance=inst).to_dict()
    for r in (a, b):
        r.pop("timings", None)
    assert a["allocation"] == b["allocation"] and a["objective"] == b["objective"]


def test_presolve_gives_the_infeasible_result_of_solve():
    d = problem_data(allocator.load_instance(INFEASIBLE))
    blocked = presolve(d, DEFAULT_MODEL)
    assert blocked is not None and blocked.status == "infeasible" and blocked.diagnosis["findings"]
    assert allocator.solve(INFEASIBLE).diagnosis == blocked.diagnosis
    again = infeasible_result(d, DEFAULT_MODEL, "pulp", blocked.diagnosis, blocked.message)
    assert again.backend == "pulp" and again.message == blocked.message
    assert presolve(problem_data(allocator.load_instance(TOY)), DEFAULT_MODEL) is None


def test_steps_build_solve_assemble_and_reweight():
    d = problem_data(allocator.load_instance(TOY))
    built = build_data(d, DEFAULT_MODEL, "highs", with_z=True)
    first = built.solve(SolveOptions())
    again = built.reweight(DEFAULT_MODEL.model_copy(update={"name": "again"})).assemble(built.solve_raw(SolveOptions()))
    assert again.model == "again" and again.build_seconds == 0.0 and abs(again.objective - first.objective) < 1e-9
    with pytest.raises(ValueError, match="highs"):
        build_data(d, DEFAULT_MODEL, "pulp").reweight(DEFAULT_MODEL)
    with pytest.raises(ValueError, match="with_z"):
        build_data(d, DEFAULT_MODEL, "pulp", with_z=True)


def test_error_result_names_the_exception():
    d = problem_data(allocator.load_instance(TOY))
    res = error_result(d, DEFAULT_MODEL, "highs", RuntimeError("boom\nmore"))
    assert res.status == "error" and res.message == "RuntimeError: boom"


ABOVE = ["allocator/study", "allocator/report", "allocator/app", "allocator/cli", "benchmarks"]


@pytest.mark.parametrize("folder", ABOVE)
def test_callers_go_through_the_pipeline(folder):
    """Above the pipeline nothing builds or solves a backend's model itself."""
    direct = re.compile(r"\b(build_model|solve_model)\(")
    for path in sorted((ROOT / folder).rglob("*.py")):
        hits = [n for n, line in enumerate(path.read_text().splitlines(), 1) if direct.search(line)]
        assert not hits, f"{path.relative_to(ROOT)} lines {hits}: call allocator.pipeline instead"
