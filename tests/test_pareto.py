"""Pareto frontiers: every point a checked solution, monotone, the ends equal to plain solves."""

from __future__ import annotations

import numpy as np
import pytest

import allocator
from allocator.core.spec import ModelSpec, Objective
from allocator.study.generate import generate
from allocator.study.pareto import frontier, frontier_plot

from .conftest import ROOT

ENGLAND = ROOT / "instances" / "england-regions-2025.json"


def _monotone(df, column):
    """``column`` never increases as ε grows (within solver round-off)."""
    y = df.sort_values("epsilon")[column].to_numpy()
    return bool(np.all(np.diff(y) <= 1e-6 * np.maximum(1.0, np.abs(y[:-1]))))


def _only(**weights) -> ModelSpec:
    return ModelSpec(name="only", objective=Objective(**weights))


@pytest.mark.slow  # over a second: make test runs it, make test-fast does not
def test_gap_moves_frontier_on_england(tmp_path):
    inst = allocator.load_instance(ENGLAND)
    df, results = frontier(inst, "gap-moves", points=7, with_results=True)
    assert len(df) == 7 and (df["status"] == "optimal").all()
    assert df["check_ok"].all() and (df["violations"] == 0).all()
    for res in results:  # each point's posts pass the independent checker as a §9 result
        assert allocator.check(inst, res.to_dict()).ok
    # more moves allowed → the gap is never larger; moves stay within ε
    assert _monotone(df, "gap_posts_total")
    assert (df["posts_moved_total"] <= df["epsilon"] + 1e-6).all()
    assert df["gap_posts_total"].iloc[0] > df["gap_posts_total"].iloc[-1]
    # the measured gap is the solver's
    assert np.allclose(df["gap_posts_total"], df["f1"], rtol=1e-6)
    # ends: the least gap (a plain LP on gap alone) and the least moves
    least_gap = allocator.solve(inst, _only(shortfall=1, surplus=1)).objective
    assert df["gap_posts_total"].iloc[-1] == pytest.approx(least_gap, rel=1e-6)
    least_moves = allocator.solve(inst, _only(moves=1)).objective / 2  # inc + dec: each move counts twice
    assert df["posts_moved_total"].iloc[0] == pytest.approx(least_moves, abs=1e-6)
    assert list(df["end"]) == ["min moves", "", "", "", "", "", "min gap"]
    fig = frontier_plot(df, tmp_path / "plots" / "gap-moves")
    assert fig.axes[0].get_xlabel().startswith("posts moved")
    assert (tmp_path / "plots" / "gap-moves.png").stat().st_size > 0
    assert (tmp_path / "plots" / "gap-moves.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.slow  # over a second: make test runs it, make test-fast does not
def test_worst_cost_frontier_on_a_generated_instance():
    inst = generate(7, 10, 5, seed=1)
    df = frontier(inst, "worst-cost", points=5)
    assert (df["status"] == "optimal").all() and df["check_ok"].all()
    assert _monotone(df, "max_shortfall_pct")  # more cost allowed → the worst-off never worse off
    assert (df["cost_total"] <= df["epsilon"] * (1 + 1e-9) + 1e-6).all()
    assert np.allclose(df["max_shortfall_pct"], df["f1"], rtol=1e-6)
    least_worst = allocator.solve(inst, _only(worst_shortfall=1)).objective
    assert df["max_shortfall_pct"].iloc[-1] == pytest.approx(least_worst, rel=1e-6)
    least_cost = allocator.solve(inst, _only(cost=1)).objective
    assert df["cost_total"].iloc[0] == pytest.approx(least_cost, rel=1e-6)


def test_frontier_errors():
    inst = generate(5, 4, 3, seed=0)
    with pytest.raises(ValueError, match="unknown frontier"):
        frontier(inst, "gap-cost")
    with pytest.raises(ValueError, match="at least 2"):
        frontier(inst, points=1)
    with pytest.raises(ValueError, match="infeasible"):
        frontier(generate(5, 4, 3, seed=0, infeasible=True))
