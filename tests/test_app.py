"""The web app's logic and page, without a browser (the browser test is test_app_browser.py).

The page runs in Streamlit's AppTest (the script, its widgets and session state, in process);
the logic (uploads, edits, relaxations, sessions, comparisons) is called directly.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

import allocator  # noqa: E402
from allocator.app import adapters, logic  # noqa: E402
from allocator.app import server as srv  # noqa: E402
from allocator.core.instance import rate_message  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "instances" / "template.xlsx"
PAGE = ROOT / "allocator" / "app" / "page.py"
INFEASIBLE = ROOT / "instances" / "infeasible"


@pytest.fixture(scope="module", autouse=True)
def _keep_main_module():
    """Streamlit's script runner installs the page as ``sys.modules["__main__"]`` and leaves it
    there; a later test that spawns processes (a Dask cluster) would re-run the page in each
    child. Put the real ``__main__`` back after this module."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="module")
def template():
    return allocator.load_instance(TEMPLATE)


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _csv_files(inst, tmp_path) -> dict[str, bytes]:
    folder = adapters.write_tables(inst, tmp_path / "csv")
    return {p.name: p.read_bytes() for p in sorted(Path(folder).glob("*.csv"))}


# --------------------------------------------------------------------------- uploads


def test_upload_workbook_json_and_csv_zip_give_the_same_instance(template, tmp_path):
    from_xlsx = logic.read_upload("template.xlsx", TEMPLATE.read_bytes())
    from_json = logic.read_upload("t.json", template.to_json().encode())
    from_zip = logic.read_upload("t.zip", _zip({f"inst/{k}": v for k, v in _csv_files(template, tmp_path).items()}))
    assert from_xlsx == template
    assert from_json == template
    assert from_zip.to_dict() == template.to_dict()


def test_zip_members_are_read_by_base_name_only(template, tmp_path):
    files = {f"../../{k}": v for k, v in _csv_files(template, tmp_path).items()}
    files["../evil.py"] = b"raise SystemExit('ran')"
    inst = logic.read_upload("t.zip", _zip(files))
    assert inst.to_dict() == template.to_dict()
    assert not (tmp_path.parent / "evil.py").exists()


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("t.zip", b"not a zip", "not a zip file"),
        ("t.zip", None, "no .csv files"),
        ("t.exe", b"MZ", "upload an instance as JSON"),
        ("t.json", b"{", "not valid JSON"),
        ("t.json", b" " * (logic.UPLOAD_LIMIT_MB * 1024 * 1024 + 1), "larger than 20 MB"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(name, data, says):
    if data is None:
        data = _zip({"readme.txt": b"hello"})
    with pytest.raises(allocator.InstanceError) as e:
        logic.read_upload(name, data)
    assert says in str(e.value)
    assert "/tmp" not in str(e.value)  # the temporary folder is not shown


def test_workbook_problems_name_sheet_row_and_field():
    import openpyxl

    wb = openpyxl.load_workbook(TEMPLATE)
    wb["capacity"]["E2"] = "lots"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(allocator.InstanceError) as e:
        logic.read_upload("bad.xlsx", buf.getvalue())
    rows = logic.problem_rows(e.value)
    assert rows.iloc[0][["sheet", "row", "field"]].tolist() == ["capacity", "2", "max_posts"]
    assert "not a number" in rows.iloc[0]["problem"]


# --------------------------------------------------------------------------- edits


def test_unedited_tables_give_back_the_instance(template):
    tables = {n: logic.editable_table(template, n) for n in logic.EDITABLE}
    assert logic.apply_edits(template, tables, logic.transition_table(template)) == template


def test_an_edit_outside_its_range_is_located_by_table_row_and_field(template):
    tables = {n: logic.editable_table(template, n) for n in logic.EDITABLE}
    tables["capacity"].loc[1, "max_posts"] = -5
    with pytest.raises(allocator.InstanceError) as e:
        logic.apply_edits(template, tables)
    row = logic.problem_rows(e.value).iloc[0]
    assert (row["sheet"], row["row"], row["field"]) == ("capacity", "2", "max_posts")


def test_edited_tables_are_validated_as_files_are_every_problem_at_once(template):
    """Issue 19: a 5 in the transition table is refused with the file's message, and every
    problem of the edits comes at once, each on the row the table shows."""
    tables = {n: logic.editable_table(template, n) for n in logic.EDITABLE}
    locks = tables["locks"]
    region, specialty, year = template.region_ids[0], template.specialty_ids[0], template.years[0]
    locks.loc[len(locks)] = [None, None, None, None]  # a blank row: dropped, but the rows keep their numbers
    locks.loc[len(locks)] = [region.upper(), specialty, year, 1.0]
    tr = logic.transition_table(template)
    tr.loc[tr["limit"] == "max_shrink_rate", "value"] = 5
    with pytest.raises(allocator.InstanceError) as e:
        logic.apply_edits(template, tables, tr)
    rows = logic.problem_rows(e.value).set_index("where")
    assert rows.loc["transition.max_shrink_rate", "problem"] == rate_message(5)
    bad = f"locks[{len(locks) - 1}].region"
    assert rows.loc[bad, "row"] == str(len(locks)) and f"did you mean `{region}`?" in rows.loc[bad, "problem"]
    assert len(rows) == 2
    data = template.to_dict() | {"transition": {"max_shrink_rate": 5}}
    with pytest.raises(allocator.InstanceError) as file_error:
        allocator.validate(data, "x.json")
    assert file_error.value.problems == [("transition.max_shrink_rate", rate_message(5))]


def test_edits_add_rows_drop_blank_rows_and_change_limits(template):
    tables = {n: logic.editable_table(template, n) for n in logic.EDITABLE}
    locks = tables["locks"]
    locks.loc[len(locks)] = ["north", "gp", 2026, 95.0]
    locks.loc[len(locks)] = [None, None, None, None]  # a row added and left blank
    tr = logic.transition_table(template)
    tr.loc[tr["limit"] == "max_growth_rate", "value"] = 0.5
    edited = logic.apply_edits(template, tables, tr)
    assert len(edited.locks) == len(template.locks) + 1
    assert edited.transition.max_growth_rate == 0.5
    res = allocator.solve(edited)
    assert res.status == "optimal"
    a = res.allocation
    assert float(a[(a.region == "north") & (a.specialty == "gp") & (a.year == 2026)].posts.iloc[0]) == pytest.approx(95)


# --------------------------------------------------------------------------- results


@pytest.fixture(scope="module")
def two_runs(template):
    tr = logic.transition_table(template)
    tr.loc[tr["limit"] == "max_growth_rate", "value"] = 0.5
    faster = logic.apply_edits(template, transition=tr)
    a = logic.run_scenario("Cautious", template, allocator.DEFAULT_MODEL)
    b = logic.run_scenario("Faster growth", faster, allocator.DEFAULT_MODEL, report=False)
    return a, b


def test_a_run_carries_every_download(two_runs):
    a, _ = two_runs
    assert {"report.xlsx", "report.html", "result.json", "instance.xlsx", "per_100k.png"} <= set(a.files)
    assert json.loads(a.files["result.json"])["status"] == "optimal"
    assert a.files["report.xlsx"][:2] == b"PK" and a.files["instance.xlsx"][:2] == b"PK"
    back = logic.read_upload("instance.xlsx", a.files["instance.xlsx"])
    assert back == a.instance


def test_headline_tables_and_sentences(two_runs, template):
    a, _ = two_runs
    words = " ".join(logic.headline(a.result, template))
    assert "closes" in words and "% of the gap" in words and "Gini" in words
    per = logic.per_100k(a.result, template)
    assert list(per["region"]) == [r.name for r in template.regions]
    ch = logic.changes(a.result, template)
    assert len(ch) and ch["change"].abs().is_monotonic_decreasing
    held = logic.holding_back(a)
    assert held and all(s.endswith(".") for s in held)


def test_comparison_against_a_baseline(two_runs):
    a, b = two_runs
    kpis = logic.compare([a, b], "Cautious")
    assert list(kpis.columns) == ["Cautious", "Faster growth", "Δ Faster growth"]
    gap = kpis.loc["Gap to fair shares (posts)"]
    assert gap["Δ Faster growth"] == pytest.approx(gap["Faster growth"] - gap["Cautious"])
    assert gap["Δ Faster growth"] < 0  # faster growth closes more of the gap
    regions = logic.compare_regions([a, b], "Cautious")
    assert regions["Δ Faster growth"].sum() == pytest.approx(0, abs=1e-6)  # posts move, the total holds


def test_comparison_is_shown_rounded_by_unit(two_runs):
    """What the page shows: each measure written by its unit (no 1221.291), changes signed."""
    from allocator.solution import vocabulary as V

    kpis = logic.compare(list(two_runs), "Cautious")
    shown = logic.compare_text(kpis)
    assert shown.shape == kpis.shape and list(shown.index) == list(kpis.index)
    for label, row in shown.iterrows():
        unit = V.UNITS[V.unit_of(label)]
        for col, text in row.items():
            assert isinstance(text, str) and text == V.fmt(unit.id, kpis.loc[label, col], sign=col.startswith("Δ "))
            decimals = text.split(".")[1] if "." in text else ""
            assert len(decimals) == unit.digits, (label, col, text)
    gap = shown.loc[V.label("gap_posts")]
    assert (
        gap["Δ Faster growth"].startswith("-")
        and gap["Cautious"] == f"{kpis.loc[V.label('gap_posts'), 'Cautious']:,.1f}"
    )
    assert shown.loc[V.label("gini"), "Cautious"] == f"{kpis.loc[V.label('gini'), 'Cautious']:.3f}"
    # the page's other tables: numbers rounded, still numbers (sortable)
    per = logic.rounded(logic.per_100k(two_runs[0].result, two_runs[0].instance))
    assert all(v == round(v, 1) for c in per.columns[1:] for v in per[c].dropna())
    assert logic.DISTANCE in per.columns and V.label("per_100k_fair_share") in per.columns


def test_session_round_trip_and_bad_sessions(two_runs):
    data = logic.session_bytes(list(two_runs))
    back = logic.read_session(data)
    assert [(n, i, m, w) for n, i, m, w in back] == [(s.name, s.instance, s.model, s.round_posts) for s in two_runs]
    with pytest.raises(allocator.InstanceError, match="not a session"):
        logic.read_session(b'{"scenarios": []}')
    doc = json.loads(data)
    doc["scenarios"][0]["model"]["objective"]["moves"] = -1
    with pytest.raises(allocator.InstanceError, match="moves"):
        logic.read_session(json.dumps(doc).encode())


@pytest.mark.parametrize(
    "name",
    [
        "budget-below-minimum-cost",
        "capacity-below-national-total",
        "lock-above-capacity",
        "minimum-capacity-above-national-total",
        "national-moves-vs-locks",
        "region-net-loss-vs-falling-total",
        "shrink-too-slow-for-cap",
    ],
)
def test_the_proposed_relaxation_makes_the_instance_feasible(name):
    inst = allocator.load_instance(INFEASIBLE / f"{name}.json")
    res = allocator.solve(inst)
    assert res.status == "infeasible"
    relaxed, words = logic.relaxation(inst, res.diagnosis)
    assert relaxed is not None, words
    assert words
    assert allocator.solve(relaxed).status == "optimal"


def test_holding_back_is_grouped_by_family_and_region():
    """England: 70 binding rows, three sentences (London's and North East and Yorkshire's net-loss
    limits, the national totals)."""
    inst = allocator.load_instance(ROOT / "instances" / "england-regions-2025.json")
    sc = logic.run_scenario("A", inst, allocator.DEFAULT_MODEL, report=False)
    held = logic.holding_back(sc)
    assert len(held) == 3 < len(sc.result.binding)
    assert held[0].startswith("London's regional net-loss limits bind in 5 years (2026–2030)")


def test_diagnosis_view_is_words_first_with_the_detail_apart():
    res = allocator.solve(allocator.load_instance(INFEASIBLE / "lock-above-capacity.json"))
    table, detail = logic.diagnosis_view(res.diagnosis)
    assert list(table.columns) == ["what to change", "region", "specialty", "year"]  # no raw relax_by
    assert table["what to change"].tolist() == res.diagnosis["actions"]
    assert table["what to change"][0].startswith("Raise the capacity of london psychiatry in 2026 to 134 posts")
    assert detail == res.diagnosis["technical_detail"] and any("relax_by 14" in line for line in detail)


def test_a_relaxation_that_is_not_simple_is_declined():
    inst = allocator.load_instance(INFEASIBLE / "programme-length-shrink.json")
    relaxed, words = logic.relaxation(inst, allocator.solve(inst).diagnosis)
    assert relaxed is None and "Cannot apply" in words[0]


# --------------------------------------------------------------------------- the page


def _page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE), default_timeout=120)
    at.run()
    assert not at.exception
    return at


def _solve(at, name=None):
    if name:
        at.text_input(key="run_name").set_value(name)
    next(b for b in at.button if b.label == "Solve").click()
    at.run()
    assert not at.exception


@pytest.mark.slow  # over a second: make test runs it, make test-fast does not
def test_page_solves_two_scenarios_and_compares_them():
    at = _page()
    assert at.subheader[0].value == "Instance: england-regions-2025"
    _solve(at, "Fair share")
    assert "closes" in at.success[0].value
    labels = {b.label for b in at.get("download_button")}
    assert {"report.xlsx", "report.html", "result.json", "instance workbook"} <= labels
    at.selectbox(key="model_file").set_value("equity-first").run()
    _solve(at, "Equity first")
    assert at.selectbox(key="show").options == ["Fair share", "Equity first"]
    assert at.selectbox(key="compare_base").value == "Fair share"
    compared = at.dataframe[-2].value
    assert list(compared.columns) == ["Fair share", "Equity first", "Δ Equity first"]
    # shown by unit: text with at most a Gini's 3 decimals, never float noise such as 1221.291
    cells = [str(v) for v in compared.to_numpy().ravel()]
    assert cells and not any(re.search(r"\.\d{4}", c) for c in cells), cells
    assert all(re.fullmatch(r"[+-]?[\d,]+\.\d", c) for c in compared.loc[logic.MEASURES["gap_posts"]]), cells


@pytest.mark.slow  # over a second: make test runs it, make test-fast does not
def test_page_shows_the_diagnosis_and_applies_the_relaxation():
    at = _page()
    at.selectbox(key="shipped").set_value("infeasible: lock-above-capacity").run()
    _solve(at, "Locked")
    assert "cannot be solved" in at.error[0].value
    # the diagnosis table (the Assumptions panel below it has tables of its own)
    shown = next(df.value for df in at.dataframe if "what to change" in df.value.columns)
    assert "relax_by" not in shown.columns and shown["what to change"][0].startswith("Raise the capacity")
    detail = next(x for x in at.expander if x.label == "Technical detail")
    assert "relax_by 14" in detail.markdown[0].value
    button = next(b for b in at.button if b.label == "Apply the relaxation and solve again")
    button.click()
    at.run()
    assert not at.exception
    assert at.selectbox(key="show").value == "Locked (relaxed)"
    assert "closes" in at.success[0].value


def test_page_reports_edit_problems_in_the_page():
    at = _page()
    at.selectbox(key="shipped").set_value("template (workbook)").run()
    assert at.subheader[0].value == "Instance: template"
    # the weights are checked too: a negative weight is refused by the number input's minimum
    assert all(n.min == 0.0 for n in at.number_input if n.key and n.key.startswith("w_"))


# --------------------------------------------------------------------------- the command


def test_server_defaults_are_safe():
    args = srv.streamlit_args("127.0.0.1", 8765)
    opts = dict(zip(args[2::2], args[3::2], strict=True))
    assert opts["--server.address"] == "127.0.0.1"
    assert opts["--server.maxUploadSize"] == "20"
    assert opts["--browser.gatherUsageStats"] == "false"
    assert opts["--server.enableXsrfProtection"] == "true"
    assert srv.is_loopback("127.0.0.1") and srv.is_loopback("::1") and srv.is_loopback("localhost")
    assert not srv.is_loopback("0.0.0.0")
    assert 1024 <= srv.free_port() <= 65535


def test_app_command_help_and_bad_port():
    from typer.testing import CliRunner

    from allocator.cli.main import app

    runner = CliRunner()
    out = runner.invoke(app, ["app", "--help"])
    assert out.exit_code == 0
    assert "--host" in out.output and "127.0.0.1" in out.output
    bad = runner.invoke(app, ["app", "--port", "70000"])
    assert bad.exit_code == 2


@pytest.mark.slow  # over a second: make test runs it, make test-fast does not
def test_a_long_solve_does_not_hold_up_other_sessions():
    """Streamlit runs each session's script in its own thread: while one solves (a MIP of the
    ICB instance, cut at 2 s), another thread keeps running (HiGHS releases the GIL)."""
    import threading
    import time

    inst = allocator.load_instance(ROOT / "instances" / "england-icb-2025.json")
    done = threading.Event()
    worker = threading.Thread(target=lambda: (allocator.solve(inst, integer=True, time_limit=2), done.set()))
    worker.start()
    pauses, last = [], time.perf_counter()
    while not done.is_set():
        time.sleep(0.01)
        now = time.perf_counter()
        pauses.append(now - last)
        last = now
    worker.join()
    assert max(pauses) < 0.5


def test_a_pipeline_scenario_with_supply_weights():
    """A pipeline instance solved with the supply weights set in the app: the weights move the
    plan, the headline says where the trained workforce ends up, and the report files carry the
    supply."""
    inst = allocator.load_instance(ROOT / "instances" / "england-pipeline-2025.json")
    base = logic.run_scenario("fair share", inst, allocator.DEFAULT_MODEL, report=False)
    spec = logic.model_with(allocator.DEFAULT_MODEL, {"supply_shortfall": 1.0, "supply_surplus": 1.0}, "supply")
    run = logic.run_scenario("supply", inst, spec, report=False)
    assert base.solved and run.solved
    gap = {s.name: float(s.result.supply_kpis.set_index("year").loc[2040, "supply_gap"]) for s in (base, run)}
    assert gap["supply"] < gap["fair share"]
    line = next(x for x in logic.headline(run.result, inst) if "trained workforce" in x)
    assert "In 2040" in line and f"{gap['supply']:,.0f}" in line
    assert "supply" in json.loads(run.files["result.json"])


def test_relaxation_of_growth_faster_than_100_percent_is_an_allowance():
    """A rate is a fraction (docs/model.md §2): a diagnosis that needs growth above 100 % a year
    raises ``growth_allowance`` by the posts it needs instead of writing a rate above 1."""
    inst = allocator.load_instance(ROOT / "instances" / "toy" / "toy-3x2.json")
    data = inst.to_dict()
    data["transition"] = {"max_growth_rate": 0.1, "growth_allowance": 2}
    inst = allocator.validate(data)
    diagnosis = {"findings": [{"constraint": "growth_limit", "relax_by": 3.0, "needed_rate": 1.5, "direction": "up"}]}
    relaxed, words = logic.relaxation(inst, diagnosis)
    assert relaxed is not None, words
    assert relaxed.transition.max_growth_rate == 0.1
    assert relaxed.transition.growth_allowance == pytest.approx(5.0, abs=1e-4)
    assert "growth_allowance" in words[0]
    shrink = {"findings": [{"constraint": "shrink_limit", "relax_by": 3.0, "needed_rate": 1.5, "direction": "up"}]}
    assert logic.relaxation(inst, shrink)[0] is None
