"""A corpus of malformed inputs (issue 10): instance JSON, Excel workbooks, CSV folders, model
files and option values, generated from the workforce template instance (every list filled in, the v2
blocks of FORMULATION §10 and §11 too: a pipeline and a team).

Every case runs ``allocator solve ... --out OUT`` in-process and must give exit code 2, a
message naming the file and the place (entry and field; sheet, row as Excel shows it, and
column), no traceback, nothing written to ``--out``, and take well under a second.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from allocator.cli.main import app
from allocator.core.instance import LISTS
from allocator.core.validate import validate
from allocator.io.instance import load_instance
from allocator.io.table_cells import PIPELINE_SHEETS, SHEETS, TEAM_SHEETS, list_columns, scalar_fields
from allocator.io.table_write import table_files

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "instances" / "template-workforce.xlsx"  # every sheet filled in
INST = load_instance(TEMPLATE)
BASE = INST.to_dict()  # every list has at least one entry
XLSX = table_files(INST, "xlsx")[""]
CSV = table_files(INST, "csv")
assert INST.pipeline is not None and INST.teams and INST.need is not None and INST.phases and INST.schema_version == 3


def _v1(data: dict) -> dict:
    """The template without its v2 and v3 fields, as a schema_version 1 instance."""
    data = copy.deepcopy(data)
    data["schema_version"] = 1
    for k in ("pipeline", "teams", "need", "phases", "transition_by_specialty", "floors"):
        data.pop(k, None)
    for s in data["specialties"]:
        s.pop("profession", None)
    data["need_weights"] = [w for w in data["need_weights"] if "year" not in w]
    data["national_posts"] = [n for n in data["national_posts"] if "posts" in n]
    return data


V1 = validate(_v1(BASE))
V1_XLSX = table_files(V1, "xlsx")[""]
V1_CSV = table_files(V1, "csv")
runner = CliRunner()


@dataclass(frozen=True)
class Case:
    id: str
    route: str  # json | xlsx | csv | model | option
    make: Callable[[Path], list[str]]  # writes its files into a folder, returns the command's arguments
    expect: tuple[str, ...]  # each must appear in the message


CASES: list[Case] = []


def case(route: str, id: str, *expect: str):
    def register(make):
        CASES.append(Case(f"{route}:{id}", route, make, expect))
        return make

    return register


# --------------------------------------------------------------------------- instance JSON


def json_case(id: str, edit: Callable[[dict], object] | None, *expect: str, text: bytes | None = None):
    def make(tmp: Path) -> list[str]:
        p = tmp / "bad.json"
        if text is not None:
            p.write_bytes(text)
        else:
            data = copy.deepcopy(BASE)
            edit(data)
            p.write_text(json.dumps(data))
        return ["solve", str(p)]

    CASES.append(Case(f"json:{id}", "json", make, ("bad.json", *expect)))


def _set(path: tuple, value):
    def edit(d):
        *head, last = path
        for k in head:
            d = d[k]
        d[last] = value

    return edit


def _drop(path: tuple):
    def edit(d):
        *head, last = path
        for k in head:
            d = d[k]
        del d[last]

    return edit


WRONG = {  # kind -> values that are wrong for it in JSON (strict: "12" is not a number)
    "float": ["12", True, -1, 1e308],
    "int": ["2025", 2025.5, -1],
    "str": [12, ["a"], "a\x00b"],
}
LONG = {"id": "i" * 101, "region": "r" * 101, "specialty": "s" * 101, "name": "n" * 1001}

for L in LISTS:
    for f, kind in list_columns(L).items():
        for v in WRONG.get(kind, []):
            json_case(f"{L}.{f}={v!r}", _set((L, 0, f), v), f"{L}[0]")
        if f in LONG:
            json_case(f"{L}.{f}=long", _set((L, 0, f), LONG[f]), f"{L}[0].{f}", "limit")
        json_case(f"{L}.{f}-typo", lambda d, L=L, f=f: d[L][0].update({f + "x": 1}), f"{L}[0].{f}x", "unknown field")
        if f in BASE[L][0] and f in {"id", "region", "specialty", "posts", "population", "weight", "cost", "amount"}:
            json_case(f"{L}.{f}-missing", _drop((L, 0, f)), f"{L}[0]")
    if "region" in list_columns(L):
        json_case(f"{L}.region-unknown", _set((L, 0, "region") if L != "regions" else (L, 0, "id"), "nrth"), f"{L}[0]")
    if "specialty" in list_columns(L):
        json_case(f"{L}.specialty-unknown", _set((L, 0, "specialty"), "gpp"), f"{L}[0].specialty", "unknown specialty")
    if "year" in list_columns(L) and L not in ("sources", "population_by_year", "need_weights"):
        json_case(f"{L}.year-not-planned", _set((L, 0, "year"), 2031), f"{L}[0].year", "not a planning year")
    elif "year" in list_columns(L) and L != "sources":  # with a pipeline: any year up to its horizon
        json_case(
            f"{L}.year-after-horizon",
            _set((L, 0, "year"), 2036),
            f"{L}[0].year",
            "outside the planning and evaluation years 2025–2035",
        )
    json_case(f"{L}-not-a-list", _set((L,), {"a": 1}), L, "valid list")
    json_case(f"{L}-entry-not-object", _set((L, 0), 5), f"{L}[0]")


def _get(d, path: tuple):
    for k in path:
        d = d[k]
    return d


# the lists of the v2 blocks, at their JSON paths
NESTED = {
    **{name: ("pipeline", key, 0) for name, key in PIPELINE_SHEETS.items()},
    "teams": ("teams", 0),
    **{name: ("teams", 0, key, 0) for name, key in TEAM_SHEETS.items()},
}
WRONG_LIST = {"list:int": ["3;4", [1.5], [0], 3], "list:float": ["0.7;0.3", [-1], [True], 1]}


def _path_text(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


for name, path in NESTED.items():
    for f, kind in list_columns(name).items():
        if f == "team":
            continue  # a column of the sheet only: in JSON the entry sits inside its team
        where = _path_text((*path, f))
        for v in WRONG.get(kind, []) + WRONG_LIST.get(kind, []):
            json_case(f"{name}.{f}={v!r}", _set((*path, f), v), where)
        json_case(
            f"{name}.{f}-typo", lambda d, p=path, f=f: _get(d, p).update({f + "x": 1}), where + "x", "unknown field"
        )
        if f in ("region", "specialty"):
            json_case(f"{name}.{f}-unknown", _set((*path, f), "nrth"), where, "unknown ")

for f, v, where in [
    ("name", 12, "name"),
    ("name", "", "name"),
    ("name", "x" * 30_000, "name"),
    ("name", "a\x1bb", "name"),
    ("description", 12, "description"),
    ("description", "d" * 10_001, "description"),
    ("schema_version", "1", "schema_version"),
    ("schema_version", 9, "schema_version"),
    ("schema_version", 1.5, "schema_version"),
    ("baseline_year", "2024", "baseline_year"),
    ("baseline_year", 2024.5, "baseline_year"),
    ("baseline_year", 2025, "years[0]"),
    ("years", "2025", "years"),
    ("years", [2026, 2025], "years[1]"),
    ("years", [], "years"),
    ("years", [2025.5], "years[0]"),
    ("years", [2025, 20262], "years[1]"),
    ("years", [True], "years[0]"),
    ("transition", [], "transition"),
]:
    json_case(f"{f}={v!r:.20}", _set((f,), v), where)
for f in scalar_fields():
    if f.startswith("transition."):
        k = f.split(".", 1)[1]
        bad = "yes" if k == "shrink_by_programme_length" else -1
        json_case(f"{f}={bad}", _set(("transition", k), bad), f)
        json_case(f"{f}=str", _set(("transition", k), "x"), f)
        json_case(f"{f}-typo", lambda d, k=k: d["transition"].update({k[:-1]: 1}), f"transition.{k[:-1]}")
for k, bad in [
    ("horizon_year", "2035"),
    ("horizon_year", 2035.5),
    ("horizon_year", -1),
    ("horizon_year", 20352036),
    ("mobility", "needs"),
    ("mobility", 1),
    ("assess_years", "2035"),
    ("assess_years", [2035.5]),
    ("assess_years", 2035),
]:
    json_case(f"pipeline.{k}={bad!r}", _set(("pipeline", k), bad), f"pipeline.{k}")
json_case("pipeline-typo", lambda d: d["pipeline"].update(horizon=2035), "pipeline.horizon", "did you mean")
json_case("pipeline-not-object", _set(("pipeline",), [2035]), "pipeline")
json_case("teams-not-a-list", _set(("teams",), {"id": "t"}), "teams")
json_case("top-level-typo", lambda d: d.update(regoins=[]), "regoins", "did you mean `regions`")
json_case("duplicate-region", lambda d: d["regions"].append(dict(d["regions"][0])), "regions[3].id", "duplicate")
json_case("duplicate-entry", lambda d: d["locks"].append(dict(d["locks"][0])), "locks[1]", "duplicate")
json_case("min>max", _set(("capacity", 0, "min_posts"), 500), "capacity[0]", "greater than max_posts")
json_case("years-101", lambda d: d.update(years=list(range(2025, 2126))), "years", "limit of 100")
json_case(
    "cells",
    lambda d: d.update(
        regions=[{"id": f"r{i}", "population": 1} for i in range(2000)],
        specialties=[{"id": f"s{i}"} for i in range(51)],
        years=list(range(2025, 2125)),
    ),
    "cells, more than the limit",
)


def _dumps(path: tuple, value) -> bytes:
    data = copy.deepcopy(BASE)
    _set(path, value)(data)
    return json.dumps(data).encode()


for id, text, expect in [
    ("truncated", b'{"name": "a"', "not valid JSON"),
    ("empty", b"", "not valid JSON"),
    ("array", b"[]", "must be a JSON object"),
    ("null", b"null", "must be a JSON object"),
    ("string", b'"x"', "must be a JSON object"),
    ("nested-1000", b"[" * 1000 + b"]" * 1000, "nested too deeply"),
    ("nested-in-field", b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}", "bad.json"),
    ("latin-1", json.dumps(BASE, ensure_ascii=False).replace("North", "Nörth").encode("latin-1"), "not UTF-8"),
    ("utf-16", json.dumps(BASE).encode("utf-16"), "not UTF-8"),
    ("duplicate-key", b'{"name": "a", "name": "b"}', "appears twice"),
    ("huge-int", b'{"schema_version": ' + b"9" * 5000 + b"}", "more than 4,300 digits"),
    ("nan", _dumps(("regions", 0, "population"), float("nan")), "regions[0].population"),
    ("infinity", _dumps(("baseline_posts", 0, "posts"), float("inf")), "baseline_posts[0].posts"),
    ("1e400", json.dumps(BASE).replace('"posts": 90.0', '"posts": 1e400').encode(), "baseline_posts[0].posts"),
    ("binary", bytes(range(256)), "not"),
]:
    json_case(id, None, expect, text=text)


# --------------------------------------------------------------------------- Excel workbooks


def xlsx_case(id: str, edit: Callable[[openpyxl.Workbook], object] | None, *expect: str, data: bytes | None = None):
    def make(tmp: Path) -> list[str]:
        p = tmp / "book.xlsx"
        if data is not None:
            p.write_bytes(data)
        else:
            wb = openpyxl.load_workbook(io.BytesIO(XLSX))
            edit(wb)
            wb.save(p)
        return ["solve", str(p)]

    CASES.append(Case(f"xlsx:{id}", "xlsx", make, ("book.xlsx", *expect)))


def _cell(sheet: str, row: int, col: int, value):
    def edit(wb):
        wb[sheet].cell(row, col).value = value

    return edit


def _scalar(field: str, value):
    def edit(wb):
        ws = wb["instance"]
        r = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == field)
        ws.cell(r, 2).value = value

    return edit


for L in SHEETS:
    for c, (f, kind) in enumerate(list_columns(L).items(), start=1):
        at = f"sheet {L}, row 2, column {f}"
        xlsx_case(f"{L}.{f}=formula", _cell(L, 2, c, "=1+1"), at, "has no value: open and save the workbook")
        if kind in ("float", "rate", "int", "list:int", "list:float"):
            xlsx_case(f"{L}.{f}=TRUE", _cell(L, 2, c, True), at, "TRUE/FALSE")
            xlsx_case(f"{L}.{f}=text", _cell(L, 2, c, "lots"), at, "not a number")
        if kind == "rate":  # FORMULATION v3 §2: a rate is a fraction; 5 meant as 5 % is refused
            xlsx_case(f"{L}.{f}=5", _cell(L, 2, c, 5), at, "5 is 500 %; write 0.05 for 5 %")
        if kind in ("float", "int"):  # only a rate may be written as a percentage
            xlsx_case(f"{L}.{f}=5%", _cell(L, 2, c, "5%"), at, "is a percentage, but only a rate may be")
        if kind == "int":
            xlsx_case(f"{L}.{f}=2025.5", _cell(L, 2, c, 2025.5), at, "not a whole number")
        if c == 1:
            xlsx_case(f"{L}.{f}-header-typo", _cell(L, 1, c, f + "x"), f"sheet {L}", "unknown column", f"`{f}`")
    xlsx_case(f"{L}-renamed", lambda wb, L=L: setattr(wb[L], "title", L[:-1] + "_"), "unknown sheet")
    xlsx_case(f"{L}-no-header-value", _cell(L, 3, 12, 7), f"sheet {L}", "column L has values but no name")
    xlsx_case(f"{L}-blank", lambda wb, L=L: wb[L].delete_rows(1, 100), f"sheet {L}", "is empty")
for value in ("y", "on", "ja", "2", 2, "maybe"):
    xlsx_case(f"shrink={value!r}", _scalar("transition.shrink_by_programme_length", value), "sheet instance, row")
for field, value, expect in [
    ("years", "2025.5", "not a whole number"),
    ("years", "2025;x", "not a number"),
    ("years", 20252026, "two years read as one number"),
    ("years", True, "years"),
    ("baseline_year", 2024.5, "not a whole number"),
    ("baseline_year", "=2000+24", "has no value"),
    ("schema_version", "one", "not a number"),
    ("name", "=A1", "has no value"),
    ("transition.max_growth_rate", -1, "greater than or equal to 0"),
    ("transition.max_national_moves", 1e308, "above the limit"),
]:
    xlsx_case(f"instance.{field}={value!r}", _scalar(field, value), "sheet instance, row", expect)
for id, edit, expect in [
    ("instance-unknown-field", _cell("instance", 3, 1, "nmae"), "did you mean `name`"),
    ("instance-value-no-field", _cell("instance", 30, 2, 5), "has a value but no field name"),
    ("instance-header", _cell("instance", 1, 2, "values"), "'field' and 'value'"),
    ("instance-missing", lambda wb: wb.remove(wb["instance"]), "missing the 'instance' sheet"),
    ("instance-duplicate-field", _cell("instance", 30, 1, "name"), "appears twice"),
    ("extra-sheet", lambda wb: wb.create_sheet("Sheet1"), "unknown sheet 'Sheet1'"),
    ("population-1e308", _cell("regions", 2, 3, 1e308), "regions[0].population"),
    ("id-long", _cell("regions", 2, 1, "r" * 101), "regions[0].id"),
    ("id-unknown", _cell("baseline_posts", 3, 1, "nrth"), "sheet baseline_posts, row 3"),
    ("missing-column", lambda wb: wb["regions"].delete_cols(3), "missing column population"),
    ("duplicate-column", _cell("regions", 1, 4, "population"), "appears twice"),
    ("date", _cell("regions", 2, 3, __import__("datetime").datetime(2020, 1, 1)), "is a date"),
    ("ref-error", _cell("regions", 2, 3, "#REF!"), "Excel error value"),
]:
    xlsx_case(id, edit, expect)
for id, data, expect in [
    ("not-a-zip", b"id,name\n1,2\n", "not an Excel workbook"),
    ("zero-bytes", b"", "not an Excel workbook"),
    ("zip-not-xlsx", b"PK\x05\x06" + b"\x00" * 18, "cannot read the workbook"),
    ("truncated", XLSX[: len(XLSX) // 2], "book.xlsx"),
]:
    xlsx_case(id, None, expect, data=data)


@case("xlsx", "xls-suffix", "book.xls", ".xls files are not read")
def _xls(tmp: Path) -> list[str]:
    (tmp / "book.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    return ["solve", str(tmp / "book.xls")]


# --------------------------------------------------------------------------- CSV folders


def csv_case(id: str, edit: Callable[[Path], object], *expect: str):
    def make(tmp: Path) -> list[str]:
        d = tmp / "tables"
        d.mkdir()
        for name, content in CSV.items():
            (d / name).write_bytes(content)
        edit(d)
        return ["solve", str(d)]

    CASES.append(Case(f"csv:{id}", "csv", make, ("tables", *expect)))


def _replace_cell(name: str, row: int, col: int, value: str):
    def edit(d: Path):
        lines = (d / f"{name}.csv").read_text().splitlines()
        cells = lines[row - 1].split(",")
        cells[col - 1] = value
        lines[row - 1] = ",".join(cells)
        (d / f"{name}.csv").write_text("\n".join(lines) + "\n")

    return edit


for L in SHEETS:
    if L == "sources":
        continue  # its text holds commas; covered by the workbook cases
    for c, (f, kind) in enumerate(list_columns(L).items(), start=1):
        at = f"file {L}.csv, row 2, column {f}"
        if kind in ("float", "int", "list:int", "list:float"):
            csv_case(f"{L}.{f}=text", _replace_cell(L, 2, c, "lots"), at, "not a number")
            csv_case(f"{L}.{f}=TRUE", _replace_cell(L, 2, c, "TRUE"), at, "not a number")
        if kind == "int":
            csv_case(f"{L}.{f}=2025.5", _replace_cell(L, 2, c, "2025.5"), at, "not a whole number")
    first = next(iter(list_columns(L)))
    csv_case(f"{L}-header-typo", _replace_cell(L, 1, 1, first.upper() + "s"), f"file {L}.csv", "unknown column")
    csv_case(
        f"{L}-semicolons",
        lambda d, L=L: (d / f"{L}.csv").write_text((d / f"{L}.csv").read_text().replace(",", ";")),
        f"file {L}.csv",
        "looks semicolon-separated: save as comma-separated CSV",
    )
    csv_case(f"{L}-zero-bytes", lambda d, L=L: (d / f"{L}.csv").write_bytes(b""), f"file {L}.csv", "is empty")
for id, edit, expect in [
    (
        "latin-1",
        lambda d: (d / "regions.csv").write_bytes(
            (d / "regions.csv").read_text().replace("North", "Nörth").encode("cp1252")
        ),
        "file regions.csv: is not UTF-8",
    ),
    (
        "utf-16-no-bom",
        lambda d: (d / "regions.csv").write_bytes((d / "regions.csv").read_text().encode("utf-16-le")),
        "file regions.csv: contains NUL bytes",
    ),
    (
        "tabs",
        lambda d: (d / "regions.csv").write_text((d / "regions.csv").read_text().replace(",", "\t")),
        "looks tab-separated",
    ),
    (
        "ragged",
        lambda d: (d / "budget.csv").write_text("year,amount\n2025,400,1\n"),
        "file budget.csv, row 2: has more cells",
    ),
    (
        "folder-named-csv",
        lambda d: ((d / "locks.csv").unlink(), (d / "locks.csv").mkdir()),
        "file locks.csv: is a folder",
    ),
    ("unknown-file", lambda d: (d / "lock.csv").write_text("region\n"), "unknown file 'lock' (did you mean `locks`?)"),
    ("two-cases", lambda d: (d / "Locks.csv").write_bytes((d / "locks.csv").read_bytes()), "a second file for 'locks'"),
    ("no-instance", lambda d: (d / "instance.csv").unlink(), "missing the 'instance' file"),
    ("no-regions", lambda d: (d / "regions.csv").unlink(), "add a file named regions.csv"),
    ("bool-ja", _replace_cell("instance", 11, 2, "ja"), "must be true or false"),
    ("bool-on", _replace_cell("instance", 11, 2, "on"), "file instance.csv, row 11"),
    ("thousands", _replace_cell("regions", 2, 3, '"1,200,000"'), "no thousands separators"),
    ("population-1e308", _replace_cell("regions", 2, 3, "1e308"), "regions[0].population"),
    ("population-inf", _replace_cell("regions", 2, 3, "inf"), "not a number"),
    ("quote", lambda d: (d / "regions.csv").write_text('id,name\n"north,North\n'), "file regions.csv"),
    ("header-only-regions", lambda d: (d / "regions.csv").write_text("id,name,population\n"), "regions"),
    ("blank-header", lambda d: (d / "regions.csv").write_text("\n\nnorth,North,5\n"), "file regions.csv"),
]:
    csv_case(id, edit, expect)


# ------------------------------------------------- the v2 blocks (§10, §11): one mistake, every route
#
# Each mistake is made in JSON and in the workbook and CSV folder (the same cells), and must be
# named there: the entry and field in JSON; the sheet (or file), row and column in tables.


def _edit_rows(sheets: dict[str, list[list]], changes: tuple) -> None:
    """Apply table changes to ``{sheet: rows}`` (row 1 the header): ``("cell", sheet, row, column,
    value)``, ``("field", field, value)`` in sheet instance, ``("clear", sheet)``, ``("append",
    sheet, {column: value})``."""
    for ch in changes:
        if ch[0] == "field":
            rows = sheets["instance"]
            row = next(r for r in rows if r and r[0] == ch[1])
            row[1] = ch[2]
            continue
        rows = sheets[ch[1]]
        header = rows[0]
        if ch[0] == "cell":
            row = rows[ch[2] - 1]
            row.extend([None] * (len(header) - len(row)))
            row[header.index(ch[3])] = ch[4]
        elif ch[0] == "clear":
            del rows[1:]
        elif ch[0] == "append":
            rows.append([ch[2].get(h) for h in header])


def _xlsx_edit(changes: tuple):
    def edit(wb):
        sheets = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}
        _edit_rows(sheets, changes)
        for name, rows in sheets.items():
            ws = wb[name]
            ws.delete_rows(1, ws.max_row)
            for row in rows:
                ws.append(row)

    return edit


def _csv_edit(changes: tuple):
    def edit(d: Path):
        sheets = {p.stem: list(csv.reader(io.StringIO(p.read_text(), newline=""))) for p in d.glob("*.csv")}
        _edit_rows(sheets, changes)
        for name, rows in sheets.items():
            buf = io.StringIO(newline="")
            csv.writer(buf, lineterminator="\n").writerows([["" if v is None else v for v in r] for r in rows])
            (d / f"{name}.csv").write_text(buf.getvalue())

    return edit


def _v1_case(route: str, id: str, make_files, *expect: str):
    """A case on the v1 template (no v2 fields): ``make_files(folder)`` returns the path to read."""

    def make(tmp: Path) -> list[str]:
        return ["solve", str(make_files(tmp))]

    CASES.append(Case(f"{route}:{id}", route, make, expect))


def table_cases(id: str, changes: tuple, at: tuple, *expect: str, v1: bool = False):
    """The same changed cells in a workbook and in a CSV folder; ``at`` is ``(sheet, row,
    place)`` (row and place may be ``None``)."""
    sheet, row, place = at

    def where(label: str) -> str:
        return label + (f", row {row}" if row else "") + (f", {place}" if place else "")

    if not v1:
        xlsx_case(id, _xlsx_edit(changes), where(f"sheet {sheet}"), *expect)
        csv_case(id, _csv_edit(changes), where(f"file {sheet}.csv"), *expect)
        return

    def workbook(tmp: Path) -> Path:
        wb = openpyxl.load_workbook(io.BytesIO(V1_XLSX))
        _xlsx_edit(changes)(wb)
        wb.save(tmp / "book.xlsx")
        return tmp / "book.xlsx"

    def folder(tmp: Path) -> Path:
        d = tmp / "tables"
        d.mkdir()
        for name, content in V1_CSV.items():
            (d / name).write_bytes(content)
        _csv_edit(changes)(d)
        return d

    _v1_case("xlsx", id, workbook, "book.xlsx", where(f"sheet {sheet}"), *expect)
    _v1_case("csv", id, folder, "tables", where(f"file {sheet}.csv"), *expect)


def v1_json_case(id: str, edit: Callable[[dict], object], *expect: str):
    def make(tmp: Path) -> list[str]:
        data = V1.to_dict()
        edit(data)
        (tmp / "bad.json").write_text(json.dumps(data))
        return ["solve", str(tmp / "bad.json")]

    CASES.append(Case(f"json:{id}", "json", make, ("bad.json", *expect)))


def _pipe(d: dict) -> dict:
    return d["pipeline"]


def _member(i: int):
    return lambda d: d["teams"][0]["members"][i]


NO_PIPELINE = (
    ("field", "pipeline.horizon_year", None),
    ("field", "pipeline.assess_years", None),
    *(("clear", name) for name in PIPELINE_SHEETS),
)
FIELD = "field {}"
# id, JSON edit, JSON where, table changes, (sheet, row, place), message: the mistakes of the brief
for id, edit, where, changes, at, message in [
    (
        "delay-shares-sum",
        lambda d: _pipe(d)["specialties"][0].update(delay_shares=[0.7, 0.2]),
        "pipeline.specialties[0]",
        (("cell", "pipeline_specialties", 2, "delay_shares", "0.7;0.2"),),
        ("pipeline_specialties", 2, "column delay_shares"),
        "delay_shares sum to 0.9, not 1",
    ),
    (
        "delay-lengths",
        lambda d: _pipe(d)["specialties"][0].update(delay_shares=[1.0]),
        "pipeline.specialties[0]",
        (("cell", "pipeline_specialties", 2, "delay_shares", "1"),),
        ("pipeline_specialties", 2, "column delay_years"),
        "delay_years has 2 entries but delay_shares has 1",
    ),
    (
        "delay-shares-without-years",
        lambda d: _pipe(d)["specialties"][0].pop("delay_years"),
        "pipeline.specialties[0]",
        (("cell", "pipeline_specialties", 2, "delay_years", None),),
        ("pipeline_specialties", 2, "column delay_shares"),
        "delay_shares needs delay_years (one share per delay)",
    ),
    (
        "delay-zero",
        lambda d: _pipe(d)["specialties"][0].update(delay_years=[0, 4]),
        "pipeline.specialties[0].delay_years[0]",
        (("cell", "pipeline_specialties", 2, "delay_years", "0;4"),),
        ("pipeline_specialties", 2, "column delay_years"),
        "greater than or equal to 1",
    ),
    (
        "delay-over-100",
        lambda d: _pipe(d)["specialties"][0].update(delay_years=[3, 400]),
        "pipeline.specialties[0].delay_years[1]",
        (("cell", "pipeline_specialties", 2, "delay_years", "3;400"),),
        ("pipeline_specialties", 2, "column delay_years"),
        "above the limit of 100",
    ),
    (
        "unknown-team-member",
        lambda d: _member(1)(d).update(specialty="acpp"),
        "teams[0].members[1].specialty",
        (("cell", "team_members", 3, "specialty", "acpp"),),
        ("team_members", 3, "column specialty"),
        "unknown team member 'acpp' (known: gp, psych, acp)",
    ),
    (
        "duplicate-team-member",
        lambda d: _member(1)(d).update(specialty="gp"),
        "teams[0].members[1].specialty",
        (("cell", "team_members", 3, "specialty", "gp"),),
        ("team_members", 3, "column specialty"),
        "'gp' is already a member (teams[0].members[0]",
    ),
    (
        "shrink-allowance-alone",
        lambda d: (d["transition"].pop("max_shrink_rate"), d["transition"].update(shrink_allowance=1)),
        "transition.shrink_allowance",
        (("field", "transition.max_shrink_rate", None), ("field", "transition.shrink_allowance", 1)),
        (
            "instance",
            list(scalar_fields()).index("transition.shrink_allowance") + 2,
            FIELD.format("transition.shrink_allowance"),
        ),
        "shrink_allowance needs max_shrink_rate",
    ),
    (
        "pipeline-without-horizon",
        lambda d: _pipe(d).pop("horizon_year"),
        "pipeline.horizon_year",
        (("field", "pipeline.horizon_year", None),),
        ("instance", list(scalar_fields()).index("pipeline.horizon_year") + 2, FIELD.format("pipeline.horizon_year")),
        "required field is missing",
    ),
    (
        "horizon-before-last-year",
        lambda d: _pipe(d).update(horizon_year=2025, assess_years=[2025]),
        "pipeline.horizon_year",
        (("field", "pipeline.horizon_year", 2025), ("field", "pipeline.assess_years", 2025)),
        ("instance", list(scalar_fields()).index("pipeline.horizon_year") + 2, FIELD.format("pipeline.horizon_year")),
        "2025 is before the last planning year 2026",
    ),
    (
        "assess-year-outside",
        lambda d: _pipe(d).update(assess_years=[2030, 2036]),
        "pipeline.assess_years[1]",
        (("field", "pipeline.assess_years", "2030,2036"),),
        ("instance", list(scalar_fields()).index("pipeline.assess_years") + 2, FIELD.format("pipeline.assess_years")),
        "year 2036 is outside the evaluation years 2025–2035",
    ),
    (
        "assess-year-before-planning",
        lambda d: _pipe(d).update(assess_years=[2024]),
        "pipeline.assess_years[0]",
        (("field", "pipeline.assess_years", 2024),),
        ("instance", list(scalar_fields()).index("pipeline.assess_years") + 2, FIELD.format("pipeline.assess_years")),
        "year 2024 is outside the evaluation years 2025–2035",
    ),
    (
        "no-programme-years-no-delays",
        lambda d: d["specialties"][1].pop("programme_years"),
        "specialties[1].programme_years",
        (("cell", "specialties", 3, "programme_years", None),),
        ("specialties", 3, "column programme_years"),
        "required by the pipeline: 'psych' has no delay_years in pipeline.specialties",
    ),
    (
        "settle-rate-above-1",
        lambda d: _pipe(d)["specialties"][0].update(settle_rate=1.5),
        "pipeline.specialties[0].settle_rate",
        (("cell", "pipeline_specialties", 2, "settle_rate", 1.5),),
        ("pipeline_specialties", 2, "column settle_rate"),
        "1.5 is 150 %; write 0.015 for 1.5 % (a rate is a fraction in [0, 1])",
    ),
    (
        "fill-rate-above-1",
        lambda d: _pipe(d)["fill_rate"][0].update(rate=1.2),
        "pipeline.fill_rate[0].rate",
        (("cell", "fill_rate", 2, "rate", 1.2),),
        ("fill_rate", 2, "column rate"),
        "1.2 is 120 %; write 0.012 for 1.2 % (a rate is a fraction in [0, 1])",
    ),
    (
        "equivalence-0",
        lambda d: _member(0)(d).update(equivalence=0),
        "teams[0].members[0].equivalence",
        (("cell", "team_members", 2, "equivalence", 0),),
        ("team_members", 2, "column equivalence"),
        "greater than 0",
    ),
    (
        "max-share-0",
        lambda d: _member(1)(d).update(max_share=0),
        "teams[0].members[1].max_share",
        (("cell", "team_members", 3, "max_share", 0),),
        ("team_members", 3, "column max_share"),
        "greater than 0",
    ),
    (
        "max-share-above-1",
        lambda d: _member(1)(d).update(max_share=1.5),
        "teams[0].members[1].max_share",
        (("cell", "team_members", 3, "max_share", 1.5),),
        ("team_members", 3, "column max_share"),
        "less than or equal to 1",
    ),
    (
        "team-on-stock-without-pipeline",
        lambda d: (d.pop("pipeline"), d["teams"][0].update(on="stock")),
        "teams[0].on",
        (*NO_PIPELINE, ("cell", "teams", 2, "on", "stock")),
        ("teams", 2, "column on"),
        'a team "on": "stock" counts trained staff: it needs a pipeline block',
    ),
    (
        "team-on-typo",
        lambda d: d["teams"][0].update(on="stocks"),
        "teams[0].on",
        (("cell", "teams", 2, "on", "stocks"),),
        ("teams", 2, "column on"),
        "Input should be 'posts' or 'stock'",
    ),
    (
        "population-after-horizon",
        lambda d: d["population_by_year"][0].update(year=2036),
        "population_by_year[0].year",
        (("cell", "population_by_year", 2, "year", 2036),),
        ("population_by_year", 2, "column year"),
        "outside the planning and evaluation years 2025–2035",
    ),
]:
    json_case(f"v2:{id}", edit, where, message)
    table_cases(f"v2:{id}", changes, at, where, message)

# a v1 file using a field of v2, and a later population year without a pipeline (on the v1 template)
SET_2 = "set schema_version: 2"
for id, edit, where, changes, at, message in [
    (
        "v1-pipeline",
        lambda d: d.update(pipeline={"horizon_year": 2035}),
        "pipeline",
        (("field", "pipeline.horizon_year", 2035),),
        ("instance", list(scalar_fields()).index("pipeline.horizon_year") + 2, "field pipeline.horizon_year"),
        SET_2,
    ),
    (
        "v1-teams",
        lambda d: d.update(teams=[{"id": "t", "members": [{"specialty": "gp"}]}]),
        "teams",
        (("append", "teams", {"id": "t"}), ("append", "team_members", {"team": "t", "specialty": "gp"})),
        ("teams", None, None),
        SET_2,
    ),
    (
        "v1-profession",
        lambda d: d["specialties"][1].update(profession="acp"),
        "specialties[1].profession",
        (("cell", "specialties", 3, "profession", "acp"),),
        ("specialties", 3, "column profession"),
        SET_2,
    ),
    (
        "v1-need-weight-year",
        lambda d: d["need_weights"][0].update(year=2026),
        "need_weights[0].year",
        (("cell", "need_weights", 2, "year", 2026),),
        ("need_weights", 2, "column year"),
        SET_2,
    ),
    (
        "v1-shrink-allowance",
        lambda d: d["transition"].update(shrink_allowance=1),
        "transition.shrink_allowance",
        (("field", "transition.shrink_allowance", 1),),
        ("instance", list(scalar_fields()).index("transition.shrink_allowance") + 2, None),
        SET_2,
    ),
    (
        "population-after-last-year-without-pipeline",
        lambda d: d["population_by_year"][0].update(year=2031),
        "population_by_year[0].year",
        (("cell", "population_by_year", 2, "year", 2031),),
        ("population_by_year", 2, "column year"),
        "year 2031 is not a planning year (known: 2025, 2026)",
    ),
]:
    v1_json_case(f"v2:{id}", edit, where, message)
    table_cases(f"v2:{id}", changes, at, where, message, v1=True)

# every transition rate above 1, in a schema_version 1 file too (FORMULATION v3 §2)
for rate in ("max_growth_rate", "max_shrink_rate", "max_region_net_loss_rate"):
    expect = f"transition.{rate}: 5 is 500 %"
    v1_json_case(f"v1:{rate}=5", lambda d, rate=rate: d["transition"].update({rate: 5}), expect)
    table_cases(
        f"v1:{rate}=5",
        (("field", f"transition.{rate}", 5),),
        ("instance", list(scalar_fields()).index(f"transition.{rate}") + 2, FIELD.format(f"transition.{rate}")),
        "5 is 500 %; write 0.05 for 5 %",
        *(("growth faster than 100 % a year is said with growth_allowance",) if "growth" in rate else ()),
        v1=True,
    )
    table_cases(
        f"v1:{rate}=500%",
        (("field", f"transition.{rate}", "500%"),),
        ("instance", list(scalar_fields()).index(f"transition.{rate}") + 2, FIELD.format(f"transition.{rate}")),
        "5 is 500 %; write 0.05 for 5 %",
        v1=True,
    )


def _every_stage(d: dict) -> None:
    """Issue 19: mistakes of every stage in one file, all reported at once."""
    d["baseline_posts"][0]["posts"] = "twenty"
    d["baseline_posts"][1]["region"] = "midle"
    d["baseline_posts"][2]["region"] = "South"
    d["transition"]["max_shrink_rate"] = 5
    d["baseline_posts"].append(dict(d["baseline_posts"][4]))


EVERY_STAGE = (
    "baseline_posts[1].region: unknown region 'midle'",
    "baseline_posts[2].region: unknown region 'South'",
    "transition.max_shrink_rate: 5 is 500 %",
    "duplicate entry for ('middle', 'psych')",
)
v1_json_case("v1:every-stage", _every_stage, "baseline_posts[0].posts: Input should be a valid number", *EVERY_STAGE)
table_cases(
    "v1:every-stage",
    (
        ("cell", "baseline_posts", 2, "posts", "twenty"),
        ("cell", "baseline_posts", 3, "region", "midle"),
        ("cell", "baseline_posts", 4, "region", "South"),
        ("field", "transition.max_shrink_rate", 5),
        ("append", "baseline_posts", dict(V1.to_dict()["baseline_posts"][4])),
    ),
    ("baseline_posts", None, None),
    "baseline_posts[0].posts: is not a number",
    *EVERY_STAGE,
    v1=True,
)

# mistakes only a table can make: teams named by a column, lists written in one cell
for id, changes, at, message in [
    (
        "unknown-team",
        (("cell", "team_members", 3, "team", "primary-cre"),),
        ("team_members", 3, "column team"),
        "unknown team 'primary-cre' (did you mean `primary-care`?)",
    ),
    (
        "member-without-team",
        (("cell", "team_members", 3, "team", None),),
        ("team_members", 3, "column team"),
        "names no team",
    ),
    ("team-without-members", (("clear", "team_members"),), ("teams", 2, None), "team 'primary-care' has no members"),
    (
        "duplicate-team",
        (("append", "teams", {"id": "primary-care"}),),
        ("teams", 3, "column id"),
        "duplicate team id 'primary-care' (first in row 2)",
    ),
    (
        "delay-item-text",
        (("cell", "pipeline_specialties", 2, "delay_years", "3;x"),),
        ("pipeline_specialties", 2, "column delay_years"),
        "item 'x' is not a number: give the values separated by ';', e.g. 3;4",
    ),
    (
        "delay-fraction",
        (("cell", "pipeline_specialties", 2, "delay_years", "3.5;4"),),
        ("pipeline_specialties", 2, "column delay_years"),
        "item '3.5' is not a whole number",
    ),
    (
        "delay-empty-item",
        (("cell", "pipeline_specialties", 2, "delay_years", "3;;4"),),
        ("pipeline_specialties", 2, "column delay_years"),
        "has an empty item",
    ),
    (
        "shares-decimal-comma",
        (("cell", "pipeline_specialties", 2, "delay_shares", "0,7;0,3"),),
        ("pipeline_specialties", 2, "column delay_shares"),
        "mixes ';' and ','",
    ),
    (
        "pipeline-sheets-without-horizon",
        (("field", "pipeline.horizon_year", None), ("field", "pipeline.assess_years", None)),
        ("instance", list(scalar_fields()).index("pipeline.horizon_year") + 2, FIELD.format("pipeline.horizon_year")),
        "a pipeline (any pipeline.* field, or rows in pipeline_specialties, fill_rate or stock) needs its horizon year",
    ),
    (
        "mobility-typo",
        (("field", "pipeline.mobility", "needs"),),
        ("instance", list(scalar_fields()).index("pipeline.mobility") + 2, FIELD.format("pipeline.mobility")),
        "Input should be 'need' or 'lost'",
    ),
    (
        "assess-years-not-years",
        (("field", "pipeline.assess_years", "2030;soon"),),
        ("instance", list(scalar_fields()).index("pipeline.assess_years") + 2, FIELD.format("pipeline.assess_years")),
        "not a number",
    ),
]:
    table_cases(f"v2:{id}", changes, at, message)


# --------------------------------------------------------------------------- model files


def model_case(id: str, text: str | bytes | None, *expect: str):
    def make(tmp: Path) -> list[str]:
        p = tmp / "m.toml"
        if isinstance(text, bytes):
            p.write_bytes(text)
        elif text is not None:
            p.write_text(text)
        else:
            p.mkdir()
        return ["solve", str(TEMPLATE), "--model", str(p)]

    CASES.append(Case(f"model:{id}", "model", make, ("m.toml", *expect)))


WEIGHTS = ("shortfall", "surplus", "moves", "cost", "worst_shortfall")
for w in WEIGHTS:
    model_case(f"{w}-typo", f'name = "m"\n[objective]\n{w}x = 1\n', f"objective.{w}x", f"did you mean `{w}`")
    model_case(f"{w}-text", f'name = "m"\n[objective]\n{w} = "1"\n', f"objective.{w}", "valid number")
    model_case(f"{w}-negative", f'name = "m"\n[objective]\n{w} = -1\n', f"objective.{w}", "greater than or equal")
    model_case(f"{w}-huge", f'name = "m"\n[objective]\n{w} = 1e300\n', f"objective.{w}", "less than or equal")
    model_case(f"{w}-nan", f'name = "m"\n[objective]\n{w} = nan\n', f"objective.{w}")
    model_case(f"{w}-bool", f'name = "m"\n[objective]\n{w} = true\n', f"objective.{w}")
for id, text, expect in [
    ("objective-typo", 'name = "m"\n[objectiv]\nmoves = 1\n', "did you mean `objective`"),
    ("solve-typo", 'name = "m"\n[solv]\ninteger = true\n', "did you mean `solve`"),
    ("integer-yes", 'name = "m"\n[solve]\ninteger = "yes"\n', "solve.integer"),
    ("integer-typo", 'name = "m"\n[solve]\nintegr = true\n', "did you mean `integer`"),
    ("no-name", "[objective]\nmoves = 1\n", "name: required field is missing"),
    ("name-number", "name = 1\n", "name: Input should be a valid string"),
    ("name-long", f'name = "{"n" * 1001}"\n', "name"),
    ("name-control", 'name = "a\\u0000b"\n', "name: contains the control character"),
    ("description-long", f'name = "m"\ndescription = "{"d" * 10001}"\n', "description"),
    ("objective-not-table", 'name = "m"\nobjective = 1\n', "objective"),
    ("syntax", 'name = "m\n', "not valid TOML"),
    ("empty", "", "name: required field is missing"),
    ("nested", "name = " + "[" * 3000 + "]" * 3000 + "\n", "m.toml"),
    ("latin-1", 'name = "Zürich"\n'.encode("latin-1"), "not UTF-8"),
    ("utf-16", 'name = "m"\n'.encode("utf-16"), "not UTF-8"),
    ("binary", bytes(range(256)), "m.toml"),
    ("folder", None, "is a folder, not a model file"),
]:
    model_case(id, text, expect)


@case("model", "missing-file", "nope.toml", "no such model file")
def _missing_model(tmp: Path) -> list[str]:
    return ["solve", str(TEMPLATE), "--model", str(tmp / "nope.toml")]


# --------------------------------------------------------------------------- option values

for opts, expect in [
    (["--time-limit", "-1"], "--time-limit"),
    (["--time-limit", "0"], "--time-limit"),
    (["--time-limit", "nan"], "--time-limit"),
    (["--time-limit", "abc"], "--time-limit"),
    (["--threads", "0"], "--threads"),
    (["--threads", "-2"], "--threads"),
    (["--threads", "100000"], "--threads"),
    (["--threads", "two"], "--threads"),
    (["--mip-gap", "-0.1"], "--mip-gap"),
    (["--mip-gap", "2"], "--mip-gap"),
    (["--mip-gap", "nan"], "--mip-gap"),
    (["--backend", "cplex"], "--backend"),
    (["--method", "barrier"], "--method"),
    (["--format", "xml"], "--format"),
    (["--no-such-option"], "--no-such-option"),
]:
    CASES.append(
        Case(
            f"option:{' '.join(opts)}",
            "option",
            lambda tmp, opts=opts: ["solve", str(TEMPLATE), *opts],
            (expect,),
        )
    )


@case("option", "validate-missing-file", "nope.json", "no such file or folder")
def _validate_missing(tmp: Path) -> list[str]:
    return ["validate", str(tmp / "nope.json")]


@case("option", "solve-missing-file", "nope.xlsx", "no such file or folder")
def _solve_missing(tmp: Path) -> list[str]:
    return ["solve", str(tmp / "nope.xlsx")]


# --------------------------------------------------------------------------- the test


def _run(args: list[str], tmp: Path):
    out = tmp / "out"
    if args[0] == "solve":
        args = [*args, "--out", str(out)]
    start = time.perf_counter()
    res = runner.invoke(app, args)
    return res, time.perf_counter() - start, out


@pytest.fixture(scope="module", autouse=True)
def _warm():
    """Imports happen once, before the cases are timed."""
    runner.invoke(app, ["validate", str(TEMPLATE)])
    runner.invoke(app, ["solve", "nope.json"])


def test_corpus_size():
    counts = Counter(c.route for c in CASES)
    assert sum(counts.values()) >= 200, counts
    assert all(counts[r] >= 15 for r in ("json", "xlsx", "csv", "model", "option")), counts
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_malformed_input_fails_safely(case: Case, tmp_path: Path):
    args = case.make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    res, seconds, out = _run(args, tmp_path)
    text = res.output
    assert res.exit_code == 2, text
    assert isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in text
    for e in case.expect:
        assert e in text, f"{e!r} not in {text!r}"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written anywhere
    assert seconds < 2, f"{seconds:.2f} s"  # quick (under a second alone; the margin is for a busy machine)


@pytest.mark.parametrize("case", [c for c in CASES if c.route in ("json", "xlsx", "csv")][::9], ids=lambda c: c.id)
def test_validate_agrees(case: Case, tmp_path: Path):
    """`validate` reads through the same loader: a sample of the corpus, exit 2 there too."""
    args = case.make(tmp_path)
    res = runner.invoke(app, ["validate", args[1]])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert all(e in res.output for e in case.expect)


# the fast tier (make test-fast) leaves these out: see docs/architecture.md
pytestmark = pytest.mark.slow
