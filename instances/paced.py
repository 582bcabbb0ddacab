"""Build the paced variants of the England instances (docs/model.md §5b).

    python instances/paced.py            # writes instances/england-{regions,icb}-paced-2025.json
    python instances/paced.py --out DIR  # somewhere else

Each is the unpaced instance (``england-regions-2025.json``, ``england-icb-2025.json``) with the
three pacing inputs of schema_version 3, the way NHS England paces its Distribution of Medical
Specialty Training programme:

- ``phases``: obstetrics and gynaecology moves from the first planning year (2026); the other
  programmes move in three later phases (2027, 2028, 2029). *Published*: the programme began in
  August 2022 with obstetrics and gynaecology, cardiology and haematology, and plans to move most
  of the remaining specialties in three phases over the following seven years (NHS England,
  source ``nhse-distribution-phases``). Cardiology and haematology are higher specialties, not
  among the 12 entry programmes of these instances. *Assumed* (source ``est-pacing``): which
  programme is in which later phase, and the phase years.
- ``transition_by_specialty``: general practice is held harmless, ``max_shrink_rate: 0`` and
  ``shrink_allowance: 0`` in every year (no region loses GP posts). *Assumed*.
- ``floors``: a convergence path for every region's total over all specialties (``level``
  region): from 2028, when most programmes move, each region closes at least
  :data:`CONVERGENCE` of its baseline shortfall against its fair share a year. *Assumed*: the
  principle (areas furthest below target brought toward it on a path) is NHS England's for its
  funding allocations; the rate and the start are ours. From 2026, with only obstetrics and
  gynaecology moving, no region can close 5 % of its shortfall a year: the instance would be
  infeasible, and its diagnosis says which limits stand in the way.

Everything else (populations, need, baseline, national totals, capacity, global transition
limits, sources) is the unpaced instance's, unchanged.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The phase of each programme: its first year of moving posts.
PHASES = {
    "obstetrics-gynaecology": 2026,  # published: in the first phase (August 2022), so moving from the first year
    "anaesthetics": 2027,
    "core-psychiatry": 2027,
    "internal-medicine": 2027,
    "paediatrics": 2027,
    "accs-emergency-medicine": 2028,
    "clinical-radiology": 2028,
    "core-surgery": 2028,
    "histopathology": 2028,
    "ophthalmology": 2029,
    "public-health": 2029,
}
HELD_HARMLESS = "general-practice"
#: The share of a region's baseline shortfall closed at least each year (docs/model.md §5b ρ).
CONVERGENCE = 0.1
FIRST_YEAR = 2028

SOURCES = [
    {
        "id": "nhse-distribution-phases",
        "table": "Closing the gap: the distribution of postgraduate medical specialty training posts to narrow "
        "health inequalities (conference abstract, Popul. Med. 2023;5(Supplement):A739)",
        "publisher": "NHS England",
        "year": "2023",
        "licence": "quoted for two facts only (dates), not vendored",
        "kind": "published",
        "used_for": "phases: the programme began in August 2022 with obstetrics and gynaecology (with cardiology and "
        "haematology), and plans to move most remaining specialties in 3 phases over the next 7 years",
        "url": "http://www.populationmedicine.eu/Closing-the-gap-the-distribution-of-postgraduate-medical-specialty"
        "-training-posts,163686,0,2.html",
    },
    {
        "id": "est-pacing",
        "table": "rule in instances/paced.py",
        "publisher": "allocator",
        "year": "2025",
        "licence": "MIT",
        "kind": "estimated",
        "used_for": "phases of the programmes other than obstetrics and gynaecology, general practice held "
        "harmless, the regions' convergence path",
        "note": "assumed, not published: phases 2027 (anaesthetics, core psychiatry, internal medicine, "
        "paediatrics), 2028 (ACCS emergency medicine, clinical radiology, core surgery, histopathology), 2029 "
        "(ophthalmology, public health); general practice max_shrink_rate 0 and shrink_allowance 0 in every "
        f"year; every region closes at least {CONVERGENCE:g} of its baseline shortfall of all posts a year "
        f"from {FIRST_YEAR}",
    },
]


def paced(data: dict) -> dict:
    """The paced variant of one unpaced England instance (its JSON data)."""
    out = copy.deepcopy(data)
    ids = {s["id"] for s in out["specialties"]}
    assert set(PHASES) | {HELD_HARMLESS} == ids, sorted(ids ^ (set(PHASES) | {HELD_HARMLESS}))
    out["schema_version"] = 3
    out["name"] = out["name"].replace("-2025", "-paced-2025")
    out["description"] = (
        out["description"].rstrip()
        + " Paced as NHS England paces its redistribution (docs/model.md §5b): obstetrics and gynaecology moves "
        "from 2026 and the other programmes in later phases, general practice is held harmless, and every region "
        f"follows a convergence path to its fair share from {FIRST_YEAR} (instances/paced.py)."
    )
    out["phases"] = [{"specialty": s, "from_year": y} for s, y in PHASES.items()]
    # both fields: the global shrink_allowance (1 post) would otherwise still let a cell lose a post
    out["transition_by_specialty"] = [{"specialty": HELD_HARMLESS, "max_shrink_rate": 0.0, "shrink_allowance": 0.0}]
    out["floors"] = [{"convergence": CONVERGENCE, "from_year": FIRST_YEAR, "level": "region"}]
    out["sources"] = out["sources"] + SOURCES
    return out


def build(folder: Path = HERE) -> list[Path]:
    written = []
    for name in ("england-regions-2025", "england-icb-2025"):
        data = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
        path = Path(folder) / f"{name.replace('-2025', '-paced-2025')}.json"
        path.write_text(json.dumps(paced(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def measures(path: Path) -> dict[str, float]:
    """What the README compares, for one instance under the default model: the gap closed by the
    last year (%), posts moved (all years, and in the first year), general-practice posts lost
    (all years), and the lowest region's posts as a share of its fair share in the last year (%)."""
    import numpy as np

    import allocator
    from allocator.core.data import problem_data

    inst = allocator.load_instance(path)
    result = allocator.solve(inst)
    d = problem_data(inst)
    x = result.posts_array(d)
    prev = np.concatenate([d.baseline[:, :, None], x[:, :, :-1]], axis=2)
    lost = np.maximum(prev - x, 0.0)
    kpis = result.to_dict()["kpis"]
    fair = d.target_of(x)
    gp = d.specialties.index(HELD_HARMLESS)
    return {
        "gap closed by 2030": kpis[-1]["gap_closed_pct"],
        "posts moved, all years": sum(k["posts_moved"] for k in kpis),
        "posts moved in 2026": kpis[0]["posts_moved"],
        "general-practice posts lost": float(lost[:, gp, :].sum()),
        "lowest region, % of its fair share in 2030": float(100 * (x[:, :, -1].sum(1) / fair[:, :, -1].sum(1)).min()),
    }


def readme_table(folder: Path = HERE) -> str:
    """The README's table: each England instance unpaced and paced (default model, direct HiGHS)."""
    head = (
        "| measure | "
        + " | ".join(f"`{n}-2025` | `{n}-paced-2025`" for n in ("england-regions", "england-icb"))
        + " |\n"
    )
    head += "|---|" + "---|" * 4 + "\n"
    cols = [
        measures(Path(folder) / f"{n}.json")
        for n in ("england-regions-2025", "england-regions-paced-2025", "england-icb-2025", "england-icb-paced-2025")
    ]
    lines = []
    for key in cols[0]:
        unit = " %" if "%" in key or "gap" in key else ""
        lines.append(f"| {key} | " + " | ".join(f"{c[key]:,.1f}{unit}" for c in cols) + " |")
    return head + "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    for p in build(parser.parse_args().out):
        print(f"wrote {p}")
