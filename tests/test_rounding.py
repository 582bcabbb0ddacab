"""Whole posts: LP + rounding (allocator.rounding) and time-limited integer mode.

Rounding must keep every national total exactly, stay inside capacity and locks, move each
cell to the floor or ceiling of its LP value where the bounds allow, recompute the objective
and measures from the rounded posts, and name every constraint it broke.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import allocator
from allocator.apportion import ApportionmentInfeasible
from allocator.data import problem_data
from allocator.diagnose import effective_bounds
from allocator.generate import generate
from allocator.rounding import instance_of, objective_of, round_posts, round_result
from allocator.spec import DEFAULT_MODEL

from .conftest import MODELS, ROOT, TOYS

ENGLAND = sorted((ROOT / "instances").glob("england-*.json"))
# Families rounding may break: the ones that link cells across years or regions, and budgets.
TRANSITION = {"growth_limit", "shrink_limit", "programme_shrink", "region_net_loss", "national_moves", "budget"}


def posts(d, res) -> np.ndarray:
    """The allocation as an (R, S, Y) array in the order of ``d``."""
    frame = res.allocation.set_index(["region", "specialty", "year"])["posts"]
    return np.array([frame[(r, s, t)] for r in d.regions for s in d.specialties for t in d.years]).reshape(d.shape)


def assert_rounded(inst, lp, rounded, spec=DEFAULT_MODEL) -> None:
    """Every promise of round_result, checked from the arrays and the independent checker."""
    d = problem_data(inst)
    x, x_lp = posts(d, rounded), posts(d, lp)
    assert np.array_equal(x, np.round(x)), "posts are not whole"
    assert np.array_equal(x.sum(axis=0), d.national), "a national total moved"
    lo, hi = effective_bounds(d)
    assert (x >= np.ceil(lo - 1e-9)).all() and (x <= np.floor(hi + 1e-9)).all(), "outside capacity or locks"
    locked = d.locked
    assert np.array_equal(x[locked], d.lock[locked]), "a lock moved"
    # floor or ceiling of the LP value, wherever the bounds allow one of them
    inside = (np.ceil(x_lp - 1e-6) >= np.ceil(lo - 1e-9)) & (np.floor(x_lp + 1e-6) <= np.floor(hi + 1e-9))
    assert (np.abs(x - x_lp)[inside] < 1 + 1e-6).all(), "a cell moved by a whole post or more"
    # objective and measures recomputed from the rounded posts
    report = allocator.check(inst, rounded, model=spec)
    assert report.objective == pytest.approx(rounded.objective, rel=1e-9, abs=1e-9)
    assert rounded.objective == pytest.approx(objective_of(d, spec, x), rel=1e-12)
    families = set(report.counts())
    assert families <= TRANSITION, report
    # the rounding record lists exactly what the checker finds
    record = rounded.rounding
    assert record["counts"] == report.counts()
    assert len(record["violations"]) == len(report.violations)
    assert record["lp_objective"] == pytest.approx(lp.objective)
    assert record["objective_change"] == pytest.approx(rounded.objective - lp.objective)
    assert rounded.status == lp.status == "optimal"
    assert "not proven optimal" in record["note"]


@pytest.mark.parametrize("path", ENGLAND + TOYS, ids=lambda p: p.stem)
def test_shipped_instances_round_cleanly(path: Path):
    inst = allocator.load_instance(path)
    lp = allocator.solve(inst)
    rounded = round_result(problem_data(inst), DEFAULT_MODEL, lp, instance=inst)
    assert_rounded(inst, lp, rounded)
    assert rounded.rounding["region_totals_kept"]


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.stem)
def test_every_model_file(model: Path):
    """The recomputed objective matches the checker's under every weighting (cost, worst shortfall)."""
    inst = allocator.load_instance(ROOT / "instances" / "england-regions-2025.json")
    spec = allocator.load_model(model)
    lp = allocator.solve(inst, spec)
    assert_rounded(inst, lp, allocator.solve(inst, spec, round_posts=True), spec)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 6), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10_000), st.integers(0, 3))
def test_generated_instances_round_cleanly(R, S, Y, seed, n_locks):
    """Generated instances, some with cells locked at their baseline in every year."""
    inst = generate(R, S, Y, seed)
    if n_locks:
        data = inst.model_dump(exclude_none=True)
        cells = data["baseline_posts"][: min(n_locks, R * S)]
        data["locks"] = [
            {"region": c["region"], "specialty": c["specialty"], "year": t, "posts": c["posts"]}
            for c in cells
            for t in data["years"]
        ]
        inst = allocator.validate(data)
    lp = allocator.solve(inst)
    assume(lp.status == "optimal")
    assert_rounded(inst, lp, round_result(problem_data(inst), DEFAULT_MODEL, lp, instance=inst))


# ---------------------------------------------------------------------------------------
# A case worked by hand
# ---------------------------------------------------------------------------------------

GROWTH_CASE = {
    "schema_version": 1,
    "name": "rounding-breaks-growth",
    "baseline_year": 2024,
    "years": [2025],
    "regions": [
        {"id": "a", "population": 30},
        {"id": "b", "population": 10},
        {"id": "c", "population": 10},
    ],
    "specialties": [{"id": "gp"}],
    "baseline_posts": [
        {"region": "a", "specialty": "gp", "posts": 10},
        {"region": "b", "specialty": "gp", "posts": 20},
        {"region": "c", "specialty": "gp", "posts": 20},
    ],
    "locks": [{"region": "c", "specialty": "gp", "year": 2025, "posts": 20}],
    "transition": {"max_growth_rate": 0.06},
}


def test_rounding_breaks_a_growth_limit_and_says_so():
    """50 posts, targets T = 30, 10, 10; c is locked at 20 and a may grow by 6% (to 10.6).

    LP: a = 10.6 (its limit), b = 50 - 20 - 10.6 = 19.4. Objective (fair-share)
    = short 19.4 + surplus (9.4 + 10) + 0.01 · moves (0.6 + 0.6) = 38.812.

    Rounding keeps the total 50 with a in {10, 11} and b in {19, 20}: largest remainder
    gives the extra post to a (.6 > .4), so a = 11, b = 19: a grows by 1 where 0.6 is
    allowed, growth_limit broken by 0.4. Objective 19 + 9 + 10 + 0.01 · 2 = 38.02, i.e.
    0.792 *below* the LP optimum: the rounded allocation is not feasible.

    The MIP keeps the limit: a = 10, b = 20, objective 20 + 10 + 10 = 40.
    """
    inst = allocator.validate(copy.deepcopy(GROWTH_CASE))
    lp = allocator.solve(inst)
    assert lp.objective == pytest.approx(38.812)
    res = allocator.solve(inst, round_posts=True)
    d = problem_data(inst)
    assert posts(d, res)[:, 0, 0].tolist() == [11, 19, 20]
    assert res.objective == pytest.approx(38.02)
    record = res.rounding
    assert record["objective_change"] == pytest.approx(-0.792)
    assert record["counts"] == {"growth_limit": 1}
    (v,) = record["violations"]
    assert (v["constraint"], v["region"], v["specialty"], v["year"]) == ("growth_limit", "a", "gp", 2025)
    assert v["amount"] == pytest.approx(0.4)
    assert "a" in v["message"] and "2025" in v["message"]

    mip = allocator.solve(inst, integer=True, mip_gap=0.0)
    assert mip.status == "optimal"
    assert posts(d, mip)[:, 0, 0].tolist() == [10, 20, 20]
    assert mip.objective == pytest.approx(40.0)


def test_region_totals_dropped_when_no_matrix_meets_them():
    """Fractional capacity bounds can force cells so that no matrix meets both margins.

    Posts (rows north, south; columns s0, s1, s2; national totals 1, 2, 2)::

        north  0.25 (min 0.25: forced up to 1)  0.5                    0.5 (min 0.5: forced to 1)
        south  0.75                              1.5 (max 1.5: forced to 1)  1.5

    Region totals by largest remainder on 1.25 / 3.75: north 2 (its least), south 3. Then
    north s1 = 0, so s1 holds 0 + 1 = 1 of its 2 posts: impossible. The region totals are
    dropped and the columns alone give north 1, 1, 1 and south 0, 1, 1.
    """
    data = {
        "schema_version": 1,
        "name": "drop-rows",
        "baseline_year": 2024,
        "years": [2025],
        "regions": [{"id": "north", "population": 1}, {"id": "south", "population": 1}],
        "specialties": [{"id": "s0"}, {"id": "s1"}, {"id": "s2"}],
        "baseline_posts": [
            {"region": "north", "specialty": "s0", "posts": 1},
            {"region": "south", "specialty": "s1", "posts": 2},
            {"region": "south", "specialty": "s2", "posts": 2},
        ],
        "capacity": [
            {"region": "north", "specialty": "s0", "min_posts": 0.25},
            {"region": "north", "specialty": "s2", "min_posts": 0.5},
            {"region": "south", "specialty": "s1", "max_posts": 1.5},
        ],
    }
    d = problem_data(allocator.validate(data))
    x = np.array([[0.25, 0.5, 0.5], [0.75, 1.5, 1.5]])[:, :, None]
    out, years = round_posts(d, x)
    assert out[:, :, 0].tolist() == [[1, 1, 1], [0, 1, 1]]
    assert years[0]["region_totals"] is False
    assert "region totals dropped" in years[0]["note"] and "s0" in years[0]["note"]
    # keeping only the columns was asked for: no note
    out, years = round_posts(d, x, row_totals=False)
    assert out[:, :, 0].tolist() == [[1, 1, 1], [0, 1, 1]] and "note" not in years[0]


def test_fractional_national_total_is_refused_clearly(base):
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 99.5}]
    inst = allocator.validate(base)
    lp = allocator.solve(inst)
    with pytest.raises(ApportionmentInfeasible, match=r"gp 2025: 99\.5"):
        round_result(problem_data(inst), DEFAULT_MODEL, lp)


def test_a_result_without_allocation_is_refused():
    inst = generate(3, 2, 1, seed=0, infeasible=True)
    res = allocator.solve(inst)
    assert res.status == "infeasible"
    with pytest.raises(ValueError, match="without an allocation"):
        round_result(problem_data(inst), DEFAULT_MODEL, res)
    assert allocator.solve(inst, round_posts=True).rounding is None


# ---------------------------------------------------------------------------------------
# solve(..., round_posts=True), Built.solve, the JSON format
# ---------------------------------------------------------------------------------------


def test_solve_round_posts_and_json_round_trip(tmp_path):
    path = ROOT / "instances" / "england-regions-2025.json"
    res = allocator.solve(path, round_posts=True)
    assert res.rounding is not None and res.status == "optimal"
    data = json.loads(res.to_json(tmp_path / "r.json"))
    assert data["rounding"]["counts"] == res.rounding["counts"]
    back = allocator.Result.from_json(tmp_path / "r.json")
    assert back.rounding == data["rounding"]
    # the file passes the checker like any result: only transition families, objective right
    report = allocator.check(allocator.load_instance(path), tmp_path / "r.json", model=DEFAULT_MODEL)
    assert set(report.counts()) <= TRANSITION
    assert "rounding" not in allocator.solve(path).to_dict()


def test_integer_mode_is_not_rounded():
    inst = allocator.validate(copy.deepcopy(GROWTH_CASE))
    res = allocator.solve(inst, integer=True, round_posts=True)
    assert res.rounding is None and res.mip_gap is not None


@pytest.mark.parametrize("backend", ["highs", "pyomo", "pulp"])
def test_built_solve_round_posts(backend):
    """Built.solve has no instance: the checker runs on one rebuilt from the problem data."""
    path = ROOT / "instances" / "toy" / "toy-shrink.json"
    built = allocator.build(path, backend=backend)
    res = built.solve(round_posts=True)
    inst = allocator.load_instance(path)
    assert_rounded(inst, allocator.solve(path), res)


def test_instance_of_is_equivalent():
    """The instance rebuilt from problem data gives the same data, hence the same checks."""
    england = allocator.load_instance(ROOT / "instances" / "england-training-regions-2025.json")
    for inst in (england, generate(5, 4, 3, seed=2)):
        d = problem_data(inst)
        e = problem_data(instance_of(d))
        for field in ("baseline", "national", "target", "min_posts", "max_posts", "cost", "budget", "programme_years"):
            np.testing.assert_allclose(getattr(e, field), getattr(d, field), rtol=1e-12, equal_nan=True)
        assert np.array_equal(e.locked, d.locked)
        res = allocator.solve(inst, round_posts=True)
        a = allocator.check(inst, res, model=DEFAULT_MODEL)
        b = allocator.check(instance_of(d), res, model=DEFAULT_MODEL)
        assert a.counts() == b.counts() and a.objective == pytest.approx(b.objective)


# ---------------------------------------------------------------------------------------
# Integer mode with a time limit: whole posts or none, on every backend
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["highs", "pyomo", "pulp"])
@pytest.mark.parametrize(("size", "limit"), [((42, 20, 5), 0.5), ((7, 10, 5), 1.0)], ids=["42x20x5", "7x10x5"])
def test_time_limited_mip_gives_whole_posts_or_none(backend, size, limit):
    """42×20×5 finds no incumbent in 0.5 s; 7×10×5 usually finds one in 1 s but needs ~10 s
    to prove it optimal. Either way: status time_limit, and posts whole or absent."""
    inst = generate(*size, seed=1)
    res = allocator.solve(inst, backend=backend, integer=True, time_limit=limit, threads=1)
    assert res.status == "time_limit", res.message
    x = res.allocation["posts"].to_numpy(dtype=float)
    if len(x):
        assert len(x) == np.prod(size)
        assert np.abs(x - np.round(x)).max() <= 1e-6, "an integer result holds a fraction of a post"
        assert allocator.check(inst, res).ok
    else:
        assert res.objective is None
