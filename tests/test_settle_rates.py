"""Region-level settle rates (docs/model.md §10, v3 ``pipeline.settle_rate[]``)::

A[r,s,t] = j_s · (σ[r,s] · C[r,s,t] + m[r,s,t] · Σ_r' (1 − σ[r',s]) · C[r',s,t])
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import allocator
from allocator.core.data import problem_data
from allocator.core.instance import InstanceError
from allocator.core.validate import validate
from allocator.io.instance import load_instance

from .conftest import ROOT

PIPELINE = ROOT / "instances" / "england-pipeline-2025.json"
WORKFORCE = ROOT / "instances" / "template-workforce.xlsx"


def _as_region_entries(data: dict, rate_elsewhere: float) -> dict:
    """``data`` with each specialty's settle rate written as one entry per region, and the
    specialties' own ``settle_rate`` set to something else (which the entries must beat)."""
    out = copy.deepcopy(data) | {"schema_version": 3}
    regions = [r["id"] for r in data["regions"]]
    listed = {ps["specialty"]: ps for ps in out["pipeline"]["specialties"]}
    entries = []
    for s in data["specialties"]:
        ps = listed.get(s["id"])
        rate = 0.8 if ps is None or "settle_rate" not in ps else ps["settle_rate"]
        entries += [{"region": r, "specialty": s["id"], "rate": rate} for r in regions]
        if ps is not None:
            ps["settle_rate"] = rate_elsewhere
    out["pipeline"]["settle_rate"] = entries
    return out


def test_one_rate_per_specialty_as_region_entries_gives_v2_stocks_exactly():
    data = json.loads(PIPELINE.read_text())
    v2 = allocator.solve(validate(data))
    v3 = allocator.solve(validate(_as_region_entries(data, rate_elsewhere=0.3)))
    assert v2.status == v3.status == "optimal"
    assert v3.to_dict()["supply"] == v2.to_dict()["supply"]  # exactly: the same rows, bit for bit
    assert v3.to_dict()["allocation"] == v2.to_dict()["allocation"]


def _pipeline_of(data: dict):
    return problem_data(validate(data)).pipeline


def test_a_region_rate_moves_joiners_by_the_formula():
    """One region keeps fewer: its joiners fall by j·(σ_s − σ[r,s])·C, and the others gain its
    leavers in proportion to need (mobility ``need``)."""
    data = json.loads(PIPELINE.read_text())
    region, spec = data["regions"][0]["id"], data["specialties"][0]["id"]
    low = copy.deepcopy(data) | {"schema_version": 3}
    low["pipeline"]["settle_rate"] = [{"region": region, "specialty": spec, "rate": 0.5}]
    base, moved = _pipeline_of(data), _pipeline_of(low)
    d = problem_data(validate(data))
    x = d.baseline_by_year
    a, b = base.forward(x), moved.forward(x)
    C = a.completions[:, 0, :]  # the specialty's completions are unchanged (R, E)
    np.testing.assert_array_equal(C, b.completions[:, 0, :])
    j, sigma = base.join[0], base.settle[0]
    sig = np.full(C.shape[0], sigma)
    sig[0] = 0.5
    m = base.movers[:, 0, :]
    expected = j * (sig[:, None] * C + m * ((1 - sig)[:, None] * C).sum(axis=0)[None])
    np.testing.assert_allclose(b.joiners[:, 0, :], expected, rtol=1e-12)
    assert b.joiners[0, 0, -1] < a.joiners[0, 0, -1]
    # other specialties are untouched
    np.testing.assert_array_equal(a.joiners[:, 1:, :], b.joiners[:, 1:, :])


@pytest.mark.parametrize("backend", ["highs", "pyomo", "pulp"])
def test_backends_agree_with_region_rates_and_need_factors(backend):
    """The workforce template has a region settle rate, need factors and a team: each backend
    solves it to the same optimum, and the independent checker accepts it."""
    inst = load_instance(WORKFORCE)
    assert inst.pipeline.settle_rate and inst.need is not None
    reference = allocator.solve(inst)
    res = allocator.solve(inst, backend=backend)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(reference.objective, rel=1e-7)
    assert allocator.check(inst, res).ok
    posts = np.array([a["posts"] for a in res.to_dict()["allocation"]])
    ref = np.array([a["posts"] for a in reference.to_dict()["allocation"]])
    np.testing.assert_allclose(posts, ref, atol=1e-4)


def test_the_checker_catches_stocks_without_the_region_rate():
    inst = load_instance(WORKFORCE)
    res = allocator.solve(inst)
    data = inst.to_dict()
    data["pipeline"]["settle_rate"] = []
    report = allocator.check(validate(data), res)
    assert not report.ok and any(v.constraint == "supply" for v in report.violations)


def test_settle_rate_entries_are_validated():
    data = json.loads(PIPELINE.read_text()) | {"schema_version": 3}
    r, s = data["regions"][0]["id"], data["specialties"][0]["id"]
    data["pipeline"]["settle_rate"] = [
        {"region": r, "specialty": s, "rate": 0.5},
        {"region": r, "specialty": s, "rate": 0.6},
        {"region": "nowhere", "specialty": s, "rate": 0.5},
        {"region": r, "specialty": s, "rate": 60},
    ]
    with pytest.raises(InstanceError) as err:
        validate(data, source="p.json")
    text = str(err.value)
    assert f"pipeline.settle_rate[1]: duplicate entry for ('{r}', '{s}') (first at pipeline.settle_rate[0])" in text
    assert "pipeline.settle_rate[2].region: unknown region 'nowhere'" in text
    assert "pipeline.settle_rate[3].rate: 60 is 6000 %; write 0.6 for 60 %" in text
    v2 = copy.deepcopy(data) | {"schema_version": 2}
    v2["pipeline"]["settle_rate"] = v2["pipeline"]["settle_rate"][:1]
    with pytest.raises(InstanceError, match="pipeline.settle_rate: region settle rates .* set schema_version: 3"):
        validate(v2, source="p.json")


def test_core_and_checker_agree_before_the_first_planning_year_and_on_stock_teams():
    """Calendar years between the baseline and the first planning year run on the baseline
    posts: with a factor whose values change in such a year, a region settle rate and a team on
    the stock, the model's stocks and team shares match the checker's own."""
    data = json.loads(PIPELINE.read_text()) | {"schema_version": 3}
    data["baseline_year"] = data["years"][0] - 3  # two calendar years before y_1
    regions = [r["id"] for r in data["regions"]]
    specs = [s["id"] for s in data["specialties"]]
    data["need"] = {
        "factors": [
            {
                "id": "dep",
                "blend": 0.4,
                "values": [{"region": r, "value": 1 + 0.1 * i} for i, r in enumerate(regions)]
                + [{"region": regions[0], "year": data["baseline_year"] + 1, "value": 2.5}],
            }
        ]
    }
    data["pipeline"]["settle_rate"] = [{"region": regions[1], "specialty": specs[0], "rate": 0.4}]
    data["teams"] = [{"id": "t", "on": "stock", "members": [{"specialty": specs[0]}, {"specialty": specs[1]}]}]
    inst = validate(data)
    res = allocator.solve(inst)
    assert res.status == "optimal"
    report = allocator.check(inst, res)
    assert report.ok, report.violations[:3]
    d = problem_data(inst)
    assert d.pipeline.pool_weight is not None and d.pipeline.pool_weight[1, 0] == pytest.approx(0.6)
