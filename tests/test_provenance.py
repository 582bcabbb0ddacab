"""FORMULATION §9 v3 ``inputs`` and ``timings`` on every route (issue 19, finding 4).

``inputs.instance_sha256`` is the SHA-256 of the RFC 8785 canonical JSON of the instance as read
(before defaults, whatever the file format); ``model_sha256`` that of the model in effect;
versions from package metadata; ``timings`` the seconds of each stage that ran.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rfc8785
from typer.testing import CliRunner

import allocator
from allocator.cli.main import app
from allocator.core.provenance import instance_sha256, model_sha256
from allocator.io.instance import write_tables
from allocator.io.results import result_problems
from allocator.io.tables import _read_tables
from allocator.pipeline.steps import error_result
from allocator.solution.result import TIMING_STAGES
from allocator.study import store as store_mod
from allocator.study.warm import solve_weightings

from .conftest import ROOT

TOY = ROOT / "instances" / "toy" / "toy-3x2.json"
TOY1 = ROOT / "instances" / "toy" / "toy-2x1.json"
INFEASIBLE = ROOT / "instances" / "infeasible" / "lock-above-capacity.json"
ALLOCATOR = shutil.which("allocator", path=str(Path(sys.executable).parent))
runner = CliRunner()


def sha(data) -> str:
    """The contract's hash, computed here independently of the package."""
    return hashlib.sha256(rfc8785.dumps(data)).hexdigest()


def as_read(path: Path) -> dict:
    return json.loads(path.read_text())


# ------------------------------------------------------------------ hashes and versions


def test_instance_hash_is_the_canonical_json_as_read():
    res = allocator.solve(TOY)
    assert res.inputs["instance_sha256"] == sha(as_read(TOY))
    # as read, before defaults: a file that writes a default out is another file
    data = as_read(TOY)
    data["regions"][0]["need_index"] = data["regions"][0].get("need_index", 1.0)
    data["transition"] = data.get("transition", {}) | {"shrink_by_programme_length": False}
    inst = allocator.validate(data, "spelt-out.json")
    assert instance_sha256(inst) == sha(data) != sha(as_read(TOY))
    # key order and number spelling do not matter: canonical JSON
    shuffled = json.loads(json.dumps(dict(reversed(list(as_read(TOY).items())))))
    assert instance_sha256(allocator.validate(shuffled)) == res.inputs["instance_sha256"]


@pytest.mark.parametrize("suffix", [".xlsx", ""], ids=["workbook", "csv-folder"])
def test_tables_hash_the_dict_the_table_reader_produced(tmp_path, suffix):
    inst = allocator.load_instance(TOY)
    path = write_tables(inst, tmp_path / f"toy{suffix}")
    raw = _read_tables(Path(path), "xlsx" if suffix else "csv")  # after cell conversion, before defaults
    res = allocator.solve(path)
    assert res.inputs["instance_sha256"] == sha(raw)
    assert res.allocation.equals(allocator.solve(TOY).allocation)  # same instance, same answer


def test_an_instance_made_in_memory_hashes_its_to_dict():
    inst = allocator.load_instance(TOY)
    renamed = inst.model_copy(update={"name": "toy-renamed"})
    assert instance_sha256(renamed) == sha(renamed.to_dict())
    assert instance_sha256(renamed) != instance_sha256(inst) == sha(as_read(TOY))  # a copy never carries the file's
    built = allocator.Instance(**inst.model_dump())  # no data as read
    assert allocator.solve(built).inputs["instance_sha256"] == sha(built.to_dict())


def test_a_solve_from_a_file_hashes_the_instance_once(monkeypatch):
    """Issue 24: the canonical JSON of a large instance takes a large part of its load; a file
    solved (read, validated, its problem data computed, solved, its summary data computed
    again) is hashed once, and the model once per result."""
    from allocator.core import provenance

    hashed: list = []

    def counting(data):
        hashed.append(data)
        return sha(data)

    monkeypatch.setattr(provenance, "canonical_sha256", counting)
    inst = allocator.load_instance(TOY)
    allocator.problem_data(inst)
    res = allocator.solve(inst)
    assert res.inputs["instance_sha256"] == sha(as_read(TOY))
    instances = [h for h in hashed if isinstance(h, dict) and "regions" in h]
    assert instances == [as_read(TOY)]  # the data as read, once; never its to_dict() besides
    assert len(hashed) == 2  # and the model in effect, for the result's inputs


def test_model_hash_covers_the_model_in_effect(tmp_path):
    default = allocator.solve(TOY).inputs["model_sha256"]
    assert default == sha(allocator.DEFAULT_MODEL.model_dump(mode="json"))
    # a file with the default's weights, zero weights left out, is the default model
    spelt = tmp_path / "same.toml"
    d = allocator.DEFAULT_MODEL
    weights = "[objective]\nshortfall = 1.0\nsurplus = 1.0\nmoves = 0.01\n"
    spelt.write_text(f'name = "{d.name}"\ndescription = "{d.description}"\n{weights}')
    assert allocator.solve(TOY, spelt).inputs["model_sha256"] == default
    other = allocator.solve(TOY, ROOT / "models" / "equity-first.toml").inputs["model_sha256"]
    assert other == model_sha256(allocator.load_model(ROOT / "models" / "equity-first.toml")) != default


def test_versions_and_declared_schema_version():
    inputs = allocator.solve(TOY1).inputs
    assert list(inputs) == ["instance_sha256", "model_sha256", "allocator_version", "highs_version", "schema_version"]
    assert inputs["allocator_version"] == version("allocator")
    assert inputs["highs_version"] == version("highspy")
    assert inputs["schema_version"] == as_read(TOY1)["schema_version"]


# ------------------------------------------------------------------ every route


def _stages(res) -> set[str]:
    assert set(res.timings) <= set(TIMING_STAGES)
    assert all(v >= 0 and math.isfinite(v) for v in res.timings.values())
    return set(res.timings)


def test_every_route_carries_inputs_and_timings():
    want = sha(as_read(TOY))
    lp = allocator.solve(TOY)
    assert _stages(lp) == {"load", "build", "solve", "tie_break", "assemble", "total"}  # no whole posts
    assert lp.timings["total"] >= lp.timings["build"] + lp.timings["solve"]
    no_tie = allocator.solve(TOY, tie_break="none")
    assert "tie_break" not in _stages(no_tie)
    rounded = allocator.solve(TOY, round_posts=True)
    assert "whole_posts" in _stages(rounded) and rounded.rounding is not None
    mip = allocator.solve(TOY, integer=True)
    assert "whole_posts" in _stages(mip)
    built = allocator.build(TOY, backend="pulp").solve()
    assert _stages(built) >= {"build", "solve", "assemble", "total"} and "load" not in built.timings
    infeasible = allocator.solve(INFEASIBLE)
    assert infeasible.status == "infeasible" and _stages(infeasible) >= {"load", "total"}
    assert "build" not in infeasible.timings  # proved infeasible before a model was built
    d, spec = allocator.problem_data(allocator.load_instance(TOY)), allocator.DEFAULT_MODEL
    failed = error_result(d, spec, "highs", RuntimeError("boom"))
    warm = [res for _, res, _ in solve_weightings(d, [spec, spec.with_weights(moves=0.5)])]
    for res in (lp, no_tie, rounded, mip, built, failed, *warm):
        assert res.inputs["instance_sha256"] == want, res.status
    assert infeasible.inputs["instance_sha256"] == sha(as_read(INFEASIBLE))
    assert all(_stages(r) >= {"solve", "assemble"} for r in warm)


def test_results_read_back_keep_inputs_and_old_results_still_read():
    res = allocator.solve(TOY)
    data = json.loads(res.to_json())
    assert list(data)[-2:] == ["inputs", "timings"] and list(data["timings"]) == [
        s for s in TIMING_STAGES if s in res.timings
    ]
    back = allocator.Result.from_dict(data)
    assert back.inputs == res.inputs and back.timings == data["timings"]
    assert back.to_dict() == data
    old = {k: v for k, v in data.items() if k not in ("inputs", "timings")}  # a v2 result
    read = allocator.Result.from_dict(old)
    assert read.inputs is None and read.timings == {} and "inputs" not in read.to_dict()
    assert result_problems(data) == [] and result_problems(old) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"inputs": "abc"}, "inputs"),
        ({"inputs": {"instance_sha256": "12ab"}}, "inputs.instance_sha256"),
        ({"inputs": {"schema_version": "3"}}, "inputs.schema_version"),
        ({"timings": [1]}, "timings"),
        ({"timings": {"solve": -1.0}}, "timings.solve"),
        ({"timings": {"total": "fast"}}, "timings.total"),
    ],
)
def test_malformed_inputs_or_timings_are_refused(tmp_path, change, where):
    data = allocator.solve(TOY1).to_dict() | change
    assert [w for w, _ in result_problems(data)] == [where]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    r = runner.invoke(app, ["check", str(TOY1), str(path)])
    assert r.exit_code == 2 and where in r.output, r.output


def test_check_and_report_accept_a_v3_result(tmp_path):
    path = tmp_path / "result.json"
    allocator.solve(TOY).to_json(path)
    assert runner.invoke(app, ["check", str(TOY), str(path)]).exit_code == 0
    r = runner.invoke(app, ["report", str(path), "--instance", str(TOY), "--out", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    assert sha(as_read(TOY)) in (tmp_path / "rep" / "report.html").read_text()


# ------------------------------------------------------------------ the command line and sweeps


def test_verbose_prints_timings_on_stderr_never_in_json(tmp_path):
    assert ALLOCATOR
    proc = subprocess.run(
        [ALLOCATOR, "solve", str(TOY), "--format", "json", "--verbose"], capture_output=True, text=True, timeout=120
    )
    res = json.loads(proc.stdout)  # the whole of stdout is the result
    assert set(res["timings"]) >= {"load", "build", "solve", "assemble", "total"}
    line = next(x for x in proc.stderr.splitlines() if x.startswith("timings: "))
    assert "build" in line and "total" in line
    quiet = subprocess.run([ALLOCATOR, "solve", str(TOY), "--format", "json"], capture_output=True, text=True)
    assert "timings: " not in quiet.stderr


def test_sweep_store_records_timings_and_old_stores_read_back_nan(tmp_path):
    from allocator.study.sweep import _frames, _Plan, _Run, _solve_group

    inst = allocator.load_instance(TOY)
    d = allocator.problem_data(inst)
    specs = [allocator.DEFAULT_MODEL, allocator.DEFAULT_MODEL.with_weights(moves=0.5)]
    task = {"data": d, "specs": specs, "options": allocator.SolveOptions(threads=1), "backend": "highs"}
    task["hashes"] = ["a", "b"]
    recs = _solve_group(task)
    plan = _Plan(
        scenario=None,
        instance=inst,
        error=None,
        runs=[_Run(h, "baseline", s) for h, s in zip("ab", specs, strict=True)],
    )
    runs, measures, allocs = _frames(plan, "highs", recs)
    store = store_mod.Store(tmp_path / "new")
    store.append(runs, measures, allocs)
    back = store.runs()
    assert back["time_solve"].notna().all() and back["time_assemble"].notna().all()
    assert back["time_load"].isna().all()  # a stage that did not run in a sweep
    assert (back["instance_sha256"] == sha(as_read(TOY))).all()

    # a store written before v3: no timing columns; they read back as NaN
    old_schema = pa.schema([f for f in store_mod.SCHEMAS["runs"] if not f.name.startswith("time_")][:-1])
    old = tmp_path / "old"
    shutil.copytree(tmp_path / "new", old)  # the same parts, the runs part rewritten as before v3
    table = pa.Table.from_pandas(runs[old_schema.names], schema=old_schema, preserve_index=False)
    (part,) = (old / "runs.parquet").glob("*.parquet")
    pq.write_table(table, part)
    read = store_mod.Store(old).runs()
    assert len(read) == 2 and read["time_total"].isna().all() and read["instance_sha256"].isna().all()
    assert pd.api.types.is_float_dtype(read["time_total"])
