"""Properties that must hold on every generated instance (hypothesis).

- every solution passes the independent checker (national totals kept, capacity and locks
  respected, every transition limit held, objective and measures recomputed);
- renaming and reordering regions and specialties changes nothing;
- raising a capacity never worsens the optimum; tightening a transition limit never improves it;
- the three backends agree on the optimum (in test_backends.py).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allocator
from allocator.analysis.check import check
from allocator.core.validate import validate
from allocator.study.generate import generate

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw, max_regions=6, max_specialties=4, max_years=3):
    """Generated instances, with a random subset of the transition limits and extras."""
    R = draw(st.integers(2, max_regions))
    S = draw(st.integers(1, max_specialties))
    Y = draw(st.integers(1, max_years))
    seed = draw(st.integers(0, 10_000))
    data = generate(R, S, Y, seed=seed).to_dict()
    tr = data["transition"]
    for key in ("max_growth_rate", "max_shrink_rate", "max_region_net_loss_rate", "max_national_moves"):
        if draw(st.booleans()):
            tr.pop(key)
            if key == "max_growth_rate":
                tr.pop("growth_allowance", None)
    if draw(st.booleans()):
        tr["shrink_by_programme_length"] = True
    if draw(st.booleans()):
        data.pop("budget")
    if draw(st.booleans()):  # lock one cell at its baseline in the first year
        b = data["baseline_posts"][draw(st.integers(0, R * S - 1))]
        data["locks"] = [
            {"region": b["region"], "specialty": b["specialty"], "year": data["years"][0], "posts": b["posts"]}
        ]
    return validate(data)


def near(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@SETTINGS
@given(instances(), st.sampled_from(["fair-share", "equity-first", "minimal-disruption", "cost-aware"]))
def test_every_solution_passes_checker(inst, model_name):
    from allocator.core.spec import load_model

    from .conftest import ROOT

    spec = load_model(ROOT / "models" / f"{model_name}.toml")
    res = allocator.solve(inst, spec)
    if res.status == "infeasible":
        assert res.diagnosis["findings"]
        return
    assert res.status == "optimal"
    report = check(inst, res, model=spec)
    assert report.ok, str(report)


@SETTINGS
@given(instances(), st.randoms(use_true_random=False))
def test_renaming_and_reordering_changes_nothing(inst, rnd: random.Random):
    res = allocator.solve(inst)
    data = inst.to_dict()
    rmap = {r["id"]: f"region-{rnd.randrange(10**9)}-{i}" for i, r in enumerate(data["regions"])}
    smap = {s["id"]: f"spec-{rnd.randrange(10**9)}-{i}" for i, s in enumerate(data["specialties"])}
    for key, rows in data.items():
        if not isinstance(rows, list) or key == "years":
            continue
        for row in rows:
            if not isinstance(row, dict):
                continue
            if key == "regions":
                row["id"] = rmap[row["id"]]
            elif key == "specialties":
                row["id"] = smap[row["id"]]
            if "region" in row:
                row["region"] = rmap[row["region"]]
            if "specialty" in row:
                row["specialty"] = smap[row["specialty"]]
        rnd.shuffle(rows)
    other = allocator.solve(validate(data))
    assert other.status == res.status
    if res.status == "optimal":
        assert near(other.objective, res.objective)
        # same targets cell by cell under the new names
        a = res.allocation.assign(region=res.allocation.region.map(rmap), specialty=res.allocation.specialty.map(smap))
        b = other.allocation
        merged = a.merge(b, on=["region", "specialty", "year"], suffixes=("", "_b"))
        assert len(merged) == len(a)
        assert ((merged.target - merged.target_b).abs() <= 1e-9 * (1 + merged.target.abs())).all()


@SETTINGS
@given(instances(), st.data())
def test_more_capacity_never_worsens_the_optimum(inst, data):
    res = allocator.solve(inst)
    if res.status != "optimal" or not inst.capacity:
        return
    d = inst.to_dict()
    i = data.draw(st.integers(0, len(d["capacity"]) - 1))
    cap = d["capacity"][i]
    cap["min_posts"] = cap.get("min_posts", 0) * data.draw(st.floats(0, 1))
    if "max_posts" in cap:
        cap["max_posts"] += data.draw(st.floats(0, 50))
    wider = allocator.solve(validate(d))
    assert wider.status == "optimal"
    assert wider.objective <= res.objective + 1e-6 * max(1.0, abs(res.objective))


@SETTINGS
@given(
    instances(),
    st.sampled_from(
        ["max_growth_rate", "growth_allowance", "max_shrink_rate", "max_region_net_loss_rate", "max_national_moves"]
    ),
    st.floats(0.0, 1.0),
)
def test_tighter_transition_never_improves_the_optimum(inst, key, factor):
    res = allocator.solve(inst)
    d = inst.to_dict()
    tr = d.setdefault("transition", {})
    if res.status != "optimal" or key not in tr:
        return
    tr[key] = tr[key] * factor
    tighter = allocator.solve(validate(d))
    if tighter.status == "infeasible":
        return  # tightening may make it infeasible: that is never an improvement
    assert tighter.status == "optimal"
    assert tighter.objective >= res.objective - 1e-6 * max(1.0, abs(res.objective))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generator_is_deterministic_and_feasible(seed):
    a, b = generate(7, 10, 5, seed=seed), generate(7, 10, 5, seed=seed)
    assert a == b
    res = allocator.solve(a)
    assert res.status == "optimal"
    assert generate(7, 10, 5, seed=seed, infeasible=True) != a
    assert allocator.solve(generate(7, 10, 5, seed=seed, infeasible=True)).status == "infeasible"


@pytest.mark.parametrize(
    "size", [(7, 10, 5), (42, 20, 5), (42, 65, 10), pytest.param((200, 65, 10), marks=pytest.mark.slow)]
)
def test_generator_makes_the_benchmark_sizes(size):
    """The four benchmark sizes (small, medium, national, trust-scale) are valid and pass the
    cheap feasibility checks; baselines sum to the national totals' starting point."""
    from allocator.core.data import problem_data
    from allocator.model.presolve import presolve_findings

    R, S, Y = size
    inst = generate(R, S, Y, seed=1)
    d = problem_data(inst)
    assert d.shape == size
    assert presolve_findings(d) == []
    assert (d.min_posts <= d.baseline[:, :, None]).all() and (d.baseline[:, :, None] <= d.max_posts).all()
