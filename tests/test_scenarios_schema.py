"""The ``scenarios`` block (docs/model.md §12): what it may say, and every problem named."""

from __future__ import annotations

import copy

import pytest

from allocator.core.instance import InstanceError
from allocator.core.validate import validate

from .test_pipeline_optima import TOY


def with_scenarios(block: dict, version: int = 3) -> dict:
    data = copy.deepcopy(TOY) | {"schema_version": version}
    data["scenarios"] = block
    return data


GOOD = {
    "risk": "cvar",
    "alpha": 0.5,
    "members": [
        {"id": "central", "probability": 0.5},
        {
            "id": "low-retention",
            "probability": 0.5,
            "pipeline": {
                "mobility": "lost",
                "specialties": [{"specialty": "gp", "settle_rate": 0.3}],
                "settle_rate": [{"region": "B", "specialty": "gp", "rate": 0.2}],
                "fill_rate": [{"region": "A", "specialty": "gp", "rate": 0.9}],
            },
            "population_scale": [{"region": "B", "year": 2027, "factor": 1.1}],
        },
    ],
}


def problems(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(InstanceError) as err:
        validate(data, "s.json")
    return err.value.problems


def test_a_good_block_reads():
    inst = validate(with_scenarios(GOOD), "s.json")
    assert [m.id for m in inst.scenarios.members] == ["central", "low-retention"]
    assert inst.scenarios.members[1].pipeline.specialties[0].completion_rate is None


def test_a_v2_file_is_told_to_declare_v3():
    found = problems(with_scenarios(GOOD, version=2))
    words = "scenarios (docs/model.md §12) is a schema_version 3 field: set schema_version: 3 to use it"
    assert ("scenarios", words) in found


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (lambda b: b.pop("alpha"), "scenarios.alpha", 'required with risk "cvar"'),
        (lambda b: b.update(risk="worst"), "scenarios.alpha", 'risk "cvar" only'),
        (lambda b: b.update(alpha=1.0), "scenarios.alpha", "less than 1"),
        (lambda b: b["members"][0].update(probability=0.4), "scenarios.members", "sum to 0.9, not 1"),
        (lambda b: b["members"][0].update(probability=0), "scenarios.members[0].probability", "greater than 0"),
        (lambda b: b["members"][1].update(id="central"), "scenarios.members[1].id", "duplicate id 'central'"),
        (
            lambda b: b["members"][1]["pipeline"]["specialties"].append({"specialty": "gp", "join_rate": 0.5}),
            "scenarios.members[1].pipeline.specialties[1]",
            "given twice",
        ),
        (
            lambda b: b["members"][1]["pipeline"]["fill_rate"].append({"region": "A", "specialty": "gp", "rate": 1}),
            "scenarios.members[1].pipeline.fill_rate[1]",
            "(A, gp) is given twice",
        ),
        (
            lambda b: b["members"][1]["pipeline"]["settle_rate"][0].update(region="C"),
            "scenarios.members[1].pipeline.settle_rate[0].region",
            "unknown region 'C'",
        ),
        (
            lambda b: b["members"][1]["pipeline"]["settle_rate"][0].update(rate=20),
            "scenarios.members[1].pipeline.settle_rate[0].rate",
            "20 is 2000 %",
        ),
        (
            lambda b: b["members"][1]["pipeline"].update(delay_years=[2]),
            "scenarios.members[1].pipeline.delay_years",
            "unknown field",
        ),
        (
            lambda b: b["members"][1]["population_scale"][0].update(year=2025),
            "scenarios.members[1].population_scale[0].year",
            "not after the last planning year 2025",
        ),
        (
            lambda b: b["members"][1]["population_scale"][0].update(year=2030),
            "scenarios.members[1].population_scale[0].year",
            "after the horizon year 2027",
        ),
        (
            lambda b: b["members"][1]["population_scale"].append({"region": "B", "year": 2027, "factor": 2}),
            "scenarios.members[1].population_scale[1]",
            "(B, 2027) is given twice",
        ),
    ],
)
def test_every_problem_is_named(change, where, words):
    block = copy.deepcopy(GOOD)
    change(block)
    found = problems(with_scenarios(block))
    assert any(w == where and words in m for w, m in found), found


def test_scenarios_need_a_pipeline():
    data = with_scenarios(GOOD)
    del data["pipeline"]
    data["scenarios"]["members"][1].pop("pipeline")
    data["scenarios"]["members"][1].pop("population_scale")
    found = problems(data)
    assert any(w == "scenarios" and "need a pipeline" in m for w, m in found), found


def test_several_problems_at_once():
    block = copy.deepcopy(GOOD)
    block.pop("alpha")
    block["members"][1]["id"] = "central"
    found = problems(with_scenarios(block))
    assert {w for w, _ in found} >= {"scenarios.alpha", "scenarios.members[1].id"}


def test_tables_refuse_scenarios_with_the_fix(tmp_path):
    """A scenarios block has no sheet: writing it as tables says to keep the instance as JSON."""
    from allocator.io.instance import write_tables

    with pytest.raises(InstanceError) as err:
        write_tables(validate(with_scenarios(GOOD), "s.json"), tmp_path / "s.xlsx")
    assert ("scenarios", "cannot be written as a table yet: keep this instance as JSON") in err.value.problems
