"""The report: workbook sheets, headers and frozen panes; figures as PNG and SVG; the map's
boundaries; refusal of a mismatched result and of overwriting files the report did not write;
the infeasible report; the ``report`` command."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import typer
from typer.testing import CliRunner

import allocator
from allocator.cli.report import report_command
from allocator.core.data import problem_data
from allocator.core.validate import validate
from allocator.report import figures, geo
from allocator.report.tables import MANIFEST
from allocator.report.write import write_report

from .conftest import ROOT

ENGLAND = ROOT / "instances" / "england-regions-2025.json"
ICB = ROOT / "instances" / "england-icb-2025.json"
TRAINING = ROOT / "instances" / "england-training-regions-2025.json"
TOY = ROOT / "instances" / "toy" / "toy-3x2.json"
FIGURE_STEMS = ("per_100k", "change_heatmap", "lorenz", "change_map")


@pytest.fixture(scope="module")
def england():
    return allocator.load_instance(ENGLAND)


@pytest.fixture(scope="module")
def solved(england):
    """The England instance under equity-first, read back from JSON as the command does."""
    res = allocator.solve(england, ROOT / "models" / "equity-first.toml")
    assert res.status == "optimal"
    return allocator.Result.from_dict(json.loads(res.to_json()))


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory, solved, england) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    write_report(solved, england, out)
    return out


@pytest.fixture(scope="module")
def infeasible(england):
    """London's capacity cut to 1 post above its minimum: the shrink limits cannot be met."""
    data = england.to_dict()
    for c in data["capacity"]:
        if c["region"] == "london":
            c["max_posts"] = c.get("min_posts", 0) + 1
    inst = validate(data)
    res = allocator.solve(inst)
    assert res.status == "infeasible"
    return inst, allocator.Result.from_dict(json.loads(res.to_json()))


# --------------------------------------------------------------------- workbook


def test_workbook_sheets_headers_and_frozen_panes(report_dir):
    wb = openpyxl.load_workbook(report_dir / "report.xlsx")
    assert wb.sheetnames == ["Summary", "Allocation", "Changes", "Regions", "Measures", "Binding", "Assumptions"]
    headers = {ws.title: [c.value for c in ws[1] if c.value is not None] for ws in wb.worksheets}
    assert headers["Summary"] == ["Item", "Value"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert len(headers[ws.title]) >= 2, ws.title
        # readable names, never code names such as per_100k or gap_posts
        assert not any(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", str(h)) for h in headers[ws.title]), ws.title
        assert ws["A1"].font.bold
    assert headers["Allocation"][:6] == [
        "Region",
        "Specialty",
        "Year",
        "Posts",
        "Fair share (posts)",
        "Distance from fair share (%)",
    ]
    assert "Posts per 100,000 need-weighted population, 2030" in headers["Regions"]
    assert "Fair share per 100,000 need-weighted population" in headers["Regions"]
    assert "Gini of posts per 100,000 need-weighted population" in headers["Measures"]
    assert headers["Binding"][-1] == "What it means"
    alloc = wb["Allocation"]
    assert alloc.max_row == 1 + 7 * 12 * 5
    assert alloc["A2"].value == "London" and alloc["C2"].value == 2026
    assert alloc["D2"].number_format == "#,##0.0"
    assert alloc.column_dimensions["F"].width >= 20
    measures = [r[0] for r in wb["Measures"].iter_rows(values_only=True)]
    assert measures[1] == "2025 (baseline)" and 2030 in measures
    assert "Equity measures" in " ".join(str(m) for m in measures)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True)}
    assert summary["Instance"] == "england-regions-2025"
    assert summary["Model"] == "equity-first"
    assert summary["Status"] == "optimal"
    assert "Gap to fair shares (posts)" in summary
    held = [v for k, v in summary.items() if str(k).startswith("What holds it back")]
    assert len(held) == 5 and held[1].startswith("London's regional net-loss limits bind in 5 years")
    assert wb["Binding"].max_row - 1 == 72  # the binding table stays one row per binding constraint
    sentence = wb["Binding"]["G2"].value
    assert sentence[0].isupper() and sentence.endswith(".")
    assert "Diagnosis" not in wb.sheetnames


def test_changes_match_the_allocation(report_dir, solved, england):
    d = problem_data(england)
    x = solved.posts_array(d)
    rows = list(openpyxl.load_workbook(report_dir / "report.xlsx")["Changes"].iter_rows(values_only=True))
    head = rows[0]
    first = dict(zip(head, rows[1], strict=True))  # London, first specialty
    # the workbook holds what a person reads: posts to 0.1 (full precision in result.json)
    assert first["Posts 2025 (baseline)"] == pytest.approx(d.baseline[0, 0], abs=0.05)
    assert first["Posts 2030"] == pytest.approx(x[0, 0, -1], abs=0.05)
    assert first["Change by 2030"] == pytest.approx(x[0, 0, -1] - d.baseline[0, 0], abs=0.05)
    assert first["Posts 2030"] == round(first["Posts 2030"], 1)


# ---------------------------------------------------------------------- figures


@pytest.mark.parametrize("stem", FIGURE_STEMS)
def test_figures_exist_as_png_and_svg(report_dir, stem):
    import matplotlib.image

    png, svg = report_dir / f"{stem}.png", report_dir / f"{stem}.svg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(png)
    assert img.shape[0] > 400 and img.shape[1] > 600
    assert img[..., :3].std() > 0.05  # not blank
    assert png.stat().st_size > 20_000
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert svg.stat().st_size > 20_000


def test_html_is_self_contained(report_dir):
    text = (report_dir / "report.html").read_text()
    assert text.count("data:image/png;base64,") == 4
    assert "<style>" in text and "<link" not in text and "<script" not in text
    for part in ("Measures by year", "Regions, 2025", "shadow prices", "London", "closes"):
        assert part in text
    assert "Why it cannot be solved" not in text
    # shadow prices grouped by family and region: 72 binding rows, 5 sentences
    assert "What holds the allocation back (5 of 5, largest shadow prices first)" in text
    assert "London&#x27;s regional net-loss limits bind in 5 years (2026–2030)" in text
    assert "The national totals bind in 60 cells (all 12 specialties 2026–2030)" in text


def test_manifest_lists_what_was_written(report_dir):
    manifest = json.loads((report_dir / MANIFEST).read_text())
    files = {p.name for p in report_dir.iterdir()} - {MANIFEST}
    assert set(manifest["files"]) == files
    assert not [p for p in report_dir.iterdir() if p.name.endswith(".tmp")]


def test_map_matches_regions_and_keeps_proportions(solved, england):
    d = problem_data(england)
    match = geo.match_regions(d.regions, [r.name for r in england.regions])
    assert match.layer == "nhs-regions" and set(match.features) == set(d.regions)
    assert match.features["north-east-and-yorkshire"].name == "North East and Yorkshire"
    x = solved.posts_array(d)
    fig = figures.change_map(d, x, match)
    ax = fig.axes[0]
    y0, y1 = ax.get_ylim()
    assert 49.5 < y0 < y1 < 56.5  # latitude upwards: north at the top
    assert ax.get_aspect() == pytest.approx(1 / np.cos(np.deg2rad(52.9)), rel=0.02)
    # every region label sits inside its own region (London's beside the map, with a leader line)
    for f in match.features.values():
        lon, lat, radius = geo.label_point(f)
        from matplotlib.path import Path as MplPath

        assert any(MplPath(r).contains_point((lon, lat)) for r in f.rings), f.name


def test_boundaries_match_icbs_but_not_training_regions():
    icb = allocator.load_instance(ICB)
    m = geo.match_regions(icb.region_ids, [r.name for r in icb.regions])
    assert m.layer == "icb" and len(m.features) == 42
    tr = allocator.load_instance(TRAINING)
    m = geo.match_regions(tr.region_ids, [r.name for r in tr.regions])
    assert not m.ok and "wessex" in m.reason and "7 of 11" in m.reason
    m = geo.match_regions(["r0", "r1"], None)
    assert not m.ok and "2 of 2" in m.reason


def test_boundaries_are_vendored_in_the_package():
    assert geo.BOUNDARIES.is_relative_to(Path(allocator.__file__).parent)
    for name in ("PROVENANCE.md", "LICENCE.md", "VENDORED.md"):
        assert (geo.BOUNDARIES / name).is_file()
    assert "/work/shared" not in Path(geo.__file__).read_text()


# ------------------------------------------------------------------- refusals


def test_mismatched_result_is_refused_and_nothing_written(tmp_path, solved):
    out = tmp_path / "out"
    training = allocator.load_instance(TRAINING)
    with pytest.raises(ValueError, match=r"not 'england-training-regions-2025'.*regions differ.*wessex"):
        write_report(solved, training, out)
    assert not out.exists()


def test_same_name_other_data_is_refused(tmp_path, solved, england):
    data = england.to_dict()
    data["regions"][0]["need_index"] = 2 * (data["regions"][0].get("need_index") or 1.0)  # population is by year
    other = validate(data)
    with pytest.raises(ValueError, match="fair shares differ"):
        write_report(solved, other, tmp_path / "out")
    data = england.to_dict()
    data["years"] = data["years"][:-1]
    for key in ("population_by_year", "need_weights"):  # entries by year name only planning years
        data[key] = [e for e in data.get(key, []) if e.get("year") != 2030]
    with pytest.raises(ValueError, match=r"years differ \(in the result only: 2030\)"):
        write_report(solved, validate(data), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_overwrite_refused_without_force_allowed_with_it(tmp_path, infeasible):
    inst, res = infeasible
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "report.html"
    mine.write_text("my own notes")
    with pytest.raises(ValueError, match=r"report\.html already exists.*--force"):
        write_report(res, inst, out)
    assert mine.read_text() == "my own notes"
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]  # nothing written
    written = write_report(res, inst, out, force=True)
    assert {p.name for p in written} == {"report.xlsx", "report.html"}
    assert "Why it cannot be solved" in mine.read_text()
    # the report's own files are replaced without force
    write_report(res, inst, out)
    assert set(json.loads((out / MANIFEST).read_text())["files"]) == {"report.xlsx", "report.html"}


def test_rewrite_removes_its_own_stale_figures(tmp_path, report_dir, infeasible):
    inst, res = infeasible
    out = tmp_path / "out"
    shutil.copytree(report_dir, out)
    (out / "notes.txt").write_text("keep")
    write_report(res, inst, out)  # an infeasible report has no figures
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "notes.txt", "report.html", "report.xlsx"]


def test_infeasible_report_has_a_diagnosis(tmp_path, infeasible):
    inst, res = infeasible
    out = tmp_path / "out"
    write_report(res, inst, out)
    wb = openpyxl.load_workbook(out / "report.xlsx")
    assert wb.sheetnames == ["Summary", "Binding", "Diagnosis", "Assumptions"]
    ws = wb["Diagnosis"]
    assert ws.freeze_panes == "A2"
    # words first (what to change, then where); the raw figures under "Technical detail"
    assert [c.value for c in ws[1]] == ["What to change", "Constraint", "Region", "Specialty", "Year"]
    n = len(res.diagnosis["findings"])
    assert ws["C2"].value == "London" and ws["A2"].value == res.diagnosis["actions"][0]
    assert ws.cell(row=n + 3, column=1).value == "Technical detail"
    below = [ws.cell(row=n + 4 + i, column=1).value for i in range(len(res.diagnosis["technical_detail"]))]
    assert below == res.diagnosis["technical_detail"] and ws.max_row == n + 3 + len(below)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True)}
    assert summary["Status"] == "infeasible" and summary["Diagnosis"] == res.diagnosis["summary"]
    text = (out / "report.html").read_text()
    assert "Why it cannot be solved" in text and "shrink_limit" in text
    words, detail = text.split("<details><summary>Technical detail</summary>")
    assert "shrink_limit[" not in words and "relax_by" not in words and "irreducible" not in words
    assert "shrink_limit[" in detail and "relax_by" in detail
    assert not list(out.glob("*.png"))


# ---------------------------------------------------------------------- command


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("report")(report_command)

    @app.command("other")
    def _other():  # a second command, so typer keeps the "report" sub-command name
        pass

    return app


def test_command_writes_the_report_of_a_toy(tmp_path):
    res = allocator.solve(TOY)
    res.to_json(tmp_path / "result.json")
    out = tmp_path / "out"
    r = CliRunner().invoke(_app(), ["report", str(tmp_path / "result.json"), "--instance", str(TOY), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "report.xlsx").is_file() and (out / "per_100k.svg").is_file()
    assert not (out / "change_map.png").exists()  # toy regions have no boundaries: no map, said so
    assert "No map" in (out / "report.html").read_text()


def test_command_exit_2_and_nothing_written(tmp_path, infeasible):
    inst, res = infeasible
    res.to_json(tmp_path / "result.json")
    out = tmp_path / "out"
    run = CliRunner().invoke
    app = _app()
    r = run(app, ["report", str(tmp_path / "result.json"), "--instance", str(TOY), "--out", str(out)])
    assert r.exit_code == 2 and "does not match" in r.output
    (tmp_path / "bad.json").write_text("{not json")
    r = run(app, ["report", str(tmp_path / "bad.json"), "--instance", str(ENGLAND), "--out", str(out)])
    assert r.exit_code == 2 and "not a result file" in r.output
    r = run(app, ["report", str(tmp_path / "missing.json"), "--instance", str(ENGLAND), "--out", str(out)])
    assert r.exit_code == 2 and "no such file" in r.output
    r = run(
        app, ["report", str(tmp_path / "result.json"), "--instance", str(tmp_path / "nope.json"), "--out", str(out)]
    )
    assert r.exit_code == 2
    assert not out.exists()
    out.mkdir()
    (out / "report.xlsx").write_text("someone else's")
    inst.to_json(tmp_path / "inst.json")
    args = ["report", str(tmp_path / "result.json"), "--instance", str(tmp_path / "inst.json"), "--out", str(out)]
    r = run(app, args)
    assert r.exit_code == 2 and "--force" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["report.xlsx"]
    r = run(app, [*args, "--force"])
    assert r.exit_code == 0, r.output
    assert (out / "report.html").is_file()
