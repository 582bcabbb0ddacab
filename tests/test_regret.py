"""The regret table, VSS and EVPI of docs/model.md §12 (issue 23, item 2):
``allocator.study.regret`` and ``allocator regret``.

The case, worked by hand: the two-region pipeline of ``tests/test_pipeline_optima.py`` (regions
A and B of equal need, one specialty gp, baseline A 10 and B 0, national total 10 in the one
planning year 2025, horizon 2027, delays 1 and 2 years half each, σ 0.5, leave 0.1, mobility
``need``); x = x_A posts in A, x_B = 10 − x_A. Two members: ``central`` (p 0.75, the instance's
rates) and ``low`` (p 0.25: region B keeps only σ_B = 0.2 of its completers). As worked in
``tests/test_scenarios.py`` (the robust branch's case), on 0 ≤ x_A ≤ 5:

    L_central(x_A) = 2 · |0.725 · x_A − 0.475|      (0 at x_A = 19/29)
    L_low(x_A)     = 3.4 + 1.015 · x_A
    posts terms P(x_A) = 0.5 · 2 · |x_A − 5| + 0.01 · 2 · (10 − x_A)     (shortfall, surplus 0.5; moves 0.01)

Plans (each an LP optimum; slopes of P + L):

- ``x_central``: below 19/29 the slope is −1.02 − 1.45 < 0, above it −1.02 + 1.45 > 0: x_A = 19/29.
  cell(x_central, central) = P(19/29) = (5 − 19/29) + 0.02 · (10 − 19/29) = 131.42/29;
  cell(x_central, low) = 131.42/29 + 3.4 + 1.015 · 19/29 = 131.42/29 + 4.065.
- ``x_low``: slope −1.02 + 1.015 < 0 up to 5, then 1 + 1.015 − 0.02 > 0: x_A = 5.
  cell(x_low, central) = P(5) + L_central(5) = 0.1 + 6.3 = 6.4; cell(x_low, low) = 0.1 + 8.475 = 8.575.
- Regrets: x_central in low: 131.42/29 + 4.065 − 8.575 = 0.63/29; x_low in central:
  6.4 − 131.42/29 = 54.18/29.

Risk ``expected``: x_R = 19/29 (the robust branch's case: above 19/29 the slope is
0.75 · 1.45 + 0.25 · 1.015 − 1.02 > 0), so the robust row is x_central's, R(x_R) = 131.42/29 +
0.25 · 4.065, VSS = R(x_central) − R(x_R) = 0, and
EVPI = R(x_R) − (0.75 · 131.42/29 + 0.25 · 8.575) = 0.25 · 0.63/29 = 0.1575/29.

Risk ``worst``: R = P + max(L_central, L_low) = P + L_low on [0, 5], minimised at x_R = 5 (the
x_low plan): R(x_R) = 8.575, R(x_central) = 131.42/29 + 4.065, VSS = 0.63/29; no EVPI.

With ``low`` listed first (it is then the central case x_1), risk ``expected``:
R(x_low) = 0.1 + 0.75 · 6.3 + 0.25 · 8.475 = 6.94375, R(x_R) = 131.42/29 + 1.01625,
VSS = 5.9275 − 131.42/29 = 40.4775/29.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.core.data import problem_data
from allocator.core.spec import ModelSpec, Objective
from allocator.core.validate import validate
from allocator.model.wholeposts import objective_of
from allocator.study import Regret, RegretError, regret
from allocator.study.regret import regret_cells

from .test_pipeline_optima import TOY

runner = CliRunner()
SPEC = ModelSpec(
    name="future", objective=Objective(shortfall=0.5, surplus=0.5, moves=0.01, supply_shortfall=1, supply_surplus=1)
)
CENTRAL = {"id": "central", "probability": 0.75}
LOW = {"id": "low", "probability": 0.25, "pipeline": {"settle_rate": [{"region": "B", "specialty": "gp", "rate": 0.2}]}}
P1 = 131.42 / 29  # P(19/29)
CELLS = np.array([[P1, P1 + 4.065], [6.4, 8.575]])  # rows x_central, x_low; columns central, low


def raw(risk: str = "expected", members=(CENTRAL, LOW)) -> dict:
    data = copy.deepcopy(TOY) | {"schema_version": 3, "name": "two-futures"}
    data["scenarios"] = {"risk": risk, "members": [dict(m) for m in members]}
    return data


def test_regret_table_vss_and_evpi_expected():
    table = regret(validate(raw("expected"), "two-futures.json"), SPEC)
    assert table.members == ["central", "low"] and table.plans == ["central", "low", "robust"]
    np.testing.assert_allclose(table.cells[:2], CELLS, atol=1e-6)
    np.testing.assert_allclose(table.cells[2], CELLS[0], atol=1e-6)  # the robust plan is x_central
    np.testing.assert_allclose(
        table.regret_table().to_numpy(), [[0, 0.63 / 29], [54.18 / 29, 0], [0, 0.63 / 29]], atol=1e-6
    )
    np.testing.assert_allclose(
        table.objective, [P1 + 0.25 * 4.065, 0.1 + 0.75 * 6.3 + 0.25 * 8.475, P1 + 0.25 * 4.065], atol=1e-6
    )
    assert table.vss == pytest.approx(0.0, abs=1e-6)
    assert table.evpi == pytest.approx(0.1575 / 29, abs=1e-6)
    # each member's plan, solved alone, has the objective of its own cell; the robust solve's is R(x_R)
    assert table.results["central"].objective == pytest.approx(CELLS[0, 0], abs=1e-6)
    assert table.results["low"].objective == pytest.approx(CELLS[1, 1], abs=1e-6)
    assert table.results["robust"].objective == pytest.approx(table.objective[2], abs=1e-6)
    assert table.results["central"].posts().iloc[0, 0] == pytest.approx(19 / 29, abs=1e-6)
    assert table.results["low"].posts().iloc[0, 0] == pytest.approx(5.0, abs=1e-6)


def test_regret_table_worst():
    table = regret(validate(raw("worst"), "two-futures.json"), SPEC)
    np.testing.assert_allclose(table.cells, np.vstack([CELLS, CELLS[1]]), atol=1e-6)  # x_R = x_low
    np.testing.assert_allclose(table.objective, [P1 + 4.065, 8.575, 8.575], atol=1e-6)
    assert table.vss == pytest.approx(0.63 / 29, abs=1e-6)
    assert table.evpi is None


def test_vss_is_against_the_first_member():
    table = regret(validate(raw("expected", (LOW | {"probability": 0.25}, CENTRAL)), "two-futures.json"), SPEC)
    assert table.members == ["low", "central"]
    assert table.vss == pytest.approx(40.4775 / 29, abs=1e-6)
    assert table.evpi == pytest.approx(0.1575 / 29, abs=1e-6)


@pytest.mark.parametrize("backend", ["pyomo", "pulp"])
def test_every_backend_gives_the_same_table(backend):
    inst = validate(raw("expected"), "two-futures.json")
    a, b = regret(inst, SPEC), regret(inst, SPEC, backend=backend)
    np.testing.assert_allclose(a.cells, b.cells, atol=1e-6)
    assert a.vss == pytest.approx(b.vss, abs=1e-6) and a.evpi == pytest.approx(b.evpi, abs=1e-6)


@pytest.mark.parametrize("risk", ["expected", "worst", "cvar"])
def test_cells_agree_with_the_objective_of_each_plan(risk):
    """R(x) is the instance's objective evaluated at x; a single member's cell is the objective
    of the instance with that member alone (no solve: plans drawn at random)."""
    data = raw(risk)
    if risk == "cvar":
        data["scenarios"]["alpha"] = 0.5
    d = problem_data(validate(data, "two-futures.json"))
    rng = np.random.default_rng(3)
    plans = [np.full(d.shape, 10.0) * np.array([[[a]], [[1 - a]]]) for a in rng.uniform(0, 1, 5)]
    cells, R = regret_cells(d, SPEC, plans)
    for k, x in enumerate(plans):
        assert R[k] == pytest.approx(objective_of(d, SPEC, x), abs=1e-9)
        for j, member in enumerate((CENTRAL, LOW)):
            alone = raw(risk, [member | {"probability": 1.0}])
            alone["scenarios"] |= {k: v for k, v in data["scenarios"].items() if k == "alpha"}
            dj = problem_data(validate(alone, "alone.json"))
            assert cells[k, j] == pytest.approx(objective_of(dj, SPEC, x), abs=1e-9)


def test_regret_needs_scenarios():
    with pytest.raises(RegretError, match="no scenarios block"):
        regret(validate(copy.deepcopy(TOY), "toy.json"), SPEC)


def test_regret_command(tmp_path):
    path = tmp_path / "two-futures.json"
    path.write_text(json.dumps(raw("expected")))
    model = tmp_path / "future.toml"
    model.write_text(
        'name = "future"\n[objective]\nshortfall = 0.5\nsurplus = 0.5\nmoves = 0.01\n'
        "supply_shortfall = 1\nsupply_surplus = 1\n"
    )
    out = tmp_path / "out"
    r = runner.invoke(app, ["regret", str(path), "--model", str(model), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "EVPI" in r.output and "VSS" in r.output and "robust" in r.output
    data = json.loads((out / "regret.json").read_text())
    assert data["evpi"] == pytest.approx(0.1575 / 29, abs=1e-6)
    assert [p["plan"] for p in data["plans"]] == ["central", "low", "robust"]
    assert data["plans"][1]["regret"]["central"] == pytest.approx(54.18 / 29, abs=1e-6)
    assert (out / "regret.csv").read_text().splitlines()[0] == "plan,member,cell,regret"
    r = runner.invoke(app, ["regret", str(path), "--model", str(model), "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout) == data
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(TOY))
    r = runner.invoke(app, ["regret", str(plain)])
    assert r.exit_code == 2 and "no scenarios block" in r.stderr


def test_the_library_result_is_a_regret():
    table = regret(validate(raw("expected"), "two-futures.json"), SPEC)
    assert isinstance(table, Regret)
    assert table.to_dict()["members"] == [{"id": "central", "probability": 0.75}, {"id": "low", "probability": 0.25}]


def test_a_member_called_robust_keeps_its_name():
    table = regret(validate(raw("expected", (CENTRAL | {"id": "robust"}, LOW)), "two-futures.json"), SPEC)
    assert table.plans == ["robust", "low", "robust plan"]
    np.testing.assert_allclose(table.cells[:2], CELLS, atol=1e-6)


def test_a_plan_that_does_not_solve_stops_the_table(monkeypatch, tmp_path):
    import allocator.pipeline.solve as pipeline_solve

    real = pipeline_solve.solve

    def failing(instance, *args, **kwargs):
        res = real(instance, *args, **kwargs)
        if instance.scenarios.members[0].id == "low":
            res.status = "time_limit"
        return res

    monkeypatch.setattr(pipeline_solve, "solve", failing)
    inst = validate(raw("expected"), "two-futures.json")
    with pytest.raises(RegretError, match="the solve of member low alone is time_limit, not optimal"):
        regret(inst, SPEC)
    path = tmp_path / "two-futures.json"
    path.write_text(json.dumps(raw("expected")))
    r = runner.invoke(app, ["regret", str(path)])
    assert r.exit_code == 1 and "member low alone is time_limit" in r.stderr
