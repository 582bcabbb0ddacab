"""schema_version 3 (docs/model.md §2): versions read, rates that are fractions and say so, and
every problem of one file at once on every route (JSON, workbook, CSV folder, the command line)."""

from __future__ import annotations

import copy
import json
import re
import shutil

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import allocator.core.validate as validation
from allocator.cli.main import app
from allocator.core.instance import SCHEMA_VERSION, SCHEMA_VERSIONS, InstanceError, rate_message
from allocator.core.validate import check, validate
from allocator.io.instance import load_instance, write_tables

from .conftest import ROOT

TOY = ROOT / "instances" / "toy" / "toy-3x2.json"


def toy() -> dict:
    return json.loads(TOY.read_text())


def problems(data: dict, source: str = "x.json") -> str:
    with pytest.raises(InstanceError) as e:
        validate(data, source)
    return str(e.value)


def lines(data: dict) -> list[tuple[str, str]]:
    inst, found = check(data)
    assert inst is None
    return found


# --------------------------------------------------------------------------- versions


def test_version_3_is_read_and_every_older_version_loads_unchanged():
    assert SCHEMA_VERSION == 3 and SCHEMA_VERSIONS == (1, 2, 3)
    data = toy()
    v1 = validate(data)
    for version in (2, 3):
        later = validate({**data, "schema_version": version})
        assert later.model_copy(update={"schema_version": 1}) == v1
        assert later.to_dict()["schema_version"] == version  # written as declared, never bumped


def test_a_later_field_in_an_older_file_names_the_version_to_set(monkeypatch):
    """The one registry of later fields (validate.later_fields) refuses a v3 field in a v1 or v2
    file with the fix, as it does a v2 field in a v1 file."""
    real = validation.later_fields
    monkeypatch.setattr(validation, "later_fields", lambda inst: [*real(inst), (3, "phases", "phases")])
    for version in (1, 2):
        msg = problems({**toy(), "schema_version": version})
        assert "x.json: phases: phases is a schema_version 3 field: set schema_version: 3 to use it" in msg
    validate({**toy(), "schema_version": 3})
    data = {**toy(), "schema_version": 1, "transition": {"max_shrink_rate": 0.1, "shrink_allowance": 1}}
    assert "shrink_allowance is a schema_version 2 field: set schema_version: 2 to use it" in problems(data)


# --------------------------------------------------------------------------- rates


PIPELINE = {
    "horizon_year": 2030,
    "specialties": [{"specialty": "gp", "delay_years": [3], "delay_shares": [1.0]}],
    "fill_rate": [{"region": "north", "specialty": "gp", "rate": 0.9}],
}


def _with_rate(where: str, value: float, version: int) -> dict:
    data = toy()
    data["schema_version"] = version
    if where.startswith("transition."):
        data["transition"] = {where.split(".")[1]: value}
    else:
        data["schema_version"] = max(version, 2)  # a pipeline is v2
        data["specialties"][1]["programme_years"] = 3
        data["pipeline"] = copy.deepcopy(PIPELINE)
        if where == "pipeline.fill_rate[0].rate":
            data["pipeline"]["fill_rate"][0]["rate"] = value
        else:
            data["pipeline"]["specialties"][0][where.rsplit(".", 1)[1]] = value
    return data


RATES = [
    "transition.max_growth_rate",
    "transition.max_shrink_rate",
    "transition.max_region_net_loss_rate",
    "pipeline.specialties[0].completion_rate",
    "pipeline.specialties[0].settle_rate",
    "pipeline.specialties[0].join_rate",
    "pipeline.specialties[0].leave_rate",
    "pipeline.fill_rate[0].rate",
]


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
@pytest.mark.parametrize("where", RATES)
def test_a_rate_above_1_is_refused_with_the_percentage_it_would_mean(where, version):
    msg = problems(_with_rate(where, 5, version))
    assert f"x.json: {where}: 5 is 500 %; write 0.05 for 5 %" in msg
    assert ("growth faster than 100 % a year is said with growth_allowance" in msg) == ("growth" in where)
    for fine in (0, 0.05, 1):
        validate(_with_rate(where, fine, version))


def test_rate_message_wording():
    assert rate_message(5, "max_shrink_rate") == "5 is 500 %; write 0.05 for 5 % (a rate is a fraction in [0, 1])"
    assert rate_message(12.5) == "12.5 is 1250 %; write 0.125 for 12.5 % (a rate is a fraction in [0, 1])"


def test_a_shrink_rate_of_5_meant_as_5_percent_no_longer_solves_as_500_percent():
    """Issue 19, finding 1: `max_shrink_rate = 5` passed and solved with the limit at 500 %."""
    data = json.loads((ROOT / "instances" / "england-regions-2025.json").read_text())
    data["transition"]["max_shrink_rate"] = 5
    assert "transition.max_shrink_rate: 5 is 500 %; write 0.05 for 5 %" in problems(data)


def _workbook(tmp_path, name="x.xlsx"):
    path = write_tables(validate(toy()), tmp_path / name)
    return path, openpyxl.load_workbook(path)


def _scalar_row(ws, field: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == field)


@pytest.mark.parametrize("text, value", [("5%", 0.05), ("5 %", 0.05), ("12.5%", 0.125), (" 0.5 % ", 0.005)])
def test_a_rate_cell_may_be_a_percentage(tmp_path, text, value):
    path, wb = _workbook(tmp_path)
    ws = wb["instance"]
    ws.cell(_scalar_row(ws, "transition.max_shrink_rate"), 2).value = text
    wb.save(path)
    assert load_instance(path).transition.max_shrink_rate == pytest.approx(value)
    folder = write_tables(validate(toy()), tmp_path / "csv")
    scalars = (folder / "instance.csv").read_text()
    field = "transition.max_shrink_rate,"
    (folder / "instance.csv").write_text(scalars.replace(field, f'{field}"{text}"'))
    assert load_instance(folder).transition.max_shrink_rate == pytest.approx(value)


def test_a_pipeline_rate_cell_may_be_a_percentage(tmp_path):
    data = _with_rate("pipeline.fill_rate[0].rate", 0.9, 2)
    path = write_tables(validate(data), tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["fill_rate"]["C2"] = "85%"
    wb["pipeline_specialties"]["B2"] = "90 %"  # completion_rate
    wb.save(path)
    inst = load_instance(path)
    assert inst.pipeline.fill_rate[0].rate == pytest.approx(0.85)
    assert inst.pipeline.specialties[0].completion_rate == pytest.approx(0.9)


def test_a_percentage_outside_a_rate_and_a_rate_of_500_percent_are_refused(tmp_path):
    path, wb = _workbook(tmp_path)
    wb["baseline_posts"]["C3"] = "5%"
    ws = wb["instance"]
    ws.cell(_scalar_row(ws, "transition.max_shrink_rate"), 2).value = "500%"
    wb.save(path)
    with pytest.raises(InstanceError) as e:
        load_instance(path)
    msg = str(e.value)
    assert (
        "baseline_posts[1].posts: is a percentage, but only a rate may be written as one: type the number "
        "(got '5%') (sheet baseline_posts, row 3, column posts)" in msg
    )
    assert "transition.max_shrink_rate: 5 is 500 %; write 0.05 for 5 %" in msg and "sheet instance, row" in msg


# --------------------------------------------------------------------------- every problem at once


def _all_stages_json() -> dict:
    data = toy()
    data["baseline_posts"][0]["posts"] = "twenty"  # a word in a number
    data["baseline_posts"][1]["region"] = "midle"  # misspelt
    data["baseline_posts"][2]["region"] = "South"  # wrongly capitalised
    data["transition"]["max_shrink_rate"] = 5  # 5 meant as 5 %
    data["baseline_posts"].append(dict(data["baseline_posts"][4]))  # a duplicate entry
    return data


EXPECTED_JSON = [
    ("baseline_posts[0].posts", "Input should be a valid number (got 'twenty')"),
    ("baseline_posts[1].region", "unknown region 'midle' (known: north, middle, south); did you mean `middle`?"),
    ("baseline_posts[2].region", "unknown region 'South' (known: north, middle, south); did you mean `south`?"),
    ("transition.max_shrink_rate", "5 is 500 %; write 0.05 for 5 % (a rate is a fraction in [0, 1])"),
    ("baseline_posts[6]", "duplicate entry for ('middle', 'psych') (first at baseline_posts[4])"),
]


def test_json_reports_every_stage_at_once():
    found = lines(_all_stages_json())
    assert sorted(found) == sorted(EXPECTED_JSON)


def test_entry_numbers_are_the_files_after_an_entry_is_set_aside():
    """An entry whose key is wrong is dropped to run the cross-checks; later entries keep their numbers."""
    data = toy()
    data["baseline_posts"][0]["region"] = 7  # a key that is not an id: set aside
    data["baseline_posts"].append(dict(data["baseline_posts"][5]))  # baseline_posts[6] repeats [5]
    data["baseline_posts"][3]["specialty"] = "psy"
    found = dict(lines(data))
    assert found["baseline_posts[0].region"].startswith("Input should be a valid string")
    assert found["baseline_posts[6]"] == "duplicate entry for ('south', 'psych') (first at baseline_posts[5])"
    assert found["baseline_posts[3].specialty"].startswith("unknown specialty 'psy'")
    assert len(found) == 3


@pytest.mark.parametrize(
    "edit, reported, not_reported",
    [
        # a region whose population is a word keeps its id: its posts are not "unknown region"
        (lambda d: d["regions"][1].update(population="many"), "regions[1].population", "unknown region"),
        # a growth rate that is a word is not also "growth_allowance needs max_growth_rate"
        (
            lambda d: d.update(transition={"max_growth_rate": "ten", "growth_allowance": 2}),
            "transition.max_growth_rate",
            "needs max_growth_rate",
        ),
        # a lock whose year is a word is set aside: no "not a planning year", no duplicate
        (
            lambda d: d["locks"].extend([{"region": "south", "specialty": "psych", "year": "2025x", "posts": 1}]),
            "locks[1].year",
            "duplicate",
        ),
        # a capacity with min above max is kept by its keys: its region is still checked
        (
            lambda d: d["capacity"].append({"region": "nowhere", "specialty": "gp", "min_posts": 9, "max_posts": 1}),
            "capacity[1]: min_posts 9 is greater than max_posts 1",
            "capacity[1].min_posts",
        ),
    ],
)
def test_no_follow_on_problem_from_what_was_set_aside(edit, reported, not_reported):
    data = toy()
    edit(data)
    msg = problems(data)
    assert reported in msg and not_reported not in msg
    if "nowhere" in json.dumps(data):
        assert "capacity[1].region: unknown region 'nowhere'" in msg


def test_a_broken_years_still_reports_the_type_problems():
    data = _all_stages_json()
    data["years"] = ["twenty"]
    found = dict(lines(data))
    assert "years[0]" in found and "baseline_posts[0].posts" in found  # nothing sound to cross-check against


def test_zero_need_waits_for_sound_references():
    data = toy()
    data["need_weights"] = [{"region": r, "specialty": "gp", "weight": 0} for r in ("north", "middle", "south")]
    assert "total need" in problems(data)
    data["baseline_posts"][0]["region"] = "nrth"
    msg = problems(data)
    assert "unknown region 'nrth'" in msg and "total need" not in msg


def _break_workbook(path):
    wb = openpyxl.load_workbook(path)
    ws = wb["baseline_posts"]  # columns region, specialty, posts; entry i is row i + 2
    ws["C2"] = "twenty"
    ws["A3"] = "midle"
    ws["A4"] = "South"
    ws.append([ws["A6"].value, ws["B6"].value, ws["C6"].value])  # row 8 repeats row 6
    sheet = wb["instance"]
    sheet.cell(_scalar_row(sheet, "transition.max_shrink_rate"), 2).value = 5
    wb.save(path)
    return _scalar_row(sheet, "transition.max_shrink_rate")


def _expected_tables(label: str, rate_row: int, suffix: str = "") -> list[str]:
    return [
        f"baseline_posts[0].posts: is not a number (got 'twenty') "
        f"({label} baseline_posts{suffix}, row 2, column posts)",
        f"baseline_posts[1].region: unknown region 'midle' (known: north, middle, south); did you mean `middle`? "
        f"({label} baseline_posts{suffix}, row 3, column region)",
        f"baseline_posts[2].region: unknown region 'South' (known: north, middle, south); did you mean `south`? "
        f"({label} baseline_posts{suffix}, row 4, column region)",
        "transition.max_shrink_rate: 5 is 500 %; write 0.05 for 5 % (a rate is a fraction in [0, 1]) "
        f"({label} instance{suffix}, row {rate_row}, field transition.max_shrink_rate)",
        f"baseline_posts[6]: duplicate entry for ('middle', 'psych') (first at baseline_posts[4] in row 6 of {label} "
        f"baseline_posts{suffix}) "
        f"({label} baseline_posts{suffix}, row 8)",
    ]


def test_workbook_reports_every_stage_at_once_and_validate_exits_2(tmp_path):
    path, _ = _workbook(tmp_path, "all.xlsx")
    rate_row = _break_workbook(path)
    with pytest.raises(InstanceError) as e:
        load_instance(path)
    got = str(e.value).splitlines()
    expected = [f"{path}: {line}" for line in _expected_tables("sheet", rate_row)]
    assert sorted(got) == sorted(expected)
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and res.stdout == ""
    for line in expected:
        assert line in " ".join(res.stderr.split()), line


def test_csv_folder_reports_every_stage_at_once(tmp_path):
    folder = write_tables(validate(toy()), tmp_path / "csv")
    rows = (folder / "baseline_posts.csv").read_text().splitlines()
    rows[1] = rows[1].rsplit(",", 1)[0] + ",twenty"
    rows[2] = "midle," + rows[2].split(",", 1)[1]
    rows[3] = "South," + rows[3].split(",", 1)[1]
    rows.append(rows[5])
    (folder / "baseline_posts.csv").write_text("\n".join(rows) + "\n")
    scalars = (folder / "instance.csv").read_text().splitlines()
    rate_row = next(i for i, r in enumerate(scalars, start=1) if r.startswith("transition.max_shrink_rate,"))
    scalars[rate_row - 1] = "transition.max_shrink_rate,5," + scalars[rate_row - 1].split(",", 2)[2]
    (folder / "instance.csv").write_text("\n".join(scalars) + "\n")
    with pytest.raises(InstanceError) as e:
        load_instance(folder)
    expected = [f"{folder}: {line}" for line in _expected_tables("file", rate_row, ".csv")]
    assert sorted(str(e.value).splitlines()) == sorted(expected)
    res = CliRunner().invoke(app, ["validate", str(folder)])
    assert res.exit_code == 2 and res.stdout == ""


def test_json_validate_exits_2_with_every_line_on_stderr(tmp_path):
    path = tmp_path / "all.json"
    path.write_text(json.dumps(_all_stages_json()))
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and res.stdout == ""
    err = " ".join(res.stderr.split())
    for where, msg in EXPECTED_JSON:
        assert f"{where}: {msg}" in err


def test_a_cell_that_cannot_be_read_is_not_reported_twice(tmp_path):
    path, wb = _workbook(tmp_path, "cells.xlsx")
    wb["locks"]["C2"] = "2025.5"  # year: not a whole number, so the lock is set aside
    wb["regions"]["C2"] = "lots"  # population of north: its posts still refer to a known region
    wb.save(path)
    with pytest.raises(InstanceError) as e:
        load_instance(path)
    got = str(e.value).splitlines()
    assert len(got) == 2, got
    assert "locks[0].year: is not a whole number" in got[0] or "locks[0].year: is not a whole number" in got[1]


def test_shipped_instances_and_template_pass(tmp_path):
    for path in [*sorted((ROOT / "instances").rglob("*.json")), ROOT / "instances" / "template.xlsx"]:
        if path.parent.name == "sources":
            continue
        load_instance(path)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_missing_column_or_unreadable_file_is_not_repeated_per_row(tmp_path):
    folder = write_tables(validate(toy()), tmp_path / "csv")
    rows = (folder / "locks.csv").read_text().splitlines()
    (folder / "locks.csv").write_text("\n".join(["regoin" + rows[0][len("region") :], *rows[1:]]) + "\n")
    (folder / "capacity.csv").write_bytes("region,specialty,max_posts\nnörth,gp,5\n".encode("latin-1"))
    rows = (folder / "baseline_posts.csv").read_text().splitlines()
    (folder / "baseline_posts.csv").write_text("\n".join([*rows[:2], "midle" + rows[2][len("middle") :], *rows[3:]]))
    with pytest.raises(InstanceError) as e:
        load_instance(folder)
    got = str(e.value).splitlines()
    assert any("unknown column 'regoin' (did you mean `region`?)" in g for g in got)
    assert any("missing column region in row 1" in g for g in got)
    assert any("capacity.csv is not UTF-8 text" in g or "is not UTF-8 text" in g for g in got)
    assert any("baseline_posts[1].region: unknown region 'midle'" in g for g in got)  # checked all the same
    assert not any("required field is missing" in g for g in got), got
    assert len(got) == 4, got


JUNK = st.sampled_from(["x", -1, None, [], {}, 5, "2025x", True, "", 2025, {"a": 1}, float("nan")])


def _leaves(node, loc=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*loc, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*loc, i))
    if loc:
        yield loc


BLOCKS = json.loads((ROOT / "instances" / "england-teams-2025.json").read_text())
LEAVES = list(_leaves(BLOCKS))


@settings(max_examples=40, deadline=None)
@given(edits=st.lists(st.tuples(st.sampled_from(LEAVES), JUNK), min_size=1, max_size=6))
def test_any_broken_values_give_problems_that_name_places_of_the_file(edits):
    data = copy.deepcopy(BLOCKS)
    for loc, value in edits:
        node = data
        try:
            for part in loc[:-1]:
                node = node[part]
            node[loc[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier edit replaced a container on the way
    inst, found = check(data)
    for where, _ in found:  # every entry named is one of the file (the entry numbers of the file)
        node = data
        for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", where):
            if name:
                assert isinstance(node, dict), where
                node = node.get(name)
            else:
                assert isinstance(node, list) and int(index) < len(node), where
                node = node[int(index)]


def test_the_v2_sheets_report_every_stage_at_once(tmp_path):
    """The pipeline and team sheets: a word in a rate, a rate of 5, an unknown region and an
    unknown team member, all at once, each on its sheet and row."""
    data = _with_rate("pipeline.fill_rate[0].rate", 0.9, 2)
    data["teams"] = [{"id": "care", "members": [{"specialty": "gp"}, {"specialty": "psych", "equivalence": 0.5}]}]
    path = write_tables(validate(data), tmp_path / "v2.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["pipeline_specialties"]["B2"] = "lots"  # completion_rate
    wb["fill_rate"]["C2"] = 5
    wb["fill_rate"]["A2"] = "nrth"
    wb["team_members"]["B3"] = "psy"
    wb.save(path)
    with pytest.raises(InstanceError) as e:
        load_instance(path)
    got = str(e.value).splitlines()
    assert len(got) == 4, got
    expected = [
        "pipeline.specialties[0].completion_rate: is not a number (got 'lots') "
        "(sheet pipeline_specialties, row 2, column completion_rate)",
        "pipeline.fill_rate[0].rate: 5 is 500 %; write 0.05 for 5 %",
        "pipeline.fill_rate[0].region: unknown region 'nrth' (known: north, middle, south); did you mean `north`? "
        "(sheet fill_rate, row 2, column region)",
        "teams[0].members[1].specialty: unknown team member 'psy' (known: gp, psych); did you mean `psych`? "
        "(sheet team_members, row 3, column specialty)",
    ]
    for line in expected:
        assert any(line in g for g in got), line
