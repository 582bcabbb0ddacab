"""Plain summaries of a result: the tables the command line prints and the Markdown report.

Both are built from the same frames (:func:`kpi_table`, :func:`region_table`), so what a
person reads on screen and in ``report.md`` is the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.report import workforce
from allocator.solution.arrays import posts_array
from allocator.solution.gaps import gap_sentence
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


def workforce_markdown(res: Result, d: ProblemData) -> list[str]:
    """The supply (FORMULATION §10) and team (§11) sections of the Markdown report: none
    without a pipeline or teams."""
    x = posts_array(res, d)
    out: list[str] = []
    if workforce.has_supply(res, d, x):
        dis = workforce.disagreement_frame(res, d, x)
        out += [
            "",
            f"## Trained workforce in {' and '.join(map(str, d.pipeline.assess_years))}",
            "",
            workforce.supply_headline(res, d, x),
            "",
            "Supply per 100,000 need-weighted population (all specialties), the baseline plan held unchanged "
            "and the allocation:",
            "",
            _md(workforce.supply_region_frame(res, d, x), 1),
            "",
            _md(workforce.supply_measure_frame(res, d, x), 3),
            "",
            "## Where the posts gap and the supply gap disagree",
            "",
            workforce.disagreement_sentence(dis, d),
        ]
        if len(dis):
            out += ["", _md(dis.head(workforce.DISAGREE_ROWS), 1)]
        if note := workforce.stock_note(d):
            out += ["", f"Note: {note}"]
    if workforce.has_teams(res, d, x):
        mix = workforce.team_mix_frame(res, d, x)
        out += ["", "## Teams", "", _md(workforce.team_measure_frame(res, d, x), 3)]
        for team, frame in workforce.readable_team_mix(mix, str).items():
            year = int(frame["Year"].iloc[0])
            out += ["", f"Team {team}, {year}: capacity and each member's share of it (%) by region:", ""]
            out.append(_md(_text(frame.drop(columns="Year"), 1)))
    return out


def _text(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    return frame.astype(object).map(
        lambda v: "" if v is None or v != v else f"{v:,.{digits}f}" if isinstance(v, float | np.floating) else str(v)
    )


def workforce_tables(res: Result, d: ProblemData) -> list[tuple[str, pd.DataFrame | None]]:
    """What the command line prints for the supply and team sections: (title, table of text)
    or (a sentence, None). Empty without a pipeline or teams."""
    if not len(res.allocation):
        return []
    x = posts_array(res, d)
    out: list[tuple[str, pd.DataFrame | None]] = []
    if workforce.has_supply(res, d, x):
        sup = workforce.supply_region_frame(res, d, x)
        cols = ["region", "year", "per_100k_baseline_plan", "per_100k", "per_100k_fair", "stock", "fair_stock"]
        heads = ["region", "year", "per 100k baseline plan", "per 100k", "per 100k fair", "stock", "fair stock"]
        out.append(
            (
                "Trained supply per 100,000 need-weighted population (assessed years)",
                _text(sup[cols], 1).set_axis(heads, axis=1),
            )
        )
        out.append((workforce.supply_headline(res, d, x), None))
        dis = workforce.disagreement_frame(res, d, x)
        supply_year = d.pipeline.assess_years[-1]
        out.append((workforce.disagreement_sentence(dis, d), None))
        if len(dis):
            heads = ["region", "specialty", f"posts − fair share {d.years[-1]}", f"stock − fair stock {supply_year}"]
            table = _text(dis.head(workforce.DISAGREE_ROWS), 1).set_axis(heads, axis=1)
            out.append(("Posts gap against supply gap", table))
        if note := workforce.stock_note(d):
            out.append((note, None))
    if workforce.has_teams(res, d, x):
        out.append(("Teams: gap and Gini by year", _text(workforce.team_measure_frame(res, d, x), 3)))
        mix = workforce.team_mix_frame(res, d, x)
        wide = mix.pivot_table(index=["team", "region"], columns="specialty", values="share", sort=False) * 100
        out.append(("Team mix, final year: each member's share of the team capacity (%)", _text(wide.reset_index(), 1)))
    return out


def markdown(res: Result, d: ProblemData | None = None, top: int = 10) -> str:
    """A one-page report a person can read without Python."""
    out = [f"# {res.instance}: {res.model}", ""]
    out.append(
        f"Status **{res.status}**, backend {res.backend}, objective {res.objective:,.4f}."
        if res.objective is not None
        else f"Status **{res.status}**."
    )
    if (sentence := gap_sentence(res)) is not None:
        out.append(sentence)
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
        out += workforce_markdown(res, d)
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
