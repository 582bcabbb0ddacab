"""``allocator convert IN OUT``: an instance between JSON, an Excel workbook and a CSV folder.

The form of each side follows its name: ``.json``, ``.xlsx`` (``.xlsm`` is read too), anything
else a folder of CSV files. The input is validated first (exit 2 and nothing written when it
is bad); the output is written to temporary files, loaded back and compared with the input
before it replaces anything, and an existing OUT is replaced only with ``--force``. Workbooks
and folders get every list, with its column headers even when it is empty, and an
``instance`` sheet listing every scalar, transition and pipeline field with its meaning: a
complete template an analyst can fill in. The v2 blocks (docs/model.md §10, §11) have sheets of
their own (``pipeline_specialties``, ``fill_rate``, ``stock``, ``teams``, ``team_members``,
``team_need_weights``: layout in :mod:`allocator.io.tables`); an instance without a pipeline or
teams converts to one without them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from allocator.cli.console import fail
from allocator.core.instance import Instance, InstanceError
from allocator.io.instance import load_instance

# names that look like a file of another kind, never taken as a folder name
NOT_A_FOLDER = (".csv", ".xls", ".xlsm", ".ods", ".numbers", ".txt", ".toml", ".yaml", ".yml", ".zip", ".md")


def output_kind(path: Path) -> str:
    """``"json" | "xlsx" | "csv"`` for an output path, or ``ValueError``."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix == ".xlsx":
        return "xlsx"
    if suffix in NOT_A_FOLDER:
        raise ValueError(
            f"{path}: cannot write {suffix}: name a .json file, an .xlsx workbook or a folder (for CSV files)"
        )
    return "csv"


def _whole(value: Any) -> Any:
    """Whole numbers written as ``120``, not ``120.0`` (they load back as the same floats)."""
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def convert(source: str | Path, target: str | Path, force: bool = False) -> Instance:
    """Convert an instance file (see the module docstring); returns the instance.

    Raises :class:`InstanceError` for a bad input and ``ValueError`` for a target that exists
    (without ``force``) or has a name of another kind.
    """
    from allocator.io.atomic import atomic_write
    from allocator.io.table_write import same_instance, table_files

    source, target = Path(source), Path(target)
    kind = output_kind(target)
    inst = load_instance(source)
    exists = target.exists() or target.is_symlink()
    if exists and not force:
        raise ValueError(f"{target}: exists (use --force to replace it)")
    if exists and (kind == "csv") != target.is_dir():
        raise ValueError(f"{target}: exists and is {'not ' if kind == 'csv' else ''}a folder: give another name")
    if kind == "json":
        files = {"": (json.dumps(_whole(inst.to_dict()), indent=2, ensure_ascii=False) + "\n").encode("utf-8")}
    else:
        files = table_files(inst, kind)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    # write a trial copy, load it back: the output must be the same instance
    trial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        check = trial / (target.name if kind != "csv" else "tables")
        if kind == "csv":
            check.mkdir()
            for name, data in files.items():
                (check / name).write_bytes(data)
        else:
            check.write_bytes(files[""])
        again = load_instance(check)
        if not same_instance(again, inst):  # pragma: no cover - a bug in the writers
            raise ValueError(f"{target}: the converted instance does not load back equal: not written")
    except InstanceError as err:  # pragma: no cover - a bug in the writers
        raise ValueError(f"{target}: the converted instance does not load back: not written ({err})") from None
    finally:
        shutil.rmtree(trial, ignore_errors=True)
    if kind == "csv":
        target.mkdir(parents=True, exist_ok=True)
        atomic_write(files, target)
    else:
        atomic_write({target.name: files[""]}, parent)
    return inst


def convert_command(
    source: Annotated[Path, typer.Argument(metavar="IN", help="Instance: JSON, .xlsx, or a folder of CSV files.")],
    target: Annotated[
        Path, typer.Argument(metavar="OUT", help="To write: a .json file, an .xlsx workbook, or a folder (CSV files).")
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
):
    """Convert an instance between JSON, an Excel workbook and a folder of CSV files.

    Workbooks and folders get every sheet, with its column headers even when it is empty: start
    a new instance from instances/template.xlsx, or convert one you have.
    """
    try:
        inst = convert(source, target, force=force)
    except (InstanceError, ValueError) as e:
        fail(e)
    except OSError as e:
        fail(f"{target}: cannot write: {e.strerror or e}")
    print(
        f"wrote {target}: {inst.name}: {len(inst.regions)} regions × {len(inst.specialties)} specialties × "
        f"{len(inst.years)} years"
    )
