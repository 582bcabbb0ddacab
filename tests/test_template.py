"""The two example workbooks (issue 19, finding 3): ``instances/template.xlsx`` is a simple study
filled in as a worked example, with every optional sheet present, headed and empty (so a
forgotten pipeline or team cannot switch itself on); ``instances/template-workforce.xlsx``
has every block filled in. Both are what ``instances/template.py`` builds, and both validate
and solve as shipped.
"""

from __future__ import annotations

import importlib.util
import json

import openpyxl
import pytest
from typer.testing import CliRunner

import allocator
from allocator.cli.main import app
from allocator.core.validate import validate
from allocator.io.instance import load_instance
from allocator.io.table_cells import PIPELINE_PREFIX, SHEETS, list_columns

from .conftest import ROOT

TEMPLATE = ROOT / "instances" / "template.xlsx"
WORKFORCE = ROOT / "instances" / "template-workforce.xlsx"
BOTH = [TEMPLATE, WORKFORCE]
# the sheets of the simple study that hold its worked example; every other list sheet is optional
FILLED = ("regions", "specialties", "baseline_posts", "national_posts", "population_by_year", "capacity", "locks")
FILLED += ("sources",)  # not a model block: where the numbers come from (here: made up)
OPTIONAL = tuple(s for s in SHEETS if s not in FILLED)
runner = CliRunner()


def script():
    spec = importlib.util.spec_from_file_location("template_script", ROOT / "instances" / "template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cells(path) -> dict[str, list[tuple]]:
    """Every sheet's cell values, row by row."""
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def instance_sheet(path) -> dict[str, object]:
    return {r[0]: r[1] for r in cells(path)["instance"][1:]}


@pytest.mark.slow  # over a second: writes and reads both workbooks
def test_committed_workbooks_are_what_the_script_builds(tmp_path):
    """openpyxl's files are not byte-stable (zip times), so the instances and every cell are compared."""
    module = script()
    written = module.build(tmp_path)
    assert [p.name for p in written] == [TEMPLATE.name, WORKFORCE.name]
    for committed, built, data in zip(BOTH, written, module.WORKBOOKS.values(), strict=True):
        assert load_instance(committed) == load_instance(built) == validate(data), committed.name
        assert cells(committed) == cells(built), f"{committed.name}: run python instances/template.py"


def test_template_is_the_simple_study():
    inst = load_instance(TEMPLATE)
    assert inst.name == "template"
    assert inst.pipeline is None and inst.teams == []
    assert inst.need_weights == [] and inst.cost_per_post == [] and inst.budget == []
    assert {s.profession for s in inst.specialties} == {"medicine"}
    assert all(n.posts is not None for n in inst.national_posts)  # one exact total, no range
    assert inst.locks and inst.capacity and inst.population_by_year and inst.national_posts
    assert inst.transition.max_growth_rate is not None and inst.transition.max_shrink_rate is not None
    book = cells(TEMPLATE)
    for name in FILLED:
        assert len(book[name]) >= 2, f"{name}: the worked example has a row"
    for name in OPTIONAL:  # present, headed with its field names, empty
        assert book[name] == [tuple(list_columns(name))], name
    pipeline_rows = {k: v for k, v in instance_sheet(TEMPLATE).items() if k.startswith(PIPELINE_PREFIX)}
    assert pipeline_rows and all(v is None for v in pipeline_rows.values()), pipeline_rows


def test_workforce_template_fills_every_sheet():
    inst = load_instance(WORKFORCE)
    assert inst.pipeline is not None and inst.pipeline.horizon_year and inst.teams
    assert inst.cost_per_post and inst.budget and inst.need_weights
    assert any(n.posts is None and n.min_posts is not None for n in inst.national_posts)  # a ranged total
    book = cells(WORKFORCE)
    for name in SHEETS:
        assert len(book[name]) >= 2, f"{name}: has an example row"
    # the simple study is its core: the same regions, and its specialties first
    simple = load_instance(TEMPLATE)
    assert inst.regions == simple.regions
    assert inst.specialties[: len(simple.specialties)] == simple.specialties


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.stem)
def test_every_sheet_is_headed_and_described(path):
    book = cells(path)
    assert set(book) == {"readme", "instance", *SHEETS}
    for name in SHEETS:
        assert book[name][0] == tuple(list_columns(name)), name
    assert all(row[2] for row in book["instance"][1:]), "every field of the instance sheet has its meaning"
    fields = [row[0] for row in book["instance"][1:]]
    assert "transition.max_growth_rate" in fields and "transition.shrink_by_programme_length" in fields
    assert {"pipeline.horizon_year", "pipeline.mobility", "pipeline.assess_years"} <= set(fields)
    described = {row[0]: row[1] for row in book["readme"][1:] if row and row[0]}
    assert all(described.get(name) for name in ("instance", *SHEETS)), "every sheet is described in the readme"


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.stem)
def test_validates_solves_and_checks_as_shipped(path, tmp_path):
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith(f"valid: {path.stem}")
    res = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert f"{path.stem} with model fair-share on highs: optimal" in res.stdout
    # the simple study models no workforce supply or team nobody asked for (issue 19, finding 3)
    result = json.loads((tmp_path / "result.json").read_text())
    blocks = bool(result.get("supply")), bool(result.get("teams"))
    assert blocks == ((True, True) if path == WORKFORCE else (False, False)), sorted(result)
    assert allocator.check(path, tmp_path / "result.json", model=allocator.DEFAULT_MODEL).ok


def test_the_app_ships_both_workbooks():
    from allocator.app.logic import shipped_instances

    shipped = shipped_instances()  # the packaged copies (allocator/examples), the same bytes
    assert shipped["template (workbook)"].read_bytes() == TEMPLATE.read_bytes()
    assert shipped["template-workforce (workbook)"].read_bytes() == WORKFORCE.read_bytes()


def test_docs_point_to_both_workbooks():
    for doc in ("README.md", "docs/model.md", "docs/workforce.md", "instances/README.md"):
        text = (ROOT / doc).read_text()
        assert "template-workforce.xlsx" in text, doc
