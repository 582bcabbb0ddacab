"""Every solution passes the independent checker: shipped instances × model files × backends,
with the objective and the §8 measures recomputed by the checker from the posts alone."""

from __future__ import annotations

import pytest

import allocator
from allocator.analysis.check import check
from allocator.core.spec import load_model

from .conftest import MODELS, ROOT, TOYS

ENGLAND = sorted((ROOT / "instances").glob("england-*.json"))


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.stem)
@pytest.mark.parametrize("path", TOYS + ENGLAND, ids=lambda p: p.stem)
def test_highs_solution_passes_checker(path, model):
    inst = allocator.load_instance(path)
    spec = load_model(model)
    res = allocator.solve(inst, spec)
    assert res.status == "optimal"
    report = check(inst, res, model=spec)
    assert report.ok, str(report)


def test_checker_catches_a_tampered_solution():
    inst = allocator.load_instance(ROOT / "instances" / "toy" / "toy-3x2.json")
    data = allocator.solve(inst).to_dict()
    data["allocation"][0]["posts"] += 1.0  # breaks national_total (and the objective)
    report = check(inst, data, model=allocator.DEFAULT_MODEL)
    assert not report.ok
    assert {"national_total", "objective"} <= {v.constraint for v in report.violations}


def test_cli_check_round_trip(tmp_path):
    from typer.testing import CliRunner

    from allocator.cli.main import app

    path = ROOT / "instances" / "toy" / "toy-shrink.json"
    out = tmp_path / "o"
    runner = CliRunner()
    assert runner.invoke(app, ["solve", str(path), "--out", str(out)]).exit_code == 0
    r = runner.invoke(
        app, ["check", str(path), str(out / "result.json"), "--model", str(ROOT / "models" / "fair-share.toml")]
    )
    assert r.exit_code == 0, r.output
    bad = out / "result.json"
    bad.write_text(bad.read_text().replace('"posts": 72.0', '"posts": 90.0', 1))
    r = runner.invoke(app, ["check", str(path), str(bad)])
    assert r.exit_code == 1 and "national_total" in r.output
