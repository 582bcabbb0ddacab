"""Plain summaries of a result: the tables the command line prints and the Markdown report.

Both are built from the same frames (:func:`kpi_table`, :func:`region_table`), so what a
person reads on screen and in ``report.md`` is the same.
"""

from __future__ import annotations

import pandas as pd

from allocator.analysis import shadow
from allocator.analysis.diagnosis_words import words_and_detail
from allocator.core.data import ProblemData
from allocator.report import workforce
from allocator.solution import vocabulary as V
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


def kpi_text(res: Result) -> pd.DataFrame:
    """:func:`kpi_table` as a person reads it: the vocabulary's labels, numbers by unit."""
    frame = kpi_table(res)
    return V.text_frame(frame).rename(columns={"year": "Year"} | {c: V.label(c) for c in frame.columns if c != "year"})


def region_text(res: Result, d: ProblemData) -> pd.DataFrame:
    """:func:`region_table` as a person reads it: the vocabulary's labels, numbers by unit."""
    frame = region_table(res, d)
    per, first, last = V.name("per_100k"), d.baseline_year, d.years[-1]
    names = {
        "region": "Region",
        "posts_baseline": f"Posts {first}",
        "posts_final": f"Posts {last}",
        "change": "Change (posts)",
        "per_100k_baseline": f"{per}, {first}",
        "per_100k_final": f"{per}, {last}",
        "per_100k_fair_share": V.label("per_100k_fair_share"),
    }
    units = {"change": "posts"} | {c: "per_100k" for c in names if c.startswith("per_100k")}
    text = V.text_frame(frame, units)
    text["change"] = [V.fmt("posts", v, sign=True) for v in frame["change"]]
    return text.rename(columns=names)


def binding_text(res: Result, top: int) -> pd.DataFrame:
    """The first ``top`` binding constraints with their shadow prices in words
    (:func:`allocator.solution.vocabulary.dual_text`), not bare signed numbers."""
    b = res.binding.head(top)
    keys = [c for c in b.columns if c != "dual"]
    out = V.text_frame(b[keys], {c: None for c in keys})
    out[V.DUAL_HEADER] = [V.dual_text(c, v) for c, v in zip(b["constraint"], b["dual"], strict=True)]
    return out


def _md(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (no extra dependency), numbers by their column's unit."""
    text = V.text_frame(frame)
    cols = list(text.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for rec in text.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in rec) + " |")
    return "\n".join(lines)


def workforce_markdown(res: Result, d: ProblemData) -> list[str]:
    """The supply (docs/model.md §10) and team (§11) sections of the Markdown report: none
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
            _md(workforce.readable_supply(workforce.supply_region_frame(res, d, x), str)),
            "",
            _md(workforce.supply_measure_frame(res, d, x).rename(columns=workforce.SUPPLY_MEASURE_NAMES)),
            "",
            "## Where the posts gap and the supply gap disagree",
            "",
            workforce.disagreement_sentence(dis, d),
        ]
        if len(dis):
            out += ["", _md(workforce.readable_disagreement(dis, d, str))]
        if note := workforce.stock_note(d):
            out += ["", f"Note: {note}"]
    if workforce.has_teams(res, d, x):
        mix = workforce.team_mix_frame(res, d, x)
        teams = workforce.team_measure_frame(res, d, x).rename(columns=workforce.TEAM_MEASURE_NAMES)
        out += ["", "## Teams", "", _md(teams)]
        for team, frame in workforce.readable_team_mix(mix, str).items():
            year = int(frame["Year"].iloc[0])
            out += ["", f"Team {team}, {year}: capacity and each member's share of it (%) by region:", ""]
            out.append(_md(frame.drop(columns="Year")))
    return out


def workforce_tables(res: Result, d: ProblemData) -> list[tuple[str, pd.DataFrame | None]]:
    """What the command line prints for the supply and team sections: (title, table of text)
    or (a sentence, None). Empty without a pipeline or teams."""
    if not len(res.allocation):
        return []
    x = posts_array(res, d)
    out: list[tuple[str, pd.DataFrame | None]] = []
    if workforce.has_supply(res, d, x):
        sup = workforce.readable_supply(workforce.supply_region_frame(res, d, x), str)
        cols = ["Region", "Year"] + [V.label("supply_per_100k", "baseline plan"), V.label("supply_per_100k")]
        cols += [V.label("supply_per_100k_fair"), V.label("stock"), V.label("fair_stock")]
        out.append(("Trained supply per 100,000 need-weighted population (assessed years)", V.text_frame(sup[cols])))
        out.append((workforce.supply_headline(res, d, x), None))
        dis = workforce.disagreement_frame(res, d, x)
        out.append((workforce.disagreement_sentence(dis, d), None))
        if len(dis):
            table = workforce.readable_disagreement(dis, d, str).iloc[:, :4]
            out.append(("Posts gap against supply gap", V.text_frame(table)))
        if note := workforce.stock_note(d):
            out.append((note, None))
    if workforce.has_teams(res, d, x):
        teams = workforce.team_measure_frame(res, d, x).rename(columns=workforce.TEAM_MEASURE_NAMES)
        out.append(("Teams: gap and Gini by year", V.text_frame(teams)))
        mix = workforce.team_mix_frame(res, d, x)
        wide = mix.pivot_table(index=["team", "region"], columns="specialty", values="share", sort=False) * 100
        wide = wide.reset_index().rename(columns={"team": "Team", "region": "Region"})
        title = f"Team mix, final year: each member's {V.name('share').lower()} (%)"
        out.append((title, V.text_frame(wide, {c: "pct" for c in wide.columns[2:]})))
    return out


def assumptions_markdown(sections) -> list[str]:
    """The Assumptions section (:mod:`allocator.report.assumptions`) as Markdown: one
    two-column table per part."""
    out = ["", "## Assumptions"]
    for title, rows in sections:
        out += ["", f"### {title}", "", "| item | value |", "|---|---|"]
        out += [f"| {_cell(label)} | {_cell(value)} |" for label, value in rows]
    return out


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(res: Result, d: ProblemData | None = None, top: int = 10, assumptions: list | None = None) -> str:
    """A one-page report a person can read without Python; ``assumptions``: the sections of
    :func:`allocator.report.assumptions.assumptions`, written at the end."""
    out = [f"# {res.instance}: {res.model}", ""]
    out.append(
        f"Status **{res.status}**, backend {res.backend}, objective {V.fmt('objective', res.objective)}."
        if res.objective is not None
        else f"Status **{res.status}**."
    )
    if (sentence := gap_sentence(res)) is not None:
        out.append(sentence)
    if res.tie_break:
        out.append(f"Tie-break among equal optima (docs/model.md §6b): {res.tie_break}.")
    if res.diagnosis:
        _, actions, detail = words_and_detail(res.diagnosis)
        out += ["", "## Why it cannot be solved", "", "It cannot be solved as it stands. What to change:", ""]
        out += [f"{n}. {a}" for n, a in enumerate(actions, start=1)]
        if detail:
            out += ["", "### Technical detail", ""] + [f"- {line}" for line in detail]
    if len(res.kpis):
        out += [
            "",
            "## Measures by year",
            "",
            "Gap: Σ|posts − fair share|. Gini: inequality of posts per 100,000 need-weighted "
            "population across regions (0 = equal).",
            "",
            _md(kpi_text(res)),
        ]
    if d is not None and len(res.allocation):
        out += ["", f"## Regions, baseline → {d.years[-1]}", "", _md(region_text(res, d))]
        out += workforce_markdown(res, d)
    if len(res.binding) and d is not None:
        groups = shadow.group(shadow.explain(res, d), specialties=len(d.specialties))
        out += ["", "## What holds the allocation back", ""]
        out += [f"{n}. {g}" for n, g in enumerate(groups["sentence"].head(top), start=1)]
    if len(res.binding):
        out += [
            "",
            f"## What binds (top {top} by shadow price)",
            "",
            f"{V.name('dual')}: {V.measure('dual').definition[0].lower()}{V.measure('dual').definition[1:]} "
            "The objective is minimised, so each is written as what it saves and the way the bound must move.",
            "",
            _md(binding_text(res, top)),
        ]
    if assumptions:
        out += assumptions_markdown(assumptions)
    return "\n".join(out) + "\n"
