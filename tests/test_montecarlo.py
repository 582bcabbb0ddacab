"""Monte Carlo evaluation of a plan (issue 23, item 3): ``allocator.study.montecarlo`` and
``allocator evaluate``.

The engine is checked three ways: with zero-width ranges every draw is the deterministic §10
evaluation a solve reports (the golden result's ``supply``); one draw's stocks are the
independent checker's recomputation for that draw's rates, written into the instance; and a
region's own settle rate is worked by hand.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from allocator.analysis.check_tables import _Tables
from allocator.analysis.check_workforce import Workforce
from allocator.cli.main import app
from allocator.core.data import problem_data
from allocator.core.validate import validate
from allocator.io.instance import load_instance
from allocator.solution.result import Result
from allocator.solution.workforce import supply_per_100k
from allocator.study import MonteCarlo, RangesError, load_ranges, monte_carlo
from allocator.study.ranges import parse_ranges

from .conftest import ROOT

runner = CliRunner()
PIPELINE = ROOT / "instances" / "england-pipeline-2025.json"
GOLDEN = ROOT / "tests" / "data" / "golden" / "england-pipeline-2025__default.json"


def _exact_ranges(inst) -> dict:
    """Zero-width ranges at the instance's own value of every rate, and population factors 1."""
    p = inst.pipeline
    out: dict = {k: [] for k in ("completion_rate", "settle_rate", "join_rate", "leave_rate", "fill_rate")}
    for ps in p.specialties:
        for kind in ("completion_rate", "settle_rate", "join_rate", "leave_rate"):
            v = getattr(ps, kind)
            out[kind].append({"specialty": ps.specialty, "min": v, "max": v})
    for f in p.fill_rate:
        out["fill_rate"].append(
            {"region": f.region, "specialty": f.specialty, "min": f.rate, "mode": f.rate, "max": f.rate}
        )
    out["population_scale"] = [{"year": inst.years[-1] + 1, "min": 1.0, "max": 1.0}]
    return out


def test_zero_width_ranges_equal_the_deterministic_evaluation():
    inst = load_instance(PIPELINE)
    res = Result.from_json(GOLDEN)
    d = problem_data(inst)
    mc = monte_carlo(inst, res, _exact_ranges(inst), draws=7, seed=3)
    assert len(mc.ranges.entries) == 4 * 12 + len(inst.pipeline.fill_rate) + 1
    stock = res.supply.pivot_table(index=["region", "specialty"], columns="year", values="stock", sort=False)
    stock = stock.to_numpy().reshape(*d.shape[:2], -1)  # (R, S, E), instance order
    rows = stock.sum(axis=1)
    for n in range(mc.draws):
        np.testing.assert_allclose(mc.stock[n], rows, rtol=1e-12)
        np.testing.assert_allclose(mc.supply[n], supply_per_100k(d, stock), rtol=1e-12)
    np.testing.assert_allclose(mc.central["stock"][0], rows, rtol=1e-12)
    gap = res.supply_kpis.set_index("year")["supply_gap"]
    cols = [mc.years.index(y) for y in gap.index]
    np.testing.assert_allclose(mc.gap[:, cols], np.broadcast_to(gap.to_numpy(), (7, 2)), rtol=1e-12)
    table = mc.national_table().query("measure == 'supply_gap' and assessed")
    np.testing.assert_allclose(table[["p10", "p50", "p90"]].to_numpy().T, np.broadcast_to(gap.to_numpy(), (3, 2)))
    full = mc.draw(4)
    fair = res.supply.pivot_table(index=["region", "specialty"], columns="year", values="fair_stock", sort=False)
    np.testing.assert_allclose(full["stocks"], stock, rtol=1e-12)
    np.testing.assert_allclose(full["fair_stocks"], fair.to_numpy().reshape(stock.shape), rtol=1e-12, atol=1e-9)


def test_same_seed_same_numbers_and_another_seed_others():
    inst = load_instance(PIPELINE)
    res = Result.from_json(GOLDEN)
    ranges = {"settle_rate": [{"min": 0.6, "mode": 0.8, "max": 0.9}], "leave_rate": [{"min": 0.02, "max": 0.06}]}
    a = monte_carlo(inst, res, ranges, draws=1500, seed=11)  # in chunks of 250 (CHUNK)
    b = monte_carlo(inst, res, ranges, draws=1500, seed=11)
    c = monte_carlo(inst, res, ranges, draws=1500, seed=12)
    assert np.array_equal(a.stock, b.stock) and np.array_equal(a.gap, b.gap)
    assert a.to_json() == b.to_json()
    assert not np.array_equal(a.gap, c.gap)
    # a draw does not depend on how many draws come with it
    few = monte_carlo(inst, res, ranges, draws=3, seed=11)
    np.testing.assert_array_equal(few.gap, a.gap[:3])
    # the draws spread: P10 < P50 < P90 of the national gap in each assessed year
    q = a.national_table().query("measure == 'supply_gap' and assessed")
    assert (q["p10"] < q["p50"]).all() and (q["p50"] < q["p90"]).all()


# A small instance: 3 regions, 2 specialties, two years before the plan (2022 baseline, plan
# 2024–2025), delays of 2 and 3 years, horizon 2029, every rate and a stock given.
SMALL = {
    "schema_version": 2,
    "name": "mc-small",
    "baseline_year": 2022,
    "years": [2024, 2025],
    "regions": [
        {"id": "a", "population": 500000, "need_index": 1.1},
        {"id": "b", "population": 300000},
        {"id": "c", "population": 200000, "need_index": 0.9},
    ],
    "specialties": [{"id": "gp"}, {"id": "psych"}],
    "baseline_posts": [
        {"region": r, "specialty": s, "posts": p}
        for (r, s), p in zip([(r, s) for r in "abc" for s in ("gp", "psych")], [40, 12, 30, 9, 25, 4], strict=True)
    ],
    "population_by_year": [{"region": "b", "year": 2025, "population": 310000}],
    "need_weights": [{"region": "c", "specialty": "psych", "weight": 1.3}],
    "pipeline": {
        "horizon_year": 2029,
        "specialties": [
            {
                "specialty": s,
                "completion_rate": 0.9,
                "delay_years": [2, 3],
                "delay_shares": [0.6, 0.4],
                "settle_rate": 0.75,
                "join_rate": 0.9,
                "leave_rate": 0.05,
            }
            for s in ("gp", "psych")
        ],
        "fill_rate": [{"region": "c", "specialty": "gp", "rate": 0.8}],
        "stock": [
            {"region": r, "specialty": "gp", "headcount": h} for r, h in zip("abc", (300, 200, 120), strict=True)
        ],
        "assess_years": [2027, 2029],
    },
}
SMALL_RANGES = {
    "completion_rate": [{"specialty": "gp", "min": 0.8, "max": 0.95}, {"min": 0.7, "max": 0.9}],
    "settle_rate": [{"specialty": "psych", "min": 0.5, "mode": 0.7, "max": 0.8}],
    "join_rate": [{"min": 0.8, "mode": 0.85, "max": 0.95}],
    "leave_rate": [{"specialty": "psych", "min": 0.02, "max": 0.08}],
    "fill_rate": [
        {"region": "a", "min": 0.7, "max": 1.0},
        {"region": "b", "specialty": "psych", "min": 0.5, "max": 0.9},
    ],
    "population_scale": [
        {"year": 2027, "min": 0.95, "max": 1.1},
        {"region": "c", "year": 2027, "min": 0.8, "max": 0.9},
        {"region": "a", "year": 2028, "min": 1.1, "max": 1.2},
    ],
}


def _with_rates(raw: dict, draw: dict, years: list[int], population: np.ndarray) -> dict:
    """The instance ``raw`` with the rates of one draw written in: per specialty κ, σ, j, ℓ; a
    fill rate for every cell; the draw's population for every evaluation year after the plan."""
    inst = copy.deepcopy(raw)
    p = inst["pipeline"]
    specs = [s["id"] for s in raw["specialties"]]
    regions = [r["id"] for r in raw["regions"]]
    for entry in p["specialties"]:
        s = specs.index(entry["specialty"])
        for kind in ("completion_rate", "join_rate", "leave_rate"):
            entry[kind] = float(draw[kind][s])
        (sigma,) = set(draw["settle_rate"][:, s])  # one settle rate per specialty in this test
        entry["settle_rate"] = float(sigma)
    p["fill_rate"] = [
        {"region": r, "specialty": s, "rate": float(draw["fill_rate"][i, j])}
        for i, r in enumerate(regions)
        for j, s in enumerate(specs)
    ]
    scaled = population * draw["population_scale"]
    inst["population_by_year"] = [e for e in raw["population_by_year"] if e["year"] <= raw["years"][-1]] + [
        {"region": r, "year": y, "population": float(scaled[i, e])}
        for i, r in enumerate(regions)
        for e, y in enumerate(years)
        if y > raw["years"][-1]
    ]
    return inst


def test_a_draw_is_the_checkers_recomputation_for_its_rates():
    inst = validate(SMALL, "mc-small")
    d = problem_data(inst)
    rng = np.random.default_rng(5)
    x = d.baseline[:, :, None] * rng.uniform(0.7, 1.4, size=d.shape)
    mc = monte_carlo(inst, x, SMALL_RANGES, draws=50, seed=9)
    assert mc.years == list(range(2024, 2030)) and mc.assess_years == [2027, 2029]
    # the central rates (the instance's) give the model side's own evaluation, years before the plan included
    np.testing.assert_allclose(mc.central["stock"][0], d.pipeline.forward(x).stock.sum(axis=1), rtol=1e-12)
    for n in (0, 17, 49):
        draw = mc.draw(n)
        assert draw["population_scale"][2, -1] < 0.9 < draw["population_scale"][1, -1]  # c's own factor wins
        again = validate(_with_rates(SMALL, draw, mc.years, d.pipeline.population), "mc-small-draw")
        wf = Workforce(_Tables(again))
        recomputed = wf.forward(x)
        np.testing.assert_allclose(draw["stocks"], recomputed["stock"], rtol=1e-12)
        np.testing.assert_allclose(draw["fair_stocks"], recomputed["fair_stock"], rtol=1e-12)
        np.testing.assert_allclose(mc.stock[n], recomputed["stock"].sum(axis=1), rtol=1e-12)
        gaps = np.abs(recomputed["stock"] - recomputed["fair_stock"]).sum(axis=(0, 1))
        np.testing.assert_allclose(mc.gap[n], gaps, rtol=1e-12)
        measures = wf.supply_measures(recomputed)
        for y in mc.assess_years:
            assert mc.gap[n, mc.years.index(y)] == pytest.approx(measures[y]["supply_gap"], rel=1e-12)
        v = wf.population * np.array([1.1, 1.0, 0.9])[:, None]
        np.testing.assert_allclose(mc.supply[n], 1e5 * recomputed["stock"].sum(axis=1) / v, rtol=1e-12)


def test_a_regions_own_settle_rate_worked_by_hand():
    """Two regions (need shares 0.75 / 0.25), gp, delays 1 and 2 half each, settle 0.5, leave
    0.1, stock 10 each, baseline 10 / 30 (tests/test_check_workforce.py's instance A). North's
    own settle rate 0.3 (a zero-width range): completions in 2025 are (10, 30) and
    ``A = σ_r · C + m · Σ (1 − σ_r') C`` with ``Σ (1 − σ) C = 0.7 · 10 + 0.5 · 30 = 22``:
    north ``0.3 · 10 + 0.75 · 22 = 19.5``, south ``0.5 · 30 + 0.25 · 22 = 20.5``; stocks
    ``0.9 · 10 + A = (28.5, 29.5)`` (the national 58 of a single settle rate, moved north → south)."""
    from tests.test_check_workforce import A

    inst = validate(A, "pipe-a")
    x = np.array([[[20.0, 30.0]], [[20.0, 10.0]]])
    ranges = {"settle_rate": [{"region": "north", "specialty": "gp", "min": 0.3, "max": 0.3}]}
    mc = monte_carlo(inst, x, ranges, draws=2, seed=0)
    np.testing.assert_allclose(mc.stock[:, :, 0], [[28.5, 29.5], [28.5, 29.5]])
    np.testing.assert_allclose(mc.central["stock"][0, :, 0], [29.0, 29.0])  # σ 0.5 everywhere


def test_triangular_and_uniform_quantiles():
    rg = parse_ranges(
        {"leave_rate": [{"min": 0.0, "mode": 0.25, "max": 1.0}, {"specialty": "gp", "min": 0.2, "max": 0.4}]}
    )
    tri, uni = rg.entries
    u = np.array([0.0, 0.25, 0.5, 0.999999])
    np.testing.assert_allclose(uni.quantile(u), 0.2 + 0.2 * u)
    # triangular (0, 0.25, 1): F(x) = x² / 0.25 below the mode, so F(0.25) = 0.25 and
    # the median solves 1 − (1 − x)² / 0.75 = 0.5: x = 1 − √0.375
    np.testing.assert_allclose(tri.quantile(u[:3]), [0.0, 0.25, 1 - np.sqrt(0.375)])
    draws = tri.quantile(np.random.default_rng(0).random(200_000))
    assert draws.mean() == pytest.approx((0 + 0.25 + 1) / 3, abs=2e-3)


# --------------------------------------------------------------------------- bad ranges


@pytest.mark.parametrize(
    "text, where, words",
    [
        ("[[settle_rate]]\nmin = 0.7\nmaxx = 0.9\n", "settle_rate[0].maxx", "unknown key"),
        ("[[settle_rate]]\nmin = 0.7\n", "settle_rate[0].max", "is required"),
        ("[[join_rate]]\nmin = 0.7\nmax = 1.2\n", "join_rate[0].max", "120 %"),
        (
            "[[fill_rate]]\nmin = -0.1\nmax = 0.9\n",
            "fill_rate[0].min",
            "-0.1 is below 0: a rate is a fraction in [0, 1]",
        ),
        ("[[leave_rate]]\nmin = 0.09\nmax = 0.03\n", "leave_rate[0].min", "above max"),
        ("[[settle_rate]]\nmin = 0.6\nmode = 0.95\nmax = 0.9\n", "settle_rate[0].mode", "outside [min 0.6, max 0.9]"),
        ("[[join_rate]]\nregion = 'london'\nmin = 0.6\nmax = 0.9\n", "join_rate[0].region", "per specialty"),
        ("[[settle_rates]]\nmin = 0.6\nmax = 0.9\n", "settle_rates", "did you mean `settle_rate`"),
        ("[settle_rate]\nmin = 0.6\nmax = 0.9\n", "settle_rate", "[[settle_rate]]"),
        ("[[population_scale]]\nmin = 0.9\nmax = 1.1\n", "population_scale[0].year", "is required"),
        ("[[population_scale]]\nyear = 2035\nmin = 0\nmax = 1.1\n", "population_scale[0].min", "must be > 0"),
        (
            "[[completion_rate]]\nmin = 0.7\nmax = 0.9\n[[completion_rate]]\nmin = 0.6\nmax = 0.9\n",
            "completion_rate[1]",
            "repeats completion_rate[0]",
        ),
        ("[[settle_rate]]\nmin = 'high'\nmax = 0.9\n", "settle_rate[0].min", "must be a number"),
        ("settle_rate = [", "", "not valid TOML"),
    ],
)
def test_bad_ranges_files_name_the_file_and_key(tmp_path, text, where, words):
    path = tmp_path / "ranges.toml"
    path.write_text(text)
    with pytest.raises(RangesError) as err:
        load_ranges(path)
    assert f"{path}: {where}: " in str(err.value) if where else str(err.value).startswith(f"{path}: ")
    assert words in str(err.value)


def test_every_problem_at_once(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[[join_rate]]\nmin = 0.7\nmax = 1.2\n[[fill_rate]]\nmin = 0.9\nmax = 0.3\n")
    with pytest.raises(RangesError) as err:
        load_ranges(path)
    assert len(err.value.problems) == 2


def test_ranges_against_the_instance():
    inst = load_instance(PIPELINE)
    bad = parse_ranges(
        {
            "settle_rate": [{"region": "londn", "min": 0.5, "max": 0.9}],
            "join_rate": [{"specialty": "gp", "min": 0.5, "max": 0.9}],
            "population_scale": [{"year": 2030, "min": 0.9, "max": 1.1}, {"year": 2041, "min": 0.9, "max": 1.1}],
        },
        "mine.toml",
    )
    with pytest.raises(RangesError) as err:
        bad.check(inst)
    text = str(err.value)
    assert "mine.toml: settle_rate[0].region: unknown region 'londn'" in text and "did you mean `london`" in text
    assert "join_rate[0].specialty: unknown specialty 'gp'" in text
    assert "population_scale[0].year: 2030 is not a year after the plan" in text
    assert "population_scale[1].year: 2041" in text


def test_the_library_refuses_what_it_cannot_evaluate(base):
    with pytest.raises(ValueError, match="has no pipeline"):
        monte_carlo(validate(base, "b"), np.zeros((2, 1, 1)), {})
    inst = load_instance(PIPELINE)
    with pytest.raises(ValueError, match="draws must be"):
        monte_carlo(inst, Result.from_json(GOLDEN), {}, draws=0)
    with pytest.raises(ValueError, match="shape"):
        monte_carlo(inst, np.zeros((2, 2, 2)), {})
    with pytest.raises(
        ValueError, match="7 regions × 15 evaluation years is 105,000,000 values .* at most 952,380 draws"
    ):
        monte_carlo(inst, Result.from_json(GOLDEN), {}, draws=1_000_000)
    cells = [
        {"region": r.id, "specialty": s.id, "min": 0.9, "max": 1.0} for r in inst.regions for s in inst.specialties
    ]
    many = {"fill_rate": cells, "settle_rate": cells}
    with pytest.raises(ValueError, match="900,000 draws × 168 ranges is more than 100,000,000 random numbers"):
        monte_carlo(inst, Result.from_json(GOLDEN), many, draws=900_000)


# --------------------------------------------------------------------------- command line


def test_evaluate_command_writes_tables_and_fan_charts(tmp_path):
    ranges = tmp_path / "ranges.toml"
    ranges.write_text(
        "[[settle_rate]]\nmin = 0.7\nmax = 0.9\n[[join_rate]]\nspecialty = 'general-practice'\nmin = 0.55\nmax = 0.7\n"
    )
    out = tmp_path / "mc"
    args = ["evaluate", str(PIPELINE), str(GOLDEN), "--ranges", str(ranges), "--draws", "300", "--seed", "4"]
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Supply gap" in r.output and "by region" in r.output
    names = {p.name for p in out.iterdir()}
    assert names == {
        "montecarlo.json",
        "regions.csv",
        "national.csv",
        "fan_national.png",
        "fan_national.svg",
        "fan_regions.png",
        "fan_regions.svg",
    }
    assert (out / "fan_regions.png").read_bytes().startswith(b"\x89PNG") and b"<svg" in (
        out / "fan_national.svg"
    ).read_bytes()
    header = (out / "regions.csv").read_text().splitlines()[0]
    assert header == "region,year,assessed,measure,central,p10,p50,p90"
    assert (out / "national.csv").read_text().splitlines()[0] == "year,assessed,measure,central,p10,p50,p90"
    r2 = runner.invoke(app, [*args, "--format", "json"])
    assert r2.exit_code == 0
    data = json.loads(r2.stdout)  # the JSON alone
    assert data == json.loads((out / "montecarlo.json").read_text())
    assert data["draws"] == 300 and data["seed"] == 4 and data["percentiles"] == [10, 50, 90]
    assert {row["measure"] for row in data["national"]} == {"supply_gap", "stock"}
    lib = monte_carlo(PIPELINE, Result.from_json(GOLDEN), load_ranges(ranges), draws=300, seed=4)
    assert isinstance(lib, MonteCarlo) and lib.to_dict() == data


@pytest.mark.parametrize(
    "text, words",
    [
        ("[[settle_rate]]\nmin = 0.9\nmax = 0.7\n", "settle_rate[0].min: min 0.9 is above max 0.7"),
        ("[[join_rate]]\nmin = 0.7\nmax = 1.5\n", "join_rate[0].max: 1.5 is 150 %"),
        ("[[fill_rate]]\nregion = 'nowhere'\nmin = 0.7\nmax = 0.9\n", "fill_rate[0].region: unknown region"),
        ("[[settle_rate]]\nmin = 0.5\nmode = 0.4\nmax = 0.9\n", "settle_rate[0].mode: mode 0.4 is outside"),
        ("[[settle_rate]]\nmin = 0.5\nmax = 0.9\nshape = 'beta'\n", "settle_rate[0].shape: unknown key"),
    ],
)
def test_evaluate_command_bad_ranges_exit_2(tmp_path, text, words):
    ranges = tmp_path / "bad.toml"
    ranges.write_text(text)
    out = tmp_path / "mc"
    r = runner.invoke(app, ["evaluate", str(PIPELINE), str(GOLDEN), "--ranges", str(ranges), "--out", str(out)])
    assert r.exit_code == 2
    assert f"{ranges}: {words}" in " ".join(r.stderr.split())
    assert not out.exists()


def test_evaluate_command_refuses_a_result_of_another_instance(tmp_path):
    ranges = tmp_path / "r.toml"
    ranges.write_text("[[settle_rate]]\nmin = 0.7\nmax = 0.9\n")
    other = ROOT / "tests" / "data" / "golden" / "england-pipeline-2025__future-supply.json"
    toy = ROOT / "instances" / "toy" / "toy-2x1.json"
    r = runner.invoke(app, ["evaluate", str(toy), str(other), "--ranges", str(ranges)])
    assert r.exit_code == 2 and "no pipeline" in r.stderr
    raw = json.loads(GOLDEN.read_text())
    raw["instance"] = "something-else"
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(raw))
    r = runner.invoke(app, ["evaluate", str(PIPELINE), str(wrong), "--ranges", str(ranges)])
    assert r.exit_code == 2 and "not 'england-pipeline-2025'" in r.stderr


def test_the_central_member_of_a_scenarios_block_with_a_regions_own_settle_rate():
    """With scenarios, the central rates are the first member's (docs/model.md §12), here with
    region B's own settle rate: the draws' centre is that member's §10 evaluation."""
    from tests.test_regret import CENTRAL, LOW, raw

    inst = validate(raw("expected", (LOW | {"probability": 0.25}, CENTRAL)), "two-futures.json")
    d = problem_data(inst)
    x = np.array([[[19 / 29]], [[10 - 19 / 29]]])
    mc = monte_carlo(inst, x, {"leave_rate": [{"min": 0.1, "max": 0.1}]}, draws=3)
    sup = d.pipeline.forward(x)
    np.testing.assert_allclose(mc.central["stock"][0], sup.stock.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(mc.stock, np.broadcast_to(sup.stock.sum(axis=1), mc.stock.shape), rtol=1e-12)
    # 2027: S_A = 15.25 + 0.5075 · x_A (tests/test_regret.py), S_B = 27.1 − S_A
    assert mc.stock[0, 0, -1] == pytest.approx(15.25 + 0.5075 * 19 / 29, abs=1e-9)


def test_the_shipped_ranges_file_by_name():
    """``pipeline-ranges`` (models/ranges/) ships with the package and is centred on
    england-pipeline-2025's own rates: its modes are the instance's values."""
    rg = load_ranges("pipeline-ranges")
    assert [e.kind for e in rg.entries] == ["settle_rate", "leave_rate", "fill_rate", "population_scale"]
    inst = load_instance(PIPELINE)
    rg.check(inst)
    p = inst.pipeline
    by_kind = {e.kind: e for e in rg.entries}
    assert {ps.settle_rate for ps in p.specialties} == {by_kind["settle_rate"].mode}
    assert {ps.leave_rate for ps in p.specialties} == {by_kind["leave_rate"].mode}
    low, high = by_kind["fill_rate"].low, by_kind["fill_rate"].high
    assert {f.rate for f in p.fill_rate} == {(low + high) / 2}
    assert by_kind["population_scale"].year == inst.years[-1] + 1 and by_kind["population_scale"].mode == 1.0
    with pytest.raises(RangesError, match="nor a shipped ranges"):
        load_ranges("pipeline-rangez")
