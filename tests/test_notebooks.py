"""The notebooks stay true: committed executed, with the outputs the code prints now, and no
number in their prose that a cell does not compute or a test does not assert.

The prose of a notebook (its Markdown cells) quotes no result: a number a reader should trust
is printed by a code cell right there (a ``print`` or a ``Markdown`` display of an f-string),
so it changes when the code does. The numbers left in Markdown cells are years, section
numbers, "100,000" and the few listed in :data:`ASSERTED`, each checked here against the data
it describes.
"""

from __future__ import annotations

import difflib
import json
import re

import nbformat
import pytest

import allocator

from .conftest import ROOT
from .notebook_run import NOTEBOOKS, executed, text_outputs

NAMES = [p.name for p in NOTEBOOKS]


def _regions_instance():
    return allocator.load_instance(ROOT / "instances" / "england-regions-2025.json")


#: Numbers a notebook's Markdown may state, with what makes them true (checked below).
ASSERTED = {
    "policy_walkthrough.ipynb": {
        "7": ("regions of the instance", lambda: len(_regions_instance().regions) == 7),
        "12": ("specialties of the instance", lambda: len(_regions_instance().specialties) == 12),
        "5": ("planning years of the instance", lambda: len(_regions_instance().years) == 5),
        "0": ("a Gini or Theil of 0 means no inequality (their definition)", lambda: True),
    },
    "weighting_study.ipynb": {},
    "future_supply.ipynb": {},
    "local_need.ipynb": {},
    "robust_plans.ipynb": {},
}

# Not data: inline code and code blocks (file names, commands), section citations and numbers
# ("§6b", "section 3", "## 2."), and "per 100,000" (the unit of posts per head)
_NOT_PROSE = (
    re.compile(r"```.*?```", re.S),
    re.compile(r"`[^`\n]*`"),
    re.compile(r"§\s?\d+[a-z]?"),
    re.compile(r"\bsections? \d+(?:(?:, | and | or )\d+)*"),
    re.compile(r"^#+ \d+\.", re.M),
    re.compile(r"100,000"),
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _prose_numbers(source: str) -> list[str]:
    for pattern in _NOT_PROSE:
        source = pattern.sub(" ", source)
    return [n for n in _NUMBER.findall(source) if not (n.isdigit() and len(n) == 4 and 1900 <= int(n) <= 2100)]  # years


def test_every_notebook_has_its_rules():
    assert sorted(ASSERTED) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_number_in_the_prose_is_computed_or_asserted(name):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    allowed = ASSERTED[name]
    found = {n for c in nb.cells if c.cell_type == "markdown" for n in _prose_numbers(c.source)}
    unexplained = sorted(found - set(allowed))
    assert not unexplained, (
        f"{name}: numbers in Markdown cells that no cell computes: {unexplained}. Print them from a code "
        "cell (display(Markdown(f'...'))), or assert them in ASSERTED with what makes them true."
    )
    for number, (what, holds) in allowed.items():
        assert holds(), f"{name}: {number} ({what}) no longer holds"


def test_the_prose_check_catches_a_stale_number():
    """The check is not vacuous: the stale sentence of the issue is caught, years are not."""
    stale = "both weightings close the same 45.4% of the gap and move the same 500 posts by 2030"
    assert _prose_numbers(stale) == ["45.4", "500"]
    assert _prose_numbers("## 3. The frontier (2026–2030), §6b, section 2, per 100,000 people") == []


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_executed_and_small(name):
    path = ROOT / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), f"{name}: run `make notebooks-run`"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "executed top to bottom, once"
    for c in code:
        for o in c.outputs:
            assert o.output_type != "error", f"{name}: stored output has an error"
            assert not (o.output_type == "stream" and o.name == "stderr"), f"{name}: stderr stored"
            for kind, value in o.get("data", {}).items():
                limit = 200_000 if kind.startswith("image/") else 20_000  # no huge tables or figures
                assert len(value) < limit, f"{name}: a {kind} output of {len(value):,} characters"
    assert path.stat().st_size < 1_000_000
    assert all("execution" not in c.metadata for c in code), "store without timings (record_timing=False)"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_are_what_the_code_prints_now(name):
    """Re-executed, each notebook prints what is stored (timings and temporary paths aside)."""
    stored = text_outputs(nbformat.read(ROOT / "notebooks" / name, as_version=4))
    now = text_outputs(executed(name).nb)
    if stored != now:
        a = [f"[{i}] {line}" for i, t in stored for line in t.splitlines()]
        b = [f"[{i}] {line}" for i, t in now for line in t.splitlines()]
        diff = "\n".join(difflib.unified_diff(a, b, "stored", "now", lineterm="", n=1))
        pytest.fail(f"{name}: stored outputs are stale; run `make notebooks-run`\n{diff[:6000]}")


@pytest.mark.slow
def test_policy_walkthrough():
    run = executed("policy_walkthrough.ipynb")
    text = "\n".join(t for _, t in text_outputs(run.nb))
    assert "infeasible" in text and "optimal" in text
    assert "report.xlsx" in text and "change_map.png" in text
    assert run.seconds < 120, f"the notebook took {run.seconds:.0f} s"


# Every claim of the closing cell of future_supply.ipynb, as the fact its code cell prints
FUTURE_SUPPLY_FACTS = (
    "future_supply_has_the_smaller_2040_gap",  # "leaves a smaller 2040 supply gap than the fair-share plan"
    "future_supply_moves_more_posts",  # "and moves more posts to do so"
    "fair_share_beaten_at_no_more_moves",  # "a frontier plan that moves no more posts ... smaller 2040 gap"
    "most_gain_at_two_thirds_of_the_moves",  # "two-thirds of the future-supply model's posts keeps most"
    "same_regions_gain",  # "the same regions gain posts"
    "every_region_same_direction",  # "and the same regions give them up"
    "least_possible_gap_leaves_most_of_it",  # "the min supply end leaves most of the gap"
    "first_moves_buy_the_most",  # "each further post moved closes less of the 2040 gap"
    "every_frontier_point_checked",
)


@pytest.mark.slow
def test_future_supply_notebook():
    """Runs in under a minute; every claim of its closing markdown holds in the printed facts;
    its numbers agree with the model results solved here."""
    run = executed("future_supply.ipynb")
    nb = run.nb
    assert run.seconds < 60, f"the notebook took {run.seconds:.0f} s"
    closing = nb.cells[-1]
    assert closing.cell_type == "markdown" and "What a policy team should conclude" in closing.source
    words = re.sub(r"2040|section \d", "", closing.source)
    assert not any(ch.isdigit() for ch in words), "no numbers in the closing text (the cells print them)"
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    facts = dict(line.split(": ", 1) for line in text.splitlines() if line.count(": ") == 1 and line[0].islower())
    for name in FUTURE_SUPPLY_FACTS:
        assert facts.get(name) == "True", (name, facts.get(name))
    assert "counts only the doctors trained from the baseline intake onward" in text
    inst = allocator.load_instance(ROOT / "instances" / "england-pipeline-2025.json")
    for model in ("fair-share", "future-supply"):
        key = f"supply_gap_2040_{model.replace('-', '_')}"
        res = allocator.solve(inst, ROOT / "models" / f"{model}.toml")
        gap = float(res.supply_kpis.set_index("year").loc[2040, "supply_gap"])
        assert int(facts[key]) == round(gap)


def test_the_notebooks_are_the_ones_tested():
    shipped = {
        "policy_walkthrough.ipynb",
        "weighting_study.ipynb",
        "future_supply.ipynb",
        "local_need.ipynb",
        "robust_plans.ipynb",
    }
    assert shipped <= set(NAMES)
    # the notebooks are JSON a reader's Jupyter opens: no kernel-specific paths stored
    for path in NOTEBOOKS:
        assert str(ROOT) not in json.dumps(nbformat.read(path, as_version=4).metadata)


# Every claim of the closing cell of local_need.ipynb, as the fact its code cell prints
LOCAL_NEED_FACTS = (
    "deprivation_takes_posts_from_the_peninsula",  # "moves posts away from the peninsula in all three"
    "peninsula_deprivation_below_england",  # "its avoidable mortality is below England's"
    "ageing_moves_only_obstetrics",  # "Ageing moves obstetrics only"
    "ageing_moves_obstetrics_by_less_than_a_post",  # "and only a little"
    "rurality_is_off_in_the_instance",  # "Switched on" (the instance has it off)
    "rurality_would_add_posts_in_every_programme",  # "it adds posts in every programme"
    "pipeline_adds_peninsula_posts",  # "more posts than the fair-share plan"
    "pipeline_leaves_a_stock_gap",  # "its trained stock still falls short of its fair stock"
    "lower_settle_rate_gives_fewer_posts",  # "gives it fewer posts, not more"
    "lower_settle_rate_widens_the_stock_gap",  # "and the shortfall widens"
)


@pytest.mark.slow
def test_local_need_notebook():
    """Runs in well under a minute; every claim of its closing text holds in the facts it prints;
    the peninsula's ICBs are the two named, and the rurality range is shown, not a number picked."""
    run = executed("local_need.ipynb")
    nb = run.nb
    assert run.seconds < 60, f"the notebook took {run.seconds:.0f} s"
    closing = nb.cells[-1]
    assert closing.cell_type == "markdown" and "What the peninsula's partners can take from this" in closing.source
    assert not any(ch.isdigit() for ch in closing.source), "no numbers in the closing text (the cells print them)"
    text = "\n".join(t for _, t in text_outputs(nb))
    facts = dict(line.split(": ", 1) for line in text.splitlines() if line.count(": ") == 1 and line[0].islower())
    for name in LOCAL_NEED_FACTS:
        assert facts.get(name) == "True", (name, facts.get(name))
    assert "'QT6': 'NHS Cornwall and the Isles of Scilly ICB'" in text and "'QJK': 'NHS Devon ICB'" in text
    prose = " ".join(" ".join(c.source.replace("*", "").split()) for c in nb.cells if c.cell_type == "markdown")
    assert "no rurality weight for training posts is published" in prose
    evidence = (ROOT / "instances" / "sources" / "rurality" / "EVIDENCE.md").read_text()
    assert "No published rurality weight was found for the specialty-post formula" in evidence


# Every claim of the closing cell of robust_plans.ipynb, as the fact its code cell prints
ROBUST_PLANS_FACTS = (
    "every_plan_checked",
    "each_robust_plan_best_under_its_own_measure",  # "each robust plan does better under its own measure"
    "vss_positive_under_every_measure",  # "... than the central plan"
    "evpi_positive",  # "knowing the future before planning would be worth more still"
    "rural_regions_lose_most_from_central_to_robust",  # "What changes is the rural regions"
    "rural_regions_get_fewer_posts_in_expected_and_cvar",  # "the expected and CVaR plans give them few"
    "conclusions_change_only_for_rural_regions",
    "others_gain_more_in_expected",  # "which gain more than in the central plan"
    "london_and_north_east_same_in_every_plan",  # "lose the same posts in every plan"
    "worst_case_is_high_retention",  # "The worst-case plan guards against high retention, not low"
    "worst_plan_stays_near_central",  # "that plan stays close to the central one"
    "robust_pays_less_in_central_than_central_plan_in_low_retention",  # "The price is small nationally"
    "central_plan_regret_largest_in_low_retention",
    "robust_plan_narrows_the_gap_median_and_p90",  # "narrows the national supply gap's median and upper range"
    "robust_plan_lowers_rural_p10_supply",  # "the lower range of the rural regions' own supply falls"
)


@pytest.mark.slow
def test_robust_plans_notebook():
    """Runs in under 40 s; every claim of its closing text holds in the facts it prints; its VSS
    and EVPI are those of allocator.study.regret run here, and the regions it names as rural are
    the instance's low-retention regions."""
    from allocator.study.regret import regret

    run = executed("robust_plans.ipynb")
    nb = run.nb
    assert run.seconds < 40, f"the notebook took {run.seconds:.0f} s"
    closing = nb.cells[-1]
    assert closing.cell_type == "markdown" and "What a planner can take from this" in closing.source
    assert not any(ch.isdigit() for ch in closing.source), "no numbers in the closing text (the cells print them)"
    text = "\n".join(t for _, t in text_outputs(nb))
    facts = dict(line.split(": ", 1) for line in text.splitlines() if line.count(": ") == 1 and line[0].islower())
    for name in ROBUST_PLANS_FACTS:
        assert facts.get(name) == "True", (name, facts.get(name))
    inst = allocator.load_instance(ROOT / "instances" / "england-pipeline-scenarios-2025.json")
    reg = regret(inst, ROOT / "models" / "future-supply.toml")
    assert float(facts["vss_expected"]) == pytest.approx(reg.vss, abs=1e-5)
    assert float(facts["evpi"]) == pytest.approx(reg.evpi, abs=1e-5)
    low = next(m for m in inst.scenarios.members if m.id == "low-retention")
    rural = {r.name for r in inst.regions if r.id in {e.region for e in low.pipeline.settle_rate}}
    assert rural == {"South West", "East of England"}
    words = " ".join(closing.source.split())
    assert all(name in words for name in ("South West", "East of England", "London", "North East and Yorkshire"))
