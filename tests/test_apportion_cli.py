"""``allocator apportion``: the command function on a local typer app (the lead wires it into
``allocator.cli``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from allocator.apportion.biproportional import biproportional
from allocator.cli.apportion import apportion_command, read_matrix, read_totals

app = typer.Typer(add_completion=False)
app.command("apportion")(apportion_command)


@app.command("other")
def _other() -> None:  # a second command, so "apportion" is a subcommand as in allocator.cli
    """Unused."""


runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["apportion", *map(str, args)])


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def vector(tmp_path: Path) -> Path:
    return write(tmp_path / "v.csv", "unit,weight\nA,53\nB,24\nC,23\n")


@pytest.fixture
def matrix(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Three lists × two districts; row totals 4, 4, 1; column totals 5, 4."""
    return (
        write(tmp_path / "m.csv", "list,d1,d2\nX,100,50\nY,60,90\nZ,10,20\n"),
        write(tmp_path / "rows.csv", "label,total\nX,4\nY,4\nZ,1\n"),
        write(tmp_path / "cols.csv", "label,total\nd1,5\nd2,4\n"),
    )


# ---------------------------------------------------------------------------------------
# Vectors
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "expected"),
    [("dhondt", [4, 2, 1]), ("sainte-lague", [3, 2, 2]), ("hamilton", [4, 2, 1]), ("adams", [3, 2, 2])],
)
def test_vector(vector: Path, tmp_path: Path, method: str, expected: list[int]):
    out = tmp_path / "out" / "seats.csv"
    result = run(vector, "--seats", 7, "--method", method, "--out", out)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert written.columns.tolist() == ["unit", "seats"]
    assert written["seats"].tolist() == expected
    assert written["unit"].tolist() == ["A", "B", "C"]
    assert f"7 seats by {method}" in result.output
    assert ("Hare quota" if method == "hamilton" else "divisor:") in result.output
    assert not list(out.parent.glob(".*.tmp"))


def test_vector_divisor_is_printed_exactly(vector: Path):
    result = run(vector, "--seats", 7, "--method", "dhondt")
    assert result.exit_code == 0
    assert "divisor: 35/3" in result.output  # 53/(35/3) = 4.5 -> 4, 24/(35/3) = 2.06 -> 2, 23/(35/3) = 1.97 -> 1


def test_vector_bounds_and_exact_decimals(tmp_path: Path):
    # 0.1 + 0.2 + 0.7 are read exactly: quotas 1, 2, 7 of 10 seats; then min 2 per unit
    path = write(tmp_path / "v.csv", "unit,weight\nA,0.1\nB,0.2\nC,0.7\n")
    result = run(path, "--seats", 10, "--method", "sainte-lague", "--out", tmp_path / "o.csv")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "o.csv")["seats"].tolist() == [1, 2, 7]
    result = run(path, "--seats", 10, "--min-seats", 2, "--max-seats", 5, "--out", tmp_path / "o.csv")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "o.csv")["seats"].tolist() == [2, 3, 5]


def test_vector_tie_is_reported(tmp_path: Path):
    path = write(tmp_path / "v.csv", "unit,weight\nA,1\nB,1\n")
    result = run(path, "--seats", 1, "--method", "dhondt")
    assert result.exit_code == 0
    assert "tie:" in result.output and "A, B" in result.output


# ---------------------------------------------------------------------------------------
# Matrices
# ---------------------------------------------------------------------------------------


def test_matrix(matrix, tmp_path: Path):
    weights, rows, cols = matrix
    out = tmp_path / "seats.csv"
    result = run(weights, "--row-totals", rows, "--col-totals", cols, "--out", out)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, index_col=0)
    assert written.index.name == "list"
    expected = biproportional(
        read_matrix(weights), read_totals(rows, ["X", "Y", "Z"], "row"), read_totals(cols, ["d1", "d2"], "column")
    )
    assert written.to_numpy().tolist() == expected.to_numpy().tolist() == [[3, 1], [2, 2], [0, 1]]
    assert written.sum(axis=1).tolist() == [4, 4, 1] and written.sum().tolist() == [5, 4]
    assert "row divisor" in result.output and "col divisor" in result.output
    assert "3/4" in result.output  # the simplest column divisor of d1


# ---------------------------------------------------------------------------------------
# Bad input: exit 2, a message naming the entries, nothing written
# ---------------------------------------------------------------------------------------


def bad(args, tmp_path: Path, *expected: str) -> None:
    out = tmp_path / "never.csv"
    result = run(*args, "--out", out)
    assert result.exit_code == 2, result.output
    assert "error:" in result.output
    for text in expected:
        assert text in result.output, result.output
    assert not out.exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_weights_are_all_named(tmp_path: Path):
    path = write(tmp_path / "v.csv", "unit,weight\nA,-3\nB,x\nC,nan\nD,inf\nE,\nF,2\n")
    bad(
        [path, "--seats", 3],
        tmp_path,
        "v.csv",
        "row 'A', column 'weight': weight -3 is negative",
        "row 'B', column 'weight': 'x' is not a finite number",
        "'nan' is not a finite number",
        "'inf' is not a finite number",
        "row 'E', column 'weight': missing weight",
    )


def test_bad_matrix_weight(matrix, tmp_path: Path):
    weights, rows, cols = matrix
    write(weights, "list,d1,d2\nX,100,-50\nY,60,90\nZ,10,20\n")
    bad([weights, "--row-totals", rows, "--col-totals", cols], tmp_path, "row 'X', column 'd2': weight -50 is negative")


def test_missing_files(matrix, tmp_path: Path):
    weights, rows, _ = matrix
    bad([tmp_path / "nope.csv", "--seats", 3], tmp_path, "nope.csv: no such file")
    bad([weights, "--row-totals", rows, "--col-totals", tmp_path / "c.csv"], tmp_path, "c.csv: no such file")


def test_totals_that_cannot_be_met(vector: Path, tmp_path: Path):
    bad([vector, "--seats", 7, "--max-seats", 2], tmp_path, "cannot share 7 seats", "at most 6 seats")
    bad([vector, "--seats", 2, "--min-seats", 1], tmp_path, "minimum seats sum to 3", "2 seats")


def test_matrix_totals_that_disagree(matrix, tmp_path: Path):
    weights, rows, cols = matrix
    write(rows, "label,total\nX,4\nY,5\nZ,1\n")
    bad(
        [weights, "--row-totals", rows, "--col-totals", cols],
        tmp_path,
        "row totals sum to 10",
        "column totals sum to 9",
    )


def test_infeasible_matrix_names_rows_and_columns(tmp_path: Path):
    # X and Y have weight only in d1, which has 2 seats, but need 3 between them
    weights = write(tmp_path / "m.csv", "list,d1,d2\nX,10,0\nY,10,0\nZ,5,5\n")
    rows = write(tmp_path / "r.csv", "label,total\nX,2\nY,1\nZ,1\n")
    cols = write(tmp_path / "c.csv", "label,total\nd1,2\nd2,2\n")
    bad([weights, "--row-totals", rows, "--col-totals", cols], tmp_path, "rows X, Y need 3", "(d1) have only 2")


def test_totals_labels_and_values(matrix, tmp_path: Path):
    weights, rows, cols = matrix
    write(rows, "label,total\nX,4\nW,4\nZ,1.5\n")
    bad(
        [weights, "--row-totals", rows, "--col-totals", cols],
        tmp_path,
        "rows.csv: bad row totals",
        "'Z': total 1.5 is not a whole number",
        "no total for row(s) 'Y'",
        "'W' is not a row of the weights",
    )
    write(cols, "district,seats\nd1,5\nd2,4\n")
    write(rows, "label,total\nX,4\nY,4\nZ,1\n")
    bad([weights, "--row-totals", rows, "--col-totals", cols], tmp_path, "columns label,total (found district,seats)")


def test_usage_errors(vector: Path, matrix, tmp_path: Path):
    weights, rows, cols = matrix
    bad([vector], tmp_path, "--seats is needed")
    bad([vector, "--seats", 3, "--method", "borda"], tmp_path, "unknown method 'borda'")
    bad([weights, "--seats", 3], tmp_path, "columns unit,weight (found list,d1,d2)")
    bad([weights, "--row-totals", rows], tmp_path, "needs both --row-totals and --col-totals")
    bad(
        [weights, "--row-totals", rows, "--col-totals", cols, "--seats", 9],
        tmp_path,
        "--seats apply to a weight vector",
    )
    dup = write(tmp_path / "d.csv", "unit,weight\nA,1\nA,2\n")
    bad([dup, "--seats", 3], tmp_path, "unit repeated: 'A'")


def test_failure_leaves_an_existing_output_alone(vector: Path, tmp_path: Path):
    out = write(tmp_path / "keep.csv", "old\n")
    result = run(vector, "--seats", 7, "--method", "nope", "--out", out)
    assert result.exit_code == 2
    assert out.read_text() == "old\n"


def test_the_help_names_every_method():
    """The command line writes the method names out (registering it loads no pandas): the same
    names as the library's."""
    from allocator.apportion.divisors import METHODS
    from allocator.cli import apportion

    assert apportion.METHODS == METHODS
