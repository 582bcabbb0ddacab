"""Words first, detail on request (issue 19, finding 7).

A diagnosis starts with what to change and by how much; the solver's conflict set and the raw
``relax_by`` figures are kept in ``technical_detail``. Shadow-price sentences of one family and
region are grouped. The app's comparison names the limits that bind in the compared result.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

import allocator
from allocator.analysis.diagnosis_words import ACTION_VERBS, words_and_detail
from allocator.analysis.shadow import explain, group, names_from_instance, years_text
from allocator.core.families import DEFINITIONS
from allocator.io.results import result_problems

from .conftest import ROOT

INFEASIBLE = ROOT / "instances" / "infeasible"
ENGLAND = ROOT / "instances" / "england-regions-2025.json"
TOY = ROOT / "instances" / "toy"
SOLVER_WORDS = ("irreducible", "IIS", "[", "relax_by", "HiGHS")


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]


# ------------------------------------------------------------------------ diagnoses


@pytest.mark.parametrize("path", sorted(INFEASIBLE.glob("*.json")), ids=lambda p: p.stem)
def test_diagnosis_leads_with_an_action_and_keeps_the_detail_apart(path, tmp_path):
    inst = allocator.load_instance(path)
    res = allocator.solve(inst, integer=True if path.stem.startswith("integer") else None)
    assert res.status == "infeasible"
    diag = res.diagnosis
    first = _first_sentence(diag["summary"])
    assert first.split()[0] in ACTION_VERBS, first
    assert re.search(r"\d", first), f"no quantity in {first!r}"
    assert not any(w in diag["summary"] for w in SOLVER_WORDS), diag["summary"]
    assert all(a.split()[0] in ACTION_VERBS and not any(w in a for w in SOLVER_WORDS) for a in diag["actions"])
    # the detail holds the conflict set by name and every finding's raw figure
    detail = diag["technical_detail"]
    assert detail[0].startswith("Found by ")
    policy = [m["name"] for m in diag["conflict"] if m["constraint"] not in DEFINITIONS][:3]
    if diag["conflict"]:
        assert policy and any(all(name in line for name in policy) for line in detail), detail
    for f in diag["findings"]:
        assert any(line.startswith(f"{f['constraint']}[") and f"relax_by {f['relax_by']:g}" in line for line in detail)
    # ... and both are in result.json
    res.write(tmp_path)
    back = json.loads((tmp_path / "result.json").read_text())["diagnosis"]
    assert back["technical_detail"] == detail and back["actions"] == diag["actions"]
    assert result_problems(json.loads((tmp_path / "result.json").read_text())) == []


def test_lock_outside_capacity_says_what_to_raise_to():
    res = allocator.solve(allocator.load_instance(INFEASIBLE / "lock-above-capacity.json"))
    assert res.diagnosis["summary"] == (
        "Raise the capacity of london psychiatry in 2026 to 134 posts (max_posts), or lower its lock to 120 or "
        "unlock it: it is locked at 134 posts but its capacity is 0–120."
    )


def test_several_years_of_one_cell_are_one_action_in_the_summary(base):
    """A cell whose shrink limit is out of reach in two years: one action (the larger relaxation)
    names the other year; the full list keeps both."""
    base["years"] = [2025, 2026]
    base["capacity"] = [{"region": "south", "specialty": "gp", "max_posts": 40}]
    base["transition"] = {"max_shrink_rate": 0.1}
    diag = allocator.solve(allocator.validate(base)).diagnosis
    assert len(diag["actions"]) == 2 and diag["summary"].count("Allow south gp") == 1
    assert "The same limit binds in 2026 too" in diag["summary"]


def test_an_old_diagnosis_still_reads():
    """A result written before 'actions' and 'technical_detail': its summary's conflict sentence
    goes to the detail, its findings' messages become the actions."""
    old = {
        "summary": "'x' cannot be satisfied (pre-solve checks): raise it by 20. These cannot all hold "
        "(HiGHS's irreducible infeasible subset): budget[2025] ≤ 80.",
        "constraints": ["budget"],
        "findings": [{"constraint": "budget", "year": 2025, "message": "raise it by 20.", "relax_by": 20.0}],
    }
    summary, actions, detail = words_and_detail(old)
    assert "irreducible" not in summary and actions == ["Raise it by 20."]
    assert detail == [
        "These cannot all hold (HiGHS's irreducible infeasible subset): budget[2025] ≤ 80.",
        "budget[2025]: relax_by 20",
    ]
    bad = {"status": "infeasible", "instance": "x", "diagnosis": {**old, "technical_detail": "text"}}
    [(where, message)] = result_problems(bad)
    assert where == "diagnosis.technical_detail" and message.startswith("must be a list of strings")


# ----------------------------------------------------------------- grouped shadow prices


def test_years_are_written_as_runs():
    assert years_text([2027, 2025, 2026, 2029]) == "2025–2027 and 2029"
    assert years_text([2025, 2026]) == "2025 and 2026" and years_text([2030]) == "2030"


def test_ten_shrink_limits_of_london_are_one_sentence():
    rows = [("psychiatry", y, -0.4 - 0.1 * i) for i, y in enumerate(range(2025, 2030))]
    rows += [("gp", y, -0.5) for y in (2026, 2027, 2028)] + [("paediatrics", 2025, -0.6), ("paediatrics", 2027, -0.7)]
    frame = pd.DataFrame(
        [
            {"constraint": "shrink_limit", "region": "london", "specialty": s, "year": y, "dual": d, "value": 1.0}
            | {"sentence": f"letting {s} in London shrink by one more post in {y} ..."}
            for s, y, d in rows
        ]
    )
    g = group(frame, names={"london": "London"})
    assert len(g) == 1 and g["cells"].iloc[0] == 10 and sorted(g["rows"].iloc[0]) == list(range(10))
    assert g["sentence"].iloc[0] == (
        "London's shrink limits bind in 10 cells (psychiatry 2025–2029, gp 2026–2028, paediatrics 2025 and 2027): "
        "each post more they let a cell lose would lower the objective by 0.4–0.8."
    )
    assert g["what"].iloc[0] == "London's shrink limits (psychiatry 2025–2029, gp 2026–2028, paediatrics 2025 and 2027)"


def test_england_sentences_are_grouped_and_cover_every_binding_row_once():
    inst = allocator.load_instance(ENGLAND)
    d = allocator.problem_data(inst)
    res = allocator.solve(inst)
    names = names_from_instance(inst)
    rows = explain(res, d, names=names)
    g = group(rows, names=names, specialties=len(d.specialties))
    assert len(res.binding) == len(rows) == 70 and len(g) == 3  # the figures of docs/measures.md
    covered = [i for members in g["rows"] for i in members]
    with_dual = set(rows.index[rows["dual"].abs() > 0])
    assert len(covered) == len(set(covered)) == len(rows) and with_dual <= set(covered)
    for one in g.itertuples():
        part = rows.loc[one.rows]
        assert part["constraint"].nunique() == 1 and part["region"].fillna("").nunique() == 1
        assert one.dual_high == pytest.approx(part["dual"].abs().max())
        if one.cells > 1:
            assert f" in {one.cells} " in one.sentence
            assert all(str(y) in one.sentence for y in (part["year"].min(), part["year"].max()))
    assert g["sentence"].iloc[0] == (
        "London's regional net-loss limits bind in 5 years (2026–2030): each post more they let the region lose "
        "would lower the objective by 1.98–9.4."
    )


# ------------------------------------------------------------------- comparison advice


def _scenario(name, data):
    from allocator.app import logic

    return logic.run_scenario(name, allocator.validate(data), allocator.DEFAULT_MODEL, report=False)


def _binding_phrases(sc) -> set[str]:
    from allocator.app import adapters

    d = allocator.problem_data(sc.instance)
    g = adapters.grouped_sentences(sc.result, d, sc.instance, sc.model)
    return set(g.loc[g["what"].notna() & (g["dual_high"] > 1e-9), "what"])


def test_comparison_names_what_binds_after_a_limit_was_loosened():
    """toy-3x2: the national moves limit (12) binds. Loosened to 1000 it binds no more, and the
    advice names what binds now (a lock, a capacity, the national totals), never the moves limit."""
    pytest.importorskip("streamlit")
    from allocator.app import logic

    data = json.loads((TOY / "toy-3x2.json").read_text())
    base = _scenario("Base", data)
    data["transition"]["max_national_moves"] = 1000
    loose = _scenario("B", data)
    assert "national_moves" in set(base.result.binding["constraint"])
    assert "national_moves" not in set(loose.result.binding["constraint"])
    advice = logic.compare_advice([base, loose], "Base", logic.compare_regions([base, loose], "Base"))
    assert len(advice) == 1 and advice[0].startswith("In 'B' what binds is ")
    named = logic.binding_limits(loose, top=10)
    assert named and set(named) == _binding_phrases(loose)
    assert "South's lock (Psychiatry 2025)" in advice[0] and "North's capacity (General practice 2025)" in advice[0]
    assert "moves" not in advice[0]


def test_comparison_of_equal_allocations_names_the_binding_limits_not_the_loosened_one():
    """A growth limit that does not bind changes nothing: the advice says so and names the
    limits that do bind, never the growth limit."""
    pytest.importorskip("streamlit")
    from allocator.app import logic

    data = json.loads((TOY / "toy-3x2.json").read_text())
    base = _scenario("Base", data)
    data["transition"]["max_growth_rate"] = 0.9
    capped = _scenario("B", data)
    advice = logic.compare_advice([base, capped], "Base", logic.compare_regions([base, capped], "Base"))
    assert advice[0].startswith("These scenarios allocate the same posts")
    assert "the national moves limit (2025)" in advice[1] and "growth" not in " ".join(advice).lower()
    assert all(p in advice[1] for p in logic.binding_limits(capped))


def test_markdown_report_words_first():
    """report.md: the actions, then '### Technical detail'; the shadow prices grouped."""
    from allocator.report.summary import markdown

    inst = allocator.load_instance(INFEASIBLE / "shrink-too-slow-for-cap.json")
    res = allocator.solve(inst)
    md = markdown(res, allocator.problem_data(inst))
    words, detail = md.split("### Technical detail")
    assert "1. Allow london psychiatry 15.375 more posts of reduction" in words
    assert "shrink_limit[" not in words and "irreducible" not in words
    assert "- shrink_limit[london,psychiatry,2026]: relax_by 15.375" in detail
    inst = allocator.load_instance(ENGLAND)
    md = markdown(allocator.solve(inst), allocator.problem_data(inst))
    assert "## What holds the allocation back\n\n1. London's regional net-loss limits bind in 5 years (2026–2030)" in md


def test_findings_without_a_figure_still_lead_with_an_action(base):
    """The LP is feasible but whole posts are not, or the relaxation failed: an action each, and
    no raw-figure line for a finding that has no relax_by."""
    from allocator.analysis.diagnosis_words import action, technical_detail
    from allocator.model.findings import finding

    d = allocator.problem_data(allocator.validate(base))
    lp = finding("unknown", "the LP relaxation is feasible ...", "lp_feasible")
    err = finding("error", "HiGHS could not compute a feasibility relaxation.", "error")
    assert action(lp, d).startswith("Solve without whole posts and round the result")
    assert action(err, d).startswith("Relax the limits one at a time")
    assert technical_detail("the pre-solve checks", "", [lp, err]) == ["Found by the pre-solve checks."]
