"""The weighting study notebook runs top to bottom (nbclient, kernel python3, cwd the repo root)."""

from __future__ import annotations

import time

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "weighting_study.ipynb"


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert any("What the numbers say" in c.source for c in nb.cells if c.cell_type == "markdown")


def test_weighting_study_notebook_executes(tmp_path, monkeypatch):
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("WEIGHTING_STUDY_OUT", str(tmp_path))  # the kernel inherits it: no writes in the repo
    nb = nbformat.read(NOTEBOOK, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    seconds = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "regions gaining in every run:" in text and "statuses: {'optimal': 15}" in text
    for name in (
        "weights/runs.parquet",
        "population/allocations.parquet",
        "frontier_gap_moves.png",
        "region_gains.svg",
    ):
        assert (tmp_path / name).exists(), name
    assert seconds < 90, f"the notebook took {seconds:.0f} s (budget 60 s on a quiet machine)"


# the fast tier (make test-fast) leaves these out: see docs/architecture.md
pytestmark = pytest.mark.slow
