"""Build England under uncertainty (docs/model.md §12): ``england-pipeline-2025`` with a
``scenarios`` block, and a ranges file for ``allocator evaluate``.

    python instances/scenarios.py            # writes instances/england-pipeline-scenarios-2025.json
                                             # and instances/england-pipeline-ranges.toml
    python instances/scenarios.py --out DIR  # somewhere else

The instance is ``england-pipeline-2025.json`` unchanged (posts, population, pipeline rates,
sources) with ``schema_version`` 3 and five members, the first the central case:

- ``central`` (probability 0.5): the instance's own rates.
- ``low-retention`` (0.2): fewer doctors stay. The settle rate of the two most rural regions,
  South West and East of England, is :data:`RURAL_SETTLE` (every specialty), and every
  specialty's leave rate is :data:`LEAVE_LOW_RETENTION`.
- ``high-retention`` (0.1): every specialty's settle rate is :data:`SETTLE_HIGH` and its leave
  rate :data:`LEAVE_HIGH_RETENTION`.
- ``high-growth`` and ``low-growth`` (0.1 each): every region's growth since mid-2022 after the
  plan (from 2031) is :data:`GROWTH` times the principal projection's, ``1.5`` and ``0.5``
  (:func:`growth_factor`). A uniform scale of every region would move no share (fair stocks
  are shares of the national stock), so the members scale each region's own growth.

*Published*: about 80 % of specialty trainees settle within 50 miles of where they trained
(NHS England, source ``nhse-settle-2023``, the instance's settle rate 0.8); 81–88 % of doctors
are still in England five years on (GMC, source ``gmc-retention-five-years``). A five-year
retention ``q`` is the annual leave rate ``1 − q^(1/5)`` (a constant rate, the form of
docs/model.md §10): 88 % is 0.0252 a year, 81 % is 0.0413 (:func:`leave_rate`).
*Estimated* (source ``est-scenarios``, rules here): which regions are rural (the two with the
most rural population in ``instances/sources/rurality``, named in :data:`RURAL`), their settle
rate ten points below the published 80 %, the high settle rate five points above it, the
probabilities, and the population scales. Only the ONS principal (migration category) variant
of the 2022-based projections is vendored (``instances/sources/population_projections``), so
the high- and low-growth members are assumptions, not ONS variants: as ONS's high and low
migration variants do, they move the regions that grow most the most.

The ranges file draws the same quantities for ``allocator evaluate``: a
national settle rate, the rural regions' own settle rate, the leave rate over the GMC range,
the GP join rate between Palmer et al.'s 47 % (joined within a year) and 62 % (within two, the
instance's value), and each region's population after 2030 (one draw per region, between its
low- and high-growth factors of the horizon year, applied from 2031; :func:`ranges_text`).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = "england-pipeline-2025"
NAME = "england-pipeline-scenarios-2025"
RANGES_FILE = "england-pipeline-ranges.toml"

#: The published share settling near where they trained (NHS England), the instance's settle rate.
SETTLE_PUBLISHED = 0.8
#: The most rural regions: 30 % and 26 % of their Census 2021 residents live in rural LSOAs (ONS RUC 2021,
#: instances/sources/rurality, ICBs summed to regions), the two largest shares; the next is 20 %.
RURAL = ("south-west", "east-of-england")
#: Estimated: the rural regions' settle rate in the low-retention member, ten points below the published 80 %.
RURAL_SETTLE = 0.7
#: Estimated: every region's settle rate in the high-retention member, five points above it.
SETTLE_HIGH = 0.85
#: Published (GMC): the share of doctors still in England five years on, low and high.
RETENTION_FIVE_YEARS = (0.81, 0.88)
#: Assumed: each region's growth since mid-2022 times these in high-growth and low-growth.
GROWTH = {"high-growth": 1.5, "low-growth": 0.5}
#: The first year a population scale applies (the first after the planning years).
SCALE_FROM = 2031
PROBABILITIES = {"central": 0.5, "low-retention": 0.2, "high-retention": 0.1, "high-growth": 0.1, "low-growth": 0.1}


def leave_rate(retained_five_years: float) -> float:
    """The constant annual leave rate that keeps ``retained_five_years`` after five years,
    ``1 − q^(1/5)``, rounded to 4 decimals."""
    return round(1.0 - retained_five_years ** (1.0 / 5.0), 4)


LEAVE_LOW_RETENTION = leave_rate(RETENTION_FIVE_YEARS[0])  # 0.0413
LEAVE_HIGH_RETENTION = leave_rate(RETENTION_FIVE_YEARS[1])  # 0.0252


def growth_factor(base: float, projected: float, k: float) -> float:
    """The factor on a projected population ``projected`` that makes its growth since ``base``
    (the mid-2022 estimate) ``k`` times the projection's, ``(base + k · (projected − base)) /
    projected``, rounded to 4 decimals."""
    return round((base + k * (projected - base)) / projected, 4)


SOURCES = [
    {
        "id": "gmc-retention-five-years",
        "table": "Retention of doctors: the share still practising in England five years on (range over "
        "the routes and cohorts the GMC reports)",
        "publisher": "General Medical Council (workforce reports)",
        "year": "2024",
        "licence": "figures cited with attribution; no data copied",
        "kind": "published",
        "used_for": "scenarios: the leave rates of the low-retention and high-retention members; "
        "the leave_rate range of england-pipeline-ranges.toml",
        "note": f"81-88 % of doctors are still in England five years on. Annual leave rate = 1 - q^(1/5) "
        f"(constant rate, docs/model.md §10): q = 0.81 gives {LEAVE_LOW_RETENTION}, q = 0.88 gives "
        f"{LEAVE_HIGH_RETENTION} (instances/scenarios.py: leave_rate). The instance's own 0.04 (est-leave-rate) "
        "lies inside the range, near its low-retention end. The 81-88 % range is as quoted in the project's "
        "brief (NHS England and GMC evidence on where trainees settle and stay); the GMC table it comes from is "
        "not vendored here and its edition is to be confirmed, so treat the year as approximate.",
    },
    {
        "id": "est-scenarios",
        "table": "Scenario members and their probabilities; the ranges of england-pipeline-ranges.toml",
        "publisher": "this project (instances/scenarios.py)",
        "year": "2025",
        "licence": "MIT (this project's rule), applied to the data of the published entries under their licences",
        "kind": "estimated",
        "used_for": "scenarios: members, probabilities, region settle rates, population scales; the ranges file",
        "note": "Assumed, not published: probabilities central 0.5, low-retention 0.2, high-retention 0.1, "
        f"high-growth 0.1, low-growth 0.1; low-retention: the settle rate of {', '.join(RURAL)} (the most rural "
        "regions: 30 % and 26 % of residents in rural LSOAs, ONS RUC 2021 by ICB summed) "
        f"{RURAL_SETTLE}, ten points below the published 0.8 (nhse-settle-2023); high-retention: settle "
        f"rate {SETTLE_HIGH} everywhere, five points above it; high-growth and low-growth: from {SCALE_FROM}, "
        f"each region's growth since mid-2022 (ons-mid2022 to ons-snpp2022) {GROWTH['high-growth']:g} and "
        f"{GROWTH['low-growth']:g} times the principal projection's, factor (P2022 + k (Pt - P2022)) / Pt for "
        "each year t to the horizon, 4 decimals (instances/scenarios.py: growth_factor). Only the ONS principal "
        "projection is vendored (ons-snpp2022), so these scales are assumptions, not ONS variants. Ranges: "
        "settle 0.7-0.85 (mode 0.8) nationally and 0.6-0.8 (mode 0.7) in the rural regions, GP join 0.47-0.62 "
        "(Palmer et al.: joined within one and within two years, palmer-2025-gp-joiners), leave over the GMC "
        "range (gmc-retention-five-years), each region's population from 2031 between its low- and high-growth "
        "factors of the horizon year (mode 1).",
    },
]


def growth_factors(data: dict, k: float) -> dict[tuple[str, int], float]:
    """``{(region, year): factor}`` for the years from :data:`SCALE_FROM` to the horizon:
    :func:`growth_factor` of the region's mid-2022 population and its projection that year."""
    base = {r["id"]: r["population"] for r in data["regions"]}
    projected = {(e["region"], e["year"]): e["population"] for e in data["population_by_year"]}
    years = range(SCALE_FROM, data["pipeline"]["horizon_year"] + 1)
    return {(r, t): growth_factor(base[r], projected[r, t], k) for r in base for t in years}


def members(data: dict) -> list[dict]:
    """The five members for the instance ``data`` (its regions and specialties)."""
    specialties = [s["id"] for s in data["specialties"]]
    regions = {r["id"] for r in data["regions"]}
    assert set(RURAL) <= regions, sorted(set(RURAL) - regions)

    def scale(k: float) -> list[dict]:
        return [{"region": r, "year": t, "factor": f} for (r, t), f in growth_factors(data, k).items()]

    return [
        {"id": "central", "probability": PROBABILITIES["central"]},
        {
            "id": "low-retention",
            "probability": PROBABILITIES["low-retention"],
            "pipeline": {
                "specialties": [{"specialty": s, "leave_rate": LEAVE_LOW_RETENTION} for s in specialties],
                "settle_rate": [
                    {"region": r, "specialty": s, "rate": RURAL_SETTLE} for r in RURAL for s in specialties
                ],
            },
        },
        {
            "id": "high-retention",
            "probability": PROBABILITIES["high-retention"],
            "pipeline": {
                "specialties": [
                    {"specialty": s, "settle_rate": SETTLE_HIGH, "leave_rate": LEAVE_HIGH_RETENTION}
                    for s in specialties
                ]
            },
        },
        {
            "id": "high-growth",
            "probability": PROBABILITIES["high-growth"],
            "population_scale": scale(GROWTH["high-growth"]),
        },
        {
            "id": "low-growth",
            "probability": PROBABILITIES["low-growth"],
            "population_scale": scale(GROWTH["low-growth"]),
        },
    ]


def with_scenarios(data: dict) -> dict:
    """``england-pipeline-2025`` (its JSON data) with the scenarios block (module docstring)."""
    out = copy.deepcopy(data)
    assert {s["settle_rate"] for s in out["pipeline"]["specialties"]} == {SETTLE_PUBLISHED}
    out["schema_version"] = 3
    out["name"] = NAME
    out["description"] = (
        out["description"].rstrip()
        + " Under uncertainty (docs/model.md §12): five futures judged at once, central (0.5), low retention "
        "(0.2: rural South West and East of England settle 0.7, leave rate from the GMC's 81 % still in England "
        "five years on), high retention (0.1: settle 0.85, leave from the GMC's 88 %), high and low population "
        "growth after 2030 (0.1 each: each region's growth since 2022 1.5 and 0.5 times the ONS principal "
        "projection's, assumed); risk measure expected (instances/scenarios.py)."
    )
    out["scenarios"] = {"risk": "expected", "members": members(out)}
    out["sources"] = out["sources"] + SOURCES
    return out


def ranges_text(data: dict) -> str:
    """The ranges file for ``allocator evaluate`` (format: allocator.study.ranges)."""
    horizon = data["pipeline"]["horizon_year"]
    low, high = (growth_factors(data, GROWTH[m]) for m in ("low-growth", "high-growth"))
    text = f"""\
# Ranges of england-pipeline-2025's uncertain rates, for `allocator evaluate` (format: docs/robust.md).
# Built by instances/scenarios.py from the evidence of england-pipeline-scenarios-2025's members
# (sources nhse-settle-2023, gmc-retention-five-years, palmer-2025-gp-joiners, est-scenarios).
# One entry is one random number per draw for every cell it covers.
description = "England pipeline: published ranges of settle, GP join and leave rates; assumed population growth"

# Published: about 80 % settle within 50 miles of where they trained (NHS England);
# estimated: 0.7 to 0.85 around it.
[[settle_rate]]
min = 0.7
mode = {SETTLE_PUBLISHED}
max = {SETTLE_HIGH}
"""
    for r in RURAL:
        text += f"""
# Estimated: the rural {r}'s own settle rate, ten points lower (drawn on its own).
[[settle_rate]]
region = "{r}"
min = 0.6
mode = {RURAL_SETTLE}
max = {SETTLE_PUBLISHED}
"""
    text += f"""
# Published (Palmer et al. 2025): 47 % of GP completers joined NHS general practice within a
# year, 62 % within two (the instance's value).
[[join_rate]]
specialty = "general-practice"
min = 0.47
mode = 0.62
max = 0.62

# Published (GMC): 81-88 % still in England five years on; leave = 1 - q^(1/5).
# The mode is the instance's own 0.04.
[[leave_rate]]
min = {LEAVE_HIGH_RETENTION}
mode = 0.04
max = {LEAVE_LOW_RETENTION}

# Assumed (only the ONS principal projection is vendored): each region's population from {SCALE_FROM}
# between its low- and high-growth members' factors of {horizon} (growth since mid-2022 times
# {GROWTH["low-growth"]:g} and {GROWTH["high-growth"]:g}), one draw per region.
"""
    for r in dict.fromkeys(r for r, _ in low):
        text += f"""
[[population_scale]]
region = "{r}"
year = {SCALE_FROM}
min = {low[r, horizon]}
mode = 1.0
max = {high[r, horizon]}
"""
    return text


def build(folder: Path = HERE) -> list[Path]:
    """Write the instance and the ranges file into ``folder``; return their paths."""
    data = json.loads((HERE / f"{BASE}.json").read_text(encoding="utf-8"))
    path = Path(folder) / f"{NAME}.json"
    path.write_text(json.dumps(with_scenarios(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    ranges = Path(folder) / RANGES_FILE
    ranges.write_text(ranges_text(data), encoding="utf-8")
    return [path, ranges]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    for p in build(parser.parse_args().out):
        print(f"wrote {p}")
