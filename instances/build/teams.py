"""Teams and skill mix (docs/model.md §11): non-medical programmes, costs, budget and teams,
and their ``sources`` entries."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .common import BASELINE_YEAR, OWN, PLANNING_YEARS, Area, largest_remainder, r4, round_half_up
from .entries import entry
from .weights import need_weight

# --------------------------------------------------------------------------- teams (§11)

# Non-medical training programmes: id, name, profession, England baseline posts a year, national
# range (min, max), need-weight rule (None: weight 1). Illustrative estimates, not published.
TEAM_PROGRAMMES = [
    ("acp-primary-care", "Advanced clinical practitioner (primary care)", "acp", 600, (500, 1000), "pmc"),
    ("pharmacist-primary-care", "Clinical pharmacist (primary care)", "pharmacist", 800, (600, 1200), "pmc"),
    ("surgical-care-practitioner", "Surgical care practitioner", "scp", 120, (80, 250), None),
]
# Illustrative cost per training post a year, £ thousand: a medical post, then by profession.
COST_PER_POST = {"medicine": 60, "acp": 30, "pharmacist": 20, "scp": 30}
BUDGET_GROWTH = Fraction(1, 100)  # budget[t] = baseline cost × (1 + 1 % × (t − 2025))
# Teams: id, name, members (specialty, equivalence, max_share), need-weight rule of the team.
TEAMS = [
    (
        "primary-care",
        "Primary care team",
        [
            ("general-practice", Fraction(1), None),
            ("acp-primary-care", Fraction(6, 10), Fraction(25, 100)),
            ("pharmacist-primary-care", Fraction(4, 10), Fraction(20, 100)),
        ],
        "pmc",
    ),
    (
        "surgical",
        "Surgical team",
        [("core-surgery", Fraction(1), None), ("surgical-care-practitioner", Fraction(1, 2), Fraction(25, 100))],
        None,
    ),
]


def team_programme_baseline(areas: list[Area], rule: str | None, total: int) -> dict[str, int]:
    """Baseline posts of a non-medical programme by region: the England baseline (illustrative)
    split in proportion to need (population × need index × the rule's weight, mid-2022), whole
    posts by largest remainder."""
    need = {a.id: a.weighted_population * (1 if rule is None else need_weight(rule, a, areas)) for a in areas}
    whole = sum(need.values(), Fraction(0))
    return largest_remainder({k: total * v / whole for k, v in need.items()}, total)


def teams_blocks(
    areas: list[Area], baseline: dict[tuple[str, str], int], professions: dict[str, str]
) -> dict[str, Any]:
    """``national_posts`` ranges, ``cost_per_post``, ``budget`` and ``teams`` of the teams
    instance (illustrative estimates; rules in the constants TEAM_PROGRAMMES, COST_PER_POST,
    BUDGET_GROWTH and TEAMS). The budget of year t is the baseline cost × (1 + 1 % × (t − 2025)),
    rounded half up to £ thousand."""
    national = [
        {"specialty": sid, "year": y, "min_posts": lo, "max_posts": hi}
        for sid, _, _, _, (lo, hi), _ in TEAM_PROGRAMMES
        for y in PLANNING_YEARS
    ]
    costs = [{"region": rid, "specialty": sid, "cost": COST_PER_POST[professions[sid]]} for (rid, sid) in baseline]
    base_cost = sum(COST_PER_POST[professions[sid]] * b for (_, sid), b in baseline.items())
    budget = [
        {"year": y, "amount": round_half_up(base_cost * (1 + BUDGET_GROWTH * (y - BASELINE_YEAR)))}
        for y in PLANNING_YEARS
    ]
    teams = []
    for tid, name, members, rule in TEAMS:
        team: dict[str, Any] = {"id": tid, "name": name, "members": []}
        for sid, eq, cap in members:
            m: dict[str, Any] = {"specialty": sid, "equivalence": r4(eq)}
            if cap is not None:
                m["max_share"] = r4(cap)
            team["members"].append(m)
        if rule is not None:
            team["need_weights"] = [{"region": a.id, "weight": r4(need_weight(rule, a, areas))} for a in areas]
        teams.append(team)
    return {"national_posts": national, "cost_per_post": costs, "budget": budget, "teams": teams}


# --------------------------------------------------------------------------- aggregation


def teams_source_entries() -> list[dict[str, str]]:
    """The ``sources`` entries of the non-medical programmes, costs, budget and teams."""
    progs = "; ".join(
        f"{sid} ({prof}): baseline {b:,} a year, range {lo:,}-{hi:,}"
        for sid, _, prof, b, (lo, hi), _ in TEAM_PROGRAMMES
    )
    team_text = "; ".join(
        f"{tid}: "
        + ", ".join(
            f"{sid} {float(eq):g}" + ("" if cap is None else f" (max share {float(cap):g})") for sid, eq, cap in members
        )
        for tid, _, members, _ in TEAMS
    )
    return [
        entry(
            id="est-team-programmes",
            table="Non-medical training programmes: national posts a year and their regional baseline",
            publisher="this project (instances/build.py: TEAM_PROGRAMMES, team_programme_baseline)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="specialties (profession acp, pharmacist, scp); their baseline_posts, "
            "national_posts (ranges) and capacity",
            note=f"Illustrative, not published: {progs}. Baseline by region = the national "
            "baseline split by need-weighted population (ONS mid-2022 × need index × weight: the "
            "primary medical care weight for primary-care programmes, 1 otherwise), whole posts by "
            "largest remainder. Capacity by the rule of est-capacity.",
        ),
        entry(
            id="est-costs",
            table="Cost per training post a year (£ thousand) and the annual budget",
            publisher="this project (instances/build.py: COST_PER_POST, BUDGET_GROWTH, teams_blocks)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="cost_per_post, budget",
            note="Illustrative, not published: "
            + ", ".join(f"{k} {v}" for k, v in COST_PER_POST.items())
            + " (£ thousand per post a year, every region). Budget of year t = the baseline cost "
            f"× (1 + {float(BUDGET_GROWTH):.0%} × (t − {BASELINE_YEAR})), rounded half up.",
        ),
        entry(
            id="est-teams",
            table="Teams: equivalences and substitution limits",
            publisher="this project (instances/build.py: TEAMS)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="teams (members' equivalence and max_share, team need weights)",
            note=f"Illustrative, not published: {team_text}. The primary-care team's need weights "
            "are the general-practice weights (primary medical care index ÷ core index); the "
            "surgical team's are 1. Substitution is capped by max_share because associate and "
            "advanced-practice roles work under a senior doctor and do not replace doctors (the "
            "Leng review of physician and anaesthesia associates, 2025, for associate roles); the "
            "equivalences say how much need one post covers, not that one role replaces another.",
        ),
    ]


# --------------------------------------------------------------------------- instances
