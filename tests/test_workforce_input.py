"""Input of the v2 blocks (FORMULATION §10 pipeline, §11 teams) as tables: the layout of the
sheets, list cells (``3;4``, ``0.7;0.3``), teams gathered from their sheets, exact round trips
through `allocator convert`, and `allocator validate` on bad files (exit 2, a message naming the
file, the entry and the field, and in tables the sheet, row and column)."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.core.instance import InstanceError
from allocator.core.validate import validate
from allocator.io.instance import load_instance
from allocator.io.table_cells import _convert, list_cell, list_columns, scalar_fields
from allocator.io.table_write import same_instance, write_tables

from .conftest import ROOT

runner = CliRunner()
WORKFORCE = ROOT / "instances" / "template-workforce.xlsx"

BASE = {
    "schema_version": 2,
    "name": "workforce",
    "baseline_year": 2024,
    "years": [2025, 2026],
    "regions": [{"id": "north", "population": 100000}, {"id": "south", "population": 150000}],
    "specialties": [
        {"id": "gp", "programme_years": 3},
        {"id": "acp", "profession": "acp"},
        {"id": "pharm", "programme_years": 2, "profession": "pharmacist"},
    ],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 30},
        {"region": "south", "specialty": "gp", "posts": 40},
        {"region": "north", "specialty": "acp", "posts": 5},
        {"region": "south", "specialty": "pharm", "posts": 6},
    ],
    "pipeline": {
        "horizon_year": 2035,
        "specialties": [
            {"specialty": "acp", "delay_years": [2, 3, 5], "delay_shares": [1 / 3, 1 / 2, 1 / 6]},
            {"specialty": "gp", "delay_years": [3, 4], "delay_shares": [0.7, 0.3], "leave_rate": 0.04},
        ],
        "stock": [{"region": "north", "specialty": "gp", "headcount": 123.456789}],
        "assess_years": [2030, 2035],
    },
    "teams": [
        {
            "id": "primary",
            "name": "Primary care",
            "members": [{"specialty": "gp"}, {"specialty": "acp", "equivalence": 0.6, "max_share": 0.25}],
        },
        {
            "id": "medicines",
            "members": [{"specialty": "pharm"}, {"specialty": "gp", "equivalence": 0.2}],
            "need_weights": [{"region": "south", "weight": 1.3}],
            "on": "stock",
        },
    ],
}


def base(**changes) -> dict:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return data


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(), newline="")))


def write_csv(path: Path, rows: list[list]) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue())


def failure(path: Path) -> str:
    """`allocator validate PATH` must fail with exit 2 and a message (no traceback)."""
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    return res.output


# --------------------------------------------------------------------------- the layout


def test_sheets_and_columns(tmp_path):
    folder = write_tables(validate(base()), tmp_path / "csv")
    files = {p.stem: read_csv(p) for p in folder.glob("*.csv")}
    assert files["pipeline_specialties"] == [
        ["specialty", "completion_rate", "delay_years", "delay_shares", "settle_rate", "join_rate", "leave_rate"],
        ["acp", "", "2;3;5", "0.3333333333333333;0.5;0.16666666666666666", "", "", ""],
        ["gp", "", "3;4", "0.7;0.3", "", "", "0.04"],
    ]
    assert files["stock"] == [["region", "specialty", "headcount"], ["north", "gp", "123.456789"]]
    assert files["fill_rate"] == [["region", "specialty", "rate"]]  # empty: written with its header
    assert files["teams"] == [["id", "name", "on"], ["primary", "Primary care", ""], ["medicines", "", "stock"]]
    assert files["team_members"] == [
        ["team", "specialty", "equivalence", "max_share"],
        ["primary", "gp", "", ""],
        ["primary", "acp", "0.6", "0.25"],
        ["medicines", "pharm", "", ""],
        ["medicines", "gp", "0.2", ""],
    ]
    assert files["team_need_weights"] == [["team", "region", "weight"], ["medicines", "south", "1.3"]]
    assert files["specialties"][0] == ["id", "name", "programme_years", "profession"]
    assert files["specialties"][1] == ["gp", "", "3", ""]  # medicine, the default, is left empty
    assert files["need_weights"][0] == ["region", "specialty", "year", "weight"]
    scalars = {row[0]: row[1] for row in files["instance"][1:]}
    assert scalars["pipeline.horizon_year"] == "2035"
    assert scalars["pipeline.mobility"] == ""
    assert scalars["pipeline.assess_years"] == "2030,2035"
    assert list(scalar_fields())[-3:] == ["pipeline.horizon_year", "pipeline.mobility", "pipeline.assess_years"]


def test_list_cells():
    assert list_cell([3, 4]) == "3;4"
    assert list_cell([0.7, 0.3]) == "0.7;0.3"
    assert list_cell([4]) == 4 and list_cell([1.0]) == 1  # one item: a number
    assert list_cell([1 / 3, 2 / 3]) == "0.3333333333333333;0.6666666666666666"  # every digit
    for cell, kind, expected in [
        ("3;4", "list:int", [3, 4]),
        (" 3 ; 4 ", "list:int", [3, 4]),
        ("3,4", "list:int", [3, 4]),
        (3, "list:int", [3]),
        (3.0, "list:int", [3]),
        ("0.7;0.3", "list:float", [0.7, 0.3]),
        ("0.7,0.3", "list:float", [0.7, 0.3]),
        (1, "list:float", [1.0]),
        ("1e-1;0.9", "list:float", [0.1, 0.9]),
    ]:
        assert _convert(cell, kind) == (expected, None), cell
    for cell, kind, message in [
        ("3;x", "list:int", "item 'x' is not a number"),
        ("3.5", "list:int", "is not a whole number"),
        ("3;;4", "list:int", "has an empty item"),
        (";", "list:int", "has an empty item"),
        ("0,7;0,3", "list:float", "mixes ';' and ','"),
        (True, "list:float", "TRUE/FALSE"),
        ("#REF!", "list:float", "Excel error value"),
    ]:
        value, msg = _convert(cell, kind)
        assert value is None and message in msg, (cell, msg)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    "data",
    [
        base(),
        base(pipeline={"horizon_year": 2026}),  # a pipeline of defaults only
        {k: v for k, v in base().items() if k not in ("pipeline",)} | {"teams": []},
        {k: v for k, v in base().items() if k != "teams"},
        base(
            pipeline=BASE["pipeline"]
            | {"mobility": "lost", "fill_rate": [{"region": "south", "specialty": "acp", "rate": 0.5}]},
            need_weights=[
                {"region": "north", "specialty": "gp", "year": 2025, "weight": 1.1},
                {"region": "north", "specialty": "gp", "year": 2031, "weight": 1.2},
                {"region": "south", "specialty": "gp", "weight": 0.9},
            ],
            population_by_year=[{"region": "north", "year": 2034, "population": 110000}],
        ),
    ],
    ids=["full", "defaults", "no-pipeline", "no-teams", "lost-and-later-years"],
)
def test_convert_round_trips_exactly(data, tmp_path):
    """JSON -> workbook -> CSV folder -> JSON with `allocator convert`: the same instance, and
    an instance without a pipeline (or teams) comes back without one."""
    if "pipeline" not in data:
        data["teams"] = [t for t in data["teams"] if t.get("on") != "stock"]
    if "specialties" not in data.get("pipeline", {}):  # acp's delays come from programme_years then
        data["specialties"][1]["programme_years"] = 2
    inst = validate(data)
    src = tmp_path / "in.json"
    src.write_text(inst.to_json())
    for a, b in [("in.json", "a.xlsx"), ("a.xlsx", "csv"), ("csv", "b.json")]:
        res = runner.invoke(app, ["convert", str(tmp_path / a), str(tmp_path / b)])
        assert res.exit_code == 0, res.output
    assert load_instance(tmp_path / "b.json") == inst
    assert load_instance(tmp_path / "csv") == inst
    assert same_instance(load_instance(tmp_path / "a.xlsx"), inst)
    assert json.loads((tmp_path / "b.json").read_text()).get("pipeline") == inst.to_dict().get("pipeline")


def test_workforce_template_has_an_example_of_every_v2_sheet():
    inst = load_instance(WORKFORCE)
    assert inst.schema_version == 3 and inst.pipeline is not None and inst.teams  # 3: need factors, settle rates
    assert any(s.profession != "medicine" for s in inst.specialties)
    assert any(w.year is not None for w in inst.need_weights)
    wb = openpyxl.load_workbook(WORKFORCE)
    sheets = ("pipeline_specialties", "fill_rate", "stock", "teams", "team_members", "team_need_weights")
    for name in (*sheets, "settle_rate", "need_factors", "need_values"):
        assert wb[name].max_row >= 2, name
    readme = {r[0].value: r[1].value for r in wb["readme"].iter_rows(min_row=2) if r[0].value}
    assert "3;4" in readme["pipeline_specialties"] and "0.7;0.3" in readme["pipeline_specialties"]


def test_team_rows_may_be_interleaved_and_names_match_any_case(tmp_path):
    """Rows of team_members are gathered by their column team, in the order they come; sheet
    and file names match regardless of case."""
    inst = validate(base())
    folder = write_tables(inst, tmp_path / "csv")
    rows = read_csv(folder / "team_members.csv")
    write_csv(folder / "team_members.csv", [rows[0], rows[3], rows[1], rows[4], rows[2]])
    (folder / "team_members.csv").rename(folder / "Team_Members.csv")
    assert load_instance(folder) == inst


def test_specialty_in_two_teams_and_single_member_team(tmp_path):
    data = base()
    data["teams"].append({"id": "solo", "members": [{"specialty": "gp"}]})
    inst = validate(data)
    assert load_instance(write_tables(inst, tmp_path / "csv")) == inst


# --------------------------------------------------------------------------- bad files


def _workbook(tmp_path: Path, edit) -> Path:
    path = write_tables(validate(base()), tmp_path / "bad.xlsx")
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def _column(ws, name: str) -> int:
    return [c.value for c in ws[1]].index(name) + 1


def test_validate_json_names_entry_and_field(tmp_path):
    cases = [
        (
            lambda d: d["pipeline"]["specialties"][1].update(delay_shares=[0.6, 0.3]),
            "pipeline.specialties[1]: delay_shares sum to 0.9, not 1",
        ),
        (
            lambda d: d["teams"][1]["members"][1].update(specialty="gpp"),
            "teams[1].members[1].specialty: unknown team member 'gpp'",
        ),
        (
            lambda d: d["pipeline"].update(horizon_year=2300),
            "pipeline.horizon_year: 276 evaluation years (2025–2300), more than the limit of 100",
        ),
        (
            lambda d: d["specialties"][1].update(profession="a" * 101),
            "specialties[1].profession: 101 characters, more than the limit of 100",
        ),
        (
            lambda d: d["pipeline"]["specialties"].pop(0),
            "specialties[1].programme_years: required by the pipeline: 'acp'",
        ),
    ]
    for i, (edit, message) in enumerate(cases):
        data = base()
        edit(data)
        path = tmp_path / f"bad{i}.json"
        path.write_text(json.dumps(data))
        out = failure(path)
        assert f"bad{i}.json: {message}" in out, out


def test_a_specialty_listed_without_delays_still_needs_programme_years():
    """Listing a specialty in pipeline.specialties with only its rates does not give it delays."""
    data = base()
    data["pipeline"]["specialties"][0] = {"specialty": "acp", "completion_rate": 0.9}
    with pytest.raises(InstanceError, match=r"specialties\[1\]\.programme_years: required by the pipeline"):
        validate(data, "x.json")


def _set(sheet: str, row: int, column: str, value):
    def edit(wb):
        ws = wb[sheet]
        ws.cell(row, _column(ws, column)).value = value

    return edit


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            _set("pipeline_specialties", 3, "delay_shares", "0.6;0.3"),
            "pipeline.specialties[1]: delay_shares sum to 0.9, not 1 (sheet pipeline_specialties, row 3, "
            "column delay_shares)",
        ),
        (
            _set("team_members", 5, "max_share", 2),
            "teams[1].members[1].max_share: Input should be less than or equal to 1 (got 2.0) (sheet team_members, "
            "row 5, column max_share)",
        ),
        (
            _set("team_need_weights", 2, "team", "medicine"),
            "team_need_weights[0].team: unknown team 'medicine' (did you mean `medicines`?): a team is a row of "
            "sheet teams (sheet team_need_weights, row 2, column team)",
        ),
        (
            _set("team_need_weights", 2, "region", "west"),
            "teams[1].need_weights[0].region: unknown region 'west' (known: north, south) (sheet team_need_weights, "
            "row 2, column region)",
        ),
        (
            _set("stock", 2, "headcount", "lots"),
            "pipeline.stock[0].headcount: is not a number (got 'lots') (sheet stock, row 2, column headcount)",
        ),
        (
            _set("teams", 3, "on", "stock"),
            None,  # already on stock: valid
        ),
    ],
)
def test_validate_workbook_names_sheet_row_and_column(tmp_path, edit, expected):
    path = _workbook(tmp_path, edit)
    if expected is None:
        assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
        return
    assert f"bad.xlsx: {expected}" in failure(path)


def test_validate_csv_names_file_row_and_column(tmp_path):
    folder = write_tables(validate(base()), tmp_path / "csv")
    rows = read_csv(folder / "team_members.csv")
    rows[2][2] = "0"  # equivalence of acp in primary
    write_csv(folder / "team_members.csv", rows)
    out = failure(folder)
    assert "teams[0].members[1].equivalence: Input should be greater than 0" in out
    assert "(file team_members.csv, row 3, column equivalence)" in out


def test_pipeline_rows_without_horizon(tmp_path):
    def edit(wb):
        ws = wb["instance"]
        for r in range(2, ws.max_row + 1):
            if str(ws.cell(r, 1).value).startswith("pipeline."):
                ws.cell(r, 2).value = None

    out = failure(_workbook(tmp_path, edit))
    assert "pipeline.horizon_year: required field is missing: a pipeline" in out
    assert "leave them all empty for no pipeline" in out


def test_no_pipeline_at_all_loads_without_one(tmp_path):
    """Clearing every pipeline field and sheet (and the team on stock) gives an instance with no pipeline."""

    def edit(wb):
        ws = wb["instance"]
        for r in range(2, ws.max_row + 1):
            if str(ws.cell(r, 1).value).startswith("pipeline."):
                ws.cell(r, 2).value = None
        for name in ("pipeline_specialties", "stock"):
            wb[name].delete_rows(2, 10)
        wb["teams"].cell(3, _column(wb["teams"], "on")).value = None
        wb["specialties"].cell(3, _column(wb["specialties"], "programme_years")).value = 2

    inst = load_instance(_workbook(tmp_path, edit))
    assert inst.pipeline is None and len(inst.teams) == 2


def test_every_list_column_of_the_v2_sheets_is_known():
    assert list(list_columns("team_members")) == ["team", "specialty", "equivalence", "max_share"]
    assert list(list_columns("team_need_weights")) == ["team", "region", "weight"]
    assert list(list_columns("teams")) == ["id", "name", "on"]
    assert list_columns("pipeline_specialties")["delay_years"] == "list:int"
    assert list_columns("pipeline_specialties")["delay_shares"] == "list:float"
