"""A corpus of malformed inputs on the output side (issue 10): result JSON for ``check`` and
``report``, grid TOML for ``sweep``, and option values. Every case must exit 2 with one
message naming the file (or option) and the place, print no traceback, write nothing to
``--out``, and take well under a second (each runs in-process with ``CliRunner``).

User text in the cases (region names such as ``[bold]nowhere`` or ``toy [/]``) must come back
literally: rich markup in a message would swallow or crash on it.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import allocator
from allocator.cli.main import app

from .conftest import ROOT

TOY = ROOT / "instances" / "toy" / "toy-2x1.json"  # regions north, south; specialty gp; year 2025
runner = CliRunner()


@pytest.fixture(scope="module")
def good() -> dict:
    """A valid result of the toy instance (FORMULATION §9)."""
    data = allocator.solve(TOY).to_dict()
    assert data["status"] == "optimal" and len(data["allocation"]) == 2 and data["kpis"]
    return data


def _invoke(args: list[str]) -> tuple[Any, float]:
    start = time.perf_counter()
    r = runner.invoke(app, [str(a) for a in args])
    return r, time.perf_counter() - start


def _assert_refused(r, seconds: float, *expected: str) -> None:
    out = r.output
    assert r.exit_code == 2, f"exit {r.exit_code}: {out}\n{r.exception!r}"
    assert "Traceback" not in out, out
    assert not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit), repr(r.exception)
    for text in expected:
        assert text in out, f"{text!r} not in {out!r}"
    assert seconds < 1.0, f"{seconds:.2f} s"


# ----------------------------------------------------------------------------- result JSON

Mutation = Callable[[dict], Any]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting ``a.b[0].c`` (``-`` as the last part deletes it)."""

    def mutate(data: dict) -> dict:
        parts = path.replace("]", "").replace("[", ".").split(".")
        obj: Any = data
        for p in parts[:-1]:
            obj = obj[int(p)] if isinstance(obj, list) else obj[p]
        last = parts[-1]
        if value is _DELETE:
            del obj[last]
        elif isinstance(obj, list):
            obj[int(last)] = value
        else:
            obj[last] = value
        return data

    return mutate


_DELETE = object()


def _whole(value: Any) -> Mutation:
    return lambda data: value


def _dup_row(data: dict) -> dict:
    data["allocation"].append(copy.deepcopy(data["allocation"][0]))
    return data


def _drop_row(data: dict) -> dict:
    data["allocation"].pop()
    return data


def _posts_edited(data: dict) -> dict:
    """Posts changed after solving: the stated measures are no longer those of the allocation."""
    data["allocation"][0]["posts"] += 3
    return data


def _mip_without_bound(data: dict) -> dict:
    data["mip_gap"] = 0.001
    data.pop("best_bound", None)
    return data


# (id, mutation or raw text/bytes, text expected in the message, routes)
BOTH = ("check", "report")
RESULT_CASES: list[tuple[str, Any, str, tuple[str, ...]]] = [
    ("list", _whole([]), "a result must be a JSON object", BOTH),
    ("null", _whole(None), "not null", BOTH),
    ("string", _whole("optimal"), 'not the string "optimal"', BOTH),
    ("number", _whole(42), "not the number 42", BOTH),
    ("boolean", _whole(True), "not the boolean true", BOTH),
    ("empty-object", _whole({}), "status: missing", BOTH),
    ("not-json", b"{not json", "not valid JSON", BOTH),
    ("empty-file", b"", "not valid JSON", BOTH),
    ("whitespace", b"  \n\t ", "not valid JSON", BOTH),
    ("truncated", b'{"status": "optimal", "allocation": [', "not valid JSON", BOTH),
    ("latin-1", '{"status": "optimal", "instance": "Zürich"}'.encode("latin-1"), "not UTF-8", BOTH),
    ("utf-16", json.dumps({"status": "optimal"}).encode("utf-16"), "not UTF-8", BOTH),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000, "nested too deeply", BOTH),
    ("status-unknown", _set("status", "solved"), "status:", BOTH),
    ("status-number", _set("status", 3), "status:", BOTH),
    ("status-null", _set("status", None), "status: missing", BOTH),
    ("status-markup", _set("status", "[bold]optimal"), "[bold]optimal", BOTH),
    ("instance-missing", _set("instance", _DELETE), "instance:", BOTH),
    ("instance-number", _set("instance", 5), "instance:", BOTH),
    ("instance-other", _set("instance", "toy [/] other"), "'toy [/] other', not 'toy-2x1'", BOTH),
    ("model-number", _set("model", 3), "model:", BOTH),
    ("backend-list", _set("backend", ["highs"]), "backend:", BOTH),
    ("objective-string", _set("objective", "1.1"), "objective:", BOTH),
    ("objective-nan", _set("objective", float("nan")), "objective:", BOTH),
    ("objective-inf", _set("objective", float("inf")), "objective:", BOTH),
    ("allocation-object", _set("allocation", {}), "allocation: must be a list", BOTH),
    ("allocation-string", _set("allocation", "rows"), "allocation: must be a list", BOTH),
    ("allocation-row-number", _set("allocation[0]", 1), "allocation[0]: must be an object", BOTH),
    ("allocation-row-list", _set("allocation[1]", ["north"]), "allocation[1]: must be an object", BOTH),
    ("row-no-posts", _set("allocation[0].posts", _DELETE), "allocation[0]: missing posts", BOTH),
    ("row-no-region", _set("allocation[1].region", _DELETE), "allocation[1]: missing region", BOTH),
    ("row-no-target", _set("allocation[0].target", _DELETE), "allocation[0]: missing target", BOTH),
    ("posts-nan", _set("allocation[0].posts", float("nan")), "allocation[0].posts", BOTH),
    ("posts-inf", _set("allocation[1].posts", float("inf")), "allocation[1].posts", BOTH),
    ("posts-negative", _set("allocation[0].posts", -5.0), "allocation[0].posts: -5 is negative", BOTH),
    ("posts-null", _set("allocation[0].posts", None), "allocation[0].posts: missing", BOTH),
    ("posts-string", _set("allocation[1].posts", "25"), "allocation[1].posts: must be a number", BOTH),
    ("posts-bool", _set("allocation[0].posts", True), "allocation[0].posts: must be a number", BOTH),
    ("posts-list", _set("allocation[0].posts", [75]), "allocation[0].posts: must be a number", BOTH),
    ("target-string", _set("allocation[0].target", "75"), "allocation[0].target", BOTH),
    ("target-nan", _set("allocation[1].target", float("nan")), "allocation[1].target", BOTH),
    ("year-string", _set("allocation[0].year", "2025"), "allocation[0].year", BOTH),
    ("year-fraction", _set("allocation[0].year", 2025.5), "allocation[0].year", BOTH),
    ("year-null", _set("allocation[1].year", None), "allocation[1].year", BOTH),
    ("region-number", _set("allocation[0].region", 7), "allocation[0].region", BOTH),
    ("region-empty", _set("allocation[1].region", ""), "allocation[1].region", BOTH),
    ("region-unknown-markup", _set("allocation[0].region", "[bold]nowhere"), "[bold]nowhere", BOTH),
    ("specialty-unknown-markup", _set("allocation[1].specialty", "toy [/]"), "toy [/]", BOTH),
    ("year-unknown", _set("allocation[0].year", 2031), "2031", BOTH),
    ("row-duplicated", _dup_row, "allocation[2]: repeats allocation[0] (north/gp/2025)", BOTH),
    ("row-missing", _drop_row, "regions differ (in the instance only: south)", ("report",)),
    ("kpis-string", _set("kpis", "none"), "kpis: must be a list", BOTH),
    ("kpis-row-number", _set("kpis[0]", 1), "kpis[0]: must be an object", BOTH),
    ("kpis-year-string", _set("kpis[0].year", "2025"), "kpis[0].year", BOTH),
    ("kpis-gini-nan", _set("kpis[0].gini", float("nan")), "kpis[0].gini", BOTH),
    ("kpis-gini-string", _set("kpis[0].gini", "low"), "kpis[0].gini", BOTH),
    ("kpis-measure-missing", _set("kpis[0].gap_posts", _DELETE), "kpis[0].gap_posts: missing", ("report",)),
    ("kpis-empty", _set("kpis", []), "kpis: missing", ("report",)),
    ("kpis-year-unknown", _set("kpis[0].year", 2040), "measure years differ", ("report",)),
    ("binding-string", _set("binding", "x"), "binding: must be a list", BOTH),
    ("binding-row-number", _set("binding", [1]), "binding[0]: must be an object", BOTH),
    ("binding-dual-string", _set("binding", [{"constraint": "lock", "dual": "x"}]), "binding[0].dual", BOTH),
    ("binding-no-constraint", _set("binding", [{"dual": 1.0}]), "binding[0].constraint", BOTH),
    (
        "binding-region-unknown",
        _set("binding", [{"constraint": "lock", "region": "[b]x", "dual": 1.0}]),
        "[b]x",
        ("report",),
    ),
    ("diagnosis-string", _set("diagnosis", "infeasible"), "diagnosis: must be an object", BOTH),
    ("findings-string", _set("diagnosis", {"summary": "s", "findings": "x"}), "diagnosis.findings", BOTH),
    ("findings-row-number", _set("diagnosis", {"summary": "s", "findings": [3]}), "diagnosis.findings[0]", BOTH),
    ("mip-gap-without-bound", _mip_without_bound, "best_bound", BOTH),
    ("mip-gap-string", _set("mip_gap", "small"), "mip_gap", BOTH),
    ("rounding-string", _set("rounding", "yes"), "rounding: must be an object", BOTH),
    ("bound-source-unknown", _set("bound_source", "guess"), "bound_source:", BOTH),
    ("lp-bound-string", _set("lp_bound", "low"), "lp_bound:", BOTH),
    # report recomputes every measure and refuses a solved result without an allocation (issue 19)
    (
        "allocation-empty",
        _set("allocation", []),
        "allocation: missing or empty, but the status is optimal",
        ("report",),
    ),
    ("allocation-missing", _set("allocation", _DELETE), "allocation: missing or empty", ("report",)),
    ("kpis-disagree", _set("kpis[0].gini", 0.5), "kpis: the stated measures disagree with the allocation", ("report",)),
    ("kpis-posts-edited", _posts_edited, "gap_posts reported", ("report",)),
]
RESULT_PARAMS = [
    pytest.param(route, raw, expected, id=f"{route}-{name}")
    for name, raw, expected, routes in RESULT_CASES
    for route in routes
]


def _write_result(tmp_path: Path, good: dict, raw: Any) -> Path:
    path = tmp_path / "result [x].json"
    if isinstance(raw, bytes):
        path.write_bytes(raw)
    else:
        path.write_text(json.dumps(raw(copy.deepcopy(good))))
    return path


@pytest.mark.parametrize("route, raw, expected", RESULT_PARAMS)
def test_malformed_result(tmp_path, good, route, raw, expected):
    path = _write_result(tmp_path, good, raw)
    out = tmp_path / "out"
    if route == "check":
        r, seconds = _invoke(["check", TOY, path])
    else:
        r, seconds = _invoke(["report", path, "--instance", TOY, "--out", out])
    _assert_refused(r, seconds, "result [x].json", expected)
    assert len([line for line in r.output.splitlines() if line.strip()]) == 1, r.output
    assert not out.exists()


@pytest.mark.parametrize("route", BOTH)
@pytest.mark.parametrize("kind", ["folder", "missing"])
def test_result_path_is_not_a_file(tmp_path, route, kind):
    path = tmp_path / "r.json"
    if kind == "folder":
        path.mkdir()
    out = tmp_path / "out"
    if route == "check":
        r, seconds = _invoke(["check", TOY, path])
    else:
        r, seconds = _invoke(["report", path, "--instance", TOY, "--out", out])
    _assert_refused(r, seconds, "r.json", "is a folder" if kind == "folder" else "no such file")
    assert not out.exists()


def test_the_good_result_passes_both_routes(tmp_path, good):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(good))
    assert runner.invoke(app, ["check", str(TOY), str(path)]).exit_code == 0


def test_check_against_the_wrong_instance_says_so_in_one_line(tmp_path, good):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(good))
    other = ROOT / "instances" / "toy" / "toy-3x2.json"
    r = runner.invoke(app, ["check", str(other), str(path)])
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0
    assert "this result is for instance 'toy-2x1', not 'toy-3x2'" in r.output


# ------------------------------------------------------------------------------- grid TOML

GRID_CASES: list[tuple[str, Any, str]] = [
    ("not-utf8", "[grid]\nmoves = [1]\n# Zürich\n".encode("latin-1"), "not UTF-8"),
    ("utf-16", "[grid]\nmoves = [1]\n".encode("utf-16"), "not UTF-8"),
    ("not-toml", "[grid\nmoves = [1]", "not valid TOML"),
    ("empty", "", "grid: missing"),
    ("deep-nesting", "a = " + "[" * 50_000 + "]" * 50_000, "TOML"),
    ("unknown-top-key", "[grdi]\nmoves = [1]\n", "(known: base, grid, scenario); did you mean `grid`?"),
    (
        "unknown-weight",
        "[grid]\nmovs = [1]\n",
        "grid.movs: unknown weight (known: shortfall, surplus, moves, cost, worst_shortfall, "
        "supply_shortfall, supply_surplus, worst_supply, team_shortfall, team_surplus); did you mean `moves`?",
    ),
    ("unknown-weight-markup", "[grid]\n'[bold]moves' = [1]\n", "grid.[bold]moves"),
    ("grid-number", "grid = 3\n", "grid: must be a table"),
    ("grid-empty", "[grid]\n", "grid: the grid is empty"),
    ("value-string", '[grid]\nmoves = "a"\n', "grid.moves[0]: must be a number"),
    ("value-negative", "[grid]\nmoves = [-1]\n", "grid.moves[0]: weights are numbers ≥ 0"),
    ("value-nan", "[grid]\nmoves = [nan]\n", "grid.moves[0]"),
    ("value-inf", "[grid]\nshortfall = [1, inf]\n", "grid.shortfall[1]"),
    ("value-bool", "[grid]\nmoves = [true]\n", "grid.moves[0]: must be a number"),
    ("value-list", "[grid]\nmoves = [[1]]\n", "grid.moves[0]: must be a number"),
    ("value-table", "[grid]\nmoves = {a = 1}\n", "grid.moves[0]"),
    ("values-empty", "[grid]\nmoves = []\n", "grid.moves: empty list"),
    ("base-number", "base = 3\n[grid]\nmoves = [1]\n", "base: must be a table"),
    (
        "base-unknown-key",
        "[base]\nmodle = 'x'\n[grid]\nmoves = [1]\n",
        "base.modle: unknown key (known: model); did you mean `model`?",
    ),
    ("base-model-number", "[base]\nmodel = 3\n[grid]\nmoves = [1]\n", "base.model: must be the path"),
    ("base-model-missing", "[base]\nmodel = 'nope.toml'\n[grid]\nmoves = [1]\n", "base.model"),
    ("base-model-folder", "[base]\nmodel = 'sub'\n[grid]\nmoves = [1]\n", "base.model"),
    ("scenario-number", "scenario = 3\n[grid]\nmoves = [1]\n", "scenario: write scenarios"),
    ("scenario-no-name", "[grid]\nmoves = [1]\n[[scenario]]\ncapacity_scale = 1.0\n", "scenario[0].name"),
    (
        "scenario-duplicate",
        "[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\n[[scenario]]\nname = 'a'\n",
        "scenario[1].name: duplicate",
    ),
    (
        "scenario-typo",
        "[grid]\nmoves = [1]\n[[scenario]]\nnmae = 'a'\n",
        "did you mean `name`?",
    ),
    (
        "scenario-negative",
        "[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\npopulation_scale = -1\n",
        "scenario[0].population_scale",
    ),
    (
        "scenario-string",
        "[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\nnational_scale = 'x'\n",
        "scenario[0].national_scale",
    ),
    (
        "scenario-unknown-region-markup",
        "[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\npopulation_growth = {'[bold]nowhere' = 0.1}\n",
        "unknown region '[bold]nowhere'",
    ),
    (
        "scenario-unknown-specialty",
        "[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\nnational_scale = {ent = 1.1}\n",
        "scenario[0].national_scale.ent: unknown specialty",
    ),
    (
        "scenario-description-number",
        "[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\ndescription = 3\n",
        "scenario[0].description",
    ),
    (
        "too-many-runs-5x40",
        "[grid]\n"
        + "".join(f"{w} = {list(range(40))}\n" for w in ("shortfall", "surplus", "moves", "cost", "worst_shortfall")),
        "expands to 102,400,000 runs (40 × 40 × 40 × 40 × 40 values), more than the limit of 10,000 runs",
    ),
    (
        "too-many-runs-scenarios",
        "[grid]\nmoves = "
        + str(list(range(200)))
        + "\nshortfall = "
        + str(list(range(20)))
        + "\n[[scenario]]\nname = 'a'\n[[scenario]]\nname = 'b'\n[[scenario]]\nname = 'c'\n",
        "expands to 12,000 runs (200 × 20 values × 3 scenarios)",
    ),
]


@pytest.mark.parametrize("raw, expected", [pytest.param(raw, exp, id=name) for name, raw, exp in GRID_CASES])
def test_malformed_grid(tmp_path, raw, expected):
    grid = tmp_path / "grid [x].toml"
    if isinstance(raw, bytes):
        grid.write_bytes(raw)
    else:
        grid.write_text(raw, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    out = tmp_path / "out"
    r, seconds = _invoke(["sweep", TOY, "--grid", grid, "--out", out])
    _assert_refused(r, seconds, "grid [x].toml", expected)
    assert not out.exists()


@pytest.mark.parametrize("kind", ["folder", "missing"])
def test_grid_path_is_not_a_file(tmp_path, kind):
    grid = tmp_path / "g.toml"
    if kind == "folder":
        grid.mkdir()
    out = tmp_path / "out"
    r, seconds = _invoke(["sweep", TOY, "--grid", grid, "--out", out])
    _assert_refused(r, seconds, "g.toml", "is a folder" if kind == "folder" else "no such grid file")
    assert not out.exists()


def test_max_runs_option_is_the_limit(tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text("[grid]\nmoves = [0.1, 1]\nshortfall = [1, 2]\n")
    out = tmp_path / "out"
    r, seconds = _invoke(["sweep", TOY, "--grid", grid, "--out", out, "--max-runs", "3"])
    _assert_refused(r, seconds, "g.toml", "expands to 4 runs", "limit of 3 runs")
    assert not out.exists()


# ---------------------------------------------------------------------------- option values

OPTION_CASES: list[tuple[str, list[str], str]] = [
    ("threads-negative", ["solve", "{toy}", "--threads", "-1"], "--threads"),
    ("threads-zero", ["solve", "{toy}", "--threads", "0"], "--threads"),
    ("threads-huge", ["solve", "{toy}", "--threads", "100000"], "--threads"),
    ("threads-text", ["solve", "{toy}", "--threads", "many"], "--threads"),
    ("time-limit-nan", ["solve", "{toy}", "--time-limit", "nan"], "--time-limit"),
    ("time-limit-inf", ["solve", "{toy}", "--time-limit", "inf"], "--time-limit"),
    ("time-limit-negative", ["solve", "{toy}", "--time-limit", "-1"], "--time-limit"),
    ("time-limit-zero", ["solve", "{toy}", "--time-limit", "0"], "--time-limit"),
    ("mip-gap-two", ["solve", "{toy}", "--mip-gap", "2"], "--mip-gap"),
    ("mip-gap-negative", ["solve", "{toy}", "--mip-gap", "-0.1"], "--mip-gap"),
    ("mip-gap-nan", ["solve", "{toy}", "--mip-gap", "nan"], "--mip-gap"),
    ("method-unknown", ["solve", "{toy}", "--method", "magic"], "--method"),
    ("backend-unknown", ["solve", "{toy}", "--backend", "gurobi"], "--backend"),
    ("solve-out-is-a-file", ["solve", "{toy}", "--out", "{file}"], "exists and is not a folder"),
    (
        "report-out-is-a-file",
        ["report", "{result}", "--instance", "{toy}", "--out", "{file}"],
        "exists and is not a folder",
    ),
    ("sweep-out-is-a-file", ["sweep", "{toy}", "--grid", "{grid}", "--out", "{file}"], "exists and is not a folder"),
    ("scheduler-ucx", ["sweep", "{toy}", "--grid", "{grid}", "--out", "{out}", "--scheduler", "ucx://x"], "not ucx://"),
    (
        "scheduler-tls",
        ["sweep", "{toy}", "--grid", "{grid}", "--out", "{out}", "--scheduler", "tls://h:1"],
        "not tls://",
    ),
    (
        "scheduler-garbage",
        ["sweep", "{toy}", "--grid", "{grid}", "--out", "{out}", "--scheduler", "garbage"],
        "--scheduler",
    ),
    (
        "scheduler-no-port",
        ["sweep", "{toy}", "--grid", "{grid}", "--out", "{out}", "--scheduler", "tcp://h"],
        "--scheduler",
    ),
    (
        "scheduler-bad-port",
        ["sweep", "{toy}", "--grid", "{grid}", "--out", "{out}", "--scheduler", "tcp://h:99999"],
        "--scheduler",
    ),
    (
        "scheduler-markup",
        ["sweep", "{toy}", "--grid", "{grid}", "--out", "{out}", "--scheduler", "[bold]x"],
        "'[bold]x'",
    ),
    ("scheduler-empty", ["sweep", "{toy}", "--grid", "{grid}", "--out", "{out}", "--scheduler", ""], "--scheduler"),
    (
        "sweep-backend-markup",
        ["sweep", "{toy}", "--grid", "{grid}", "--out", "{out}", "--backend", "[red]x"],
        "'[red]x'",
    ),
    ("sweep-max-runs-zero", ["sweep", "{toy}", "--grid", "{grid}", "--out", "{out}", "--max-runs", "0"], "--max-runs"),
]


@pytest.mark.parametrize("args, expected", [pytest.param(a, e, id=n) for n, a, e in OPTION_CASES])
def test_bad_option_value(tmp_path, good, args, expected):
    file = tmp_path / "taken"
    file.write_text("someone's file")
    grid = tmp_path / "g.toml"
    grid.write_text("[grid]\nmoves = [0.1]\n")
    result = tmp_path / "r.json"
    result.write_text(json.dumps(good))
    out = tmp_path / "out"
    names = {"toy": TOY, "file": file, "grid": grid, "result": result, "out": out}
    r, seconds = _invoke([a.format(**{k: str(v) for k, v in names.items()}) for a in args])
    _assert_refused(r, seconds, expected)
    assert not out.exists()
    assert file.read_text() == "someone's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.toml", "r.json", "taken"]


def test_corpus_size():
    n = len(RESULT_PARAMS) + 4 + len(GRID_CASES) + 2 + 1 + len(OPTION_CASES)
    assert n >= 100, n
