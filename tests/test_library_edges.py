"""Library edges (issue 19, finding 8): every public function that takes an instance takes the
path of its file too, through one helper (:func:`allocator.io.instance.as_instance`), and no
HiGHS banner reaches standard output or standard error without ``--verbose``.

The banner tests run the command as a user runs it (a subprocess), because HiGHS prints its
banner from C++, which no Python-level capture sees.
"""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import allocator
from allocator.analysis import shadow
from allocator.core.data import ProblemData
from allocator.io.instance import as_instance, as_problem_data, write_tables
from allocator.report.write import write_report
from allocator.solution import equity
from allocator.study.pareto import frontier
from allocator.study.warm import solve_weightings

from .conftest import ROOT

TOY = ROOT / "instances" / "toy" / "toy-3x2.json"
PRESOLVE_INFEASIBLE = ROOT / "instances" / "infeasible" / "lock-above-capacity.json"
SOLVER_INFEASIBLE = ROOT / "instances" / "infeasible" / "region-net-loss-vs-falling-total.json"
ALLOCATOR = shutil.which("allocator", path=str(Path(sys.executable).parent))
# what HiGHS prints when a Highs object is first made ("Running HiGHS 1.16.0 (git hash: …):
# Copyright (c) … under MIT licence terms" and "Includes third-party software components, see
# THIRD_PARTY_NOTICES.md …"); HiGHS in the diagnosis's own sentences is not a banner
BANNER = ("Running HiGHS", "Copyright (c)", "THIRD_PARTY_NOTICES")


@pytest.fixture(scope="module")
def solved():
    return allocator.solve(TOY)


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize("kind", [str, Path], ids=["str", "Path"])
def test_check_takes_an_instance_path_a_result_path_and_a_model_path(solved, kind, tmp_path):
    """``allocator.check("instance.json", res)`` raised AttributeError before (issue 19)."""
    assert allocator.check(kind(TOY), solved).ok
    solved.to_json(tmp_path / "result.json")
    report = allocator.check(kind(TOY), kind(tmp_path / "result.json"), model=kind(ROOT / "models" / "fair-share.toml"))
    assert report.ok
    assert report == allocator.check(allocator.load_instance(TOY), solved, model=allocator.DEFAULT_MODEL)


def test_check_with_a_path_still_finds_violations(solved):
    bad = solved.to_dict()
    bad["allocation"][0]["posts"] += 5  # breaks the national total of its specialty and year
    report = allocator.check(str(TOY), bad)
    assert not report.ok
    assert "national_total" in {v.constraint for v in report.violations}


def test_pipeline_functions_take_paths():
    inst = allocator.load_instance(TOY)
    d = allocator.problem_data(str(TOY))
    assert isinstance(d, ProblemData) and d.regions == inst.region_ids
    assert (d.target == allocator.problem_data(inst).target).all()
    built = allocator.build(str(TOY))
    assert built.data.name == inst.name
    res = allocator.solve(TOY)
    assert res.status == "optimal"


def test_equity_functions_take_an_instance_path(solved):
    d = allocator.problem_data(TOY)
    for name in equity.__all__:
        fn = getattr(equity, name)
        if "d" not in inspect.signature(fn).parameters:  # theil, lorenz_points: arrays only
            continue
        by_path, by_data = fn(str(TOY), solved), fn(d, solved)
        if hasattr(by_path, "equals"):
            assert by_path.equals(by_data), name
        else:
            assert (by_path == by_data).all(), name


@pytest.mark.slow  # over a second (docs/architecture.md, Tests)
def test_study_and_report_functions_take_an_instance_path(solved, tmp_path):
    assert shadow.names_from_instance(str(TOY)) == shadow.names_from_instance(allocator.load_instance(TOY))
    assert shadow.explain(solved, str(TOY)).equals(shadow.explain(solved, allocator.problem_data(TOY)))
    written = write_report(solved, str(TOY), str(tmp_path / "report"))
    assert any(p.name == "report.html" for p in written)
    assert allocator.load_instance(write_tables(str(TOY), tmp_path / "t.xlsx")) == allocator.load_instance(TOY)
    table = frontier(str(TOY), "gap-moves", points=2)
    assert table["check_ok"].all()
    runs = list(solve_weightings(str(TOY), [allocator.DEFAULT_MODEL]))
    assert [r.status for _, r, _ in runs] == ["optimal"]


@pytest.mark.slow  # over a second (docs/architecture.md, Tests)
def test_sweep_takes_an_instance_path():
    """Without a client a sweep starts a local cluster of processes; one in-process worker is enough here."""
    dask = pytest.importorskip("dask.distributed")
    from allocator.study.sweep import sweep

    with dask.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        runs = sweep(str(TOY), {"moves": [1.0]}, client=client, progress=False)
    assert list(runs["status"]) == ["optimal"]


def test_public_functions_taking_an_instance_say_they_take_a_path():
    """Every function of the public API (and of the equity module) whose first parameter is
    an instance or its problem data is annotated to take a path, so a new one without
    :func:`as_instance` fails here."""
    functions = [getattr(allocator, n) for n in allocator.__all__] + [getattr(equity, n) for n in equity.__all__]
    functions += [shadow.explain, shadow.names_from_instance, write_report, write_tables, frontier, solve_weightings]
    checked = []
    for fn in functions:
        if not inspect.isfunction(fn):
            continue
        params = list(inspect.signature(fn).parameters.values())
        first = next((p for p in params if p.name in ("instance", "inst", "d")), None)
        if first is None:
            continue
        note = str(first.annotation)
        checked.append(fn.__name__)
        assert "str" in note or note == "Data", f"{fn.__module__}.{fn.__name__}({first.name}: {note})"
    assert {"check", "build", "solve", "problem_data", "equity_table", "write_report"} <= set(checked)


def test_as_instance_refuses_what_is_not_an_instance_or_path():
    inst = allocator.load_instance(TOY)
    assert as_instance(inst) is inst
    d = allocator.problem_data(inst)
    assert as_problem_data(d) is d
    with pytest.raises(TypeError, match="expected an Instance or the path of an instance file, not dict"):
        allocator.check(inst.to_dict(), {})
    with pytest.raises(allocator.InstanceError, match="nope.json: no such file or folder"):
        allocator.check("nope.json", {})


# --------------------------------------------------------------------------- no banner


def run(*args: str) -> subprocess.CompletedProcess:
    assert ALLOCATOR, "the allocator command is not installed beside this Python"
    return subprocess.run([ALLOCATOR, *args], capture_output=True, text=True, timeout=180)


def banner(proc: subprocess.CompletedProcess) -> list[str]:
    """The lines of stdout and stderr that are HiGHS's banner."""
    lines = (proc.stdout + proc.stderr).splitlines()
    return [line for line in lines if any(b in line for b in BANNER)]


@pytest.mark.slow  # a subprocess each
@pytest.mark.parametrize(
    "args",
    [
        [str(PRESOLVE_INFEASIBLE)],  # the diagnosis built the first Highs without silencing it
        [str(PRESOLVE_INFEASIBLE), "--backend", "pyomo"],
        [str(PRESOLVE_INFEASIBLE), "--backend", "pulp"],
        [str(PRESOLVE_INFEASIBLE), "--round"],
        [str(PRESOLVE_INFEASIBLE), "--integer", "--format", "json"],
        [str(SOLVER_INFEASIBLE), "--backend", "pulp", "--round"],
    ],
    ids=["highs", "pyomo", "pulp", "round", "integer-json", "solver-pulp-round"],
)
def test_an_infeasible_solve_prints_no_banner(args):
    proc = run("solve", *args)
    assert proc.returncode == 1, proc.stderr
    assert "infeasible" in proc.stdout
    assert not banner(proc), banner(proc)


@pytest.mark.slow  # over a second (docs/architecture.md, Tests)
def test_verbose_shows_the_solver_log():
    proc = run("solve", str(SOLVER_INFEASIBLE), "--verbose")
    assert proc.returncode == 1
    assert "HiGHS" in proc.stderr  # the log, asked for


@pytest.mark.slow
def test_an_infeasible_sweep_prints_no_banner(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(
        f"[base]\nmodel = {json.dumps(str(ROOT / 'models' / 'fair-share.toml'))}\n"
        '[grid]\nmoves = [1.0]\n[[scenario]]\nname = "baseline"\n'
    )
    proc = run("sweep", str(PRESOLVE_INFEASIBLE), "--grid", str(grid), "--out", str(tmp_path / "s"), "--no-dashboard")
    assert "infeasible" in proc.stdout, proc.stderr
    assert not banner(proc), banner(proc)


@pytest.mark.slow  # over a second (docs/architecture.md, Tests)
def test_a_library_solve_prints_nothing():
    """``allocator.solve`` on an infeasible instance in a script: nothing on either stream."""
    code = f"import allocator; assert allocator.solve({str(PRESOLVE_INFEASIBLE)!r}).status == 'infeasible'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
