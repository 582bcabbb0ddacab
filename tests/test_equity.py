"""Equity measures (allocator.solution.equity): Theil index and its decomposition, Lorenz curves,
distance from target, posts per 100,000 before and after; values worked out by hand."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import allocator
from allocator.solution import equity, measures

from .conftest import ROOT, TOYS


def data_and_x(path):
    inst = allocator.load_instance(path)
    d = allocator.problem_data(inst)
    res = allocator.solve(inst)
    return d, res.posts_array(d), res


# ---------------------------------------------------------------------------- theil


def test_theil_worked_example():
    """Two equal populations, posts per head 1 and 3: s = (1/4, 3/4), p̄ = 2,
    T = ¼ ln ½ + ¾ ln 1.5 (docs/measures.md)."""
    t = equity.theil(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    assert t["total"] == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))
    assert t["between"] == 0.0 and t["within"] == pytest.approx(t["total"])


def test_theil_zero_when_equal_and_scale_invariant():
    v = np.array([3.0, 1.0, 2.0])
    assert equity.theil(np.full(3, 7.0), v)["total"] == pytest.approx(0.0, abs=1e-15)
    p = np.array([1.0, 2.0, 5.0])
    assert equity.theil(10 * p, v)["total"] == pytest.approx(equity.theil(p, v)["total"])


def test_theil_all_posts_in_one_unit_is_log_of_its_inverse_need_share():
    v = np.array([1.0, 3.0])
    assert equity.theil(np.array([4.0, 0.0]), v)["total"] == pytest.approx(math.log(4.0))


def test_theil_drops_zero_weight_units_and_zero_posts_contribute_nothing():
    a = equity.theil(np.array([1.0, 3.0, 99.0]), np.array([1.0, 1.0, 0.0]))
    b = equity.theil(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    assert a == pytest.approx(b)
    assert equity.theil(np.zeros(3), np.ones(3)) == {"total": 0.0, "between": 0.0, "within": 0.0}


def test_theil_decomposition_is_exact():
    rng = np.random.default_rng(0)
    p, v = rng.uniform(0, 5, 40), rng.uniform(0.1, 3, 40)
    p[:3] = 0.0  # empty units
    groups = rng.integers(0, 6, 40)
    t = equity.theil(p, v, groups)
    assert t["total"] == pytest.approx(t["between"] + t["within"], rel=1e-12)
    assert t["between"] >= 0 and t["within"] >= 0
    # between is the Theil of the group means, weighted by group need
    gp = np.array([(v * p)[groups == g].sum() / v[groups == g].sum() for g in range(6)])
    gv = np.array([v[groups == g].sum() for g in range(6)])
    assert t["between"] == pytest.approx(equity.theil(gp, gv)["total"], rel=1e-12)


def test_theil_worked_decomposition():
    """Regions A (two cells, 1 and 3 posts per head) and B (one cell at 2), equal weights:
    p̄ = 2; between: A's mean is 2 = p̄, so 0; within = ¼ ln ½ + ¾ ln 1.5 over A, scaled by
    A's post share 4/6."""
    t = equity.theil(np.array([1.0, 3.0, 2.0]), np.ones(3), np.array(["A", "A", "B"]))
    inner = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    assert t["between"] == pytest.approx(0.0, abs=1e-15)
    assert t["within"] == pytest.approx(4 / 6 * inner)
    assert t["total"] == pytest.approx(1 / 6 * math.log(0.5) + 3 / 6 * math.log(1.5))


def test_theil_rejects_bad_input():
    with pytest.raises(ValueError):
        equity.theil(np.array([-1.0, 1.0]), np.ones(2))
    with pytest.raises(ValueError):
        equity.theil(np.ones(3), np.ones(2))


def test_theil_by_year_is_zero_at_fair_shares():
    d, _, _ = data_and_x(ROOT / "instances" / "toy" / "toy-3x2.json")
    th = equity.theil_by_year(d, d.target)
    assert list(th.columns) == ["year", "theil", "between_regions", "within_regions"]
    assert np.allclose(th[["theil", "between_regions", "within_regions"]].to_numpy(), 0.0, atol=1e-12)


def test_theil_by_year_on_england_regions():
    d, x, _ = data_and_x(ROOT / "instances" / "england-regions-2025.json")
    th = equity.theil_by_year(d, x)
    assert np.allclose(th["theil"], th["between_regions"] + th["within_regions"])
    before = equity.theil_by_year(d, np.repeat(d.baseline[:, :, None], len(d.years), axis=2))
    assert (th["theil"] < before["theil"]).all()  # moving toward fair shares lowers inequality
    assert th["theil"].is_monotonic_decreasing
    # against raw need, specialties' different posts per unit of need dominate: not 0 at target
    raw = equity.theil_by_year(d, d.target, basis="need")
    assert (raw["within_regions"] > 0.1).all()
    with pytest.raises(ValueError):
        equity.theil_by_year(d, x, basis="people")


# ---------------------------------------------------------------------------- lorenz


def test_lorenz_points_worked_example():
    """p = (3, 1), v = (1, 1): sorted (1, 3); need shares ½, 1; post shares ¼, 1."""
    lz = equity.lorenz_points(np.array([3.0, 1.0]), np.array([1.0, 1.0]))
    assert list(lz.columns) == ["need_share", "posts_share"]
    assert lz.to_numpy().tolist() == [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]


def test_lorenz_area_gives_the_weighted_gini():
    rng = np.random.default_rng(1)
    p, v = rng.uniform(0, 10, 12), rng.uniform(0.5, 4, 12)
    lz = equity.lorenz_points(p, v)
    need, posts = lz["need_share"].to_numpy(), lz["posts_share"].to_numpy()
    gini = 1 - np.sum(np.diff(need) * (posts[1:] + posts[:-1]))
    assert gini == pytest.approx(measures.weighted_gini(p, v))


def test_lorenz_by_year_has_baseline_and_every_year():
    d, x, _ = data_and_x(ROOT / "instances" / "toy" / "toy-3x2.json")
    lz = equity.lorenz_by_year(d, x)
    assert list(lz.columns) == ["year", "region", "need_share", "posts_share"]
    assert list(lz["year"].unique()) == [d.baseline_year, *d.years]
    R = len(d.regions)
    for _, g in lz.groupby("year"):
        assert len(g) == R + 1 and g["region"].isna().iloc[0]
        assert g["need_share"].iloc[-1] == pytest.approx(1) and g["posts_share"].iloc[-1] == pytest.approx(1)
        assert (np.diff(g["posts_share"]) >= -1e-12).all()
        assert (g["posts_share"] <= g["need_share"] + 1e-12).all()  # below the diagonal


# ----------------------------------------------------------------- distance, tables


def test_distance_from_target_sign_and_values():
    """toy-shrink: North (need 50) holds 28 in 2025: 100 · (28 − 50) / 50 = −44%."""
    d, x, _ = data_and_x(ROOT / "instances" / "toy" / "toy-shrink.json")
    dist = equity.distance_from_target(d, x)
    assert list(dist.columns) == ["region", "specialty", "year", "posts", "target", "distance_pct"]
    row = dist[(dist.region == "north") & (dist.year == 2025)].iloc[0]
    assert row.posts == pytest.approx(28) and row.distance_pct == pytest.approx(-44)
    by = equity.distance_from_target_by_region(d, x)
    assert list(by.columns) == ["region", "year", "posts", "target", "distance_pct"]
    assert by[(by.region == "south") & (by.year == 2025)].distance_pct.iloc[0] == pytest.approx(44)


def test_distance_is_nan_where_target_is_zero(base):
    base["need_weights"] = [{"region": "south", "specialty": "gp", "weight": 0}]
    d = allocator.problem_data(allocator.validate(base))
    dist = equity.distance_from_target(d, np.array([[[100.0]], [[0.0]]]))
    assert math.isnan(dist[dist.region == "south"].distance_pct.iloc[0])


def test_per_100k_table_before_is_baseline():
    d, x, _ = data_and_x(ROOT / "instances" / "toy" / "toy-2x1.json")
    tab = equity.per_100k_table(d, x)
    assert list(tab.columns) == ["region", "year", "before", "after"]
    # north: 20 posts / 300,000 → 6.67 per 100k before, 75 → 25 after
    north = tab[tab.region == "north"].iloc[0]
    assert north.before == pytest.approx(20 / 3) and north.after == pytest.approx(25)
    assert np.allclose(equity.per_100k(d, x), measures.posts_per_100k(d, x))


@pytest.mark.parametrize("path", TOYS, ids=lambda p: p.stem)
def test_equity_table_agrees_with_the_measures(path):
    d, x, res = data_and_x(path)
    tab = equity.equity_table(d, x)
    assert len(tab) == len(d.years)
    for col in ("gini", "gini_before", "theil", "theil_before", "between_regions", "within_regions"):
        assert col in tab.columns
    assert np.allclose(tab["gini"], res.kpis["gini"])
    assert np.allclose(tab["gini_before"], measures.baseline_kpis(d)["gini"])
    assert np.allclose(tab["max_cell_below_target_pct"], res.kpis["max_shortfall_pct"])
    assert np.allclose(tab["theil"], tab["between_regions"] + tab["within_regions"])
    assert (tab["max_below_target_pct"] >= 0).all()


def test_equity_table_names_the_region_most_below_target():
    d, x, _ = data_and_x(ROOT / "instances" / "toy" / "toy-shrink.json")
    tab = equity.equity_table(d, x)
    assert tab.most_below_region.tolist() == ["north", "north"]
    assert tab.max_below_target_pct.iloc[0] == pytest.approx(44)


def test_posts_array_is_by_label_and_equity_takes_a_result():
    """Result.posts_array aligns by label: a sorted allocation gives the same (R, S, Y) array,
    where reshaping the frame by hand would not; equity functions accept the Result itself."""
    d, x, res = data_and_x(ROOT / "instances" / "toy" / "toy-3x2.json")
    shuffled = dataclasses.replace(res, allocation=res.allocation.sort_values(["year", "posts"], ascending=False))
    np.testing.assert_array_equal(shuffled.posts_array(d), x)
    assert not np.array_equal(shuffled.allocation["posts"].to_numpy().reshape(d.shape), x)
    pd.testing.assert_frame_equal(equity.equity_table(d, shuffled), equity.equity_table(d, x))
    pd.testing.assert_frame_equal(equity.per_100k_table(d, shuffled), equity.per_100k_table(d, x))
    with pytest.raises(ValueError, match="no posts for 1 cell"):
        dataclasses.replace(res, allocation=res.allocation.iloc[1:]).posts_array(d)
    with pytest.raises(ValueError, match="repeats"):
        dataclasses.replace(res, allocation=pd.concat([res.allocation, res.allocation.iloc[:1]])).posts_array(d)
