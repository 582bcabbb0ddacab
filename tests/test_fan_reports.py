"""A plan's fan chart in its report and area brief (issue 23, item 4): `allocator report` and
`allocator brief` with ``--ranges``, and ``montecarlo=`` of write_report / area_brief / write_brief."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from typer.testing import CliRunner

import allocator
from allocator.cli.main import app
from allocator.core.examples import example
from allocator.io.instance import load_instance
from allocator.report.brief import UNCERTAIN, area_brief, write_brief
from allocator.report.write import write_report
from allocator.solution import vocabulary as V
from allocator.study.montecarlo import monte_carlo

from .conftest import ROOT

runner = CliRunner()
INSTANCE = ROOT / "instances" / "england-pipeline-2025.json"
RANGES = example("pipeline-ranges").path
DRAWS, SEED = 200, 7


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fan")
    inst = load_instance(INSTANCE)
    res = allocator.solve(inst)
    (folder / "result.json").write_text(res.to_json())
    return inst, res, folder / "result.json"


@pytest.fixture(scope="module")
def mc(solved):
    inst, res, _ = solved
    return monte_carlo(inst, res, RANGES, draws=DRAWS, seed=SEED)


def _report(result, tmp_path, *extra):
    out = tmp_path / "report"
    args = ["report", str(result), "--instance", str(INSTANCE), "--out", str(out), *map(str, extra)]
    return runner.invoke(app, args), out


def _cells(ws) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_report_with_ranges_has_the_section_the_fan_and_the_sheets_with_the_same_quantiles(solved, mc, tmp_path):
    got, out = _report(solved[2], tmp_path, "--ranges", RANGES, "--draws", DRAWS, "--seed", SEED)
    assert got.exit_code == 0, got.output
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert "<h2>Under uncertain rates</h2>" in page and "fan_national.png" in page
    assert (out / "fan_national.png").stat().st_size > 0 and (out / "fan_national.svg").exists()
    section = page.split("<h2>Under uncertain rates</h2>")[1].split("<h2>")[0]
    assert f"{DRAWS} draws (seed {SEED}) of the rates in pipeline-ranges.toml (4 ranges)" in section
    # the table: P10, P50, P90 of the national supply gap in each assessed year, as the montecarlo function's
    nat = mc.national_table().query("assessed and measure == 'supply_gap'")
    assert len(nat) == len(mc.assess_years) == 2
    for row in nat.itertuples():
        cells = re.search(rf"<td>{row.year}</td>((?:<td>[^<]*</td>)+)", section).group(1)
        shown = re.findall(r"<td>([^<]*)</td>", cells)
        assert shown == [
            V.fmt("supply_gap", v).replace("-", "\u2212") for v in (row.central, row.p10, row.p50, row.p90)
        ]
    book = openpyxl.load_workbook(out / "report.xlsx")
    assert {"Uncertain rates, national", "Uncertain rates, regions"} <= set(book.sheetnames)
    # the regions' sheet: every region and evaluation year, P90 of supply per 100,000 as computed
    rows = _cells(book["Uncertain rates, regions"])
    head = rows[0]
    body = [r for r in rows[1:] if r[0] in mc.regions]
    assert len(body) == len(mc.regions) * len(mc.years)
    p90 = head.index(V.label("supply_per_100k", "P90"))
    want = mc.percentiles("supply")[2]  # (R, E)
    for r in body:
        i, e = mc.regions.index(r[0]), mc.years.index(r[2])
        assert r[p90] == pytest.approx(want[i, e], abs=0.051)  # the sheet holds the value as shown (1 decimal)
    nat_rows = _cells(book["Uncertain rates, national"])
    p50 = nat_rows[0].index(V.label("supply_gap", "P50"))
    gaps = {r[0]: r[p50] for r in nat_rows[1:] if isinstance(r[0], int)}
    assert gaps == pytest.approx(dict(zip(mc.years, mc.percentiles("gap")[1], strict=True)), abs=0.051)


def test_report_without_ranges_has_neither(solved, tmp_path):
    got, out = _report(solved[2], tmp_path)
    assert got.exit_code == 0, got.output
    assert "Under uncertain rates" not in (out / "report.html").read_text(encoding="utf-8")
    assert not (out / "fan_national.png").exists()
    assert not any(s.startswith("Uncertain") for s in openpyxl.load_workbook(out / "report.xlsx").sheetnames)


def test_a_rerun_without_ranges_removes_the_fan_it_wrote(solved, tmp_path):
    got, out = _report(solved[2], tmp_path, "--ranges", RANGES, "--draws", 50)
    assert got.exit_code == 0 and (out / "fan_national.png").exists()
    got, out = _report(solved[2], tmp_path)
    assert got.exit_code == 0, got.output
    assert not (out / "fan_national.png").exists()


def test_write_report_montecarlo_of_another_instance_is_refused(solved, mc, tmp_path):
    inst, res, _ = solved
    other = load_instance(ROOT / "instances" / "england-regions-2025.json")
    with pytest.raises(ValueError, match="montecarlo"):
        write_report(allocator.solve(other), other, tmp_path / "r", montecarlo=mc)
    assert not (tmp_path / "r").exists()
    written = write_report(res, inst, tmp_path / "ok", montecarlo=mc)
    assert tmp_path / "ok" / "fan_national.png" in written


def test_brief_with_ranges_shows_the_regions_fan(solved, mc, tmp_path):
    out = tmp_path / "brief"
    args = ["brief", str(INSTANCE), str(solved[2]), "--area", "London", "--out", str(out)]
    got = runner.invoke(app, [*args, "--ranges", str(RANGES), "--draws", str(DRAWS), "--seed", str(SEED)])
    assert got.exit_code == 0, got.output
    page = html.unescape((out / "brief.html").read_text(encoding="utf-8"))
    assert f"<h2>{UNCERTAIN}" in page and "Its supply under uncertain rates" in page
    assert page.count("data:image/png;base64,") == 3  # waterfall, sensitivity, fan
    i, last = mc.regions.index("london"), mc.assess_years[-1]
    q = mc.percentiles("supply")[:, i, mc.years.index(last)]
    said = f"its supply in {last} is {V.fmt('supply_per_100k', q[0])} to {V.fmt('supply_per_100k', q[2])}"
    assert said in page and said in got.output
    sheets = openpyxl.load_workbook(out / "brief.xlsx").sheetnames
    assert sum(s.partition(" ")[2] == UNCERTAIN[:29] for s in sheets) == 1  # sheet names: 31 characters
    # the library: the same brief from area_brief(montecarlo=) and from write_brief(montecarlo=)
    b = area_brief(solved[1], solved[0], "London", montecarlo=mc, figures=False)
    frame = b.tables[UNCERTAIN]
    np.testing.assert_allclose(frame["P90 (per 100,000)"], mc.percentiles("supply")[2, i])
    plain = area_brief(solved[1], solved[0], "London", figures=False)
    assert UNCERTAIN not in plain.tables
    write_brief(plain, tmp_path / "lib", montecarlo=mc)
    assert UNCERTAIN in plain.tables and "fan" in plain.figures


def test_brief_without_ranges_has_no_fan(solved, tmp_path):
    out = tmp_path / "brief"
    got = runner.invoke(app, ["brief", str(INSTANCE), str(solved[2]), "--area", "London", "--out", str(out)])
    assert got.exit_code == 0, got.output
    assert UNCERTAIN not in (out / "brief.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["report", "brief"])
@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '[[settle_rate]]\nregion = "nowhere"\nmin = 0.7\nmax = 0.9\n',
            "settle_rate[0].region: unknown region 'nowhere'",
        ),
        ("[[leave_rate]]\nmin = 0.5\nmax = 0.1\n", "leave_rate[0]"),
    ],
)
def test_a_ranges_file_that_does_not_fit_exits_2_and_writes_nothing(solved, tmp_path, command, text, says):
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    out = tmp_path / "out"
    if command == "report":
        args = ["report", str(solved[2]), "--instance", str(INSTANCE)]
    else:
        args = ["brief", str(INSTANCE), str(solved[2]), "--area", "London"]
    got = runner.invoke(app, [*args, "--out", str(out), "--ranges", str(bad), "--draws", "50"])
    assert got.exit_code == 2, got.output
    assert says in got.output and str(bad) in got.output
    assert len(got.output.strip().splitlines()) == 1
    assert not out.exists()


def test_ranges_on_an_instance_without_a_pipeline_exits_2(tmp_path):
    plain = ROOT / "instances" / "england-regions-2025.json"
    out = tmp_path / "out"
    got = runner.invoke(app, ["brief", str(plain), "--area", "London", "--out", str(out), "--ranges", str(RANGES)])
    assert got.exit_code == 2 and "no pipeline" in got.output
    assert not out.exists()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.slow  # a headless browser prints the page
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium; .ci/run does)")
def test_brief_with_the_fan_still_prints_on_one_a4_page(solved, tmp_path):
    import subprocess

    out = tmp_path / "brief"
    args = ["brief", str(INSTANCE), str(solved[2]), "--area", "North East and Yorkshire", "--out", str(out)]
    got = runner.invoke(app, [*args, "--ranges", str(RANGES), "--draws", "100"])
    assert got.exit_code == 0, got.output
    pdf = tmp_path / "brief.pdf"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", f"--print-to-pdf={pdf}"]
    subprocess.run([str(CHROMIUM), *flags, (out / "brief.html").as_uri()], capture_output=True, timeout=120, check=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) == 1
