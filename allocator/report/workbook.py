"""The report's Excel workbook (formats, defused formulas)."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd

from allocator.report import workforce
from allocator.report.pacing import floor_path
from allocator.report.tables import (
    TOP_SHADOW_PRICES,
    _Context,
    allocation_frame,
    changes_frame,
    diagnosis_detail,
    diagnosis_frame,
    equity_frame,
    headline,
    kpi_frame,
    region_frame,
)
from allocator.solution import vocabulary as V
from allocator.solution.gaps import gap_sentence

# ----------------------------------------------------------------------- workbook

_POSTS_FMT = V.UNITS["posts"].excel


def _number_format(column: str) -> str | None:
    """The number format of a column, by the unit of its header (allocator.solution.vocabulary)."""
    unit = V.unit_of(column)
    return None if unit is None else V.UNITS[unit].excel


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
            shown = [_shown(v, str(col) if fmt else None) for v in values[:2000]]
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


def _shown(v, column: str | None) -> str:
    """A cell as a person reads it, to size the column (``None``: a column of no measure)."""
    unit = V.unit_of(column) if column is not None else None
    if isinstance(v, float | np.floating | int | np.integer) and unit:
        return V.fmt(unit, v)
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _summary_rows(ctx: _Context) -> list[tuple[str, object]]:
    res, inst, d = ctx.result, ctx.instance, ctx.d
    R, S, Y = d.shape
    rows: list[tuple[str, object]] = [
        ("Instance", inst.name),
        ("Description", inst.description or ""),
        ("Model", res.model),
        ("Backend", res.backend),
        ("Status", res.status),
        ("Objective", V.rounded("objective", res.objective)),
        ("Regions × specialties × years", f"{R} × {S} × {Y}"),
        ("Baseline year", d.baseline_year),
        ("Planning years", f"{d.years[0]}–{d.years[-1]}" if Y > 1 else str(d.years[0])),
    ]
    if res.mip_gap is not None:
        rows += [
            (V.label("mip_gap_pct"), V.rounded("gap_pct", 100 * res.mip_gap)),
            ("Best bound", V.rounded("objective", res.best_bound)),
            ("Whole-post gap", gap_sentence(res)),
        ]
    if res.rounding:
        rows.append(("Whole posts", res.rounding.get("note", "rounded")))
    if res.diagnosis:
        rows.append(("Diagnosis", res.diagnosis.get("summary", "")))
    rows += [("In words", " ".join(headline(ctx)))]
    for n, g in enumerate(ctx.binding_groups.head(TOP_SHADOW_PRICES).itertuples(index=False), start=1):
        rows.append((f"What holds it back ({n})", g.sentence))  # one per family and region; rows in Binding
    if ctx.has_supply:
        rows.append(("Posts gap and supply gap", ctx.disagreement[1]))
        if note := workforce.stock_note(ctx.d):
            rows.append(("Stock", note))
    rows += [("Note", n) for n in ctx.notes]
    return rows


def _headline_measures(ctx: _Context) -> pd.DataFrame:
    """Measure | baseline | final year | change."""
    d, res = ctx.d, ctx.result
    base = ctx.baseline_kpis.iloc[-1]
    k = res.kpis.iloc[-1]
    eq, eq0 = ctx.equity_after.iloc[-1], ctx.equity_before.iloc[-1]
    moved = float(pd.to_numeric(res.kpis["posts_moved"]).sum())
    rows = [  # measure id, label, baseline, final year
        ("gap_posts", None, base.gap_posts, k.gap_posts),
        ("gap_closed_pct", None, 0.0, k.gap_closed_pct),
        ("gini", None, base.gini, k.gini),
        ("theil", None, eq.theil_before, eq.theil),
        ("max_below_target_pct", None, eq0.max_below_target_pct, eq.max_below_target_pct),
        ("max_shortfall_pct", None, base.max_shortfall_pct, k.max_shortfall_pct),
        ("posts_moved", V.label("posts_moved", f"all years to {ctx.last}"), 0.0, moved),
        ("cost", None, base.cost, k.cost),
    ]
    before, after = f"Baseline {d.baseline_year}", str(ctx.last)
    return pd.DataFrame(
        [
            {"Measure": label or V.label(m)}
            | {before: V.rounded(m, b), after: V.rounded(m, a), "Change": V.rounded(m, a - b)}
            for m, label, b, a in rows
        ]
    )


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


def _clean(frame: pd.DataFrame, rounded: bool = True) -> pd.DataFrame:
    """``frame`` with every text cell and column name through :func:`_cell_text`, and (with
    ``rounded``) every number rounded as its column's unit shows it: a workbook holds what a
    person reads, full precision stays in result.json and the CSV files."""
    out = V.round_frame(frame) if rounded else frame.copy()
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
    from allocator.io.atomic import FORMULA_START

    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    cell.quotePrefix = True


def _sheet(xw, name: str, frame: pd.DataFrame, below: list[str] = ()) -> None:
    """One table per sheet, formatted; lines of text a row below it."""
    _clean(frame).to_excel(xw, sheet_name=name, index=False)
    ws = xw.sheets[name]
    _format_sheet(ws, frame)
    for i, text in enumerate(below):
        ws.cell(row=len(frame) + 3 + i, column=1, value=_cell_text(text))


def _workforce_sheets(xw, ctx: _Context) -> None:
    """Supply, Supply measures, Posts vs supply, Stock over time (with a pipeline); Team measures
    and Team mix (with teams)."""
    if ctx.has_supply:
        note = workforce.stock_note(ctx.d)
        _sheet(xw, "Supply", ctx.supply_regions, [note] if note else [])
        _sheet(xw, "Supply measures", ctx.supply_measures)
        table, sentence = ctx.disagreement
        _sheet(xw, "Posts vs supply", table, [sentence])
        _sheet(xw, "Stock over time", workforce.readable_stock_time(ctx.stock_time, ctx.rname))
    floors = floor_path(ctx.d, ctx.x, ctx.rname)  # §5b
    if len(floors):
        _sheet(xw, "Floor path", floors)
    if ctx.has_teams:
        _sheet(xw, "Team measures", ctx.team_measures)
        mix = pd.concat([f.assign(Team=t) for t, f in ctx.team_mix.items()], ignore_index=True)
        _sheet(xw, "Team mix", mix[["Team"] + [c for c in mix.columns if c != "Team"]])


def _assumptions_sheet(xw, ctx: _Context) -> None:
    """The sheet "Assumptions": Section | Item | Value, every value as text already rounded
    for reading (:mod:`allocator.report.assumptions`); full precision stays in result.json."""
    from openpyxl.styles import Alignment

    rows = [(title, label, value) for title, items in ctx.assumptions for label, value in items]
    frame = pd.DataFrame(rows, columns=["Section", "Item", "Value"])
    _clean(frame).to_excel(xw, sheet_name="Assumptions", index=False)
    ws = xw.sheets["Assumptions"]
    _format_sheet(ws, frame)
    for letter, width in (("A", 20), ("B", 40), ("C", 90)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")


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
                row[1].number_format = _number_format(str(row[0].value)) or _POSTS_FMT
        if ctx.x is not None:
            start = len(summary) + 3
            ws.cell(row=start, column=1, value="Headline measures").font = Font(bold=True, size=12)
            hm = _headline_measures(ctx)
            _clean(hm, rounded=False).to_excel(xw, sheet_name="Summary", index=False, startrow=start)
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

            _workforce_sheets(xw, ctx)
            if ctx.d.has_need_block:  # docs/model.md §3b: each region's fair share, step by step
                from allocator.report.waterfall import region_table

                note = (
                    f"Fair share in {ctx.d.years[-1]}, summed over specialties: the equal-per-head share of the "
                    "national totals, then the posts each need factor adds or takes away, in the instance's order "
                    "(docs/model.md §3b). Every cell's steps are in waterfall.csv of the result."
                )
                _sheet(xw, "Fair share explained", region_table(ctx.d, ctx.x, ctx.region_names), [note])
            if ctx.montecarlo is not None:  # the plan under uncertain rates (allocator.report.uncertain)
                from allocator.report import uncertain

                said = [uncertain.describe(ctx.montecarlo)]
                _sheet(xw, "Uncertain rates, national", uncertain.national_sheet(ctx.montecarlo), said)
                names = dict(zip(ctx.d.regions, ctx.region_names, strict=True))
                _sheet(xw, "Uncertain rates, regions", uncertain.regions_sheet(ctx.montecarlo, names), said)

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
            ws = xw.sheets["Diagnosis"]
            _format_sheet(ws, df, wrap=("What to change",))
            detail = diagnosis_detail(ctx)
            if detail:  # words first; the solver's conflict set and raw figures under their own heading
                from openpyxl.styles import Font

                ws.cell(row=len(df) + 3, column=1, value="Technical detail").font = Font(bold=True, size=12)
                for i, line in enumerate(detail):
                    ws.cell(row=len(df) + 4 + i, column=1, value=_cell_text(line))
        _assumptions_sheet(xw, ctx)
        _defuse(xw.book)
    return buf.getvalue()
