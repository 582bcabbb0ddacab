"""Pacing (FORMULATION v3 §5b): the rows of ``phase`` and ``floor`` and of the limits by
specialty, written by hand on a tiny instance and matched by all three backends (as
tests/test_families.py does for §5); hand-worked optima; the precedence of
``transition_by_specialty``; properties of phases and floors.

PACED: regions north (300,000 people) and south (100,000): need shares 0.75 / 0.25. Baseline
2024, planning years 2025–2026. ``gp``: baseline 60 / 40, national 100 in 2025 (T = 75 / 25)
and a range 90–110 in 2026 (T = share · Σ_r x); ``psy``: baseline 10 / 30, national 40 every
year (T = 30 / 10). Global transition: growth 10 % + 2, shrink 20 % + 1.

- ``transition_by_specialty``: gp every year ``max_shrink_rate: null`` (no shrink row in 2025),
  gp 2026 ``max_shrink_rate: 0.3`` (year entry over the all-years one; the allowance stays
  the global 1); psy ``max_growth_rate: 0.5`` (allowance the global 2) and
  ``shrink_by_programme_length`` (psy is a 5-year programme: dec ≤ x_prev / 5).
- ``phases``: psy from 2026, so in 2025 ``dec[·,psy,2025] ≤ 0``.
- ``floors``: (0) gp cells from 2026 at 0.9 of their fair share; with the ranged 2026 total,
  north's row is ``x_N − 0.9 · 0.75 · (x_N + x_S) ≥ 0``; (1) north's region total, convergence
  0.1 from 2025: ``g0 = 1 − 70 / 105 = 1/3``, φ = 1 − 0.9 / 3 = 0.7 (2025: Σ ≥ 73.5) and
  1 − 0.81 / 3 = 0.73 (2026: the gp part ranged, psy's T = 30); (2) south psy, convergence
  0.5 from 2026: at the baseline 30 > T = 10, so g0 = 0 and φ = 1 (x ≥ 10).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allocator
from allocator.core.data import problem_data
from allocator.core.pacing import effective_limits
from allocator.core.spec import DEFAULT_MODEL, ModelSpec
from tests.test_families import READERS, _bounds, _row

PACED = {
    "schema_version": 3,
    "name": "paced",
    "baseline_year": 2024,
    "years": [2025, 2026],
    "regions": [{"id": "north", "population": 300000}, {"id": "south", "population": 100000}],
    "specialties": [{"id": "gp", "programme_years": 3}, {"id": "psy", "programme_years": 5}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 60},
        {"region": "south", "specialty": "gp", "posts": 40},
        {"region": "north", "specialty": "psy", "posts": 10},
        {"region": "south", "specialty": "psy", "posts": 30},
    ],
    "national_posts": [
        {"specialty": "gp", "year": 2025, "posts": 100},
        {"specialty": "gp", "year": 2026, "min_posts": 90, "max_posts": 110},
    ],
    "transition": {"max_growth_rate": 0.1, "growth_allowance": 2, "max_shrink_rate": 0.2, "shrink_allowance": 1},
    "transition_by_specialty": [
        {"specialty": "gp", "max_shrink_rate": None},
        {"specialty": "gp", "year": 2026, "max_shrink_rate": 0.3},
        {"specialty": "psy", "max_growth_rate": 0.5, "shrink_by_programme_length": True},
    ],
    "phases": [{"specialty": "psy", "from_year": 2026}],
    "floors": [
        {"specialty": "gp", "share_of_target": 0.9, "from_year": 2026},
        {"region": "north", "convergence": 0.1, "from_year": 2025, "level": "region"},
        {"region": "south", "specialty": "psy", "convergence": 0.5, "from_year": 2026},
    ],
}
N, S = "north", "south"


def v(name, r, s, t):
    return f"{name}[{r},{s},{t}]"


def x(r, s, t):
    return v("x", r, s, t)


def inc(r, s, t):
    return v("inc", r, s, t)


def dec(r, s, t):
    return v("dec", r, s, t)


PHI_2026 = 1 - 0.9**2 / 3  # north's convergence path in its second year: 0.73
EXPECTED = {
    # inc ≤ rate · x_prev + allowance: gp 10 % + 2, psy 50 % + 2
    "growth_limit": {
        (N, "gp", 2025): ({inc(N, "gp", 2025): 1}, "<=", 0.1 * 60 + 2),
        (S, "gp", 2025): ({inc(S, "gp", 2025): 1}, "<=", 0.1 * 40 + 2),
        (N, "gp", 2026): ({inc(N, "gp", 2026): 1, x(N, "gp", 2025): -0.1}, "<=", 2),
        (S, "gp", 2026): ({inc(S, "gp", 2026): 1, x(S, "gp", 2025): -0.1}, "<=", 2),
        (N, "psy", 2025): ({inc(N, "psy", 2025): 1}, "<=", 0.5 * 10 + 2),
        (S, "psy", 2025): ({inc(S, "psy", 2025): 1}, "<=", 0.5 * 30 + 2),
        (N, "psy", 2026): ({inc(N, "psy", 2026): 1, x(N, "psy", 2025): -0.5}, "<=", 2),
        (S, "psy", 2026): ({inc(S, "psy", 2026): 1, x(S, "psy", 2025): -0.5}, "<=", 2),
    },
    # dec ≤ rate · x_prev + 1: gp none in 2025 (null), 30 % in 2026 (the year entry); psy the global 20 %
    "shrink_limit": {
        (N, "gp", 2026): ({dec(N, "gp", 2026): 1, x(N, "gp", 2025): -0.3}, "<=", 1),
        (S, "gp", 2026): ({dec(S, "gp", 2026): 1, x(S, "gp", 2025): -0.3}, "<=", 1),
        (N, "psy", 2025): ({dec(N, "psy", 2025): 1}, "<=", 0.2 * 10 + 1),
        (S, "psy", 2025): ({dec(S, "psy", 2025): 1}, "<=", 0.2 * 30 + 1),
        (N, "psy", 2026): ({dec(N, "psy", 2026): 1, x(N, "psy", 2025): -0.2}, "<=", 1),
        (S, "psy", 2026): ({dec(S, "psy", 2026): 1, x(S, "psy", 2025): -0.2}, "<=", 1),
    },
    # dec ≤ x_prev / 5, psy only
    "programme_shrink": {
        (N, "psy", 2025): ({dec(N, "psy", 2025): 1}, "<=", 2),
        (S, "psy", 2025): ({dec(S, "psy", 2025): 1}, "<=", 6),
        (N, "psy", 2026): ({dec(N, "psy", 2026): 1, x(N, "psy", 2025): -0.2}, "<=", 0),
        (S, "psy", 2026): ({dec(S, "psy", 2026): 1, x(S, "psy", 2025): -0.2}, "<=", 0),
    },
    # dec ≤ 0 (with dec ≥ 0: dec = 0) before psy's phase in 2026
    "phase": {
        (N, "psy", 2025): ({dec(N, "psy", 2025): 1}, "<=", 0),
        (S, "psy", 2025): ({dec(S, "psy", 2025): 1}, "<=", 0),
    },
    "floor": {
        # (0) gp 2026 at 0.9 of a ranged fair share: x_r − 0.9 · share_r · (x_N + x_S) ≥ 0
        (N, "gp", 2026): ({x(N, "gp", 2026): 1 - 0.9 * 0.75, x(S, "gp", 2026): -0.9 * 0.75}, ">=", 0),
        (S, "gp", 2026): ({x(S, "gp", 2026): 1 - 0.9 * 0.25, x(N, "gp", 2026): -0.9 * 0.25}, ">=", 0),
        # (1) north's total: 0.7 · 105 in 2025; 0.73 · (0.75 · Σ gp + 30) in 2026
        (N, 2025): ({x(N, "gp", 2025): 1, x(N, "psy", 2025): 1}, ">=", 0.7 * 105),
        (N, 2026): (
            {
                x(N, "gp", 2026): 1 - PHI_2026 * 0.75,
                x(S, "gp", 2026): -PHI_2026 * 0.75,
                x(N, "psy", 2026): 1,
            },
            ">=",
            PHI_2026 * 30,
        ),
        # (2) south psy: g0 = 0, so φ = 1: x ≥ 10
        (S, "psy", 2026): ({x(S, "psy", 2026): 1}, ">=", 10),
    },
}


def expected(family: str) -> dict:
    return {key: _row(coefs, *_bounds(sense, rhs)) for key, (coefs, sense, rhs) in EXPECTED[family].items()}


@pytest.fixture(scope="module")
def data():
    return problem_data(allocator.validate(copy.deepcopy(PACED)))


@pytest.fixture(scope="module", params=sorted(READERS))
def rows(request, data):
    return request.param, READERS[request.param](data, DEFAULT_MODEL)


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_backend_writes_the_expected_rows(rows, family):
    backend, got = rows
    assert got[family] == expected(family), f"{backend}: {family}"


def test_three_backends_agree_and_the_checker_accepts():
    inst = allocator.validate(copy.deepcopy(PACED))
    results = {b: allocator.solve(inst, backend=b) for b in ("highs", "pyomo", "pulp")}
    posts = {b: r.posts_array(problem_data(inst)) for b, r in results.items()}
    for b, r in results.items():
        assert r.status == "optimal", b
        assert abs(r.objective - results["highs"].objective) <= 1e-6 * max(1, abs(r.objective)), b
        assert np.allclose(posts[b], posts["highs"], atol=1e-4), b
        report = allocator.check(inst, r.to_dict())
        assert report.ok, (b, report.violations)
    # the phase binds: south psy would lose posts in 2025 (it is 20 above its fair share)
    assert any(row["constraint"] == "phase" for row in results["highs"].to_dict()["binding"])


# ------------------------------------------------------------------ transition_by_specialty


def _limits(entries, transition=None):
    data = copy.deepcopy(PACED)
    data.update(phases=[], floors=[], transition_by_specialty=entries)
    if transition is not None:
        data["transition"] = transition
    inst = allocator.validate(data)
    return inst, effective_limits(problem_data(inst))


def test_precedence_year_over_all_years_over_global():
    """Each field of (s, t) on its own: the year entry's, else the all-years entry's, else the
    global one; a rate written null removes the limit."""
    _, lim = _limits(
        [
            {"specialty": "gp", "max_shrink_rate": 0.05, "shrink_allowance": 3},
            {"specialty": "gp", "year": 2026, "max_shrink_rate": 0.01},
            {"specialty": "psy", "year": 2025, "max_growth_rate": None},
        ]
    )
    # gp: 2025 the all-years entry (5 % + 3); 2026 the year entry's rate, the all-years allowance
    assert lim.shrink_rate[0].tolist() == [0.05, 0.01]
    assert lim.shrink_allowance[0].tolist() == [3, 3]
    # psy: shrink is the global 20 % + 1; growth removed in 2025 only, the global 10 % in 2026
    assert lim.shrink_rate[1].tolist() == [0.2, 0.2] and lim.shrink_allowance[1].tolist() == [1, 1]
    assert np.isnan(lim.growth_rate[1, 0]) and lim.growth_rate[1, 1] == 0.1
    assert lim.growth_rate[0].tolist() == [0.1, 0.1]


def test_null_removes_the_limit_and_its_allowance_in_every_backend():
    """gp with max_shrink_rate null (and an allowance of its own, which then has no effect):
    no shrink row for gp; the checker restates the same rule."""
    inst, lim = _limits([{"specialty": "gp", "max_shrink_rate": None, "shrink_allowance": 5}])
    assert np.isnan(lim.shrink_rate[0]).all()
    d = problem_data(inst)
    for name, read in READERS.items():
        keys = read(d, DEFAULT_MODEL)["shrink_limit"]
        assert {k[1] for k in keys} == {"psy"}, name
    # a plan in which south gp loses 30 posts at once breaks no shrink limit for gp
    data = allocator.solve(inst).to_dict()
    report = allocator.check(inst, data)
    assert report.ok, report.violations


def test_checker_rejects_a_broken_limit_by_specialty():
    inst, _ = _limits([{"specialty": "psy", "year": 2025, "max_shrink_rate": 0.0}])
    data = allocator.solve(inst).to_dict()
    for row in data["allocation"]:  # move one psy post south -> north in 2025
        if (row["specialty"], row["year"]) == ("psy", 2025):
            row["posts"] += 1 if row["region"] == "north" else -1
    report = allocator.check(inst, data)
    assert any(v.constraint == "shrink_limit" and v.specialty == "psy" and v.year == 2025 for v in report.violations)


def test_checker_rejects_a_broken_phase_and_floor():
    inst = allocator.validate(copy.deepcopy(PACED))
    data = allocator.solve(inst).to_dict()
    for row in data["allocation"]:
        key = (row["region"], row["specialty"], row["year"])
        if key == (S, "psy", 2025):
            row["posts"] -= 1  # a loss before psy's phase
        if key == (S, "psy", 2026):
            row["posts"] = 9  # below its floor of 10
    found = {(v.constraint, v.region, v.specialty, v.year) for v in allocator.check(inst, data).violations}
    assert ("phase", S, "psy", 2025) in found
    assert ("floor", S, "psy", 2026) in found


# ------------------------------------------------------------------ hand-worked optima


def _three_regions(floors):
    """a, b, c with fair shares 50 / 30 / 20 of 100 posts; baseline 40 / 20 / 40; c may lose at
    most 25 % a year (10 posts)."""
    return allocator.validate(
        {
            "schema_version": 3,
            "name": "three",
            "baseline_year": 2024,
            "years": [2025],
            "regions": [
                {"id": "a", "population": 500000},
                {"id": "b", "population": 300000},
                {"id": "c", "population": 200000},
            ],
            "specialties": [{"id": "gp"}],
            "baseline_posts": [
                {"region": "a", "specialty": "gp", "posts": 40},
                {"region": "b", "specialty": "gp", "posts": 20},
                {"region": "c", "specialty": "gp", "posts": 40},
            ],
            "transition": {"max_shrink_rate": 0.25},
            "floors": floors,
        }
    )


def test_a_floor_that_binds_and_one_that_does_not():
    """c loses its 10 posts (its most), a and b gain 10 between them. The gap (shortfall +
    surplus) is 10 + 10 = 20 however the 10 are split, and the moves 0.01 · 20, so every split
    is optimal (objective 20.2) and the tie-break (§6b) takes the one minimising
    ``s_a² / 50 + s_b² / 30`` with ``s_a + s_b = 10``: ``s_a / 50 = s_b / 30``, so s_a = 6.25,
    s_b = 3.75: a 43.75, b 26.25.

    A floor on b at 0.8 of its fair share (24 posts) is met by 26.25 and changes nothing. A
    floor at 0.95 (28.5 posts) binds: b 28.5, a 41.5, and the objective is still 20.2 (the
    floor only chooses among the optima, so its shadow price is 0)."""
    free = allocator.solve(_three_regions([]))
    assert free.objective == pytest.approx(20.2)
    assert free.posts_array(problem_data(_three_regions([])))[:, 0, 0] == pytest.approx([43.75, 26.25, 30.0], abs=1e-4)
    loose = allocator.solve(_three_regions([{"region": "b", "share_of_target": 0.8, "from_year": 2025}]))
    assert loose.posts_array(problem_data(_three_regions([])))[:, 0, 0] == pytest.approx([43.75, 26.25, 30.0], abs=1e-4)
    assert loose.objective == pytest.approx(20.2)
    tight = allocator.solve(_three_regions([{"region": "b", "share_of_target": 0.95, "from_year": 2025}]))
    assert tight.posts_array(problem_data(_three_regions([])))[:, 0, 0] == pytest.approx([41.5, 28.5, 30.0], abs=1e-4)
    assert tight.objective == pytest.approx(20.2)


def test_a_convergence_path_over_three_years():
    """a (750,000 people) and b (250,000) share 100 posts: fair shares 75 / 25; a holds 45 at
    the baseline, so g0 = 1 − 45 / 75 = 0.4. With convergence 0.5 from the first year,
    φ = 1 − 0.5^k · 0.4 = 0.8, 0.9, 0.95: a must hold 60, 67.5, 71.25. A post in a costs 1 and
    in b nothing, and the model weighs only cost (c_w = 1), so a holds no more than the path
    asks: a 60, 67.5, 71.25, objective 60 + 67.5 + 71.25 = 198.75 (one optimum: each year's
    cost is least at the floor)."""
    inst = allocator.validate(
        {
            "schema_version": 3,
            "name": "path",
            "baseline_year": 2024,
            "years": [2025, 2026, 2027],
            "regions": [{"id": "a", "population": 750000}, {"id": "b", "population": 250000}],
            "specialties": [{"id": "gp"}],
            "baseline_posts": [
                {"region": "a", "specialty": "gp", "posts": 45},
                {"region": "b", "specialty": "gp", "posts": 55},
            ],
            "cost_per_post": [{"region": "a", "specialty": "gp", "cost": 1}],
            "floors": [{"region": "a", "convergence": 0.5, "from_year": 2025}],
        }
    )
    cost = ModelSpec.model_validate({"name": "cost", "objective": {"cost": 1.0}})
    for backend in ("highs", "pyomo", "pulp"):
        r = allocator.solve(inst, cost, backend=backend)
        assert r.posts_array(problem_data(inst))[0, 0] == pytest.approx([60, 67.5, 71.25], abs=1e-6), backend
        assert r.objective == pytest.approx(198.75), backend
        assert allocator.check(inst, r.to_dict(), model=cost).ok


# ------------------------------------------------------------------ properties

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def generated(draw):
    from allocator.study.generate import generate

    R, S, Y = draw(st.integers(2, 4)), draw(st.integers(1, 3)), draw(st.integers(2, 3))
    data = generate(R, S, Y, seed=draw(st.integers(0, 10_000))).to_dict()
    data["schema_version"] = 3
    data.pop("budget", None)
    return data


@SETTINGS
@given(generated(), st.data())
def test_a_phase_never_lets_a_cell_lose_posts_before_its_year(data, draw):
    spec = draw.draw(st.sampled_from(data["specialties"]))["id"]
    year = draw.draw(st.sampled_from(data["years"][1:]))
    data["phases"] = [{"specialty": spec, "from_year": year}]
    inst = allocator.validate(data)
    r = allocator.solve(inst)
    if r.status != "optimal":
        return
    x = r.posts_array(problem_data(inst))
    j = inst.specialty_ids.index(spec)
    before = np.concatenate([problem_data(inst).baseline[:, j, None], x[:, j, :-1]], axis=1)
    for t, y in enumerate(inst.years):
        if y < year:
            assert (x[:, j, t] >= before[:, t] - 1e-6).all(), (spec, y)
    assert allocator.check(inst, r.to_dict()).ok


@SETTINGS
@given(generated(), st.floats(0.05, 1.0), st.booleans())
def test_a_floor_never_leaves_a_floored_cell_below_phi_t(data, share, by_convergence):
    rule = {"convergence": share} if by_convergence else {"share_of_target": share}
    data["floors"] = [{**rule, "from_year": data["years"][0]}]
    inst = allocator.validate(data)
    r = allocator.solve(inst)
    if r.status != "optimal":
        return
    d = problem_data(inst)
    phi = d.pacing.floor_cell
    assert (phi > 0).any() or (d.target == 0).all()
    assert (r.posts_array(d) >= phi * d.target - 1e-6 * np.maximum(1, d.target)).all()
    assert allocator.check(inst, r.to_dict()).ok


# ------------------------------------------------------------------ the same rows everywhere


def test_warm_sweeps_frontiers_and_whole_posts_keep_phases_and_floors():
    """Warm-started sweeps, Pareto frontiers and whole posts build through the same builders:
    every answer passes the checker (phases, floors, limits by specialty included)."""
    from allocator.core.spec import load_model
    from allocator.study.pareto import frontier
    from allocator.study.warm import solve_weightings

    inst = allocator.validate(copy.deepcopy(PACED))
    specs = [load_model(n) for n in ("fair-share", "equity-first", "minimal-disruption")]
    for _, result, _ in solve_weightings(inst, specs):
        assert result.status == "optimal"
        assert allocator.check(inst, result.to_dict()).ok
    df, results = frontier(inst, "gap-moves", points=3, with_results=True)
    for result in results:
        if result.status == "optimal":
            assert allocator.check(inst, result.to_dict()).ok
    whole = allocator.solve(inst, round_posts=True)
    assert whole.status in ("optimal", "feasible")
    x = whole.posts_array(problem_data(inst))
    assert np.allclose(x, np.round(x)) and x[1, 1, 1] >= 10  # south psy's floor, in whole posts
    assert allocator.check(inst, whole.to_dict()).ok


# ------------------------------------------------------------------ words


FLOOR_WORDS = {
    "schema_version": 3,
    "name": "floor-words",
    "baseline_year": 2024,
    "years": [2025],
    "regions": [{"id": "north", "population": 300000}, {"id": "south", "population": 100000}],
    "specialties": [{"id": "gp"}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 55},
        {"region": "south", "specialty": "gp", "posts": 45},
    ],
    "transition": {"max_growth_rate": 0.1},
    "floors": [{"region": "north", "specialty": "gp", "share_of_target": 0.9, "from_year": 2025}],
}


def test_a_floor_out_of_reach_is_named_with_its_numbers():
    """north's fair share is 75, its floor 67.5; from 55 posts a 10 % growth limit reaches 60.5
    (80.7 %); the growth rate that reaches 67.5 is 67.5 / 55 − 1 = 22.7 %. docs/model.md §5b
    quotes this message."""
    from pathlib import Path

    r = allocator.solve(allocator.validate(copy.deepcopy(FLOOR_WORDS)))
    assert r.status == "infeasible"
    message = r.to_dict()["diagnosis"]["findings"][0]["message"]
    assert message == (
        "north must reach 90 % of its fair share of gp posts (67.5) by 2025, but its growth limit allows 80.7 % "
        "(60.5 posts): lower the floor to 80.7 % or raise the growth limit to 22.7 %."
    )
    doc = " ".join((Path(__file__).parents[1] / "docs" / "model.md").read_text(encoding="utf-8").split())
    assert message in doc


def test_diagnosis_names_a_floor_and_a_phase_in_words():
    """The floor of FLOOR_WORDS out of reach (first the action, then why); a phase that a
    falling national total breaks: psy falls from 40 to 35 posts in 2025, before its phase."""
    r = allocator.solve(allocator.validate(copy.deepcopy(FLOOR_WORDS)))
    assert r.to_dict()["diagnosis"]["summary"] == (
        "Lower the floor of north in 2025 to 80.7 % of its fair share, or raise the growth limit to 22.7 %: north "
        "must reach 90 % of its fair share of gp posts (67.5) by 2025, but can hold at most 60.5 (80.7 %)."
    )
    capped = copy.deepcopy(FLOOR_WORDS)
    capped["transition"] = {}
    capped["capacity"] = [{"region": "north", "specialty": "gp", "max_posts": 60}]
    r = allocator.solve(allocator.validate(capped))
    assert r.to_dict()["diagnosis"]["summary"] == (
        "Lower the floor of north in 2025 to 80 % of its fair share, or raise max_posts of north gp in 2025 to 67.5: "
        "north must reach 90 % of its fair share of gp posts (67.5) by 2025, but can hold at most 60 (80 %)."
    )
    data = copy.deepcopy(PACED)
    data["national_posts"].append({"specialty": "psy", "year": 2025, "posts": 35})
    data["floors"] = []
    r = allocator.solve(allocator.validate(data))
    assert r.status == "infeasible"
    assert r.to_dict()["diagnosis"]["summary"] == (
        "Allow psy to move from 2025 (its phase starts in 2026), or keep its 2025 national total at 40 posts: it "
        "falls to 35, but before its phase no region may lose posts."
    )


def test_the_relaxation_and_the_conflict_cover_floors_and_phases():
    """Every region at its whole fair share in 2025 cannot be met (north can reach 85 of 105):
    the pre-solve check names the floor, and HiGHS's conflict set names the floor and the phase."""
    data = copy.deepcopy(PACED)
    data["floors"] = [{"share_of_target": 1.0, "from_year": 2025, "level": "region"}]
    diagnosis = allocator.solve(allocator.validate(data)).to_dict()["diagnosis"]
    assert diagnosis["findings"][0]["constraint"] == "floor"
    conflict = {c["constraint"] for c in diagnosis["conflict"]}
    assert {"floor", "phase"} <= conflict
    from allocator.analysis.diagnose import relaxation_findings
    from allocator.model.backends.highs import build_model

    def relaxed(data):
        return relaxation_findings(build_model(problem_data(allocator.validate(data)), DEFAULT_MODEL))

    # a floor (penalty 2) against a lock (20): the floor is relaxed, by 67.5 − 60 posts
    data = copy.deepcopy(FLOOR_WORDS)
    data["locks"] = [{"region": "north", "specialty": "gp", "year": 2025, "posts": 60}]
    found = relaxed(data)
    assert [(f.constraint, f.message) for f in found] == [("floor", "lower the 2025 floor of north gp by 7.5 posts")]
    # a phase (10) against a national total (100): the phase is relaxed, by the 5 posts psy must lose
    data = copy.deepcopy(PACED)
    data["national_posts"].append({"specialty": "psy", "year": 2025, "posts": 35})
    data["floors"] = []
    found = relaxed(data)
    assert {f.constraint for f in found} == {"phase"}
    assert sum(f.relax_by for f in found) == pytest.approx(5)
    assert all(f.message.startswith("let ") and "before its phase starts" in f.message for f in found)


def test_shadow_price_of_a_floor_in_words():
    """With moves weighing 5 (a move costs 10: a post lost and one gained) and the gap 1, nothing
    moves without a floor; north's floor of 90 % of 75 = 67.5 (from 55) moves 12.5 posts, and
    each post of floor costs 10 − 2 = 8 (moves less the gap it closes in north and south)."""
    from allocator.analysis.shadow import explain

    data = copy.deepcopy(FLOOR_WORDS)
    data["transition"] = {}
    inst = allocator.validate(data)
    spec = ModelSpec.model_validate({"name": "slow", "objective": {"shortfall": 1, "surplus": 1, "moves": 5}})
    r = allocator.solve(inst, spec)
    assert r.posts_array(problem_data(inst))[:, 0, 0] == pytest.approx([67.5, 32.5])
    sentences = explain(r, inst, spec=spec)
    floor = sentences[sentences["constraint"] == "floor"]["sentence"].tolist()
    assert floor == [
        "holding north at 90% of its fair share of gp posts in 2025 (67.5 posts) costs 8 units of objective per post"
    ]


# ------------------------------------------------------------------ reports


def test_assumptions_state_phases_limits_and_floors():
    from allocator.report.assumptions import assumptions, brief

    inst = allocator.validate(copy.deepcopy(PACED))
    rows = dict(assumptions(inst))["Transition limits"]
    assert rows[-7:] == [
        ("Phase: psy", "moves from 2026: before it no region loses posts of it"),
        ("Limits of gp (every year)", "no shrink rate (removed)"),
        ("Limits of gp (2026)", "loses at most 30 % a year"),
        ("Limits of psy (every year)", "grows at most 50 % a year; loses at most 1/programme_years a year"),
        ("Floor: every region, gp (cell)", "from 2026, at least 90 % of its fair share"),
        (
            "Floor: north, all specialties (region)",
            "from 2025, closes at least 10 % of its baseline shortfall a year (φ = 1 − 0.9^k · g0)",
        ),
        (
            "Floor: south, psy (cell)",
            "from 2026, closes at least 50 % of its baseline shortfall a year (φ = 1 − 0.5^k · g0)",
        ),
    ]
    lines = brief(assumptions(inst))
    assert "Pacing: 1 phase, 3 limits by specialty, 3 floors (listed in the report's Assumptions section)" in lines
    empty = dict(assumptions(allocator.validate({**copy.deepcopy(PACED), "phases": [], "floors": [],
                                                  "transition_by_specialty": []})))["Transition limits"]  # fmt: skip
    assert ("Phases", "none") in empty and ("Floors", "none") in empty and ("Limits by specialty", "none") in empty


def test_the_report_shows_the_floor_path_against_the_plan(tmp_path):
    """North's total: 0.7 · 105 = 73.5 in 2025 against the plan's 68 + 10 = 78 (4.5 above);
    0.73 · its 2026 fair share against the plan. The page and the workbook show the table."""
    import openpyxl

    from allocator.report.pacing import floor_path
    from allocator.report.write import write_report

    inst = allocator.validate(copy.deepcopy(PACED))
    r = allocator.solve(inst)
    d = problem_data(inst)
    x = r.posts_array(d)
    path = floor_path(d, x)
    north = path[(path["Region"] == N) & (path["Floored"] == "all specialties")]
    assert north["Floor (posts)"].tolist()[0] == pytest.approx(73.5)
    assert north["Plan (posts)"].tolist()[0] == pytest.approx(x[0, :, 0].sum())
    fair_2026 = 0.75 * x[:, 0, 1].sum() + 30
    assert north["Floor (posts)"].tolist()[1] == pytest.approx(PHI_2026 * fair_2026)
    assert (path["Plan above floor (posts)"] >= -1e-6).all()
    write_report(r, inst, tmp_path / "report")
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "Floors: the path against the plan" in page
    assert "Floor path" in openpyxl.load_workbook(tmp_path / "report" / "report.xlsx").sheetnames


# ------------------------------------------------------------------ the app


def test_the_app_edits_phases_limits_by_specialty_and_floors():
    """The three lists are tables of the app: read back unchanged (a removed rate shows as
    ``none``), and rows added to a version 2 instance make it a version 3 one."""
    from allocator.app import logic

    inst = allocator.validate(copy.deepcopy(PACED))
    tables = {n: logic.editable_table(inst, n) for n in logic.EDITABLE}
    assert tables["transition_by_specialty"]["max_shrink_rate"].tolist()[:2] == ["none", "0.3"]
    same = logic.apply_edits(inst, tables, logic.transition_table(inst))
    assert same.to_dict() == inst.to_dict()

    from pathlib import Path

    template = allocator.load_instance(Path(__file__).parents[1] / "instances" / "template.xlsx")
    assert template.schema_version == 2
    tables = {n: logic.editable_table(template, n) for n in logic.EDITABLE}
    tables["phases"].loc[0] = ["gp", 2026]
    tables["transition_by_specialty"].loc[0] = ["psych", pd.NA, "5%", pd.NA, "none", pd.NA, pd.NA]
    tables["floors"].loc[0] = [pd.NA, pd.NA, 0.8, pd.NA, 2026, "region"]
    edited = logic.apply_edits(template, tables)
    assert edited.schema_version == 3
    assert edited.phases[0].from_year == 2026
    assert edited.transition_by_specialty[0].given() == {"max_growth_rate": 0.05, "max_shrink_rate": None}
    assert edited.floors[0].share_of_target == 0.8 and edited.floors[0].level == "region"
    tables["floors"].loc[0] = [pd.NA, pd.NA, 0.8, 0.5, 2026, "region"]
    with pytest.raises(allocator.InstanceError, match=r"floors\[0\].*exactly one of share_of_target"):
        logic.apply_edits(template, tables)


# ------------------------------------------------------------------ schema, validation, tables


def _problems(data) -> list[tuple[str, str]]:
    with pytest.raises(allocator.InstanceError) as err:
        allocator.validate(data, source="paced.json")
    return err.value.problems


def test_an_older_file_using_pacing_is_refused_with_the_fix():
    for field in ("phases", "transition_by_specialty", "floors"):
        data = copy.deepcopy(PACED)
        data["schema_version"] = 2
        for other in {"phases", "transition_by_specialty", "floors"} - {field}:
            data.pop(other)
        data["national_posts"] = data["national_posts"][:1]  # no v2 question here
        assert _problems(data) == [
            (field, f"{field} (docs/model.md §5b) is a schema_version 3 field: set schema_version: 3 to use it")
        ]


def test_every_problem_of_the_pacing_lists_at_once():
    data = copy.deepcopy(PACED)
    data["phases"] += [{"specialty": "psy", "from_year": 2027}, {"specialty": "cardio", "from_year": 2027}]
    data["transition_by_specialty"] += [
        {"specialty": "gp", "year": 2026, "max_growth_rate": 0.2},  # a second gp 2026 entry
        {"specialty": "gp", "year": 2031, "max_shrink_rate": 0.1},  # not a planning year
        {"specialty": "psy", "year": 2025, "max_shrink_rate": 5},  # 500 %
    ]
    data["floors"] += [
        {"region": "west", "share_of_target": 0.5, "from_year": 2025},
        {"share_of_target": 0.5, "convergence": 0.5, "from_year": 2025},
        {"from_year": 2025},
        {"share_of_target": 1.5, "from_year": 2025},
        {"convergence": 0, "from_year": 2025},
        {"share_of_target": 0.5},
        {"share_of_target": 0.5, "from_year": 2025, "level": "nation"},
    ]
    where = dict(_problems(data))
    assert "a second phase for 'psy' (first at phases[0])" in where["phases[1]"]
    assert "unknown specialty 'cardio'" in where["phases[2].specialty"]
    assert "a second entry for 'gp' in 2026" in where["transition_by_specialty[3]"]
    assert "not a planning year" in where["transition_by_specialty[4].year"]
    assert "5 is 500 %" in where["transition_by_specialty[5].max_shrink_rate"]
    assert "unknown region 'west'" in where["floors[3].region"]
    assert "exactly one of share_of_target" in where["floors[4]"] and "exactly one" in where["floors[5]"]
    assert "floors[6].share_of_target" in where and "floors[7].convergence" in where
    assert where["floors[8].from_year"] == "required field is missing"
    assert "floors[9].level" in where


@pytest.mark.parametrize("suffix", [".xlsx", ""])
def test_workbook_and_csv_carry_the_pacing_lists(tmp_path, suffix):
    """Each list is a sheet (a CSV file); a removed rate is the word none and reads back null."""
    from allocator.io.instance import load_instance
    from allocator.io.table_write import write_tables

    inst = allocator.validate(copy.deepcopy(PACED))
    path = write_tables(inst, tmp_path / f"paced{suffix}")
    back = load_instance(path)
    assert back.to_dict() == inst.to_dict()
    assert back.transition_by_specialty[0].given() == {"max_shrink_rate": None}
    if not suffix:
        text = (path / "transition_by_specialty.csv").read_text().splitlines()
        assert text[1] == "gp,,,,none,,"
