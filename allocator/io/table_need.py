"""The need block (docs/model.md §3b, v3) as tables: the sheet ``need_factors`` (one row per
factor, in the order of the waterfall) and ``need_values`` (one row per value, its column
``factor`` naming the factor). Reading gathers the values under their factor; writing is
:func:`need_entries`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allocator.core.limits import did_you_mean
from allocator.io.table_cells import _Problem, _quote


def need_entries(d: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The rows of sheet ``name`` (``need_factors`` or ``need_values``) of the instance's JSON data ``d``."""
    factors = (d.get("need") or {}).get("factors", [])
    if name == "need_factors":
        return [{k: v for k, v in f.items() if k != "values"} for f in factors]
    return [{"factor": f["id"], **v} for f in factors for v in f.get("values", [])]


def read_need(by_name: dict[str, Any], data: dict[str, Any], origin: Any, sheet_entries: Callable) -> list[_Problem]:
    """The need block from its two sheets into ``data["need"]`` (nothing when both are empty).

    ``sheet_entries`` is the reader of one list sheet (``allocator.io.tables._sheet_entries``);
    ``origin`` records where each entry came from, for messages."""
    factors, rows, problems = sheet_entries("need_factors", by_name, origin, "need.factors")
    first: dict[str, int] = {}
    for f, (factor, r) in enumerate(zip(factors, rows, strict=True)):
        origin.entries[f"need.factors[{f}]"] = ("need_factors", r)
        fid = factor.get("id")
        if isinstance(fid, str):
            first.setdefault(fid, f)  # a repeated id is reported by validation
        factor["values"] = []
    entries, value_rows, probs = sheet_entries("need_values", by_name, origin, "need_values")
    label = origin.labels.get("need_values", "need_values")
    table = f"{origin.what} need_factors" + (".csv" if origin.what == "file" else "")
    known = list(first)
    moved: dict[int, str] = {}
    for i, (entry, r) in enumerate(zip(entries, value_rows, strict=True)):
        fid = entry.pop("factor", None)
        if fid is None or fid not in first:
            if fid is None and any(p.row == r and p.place == "column factor" for p in probs):
                continue
            what = "names no factor" if fid is None else f"unknown factor {_quote(fid)}{did_you_mean(fid, known)}"
            problems.append(
                _Problem(
                    label,
                    f"{what}: a factor is a row of {table}" + (f" (known: {', '.join(known[:8])})" if known else ""),
                    row=r,
                    place="column factor",
                    where=f"need_values[{i}].factor",
                )
            )
            continue
        f = first[fid]
        path = f"need.factors[{f}].values[{len(factors[f]['values'])}]"
        factors[f]["values"].append(entry)
        origin.entries[path] = ("need_values", r)
        moved[r] = path
    for p in probs:  # a problem of a cell names the entry as JSON does
        if p.row in moved and p.where:
            p.where = moved[p.row] + p.where[p.where.index("]") + 1 :]
    problems += probs
    for factor in factors:
        if not factor["values"]:
            del factor["values"]
    if factors:
        data["need"] = {"factors": factors}
    return problems
