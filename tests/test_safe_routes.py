"""Three routes that used to let bad input through (issue 19, finding 10) now fail safely.

- ``report`` refuses a solved result without an allocation, or whose stated measures disagree
  with its allocation, on the library route too (the command's cases are in
  ``test_result_corpus.py``);
- a damaged sweep store (a truncated part, garbage bytes, a missing part, a file where a
  folder belongs) ends in one line naming the file and the fix, exit 2, never a traceback;
- ``generate`` into a folder that does not exist creates it (as ``--out`` does elsewhere), and
  a path it cannot write is one line, exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import allocator
from allocator.cli.main import app
from allocator.report.write import write_report
from allocator.study.generate import generate
from allocator.study.store import Store, StoreError, load_sweep

from .conftest import ROOT

TOY = ROOT / "instances" / "toy" / "toy-2x1.json"
runner = CliRunner()


def _one_line_exit_2(r, *expected: str) -> None:
    assert r.exit_code == 2, f"exit {r.exit_code}: {r.output}\n{r.exception!r}"
    assert "Traceback" not in r.output
    assert len([line for line in r.output.splitlines() if line.strip()]) == 1, r.output
    text = " ".join(r.output.split())  # the console wraps long lines
    for part in expected:
        assert " ".join(part.split()) in text, f"{part!r} not in {text!r}"


# ---------------------------------------------------------------------- report (library)


@pytest.fixture(scope="module")
def toy():
    inst = allocator.load_instance(TOY)
    return inst, allocator.solve(inst)


def test_write_report_refuses_a_solved_result_without_allocation(tmp_path, toy):
    inst, res = toy
    empty = allocator.Result.from_dict(res.to_dict() | {"allocation": []})
    with pytest.raises(ValueError, match="allocation: missing or empty, but the status is optimal"):
        write_report(empty, inst, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_write_report_refuses_measures_that_disagree_with_the_allocation(tmp_path, toy):
    inst, res = toy
    data = res.to_dict()
    data["kpis"][0]["gap_closed_pct"] = 99.0
    with pytest.raises(ValueError, match="kpis: the stated measures disagree.*gap_closed_pct reported 99"):
        write_report(allocator.Result.from_dict(data), inst, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_infeasible_result_still_gets_its_report(tmp_path):
    """No allocation is what an infeasible result has: its report explains the diagnosis."""
    inst = generate(3, 2, 1, seed=0, infeasible=True)
    res = allocator.solve(inst)
    assert res.status == "infeasible" and not len(res.allocation)
    assert write_report(res, inst, tmp_path / "out")


# ---------------------------------------------------------------------- the sweep store


def _store(out: Path) -> Store:
    """A small store written as a sweep writes it: two solved runs and one infeasible."""
    keys = {"scenario": "baseline", "model": "fair-share"}
    runs = pd.DataFrame(
        [
            {"hash": f"h{i}", "run_id": f"r{i}", **keys, "backend": "highs", "integer": False, "status": status,
             "objective": 1.0 + i, "warm_start": False, "solve_seconds": 0.1, "message": "", "error": None,
             "instance": "toy", "finished_at": pd.Timestamp("2026-01-01", tz="UTC")}
            for i, status in enumerate(["optimal", "optimal", "infeasible"])
        ]
    )  # fmt: skip
    measures = pd.DataFrame(
        [{"run_id": f"r{i}", "hash": f"h{i}", **keys, "year": 2026, "gap_posts": 1.0} for i in range(2)]
    )
    allocations = pd.DataFrame(
        [{"run_id": f"r{i}", "hash": f"h{i}", **keys, "region": "a", "specialty": "s", "year": 2026,
          "posts": 3.0, "target": 3.0, "baseline": 3.0} for i in range(2)]
    )  # fmt: skip
    store = Store(out)
    store.append(runs, measures, allocations)
    store.compact()
    assert len(load_sweep(out)["runs"]) == 3
    return store


def _part(store: Store, table: str) -> Path:
    (part,) = sorted(store.path(table).glob("*.parquet"))
    return part


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00garbage, not Parquet\xff" * 10)


DAMAGE = {  # how a store is damaged → text the one-line error must hold
    "runs-truncated": (lambda s: _truncate(_part(s, "runs")), "runs.parquet/part-", "not a readable runs part"),
    "measures-garbage": (lambda s: _garbage(_part(s, "measures")), "measures.parquet/part-", "and "),
    "allocations-truncated": (lambda s: _truncate(_part(s, "allocations")), "allocations.parquet/part-", "and "),
    "allocations-missing": (lambda s: _part(s, "allocations").unlink(), "no allocations for 2 solved run(s)", "delete"),
    "measures-missing": (lambda s: _part(s, "measures").unlink(), "no measures for 2 solved run(s)", "runs.parquet"),
    "runs-a-file": (lambda s: _replace_by_file(s.path("runs")), "runs.parquet: damaged sweep store", "a file where"),
    "runs-foreign-part": (lambda s: _foreign(s), "runs.parquet/part-foreign.parquet", "no column status"),
}


def _foreign(store: Store) -> None:
    """A measures part copied into the runs folder: Parquet, but not a runs part."""
    (store.path("runs") / "part-foreign.parquet").write_bytes(_part(store, "measures").read_bytes())


def _replace_by_file(path: Path) -> None:
    for f in path.iterdir():
        f.unlink()
    path.rmdir()
    path.write_text("not a folder")


@pytest.mark.parametrize("case", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_store_is_named_with_its_fix(tmp_path, case):
    damage, *expected = DAMAGE[case]
    store = _store(tmp_path / "sweep")
    damage(store)
    with pytest.raises(StoreError) as err:
        load_sweep(tmp_path / "sweep")
    message = str(err.value)
    assert "\n" not in message and "damaged sweep store" in message and "run the sweep again" in message
    for text in expected:
        assert text in message, message
    with pytest.raises(StoreError):  # the resume path reads the same way
        store.runs()


@pytest.mark.parametrize("case", ["runs-truncated", "allocations-missing"])
def test_sweep_command_on_a_damaged_store_exits_2_in_one_line(tmp_path, case):
    inst = tmp_path / "inst.json"
    generate(2, 2, 1, seed=0).to_json(inst)
    grid = tmp_path / "grid.toml"
    grid.write_text("[grid]\nmoves = [0.01]\n")
    damage, *expected = DAMAGE[case]
    damage(_store(tmp_path / "sweep"))
    r = runner.invoke(app, ["sweep", str(inst), "--grid", str(grid), "--out", str(tmp_path / "sweep")])
    _one_line_exit_2(r, "damaged sweep store", "run the sweep again", *expected)


def test_the_fix_works(tmp_path):
    """Deleting what the message names leaves a store that reads (those runs are then redone)."""
    store = _store(tmp_path / "sweep")
    _part(store, "allocations").unlink()
    with pytest.raises(StoreError) as err:
        store.runs()
    named = [Path(w) for w in str(err.value).split() if w.endswith(".parquet") and "/part-" in w]
    assert named and all(p.exists() for p in named)
    for p in named:
        p.unlink()
    assert len(store.runs()) == 0 and len(load_sweep(tmp_path / "sweep")["allocations"]) == 0


# ---------------------------------------------------------------------- generate


def test_generate_creates_a_missing_folder(tmp_path):
    out = tmp_path / "new" / "deeper" / "inst.json"
    r = runner.invoke(app, ["generate", str(out), "--regions", "2", "--specialties", "2", "--years", "1"])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["name"] == "synthetic-2x2x1-seed0"
    assert [p.name for p in out.parent.iterdir()] == ["inst.json"]  # no temporary left behind


@pytest.mark.parametrize(
    ("where", "expected"),
    [("file/inst.json", "is a file, not a folder"), ("folder", "is a folder; give the instance file")],
)
def test_generate_where_it_cannot_write_is_one_line(tmp_path, where, expected):
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    r = runner.invoke(app, ["generate", str(tmp_path / where), "--regions", "2", "--specialties", "2"])
    _one_line_exit_2(r, expected)
