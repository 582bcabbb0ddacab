"""Synthetic instances that look like the real thing, valid by construction.

``generate(regions, specialties, years, seed)`` makes an instance with:

- populations log-normal around 1.3 million, need indices in [0.85, 1.15];
- specialties of very different sizes (national totals log-uniform from 10 to 3,000 posts),
  need weights near 1 with a few age-driven specialties further from it;
- a *skewed historical baseline*: each region's share of posts is its share of need tilted by
  a region-level "historical advantage" factor (log-normal, σ = 0.35), so the first regions
  are not the lucky ones by construction; whole posts by largest remainder per specialty;
- national totals growing 0–2% a year; capacity [0.6 · baseline, 1.6 · baseline + 5]
  (always above baseline); every transition limit (growth 10% + 2, shrink 5%, regional net
  loss 3%, national moves 4% of all posts); costs per post 0.8–1.4, a budget 3% above the
  cost of the baseline.

Feasible unless ``infeasible=True`` (then one specialty's national total exceeds the sum of
its capacities in the last year). The same seed always gives the same instance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.apportion.divisors import divisor
from allocator.core.instance import Instance
from allocator.core.validate import validate


def generate(
    regions: int = 7,
    specialties: int = 10,
    years: int = 5,
    seed: int = 0,
    *,
    infeasible: bool = False,
    name: str | None = None,
) -> Instance:
    """A realistic synthetic instance of ``regions × specialties × years`` (see module doc)."""
    if min(regions, specialties, years) < 1:
        raise ValueError("regions, specialties and years must each be at least 1")
    rng = np.random.default_rng(seed)
    R, S, Y = regions, specialties, years
    rid = [f"r{i:03d}" for i in range(R)]
    sid = [f"s{j:02d}" for j in range(S)]
    pop = np.round(rng.lognormal(np.log(1.3e6), 0.5, R), -2)
    need = np.round(rng.uniform(0.85, 1.15, R), 4)
    size = np.round(np.exp(rng.uniform(np.log(10), np.log(3000), S))).astype(int)
    weight = np.round(np.clip(rng.normal(1.0, 0.08, (R, S)), 0.6, 1.5), 4)
    advantage = rng.lognormal(0.0, 0.35, R)
    base = np.zeros((R, S), int)
    for s in range(S):
        base[:, s] = divisor(pd.Series(pop * need * weight[:, s] * advantage), int(size[s]), "hamilton", ties="report")
    growth = rng.uniform(0.0, 0.02, S)
    baseline_year = 2025
    ys = list(range(baseline_year + 1, baseline_year + 1 + Y))
    national = np.round(size[:, None] * (1 + growth[:, None]) ** np.arange(1, Y + 1)[None, :])
    cap_lo = np.floor(0.6 * base)
    cap_hi = np.ceil(1.6 * base + 5)
    if infeasible:
        national[0, -1] = cap_hi[:, 0].sum() + 10
    cost = np.round(rng.uniform(0.8, 1.4, (R, S)), 3)
    data = {
        "schema_version": 1,
        "name": name or f"synthetic-{R}x{S}x{Y}-seed{seed}",
        "description": "Synthetic instance from allocator.generate (see its docstring for the rules).",
        "baseline_year": baseline_year,
        "years": ys,
        "regions": [
            {"id": rid[i], "name": f"Region {i}", "population": float(pop[i]), "need_index": float(need[i])}
            for i in range(R)
        ],
        "specialties": [
            {"id": sid[j], "name": f"Specialty {j}", "programme_years": int(rng.integers(2, 7))} for j in range(S)
        ],
        "baseline_posts": [
            {"region": rid[i], "specialty": sid[j], "posts": float(base[i, j])} for i in range(R) for j in range(S)
        ],
        "national_posts": [
            {"specialty": sid[j], "year": ys[t], "posts": float(national[j, t])} for j in range(S) for t in range(Y)
        ],
        "need_weights": [
            {"region": rid[i], "specialty": sid[j], "weight": float(weight[i, j])} for i in range(R) for j in range(S)
        ],
        "capacity": [
            {"region": rid[i], "specialty": sid[j], "min_posts": float(cap_lo[i, j]), "max_posts": float(cap_hi[i, j])}
            for i in range(R)
            for j in range(S)
        ],
        "cost_per_post": [
            {"region": rid[i], "specialty": sid[j], "cost": float(cost[i, j])} for i in range(R) for j in range(S)
        ],
        "budget": [
            {
                "year": ys[t],
                "amount": float(np.round(1.03 * (cost * base).sum() * national[:, t].sum() / size.sum(), 1)),
            }
            for t in range(Y)
        ],
        "transition": {
            "max_growth_rate": 0.10,
            "growth_allowance": 2.0,
            "max_shrink_rate": 0.05,
            "max_region_net_loss_rate": 0.03,
            "max_national_moves": float(np.ceil(0.04 * size.sum())),
        },
    }
    return validate(data, source=str(data["name"]))
