"""The regression guard of ``make bench`` (issue 24, item 5): ``benchmarks/compare.py`` on small
hand-written tables, and the stage hooks ``benchmarks/profile.py`` and ``memory.py`` rely on."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys

import pytest

import allocator

from .conftest import ROOT

BENCH = ROOT / "benchmarks"
TOY = ROOT / "instances" / "toy" / "toy-2x1.json"


def _module(name: str):
    """A module of benchmarks/ by path (the folder is not a package; its scripts import each
    other as top-level modules, so it goes on sys.path for the import)."""
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


compare = _module("compare")


def row(run="highs", size="42x65x10", **figures) -> dict:
    base = {
        "size": size,
        "run": run,
        "rows": 100,
        "cols": 120,
        "load_s": 0.3,
        "build_s": 0.1,
        "solve_s": 18.0,
        "tie_break_s": 6.0,
        "assemble_s": 0.05,
        "end_to_end_s": 25.0,
        "x_highs_alone": 1.25,
        "objective": 21606.694372,
        "peak_mb": 640.0,
    }
    return {**base, **figures}


def table(*rows) -> dict:
    return {"date": "2026-12-06T12:00:00Z", "commit": "abc", "machine": {"cpu_count": 2}, "rows": list(rows)}


BASE = table(row(), row(run="HiGHS alone (MPS)", end_to_end_s=20.0, x_highs_alone=1.0, peak_mb=None))


def moved(changes) -> set[tuple[str, str, str]]:
    return {(c.run, c.figure, c.kind) for c in changes}


def test_identical_tables_have_no_change():
    changes, notes = compare.compare(BASE, copy.deepcopy(BASE))
    assert changes == [] and notes == []


def test_a_slower_stage_is_listed_as_worse():
    new = table(row(tie_break_s=7.3), BASE["rows"][1])  # +21.7 %
    changes, _ = compare.compare(BASE, new)
    assert moved(changes) == {("highs", "tie_break_s", "slower")}
    assert changes[0].worse and changes[0].relative == pytest.approx(1.3 / 6.0)


def test_a_faster_stage_is_listed_but_not_worse():
    new = table(row(tie_break_s=1.0, end_to_end_s=19.0, x_highs_alone=0.95), BASE["rows"][1])
    changes, _ = compare.compare(BASE, new)
    assert moved(changes) == {
        ("highs", "tie_break_s", "faster"),
        ("highs", "end_to_end_s", "faster"),
        ("highs", "x_highs_alone", "faster"),
    }
    assert not any(c.worse for c in changes)


def test_changes_within_the_threshold_are_not_listed():
    new = table(row(solve_s=21.5, end_to_end_s=29.9, peak_mb=760.0), BASE["rows"][1])  # +19.4 %, +19.6 %, +18.8 %
    assert compare.compare(BASE, new)[0] == []
    tighter = compare.compare(BASE, new, threshold=0.1)[0]
    assert moved(tighter) == {
        ("highs", "solve_s", "slower"),
        ("highs", "end_to_end_s", "slower"),
        ("highs", "peak_mb", "larger"),
    }


def test_a_time_that_moved_by_less_than_min_seconds_is_not_listed():
    new = table(row(build_s=0.14, assemble_s=0.02), BASE["rows"][1])  # +40 %, -60 %, but < 0.05 s
    assert compare.compare(BASE, new)[0] == []
    changes = compare.compare(BASE, new, min_seconds=0.01)[0]
    assert moved(changes) == {("highs", "build_s", "slower"), ("highs", "assemble_s", "faster")}


def test_memory_growth_is_worse_and_a_drop_is_not():
    grown = compare.compare(BASE, table(row(peak_mb=800.0), BASE["rows"][1]))[0]
    assert moved(grown) == {("highs", "peak_mb", "larger")} and grown[0].worse
    dropped = compare.compare(BASE, table(row(peak_mb=390.0), BASE["rows"][1]))[0]
    assert moved(dropped) == {("highs", "peak_mb", "smaller")} and not dropped[0].worse


def test_an_objective_change_beyond_1e_6_relative_is_reported_as_worse():
    near = table(row(objective=21606.694372 * (1 + 5e-7)), BASE["rows"][1])
    assert compare.compare(BASE, near)[0] == []
    off = table(row(objective=21606.694372 * (1 + 2e-6)), BASE["rows"][1])
    changes = compare.compare(BASE, off)[0]
    assert moved(changes) == {("highs", "objective", "objective changed")} and changes[0].worse


def test_rows_and_figures_only_in_one_table_are_noted_not_compared():
    new = table(row(peak_mb=None), row(run="pulp"))
    changes, notes = compare.compare(BASE, new)
    assert changes == []
    assert notes == [
        "42x65x10 HiGHS alone (MPS): only in the baseline",
        "42x65x10 pulp: only in the new table",
        "42x65x10 highs: peak_mb only in the baseline",
    ]


def test_markdown_lists_worse_first():
    new = table(row(tie_break_s=1.0, peak_mb=900.0), BASE["rows"][1])
    text = compare.markdown(compare.compare(BASE, new)[0], 0.2)
    lines = text.splitlines()
    assert "| highs | peak_mb | 640.000 | 900.000 | +40.6% | **larger** |" in lines[2]
    assert "| highs | tie_break_s | 6.000 | 1.000 | -83.3% | faster |" in lines[3]
    assert compare.markdown([], 0.2) == "No figure moved by more than 20%."


def test_exit_code_is_1_only_when_a_figure_got_worse(tmp_path, capsys):
    base, slower, faster = tmp_path / "base.json", tmp_path / "slower.json", tmp_path / "faster.json"
    base.write_text(json.dumps(BASE))
    slower.write_text(json.dumps(table(row(end_to_end_s=40.0), BASE["rows"][1])))
    faster.write_text(json.dumps(table(row(end_to_end_s=10.0), BASE["rows"][1])))
    assert compare.main([str(slower), "--baseline", str(base)]) == 1
    assert "**slower**" in capsys.readouterr().out
    assert compare.main([str(faster), "--baseline", str(base)]) == 0
    assert compare.main([str(slower), "--baseline", str(base), "--threshold", "0.7"]) == 0
    assert compare.main([str(tmp_path / "missing.json"), "--baseline", str(base)]) == 2


def test_the_baseline_is_the_committed_table(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    assert compare.committed(tmp_path) is None  # no commit yet: no baseline
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "results.json").write_text(json.dumps(BASE))
    git("add", "benchmarks/results.json")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "table")
    (tmp_path / "benchmarks" / "results.json").write_text(json.dumps(table(row(end_to_end_s=99.0))))
    assert compare.committed(tmp_path) == BASE


def test_the_stage_hooks_see_every_stage_of_a_solve_and_are_removed_after():
    """profile.py and memory.py time and sample the stages by these hooks: each function they
    wrap must still be where the pipeline calls it."""
    stages = _module("stages")
    from allocator.model import tiebreak

    original = tiebreak.apply
    seen: list[tuple[str, str]] = []
    with stages.hooked(lambda s: seen.append(("enter", s)), lambda s: seen.append(("leave", s))):
        res = allocator.solve(TOY)
    assert tiebreak.apply is original
    assert res.status == "optimal"
    entered = [s for e, s in seen if e == "enter"]
    assert [s for s in dict.fromkeys(entered)] == ["load", "presolve", "build", "solve", "tie_break", "assemble"]
    # nested: the tie-break runs inside the backend's solve
    assert seen.index(("enter", "tie_break")) > seen.index(("enter", "solve"))
    assert seen.index(("leave", "tie_break")) < seen.index(("leave", "solve"))
    assert len([e for e in seen if e[0] == "enter"]) == len([e for e in seen if e[0] == "leave"])
