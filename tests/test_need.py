"""Need factors and the fair-share waterfall (docs/model.md §3b).

The worked instance :func:`worked` has two regions, ``a`` (population 100) and ``b`` (300), two
specialties (``gp`` 40 posts, ``psych`` 20) and two years (2025, 2026), ``need_index`` and
``need_weights`` at their defaults (1: their factor term is 1), and three factors::

    dep  blend 0.5, all specialties:  a 2, b 1
         Σ pop = 400, Σ pop·F = 200 + 300 = 500, F̂ = (2·400/500, 1·400/500) = (1.6, 0.8)
         term = 1 − 0.5 + 0.5·F̂ = (1.3, 0.9)
    rur  blend 1, gp only:            a 3, b 1
         Σ pop·F = 300 + 300 = 600, F̂ = (3·400/600, 400/600) = (2, 2/3) = term
    age  blend 0.25, by year:         a 1 (every year), a 4 from 2026; b 1
         2025: F = (1, 1), F̂ = (1, 1), term 1
         2026: F = (4, 1), Σ pop·F = 700, F̂ = (16/7, 4/7),
               term = (0.75 + 4/7, 0.75 + 1/7) = (37/28, 25/28)

so ``D = population · Π terms``::

    gp    2025: a 100·1.3·2 = 260,         b 300·0.9·(2/3) = 180   T = 40·(260, 180)/440
    psych 2025: a 100·1.3 = 130,           b 300·0.9 = 270         T = 20·(130, 270)/400 = (6.5, 13.5)
    gp    2026: a 260·37/28 = 9620/28,     b 180·25/28 = 4500/28   T = 40·(9620, 4500)/14120
    psych 2026: a 130·37/28 = 4810/28,     b 270·25/28 = 6750/28   T = 20·(4810, 6750)/11560

The need-weighted population (factors with no ``specialties`` and no region-and-specialty
values: need_index, dep, age) is ``(130, 270)`` in 2025 and ``(130·37/28, 270·25/28)`` in 2026.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import allocator
from allocator.analysis.check_tables import _Tables
from allocator.core.data import problem_data
from allocator.core.examples import INSTANCE_KINDS, examples
from allocator.core.instance import InstanceError
from allocator.core.need import lookup
from allocator.core.validate import validate
from allocator.io.instance import load_instance, write_tables

from .conftest import ROOT

HAND_TARGET = {
    ("a", "gp", 2025): 40 * 260 / 440,
    ("b", "gp", 2025): 40 * 180 / 440,
    ("a", "psych", 2025): 6.5,
    ("b", "psych", 2025): 13.5,
    ("a", "gp", 2026): 40 * 9620 / 14120,
    ("b", "gp", 2026): 40 * 4500 / 14120,
    ("a", "psych", 2026): 20 * 4810 / 11560,
    ("b", "psych", 2026): 20 * 6750 / 11560,
}
HAND_WEIGHTED = {2025: (130.0, 270.0), 2026: (130 * 37 / 28, 270 * 25 / 28)}


def worked() -> dict:
    """The instance of the module docstring."""
    return {
        "schema_version": 3,
        "name": "need-worked",
        "baseline_year": 2024,
        "years": [2025, 2026],
        "regions": [{"id": "a", "population": 100}, {"id": "b", "population": 300}],
        "specialties": [{"id": "gp", "programme_years": 3}, {"id": "psych", "programme_years": 3}],
        "baseline_posts": [
            {"region": "a", "specialty": "gp", "posts": 20},
            {"region": "b", "specialty": "gp", "posts": 20},
            {"region": "a", "specialty": "psych", "posts": 10},
            {"region": "b", "specialty": "psych", "posts": 10},
        ],
        "need": {
            "factors": [
                {"id": "dep", "blend": 0.5, "values": [{"region": "a", "value": 2}, {"region": "b", "value": 1}]},
                {
                    "id": "rur",
                    "blend": 1.0,
                    "specialties": ["gp"],
                    "values": [{"region": "a", "value": 3}, {"region": "b", "value": 1}],
                },
                {
                    "id": "age",
                    "blend": 0.25,
                    "values": [{"region": "a", "value": 1}, {"region": "a", "year": 2026, "value": 4}],
                },
            ]
        },
    }


def _targets(d) -> dict:
    return {(r, s, t): float(d.target[i, j, k]) for (r, s, t), (i, j, k) in d.cells()}


def test_d_and_t_by_hand():
    d = problem_data(validate(worked()))
    assert _targets(d) == pytest.approx(HAND_TARGET, rel=1e-12)
    for k, year in enumerate(d.years):
        assert d.weighted_population[:, k] == pytest.approx(HAND_WEIGHTED[year], rel=1e-12)
    assert [f.id for f in d.need_factors] == ["need_index", "need_weights", "dep", "rur", "age"]


def test_the_checker_restates_d_and_t_by_hand():
    """The checker's own tables (analysis/check_need.py) give the same T and weighted population."""
    tb = _Tables(validate(worked()))
    got = {
        (r, s, t): float(tb.target[i, j, k])
        for i, r in enumerate(tb.regions)
        for j, s in enumerate(tb.specialties)
        for k, t in enumerate(tb.years)
    }
    assert got == pytest.approx(HAND_TARGET, rel=1e-12)
    for k, year in enumerate(tb.years):
        assert tb.weighted_population(k) == pytest.approx(HAND_WEIGHTED[year], rel=1e-12)


@pytest.mark.parametrize("backend", ["highs", "pyomo", "pulp"])
def test_every_backend_solves_to_the_hand_targets(backend):
    """No limits: the fair-share model puts every cell on its target; the checker agrees."""
    inst = validate(worked())
    res = allocator.solve(inst, backend=backend)
    assert res.status == "optimal"
    rows = {(a["region"], a["specialty"], a["year"]): a for a in res.to_dict()["allocation"]}
    assert {k: v["target"] for k, v in rows.items()} == pytest.approx(HAND_TARGET, rel=1e-9)
    assert {k: v["posts"] for k, v in rows.items()} == pytest.approx(HAND_TARGET, abs=1e-6)
    assert allocator.check(inst, res).ok


def test_the_checker_catches_targets_without_the_factors():
    """A result whose targets ignore the factors (v2's D) is refused by the checker."""
    data = worked()
    res = allocator.solve(validate(data))
    plain = copy.deepcopy(data)
    del plain["need"]
    report = allocator.check(validate(plain), res)
    assert not report.ok and any(v.constraint == "target" for v in report.violations)


def test_lookup_rule_first_found():
    """Region-and-specialty for the latest year <= t; its entry without a year; the region for the
    latest year <= t; the region without a year; 1.0."""
    data = worked()
    data["years"] = [2025, 2026, 2027]
    values = [
        {"region": "a", "value": 2},
        {"region": "a", "year": 2026, "value": 3},
        {"region": "a", "specialty": "psych", "value": 5},
        {"region": "a", "specialty": "psych", "year": 2027, "value": 7},
        {"region": "a", "specialty": "psych", "year": 2020, "value": 11},
    ]
    data["need"] = {"factors": [{"id": "f", "values": values}]}
    inst = validate(data)
    got = lookup(inst, inst.need.factors[0], [2019, 2025, 2026, 2027])
    assert got[0, 0].tolist() == [2, 2, 3, 3]  # a/gp: region entries only
    assert got[0, 1].tolist() == [5, 11, 11, 7]  # a/psych: 2020 entry from 2020, 2027 from 2027
    assert got[1].tolist() == [[1.0] * 4] * 2  # b: nothing given


def test_builtins_at_blend_one_give_v2_targets():
    """With only the built-in factors at blend 1, T equals version 2's T (§3b)."""
    for name in ("england-regions-2025", "england-pipeline-2025", "england-teams-2025"):
        data = json.loads((ROOT / "instances" / f"{name}.json").read_text())
        v2 = problem_data(validate(data))
        listed = copy.deepcopy(data) | {"schema_version": 3}
        listed["need"] = {"factors": [{"id": "need_weights", "blend": 1.0}, {"id": "need_index", "blend": 1}]}
        for variant in (listed, copy.deepcopy(data) | {"schema_version": 3, "need": {"factors": []}}):
            d = problem_data(validate(variant))
            assert d.has_need_block
            np.testing.assert_allclose(d.target, v2.target, rtol=1e-12, atol=1e-9)
            if v2.pipeline is not None:
                np.testing.assert_allclose(d.pipeline.share, v2.pipeline.share, rtol=1e-12, atol=1e-15)


def _shipped():
    out = []
    for e in examples(INSTANCE_KINDS):
        if e.path.suffix in (".json", ".xlsx"):
            out.append(e)
    return out


@pytest.mark.parametrize("example", _shipped(), ids=lambda e: e.name)
def test_waterfall_sums_to_the_targets_on_every_shipped_instance(example):
    try:
        inst = load_instance(example.path)
    except InstanceError:  # the shipped malformed examples
        pytest.skip("not a valid instance")
    d = problem_data(inst)
    steps, posts = d.waterfall()
    assert steps[0] == "population" and len(steps) == posts.shape[0] >= 3
    np.testing.assert_allclose(posts.sum(axis=0), d.target, rtol=0, atol=1e-9)
    # the first step is the equal-per-head share of the national total
    head = d.population / d.population.sum(axis=0)
    np.testing.assert_allclose(posts[0], head[:, None, :] * d.national[None], rtol=0, atol=1e-9)


def test_waterfall_of_a_ranged_total_uses_the_solution_total():
    data = worked()
    data["national_posts"] = [{"specialty": "gp", "year": 2025, "min_posts": 30, "max_posts": 60}]
    d = problem_data(validate(data))
    x = d.target.copy() * 1.25
    steps, posts = d.waterfall(x)
    np.testing.assert_allclose(posts.sum(axis=0), d.target_of(x), rtol=0, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(min_value=1e-3, max_value=1e3), which=st.sampled_from(["dep", "rur", "age"]))
def test_scaling_a_factor_leaves_t_unchanged(scale, which):
    """Normalisation invariance: multiplying every value of a factor by a constant changes no T."""
    base = problem_data(validate(worked())).target
    data = worked()
    for f in data["need"]["factors"]:
        if f["id"] == which:
            for v in f["values"]:
                v["value"] *= scale
    if which == "age":  # b has no value of its own (1.0): give it one, scaled like the others
        data["need"]["factors"][2]["values"].append({"region": "b", "value": scale})
    np.testing.assert_allclose(problem_data(validate(data)).target, base, rtol=1e-9, atol=1e-12)


def test_without_a_need_block_d_is_v2s():
    data = json.loads((ROOT / "instances" / "toy" / "toy-3x2.json").read_text())
    d = problem_data(validate(data))
    assert not d.has_need_block and d.need_population is None
    R, S, Y = d.shape
    expected = d.population[:, None, :] * d.need_index[:, None, None] * np.ones((R, S, Y))
    assert np.array_equal(d.need, expected)


# --------------------------------------------------------------------------- validation


def test_need_block_problems_all_at_once():
    data = worked()
    factors = data["need"]["factors"]
    factors.append({"id": "dep", "values": [{"region": "c", "value": 1}]})
    factors.append({"id": "need_index", "blend": 0.5, "values": [{"region": "a", "value": 1}]})
    factors.append({"id": "x", "specialties": ["gq"], "values": [{"region": "a", "specialty": "gq", "value": 1}]})
    factors[0]["values"].append({"region": "a", "value": 9})
    factors[1]["values"].append({"region": "b", "value": 0})
    with pytest.raises(InstanceError) as err:
        validate(data, source="need.json")
    text = str(err.value)
    for part in (
        "need.factors[0].values[2]: duplicate entry for region 'a', every year (first at need.factors[0].values[0])",
        "need.factors[1].values[2].value: Input should be greater than 0",
        "need.factors[3].id: duplicate factor id 'dep' (first at need.factors[0])",
        "need.factors[3].values[0].region: unknown region 'c'",
        "need.factors[4].values: 'need_index' is a built-in factor",
        "need.factors[5].specialties[0]: unknown specialty 'gq'",
        "need.factors[5].values[0].specialty: unknown specialty 'gq'",
    ):
        assert part in text, text


def test_need_block_needs_schema_version_3():
    data = worked() | {"schema_version": 2}
    with pytest.raises(InstanceError, match="need: need factors .* set schema_version: 3"):
        validate(data, source="v2.json")


def test_blend_is_a_rate():
    data = worked()
    data["need"]["factors"][0]["blend"] = 20
    with pytest.raises(InstanceError, match=r"blend: 20 is 2000 %; write 0.2 for 20 %"):
        validate(data)


@pytest.mark.parametrize("suffix", ["book.xlsx", "folder"])
def test_need_block_round_trips_through_tables(tmp_path, suffix):
    inst = validate(worked())
    back = load_instance(write_tables(inst, tmp_path / suffix))
    assert back == inst


def test_a_need_value_naming_an_unknown_factor_says_where(tmp_path):
    folder = write_tables(validate(worked()), tmp_path / "csv")
    text = (folder / "need_values.csv").read_text().replace("rur,", "rurr,", 1)
    (folder / "need_values.csv").write_text(text)
    with pytest.raises(InstanceError) as err:
        load_instance(folder)
    assert "file need_values.csv" in str(err.value) and "unknown factor 'rurr'" in str(err.value)
    assert "did you mean `rur`?" in str(err.value)


# --------------------------------------------------------------------------- measures, reports


def test_measures_use_the_need_weighted_population():
    """§8 with a need block: posts per 100,000 and the Gini are per the need-weighted population
    of §3b (need_index, dep and age here; not rur, which is limited to gp)."""
    from allocator.solution.measures import weighted_gini

    inst = validate(worked())
    res = allocator.solve(inst)
    d = problem_data(inst)
    x = res.posts_array(d)
    for k, year in enumerate(d.years):
        v = np.array(HAND_WEIGHTED[year])
        gini = float(res.kpis.set_index("year").loc[year, "gini"])
        assert gini == pytest.approx(weighted_gini(1e5 * x[:, :, k].sum(axis=1) / v, v), abs=1e-12)
        assert gini > 0  # rur moves gp posts to a beyond its need-weighted population share


def test_assumptions_list_each_factor_with_blend_and_source():
    from allocator.report.assumptions import assumptions

    inst = load_instance(ROOT / "instances" / "template-workforce.xlsx")
    rows = dict(dict(assumptions(inst, allocator.solve(inst), None))["Need"])
    assert rows["Need factor: Deprivation (deprivation)"].startswith("blend 20 %; 3 values by region, 0.85–1.2")
    assert (
        "source: made-up numbers for the template (allocator, 2024; estimated)"
        in rows["Need factor: Deprivation (deprivation)"]
    )
    assert "blend 0 %" in rows["Need factor: Rural population share (rurality)"]
    assert "specialties: gp" in rows["Need factor: Rural population share (rurality)"]
    assert rows["Need factor: need_index"].startswith("built-in (need_index of §2); blend 100 %")
    pipeline = dict(dict(assumptions(inst, None, None))["Pipeline"])
    assert pipeline["Region settle rates"] == "north / gp 70 %; the specialty's rate elsewhere"


def test_instance_of_problem_data_keeps_the_factors_and_settle_rates():
    """Problem data written back as an instance (for the checker of whole posts without the
    original instance) keeps the need block and region settle rates exactly."""
    from allocator.pipeline.rounding import instance_of

    inst = load_instance(ROOT / "instances" / "template-workforce.xlsx")
    d = problem_data(inst)
    back = problem_data(instance_of(d))
    assert np.array_equal(back.target, d.target)
    assert np.array_equal(back.weighted_population, d.weighted_population)
    assert np.array_equal(back.pipeline.settle_region, d.pipeline.settle_region)
    np.testing.assert_allclose(back.pipeline.share, d.pipeline.share, rtol=1e-12)
    assert allocator.check(instance_of(d), allocator.solve(inst)).ok
