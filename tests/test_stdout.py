"""Standard output holds only what was asked for, and any sequence of solves works in one process.

The command is run as a user runs it (a subprocess of the installed ``allocator``), so what
HiGHS, Pyomo or PuLP print at the C level would show up here: the whole of stdout must parse
as one JSON document, in every backend and mode, with and without ``--verbose``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import allocator
from allocator.study.generate import generate

from .conftest import ROOT

ALLOCATOR = shutil.which("allocator", path=str(__import__("pathlib").Path(sys.executable).parent))
TOY = ROOT / "instances" / "toy" / "toy-3x2.json"
INFEASIBLE = ROOT / "instances" / "infeasible" / "lock-above-capacity.json"
SOLVER_INFEASIBLE = ROOT / "instances" / "infeasible" / "region-net-loss-vs-falling-total.json"

MODES = {
    "lp": [],
    "integer": ["--integer", "--time-limit", "20"],
    "round": ["--round"],
}


def run(*args: str) -> subprocess.CompletedProcess:
    assert ALLOCATOR, "the allocator command is not installed beside this Python"
    return subprocess.run([ALLOCATOR, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("backend", ["highs", "pyomo", "pulp"])
def test_json_stdout_is_one_document(backend, mode, verbose):
    args = ["solve", str(TOY), "--format", "json", "--backend", backend, *MODES[mode]]
    proc = run(*args, *(["--verbose"] if verbose else []))
    res = json.loads(proc.stdout)  # the whole of stdout, nothing before or after
    assert res["status"] == "optimal", proc.stderr
    assert proc.returncode == 0
    assert "Running HiGHS" not in proc.stdout
    if verbose:  # the solver's log is on stderr, and only when asked for
        assert "HiGHS" in proc.stderr
    else:
        assert "Running HiGHS" not in proc.stderr


@pytest.mark.parametrize("path", [INFEASIBLE, SOLVER_INFEASIBLE], ids=["presolve", "solver"])
@pytest.mark.parametrize("backend", ["highs", "pyomo", "pulp"])
def test_json_stdout_of_an_infeasible_result(backend, path):
    proc = run("solve", str(path), "--format", "json", "--backend", backend, "--verbose")
    res = json.loads(proc.stdout)
    assert res["status"] == "infeasible"
    assert res["diagnosis"]
    assert proc.returncode == 1


def test_readme_sequence_solve_check_report(tmp_path):
    """The README's solve → check → report sequence, with stdout redirected to a file."""
    result = tmp_path / "result.json"
    with result.open("w") as fh:
        proc = subprocess.run(
            [ALLOCATOR, "solve", str(TOY), "--format", "json"], stdout=fh, stderr=subprocess.PIPE, text=True
        )
    assert proc.returncode == 0, proc.stderr
    assert run("check", str(TOY), str(result)).returncode == 0
    rep = run("report", str(result), "--instance", str(TOY), "--out", str(tmp_path / "report"))
    assert rep.returncode == 0, rep.stderr
    assert (tmp_path / "report" / "report.xlsx").exists()


def test_any_sequence_of_solves_in_one_process():
    """Different threads, backends, LP and MIP, in an order that used to fail with HiGHS 1.16
    ("Not Set" after the thread pool was started with another count): every solve is optimal
    and they agree."""
    inst = generate(7, 10, 3, seed=3)
    ref = allocator.solve(inst).objective
    sequence = [
        ("highs", None, False),
        ("highs", 1, False),
        ("pyomo", 2, False),
        ("pulp", 1, True),
        ("highs", None, True),
        ("pulp", 2, False),
        ("pyomo", 1, False),
        ("highs", 2, False),
    ]
    for backend, threads, integer in sequence:
        res = allocator.solve(inst, backend=backend, threads=threads, integer=integer, mip_gap=0.0 if integer else None)
        assert res.status == "optimal", (backend, threads, integer, res.message)
        if not integer:
            assert res.objective == pytest.approx(ref, rel=1e-7)


def test_each_solve_gets_the_threads_it_asked_for():
    import highspy

    built = allocator.build(generate(7, 10, 3, seed=3))
    for threads in (1, 2, 1):
        assert built.solve(threads=threads).status == "optimal"
        value = built.model.highs.getOptionValue("threads")
        assert (value[1] if isinstance(value, tuple) else value) == threads
    assert isinstance(built.model.highs, highspy.Highs)


def test_library_import_prints_nothing_and_loads_no_heavy_package():
    code = (
        "import sys, allocator, allocator.cli\n"
        "heavy = [m for m in ('pyomo', 'pulp', 'dask', 'distributed', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "allocator.solve('instances/toy/toy-2x1.json')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # not even HiGHS's banner


def test_help_is_fast_and_light():
    proc = run("--help")
    assert proc.returncode == 0
    assert "solve" in proc.stdout
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from allocator.cli.main import app\n"
        "CliRunner().invoke(app, ['validate', 'instances/toy/toy-2x1.json'])\n"
        "heavy = [m for m in ('pyomo', 'pulp', 'dask', 'distributed', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr


# the fast tier (make test-fast) leaves these out: see docs/architecture.md
pytestmark = pytest.mark.slow
