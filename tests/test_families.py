"""The family table (allocator/core/families.py) and the rows every backend writes for it.

``EXPECTED`` holds, once, every row of every §5 family on a tiny hand-made instance, written
by hand from FORMULATION §5 (not dumped from a backend): coefficients by variable name, sense
and right-hand side. All three backends must produce exactly those rows (as Calliope tests
its math). Where the backends state a family differently (documented in docs/model.md and
the table's ``highs`` column), the readers below translate back to the family's rows:

- the direct HiGHS backend states ``capacity`` and ``lock`` as column bounds of ``x``: a
  bound of a capped or locked cell is read as that family's row;
- Pyomo and PuLP write ``capacity`` as ``capacity_min`` and ``capacity_max``: the two rows of
  one cell are read as one ranged row;
- PuLP has no two-sided rows: a ranged national total is ``Σ_r x − total = 0`` with ``total``
  bounded by the range, so ``total`` is replaced by ``Σ_r x`` (and its bounds become the row's).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import allocator
from allocator.core import families
from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL

DOCS = Path(__file__).resolve().parents[1] / "docs" / "model.md"

# 2 regions × 1 specialty × 2 years; every transition limit, a budget, a lock, capacity, a
# ranged national total (2026), shrink_allowance; need shares north 0.75, south 0.25.
TINY = {
    "schema_version": 2,
    "name": "tiny",
    "baseline_year": 2024,
    "years": [2025, 2026],
    "regions": [
        {"id": "north", "population": 300000, "need_index": 1.0},
        {"id": "south", "population": 100000, "need_index": 1.0},
    ],
    "specialties": [{"id": "gp", "programme_years": 4}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 60},
        {"region": "south", "specialty": "gp", "posts": 40},
    ],
    "national_posts": [
        {"specialty": "gp", "year": 2025, "posts": 100},
        {"specialty": "gp", "year": 2026, "min_posts": 90, "max_posts": 110},
    ],
    "capacity": [{"region": "north", "specialty": "gp", "year": 2026, "min_posts": 50, "max_posts": 80}],
    "locks": [{"region": "south", "specialty": "gp", "year": 2025, "posts": 35}],
    "cost_per_post": [
        {"region": "north", "specialty": "gp", "cost": 2},
        {"region": "south", "specialty": "gp", "cost": 3},
    ],
    "budget": [{"year": 2025, "amount": 400}],
    "transition": {
        "max_growth_rate": 0.1,
        "growth_allowance": 2,
        "max_shrink_rate": 0.2,
        "shrink_allowance": 1,
        "shrink_by_programme_length": True,
        "max_region_net_loss_rate": 0.05,
        "max_national_moves": 10,
    },
}
SPEC = DEFAULT_MODEL.model_copy(
    update={"objective": DEFAULT_MODEL.objective.model_copy(update={"worst_shortfall": 1.0})}
)
N, S = "north", "south"


def v(name: str, region: str, year: int) -> str:
    return f"{name}[{region},gp,{year}]"


def x(r, t):
    return v("x", r, t)


def inc(r, t):
    return v("inc", r, t)


def dec(r, t):
    return v("dec", r, t)


def short(r, t):
    return v("short", r, t)


def surplus(r, t):
    return v("surplus", r, t)


# family -> {row key: (coefficients, sense, right-hand side)}; a "range" has (lower, upper).
# x_prev is the baseline (north 60, south 40) in 2025, moved to the right-hand side.
EXPECTED: dict[str, dict[tuple, tuple[dict, str, object]]] = {
    "national_total": {
        ("gp", 2025): ({x(N, 2025): 1, x(S, 2025): 1}, "=", 100),
        ("gp", 2026): ({x(N, 2026): 1, x(S, 2026): 1}, "range", (90, 110)),
    },
    "capacity": {(N, "gp", 2026): ({x(N, 2026): 1}, "range", (50, 80))},
    "lock": {(S, "gp", 2025): ({x(S, 2025): 1}, "=", 35)},
    # x − x_prev = inc − dec
    "flow": {
        (N, "gp", 2025): ({x(N, 2025): 1, inc(N, 2025): -1, dec(N, 2025): 1}, "=", 60),
        (S, "gp", 2025): ({x(S, 2025): 1, inc(S, 2025): -1, dec(S, 2025): 1}, "=", 40),
        (N, "gp", 2026): ({x(N, 2026): 1, x(N, 2025): -1, inc(N, 2026): -1, dec(N, 2026): 1}, "=", 0),
        (S, "gp", 2026): ({x(S, 2026): 1, x(S, 2025): -1, inc(S, 2026): -1, dec(S, 2026): 1}, "=", 0),
    },
    # x − T = surplus − short; in 2026 (a range) T = share · Σ_r' x: north 0.75, south 0.25
    "target_gap": {
        (N, "gp", 2025): ({x(N, 2025): 1, surplus(N, 2025): -1, short(N, 2025): 1}, "=", 75),
        (S, "gp", 2025): ({x(S, 2025): 1, surplus(S, 2025): -1, short(S, 2025): 1}, "=", 25),
        (N, "gp", 2026): (
            {x(N, 2026): 1 - 0.75, x(S, 2026): -0.75, surplus(N, 2026): -1, short(N, 2026): 1},
            "=",
            0,
        ),
        (S, "gp", 2026): (
            {x(S, 2026): 1 - 0.25, x(N, 2026): -0.25, surplus(S, 2026): -1, short(S, 2026): 1},
            "=",
            0,
        ),
    },
    # inc ≤ 0.1 · x_prev + 2
    "growth_limit": {
        (N, "gp", 2025): ({inc(N, 2025): 1}, "<=", 0.1 * 60 + 2),
        (S, "gp", 2025): ({inc(S, 2025): 1}, "<=", 0.1 * 40 + 2),
        (N, "gp", 2026): ({inc(N, 2026): 1, x(N, 2025): -0.1}, "<=", 2),
        (S, "gp", 2026): ({inc(S, 2026): 1, x(S, 2025): -0.1}, "<=", 2),
    },
    # dec ≤ 0.2 · x_prev + 1
    "shrink_limit": {
        (N, "gp", 2025): ({dec(N, 2025): 1}, "<=", 0.2 * 60 + 1),
        (S, "gp", 2025): ({dec(S, 2025): 1}, "<=", 0.2 * 40 + 1),
        (N, "gp", 2026): ({dec(N, 2026): 1, x(N, 2025): -0.2}, "<=", 1),
        (S, "gp", 2026): ({dec(S, 2026): 1, x(S, 2025): -0.2}, "<=", 1),
    },
    # dec ≤ x_prev / 4
    "programme_shrink": {
        (N, "gp", 2025): ({dec(N, 2025): 1}, "<=", 15),
        (S, "gp", 2025): ({dec(S, 2025): 1}, "<=", 10),
        (N, "gp", 2026): ({dec(N, 2026): 1, x(N, 2025): -0.25}, "<=", 0),
        (S, "gp", 2026): ({dec(S, 2026): 1, x(S, 2025): -0.25}, "<=", 0),
    },
    # Σ_s (dec − inc) ≤ 0.05 · Σ_s x_prev
    "region_net_loss": {
        (N, 2025): ({dec(N, 2025): 1, inc(N, 2025): -1}, "<=", 0.05 * 60),
        (S, 2025): ({dec(S, 2025): 1, inc(S, 2025): -1}, "<=", 0.05 * 40),
        (N, 2026): ({dec(N, 2026): 1, inc(N, 2026): -1, x(N, 2025): -0.05}, "<=", 0),
        (S, 2026): ({dec(S, 2026): 1, inc(S, 2026): -1, x(S, 2025): -0.05}, "<=", 0),
    },
    # Σ_{r,s} dec ≤ 10
    "national_moves": {
        (2025,): ({dec(N, 2025): 1, dec(S, 2025): 1}, "<=", 10),
        (2026,): ({dec(N, 2026): 1, dec(S, 2026): 1}, "<=", 10),
    },
    # Σ_{r,s} c · x ≤ 400 (2025 only)
    "budget": {(2025,): ({x(N, 2025): 2, x(S, 2025): 3}, "<=", 400)},
    # 100 · short ≤ T̄ · z (T̄: north 75, south 25 in both years)
    "worst_shortfall": {
        (N, "gp", 2025): ({short(N, 2025): 100, "z": -75}, "<=", 0),
        (S, "gp", 2025): ({short(S, 2025): 100, "z": -25}, "<=", 0),
        (N, "gp", 2026): ({short(N, 2026): 100, "z": -75}, "<=", 0),
        (S, "gp", 2026): ({short(S, 2026): 100, "z": -25}, "<=", 0),
    },
}

INF = math.inf


def _bounds(sense: str, rhs) -> tuple[float, float]:
    return {"=": (rhs, rhs), "<=": (-INF, rhs), ">=": (rhs, INF)}.get(sense, rhs)


def _row(coefs: dict, lo: float, hi: float) -> tuple:
    """A row ``lo <= Σ coef · var <= hi`` in one form: zero terms dropped, the first variable's
    coefficient positive (a row and its negation are the same row), numbers rounded."""
    coefs = {k: float(c) for k, c in coefs.items() if c != 0}
    if coefs[min(coefs)] < 0:
        coefs, lo, hi = {k: -c for k, c in coefs.items()}, -hi, -lo
    return (tuple(sorted((k, round(c, 12)) for k, c in coefs.items())), round(float(lo), 9), round(float(hi), 9))


def expected(family: str) -> dict:
    return {key: _row(coefs, *_bounds(sense, rhs)) for key, (coefs, sense, rhs) in EXPECTED[family].items()}


@pytest.fixture(scope="module")
def data():
    return problem_data(allocator.validate(TINY))


#: The families of §10 and §11 (their hand-written rows are in test_families_workforce.py, read
#: by the same readers below) and those of §5.
WORKFORCE = ("stock_flow", "supply_gap", "worst_supply", "team_gap", "team_mix")
#: §12's risk rows: worked by hand on all three backends in test_scenarios.py.
SCENARIOS = ("scenario_risk",)
SECTION5 = tuple(n for n in families.NAMES if n not in WORKFORCE + SCENARIOS)


def test_every_family_has_expected_rows():
    assert set(EXPECTED) == set(SECTION5)
    assert set(EXPECTED) | set(WORKFORCE) | set(SCENARIOS) == set(families.NAMES)


# ------------------------------------------------------------------------------ readers


def column_name(d, v, j: int) -> str:
    """The name of column ``j`` of the direct backend's LP, as the algebraic models name it:
    ``x[north,gp,2025]``, ``stock[north,gp,2027]``, ``pool[gp,2026]``, ``team_short[t,north,2025]``, ``z``."""
    loc = v.locate(j)
    p = d.pipeline
    if loc.variable in v.CELL_VARIABLES:
        return f"{loc.variable}[{d.regions[loc.r]},{d.specialties[loc.s]},{d.years[loc.t]}]"
    if loc.variable == "stock":
        return f"stock[{d.regions[loc.r]},{d.specialties[loc.s]},{p.years[loc.t]}]"
    if loc.variable == "pool":
        return f"pool[{d.specialties[loc.s]},{p.years[loc.t]}]"
    if loc.variable == "stock_total":
        return f"stock_total[{d.specialties[loc.s]},{p.years[p.assess[loc.t]]}]"
    if loc.variable.startswith("supply_"):
        return f"{loc.variable}[{d.regions[loc.r]},{d.specialties[loc.s]},{p.years[p.assess[loc.t]]}]"
    if loc.variable.startswith("team_"):
        team = d.teams[loc.team]
        return f"{loc.variable}[{team.id},{d.regions[loc.r]},{team.years[loc.t]}]"
    return loc.variable  # z, z_supply


def highs_rows(d, spec=SPEC) -> dict:
    from allocator.model.backends.highs import build_model, row_ids

    m = build_model(d, spec, integer=False)
    lp = m.highs.getLp()
    v = m.columns
    A = np.zeros((lp.num_row_, lp.num_col_))
    start, index, value = (np.asarray(a) for a in (lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_))
    for j in range(lp.num_col_):
        for p in range(start[j], start[j + 1]):
            A[index[p], j] = value[p]
    names = [column_name(d, v, j) for j in range(v.n)]
    lo, hi = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    out: dict = {f: {} for f in families.NAMES}
    for b in m.blocks:
        for i in range(b.size):
            k = b.start + i
            key = tuple(row_ids(d, b.labels, i).values())
            out[b.name][key] = _row({names[j]: A[k, j] for j in np.flatnonzero(A[k])}, lo[k], hi[k])
    # capacity and lock: column bounds of x (the table's ``highs="column bounds"``)
    clo, chi = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    locked, capped = d.locked.ravel(), d.has_capacity.ravel()
    for k in range(v.K):
        key = (d.regions[v.r[k]], d.specialties[v.s[k]], d.years[v.t[k]])
        if locked[k] or capped[k]:
            out["lock" if locked[k] else "capacity"][key] = _row({names[v.x + k]: 1.0}, clo[v.x + k], chi[v.x + k])
    return out


def pyomo_rows(d, spec=SPEC) -> dict:
    import pyomo.environ as pyo
    from pyomo.repn import generate_standard_repn

    from allocator.model.backends.pyomo import build_model

    m = build_model(d, spec, integer=False)
    parts: dict = {}
    for group, family in families.ROW_GROUP_FAMILY.items():
        component = m.find_component(group)
        if component is None:
            continue
        for index, con in component.items():
            repn = generate_standard_repn(con.body)
            assert repn.is_linear()
            coefs: dict = {}
            for var, c in zip(repn.linear_vars, repn.linear_coefs, strict=True):
                name = var.parent_component().name
                idx = var.index()
                label = name if idx is None else f"{name}[{','.join(str(i) for i in idx)}]"
                coefs[label] = coefs.get(label, 0.0) + float(c)
            const = float(pyo.value(repn.constant))
            lo = -INF if con.lower is None else float(pyo.value(con.lower)) - const
            hi = INF if con.upper is None else float(pyo.value(con.upper)) - const
            key = index if isinstance(index, tuple) else (index,)
            parts.setdefault(family, {}).setdefault(key, []).append((coefs, lo, hi))
    return _merge(parts)


def pulp_rows(d, spec=SPEC) -> dict:
    import pulp

    from allocator.model.backends.pulp import build_model

    prob = build_model(d, spec, integer=False)
    total = {var.name: (s, t) for (s, t), var in prob.total.items()}
    # PuLP sanitises names (x[north,gp,2025] is stored as x_north,gp,2025_): name them again,
    # from every dict of variables the problem carries (x … surplus, and those of §10/§11)
    label = {}
    for name, value in vars(prob).items():
        if isinstance(value, pulp.LpVariable):
            label[value.name] = name  # z, z_supply
        elif name != "total" and not name.startswith("_") and isinstance(value, dict) and value:
            first = next(iter(value.values()))
            if isinstance(first, pulp.LpVariable):
                label.update({var.name: f"{name}[{','.join(str(i) for i in c)}]" for c, var in value.items()})

    def expand(coefs: dict) -> dict:
        """``total[s,t]`` replaced by ``Σ_r x[r,s,t]`` (the row national_total[s,t] says so)."""
        out: dict = {}
        for name, c in coefs.items():
            if name in total:
                s, t = total[name]
                for r in d.regions:
                    out[f"x[{r},{s},{t}]"] = out.get(f"x[{r},{s},{t}]", 0.0) + c
            else:
                out[label[name]] = out.get(label[name], 0.0) + c
        return out

    parts: dict = {}
    for group, family in families.ROW_GROUP_FAMILY.items():
        for key, con in prob.rows.get(group, {}).items():
            coefs = {var.name: float(c) for var, c in con.items()}
            rhs = -float(con.constant)
            lo, hi = {0: (rhs, rhs), -1: (-INF, rhs), 1: (rhs, INF)}[con.sense]
            ranged = [n for n in coefs if n in total]
            if family == "national_total" and ranged:  # Σ_r x − total = 0, min <= total <= max
                var = prob.total[total[ranged[0]]]
                coefs = {n: c for n, c in coefs.items() if n not in total}
                lo = -INF if var.lowBound is None else var.lowBound
                hi = INF if var.upBound is None else var.upBound
            parts.setdefault(family, {}).setdefault(key, []).append((expand(coefs), lo, hi))
    return _merge(parts)


def _merge(parts: dict) -> dict:
    """One row per key: ``capacity_min`` and ``capacity_max`` of one cell become one range."""
    out: dict = {f: {} for f in families.NAMES}
    for family, rows in parts.items():
        for key, pieces in rows.items():
            coefs = pieces[0][0]
            assert all(p[0] == coefs for p in pieces), (family, key)
            lo = max(p[1] for p in pieces)
            hi = min(p[2] for p in pieces)
            out[family][key] = _row(coefs, lo, hi)
    return out


READERS = {"highs": highs_rows, "pyomo": pyomo_rows, "pulp": pulp_rows}


@pytest.fixture(scope="module", params=sorted(READERS))
def rows(request, data):
    return request.param, READERS[request.param](data)


@pytest.mark.parametrize("family", SECTION5)
def test_backend_writes_the_expected_rows(rows, family):
    backend, got = rows
    want = expected(family)
    assert got[family] == want, f"{backend}: {family}"


# ------------------------------------------------------------------------------ the table


def test_docs_show_the_current_table():
    text = DOCS.read_text(encoding="utf-8")
    assert families.with_table(text) == text, "regenerate: python -m allocator.core.families docs/model.md"


def test_every_backend_has_one_builder_per_family():
    from allocator.model.backends import highs, pulp, pyomo

    for module in (highs, pyomo, pulp):
        assert tuple(module.BUILDERS) == families.NAMES
    with pytest.raises(RuntimeError, match="missing \\['budget'\\]"):
        families.check_builders({n: None for n in families.NAMES if n != "budget"}, "test")


def test_table_is_consistent():
    for f in families.FAMILIES:
        keys = {*families.CELL_KEYS, "team", "scenario"}
        assert f.sense in ("=", "<=", ">=", "range") and f.keys and set(f.keys) <= keys
        assert f.highs in ("rows", "column bounds")
        assert (f.penalty is None) == f.definition, f.name
        assert bool(f.words.rate) == (f.rate_field is not None or f.name == "programme_shrink"), f.name
        if not f.definition:
            assert f.words.shadow_up, f"{f.name}: a policy family needs a shadow-price sentence"
    assert families.words("national_total", ranged=True).noun == "national range"
    with pytest.raises(KeyError, match="no constraint family 'nope'"):
        families.family("nope")
