"""The Pyomo and PuLP backends build the formulation of the highs backend, readably.

Both must reach the known optima of the toy instances, the same optimum as the ``highs``
backend on every toy instance under every model file and on a random instance with every
family, stay extensible (a constraint added to the native model counts), give integer posts
in integer mode, report infeasibility as a status, and return duals as the change of the
optimum per unit increase of a row's constant side.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pulp
import pyomo.environ as pyo
import pytest
from pyomo.repn import generate_standard_repn

from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL, load_model
from allocator.core.validate import validate
from allocator.io.instance import load_instance
from allocator.model.backends import highs as highs_backend
from allocator.model.backends import pulp as pulp_backend
from allocator.model.backends import pyomo as pyomo_backend
from allocator.model.backends.base import FAMILIES, ROW_GROUP_FAMILY, SolveOptions

ROOT = Path(__file__).resolve().parents[1]
TOYS = sorted((ROOT / "instances" / "toy").glob("*.json"))
MODELS = sorted((ROOT / "models").glob("*.toml"))
BACKENDS = {"pyomo": pyomo_backend, "pulp": pulp_backend}
REL = 1e-6
# the row groups of a v1 instance: those of §10 and §11 need a pipeline or teams
# (tests/test_backends_workforce.py)
WORKFORCE = {"stock_flow", "supply_gap", "worst_supply", "team_gap", "team_mix"}
#: the row groups of §5 (a v1/v2 instance without a pipeline): not the workforce (§10, §11), the pacing
#: (§5b: only with phases or floors) or the scenario (§12) families
V1_GROUPS = {g for g, f in ROW_GROUP_FAMILY.items() if f not in (*WORKFORCE, "phase", "floor", "scenario_risk")}

KNOWN_OPTIMUM = {"toy-2x1": 1.1, "toy-shrink": 73.904, "toy-3x2": 40.24}
KNOWN_X = {
    "toy-2x1": [[[75.0]], [[25.0]]],  # north, south; one specialty, one year
    "toy-shrink": [[[28.0, 35.2]], [[72.0, 64.8]]],  # south shrinks 10% a year
}


def toy(name: str):
    return problem_data(load_instance(ROOT / "instances" / "toy" / f"{name}.json"))


def toy_dict(name: str) -> dict:
    return json.loads((ROOT / "instances" / "toy" / f"{name}.json").read_text())


def solve(backend, d, spec=DEFAULT_MODEL, integer=None, options=None):
    return backend.solve_model(backend.build_model(d, spec, integer), options or SolveOptions())


def random_instance(R: int, S: int, Y: int, seed: int = 7):
    """A random instance where every family has rows (and most of them bind)."""
    rng = np.random.default_rng(seed)
    regions = [f"region-{i}" for i in range(R)]
    specs = [f"spec-{j}" for j in range(S)]
    years = [2025 + k for k in range(Y)]
    base = rng.integers(5, 200, size=(R, S)).astype(float)
    national = np.round(base.sum(axis=0)[:, None] * (1 + rng.uniform(-0.01, 0.03, (S, Y)).cumsum(1)))
    cost = np.round(rng.uniform(0.5, 2.0, size=(R, S)), 2)
    cells = [(i, r, j, s) for i, r in enumerate(regions) for j, s in enumerate(specs)]
    data = {
        "schema_version": 1,
        "name": f"random-{R}x{S}x{Y}",
        "baseline_year": 2024,
        "years": years,
        "regions": [
            {
                "id": r,
                "population": float(rng.integers(100_000, 2_000_000)),
                "need_index": float(np.round(rng.uniform(0.8, 1.3), 3)),
            }
            for r in regions
        ],
        "specialties": [{"id": s, "programme_years": int(rng.integers(3, 8))} for s in specs],
        "baseline_posts": [{"region": r, "specialty": s, "posts": float(base[i, j])} for i, r, j, s in cells],
        "national_posts": [
            {"specialty": s, "year": t, "posts": float(national[j, k])}
            for j, s in enumerate(specs)
            for k, t in enumerate(years)
        ],
        "need_weights": [
            {"region": r, "specialty": s, "weight": float(np.round(rng.uniform(0.7, 1.4), 3))} for i, r, j, s in cells
        ],
        "capacity": [
            {
                "region": r,
                "specialty": s,
                "min_posts": float(np.floor(0.95 * base[i, j])),
                "max_posts": float(base[i, j] + 2),
            }
            for i, r, j, s in cells
            if (i + j) % 3 == 0
        ],
        "locks": [
            {"region": r, "specialty": s, "year": years[0], "posts": float(base[i, j])}
            for i, r, j, s in cells
            if (i * S + j) % 11 == 5
        ],
        "cost_per_post": [{"region": r, "specialty": s, "cost": float(cost[i, j])} for i, r, j, s in cells],
        "budget": [
            {
                "year": years[-1],
                "amount": float(0.95 * (cost * base).sum() * national[:, -1].sum() / base.sum()),
            }
        ],
        "transition": {
            "max_growth_rate": 0.10,
            "growth_allowance": 2,
            "max_shrink_rate": 0.08,
            "shrink_by_programme_length": True,
            "max_region_net_loss_rate": 0.05,
            "max_national_moves": float(0.015 * base.sum()),
        },
    }
    return problem_data(validate(data))


@pytest.fixture(scope="module")
def random_7x10x5():
    return random_instance(7, 10, 5)


# ------------------------------------------------------------------------------- optima


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
@pytest.mark.parametrize("name", KNOWN_OPTIMUM)
def test_known_optima(backend, name):
    raw = solve(backend, toy(name))
    assert raw.status == "optimal"
    assert raw.objective == pytest.approx(KNOWN_OPTIMUM[name], rel=REL)
    if name in KNOWN_X:
        np.testing.assert_allclose(raw.x, KNOWN_X[name], atol=1e-6)
    assert raw.solve_seconds > 0


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
@pytest.mark.parametrize("path", TOYS, ids=[t.stem for t in TOYS])
def test_same_optimum_as_highs_on_toys(backend, model, path):
    d = problem_data(load_instance(path))
    spec = load_model(model)
    ref = solve(highs_backend, d, spec)
    raw = solve(backend, d, spec)
    assert ref.status == raw.status == "optimal"
    assert raw.objective == pytest.approx(ref.objective, rel=REL, abs=1e-9)
    assert raw.x.shape == d.shape
    np.testing.assert_allclose(raw.x.sum(axis=0), d.national, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_same_optimum_as_highs_on_random_instance(backend, model, random_7x10x5):
    d, spec = random_7x10x5, load_model(model)
    ref = solve(highs_backend, d, spec)
    raw = solve(backend, d, spec)
    assert ref.status == raw.status == "optimal"
    assert raw.objective == pytest.approx(ref.objective, rel=REL)
    families = {b["constraint"] for b in raw.binding}
    assert {"national_total", "capacity", "lock", "growth_limit", "shrink_limit"} <= families
    assert {"national_moves", "budget"} <= families
    assert not families & {"flow", "target_gap"}


# ------------------------------------------------------------------------------ structure


def test_pyomo_components_by_real_ids(random_7x10x5):
    d = random_7x10x5
    m = pyomo_backend.build_model(d, load_model(ROOT / "models" / "equity-first.toml"))
    assert list(m.R) == d.regions and list(m.S) == d.specialties and list(m.T) == d.years
    assert m._alloc_data is d
    for name in ("x", "inc", "dec", "short", "surplus", "z"):
        assert isinstance(m.find_component(name), pyo.Var)
    for name in V1_GROUPS:
        assert isinstance(m.find_component(name), pyo.Constraint), name
    r, s, t = d.regions[0], d.specialties[0], d.years[1]
    assert m.x[r, s, t].domain is pyo.NonNegativeReals
    assert len(m.national_total) == len(d.specialties) * len(d.years)
    assert len(m.region_net_loss) == len(d.regions) * len(d.years)
    assert list(m.budget) == [d.years[-1]]
    assert len(m.lock) == int(d.locked.sum())
    assert len(m.capacity_max) == int((d.has_capacity & np.isfinite(d.max_posts)).sum())
    assert len(m.capacity_min) == int((d.has_capacity & (d.min_posts > 0)).sum())


def test_pulp_rows_by_real_ids(random_7x10x5):
    d = random_7x10x5
    prob = pulp_backend.build_model(d, load_model(ROOT / "models" / "equity-first.toml"))
    assert prob._alloc_data is d
    assert isinstance(prob.x[(d.regions[0], d.specialties[0], d.years[0])], pulp.LpVariable)
    assert prob.z is not None
    assert set(prob.rows) == V1_GROUPS
    s, t = d.specialties[1], d.years[2]
    name = pulp_backend.row_name("national_total", (s, t))
    assert name == f"national_total_{s.replace('-', '_')},{t}_"  # as PuLP sanitises it
    assert prob.get_constraint_by_name(name) is prob.rows["national_total"][(s, t)]
    names = [c.name for c in prob.constraints()]
    assert len(names) == len(set(names))
    assert list(prob.rows["budget"]) == [(d.years[-1],)]


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
def test_optional_families_absent_when_not_asked(backend):
    """toy-2x1 has no limits, capacities, locks or budget; fair-share has no worst_shortfall."""
    native = backend.build_model(toy("toy-2x1"), DEFAULT_MODEL)
    present = {"national_total", "flow", "target_gap"}
    if backend is pyomo_backend:
        found = {n for n in ROW_GROUP_FAMILY if native.find_component(n) is not None}
        assert native.find_component("z") is None
    else:
        found = set(native.rows)
        assert native.z is None
    assert found == present


# ---------------------------------------------------------------------------- extensibility


def test_pyomo_extra_constraint_changes_optimum():
    m = pyomo_backend.build_model(toy("toy-2x1"), DEFAULT_MODEL)
    m.extra = pyo.Constraint(expr=m.x["north", "gp", 2025] <= 70)
    raw = pyomo_backend.solve_model(m, SolveOptions())
    # north 70 (5 short), south 30 (5 over), 50 posts moved each way: 10 + 0.01 · 100
    assert raw.status == "optimal"
    assert raw.objective == pytest.approx(11.0, rel=REL)
    np.testing.assert_allclose(raw.x.ravel(), [70, 30], atol=1e-6)
    assert pyo.value(m.x["north", "gp", 2025]) == pytest.approx(70)
    # one more post allowed in north: 1 less short, 1 less over, 2 fewer moves at 0.01
    assert m.dual[m.extra] == pytest.approx(-1.98, rel=REL)
    assert all(b["constraint"] in FAMILIES for b in raw.binding)


def test_pulp_extra_constraint_changes_optimum():
    prob = pulp_backend.build_model(toy("toy-2x1"), DEFAULT_MODEL)
    prob += prob.x[("north", "gp", 2025)] <= 70, "extra"
    raw = pulp_backend.solve_model(prob, SolveOptions())
    assert raw.status == "optimal"
    assert raw.objective == pytest.approx(11.0, rel=REL)
    np.testing.assert_allclose(raw.x.ravel(), [70, 30], atol=1e-6)
    assert prob.x[("north", "gp", 2025)].varValue == pytest.approx(70)
    assert prob.get_constraint_by_name("extra").pi == pytest.approx(-1.98, rel=REL)


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
def test_resolve_after_extension(backend):
    """A native model can be solved, extended and solved again."""
    native = backend.build_model(toy("toy-2x1"), DEFAULT_MODEL)
    first = backend.solve_model(native, SolveOptions())
    if backend is pyomo_backend:
        native.extra = pyo.Constraint(expr=native.x["south", "gp", 2025] >= 30)
    else:
        native += native.x[("south", "gp", 2025)] >= 30, "extra"
    second = backend.solve_model(native, SolveOptions())
    assert first.objective == pytest.approx(1.1)
    assert second.objective == pytest.approx(11.0)


def test_the_direct_model_keeps_one_copy_of_its_coefficients(random_7x10x5):
    """Issue 24: once HiGHS has the LP, the row blocks keep their bounds, labels and place, not
    the coefficients (HiGHS's copy is the one); the blocks still say where each family's rows are."""
    d = random_7x10x5
    m = highs_backend.build_model(d, DEFAULT_MODEL, with_z=True)
    assert m.blocks and all(b.rows is None and b.cols is None and b.vals is None for b in m.blocks)
    lp = m.highs.getLp()
    assert sum(b.size for b in m.blocks) == lp.num_row_
    assert np.array_equal(np.concatenate([b.lower for b in m.blocks]), np.asarray(lp.row_lower_))
    first = m.blocks[0]
    assert first.name == "national_total" and first.start == 0
    # its row (s, t) sums x over the regions: R coefficients 1 in row s·Y + t
    A = _csr(lp)
    row = A[first.size - 1]
    assert row.nnz == len(d.regions) and np.all(row.data == 1.0)


def _csr(lp):
    import scipy.sparse as sp

    a = lp.a_matrix_
    return sp.csc_matrix((a.value_, a.index_, a.start_), shape=(lp.num_row_, lp.num_col_)).tocsr()


# -------------------------------------------------------------------------------- duals


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
def test_binding_matches_highs_when_duals_are_unique(backend):
    """toy-shrink is non-degenerate: every backend reports the same binding rows and duals."""
    d = toy("toy-shrink")
    ref = solve(highs_backend, d).binding
    raw = solve(backend, d).binding

    def key(b):
        return tuple(sorted((k, v) for k, v in b.items() if k != "dual"))

    assert {key(b) for b in raw} == {key(b) for b in ref}
    ref_dual = {key(b): b["dual"] for b in ref}
    for b in raw:
        assert b["dual"] == pytest.approx(ref_dual[key(b)], rel=REL)
    shrink = [b for b in raw if b["constraint"] == "shrink_limit"]
    assert all(set(b) == {"constraint", "region", "specialty", "year", "dual"} for b in shrink)
    assert all(b["dual"] < 0 for b in shrink)  # a looser shrink limit lowers the optimum


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
def test_dual_is_change_per_unit_of_right_hand_side(backend):
    """national_moves of toy-3x2: its dual predicts the optimum after raising the limit."""
    data = toy_dict("toy-3x2")
    raw = solve(backend, problem_data(validate(data)))
    (moves,) = [b for b in raw.binding if b["constraint"] == "national_moves"]
    assert set(moves) == {"constraint", "year", "dual"}
    data["transition"]["max_national_moves"] += 0.5
    looser = solve(backend, problem_data(validate(data)))
    assert looser.objective - raw.objective == pytest.approx(0.5 * moves["dual"], rel=1e-6)
    assert moves["dual"] < 0


def _pyomo_rows(m):
    for con in m.component_data_objects(pyo.Constraint, active=True):
        constant = generate_standard_repn(con.body, compute_values=True).constant
        yield m.dual[con], con.lower, con.upper, constant


def _pulp_rows(prob):
    for row in prob.constraints():
        rhs = -row.constant
        yield row.pi, rhs, rhs, 0.0


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_strong_duality_with_reported_duals(backend, model, random_7x10x5):
    """With x >= 0 the only bounds, the optimum equals Σ dual · rhs over all rows: the duals
    are the optimum's derivatives w.r.t. the right-hand sides, whatever the degeneracy."""
    native = backend.build_model(random_7x10x5, load_model(model))
    raw = backend.solve_model(native, SolveOptions())
    rows = _pyomo_rows(native) if backend is pyomo_backend else _pulp_rows(native)
    total = 0.0
    for dual, lower, upper, constant in rows:
        if abs(dual) <= 1e-12:
            continue
        side = upper if dual < 0 else lower  # a <= row has dual <= 0, a >= row dual >= 0
        assert side is not None
        total += dual * (pyo.value(side) - constant)
    assert total == pytest.approx(raw.objective, rel=1e-6)


# ---------------------------------------------------------------------------- integer posts


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
@pytest.mark.parametrize("name", ["toy-shrink", "toy-3x2"])
def test_integer_mode_gives_whole_posts(backend, name):
    d = toy(name)
    ref = solve(highs_backend, d, integer=True)
    raw = solve(backend, d, integer=True)
    assert raw.status == "optimal"
    np.testing.assert_allclose(raw.x, np.round(raw.x), atol=1e-6)
    assert raw.objective == pytest.approx(ref.objective, rel=REL)
    assert raw.objective >= KNOWN_OPTIMUM[name] - 1e-9  # no better than the LP
    assert raw.mip_gap is not None and raw.mip_gap <= 1e-4
    assert raw.best_bound == pytest.approx(raw.objective, rel=1e-4)
    assert raw.binding == []


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
def test_integer_from_model_file(backend):
    spec = DEFAULT_MODEL.model_copy(update={"solve": DEFAULT_MODEL.solve.model_copy(update={"integer": True})})
    raw = solve(backend, toy("toy-shrink"), spec)
    assert raw.objective == pytest.approx(74.3, rel=REL)  # whole posts: south 72 then 65
    np.testing.assert_allclose(raw.x, [[[28, 35]], [[72, 65]]], atol=1e-6)


# ------------------------------------------------------------------------------- infeasible


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
@pytest.mark.parametrize("integer", [False, True], ids=["lp", "mip"])
def test_infeasible_is_a_status(backend, integer):
    """A lock above a capacity maximum (north gp <= 25) cannot be met."""
    data = toy_dict("toy-3x2")
    data["locks"].append({"region": "north", "specialty": "gp", "year": 2025, "posts": 30})
    d = problem_data(validate(data))
    raw = solve(backend, d, integer=integer)
    assert raw.status == "infeasible"
    assert raw.x is None and raw.objective is None and raw.binding == []


@pytest.mark.parametrize("backend", BACKENDS.values(), ids=BACKENDS)
def test_options_are_passed(backend, random_7x10x5):
    raw = solve(backend, random_7x10x5, options=SolveOptions(method="simplex", threads=1, time_limit=60))
    ref = solve(highs_backend, random_7x10x5)
    assert raw.status == "optimal"
    assert raw.objective == pytest.approx(ref.objective, rel=REL)


def test_highs_model_solved_twice_gets_its_own_time_limit():
    """HiGHS counts time_limit over every run of one object: each solve of a built model must
    get its limit counted from its own start, and a later solve without a limit must have none."""
    from allocator.study.generate import generate

    m = highs_backend.build_model(problem_data(generate(7, 10, 5, seed=1)), DEFAULT_MODEL)
    assert m.solve(SolveOptions(time_limit=10)).status == "optimal"
    used = m.highs.getRunTime()
    assert m.solve(SolveOptions(time_limit=10)).status == "optimal"
    limit = m.highs.getOptionValue("time_limit")
    limit = limit[1] if isinstance(limit, tuple) else limit  # highspy returns (status, value)
    assert limit == pytest.approx(used + 10, abs=0.5)
    assert m.solve(SolveOptions()).status == "optimal"
    limit = m.highs.getOptionValue("time_limit")
    assert (limit[1] if isinstance(limit, tuple) else limit) == float("inf")
