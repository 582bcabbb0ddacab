"""``allocator apportion``: whole seats (posts) in proportion to weights, from CSV files.

Two forms, chosen by the options:

* **a vector** (``--seats N``): the CSV has columns ``unit,weight``; ``N`` seats are shared
  by ``--method`` (:func:`allocator.apportion.divisors`), each unit between ``--min-seats``
  and ``--max-seats``.
* **a matrix** (``--row-totals R.csv --col-totals C.csv``): the first column of the CSV holds
  the row labels and every other column is one column of weights; each totals file has
  columns ``label,total``. The matrix is apportioned biproportionally
  (:func:`allocator.apportion.biproportional`, standard rounding).

The allocation and the divisors are printed; ``--out FILE`` writes the allocation as CSV
(under a temporary name, then renamed). Bad input (a missing file, a negative or
non-numeric weight, totals that cannot be met, an infeasible matrix) is reported with the
file, rows, columns and numbers involved, exit code 2, and nothing is written.

The lead registers it as ``app.command("apportion")(apportion_command)``.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from allocator.cli.console import console, err, fail
from allocator.core.examples import not_found, resolve
from allocator.io.atomic import csv_text

if TYPE_CHECKING:
    import pandas as pd

#: The vector methods, for the help text: :data:`allocator.apportion.divisors.METHODS` (the test
#: ``test_apportion_cli.py::test_the_help_names_every_method`` holds them equal). Written out here
#: so that registering the command loads neither pandas nor the apportionment modules: every
#: command, ``allocator solve`` too, registers this one (issue 24).
METHODS = ("hamilton", "dhondt", "sainte-lague", "huntington-hill", "adams", "dean")

__all__ = ["ApportionInputError", "apportion_command", "read_matrix", "read_totals", "read_vector"]


class ApportionInputError(ValueError):
    """A CSV file or an option that cannot be used; the message names the file and entries."""


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV file as strings (labels stay as written, numbers are parsed later)."""
    import pandas as pd

    path = resolve(path, ("apportionment",))  # a shipped example by name: us-house-2020
    if not path.exists():
        raise ApportionInputError(f"{path}: {not_found(path, ('apportionment',))}")
    if path.is_dir():
        raise ApportionInputError(f"{path}: is a folder, not a CSV file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ApportionInputError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ApportionInputError(f"{path}: not a readable CSV file: {error}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise ApportionInputError(f"{path}: no rows below the header")
    return frame.apply(lambda col: col.str.strip())


def _number(text: str) -> Fraction:
    """A decimal string as an exact Fraction; ValueError if it is not a finite number."""
    if "_" in text:  # Fraction accepts 1_000; a CSV number should not
        raise ValueError(text)
    return Fraction(text)


def _labels(values: pd.Series, path: Path, what: str) -> list[str]:
    """Labels of a column: none empty, none repeated."""
    labels = list(values)
    empty = [str(k + 2) for k, label in enumerate(labels) if label == ""]
    if empty:
        raise ApportionInputError(f"{path}: {what} is empty on line(s) {', '.join(empty)}")
    seen, repeated = set(), []
    for label in labels:
        if label in seen and label not in repeated:
            repeated.append(label)
        seen.add(label)
    if repeated:
        raise ApportionInputError(f"{path}: {what} repeated: {', '.join(map(repr, repeated))}")
    return labels


def _weights(frame: pd.DataFrame, path: Path, row_labels: list[str]) -> pd.DataFrame:
    """Every cell parsed as a non-negative finite number; all bad cells named together."""
    problems, out = [], {}
    for col in frame.columns:
        cells = []
        for label, text in zip(row_labels, frame[col], strict=True):
            where = f"row {label!r}, column {col!r}"
            try:
                value = _number(text)
            except (ValueError, ZeroDivisionError):
                problems.append(f"{where}: {text!r} is not a finite number" if text else f"{where}: missing weight")
                continue
            if value < 0:
                problems.append(f"{where}: weight {text} is negative")
            cells.append(value)
        out[col] = cells
    if problems:
        shown = problems[:10] + ([f"and {len(problems) - 10} more"] if len(problems) > 10 else [])
        raise ApportionInputError(f"{path}: bad weights: " + "; ".join(shown))
    import pandas as pd

    return pd.DataFrame(out, index=pd.Index(row_labels, dtype=object), dtype=object)


def read_vector(path: Path) -> pd.Series:
    """A ``unit,weight`` CSV as a Series of exact Fractions indexed by unit."""
    frame = _read_csv(path)
    if list(frame.columns) != ["unit", "weight"]:
        raise ApportionInputError(
            f"{path}: a weight vector needs exactly the columns unit,weight "
            f"(found {','.join(frame.columns)}); for a matrix give --row-totals and --col-totals"
        )
    units = _labels(frame["unit"], path, "unit")
    weights = _weights(frame[["weight"]], path, units)["weight"]
    weights.name = "weight"
    return weights


def read_matrix(path: Path) -> pd.DataFrame:
    """A weight matrix CSV (first column the row labels) as a DataFrame of exact Fractions."""
    frame = _read_csv(path)
    if frame.shape[1] < 2:
        raise ApportionInputError(f"{path}: a weight matrix needs a label column and at least one column of weights")
    rows = _labels(frame.iloc[:, 0], path, f"row label (column {frame.columns[0]!r})")
    cols = list(frame.columns[1:])
    empty = [str(k + 2) for k, c in enumerate(cols) if c == "" or c.startswith("Unnamed:")]
    if empty:
        raise ApportionInputError(f"{path}: column(s) {', '.join(empty)} of the header have no label")
    duplicated = [c for c in cols if "." in c and c.rsplit(".", 1)[0] in cols]
    if duplicated:
        raise ApportionInputError(f"{path}: column labels repeated: {', '.join(duplicated)}")
    matrix = _weights(frame.iloc[:, 1:], path, rows)
    matrix.index.name = frame.columns[0]
    return matrix


def read_totals(path: Path, labels: list[str], what: str) -> pd.Series:
    """A ``label,total`` CSV as whole-number totals on exactly ``labels`` (the matrix's rows or
    columns); missing, unknown, repeated or non-whole entries are all named."""
    frame = _read_csv(path)
    if list(frame.columns) != ["label", "total"]:
        raise ApportionInputError(
            f"{path}: {what} totals need exactly the columns label,total (found {','.join(frame.columns)})"
        )
    given = _labels(frame["label"], path, "label")
    problems = []
    totals = {}
    for label, text in zip(given, frame["total"], strict=True):
        try:
            value = _number(text)
        except (ValueError, ZeroDivisionError):
            problems.append(f"{label!r}: {text!r} is not a number")
            continue
        if value < 0 or value.denominator != 1:
            problems.append(f"{label!r}: total {text} is not a whole number >= 0")
            continue
        totals[label] = int(value)
    missing = [label for label in labels if label not in totals and label not in given]
    unknown = [label for label in given if label not in labels]
    if missing:
        problems.append(f"no total for {what}(s) {', '.join(map(repr, missing))}")
    if unknown:
        problems.append(f"{', '.join(map(repr, unknown))} is not a {what} of the weights (known: {', '.join(labels)})")
    if problems:
        raise ApportionInputError(f"{path}: bad {what} totals: " + "; ".join(problems))
    import pandas as pd

    return pd.Series([totals[label] for label in labels], index=pd.Index(labels, dtype=object), dtype="int64")


# ---------------------------------------------------------------------------------------
# Printing and writing
# ---------------------------------------------------------------------------------------


def _show(value) -> str:
    """A weight or divisor: exact if it is short, else a decimal."""
    if value is None:
        return "-"
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        text = str(value)
        return text if len(text) <= 12 else f"{float(value):.6g}"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _print_vector(weights: pd.Series, seats: pd.Series, method: str) -> None:
    total = sum(weights, Fraction(0))
    n_seats = int(seats.sum())
    table = Table(title=f"{n_seats} seats by {method}")
    table.add_column("unit")
    table.add_column("weight", justify="right")
    table.add_column("quota", justify="right")
    table.add_column("seats", justify="right")
    for unit in weights.index:
        quota = weights[unit] * n_seats / total if total else Fraction(0)
        table.add_row(escape(str(unit)), _show(weights[unit]), f"{float(quota):.4f}", str(int(seats[unit])))
    console.print(table)
    d = seats.attrs.get("divisor")
    if method == "hamilton":
        quota = total / n_seats if n_seats else None
        console.print(f"Hamilton has no divisor; Hare quota (weight per seat) = {_show(quota)}", highlight=False)
    elif d is None:
        console.print("divisor: none (no finite divisor gives this result)", highlight=False)
    else:
        console.print(f"divisor: {_show(d)}  (seats = round(weight / divisor) under {method})", highlight=False)
    if seats.attrs.get("ties"):
        err.print(
            f"[yellow]tie:[/] {escape(', '.join(map(str, seats.attrs['ties'])))} have equal claims to the last "
            "seat(s); broken by the order of the file",
            highlight=False,
        )


def _print_matrix(seats: pd.DataFrame) -> None:
    rows, cols = seats.attrs["row_divisors"], seats.attrs["col_divisors"]
    n_seats = int(seats.to_numpy().sum())
    table = Table(title=f"{n_seats} seats, biproportional (standard rounding)")
    table.add_column(escape(str(seats.index.name or "")))
    for col in seats.columns:
        table.add_column(escape(str(col)), justify="right")
    table.add_column("total", justify="right")
    table.add_column("row divisor", justify="right")
    for label in seats.index:
        line = [str(int(v)) for v in seats.loc[label]]
        table.add_row(escape(str(label)), *line, str(int(seats.loc[label].sum())), _show(rows[label]))
    table.add_row("total", *[str(int(seats[c].sum())) for c in seats.columns], str(n_seats), "")
    table.add_row("col divisor", *[_show(cols[c]) for c in seats.columns], "", "")
    console.print(table)
    console.print("seats = round(weight / (row divisor × col divisor)), standard rounding", highlight=False)
    if seats.attrs.get("ties"):
        err.print(
            f"[yellow]tie:[/] cells {escape(str(seats.attrs['ties']))} sit exactly on a rounding threshold; "
            "seats could move between them",
            highlight=False,
        )


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` under a fresh temporary name first (created exclusively),
    then rename (:func:`allocator.io.atomic.atomic_write`)."""
    from allocator.io.atomic import atomic_write

    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write({path.name: text}, path.parent)


# ---------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------


def apportion_command(
    weights_csv: Annotated[
        Path,
        typer.Argument(help="CSV of weights: columns unit,weight (a vector), or a label column then one column each."),
    ],
    seats: Annotated[int | None, typer.Option(help="Seats to share (vector only).")] = None,
    method: Annotated[
        str, typer.Option(help=f"Vector method: {', '.join(METHODS)}. A matrix always uses standard rounding.")
    ] = "sainte-lague",
    min_seats: Annotated[int, typer.Option(help="Least seats per unit (vector only).")] = 0,
    max_seats: Annotated[int | None, typer.Option(help="Most seats per unit (vector only).")] = None,
    row_totals: Annotated[Path | None, typer.Option(help="CSV label,total: seats per row (matrix).")] = None,
    col_totals: Annotated[Path | None, typer.Option(help="CSV label,total: seats per column (matrix).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the allocation to this CSV file.")] = None,
) -> None:
    """Share whole seats (posts) in proportion to weights: a vector by a divisor or quota
    method, or a matrix biproportionally with row and column totals."""
    try:
        if row_totals is None and col_totals is None:
            text = _vector(weights_csv, seats, method, min_seats, max_seats)
        else:
            text = _matrix(weights_csv, seats, method, min_seats, max_seats, row_totals, col_totals)
    except ValueError as error:  # ApportionInputError, ApportionmentInfeasible, bad totals
        fail(str(error))
    if out is not None:
        try:
            _write(out, text)
        except OSError as error:
            fail(f"{out}: cannot write: {error}")
        console.print(f"wrote {out}", highlight=False, markup=False)


def _vector(path: Path, seats, method, min_seats, max_seats) -> str:
    import pandas as pd

    from allocator.apportion.divisors import divisor

    if method not in METHODS:
        raise ApportionInputError(f"--method: unknown method {method!r} (choose one of {', '.join(METHODS)})")
    if seats is None:
        raise ApportionInputError("--seats is needed for a weight vector (or give --row-totals and --col-totals)")
    if seats < 0 or min_seats < 0 or (max_seats is not None and max_seats < 0):
        raise ApportionInputError("--seats, --min-seats and --max-seats must be >= 0")
    weights = read_vector(path)
    try:
        result = divisor(weights, seats, method, min_seats, max_seats, ties="report")
    except ValueError as error:
        raise ApportionInputError(f"{path}: cannot share {seats} seats: {error}") from None
    _print_vector(weights, result, method)
    frame = pd.DataFrame({"unit": weights.index, "seats": result.to_numpy()})
    return csv_text(frame, index=False)  # a label such as =1+2 stays text in a spreadsheet


def _matrix(path: Path, seats, method, min_seats, max_seats, row_totals, col_totals) -> str:
    from allocator.apportion.biproportional import biproportional

    if row_totals is None or col_totals is None:
        raise ApportionInputError("a weight matrix needs both --row-totals and --col-totals")
    unused = [
        name
        for name, given in (
            ("--seats", seats is not None),
            ("--min-seats", min_seats != 0),
            ("--max-seats", max_seats is not None),
            ("--method", method != "sainte-lague"),
        )
        if given
    ]
    if unused:
        raise ApportionInputError(
            f"{', '.join(unused)} apply to a weight vector only; a matrix takes its totals from "
            "--row-totals and --col-totals and always uses standard rounding"
        )
    weights = read_matrix(path)
    rows = read_totals(row_totals, list(weights.index), "row")
    cols = read_totals(col_totals, list(weights.columns), "column")
    try:
        result = biproportional(weights, rows, cols, ties="report")
    except ValueError as error:
        raise ApportionInputError(f"{path}: no biproportional apportionment: {error}") from None
    _print_matrix(result)
    return csv_text(result, index_label=weights.index.name)
