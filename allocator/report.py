"""The report of a result: an Excel workbook, figures (PNG and SVG) and a one-page HTML summary.

:func:`write_report` writes, into one folder,

- ``report.xlsx``: sheets Summary, Allocation, Changes, Regions, Measures, Binding and (for an
  infeasible result) Diagnosis, with readable headers, frozen header rows, number formats
  and column widths;
- ``per_100k``, ``change_heatmap``, ``lorenz`` and (when the regions have boundaries,
  :mod:`allocator.geo`) ``change_map``, each as ``.png`` and ``.svg`` (:mod:`allocator.figures`);
- ``report.html``: one self-contained page (inline CSS, figures embedded) a person can read
  without Python: headline, measures, regions, shadow prices in words, diagnosis, figures;
- ``.allocator-report.json``: the manifest of the files the report wrote, each with the
  sha256 of its content.

It refuses, with a :class:`ValueError` naming the difference and writing nothing, a result
that does not belong to the instance (another name, other regions, specialties or years,
other fair shares), and it never overwrites a file it cannot prove it wrote (one whose name
and current sha256 are not in the manifest) unless ``force`` is set; ``force`` replaces only
the report's own file names (:data:`OWN_NAMES`) and never deletes anything. A stale file of an
earlier report (a map no longer drawn) is deleted only when its content still matches the
manifest. Every file is written to a fresh temporary file (``tempfile.mkstemp``: exclusive,
unpredictable name) and then renamed, so a failure never leaves a half-written report. In the
workbook no cell is a formula: text starting with ``= + - @`` is a string cell with Excel's
quote prefix, and control characters are replaced by U+FFFD.

:func:`report_command` is the ``allocator report RESULT.json --instance INSTANCE --out DIR``
command (exit code 2, nothing written, on bad input, a mismatch or a refused overwrite).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from . import equity, geo, measures, shadow
from .data import ProblemData, problem_data
from .instance import Instance
from .interrupt import atomic_write
from .result import Result
from .summary import cell_array, posts_array, region_table

MANIFEST = ".allocator-report.json"
WORKBOOK = "report.xlsx"
PAGE = "report.html"
FIGURES = ("per_100k", "change_heatmap", "lorenz", "change_map")
FIGURE_CAPTIONS = {
    "per_100k": "Posts per 100,000 need-weighted population by region, baseline and final year; "
    "the black mark is the region's fair share.",
    "change_heatmap": "Change in posts by region and specialty, final year against the baseline "
    "(blue: more posts, red: fewer).",
    "lorenz": "Lorenz curves of posts against need across regions: the closer to the dashed line of "
    "equality, the more evenly posts follow need.",
    "change_map": "Change in posts per 100,000 need-weighted population by region, final year against the baseline.",
}
TOP_SHADOW_PRICES = 10

# readable column names, shared by the workbook and the page
KPI_NAMES = {
    "year": "Year",
    "gap_posts": "Gap to fair shares (posts)",
    "gap_closed_pct": "Gap closed (%)",
    "gini": "Gini of posts per 100,000 weighted population",
    "max_shortfall_pct": "Worst shortfall of a cell (% of fair share)",
    "posts_moved": "Posts moved",
    "cost": "Cost",
}
EQUITY_NAMES = {
    "year": "Year",
    "gini": "Gini of posts per 100,000 weighted population",
    "gini_before": "Gini, baseline unchanged",
    "theil": "Theil index against fair shares",
    "theil_before": "Theil index, baseline unchanged",
    "between_regions": "Theil between regions",
    "within_regions": "Theil within regions",
    "max_below_target_pct": "Region furthest below fair share (% below)",
    "most_below_region": "Region furthest below fair share",
    "max_cell_below_target_pct": "Cell furthest below fair share (% below)",
}
PER_100K = "Posts per 100,000 weighted population"


# ------------------------------------------------------------------------ checks


def _diff(kind: str, in_result: set, in_instance: set) -> str | None:
    """'regions differ: in the result only: a, b; in the instance only: c' (None if equal)."""
    extra, missing = sorted(map(str, in_result - in_instance)), sorted(map(str, in_instance - in_result))
    if not extra and not missing:
        return None

    def show(items: list[str]) -> str:
        return ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")

    parts = []
    if extra:
        parts.append(f"in the result only: {show(extra)}")
    if missing:
        parts.append(f"in the instance only: {show(missing)}")
    return f"{kind} differ ({'; '.join(parts)})"


def check_match(result: Result, instance: Instance, d: ProblemData | None = None) -> None:
    """Raise :class:`ValueError` when ``result`` was not solved on ``instance``.

    Compared: the instance name; the regions, specialties and years of the allocation
    (one row per cell), of the measures and of the binding constraints; and the fair shares
    (``target``), which differ when the result was solved on other data under the same name.

    Raises
    ------
    ValueError
        One message listing every difference found.
    """
    d = d or problem_data(instance)
    problems = []
    if result.instance != instance.name:
        problems.append(f"the result is for instance '{result.instance}', not '{instance.name}'")
    a = result.allocation
    if a is not None and len(a):
        years = set(pd.to_numeric(a["year"], errors="coerce").dropna().astype(int))
        for kind, got, want in (
            ("regions", set(a["region"].astype(str)), set(d.regions)),
            ("specialties", set(a["specialty"].astype(str)), set(d.specialties)),
            ("years", years, set(d.years)),
        ):
            msg = _diff(kind, got, want)
            if msg:
                problems.append(msg)
        if not problems:
            keys = a[["region", "specialty", "year"]].astype({"year": int})
            R, S, Y = d.shape
            if len(a) != R * S * Y or keys.duplicated().any():
                problems.append(
                    f"the allocation has {len(a)} rows, {int(keys.duplicated().sum())} of them repeated; "
                    f"the instance needs one per region, specialty and year ({R}×{S}×{Y} = {R * S * Y})"
                )
            else:
                target = cell_array(a, d, "target")
                expected = d.target_of(cell_array(a, d, "posts"))  # v2: a ranged total's shares follow x
                bad = np.abs(target - expected) > 1e-6 * np.maximum(1.0, np.abs(expected))
                if bad.any():
                    r, s, t = (int(i[0]) for i in np.nonzero(bad))
                    problems.append(
                        f"fair shares differ from the instance's in {int(bad.sum())} cells (e.g. "
                        f"{d.regions[r]}/{d.specialties[s]}/{d.years[t]}: {target[r, s, t]:.4g} in the result, "
                        f"{expected[r, s, t]:.4g} from the instance): the result was solved on other data"
                    )
    if result.kpis is not None and len(result.kpis):
        msg = _diff("measure years", set(pd.to_numeric(result.kpis["year"]).astype(int)), set(d.years))
        if msg:
            problems.append(msg)
    b = result.binding
    if b is not None and len(b):
        for kind, col, known in (
            ("binding-constraint regions", "region", set(d.regions)),
            ("binding-constraint specialties", "specialty", set(d.specialties)),
        ):
            unknown = set(b[col].dropna().astype(str)) - known
            if unknown:
                problems.append(f"{kind} unknown to the instance: {', '.join(sorted(unknown)[:8])}")
        unknown_years = set(pd.to_numeric(b["year"]).dropna().astype(int)) - set(d.years)
        if unknown_years:
            problems.append(f"binding-constraint years unknown to the instance: {sorted(unknown_years)}")
    if problems:
        raise ValueError("result does not match the instance: " + "; ".join(problems))


# --------------------------------------------------------------------- manifest


# Every name the report may write: nothing else in --out is ever replaced or deleted.
OWN_NAMES = frozenset([WORKBOOK, PAGE, *(f"{s}.{ext}" for s in FIGURES for ext in ("png", "svg"))])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(out: Path) -> dict[str, set[str]]:
    """``{file name: sha256 digests}`` of the files a previous report says it wrote.

    Only the report's own file names (:data:`OWN_NAMES`) are taken; anything else a manifest
    lists (another name, a path, a folder) is ignored, as is a manifest that cannot be read
    or has no digests (an older or planted one proves nothing).
    """
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = data.get("files", {})
    except (OSError, ValueError, AttributeError, RecursionError):
        return {}
    if not isinstance(files, dict):
        return {}
    ours: dict[str, set[str]] = {}
    for name, digests in files.items():
        digests = [digests] if isinstance(digests, str) else digests
        if name in OWN_NAMES and isinstance(digests, list):
            ours[name] = {d for d in digests if isinstance(d, str) and len(d) == 64}
    return ours


def _proven(out: Path, name: str, manifest: dict[str, set[str]]) -> bool:
    """True when ``out/name`` is a regular file whose content hashes to a digest the
    manifest recorded for it: a file the report can prove it wrote."""
    path = out / name
    if name not in manifest or path.is_symlink() or not path.is_file():
        return False
    try:
        return _sha256(path.read_bytes()) in manifest[name]
    except OSError:
        return False


def check_overwrite(out: Path, names: list[str], force: bool = False) -> None:
    """Refuse to replace a file the report cannot prove it wrote, unless ``force``.

    A file is the report's when the manifest ``.allocator-report.json`` lists its name with
    the sha256 of its current content (so a planted manifest, or a file edited since, proves
    nothing). ``force`` allows replacing the files of ``names`` (the report's own file names,
    inside ``out``) whoever wrote them; it never allows deleting anything.

    Raises
    ------
    ValueError
        ``out`` is not a folder, or files would be overwritten (named in the message).
    """
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    if force or not out.exists():
        return
    ours = _read_manifest(out)
    clash = [n for n in names if ((out / n).exists() or (out / n).is_symlink()) and not _proven(out, n, ours)]
    if clash:
        raise ValueError(
            f"{out}: {', '.join(clash)} already exist{'s' if len(clash) == 1 else ''} and "
            f"{'was' if len(clash) == 1 else 'were'} not written by allocator report "
            f"(or changed since); use --force (force=True) to overwrite"
        )


# ------------------------------------------------------------------------ tables


@dataclass
class _Context:
    """Everything the workbook and the page are built from."""

    result: Result
    instance: Instance
    d: ProblemData
    x: np.ndarray | None
    names: dict[str, str]
    region_names: list[str]
    specialty_names: list[str]
    notes: list[str] = field(default_factory=list)

    def rname(self, rid) -> str:
        return self.names.get(rid, rid) if isinstance(rid, str) else ""

    @property
    def last(self) -> int:
        return self.d.years[-1]

    # measured once, read by the headline, the workbook and the page

    @cached_property
    def baseline_kpis(self) -> pd.DataFrame:
        return measures.baseline_kpis(self.d)

    @cached_property
    def equity_after(self) -> pd.DataFrame:
        return equity.equity_table(self.d, self.x)

    @cached_property
    def equity_before(self) -> pd.DataFrame:
        """:func:`allocator.equity.equity_table` of the baseline held unchanged."""
        return equity.equity_table(self.d, self.d.baseline_by_year)

    @cached_property
    def binding(self) -> pd.DataFrame:
        return binding_frame(self)


def kpi_frame(ctx: _Context) -> pd.DataFrame:
    """§8 measures: the unchanged baseline (measured against each year's targets; the row
    shows the final year's) first, then each planning year; readable column names."""
    base = ctx.baseline_kpis.iloc[[-1]].copy()
    base["year"] = f"{ctx.d.baseline_year} (baseline)"
    base["gap_closed_pct"] = 0.0
    base["posts_moved"] = 0.0
    k = ctx.result.kpis.copy()
    k["year"] = k["year"].astype(int)
    frame = pd.concat([base, k], ignore_index=True)[list(KPI_NAMES)]
    frame["year"] = frame["year"].astype(object)
    return frame.rename(columns=KPI_NAMES)


def equity_frame(ctx: _Context) -> pd.DataFrame:
    eq = ctx.equity_after.copy()
    eq["most_below_region"] = eq["most_below_region"].map(lambda r: ctx.rname(r) if r else "none")
    return eq[list(EQUITY_NAMES)].rename(columns=EQUITY_NAMES)


def allocation_frame(ctx: _Context) -> pd.DataFrame:
    dist = equity.distance_from_target(ctx.d, ctx.x)
    return pd.DataFrame(
        {
            "Region": dist["region"].map(ctx.rname),
            "Specialty": dist["specialty"].map(ctx.rname),
            "Year": dist["year"],
            "Posts": dist["posts"],
            "Fair share (posts)": dist["target"],
            "Distance from fair share (%)": dist["distance_pct"],
            "Region id": dist["region"],
            "Specialty id": dist["specialty"],
        }
    )


def changes_frame(ctx: _Context) -> pd.DataFrame:
    """Posts by region × specialty: the baseline, each year, and each year's change from it."""
    d, x = ctx.d, ctx.x
    R, S, Y = d.shape
    out = pd.DataFrame(
        {
            "Region": np.repeat(ctx.region_names, S),
            "Specialty": np.tile(ctx.specialty_names, R),
            f"Posts {d.baseline_year} (baseline)": d.baseline.reshape(-1),
        }
    )
    for t, year in enumerate(d.years):
        out[f"Posts {year}"] = x[:, :, t].reshape(-1)
    for t, year in enumerate(d.years):
        out[f"Change by {year}"] = (x[:, :, t] - d.baseline).reshape(-1)
    base = d.baseline.reshape(-1)
    out[f"Change by {d.years[-1]} (%)"] = np.divide(
        100 * (x[:, :, -1].reshape(-1) - base), base, out=np.full(base.shape, np.nan), where=base > 0
    )
    return out


def region_frame(ctx: _Context) -> pd.DataFrame:
    """Per region: posts and posts per 100,000 need-weighted population, baseline → final year."""
    d = ctx.d
    rt = region_table(ctx.result, d)
    dist = equity.distance_from_target_by_region(d, ctx.x)
    dist = dist[dist["year"] == ctx.last].reset_index(drop=True)
    return pd.DataFrame(
        {
            "Region": ctx.region_names,
            f"Posts {d.baseline_year}": rt["posts_baseline"],
            f"Posts {ctx.last}": rt["posts_final"],
            "Change (posts)": rt["change"],
            f"{PER_100K}, {d.baseline_year}": rt["per_100k_baseline"],
            f"{PER_100K}, {ctx.last}": rt["per_100k_final"],
            f"{PER_100K} at fair share": rt["per_100k_fair_share"],
            f"Distance from fair share {ctx.last} (%)": dist["distance_pct"],
        }
    )


def binding_frame(ctx: _Context) -> pd.DataFrame:
    ex = shadow.explain(ctx.result, ctx.d, names=ctx.names)
    return pd.DataFrame(
        {
            "Constraint": ex["constraint"],
            "Region": ex["region"].map(ctx.rname),
            "Specialty": ex["specialty"].map(ctx.rname),
            "Year": pd.to_numeric(ex["year"]).astype("Int64"),
            "Shadow price (objective per unit of bound)": pd.to_numeric(ex["dual"]),
            "Bound (posts)": pd.to_numeric(ex["value"]),
            "What it means": ex["sentence"].map(_sentence),
        }
    )


def diagnosis_frame(ctx: _Context) -> pd.DataFrame:
    rows = ctx.result.diagnosis.get("findings", [])
    return pd.DataFrame(
        {
            "Constraint": [f.get("constraint", "") for f in rows],
            "Region": [ctx.rname(f.get("region")) for f in rows],
            "Specialty": [ctx.rname(f.get("specialty")) for f in rows],
            "Year": pd.array([f.get("year") for f in rows], dtype="Int64"),
            "Relax by": [f.get("relax_by") for f in rows],
            "What to change": [f.get("message", "") for f in rows],
        }
    )


def _sentence(text: str) -> str:
    text = str(text).strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def headline(ctx: _Context) -> list[str]:
    """The report's first lines, in words."""
    res, d = ctx.result, ctx.d
    obj = f", objective {res.objective:,.4g}" if res.objective is not None else ""
    lines = [f"Status {res.status} (model {res.model}, backend {res.backend}{obj})."]
    if ctx.x is None:
        if res.diagnosis:
            lines.append("The instance cannot be solved as it stands: see the diagnosis.")
        elif res.message:
            lines.append(f"No allocation: {res.message}.")
        return lines
    k = res.kpis.iloc[-1]
    base = ctx.baseline_kpis.iloc[-1]
    moved = float(pd.to_numeric(res.kpis["posts_moved"]).sum())
    lines.append(
        f"By {ctx.last} the allocation closes {k.gap_closed_pct:.1f}% of the gap between posts and "
        f"need-based fair shares ({k.gap_posts:,.0f} posts of gap left, from {base.gap_posts:,.0f})."
    )
    lines.append(
        f"Inequality of posts per 100,000 need-weighted population across regions (Gini) goes from "
        f"{base.gini:.3f} to {k.gini:.3f}; {moved:,.0f} posts move over {len(d.years)} year"
        f"{'s' if len(d.years) > 1 else ''}."
    )
    eq, eq0 = ctx.equity_after.iloc[-1], ctx.equity_before.iloc[-1]
    if eq["most_below_region"]:
        lines.append(
            f"The region furthest below its fair share in {ctx.last} is {ctx.rname(eq['most_below_region'])}, "
            f"{eq['max_below_target_pct']:.1f}% below (at the baseline: "
            f"{ctx.rname(eq0['most_below_region']) if eq0['most_below_region'] else 'none'}, "
            f"{eq0['max_below_target_pct']:.1f}% below)."
        )
    if res.mip_gap is not None and res.best_bound is not None:
        how = f" ({res.rounding.get('method')})" if res.rounding else ""
        lines.append(
            f"Whole posts{how} that keep every limit: objective within {100 * res.mip_gap:.3f}% of "
            f"{res.best_bound:,.4g}, a bound no whole-post plan can beat."
        )
    if res.tie_break == "least-squares":
        lines.append(
            "Of the equally good allocations, this is the one nearest the fair shares "
            "(least-squares tie-break, FORMULATION §6b): the same whatever the solver or its settings."
        )
    return lines


# ----------------------------------------------------------------------- workbook

_POSTS_FMT = "#,##0.0"
_PCT_FMT = "0.0"
_INDEX_FMT = "0.000"
_DUAL_FMT = "#,##0.0000"
_DIGITS = {_POSTS_FMT: 1, _PCT_FMT: 1, _INDEX_FMT: 3, _DUAL_FMT: 4}  # decimals shown for each format


def _number_format(column: str) -> str | None:
    c = column.lower()
    if c == "year" or c.endswith(" id") or c in ("region", "specialty", "constraint"):
        return None
    if "(%)" in c or "% below" in c or "% of fair share" in c:
        return _PCT_FMT
    if "gini" in c or "theil" in c:
        return _INDEX_FMT
    if "shadow price" in c:
        return _DUAL_FMT
    return _POSTS_FMT


def _format_sheet(ws, frame: pd.DataFrame, header_row: int = 1, wrap: tuple[str, ...] = ()) -> None:
    """Bold shaded wrapped headers, frozen below the header, number formats, widths."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    header_lines = 1
    for j, col in enumerate(frame.columns, start=1):
        letter = get_column_letter(j)
        fmt = _number_format(str(col)) if pd.api.types.is_numeric_dtype(frame[col]) else None
        values = frame[col].tolist()
        if str(col) in wrap:
            width = 90
        else:
            shown = [_shown(v, fmt) for v in values[:2000]]
            width = min(max([len(s) for s in shown] + [8]) + 2, 60)
            width = max(width, min(len(str(col)) + 2, 24))
        ws.column_dimensions[letter].width = width
        header_lines = max(header_lines, math.ceil(len(str(col)) / max(width - 2, 1)))
        for i in range(len(values)):
            c = ws.cell(row=header_row + 1 + i, column=j)
            if fmt:
                c.number_format = fmt
            if str(col) in wrap:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    _style_header(ws, header_row, len(frame.columns), 15 * header_lines + 3)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _shown(v, fmt: str | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float | np.floating | int | np.integer) and fmt:
        return f"{v:,.{_DIGITS[fmt]}f}"
    return str(v)


def _summary_rows(ctx: _Context) -> list[tuple[str, object]]:
    res, inst, d = ctx.result, ctx.instance, ctx.d
    R, S, Y = d.shape
    rows: list[tuple[str, object]] = [
        ("Instance", inst.name),
        ("Description", inst.description or ""),
        ("Model", res.model),
        ("Backend", res.backend),
        ("Status", res.status),
        ("Objective", res.objective),
        ("Regions × specialties × years", f"{R} × {S} × {Y}"),
        ("Baseline year", d.baseline_year),
        ("Planning years", f"{d.years[0]}–{d.years[-1]}" if Y > 1 else str(d.years[0])),
    ]
    if res.mip_gap is not None:
        rows += [("MIP gap", res.mip_gap), ("Best bound", res.best_bound)]
    if res.rounding:
        rows.append(("Whole posts", res.rounding.get("note", "rounded")))
    if res.diagnosis:
        rows.append(("Diagnosis", res.diagnosis.get("summary", "")))
    rows += [("In words", " ".join(headline(ctx)))]
    rows += [("Note", n) for n in ctx.notes]
    return rows


def _headline_measures(ctx: _Context) -> pd.DataFrame:
    """Measure | baseline | final year | change."""
    d, res = ctx.d, ctx.result
    base = ctx.baseline_kpis.iloc[-1]
    k = res.kpis.iloc[-1]
    eq, eq0 = ctx.equity_after.iloc[-1], ctx.equity_before.iloc[-1]
    moved = float(pd.to_numeric(res.kpis["posts_moved"]).sum())
    rows = [
        (KPI_NAMES["gap_posts"], base.gap_posts, k.gap_posts),
        (KPI_NAMES["gap_closed_pct"], 0.0, k.gap_closed_pct),
        (KPI_NAMES["gini"], base.gini, k.gini),
        (EQUITY_NAMES["theil"], eq.theil_before, eq.theil),
        (EQUITY_NAMES["max_below_target_pct"], eq0.max_below_target_pct, eq.max_below_target_pct),
        (KPI_NAMES["max_shortfall_pct"], base.max_shortfall_pct, k.max_shortfall_pct),
        (f"Posts moved, all years to {ctx.last}", 0.0, moved),
        (KPI_NAMES["cost"], base.cost, k.cost),
    ]
    frame = pd.DataFrame(rows, columns=["Measure", f"Baseline {d.baseline_year}", str(ctx.last)])
    frame["Change"] = frame[str(ctx.last)] - frame[f"Baseline {d.baseline_year}"]
    return frame


def _style_header(ws, row: int, ncols: int, height: float | None) -> None:
    """Bold white on NHS blue, wrapped: the header row of every table in the workbook."""
    from openpyxl.styles import Alignment, Font, PatternFill

    for j in range(1, ncols + 1):
        h = ws.cell(row=row, column=j)
        h.font = Font(bold=True, color="FFFFFF")
        h.fill = PatternFill("solid", fgColor="005EB8")
        h.alignment = Alignment(wrap_text=True, vertical="center")
    if height:
        ws.row_dimensions[row].height = height


def _cell_text(value):
    """Text for a workbook cell: characters a workbook cannot hold (NUL, ESC and the other
    control characters but tab, newline and carriage return) become U+FFFD."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column name through :func:`_cell_text`."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col].dtype) or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].astype(object).map(_cell_text)
    out.columns = [_cell_text(c) for c in out.columns]
    return out


def _defuse(book) -> None:
    """No cell of the workbook is a formula: text that would be one (``=…``; also ``+ - @``,
    tab, carriage return at the start, which Excel turns into a formula when the cell is
    edited) is stored as a string cell with Excel's quote prefix, shown exactly as written.
    The report writes no formulas of its own."""
    from .interrupt import FORMULA_START

    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    cell.quotePrefix = True


def workbook_bytes(ctx: _Context) -> bytes:
    """The Excel workbook, formatted."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        summary = pd.DataFrame(_summary_rows(ctx), columns=["Item", "Value"])
        _clean(summary).to_excel(xw, sheet_name="Summary", index=False)
        ws = xw.sheets["Summary"]
        _format_sheet(ws, summary)
        ws.column_dimensions["A"].width = 44
        ws.column_dimensions["B"].width = 100
        for row in ws.iter_rows(min_row=2, max_col=2):
            row[1].alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
            row[0].alignment = Alignment(vertical="top")
            if isinstance(row[1].value, float):
                row[1].number_format = "#,##0.0000"
        if ctx.x is not None:
            start = len(summary) + 3
            ws.cell(row=start, column=1, value="Headline measures").font = Font(bold=True, size=12)
            hm = _headline_measures(ctx)
            _clean(hm).to_excel(xw, sheet_name="Summary", index=False, startrow=start)
            _style_header(ws, start + 1, len(hm.columns), height=None)
            for i, name in enumerate(hm["Measure"], start=start + 2):
                for j in range(2, len(hm.columns) + 1):
                    ws.cell(row=i, column=j).number_format = _number_format(name) or _POSTS_FMT
            for col in ("C", "D"):
                ws.column_dimensions[col].width = 14

            sheets = [
                ("Allocation", allocation_frame(ctx), ()),
                ("Changes", changes_frame(ctx), ()),
                ("Regions", region_frame(ctx), ()),
            ]
            for name, frame, wrap in sheets:
                _clean(frame).to_excel(xw, sheet_name=name, index=False)
                _format_sheet(xw.sheets[name], frame, wrap=wrap)

            kf = kpi_frame(ctx)
            _clean(kf).to_excel(xw, sheet_name="Measures", index=False)
            ws = xw.sheets["Measures"]
            _format_sheet(ws, kf)
            ef = equity_frame(ctx)
            start = len(kf) + 3
            ws.cell(row=start, column=1, value="Equity measures (regions; Theil across region × specialty cells)")
            ws.cell(row=start, column=1).font = Font(bold=True, size=12)
            _clean(ef).to_excel(xw, sheet_name="Measures", index=False, startrow=start)
            _style_header(ws, start + 1, len(ef.columns), height=48)
            for j, col in enumerate(ef.columns, start=1):
                fmt = _number_format(str(col)) if pd.api.types.is_numeric_dtype(ef[col]) else None
                for i in range(len(ef)):
                    if fmt:
                        ws.cell(row=start + 2 + i, column=j).number_format = fmt
            for j in range(1, max(len(kf.columns), len(ef.columns)) + 1):
                letter = get_column_letter(j)
                ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, 18)

        bf = ctx.binding
        if not len(bf):
            why = (
                "no shadow prices: only an optimal LP has them (integer and infeasible results have none)"
                if ctx.result.status != "optimal" or ctx.result.mip_gap is not None
                else "no constraint binds with a non-zero shadow price"
            )
            bf = pd.DataFrame({c: [why if i == 0 else None] for i, c in enumerate(bf.columns)})
        _clean(bf).to_excel(xw, sheet_name="Binding", index=False)
        _format_sheet(xw.sheets["Binding"], bf, wrap=("What it means",))

        if ctx.result.diagnosis:
            df = diagnosis_frame(ctx)
            _clean(df).to_excel(xw, sheet_name="Diagnosis", index=False)
            _format_sheet(xw.sheets["Diagnosis"], df, wrap=("What to change",))
        _defuse(xw.book)
    return buf.getvalue()


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


# ------------------------------------------------------------------------ writing


def _context(result: Result, instance: Instance) -> _Context:
    d = problem_data(instance)
    check_match(result, instance, d)
    names = shadow.names_from_instance(instance)
    return _Context(
        result=result,
        instance=instance,
        d=d,
        x=posts_array(result, d),
        names=names,
        region_names=[r.name or r.id for r in instance.regions],
        specialty_names=[s.name or s.id for s in instance.specialties],
    )


def _manifest_bytes(files: dict[str, set[str]]) -> bytes:
    listed = {name: sorted(files[name]) for name in sorted(files)}
    return (json.dumps({"written_by": "allocator report", "files": listed}, indent=2) + "\n").encode()


def write_report(result: Result, instance: Instance, out_dir: Path, force: bool = False) -> list[Path]:
    """Write the workbook, the figures and the HTML page of a result into ``out_dir``.

    Parameters
    ----------
    result : Result
        A result (any status) of ``instance``.
    instance : Instance
        The instance it was solved on.
    out_dir : Path
        The folder, created if needed.
    force : bool
        Overwrite files of the same names that the report did not write.

    Returns
    -------
    list of Path
        The files written (the manifest ``.allocator-report.json`` not included).

    Raises
    ------
    ValueError
        The result does not match the instance, ``out_dir`` is not a folder, or a file the
        report did not write would be overwritten without ``force``. Nothing is written.
    """
    from . import figures  # matplotlib: imported only when a report is written

    out = Path(out_dir)
    ctx = _context(result, instance)
    match = geo.match_regions(ctx.d.regions, [r.name for r in instance.regions])
    stems = []
    if ctx.x is not None:
        stems = ["per_100k", "change_heatmap", "lorenz"]
        if match.ok:
            stems.append("change_map")
        else:
            ctx.notes.append(f"No map: {match.reason}.")
    else:
        ctx.notes.append("No figures: the result has no allocation.")
    names = [WORKBOOK, PAGE] + [f"{s}.{ext}" for s in stems for ext in ("png", "svg")]
    check_overwrite(out, names, force)

    # render everything in memory first: a failure here writes nothing
    files: dict[str, bytes] = {}
    pngs: dict[str, bytes] = {}
    if ctx.x is not None:
        rn, sn = ctx.region_names, ctx.specialty_names
        figs = {
            "per_100k": lambda: figures.per_100k_figure(ctx.d, ctx.x, rn),
            "change_heatmap": lambda: figures.change_heatmap(ctx.d, ctx.x, rn, sn),
            "lorenz": lambda: figures.lorenz_figure(ctx.d, ctx.x),
            "change_map": lambda: figures.change_map(ctx.d, ctx.x, match, rn),
        }
        for stem in stems:
            fig = figs[stem]()
            pngs[stem] = figures.to_bytes(fig, "png")
            files[f"{stem}.png"] = pngs[stem]
            files[f"{stem}.svg"] = figures.to_bytes(fig, "svg")
    files[WORKBOOK] = workbook_bytes(ctx)
    files[PAGE] = page_html(ctx, pngs).encode("utf-8")

    out.mkdir(parents=True, exist_ok=True)
    previous = _read_manifest(out)
    proven = {name: digests for name, digests in previous.items() if _proven(out, name, previous)}
    digests = {name: {_sha256(data)} for name, data in files.items()}
    # list the new files (and the proven old ones) before they appear, so that an
    # interrupted run can still be redone without --force
    before = {name: proven.get(name, set()) | digests.get(name, set()) for name in proven.keys() | digests.keys()}
    atomic_write({MANIFEST: _manifest_bytes(before)}, out)
    written = atomic_write(files, out)
    for stale in sorted(proven.keys() - files.keys()):  # ours, unchanged, from an earlier report (a map)
        (out / stale).unlink(missing_ok=True)
    atomic_write({MANIFEST: _manifest_bytes(digests)}, out)
    return written


# --------------------------------------------------------------------------- command


def report_command(
    result: Annotated[Path, typer.Argument(help="Result JSON written by `allocator solve --format json` or --out.")],
    instance: Annotated[Path, typer.Option("--instance", help="The instance the result was solved on.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.xlsx, report.html and the figures.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files of the same names not written by allocator report.")
    ] = False,
):
    """Write a result's report: Excel workbook, figures (PNG, SVG) and a one-page HTML summary."""
    from rich.console import Console
    from rich.markup import escape

    from .check import ResultFormatError, load_result
    from .instance import InstanceError, load_instance

    err = Console(stderr=True, soft_wrap=True)

    def fail(msg: str) -> typer.Exit:
        err.print(f"[bold red]error:[/] {escape(msg)}", markup=True, highlight=False)
        return typer.Exit(2)

    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise fail(f"--out {out}: exists and is not a folder (give a folder for the report)")
    try:
        res = Result.from_dict(load_result(result, report=True))
    except ResultFormatError as e:
        raise fail(str(e)) from None
    try:
        inst = load_instance(instance)
    except InstanceError as e:
        raise fail(str(e)) from None
    except OSError as e:
        raise fail(f"{instance}: {e}") from None
    try:
        check_match(res, inst)
    except ValueError as e:
        raise fail(f"{result}: {e} ({instance})") from None
    try:
        written = write_report(res, inst, out, force=force)
    except ValueError as e:
        raise fail(str(e)) from None
    Console(width=120).print("wrote " + ", ".join(str(p) for p in written), highlight=False, markup=False)
