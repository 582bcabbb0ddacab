"""An area brief: one region's number explained (docs/model.md §3b), for the people of that area.

:func:`area_brief` gathers, for one region of a result: its fair share and the waterfall that
explains it (equal per head, then each need factor in the instance's order); its baseline,
fair share and plan by programme and year; its posts per 100,000 need-weighted population
against England's (all regions together); its trained workforce to the horizon where the
instance has a pipeline (§10); its team mix where it has teams (§11); the binding limits of
that region in words (:func:`allocator.analysis.shadow.group`); the **sensitivity** of its fair
share (all programmes, last planning year) to each factor's blend from 0 to 1; the assumptions
and the result's ``inputs``. :func:`write_brief` writes it as ``brief.html`` (one printable page,
figures embedded), ``brief.xlsx`` and ``waterfall.csv`` (the region's rows of the waterfall).

The sensitivity recomputes §3's ``T`` with one factor's blend changed, the others at the
instance's blends (no solve: a fair share is data)::

    D[r,s,t] = population[r,t] · Π_f (1 − β_f + β_f · F̂_f[r,s,t]),   T = N · D / Σ_r D

At the instance's own blends it is the fair share; with every blend 0 it is the equal-per-head
share ``N · population / Σ_r population``. Without a ``need`` block the factors are the
built-in ``need_index`` and ``need_weights`` at blend 1 (as in the waterfall).
"""

from __future__ import annotations

import difflib
import html
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.core.instance import Instance
from allocator.core.need import Factor, normalise
from allocator.core.spec import ModelSpec
from allocator.io.instance import as_instance
from allocator.solution import vocabulary as V
from allocator.solution.result import Result
from allocator.solution.waterfall import waterfall_frame

PAGE, WORKBOOK, WATERFALL = "brief.html", "brief.xlsx", "waterfall.csv"
BRIEF_FILES = (PAGE, WORKBOOK, WATERFALL)
MANIFEST = ".allocator-brief.json"
ELSEWHERE = 3  # binding-limit groups of other regions (or national) the brief names
#: blends at which the sensitivity is computed (0, 0.1, …, 1) besides each factor's own
BLENDS = tuple(round(0.1 * i, 1) for i in range(11))
FAIR = V.label("target")


class UnknownArea(ValueError):
    """The area is not a region of the instance (the message lists the known ones)."""


def find_region(inst: Instance, area: str) -> str:
    """The id of the region ``area`` names: its id, or its name (either in any case).

    Raises
    ------
    UnknownArea
        No region has that id or name; the message lists the regions and the closest match.
    """
    wanted = area.strip().casefold()
    for r in inst.regions:
        if wanted in (r.id.casefold(), (r.name or r.id).casefold()):
            return r.id
    known = [r.id for r in inst.regions] + [r.name for r in inst.regions if r.name]
    close = difflib.get_close_matches(area, known, n=1, cutoff=0.5)
    close = close or difflib.get_close_matches(wanted, [k.casefold() for k in known], n=1, cutoff=0.5)
    listed = ", ".join(f"{r.id} ({r.name})" if r.name else r.id for r in inst.regions[:40])
    more = f" and {len(inst.regions) - 40} more" if len(inst.regions) > 40 else ""
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise UnknownArea(
        f"--area '{area}': no region of {inst.name} has that id or name{hint} The regions: {listed}{more}"
    )


# ---------------------------------------------------------------------------- sensitivity


def factors_of(d: ProblemData) -> tuple[Factor, ...]:
    """The factors of the waterfall: the ``need`` block's, else the built-in ones at blend 1."""
    return d.waterfall_factors


def fair_share_at(d: ProblemData, x: np.ndarray | None, blends: dict[str, float]) -> np.ndarray:
    """(R, S, Y) §3's ``T`` with the factors' blends set by ``blends`` (factor id → β; factors
    not given keep their own). ``x`` sets a ranged national total (``Σ_r x``), as in the waterfall."""
    national = d.national if x is None else d.totals_of(x)
    need = np.broadcast_to(d.population[:, None, :], d.shape).astype(float)
    for f in factors_of(d):
        b = blends.get(f.id, f.blend)
        term = 1.0 - b + b * normalise(f.values, d.population)
        need = need * np.where(f.applies[None, :, None], term, 1.0)
    total = need.sum(axis=0)
    return np.divide(need, total, out=np.zeros_like(need), where=total > 0) * national[None]


def sensitivity(d: ProblemData, x: np.ndarray | None, region: str) -> pd.DataFrame:
    """How ``region``'s fair share (all programmes, last planning year) moves as each factor's
    blend goes from 0 to 1, the others held at the instance's blends.

    Returns
    -------
    DataFrame ``factor, name, blend, own, fair_share``: one row per factor and blend
    (:data:`BLENDS` and the factor's own blend, ``own`` True on that row), in waterfall order.
    """
    from allocator.report.waterfall import step_labels

    i = d.regions.index(region)
    factors = factors_of(d)
    names = step_labels(d, [f.id for f in factors])
    rows = []
    for f, name in zip(factors, names, strict=True):
        for b in sorted({*BLENDS, f.blend}):
            t = fair_share_at(d, x, {f.id: b})
            rows.append(
                {"factor": f.id, "name": name, "blend": b, "own": b == f.blend, "fair_share": t[i, :, -1].sum()}
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- the brief


@dataclass
class Brief:
    """One region's brief: ``tables`` (title → DataFrame, readable headers), ``sentences``
    (what holds the region back), the region's ``waterfall`` rows (``waterfall.csv``) and its
    ``sensitivity`` (:func:`sensitivity`), ``lead`` (the headline lines) and ``figures`` (PNG)."""

    region: str
    name: str
    instance: str
    model: str
    status: str
    lead: list[str]
    tables: dict[str, pd.DataFrame]
    sentences: list[str]
    waterfall: pd.DataFrame
    sensitivity: pd.DataFrame
    assumptions: list
    figures: dict[str, bytes] = field(default_factory=dict)


UNCERTAIN = "Supply per 100,000 under uncertain rates"


def add_fan(b: Brief, mc, figures: bool = True) -> None:
    """Add the region's fan to ``b`` from ``mc``, a Monte Carlo evaluation of its plan
    (:func:`allocator.study.montecarlo.monte_carlo`): the table :data:`UNCERTAIN` (P10, P50,
    P90 of its supply per 100,000 need-weighted population by year), a lead line and (with
    ``figures``) the figure ``fan``. ``ValueError`` when ``mc`` is of another instance."""
    from allocator.report import uncertain

    if mc.instance != b.instance or b.region not in mc.regions:
        raise ValueError(f"montecarlo: the evaluation is of instance {mc.instance}, not of {b.instance}")
    b.tables[UNCERTAIN] = uncertain.region_frame(mc, b.region)
    b.lead.append(uncertain.region_sentence(mc, b.region, b.name))
    if figures:
        from allocator.report.figures import to_bytes
        from allocator.study.fan import region_fan

        b.figures["fan"] = to_bytes(region_fan(mc, b.region, b.name), "png")


def _programmes(ctx, i: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(by programme and year, by programme in the last year, totals by year) of region ``i``."""
    d = ctx.d
    target = d.target if ctx.x is None else d.target_of(ctx.x)
    R, S, Y = d.shape
    long = pd.DataFrame(
        {
            "Programme": np.repeat(ctx.specialty_names, Y),
            "Year": np.tile(d.years, S),
            f"Baseline {d.baseline_year} (posts)": np.repeat(d.baseline[i], Y),
            FAIR: target[i].reshape(-1),
        }
    )
    if ctx.x is not None:
        long["Plan (posts)"] = ctx.x[i].reshape(-1)
        long["Plan − fair share (posts)"] = long["Plan (posts)"] - long[FAIR]
    last = long[long["Year"] == d.years[-1]].drop(columns="Year").reset_index(drop=True)
    totals = long.drop(columns="Programme").groupby("Year", as_index=False).sum()
    return long, last, totals


def _per_100k(ctx, i: int, name: str) -> pd.DataFrame:
    """Posts per 100,000 need-weighted population of the region and of all regions together
    ("England" for an England instance), by year."""
    d = ctx.d
    pop = d.weighted_population
    nation = "England" if ctx.instance.name.lower().startswith("england") else "All regions"
    target = d.target if ctx.x is None else d.target_of(ctx.x)

    def per(posts: np.ndarray, people: np.ndarray) -> np.ndarray:
        return np.divide(1e5 * posts, people, out=np.full_like(posts, np.nan), where=people > 0)

    frame = {"Year": d.years}
    base = np.repeat(d.baseline.sum(axis=1)[:, None], len(d.years), axis=1)
    frame[f"{name}, baseline {d.baseline_year} (per 100,000)"] = per(base[i], pop[i])
    frame[f"{name}, fair share (per 100,000)"] = per(target[i].sum(axis=0), pop[i])
    if ctx.x is not None:
        frame[f"{name}, plan (per 100,000)"] = per(ctx.x[i].sum(axis=0), pop[i])
        frame[f"{nation}, plan (per 100,000)"] = per(ctx.x.sum(axis=(0, 1)), pop.sum(axis=0))
    else:
        frame[f"{nation}, fair share (per 100,000)"] = per(target.sum(axis=(0, 1)), pop.sum(axis=0))
    return pd.DataFrame(frame)


def _workforce(ctx, name: str) -> dict[str, pd.DataFrame]:
    from allocator.report import workforce

    out = {}
    if ctx.has_supply:
        stock = workforce.readable_stock_time(ctx.stock_time, ctx.rname)
        out["Trained workforce to the horizon"] = stock[stock["Region"] == name].drop(columns="Region")
    if ctx.has_teams:
        rows = [f[f["Region"] == name].drop(columns="Region").assign(Team=t) for t, f in ctx.team_mix.items()]
        for t, row in zip(ctx.team_mix, rows, strict=True):
            out[f"Team mix: {t}"] = row.drop(columns="Team").reset_index(drop=True)
    return out


def area_brief(
    result: Result,
    instance: Instance | str | Path,
    area: str,
    *,
    model: ModelSpec | None = None,
    model_file: str | None = None,
    figures: bool = True,
    montecarlo=None,
) -> Brief:
    """The brief of one region of ``result`` (solved on ``instance``).

    Parameters
    ----------
    result : a result of ``instance`` (any status; without an allocation there is no plan).
    instance : the instance, or the path of its file.
    area : the region's id or name (:func:`find_region`).
    model, model_file : the model in effect and its file, for the Assumptions.
    figures : draw the waterfall and sensitivity figures (PNG).
    montecarlo : a Monte Carlo evaluation of the plan (:func:`allocator.study.montecarlo.monte_carlo`),
        or ``None``: with it the brief shows the region's fan (:func:`add_fan`).

    Raises
    ------
    UnknownArea
        No region of the instance is ``area``.
    ValueError
        The result was not solved on this instance (:func:`allocator.report.guard.check_match`,
        and the instance's SHA-256 against the result's ``inputs``), or ``montecarlo`` was not
        evaluated on it.
    """
    from allocator.core.provenance import instance_sha256
    from allocator.report.write import _context

    instance = as_instance(instance)
    region = find_region(instance, area)
    ctx = _context(result, instance, model, model_file)  # the result's cells and fair shares
    recorded = (result.inputs or {}).get("instance_sha256")
    if recorded and recorded != instance_sha256(instance):
        raise ValueError(
            f"the result was solved on another instance (its inputs.instance_sha256 is {recorded[:12]}…, "
            f"this instance's is {instance_sha256(instance)[:12]}…)"
        )
    d, i = ctx.d, ctx.d.regions.index(region)
    name = ctx.region_names[i]
    from allocator.report.waterfall import region_steps

    steps = region_steps(d, ctx.x, region)
    table = pd.DataFrame({"Step": [*steps.index, "Fair share"], "Posts": [*steps.to_numpy(), steps.sum()]})
    frame = waterfall_frame(d, ctx.x)
    rows = frame[frame["region"] == region].reset_index(drop=True)
    long, last, totals = _programmes(ctx, i)
    sens = sensitivity(d, ctx.x, region)
    sens_table = sens.pivot(index="blend", columns="name", values="fair_share").reset_index()
    sens_table.columns = ["Blend (%)", *(f"{c}: {FAIR}" for c in sens_table.columns[1:])]
    sens_table["Blend (%)"] *= 100
    sens_table = sens_table[["Blend (%)", *(f"{n}: {FAIR}" for n in dict.fromkeys(sens["name"]))]]
    tables = {
        f"Fair share in {d.years[-1]}, explained": table,
        f"By programme, {d.years[-1]}": last,
        "All programmes, by year": totals,
        "Posts per 100,000 need-weighted population": _per_100k(ctx, i, name),
        **_workforce(ctx, name),
        f"Sensitivity: fair share in {d.years[-1]} as each factor's blend goes from 0 to 1": sens_table,
        "By programme and year": long,
    }
    groups = ctx.binding_groups
    mine = groups[groups["region"] == region] if len(groups) else groups
    others = groups.drop(mine.index) if len(groups) else groups
    sentences = [str(s) for s in mine["sentence"]]
    if len(others):  # limits elsewhere hold it back too: posts it lacks are held by another region
        shown = others.head(ELSEWHERE)
        sentences.append(
            f"Elsewhere ({len(shown)} of {len(others)} groups of binding limits, national or in other regions; "
            "the report lists them all):"
        )
        sentences += [f"… {s}" for s in shown["sentence"]]
    fair, base = float(steps.sum()), float(d.baseline[i].sum())
    lead = [
        f"{name}'s fair share in {d.years[-1]}: {V.fmt('posts', fair)} posts over {len(d.specialties)} "
        f"programme{'s' if len(d.specialties) != 1 else ''}, "
        f"against {V.fmt('posts', base)} in {d.baseline_year} ({V.fmt('posts', fair - base, sign=True)})."
    ]
    if ctx.x is None:
        lead.append(f"No plan: the result is {result.status} (its report and `allocator solve` give the diagnosis).")
        sentences = [lead[-1]]
    else:
        plan = float(ctx.x[i, :, -1].sum())
        lead.append(
            f"The plan gives it {V.fmt('posts', plan)} posts in {d.years[-1]} "
            f"({V.fmt('posts', plan - fair, sign=True)} against its fair share)."
        )
    lead.append(
        f"Equal per head it would be {V.fmt('posts', float(steps.iloc[0]))}; "
        + "; ".join(f"{k} {V.fmt('posts', float(v), sign=True)}" for k, v in steps.iloc[1:].items())
        + "."
    )
    ends = sens[sens["blend"].isin([0.0, 1.0])].groupby("name", sort=False)["fair_share"]
    lead.append(
        "From blend 0 to 1, the others as they are: "
        + "; ".join(f"{k} {V.fmt('posts', v.iloc[0])} → {V.fmt('posts', v.iloc[-1])}" for k, v in ends)
        + "."
    )
    brief = Brief(
        region=region,
        name=name,
        instance=instance.name,
        model=result.model,
        status=result.status,
        lead=lead,
        tables=tables,
        sentences=sentences,
        waterfall=rows,
        sensitivity=sens,
        assumptions=ctx.assumptions,
    )
    if figures:
        from allocator.report.figures import to_bytes
        from allocator.report.waterfall import region_figure

        brief.figures["waterfall"] = to_bytes(region_figure(d, ctx.x, region, name), "png")
        brief.figures["sensitivity"] = to_bytes(sensitivity_figure(sens, name, d.years[-1]), "png")
    if montecarlo is not None:
        add_fan(brief, montecarlo, figures)
    return brief


def sensitivity_figure(sens: pd.DataFrame, name: str, year: int):
    """One line per factor: the region's fair share against the factor's blend (its own blend marked)."""
    import matplotlib

    from allocator.report.figures import _figure, _literal, _wrap

    with matplotlib.rc_context({"font.size": 8, "svg.hashsalt": "allocator"}):
        fig = _figure(4.8, 3.2 + 0.22 * sens["factor"].nunique())
        ax = fig.subplots()
        for _factor, rows in sens.groupby("factor", sort=False):
            (line,) = ax.plot(
                100 * rows["blend"], rows["fair_share"], label=_literal(_wrap(str(rows["name"].iloc[0]), 70))
            )
            own = rows[rows["own"]]
            ax.plot(100 * own["blend"], own["fair_share"], "o", color=line.get_color())
        ax.set_xlabel("blend (%)")
        ax.set_ylabel("fair share (posts)")
        ax.set_title(_literal(f"{name}: fair share in {year} by blend (dot: the instance's)"), fontsize=9)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    return fig


# ---------------------------------------------------------------------------- the files

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#212b32;max-width:1100px;
margin:1.5em auto;padding:0 1em;line-height:1.3;font-size:14px}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.05em;border-bottom:2px solid #005eb8;margin:.8em 0 .3em}
table{border-collapse:collapse;font-size:.85em;margin:.2em 0;width:100%}
th,td{padding:.15em .35em;border-bottom:1px solid #d8dde0;text-align:right}
th{background:#005eb8;color:#fff;font-weight:600}td:first-child,th:first-child{text-align:left}
.figs{display:flex;gap:1em}.figs figure{flex:1 1 50%;margin:.2em 0}
figure img{max-width:100%;height:auto}.small{font-size:.8em;color:#4c6272}
.cols{columns:2;column-gap:1.5em}section{break-inside:avoid}
.assume{columns:3;column-gap:1em;font-size:.7em}.assume table{font-size:1em}
.assume td{text-align:left;word-break:break-word;vertical-align:top}
@media print{@page{size:A4;margin:6mm}body{margin:0;max-width:none;font-size:7px;line-height:1.15}
h1{font-size:1.6em}h2{break-after:avoid;margin:.5em 0 .2em}figure{break-inside:avoid}
.figs img{max-height:55mm;width:auto}.assume{columns:4;font-size:.8em}}
"""


def _table(frame: pd.DataFrame) -> str:
    from allocator.report.html import _table as table

    return table(frame)


def _on_the_page(title: str, frame: pd.DataFrame, own: set[float]) -> pd.DataFrame | None:
    """The rows of a table the page shows (the workbook has them all): the sensitivity at
    blends 0, 0.5, 1 and the instance's own (``own``, in %); the workforce every fifth year
    and the last."""
    if title == "By programme and year":
        return None
    if title.startswith("Sensitivity"):
        return frame[frame["Blend (%)"].isin({0.0, 50.0, 100.0} | own)]
    if title in ("Trained workforce to the horizon", UNCERTAIN):
        years = frame["Year"]
        return frame[((years - years.min()) % 5 == 4) | (years == years.max()) | (years == years.min())]
    return frame


def page_html(b: Brief) -> str:
    """``brief.html``: self-contained (figures embedded as PNG), one page that prints on A4:
    the lead, the two figures, the tables in two columns, the limits, the assumptions."""
    import base64

    e = html.escape
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(b.name)}: area brief</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(b.name)}: area brief</h1>",
        f"<p class='small'>{e(b.instance)}, model {e(b.model)}, {e(b.status)}</p>",
        *[f"<p>{e(s)}</p>" for s in b.lead],
        "<div class='figs'>",
    ]
    for stem, caption in (
        ("waterfall", "Its fair share: equal per head, then each need factor in turn."),
        ("sensitivity", "How its fair share moves as each factor's blend goes from 0 to 1."),
        ("fan", "Its supply under uncertain rates: P10 to P90 of the draws, median, central rates (dashed)."),
    ):
        if stem in b.figures:
            data = base64.b64encode(b.figures[stem]).decode("ascii")
            parts.append(
                f"<figure><img src='data:image/png;base64,{data}' alt='{e(caption)}'>"
                f"<figcaption class='small'>{e(caption)}</figcaption></figure>"
            )
    parts += ["</div>", "<div class='cols'>"]
    own = {100 * float(v) for v in b.sensitivity.loc[b.sensitivity["own"], "blend"]}
    for title, frame in b.tables.items():
        shown = _on_the_page(title, frame, own)
        if shown is not None:
            more = f" <span class='small'>({len(shown)} of {len(frame)} rows: all in {WORKBOOK})</span>"
            parts.append(
                f"<section><h2>{e(title)}</h2>{_table(shown)}</section>".replace(
                    "</h2>", (more if len(shown) < len(frame) else "") + "</h2>", 1
                )
            )
    parts.append("<section><h2>What holds its allocation back</h2>")
    if b.sentences:
        parts += ["<ul>", *[f"<li>{e(s)}</li>" for s in b.sentences], "</ul>"]
        parts.append("<p class='small'>Shadow prices: each holds for a small change of one limit at a time.</p>")
    else:
        parts.append("<p>No limit of this region binds.</p>")
    parts += ["</section></div>", "<h2>Assumptions and inputs</h2>", "<div class='assume'>"]
    for title, rows in b.assumptions:
        body = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in rows)
        parts.append(f"<b>{e(title)}</b><table class='assumptions'>{body}</table>")
    parts += [
        "</div>",
        f"<p class='small'>The tables by programme and year are in {WORKBOOK}; the waterfall of every "
        f"programme and year in {WATERFALL}.</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def workbook_bytes(b: Brief) -> bytes:
    """``brief.xlsx``: the lead, every table on its own sheet, the limits and the assumptions."""
    from allocator.report.workbook import _defuse, _sheet

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        _sheet(
            xw,
            "Brief",
            pd.DataFrame(
                {
                    "Item": ["Area", "Instance", "Model", "Status"] + [""] * len(b.lead),
                    "Value": [b.name, b.instance, b.model, b.status, *b.lead],
                }
            ),
        )
        for k, (title, frame) in enumerate(b.tables.items(), start=1):
            _sheet(xw, re.sub(r"[][:*?/\\]", "", f"{k} {title}")[:31], frame, [title])
        _sheet(xw, "Limits", pd.DataFrame({"What holds its allocation back": b.sentences or ["No limit binds."]}))
        rows = [(t, k, v) for t, items in b.assumptions for k, v in items]
        _sheet(xw, "Assumptions", pd.DataFrame(rows, columns=["Section", "Item", "Value"]))
        _defuse(xw.book)
    return buf.getvalue()


def brief_files(b: Brief) -> dict[str, bytes]:
    """``{brief.html, brief.xlsx, waterfall.csv: bytes}``."""
    csv = b.waterfall.to_csv(index=False, float_format="%.17g", lineterminator="\n").encode()
    return {PAGE: page_html(b).encode("utf-8"), WORKBOOK: workbook_bytes(b), WATERFALL: csv}


def write_brief(b: Brief, out_dir: str | Path, force: bool = False, *, montecarlo=None) -> list[Path]:
    """Write :func:`brief_files` into ``out_dir`` (created if needed); with ``montecarlo`` (a Monte
    Carlo evaluation of the plan) the region's fan is added first (:func:`add_fan`), unless the
    brief has it already.

    A file of the same name is replaced only when a previous brief wrote it (its SHA-256 is in
    ``.allocator-brief.json``) or with ``force``: ``waterfall.csv`` is also the name of a
    result folder's full waterfall.

    Raises
    ------
    ValueError
        ``out_dir`` is not a folder, or a file would be overwritten without ``force``.
    """
    from allocator.io.atomic import atomic_write
    from allocator.report.guard import _sha256

    out = Path(out_dir)
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    try:
        known = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        known = {}
    clash = [
        n
        for n in BRIEF_FILES
        if (out / n).exists()
        and not (isinstance(known, dict) and (out / n).is_file() and _sha256((out / n).read_bytes()) == known.get(n))
    ]
    if clash and not force:
        raise ValueError(
            f"{out}: {', '.join(clash)} already exist and were not written by allocator brief "
            "(or changed since); use --force to overwrite"
        )
    if montecarlo is not None and UNCERTAIN not in b.tables:
        add_fan(b, montecarlo)
    files = brief_files(b)
    out.mkdir(parents=True, exist_ok=True)
    written = atomic_write(files, out)
    digests = {n: _sha256(data) for n, data in files.items()}
    atomic_write(
        {MANIFEST: (json.dumps({"written_by": "allocator brief", "files": digests}, indent=2) + "\n").encode()}, out
    )
    return written
