"""Reading the raw cells of a workbook or a folder of CSV files (allocator.io.tables reads
them into an instance): every sheet or file as a :class:`_Raw`, with the problems of the file
itself (not a workbook, not UTF-8, semicolons, ragged rows)."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allocator.core.instance import InstanceError
from allocator.io.table_cells import _clean, _Problem, _safe


@dataclass
class _Raw:
    """One sheet or CSV file as read: its header (row 1) and its rows, by row number."""

    name: str  # as written: sheet name or file stem
    label: str
    rows: dict[int, dict[int, Any]] = field(default_factory=dict)  # row -> column (1-based) -> value
    no_value: set[tuple[int, int]] = field(default_factory=set)  # formula cells without a cached value
    problems: list[_Problem] = field(default_factory=list)
    columns: int = 0  # CSV: cells in the header


def _col_letter(c: int) -> str:
    s = ""
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def _read_xlsx(path: Path) -> list[_Raw]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=False)
    except zipfile.BadZipFile:
        raise InstanceError(
            str(path), [("", "is not an Excel workbook (not a zip archive): save it from Excel as .xlsx")]
        ) from None
    except Exception as err:  # openpyxl raises many kinds for a damaged file
        reason = f"{type(err).__name__}: {err}"[:200]
        raise InstanceError(
            str(path), [("", f"cannot read the workbook ({reason}): save it from Excel as .xlsx")]
        ) from None
    cached = None
    out = []
    for ws in wb.worksheets:
        raw = _Raw(ws.title, f"sheet {_safe(ws.title)}")
        cells = getattr(ws, "_cells", None)
        items = (
            (((r, c), cell) for (r, c), cell in cells.items())
            if cells is not None
            else (((cell.row, cell.column), cell) for row in ws.iter_rows() for cell in row)
        )
        for (r, c), cell in items:
            value = cell.value
            if cell.data_type == "f":
                if cached is None:
                    try:
                        cached = openpyxl.load_workbook(path, data_only=True)
                    except Exception:  # pragma: no cover - it just opened
                        cached = {}
                value = cached[ws.title].cell(r, c).value if ws.title in cached else None
                if value is None or (isinstance(value, str) and value == ""):
                    raw.no_value.add((r, c))
                    continue
            value = _clean(value)
            if value is not None:
                raw.rows.setdefault(r, {})[c] = value
        out.append(raw)
    return out


def _decode(path: Path, label: str) -> tuple[str | None, list[_Problem]]:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        return None, [_Problem(label, "is a folder, not a CSV file")]
    except OSError as err:
        return None, [_Problem(label, f"cannot be read: {err.strerror or err}")]
    if not data:
        return None, [_Problem(label, "is empty (0 bytes): a table needs at least its header row")]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            return None, [_Problem(label, "is not valid UTF-16 text: save it as 'CSV UTF-8 (comma delimited)'")]
    if b"\x00" in data:
        return None, [_Problem(label, "contains NUL bytes (UTF-16 without a byte-order mark?): save it as CSV UTF-8")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return None, [
            _Problem(
                label,
                f"is not UTF-8 text (byte 0x{data[err.start]:02x} at position {err.start}; Latin-1 or Windows-1252?): "
                "save it as 'CSV UTF-8 (comma delimited)'",
            )
        ]
    return text, []


def _read_csv(path: Path, label: str) -> _Raw:
    raw = _Raw(path.stem, label)
    text, raw.problems = _decode(path, label)
    if text is None:
        return raw
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raw.problems.append(_Problem(label, f"is not a readable CSV file: {err}"))
        return raw
    for r, cells in enumerate(records, start=1):
        for c, value in enumerate(cells, start=1):
            if value.strip():
                raw.rows.setdefault(r, {})[c] = value
    header = records[0] if records else []
    raw.columns = len(header)
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        sep = "semicolon" if ";" in header[0] else "tab"
        raw.problems.append(_Problem(label, f"looks {sep}-separated: save as comma-separated CSV"))
        raw.rows = {}
    return raw


# --------------------------------------------------------------------------- tables -> data


def _read_folder(path: Path) -> list[_Raw]:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
    return [_read_csv(p, f"file {_safe(p.name)}") for p in files]
