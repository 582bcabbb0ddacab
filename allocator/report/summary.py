"""Plain summaries of a result: the tables the command line prints and the Markdown report.

Both are built from the same frames (:func:`kpi_table`, :func:`region_table`), so what a
person reads on screen and in ``report.md`` is the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.solution.arrays import posts_array
from allocator.solution.measures import posts_per_100k
from allocator.solution.result import Result


def kpi_table(res: Result) -> pd.DataFrame:
    """Baseline and each planning year: gap, % closed, Gini, worst shortfall, moved, cost."""
    rows = []
    if res.baseline_kpis is not None and len(res.baseline_kpis):
        b = res.baseline_kpis.iloc[-1]
        rows.append(
            {
                "year": "baseline",
                "gap_posts": b.gap_posts,
                "gap_closed_pct": 0.0,
                "gini": b.gini,
                "max_shortfall_pct": b.max_shortfall_pct,
                "posts_moved": 0.0,
                "cost": b.cost,
            }
        )
    for rec in res.kpis.to_dict(orient="records"):
        rows.append(rec | {"year": str(rec["year"])})
    return pd.DataFrame(rows)


def region_table(res: Result, d: ProblemData) -> pd.DataFrame:
    """Per region: posts and posts per 100,000 weighted population, baseline → final year."""
    x = posts_array(res, d)
    p_final = posts_per_100k(d, x)[:, -1]
    base = d.baseline_by_year
    p_base = posts_per_100k(d, base)[:, -1]
    fair = posts_per_100k(d, d.target)[:, -1]
    return pd.DataFrame(
        {
            "region": d.regions,
            "posts_baseline": d.baseline.sum(axis=1),
            "posts_final": x[:, :, -1].sum(axis=1),
            "change": x[:, :, -1].sum(axis=1) - d.baseline.sum(axis=1),
            "per_100k_baseline": p_base,
            "per_100k_final": p_final,
            "per_100k_fair_share": fair,
        }
    )


def _md(frame: pd.DataFrame, digits: int = 2) -> str:
    """A DataFrame as a Markdown table (no extra dependency)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in frame.itertuples(index=False):
        cells = [f"{v:,.{digits}f}" if isinstance(v, float | np.floating) else str(v) for v in rec]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(res: Result, d: ProblemData | None = None, top: int = 10) -> str:
    """A one-page report a person can read without Python."""
    out = [f"# {res.instance}: {res.model}", ""]
    out.append(
        f"Status **{res.status}**, backend {res.backend}, objective {res.objective:,.4f}."
        if res.objective is not None
        else f"Status **{res.status}**."
    )
    if res.mip_gap is not None and res.best_bound is not None:
        how = f" ({res.rounding.get('method')})" if res.rounding else ""
        out.append(
            f"Whole posts{how} that keep every limit: objective within {100 * res.mip_gap:.3f}% of the "
            f"bound {res.best_bound:,.4f} (no whole-post plan can do better)."
        )
    if res.tie_break:
        out.append(f"Tie-break among equal optima (FORMULATION §6b): {res.tie_break}.")
    if res.diagnosis:
        out += ["", "## Why it cannot be solved", "", res.diagnosis["summary"], ""]
        out += [f"- **{f['constraint']}**: {f['message']}" for f in res.diagnosis["findings"]]
    if len(res.kpis):
        out += [
            "",
            "## Measures by year",
            "",
            "Gap: Σ|posts − fair share|. Gini: inequality of posts per 100,000 need-weighted "
            "population across regions (0 = equal).",
            "",
            _md(kpi_table(res)),
        ]
    if d is not None and len(res.allocation):
        out += ["", f"## Regions, baseline → {d.years[-1]}", "", _md(region_table(res, d), 1)]
    if len(res.binding):
        out += [
            "",
            f"## What binds (top {top} by shadow price)",
            "",
            "Dual: change in the objective per unit increase of the constraint's bound.",
            "",
            _md(res.binding.head(top).astype(object).fillna(""), 4),
        ]
    return "\n".join(out) + "\n"
