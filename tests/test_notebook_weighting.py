"""The weighting study notebook: what it writes, how long it takes, and the claims of its
conclusion, which its cells check (each claim is an ``assert`` beside the number it quotes).

The run is shared with tests/test_notebooks.py (one execution per session,
tests/notebook_run.py); its files go to a temporary folder, never into the repository.
"""

from __future__ import annotations

import nbformat
import pytest

from .conftest import ROOT
from .notebook_run import executed, text_outputs

NAME = "weighting_study.ipynb"


def test_the_conclusion_is_printed_by_a_cell():
    """The conclusion's numbers come from an f-string displayed by a code cell, not from Markdown."""
    nb = nbformat.read(ROOT / "notebooks" / NAME, as_version=4)
    markdown = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    heading = next(i for i in markdown if "What the numbers say" in nb.cells[i].source)
    conclusion = nb.cells[heading + 1]
    assert conclusion.cell_type == "code" and "Markdown(" in conclusion.source
    shown = [o["data"]["text/markdown"] for o in conclusion.outputs if "text/markdown" in o.get("data", {})]
    assert shown and "**1. Below a threshold" in shown[0] and "**4. Move early.**" in shown[0]


@pytest.mark.slow
def test_weighting_study_notebook_executes():
    pytest.importorskip("ipykernel")
    run = executed(NAME)
    text = "\n".join(t for _, t in text_outputs(run.nb))
    assert "regions gaining in every run:" in text and "statuses: {'optimal': 15}" in text
    for name in (
        "weights/runs.parquet",
        "population/allocations.parquet",
        "frontier_gap_moves.png",
        "region_gains.svg",
    ):
        assert (run.out / name).exists(), name
    assert run.seconds < 90, f"the notebook took {run.seconds:.0f} s (budget 60 s on a quiet machine)"


# the fast tier (make test-fast) leaves the executions out: see docs/architecture.md
