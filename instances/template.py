"""Build ``instances/template.xlsx``: a small valid instance with an example row in every sheet.

    python instances/template.py            # writes instances/template.xlsx
    python instances/template.py OUT.xlsx   # somewhere else (a folder name: CSV files)

The workbook is written by :func:`allocator.io.table_write.write_tables`, so it has every sheet
the loaders read (a readme, the ``instance`` sheet with a meaning for each field, one sheet per
list), each with an example an analyst can overwrite. ``tests/test_convert.py`` checks that the
committed workbook loads to :data:`TEMPLATE`.
"""

from __future__ import annotations

import sys
from pathlib import Path

REGIONS = ("north", "middle", "south")

TEMPLATE = {
    "schema_version": 2,
    "name": "template",
    "description": "A small example to start from: replace the rows of each sheet with your own (sheet readme says "
    "what each holds), then run: allocator validate template.xlsx",
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
        {"id": "acp", "name": "Advanced clinical practice (primary care)", "programme_years": 2, "profession": "acp"},
    ],
    "baseline_posts": [
        {"region": "north", "specialty": "gp", "posts": 90},
        {"region": "middle", "specialty": "gp", "posts": 80},
        {"region": "south", "specialty": "gp", "posts": 150},
        {"region": "north", "specialty": "psych", "posts": 20},
        {"region": "middle", "specialty": "psych", "posts": 25},
        {"region": "south", "specialty": "psych", "posts": 40},
        {"region": "north", "specialty": "acp", "posts": 10},
        {"region": "middle", "specialty": "acp", "posts": 8},
        {"region": "south", "specialty": "acp", "posts": 12},
    ],
    "national_posts": [
        {"specialty": "gp", "year": 2026, "posts": 330},
        {"specialty": "acp", "year": 2026, "min_posts": 30, "max_posts": 40},
    ],
    "population_by_year": [{"region": "north", "year": 2026, "population": 1215000}],
    "need_weights": [
        {"region": "north", "specialty": "psych", "weight": 1.2},
        {"region": "south", "specialty": "gp", "year": 2026, "weight": 1.05},
    ],
    "capacity": [
        {"region": "middle", "specialty": "gp", "min_posts": 70, "max_posts": 100},
        {"region": "north", "specialty": "psych", "year": 2026, "max_posts": 30},
    ],
    "locks": [{"region": "south", "specialty": "psych", "year": 2025, "posts": 38}],
    "cost_per_post": [
        {"region": "north", "specialty": "gp", "cost": 1.0},
        {"region": "middle", "specialty": "gp", "cost": 1.0},
        {"region": "south", "specialty": "gp", "cost": 1.1},
    ],
    "budget": [{"year": 2025, "amount": 400}],
    "transition": {"max_growth_rate": 0.1, "growth_allowance": 2, "max_shrink_rate": 0.1, "max_national_moves": 40},
    "pipeline": {
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
        "stock": [
            {"region": r, "specialty": "gp", "headcount": h} for r, h in zip(REGIONS, (950, 700, 1300), strict=True)
        ],
    },
    "teams": [
        {
            "id": "primary-care",
            "name": "Primary care team",
            "members": [
                {"specialty": "gp", "equivalence": 1.0},
                {"specialty": "acp", "equivalence": 0.6, "max_share": 0.25},
            ],
            "need_weights": [{"region": "north", "weight": 1.1}],
        }
    ],
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


def main(argv: list[str]) -> None:
    from allocator.core.validate import validate
    from allocator.io.table_write import write_tables

    out = Path(argv[0]) if argv else Path(__file__).resolve().parent / "template.xlsx"
    write_tables(validate(TEMPLATE, "instances/template.py"), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
