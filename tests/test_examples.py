"""The examples shipped inside the package (allocator/examples/): the same bytes as the
repository's instances/ and models/, named wherever a path is accepted, listed and copied out."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import allocator
from allocator.app import logic
from allocator.cli.main import app
from allocator.core.examples import SOURCES, ExampleError, copy_example, example, examples, examples_root, resolve
from allocator.study.grids import load_grid

from .conftest import ROOT

runner = CliRunner()


def _files(base):
    return {
        p.relative_to(base).as_posix(): p.read_bytes()
        for folder, pattern, _ in SOURCES
        for p in (base / folder).glob(pattern)
        if p.is_file()
    }


def test_packaged_examples_are_the_repository_files():
    """`make examples` copies instances/ and models/ into the package; run it when this fails."""
    repo, packaged = _files(ROOT), _files(examples_root())
    assert sorted(packaged) == sorted(repo), "run `make examples`"
    stale = [name for name in repo if repo[name] != packaged[name]]
    assert not stale, f"packaged copies differ from the repository (run `make examples`): {stale}"
    assert {"instances/england-regions-2025.json", "instances/template.xlsx", "models/equity-first.toml"} <= set(repo)


def test_every_kind_is_shipped_and_names_are_unique():
    found = examples()
    names = [e.name for e in found]
    assert len(names) == len(set(names)), "two examples share a name"
    assert {e.kind for e in found} == {kind for _, _, kind in SOURCES}
    assert len(found) == len(_files(ROOT))


def test_library_solves_by_name_from_any_folder(tmp_path, monkeypatch):
    by_path = allocator.solve(ROOT / "instances" / "toy" / "toy-3x2.json", ROOT / "models" / "equity-first.toml")
    monkeypatch.chdir(tmp_path)
    by_name = allocator.solve("toy-3x2", "equity-first")
    assert by_name.status == "optimal"
    assert by_name.objective == by_path.objective
    assert by_name.allocation.equals(by_path.allocation)
    assert allocator.check(allocator.load_instance("toy-3x2"), by_name).ok


def test_a_path_wins_over_a_name(tmp_path, monkeypatch, base):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "toy-2x1").write_text(json.dumps(base))  # a local file called like an example
    assert allocator.load_instance("toy-2x1").name == base["name"]
    assert resolve("toy-2x1", ("toy",)).resolve() == tmp_path / "toy-2x1"
    assert allocator.load_instance("toy-3x2").name != base["name"]


def test_a_name_only_of_its_kind():
    assert resolve("equity-first", ("model",)) == example("equity-first").path
    with pytest.raises(allocator.InstanceError, match="nor a shipped instance.*england-regions-2025"):
        allocator.load_instance("equity-first")  # a model, not an instance
    with pytest.raises(allocator.InstanceError, match="no such model file, nor a shipped model.*equity-first"):
        allocator.load_model("england-regions-2025")


def test_cli_solve_by_name_matches_the_golden_result(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["solve", "england-regions-2025", "--model", "equity-first", "--format", "json"])
    assert r.exit_code == 0, r.output
    golden = json.loads((ROOT / "tests/data/golden/england-regions-2025__equity-first.json").read_text())
    assert json.loads(r.stdout)["objective"] == golden["objective"]


def test_cli_check_report_and_sweep_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["solve", "toy-shrink", "--model", "minimal-disruption", "--out", "out", "--report"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "report.html").is_file()
    r = runner.invoke(app, ["check", "toy-shrink", "out/result.json", "--model", "minimal-disruption"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["report", "out/result.json", "--instance", "toy-shrink", "--out", "again"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "again" / "report.xlsx").is_file()
    grid = load_grid("moves-and-equity")
    assert grid.base.name == "fair-share"
    r = runner.invoke(app, ["apportion", "us-house-2020", "--seats", "435", "--method", "huntington-hill"])
    assert r.exit_code == 0, r.output


def test_unknown_name_lists_the_known_ones_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["solve", "england-regions-2052"])
    assert r.exit_code == 2
    assert "england-regions-2025" in r.stderr and "toy-2x1" in r.stderr and "equity-first" not in r.stderr
    r = runner.invoke(app, ["solve", "toy-2x1", "--model", "equity-frist"])
    assert r.exit_code == 2 and "equity-first" in r.stderr
    r = runner.invoke(app, ["sweep", "toy-2x1", "--grid", "moves-and-equality", "--out", "s"])
    assert r.exit_code == 2 and "moves-and-equity" in r.stderr
    r = runner.invoke(app, ["solve", "sub/missing.json"])  # a path, not a name: no list
    assert r.exit_code == 2 and "no such file or folder" in r.stderr and "toy-2x1" not in r.stderr


def test_examples_lists_every_name_with_size_and_line():
    r = runner.invoke(app, ["examples"])
    assert r.exit_code == 0, r.output
    for e in examples():
        assert e.name in r.stdout
    assert "7 × 12 × 5" in r.stdout  # england-regions-2025: regions × specialties × years
    assert "The 7 NHS England regions." in r.stdout


def test_examples_copy_writes_the_file_and_refuses_to_overwrite(tmp_path):
    r = runner.invoke(app, ["examples", "copy", "england-regions-2025", str(tmp_path / "mine")])
    assert r.exit_code == 0, r.output
    copied = tmp_path / "mine" / "england-regions-2025.json"
    assert copied.read_bytes() == (ROOT / "instances" / "england-regions-2025.json").read_bytes()
    r = runner.invoke(app, ["examples", "copy", "england-regions-2025", str(tmp_path / "mine")])
    assert r.exit_code == 2 and "already exists" in r.stderr
    r = runner.invoke(app, ["examples", "copy", "nonesuch", str(tmp_path)])
    assert r.exit_code == 2 and "england-regions-2025" in r.stderr


def test_a_copied_grid_reads_on_its_own(tmp_path):
    """The grid names its base model by name, so a copy out of the package still loads."""
    grid = load_grid(copy_example("moves-and-equity", tmp_path))
    assert grid.base == allocator.load_model("fair-share")
    with pytest.raises(ExampleError, match="already exists"):
        copy_example("moves-and-equity", tmp_path)


def test_the_app_lists_the_packaged_instances_and_models():
    shipped = logic.shipped_instances()
    england = [e.name for e in examples(("instance",))]
    assert list(shipped)[: len(england)] == england
    assert all(p.is_relative_to(examples_root()) for p in shipped.values())
    assert "template (workbook)" in shipped
    assert set(logic.shipped_models()) >= {"equity-first", "fair-share (built in)"}


def test_sync_copies_the_repository_files_and_drops_stale_ones(tmp_path):
    """`make examples`: every instances/ and models/ file of a shipped kind lands in
    allocator/examples/ at the same path (template*.xlsx by glob); a packaged copy whose
    source is gone is removed."""
    from allocator.core.examples import sync_examples

    for rel in ("instances/toy/toy-2x1.json", "instances/template.xlsx", "models/grids/moves-and-equity.toml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes((ROOT / rel).read_bytes())
    (tmp_path / "instances" / "template-workforce.xlsx").write_bytes(b"a second template")
    stale = tmp_path / "allocator" / "examples" / "models" / "gone.toml"
    stale.parent.mkdir(parents=True)
    stale.write_text("name = 'gone'\n")
    written = sync_examples(tmp_path)
    assert sorted(p.relative_to(tmp_path / "allocator" / "examples").as_posix() for p in written) == [
        "instances/template-workforce.xlsx",
        "instances/template.xlsx",
        "instances/toy/toy-2x1.json",
        "models/grids/moves-and-equity.toml",
    ]
    assert not stale.exists()
    assert _files(tmp_path) == _files(tmp_path / "allocator" / "examples")
