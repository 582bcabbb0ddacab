"""Build the two example workbooks an analyst starts from.

    python instances/template.py          # writes instances/template.xlsx and instances/template-workforce.xlsx
    python instances/template.py FOLDER   # the same two files in FOLDER

``template.xlsx`` (:data:`TEMPLATE`) is a simple study, filled in as a small worked example:
regions, specialties, baseline posts, a national total, a population projection, capacity, a
lock, the transition limits and a source. Every optional sheet (need weights, cost per post,
budget, the workforce pipeline and stock, teams) is there with its header row and no rows:
an empty sheet is an empty list, so that block is off. Fill one in to switch it on.

``template-workforce.xlsx`` (:data:`WORKFORCE`) is the same study with every advanced block
switched on: a third, non-medical profession (advanced clinical practice), a ranged national
total, need weights, costs and a budget, the training pipeline with its trained stock
(docs/model.md §10), a team (§11) and pacing (§5b: a phase, a limit by specialty, a floor).

Both are written by :func:`allocator.io.table_write.write_tables`, so they have every sheet
the loaders read: a readme, the ``instance`` sheet with a meaning for each field, one sheet per
list. ``tests/test_template.py`` checks that the committed workbooks load to the instances
built here, validate and solve.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

REGIONS = ("north", "middle", "south")
HERE = Path(__file__).resolve().parent

TEMPLATE = {
    "schema_version": 2,
    "name": "template",
    "description": "A small worked example to start from: replace the rows of each sheet with your own (sheet readme "
    "says what each holds), then run: allocator validate template.xlsx. The optional sheets (need_weights, "
    "cost_per_post, budget, pipeline_specialties, fill_rate, stock, settle_rate, teams, team_members, "
    "team_need_weights, need_factors, need_values) are empty, so those blocks are off; template-workforce.xlsx "
    "shows each of them filled in.",
    "baseline_year": 2024,
    "years": [2025, 2026],
    "regions": [
        {"id": "north", "name": "North", "population": 1200000, "need_index": 1.1},
        {"id": "middle", "name": "Middle", "population": 900000},
        {"id": "south", "name": "South", "population": 1500000, "need_index": 0.95},
    ],
    "specialties": [
        {"id": "gp", "name": "General practice", "programme_years": 3},
        {"id": "psych", "name": "Psychiatry", "programme_years": 6},
    ],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 90},
        {"region": "middle", "specialty": "gp", "posts": 80},
        {"region": "south", "specialty": "gp", "posts": 150},
        {"region": "north", "specialty": "psych", "posts": 20},
        {"region": "middle", "specialty": "psych", "posts": 25},
        {"region": "south", "specialty": "psych", "posts": 40},
    ],
    "national_posts": [{"specialty": "gp", "year": 2026, "posts": 330}],
    "population_by_year": [{"region": "north", "year": 2026, "population": 1215000}],
    "capacity": [
        {"region": "middle", "specialty": "gp", "min_posts": 70, "max_posts": 100},
        {"region": "north", "specialty": "psych", "year": 2026, "max_posts": 30},
    ],
    "locks": [{"region": "south", "specialty": "psych", "year": 2025, "posts": 38}],
    "transition": {"max_growth_rate": 0.1, "growth_allowance": 2, "max_shrink_rate": 0.1, "max_national_moves": 40},
    "sources": [
        {
            "id": "example",
            "table": "made-up numbers for the template",
            "publisher": "allocator",
            "year": "2024",
            "licence": "MIT",
            "kind": "estimated",
            "used_for": "every number",
            "note": "replace with your sources",
        }
    ],
}


def _workforce() -> dict:
    """:data:`TEMPLATE` with every advanced block filled in."""
    w = copy.deepcopy(TEMPLATE)
    w["name"] = "template-workforce"
    w["schema_version"] = 3  # region settle rates (§10) and need factors (§3b)
    w["description"] = (
        "The template with every advanced block switched on: advanced clinical practice (a second profession) with "
        "a ranged national total, need weights, cost per post and a budget, the training pipeline and trained stock "
        "(the instance sheet's pipeline.* rows and the sheets pipeline_specialties, fill_rate, stock, settle_rate), a "
        "primary care team (sheets teams, team_members, team_need_weights), need factors with blends (sheets "
        "need_factors, need_values) and pacing (sheets phases, transition_by_specialty, floors). Empty a block's "
        "sheets (and, for the pipeline, its pipeline.* rows) to switch "
        "it off. Check with: allocator validate template-workforce.xlsx"
    )
    w["specialties"].append(
        {"id": "acp", "name": "Advanced clinical practice (primary care)", "programme_years": 2, "profession": "acp"}
    )
    w["baseline_posts"] += [
        {"region": r, "specialty": "acp", "posts": p} for r, p in zip(REGIONS, (10, 8, 12), strict=True)
    ]
    w["national_posts"].append({"specialty": "acp", "year": 2026, "min_posts": 30, "max_posts": 40})
    w["need_weights"] = [
        {"region": "north", "specialty": "psych", "weight": 1.2},
        {"region": "south", "specialty": "gp", "year": 2026, "weight": 1.05},
    ]
    w["cost_per_post"] = [
        {"region": "north", "specialty": "gp", "cost": 1.0},
        {"region": "middle", "specialty": "gp", "cost": 1.0},
        {"region": "south", "specialty": "gp", "cost": 1.1},
    ]
    w["budget"] = [{"year": 2025, "amount": 400}]
    w["pipeline"] = {
        "horizon_year": 2035,
        "assess_years": [2030, 2035],
        "specialties": [
            {
                "specialty": "gp",
                "completion_rate": 0.9,
                "delay_years": [3, 4],
                "delay_shares": [0.7, 0.3],
                "settle_rate": 0.8,
                "join_rate": 0.85,
                "leave_rate": 0.04,
            }
        ],
        "fill_rate": [{"region": "north", "specialty": "gp", "rate": 0.85}],
        "settle_rate": [{"region": "north", "specialty": "gp", "rate": 0.7}],
        "stock": [
            {"region": r, "specialty": "gp", "headcount": h} for r, h in zip(REGIONS, (950, 700, 1300), strict=True)
        ],
    }
    w["teams"] = [
        {
            "id": "primary-care",
            "name": "Primary care team",
            "members": [
                {"specialty": "gp", "equivalence": 1.0},
                {"specialty": "acp", "equivalence": 0.6, "max_share": 0.25},
            ],
            "need_weights": [{"region": "north", "weight": 1.1}],
        }
    ]
    w["need"] = {
        "factors": [
            {"id": "need_index", "blend": 1.0},
            {"id": "need_weights", "blend": 1.0},
            {
                "id": "deprivation",
                "name": "Deprivation",
                "blend": 0.2,
                "source": "example",
                "values": [{"region": r, "value": v} for r, v in zip(REGIONS, (1.2, 1.0, 0.85), strict=True)],
            },
            {
                "id": "rurality",
                "name": "Rural population share",
                "blend": 0.0,
                "specialties": ["gp"],
                "source": "example",
                "values": [{"region": r, "value": v} for r, v in zip(REGIONS, (1.3, 0.9, 1.0), strict=True)],
            },
        ]
    }
    # pacing (schema_version 3, docs/model.md §5b): general practice moves from 2026, psychiatry loses at most
    # 5 % in 2026, and from 2026 every region closes at least a quarter of its shortfall of all posts a year
    w["schema_version"] = 3
    w["phases"] = [{"specialty": "gp", "from_year": 2026}]
    w["transition_by_specialty"] = [{"specialty": "psych", "year": 2026, "max_shrink_rate": 0.05}]
    w["floors"] = [{"convergence": 0.25, "from_year": 2026, "level": "region"}]
    return w


WORKFORCE = _workforce()

#: file name -> instance data
WORKBOOKS = {"template.xlsx": TEMPLATE, "template-workforce.xlsx": WORKFORCE}


def build(folder: str | Path = HERE) -> list[Path]:
    """Write both workbooks into ``folder`` (created if needed); return their paths."""
    from allocator.core.validate import validate
    from allocator.io.table_write import write_tables

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_tables(validate(data, f"instances/template.py: {name}"), folder / name)
        for name, data in WORKBOOKS.items()
    ]


def main(argv: list[str]) -> None:
    for path in build(argv[0] if argv else HERE):
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
