"""The fair-share waterfall (docs/model.md §3b) in results, reports and the app."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import allocator
from allocator.app import logic
from allocator.core.data import problem_data
from allocator.io.instance import load_instance
from allocator.report.write import write_report
from allocator.solution.waterfall import WATERFALL_COLUMNS

from .conftest import ROOT

WORKFORCE = ROOT / "instances" / "template-workforce.xlsx"
PLAIN = ROOT / "instances" / "toy" / "toy-3x2.json"


@pytest.fixture(scope="module")
def solved():
    inst = load_instance(WORKFORCE)
    return inst, allocator.solve(inst)


def test_result_folder_has_waterfall_csv_summing_to_the_targets(solved, tmp_path):
    inst, res = solved
    written = {p.name for p in res.write(tmp_path)}
    assert "waterfall.csv" in written
    frame = pd.read_csv(tmp_path / "waterfall.csv")
    assert list(frame.columns) == WATERFALL_COLUMNS
    steps = ["population", "need_index", "need_weights", "deprivation", "rurality"]
    assert list(dict.fromkeys(frame["step"])) == steps
    total = frame.groupby(["region", "specialty", "year"], sort=False)["posts"].sum()
    target = res.allocation.set_index(["region", "specialty", "year"])["target"]
    np.testing.assert_allclose(total.to_numpy(), target.reindex(total.index).to_numpy(), rtol=0, atol=1e-9)
    # rurality has blend 0 here: present, and it moves nothing
    assert frame.loc[frame["step"] == "rurality", "posts"].abs().max() < 1e-9


def test_no_waterfall_file_without_a_need_block(tmp_path):
    res = allocator.solve(PLAIN)
    assert res.waterfall is None
    assert "waterfall.csv" not in {p.name for p in res.write(tmp_path)}


def test_report_draws_the_waterfall_with_a_need_block(solved, tmp_path):
    inst, res = solved
    names = {p.name for p in write_report(res, inst, tmp_path / "need")}
    assert {"waterfall.png", "waterfall.svg"} <= names
    assert "waterfall.png" in (tmp_path / "need" / "report.html").read_text()
    plain = allocator.solve(PLAIN)
    assert not any(p.name.startswith("waterfall") for p in write_report(plain, PLAIN, tmp_path / "plain"))


def test_app_waterfall_of_a_region_sums_to_its_fair_share(solved):
    inst, res = solved
    table, png = logic.waterfall(res, inst, "north")
    assert png.startswith(b"\x89PNG")
    assert list(table["step"]) == [
        "Equal per head",
        "Need index",
        "Need weights",
        "Deprivation",
        "Rural population share",
        "Fair share",
    ]
    d = problem_data(inst)
    fair = float(d.target_of(res.posts_array(d))[0, :, -1].sum())
    assert table["posts"].iloc[-1] == pytest.approx(fair, abs=1e-9)
    assert table["posts"].iloc[:-1].sum() == pytest.approx(fair, abs=1e-9)


@pytest.mark.slow  # over a second: the page in Streamlit's AppTest
def test_page_shows_a_regions_waterfall():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "allocator" / "app" / "page.py"), default_timeout=120)
    at.run()
    at.selectbox(key="shipped").set_value("template-workforce (workbook)").run()
    next(b for b in at.button if b.label == "Solve").click()
    at.run()
    assert not at.exception
    box = at.selectbox(key="waterfall_region")
    assert box.options == ["North", "Middle", "South"]
    box.set_value("south").run()
    assert not at.exception
