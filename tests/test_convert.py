"""`allocator convert` (issue 9, item 6): JSON, workbook and CSV folder convert into each other
without loss (the shipped templates included; their content: tests/test_template.py); every
sheet is written; bad input or an existing OUT writes nothing."""

from __future__ import annotations

import json

import openpyxl
import pytest
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.io.instance import load_instance
from allocator.io.table_cells import list_columns
from allocator.io.table_write import same_instance

from .conftest import ROOT, TOYS

TEMPLATES = [ROOT / "instances" / "template.xlsx", ROOT / "instances" / "template-workforce.xlsx"]
runner = CliRunner()


def convert(*args: str):
    return runner.invoke(app, ["convert", *map(str, args)])


@pytest.mark.parametrize("path", [*TOYS, *TEMPLATES], ids=lambda p: p.stem)
def test_round_trip_json_xlsx_csv_json(path, tmp_path):
    inst = load_instance(path)
    src = tmp_path / "in.json"
    assert convert(path, src).exit_code == 0
    assert convert(src, tmp_path / "a.xlsx").exit_code == 0
    assert convert(tmp_path / "a.xlsx", tmp_path / "csv").exit_code == 0
    res = convert(tmp_path / "csv", tmp_path / "b.json")
    assert res.exit_code == 0, res.output
    assert "wrote" in res.stdout
    again = load_instance(tmp_path / "b.json")
    assert again == inst
    assert same_instance(load_instance(tmp_path / "a.xlsx"), inst)
    assert load_instance(tmp_path / "csv") == inst


def test_national_instance_round_trips(tmp_path):
    path = ROOT / "instances" / "england-icb-2025.json"
    inst = load_instance(path)
    assert convert(path, tmp_path / "x.xlsx").exit_code == 0
    assert convert(tmp_path / "x.xlsx", tmp_path / "x.json").exit_code == 0
    assert same_instance(load_instance(tmp_path / "x.json"), inst)


def test_empty_optional_lists_are_written_with_headers(tmp_path):
    src = ROOT / "instances" / "toy" / "toy-2x1.json"  # no optional lists at all
    assert convert(src, tmp_path / "t.xlsx").exit_code == 0
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    for name in ("locks", "budget", "capacity", "sources", "pipeline_specialties", "fill_rate", "stock", "teams"):
        assert [c.value for c in wb[name][1]] == list(list_columns(name)) and wb[name].max_row == 1
    assert convert(src, tmp_path / "csv").exit_code == 0
    assert (tmp_path / "csv" / "locks.csv").read_text() == "region,specialty,year,posts\n"
    assert (tmp_path / "csv" / "team_members.csv").read_text() == "team,specialty,equivalence,max_share\n"
    assert load_instance(tmp_path / "csv").pipeline is None  # no pipeline in, no pipeline out
    assert load_instance(tmp_path / "t.xlsx") == load_instance(src)


def test_json_output_is_readable(tmp_path):
    assert convert(ROOT / "instances" / "toy" / "toy-3x2.json", tmp_path / "t.json").exit_code == 0
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["baseline_posts"][0]["posts"] == 10 and isinstance(data["baseline_posts"][0]["posts"], int)


def test_bad_input_writes_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1}')
    for out in ("o.json", "o.xlsx", "o"):
        res = convert(bad, tmp_path / out)
        assert res.exit_code == 2 and "bad.json: name: required field is missing" in res.stderr
        assert not (tmp_path / out).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_refuses_to_overwrite_without_force(tmp_path):
    src = ROOT / "instances" / "toy" / "toy-2x1.json"
    for out in ("o.json", "o.xlsx", "o"):
        target = tmp_path / out
        if out == "o":
            target.mkdir()
            (target / "notes.txt").write_text("mine")
        else:
            target.write_text("mine")
        res = convert(src, target)
        assert res.exit_code == 2 and "exists (use --force to replace it)" in res.stderr
        assert convert(src, target, "--force").exit_code == 0
        assert load_instance(target) == load_instance(src)
    assert (tmp_path / "o" / "notes.txt").read_text() == "mine"  # --force replaces only what it writes
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


@pytest.mark.parametrize("out", ["o.csv", "o.xls", "o.txt"])
def test_refuses_a_name_of_another_kind(tmp_path, out):
    res = convert(ROOT / "instances" / "toy" / "toy-2x1.json", tmp_path / out)
    assert res.exit_code == 2 and "name a .json file, an .xlsx workbook or a folder" in res.stderr
    assert not (tmp_path / out).exists()
