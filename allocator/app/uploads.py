"""Reading an upload as data only: JSON by the instance reader, workbooks by openpyxl (values
only, macros never run), a zip only for its ``.csv`` members, by base name, within limits of
count and size; and validation problems as a table by sheet, row and field."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

import allocator
from allocator import InstanceError

#: Largest upload, in megabytes (also Streamlit's ``server.maxUploadSize``).
UPLOAD_LIMIT_MB = 20
#: A zip of CSV files: at most this many members and this many bytes once unpacked.
ZIP_MAX_MEMBERS = 64
ZIP_MAX_BYTES = 100 * 1024 * 1024
UPLOAD_TYPES = ("json", "xlsx", "xlsm", "zip")


# --------------------------------------------------------------------------- reading uploads


def safe_name(name: str) -> str:
    """A file's base name with only harmless characters (it is shown and used in a temp folder)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .") or "upload"
    return base[:120]


def read_upload(name: str, data: bytes) -> allocator.Instance:
    """An uploaded instance (``.json``, ``.xlsx``/``.xlsm`` or a ``.zip`` of CSV files), validated.

    Raises :class:`InstanceError` naming the file (as uploaded), and the sheet, row and field
    of every problem.
    """
    shown = safe_name(name)
    if len(data) > UPLOAD_LIMIT_MB * 1024 * 1024:
        raise InstanceError(shown, [("", f"the file is larger than {UPLOAD_LIMIT_MB} MB")])
    suffix = Path(shown).suffix.lower()
    if suffix not in {"." + t for t in UPLOAD_TYPES}:
        raise InstanceError(
            shown, [("", "upload an instance as JSON (.json), an Excel workbook (.xlsx) or a zip of CSV files (.zip)")]
        )
    with tempfile.TemporaryDirectory(prefix="allocator-upload-") as tmp:
        if suffix == ".zip":
            path = Path(tmp) / Path(shown).stem
            path.mkdir()
            _unzip_csv(shown, data, path)
        else:
            path = Path(tmp) / shown
            path.write_bytes(data)
        try:
            return allocator.load_instance(path)
        except InstanceError as err:
            raise InstanceError(shown, _relative(err.problems, tmp)) from None


def _relative(problems: list[tuple[str, str]], tmp: str) -> list[tuple[str, str]]:
    """Problems without the temporary folder's path."""
    return [(w.replace(tmp + "/", ""), m.replace(tmp + "/", "")) for w, m in problems]


def _unzip_csv(shown: str, data: bytes, folder: Path) -> None:
    """The ``.csv`` members of a zip, by base name, into ``folder``; anything else is refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InstanceError(shown, [("", "not a zip file")]) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        csvs = [m for m in members if m.filename.lower().endswith(".csv") and "__MACOSX" not in m.filename]
        if not csvs:
            raise InstanceError(shown, [("", "the zip holds no .csv files (instance.csv, regions.csv, …)")])
        if len(csvs) > ZIP_MAX_MEMBERS:
            raise InstanceError(shown, [("", f"the zip holds {len(csvs)} CSV files: at most {ZIP_MAX_MEMBERS}")])
        if sum(m.file_size for m in csvs) > ZIP_MAX_BYTES:
            raise InstanceError(shown, [("", f"the CSV files unpack to more than {ZIP_MAX_BYTES // 2**20} MB")])
        seen: set[str] = set()
        for m in csvs:
            base = safe_name(m.filename)
            if base.lower() in seen:
                raise InstanceError(shown, [("", f"two files named {base} in the zip")])
            seen.add(base.lower())
            with archive.open(m) as src:
                payload = src.read(ZIP_MAX_BYTES + 1)
            if len(payload) > ZIP_MAX_BYTES:
                raise InstanceError(shown, [("", f"{base} unpacks to more than {ZIP_MAX_BYTES // 2**20} MB")])
            (folder / base).write_bytes(payload)


_ENTRY = re.compile(r"^([a-z_]+)\[(\d+)\](?:\.(\w+))?$")
_TABLE_ROW = re.compile(r"^(?:sheet|file) (\S+?)(?:\.csv)?(?:, column (\w+))?(?:, rows? ([\d–, …]+))?$")


def problem_rows(err: InstanceError) -> pd.DataFrame:
    """The problems of an :class:`InstanceError` as a table: sheet (or list), row, field, problem.

    Rows are numbered as the table shows them: a workbook's row as Excel shows it (its own
    message says so); an entry of a list (``capacity[3]``) is row 4 of that table in the app.
    """
    rows = []
    for where, message in err.problems:
        sheet = row = fld = ""
        m = _ENTRY.match(where)
        if m:
            sheet, row, fld = m.group(1), str(int(m.group(2)) + 1), m.group(3) or ""
            tail = re.search(r"\((sheet|file) ([^,]+), row (\d+)(?:, column (\w+))?\)$", message)
            if tail:  # a workbook: its own sheet and Excel row
                sheet, row, fld = tail.group(2), tail.group(3), tail.group(4) or fld
        else:
            t = _TABLE_ROW.match(where)
            if t:
                sheet, fld, row = t.group(1), t.group(2) or "", t.group(3) or ""
            elif where:
                parts = where.split(".", 1)
                sheet, fld = parts[0], parts[1] if len(parts) > 1 else ""
        rows.append({"sheet": sheet, "row": row, "field": fld, "problem": message, "where": where})
    return pd.DataFrame(rows, columns=["sheet", "row", "field", "problem", "where"])
