"""The rows of the §10 and §11 families on a tiny instance, written by hand from FORMULATION
(as tests/test_families.py does for §5), and the rows every backend writes for them.

TINY: 2 regions (north 300,000 people, south 100,000; need shares 0.75 / 0.25), 2 programmes,
baseline 2024, planning years 2025–2026, pipeline horizon 2027 (evaluation years 2025, 2026,
2027; assessed 2027):

- ``gp``: baseline north 60, south 40; delays 1 and 2 years, shares 0.5 / 0.5; completion 0.9,
  settle 0.8, join 1, leave 0.1; fill rate north 0.5 (south 1); stock north 10 in 2024.
- ``acp``: baseline 10 and 10; programme_years 1 (delay 1, share 1); every other default
  (completion 1, settle 0.8, join 1, leave 0).
- team ``t``: gp (equivalence 1) and acp (0.5, max_share 0.25); team need weights north 1,
  south 2, so team shares 0.6 / 0.4.

Worked out (K the completions per filled post of a planning year, C0 those of the baseline
intake; own = j·σ = 0.8, pooled = j·(1 − σ)·m = 0.15 north, 0.05 south):

- gp, 2025: both delays reach back before 2025: C0 = 0.9 · f · b = 27 north, 36 south;
  2026: delay 1 → 2025 (K = 0.45), delay 2 → 2024 (C0 = 0.45 · f · b = 13.5, 18);
  2027: delay 1 → 2026, delay 2 → 2025 (K = 0.45 each).
- stock_flow north gp 2025: S − 0.15 · P = 0.8 · 27 + 0.9 · 10 = 30.6; its x coefficient in
  2026 and 2027 is 0.8 · 0.5 · 0.45 = 0.18 (south: 0.8 · 1 · 0.45 = 0.36).
- pool gp 2026: P − 0.225 · x[north,2025] − 0.45 · x[south,2025] = 13.5 + 18 = 31.5.
- fair stock S̄* (every planning year at T̄: gp 75 / 25, acp 15 / 5): national gp stock
  72 (2025) → 124.425 (2026) → 0.9 · 124.425 + 33.75 + 22.5 = 168.2325 (2027), so
  S̄* = 126.174375 north, 42.058125 south; acp 20 → 40 → 60, S̄* = 45 and 15.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import allocator
from allocator.core import families
from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL

from .test_families import READERS as ALL_READERS
from .test_families import WORKFORCE, _row

TINY = {
    "schema_version": 2,
    "name": "tiny-workforce",
    "baseline_year": 2024,
    "years": [2025, 2026],
    "regions": [{"id": "north", "population": 300000}, {"id": "south", "population": 100000}],
    "specialties": [{"id": "gp", "programme_years": 2}, {"id": "acp", "programme_years": 1, "profession": "acp"}],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 60},
        {"region": "south", "specialty": "gp", "posts": 40},
        {"region": "north", "specialty": "acp", "posts": 10},
        {"region": "south", "specialty": "acp", "posts": 10},
    ],
    "pipeline": {
        "horizon_year": 2027,
        "specialties": [
            {
                "specialty": "gp",
                "completion_rate": 0.9,
                "delay_years": [1, 2],
                "delay_shares": [0.5, 0.5],
                "settle_rate": 0.8,
                "leave_rate": 0.1,
            }
        ],
        "fill_rate": [{"region": "north", "specialty": "gp", "rate": 0.5}],
        "stock": [{"region": "north", "specialty": "gp", "headcount": 10}],
        "assess_years": [2027],
    },
    "teams": [
        {
            "id": "t",
            "members": [{"specialty": "gp"}, {"specialty": "acp", "equivalence": 0.5, "max_share": 0.25}],
            "need_weights": [{"region": "north", "weight": 1}, {"region": "south", "weight": 2}],
        }
    ],
}
SPEC = DEFAULT_MODEL.with_weights(worst_supply=1.0, supply_shortfall=1.0, team_shortfall=1.0)
N, S = "north", "south"
SHARE = {N: 0.75, S: 0.25}
POOLED = {N: 0.15, S: 0.05}
INF = math.inf


def var(name, *idx):
    return f"{name}[{','.join(str(i) for i in idx)}]"


def stock_rows() -> dict:
    rows = {}
    x_coef = {N: 0.18, S: 0.36}  # 0.8 · f · 0.45
    c0 = {N: 27.0, S: 36.0}
    c0_2026 = {N: 13.5, S: 18.0}
    s0 = {N: 10.0, S: 0.0}
    for r in (N, S):
        rows[(r, "gp", 2025)] = (
            {var("stock", r, "gp", 2025): 1, var("pool", "gp", 2025): -POOLED[r]},
            "=",
            0.8 * c0[r] + 0.9 * s0[r],
        )
        rows[(r, "gp", 2026)] = (
            {
                var("stock", r, "gp", 2026): 1,
                var("stock", r, "gp", 2025): -0.9,
                var("x", r, "gp", 2025): -x_coef[r],
                var("pool", "gp", 2026): -POOLED[r],
            },
            "=",
            0.8 * c0_2026[r],
        )
        rows[(r, "gp", 2027)] = (
            {
                var("stock", r, "gp", 2027): 1,
                var("stock", r, "gp", 2026): -0.9,
                var("x", r, "gp", 2026): -x_coef[r],
                var("x", r, "gp", 2025): -x_coef[r],
                var("pool", "gp", 2027): -POOLED[r],
            },
            "=",
            0.0,
        )
        rows[(r, "acp", 2025)] = ({var("stock", r, "acp", 2025): 1, var("pool", "acp", 2025): -POOLED[r]}, "=", 8.0)
        for t in (2026, 2027):
            rows[(r, "acp", t)] = (
                {
                    var("stock", r, "acp", t): 1,
                    var("stock", r, "acp", t - 1): -1,
                    var("x", r, "acp", t - 1): -0.8,
                    var("pool", "acp", t): -POOLED[r],
                },
                "=",
                0.0,
            )
    # the pool rows: P[s,e] − Σ_r f · K · x = Σ_r C0
    rows[("gp", 2025)] = ({var("pool", "gp", 2025): 1}, "=", 63.0)
    rows[("gp", 2026)] = (
        {var("pool", "gp", 2026): 1, var("x", N, "gp", 2025): -0.225, var("x", S, "gp", 2025): -0.45},
        "=",
        31.5,
    )
    rows[("gp", 2027)] = (
        {
            var("pool", "gp", 2027): 1,
            var("x", N, "gp", 2026): -0.225,
            var("x", N, "gp", 2025): -0.225,
            var("x", S, "gp", 2026): -0.45,
            var("x", S, "gp", 2025): -0.45,
        },
        "=",
        0.0,
    )
    rows[("acp", 2025)] = ({var("pool", "acp", 2025): 1}, "=", 20.0)
    for t in (2026, 2027):
        rows[("acp", t)] = (
            {var("pool", "acp", t): 1, var("x", N, "acp", t - 1): -1, var("x", S, "acp", t - 1): -1},
            "=",
            0.0,
        )
    return rows


def supply_rows() -> dict:
    """``S − share · S_total − supply_surplus + supply_short = 0``, and the national stock rows
    ``S_total − Σ_r S = 0`` (keyed by specialty and year)."""
    rows = {}
    for s in ("gp", "acp"):
        for r in (N, S):
            rows[(r, s, 2027)] = (
                {
                    var("stock", r, s, 2027): 1,
                    var("stock_total", s, 2027): -SHARE[r],
                    var("supply_surplus", r, s, 2027): -1,
                    var("supply_short", r, s, 2027): 1,
                },
                "=",
                0.0,
            )
        rows[(s, 2027)] = (
            {var("stock_total", s, 2027): 1, var("stock", N, s, 2027): -1, var("stock", S, s, 2027): -1},
            "=",
            0.0,
        )
    return rows


def worst_rows() -> dict:
    bar = {(N, "gp"): 126.174375, (S, "gp"): 42.058125, (N, "acp"): 45.0, (S, "acp"): 15.0}
    return {
        (r, s, 2027): ({var("supply_short", r, s, 2027): 100, "z_supply": -b}, "<=", 0.0) for (r, s), b in bar.items()
    }


def team_rows() -> tuple[dict, dict]:
    share = {N: 0.6, S: 0.4}
    gap, mix = {}, {}
    for t in (2025, 2026):
        for r, other in ((N, S), (S, N)):
            gap[("t", r, t)] = (
                {
                    var("x", r, "gp", t): 1 - share[r],
                    var("x", r, "acp", t): 0.5 * (1 - share[r]),
                    var("x", other, "gp", t): -share[r],
                    var("x", other, "acp", t): -0.5 * share[r],
                    var("team_surplus", "t", r, t): -1,
                    var("team_short", "t", r, t): 1,
                },
                "=",
                0.0,
            )
            # 0.5 · x[acp] ≤ 0.25 · (x[gp] + 0.5 · x[acp])
            mix[("t", "acp", r, t)] = ({var("x", r, "acp", t): 0.375, var("x", r, "gp", t): -0.25}, "<=", 0.0)
    return gap, mix


EXPECTED = {
    "stock_flow": stock_rows(),
    "supply_gap": supply_rows(),
    "worst_supply": worst_rows(),
    "team_gap": team_rows()[0],
    "team_mix": team_rows()[1],
}
assert set(EXPECTED) == set(WORKFORCE)


def expected(family: str) -> dict:
    out = {}
    for key, (coefs, sense, rhs) in EXPECTED[family].items():
        lo, hi = {"=": (rhs, rhs), "<=": (-INF, rhs)}[sense]
        out[key] = _row(coefs, lo, hi)
    return out


@pytest.fixture(scope="module")
def data():
    return problem_data(allocator.validate(TINY))


def test_the_table_names_the_workforce_families():
    assert set(WORKFORCE) <= set(families.NAMES)
    assert families.family("stock_flow").groups == ("stock_flow", "stock_flow_pool")
    assert families.family("supply_gap").groups == ("supply_gap", "supply_gap_total")


def test_fair_stock_bar_by_hand(data):
    bar = data.pipeline.fair_stock_bar[:, :, -1]
    assert bar == pytest.approx(np.array([[126.174375, 45.0], [42.058125, 15.0]]))


READERS = {name: functools.partial(reader, spec=SPEC) for name, reader in ALL_READERS.items()}


@pytest.fixture(scope="module", params=sorted(READERS))
def rows(request, data):
    return request.param, READERS[request.param](data)


@pytest.mark.parametrize("family", WORKFORCE)
def test_backend_writes_the_expected_rows(rows, family):
    backend, got = rows
    want = expected(family)
    assert set(got[family]) == set(want), f"{backend} {family}: rows {sorted(set(got[family]) ^ set(want))}"
    for key, row in want.items():
        assert got[family][key] == row, f"{backend} {family}{key}"
