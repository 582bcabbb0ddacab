"""Whole-post gaps against a bound worth the name (FORMULATION §7, §9; issue 19, finding 9).

The LP optimum is a weak bound for whole posts: on a small generated instance a whole-post
plan reads "25 % from optimal" against it while HiGHS's MIP proves it optimal in a fraction of
a second. ``--round`` therefore reports its gap against the MIP's proven bound, says which
bound it is (``bound_source``), and keeps the LP optimum as ``lp_bound``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import allocator
from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL
from allocator.io.results import result_problems
from allocator.model.wholeposts import BOUND_SOURCES, bound_seconds, relative_gap
from allocator.pipeline.rounding import objective_of, round_result
from allocator.solution.gaps import gap_sentence, percent
from allocator.solution.result import Result
from allocator.study.generate import generate

# 3 regions × 4 specialties × 3 years, seed 3: the repaired plan is 25 % above the LP optimum,
# and the whole-post optimum is 30 % above it (small cells: whole posts cost that much)
SMALL = (3, 4, 3, 3)


@pytest.fixture(scope="module")
def small():
    inst = generate(*SMALL[:3], seed=SMALL[3])
    d = problem_data(inst)
    lp = allocator.solve(inst)
    assert lp.status == "optimal"
    return inst, d, lp


def test_the_lp_gap_is_large_and_the_reported_gap_small(small):
    inst, d, lp = small
    lp_only = round_result(d, DEFAULT_MODEL, lp, instance=inst, bound_time=0)
    assert lp_only.bound_source == "lp" and lp_only.bound == pytest.approx(lp.objective)
    assert lp_only.status == "feasible" and percent(lp_only.gap) == "25%"  # "from optimal" against the LP

    res = round_result(d, DEFAULT_MODEL, lp, instance=inst)
    assert res.bound_source in ("mip-root", "mip")
    assert res.gap <= 1e-4 and res.status == "optimal"  # proven the best whole-post plan
    assert res.objective <= lp_only.objective + 1e-9  # the MIP's plan is kept where better
    assert res.lp_bound == pytest.approx(lp.objective)  # the price of whole posts stays available
    assert res.rounding["lp_objective"] == pytest.approx(lp.objective)
    assert res.rounding["bound_seconds"] <= bound_seconds(d) + 1.0


def test_the_reported_plan_passes_the_checker_and_its_bound_is_sound(small):
    inst, d, lp = small
    res = round_result(d, DEFAULT_MODEL, lp, instance=inst)
    x = res.posts_array(d)
    assert np.array_equal(x, np.round(x))
    assert allocator.check(inst, res, model=DEFAULT_MODEL).ok
    assert res.objective == pytest.approx(objective_of(d, DEFAULT_MODEL, x), rel=1e-12)
    assert lp.objective - 1e-9 <= res.bound <= res.objective
    assert res.gap == pytest.approx(relative_gap(res.objective, res.bound), abs=1e-12)
    # the full MIP, run to the end, agrees: no whole-post plan beats the reported bound
    mip = allocator.solve(inst, integer=True, mip_gap=0.0)
    assert mip.objective >= res.bound - 1e-6 * abs(res.bound)
    assert mip.bound_source in BOUND_SOURCES and mip.lp_bound == pytest.approx(lp.objective)


def test_the_new_fields_round_trip_and_are_checked(small, tmp_path):
    inst, d, lp = small
    res = round_result(d, DEFAULT_MODEL, lp, instance=inst)
    data = json.loads(res.to_json(tmp_path / "r.json"))
    assert data["bound_source"] == res.bound_source and data["lp_bound"] == pytest.approx(lp.objective)
    back = Result.from_json(tmp_path / "r.json")
    assert (back.bound_source, back.lp_bound) == (res.bound_source, res.lp_bound)
    assert allocator.check(inst, tmp_path / "r.json", model=DEFAULT_MODEL).ok
    assert result_problems(data) == []
    bad = data | {"bound_source": "guess", "lp_bound": "low"}
    assert {w for w, _ in result_problems(bad)} == {"bound_source", "lp_bound"}
    assert "bound_source" not in lp.to_dict() and "lp_bound" not in lp.to_dict()  # an LP result has none


def test_the_gap_in_words(small):
    inst, d, lp = small
    res = round_result(d, DEFAULT_MODEL, lp, instance=inst)
    text = gap_sentence(res)
    price = percent((res.objective - lp.objective) / abs(lp.objective))
    assert "best whole-post plan possible" in text and "HiGHS's MIP" in text
    assert f"whole posts cost {price} more objective than fractional posts" in text
    assert price == "30%"  # 65.34 against the LP's 50.13 (the example of docs/model.md §6)
    assert text.endswith("(the LP optimum, 50.13).") and "root node" in text and "under 1 s" in text
    assert gap_sentence(lp) is None  # an LP optimum has no whole-post gap
    lp_only = round_result(d, DEFAULT_MODEL, lp, instance=inst, bound_time=0)
    words = gap_sentence(lp_only)
    assert f"at most {percent(lp_only.gap)} worse" in words and "weak bound" in words


def test_a_gap_sentence_for_each_source():
    base = Result("feasible", "i", "m", "highs", objective=183.53, mip_gap=(183.53 - 183.50) / 183.53)
    base.best_bound, base.lp_bound, base.rounding = 183.50, 126.60, {"bound_seconds": 3.2}
    base.bound_source = "mip"
    assert gap_sentence(base) == (
        "Whole posts that keep every limit: at most 0.02% worse than the best whole-post plan possible "
        "(bound proven by HiGHS's MIP in 3 s); whole posts cost 45% more objective than fractional posts "
        "(the LP optimum, 126.6)."
    )
    base.bound_source = None  # a result written before bound_source: the bound named as is
    assert "against the bound 183.5" in gap_sentence(base)
    assert [percent(v) for v in (0, 4e-5, 2e-4, 0.073, 0.31)] == ["0%", "under 0.01%", "0.02%", "7.3%", "31%"]


def test_bound_seconds_scale_with_size():
    assert bound_seconds(problem_data(generate(3, 4, 3, seed=0))) == 1.0
    assert bound_seconds(problem_data(generate(7, 10, 5, seed=0))) == 3.5
    assert bound_seconds(problem_data(generate(42, 20, 5, seed=0))) == 5.0


def test_solve_round_on_the_command_line_states_the_bound(tmp_path):
    from typer.testing import CliRunner

    from allocator.cli.main import app

    path = tmp_path / "small.json"
    generate(*SMALL[:3], seed=SMALL[3]).to_json(path)
    out = CliRunner().invoke(app, ["solve", str(path), "--round", "--format", "json"])
    data = json.loads(out.stdout)
    assert out.exit_code == 0 and data["status"] == "optimal"
    assert data["bound_source"] in ("mip-root", "mip") and data["gap"] <= 1e-4
    assert data["lp_bound"] < 0.8 * data["objective"]  # the LP's figure kept: whole posts cost 30 %
    table = CliRunner().invoke(app, ["solve", str(path), "--round"])
    assert "best whole-post plan possible" in table.stdout


@pytest.mark.slow  # writes a whole report, figures included (~4 s)
def test_the_reports_say_the_gap_in_words(small, tmp_path):
    """The HTML page, the workbook's summary and the markdown summary carry the sentence."""
    import html

    from openpyxl import load_workbook

    from allocator.report.summary import markdown
    from allocator.report.write import write_report

    inst, d, lp = small
    res = round_result(d, DEFAULT_MODEL, lp, instance=inst)
    sentence = gap_sentence(res)
    write_report(res, inst, tmp_path / "out")
    assert sentence in html.unescape((tmp_path / "out" / "report.html").read_text())
    book = load_workbook(tmp_path / "out" / "report.xlsx", read_only=True)
    cells = {c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row}
    assert sentence in cells
    assert sentence in markdown(res, d)
