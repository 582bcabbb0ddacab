"""Sweeps: grid files, scenarios, warm starts equal to cold solves, Dask, the Parquet store,
resuming, and the ``sweep`` command.

Dask runs on a real ``distributed.LocalCluster`` with 2 workers and ``processes=False``
(worker threads in this process: starting worker processes costs seconds on the shared
2-core machine, and in-process workers let a test count the solves).
"""

from __future__ import annotations

import importlib
import time

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import allocator
from allocator.cli.sweep import sweep_command
from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL, load_model
from allocator.model.backends import highs
from allocator.study.generate import generate
from allocator.study.grids import Grid, expand_grid, load_grid, run_hash
from allocator.study.scenarios import GridError, Scenario, SchedulerError
from allocator.study.store import comparison_table, load_sweep, plot_measure_vs_weight, plot_region_gains, region_gains
from allocator.study.sweep import sweep
from allocator.study.warm import solve_weightings

from .conftest import ROOT, TOYS

sweep_mod = importlib.import_module("allocator.study.sweep")  # the module: allocator.study.sweep is the function

GRID = """
[base]
model = "models/fair-share.toml"
[grid]
moves = [0.01, 0.5]
worst_shortfall = [0, 10]
[[scenario]]
name = "baseline"
[[scenario]]
name = "grow-r001"
population_growth = {r001 = 0.03}
national_scale = 1.01
"""


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def inst():
    return generate(7, 10, 5, seed=1)


# ------------------------------------------------------------------------------ grid files


def test_grid_file_is_parsed(tmp_path):
    p = tmp_path / "grid.toml"
    p.write_text(GRID)
    g = load_grid(p)  # the base model path is found from the current folder (the repo root) …
    assert g.base == load_model(ROOT / "models" / "fair-share.toml")
    assert g.weights == {"moves": [0.01, 0.5], "worst_shortfall": [0.0, 10.0]}
    assert [s.name for s in g.scenarios] == ["baseline", "grow-r001"]
    assert g.scenarios[0].changes is None
    assert g.scenarios[1].changes == {"population_growth": {"r001": 0.03}, "national_scale": 1.01}
    models = g.models()
    assert [m.name for m in models] == [
        "fair-share(moves=0.01, worst_shortfall=0)",
        "fair-share(moves=0.01, worst_shortfall=10)",
        "fair-share(moves=0.5, worst_shortfall=0)",
        "fair-share(moves=0.5, worst_shortfall=10)",
    ]
    assert models[3].objective.moves == 0.5 and models[3].objective.worst_shortfall == 10
    assert models[3].objective.shortfall == 1.0  # the rest from the base model
    (tmp_path / "m.toml").write_text('name = "mine"\n[objective]\nshortfall = 2\n')
    p.write_text('[base]\nmodel = "m.toml"\n[grid]\nsurplus = 0.5\n')  # … and beside the grid file
    g = load_grid(p)
    assert g.base.name == "mine" and g.weights == {"surplus": [0.5]} and g.scenarios == []
    assert g.models()[0].objective.shortfall == 2.0


@pytest.mark.parametrize(
    "text, where",
    [
        (
            "[grid]\nmovs = [0.1]\n",
            "grid.movs: unknown weight (known: shortfall, surplus, moves, cost, worst_shortfall, "
            "supply_shortfall, supply_surplus, worst_supply, team_shortfall, team_surplus)",
        ),
        ("[grid]\nmoves = [0.1, -1]\n", "grid.moves[1]: weights are numbers ≥ 0"),
        ("[grid]\nmoves = ['a']\n", "grid.moves[0]: must be a number"),
        ("[grid]\nmoves = []\n", "grid.moves: empty list of values"),
        ("[grid]\n", "grid: the grid is empty"),
        ('[base]\nmodel = "models/fair-share.toml"\n', "grid: missing"),
        ("[grid]\nmoves = [1]\n[extra]\na = 1\n", "extra: unknown key (known: base, grid, scenario)"),
        ("[base]\nmodle = 'x'\n[grid]\nmoves = [1]\n", "base.modle: unknown key (known: model)"),
        ("[base]\nmodel = 'nope.toml'\n[grid]\nmoves = [1]\n", "base.model: nope.toml: no such model file"),
        ("[grid]\nmoves = [1]\n[[scenario]]\npopulation_scale = 2\n", "scenario[0].name: required"),
        ("[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\ncap = 2\n", "scenario[0].cap: unknown key"),
        ("[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\ncapacity_scale = -1\n", "scenario[0].capacity_scale: must"),
        ("[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\n[[scenario]]\nname = 'a'\n", "scenario[1].name: duplicate"),
        ("[grid\n", "not valid TOML"),
    ],
)
def test_bad_grids_name_the_file_and_key(tmp_path, text, where):
    p = tmp_path / "bad-grid.toml"
    p.write_text(text)
    with pytest.raises(GridError) as e:
        load_grid(p)
    assert str(e.value).startswith(str(p)), str(e.value)
    assert where in str(e.value), str(e.value)


def test_grid_ids_are_checked_against_the_instance(tmp_path, inst):
    p = tmp_path / "grid.toml"
    p.write_text("[grid]\nmoves = [1]\n[[scenario]]\nname = 'a'\npopulation_growth = {nowhere = 0.1}\n")
    g = load_grid(p)
    with pytest.raises(GridError, match=r"grid.toml: scenario\[0\].population_growth.nowhere: unknown region"):
        g.check(inst)
    with pytest.raises(GridError, match="unknown weight"):
        expand_grid(DEFAULT_MODEL, {"bogus": [1]})
    with pytest.raises(GridError, match="the grid is empty"):
        expand_grid(DEFAULT_MODEL, {})


def test_scenarios_change_the_instance(inst):
    d0 = problem_data(inst)
    sc = Scenario("s", {"population_growth": {"r001": 0.1}, "capacity_scale": 2.0, "national_scale": {"s00": 1.5}})
    d1 = problem_data(sc.apply(inst))
    years = np.array(d0.years) - d0.baseline_year
    assert np.allclose(d1.population[1], d0.population[1] * 1.1**years)
    assert np.allclose(d1.population[0], d0.population[0])
    assert np.allclose(d1.max_posts, 2 * d0.max_posts) and np.allclose(d1.min_posts, d0.min_posts)
    assert np.allclose(d1.national[0], 1.5 * d0.national[0]) and np.allclose(d1.national[1:], d0.national[1:])
    d2 = problem_data(Scenario("half", {"capacity_scale": 0.01}).apply(inst))
    assert (d2.min_posts <= d2.max_posts).all()  # a minimum above the new maximum is lowered to it
    assert Scenario("same").apply(inst) is inst
    renamed = Scenario("f", lambda i: i.model_copy(update={"name": "other"})).apply(inst)
    assert renamed.name == "other"
    with pytest.raises(ValueError, match="unknown change"):
        Scenario("x", {"population": 2})
    spec = DEFAULT_MODEL
    assert run_hash(inst, "a", spec, "highs") != run_hash(inst, "b", spec, "highs")
    assert run_hash(inst, "a", spec, "highs") != run_hash(inst, "a", spec.with_weights(moves=0.2), "highs")
    assert run_hash(inst, "a", spec, "highs") != run_hash(inst, "a", spec, "pulp")
    assert run_hash(inst, "a", spec, "highs") == run_hash(
        inst.to_dict(), "a", spec.model_copy(update={"name": "z"}), "highs"
    )


# ------------------------------------------------------------------------------ warm starts


WEIGHTINGS = [
    {"moves": 0.01},
    {"moves": 0.5},
    {"moves": 0.01, "worst_shortfall": 20},
    {"moves": 2.0, "surplus": 0.2},
    {"moves": 0.05, "cost": 0.3},
    {"shortfall": 3.0, "moves": 0.1, "worst_shortfall": 5},
]


@pytest.mark.parametrize(
    "make",
    [
        lambda: generate(5, 4, 3, seed=0),
        lambda: generate(6, 5, 4, seed=3),
        lambda: generate(7, 10, 5, seed=1),
        lambda: allocator.load_instance(ROOT / "instances" / "england-regions-2025.json"),
        *[lambda p=p: allocator.load_instance(p) for p in TOYS],
    ],
    ids=["gen-5x4x3", "gen-6x5x4", "gen-7x10x5", "england", *[p.stem for p in TOYS]],
)
def test_warm_starts_equal_cold_solves(make):
    d = problem_data(make())
    specs = [DEFAULT_MODEL.with_weights(**w) for w in WEIGHTINGS]
    warm = {i: (res, w) for i, res, w in solve_weightings(d, specs)}
    cold = {i: res for i, res, _ in solve_weightings(d, specs, warm=False)}
    assert sum(w for _, w in warm.values()) == len(specs) - 1  # all but the first warm-started
    for i in range(len(specs)):
        assert warm[i][0].status == cold[i].status == "optimal"
        assert warm[i][0].objective == pytest.approx(cold[i].objective, rel=1e-6, abs=1e-9), specs[i]
        assert allocator.check(make(), warm[i][0], model=specs[i]).ok


def test_a_stopped_warm_start_falls_back_to_interior_point(inst):
    d = problem_data(inst)
    specs = [DEFAULT_MODEL.with_weights(**w) for w in WEIGHTINGS]
    stopped = list(solve_weightings(d, specs, fallback=0.0))  # every warm start stopped at once
    cold = {i: res for i, res, _ in solve_weightings(d, specs, warm=False)}
    assert sum(w for _, _, w in stopped) < len(specs) - 1
    for i, res, _ in stopped:
        assert res.status == "optimal" and res.objective == pytest.approx(cold[i].objective, rel=1e-6)


def test_set_objective_needs_the_z_column(inst):
    d = problem_data(inst)
    m = highs.build_model(d, DEFAULT_MODEL)
    assert m.columns.z is None and highs.build_model(d, DEFAULT_MODEL, with_z=True).columns.z is not None
    with pytest.raises(ValueError, match="with_z=True"):
        m.set_objective(DEFAULT_MODEL.with_weights(worst_shortfall=1))
    m.set_objective(DEFAULT_MODEL.with_weights(moves=0.3))
    assert np.asarray(m.highs.getLp().col_cost_)[m.columns.inc] == 0.3


def test_warm_sweeps_over_supply_weights_equal_cold_solves():
    """A pipeline instance (§10) swept over the supply weights: the warm-started model keeps the
    supply rows from the first run (the first weighting does not weigh them) and every run
    equals its cold solve; set_objective refuses a model built without them."""
    inst = allocator.load_instance(ROOT / "instances" / "england-pipeline-2025.json")
    d = problem_data(inst)
    specs = [DEFAULT_MODEL.with_weights(supply_shortfall=w, supply_surplus=w) for w in (0.0, 0.5, 1.0)]
    warm = {i: (res, w) for i, res, w in solve_weightings(d, specs)}
    cold = {i: res for i, res, _ in solve_weightings(d, specs, warm=False)}
    for i in range(len(specs)):
        assert warm[i][0].objective == pytest.approx(cold[i].objective, rel=1e-6), specs[i]
        assert allocator.check(inst, warm[i][0], model=specs[i]).ok
    assert sum(w for _, w in warm.values()) == len(specs) - 1
    m = highs.build_model(d, DEFAULT_MODEL)
    with pytest.raises(ValueError, match="with_workforce=True"):
        m.set_objective(specs[1])


# ------------------------------------------------------------------------------ Dask sweeps


def _broken(inst):
    raise RuntimeError("projection file missing")


SCENARIOS = [
    Scenario("baseline"),
    Scenario("tight-capacity", {"capacity_scale": 0.5}),  # infeasible: capacity below the national totals
    Scenario("broken", _broken),  # the scenario itself fails
]
GRID_DICT = {"moves": [0.01, 0.5], "worst_shortfall": [0, 10]}


def test_sweep_on_a_local_cluster_records_every_run(client, inst, tmp_path):
    out = tmp_path / "sweep"
    runs = sweep(inst, GRID_DICT, SCENARIOS, client=client, out=out, progress=False)
    assert len(runs) == 12 and runs["hash"].is_unique and not runs["from_store"].any()
    assert list(runs["scenario"]) == ["baseline"] * 4 + ["tight-capacity"] * 4 + ["broken"] * 4
    by = runs.set_index("scenario")
    assert (by.loc["baseline", "status"] == "optimal").all()
    assert (by.loc["tight-capacity", "status"] == "infeasible").all()
    assert by.loc["tight-capacity", "message"].str.contains("national").all()
    assert (by.loc["broken", "status"] == "error").all()
    assert by.loc["broken", "error"].str.contains("RuntimeError: projection file missing").all()
    ok = runs[runs["status"] == "optimal"]
    assert ok[["objective", "gap_closed_pct", "gini", "max_shortfall_pct", "posts_moved"]].notna().all().all()
    assert runs["warm_start"].sum() >= 1
    # the same objective as a plain solve
    spec = DEFAULT_MODEL.with_weights(moves=0.5, worst_shortfall=10)
    row = ok[(ok["w_moves"] == 0.5) & (ok["w_worst_shortfall"] == 10)].iloc[0]
    assert row["objective"] == pytest.approx(allocator.solve(inst, spec).objective, rel=1e-6)

    # the store reads back, with pandas alone too
    s = load_sweep(out)
    assert set(s) == {"runs", "measures", "allocations"}
    assert len(s["runs"]) == 12
    assert len(s["measures"]) == 4 * 5 and set(s["measures"]["run_id"]) == set(ok["run_id"])
    assert len(s["allocations"]) == 4 * 7 * 10 * 5
    assert len(pd.read_parquet(out / "runs.parquet")) == 12
    alloc = pd.read_parquet(out / "allocations.parquet")
    per_run = alloc.groupby(["run_id", "specialty", "year"])["posts"].sum().unstack("year")
    d = problem_data(inst)
    for _, g in per_run.groupby(level="run_id"):
        assert np.allclose(g.to_numpy(), d.national, atol=1e-6)  # national totals kept
    m = pd.read_parquet(out / "measures.parquet")
    assert list(m["year"].unique()) == d.years


def test_resume_skips_finished_runs(client, inst, tmp_path, monkeypatch):
    solved = []
    real = sweep_mod.solve_weightings

    def counting(d, specs, *a, **k):
        for item in real(d, specs, *a, **k):
            solved.append(specs[item[0]].name)
            yield item

    monkeypatch.setattr(sweep_mod, "solve_weightings", counting)  # workers run in this process
    out = tmp_path / "sweep"
    first = sweep(inst, {"moves": [0.01, 0.5]}, SCENARIOS[:2], client=client, out=out, progress=False)
    assert len(first) == 4 and len(solved) == 4
    solved.clear()
    # an interrupted sweep, run again with the full grid: only the new runs are solved
    again = sweep(inst, {"moves": [0.01, 0.5, 2.0]}, SCENARIOS, client=client, out=out, progress=False)
    assert len(again) == 9
    assert again["from_store"].sum() == 4
    assert len(solved) == 2  # moves=2 in two scenarios; the broken scenario fails before solving
    assert set(again.loc[again["from_store"], "hash"]) == set(first["hash"])
    solved.clear()
    third = sweep(inst, {"moves": [0.01, 0.5, 2.0]}, SCENARIOS, client=client, out=out, progress=False)
    assert len(solved) == 0 and third["from_store"].sum() == 6  # error runs are retried, not kept
    assert (third.loc[~third["from_store"], "status"] == "error").all()
    assert len(load_sweep(out)["runs"]) == 9
    fresh = sweep(inst, {"moves": [0.01]}, SCENARIOS[:1], client=client, out=out, resume=False, progress=False)
    assert not fresh["from_store"].any() and len(load_sweep(out)["runs"]) == 1


def test_sweep_in_memory_and_analysis(client, inst, tmp_path):
    runs = sweep(
        inst,
        [DEFAULT_MODEL, load_model(ROOT / "models" / "minimal-disruption.toml")],
        [Scenario("baseline"), Scenario("more-posts", {"national_scale": 1.02})],
        client=client,
        progress=False,
        chunk_size=1,
    )
    assert list(runs["model"]) == ["fair-share", "minimal-disruption"] * 2
    assert (runs["status"] == "optimal").all()
    meas, alloc = runs.attrs["measures"], runs.attrs["allocations"]
    assert len(meas) == 4 * 5 and len(alloc) == 4 * 7 * 10 * 5
    table = comparison_table(runs, "moves")
    assert list(table.index) == [0.01, 0.5] and ("gap_closed_pct", "more-posts") in table.columns
    # a post moved costs more in minimal-disruption: never more posts move
    assert (table["posts_moved"].loc[0.5] <= table["posts_moved"].loc[0.01] + 1e-6).all()
    gains = region_gains(alloc, runs)
    assert len(gains) == 7 and gains["share"].between(0, 1).all() and (gains["scenarios"] == 2).all()
    plot_measure_vs_weight(runs, "moves", "gap_closed_pct", tmp_path / "gap")
    plot_region_gains(alloc, runs, path=tmp_path / "gains")
    assert {p.name for p in tmp_path.iterdir()} >= {"gap.png", "gap.svg", "gains.png", "gains.svg"}


def test_unreachable_scheduler_fails_fast(inst):
    t0 = time.perf_counter()
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        sweep(inst, {"moves": [0.1]}, scheduler="tcp://127.0.0.1:9", progress=False)
    assert time.perf_counter() - t0 < 15


# ------------------------------------------------------------------------------ the command


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main():
        """Test app."""

    app.command("sweep")(sweep_command)
    return app


def test_sweep_command(client, tmp_path):
    inst_path = tmp_path / "inst.json"
    generate(5, 4, 3, seed=0).to_json(inst_path)
    grid = tmp_path / "grid.toml"
    grid.write_text(f'[base]\nmodel = "{ROOT / "models" / "fair-share.toml"}"\n[grid]\nmoves = [0.01, 1.0]\n')
    out = tmp_path / "out"
    address = client.scheduler.address
    runner = CliRunner()
    args = ["sweep", str(inst_path), "--grid", str(grid), "--out", str(out), "--scheduler", address]
    r = runner.invoke(_app(), args)
    assert r.exit_code == 0, r.output
    assert "2 weightings × 1 scenarios = 2 runs" in r.output and "optimal" in r.output
    assert len(load_sweep(out)["runs"]) == 2
    r = runner.invoke(_app(), args)  # resumed: nothing to solve
    assert r.exit_code == 0 and "2 runs already in the store" in r.output

    grid.write_text("[grid]\nmovs = [1]\n")
    r = runner.invoke(_app(), args)
    assert r.exit_code == 2 and f"{grid}: grid.movs: unknown weight" in r.output
    r = runner.invoke(_app(), [*args[:6], "--backend", "cplex"])
    assert r.exit_code == 2 and "unknown backend 'cplex'" in r.output
    grid.write_text("[grid]\nmoves = [1]\n[[scenario]]\nname = 'tight'\ncapacity_scale = 0.1\n")
    r = runner.invoke(_app(), args)
    assert r.exit_code == 1 and "infeasible" in r.output


def test_grid_object_carries_its_scenarios(client, inst):
    g = Grid(DEFAULT_MODEL, {"moves": [0.1]}, [Scenario("a"), Scenario("b", {"national_scale": 1.01})])
    runs = sweep(inst, g, client=client, progress=False)
    assert list(runs["scenario"]) == ["a", "b"] and (runs["status"] == "optimal").all()


def test_default_cluster_is_two_local_processes(tmp_path):
    """Without client or scheduler, a sweep starts (and closes) its own 2-process LocalCluster."""
    runs = sweep(generate(5, 4, 3, seed=0), {"moves": [0.01, 1.0]}, out=tmp_path / "s", progress=False)
    assert (runs["status"] == "optimal").all() and len(runs) == 2


def test_shipped_grid_files_load():
    """Every grid file in models/grids/ parses (bad keys or weights would fail here)."""
    from .conftest import ROOT

    grids = sorted((ROOT / "models" / "grids").glob("*.toml"))
    assert grids
    england = allocator.load_instance(ROOT / "instances" / "england-regions-2025.json")
    for path in grids:
        grid = load_grid(path)
        assert grid.models() and grid.scenarios, path.name
        grid.check(england)


# the fast tier (make test-fast) leaves these out: see docs/architecture.md
pytestmark = pytest.mark.slow
