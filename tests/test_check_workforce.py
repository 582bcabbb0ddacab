"""Tests of the independent checker's workforce pipeline (FORMULATION §10) and teams (§11):
``allocator/analysis/check_workforce.py`` hooked into ``check()``.

Instances are small dicts validated inline; their completions, joiners, stocks and fair stocks
are worked out on paper in the comments, and results are dicts written by hand (no solver).
The model side's ``core.workforce`` is used only as a second opinion on random instances.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import numpy as np
import pytest

from allocator.analysis.check import check
from allocator.analysis.check_tables import _Tables
from allocator.analysis.check_workforce import Workforce
from allocator.core.spec import DEFAULT_MODEL, ModelSpec, Objective
from allocator.core.validate import validate
from allocator.io.results import result_problems

R = ("north", "south")

# --------------------------------------------------------------------------- instance A
#
# Two regions (300k and 100k: need shares 0.75 / 0.25), one specialty gp, baseline 10 / 30,
# planning years 2025 and 2026, horizon 2028. Delays 1 and 2 years, half each; settle 0.5,
# leave 0.1, completion, join and fill 1, mobility "need", stock 10 in each region.
#
# Plan: 2025 20 / 20, 2026 30 / 10 (2027 and 2028 hold 30 / 10; up to 2024: 10 / 30).
#   C[u] = 0.5·I[u−1] + 0.5·I[u−2]:
#     2025: 0.5·(10,30) + 0.5·(10,30) = (10, 30)
#     2026: 0.5·(20,20) + 0.5·(10,30) = (15, 25)
#     2027: 0.5·(30,10) + 0.5·(20,20) = (25, 15)
#     2028: 0.5·(30,10) + 0.5·(30,10) = (30, 10)
#   Σ_r C = 40 every year, so A = 0.5·C + 0.5·(0.75, 0.25)·40 = 0.5·C + (15, 5):
#     (20, 20), (22.5, 17.5), (27.5, 12.5), (30, 10)
#   S = 0.9·S_prev + A from (10, 10):
#     2025: (9 + 20, 9 + 20)                 = (29, 29)
#     2026: (26.1 + 22.5, 26.1 + 17.5)       = (48.6, 43.6)
#     2027: (43.74 + 27.5, 39.24 + 12.5)     = (71.24, 51.74)
#     2028: (64.116 + 30, 46.566 + 10)       = (94.116, 56.566)
#   S* = (0.75, 0.25)·Σ S: 58 → (43.5, 14.5); 92.2 → (69.15, 23.05);
#        122.98 → (92.235, 30.745); 150.682 → (113.0115, 37.6705)
A = {
    "schema_version": 2,
    "name": "pipe-a",
    "baseline_year": 2024,
    "years": [2025, 2026],
    "regions": [{"id": "north", "population": 300000}, {"id": "south", "population": 100000}],
    "specialties": [{"id": "gp"}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 10},
        {"region": "south", "specialty": "gp", "posts": 30},
    ],
    "pipeline": {
        "horizon_year": 2028,
        "specialties": [
            {
                "specialty": "gp",
                "delay_years": [1, 2],
                "delay_shares": [0.5, 0.5],
                "settle_rate": 0.5,
                "leave_rate": 0.1,
            }
        ],
        "stock": [
            {"region": "north", "specialty": "gp", "headcount": 10},
            {"region": "south", "specialty": "gp", "headcount": 10},
        ],
    },
}
PLAN_A = {2025: (20, 20), 2026: (30, 10)}
TARGET_A = (30.0, 10.0)  # 40 posts at need shares 0.75 / 0.25, both years
HAND_A = {  # year: (completions, joiners, stock, fair_stock), each (north, south)
    2025: ((10, 30), (20, 20), (29, 29), (43.5, 14.5)),
    2026: ((15, 25), (22.5, 17.5), (48.6, 43.6), (69.15, 23.05)),
    2027: ((25, 15), (27.5, 12.5), (71.24, 51.74), (92.235, 30.745)),
    2028: ((30, 10), (30, 10), (94.116, 56.566), (113.0115, 37.6705)),
}
# Assessed 2028 (the default): gap 2·18.8955 = 37.791; shortfall north 100·18.8955/113.0115;
# p = 1e5·S/v = (31.372, 56.566), p̄ = 150.682 / 4 = 37.6705,
# gini = 2·3e5·1e5·25.194 / (2·(4e5)²·37.6705) = 75.582 / 602.728.
KPIS_A = {2028: (37.791, 75.582 / 602.728, 100 * 18.8955 / 113.0115)}


def instance(base: dict, **changes):
    data = copy.deepcopy(base)
    data.update(copy.deepcopy(changes))
    return validate(data)


def allocation(plan: dict, targets: dict, specialty: str = "gp") -> list[dict]:
    return [
        {"region": r, "specialty": specialty, "year": y, "posts": float(p), "target": float(targets[y][i])}
        for y, posts in plan.items()
        for i, (r, p) in enumerate(zip(R, posts, strict=True))
    ]


def supply_rows(hand: dict) -> list[dict]:
    rows = []
    for year, values in hand.items():
        for i, r in enumerate(R):
            c, a, s, f = (float(v[i]) for v in values)
            rows.append(
                {
                    "region": r,
                    "specialty": "gp",
                    "year": year,
                    "completions": c,
                    "joiners": a,
                    "stock": s,
                    "fair_stock": f,
                }
            )
    return rows


def kpi_rows(kpis: dict) -> list[dict]:
    return [
        {"year": y, "supply_gap": g, "supply_gini": gini, "supply_max_shortfall_pct": pct}
        for y, (g, gini, pct) in kpis.items()
    ]


def result_a(**extra) -> dict:
    targets = dict.fromkeys(PLAN_A, TARGET_A)
    out = {
        "status": "optimal",
        "instance": "pipe-a",
        "allocation": allocation(PLAN_A, targets),
        "supply": supply_rows(HAND_A),
        "supply_kpis": kpi_rows(KPIS_A),
    }
    return out | extra


def posts(plan: dict, ns: int = 1) -> np.ndarray:
    x = np.zeros((2, ns, len(plan)))
    for h, values in enumerate(plan.values()):
        x[:, 0, h] = values
    return x


def found(report) -> list[tuple]:
    return [(v.constraint, v.team, v.region, v.specialty, v.year) for v in report.violations]


# --------------------------------------------------------------------------- the recursion


def test_instance_a_recomputed_as_by_hand():
    wf = Workforce(_Tables(instance(A)))
    assert wf.years == [2025, 2026, 2027, 2028] and wf.assess == [2028]
    supply = wf.forward(posts(PLAN_A))
    for e, year in enumerate(wf.years):
        for k, name in enumerate(("completions", "joiners", "stock", "fair_stock")):
            assert supply[name][:, 0, e] == pytest.approx(HAND_A[year][k], abs=1e-9), (year, name)
    measures = wf.supply_measures(supply)
    assert list(measures) == [2028]
    assert tuple(measures[2028].values()) == pytest.approx(KPIS_A[2028], abs=1e-9)


def test_instance_a_hand_result_passes():
    report = check(instance(A), result_a(), model=ModelSpec(name="none"), rtol=1e-9)
    assert report.ok, str(report)
    assert report.supply_kpis[2028]["supply_gap"] == pytest.approx(37.791)
    assert report.to_dict()["supply_kpis"][0]["year"] == 2028


def test_wrong_stock_is_a_supply_violation_with_its_entity():
    res = result_a()
    row = next(r for r in res["supply"] if (r["region"], r["year"]) == ("south", 2027))
    row["stock"] = 52.0  # recomputed 51.74
    report = check(instance(A), res)
    assert found(report) == [("supply", None, "south", "gp", 2027)]
    assert report.violations[0].amount == pytest.approx(0.26)
    assert "stock reported 52, recomputed 51.74" in report.violations[0].message


def test_supply_rows_missing_repeated_or_outside_the_evaluation_years():
    res = result_a()
    res["supply"] = res["supply"][1:] + [res["supply"][2], dict(res["supply"][2], year=2029)]
    report = check(instance(A), res)
    assert sorted(found(report), key=str) == sorted(
        [
            ("supply", None, "north", "gp", 2025),  # missing (the first row dropped)
            ("supply", None, "north", "gp", 2026),  # repeated
            ("supply", None, None, None, None),  # 2029 is after the horizon
        ],
        key=str,
    )


def test_wrong_supply_kpi_is_flagged():
    res = result_a()
    res["supply_kpis"][0]["supply_gini"] = 0.2
    report = check(instance(A), res)
    assert found(report) == [("supply_kpi", None, None, None, 2028)]


def test_a_solved_result_of_a_pipeline_must_carry_supply():
    res = result_a()
    del res["supply"], res["supply_kpis"]
    report = check(instance(A), res)
    assert {v.constraint for v in report.violations} == {"supply", "supply_kpi"}
    # an incumbent at the time limit need not carry them
    assert check(instance(A), dict(res, status="time_limit")).ok


def test_supply_rows_without_a_pipeline_are_flagged():
    data = copy.deepcopy(A)
    del data["pipeline"]
    res = result_a()
    report = check(validate(data), res)
    assert {v.constraint for v in report.violations} == {"supply", "supply_kpi"}
    del res["supply"], res["supply_kpis"]
    assert check(validate(data), res).ok


# --------------------------------------------------------------------------- instance B
#
# Baseline year 2022, planning years 2024 and 2026, horizon 2027: 2023 runs on the baseline
# before y_1, 2025 holds 2024's posts, 2027 holds 2026's. Equal regions (100k each), gp with
# programme_years 2 (one delay of 2 years, share 1), completion 0.8, join 0.5, settle 0.5,
# mobility "lost" (the half that does not settle is lost), fill 0.5 in north, stock 100 / 0.
# population 2025 north 300000 (a year between planning years); need weight south 3 in 2027.
#
# Posts: ≤2023 (10, 20); 2024, 2025 (20, 10); 2026, 2027 (25, 5). Intake f·x = (0.5, 1)·x:
# (5, 20); (10, 10); (12.5, 5). C[u] = 0.8·I[u−2], A = 0.5·0.5·C = 0.25·C, S = S_prev + A:
#   2023: C (4, 16)  A (1, 4)  S (101, 4)
#   2024: C (4, 16)  A (1, 4)  S (102, 8)
#   2025: C (4, 16)  A (1, 4)  S (103, 12)
#   2026: C (8, 8)   A (2, 2)  S (105, 14)
#   2027: C (8, 8)   A (2, 2)  S (107, 16)
# Need shares: 2024 (planning, no entry) 1/2, 1/2; 2025 (300k, 100k) 3/4, 1/4; 2026 (planning,
# back to population) 1/2, 1/2; 2027 (2026's population, south weight 3) 1/4, 3/4. So
#   S* 2024: 110 → (55, 55); 2025: 115 → (86.25, 28.75); 2026: 119 → (59.5, 59.5);
#      2027: 123 → (30.75, 92.25).
# Assessed 2025 and 2027:
#   2025: gap 2·16.75 = 33.5; shortfall south 100·16.75/28.75; v = (300k, 100k),
#         p = (103/3, 12), p̄ = 115/4, gini = 2·3e10·(67/3) / (2·(4e5)²·28.75) = 67/460
#   2027: gap 2·76.25 = 152.5; shortfall south 100·76.25/92.25; v = (100k, 100k),
#         p = (107, 16), p̄ = 61.5, gini = 91 / (4·61.5) = 91/246
B = {
    "schema_version": 2,
    "name": "pipe-b",
    "baseline_year": 2022,
    "years": [2024, 2026],
    "regions": [{"id": "north", "population": 100000}, {"id": "south", "population": 100000}],
    "specialties": [{"id": "gp", "programme_years": 2}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 10},
        {"region": "south", "specialty": "gp", "posts": 20},
    ],
    "population_by_year": [{"region": "north", "year": 2025, "population": 300000}],
    "need_weights": [{"region": "south", "specialty": "gp", "year": 2027, "weight": 3}],
    "pipeline": {
        "horizon_year": 2027,
        "mobility": "lost",
        "specialties": [{"specialty": "gp", "completion_rate": 0.8, "join_rate": 0.5, "settle_rate": 0.5}],
        "fill_rate": [{"region": "north", "specialty": "gp", "rate": 0.5}],
        "stock": [{"region": "north", "specialty": "gp", "headcount": 100}],
        "assess_years": [2025, 2027],
    },
}
PLAN_B = {2024: (20, 10), 2026: (25, 5)}
HAND_B = {
    2024: ((4, 16), (1, 4), (102, 8), (55, 55)),
    2025: ((4, 16), (1, 4), (103, 12), (86.25, 28.75)),
    2026: ((8, 8), (2, 2), (105, 14), (59.5, 59.5)),
    2027: ((8, 8), (2, 2), (107, 16), (30.75, 92.25)),
}
KPIS_B = {
    2025: (33.5, 67 / 460, 100 * 16.75 / 28.75),
    2027: (152.5, 91 / 246, 100 * 76.25 / 92.25),
}


def test_instance_b_steady_past_gaps_and_year_rules_by_hand():
    inst = instance(B)
    # the 2025 population and the 2027 weight leave the planning years' targets alone: 15 / 15
    targets = dict.fromkeys(PLAN_B, (15.0, 15.0))
    res = {
        "status": "optimal",
        "instance": "pipe-b",
        "allocation": allocation(PLAN_B, targets),
        "supply": supply_rows(HAND_B),
        "supply_kpis": kpi_rows(KPIS_B),
    }
    report = check(inst, res, rtol=1e-9)
    assert report.ok, str(report)
    assert list(report.supply_kpis) == [2025, 2027]


# --------------------------------------------------------------------------- objective


def test_objective_adds_supply_terms_by_hand():
    # Assessed 2026 and 2028: S − S* = (48.6 − 69.15, 43.6 − 23.05) = (−20.55, +20.55) and
    # (94.116 − 113.0115, 56.566 − 37.6705) = (−18.8955, +18.8955): short 39.4455, surplus 39.4455.
    # S̄*: every planning year at T̄ = (30, 10); Σ_r C is still 40 a year, so Σ_r S and S̄* are
    # as above: z_S = max(100·20.55/69.15, 100·18.8955/113.0115) = 100·20.55/69.15.
    data = copy.deepcopy(A)
    data["pipeline"]["assess_years"] = [2026, 2028]
    inst = validate(data)
    wf = Workforce(_Tables(inst))
    bar = wf.forward(np.array([[[30.0, 30.0]], [[10.0, 10.0]]]))["fair_stock"][:, 0, :]
    assert bar[:, 1] == pytest.approx((69.15, 23.05)) and bar[:, 3] == pytest.approx((113.0115, 37.6705))
    kpis = {
        2026: (41.1, 27.4 * 3 / (16 * 23.05), 100 * 20.55 / 69.15),
        2028: KPIS_A[2028],
    }
    model = ModelSpec(name="supply", objective=Objective(supply_shortfall=1, supply_surplus=2, worst_supply=0.5))
    value = 39.4455 + 2 * 39.4455 + 0.5 * 100 * 20.55 / 69.15
    res = result_a(supply_kpis=kpi_rows(kpis), objective=value)
    report = check(inst, res, model=model)
    assert report.ok, str(report)
    assert report.objective == pytest.approx(value)
    res["objective"] = value + 1
    report = check(inst, res, model=model)
    assert [v.constraint for v in report.violations] == ["objective"]
    assert "supply shortfall 39.4455" in report.violations[0].message


def test_objective_unchanged_by_a_pipeline_without_supply_weights():
    # default model: x 2025 (20, 20) against (30, 10): gap 20; 2026 on target. Moves: 2025
    # north +10, south −10; 2026 north +10, south −10: 40 × 0.01 = 0.4. Objective 20.4.
    report = check(instance(A), result_a(objective=20.4), model=DEFAULT_MODEL)
    assert report.ok, str(report)
    assert report.objective == pytest.approx(20.4)


# --------------------------------------------------------------------------- teams (§11)
#
# Regions 300k / 100k; gp baseline 30 / 10, acp baseline 8 / 8 (national 40 and 16). Targets:
# gp (30, 10), acp (12, 4). Team "primary": gp (e 1), acp (e 0.5, max_share 0.25); team need
# weight south 2, so D_g ∝ (300k, 200k): shares 0.6 / 0.4.
#   acp at (12, 4): E = (30 + 6, 10 + 2) = (36, 12), ΣE 48, T_g = (28.8, 19.2);
#       team_mix north 6 <= 0.25·36 = 9, south 2 <= 3: kept.
#   acp at (8, 8):  E = (34, 14), T_g = (28.8, 19.2); south 4 > 0.25·14 = 3.5: broken by 0.5.
T = {
    "schema_version": 2,
    "name": "team",
    "baseline_year": 2024,
    "years": [2025],
    "regions": [{"id": "north", "population": 300000}, {"id": "south", "population": 100000}],
    "specialties": [{"id": "gp"}, {"id": "acp", "profession": "acp"}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 30},
        {"region": "south", "specialty": "gp", "posts": 10},
        {"region": "north", "specialty": "acp", "posts": 8},
        {"region": "south", "specialty": "acp", "posts": 8},
    ],
    "teams": [
        {
            "id": "primary",
            "members": [
                {"specialty": "gp", "equivalence": 1.0},
                {"specialty": "acp", "equivalence": 0.5, "max_share": 0.25},
            ],
            "need_weights": [{"region": "south", "weight": 2}],
        }
    ],
}


def team_result(acp: tuple, capacity: tuple, **extra) -> dict:
    rows = allocation({2025: (30, 10)}, {2025: (30, 10)}) + allocation({2025: acp}, {2025: (12, 4)}, "acp")
    teams = [
        {"team": "primary", "region": r, "year": 2025, "capacity": c, "target": t}
        for r, c, t in zip(R, capacity, (28.8, 19.2), strict=True)
    ]
    return {"status": "optimal", "instance": "team", "allocation": rows, "teams": teams} | extra


def test_team_rows_and_mix_kept_pass():
    report = check(instance(T), team_result((12, 4), (36, 12)), rtol=1e-9)
    assert report.ok, str(report)


def test_broken_team_mix_is_flagged_with_team_member_region_year():
    report = check(instance(T), team_result((8, 8), (34, 14)))
    assert found(report) == [("team_mix", "primary", "south", "acp", 2025)]
    v = report.violations[0]
    assert v.amount == pytest.approx(0.5)
    assert v.to_dict()["team"] == "primary"
    assert "max_share 0.25" in v.message


def test_wrong_or_missing_team_rows():
    res = team_result((12, 4), (36, 13))
    assert found(check(instance(T), res)) == [("team", "primary", "south", None, 2025)]
    res["teams"] = res["teams"][:1]
    assert found(check(instance(T), res)) == [("team", "primary", "south", None, 2025)]
    del res["teams"]
    assert [v.constraint for v in check(instance(T), res).violations] == ["team"]


def test_objective_adds_team_terms_by_hand():
    # moves: acp north +4, south −4 → 8 × 0.01 = 0.08; team short south 19.2 − 12 = 7.2,
    # surplus north 36 − 28.8 = 7.2: 0.08 + 1·7.2 + 3·7.2 = 28.88
    model = ModelSpec(
        name="teams", objective=Objective(shortfall=1, surplus=1, moves=0.01, team_shortfall=1, team_surplus=3)
    )
    report = check(instance(T), team_result((12, 4), (36, 12), objective=28.88), model=model)
    assert report.ok, str(report)
    assert report.objective == pytest.approx(28.88)


def test_team_on_stock_uses_the_assessed_stocks():
    # Instance A with a one-member team on stock, need weight south 3: D_g ∝ (300k, 300k),
    # shares 1/2, 1/2. Assessed 2026, 2028: E = S = (48.6, 43.6) → T_g (46.1, 46.1);
    # (94.116, 56.566) → (75.341, 75.341). max_share 0.5 of a single member: e·S = E > 0.5·E,
    # broken by 0.5·S in every region and year.
    data = copy.deepcopy(A)
    data["pipeline"]["assess_years"] = [2026, 2028]
    data["teams"] = [
        {
            "id": "gps",
            "on": "stock",
            "members": [{"specialty": "gp", "max_share": 0.5}],
            "need_weights": [{"region": "south", "weight": 3}],
        }
    ]
    kpis = {2026: (41.1, 27.4 * 3 / (16 * 23.05), 100 * 20.55 / 69.15), 2028: KPIS_A[2028]}
    teams = [
        {"team": "gps", "region": r, "year": y, "capacity": c, "target": t}
        for y, cap, t in ((2026, (48.6, 43.6), 46.1), (2028, (94.116, 56.566), 75.341))
        for r, c in zip(R, cap, strict=True)
    ]
    report = check(validate(data), result_a(supply_kpis=kpi_rows(kpis), teams=teams))
    assert {v.constraint for v in report.violations} == {"team_mix"}, str(report)
    amounts = {(v.region, v.year): v.amount for v in report.violations}
    assert amounts == pytest.approx(
        {("north", 2026): 24.3, ("south", 2026): 21.8, ("north", 2028): 47.058, ("south", 2028): 28.283}
    )


# --------------------------------------------------------------------------- format errors


def test_result_problems_name_malformed_workforce_rows():
    res = result_a()
    res["supply"][3]["stock"] = "many"
    del res["supply"][4]["fair_stock"]
    res["supply_kpis"][0]["supply_gini"] = None
    res["teams"] = [{"team": "nobody", "region": "north", "year": 2025.5, "capacity": 1, "target": 1}]
    problems = dict(result_problems(res, instance(A)))
    assert problems["supply[3].stock"] == 'must be a number, not the string "many"'
    assert "missing fair_stock" in problems["supply[4]"]
    assert "supply_kpis[0].supply_gini" in problems
    assert problems["teams[0].team"].startswith("unknown team 'nobody'")
    assert "teams[0].year" in problems
    assert result_problems(result_a(), instance(A)) == []


# --------------------------------------------------------------------------- independence


def test_checker_imports_nothing_from_the_model_side():
    forbidden = ("allocator.core.data", "allocator.core.workforce", "allocator.core.families", "allocator.model")
    folder = Path(__file__).resolve().parents[1] / "allocator" / "analysis"
    for path in sorted(folder.glob("check*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


# --------------------------------------------------------------------------- second opinion


def _random_instance(rng: np.random.Generator) -> dict:
    nr, ns = int(rng.integers(2, 4)), int(rng.integers(1, 3))
    y0 = 2020
    years = sorted(rng.choice(np.arange(y0 + 1, y0 + 7), size=int(rng.integers(1, 4)), replace=False).tolist())
    horizon = years[-1] + int(rng.integers(0, 6))
    regions = [{"id": f"r{i}", "population": float(rng.integers(1, 10)) * 1e5} for i in range(nr)]
    regions[0]["need_index"] = 1.2
    specs = [{"id": f"s{j}", "programme_years": int(rng.integers(1, 5))} for j in range(ns)]
    base = [
        {"region": f"r{i}", "specialty": f"s{j}", "posts": float(rng.integers(1, 50))}
        for i in range(nr)
        for j in range(ns)
    ]
    evaluation = list(range(years[0], horizon + 1))
    pops = [
        {"region": f"r{i}", "year": int(y), "population": float(rng.integers(1, 10)) * 1e5}
        for i in range(nr)
        for y in rng.choice(evaluation, size=min(2, len(evaluation)), replace=False)
    ]
    weights = [{"region": "r1", "specialty": "s0", "weight": 1.5}] + [
        {
            "region": f"r{i}",
            "specialty": "s0",
            "year": int(rng.choice(evaluation)),
            "weight": float(rng.uniform(0.5, 2)),
        }
        for i in range(nr)
    ]
    weights = list({(w["region"], w.get("year")): w for w in weights}.values())
    pipe_specs = []
    for j in range(ns):
        entry = {
            "specialty": f"s{j}",
            "completion_rate": float(rng.uniform(0.5, 1)),
            "settle_rate": float(rng.uniform(0, 1)),
            "join_rate": float(rng.uniform(0.5, 1)),
            "leave_rate": float(rng.uniform(0, 0.2)),
        }
        if rng.random() < 0.6:
            delays = sorted(rng.choice(np.arange(1, 7), size=int(rng.integers(1, 4)), replace=False).tolist())
            shares = rng.dirichlet(np.ones(len(delays)))
            shares[-1] = 1.0 - shares[:-1].sum()
            entry |= {"delay_years": delays, "delay_shares": shares.tolist()}
        pipe_specs.append(entry)
    return {
        "schema_version": 2,
        "name": "random",
        "baseline_year": y0,
        "years": years,
        "regions": regions,
        "specialties": specs,
        "baseline_posts": base,
        "population_by_year": pops,
        "need_weights": weights,
        "pipeline": {
            "horizon_year": horizon,
            "mobility": str(rng.choice(["need", "lost"])),
            "specialties": pipe_specs,
            "fill_rate": [{"region": "r0", "specialty": "s0", "rate": float(rng.uniform(0.5, 1))}],
            "stock": [
                {"region": f"r{i}", "specialty": "s0", "headcount": float(rng.integers(0, 300))} for i in range(nr)
            ],
        },
        "teams": [
            {
                "id": "t",
                "on": str(rng.choice(["posts", "stock"])),
                "members": [{"specialty": f"s{j}", "equivalence": float(rng.uniform(0.3, 1))} for j in range(ns)],
                "need_weights": [{"region": "r0", "weight": 2.0}],
            }
        ],
    }


@pytest.mark.parametrize("seed", range(20))
def test_agrees_with_the_model_side_on_random_instances(seed):
    from allocator.core.data import problem_data
    from allocator.core.workforce import pipeline_data, team_data

    rng = np.random.default_rng(seed)
    inst = validate(_random_instance(rng))
    d = problem_data(inst)
    pipe = pipeline_data(inst, d)
    x = rng.uniform(0, 60, size=d.shape)
    tb = _Tables(inst)
    assert np.allclose(tb.target_bar, d.target_bar)
    wf = Workforce(tb)
    mine, theirs = wf.forward(x), pipe.forward(x)
    for name in ("completions", "joiners", "stock", "fair_stock"):
        assert np.allclose(mine[name], getattr(theirs, name), rtol=1e-12, atol=1e-9), name
    assert np.allclose(wf.forward(tb.target_bar)["fair_stock"], pipe.fair_stock_bar, rtol=1e-12, atol=1e-9)
    (team,) = team_data(inst, d, pipe)
    parts = wf.team_parts(wf.teams[0], x, mine["stock"])
    capacity = parts.sum(axis=1)
    assert np.allclose(capacity, team.capacity(x, theirs.stock))
    assert np.allclose(wf.teams[0].share * capacity.sum(axis=0), team.target(team.capacity(x, theirs.stock)))
