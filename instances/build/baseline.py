"""The estimated baseline, capacity and transition limits (rules, not published figures)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from .common import Sources, largest_remainder, round_half_up
from .geography import LOCAL_OFFICES
from .posts import PAEDIATRICS_BASELINE_ROUND, SKEW_ROUNDS

# --------------------------------------------------------------------------- estimates

CAPACITY_MIN_FACTOR = Fraction(6, 10)  # min_posts = floor(0.6 · baseline)
CAPACITY_MAX_FACTOR = Fraction(3, 2)  # max_posts = ceil(1.5 · baseline + 5)
CAPACITY_MAX_SLACK = 5

# Illustrative policy parameters (not published): docs/model.md §5.
TRANSITION = {
    "max_growth_rate": 0.10,
    "growth_allowance": 2,
    "max_shrink_rate": 0.05,
    # one post a year may always go (schema v2): in whole posts 5 % alone freezes every cell
    # under 20 posts (see instances/README.md)
    "shrink_allowance": 1,
    "max_region_net_loss_rate": 0.03,
}
NATIONAL_MOVES_RATE = Fraction(3, 100)  # max_national_moves = round(3 % of all posts)


def office_shares(src: Sources) -> dict[str, Fraction]:
    """Each local office's share of the paediatrics ST1 posts of the 2023 and 2024 rounds
    pooled (the only CT1/ST1 specialty with a published split by office)."""
    pooled = {office: sum(src.paediatrics_by_office[y][office] for y in SKEW_ROUNDS) for _, office in LOCAL_OFFICES}
    total = sum(pooled.values())
    return {office: Fraction(p, total) for office, p in pooled.items()}


def local_office_baseline(
    src: Sources, specialties: list[tuple[str, str]], national: dict[str, int]
) -> dict[tuple[str, str], int]:
    """Baseline posts by (local office name, specialty id).

    Paediatrics: the published 2024-round posts of each office. Every other specialty s:
    N[s] × the office's paediatrics share (:func:`office_shares`), made whole posts by largest
    remainder so that the offices add up to N[s] exactly."""
    shares = office_shares(src)
    out: dict[tuple[str, str], int] = {}
    for sid, _ in specialties:
        if sid == "paediatrics":
            whole = dict(src.paediatrics_by_office[PAEDIATRICS_BASELINE_ROUND])
        else:
            whole = largest_remainder({o: national[sid] * shares[o] for o in shares}, national[sid])
        for office, posts in whole.items():
            out[(office, sid)] = posts
    return out


def icb_baseline(
    src: Sources, specialties: list[tuple[str, str]], by_office: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """Baseline posts by (ICB ODS code, specialty id): each office's baseline of s split over
    its ICBs in proportion to need-weighted population (ONS mid-2022 residents × 2025/26 core
    need index), whole posts by largest remainder within the office. Straddling ICBs count
    whole in the office they are assigned to."""
    out: dict[tuple[str, str], int] = {}
    for _, office in LOCAL_OFFICES:
        members = [a for a in src.icbs if a.office == office]
        wpop = sum((a.weighted_population for a in members), Fraction(0))
        for sid, _ in specialties:
            posts = by_office[(office, sid)]
            quotas = {a.id: posts * a.weighted_population / wpop for a in members}
            out.update({(icb, sid): n for icb, n in largest_remainder(quotas, posts).items()})
    return out


def region_baseline(
    src: Sources, specialties: list[tuple[str, str]], by_icb: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """Baseline posts by (NHS England region name, specialty id): the sum of its ICBs'
    baselines (:func:`icb_baseline`). Every office lies within one region except Wessex
    (Hampshire and Isle of Wight: South East; Dorset: South West), which is thereby split by
    need-weighted population."""
    out: dict[tuple[str, str], int] = {}
    for a in src.icbs:
        for sid, _ in specialties:
            key = (a.region, sid)
            out[key] = out.get(key, 0) + by_icb[(a.id, sid)]
    return out


def capacity_bounds(baseline: int) -> tuple[int, int]:
    """Estimated capacity of a cell: min_posts = floor(0.6 · baseline) and
    max_posts = ceil(1.5 · baseline + 5). The baseline lies inside, so keeping it is feasible."""
    lo = math.floor(CAPACITY_MIN_FACTOR * baseline)
    hi = math.ceil(CAPACITY_MAX_FACTOR * baseline + CAPACITY_MAX_SLACK)
    return lo, hi


def transition_limits(national_total: int) -> dict[str, Any]:
    """Illustrative policy parameters (TRANSITION) plus max_national_moves = 3 % of all posts
    (rounded half up). With national totals held constant, keeping the baseline satisfies them."""
    return TRANSITION | {"max_national_moves": round_half_up(NATIONAL_MOVES_RATE * national_total)}
