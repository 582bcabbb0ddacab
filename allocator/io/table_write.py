"""Writing an instance as an Excel workbook or a folder of CSV files (the inverse of
allocator.io.tables).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from allocator.core.instance import LISTS, Instance, InstanceError
from allocator.io.table_cells import (
    MEANING,
    NEED_SHEETS,
    NONE_WORD,
    NULLABLE_SHEET,
    PIPELINE_PREFIX,
    PIPELINE_SHEETS,
    README,
    SHEET_MEANING,
    SHEETS,
    TEAM_SHEETS,
    TRANSITION_PREFIX,
    list_cell,
    list_columns,
    scalar_fields,
)
from allocator.io.table_need import need_entries
from allocator.io.tables import _col_letter

# --------------------------------------------------------------------------- writing


def same_instance(a: Instance, b: Instance, rel: float = 1e-15) -> bool:
    """``a == b`` up to the precision a workbook keeps: Excel (and openpyxl) store 16
    significant digits, so a number like ``123456.78901234567`` comes back as
    ``123456.7890123457``. CSV and JSON keep every digit."""

    def same(x: Any, y: Any) -> bool:
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
        if isinstance(x, list) and isinstance(y, list):
            return len(x) == len(y) and all(same(u, v) for u, v in zip(x, y, strict=True))
        if isinstance(x, float) and isinstance(y, float):
            return math.isclose(x, y, rel_tol=rel, abs_tol=0.0)
        return x == y

    return a == b or same(a.model_dump(), b.model_dump())


_ABSENT = object()


def _cell(value: Any, sheet: str = "") -> Any:
    if value is _ABSENT:
        return None
    if value is None and sheet == NULLABLE_SHEET:  # §5b: a rate written null, removed
        return NONE_WORD
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, list):  # delay_years, delay_shares: "3;4"
        return list_cell(value)
    return value


def _entries(d: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The entries of list sheet ``name`` in the instance's JSON data ``d``."""
    if name in PIPELINE_SHEETS:
        return (d.get("pipeline") or {}).get(PIPELINE_SHEETS[name], [])
    if name in TEAM_SHEETS:
        key = TEAM_SHEETS[name]
        return [{"team": team["id"], **e} for team in d.get("teams", []) for e in team.get(key, [])]
    if name in NEED_SHEETS:
        return need_entries(d, name)
    return d.get(name, [])


def _tables(inst: Instance) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Every table of the instance: name -> (columns, rows), optional lists included when empty."""
    d = inst.to_dict()
    scalars = scalar_fields()
    representable = set(LISTS) | {"transition", "pipeline", "teams", "need"} | {f for f in scalars if "." not in f}
    left = sorted(set(d) - representable)
    if left:
        raise InstanceError(
            inst.name, [(k, "cannot be written as a table yet: keep this instance as JSON") for k in left]
        )
    tr = d.get("transition", {})
    pipeline = d.get("pipeline") or {}
    rows = []
    for f in scalars:
        if f.startswith(TRANSITION_PREFIX):
            value = tr.get(f[len(TRANSITION_PREFIX) :])
        elif f.startswith(PIPELINE_PREFIX):
            value = pipeline.get(f[len(PIPELINE_PREFIX) :])
        else:
            value = d.get(f)
        if isinstance(value, list):  # years, pipeline.assess_years
            value = ",".join(str(y) for y in value)
        rows.append([f, _cell(value), MEANING.get(f, "")])
    tables = {"instance": (["field", "value", "meaning"], rows)}
    for name in SHEETS:
        cols = list(list_columns(name))
        tables[name] = (cols, [[_cell(e.get(c, _ABSENT), name) for c in cols] for e in _entries(d, name)])
    return tables


def _csv_text(columns: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow(["" if v is None else ("true" if v is True else "false" if v is False else v) for v in row])
    return buf.getvalue()


def _xlsx_bytes(tables: dict[str, tuple[list[str], list[list[Any]]]]) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    readme = wb.create_sheet(README)
    readme.append(["sheet", "what it holds", "columns"])
    for name, (columns, _) in tables.items():
        readme.append([name, SHEET_MEANING.get(name, ""), ", ".join(columns)])
    readme.append([])
    readme.append(["", "Row 1 of each sheet names the columns; an empty cell means absent (the default applies)."])
    readme.append(["", "A sheet with only its header row is an empty list. This sheet is never read."])
    readme.append(["", "A list in one cell (delay_years, delay_shares) is written with semicolons: 3;4 and 0.7;0.3."])
    readme.append(
        [
            "",
            "Teams: one row per team in sheet teams; their members and need weights name the team in column team.",
        ]
    )
    readme.append(
        ["", "Need factors: one row per factor in sheet need_factors; their values name the factor in column factor."]
    )
    readme.append(["", "Check the workbook with: allocator validate THIS.xlsx (format: docs/model.md §2)"])
    readme.column_dimensions["A"].width = 20
    readme.column_dimensions["B"].width = 90
    readme.column_dimensions["C"].width = 60
    for c in readme[1]:
        c.font = bold
    for name, (columns, rows) in tables.items():
        ws = wb.create_sheet(name)
        ws.append(columns)
        for row in rows:
            ws.append(row)
            for c in ws[ws.max_row]:
                if c.data_type == "f":  # a text starting with "=" stays text
                    c.data_type = "s"
        for i, c in enumerate(ws[1], start=1):
            c.font = bold
            width = max([len(str(c.value))] + [len(str(r[i - 1])) for r in rows[:200] if r[i - 1] is not None])
            ws.column_dimensions[_col_letter(i)].width = min(max(width + 2, 10), 80)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_files(inst: Instance, kind: str) -> dict[str, bytes]:
    """The files of an instance as tables: ``{"": workbook}`` for ``kind="xlsx"``, or
    ``{"regions.csv": …, …}`` for ``kind="csv"`` (every list, with its header even when empty)."""
    tables = _tables(inst)
    if kind == "xlsx":
        return {"": _xlsx_bytes(tables)}
    return {f"{name}.csv": _csv_text(*t).encode("utf-8") for name, t in tables.items()}


def write_tables(inst: Instance, path: str | Path) -> Path:
    """Write an instance as an Excel workbook (``.xlsx``) or a folder of CSV files.

    Every list is written, with its column headers even when it is empty, and the
    ``instance`` sheet lists every scalar and transition field with its meaning. The inverse
    of the table loaders: ``load_instance(write_tables(i, p)) == i``.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(table_files(inst, "xlsx")[""])
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, content in table_files(inst, "csv").items():
            (path / name).write_bytes(content)
    return path
