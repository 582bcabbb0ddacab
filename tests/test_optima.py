"""Small instances whose optimum is worked out by hand (the working is in each docstring)."""

from __future__ import annotations

import pytest

import allocator
from allocator.core.spec import parse_model

from .conftest import ROOT

TOY = ROOT / "instances" / "toy"


def cell(res, region, specialty, year):
    a = res.allocation
    return float(a[(a.region == region) & (a.specialty == specialty) & (a.year == year)].posts.iloc[0])


def test_toy_2x1_posts_follow_need():
    """Populations 300k / 100k, need 1 -> D = 300k, 100k; N = 20 + 80 = 100.
    T = 75, 25. No limits, so x = T: gap 0. Moves: north +55 (inc), south −55 (dec),
    Σ(inc + dec) = 110, times m = 0.01: objective 1.1. Gini 0, gap closed 100%."""
    res = allocator.solve(TOY / "toy-2x1.json")
    assert res.status == "optimal"
    assert res.objective == pytest.approx(1.1, rel=1e-9)
    assert cell(res, "north", "gp", 2025) == pytest.approx(75)
    assert cell(res, "south", "gp", 2025) == pytest.approx(25)
    k = res.kpis.iloc[0]
    assert k.gap_posts == pytest.approx(0, abs=1e-9) and k.gap_closed_pct == pytest.approx(100)
    assert k.gini == pytest.approx(0, abs=1e-12) and k.posts_moved == pytest.approx(55)


def test_toy_shrink_limit_binds_two_years():
    """Equal populations: T = 50, 50 each year. South may lose 10% a year:
    2025: south 80 → 72, north 20 → 28 (gap 22 + 22 = 44, moves 8 + 8 = 16);
    2026: south 72 → 64.8, north 28 → 35.2 (gap 14.8 + 14.8 = 29.6, moves 7.2 + 7.2 = 14.4).
    Objective = 44 + 29.6 + 0.01 · (16 + 14.4) = 73.904.
    Baseline gap 60 → gap closed 26.67% and 50.67%; the shrink limit is binding both years."""
    res = allocator.solve(TOY / "toy-shrink.json")
    assert res.objective == pytest.approx(73.904, rel=1e-9)
    assert cell(res, "south", "gp", 2025) == pytest.approx(72)
    assert cell(res, "south", "gp", 2026) == pytest.approx(64.8)
    assert res.kpis.gap_closed_pct.tolist() == pytest.approx([100 * (1 - 44 / 60), 100 * (1 - 29.6 / 60)])
    bound = res.binding[res.binding.constraint == "shrink_limit"]
    assert set(bound.year) == {2025, 2026} and (bound.dual < 0).all()


def test_toy_3x2_lock_and_national_moves():
    """Three equal regions, T = 30 (gp, N = 90) and 20 (psych, N = 60).
    South psych is locked at 26 (+6), so north + middle psych = 34: 6 posts lost there,
    psych gap = 6 (south) + 6 (north and middle) = 12. At most 12 posts may be lost in total
    and psych uses 6, so gp can lose at most 6: south gp 50 → 44 (gap 14). North + middle gp =
    46; middle stays at its target 30 and north rises 10 → 16 (gap 14): gp gap 28.
    Moves: psych 6 + 6, gp 6 + 6 = 24 → objective 12 + 28 + 0.24 = 40.24."""
    res = allocator.solve(TOY / "toy-3x2.json")
    assert res.objective == pytest.approx(40.24, rel=1e-9)
    assert cell(res, "south", "gp", 2025) == pytest.approx(44)
    assert cell(res, "north", "gp", 2025) == pytest.approx(16)
    assert cell(res, "south", "psych", 2025) == pytest.approx(26)
    assert res.kpis.posts_moved.iloc[0] == pytest.approx(12)
    assert {"national_moves", "lock"} <= set(res.binding.constraint)


def test_worst_shortfall_hand_computed(base):
    """T = 75 / 25; the region may grow at most 10% + 0 from 20: north x ≤ 22 → shortfall
    53 of 75 = 70.67%. With q > 0 the worst shortfall z = 70.67 and the optimum is
    a·53 + b·53 + m·(2 + 2) + q·z = 106 + 0.04 + 1·70.666…"""
    base["transition"] = {"max_growth_rate": 0.10}
    spec = parse_model({"name": "q", "objective": {"shortfall": 1, "surplus": 1, "moves": 0.01, "worst_shortfall": 1}})
    res = allocator.solve(allocator.validate(base), spec)
    assert res.objective == pytest.approx(106 + 0.04 + 100 * 53 / 75, rel=1e-9)
    assert res.kpis.max_shortfall_pct.iloc[0] == pytest.approx(100 * 53 / 75)


def test_cost_and_budget_hand_computed(base):
    """Costs 1 (north) and 3 (south); budget 200 with x_n + x_s = 100:
    x_n + 3·x_s ≤ 200 ⇒ x_s ≤ 50, and targets want x_s = 25: budget slack 200 − 150 = 50.
    Budget 100 forces x_s = 0: the fair share 25 is cut, gap 50, x_n = 100."""
    base["cost_per_post"] = [
        {"region": "north", "specialty": "gp", "cost": 1},
        {"region": "south", "specialty": "gp", "cost": 3},
    ]
    base["budget"] = [{"year": 2025, "amount": 100}]
    res = allocator.solve(allocator.validate(base))
    assert cell(res, "south", "gp", 2025) == pytest.approx(0, abs=1e-7)
    assert res.kpis.cost.iloc[0] == pytest.approx(100) and res.kpis.gap_posts.iloc[0] == pytest.approx(50)
    assert "budget" in set(res.binding.constraint)


def test_growth_allowance_and_region_net_loss(base):
    """North may grow 10% + 3 a year from 20: at most 25 in 2025; south may lose at most 5%
    of its posts in a region-wide sense: 80 → ≥ 76. So north ≤ 24 (national total 100)."""
    base["transition"] = {"max_growth_rate": 0.10, "growth_allowance": 3, "max_region_net_loss_rate": 0.05}
    res = allocator.solve(allocator.validate(base))
    assert cell(res, "north", "gp", 2025) == pytest.approx(24)
    assert cell(res, "south", "gp", 2025) == pytest.approx(76)
    assert "region_net_loss" in set(res.binding.constraint)


def test_programme_shrink(base):
    """A 4-year programme may shrink by at most a quarter a year: south 80 → 60 → 45."""
    base["years"] = [2025, 2026]
    base["specialties"][0]["programme_years"] = 4
    base["transition"] = {"shrink_by_programme_length": True}
    res = allocator.solve(allocator.validate(base))
    assert cell(res, "south", "gp", 2025) == pytest.approx(60)
    assert cell(res, "south", "gp", 2026) == pytest.approx(45)


@pytest.mark.parametrize("model", ["fair-share", "equity-first", "minimal-disruption", "cost-aware"])
def test_model_files_solve_toys(model):
    for name in ("toy-2x1", "toy-shrink", "toy-3x2"):
        res = allocator.solve(TOY / f"{name}.json", ROOT / "models" / f"{model}.toml")
        assert res.status == "optimal" and res.model == model


def test_minimal_disruption_moves_less_than_fair_share():
    fair = allocator.solve(TOY / "toy-2x1.json")
    spec = parse_model({"name": "still", "objective": {"shortfall": 1, "surplus": 1, "moves": 2}})
    still = allocator.solve(TOY / "toy-2x1.json", spec)
    assert still.kpis.posts_moved.sum() < fair.kpis.posts_moved.sum()
