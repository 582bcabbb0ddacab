"""The notebooks run from top to bottom (so they never rot), and are committed without outputs."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Notebooks with a test of their own (which also sends their output to a temporary folder)
OWN_TEST = {"weighting_study.ipynb": "tests/test_notebook_weighting.py"}


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


def test_the_walkthrough_exists():
    assert ROOT / "notebooks" / "policy_walkthrough.ipynb" in NOTEBOOKS


# the fast tier (make test-fast) leaves these out: see docs/architecture.md
pytestmark = pytest.mark.slow
