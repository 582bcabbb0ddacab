"""Scenarios (docs/model.md §12): a case worked by hand for each risk measure on all three
backends and the checker, a one-member block equal to the plain pipeline, and properties.

The case: the two-region pipeline of ``test_pipeline_optima`` (regions A and B of equal need,
one specialty gp, baseline A 10, B 0, national total 10 in 2025 held to the horizon 2027,
delays 1 and 2 years with shares 0.5/0.5, leave rate 0.1, mobility ``need``), with x = x_A and
x_B = 10 − x_A, and two members:

- ``central`` (probability 0.75): the instance's settle rate σ = 0.5 everywhere. As worked
  there, S_A(2027) = 13.075 + 0.725·x_A, S_B(2027) = 6.775 + 0.725·x_B, fair stock 13.55 each:
  L_c = Σ|S − S*| = 2·|0.725·x_A − 0.475|, zero at x_A = 19/29.
- ``low`` (probability 0.25): region B keeps only σ_B = 0.2 of its completers (a region's own
  settle rate, ``pipeline.settle_rate[]``). Completions C are as in the central case
  (2025: C_A = 10, C_B = 0; 2026: C_A = 0.5·x_A + 5, C_B = 0.5·x_B; 2027: C_A = x_A, C_B = x_B).
  The pool of those who leave their region is P = 0.5·C_A + 0.8·C_B, shared 0.5/0.5, so
  A_A = 0.5·C_A + 0.5·P and A_B = 0.2·C_B + 0.5·P:

      2025: S_A = 7.5, S_B = 2.5
      2026: A_A = 0.375·x_A + 0.2·x_B + 3.75,  A_B = 0.125·x_A + 0.3·x_B + 1.25
      2027: A_A = 0.75·x_A + 0.4·x_B,          A_B = 0.25·x_A + 0.6·x_B
      S_A(2027) = 0.9·(0.9·7.5 + A_A(2026)) + A_A(2027) = 9.45 + 1.0875·x_A + 0.58·x_B
                = 15.25 + 0.5075·x_A;   S_B(2027) = 11.85 − 0.5075·x_A

  national 27.1, fair stock 13.55 each: L_low = 2·(1.7 + 0.5075·x_A) = 3.4 + 1.015·x_A.

The model weighs the posts gap 0.5 (shortfall and surplus), moves 0.01 and the supply gap 1, so
the posts terms are P(x_A) = 0.5·2·|x_A − 5| + 0.01·2·(10 − x_A) for x_A ≤ 10 (A loses,
B gains: each post moved counts twice).

- ``expected`` = 0.75·L_c + 0.25·L_low. Slope in x_A below 19/29: −0.75·1.45 + 0.25·1.015
  − 1 − 0.02 < 0; above: 1.0875 + 0.25375 − 1.02 = 0.32125 > 0. So x_A = 19/29, risk
  0.25·(3.4 + 1.015·19/29) = 0.25·4.065 = 1.01625, objective 1.01625 + (5 − 19/29) +
  0.02·(10 − 19/29).
- ``cvar`` at α = 0.5: the worst half of the probability. ``low`` (0.25) is the worse future
  wherever L_low ≥ L_c, so the tail is ``low`` and a quarter of ``central``: CVaR = 0.5·L_low +
  0.5·L_c. Slope above 19/29: 0.725 + 0.5075 − 1.02 = 0.2125 > 0, below negative: x_A = 19/29,
  risk 0.5·4.065 = 2.0325.
- ``worst`` = max(L_c, L_low) = L_low on [0, 5] (L_low ≥ 3.4 > L_c there up to x_A = 5:
  L_c(5) = 6.3 < L_low(5) = 8.475). Slope 1.015 − 1 − 0.02 = −0.005 < 0 up to x_A = 5, then
  1.015 + 1 − 0.02 > 0: x_A = 5, risk 8.475, objective 8.475 + 0.02·5 = 8.575.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import allocator
from allocator.analysis.check import check
from allocator.core.data import problem_data
from allocator.core.spec import ModelSpec, Objective
from allocator.core.validate import validate
from allocator.model.wholeposts import objective_of

from .test_pipeline_optima import TOY

BACKENDS = ("highs", "pyomo", "pulp")
SPEC = ModelSpec(
    name="future", objective=Objective(shortfall=0.5, surplus=0.5, moves=0.01, supply_shortfall=1, supply_surplus=1)
)
LOW = {"settle_rate": [{"region": "B", "specialty": "gp", "rate": 0.2}]}
X_SUPPLY = 19 / 29
POSTS_AT = {X_SUPPLY: (5 - X_SUPPLY) + 0.02 * (10 - X_SUPPLY), 5.0: 0.1}
#: risk -> (x_A, the risk term), worked in the module docstring
CASES = {
    "expected": (X_SUPPLY, 0.25 * (3.4 + 1.015 * X_SUPPLY)),
    "cvar": (X_SUPPLY, 0.5 * (3.4 + 1.015 * X_SUPPLY)),
    "worst": (5.0, 3.4 + 1.015 * 5),
}


def instance(risk: str, members: list[dict] | None = None, alpha: float = 0.5):
    data = copy.deepcopy(TOY) | {"schema_version": 3}
    data["scenarios"] = {
        "risk": risk,
        "members": members
        or [{"id": "central", "probability": 0.75}, {"id": "low", "probability": 0.25, "pipeline": LOW}],
    }
    if risk == "cvar":
        data["scenarios"]["alpha"] = alpha
    return validate(data, "two-futures.json")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("risk", sorted(CASES))
def test_hand_worked_case(risk, backend):
    inst = instance(risk)
    res = allocator.solve(inst, SPEC, backend=backend)
    x_a, value = CASES[risk]
    assert res.status == "optimal"
    assert res.posts().loc[("A", "gp"), 2025] == pytest.approx(x_a, abs=1e-6)
    assert res.risk == pytest.approx(value, abs=1e-6)
    assert res.objective == pytest.approx(value + POSTS_AT[x_a], abs=1e-6)
    gaps = {m["id"]: m["supply_kpis"][0]["supply_gap"] for m in res.scenarios}
    assert gaps["low"] == pytest.approx(3.4 + 1.015 * x_a, abs=1e-6)
    assert gaps["central"] == pytest.approx(2 * abs(0.725 * x_a - 0.475), abs=1e-6)
    assert [m["probability"] for m in res.scenarios] == [0.75, 0.25]
    report = check(inst, res, model=SPEC)
    assert report.ok, report.violations
    assert report.objective == pytest.approx(res.objective, abs=1e-6)


def test_the_checker_catches_a_wrong_risk_and_member_measure():
    inst = instance("worst")
    data = allocator.solve(inst, SPEC).to_dict()
    data["risk"] += 1
    data["scenarios"][1]["supply_kpis"][0]["supply_gap"] += 1
    found = [v.message for v in check(inst, data, model=SPEC).violations]
    assert any(m.startswith("risk: reported") for m in found), found
    assert any("supply_gap of member 'low'" in m for m in found), found


def test_the_result_reads_back():
    res = allocator.solve(instance("cvar"), SPEC)
    back = allocator.Result.from_dict(res.to_dict())
    assert back.scenarios == res.scenarios and back.risk == res.risk
    assert res.to_dict()["risk"] == res.risk


@pytest.mark.parametrize("risk", ["expected", "worst", "cvar"])
def test_one_member_without_overrides_is_the_plain_pipeline(risk):
    plain = allocator.solve(validate(copy.deepcopy(TOY), "toy.json"), SPEC)
    one = allocator.solve(instance(risk, [{"id": "only", "probability": 1.0}], alpha=0.3), SPEC)
    assert one.objective == pytest.approx(plain.objective, abs=1e-9)
    assert np.allclose(one.allocation.posts, plain.allocation.posts, atol=1e-6)
    assert one.supply_kpis.equals(plain.supply_kpis) or np.allclose(
        one.supply_kpis.to_numpy(float), plain.supply_kpis.to_numpy(float)
    )
    assert one.risk == pytest.approx(plain.objective - POSTS_AT[X_SUPPLY], abs=1e-6)


def test_member_overrides_that_restate_the_base_change_nothing():
    same = {
        "specialties": [{"specialty": "gp", "settle_rate": 0.5}],
        "settle_rate": [{"region": "A", "specialty": "gp", "rate": 0.5}],
        "fill_rate": [{"region": "B", "specialty": "gp", "rate": 1.0}],
        "mobility": "need",
    }
    members = [
        {"id": "central", "probability": 0.5},
        {
            "id": "same",
            "probability": 0.5,
            "pipeline": same,
            "population_scale": [{"region": "A", "year": 2026, "factor": 1}],
        },
    ]
    d = problem_data(instance("expected", members))
    a, b = (m.pipeline for m in d.scenarios.members)
    x = np.array([[[3.0]], [[7.0]]])
    for name in ("stock", "fair_stock", "completions", "joiners"):
        assert np.allclose(getattr(a.forward(x), name), getattr(b.forward(x), name))
    assert np.allclose(a.fair_stock_bar, b.fair_stock_bar)


def test_a_population_scale_moves_only_later_years():
    members = [
        {"id": "central", "probability": 0.5},
        {"id": "growth", "probability": 0.5, "population_scale": [{"region": "B", "year": 2026, "factor": 1.5}]},
    ]
    d = problem_data(instance("expected", members))
    a, b = (m.pipeline for m in d.scenarios.members)
    assert np.allclose(b.population[:, 0], a.population[:, 0])  # 2025, a planning year
    assert np.allclose(b.population[1, 1:], 1.5 * a.population[1, 1:])
    assert b.share[1, 0, 2] == pytest.approx(0.6)  # B's need share in 2027: 1.5 / 2.5
    assert np.allclose(d.target, problem_data(validate(copy.deepcopy(TOY), "toy.json")).target)


@pytest.mark.parametrize("backend", BACKENDS)
def test_whole_posts_keep_the_risk_objective(backend):
    inst = instance("worst")
    res = allocator.solve(
        inst, SPEC.model_copy(update={"solve": SPEC.solve.model_copy(update={"integer": True})}), backend=backend
    )
    assert res.solved
    assert float(res.posts().loc[("A", "gp"), 2025]) == 5.0
    assert res.risk == pytest.approx(8.475)
    assert check(inst, res, model=SPEC).ok


def test_a_sweep_reweights_the_risk_rows():
    """A model built once and re-weighted (a warm sweep) gives the plan a fresh build gives."""
    from allocator.model.backends.base import SolveOptions
    from allocator.model.backends.highs import build_model

    d = problem_data(instance("worst"))
    heavy = SPEC.with_weights(supply_shortfall=3, supply_surplus=3)
    m = build_model(d, SPEC, with_workforce=True)
    m.solve(SolveOptions())
    m.set_objective(heavy)
    warm = m.solve(SolveOptions())
    fresh = build_model(d, heavy).solve(SolveOptions())
    assert warm.objective == pytest.approx(fresh.objective, abs=1e-9)
    assert np.allclose(warm.x, fresh.x, atol=1e-6)


def _objective(inst_risk, x, alpha, members):
    return objective_of(problem_data(instance(inst_risk, members, alpha)), SPEC, x)


@settings(max_examples=12, deadline=None)
@given(
    p=st.floats(0.05, 0.95),
    sigma=st.floats(0.05, 0.95),
    alpha=st.floats(0.0, 0.9),
    leave=st.floats(0.0, 0.3),
)
def test_each_measure_is_best_under_its_own_objective(p, sigma, alpha, leave):
    members = [
        {"id": "central", "probability": p},
        {
            "id": "other",
            "probability": 1 - p,
            "pipeline": {
                "specialties": [{"specialty": "gp", "leave_rate": leave}],
                "settle_rate": [{"region": "B", "specialty": "gp", "rate": sigma}],
            },
        },
    ]
    plans = {}
    for risk in ("expected", "worst", "cvar"):
        res = allocator.solve(instance(risk, members, alpha), SPEC)
        assert res.status == "optimal"
        plans[risk] = res.posts_array(problem_data(instance(risk, members, alpha)))
    for own in plans:
        mine = _objective(own, plans[own], alpha, members)
        for other, x in plans.items():
            assert mine <= _objective(own, x, alpha, members) + 1e-6, (own, other)


def test_shadow_prices_name_the_future():
    """Under ``worst`` the ``low`` future sets the risk term (its row's dual is 1: the whole
    supply weight), and a member's own worst-supply row is said to be of that future."""
    from allocator.analysis.shadow import explain

    inst = instance("worst")
    spec = SPEC.with_weights(worst_supply=0.1)
    res = allocator.solve(inst, spec)
    rows = res.to_dict()["binding"]
    risk_row = next(r for r in rows if r["constraint"] == "scenario_risk")
    assert risk_row["scenario"] == "low" and risk_row["dual"] == pytest.approx(1.0)
    assert all(isinstance(r["year"], int) for r in rows if "year" in r)
    sentences = list(explain(res, inst, spec=spec).sentence)
    assert "the low future sets the risk term: one unit less of its supply term would lower the objective by 1" in (
        sentences
    )
    assert any(s.startswith("in the low future: gp in B in 2027 is (one of) the furthest below") for s in sentences)


@pytest.mark.parametrize(("risk", "least"), [("expected", 1.01625), ("worst", 3.4)])
def test_a_frontier_of_posts_moved_against_the_risk_term(risk, least):
    """Nothing moved: every future's supply gap is that of x_A = 10 (L_c = 2·(7.25 − 0.475) =
    13.55, L_low = 3.4 + 10.15 = 13.55). Moving all 10 posts to B under ``worst``: L_low =
    3.4 ≥ L_c = 0.95; ``expected``'s least risk is at x_A = 19/29 (worked above)."""
    from allocator.study.pareto import frontier

    table = frontier(instance(risk), "risk-moves", points=3)
    assert table["check_ok"].all()
    assert table["risk"].iloc[0] == pytest.approx(13.55, abs=1e-6)
    assert table["risk"].iloc[-1] == pytest.approx(least, abs=1e-6)
    assert np.allclose(table["risk"], table["f1"], atol=1e-6)
    assert (np.diff(table["risk"]) <= 1e-9).all()


def test_the_assumptions_say_what_each_future_changes():
    from allocator.report.assumptions import assumptions

    sections = dict(assumptions(instance("cvar")))
    assert sections["Scenarios"] == [
        ("Risk measure", "CVaR at level 0.5: the mean of the worst 50 %"),
        ("central (the central case)", "probability 75 %; the instance's rates and population (no change)"),
        ("low", "probability 25 %; B gp: settle 20 %"),
    ]
    assert dict(sections["Optional blocks"])["scenarios"] == "active: 2 members, risk cvar"


@pytest.mark.parametrize("risk", ["expected", "worst", "cvar"])
def test_the_command_line_solves_and_checks_scenarios(risk, tmp_path):
    """``allocator solve --format json`` prints the result alone, with ``scenarios`` and
    ``risk``; ``allocator check`` recomputes them (exit 0)."""
    import json

    from typer.testing import CliRunner

    from allocator.cli.main import app

    path = tmp_path / "two.json"
    instance(risk).to_json(path)
    out = CliRunner().invoke(app, ["solve", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [m["id"] for m in data["scenarios"]] == ["central", "low"] and data["risk"] >= 0
    (tmp_path / "result.json").write_text(out.stdout)
    checked = CliRunner().invoke(app, ["check", str(path), str(tmp_path / "result.json")])
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize("risk", ["expected", "worst", "cvar"])
def test_whole_posts_over_several_years(risk):
    """Two planning years (the year-by-year repair leaves the members out with the pipeline and
    the whole plan is checked whole): a whole-post plan that the checker accepts."""
    data = copy.deepcopy(TOY) | {"schema_version": 3, "years": [2025, 2026]}
    data["pipeline"]["horizon_year"] = 2029
    data["baseline_posts"].append({"region": "B", "specialty": "gp", "posts": 3})
    data["scenarios"] = {
        "risk": risk,
        "members": [{"id": "central", "probability": 0.6}, {"id": "low", "probability": 0.4, "pipeline": LOW}],
    } | ({"alpha": 0.7} if risk == "cvar" else {})
    inst = validate(data, "two-years.json")
    spec = SPEC.model_copy(update={"solve": SPEC.solve.model_copy(update={"integer": True})})
    res = allocator.solve(inst, spec)
    assert res.solved
    assert np.allclose(res.allocation.posts, np.round(res.allocation.posts))
    report = check(inst, res, model=spec)
    assert report.ok, report.violations
    assert res.risk == pytest.approx(
        objective_of(problem_data(inst), spec, res.posts_array(problem_data(inst)))
        - (
            objective_of(
                problem_data(inst),
                spec.with_weights(supply_shortfall=0, supply_surplus=0),
                res.posts_array(problem_data(inst)),
            )
        ),
        abs=1e-6,
    )


def test_rounded_posts_keep_the_risk_objective():
    """``round_posts``: the LP optimum made whole by repair (year by year where needed), checked."""
    inst = instance("cvar")
    res = allocator.solve(inst, SPEC, round_posts=True)
    assert res.solved and float(res.posts().loc[("A", "gp"), 2025]).is_integer()
    assert check(inst, res, model=SPEC).ok
    assert res.risk is not None and res.scenarios[1]["id"] == "low"
