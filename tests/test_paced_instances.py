"""England, paced (docs/model.md §5b): the two instances built by ``instances/paced.py`` from the
unpaced ones, their sources, and the table instances/README.md shows (computed, not typed)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

import allocator
from allocator.core.data import problem_data

from .conftest import ROOT

INSTANCES = ROOT / "instances"
NAMES = ("england-regions", "england-icb")


@pytest.fixture(scope="module")
def paced():
    spec = importlib.util.spec_from_file_location("instances_paced", INSTANCES / "paced.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rebuild_is_byte_identical(paced, tmp_path):
    for path in paced.build(tmp_path):
        assert path.read_bytes() == (INSTANCES / path.name).read_bytes(), path.name


@pytest.mark.parametrize("name", NAMES)
def test_paced_is_the_unpaced_instance_with_pacing(name):
    base = json.loads((INSTANCES / f"{name}-2025.json").read_text(encoding="utf-8"))
    data = json.loads((INSTANCES / f"{name}-paced-2025.json").read_text(encoding="utf-8"))
    added = {"phases", "transition_by_specialty", "floors"}
    for key in set(base) - {"schema_version", "name", "description", "sources"}:
        assert data[key] == base[key], key
    assert set(data) - set(base) == added and data["schema_version"] == 3
    assert data["sources"][: len(base["sources"])] == base["sources"]
    kinds = {s["id"]: s["kind"] for s in data["sources"]}
    assert kinds["nhse-distribution-phases"] == "published" and kinds["est-pacing"] == "estimated"
    assert {p["specialty"]: p["from_year"] for p in data["phases"]}["obstetrics-gynaecology"] == data["years"][0]


@pytest.mark.parametrize("name", NAMES)
def test_the_paced_plan_keeps_its_pacing(name):
    inst = allocator.load_instance(INSTANCES / f"{name}-paced-2025.json")
    result = allocator.solve(inst)
    assert result.status == "optimal"
    assert allocator.check(inst, result.to_dict()).ok
    d = problem_data(inst)
    x = result.posts_array(d)
    prev = np.concatenate([d.baseline[:, :, None], x[:, :, :-1]], axis=2)
    lost = np.maximum(prev - x, 0.0)
    assert lost[:, d.specialties.index("general-practice"), :].max() <= 1e-6
    for p in inst.phases:
        before = [t for t, y in enumerate(d.years) if y < p.from_year]
        assert lost[:, d.specialties.index(p.specialty), before].max(initial=0.0) <= 1e-6, p.specialty


@pytest.mark.slow  # solves four England instances
def test_readme_shows_what_pacing_changes(paced):
    """The README's table is the one the script computes, and its prose holds: fewer posts move,
    none from general practice, less of the gap is closed, and the lowest region may end lower."""
    table = paced.readme_table()
    for readme in (INSTANCES / "README.md", INSTANCES.parent / "README.md"):  # the gallery's and the project's
        text = readme.read_text(encoding="utf-8")
        assert f"<!-- paced:start -->\n{table}<!-- paced:end -->" in text, f"{readme}: run instances/paced.py's snippet"
    for name in NAMES:
        before = paced.measures(INSTANCES / f"{name}-2025.json")
        after = paced.measures(INSTANCES / f"{name}-paced-2025.json")
        assert after["posts moved, all years"] < before["posts moved, all years"]
        assert after["general-practice posts lost"] < 1e-6 < before["general-practice posts lost"]
        assert after["gap closed by 2030"] < before["gap closed by 2030"]
        assert (
            after["lowest region, % of its fair share in 2030"] < before["lowest region, % of its fair share in 2030"]
        )


def test_readme_numbers_of_the_path(paced):
    """The README says: a 10 % path from 2028; from 2026 even 5 % a year is infeasible."""
    assert (paced.CONVERGENCE, paced.FIRST_YEAR) == (0.1, 2028)
    base = json.loads((INSTANCES / "england-regions-2025.json").read_text(encoding="utf-8"))
    data = paced.paced(base)
    data["floors"] = [{"convergence": 0.05, "from_year": 2026, "level": "region"}]
    assert allocator.solve(allocator.validate(data)).status == "infeasible"
