"""The report's self-contained HTML page."""

from __future__ import annotations

import base64
import html
import math

import numpy as np
import pandas as pd

from allocator.report import geo, workforce
from allocator.report.tables import (
    FIGURE_CAPTIONS,
    FIGURES,
    TOP_SHADOW_PRICES,
    _Context,
    headline,
    kpi_frame,
    region_frame,
)
from allocator.report.workbook import _DIGITS, _number_format

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
"""


def _table(frame: pd.DataFrame, digits: dict[str, int] | None = None) -> str:
    """A DataFrame as an HTML table, numbers formatted per column."""
    digits = digits or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, rec, strict=True):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                text = ""
            elif isinstance(v, float | np.floating):
                fmt = _number_format(str(col))
                n = digits.get(str(col), _DIGITS.get(fmt, 1))
                text = f"{v:,.{n}f}".replace("-", "\u2212")
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
        diag = res.diagnosis
        parts += [
            "<h2>Why it cannot be solved</h2>",
            f'<div class="diag"><p>{e(diag.get("summary", ""))}</p></div>',
            "<ul>",
            *[
                f"<li><b>{e(str(f.get('constraint', '')))}</b>: {e(str(f.get('message', '')))}</li>"
                for f in diag.get("findings", [])[:20]
            ],
            "</ul>",
        ]
        n = len(diag.get("findings", []))
        if n > 20:
            parts.append(f"<p class='small'>… and {n - 20} more findings in the Diagnosis sheet of report.xlsx.</p>")
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
    bf = ctx.binding
    if len(bf):
        top = bf.head(TOP_SHADOW_PRICES)
        parts += [
            f"<h2>What holds the allocation back (top {len(top)} shadow prices)</h2>",
            "<p class='small'>A shadow price is the change in the objective per unit of a constraint's bound: "
            "the constraints whose relaxation would most improve the allocation.</p>",
            "<ol>",
            *[
                f"<li>{e(s)} <span class='small'>({e(str(c))}, shadow price "
                f"{f'{v:,.4g}'.replace('-', chr(0x2212))})</span></li>"
                for s, c, v in zip(
                    top["What it means"],
                    top["Constraint"],
                    top["Shadow price (objective per unit of bound)"],
                    strict=True,
                )
            ],
            "</ol>",
        ]
    if pngs:
        parts.append("<h2>Figures</h2>")
        for stem in FIGURES:
            if stem in pngs:
                data = base64.b64encode(pngs[stem]).decode("ascii")
                parts.append(
                    f'<figure><img src="data:image/png;base64,{data}" alt="{e(FIGURE_CAPTIONS[stem])}">'
                    f"<figcaption>{e(FIGURE_CAPTIONS[stem])} ({e(stem)}.png, {e(stem)}.svg)</figcaption></figure>"
                )
    for n in ctx.notes:
        parts.append(f'<p class="note">{e(n)}</p>')
    foot = "The full tables are in report.xlsx beside this page."
    if "change_map" in pngs:
        foot += " " + geo.ATTRIBUTION
    parts += [f'<p class="small">{e(foot)}</p>', "</body></html>"]
    return "\n".join(parts) + "\n"
