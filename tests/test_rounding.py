"""Whole posts that keep every limit (FORMULATION §7 v2): repair, and integer mode.

A whole-post plan keeps every constraint of §5 (the independent checker finds nothing), its
posts are whole, its objective is recomputed from the posts, and it states the LP bound and
the gap to it: ``optimal`` within the requested gap, ``feasible`` otherwise. Where no plan is
found in time, no allocation is presented.
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
from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL
from allocator.model.presolve import effective_bounds
from allocator.model.wholeposts import relative_gap
from allocator.pipeline.rounding import instance_of, objective_of, round_posts, round_result
from allocator.study.generate import generate

from .conftest import ENGLAND, MODELS, ROOT, TOYS


def posts(d, res) -> np.ndarray:
    """The allocation as an (R, S, Y) array in the order of ``d``."""
    frame = res.allocation.set_index(["region", "specialty", "year"])["posts"]
    return np.array([frame[(r, s, t)] for r in d.regions for s in d.specialties for t in d.years]).reshape(d.shape)


def assert_whole(inst, lp, res, spec=DEFAULT_MODEL) -> None:
    """Every promise of a whole-post result, checked from the arrays and the independent checker."""
    d = problem_data(inst)
    assert res.status in ("optimal", "feasible"), res.message
    x = posts(d, res)
    assert np.array_equal(x, np.round(x)), "posts are not whole"
    lo, hi = effective_bounds(d)
    assert (x >= np.ceil(lo - 1e-9)).all() and (x <= np.floor(hi + 1e-9)).all(), "outside capacity or locks"
    report = allocator.check(inst, res, model=spec)
    assert report.ok, report  # every limit kept: transition limits, region net loss, moves, budget
    assert res.objective == pytest.approx(objective_of(d, spec, x), rel=1e-12)
    assert res.bound is not None and res.bound <= res.objective + 1e-9
    assert res.bound >= lp.objective - 1e-9 * max(1.0, abs(lp.objective))  # the LP optimum at least
    assert res.gap == pytest.approx(relative_gap(res.objective, res.bound), abs=1e-12)
    assert (res.status == "optimal") == (res.gap <= 1e-4 + 1e-12)
    record = res.rounding
    assert record["violations"] == []
    assert record["lp_objective"] == pytest.approx(lp.objective)


@pytest.mark.parametrize("path", ENGLAND + TOYS, ids=lambda p: p.stem)
def test_shipped_instances_whole_posts_keep_every_limit(path: Path):
    inst = allocator.load_instance(path)
    lp = allocator.solve(inst)
    res = round_result(problem_data(inst), DEFAULT_MODEL, lp, instance=inst)
    assert_whole(inst, lp, res)


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.stem)
def test_every_model_file(model: Path):
    """The recomputed objective matches the checker's under every weighting (cost, worst shortfall)."""
    inst = allocator.load_instance(ROOT / "instances" / "england-regions-2025.json")
    spec = allocator.load_model(model)
    lp = allocator.solve(inst, spec)
    # a 1 s bounding MIP (not the default 4.2 s): the objective is the point here, not the bound
    assert_whole(inst, lp, round_result(problem_data(inst), spec, lp, instance=inst, bound_time=1.0), spec)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 6), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10_000), st.integers(0, 3))
def test_generated_instances_whole_posts(R, S, Y, seed, n_locks):
    """Generated instances, some with cells locked at their baseline in every year: a plan
    that keeps every limit, or (where whole-post limits leave none) no plan at all."""
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
    res = round_result(problem_data(inst), DEFAULT_MODEL, lp, instance=inst)
    if res.status == "infeasible":
        assert not len(res.allocation)
        mip = allocator.solve(inst, integer=True, time_limit=30)
        assert mip.status in ("infeasible", "time_limit")
        return
    assert_whole(inst, lp, res)


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


def test_whole_posts_keep_a_growth_limit():
    """50 posts, targets T = 30, 10, 10; c is locked at 20 and a may grow by 6% (to 10.6).

    LP: a = 10.6 (its limit), b = 50 - 20 - 10.6 = 19.4. Objective (fair-share)
    = short 19.4 + surplus (9.4 + 10) + 0.01 · moves (0.6 + 0.6) = 38.812.

    Rounding to the nearest whole posts (a = 11, b = 19) would grow a by 1 where 0.6 is
    allowed: not a plan. Whole posts that keep the limit: a = 10, b = 20, c = 20, objective
    short 20 + surplus (10 + 10) = 40; against the LP bound 38.812, gap (40 − 38.812)/40 =
    2.97%: ``feasible``. The MIP proves 40 optimal: bound 40, gap 0, ``optimal``; ``--round``
    runs that MIP from its plan for a few seconds, so it reports 40 ``optimal`` too, with the
    LP's 38.812 kept as ``lp_bound``.
    """
    inst = allocator.validate(copy.deepcopy(GROWTH_CASE))
    lp = allocator.solve(inst)
    assert lp.objective == pytest.approx(38.812)
    d = problem_data(inst)
    weak = round_result(d, DEFAULT_MODEL, lp, instance=inst, bound_time=0)  # the LP bound alone
    assert posts(d, weak)[:, 0, 0].tolist() == [10, 20, 20]
    assert weak.objective == pytest.approx(40.0) and weak.status == "feasible" and weak.bound_source == "lp"
    assert weak.bound == pytest.approx(38.812) and weak.gap == pytest.approx((40 - 38.812) / 40)
    assert_whole(inst, lp, weak)
    res = allocator.solve(inst, round_posts=True)
    assert posts(d, res)[:, 0, 0].tolist() == [10, 20, 20]
    assert res.status == "optimal" and res.bound == pytest.approx(40.0) and res.gap == pytest.approx(0.0)
    assert res.bound_source in ("mip-root", "mip") and res.lp_bound == pytest.approx(38.812)
    assert_whole(inst, lp, res)
    data = res.to_dict()
    assert data["status"] == "optimal" and data["lp_bound"] == pytest.approx(38.812)

    mip = allocator.solve(inst, integer=True, mip_gap=0.0)
    assert mip.status == "optimal"
    assert posts(d, mip)[:, 0, 0].tolist() == [10, 20, 20]
    assert mip.objective == pytest.approx(40.0) and mip.bound == pytest.approx(40.0) and mip.gap == 0.0


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


def test_fractional_national_total_has_no_whole_post_plan(base):
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 99.5}]
    inst = allocator.validate(base)
    res = allocator.solve(inst, round_posts=True)
    assert res.status == "infeasible" and not len(res.allocation)
    mip = allocator.solve(inst, integer=True)
    assert mip.status == "infeasible" and "99.5" in json.dumps(mip.diagnosis)


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
    assert res.rounding is not None and res.status in ("optimal", "feasible")
    data = json.loads(res.to_json(tmp_path / "r.json"))
    assert data["bound"] == pytest.approx(res.bound) and data["gap"] == pytest.approx(res.gap)
    back = allocator.Result.from_json(tmp_path / "r.json")
    assert back.rounding == data["rounding"] and back.status == res.status
    report = allocator.check(allocator.load_instance(path), tmp_path / "r.json", model=DEFAULT_MODEL)
    assert report.ok, report
    assert "rounding" not in allocator.solve(path).to_dict()


def test_integer_mode_starts_from_the_repaired_plan():
    """--integer: the LP, the repaired plan, then the MIP from it; never worse than the repair."""
    inst = allocator.load_instance(ROOT / "instances" / "england-training-regions-2025.json")
    lp = allocator.solve(inst)
    repaired = allocator.solve(inst, round_posts=True)
    mip = allocator.solve(inst, integer=True, time_limit=10)
    assert_whole(inst, lp, mip)
    assert mip.objective <= repaired.objective + 1e-9
    assert [s["status"] for s in mip.rounding["steps"]][-1]  # the MIP step is recorded


@pytest.mark.parametrize("backend", ["highs", "pyomo", "pulp"])
def test_built_solve_round_posts(backend):
    """Built.solve has no instance: the checker runs on one rebuilt from the problem data."""
    path = ROOT / "instances" / "toy" / "toy-shrink.json"
    built = allocator.build(path, backend=backend)
    res = built.solve(round_posts=True)
    inst = allocator.load_instance(path)
    assert_whole(inst, allocator.solve(path), res)


def test_instance_of_is_equivalent():
    """The instance rebuilt from problem data gives the same data, hence the same checks."""
    england = allocator.load_instance(ROOT / "instances" / "england-training-regions-2025.json")
    for inst in (england, generate(5, 4, 3, seed=2)):
        d = problem_data(inst)
        e = problem_data(instance_of(d))
        for field in ("baseline", "national", "target", "min_posts", "max_posts", "cost", "budget", "programme_years"):
            np.testing.assert_allclose(getattr(e, field), getattr(d, field), rtol=1e-12, equal_nan=True)
        assert np.array_equal(e.locked, d.locked)
        lp = allocator.solve(inst, tie_break="none")
        res = round_result(d, DEFAULT_MODEL, lp, instance=inst, bound_time=0)  # the repaired plan
        a = allocator.check(inst, res, model=DEFAULT_MODEL)
        b = allocator.check(instance_of(d), res, model=DEFAULT_MODEL)
        assert a.counts() == b.counts() and a.objective == pytest.approx(b.objective)


# ---------------------------------------------------------------------------------------
# Integer mode with a time limit: whole posts or none, on every backend
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["highs", "pyomo", "pulp"])
@pytest.mark.parametrize(("size", "limit"), [((42, 20, 5), 0.5), ((7, 10, 5), 1.0)], ids=["42x20x5", "7x10x5"])
def test_time_limited_mip_gives_whole_posts_or_none(backend, size, limit):
    """A time-limited whole-post solve returns a plan that keeps every limit (``feasible`` or
    ``optimal``, with bound and gap) or none at all (``time_limit``, no allocation)."""
    inst = generate(*size, seed=1)
    res = allocator.solve(inst, backend=backend, integer=True, time_limit=limit, threads=1)
    assert res.status in ("time_limit", "feasible", "optimal"), res.message
    x = res.allocation["posts"].to_numpy(dtype=float)
    if res.status == "time_limit":
        assert not len(x) and res.objective is None
    else:
        assert len(x) == np.prod(size)
        assert np.abs(x - np.round(x)).max() <= 1e-6, "an integer result holds a fraction of a post"
        assert allocator.check(inst, res).ok
        assert res.bound is not None and res.gap is not None


# the fast tier (make test-fast) leaves these out: see docs/architecture.md
pytestmark = pytest.mark.slow


def test_typed_repair_steps_keep_the_recorded_keys():
    """Rounding reports are frozen dataclasses with a kind; to_dict gives the result JSON's keys."""
    import dataclasses

    from allocator.model.wholeposts import RepairStep, WholePosts

    steps = (
        RepairStep("all-years", "infeasible", 0, seconds=0.5),
        RepairStep("one-year", "optimal", 1, year=2026),
        RepairStep("mip", "optimal", "all", seconds=1.0),
    )
    assert [s.to_dict() for s in steps] == [
        {"years": "all", "width": 0, "status": "infeasible", "seconds": 0.5},
        {"year": 2026, "width": 1, "status": "optimal"},
        {"width": "all", "status": "optimal", "seconds": 1.0},
    ]
    wp = WholePosts("optimal", None, None, 1.0, None, 2.0, "mip", steps)
    assert wp.method == wp.kind == "mip" and wp.steps_dicts()[1]["year"] == 2026
    with pytest.raises(dataclasses.FrozenInstanceError):
        wp.status = "feasible"


@pytest.mark.parametrize("name", ["england-pipeline-2025", "england-teams-2025"])
def test_instance_of_keeps_the_pipeline_and_teams(name):
    """The instance rebuilt from problem data has the same pipeline arrays (kernels, constant
    completions, stocks, need by evaluation year, fair stocks S̄*) and team shares."""
    d = problem_data(allocator.load_instance(ROOT / "instances" / f"{name}.json"))
    e = problem_data(instance_of(d))
    for field in ("baseline", "national", "target", "need", "min_posts", "max_posts", "cost", "budget"):
        np.testing.assert_allclose(getattr(e, field), getattr(d, field), rtol=1e-12, equal_nan=True)
    if d.pipeline is not None:
        for field in ("kernel", "base_completions", "stock_before", "population", "share", "fair_stock_bar"):
            np.testing.assert_allclose(getattr(e.pipeline, field), getattr(d.pipeline, field), rtol=1e-12)
    assert [t.id for t in e.teams] == [t.id for t in d.teams]
    for a, b in zip(d.teams, e.teams, strict=True):
        np.testing.assert_allclose(a.share, b.share, rtol=1e-12)
        np.testing.assert_array_equal(a.members, b.members)
