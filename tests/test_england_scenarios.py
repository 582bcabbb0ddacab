"""England under uncertainty (docs/model.md §12): the instance and ranges file built by
``instances/scenarios.py`` from ``england-pipeline-2025``, their sources, and the plans under
each risk measure, checked independently."""

from __future__ import annotations

import importlib.util
import json

import pytest

import allocator
from allocator.study.ranges import load_ranges

from .conftest import ROOT

INSTANCES = ROOT / "instances"
PATH = INSTANCES / "england-pipeline-scenarios-2025.json"
MODEL = ROOT / "models" / "future-supply.toml"


@pytest.fixture(scope="module")
def module():
    spec = importlib.util.spec_from_file_location("instances_scenarios", INSTANCES / "scenarios.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_rebuild_is_byte_identical(module, tmp_path):
    for path in module.build(tmp_path):
        assert path.read_bytes() == (INSTANCES / path.name).read_bytes(), path.name


def test_it_is_the_pipeline_instance_with_scenarios():
    base = json.loads((INSTANCES / "england-pipeline-2025.json").read_text(encoding="utf-8"))
    data = json.loads(PATH.read_text(encoding="utf-8"))
    for key in set(base) - {"schema_version", "name", "description", "sources"}:
        assert data[key] == base[key], key
    assert set(data) - set(base) == {"scenarios"} and data["schema_version"] == 3
    assert data["sources"][: len(base["sources"])] == base["sources"]
    assert [m["id"] for m in data["scenarios"]["members"]][0] == "central"
    assert sum(m["probability"] for m in data["scenarios"]["members"]) == pytest.approx(1.0, abs=1e-12)


def test_sources_name_every_number(module):
    data = json.loads(PATH.read_text(encoding="utf-8"))
    sources = {s["id"]: s for s in data["sources"]}
    assert sources["gmc-retention-five-years"]["kind"] == "published"
    assert sources["nhse-settle-2023"]["kind"] == "published"
    assert sources["est-scenarios"]["kind"] == "estimated"
    gmc, est = sources["gmc-retention-five-years"]["note"], sources["est-scenarios"]["note"]
    # the leave rates are the GMC's five-year retention as a constant annual rate
    assert module.LEAVE_LOW_RETENTION == pytest.approx(1 - 0.81**0.2, abs=5e-5) and "0.81" in gmc
    assert module.LEAVE_HIGH_RETENTION == pytest.approx(1 - 0.88**0.2, abs=5e-5) and "0.88" in gmc
    assert f"{module.LEAVE_LOW_RETENTION}" in gmc and f"{module.LEAVE_HIGH_RETENTION}" in gmc
    numbers = set()
    for m in data["scenarios"]["members"]:
        numbers.add(m["probability"])
        pipe = m.get("pipeline", {})
        numbers |= {e["rate"] for e in pipe.get("settle_rate", [])}
        for e in pipe.get("specialties", []):
            numbers |= {e[k] for k in ("settle_rate", "leave_rate") if k in e}
    for v in numbers:
        assert f"{v:g}" in est or f"{v:g}" in gmc, v
    # the population factors follow the rule the note states, from the instance's populations
    for m in data["scenarios"]["members"]:
        if m.get("population_scale"):
            k = module.GROWTH[m["id"]]
            assert f"{k:g}" in est and "growth_factor" in est
            got = {(e["region"], e["year"]): e["factor"] for e in m["population_scale"]}
            assert got == module.growth_factors(data, k)
            base = {r["id"]: r["population"] for r in data["regions"]}
            pop = {(e["region"], e["year"]): e["population"] for e in data["population_by_year"]}
            for (r, t), f in got.items():
                assert f * pop[r, t] - base[r] == pytest.approx(k * (pop[r, t] - base[r]), abs=1e-4 * pop[r, t])
    for region in module.RURAL:
        assert region in est


def test_rural_regions_are_the_most_rural():
    import pandas as pd

    rural = pd.read_csv(INSTANCES / "sources" / "rurality" / "rurality_icb24_england.csv")
    proj = pd.read_csv(INSTANCES / "sources" / "population_projections" / "ons_snpp2022_icb2023_summary_2022_2047.csv")
    proj = proj[proj.year == 2022][["icb_ods_code", "nhser_code"]]
    m = rural.merge(proj, left_on="icb24_code_nhs", right_on="icb_ods_code", validate="one_to_one")
    m["rural"] = m.usual_residents_census2021 * m.pct_residents_rural_lsoa
    share = m.groupby("nhser_code").rural.sum() / m.groupby("nhser_code").usual_residents_census2021.sum()
    # E40000006 South West, E40000007 East of England
    assert list(share.sort_values(ascending=False).index[:2]) == ["E40000006", "E40000007"]
    assert [round(v) for v in share.sort_values(ascending=False)[:3]] == [30, 26, 20]


@pytest.mark.parametrize(("risk", "alpha"), [("expected", None), ("worst", None), ("cvar", 0.8)])
def test_solves_under_each_risk_measure_and_passes_the_checker(risk, alpha):
    inst = allocator.load_instance(PATH)
    block = inst.scenarios.model_copy(update={"risk": risk, "alpha": alpha})
    inst = inst.model_copy(update={"scenarios": block})
    result = allocator.solve(inst, MODEL)
    assert result.status == "optimal"
    report = allocator.check(inst, result.to_dict())
    assert report.ok, report


def test_the_ranges_file_fits_the_instance():
    ranges = load_ranges(INSTANCES / "england-pipeline-ranges.toml")
    ranges.check(allocator.load_instance(PATH))
    kinds = {e.kind for e in ranges.entries}
    assert {"settle_rate", "join_rate", "leave_rate", "population_scale"} <= kinds


def test_readme_states_the_members_as_built(module):
    text = (INSTANCES / "README.md").read_text(encoding="utf-8")
    section = text.split("## England under uncertainty")[1].split("\n## ")[0]
    data = json.loads(PATH.read_text(encoding="utf-8"))
    rows = {line.split("|")[1].strip(" `"): line for line in section.splitlines() if line.startswith("| `")}
    for m in data["scenarios"]["members"]:
        assert f"| {m['probability']:g} |" in rows[m["id"]], m["id"]
    assert f"settle {module.RURAL_SETTLE:g}; leave {module.LEAVE_LOW_RETENTION:g}" in rows["low-retention"]
    assert f"settle {module.SETTLE_HIGH:g}, leave {module.LEAVE_HIGH_RETENTION:g}" in rows["high-retention"]
    for m in ("high-growth", "low-growth"):
        assert f"from {module.SCALE_FROM}, every region's growth since mid-2022 ×{module.GROWTH[m]:g}" in rows[m]
    base = data["pipeline"]["specialties"][0]
    assert f"settle {base['settle_rate']:g}, leave {base['leave_rate']:g}" in rows["central"]
    ranges = load_ranges(INSTANCES / "england-pipeline-ranges.toml")

    def span(e):
        return f"{e.low:g}–{e.high:g}"

    by = {(e.kind, e.region): e for e in ranges.entries}
    assert f"settle {span(by['settle_rate', None])} (mode {by['settle_rate', None].mode:g})" in section
    assert f"{span(by['settle_rate', 'south-west'])} (mode {by['settle_rate', 'south-west'].mode:g})" in section
    assert f"GP join {span(by['join_rate', None])}" in section
    assert f"leave {span(by['leave_rate', None])} (mode {by['leave_rate', None].mode:g}" in section
    assert f"population from {module.SCALE_FROM} between its" in section
    data = json.loads(PATH.read_text(encoding="utf-8"))
    horizon = data["pipeline"]["horizon_year"]
    factors = {
        m["id"]: {(e["region"], e["year"]): e["factor"] for e in m.get("population_scale", [])}
        for m in data["scenarios"]["members"]
    }
    for (kind, region), e in by.items():
        if kind == "population_scale":
            assert (e.low, e.high) == (factors["low-growth"][region, horizon], factors["high-growth"][region, horizon])


def test_three_backends_agree_under_cvar():
    """Five members on PuLP and Pyomo too (PuLP named a third member's rows like the second's
    until each member's rows carried its prefix)."""
    inst = allocator.load_instance(PATH)
    inst = inst.model_copy(update={"scenarios": inst.scenarios.model_copy(update={"risk": "cvar", "alpha": 0.8})})
    objectives = {b: allocator.solve(inst, MODEL, backend=b).objective for b in ("highs", "pulp", "pyomo")}
    assert max(objectives.values()) - min(objectives.values()) <= 1e-6 * max(1.0, abs(objectives["highs"])), objectives
