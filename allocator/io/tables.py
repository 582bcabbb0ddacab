"""Instances as tables: an Excel workbook (one sheet per list) or a folder of CSV files.

A sheet or file ``instance`` holds the scalars (columns ``field``, ``value``; any further
column, such as ``meaning``, is ignored); every list of docs/model.md §2 is one sheet or file
named after it, one column per field and one row per entry. A sheet called ``readme`` is
ignored. Sheet and file names are matched without regard to case.

The v2 blocks (docs/model.md §10, §11) are flattened the same way:

- the pipeline's scalars are rows of the ``instance`` sheet, ``pipeline.horizon_year``,
  ``pipeline.mobility`` and ``pipeline.assess_years`` (years comma-separated, like ``years``),
  next to ``transition.*``; its lists are the sheets ``pipeline_specialties``, ``fill_rate`` and
  ``stock``. An instance has a pipeline when any of these holds a value (and then
  ``pipeline.horizon_year`` is required); with none, it has none.
- a list inside one cell (``delay_years``, ``delay_shares``) is written ``3;4`` and
  ``0.7;0.3`` (``,`` is read too; a single number is a list of one);
- teams are the sheet ``teams`` (id, name, on) and two sheets of their lists,
  ``team_members`` and ``team_need_weights``, whose column ``team`` names the team of each
  row; a team's rows keep their order;
- v3: the pipeline's region settle rates are the sheet ``settle_rate``; the need block (§3b) is
  the sheet ``need_factors`` (one row per factor, in order) and ``need_values``, whose column
  ``factor`` names the factor of each row (:mod:`allocator.io.table_need`).

Messages name the entry as JSON does (``teams[0].members[1].specialty``) and the sheet, row
and column it came from.

Reading never guesses. Each cell is converted by the type of its field, and a cell that
cannot be read exactly is an error naming the file, the sheet, the row as Excel shows it
(the header is row 1, the first entry row 2) and the column:

- a formula with no cached value (a workbook written by a script and never opened in Excel);
- ``TRUE``/``FALSE`` where a number is expected, a year ``2025.5``, a date, a text that is
  not a number (numbers typed as text, ``"120"``, are fine);
- a boolean other than true/false/yes/no/1/0 (any case);
- CSV text that is not UTF-8 (a byte-order mark, UTF-8 or UTF-16, is honoured), separated by
  semicolons or tabs, or with more cells in a row than the header has columns;
- unknown sheets, files, columns and fields (with the nearest known name), missing required
  columns, repeated column names, empty files.

A rate (``max_shrink_rate``, ``completion_rate``, a fill ``rate``, …) may be written as a
percentage, ``5%``, ``5 %`` or ``12.5%``, read as 0.05, 0.05 and 0.125 (docs/model.md §2); a
percentage anywhere else is an error.

The problems of the cells and those of validation (types, references, consistency) come in one
message: a cell that cannot be read is set aside and the rest of the file is validated, without
repeating a problem that only follows from it. Problems of one kind in one column are reported
once for the column ("sheet capacity, column max_posts, rows 2–40: …"), not once per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allocator.core.instance import LISTS, Instance, InstanceError
from allocator.core.limits import did_you_mean
from allocator.core.validate import check
from allocator.io.table_cells import (
    NO_VALUE,
    NONE_WORD,
    NULLABLE_SHEET,
    OWNER_COLUMNS,
    PIPELINE_PREFIX,
    PIPELINE_SHEETS,
    README,
    SHEETS,
    TEAM_SHEETS,
    TRANSITION_PREFIX,
    UNREAD,
    _convert,
    _format,
    _Problem,
    _quote,
    _required_columns,
    _safe,
    _shown,
    list_columns,
    scalar_fields,
)
from allocator.io.table_files import _col_letter, _Raw, _read_folder, _read_xlsx
from allocator.io.table_need import read_need


@dataclass
class _Origin:
    """Where each entry and scalar came from, to name sheet, row and column in messages."""

    labels: dict[str, str] = field(default_factory=dict)  # list name -> label
    rows: dict[str, list[int]] = field(default_factory=dict)  # list name -> row of entry i
    scalar_rows: dict[str, int] = field(default_factory=dict)  # instance-sheet field -> row
    # entries of the v2 sheets: JSON path ("pipeline.specialties[0]", "teams[1].members[2]") -> (sheet, row)
    entries: dict[str, tuple[str, int]] = field(default_factory=dict)
    what: str = "sheet"  # or "file"
    missing: set[tuple[str, str]] = field(default_factory=set)  # (label, column) required but absent
    broken: set[str] = field(default_factory=set)  # lists whose sheet could not be read


def _header(raw: _Raw, known: list[str]) -> tuple[dict[int, str], list[_Problem]]:
    """Column number -> field, for the columns of row 1; problems of the header."""
    problems: list[_Problem] = []
    header = raw.rows.get(1, {})
    cols: dict[int, str] = {}
    lower = {k.lower(): k for k in known}
    for c, text in sorted(header.items()):
        name = str(text).strip()
        match = name if name in known else lower.get(name.lower())
        if match is None:
            problems.append(
                _Problem(
                    raw.label, f"unknown column {_quote(name)}{did_you_mean(name, known)} (known: {', '.join(known)})"
                )
            )
        elif match in cols.values():
            problems.append(_Problem(raw.label, f"column '{match}' appears twice in row 1"))
        else:
            cols[c] = match
    data_cols = {c for r, cells in raw.rows.items() if r > 1 for c in cells}
    for c in sorted(data_cols - set(header)):
        if raw.columns:  # CSV: cells beyond the header
            rows = [r for r, cells in raw.rows.items() if r > 1 and c in cells]
            problems += [
                _Problem(raw.label, f"has more cells than the header's {raw.columns} columns", row=r) for r in rows
            ]
        else:
            problems.append(_Problem(raw.label, f"column {_col_letter(c)} has values but no name in row 1"))
    for r, c in sorted(raw.no_value):
        if r == 1:
            problems.append(_Problem(raw.label, f"column {_col_letter(c)}: the name in row 1 {NO_VALUE}"))
    return cols, problems


def _entry_rows(raw: _Raw) -> list[int]:
    """Rows under the header with any value (blank rows are skipped)."""
    rows = set(raw.rows) | {r for r, _ in raw.no_value}
    return sorted(r for r in rows if r > 1)


def _read_list(
    name: str, raw: _Raw, origin: _Origin, path: str | None = None
) -> tuple[list[dict[str, Any]], list[_Problem]]:
    """The entries of list sheet ``name``; ``path`` is the JSON path of the list (``name``
    unless given: ``pipeline.specialties``)."""
    path = path or name
    kinds = list_columns(name)
    cols, problems = _header(raw, list(kinds))
    missing = [f for f in _required_columns(name) if f not in cols.values()]
    origin.missing.update((raw.label, f) for f in missing)
    if missing and raw.rows.get(1):
        problems.append(
            _Problem(raw.label, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} in row 1")
        )
    entries: list[dict[str, Any]] = []
    rows = _entry_rows(raw)
    origin.rows[name] = rows
    for i, r in enumerate(rows):
        entry: dict[str, Any] = {}
        cells = raw.rows.get(r, {})
        for c, f in cols.items():
            where = f"{path}[{i}].{f}"
            unread = UNREAD if f not in OWNER_COLUMNS else None  # matched by _read_teams, read_need
            if (r, c) in raw.no_value:
                problems.append(_Problem(raw.label, NO_VALUE, row=r, place=f"column {f}", where=where))
                entry[f] = unread
                continue
            if c not in cells:
                continue
            value, msg = _convert(cells[c], kinds[f])
            if name == NULLABLE_SHEET and kinds[f] == "rate" and str(cells[c]).strip().lower() == NONE_WORD:
                value, msg = None, None  # §5b: the rate removed for this specialty (null in JSON)
            if msg is not None:
                problems.append(_Problem(raw.label, msg, row=r, place=f"column {f}", where=where, got=_shown(cells[c])))
                entry[f] = unread
            else:
                entry[f] = value
        entry = {k: v for k, v in entry.items() if v is not None or k not in OWNER_COLUMNS}
        entries.append(entry)
    return entries, problems


def _parse_years(value: Any) -> tuple[list[int] | None, str | None]:
    if isinstance(value, bool):
        return None, "must be years, comma-separated"
    if isinstance(value, int | float):
        parts: list[Any] = [value]
    else:
        parts = [p for p in re.split(r"[,;]", str(value)) if p.strip()]
    years = []
    for p in parts:
        y, msg = _convert(p, "int")
        if msg is not None:
            return None, f"{msg}: years must be whole numbers, comma-separated"
        years.append(y)
    if len(years) == 1 and 10_000_000 <= years[0] <= 99_999_999:
        return None, "looks like two years read as one number: format the cell as text and type 2025,2026"
    return years, None


def _read_scalars(raw: _Raw, origin: _Origin) -> tuple[dict[str, Any], list[_Problem]]:
    problems: list[_Problem] = []
    header = raw.rows.get(1, {})
    first = [str(header.get(c, "")).strip().lower() for c in (1, 2)]
    if first != ["field", "value"]:
        return {}, [_Problem(raw.label, "columns A and B must be named 'field' and 'value' in row 1")]
    for r, c in sorted(raw.no_value):
        if c == 1 and r > 1:
            problems.append(_Problem(raw.label, NO_VALUE, row=r, place="column field"))
    kinds = scalar_fields()
    data: dict[str, Any] = {}
    transition: dict[str, Any] = {}
    pipeline: dict[str, Any] = {}
    for r in _entry_rows(raw):
        cells = raw.rows.get(r, {})
        name, value = cells.get(1), cells.get(2)
        if name is None:
            if value is not None:
                problems.append(_Problem(raw.label, "has a value but no field name", row=r, place="column field"))
            continue
        name = str(name).strip()
        if name not in kinds:
            problems.append(
                _Problem(
                    raw.label,
                    f"unknown field {_quote(name)}{did_you_mean(name, kinds)}",
                    row=r,
                    place="column field",
                )
            )
            continue
        if name in origin.scalar_rows:
            problems.append(
                _Problem(raw.label, f"field '{name}' appears twice (first in row {origin.scalar_rows[name]})", row=r)
            )
            continue
        origin.scalar_rows[name] = r
        if (r, 2) in raw.no_value:
            problems.append(_Problem(raw.label, NO_VALUE, row=r, place=f"field {name}", where=name))
            conv, msg = UNREAD, None
        elif value is None:
            continue
        elif kinds[name].startswith("list:"):
            conv, msg = _parse_years(value)
        else:
            conv, msg = _convert(value, kinds[name])
        if msg is not None:
            problems.append(_Problem(raw.label, msg, row=r, place=f"field {name}", where=name, got=_shown(value)))
            conv = UNREAD  # set aside by validation, which checks the rest
        if name.startswith(TRANSITION_PREFIX):
            transition[name[len(TRANSITION_PREFIX) :]] = conv
        elif name.startswith(PIPELINE_PREFIX):
            pipeline[name[len(PIPELINE_PREFIX) :]] = conv
        else:
            data[name] = conv
    if transition:
        data["transition"] = transition
    if pipeline:
        data["pipeline"] = pipeline
    return data, problems


def _tables_to_data(raws: list[_Raw], what: str) -> tuple[dict[str, Any], _Origin, list[_Problem]]:
    origin = _Origin(what=what)
    problems: list[_Problem] = []
    known = ("instance", *SHEETS)
    by_name: dict[str, _Raw] = {}
    for raw in raws:
        problems += raw.problems
        key = raw.name.strip().lower()
        if key == README:
            continue
        if key not in known:
            problems.append(
                _Problem(
                    raw.label,
                    f"unknown {what} {_quote(raw.name)}{did_you_mean(raw.name, known)} "
                    f"(known: {', '.join(known)}; a {what} named {README} is ignored)",
                )
            )
            continue
        if key in by_name:
            problems.append(_Problem(raw.label, f"a second {what} for '{key}' (first: {by_name[key].label})"))
            continue
        by_name[key] = raw
        if raw.problems:
            origin.broken.add(key)
        elif not raw.rows and not raw.no_value:
            origin.broken.add(key)
            problems.append(
                _Problem(raw.label, f"is empty: a {what} needs at least its header row (column names in row 1)")
            )
    data: dict[str, Any] = {}
    if "instance" not in by_name:
        problems.append(
            _Problem("", f"missing the 'instance' {what} (columns field, value: schema_version, name, years, …)")
        )
    else:
        raw = by_name.pop("instance")
        origin.labels["instance"] = raw.label
        if raw.rows:
            scal, probs = _read_scalars(raw, origin)
            data |= scal
            problems += probs
            if not scal and probs:
                origin.broken.add("instance")
    for name in LISTS:
        raw = by_name.get(name)
        if raw is None:
            continue
        origin.labels[name] = raw.label
        if not raw.rows and not raw.no_value:
            continue
        entries, probs = _read_list(name, raw, origin)
        problems += probs
        data[name] = entries  # a sheet with only its header: an empty list, as if absent
    problems += _read_pipeline(by_name, data, origin)
    problems += _read_teams(by_name, data, origin)
    problems += read_need(by_name, data, origin, _sheet_entries)
    return data, origin, problems


def _sheet_entries(
    name: str, by_name: dict[str, _Raw], origin: _Origin, path: str
) -> tuple[list[dict[str, Any]], list[int], list[_Problem]]:
    """The entries of a v2 list sheet and their rows (nothing when it is absent or blank)."""
    raw = by_name.get(name)
    if raw is None:
        return [], [], []
    origin.labels[name] = raw.label
    if not raw.rows and not raw.no_value:
        return [], [], []
    entries, problems = _read_list(name, raw, origin, path)
    return entries, origin.rows[name], problems


def _read_pipeline(by_name: dict[str, _Raw], data: dict[str, Any], origin: _Origin) -> list[_Problem]:
    """The pipeline block: its scalars (already in ``data["pipeline"]``) and its three sheets.
    There is a pipeline when any of them holds a value."""
    problems: list[_Problem] = []
    pipeline = data.get("pipeline", {})
    for name, key in PIPELINE_SHEETS.items():
        entries, rows, probs = _sheet_entries(name, by_name, origin, f"pipeline.{key}")
        problems += probs
        for i, r in enumerate(rows):
            origin.entries[f"pipeline.{key}[{i}]"] = (name, r)
        if entries:
            pipeline[key] = entries
    if pipeline:
        data["pipeline"] = pipeline
    return problems


def _read_teams(by_name: dict[str, _Raw], data: dict[str, Any], origin: _Origin) -> list[_Problem]:
    """The teams: sheet ``teams``, and the rows of ``team_members`` and ``team_need_weights``
    gathered under the team their column ``team`` names."""
    teams, rows, problems = _sheet_entries("teams", by_name, origin, "teams")
    label = origin.labels.get("teams", "sheet teams")
    first: dict[str, int] = {}  # team id -> index of its (first) entry
    for g, (team, r) in enumerate(zip(teams, rows, strict=True)):
        origin.entries[f"teams[{g}]"] = ("teams", r)
        tid = team.get("id")
        if isinstance(tid, str) and tid in first:
            problems.append(
                _Problem(
                    label,
                    f"duplicate team id '{_safe(tid)}' (first in row {rows[first[tid]]})",
                    row=r,
                    place="column id",
                    where=f"teams[{g}].id",
                )
            )
        elif isinstance(tid, str):
            first[tid] = g
        for key in TEAM_SHEETS.values():
            team[key] = []
    known = list(first)
    teams_table = f"{origin.what} teams" + (".csv" if origin.what == "file" else "")
    for name, key in TEAM_SHEETS.items():
        entries, sheet_rows, probs = _sheet_entries(name, by_name, origin, name)
        moved: dict[int, str] = {}  # row -> JSON path of its entry
        sheet_label = origin.labels.get(name, name)
        for i, (entry, r) in enumerate(zip(entries, sheet_rows, strict=True)):
            tid = entry.pop("team", None)
            if tid is None:
                if not any(p.row == r and p.place == "column team" for p in probs):
                    problems.append(
                        _Problem(
                            sheet_label,
                            f"names no team: give the id of a team of {teams_table}",
                            row=r,
                            place="column team",
                            where=f"{name}[{i}].team",
                        )
                    )
                continue
            if tid not in first:
                hint = did_you_mean(tid, known) or (f" (known: {', '.join(known[:8])})" if known else "")
                problems.append(
                    _Problem(
                        sheet_label,
                        f"unknown team {_quote(tid)}{hint}: a team is a row of {teams_table}",
                        row=r,
                        place="column team",
                        where=f"{name}[{i}].team",
                    )
                )
                continue
            g = first[tid]
            path = f"teams[{g}].{key}[{len(teams[g][key])}]"
            teams[g][key].append(entry)
            origin.entries[path] = (name, r)
            moved[r] = path
        for p in probs:  # a problem of a cell names the entry as JSON does
            if p.row in moved and p.where:
                p.where = moved[p.row] + p.where[p.where.index("]") + 1 :]
        problems += probs
    for g, (team, r) in enumerate(zip(teams, rows, strict=True)):
        tid = team.get("id")
        if isinstance(tid, str) and first.get(tid) == g and not team["members"]:
            problems.append(
                _Problem(
                    label,
                    f"team '{_safe(tid)}' has no members: add its rows to {origin.what} team_members"
                    f"{'.csv' if origin.what == 'file' else ''} "
                    "(columns team, specialty, equivalence, max_share)",
                    row=r,
                    where=f"teams[{g}].members",
                )
            )
    if teams:
        data["teams"] = teams
    return problems


_ROW_OF = re.compile(r"\b[a-z_]+(?:\.[a-z_]+)?\[\d+\](?:\.[a-z_]+\[\d+\])*")  # an entry named in a message


def _with_row(path: str, origin: _Origin) -> str:
    """An entry named in a message (``first at baseline_posts[4]``) with the row it came from:
    ``baseline_posts[4] in row 6 of sheet baseline_posts``."""
    found = origin.entries.get(path)
    m = re.fullmatch(r"([a-z_]+)\[(\d+)\]", path)
    if found is None and m and m.group(1) in origin.rows and int(m.group(2)) < len(origin.rows[m.group(1)]):
        found = (m.group(1), origin.rows[m.group(1)][int(m.group(2))])
    if found is None:
        return path
    name, row = found
    return f"{path} in row {row} of {origin.labels.get(name, name)}"


_ENTRY = re.compile(r"^([a-z_]+)\[(\d+)\](?:\.([A-Za-z_]\w*))?")
_SCALAR = re.compile(r"^([a-z_]+(?:\.[a-z_]+)?)(?:\[\d+\])?$")


def _nested(where: str, message: str, got: str | None, origin: _Origin) -> _Problem | None:
    """A problem of an entry of the v2 sheets (``teams[0].members[1].specialty``) -> sheet, row
    and column; ``None`` when ``where`` is not one."""
    for path, (name, row) in sorted(origin.entries.items(), key=lambda kv: -len(kv[0])):
        if where == path or where.startswith((path + ".", path + "[")):
            rest = where[len(path) :].lstrip(".")
            column = re.split(r"[.\[]", rest)[0] if rest else message.split(" ")[0]
            place = f"column {column}" if column in list_columns(name) else None
            return _Problem(origin.labels[name], message, row=row, place=place, where=where, got=got)
    return None


def _locate(where: str, message: str, origin: _Origin) -> _Problem:
    """A validation problem (``capacity[3].max_posts``) -> sheet, row and column."""
    got = None
    m = re.search(r" \(got (.*)\)$", message)
    if m:
        message, got = message[: m.start()], m.group(1)
    message = _ROW_OF.sub(lambda m: _with_row(m.group(0), origin), message)
    nested = _nested(where, message, got, origin)
    if nested is not None:
        return nested
    if where == "pipeline.horizon_year" and message == "required field is missing":
        label = origin.labels.get("instance", "instance")
        row = origin.scalar_rows.get(where)
        message = (
            "required field is missing: a pipeline (any pipeline.* field, or rows in pipeline_specialties, "
            "fill_rate or stock) needs its horizon year; leave them all empty for no pipeline"
        )
        return _Problem(label, message, row=row, place=f"field {where}" if row else None, where=where)
    m = _ENTRY.match(where)
    if m and m.group(1) in origin.rows and int(m.group(2)) < len(origin.rows[m.group(1)]):
        name, i, f = m.group(1), int(m.group(2)), m.group(3)
        return _Problem(
            origin.labels[name],
            message,
            row=origin.rows[name][i],
            place=f"column {f}" if f else None,
            where=where,
            got=got,
        )
    m = _SCALAR.match(where)
    if m and m.group(1) in origin.scalar_rows:
        f = m.group(1)
        label = origin.labels["instance"]
        return _Problem(label, message, row=origin.scalar_rows[f], place=f"field {f}", where=where, got=got)
    head = where.split(".")[0].split("[")[0]
    if head in origin.labels and where == head:
        return _Problem(origin.labels[head], message, where=where, got=got)
    if head in LISTS and where == head and message == "required field is missing":
        return _Problem(
            "", f"{message}: add a {origin.what} named {head}{'.csv' if origin.what == 'file' else ''}", where=where
        )
    if where == "pipeline" and "pipeline.horizon_year" in origin.scalar_rows:  # the block as a whole
        row = origin.scalar_rows["pipeline.horizon_year"]
        return _Problem(origin.labels["instance"], message, row=row, place="field pipeline.horizon_year", where=where)
    if head in scalar_fields() or head in ("transition", "pipeline"):
        label = origin.labels.get("instance", "instance")
        return _Problem(label, message, where=where, got=got)
    return _Problem("", message, where=where, got=got)


def _raise(source: str, problems: list[_Problem]) -> None:
    raise InstanceError(source, _format(problems))


def load_tables(path: str | Path) -> Instance:
    """Load and validate an instance from an Excel workbook or a folder of CSV files."""
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raws, what = _read_folder(path), "file"
    else:
        suffix = path.suffix.lower()
        if suffix in (".xls", ".ods", ".numbers"):
            raise InstanceError(source, [("", f"{suffix} files are not read: save it as an Excel workbook (.xlsx)")])
        if suffix == ".csv":
            raise InstanceError(
                source,
                [("", "a CSV instance is a folder of CSV files (instance.csv, regions.csv, …): give the folder")],
            )
        raws, what = _read_xlsx(path), "sheet"
    data, origin, problems = _tables_to_data(raws, what)
    if "instance" not in origin.labels or "instance" in origin.broken:
        _raise(source, problems)  # without the scalars nothing else can be checked
    inst, found = check(data, strict=False)
    problems += [p for p in (_locate(w, m, origin) for w, m in found) if not _follows(p, problems, origin)]
    if problems or inst is None:
        order = {label: i for i, label in enumerate(origin.labels.values())}
        _raise(source, sorted(problems, key=lambda p: (order.get(p.label, -1), p.row or 0)))  # sheet by sheet
    return inst


def _follows(p: _Problem, read: list[_Problem], origin: _Origin) -> bool:
    """Whether a validation problem only repeats a problem of reading: a cell that could not be
    read (``read`` names it), a required column that is absent, a sheet that could not be read."""
    if p.where and any(q.where == p.where for q in read):
        return True
    column = p.place[len("column ") :] if p.place and p.place.startswith("column ") else None
    if p.message.startswith("required field is missing") and (p.label, column) in origin.missing:
        return True
    head = (p.where or "").split(".")[0].split("[")[0]
    return head in origin.broken or (head == "pipeline" and bool(origin.broken & set(PIPELINE_SHEETS)))


def _read_tables(path: Path, kind: str) -> dict[str, Any]:
    """The raw data of a workbook (``kind="xlsx"``) or CSV folder, before validation."""
    raws = _read_folder(path) if kind == "csv" else _read_xlsx(path)
    data, _, problems = _tables_to_data(raws, "file" if kind == "csv" else "sheet")
    if problems:
        _raise(str(path), problems)
    return data
