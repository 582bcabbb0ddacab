"""Shadow prices in words (allocator.analysis.shadow.explain) and HiGHS ranging (allocator.analysis.shadow.ranging).

The sentences claim "moving this bound one unit this way would lower the objective by |dual|":
the tests move each bound a little in the HiGHS model and re-solve to check the claim.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import allocator
from allocator.analysis.shadow import (
    EXPLAIN_COLUMNS,
    GROUP_COLUMNS,
    RANGING_COLUMNS,
    explain,
    group,
    names_from_instance,
    ranging,
)
from allocator.model.backends.base import SolveOptions

from .conftest import BASE, ROOT

TOY = ROOT / "instances" / "toy"


def solved(path_or_inst, model=None):
    inst = path_or_inst if isinstance(path_or_inst, allocator.Instance) else allocator.load_instance(path_or_inst)
    d = allocator.problem_data(inst)
    return inst, d, allocator.solve(inst, model)


def test_columns_ranking_and_top():
    inst, d, res = solved(TOY / "toy-shrink.json")
    e = explain(res, d)
    assert list(e.columns) == EXPLAIN_COLUMNS
    assert len(e) == len(res.binding)
    assert (np.diff(e["dual"].abs()) <= 1e-12).all()
    assert len(explain(res, d, top=2)) == 2
    assert explain(res, d, top=2)["dual"].tolist() == e["dual"].head(2).tolist()


def test_shrink_limit_sentence_and_value():
    """toy-shrink: South may lose 10% of 80 = 8 posts in 2025 (dual −3.78, docs/model.md §9)."""
    inst, d, res = solved(TOY / "toy-shrink.json")
    e = explain(res, d, names=names_from_instance(inst))
    row = e[(e.constraint == "shrink_limit") & (e.year == 2025)].iloc[0]
    assert row.value == pytest.approx(8.0)
    assert row.sentence == (
        "letting General practice in South shrink by one more post in 2025 than the 10% shrink limit allows "
        "(8 posts) would lower the objective by 3.78 (about 3.78 posts of gap closed)"
    )
    # 2026: 10% of the 2025 allocation (72 posts), taken from the result
    assert e[(e.constraint == "shrink_limit") & (e.year == 2026)].value.iloc[0] == pytest.approx(7.2)


def test_national_total_sentence_says_targets_are_held_fixed():
    inst, d, res = solved(TOY / "toy-shrink.json")
    s = explain(res, d, names=names_from_instance(inst))
    s = s[s.constraint == "national_total"].sentence.iloc[0]
    assert "one more General practice post nationally in 2025 (the total is 100)" in s
    assert "fair share held fixed" in s and "scale with the national total" in s


def test_lock_and_national_moves_sentences():
    inst, d, res = solved(TOY / "toy-3x2.json")
    e = explain(res, d, names=names_from_instance(inst)).set_index("constraint")
    assert e.loc["lock"].sentence.startswith("locking one post fewer for Psychiatry in South in 2025 (locked at 26)")
    assert e.loc["lock"].value == 26
    assert e.loc["national_moves"].sentence.startswith(
        "letting one more post move between regions in 2025 (the limit is 12) would lower the objective by 1.98"
    )


def test_region_net_loss_sentence_on_england():
    """The README's example: London may lose 3% a year; one more post would be worth 9.4."""
    inst, d, res = solved(ROOT / "instances" / "england-regions-2025.json")
    e = explain(res, d, top=1, names=names_from_instance(inst))
    assert e.constraint.iloc[0] == "region_net_loss"
    assert "lose one more post in 2026 than the 3% limit" in e.sentence.iloc[0]
    assert "would lower the objective by 9.4" in e.sentence.iloc[0]
    # the limit in posts is 3% of the region's baseline posts, all specialties
    r = d.regions.index(e.region.iloc[0])
    assert e.value.iloc[0] == pytest.approx(0.03 * d.baseline[r].sum())


def test_names_fall_back_to_ids_and_gap_words_need_equal_weights():
    inst, d, res = solved(TOY / "toy-shrink.json", ROOT / "models" / "equity-first.toml")
    e = explain(res, d)  # no names: ids
    assert all("posts of gap closed" not in s for s in e.sentence)  # a ≠ b: no translation
    assert any(" in south " in s for s in e.sentence)
    spec = allocator.load_model(ROOT / "models" / "minimal-disruption.toml")
    inst, d, res = solved(TOY / "toy-shrink.json", spec)
    assert any("posts of gap closed" in s for s in explain(res, d, spec=spec).sentence)


def test_names_from_instance():
    inst = allocator.load_instance(TOY / "toy-3x2.json")
    names = names_from_instance(inst)
    assert names["north"] == "North" and names["psych"] == "Psychiatry"
    data = copy.deepcopy(BASE)
    assert names_from_instance(allocator.validate(data))["north"] == "north"  # no name: the id


def test_no_binding_gives_an_empty_frame(base):
    base["transition"] = {}
    res = allocator.solve(allocator.validate(base), integer=True)
    d = allocator.problem_data(allocator.validate(base))
    assert list(explain(res, d).columns) == EXPLAIN_COLUMNS and explain(res, d).empty


def test_every_family_has_a_sentence():
    """An instance where capacity, lock, growth, shrink, programme, net loss, moves, budget and
    worst shortfall can all bind (equity-first weighs the worst shortfall)."""
    data = {
        "schema_version": 1,
        "name": "all-families",
        "baseline_year": 2024,
        "years": [2025, 2026],
        "regions": [
            {"id": "a", "name": "Alpha", "population": 100000},
            {"id": "b", "name": "Beta", "population": 300000},
            {"id": "c", "name": "Gamma", "population": 200000},
        ],
        "specialties": [{"id": "gp", "programme_years": 3}, {"id": "ps", "programme_years": 5}],
        "baseline_posts": [
            {"region": r, "specialty": s, "posts": p}
            for (r, s), p in {
                ("a", "gp"): 60,
                ("b", "gp"): 20,
                ("c", "gp"): 40,
                ("a", "ps"): 30,
                ("b", "ps"): 10,
                ("c", "ps"): 20,
            }.items()
        ],
        "capacity": [{"region": "b", "specialty": "gp", "max_posts": 40}],
        "locks": [{"region": "c", "specialty": "ps", "year": 2025, "posts": 18}],
        "cost_per_post": [{"region": "b", "specialty": "ps", "cost": 2.0}],
        "budget": [{"year": 2026, "amount": 50}],
        "transition": {
            "max_growth_rate": 0.5,
            "max_shrink_rate": 0.3,
            "shrink_by_programme_length": True,
            "max_region_net_loss_rate": 0.2,
            "max_national_moves": 25,
        },
    }
    spec = allocator.load_model(ROOT / "models" / "equity-first.toml")
    inst, d, res = solved(allocator.validate(data), spec)
    assert res.status == "optimal"
    e = explain(res, d, spec=spec)
    assert e.sentence.str.len().min() > 40
    assert not e.sentence.str.contains("one more unit of the bound").any()  # every family has its template
    assert not e.value.isna().any()
    assert len(set(e.constraint)) >= 5
    # grouped: one sentence per family, region and direction, each row in exactly one
    g = group(e, names=names_from_instance(inst), specialties=len(d.specialties))
    assert sorted(i for rows in g["rows"] for i in rows) == list(range(len(e)))
    assert set(g.constraint) == set(e.constraint) and len(g) <= len(e)
    assert g.sentence.str.match(r"^[A-Z]").all() and g.sentence.str.endswith(".").all()
    assert not g.sentence.str.contains("each unit of these limits").any()  # every family has its words


def test_grouped_sentence_of_toy_shrink():
    """toy-shrink: South's shrink limits bind in 2025 and 2026 (duals −3.78 and −1.98): one
    sentence; the national totals of the two years another."""
    inst, d, res = solved(TOY / "toy-shrink.json")
    names = names_from_instance(inst)
    e = explain(res, d, names=names)
    g = group(e, names=names, specialties=len(d.specialties))
    assert list(g.columns) == GROUP_COLUMNS and len(g) == 2 < len(e)
    shrink = g[g.constraint == "shrink_limit"].iloc[0]
    assert shrink.sentence == (
        "South's shrink limits bind in 2 cells (General practice 2025 and 2026): each post more they let a cell "
        "lose would lower the objective by 1.98–3.78."
    )
    assert shrink.dual == pytest.approx(e[e.constraint == "shrink_limit"].dual.min())
    assert shrink.what == "South's shrink limits (General practice 2025 and 2026)"
    assert group(e.head(1), names=names).sentence.iloc[0].lower() == e.sentence.iloc[0].lower() + "."
    assert group(e.iloc[0:0]).empty and list(group(e.iloc[0:0]).columns) == GROUP_COLUMNS


# ------------------------------------------------------------- the sentences are true


def _perturb_and_resolve(d, spec, rec, delta):
    """Move one binding bound by delta in the direction its sentence names; the new optimum."""
    from allocator.model.backends.highs import build_model

    m = build_model(d, spec, integer=False)
    h = m.highs
    step = delta if rec["dual"] < 0 else -delta  # dual < 0: raise the bound; dual > 0: lower it
    if rec["constraint"] in ("capacity", "lock"):
        k = m.x_column(rec["region"], rec["specialty"], int(rec["year"]))
        lp = h.getLp()
        lo, hi = lp.col_lower_[k], lp.col_upper_[k]
        if rec["constraint"] == "lock":
            lo, hi = lo + step, hi + step
        elif rec["dual"] < 0:
            hi += step
        else:
            lo += step
        h.changeColBounds(k, lo, hi)
    else:
        block = next(b for b in m.blocks if b.name == rec["constraint"])
        idx = {
            "region": d.regions.index(rec["region"]) if rec.get("region") else None,
            "specialty": d.specialties.index(rec["specialty"]) if rec.get("specialty") else None,
            "year": d.years.index(int(rec["year"])) if rec.get("year") is not None else None,
        }
        i = next(i for i in range(block.size) if all(int(block.labels[k][i]) == idx[k] for k in block.labels))
        row = block.start + i
        lp = h.getLp()
        lo, hi = lp.row_lower_[row], lp.row_upper_[row]
        if lo == hi:
            lo, hi = lo + step, hi + step
        elif rec["dual"] < 0:
            hi += step
        else:
            lo += step
        h.changeRowBounds(row, lo, hi)
    raw = m.solve(SolveOptions(method="simplex"))
    assert raw.status == "optimal"
    return raw.objective


@pytest.mark.parametrize(
    "path", [TOY / "toy-shrink.json", TOY / "toy-3x2.json", ROOT / "instances" / "england-regions-2025.json"]
)
def test_moving_a_bound_the_named_way_lowers_the_objective_by_the_dual(path):
    inst, d, res = solved(path)
    delta = 1e-3
    for rec in explain(res, d, top=6).to_dict(orient="records"):
        rec = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
        new = _perturb_and_resolve(d, allocator.DEFAULT_MODEL, rec, delta)
        assert res.objective - new == pytest.approx(abs(rec["dual"]) * delta, rel=1e-3, abs=1e-8), rec["sentence"]


# ------------------------------------------------------------------------- ranging


def test_ranging_toy_shrink_by_hand():
    """toy-shrink: the 2025 national total (100, dual −1) keeps its basis from 92 to 107.2;
    the optimum moves along it at the dual: 73.904 + 8 at 92, 73.904 − 7.2 at 107.2."""
    built = allocator.build(TOY / "toy-shrink.json")
    res = built.solve()
    rg = ranging(built.model)
    assert list(rg.columns) == RANGING_COLUMNS
    cost = rg[rg.kind == "cost"]
    assert len(cost) == 4 and (cost.lower <= cost.value).all() and (cost.value <= cost.upper).all()
    nt = rg[(rg.constraint == "national_total") & (rg.year == 2025)].iloc[0]
    assert (nt.value, nt.dual) == (100.0, pytest.approx(-1.0))
    assert (nt.lower, nt.upper) == (pytest.approx(92.0), pytest.approx(107.2))
    assert nt.objective_at_lower == pytest.approx(res.objective + 8)
    assert nt.objective_at_upper == pytest.approx(res.objective - 7.2)


def test_ranging_ends_follow_the_dual_and_resolving_inside_agrees():
    built = allocator.build(ROOT / "instances" / "england-regions-2025.json")
    res = built.solve()
    rg = ranging(built.model)
    b = rg[(rg.kind == "bound") & rg.upper.apply(np.isfinite) & rg.lower.apply(np.isfinite)]
    assert len(b)
    assert set(b.constraint) <= {"national_total", "region_net_loss", "capacity", "lock", "growth_limit"} | {
        "shrink_limit",
        "programme_shrink",
        "national_moves",
        "budget",
    }
    assert np.allclose(b.objective_at_upper, res.objective + b.dual * (b.upper - b.value), rtol=1e-6, atol=1e-6)
    assert np.allclose(b.objective_at_lower, res.objective + b.dual * (b.lower - b.value), rtol=1e-6, atol=1e-6)
    # re-solve with London's 2026 net-loss limit moved to the middle of its range
    row = rg[(rg.constraint == "region_net_loss") & (rg.region == "london") & (rg.year == 2026)].iloc[0]
    mid = (row.value + min(row.upper, row.value + 10)) / 2
    m = built.model
    block = next(bl for bl in m.blocks if bl.name == "region_net_loss")
    k = block.start + d_index(m, "london", 2026)
    m.highs.changeRowBounds(k, -np.inf, mid)
    raw = m.solve(SolveOptions(method="simplex"))
    assert raw.objective == pytest.approx(res.objective + row.dual * (mid - row.value), rel=1e-7)


def d_index(m, region, year):
    d = m.data
    return d.regions.index(region) * len(d.years) + d.years.index(year)


def test_ranging_refuses_integer_and_unsolved_models():
    built = allocator.build(TOY / "toy-2x1.json", integer=True)
    built.solve()
    with pytest.raises(ValueError):
        ranging(built.model)
    built = allocator.build(TOY / "toy-2x1.json")
    with pytest.raises(ValueError):
        ranging(built.model)


def test_explain_a_result_read_back_from_json(tmp_path):
    inst, d, res = solved(TOY / "toy-3x2.json")
    res.to_json(tmp_path / "r.json")
    back = allocator.Result.from_json(tmp_path / "r.json")
    a, b = explain(res, d), explain(back, d)
    assert a.sentence.tolist() == b.sentence.tolist()
    assert np.allclose(a.value, b.value)
