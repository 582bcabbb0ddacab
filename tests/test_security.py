"""Local security and literal output (issue 10): names printed as written (no rich markup),
formulas and control characters defused in report.xlsx and the CSV files, temporary files
created exclusively, a planted manifest that deletes nothing, ``--out`` that is a file, and a
sweep's local cluster listening on 127.0.0.1 only."""

from __future__ import annotations

import csv
import importlib
import json
import os
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import allocator
from allocator.cli.main import app
from allocator.io import atomic as interrupt
from allocator.report.tables import MANIFEST
from allocator.report.write import write_report
from allocator.study.scenarios import SchedulerError
from allocator.study.sweep import check_scheduler

from .conftest import ROOT

sweep_mod = importlib.import_module("allocator.study.sweep")  # the module: allocator.study.sweep is the function

TOY3 = ROOT / "instances" / "toy" / "toy-3x2.json"  # regions north, middle, south; specialties gp, psych
RENAME = {"north": "=1+2", "middle": "toy [/]", "south": "[bold]nrth", "gp": "@SUM(A1)", "psych": "-2+3"}
runner = CliRunner()


def _renamed(data, names: dict[str, str]):
    if isinstance(data, dict):
        return {
            k: (names.get(v, v) if k in ("id", "region", "specialty") else _renamed(v, names)) for k, v in data.items()
        }
    if isinstance(data, list):
        return [_renamed(v, names) for v in data]
    return data


@pytest.fixture(scope="module")
def nasty(tmp_path_factory) -> Path:
    """toy-3x2 with ids that are formulas or rich markup (instance validation itself refuses
    control characters in names; a result file can still carry them, see below)."""
    data = _renamed(json.loads(TOY3.read_text()), RENAME)
    data["name"] = "toy [/] [bold]x"
    data["regions"][0]["name"] = "North [red]red"
    data["regions"][1]["name"] = "[red]Middle $x^{$"
    data["specialties"][0]["name"] = "+cmd|' /C calc'!A0"
    path = tmp_path_factory.mktemp("nasty") / "nasty.json"
    path.write_text(json.dumps(data))
    allocator.load_instance(path)  # valid
    return path


@pytest.fixture(scope="module")
def solved_out(nasty, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("solve") / "out"
    r = runner.invoke(app, ["solve", str(nasty), "--out", str(out), "--report"])
    assert r.exit_code == 0, r.output
    return out, r.output


# ------------------------------------------------------------------------- literal output


def test_solve_and_validate_print_names_literally(nasty, solved_out):
    _, output = solved_out
    for text in ("toy [/] [bold]x", "[bold]nrth", "toy [/]", "=1+2"):
        assert text in output
    r = runner.invoke(app, ["validate", str(nasty)])
    assert r.exit_code == 0 and "toy [/] [bold]x" in r.output


def test_check_and_report_print_names_literally(nasty, solved_out, tmp_path):
    out, _ = solved_out
    data = json.loads((out / "result.json").read_text())
    data["allocation"][0]["posts"] += 7  # a violation that names the cell
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    r = runner.invoke(app, ["check", str(nasty), str(bad)])
    assert r.exit_code == 1 and "national_total: @SUM(A1)/2025" in r.output, r.output
    r = runner.invoke(
        app, ["report", str(out / "result.json"), "--instance", str(nasty), "--out", str(tmp_path / "rep")]
    )
    assert r.exit_code == 0, r.output


def test_sweep_prints_scenario_names_literally(nasty, tmp_path):
    grid = tmp_path / "g.toml"  # population 0: the scenario fails before any cluster starts
    grid.write_text('[grid]\nmoves = [0.1]\n[[scenario]]\nname = "[bold]sc [/]"\npopulation_scale = 0\n')
    r = runner.invoke(app, ["sweep", str(nasty), "--grid", str(grid), "--out", str(tmp_path / "s")])
    assert r.exit_code == 1, r.output
    assert "[bold]sc [/]" in r.output and "toy [/] [bold]x" in r.output


def test_apportion_prints_and_writes_labels_literally(tmp_path):
    weights = tmp_path / "w.csv"
    weights.write_text("unit,weight\n[bold]a,5\n=1+2,3\ntoy [/],2\n")
    out = tmp_path / "seats.csv"
    r = runner.invoke(app, ["apportion", str(weights), "--seats", "10", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "[bold]a" in r.output and "toy [/]" in r.output
    rows = list(csv.reader(out.open()))
    assert [row[0] for row in rows] == ["unit", "[bold]a", "'=1+2", "toy [/]"]


# ------------------------------------------------------------------ formulas, control chars


def test_workbook_has_no_formulas_and_no_control_characters(nasty, solved_out, tmp_path):
    out, _ = solved_out
    data = json.loads((out / "result.json").read_text())
    data["model"] = "fair\x00share\x1b[31m"  # a result file may carry control characters
    (tmp_path / "r.json").write_text(json.dumps(data))
    rep = tmp_path / "rep"
    r = runner.invoke(app, ["report", str(tmp_path / "r.json"), "--instance", str(nasty), "--out", str(rep)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(rep / "report.xlsx")
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not any(ord(c) < 9 or c == "\x1b" for c in cell.value)
                    if cell.value.startswith(interrupt.FORMULA_START):
                        assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
    assert "=1+2" in texts and "@SUM(A1)" in texts and "-2+3" in texts  # kept exactly, as text
    assert "fair\ufffdshare\ufffd[31m" in texts
    assert "+cmd|' /C calc'!A0" in texts


def test_csv_files_escape_formulas(solved_out):
    out, _ = solved_out
    rows = list(csv.DictReader((out / "allocation.csv").open()))
    assert {r["region"] for r in rows} == {"'=1+2", "toy [/]", "[bold]nrth"}
    assert {r["specialty"] for r in rows} == {"'@SUM(A1)", "'-2+3"}
    assert all(not r["posts"].startswith("'") for r in rows)  # numbers stay numbers
    binding = (out / "binding.csv").read_text()
    assert ",=" not in binding and ",@" not in binding and ",-2+3" not in binding


def test_csv_escape_rules():
    import pandas as pd

    assert [interrupt.csv_escape(v) for v in ("=a", "+a", "-a", "@a", "\ta", "\ra", "a=", -1.5, None)] == [
        "'=a", "'+a", "'-a", "'@a", "'\ta", "'\ra", "a=", -1.5, None,
    ]  # fmt: skip
    frame = pd.DataFrame({"=h": ["=x", "y"], "n": [-1.0, 2.0]}).set_index(pd.Index(["@i", "j"], name="-k"))
    text = interrupt.csv_text(frame)
    assert text.splitlines() == ["'-k,'=h,n", "'@i,'=x,-1.0", "j,y,2.0"]


# -------------------------------------------------------------------------- temporary files


def test_atomic_write_never_follows_a_planted_symlink(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    # the old predictable temporary names, and the target itself, planted as links
    for name in (".result.json.tmp", f".result.json.{os.getpid()}.tmp", "result.json"):
        (out / name).symlink_to(victim)
    written = interrupt.atomic_write({"result.json": "{}\n", "a.csv": b"x\n"}, out)
    assert [p.name for p in written] == ["result.json", "a.csv"]
    assert victim.read_text() == "precious"
    assert not (out / "result.json").is_symlink() and (out / "result.json").read_text() == "{}\n"
    leftovers = {p.name for p in out.iterdir()} - {".result.json.tmp", f".result.json.{os.getpid()}.tmp"}
    assert leftovers == {"result.json", "a.csv"}


def test_atomic_write_failure_leaves_nothing(tmp_path):
    class Boom(bytes):
        pass

    files = {"a.txt": b"a", "b.txt": 3}  # not bytes: fails after a.txt's temporary exists
    with pytest.raises(TypeError):
        interrupt.atomic_write(files, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_solve_writes_through_fresh_temporaries(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / ".result.json.tmp").symlink_to(victim)
    r = runner.invoke(app, ["solve", str(TOY3), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert victim.read_text() == "precious"
    assert json.loads((out / "result.json").read_text())["status"] == "optimal"


# ------------------------------------------------------------------------------- manifest


@pytest.fixture(scope="module")
def toy_result():
    inst = allocator.load_instance(TOY3)
    return inst, allocator.solve(inst)


@pytest.mark.slow  # over a second: make test runs it, make test-fast does not
def test_planted_manifest_deletes_nothing(tmp_path, toy_result):
    inst, res = toy_result
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    for name in ("notes.txt", "change_map.png", "change_map.svg"):
        (out / name).write_text("mine")
    listed = ["notes.txt", "../outside.txt", str(outside), "change_map.png", "change_map.svg", "."]
    (out / MANIFEST).write_text(json.dumps({"written_by": "allocator report", "files": listed}))
    write_report(res, inst, out)  # the toy has no map: change_map.* would be stale if they were ours
    assert outside.read_text() == "keep"
    for name in ("notes.txt", "change_map.png", "change_map.svg"):
        assert (out / name).read_text() == "mine"
    # a manifest with digests of files it did not write proves nothing either
    digests = {"change_map.png": ["0" * 64], "notes.txt": ["0" * 64]}
    (out / MANIFEST).write_text(json.dumps({"files": digests}))
    with pytest.raises(ValueError, match="not written by allocator report"):  # nor the report's own now
        write_report(res, inst, out)
    write_report(res, inst, out, force=True)  # force replaces the report's own names, deletes nothing
    assert (out / "change_map.png").read_text() == "mine" and (out / "notes.txt").read_text() == "mine"


@pytest.mark.slow  # over a second: make test runs it, make test-fast does not
def test_only_unchanged_own_files_are_replaced_without_force(tmp_path, toy_result):
    inst, res = toy_result
    out = tmp_path / "out"
    write_report(res, inst, out)
    manifest = json.loads((out / MANIFEST).read_text())
    assert all(len(d) == 1 and len(d[0]) == 64 for d in manifest["files"].values())
    write_report(res, inst, out)  # its own, unchanged: replaced
    (out / "report.html").write_text("edited by hand")
    with pytest.raises(ValueError, match=r"report\.html already exists.*changed since.*--force"):
        write_report(res, inst, out)
    assert (out / "report.html").read_text() == "edited by hand"
    (out / "report.html").unlink()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / "report.html").symlink_to(victim)  # a link is never proven to be ours
    with pytest.raises(ValueError, match="report.html"):
        write_report(res, inst, out)
    write_report(res, inst, out, force=True)  # force replaces the link itself, not its target
    assert victim.read_text() == "precious" and not (out / "report.html").is_symlink()


def test_out_that_is_a_file_fails_before_solving(tmp_path, monkeypatch):
    import sys

    solve_mod = sys.modules["allocator.pipeline.solve"]

    def boom(*a, **k):
        raise AssertionError("solved")

    monkeypatch.setattr(solve_mod, "solve", boom)
    taken = tmp_path / "taken"
    taken.write_text("x")
    r = runner.invoke(app, ["solve", str(TOY3), "--out", str(taken)])
    assert r.exit_code == 2 and "exists and is not a folder" in r.output
    assert taken.read_text() == "x"


# ------------------------------------------------------------------------------ Dask


def test_local_cluster_listens_on_localhost_only(monkeypatch):
    import distributed

    made = {}

    class FakeCluster:
        def __init__(self, **kwargs):
            made.update(kwargs)

    monkeypatch.setattr(distributed, "LocalCluster", FakeCluster)
    monkeypatch.setattr(distributed, "Client", lambda cluster, **kw: ("client", cluster))
    sweep_mod._connect(None, None)
    assert made["host"] == "127.0.0.1"
    assert made["dashboard_address"].startswith("127.0.0.1:")
    made.clear()
    sweep_mod._connect(None, None, dashboard=False)
    assert made["host"] == "127.0.0.1" and made["dashboard_address"] is None


@pytest.mark.parametrize(
    "address, expected",
    [("tcp://127.0.0.1:8786", "tcp://127.0.0.1:8786"), ("10.0.0.5:8786", "tcp://10.0.0.5:8786"),
     ("tcp://[::1]:8786", "tcp://[::1]:8786"), ("TCP://h:1", "tcp://h:1"),
     ("inproc://192.0.2.2/14372/1", "inproc://192.0.2.2/14372/1")],
)  # fmt: skip
def test_scheduler_addresses_accepted(address, expected):
    assert check_scheduler(address) == expected


@pytest.mark.parametrize(
    "address",
    ["ucx://x", "ucx://h:1", "tls://h:1", "inproc://", "ws://h:1", "garbage", "tcp://h", "tcp://h:0",
     "tcp://h:99999", "tcp://h:1/path", "tcp://u@h:1", "tcp://h :1", "", " ", None],
)  # fmt: skip
def test_scheduler_addresses_refused(address):
    with pytest.raises(SchedulerError, match="--scheduler"):
        check_scheduler(address)
