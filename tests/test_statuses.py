"""The statuses and result fields of FORMULATION §9 v2: ``feasible`` with ``bound`` and ``gap``,
``tie_break``; the checker's rules for them; the exit codes of the command line."""

from __future__ import annotations

import copy
import importlib
import json

import pytest
from typer.testing import CliRunner

import allocator
from allocator.analysis.check import check
from allocator.cli.main import app
from allocator.core.spec import DEFAULT_MODEL
from allocator.core.validate import validate
from allocator.io.results import SOLVED, STATUSES
from allocator.solution.result import Result

from .conftest import ROOT

# Two regions of equal need, one specialty, one year; north (30 posts) may lose 10 % + 1 post.
INSTANCE = {
    "schema_version": 2,
    "name": "statuses",
    "baseline_year": 2024,
    "years": [2025],
    "regions": [{"id": "north", "population": 100000}, {"id": "south", "population": 100000}],
    "specialties": [{"id": "gp"}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 30},
        {"region": "south", "specialty": "gp", "posts": 10},
    ],
    "transition": {"max_shrink_rate": 0.1, "shrink_allowance": 1},
}


def result(north: float, south: float, status: str = "feasible", **extra) -> dict:
    """A §9 result holding (north, south) in 2025; targets 20 and 20 (total 40).

    Objective under the default model: |north − 20| + |south − 20| + 0.01 · (|north − 30| +
    |south − 10|).
    """
    objective = abs(north - 20) + abs(south - 20) + 0.01 * (abs(north - 30) + abs(south - 10))
    return {
        "status": status,
        "objective": objective,
        "backend": "highs",
        "model": "fair-share",
        "instance": "statuses",
        "allocation": [
            {"region": "north", "specialty": "gp", "year": 2025, "posts": north, "target": 20.0},
            {"region": "south", "specialty": "gp", "year": 2025, "posts": south, "target": 20.0},
        ],
        **extra,
    }


@pytest.fixture
def inst():
    return validate(copy.deepcopy(INSTANCE))


# ---------------------------------------------------------------------------- the checker


def test_statuses_of_the_contract():
    assert STATUSES == ("optimal", "feasible", "infeasible", "unbounded", "time_limit", "error")
    assert SOLVED == ("optimal", "feasible")


def test_checker_accepts_feasible(inst):
    """(27, 13) keeps the shrink limit (north loses 3 <= 0.1 · 30 + 1 = 4) but is not optimal
    (the optimum is (26, 14), objective 12.08): a whole-post answer may say ``feasible``."""
    res = result(27, 13, bound=12.08, gap=(14.06 - 12.08) / 14.06)
    report = check(inst, res, model=DEFAULT_MODEL)
    assert report.ok and report.checked, str(report)
    assert report.objective == pytest.approx(14.06)


@pytest.mark.parametrize("status", ["feasible", "optimal"])
def test_checker_rejects_a_solution_that_breaks_a_limit(inst, status):
    """(25, 15): north loses 5 > 4. Whatever the status claims, it is not a solution."""
    res = result(25, 15, status=status, bound=10.0, gap=0.1)
    report = check(inst, res, model=DEFAULT_MODEL)
    assert not report.ok
    assert report.counts() == {"shrink_limit": 1}


def test_feasible_compares_the_objective(inst):
    res = result(27, 13, bound=12.0, gap=0.1)
    res["objective"] = 13.0
    assert check(inst, res, model=DEFAULT_MODEL).counts() == {"objective": 1}


@pytest.mark.parametrize(
    "extra, why",
    [
        ({}, "carries a number 'bound'"),
        ({"bound": 12.0}, "carries a number 'gap'"),
        ({"bound": None, "gap": 0.1}, "carries a number 'bound'"),
        ({"bound": 20.0, "gap": 0.0}, "bound 20 is above the objective"),
    ],
)
def test_feasible_carries_bound_and_gap(inst, extra, why):
    report = check(inst, result(27, 13, **extra))
    assert not report.ok
    assert set(report.counts()) == {"status"}
    assert why in report.violations[0].message


def test_feasible_without_allocation_is_a_violation(inst):
    res = result(27, 13, bound=12.0, gap=0.1)
    res["allocation"] = []
    report = check(inst, res)
    assert report.counts() == {"allocation": 1}
    assert "status feasible but the result has no allocation" in report.violations[0].message


def test_time_limit_without_plan_is_not_a_solution(inst):
    report = check(inst, {"status": "time_limit", "instance": "statuses"})
    assert report.ok and not report.checked


# ------------------------------------------------------------------------------ the result


def test_result_fields_round_trip():
    res = Result.from_dict(result(27, 13, bound=12.08, gap=0.14, tie_break="none"))
    assert res.status == "feasible" and res.solved and not res.ok
    assert res.bound == 12.08 and res.gap == 0.14 and res.tie_break == "none"
    assert (res.best_bound, res.mip_gap) == (12.08, 0.14)  # the names before v2
    out = res.to_dict()
    assert out["bound"] == 12.08 and out["gap"] == 0.14 and out["tie_break"] == "none"
    assert "mip_gap" not in out and "best_bound" not in out
    assert Result.from_dict(json.loads(res.to_json())).to_dict() == out


def test_setting_bound_and_gap():
    res = Result(status="optimal", instance="i", model="m", backend="highs", mip_gap=0.01, best_bound=9.0)
    assert (res.gap, res.bound) == (0.01, 9.0)
    res.gap, res.bound = 0.02, 8.0
    assert (res.mip_gap, res.best_bound) == (0.02, 8.0)


def test_feasible_always_states_bound_and_gap():
    out = Result(status="feasible", instance="i", model="m", backend="highs").to_dict()
    assert out["bound"] is None and out["gap"] is None


def test_older_result_files_still_read():
    """A result written before v2: no tie_break, bound or gap, or the old mip_gap/best_bound."""
    old = result(26, 14, status="optimal")
    res = Result.from_dict(old)
    assert res.tie_break is None and res.bound is None and res.gap is None
    assert "bound" not in res.to_dict() and "tie_break" not in res.to_dict()
    res = Result.from_dict({**old, "mip_gap": 0.001, "best_bound": 12.0})
    assert (res.gap, res.bound) == (0.001, 12.0)


def test_lp_result_has_no_bound_or_gap():
    res = allocator.solve(validate(copy.deepcopy(INSTANCE)))
    assert res.status == "optimal" and res.bound is None and res.gap is None
    assert "bound" not in res.to_dict()


def test_mip_result_states_bound_and_gap():
    res = allocator.solve(validate(copy.deepcopy(INSTANCE)), integer=True, mip_gap=0.0)
    assert res.status == "optimal"
    out = res.to_dict()
    assert out["bound"] == pytest.approx(res.objective) and out["gap"] == pytest.approx(0.0, abs=1e-9)


# ----------------------------------------------------------------------------- exit codes


def write(tmp_path, data, name="inst.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_exit_0_for_optimal(tmp_path):
    out = CliRunner().invoke(app, ["solve", str(write(tmp_path, INSTANCE)), "--format", "json"])
    assert out.exit_code == 0
    assert json.loads(out.stdout)["status"] == "optimal"


def test_exit_1_for_infeasible():
    path = ROOT / "instances" / "infeasible" / "capacity-below-national-total.json"
    assert CliRunner().invoke(app, ["solve", str(path)]).exit_code == 1


def test_exit_1_for_feasible(tmp_path, monkeypatch):
    """A ``feasible`` answer keeps every limit but is not proven optimal: scripts must notice."""
    feasible = Result.from_dict(result(27, 13, bound=12.08, gap=0.14))
    module = importlib.import_module("allocator.pipeline.solve")  # the module: allocator.solve is the function
    monkeypatch.setattr(module, "solve", lambda *a, **k: feasible)
    out = CliRunner().invoke(app, ["solve", str(write(tmp_path, INSTANCE)), "--format", "json"])
    assert out.exit_code == 1
    data = json.loads(out.stdout)
    assert data["status"] == "feasible" and data["bound"] == 12.08 and data["gap"] == 0.14


def test_exit_2_for_bad_input(tmp_path):
    bad = {**INSTANCE, "schema_version": 4}  # a version this tool does not read
    assert CliRunner().invoke(app, ["solve", str(write(tmp_path, bad))]).exit_code == 2
    bad = {**INSTANCE, "teams": [{"id": "t", "members": [{"specialty": "nope"}]}]}  # unknown member
    assert CliRunner().invoke(app, ["solve", str(write(tmp_path, bad))]).exit_code == 2


def test_check_command_accepts_feasible_and_rejects_broken(tmp_path):
    inst = write(tmp_path, INSTANCE)
    good = write(tmp_path, result(27, 13, bound=12.08, gap=0.14), "good.json")
    broken = write(tmp_path, result(25, 15, bound=12.08, gap=0.14), "broken.json")
    assert CliRunner().invoke(app, ["check", str(inst), str(good)]).exit_code == 0
    out = CliRunner().invoke(app, ["check", str(inst), str(broken)])
    assert out.exit_code == 1 and "shrink_limit" in out.output
