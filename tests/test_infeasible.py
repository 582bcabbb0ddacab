"""The family of deliberately infeasible instances (instances/infeasible/): each is infeasible,
gets a diagnosis naming the expected §5 family (in the findings and in the conflict), carries
it in the §9 JSON, and solves once the suggested relaxation is applied to the instance."""

from __future__ import annotations

import copy
import json
import math

import pytest

import allocator
from allocator.analysis.diagnosis_words import ACTION_VERBS

from .conftest import ROOT

INFEASIBLE = ROOT / "instances" / "infeasible"

# file stem → (expected family, integer mode, found by: "pre-solve" or "solver")
EXPECTED = {
    "lock-above-capacity": ("lock", False, "pre-solve"),
    "capacity-below-national-total": ("national_total", False, "pre-solve"),
    "minimum-capacity-above-national-total": ("national_total", False, "pre-solve"),
    "budget-below-minimum-cost": ("budget", False, "pre-solve"),
    "national-reduction-faster-than-moves": ("national_moves", False, "pre-solve"),
    "growth-too-slow-for-minimum": ("growth_limit", False, "pre-solve"),
    "shrink-too-slow-for-cap": ("shrink_limit", False, "pre-solve"),
    "programme-length-shrink": ("programme_shrink", False, "pre-solve"),
    "region-net-loss-vs-falling-total": ("region_net_loss", False, "solver"),
    "national-moves-vs-locks": ("national_moves", False, "solver"),
    "integer-fractional-total": ("national_total", True, "pre-solve"),
}


def load(stem: str) -> dict:
    return json.loads((INFEASIBLE / f"{stem}.json").read_text())


def solve(data: dict, integer: bool):
    return allocator.solve(allocator.validate(data), integer=integer or None)


def _match(entry: dict, f: dict) -> bool:
    return all(entry.get(k) == f[k] for k in ("region", "specialty") if k in f) and (
        entry.get("year") in (None, f.get("year"))
    )


def relax(data: dict, findings: list[dict]) -> dict:
    """Apply each finding's relaxation to the instance: move the named constraint's bound by
    ``relax_by`` in ``direction`` (for rate-type limits whose bound is not a number of posts in
    the instance, set the ``needed_rate``)."""
    data = copy.deepcopy(data)
    tr = data.setdefault("transition", {})
    for f in findings:
        family, by = f["constraint"], f["relax_by"]
        sign = 1 if f["direction"] == "up" else -1
        if family == "lock":
            for lk in data["locks"]:
                if _match(lk, f):
                    lk["posts"] += sign * by
        elif family == "capacity":
            for c in data["capacity"]:
                if _match(c, f):
                    c[f["bound"]] += sign * by
        elif family == "national_total":
            entries = [n for n in data.setdefault("national_posts", []) if _match(n, f)]
            if not entries:
                total = sum(b["posts"] for b in data["baseline_posts"] if b["specialty"] == f["specialty"])
                entries = [{"specialty": f["specialty"], "year": f["year"], "posts": total}]
                data["national_posts"] += entries
            entries[0]["posts"] += sign * by
        elif family == "budget":
            next(b for b in data["budget"] if b["year"] == f["year"])["amount"] += by
        elif family == "national_moves":
            tr["max_national_moves"] = tr["max_national_moves"] + by
        elif family == "growth_limit":  # the row's constant side: rate · x_prev + allowance
            tr["growth_allowance"] = tr.get("growth_allowance", 0) + by
        elif family == "shrink_limit":
            tr["max_shrink_rate"] = max(tr["max_shrink_rate"], f["needed_rate"])
        elif family == "programme_shrink":
            spec = next(s for s in data["specialties"] if s["id"] == f["specialty"])
            spec["programme_years"] = math.floor(1 / f["needed_rate"])
        elif family == "region_net_loss":
            tr["max_region_net_loss_rate"] = max(tr["max_region_net_loss_rate"], f["needed_rate"])
        else:
            raise AssertionError(f"no relaxation rule for {family}")
    return data


def test_every_instance_is_listed():
    assert {p.stem for p in INFEASIBLE.glob("*.json")} == set(EXPECTED)
    assert (INFEASIBLE / "README.md").exists()


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_infeasible_diagnosed_and_relaxation_solves(stem):
    family, integer, stage = EXPECTED[stem]
    data = load(stem)
    assert 2 <= len(data["regions"]) <= 4 and 1 <= len(data["specialties"]) <= 2 and 1 <= len(data["years"]) <= 3
    res = solve(data, integer)
    assert res.status == "infeasible"
    diag = res.diagnosis
    # the named diagnosis: the expected family, the stage that found it, and a conflict
    assert family in diag["constraints"], diag["summary"]
    named = [f for f in diag["findings"] if f["constraint"] == family]
    assert named and all(f["relax_by"] > 0 and f["direction"] in ("up", "down") for f in named)
    detail = " ".join(diag["technical_detail"])
    assert ("pre-solve checks" in diag["technical_detail"][0]) == (stage == "pre-solve")
    assert family in {m["constraint"] for m in diag["conflict"]}, diag["conflict"]
    assert diag["conflict_status"] in ("irreducible", "pre-solve")
    assert "cannot all hold" in detail and "cannot all hold" not in diag["summary"]
    # words first: every finding an action with its quantity; the solver's names only in the detail
    assert len(diag["actions"]) == len(diag["findings"]) and diag["summary"].startswith(diag["actions"][0])
    assert diag["summary"].split()[0] in ACTION_VERBS, diag["summary"]
    assert not any(word in diag["summary"] for word in ("irreducible", "IIS", "[", "relax_by"))
    assert all(f"relax_by {f['relax_by']:g}" in detail for f in named)
    # it is the §9 diagnosis of the JSON result
    out = json.loads(res.to_json())
    assert out["status"] == "infeasible" and out["diagnosis"] == json.loads(json.dumps(diag))
    # applying the suggested relaxation makes it solve
    fixed = solve(relax(data, diag["findings"]), integer)
    assert fixed.status == "optimal", fixed.diagnosis and fixed.diagnosis["summary"]
    report = allocator.check(allocator.validate(relax(data, diag["findings"])), fixed)
    assert report.ok, str(report)


def test_integer_instance_solves_as_an_lp():
    assert solve(load("integer-fractional-total"), integer=False).status == "optimal"


@pytest.mark.parametrize(
    ("stem", "needed"),
    [
        ("growth-too-slow-for-minimum", math.sqrt(1.5) - 1),  # 40 (1 + g)² = 60
        ("shrink-too-slow-for-cap", 1 - math.sqrt(0.8)),  # 150 (1 − σ)² = 120
        ("programme-length-shrink", 0.4),  # 100 (1 − σ) = 60
    ],
)
def test_needed_rates_by_hand(stem, needed):
    f = solve(load(stem), False).diagnosis["findings"][0]
    assert f["needed_rate"] == pytest.approx(needed, rel=1e-9)
    assert f"{100 * needed:.3g}%" in f["message"]


def test_growth_relaxed_by_the_needed_rate_also_solves():
    data = load("growth-too-slow-for-minimum")
    f = solve(data, False).diagnosis["findings"][0]
    data["transition"]["max_growth_rate"] = f["needed_rate"]
    assert solve(data, False).status == "optimal"


def test_region_net_loss_needed_rate_uses_last_years_posts():
    """needed rate = rate + amount / Σ_s x_prev; in the first year x_prev is the baseline."""
    data = load("region-net-loss-vs-falling-total")
    diag = solve(data, False).diagnosis
    base = {b["region"]: b["posts"] for b in data["baseline_posts"]}
    for f in diag["findings"]:
        assert f["rate"] == 0.03 and f["needed_rate"] > 0.03
        if f["year"] == data["years"][0]:
            assert f["needed_rate"] == pytest.approx(0.03 + f["relax_by"] / base[f["region"]])
        assert "regional net-loss limit of" in f["message"]
