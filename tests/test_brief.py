"""The area brief (docs/model.md §3b): `allocator brief` and the app's Area view."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import allocator
from allocator.cli.main import app
from allocator.core.data import problem_data
from allocator.io.instance import load_instance
from allocator.report.brief import area_brief, factors_of, fair_share_at, find_region, sensitivity

from .conftest import ROOT

runner = CliRunner()
README = (ROOT / "README.md").read_text(encoding="utf-8")
NEED = ROOT / "instances" / "england-pipeline-need-2025.json"
PLAIN = ROOT / "instances" / "england-regions-2025.json"
TEAMS = ROOT / "instances" / "england-teams-2025.json"


@pytest.fixture(scope="module")
def need_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("need")
    inst = load_instance(NEED)
    res = allocator.solve(inst)
    (folder / "result.json").write_text(res.to_json())
    return inst, res, folder / "result.json"


def _brief(args, tmp_path):
    out = tmp_path / "brief"
    got = runner.invoke(app, ["brief", *map(str, args), "--out", str(out)])
    return got, out


def test_every_section_is_there_for_a_need_instance_with_a_pipeline(need_result, tmp_path):
    inst, res, path = need_result
    got, out = _brief([NEED, path, "--area", "South West"], tmp_path)
    assert got.exit_code == 0, got.output
    page = (out / "brief.html").read_text()
    for title in (
        "Fair share in 2030, explained",
        "By programme, 2030",
        "All programmes, by year",
        "Posts per 100,000 need-weighted population",
        "England, plan (per 100,000)",
        "Trained workforce to the horizon",
        "Sensitivity: fair share in 2030",
        "What holds its allocation back",
        "Assumptions and inputs",
        "instance sha256",
        "Deprivation",
        "Rurality",
    ):
        assert title in page, title
    assert page.count("data:image/png;base64,") == 2  # self-contained: both figures embedded
    assert "@media print" in page and "<script" not in page
    book = openpyxl.load_workbook(out / "brief.xlsx")
    assert {"Brief", "Limits", "Assumptions"} <= set(book.sheetnames)
    assert any("By programme and year" in n for n in book.sheetnames)
    assert any("Trained workforce" in n for n in book.sheetnames)
    b = area_brief(res, inst, "south-west", figures=False)
    mine = res.binding["region"].eq("south-west").any() if res.binding is not None else False
    assert bool(b.sentences) and (not mine or any("South West" in s for s in b.sentences))


def test_plain_instance_waterfall_has_population_and_the_builtin_factors(tmp_path):
    got, out = _brief([PLAIN, "--area", "london"], tmp_path)  # no RESULT: it solves first
    assert got.exit_code == 0, got.output
    frame = pd.read_csv(out / "waterfall.csv")
    assert list(dict.fromkeys(frame["step"])) == ["population", "need_index", "need_weights"]
    assert set(frame["region"]) == {"london"}
    page = (out / "brief.html").read_text()
    assert "Trained workforce" not in page and "Team mix" not in page


def test_team_mix_where_there_are_teams():
    inst = load_instance(TEAMS)
    b = area_brief(allocator.solve(inst), inst, "London", figures=False)
    mixes = [t for t in b.tables if t.startswith("Team mix: ")]
    assert mixes and all(len(b.tables[t]) == 1 for t in mixes)


@pytest.mark.parametrize("path", [NEED, PLAIN])
def test_waterfall_csv_sums_to_the_fair_shares(path, tmp_path):
    inst = load_instance(path)
    res = allocator.solve(inst)
    (tmp_path / "r.json").write_text(res.to_json())
    got, out = _brief([path, tmp_path / "r.json", "--area", "midlands"], tmp_path)
    assert got.exit_code == 0, got.output
    frame = pd.read_csv(out / "waterfall.csv")
    d = problem_data(inst)
    target = d.target_of(res.posts_array(d))[d.regions.index("midlands")]
    total = frame.groupby(["specialty", "year"], sort=False)["posts"].sum()
    want = [target[d.specialties.index(s), d.years.index(t)] for s, t in total.index]
    np.testing.assert_allclose(total.to_numpy(), want, rtol=0, atol=1e-9)


@pytest.mark.parametrize("path", [NEED, PLAIN])
def test_sensitivity_at_the_own_blends_is_the_fair_share_and_at_zero_equal_per_head(path):
    inst = load_instance(path)
    res = allocator.solve(inst)
    d = problem_data(inst)
    x = res.posts_array(d)
    fair = d.target_of(x)
    for region in d.regions:
        sens = sensitivity(d, x, region)
        own = sens[sens["own"]]
        assert len(own) == len(factors_of(d))
        i = d.regions.index(region)
        np.testing.assert_allclose(own["fair_share"], fair[i, :, -1].sum(), rtol=1e-12)
    zero = fair_share_at(d, x, {f.id: 0.0 for f in factors_of(d)})
    equal = d.population[:, None, :] / d.population.sum(axis=0) * d.totals_of(x)[None]
    np.testing.assert_allclose(zero, equal, rtol=1e-12)
    steps, posts = d.waterfall(x)
    np.testing.assert_allclose(zero, posts[0], rtol=1e-12)  # the waterfall's first step


def test_unknown_area_exits_2_with_the_known_ones_and_a_did_you_mean(tmp_path):
    got, out = _brief([PLAIN, "--area", "Sout West"], tmp_path)
    assert got.exit_code == 2
    assert "did you mean 'South West'" in got.output and "london (London)" in got.output
    assert not out.exists()
    with pytest.raises(ValueError, match="no region"):
        find_region(load_instance(PLAIN), "Atlantis")


def test_a_result_of_another_instance_exits_2(need_result, tmp_path):
    _, _, path = need_result
    got, out = _brief([PLAIN, path, "--area", "london"], tmp_path)
    assert got.exit_code == 2 and "england-pipeline-need-2025" in got.output
    # same name, same fair shares, but not the instance it was solved on: the hash refuses it
    data = json.loads(NEED.read_text())
    data["description"] = (data.get("description") or "") + " (edited)"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    got, out = _brief([edited, path, "--area", "london"], tmp_path)
    assert got.exit_code == 2 and "instance_sha256" in got.output
    assert not out.exists()


def test_a_brief_folder_is_rewritten_but_a_foreign_file_is_kept(need_result, tmp_path):
    _, _, path = need_result
    for _ in range(2):
        got, out = _brief([NEED, path, "--area", "london"], tmp_path)
        assert got.exit_code == 0, got.output
    (out / "waterfall.csv").write_text("mine\n")
    got, _ = _brief([NEED, path, "--area", "london"], tmp_path)
    assert got.exit_code == 2 and "waterfall.csv" in got.output
    assert (out / "waterfall.csv").read_text() == "mine\n"


def test_app_area_view_gives_the_brief_and_its_files(need_result):
    from allocator.app import logic

    inst, res, _ = need_result
    sc = logic.Scenario("s", inst, allocator.DEFAULT_MODEL, result=res)
    brief, files = logic.area(sc, "north-west")
    assert brief.name == "North West" and set(files) == {"brief.html", "brief.xlsx", "waterfall.csv"}
    assert files["brief.html"].startswith(b"<!DOCTYPE html>")


@pytest.mark.slow  # over a second: the page in Streamlit's AppTest
def test_page_shows_the_area_view():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "allocator" / "app" / "page.py"), default_timeout=120)
    at.run()
    at.selectbox(key="shipped").set_value("template-workforce (workbook)").run()
    next(b for b in at.button if b.label == "Solve").click()
    at.run()
    assert not at.exception
    box = at.selectbox(key="area_region")
    box.set_value("south").run()
    assert not at.exception
    assert any("South's fair share" in m.value for m in at.markdown)
    assert any("Sensitivity" in m.value for m in at.markdown)
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"brief.html", "brief.xlsx", "waterfall.csv"} <= labels


def test_readme_shows_what_the_brief_prints_now(tmp_path):
    block = README.split("## An area's number", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    got = runner.invoke(app, ["brief", "england-pipeline-need-2025", "--area", "South West", "--out", str(tmp_path)])
    assert got.exit_code == 0, got.output
    printed = [line for line in got.output.splitlines() if not line.startswith("wrote ")]
    assert printed == block.strip().splitlines()


def test_an_infeasible_result_gets_a_brief_without_a_plan(tmp_path):
    path = ROOT / "instances" / "infeasible" / "capacity-below-national-total.json"
    inst = load_instance(path)
    got, out = _brief([path, "--area", inst.regions[0].id], tmp_path)
    assert got.exit_code == 0, got.output
    assert "No plan: the result is infeasible" in got.output
    page = (out / "brief.html").read_text()
    assert "Plan (posts)" not in page and "Sensitivity" in page
    assert "1 programme," in got.output


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.slow  # a headless browser prints the page
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium; .ci/run does)")
@pytest.mark.parametrize(("path", "area"), [(NEED, "South West"), (TEAMS, "london")])
def test_brief_html_prints_on_one_a4_page(path, area, tmp_path):
    import re
    import subprocess

    got, out = _brief([path, "--area", area], tmp_path)
    assert got.exit_code == 0, got.output
    pdf = tmp_path / "brief.pdf"
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", f"--print-to-pdf={pdf}"]
    subprocess.run([str(CHROMIUM), *args, (out / "brief.html").as_uri()], capture_output=True, timeout=120, check=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) == 1
