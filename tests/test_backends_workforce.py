"""The families of FORMULATION §10 (pipeline) and §11 (teams) in the three backends.

The direct HiGHS backend (``highs_workforce``) is the reference; the Pyomo and PuLP backends
(``pyomo_workforce``, ``pulp_workforce``) must reach the same objective and, after the §6b
tie-break, the same posts and so the same supply, whatever the supply and team weights; report
``team_mix`` duals labelled alike; and let a researcher constrain the stocks. A pipeline with
no supply weights changes nothing but the report (§10), on a hand-made instance and on
generated ones.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allocator
from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL, load_model
from allocator.core.validate import validate
from allocator.model.backends import pulp as pulp_backend
from allocator.model.backends import pyomo as pyomo_backend
from allocator.model.backends.base import FAMILIES, ROW_GROUP_FAMILY
from allocator.study.generate import generate

from .conftest import ROOT

BACKENDS = ("highs", "pyomo", "pulp")
REL = 1e-6
POSTS = 1e-5
WORKFORCE = ("stock_flow", "supply_gap", "worst_supply", "team_gap", "team_mix")


def toy_workforce(on: str = "posts", max_share: float = 0.6, teams: bool = True, pipeline: bool = True) -> dict:
    """toy-3x2 over three years with a gp pipeline to 2032 and a gp + psych team."""
    data = json.loads((ROOT / "instances" / "toy" / "toy-3x2.json").read_text())
    data["schema_version"] = 2
    data["years"] = [2025, 2026, 2027]
    for s in data["specialties"]:
        if s["id"] == "psych":
            s["programme_years"] = 3
    data["transition"] = {"max_growth_rate": 0.5, "max_shrink_rate": 0.2}
    if pipeline:
        data["pipeline"] = {
            "horizon_year": 2032,
            "specialties": [{"specialty": "gp", "delay_years": [3, 4], "delay_shares": [0.5, 0.5], "leave_rate": 0.05}],
            "stock": [{"region": "north", "specialty": "gp", "headcount": 100}],
            "assess_years": [2030, 2032],
        }
    if teams:
        team = {
            "id": "t",
            "members": [{"specialty": "gp"}, {"specialty": "psych", "equivalence": 0.5, "max_share": max_share}],
        }
        if on == "stock":
            team["on"] = "stock"
        data["teams"] = [team]
    return data


def solve_all(inst, spec) -> dict:
    out = {}
    for b in BACKENDS:
        res = allocator.solve(inst, spec, backend=b)
        assert res.status == "optimal", (b, res.message)
        out[b] = res
    return out


def binding_of(res, family: str) -> dict:
    """``{(team, specialty, region, year): dual}`` of one family's binding rows."""
    out = {}
    for b in res.to_dict()["binding"]:
        if b["constraint"] == family:
            out[b.get("team"), b.get("specialty"), b.get("region"), b.get("year")] = b["dual"]
    return out


def assert_agree(results: dict) -> None:
    ref = results["highs"]
    for b, res in results.items():
        assert res.objective == pytest.approx(ref.objective, rel=REL, abs=REL), b
        np.testing.assert_allclose(res.allocation["posts"], ref.allocation["posts"], atol=POSTS, err_msg=b)
        assert res.supply[["region", "specialty", "year"]].equals(ref.supply[["region", "specialty", "year"]]), b
        for column in ("completions", "joiners", "stock", "fair_stock"):
            np.testing.assert_allclose(res.supply[column], ref.supply[column], atol=POSTS, err_msg=(b, column))
        np.testing.assert_allclose(
            res.supply_kpis.select_dtypes("number"), ref.supply_kpis.select_dtypes("number"), atol=POSTS, err_msg=b
        )


CASES = {
    "no weights": ({}, "posts"),
    "supply gap": ({"supply_shortfall": 1.0, "supply_surplus": 1.0}, "posts"),
    "team gap": ({"team_shortfall": 1.0, "team_surplus": 1.0}, "posts"),
    "worst supply": ({"worst_supply": 1.0}, "posts"),
    "team on stock": ({"team_shortfall": 1.0, "team_surplus": 1.0, "supply_shortfall": 1.0}, "stock"),
}


def test_every_family_has_a_builder_in_each_algebraic_backend():
    for family in WORKFORCE:
        assert family in FAMILIES
        assert callable(pyomo_backend.BUILDERS[family]) and callable(pulp_backend.BUILDERS[family])


def test_every_row_group_with_a_pipeline_and_teams():
    """With a pipeline, a team with a max_share and a worst_supply weight every row group of
    §10 and §11 is built, keyed by real ids (years as years)."""
    d = problem_data(validate(toy_workforce()))
    spec = DEFAULT_MODEL.with_weights(worst_supply=1.0)
    m = pyomo_backend.build_model(d, spec)
    prob = pulp_backend.build_model(d, spec)
    groups = {g for g, f in ROW_GROUP_FAMILY.items() if f in WORKFORCE}
    assert {"stock_flow_pool", *WORKFORCE} <= groups
    for name in groups:
        assert isinstance(m.find_component(name), pyo.Constraint), name
    assert groups <= set(prob.rows)
    R, S, E = 3, 2, len(d.pipeline.years)
    assert len(m.stock) == len(prob.stock) == len(m.stock_flow) == len(prob.rows["stock_flow"]) == R * S * E
    assert len(m.stock_flow_pool) == len(prob.rows["stock_flow_pool"]) == S * E
    assert len(m.supply_gap) == len(prob.rows["supply_gap"]) == R * S * 2
    assert len(m.supply_gap_total) == len(prob.rows["supply_gap_total"]) == S * 2
    assert set(m.team_mix) == set(prob.rows["team_mix"]) == {("t", "psych", r, y) for r in d.regions for y in d.years}
    assert set(m.team_gap) == set(prob.rows["team_gap"]) == {("t", r, y) for r in d.regions for y in d.years}
    assert ("north", "gp", 2032) in m.worst_supply and ("north", "gp", 2032) in prob.rows["worst_supply"]
    assert m.z_supply is not None and prob.z_supply is not None


@pytest.mark.parametrize("case", CASES)
def test_backends_agree(case):
    weights, on = CASES[case]
    inst = validate(toy_workforce(on=on))
    results = solve_all(inst, DEFAULT_MODEL.with_weights(**weights))
    assert len(results["highs"].supply) == 3 * 2 * 8  # R · S · evaluation years 2025 … 2032
    assert_agree(results)


def test_weights_move_the_posts():
    """The instance is not trivial: the supply and team weights change the answer."""
    inst = validate(toy_workforce())
    plain = allocator.solve(inst, DEFAULT_MODEL).allocation["posts"].to_numpy()
    for weights in ({"supply_shortfall": 1.0, "supply_surplus": 1.0}, {"team_shortfall": 1.0, "team_surplus": 1.0}):
        moved = allocator.solve(inst, DEFAULT_MODEL.with_weights(**weights)).allocation["posts"].to_numpy()
        assert np.abs(moved - plain).max() > 0.5, weights


def test_team_mix_duals_labelled_alike():
    """A skill-mix limit on the stock binds: every backend reports the same rows (team id,
    member specialty, region, actual year) with the same duals."""
    inst = validate(toy_workforce(on="stock", max_share=0.28))
    results = solve_all(inst, DEFAULT_MODEL)
    assert_agree(results)
    ref = binding_of(results["highs"], "team_mix")
    assert ref, "the limit should bind"
    assert all(team == "t" and s == "psych" and year == 2032 for team, s, _, year in ref)
    for b, res in results.items():
        got = binding_of(res, "team_mix")
        assert got.keys() == ref.keys(), b
        for key, dual in ref.items():
            assert got[key] == pytest.approx(dual, rel=1e-6, abs=1e-9), (b, key)


def test_worst_supply_duals_labelled_alike():
    inst = validate(toy_workforce())
    results = solve_all(inst, DEFAULT_MODEL.with_weights(worst_supply=1.0, supply_shortfall=0.1))
    ref = binding_of(results["highs"], "worst_supply")
    assert ref
    for b, res in results.items():
        assert binding_of(res, "worst_supply").keys() == ref.keys(), b


def test_pipeline_without_supply_weights_changes_only_the_report():
    """§10: omitted supply weights are 0, so the posts optimum is that of the instance without
    the pipeline block (the tie-break answer too), on every backend."""
    with_pipeline = validate(toy_workforce(teams=False))
    without = validate(toy_workforce(teams=False, pipeline=False))
    for b in BACKENDS:
        a = allocator.solve(with_pipeline, DEFAULT_MODEL, backend=b)
        n = allocator.solve(without, DEFAULT_MODEL, backend=b)
        assert a.status == n.status == "optimal", b
        assert a.objective == pytest.approx(n.objective, rel=REL, abs=REL), b
        np.testing.assert_allclose(a.allocation["posts"], n.allocation["posts"], atol=POSTS, err_msg=b)
        assert len(a.supply) and not len(n.supply)


def test_researcher_constrains_a_stock():
    """``m.stock`` (Pyomo) and ``prob.stock`` (PuLP) are there to constrain; both models give
    the same optimum with the extra row, and the row holds."""
    inst = validate(toy_workforce(teams=False))
    free = allocator.solve(inst, DEFAULT_MODEL).objective
    key = ("middle", "gp", 2032)

    pyomo_built = allocator.build(inst, DEFAULT_MODEL, backend="pyomo")
    m = pyomo_built.model
    m.extra = pyo.Constraint(expr=m.stock[key] >= 210)
    pyomo_res = pyomo_built.solve()

    pulp_built = allocator.build(inst, DEFAULT_MODEL, backend="pulp")
    prob = pulp_built.model
    prob += prob.stock[key] >= 210, "extra"
    pulp_res = pulp_built.solve()

    assert pyomo_res.status == pulp_res.status == "optimal"
    assert pyomo_res.objective == pytest.approx(pulp_res.objective, rel=REL)
    assert pyomo_res.objective > free + 1e-3
    np.testing.assert_allclose(pyomo_res.allocation["posts"], pulp_res.allocation["posts"], atol=POSTS)
    assert pyo.value(m.stock[key]) == pytest.approx(210, abs=1e-6)
    assert m.dual[m.extra] > 0
    assert prob.get_constraint_by_name("extra").pi == pytest.approx(m.dual[m.extra], rel=1e-6)


# ------------------------------------------------------------------------- property


@st.composite
def pipeline_instances(draw):
    """A generated instance and the same with a random pipeline block (settle, join, leave,
    completion and fill rates, delays and their shares, stocks, mobility, assessed years)."""
    R, S, Y = draw(st.integers(2, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    base = generate(R, S, Y, seed=draw(st.integers(0, 10_000))).to_dict()
    base["schema_version"] = 2
    plain = copy.deepcopy(base)
    last = base["years"][-1]
    horizon = last + draw(st.integers(0, 6))
    rate = st.floats(0.0, 1.0, allow_nan=False).map(lambda v: round(v, 3))
    specs = []
    for s in base["specialties"]:
        delays = sorted(draw(st.sets(st.integers(1, 6), min_size=1, max_size=3)))
        raw = [draw(st.integers(1, 5)) for _ in delays]
        shares = [w / sum(raw) for w in raw]
        shares[-1] = 1.0 - sum(shares[:-1])
        specs.append(
            {
                "specialty": s["id"],
                "completion_rate": draw(rate),
                "delay_years": delays,
                "delay_shares": shares,
                "settle_rate": draw(rate),
                "join_rate": draw(rate),
                "leave_rate": round(draw(st.floats(0.0, 0.2)), 3),
            }
        )
    regions = [r["id"] for r in base["regions"]]
    evaluation = list(range(base["years"][0], horizon + 1))
    base["pipeline"] = {
        "horizon_year": horizon,
        "mobility": draw(st.sampled_from(["need", "lost"])),
        "specialties": specs,
        "fill_rate": [
            {"region": r, "specialty": s["id"], "rate": round(draw(st.floats(0.5, 1.0)), 3)}
            for r in regions
            for s in base["specialties"]
        ],
        "stock": [
            {"region": r, "specialty": s["id"], "headcount": float(draw(st.integers(0, 500)))}
            for r in regions
            for s in base["specialties"]
        ],
        "assess_years": sorted(draw(st.sets(st.sampled_from(evaluation), min_size=1, max_size=3))),
    }
    return validate(base), validate(plain)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pipeline_instances(), st.sampled_from(BACKENDS), st.sampled_from(["fair-share", "equity-first"]))
def test_property_zero_supply_weights_leave_the_optimum(pair, backend, model_name):
    with_pipeline, plain = pair
    model = load_model(ROOT / "models" / f"{model_name}.toml")
    model = model.with_weights(supply_shortfall=0.0, supply_surplus=0.0, worst_supply=0.0)
    a = allocator.solve(with_pipeline, model, backend=backend)
    n = allocator.solve(plain, model, backend=backend)
    assert a.status == n.status
    if n.status != "optimal":
        return
    assert a.objective == pytest.approx(n.objective, rel=REL, abs=REL)
    np.testing.assert_allclose(a.allocation["posts"], n.allocation["posts"], atol=POSTS)
    assert len(a.supply) == len(a.allocation) // len(with_pipeline.years) * (
        with_pipeline.pipeline.horizon_year - with_pipeline.years[0] + 1
    )
