"""The report's self-contained HTML page."""

from __future__ import annotations

import base64
import html
import math

import numpy as np
import pandas as pd

from allocator.analysis.diagnosis_words import words_and_detail
from allocator.report import geo, workforce
from allocator.report.pacing import floor_path
from allocator.report.tables import (
    FIGURE_CAPTIONS,
    FIGURES,
    OWN_SECTION,
    TOP_SHADOW_PRICES,
    _Context,
    headline,
    kpi_frame,
    region_frame,
)
from allocator.solution import vocabulary as V

# -------------------------------------------------------------------------- page

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#212b32;max-width:1000px;
margin:2em auto;padding:0 1em;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:2px solid #005eb8;padding-bottom:.2em;
margin-top:1.6em}
.status{display:inline-block;padding:.1em .6em;border-radius:.3em;color:#fff;font-weight:bold}
.ok{background:#007f3b}.bad{background:#d5281b}
.lead p{margin:.3em 0;font-size:1.05em}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0;width:100%}
th,td{padding:.3em .5em;border-bottom:1px solid #d8dde0;text-align:right}
th{background:#005eb8;color:#fff;font-weight:600;vertical-align:bottom}
td:first-child,th:first-child{text-align:left}
tr:nth-child(even) td{background:#f4f6f8}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #e8edee}
figcaption{font-size:.85em;color:#4c6272}
.note{background:#fff9c4;padding:.5em .8em;border-left:4px solid #ffeb3b}
.diag{background:#fde8e6;padding:.5em .8em;border-left:4px solid #d5281b}
.small{font-size:.8em;color:#4c6272}
table.assumptions td:first-child{width:35%}table.assumptions td.text{text-align:left;word-break:break-word}
"""


def _table(frame: pd.DataFrame) -> str:
    """A DataFrame as an HTML table, each number written by its column's unit
    (:func:`allocator.solution.vocabulary.fmt`)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, rec, strict=True):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                text = ""
            elif isinstance(v, float | np.floating):
                text = V.fmt(V.unit_of(str(col)) or "posts", v).replace("-", "\u2212")
            else:
                text = str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _workforce_sections(ctx: _Context) -> list[str]:
    """Supply (with a pipeline) and teams (with teams) sections: docs/model.md §10, §11."""
    e = html.escape
    parts: list[str] = []
    if ctx.has_supply:
        years = " and ".join(map(str, ctx.d.pipeline.assess_years))
        table, sentence = ctx.disagreement
        parts += [
            f"<h2>Trained workforce in {e(years)}</h2>",
            f"<p>{e(workforce.supply_headline(ctx.result, ctx.d, ctx.x))}</p>",
            "<p class='small'>Supply: the trained stock of all specialties per 100,000 need-weighted population. "
            "The baseline plan holds the baseline posts unchanged in every planning year; the fair stock shares "
            "the national stock by need.</p>",
            _table(ctx.supply_regions),
            _table(ctx.supply_measures),
            "<h2>Where the posts gap and the supply gap disagree</h2>",
            f"<p>{e(sentence)}</p>",
        ]
        if len(table):
            parts.append(_table(table))
        if note := workforce.stock_note(ctx.d):
            parts.append(f'<p class="note">{e(note)}</p>')
    floors = floor_path(ctx.d, ctx.x, ctx.rname)  # §5b
    if len(floors):
        parts += [
            "<h2>Floors: the path against the plan</h2>",
            "<p class='small'>Per region and year, the posts its floors ask for (a share of the fair share, "
            "docs/model.md §5b) and the posts the plan gives what they cover.</p>",
            _table(floors),
        ]
    if ctx.has_teams:
        parts += [
            "<h2>Teams</h2>",
            "<p class='small'>Team gap: Σ|team capacity − team fair share| over regions; capacity counts each "
            "member's posts times its equivalence. Gini: inequality of team capacity per 100,000 team-need-weighted "
            "population across regions.</p>",
            _table(ctx.team_measures),
        ]
        for name, frame in ctx.team_mix.items():
            parts += [f"<h3>{e(name)}: mix by region, {int(frame['Year'].iloc[0])}</h3>", _table(frame)]
    return parts


def _uncertain_section(ctx: _Context, pngs: dict[str, bytes]) -> list[str]:
    """The section "Under uncertain rates": the national fan chart and the supply gap's P10,
    P50 and P90 in each assessed year (:mod:`allocator.report.uncertain`)."""
    from allocator.report import uncertain

    e = html.escape
    mc = ctx.montecarlo
    parts = [
        f"<h2>{e(uncertain.SECTION)}</h2>",
        f"<p class='small'>{e(uncertain.describe(mc))} Every region's quantiles, every year, are in the "
        "Uncertain rates sheets of report.xlsx.</p>",
        _table(uncertain.national_frame(mc)),
    ]
    if "fan_national" in pngs:
        data = base64.b64encode(pngs["fan_national"]).decode("ascii")
        caption = FIGURE_CAPTIONS["fan_national"]
        parts.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{e(caption)}">'
            f"<figcaption>{e(caption)} (fan_national.png, fan_national.svg)</figcaption></figure>"
        )
    return parts


def _dual_range(dual: float, low: float, high: float) -> str:
    """The shadow prices of a group, signed as the rows are: '−9.4' or '−1.98 to −9.4'."""
    sign = -1.0 if dual < 0 else 1.0
    one = f"{sign * high:,.4g}"
    text = one if f"{low:,.4g}" == f"{high:,.4g}" else f"{sign * low:,.4g} to {one}"
    return text.replace("-", "\u2212")


def _diagnosis_section(diagnosis: dict, shown: int = 20) -> list[str]:
    """What to change, action first; the solver's detail in a closed ``<details>`` element."""
    e = html.escape
    _, actions, detail = words_and_detail(diagnosis)
    parts = [
        "<h2>Why it cannot be solved</h2>",
        '<div class="diag"><p>It cannot be solved as it stands. What to change:</p><ol>',
        *[f"<li>{e(a)}</li>" for a in actions[:shown]],
        "</ol></div>",
    ]
    if len(actions) > shown:
        parts.append(f"<p class='small'>… and {len(actions) - shown} more in the Diagnosis sheet of report.xlsx.</p>")
    if detail:
        parts += [
            "<details><summary>Technical detail</summary>",
            "<p class='small'>How the conflict was found, the solver's conflict set and the raw relaxation "
            "figures (also in result.json).</p><ul class='small'>",
            *[f"<li>{e(line)}</li>" for line in detail],
            "</ul></details>",
        ]
    return parts


def assumptions_html(sections) -> list[str]:
    """The Assumptions section (:mod:`allocator.report.assumptions`): one small table per part."""
    e = html.escape
    parts = [
        "<h2>Assumptions</h2>",
        "<p class='small'>What this result assumed: the model and its weights, the limits, totals, locks, capacity "
        "and need it was solved under, the optional blocks in use and their defaults, and what it was computed "
        "from (SHA-256 of the instance as read and of the model, versions) and how long each stage took.</p>",
    ]
    for title, rows in sections:
        body = "".join(f"<tr><td>{e(label)}</td><td class='text'>{e(value)}</td></tr>" for label, value in rows)
        parts.append(f"<h3>{e(title)}</h3><table class='assumptions'><tbody>{body}</tbody></table>")
    return parts


def page_html(ctx: _Context, pngs: dict[str, bytes]) -> str:
    """The one-page HTML summary, self-contained (figures embedded as base64 PNG)."""
    res, d = ctx.result, ctx.d
    e = html.escape
    ok = res.status == "optimal"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(res.instance)}: {e(res.model)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(res.instance)}: {e(res.model)}</h1>",
        f'<p><span class="status {"ok" if ok else "bad"}">{e(res.status)}</span> '
        f"{e(ctx.instance.description or '')}</p>",
        '<div class="lead">' + "".join(f"<p>{e(s)}</p>" for s in headline(ctx)) + "</div>",
    ]
    if res.diagnosis:
        parts += _diagnosis_section(res.diagnosis)
    if ctx.x is not None:
        parts += [
            "<h2>Measures by year</h2>",
            "<p class='small'>Gap: Σ|posts − fair share| over regions and specialties. Gini: inequality of posts "
            "per 100,000 need-weighted population across regions (0 = equal). The baseline row measures the "
            f"posts of {d.baseline_year} unchanged, against {ctx.last}'s fair shares.</p>",
            _table(kpi_frame(ctx)),
            f"<h2>Regions, {d.baseline_year} → {ctx.last}</h2>",
            _table(region_frame(ctx)),
        ]
        parts += _workforce_sections(ctx)
    groups = ctx.binding_groups
    if len(groups):
        top = groups.head(TOP_SHADOW_PRICES)
        parts += [
            f"<h2>What holds the allocation back ({len(top)} of {len(groups)}, largest shadow prices first)</h2>",
            "<p class='small'>A shadow price is the change in the objective per unit of a constraint's bound: "
            "the constraints whose relaxation would most improve the allocation. Limits of one kind in one region "
            "are taken together; every binding row, one by one, is in the Binding sheet of report.xlsx.</p>",
            "<ol>",
            *[
                f"<li>{e(str(g.sentence))} <span class='small'>({e(str(g.constraint))}, {g.cells} "
                f"{'rows' if g.cells != 1 else 'row'}, shadow price {_dual_range(g.dual, g.dual_low, g.dual_high)})"
                "</span></li>"
                for g in top.itertuples(index=False)
            ],
            "</ol>",
        ]
    if ctx.montecarlo is not None and ctx.x is not None:
        parts += _uncertain_section(ctx, pngs)
    if set(pngs) - OWN_SECTION:
        parts.append("<h2>Figures</h2>")
        for stem in FIGURES:
            if stem in pngs and stem not in OWN_SECTION:
                data = base64.b64encode(pngs[stem]).decode("ascii")
                parts.append(
                    f'<figure><img src="data:image/png;base64,{data}" alt="{e(FIGURE_CAPTIONS[stem])}">'
                    f"<figcaption>{e(FIGURE_CAPTIONS[stem])} ({e(stem)}.png, {e(stem)}.svg)</figcaption></figure>"
                )
    for n in ctx.notes:
        parts.append(f'<p class="note">{e(n)}</p>')
    parts += assumptions_html(ctx.assumptions)
    foot = "The full tables are in report.xlsx beside this page."
    if "change_map" in pngs:
        foot += " " + geo.ATTRIBUTION
    parts += [f'<p class="small">{e(foot)}</p>', "</body></html>"]
    return "\n".join(parts) + "\n"
