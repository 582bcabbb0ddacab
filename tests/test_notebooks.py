"""The notebooks run from top to bottom (so they never rot), and are committed without outputs."""

from __future__ import annotations

import re
import time

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Notebooks with a test of their own (which also sends their output to a temporary folder)
OWN_TEST = {
    "weighting_study.ipynb": "tests/test_notebook_weighting.py",
    "future_supply.ipynb": "tests/test_notebooks.py::test_future_supply_notebook",
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: clear the outputs"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name not in OWN_TEST], ids=lambda p: p.name)
def test_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "\n".join(
        o.get("text", "") if o.output_type == "stream" else str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    if path.name == "policy_walkthrough.ipynb":
        assert "infeasible" in text and "optimal" in text
        assert "report.xlsx" in text and "change_map.png" in text


def _run(path, timeout=300):
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    seconds = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    return nb, seconds


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


def test_future_supply_notebook():
    """Runs in under a minute; every claim of its closing markdown holds in the printed facts;
    its numbers agree with the model results solved here."""
    import allocator

    path = ROOT / "notebooks" / "future_supply.ipynb"
    nb, seconds = _run(path, timeout=120)
    assert seconds < 60, f"the notebook took {seconds:.0f} s"
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


def test_the_walkthrough_exists():
    assert ROOT / "notebooks" / "policy_walkthrough.ipynb" in NOTEBOOKS


# the fast tier (make test-fast) leaves these out: see docs/architecture.md
pytestmark = pytest.mark.slow
