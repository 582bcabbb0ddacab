"""Shared fixtures: paths of the shipped instances and models, and a small instance builder."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOYS = sorted((ROOT / "instances" / "toy").glob("*.json"))
MODELS = sorted((ROOT / "models").glob("*.toml"))
# The England instances the tests solve: the single-index ones and the need-based ones
# (england-*-need-2025, schema v3, docs/model.md §3b).
ENGLAND = sorted((ROOT / "instances").glob("england-*.json"))

BASE = {
    "schema_version": 1,
    "name": "two-by-one",
    "baseline_year": 2024,
    "years": [2025],
    "regions": [
        {"id": "north", "population": 300000, "need_index": 1.0},
        {"id": "south", "population": 100000, "need_index": 1.0},
    ],
    "specialties": [{"id": "gp", "programme_years": 3}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 20},
        {"region": "south", "specialty": "gp", "posts": 80},
    ],
}


@pytest.fixture(autouse=True)
def _main_module_kept():
    """Streamlit's AppTest runs the page as ``sys.modules["__main__"]`` and leaves it there; a later
    Dask LocalCluster (spawned worker processes re-import ``__main__`` from its path) would then run
    the page in every worker and fail to start. Put the test runner's ``__main__`` back after each
    test, whichever test ran the page."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def base() -> dict:
    """A fresh copy of a tiny valid instance as a dict (edit it freely)."""
    return copy.deepcopy(BASE)
