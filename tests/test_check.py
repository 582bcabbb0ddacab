"""Tests of the independent solution checker (allocator/analysis/check.py).

Instances are small dicts validated inline; results are written by hand, with their targets
and measures worked out on paper in the comments.
"""

from __future__ import annotations

import copy
import json
import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.analysis.check import check
from allocator.analysis.check_report import CheckReport, Violation
from allocator.core.spec import DEFAULT_MODEL, ModelSpec, Objective
from allocator.core.validate import validate
from allocator.io.results import ResultFormatError

# Two regions (300k and 100k people), one specialty, baseline 20/80: the 100 posts follow
# need as 75/25 every year.
BASE = {
    "schema_version": 1,
    "name": "two-by-one",
    "baseline_year": 2024,
    "years": [2025],
    "regions": [
        {"id": "north", "population": 300000},
        {"id": "south", "population": 100000},
    ],
    "specialties": [{"id": "gp", "programme_years": 4}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 20},
        {"region": "south", "specialty": "gp", "posts": 80},
    ],
}
TARGET = {"north": 75.0, "south": 25.0}


def make(**changes):
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return validate(data)


def result(plan, status="optimal", **extra):
    """plan: {year: {region: posts}} for the one specialty gp, targets 75/25."""
    rows = [
        {"region": r, "specialty": "gp", "year": y, "posts": p, "target": TARGET[r]}
        for y, posts in plan.items()
        for r, p in posts.items()
    ]
    head = {"status": status, "model": "fair-share", "instance": "two-by-one"}
    return head | {"allocation": rows} | extra


def found(report: CheckReport):
    return [(v.constraint, v.region, v.specialty, v.year) for v in report.violations]


def only(report: CheckReport, constraint: str) -> list[Violation]:
    assert not report.ok
    assert {v.constraint for v in report.violations} == {constraint}, str(report)
    return report.violations


# --------------------------------------------------------------------------- passing


def test_hand_computed_solution_passes_with_objective_and_kpis():
    inst = make()
    # 75/25: north gains 55, south loses 55: 110 posts moved × 0.01 = 1.1; no gap left.
    kpis = [
        {
            "year": 2025,
            "gap_posts": 0.0,
            "gap_closed_pct": 100.0,
            "gini": 0.0,  # 25 posts per 100k in both regions
            "max_shortfall_pct": 0.0,
            "posts_moved": 55.0,
            "cost": 0.0,
        }
    ]
    res = result({2025: {"north": 75, "south": 25}}, objective=1.1, kpis=kpis)
    report = check(inst, res, model=DEFAULT_MODEL)
    assert report.ok, str(report)
    assert report.checked
    assert report.objective == pytest.approx(1.1)
    assert "OK" in str(report)
    assert report.to_dict()["ok"] is True


def test_baseline_kept_hand_computed_gini_and_objective():
    inst = make()
    # x = baseline 20/80. G0 = G = 55 + 55 = 110, closed 0 %.
    # p = 1e5·20/3e5 = 6.667 and 1e5·80/1e5 = 80; v = 3e5, 1e5; p̄ = (2e6 + 8e6)/4e5 = 25.
    # gini = 2·3e5·1e5·73.333 / (2·(4e5)²·25) = 4.4e12 / 8e12 = 0.55.
    # max shortfall: north 100·55/75 = 73.333 %. Objective: 55 + 55 = 110, no moves.
    kpis = [
        {
            "year": 2025,
            "gap_posts": 110.0,
            "gap_closed_pct": 0.0,
            "gini": 0.55,
            "max_shortfall_pct": 100 * 55 / 75,
            "posts_moved": 0.0,
            "cost": 0.0,
        }
    ]
    res = result({2025: {"north": 20, "south": 80}}, objective=110.0, kpis=kpis)
    report = check(inst, res, model=DEFAULT_MODEL)
    assert report.ok, str(report)
    # equity-first weighting: 55·1 + 55·0.5 + 50·73.333 = 3749.1667 (z counted as q > 0)
    equity = ModelSpec(
        name="equity",
        objective=Objective(shortfall=1, surplus=0.5, moves=0.01, worst_shortfall=50),
    )
    res["objective"] = 55 + 27.5 + 50 * 100 * 55 / 75
    assert check(inst, res, model=equity).ok


def test_two_years_moves_are_year_on_year():
    inst = make(years=[2025, 2026])
    # 2025: 50/50 (north +30, south −30); 2026: 75/25 (north +25, south −25).
    # moves 2·(30 + 25) = 110 → 1.1; gap 2025: 25 + 25 = 50; total objective 51.1.
    kpis = [
        {
            "year": 2025,
            "gap_posts": 50.0,
            "gap_closed_pct": 100 * (1 - 50 / 110),
            "gini": None,  # replaced below from the report
            "max_shortfall_pct": 100 * 25 / 75,
            "posts_moved": 30.0,
            "cost": 0.0,
        },
        {
            "year": 2026,
            "gap_posts": 0.0,
            "gap_closed_pct": 100.0,
            "gini": 0.0,
            "max_shortfall_pct": 0.0,
            "posts_moved": 25.0,
            "cost": 0.0,
        },
    ]
    # gini 2025: p = 16.667, 50; p̄ = 25; 2·3e5·1e5·33.333/(2·1.6e11·25) = 0.25
    kpis[0]["gini"] = 0.25
    res = result(
        {2025: {"north": 50, "south": 50}, 2026: {"north": 75, "south": 25}},
        objective=51.1,
        kpis=kpis,
    )
    report = check(inst, res, model=DEFAULT_MODEL)
    assert report.ok, str(report)


def test_within_tolerance_passes():
    inst = make(capacity=[{"region": "north", "specialty": "gp", "max_posts": 75}])
    res = result({2025: {"north": 75 + 5e-5, "south": 25 - 5e-5}})
    assert check(inst, res).ok  # over by 5e-5, allowance 1e-6 · max(1, 75) = 7.5e-5
    res = result({2025: {"north": 75 + 1e-3, "south": 25 - 1e-3}})
    assert found(check(inst, res)) == [("capacity", "north", "gp", 2025)]
    assert check(inst, res, tol=1e-4).ok


# --------------------------------------------------------------------------- §5 families


def test_national_total():
    inst = make()
    report = check(inst, result({2025: {"north": 75, "south": 26}}))
    (v,) = only(report, "national_total")
    assert (v.specialty, v.year, v.region) == ("gp", 2025, None)
    assert v.amount == pytest.approx(1)
    assert "101" in v.message and "100" in v.message


def test_capacity_max():
    inst = make(capacity=[{"region": "north", "specialty": "gp", "max_posts": 70}])
    report = check(inst, result({2025: {"north": 75, "south": 25}}))
    (v,) = only(report, "capacity")
    assert (v.region, v.specialty, v.year) == ("north", "gp", 2025)
    assert v.amount == pytest.approx(5)
    assert v.message == "capacity: north/gp/2025: 75 posts above max_posts 70 by 5"


def test_capacity_year_specific_and_all_entries_hold():
    inst = make(
        years=[2025, 2026],
        capacity=[
            {"region": "north", "specialty": "gp", "max_posts": 80},
            {"region": "north", "specialty": "gp", "year": 2025, "max_posts": 74},
            {"region": "south", "specialty": "gp", "year": 2026, "min_posts": 30},
        ],
    )
    plan = {2025: {"north": 75, "south": 25}, 2026: {"north": 75, "south": 25}}
    report = check(inst, result(plan))
    only(report, "capacity")
    assert sorted(found(report)) == [
        ("capacity", "north", "gp", 2025),
        ("capacity", "south", "gp", 2026),
    ]
    amounts = {v.region: v.amount for v in report.violations}
    assert amounts == {"north": pytest.approx(1), "south": pytest.approx(5)}
    assert "below min_posts 30 by 5" in report.violations[1].message


def test_lock():
    inst = make(locks=[{"region": "north", "specialty": "gp", "year": 2025, "posts": 70}])
    (v,) = only(check(inst, result({2025: {"north": 75, "south": 25}})), "lock")
    assert (v.region, v.specialty, v.year, v.amount) == ("north", "gp", 2025, 5)
    assert check(inst, result({2025: {"north": 70, "south": 30}})).ok


def test_growth_limit_with_allowance():
    # north may grow by 0.5 · 20 + 2 = 12 posts
    inst = make(transition={"max_growth_rate": 0.5, "growth_allowance": 2})
    assert check(inst, result({2025: {"north": 32, "south": 68}})).ok
    (v,) = only(check(inst, result({2025: {"north": 33, "south": 67}})), "growth_limit")
    assert (v.region, v.specialty, v.year) == ("north", "gp", 2025)
    assert v.amount == pytest.approx(1)
    assert "growth_allowance 2" in v.message


def test_growth_limit_second_year_uses_previous_year():
    inst = make(years=[2025, 2026], transition={"max_growth_rate": 0.5})
    # 2025: 20 → 30 (limit 10, ok); 2026: 30 → 46 (limit 15, over by 1)
    plan = {2025: {"north": 30, "south": 70}, 2026: {"north": 46, "south": 54}}
    (v,) = only(check(inst, result(plan)), "growth_limit")
    assert (v.year, v.amount) == (2026, pytest.approx(1))


def test_shrink_limit():
    inst = make(transition={"max_shrink_rate": 0.1})  # south may lose 8
    assert check(inst, result({2025: {"north": 28, "south": 72}})).ok
    (v,) = only(check(inst, result({2025: {"north": 29, "south": 71}})), "shrink_limit")
    assert (v.region, v.year, v.amount) == ("south", 2025, pytest.approx(1))


def test_programme_shrink():
    inst = make(years=[2025, 2026], transition={"shrink_by_programme_length": True})
    # programme_years 4: south may lose 80/4 = 20, then 60/4 = 15
    plan = {2025: {"north": 40, "south": 60}, 2026: {"north": 55, "south": 45}}
    assert check(inst, result(plan)).ok
    plan = {2025: {"north": 41, "south": 59}, 2026: {"north": 57, "south": 43}}
    report = check(inst, result(plan))
    only(report, "programme_shrink")
    assert found(report) == [
        ("programme_shrink", "south", "gp", 2025),
        ("programme_shrink", "south", "gp", 2026),
    ]
    # 2026: from 59, limit 14.75, loses 16
    assert report.violations[1].amount == pytest.approx(16 - 59 / 4)


def test_programme_shrink_off_by_default():
    inst = make()
    assert check(inst, result({2025: {"north": 75, "south": 25}})).ok


def test_region_net_loss():
    inst = make(transition={"max_region_net_loss_rate": 0.5})  # south may lose 40 net
    (v,) = only(check(inst, result({2025: {"north": 75, "south": 25}})), "region_net_loss")
    assert (v.region, v.specialty, v.year) == ("south", None, 2025)
    assert v.amount == pytest.approx(15)
    assert check(inst, result({2025: {"north": 60, "south": 40}})).ok


def test_region_net_loss_nets_gains_across_specialties():
    data = copy.deepcopy(BASE)
    data["specialties"].append({"id": "psych"})
    data["baseline_posts"] += [
        {"region": "north", "specialty": "psych", "posts": 75},
        {"region": "south", "specialty": "psych", "posts": 25},
    ]
    data["transition"] = {"max_region_net_loss_rate": 0.0}
    inst = validate(data)

    def rows(north_gp, north_psych):
        plan = {
            ("north", "gp"): north_gp,
            ("south", "gp"): 100 - north_gp,
            ("north", "psych"): north_psych,
            ("south", "psych"): 100 - north_psych,
        }
        return {
            "status": "optimal",
            "allocation": [
                {"region": r, "specialty": s, "year": 2025, "posts": p, "target": TARGET[r]}
                for (r, s), p in plan.items()
            ],
        }

    # north: gp +10, psych −10: net 0 in both regions, passes with rate 0
    assert check(inst, rows(30, 65)).ok
    # north gp +10, psych −5: south loses 5 net out of 105
    (v,) = only(check(inst, rows(30, 70)), "region_net_loss")
    assert (v.region, v.amount) == ("south", pytest.approx(5))


def test_national_moves():
    inst = make(transition={"max_national_moves": 50})
    (v,) = only(check(inst, result({2025: {"north": 75, "south": 25}})), "national_moves")
    assert (v.region, v.specialty, v.year, v.amount) == (None, None, 2025, pytest.approx(5))
    assert check(inst, result({2025: {"north": 70, "south": 30}})).ok


def test_national_moves_zero_limit_tolerance():
    # a row summing n cells may be off by tol · max(1, |rhs|, n): here n = 2, rhs = 0
    inst = make(transition={"max_national_moves": 0})
    assert check(inst, result({2025: {"north": 20 + 1e-7, "south": 80 - 1e-7}})).ok
    (v,) = only(check(inst, result({2025: {"north": 20.01, "south": 79.99}})), "national_moves")
    assert v.amount == pytest.approx(0.01)


def test_budget():
    inst = make(
        cost_per_post=[
            {"region": "north", "specialty": "gp", "cost": 2.0},
            {"region": "south", "specialty": "gp", "cost": 1.0},
        ],
        budget=[{"year": 2025, "amount": 150}],
    )
    # cost 75·2 + 25·1 = 175
    (v,) = only(check(inst, result({2025: {"north": 75, "south": 25}})), "budget")
    assert (v.year, v.amount) == (2025, pytest.approx(25))
    assert v.message == "budget: 2025: cost 175 above budget 150 by 25"
    assert check(inst, result({2025: {"north": 50, "south": 50}})).ok


# --------------------------------------------------------------------------- result format


def test_wrong_target():
    inst = make()
    res = result({2025: {"north": 75, "south": 25}})
    res["allocation"][0]["target"] = 70
    (v,) = only(check(inst, res), "target")
    assert (v.region, v.specialty, v.year, v.amount) == ("north", "gp", 2025, 5)


def test_missing_target():
    inst = make()
    res = result({2025: {"north": 75, "south": 25}})
    del res["allocation"][1]["target"]
    (v,) = only(check(inst, res), "target")
    assert v.region == "south"


def test_missing_cell():
    inst = make()
    report = check(inst, result({2025: {"north": 75}}))
    (v,) = only(report, "allocation")
    assert (v.region, v.specialty, v.year) == ("south", "gp", 2025)
    assert "missing" in v.message
    assert any("national_total" in n for n in report.notes)  # its row was not checked


def test_duplicate_cell():
    inst = make()
    res = result({2025: {"north": 75, "south": 25}})
    res["allocation"].append(dict(res["allocation"][1]))
    (v,) = only(check(inst, res), "allocation")
    assert (v.region, v.year) == ("south", 2025)
    assert "more than once" in v.message


def test_unknown_region_specialty_and_year():
    inst = make()
    res = result({2025: {"north": 75, "south": 25}})
    res["allocation"] += [
        {"region": "west", "specialty": "gp", "year": 2025, "posts": 0, "target": 0},
        {"region": "north", "specialty": "ent", "year": 2025, "posts": 0, "target": 0},
        {"region": "north", "specialty": "gp", "year": 2031, "posts": 0, "target": 0},
    ]
    report = check(inst, res)
    only(report, "allocation")
    assert [v.region for v in report.violations] == ["west", "north", "north"]
    assert "unknown region 'west'" in report.violations[0].message
    assert "unknown specialty 'ent'" in report.violations[1].message
    assert "2031" in report.violations[2].message


def test_negative_and_non_finite_posts():
    inst = make()
    report = check(inst, result({2025: {"north": 101, "south": -1}}))
    (v,) = only(report, "allocation")
    assert (v.region, v.amount) == ("south", 1)
    report = check(inst, result({2025: {"north": 75, "south": float("nan")}}))
    (v,) = only(report, "allocation")
    assert "not a finite number" in v.message
    report = check(inst, result({2025: {"north": 75, "south": "25"}}))
    only(report, "allocation")


def test_wrong_objective():
    inst = make()
    res = result({2025: {"north": 75, "south": 25}}, objective=2.0)
    (v,) = only(check(inst, res, model=DEFAULT_MODEL), "objective")
    assert v.amount == pytest.approx(0.9)
    assert "recomputed 1.1" in v.message
    assert check(inst, res).ok  # no model: the objective is not checked


def test_objective_not_compared_unless_optimal():
    inst = make()
    res = result({2025: {"north": 75, "south": 25}}, status="time_limit", objective=2.0)
    report = check(inst, res, model=DEFAULT_MODEL)
    assert report.ok and report.checked
    assert any("objective not compared" in n for n in report.notes)


def test_objective_with_cost_weight():
    inst = make(cost_per_post=[{"region": "north", "specialty": "gp", "cost": 3.0}])
    model = DEFAULT_MODEL.with_weights(cost=0.1)
    # 1.1 moves + 0.1 · 3 · 75 = 23.6
    res = result({2025: {"north": 75, "south": 25}}, objective=23.6)
    assert check(inst, res, model=model).ok


def test_wrong_kpi():
    inst = make()
    kpis = [
        {
            "year": 2025,
            "gap_posts": 0.0,
            "gap_closed_pct": 100.0,
            "gini": 0.1,
            "max_shortfall_pct": 0.0,
            "posts_moved": 55.0,
            "cost": 0.0,
        }
    ]
    res = result({2025: {"north": 75, "south": 25}}, kpis=kpis)
    (v,) = only(check(inst, res), "kpi")
    assert (v.year, v.amount) == (2025, pytest.approx(0.1))
    assert "gini" in v.message
    # a year without its row, and a missing measure
    res["kpis"] = [{"year": 2025, "gap_posts": 0.0}]
    report = check(inst, res)
    assert len(only(report, "kpi")) == 5
    res["kpis"] = []
    (v,) = only(check(inst, res), "kpi")
    assert "no kpis row" in v.message


# --------------------------------------------------------------------------- statuses, inputs


@pytest.mark.parametrize("status", ["infeasible", "unbounded", "error"])
def test_nothing_to_check(status):
    report = check(make(), {"status": status, "diagnosis": "…"})
    assert report.ok and not report.checked
    assert "nothing to check" in str(report)


def test_time_limit_without_solution_is_nothing_to_check():
    report = check(make(), {"status": "time_limit", "allocation": []})
    assert report.ok and not report.checked


def test_optimal_without_allocation_fails():
    (v,) = only(check(make(), {"status": "optimal", "objective": 0}), "allocation")
    assert "no allocation" in v.message


def test_unknown_status():
    res = result({2025: {"north": 75, "south": 25}}, status="solved")
    (v,) = only(check(make(), res), "status")
    assert "'solved'" in v.message


def test_result_from_path_and_to_dict(tmp_path):
    inst = make()
    res = result({2025: {"north": 75, "south": 25}})
    path = tmp_path / "result.json"
    path.write_text(json.dumps(res))
    assert check(inst, path).ok
    assert check(inst, str(path)).ok

    class Result:
        def to_dict(self):
            return res

    assert check(inst, Result()).ok
    with pytest.raises(ResultFormatError):
        check(inst, tmp_path / "absent.json")
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ResultFormatError):
        check(inst, tmp_path / "bad.json")


def test_check_command_exit_codes(tmp_path):
    from typer.testing import CliRunner

    from allocator.cli.main import app

    def run(*args):
        return CliRunner().invoke(app, ["check", *map(str, args)])

    inst_path = tmp_path / "inst.json"
    inst_path.write_text(json.dumps(BASE))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(result({2025: {"north": 75, "south": 25}})))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(result({2025: {"north": 75, "south": 26}})))
    ok = run(inst_path, good)
    assert ok.exit_code == 0 and "OK" in ok.stdout
    broken = run(inst_path, bad)
    assert broken.exit_code == 1 and "national_total: gp/2025" in broken.stdout
    for args in [(inst_path, tmp_path / "absent.json"), (tmp_path / "absent-instance.json", good)]:
        failed = run(*args)
        assert failed.exit_code == 2 and "error:" in failed.stderr and "absent" in failed.stderr


def test_report_to_dict_and_str_are_readable():
    inst = make(capacity=[{"region": "north", "specialty": "gp", "max_posts": 70}])
    report = check(inst, result({2025: {"north": 75, "south": 25}}))
    d = report.to_dict()
    assert d["ok"] is False and d["counts"] == {"capacity": 1}
    assert d["violations"][0]["constraint"] == "capacity"
    json.dumps(d)
    text = str(report)
    assert text.startswith("check (status optimal): FAILED: 1 violation")
    assert "capacity: north/gp/2025: 75 posts above max_posts 70" in text


# --------------------------------------------------------------------------- properties, speed


def hand_targets(data):
    """T[r,s,t] from FORMULATION §3 with §2 defaults, written again for the tests."""
    pop = {(p["region"], p["year"]): p["population"] for p in data.get("population_by_year", [])}
    weight = {(w["region"], w["specialty"]): w["weight"] for w in data.get("need_weights", [])}
    base = {(b["region"], b["specialty"]): b["posts"] for b in data["baseline_posts"]}
    national = {(n["specialty"], n["year"]): n["posts"] for n in data.get("national_posts", [])}
    out = {}
    for s in data["specialties"]:
        sid = s["id"]
        default_n = sum(base.get((r["id"], sid), 0) for r in data["regions"])
        for t in data["years"]:
            need = {
                r["id"]: pop.get((r["id"], t), r["population"])
                * r.get("need_index", 1.0)
                * weight.get((r["id"], sid), 1.0)
                for r in data["regions"]
            }
            total = sum(need.values())
            n_st = national.get((sid, t), default_n)
            for rid, d in need.items():
                out[rid, sid, t] = n_st * d / total if total > 0 else 0.0
    return out


@st.composite
def instances(draw):
    nr = draw(st.integers(1, 4))
    ns = draw(st.integers(1, 3))
    ny = draw(st.integers(1, 3))
    posts = st.integers(0, 200)
    regions = [
        {
            "id": f"r{i}",
            "population": draw(st.integers(1, 10**6)),
            "need_index": draw(st.floats(0.1, 3.0)),
        }
        for i in range(nr)
    ]
    specialties = [{"id": f"s{j}"} for j in range(ns)]
    years = [2025 + h for h in range(ny)]
    baseline = [
        {"region": f"r{i}", "specialty": f"s{j}", "posts": draw(posts)}
        for i in range(nr)
        for j in range(ns)
        if draw(st.booleans())
    ]
    data = {
        "schema_version": 1,
        "name": "random",
        "baseline_year": 2024,
        "years": years,
        "regions": regions,
        "specialties": specialties,
        "baseline_posts": baseline,
    }
    if draw(st.booleans()):
        data["national_posts"] = [
            {"specialty": f"s{j}", "year": t, "posts": draw(posts)} for j in range(ns) for t in years
        ]
    if draw(st.booleans()):
        data["population_by_year"] = [
            {"region": f"r{i}", "year": t, "population": draw(st.integers(1, 10**6))} for i in range(nr) for t in years
        ]
    if draw(st.booleans()):
        data["need_weights"] = [
            {"region": f"r{i}", "specialty": f"s{j}", "weight": draw(st.floats(0.1, 2.0))}
            for i in range(nr)
            for j in range(ns)
        ]
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_property_targets_as_allocation_pass(data):
    inst = validate(data)
    targets = hand_targets(data)
    rows = [{"region": r, "specialty": s, "year": t, "posts": v, "target": v} for (r, s, t), v in targets.items()]
    res = {"status": "optimal", "allocation": rows}
    report = check(inst, res)
    assert report.ok, str(report)
    for m in report.kpis.values():
        assert m["gap_posts"] == pytest.approx(0, abs=1e-9)
        assert m["max_shortfall_pct"] == pytest.approx(0, abs=1e-9)
        assert 0 <= m["gini"] <= 1
    # the recomputed measures, reported back, pass too
    res["kpis"] = [{"year": y, **m} for y, m in report.kpis.items()]
    assert check(inst, res).ok


def test_large_instance_is_quick():
    rng = np.random.default_rng(7)
    nr, ns, ny = 42, 65, 10
    years = list(range(2025, 2025 + ny))
    data = {
        "schema_version": 1,
        "name": "big",
        "baseline_year": 2024,
        "years": years,
        "regions": [{"id": f"r{i}", "population": float(rng.integers(10**5, 10**7))} for i in range(nr)],
        "specialties": [{"id": f"s{j}", "programme_years": 3} for j in range(ns)],
        "baseline_posts": [
            {"region": f"r{i}", "specialty": f"s{j}", "posts": float(rng.integers(0, 300))}
            for i in range(nr)
            for j in range(ns)
        ],
        "capacity": [{"region": f"r{i}", "specialty": f"s{j}", "max_posts": 1e6} for i in range(nr) for j in range(ns)],
        "transition": {
            "max_growth_rate": 1.0,  # a rate is a fraction (v3 §2); the allowance keeps it loose
            "growth_allowance": 1000,
            "max_shrink_rate": 1.0,
            "shrink_by_programme_length": True,
            "max_region_net_loss_rate": 1.0,
            "max_national_moves": 1e9,
        },
    }
    inst = validate(data)
    targets = hand_targets(data)
    rows = [{"region": r, "specialty": s, "year": t, "posts": v, "target": v} for (r, s, t), v in targets.items()]
    start = time.perf_counter()
    report = check(inst, {"status": "optimal", "allocation": rows}, model=DEFAULT_MODEL)
    elapsed = time.perf_counter() - start
    # programme_shrink (x_prev / 3) is violated where a cell drops by more than a third
    assert set(report.counts()) <= {"programme_shrink"}
    assert elapsed < 5, f"check took {elapsed:.1f}s"
    assert math.isfinite(sum(m["gap_posts"] for m in report.kpis.values()))
