"""Instances: every validation rule of FORMULATION §2 gives a clear message naming the entry
and field; JSON, Excel and CSV load to the same instance; defaults apply."""

from __future__ import annotations

import json

import numpy as np
import pytest

from allocator.core.data import problem_data
from allocator.core.instance import InstanceError
from allocator.core.validate import validate
from allocator.io.instance import load_instance, write_tables

from .conftest import ROOT, TOYS

# the simple study, and the same with every v2 block (pipeline, teams)
TEMPLATES = [ROOT / "instances" / "template.xlsx", ROOT / "instances" / "template-workforce.xlsx"]


def problems(data) -> str:
    with pytest.raises(InstanceError) as e:
        validate(data, source="bad.json")
    return str(e.value)


def test_valid_minimal(base):
    inst = validate(base)
    assert inst.region_ids == ["north", "south"]
    assert inst.transition.max_growth_rate is None


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda d: d["regions"][0].update(popl=3), "bad.json: regions[0].popl: unknown field"),
        (lambda d: d.update(colour="red"), "colour: unknown field"),
        (
            lambda d: d["baseline_posts"][1].update(region="nrth"),
            "baseline_posts[1].region: unknown region 'nrth' (known: north, south)",
        ),
        (
            lambda d: d["baseline_posts"][1].update(specialty="gpp"),
            "baseline_posts[1].specialty: unknown specialty 'gpp'",
        ),
        (lambda d: d["regions"].append({"id": "north", "population": 1}), "regions[2].id: duplicate id 'north'"),
        (
            lambda d: d["baseline_posts"].append({"region": "north", "specialty": "gp", "posts": 1}),
            "baseline_posts[2]: duplicate entry",
        ),
        (
            lambda d: d["regions"][0].update(population="300000"),
            "regions[0].population: Input should be a valid number",
        ),
        (
            lambda d: d["regions"][0].update(population=-5),
            "regions[0].population: Input should be greater than or equal to 0",
        ),
        (lambda d: d["regions"][0].update(population=float("nan")), "regions[0].population"),
        (lambda d: d["regions"][0].update(need_index=float("inf")), "regions[0].need_index"),
        (
            lambda d: d.update(capacity=[{"region": "north", "specialty": "gp", "min_posts": 5, "max_posts": 2}]),
            "capacity[0]: min_posts 5 is greater than max_posts 2",
        ),
        (lambda d: d.update(years=[2025, 2025]), "years[1]: years must increase strictly"),
        (lambda d: d.update(years=[2024]), "years[0]: 2024 is not after baseline_year 2024"),
        (lambda d: d.update(schema_version=4), "schema_version: unsupported version 4 (this tool reads 1, 2 and 3)"),
        (lambda d: d.pop("baseline_posts"), "baseline_posts: required field is missing"),
        (
            lambda d: d.update(transition={"growth_allowance": 2}),
            "transition.growth_allowance: growth_allowance needs max_growth_rate",
        ),
        (
            lambda d: d.update(locks=[{"region": "north", "specialty": "gp", "year": 2031, "posts": 1}]),
            "locks[0].year: year 2031 is not a planning year",
        ),
        (
            lambda d: d.update(
                need_weights=[
                    {"region": "north", "specialty": "gp", "weight": 0},
                    {"region": "south", "specialty": "gp", "weight": 0},
                ]
            ),
            "specialty 'gp' has 100 posts in 2025 but its total need",
        ),
        (
            lambda d: (
                d.update(transition={"shrink_by_programme_length": True}) or d["specialties"][0].pop("programme_years")
            ),
            "specialties[0].programme_years: required when",
        ),
        (lambda d: d.update(years="2025"), "years: Input should be a valid list"),
        (lambda d: d["specialties"][0].update(programme_years=2.5), "specialties[0].programme_years"),
        (lambda d: d.update(pipeline={"horizon_year": 2030}), "pipeline: the workforce pipeline (docs/model.md §10)"),
        (
            lambda d: d.update(schema_version=2, pipeline={"horizon_year": 2030, "assess_years": [2031]}),
            "pipeline.assess_years[0]: year 2031 is outside the evaluation years",
        ),
        (
            lambda d: d.update(schema_version=2, teams=[{"id": "t", "members": [{"specialty": "gpp"}]}]),
            "teams[0].members[0].specialty: unknown team member 'gpp'",
        ),
    ],
)
def test_each_rule_names_entry_and_field(base, edit, expected):
    edit(base)
    assert expected in problems(base)


def test_all_problems_reported_at_once(base):
    base["baseline_posts"][0]["region"] = "x"
    base["baseline_posts"][1]["specialty"] = "y"
    msg = problems(base)
    assert "baseline_posts[0].region" in msg and "baseline_posts[1].specialty" in msg


def test_not_json(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{nope")
    with pytest.raises(InstanceError, match="x.json: not valid JSON"):
        load_instance(p)


def test_defaults(base):
    """§2 defaults: national totals = baseline total every year; weights 1; no bounds."""
    base["years"] = [2025, 2026]
    d = problem_data(validate(base))
    assert d.national.tolist() == [[100.0, 100.0]]
    assert np.all(d.weight == 1) and np.all(np.isinf(d.max_posts)) and np.all(d.min_posts == 0)
    assert not d.locked.any() and np.isnan(d.budget).all()


def test_targets_hand_computed(base):
    """T = N · D / ΣD: populations 300k and 100k, need 1.0 and 1.2 -> D 300k and 120k,
    N = 100 -> T = 100·300/420 = 71.428…, 100·120/420 = 28.571…"""
    base["regions"][1]["need_index"] = 1.2
    d = problem_data(validate(base))
    assert d.target[:, 0, 0] == pytest.approx([100 * 300 / 420, 100 * 120 / 420])


def test_capacity_entries_intersect(base):
    base["years"] = [2025, 2026]
    base["capacity"] = [
        {"region": "north", "specialty": "gp", "min_posts": 10, "max_posts": 90},
        {"region": "north", "specialty": "gp", "year": 2026, "min_posts": 15, "max_posts": 95},
    ]
    d = problem_data(validate(base))
    assert d.min_posts[0, 0].tolist() == [10, 15] and d.max_posts[0, 0].tolist() == [90, 90]


@pytest.mark.parametrize("path", [*TOYS, *TEMPLATES], ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_tables_round_trip(path, kind, tmp_path):
    """A workbook and a CSV folder load to the same instance as the JSON."""
    inst = load_instance(path)
    target = tmp_path / ("inst.xlsx" if kind == "xlsx" else "inst")
    again = load_instance(write_tables(inst, target))
    assert again == inst


def test_table_errors_name_sheet_row_and_field(tmp_path, base):
    inst = validate(base)
    folder = write_tables(inst, tmp_path / "inst")
    text = (folder / "baseline_posts.csv").read_text().replace("south", "sooth")
    (folder / "baseline_posts.csv").write_text(text)
    with pytest.raises(InstanceError, match=r"baseline_posts\[1\]\.region: unknown region 'sooth'"):
        load_instance(folder)


def test_to_json_round_trip(tmp_path):
    for path in TOYS:
        inst = load_instance(path)
        p = tmp_path / "x.json"
        inst.to_json(p)
        assert load_instance(p) == inst
        assert json.loads(p.read_text())["schema_version"] == 1
