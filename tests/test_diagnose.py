"""Infeasible instances get a diagnosis naming §5 families, entities and numbers."""

from __future__ import annotations

import copy

import pytest

import allocator


def diag(data):
    res = allocator.solve(allocator.validate(data))
    assert res.status == "infeasible"
    assert res.diagnosis and res.diagnosis["findings"]
    return res.diagnosis


def test_lock_outside_capacity(base):
    base["capacity"] = [{"region": "north", "specialty": "gp", "max_posts": 50}]
    base["locks"] = [{"region": "north", "specialty": "gp", "year": 2025, "posts": 60}]
    f = diag(base)["findings"][0]
    assert f["constraint"] == "lock" and f["region"] == "north" and f["relax_by"] == pytest.approx(10)


def test_capacity_below_national_total(base):
    base["capacity"] = [
        {"region": "north", "specialty": "gp", "max_posts": 40},
        {"region": "south", "specialty": "gp", "max_posts": 50},
    ]
    f = diag(base)["findings"][0]
    assert f["constraint"] == "national_total" and f["year"] == 2025 and f["relax_by"] == pytest.approx(10)
    assert "at most 90" in f["message"]


def test_budget_below_minimum(base):
    base["cost_per_post"] = [{"region": "north", "specialty": "gp", "cost": 1}]
    base["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 30}]
    base["budget"] = [{"year": 2025, "amount": 20}]
    f = diag(base)["findings"][0]
    assert f["constraint"] == "budget" and f["relax_by"] == pytest.approx(10)


def test_national_moves_below_reduction(base):
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 80}]
    base["transition"] = {"max_national_moves": 5}
    f = diag(base)["findings"][0]
    assert f["constraint"] == "national_moves" and f["relax_by"] == pytest.approx(15)


def test_growth_out_of_reach(base):
    """North must hold 60 (min) but can grow only 10% from 20: at most 22."""
    base["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 60}]
    base["transition"] = {"max_growth_rate": 0.1}
    f = diag(base)["findings"][0]
    assert f["constraint"] == "growth_limit" and f["region"] == "north" and f["relax_by"] == pytest.approx(38)


def test_solver_found_region_net_loss(base):
    """National total falls 100 → 90 but no region may lose posts: only the solver finds it;
    the feasibility relaxation names the region net-loss limit (cheaper to relax than the
    national total) and by how much: 10 posts in total."""
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 90}]
    base["transition"] = {"max_region_net_loss_rate": 0.0}
    d = diag(base)
    assert d["constraints"] == ["region_net_loss"]
    assert sum(f["relax_by"] for f in d["findings"]) == pytest.approx(10)


def test_whole_posts_needed_but_total_fractional(base):
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 100.5}]
    inst = allocator.validate(base)
    assert allocator.solve(inst).status == "optimal"  # the LP is fine
    res = allocator.solve(inst, integer=True)
    assert res.status == "infeasible"
    f = res.diagnosis["findings"][0]
    assert f["constraint"] == "national_total" and "not a whole number" in f["message"]


def test_capacity_without_whole_number(base):
    base["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 30.2, "max_posts": 30.8}]
    res = allocator.solve(allocator.validate(base), integer=True)
    assert res.status == "infeasible" and res.diagnosis["constraints"] == ["capacity"]


# ------------------------------------------------------- conflict (IIS) and relaxation


def test_iis_names_the_conflicting_rows_with_numbers(base):
    """National total 100 → 90, no region may lose posts: the IIS is the national total's
    upper half, the two regions' net-loss limits (0 posts each) and the two flow definitions."""
    from allocator.analysis.diagnose import iis_findings
    from allocator.model.backends.highs import build_model

    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 90}]
    base["transition"] = {"max_region_net_loss_rate": 0.0}
    d = allocator.problem_data(allocator.validate(base))
    members = iis_findings(build_model(d, allocator.DEFAULT_MODEL, integer=False))
    names = {m["name"] for m in members}
    assert names == {
        "national_total[gp,2025]",
        "region_net_loss[north,2025]",
        "region_net_loss[south,2025]",
        "flow[north,gp,2025]",
        "flow[south,gp,2025]",
    }
    nt = next(m for m in members if m["constraint"] == "national_total")
    assert nt["value"] == 90 and nt["bound"] == "upper" and nt["equality"] and nt["kind"] == "row"
    assert nt["index"] == 0 and "90 posts nationally in 2025" in nt["message"]
    loss = next(m for m in members if m["name"] == "region_net_loss[north,2025]")
    assert loss["value"] == 0 and loss["limit"] == "≤ 0" and loss["region"] == "north"


def test_iis_maps_column_bounds_to_capacity(base):
    from allocator.analysis.diagnose import iis_findings
    from allocator.model.backends.highs import build_model

    base["capacity"] = [
        {"region": "north", "specialty": "gp", "max_posts": 40},
        {"region": "south", "specialty": "gp", "max_posts": 50},
    ]
    d = allocator.problem_data(allocator.validate(base))
    members = iis_findings(build_model(d, allocator.DEFAULT_MODEL, integer=False))
    caps = sorted((m["region"], m["value"], m["bound"]) for m in members if m["constraint"] == "capacity")
    assert caps == [("north", 40, "upper"), ("south", 50, "upper")]
    assert all(m["kind"] == "column" for m in members if m["constraint"] == "capacity")


def test_iis_of_a_feasible_model_is_empty(base):
    from allocator.analysis.diagnose import iis_findings
    from allocator.model.backends.highs import build_model

    d = allocator.problem_data(allocator.validate(base))
    assert iis_findings(build_model(d, allocator.DEFAULT_MODEL, integer=False)) == []


def test_diagnosis_words_lead_with_the_relaxation_and_detail_holds_the_conflict(base):
    """The summary says what to change (the needed rate in words); the solver's conflict set
    and the raw relax_by figures are in the technical detail, not in the words."""
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 90}]
    base["transition"] = {"max_region_net_loss_rate": 0.0}
    d = diag(base)
    assert d["conflict_status"] == "irreducible"
    assert d["summary"].startswith("Allow ") and "instead of 0%" in d["summary"]  # the needed rate, in words
    assert "[" not in d["summary"] and "irreducible" not in d["summary"]
    conflict = next(line for line in d["technical_detail"] if "irreducible infeasible subset" in line)
    assert "region_net_loss[north,2025] ≤ 0" in conflict and "national_total[gp,2025] = 90" in conflict
    f = d["findings"][0]
    assert f"relax_by {f['relax_by']:g}" in " ".join(d["technical_detail"])
    f = d["findings"][0]
    assert f["direction"] == "up" and f["rate"] == 0.0
    assert f["needed_rate"] == pytest.approx(f["relax_by"] / {"north": 20, "south": 80}[f["region"]])


def test_diagnose_without_iis(base):
    from allocator.analysis.diagnose import diagnose

    base["transition"] = {"max_region_net_loss_rate": 0.0}
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 90}]
    d = diagnose(allocator.problem_data(allocator.validate(base)), iis=False)
    assert d["conflict"] == [] and d["conflict_status"] == "unavailable" and d["findings"]


def test_lock_outside_capacity_conflict_is_stated_from_the_data(base):
    """The direct model fixes a locked cell to its lock, so its capacity never reaches HiGHS:
    the conflict comes from the pre-solve check."""
    base["capacity"] = [{"region": "north", "specialty": "gp", "max_posts": 50}]
    base["locks"] = [{"region": "north", "specialty": "gp", "year": 2025, "posts": 60}]
    d = diag(base)
    assert d["conflict_status"] == "pre-solve"
    assert [(m["name"], m["value"]) for m in d["conflict"]] == [
        ("lock[north,gp,2025]", 60),
        ("capacity[north,gp,2025]", 50),
    ]
    assert d["findings"][0]["direction"] == "down" and d["findings"][0]["bound"] == "lock"


def test_programme_length_is_named_when_it_limits_shrinking(base):
    """South (80 posts, a 3-year programme: may lose a third) must fall to 40: 53.3 at least."""
    base["capacity"] = [{"region": "south", "specialty": "gp", "max_posts": 40}]
    base["transition"] = {"shrink_by_programme_length": True, "max_shrink_rate": 0.5}
    f = diag(base)["findings"][0]
    assert f["constraint"] == "programme_shrink" and f["relax_by"] == pytest.approx(80 * 2 / 3 - 40)
    assert f["rate"] == pytest.approx(1 / 3) and f["needed_rate"] == pytest.approx(0.5)
    base["transition"]["max_shrink_rate"] = 0.2  # now the shrink rate is the tighter limit
    assert diag(base)["findings"][0]["constraint"] == "shrink_limit"


def test_national_growth_out_of_reach_gives_the_needed_rate(base):
    """Total 100 → 150 with 10% growth: regions reach 110; needs 50% growth."""
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 150}]
    base["transition"] = {"max_growth_rate": 0.1}
    f = diag(base)["findings"][0]
    assert f["constraint"] == "growth_limit" and f["relax_by"] == pytest.approx(40)
    assert f["needed_rate"] == pytest.approx(0.5)


def test_penalty_table_covers_every_row_family():
    from allocator.model.backends.base import FAMILIES
    from allocator.model.presolve import PENALTY, RELAXATION_PENALTIES

    assert set(PENALTY) == set(FAMILIES)
    assert all(why for _, _, why in RELAXATION_PENALTIES)
    assert PENALTY["national_total"] > PENALTY["lock"] > PENALTY["budget"] > PENALTY["capacity"]
    assert PENALTY["flow"] == PENALTY["target_gap"] == PENALTY["worst_shortfall"] == -1


# ------------------------------------------------------- words first: the action and its quantity


def _words(data, integer=None):
    res = allocator.solve(allocator.validate(data), integer=integer)
    assert res.status == "infeasible"
    return res.diagnosis


def test_action_sentences_of_the_pre_solve_checks(base):
    """Each pre-solve finding, in words: the verb, what to change and the number first, the reason after."""
    case = copy.deepcopy(base)
    case["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 30}]
    case["locks"] = [{"region": "north", "specialty": "gp", "year": 2025, "posts": 25}]
    assert _words(case)["summary"].startswith(
        "Lower the minimum of north gp in 2025 to 25 posts (min_posts), or raise its lock to 30 or unlock it: "
    )
    case = copy.deepcopy(base)
    case["cost_per_post"] = [{"region": "north", "specialty": "gp", "cost": 1}]
    case["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 30}]
    case["budget"] = [{"year": 2025, "amount": 20}]
    assert _words(case)["summary"].startswith("Raise the 2025 budget by 10, to 30: ")
    case = copy.deepcopy(base)
    case["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 80}]
    case["transition"] = {"max_national_moves": 5}
    assert _words(case)["summary"].startswith("Raise max_national_moves to 20, or slow the fall of the national totals")
    case = copy.deepcopy(base)
    case["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 150}]
    case["transition"] = {"max_growth_rate": 0.1}
    assert _words(case)["summary"].startswith(
        "Allow gp 40 more posts of growth across the regions, or a growth rate of 50% instead of 10%, "
        "or grow the national total more slowly: it needs 150 posts nationally in 2025"
    )
    case = copy.deepcopy(base)
    case["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 100.5}]
    assert _words(case, integer=True)["summary"].startswith(
        "Round the 2025 national total of gp to 100 or 101 posts: it is 100.5"
    )
    case = copy.deepcopy(base)
    case["capacity"] = [{"region": "north", "specialty": "gp", "min_posts": 30.2, "max_posts": 30.8}]
    assert _words(case, integer=True)["summary"].startswith(
        "Widen the 2025 capacity of north gp to hold a whole number, for example raise its max_posts to 31: "
    )
