"""The Assumptions section (issue 19, finding 4): every report format, the printed summary and
the app's result page state what the result assumed and what it was computed from."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import allocator
from allocator.app import logic
from allocator.cli.main import app
from allocator.core.provenance import canonical_sha256
from allocator.report.assumptions import MODEL, assumptions, brief, number, percent
from allocator.report.summary import markdown
from allocator.report.write import write_report

from .conftest import ROOT

ENGLAND = ROOT / "instances" / "england-regions-2025.json"
PIPELINE = ROOT / "instances" / "england-pipeline-2025.json"
TEAMS = ROOT / "instances" / "england-teams-2025.json"
TOY = ROOT / "instances" / "toy" / "toy-3x2.json"
runner = CliRunner()
WORDS = ("capacity", "transition", "weights")


def raw(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def limit() -> str:
    """A transition limit of the England 7-region instance as the reports write it, read from the file."""
    moves = raw(ENGLAND)["transition"]["max_national_moves"]
    return f"max national moves | {moves:,} posts"


@pytest.fixture(scope="module")
def england():
    inst = allocator.load_instance(ENGLAND)
    spec = allocator.load_model(ROOT / "models" / "equity-first.toml")
    return inst, spec, allocator.solve(inst, spec)


@pytest.fixture(scope="module")
def written(tmp_path_factory, england) -> Path:
    inst, spec, res = england
    out = tmp_path_factory.mktemp("assumptions")
    write_report(res, inst, out, model=spec, model_file="models/equity-first.toml")
    return out


def _flat(text: str) -> str:
    """Table cells joined as ``label | value`` whatever the format's markup."""
    text = re.sub(r"</td><td[^>]*>", " | ", text)
    return re.sub(r"\s+", " ", text)


def _check(text: str, limit: str, sha: str) -> None:
    flat = _flat(text)
    for word in WORDS:
        assert word in flat.lower(), word
    assert sha in flat
    assert limit in flat, limit


def test_report_html_states_its_assumptions(written, england, limit):
    sha = canonical_sha256(raw(ENGLAND))
    html = (written / "report.html").read_text()
    _check(html, limit, sha)
    assert "<h2>Assumptions</h2>" in html
    spec = england[1]
    assert f"Objective weight: worst shortfall | {number(spec.objective.worst_shortfall)}" in _flat(html)


def test_report_xlsx_has_an_assumptions_sheet(written, limit):
    wb = openpyxl.load_workbook(written / "report.xlsx")
    ws = wb["Assumptions"]
    rows = [tuple(c.value for c in r) for r in ws.iter_rows()]
    assert rows[0] == ("Section", "Item", "Value")
    assert all(isinstance(v, str) for r in rows for v in r)  # rounded text: no float noise in a cell
    text = "\n".join(f"{r[0]} {r[1]} | {r[2]}" for r in rows)
    _check(text, limit, canonical_sha256(raw(ENGLAND)))


def test_report_md_and_printed_summary(england, tmp_path, limit):
    inst, spec, res = england
    sections = assumptions(inst, res, spec)
    md = markdown(res, allocator.problem_data(inst), assumptions=sections)
    assert "## Assumptions" in md
    _check(md, limit, res.inputs["instance_sha256"])
    # the command: the printed summary (briefly) and report.md beside the report
    out = tmp_path / "out"
    model = ROOT / "models" / "equity-first.toml"
    r = runner.invoke(app, ["solve", str(ENGLAND), "--model", str(model), "--out", str(out), "--report"])
    assert r.exit_code == 0, r.output
    printed = r.output[r.output.index("Assumptions") :]
    flat = " ".join(printed.split())
    for word in WORDS:
        assert word in flat.lower(), word
    assert limit.replace(" | ", " ") in flat and res.inputs["instance_sha256"] in flat
    _check((out / "report.md").read_text(), limit, res.inputs["instance_sha256"])
    assert f"Model file | {model}" in _flat((out / "report.html").read_text())


def test_every_transition_limit_and_none_where_absent(england):
    inst, spec, res = england
    rows = dict(dict(assumptions(inst, res, spec))["Transition limits"])
    tr = raw(ENGLAND)["transition"]
    assert rows["max shrink rate"] == f"{percent(tr['max_shrink_rate'])} a year" == "5 % a year"
    assert rows["max growth rate"] == f"{number(100 * tr['max_growth_rate'])} % a year"
    assert rows["shrink by programme length"] == "no"
    toy = allocator.load_instance(TOY)
    absent = [k for k, v in dict(dict(assumptions(toy))["Transition limits"]).items() if v == "none"]
    missing = {"max_growth_rate", "growth_allowance", "max_shrink_rate", "shrink_allowance"}
    missing |= {"max_region_net_loss_rate", "max_national_moves"}
    assert {k.replace(" ", "_") for k in absent} >= missing - set(raw(TOY).get("transition", {}))


def test_national_totals_locks_capacity_and_need(england):
    inst, spec, res = england
    by = dict(assumptions(inst, res, spec))
    assert by["National totals"] == [("Every specialty", "baseline totals held (no national_posts given)")]
    assert by["Locks"] == [("Locks", "none")]
    cap = dict(by["Capacity"])
    assert cap["Entries"] == str(len(raw(ENGLAND)["capacity"]))
    assert cap["Tightest"].split(" ")[0] in inst.region_ids
    need = dict(by["Need"])
    assert need["need_weights by year"].startswith(str(sum(1 for w in raw(ENGLAND)["need_weights"] if "year" in w)))
    # a specialty × year table where totals are given (ranged ones as min–max), locks listed when few
    teams = allocator.load_instance(TEAMS)
    data = teams.to_dict()
    data["locks"] = [
        {"region": teams.region_ids[0], "specialty": teams.specialty_ids[0], "year": teams.years[0], "posts": 7}
    ]
    locked = allocator.validate(data)
    by = dict(assumptions(locked))
    ranged = [n for n in raw(TEAMS)["national_posts"] if "min_posts" in n][0]
    name = next(s["name"] for s in raw(TEAMS)["specialties"] if s["id"] == ranged["specialty"])
    assert f"{number(ranged['min_posts'])}–{number(ranged['max_posts'])}" in dict(by["National totals"])[name]
    assert by["Locks"][0] == ("Locks", "1 cell-year fixed") and by["Locks"][1][1] == "7 posts"
    assert dict(by["Optional blocks"])["ranged totals"].startswith("active")
    assert "Teams" in by


def test_optional_blocks_say_which_defaults_they_use():
    data = raw(PIPELINE)
    for ps in data["pipeline"]["specialties"]:
        ps.pop("settle_rate", None)
    inst = allocator.validate(data)
    by = dict(assumptions(inst))
    n = len(data["specialties"])
    assert f"settle rate 0.8 (default) for {n} specialties" in dict(by["Optional blocks"])["pipeline"]
    rates = dict(by["Pipeline"])
    assert all("settle 80 % (default)" in v for k, v in rates.items() if k.startswith("Rates: "))
    plain = dict(dict(assumptions(allocator.load_instance(ENGLAND)))["Optional blocks"])
    assert plain["pipeline"] == "not used" and plain["teams"] == "not used"
    assert plain["costs"] == "not used: cost 0 (default)" and plain["capacity"].startswith("active")


def test_solution_whole_posts_inputs_and_timings():
    inst = allocator.load_instance(TOY)
    res = allocator.solve(inst, round_posts=True)
    by = dict(assumptions(inst, res))
    sol = dict(by["Solution"])
    assert sol["Whole posts"].startswith("yes") and sol["Gap to the bound"].endswith("%")
    assert dict(by["Inputs"])["instance sha256"] == res.inputs["instance_sha256"]
    assert set(dict(by["Timings"])) >= {"load", "build", "solve", "whole posts", "total"}
    # the default model is recognised by its hash when the report is not given the model
    assert dict(by[MODEL])["Model file"] == "none: the built-in default model"
    other = allocator.solve(inst, ROOT / "models" / "equity-first.toml")
    assert "not known to this report" in dict(dict(assumptions(inst, other))[MODEL])["Objective weights"]
    # an instance given to the report that is not the one hashed is pointed out
    renamed = dict(assumptions(inst.model_copy(update={"description": "changed"}), res))["Inputs"]
    assert any(k == "instance given to this report" for k, _ in renamed)


def test_numbers_carry_no_float_noise(england):
    inst, spec, res = england
    for _, rows in assumptions(inst, res, spec):
        for label, value in rows:
            assert not re.search(r"\d\.\d{5,}|e-\d", value), (label, value)
    assert number(0.1 + 0.2) == "0.3" and number(3.55e-15) == "0" and number(1234567.891) == "1,234,568"
    assert percent(0.05) == "5 %" and number(None) == "none"


def test_brief_lines_for_the_printed_summary(england):
    inst, spec, res = england
    lines = brief(assumptions(inst, res, spec))
    assert lines[0].startswith(f"Model {spec.name}: weights")
    assert any(line.startswith("Transition limits: ") for line in lines)
    assert any(line == "National totals: baseline totals held" for line in lines)


def test_report_command_takes_the_model_and_refuses_another(tmp_path):
    path = tmp_path / "r.json"
    allocator.solve(TOY, ROOT / "models" / "equity-first.toml").to_json(path)
    args = ["report", str(path), "--instance", str(TOY), "--out", str(tmp_path / "rep")]
    ok = runner.invoke(app, [*args, "--model", str(ROOT / "models" / "equity-first.toml")])
    assert ok.exit_code == 0, ok.output
    assert "Objective weight: worst shortfall" in (tmp_path / "rep" / "report.html").read_text()
    wrong = runner.invoke(app, [*args, "--model", str(ROOT / "models" / "minimal-disruption.toml"), "--force"])
    assert wrong.exit_code == 2 and "not the model of" in wrong.output


def test_app_result_page_and_downloads_carry_the_assumptions(limit):
    inst = allocator.load_instance(ENGLAND)
    sc = logic.run_scenario("Fair share", inst, allocator.DEFAULT_MODEL)
    tables = logic.assumptions(sc)
    text = "\n".join(f"{title} {a} | {b}" for title, t in tables for a, b in t.itertuples(index=False))
    sha = canonical_sha256(raw(ENGLAND))
    _check(text, limit, sha)
    _check(sc.files["report.html"].decode(), limit, sha)
    assert json.loads(sc.files["result.json"])["inputs"]["instance_sha256"] == sha
    wb = openpyxl.load_workbook(io.BytesIO(sc.files["report.xlsx"]))
    assert "Assumptions" in wb.sheetnames


@pytest.fixture
def _keep_main_module():
    """Streamlit's script runner leaves the page as ``sys.modules["__main__"]``: put it back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.mark.slow  # the page itself: over a second
def test_app_page_shows_the_assumptions(_keep_main_module):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "allocator" / "app" / "page.py"), default_timeout=120).run()
    next(b for b in at.button if b.label == "Solve").click()
    at.run()
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert any(label.startswith("Assumptions") for label in labels)
    assert any("Transition limits" in m.value for m in at.markdown)
