"""Instance files: JSON (schema-checked, duplicate keys refused) and, through allocator.io.tables,
Excel and CSV tables.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.core.examples import INSTANCE_KINDS, not_found, resolve
from allocator.core.instance import Instance, InstanceError, read_utf8
from allocator.core.validate import validate

if TYPE_CHECKING:
    from allocator.core.data import ProblemData

# --------------------------------------------------------------------------- loaders


def load_instance(path: str | Path) -> Instance:
    """Load and validate an instance from JSON, an Excel workbook, or a folder of CSV files.

    ``path`` may also name a shipped instance (``"england-regions-2025"``; ``allocator examples``
    lists them); an existing path always wins over a name.
    """
    path = resolve(path, INSTANCE_KINDS)
    if not path.exists():
        raise InstanceError(str(path), [("", not_found(path, INSTANCE_KINDS))])
    if path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods", ".csv"):
        from allocator.io.tables import load_tables  # tables.py imports this module

        return load_tables(path)
    return validate(_read_json(path), str(path), strict=True)


def as_instance(instance: Instance | str | os.PathLike) -> Instance:
    """The instance itself, or the instance loaded from a path (:func:`load_instance`).

    Every public function that takes an instance takes it through here, so each accepts an
    :class:`Instance` or the path (``str`` or :class:`~pathlib.Path`) of a JSON file, a
    workbook or a folder of CSV files.

    Raises
    ------
    InstanceError
        If the file cannot be read or is not a valid instance.
    TypeError
        If ``instance`` is neither an Instance nor a path.
    """
    if isinstance(instance, Instance):
        return instance
    if isinstance(instance, str | os.PathLike):
        return load_instance(instance)
    raise TypeError(
        f"expected an Instance or the path of an instance file, not {type(instance).__name__}: "
        "load one with allocator.load_instance(path)"
    )


def as_problem_data(data: ProblemData | Instance | str | os.PathLike) -> ProblemData:
    """Problem data as given, or computed from an instance or an instance file
    (:func:`as_instance`, then :func:`allocator.core.data.problem_data`)."""
    from allocator.core.data import ProblemData, problem_data

    return data if isinstance(data, ProblemData) else problem_data(as_instance(data))


def _read_json(path: Path) -> Any:
    """The parsed JSON of an instance file; :class:`InstanceError` if it is not UTF-8 JSON."""
    source = str(path)
    text = read_utf8(path, "JSON", "no such file or folder")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise InstanceError(source, [("", f"not valid JSON: {err}")]) from None
    except RecursionError:
        raise InstanceError(source, [("", "not valid JSON for an instance: nested too deeply")]) from None
    except ValueError as err:  # a duplicate key, an integer of more than 4,300 digits
        msg = "a number has more than 4,300 digits" if "digits" in str(err) else str(err)
        raise InstanceError(source, [("", f"not valid JSON: {msg}")]) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is an error (JSON would silently keep the last)."""
    obj: dict[str, Any] = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"the key '{k[:100]}' appears twice in one object")
        obj[k] = v
    return obj


def write_tables(inst: Instance | str | Path, path: str | Path) -> Path:
    """Write an instance (or the instance in a file) as an Excel workbook (``.xlsx``) or a
    folder of CSV files (:func:`allocator.io.table_write.write_tables`)."""
    from allocator.io.table_write import write_tables as write

    return write(as_instance(inst), path)
