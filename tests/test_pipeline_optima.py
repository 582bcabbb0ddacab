"""Pipeline optima worked out by hand (FORMULATION §10), on all three backends, and properties
of the stock recursion.

TOY: regions A and B with equal need (fair shares 0.5 / 0.5), one specialty, baseline A 10,
B 0, national total 10 in the one planning year 2025 (held after it), horizon 2027 (assessed),
delays 1 and 2 years with shares 0.5 / 0.5, settle rate σ = 0.5, leave rate ℓ = 0.1, mobility
``need``, no starting stock. With x = x_A (x_B = 10 − x_A)::

    completions  2025: C_A = 10, C_B = 0 (both delays reach the baseline)
                 2026: C_A = 0.5·x_A + 5, C_B = 0.5·x_B; 2027: C_A = x_A, C_B = x_B
    pool P = C_A + C_B = 10 every year; joiners A_r = 0.5·C_r + 0.5·0.5·P
    S_A(2025) = 7.5, S_A(2026) = 0.9·7.5 + 0.25·x_A + 5 = 11.75 + 0.25·x_A,
    S_A(2027) = 0.9·S_A(2026) + 0.5·x_A + 2.5 = 13.075 + 0.725·x_A
    S_B(2027) = 6.775 + 0.725·x_B;  national 27.1, fair stock 13.55 each.

Supply gap = 2·|13.075 + 0.725·x_A − 13.55| = 2·|0.725·x_A − 0.475|, zero at x_A = 19/29.
Posts gap = 2·|x_A − 5|; posts moved = 10 − x_A (A loses, B gains: moves count 2·(10 − x_A)).

- ``future``: supply weights 1, posts gap 0.5, moves 0.01: the supply gap falls 1.45 per post
  moved to B against the posts gap's 1.0, so x_A = 19/29 ≈ 0.655; objective
  0.5·2·(5 − 19/29) + 0.01·2·(10 − 19/29) = 126/29 + 5.42/29 = 131.42/29.
- ``posts``: posts gap 1 (slope 2 > 1.45): x_A = 5; supply gap 2·(0.725·5 − 0.475) = 6.3;
  objective 6.3 + 0.01·2·5 = 6.4.
- ``report only``: supply weights 0, posts gap 1: x_A = 5, objective 0.1, the supply still
  reported (S_A(2027) = 16.7).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import allocator
from allocator.core.data import problem_data
from allocator.core.spec import ModelSpec, Objective

TOY = {
    "schema_version": 2,
    "name": "two-regions-pipeline",
    "baseline_year": 2024,
    "years": [2025],
    "regions": [{"id": "A", "population": 1000}, {"id": "B", "population": 1000}],
    "specialties": [{"id": "gp"}],
    "baseline_posts": [{"region": "A", "specialty": "gp", "posts": 10}],
    "pipeline": {
        "horizon_year": 2027,
        "specialties": [
            {
                "specialty": "gp",
                "delay_years": [1, 2],
                "delay_shares": [0.5, 0.5],
                "settle_rate": 0.5,
                "leave_rate": 0.1,
            }
        ],
    },
}
BACKENDS = ("highs", "pyomo", "pulp")


def spec(name: str, **w) -> ModelSpec:
    return ModelSpec(name=name, objective=Objective(**w))


CASES = {
    "future": (
        spec("future", shortfall=0.5, surplus=0.5, moves=0.01, supply_shortfall=1, supply_surplus=1),
        19 / 29,
        131.42 / 29,
    ),
    "posts": (spec("posts", shortfall=1, surplus=1, moves=0.01, supply_shortfall=1, supply_surplus=1), 5.0, 6.4),
    "report-only": (spec("report", shortfall=1, surplus=1, moves=0.01), 5.0, 0.1),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_hand_worked_optimum(case, backend):
    model, x_a, objective = CASES[case]
    inst = allocator.validate(TOY)
    res = allocator.solve(inst, model, backend=backend)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(objective, abs=1e-7)
    posts = res.posts_array(problem_data(inst))
    assert posts[0, 0, 0] == pytest.approx(x_a, abs=1e-6)
    stock = res.supply.set_index(["region", "year"])["stock"]
    assert stock[("A", 2027)] == pytest.approx(13.075 + 0.725 * x_a, abs=1e-6)
    assert stock[("B", 2027)] == pytest.approx(6.775 + 0.725 * (10 - x_a), abs=1e-6)
    assert res.supply.set_index(["region", "year"])["fair_stock"][("A", 2027)] == pytest.approx(13.55)
    kpi = res.supply_kpis.set_index("year")
    assert kpi.loc[2027, "supply_gap"] == pytest.approx(2 * abs(0.725 * x_a - 0.475), abs=1e-6)
    assert allocator.check(inst, res, model).ok


def test_hand_worked_stocks_by_year():
    d = problem_data(allocator.validate(TOY))
    sup = d.pipeline.forward(np.array([[[4.0]], [[6.0]]]))
    assert sup.stock[0, 0] == pytest.approx([7.5, 11.75 + 1.0, 13.075 + 0.725 * 4])
    assert sup.stock[1, 0] == pytest.approx([2.5, 4.75 + 1.5, 6.775 + 0.725 * 6])
    assert sup.completions[:, 0, 1] == pytest.approx([0.5 * 4 + 5, 0.5 * 6])


# --------------------------------------------------------------------------- properties


def _instance(seed: int, mobility: str, settle: float) -> dict:
    rng = np.random.default_rng(seed)
    R = int(rng.integers(2, 5))
    inst = {
        "schema_version": 2,
        "name": "random-pipeline",
        "baseline_year": 2024,
        "years": [2025, 2026],
        "regions": [{"id": f"r{i}", "population": int(rng.integers(1000, 9000))} for i in range(R)],
        "specialties": [{"id": "s"}],
        "baseline_posts": [{"region": f"r{i}", "specialty": "s", "posts": int(rng.integers(0, 30))} for i in range(R)],
        "pipeline": {
            "horizon_year": 2032,
            "mobility": mobility,
            "specialties": [
                {
                    "specialty": "s",
                    "delay_years": [2, 3],
                    "delay_shares": [0.6, 0.4],
                    "settle_rate": settle,
                    "leave_rate": float(rng.uniform(0, 0.2)),
                    "completion_rate": float(rng.uniform(0.5, 1)),
                }
            ],
            "stock": [{"region": f"r{i}", "specialty": "s", "headcount": int(rng.integers(0, 50))} for i in range(R)],
        },
    }
    return inst


def _stock(inst: dict, x: np.ndarray) -> np.ndarray:
    return problem_data(allocator.validate(inst)).pipeline.forward(x).stock


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0, 1), st.floats(0, 1))
def test_raising_settle_rate_never_lowers_a_stock_when_movers_are_lost(seed, s1, s2):
    """With mobility "lost", a region's stock only grows with the share who settle (fixed posts)."""
    low, high = sorted((s1, s2))
    a, b = _instance(seed, "lost", low), _instance(seed, "lost", high)
    R = len(a["regions"])
    x = np.random.default_rng(seed + 1).uniform(0, 40, size=(R, 1, 2))
    assert np.all(_stock(b, x) >= _stock(a, x) - 1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0, 1), st.floats(0, 1))
def test_settle_rate_with_need_mobility(seed, s1, s2):
    """With mobility "need", settling only shifts who works where: the national stock is the
    same, and a region that trains at least its need share of completers every year never
    loses by a higher settle rate (one that trains less may: its movers came from elsewhere)."""
    low, high = sorted((s1, s2))
    a, b = _instance(seed, "need", low), _instance(seed, "need", high)
    R = len(a["regions"])
    x = np.random.default_rng(seed + 1).uniform(0, 40, size=(R, 1, 2))
    sa, sb = _stock(a, x), _stock(b, x)
    assert sb.sum(axis=0) == pytest.approx(sa.sum(axis=0), rel=1e-9, abs=1e-9)
    d = problem_data(allocator.validate(a))
    sup = d.pipeline.forward(x)
    own = sup.completions >= d.pipeline.share * sup.completions.sum(axis=0)[None] - 1e-12
    trains_enough = own.all(axis=(1, 2))  # every year, every specialty
    assert np.all(sb[trains_enough] >= sa[trains_enough] - 1e-9)
