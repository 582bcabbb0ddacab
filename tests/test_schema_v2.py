"""Schema v2 (FORMULATION v2 §2, §3, §5, §10, §11): ``schema_version`` 1 and 2,
``shrink_allowance``, national totals given as ranges, and the blocks of the workforce pipeline
and teams (with ``profession`` and need weights by year): validated with messages naming the
entry and field, loaded from JSON, a workbook and a CSV folder.

Hand-worked optima are solved by all three backends, which must agree to 1e-6 and pass the
independent checker; a hypothesis property does the same on generated instances with random
shrink allowances and ranges.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import allocator
from allocator.analysis.check import check
from allocator.cli.main import app
from allocator.core.data import problem_data
from allocator.core.instance import InstanceError
from allocator.core.spec import DEFAULT_MODEL, ModelSpec, Objective
from allocator.core.validate import validate
from allocator.io.instance import load_instance
from allocator.model.presolve import presolve_findings
from allocator.study.generate import generate

from .conftest import ROOT, TOYS

BACKENDS = ("highs", "pyomo", "pulp")
TOL = 1e-6

# Two regions of equal need (shares 1/2, 1/2), one specialty; north holds 30 of 40 posts.
TWO = {
    "schema_version": 2,
    "name": "two-v2",
    "baseline_year": 2024,
    "years": [2025],
    "regions": [{"id": "north", "population": 100000}, {"id": "south", "population": 100000}],
    "specialties": [{"id": "gp"}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 30},
        {"region": "south", "specialty": "gp", "posts": 10},
    ],
}


def two(**changes) -> dict:
    data = copy.deepcopy(TWO)
    data.update(copy.deepcopy(changes))
    return data


def rng(low=None, high=None) -> list[dict]:
    """``national_posts`` with one ranged entry for gp in 2025."""
    entry = {"specialty": "gp", "year": 2025}
    if low is not None:
        entry["min_posts"] = low
    if high is not None:
        entry["max_posts"] = high
    return [entry]


def posts(res) -> dict:
    """``{(region, year): posts}`` of a one-specialty result."""
    return {(r.region, r.year): r.posts for r in res.allocation.itertuples()}


def solve_everywhere(inst, model=DEFAULT_MODEL) -> dict:
    """Solve on every backend; each must be optimal and pass the checker (with the objective)."""
    out = {}
    for b in BACKENDS:
        res = allocator.solve(inst, model, backend=b)
        assert res.status == "optimal", (b, res.message)
        report = check(inst, res, model=model)
        assert report.ok, (b, str(report))
        out[b] = res
    return out


def assert_agree(results: dict) -> None:
    ref = results["highs"]
    for b, res in results.items():
        assert res.objective == pytest.approx(ref.objective, rel=TOL, abs=TOL), b
        np.testing.assert_allclose(res.allocation["posts"], ref.allocation["posts"], atol=TOL, err_msg=b)
        np.testing.assert_allclose(res.allocation["target"], ref.allocation["target"], atol=TOL, err_msg=b)


# ------------------------------------------------------------------------------ versions


def test_every_shipped_v1_file_loads_and_solves_unchanged():
    """A v1 file is a v2 file without the v2 fields: same data, nothing ranged, no allowance."""
    files = [*TOYS, *sorted((ROOT / "instances").glob("england-*.json"))]
    for path in files:
        raw = json.loads(path.read_text())
        inst = load_instance(path)
        assert inst.schema_version == raw["schema_version"]
        d = problem_data(inst)
        if raw["schema_version"] == 1:
            assert not d.ranged.any() and d.shrink_allowance == 0
            np.testing.assert_array_equal(d.national_min, d.national)
            np.testing.assert_array_equal(d.national_max, d.national)
            np.testing.assert_array_equal(d.target_bar, d.target)


def test_v1_file_is_the_same_as_v2():
    """The same data under schema_version 1 and 2 solves to the same result."""
    v1 = validate(two(schema_version=1))
    v2 = validate(two())
    a, b = allocator.solve(v1), allocator.solve(v2)
    assert a.objective == b.objective
    np.testing.assert_array_equal(a.allocation["posts"], b.allocation["posts"])


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda d: d.update(transition={"max_shrink_rate": 0.1, "shrink_allowance": 1}), "transition.shrink_allowance"),
        (
            lambda d: d.update(national_posts=[{"specialty": "gp", "year": 2025, "min_posts": 30}]),
            "national_posts[0].min_posts",
        ),
        (
            lambda d: d.update(national_posts=[{"specialty": "gp", "year": 2025, "max_posts": 60}]),
            "national_posts[0].max_posts",
        ),
        (
            lambda d: d.update(
                pipeline={
                    "horizon_year": 2030,
                    "specialties": [{"specialty": "gp", "delay_years": [3], "delay_shares": [1]}],
                }
            ),
            "pipeline",
        ),
        (lambda d: d.update(teams=[{"id": "t", "members": [{"specialty": "gp"}]}]), "teams"),
        (lambda d: d["specialties"][0].update(profession="acp"), "specialties[0].profession"),
        (
            lambda d: d.update(need_weights=[{"region": "north", "specialty": "gp", "year": 2025, "weight": 2}]),
            "need_weights[0].year",
        ),
    ],
)
def test_v1_file_with_a_v2_field_says_set_version_2(change, where):
    data = two(schema_version=1)
    change(data)
    with pytest.raises(InstanceError) as e:
        validate(data, "old.json")
    assert f"old.json: {where}:" in str(e.value)
    assert "set schema_version: 2" in str(e.value)
    data["schema_version"] = 2
    validate(data)  # the same file as v2 is fine


@pytest.mark.parametrize("version", [0, 4, 10])
def test_other_versions_rejected(version):
    with pytest.raises(
        InstanceError, match=rf"schema_version: unsupported version {version} \(this tool reads 1, 2 and 3\)"
    ):
        validate(two(schema_version=version), "x.json")


PIPELINE = {
    "horizon_year": 2030,
    "mobility": "lost",
    "specialties": [{"specialty": "gp", "completion_rate": 0.9, "delay_years": [3, 4], "delay_shares": [0.7, 0.3]}],
    "fill_rate": [{"region": "north", "specialty": "gp", "rate": 0.85}],
    "stock": [{"region": "south", "specialty": "gp", "headcount": 120}],
    "assess_years": [2028, 2030],
}
TEAMS = [
    {
        "id": "primary-care",
        "members": [{"specialty": "gp"}, {"specialty": "acp", "equivalence": 0.6, "max_share": 0.25}],
        "need_weights": [{"region": "north", "weight": 1.1}],
        "on": "stock",
    }
]


def with_blocks() -> dict:
    """TWO with an ACP programme (another profession), a pipeline, a team, and a need weight by year."""
    data = two(pipeline=PIPELINE, teams=TEAMS)
    data["specialties"].append({"id": "acp", "programme_years": 2, "profession": "acp"})
    data["baseline_posts"].append({"region": "north", "specialty": "acp", "posts": 4})
    data["need_weights"] = [{"region": "south", "specialty": "gp", "year": 2025, "weight": 1.2}]
    return data


def test_pipeline_teams_profession_load_by_every_route(tmp_path):
    """The v2 blocks are read, not refused: JSON, workbook and CSV folder give the same instance,
    and `allocator validate` accepts them."""
    from allocator.io.table_write import same_instance, write_tables

    inst = validate(with_blocks(), "x.json")
    assert inst.pipeline.horizon_year == 2030 and inst.pipeline.mobility == "lost"
    assert inst.pipeline.specialties[0].delay_shares == [0.7, 0.3]
    assert [m.specialty for m in inst.teams[0].members] == ["gp", "acp"] and inst.teams[0].on == "stock"
    assert inst.specialties[1].profession == "acp" and inst.specialties[0].profession == "medicine"
    assert inst.need_weights[0].year == 2025
    path = tmp_path / "v2.json"
    path.write_text(inst.to_json())
    assert load_instance(path) == inst
    assert same_instance(load_instance(write_tables(inst, tmp_path / "v2.xlsx")), inst)
    assert load_instance(write_tables(inst, tmp_path / "csv")) == inst
    for target in (path, tmp_path / "v2.xlsx", tmp_path / "csv"):
        result = CliRunner().invoke(app, ["validate", str(target)])
        assert result.exit_code == 0, result.output
        assert "not yet supported" not in result.output


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d["pipeline"]["specialties"][0].update(delay_shares=[0.7, 0.2]),
            "pipeline.specialties[0]: delay_shares sum to 0.9, not 1",
        ),
        (
            lambda d: d["pipeline"]["specialties"][0].update(delay_shares=[1.0]),
            "pipeline.specialties[0]: delay_years has 2 entries but delay_shares has 1",
        ),
        (
            lambda d: d["teams"][0]["members"][1].update(specialty="apc"),
            "teams[0].members[1].specialty: unknown team member 'apc' (known: gp, acp)",
        ),
        (
            lambda d: d["teams"][0]["members"][1].update(specialty="gp"),
            "teams[0].members[1].specialty: 'gp' is already a member (teams[0].members[0])",
        ),
        (lambda d: d["pipeline"].pop("horizon_year"), "pipeline.horizon_year: required field is missing"),
        (
            lambda d: d["pipeline"].update(horizon_year=2024, assess_years=None),
            "pipeline.horizon_year: 2024 is before the last planning year 2025",
        ),
        (
            lambda d: d["pipeline"].update(assess_years=[2028, 2031]),
            "pipeline.assess_years[1]: year 2031 is outside the evaluation years 2025–2030",
        ),
        (
            lambda d: d["specialties"][1].pop("programme_years"),
            "specialties[1].programme_years: required by the pipeline: 'acp' has no delay_years",
        ),
        (
            lambda d: d["pipeline"]["specialties"][0].update(settle_rate=1.1),
            "pipeline.specialties[0].settle_rate: 1.1 is 110 %; write 0.011 for 1.1 % (a rate is a fraction in [0, 1])",
        ),
        (
            lambda d: d["teams"][0]["members"][0].update(equivalence=0),
            "teams[0].members[0].equivalence: Input should be greater than 0",
        ),
        (
            lambda d: d["teams"][0]["members"][1].update(max_share=0),
            "teams[0].members[1].max_share: Input should be greater than 0",
        ),
        (
            lambda d: d["teams"][0]["members"][1].update(max_share=1.01),
            "teams[0].members[1].max_share: Input should be less than or equal to 1",
        ),
        (
            lambda d: d.pop("pipeline"),
            'teams[0].on: a team "on": "stock" counts trained staff: it needs a pipeline block',
        ),
        (
            lambda d: (
                d.pop("pipeline"),
                d["teams"][0].pop("on"),
                d.update(population_by_year=[{"region": "north", "year": 2027, "population": 1}]),
            ),
            "population_by_year[0].year: year 2027 is not a planning year (known: 2025)",
        ),
    ],
)
def test_v2_block_messages(change, message, tmp_path):
    """Bad v2 blocks: one message naming the file, the entry and the field; exit 2 on the command line."""
    data = with_blocks()
    change(data)
    with pytest.raises(InstanceError) as e:
        validate(data, "x.json")
    assert f"x.json: {message}" in str(e.value)
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(data))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------ validation of v2 fields


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"min_posts": 50, "max_posts": 40}, "national_posts[0]: min_posts 50 is greater than max_posts 40"),
        ({}, "national_posts[0]: give posts (a fixed national total) or a range"),
        (
            {"posts": 40, "min_posts": 30},
            "national_posts[0]: give either posts (a fixed national total) or min_posts",
        ),
        ({"min_posts": -1}, "national_posts[0].min_posts: Input should be greater than or equal to 0"),
    ],
)
def test_range_validation_messages(entry, message):
    data = two(national_posts=[{"specialty": "gp", "year": 2025, **entry}])
    with pytest.raises(InstanceError) as e:
        validate(data, "x.json")
    assert f"x.json: {message}" in str(e.value)


def test_shrink_allowance_needs_max_shrink_rate():
    with pytest.raises(InstanceError, match=r"transition.shrink_allowance: shrink_allowance needs max_shrink_rate"):
        validate(two(transition={"shrink_allowance": 1}), "x.json")


def test_v2_fields_round_trip_through_json():
    inst = validate(
        two(
            transition={"max_shrink_rate": 0.1, "shrink_allowance": 2},
            national_posts=rng(30, 60),
        )
    )
    again = validate(json.loads(inst.to_json()))
    assert again == inst
    assert again.to_dict()["national_posts"] == [
        {"specialty": "gp", "year": 2025, "min_posts": 30.0, "max_posts": 60.0}
    ]


# ------------------------------------------------------------------------ shrink_allowance


def test_shrink_allowance_hand_worked():
    """Two years; ``max_shrink_rate`` 0.1 and ``shrink_allowance`` 2; default model (a = b = 1,
    m = 0.01); the national total stays 40, so T = 20 in each region every year.

    Moving a post from north to south lowers the gap by 2 and costs 0.02 in moves, so north
    loses as much as the shrink limit allows, and every loss is a gain of south:

    - 2025: north may lose 0.1 · 30 + 2 = 5 → x = (25, 15); gap 5 + 5 = 10; moves 5 + 5 = 10;
    - 2026: north may lose 0.1 · 25 + 2 = 4.5 → x = (20.5, 19.5); gap 1; moves 9.

    Every later year's bound 0.9 · x_prev − 2 rises with x_prev, so losing as much as possible
    each year is optimal, and unique (each cost coefficient is 2 − 0.02 > 0).
    Objective = (10 + 1) + 0.01 · (10 + 9) = 11.19. Without the allowance north may lose 3, then
    2.7: x = (27, 13), (24.3, 15.7), objective 14 + 8.6 + 0.01 · (6 + 5.4) = 22.714.
    """
    data = two(years=[2025, 2026], transition={"max_shrink_rate": 0.1, "shrink_allowance": 2})
    results = solve_everywhere(validate(data))
    assert_agree(results)
    res = results["highs"]
    assert res.objective == pytest.approx(11.19, abs=TOL)
    x = posts(res)
    assert x[("north", 2025)] == pytest.approx(25, abs=TOL) and x[("south", 2025)] == pytest.approx(15, abs=TOL)
    assert x[("north", 2026)] == pytest.approx(20.5, abs=TOL) and x[("south", 2026)] == pytest.approx(19.5, abs=TOL)
    assert list(res.kpis["posts_moved"]) == pytest.approx([5, 4.5], abs=TOL)
    binding = res.binding[res.binding["constraint"] == "shrink_limit"]
    assert set(binding["year"]) == {2025, 2026}

    data["transition"].pop("shrink_allowance")
    without = solve_everywhere(validate(data))
    assert_agree(without)
    assert without["highs"].objective == pytest.approx(22.714, abs=TOL)


def test_checker_reads_the_allowance():
    """The hand-worked plan passes with the allowance and breaks the limit without it."""
    data = two(years=[2025, 2026], transition={"max_shrink_rate": 0.1, "shrink_allowance": 2})
    res = allocator.solve(validate(data)).to_dict()
    assert check(validate(data), res).ok
    data["transition"]["shrink_allowance"] = 1
    report = check(validate(data), res)
    assert report.counts() == {"shrink_limit": 2}
    assert "shrink_allowance 1" in report.violations[0].message


def test_presolve_sees_the_allowance():
    """north must fall to 20 in 2025 (capacity): 30 − (0.1 · 30 + a) <= 20 needs a >= 7."""
    data = two(
        transition={"max_shrink_rate": 0.1, "shrink_allowance": 6},
        capacity=[{"region": "north", "specialty": "gp", "max_posts": 20}],
    )
    (finding,) = presolve_findings(problem_data(validate(data)))
    assert finding["constraint"] == "shrink_limit" and finding["relax_by"] == pytest.approx(1)
    assert "shrink_allowance" in finding["message"]
    data["transition"]["shrink_allowance"] = 7
    assert presolve_findings(problem_data(validate(data))) == []
    assert allocator.solve(validate(data)).status == "optimal"


def test_diagnosis_names_the_allowance():
    """The total falls from 40 to 30 while south may hold at most 10: north must lose 10 but may
    lose 0.1 · 30 + 1 = 4. The diagnosis states the limit with its allowance."""
    data = two(
        years=[2025],
        transition={"max_shrink_rate": 0.1, "shrink_allowance": 1},
        national_posts=[{"specialty": "gp", "year": 2025, "posts": 30}],
        capacity=[{"region": "south", "specialty": "gp", "max_posts": 10}],
    )
    res = allocator.solve(validate(data))
    assert res.status == "infeasible"
    text = json.dumps(res.diagnosis)
    assert "shrink" in text and ("+ 1" in text or "shrink_allowance" in text)


# ------------------------------------------------------------------------ ranged totals


def test_range_data():
    """T̄ is the fair share at the baseline total (40) clipped into the range; the targets of a
    solution follow its own total."""
    d = problem_data(validate(two(national_posts=rng(45, 60))))
    assert d.ranged.tolist() == [[True]]
    assert d.national_min[0, 0] == 45 and d.national_max[0, 0] == 60 and d.national[0, 0] == 45
    np.testing.assert_allclose(d.target_bar[:, 0, 0], [22.5, 22.5])
    x = np.array([30.0, 20.0]).reshape(2, 1, 1)
    np.testing.assert_allclose(d.target_of(x)[:, 0, 0], [25, 25])
    d = problem_data(validate(two(national_posts=[{"specialty": "gp", "year": 2025, "max_posts": 30}])))
    assert d.national_min[0, 0] == 0 and d.national[0, 0] == 30  # 40 clipped to the maximum
    d = problem_data(validate(two(national_posts=[{"specialty": "gp", "year": 2025, "min_posts": 1}])))
    assert np.isinf(d.national_max[0, 0]) and d.national[0, 0] == 40  # no maximum


RANGE_LIMITS = {"max_shrink_rate": 0.1, "max_growth_rate": 0.5}


@pytest.mark.parametrize(
    "low, high, expect",
    [
        # (min, max) of the range; expected (x_north, x_south, target each, objective)
        (30, 60, (27, 15, 21, 12.08)),
        (45, 60, (30, 15, 22.5, 15.05)),
        (None, 38, (27, 11, 19, 16.04)),
    ],
)
def test_ranged_total_hand_worked(low, high, expect):
    """Equal need (share 1/2 each), baseline (30, 10); north may shrink 10 % (x_n >= 27), south
    may grow 50 % (x_s <= 15); default model (a = b = 1, m = 0.01). With a ranged total
    T = (x_n + x_s)/2 in both regions, so the gap is |x_n − T| + |x_s − T| = x_n − x_s and

        objective = (x_n − x_s) + 0.01 · (|x_n − 30| + |x_s − 10|).

    - range [30, 60]: x_n as low as it may be (27), x_s as high (15): each unit costs
      1 − 0.01 > 0. Total 42 lies in the range; T = 21; objective 12 + 0.01 · (3 + 5) = 12.08.
      (A fixed total 40 would give (27, 13), T = 20, objective 14.06.)
    - range [45, 60]: x_s <= 15 forces x_n >= 30, so (30, 15), the minimum binding; T = 22.5;
      objective 15 + 0.01 · (0 + 5) = 15.05.
    - range with only max_posts 38: x_n >= 27 leaves x_s <= 11, so (27, 11), the maximum
      binding; T = 19; objective 16 + 0.01 · (3 + 1) = 16.04.

    The baseline gap of §8 is |30 − T| + |10 − T| = 20 for every T in [10, 30], so
    gap_closed_pct = 100 · (1 − (x_n − x_s) / 20).
    """
    entry = {"specialty": "gp", "year": 2025}
    if low is not None:
        entry["min_posts"] = low
    entry["max_posts"] = high
    inst = validate(two(national_posts=[entry], transition=RANGE_LIMITS))
    results = solve_everywhere(inst)
    assert_agree(results)
    xn, xs, target, objective = expect
    res = results["highs"]
    assert res.objective == pytest.approx(objective, abs=TOL)
    x = posts(res)
    assert (x[("north", 2025)], x[("south", 2025)]) == (pytest.approx(xn, abs=TOL), pytest.approx(xs, abs=TOL))
    assert list(res.allocation["target"]) == pytest.approx([target, target], abs=TOL)
    assert res.kpis["gap_posts"][0] == pytest.approx(xn - xs, abs=TOL)
    # the §8 baseline gap uses the solution's targets too: |30 − T| + |10 − T|
    assert res.kpis["gap_closed_pct"][0] == pytest.approx(100 * (1 - (xn - xs) / 20), abs=1e-6)


def test_ranged_worst_shortfall_uses_target_bar():
    """As the [30, 60] case above, with worst_shortfall weight q = 0.1. T̄ = 20 (the baseline
    total 40 lies in the range), the row is 100 · short <= T̄ · z. At (27, 15) south is short by
    T − x_s = 21 − 15 = 6, so z = 100 · 6 / 20 = 30 (not 6/21 of the solution's T) and the
    objective is 12.08 + 0.1 · 30 = 15.08. Every move north → south still lowers the gap and z,
    so the plan is unchanged.
    """
    model = ModelSpec(name="with-z", objective=Objective(shortfall=1, surplus=1, moves=0.01, worst_shortfall=0.1))
    inst = validate(
        two(
            national_posts=rng(30, 60),
            transition=RANGE_LIMITS,
        )
    )
    results = solve_everywhere(inst, model)
    assert_agree(results)
    assert results["highs"].objective == pytest.approx(15.08, abs=TOL)
    # §8's max_shortfall_pct uses the solution's T: 100 · 6 / 21
    assert results["highs"].kpis["max_shortfall_pct"][0] == pytest.approx(600 / 21, abs=1e-6)


def test_lp_chooses_the_total():
    """A range with little else: the LP chooses the total. Baseline (30, 10), range [30, 60],
    capacity north <= 20. With T = (x_n + x_s)/2 the gap is |x_n − x_s|, closed by
    x_n = x_s = v; then moves are (30 − v) + (v − 10) = 20 for every v in [15, 20] (x_n <= 20,
    total 2v >= 30), objective 0.01 · 20 = 0.2. Any x_n != x_s pays 1 per post of gap against
    at most 0.01 of moves saved, so the optimal face is exactly {(v, v): 15 <= v <= 20}: the
    total may be anything in [30, 40]. Only the objective, the zero gap and the total's range
    are asserted (the §6b tie-break picks v = 20: T̄ = 20 in both regions, the baseline total
    40 being inside the range).
    """
    inst = validate(
        two(
            national_posts=rng(30, 60),
            capacity=[{"region": "north", "specialty": "gp", "max_posts": 20}],
        )
    )
    results = solve_everywhere(inst)
    for res in results.values():
        assert res.objective == pytest.approx(0.2, abs=TOL)
        assert res.kpis["gap_posts"][0] == pytest.approx(0, abs=1e-6)
        total = res.allocation["posts"].sum()
        assert 30 - TOL <= total <= 40 + TOL


def test_checker_recomputes_ranged_targets_and_bounds():
    inst = validate(
        two(
            national_posts=rng(45, 60),
            transition=RANGE_LIMITS,
        )
    )
    res = allocator.solve(inst).to_dict()
    assert check(inst, res).ok
    # a target computed from the baseline total is wrong: targets follow the allocation's total
    bad = copy.deepcopy(res)
    for row in bad["allocation"]:
        row["target"] = 20.0
    assert check(inst, bad).counts() == {"target": 2}
    # below the range's minimum (targets kept consistent with the new total)
    low = copy.deepcopy(res)
    low["allocation"][0]["posts"] = 28.0  # total 43 < 45
    for row in low["allocation"]:
        row["target"] = 21.5
    low.pop("kpis")
    report = check(inst, low)
    assert report.counts() == {"national_total": 1}
    assert "below the range's min_posts 45 by 2" in report.violations[0].message


def test_presolve_range_out_of_reach():
    data = two(
        national_posts=[{"specialty": "gp", "year": 2025, "min_posts": 70}],
        capacity=[
            {"region": "north", "specialty": "gp", "max_posts": 35},
            {"region": "south", "specialty": "gp", "max_posts": 30},
        ],
    )
    res = allocator.solve(validate(data))
    assert res.status == "infeasible"
    (finding,) = res.diagnosis["findings"]
    assert finding["constraint"] == "national_total" and finding["relax_by"] == pytest.approx(5)
    assert "at least 70" in finding["message"] and "min_posts of its range" in finding["message"]
    data["national_posts"] = [{"specialty": "gp", "year": 2025, "max_posts": 10}]
    data["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 15}]
    (finding,) = presolve_findings(problem_data(validate(data)))
    assert "at most 10" in finding["message"] and finding["relax_by"] == pytest.approx(5)


def test_whole_posts_need_a_whole_number_in_the_range():
    data = two(national_posts=[{"specialty": "gp", "year": 2025, "min_posts": 40.2, "max_posts": 40.7}])
    res = allocator.solve(validate(data), integer=True)
    assert res.status == "infeasible"
    assert "no whole number" in res.diagnosis["findings"][0]["message"]


def test_integer_mode_with_a_range_on_every_backend():
    inst = validate(
        two(
            national_posts=rng(30, 60),
            transition=RANGE_LIMITS,
        )
    )
    for b in BACKENDS:
        res = allocator.solve(inst, backend=b, integer=True, mip_gap=0.0)
        assert res.status == "optimal" and res.objective == pytest.approx(12.08, abs=TOL), b
        assert check(inst, res, model=DEFAULT_MODEL).ok


# ------------------------------------------------------------------------- property


@st.composite
def v2_instances(draw):
    """Generated instances with a random shrink allowance and random ranges around the v1
    national totals (so a v1-feasible instance stays feasible)."""
    R = draw(st.integers(2, 5))
    S = draw(st.integers(1, 3))
    Y = draw(st.integers(1, 3))
    data = generate(R, S, Y, seed=draw(st.integers(0, 10_000))).to_dict()
    data["schema_version"] = 2
    tr = data["transition"]
    if "max_shrink_rate" in tr and draw(st.booleans()):
        tr["shrink_allowance"] = draw(st.sampled_from([0.0, 0.5, 1.0, 3.0]))
    d = problem_data(validate(data))
    entries = []
    for j, s in enumerate(d.specialties):
        for k, t in enumerate(d.years):
            n = float(d.national[j, k])
            kind = draw(st.sampled_from(["fixed", "both", "min", "max"]))
            if kind == "fixed":
                entries.append({"specialty": s, "year": t, "posts": n})
                continue
            entry = {"specialty": s, "year": t}
            if kind in ("both", "min"):
                entry["min_posts"] = round(n * draw(st.sampled_from([0.8, 0.95, 1.0])), 3)
            if kind in ("both", "max"):
                entry["max_posts"] = round(n * draw(st.sampled_from([1.0, 1.05, 1.2])), 3) + 0.001
            entries.append(entry)
    data["national_posts"] = entries
    return validate(data)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v2_instances(), st.sampled_from(["fair-share", "equity-first"]))
def test_property_v2_instances_solve_and_pass_the_checker(inst, model_name):
    from allocator.core.spec import load_model

    model = load_model(ROOT / "models" / f"{model_name}.toml")
    objectives = {}
    for b in BACKENDS:
        res = allocator.solve(inst, model, backend=b)
        assert res.status == "optimal", (b, res.message)
        report = check(inst, res, model=model)
        assert report.ok, (b, str(report))
        objectives[b] = res.objective
    ref = objectives["highs"]
    for b, value in objectives.items():
        assert value == pytest.approx(ref, rel=1e-6, abs=1e-6), b
