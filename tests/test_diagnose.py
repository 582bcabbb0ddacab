"""Infeasible instances get a diagnosis naming §5 families, entities and numbers."""

from __future__ import annotations

import pytest

import allocator


def diag(data):
    res = allocator.solve(allocator.validate(data))
    assert res.status == "infeasible"
    assert res.diagnosis and res.diagnosis["findings"]
    return res.diagnosis


def test_lock_outside_capacity(base):
    base["capacity"] = [{"region": "north", "specialty": "gp", "max_posts": 50}]
    base["locks"] = [{"region": "north", "specialty": "gp", "year": 2025, "posts": 60}]
    f = diag(base)["findings"][0]
    assert f["constraint"] == "lock" and f["region"] == "north" and f["relax_by"] == pytest.approx(10)


def test_capacity_below_national_total(base):
    base["capacity"] = [
        {"region": "north", "specialty": "gp", "max_posts": 40},
        {"region": "south", "specialty": "gp", "max_posts": 50},
    ]
    f = diag(base)["findings"][0]
    assert f["constraint"] == "national_total" and f["year"] == 2025 and f["relax_by"] == pytest.approx(10)
    assert "at most 90" in f["message"]


def test_budget_below_minimum(base):
    base["cost_per_post"] = [{"region": "north", "specialty": "gp", "cost": 1}]
    base["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 30}]
    base["budget"] = [{"year": 2025, "amount": 20}]
    f = diag(base)["findings"][0]
    assert f["constraint"] == "budget" and f["relax_by"] == pytest.approx(10)


def test_national_moves_below_reduction(base):
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 80}]
    base["transition"] = {"max_national_moves": 5}
    f = diag(base)["findings"][0]
    assert f["constraint"] == "national_moves" and f["relax_by"] == pytest.approx(15)


def test_growth_out_of_reach(base):
    """North must hold 60 (min) but can grow only 10% from 20: at most 22."""
    base["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 60}]
    base["transition"] = {"max_growth_rate": 0.1}
    f = diag(base)["findings"][0]
    assert f["constraint"] == "growth_limit" and f["region"] == "north" and f["relax_by"] == pytest.approx(38)


def test_solver_found_region_net_loss(base):
    """National total falls 100 → 90 but no region may lose posts: only the solver finds it;
    the feasibility relaxation names the region net-loss limit (cheaper to relax than the
    national total) and by how much: 10 posts in total."""
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 90}]
    base["transition"] = {"max_region_net_loss_rate": 0.0}
    d = diag(base)
    assert d["constraints"] == ["region_net_loss"]
    assert sum(f["relax_by"] for f in d["findings"]) == pytest.approx(10)


def test_whole_posts_needed_but_total_fractional(base):
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 100.5}]
    inst = allocator.validate(base)
    assert allocator.solve(inst).status == "optimal"  # the LP is fine
    res = allocator.solve(inst, integer=True)
    assert res.status == "infeasible"
    f = res.diagnosis["findings"][0]
    assert f["constraint"] == "national_total" and "not a whole number" in f["message"]


def test_capacity_without_whole_number(base):
    base["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 30.2, "max_posts": 30.8}]
    res = allocator.solve(allocator.validate(base), integer=True)
    assert res.status == "infeasible" and res.diagnosis["constraints"] == ["capacity"]
