"""Rounding a matrix to integers with exact margins and cell bounds (controlled rounding)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

from allocator.apportion.biproportional import _bipartite_cut, _names, _transpose, biproportional
from allocator.apportion.divisors import (
    ApportionmentInfeasible,
    _as_fraction,
    _check_unique,
    _counts,
    _largest_remainders,
)

# ---------------------------------------------------------------------------------------
# Rounding a fractional matrix
# ---------------------------------------------------------------------------------------


def _cell_bounds(values, lower, upper) -> tuple[list[list[int]], list[list[int]]]:
    """Allowed whole values per cell: [floor v, ceil v] within [lower, upper]; if the
    value lies outside the bounds, the nearest bound."""
    low, high = [], []
    for line, lower_line, upper_line in zip(values, lower, upper, strict=True):
        low_line, high_line = [], []
        for v, lo, hi in zip(line, lower_line, upper_line, strict=True):
            lo, hi = math.ceil(lo), (None if hi is None else math.floor(hi))
            down, up = math.floor(v), math.ceil(v)
            a = max(down, lo)
            b = up if hi is None else min(up, hi)
            if a > b:  # the value is outside [lo, hi]: take the nearest bound
                a = b = lo if up < lo else hi
            low_line.append(a)
            high_line.append(b)
        low.append(low_line)
        high.append(high_line)
    return low, high


def _bound_matrix(bound, values: pd.DataFrame, default, what: str):
    """Cell bounds as Fractions (``None`` for no upper bound) in the order of ``values``."""
    if bound is None:
        return [[default] * values.shape[1] for _ in range(values.shape[0])]
    if not isinstance(bound, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame, got {type(bound).__name__}")
    if set(bound.index) != set(values.index) or set(bound.columns) != set(values.columns):
        raise ValueError(f"{what} labels do not match the values' rows and columns")
    bound = bound.reindex(index=values.index, columns=values.columns)
    out = []
    for label, line in bound.iterrows():
        cells: list[Fraction | None] = []
        for col, v in line.items():
            if what == "upper" and isinstance(v, (float, np.floating)) and v == math.inf:
                cells.append(None)
            else:
                cells.append(_as_fraction(v, f"{what} bound at ({label!r}, {col!r})"))
        out.append(cells)
    return out


def _round_columns(values, low, high, col_totals, rows, cols):
    """Per column: start every cell at its low end and raise the cells with the largest
    fractional parts until the column total is met. Returns seats and tied cells."""
    n_rows = len(rows)
    seats = [line[:] for line in low]
    tied = []
    for j, total in enumerate(col_totals):
        remainders = {i: values[i][j] - low[i][j] for i in range(n_rows) if high[i][j] > low[i][j]}
        raised, tied_rows = _largest_remainders(remainders, total - sum(low[i][j] for i in range(n_rows)))
        for i in raised:
            seats[i][j] += 1
        tied += [(rows[i], cols[j]) for i in tied_rows]
    return seats, tied


def _check_line_totals(low, high, totals, labels, kind) -> None:
    problems = []
    for k, total in enumerate(totals):
        least, most = sum(low[k]), sum(high[k])
        if not least <= total <= most:
            problems.append(f"{labels[k]!r} needs {total} but its cells allow {least} to {most}")
    if problems:
        raise ApportionmentInfeasible(f"{kind} totals out of reach: " + "; ".join(problems))


def _needs(low, row_totals, col_totals) -> tuple[list[int], list[int]]:
    """What each row and each column still needs above the low ends of its cells."""
    row_need = [total - sum(line) for total, line in zip(row_totals, low, strict=True)]
    col_need = [total - sum(line[j] for line in low) for j, total in enumerate(col_totals)]
    return row_need, col_need


def _check_two_margins(low, high, row_totals, col_totals, rows, cols) -> None:
    """Max-flow check that cells raised from ``low`` (by at most ``high - low`` = 1) can
    meet both margins; raise naming the rows and columns of a minimum cut otherwise."""
    row_need, col_need = _needs(low, row_totals, col_totals)
    can_rise = [
        [b > a for a, b in zip(low_line, high_line, strict=True)] for low_line, high_line in zip(low, high, strict=True)
    ]
    cut = _bipartite_cut(row_need, col_need, can_rise, 1)
    if cut is None:
        return
    in_rows, in_cols = cut
    leaving = sum(1 for i in in_rows for j, up in enumerate(can_rise[i]) if up and j not in in_cols)
    raise ApportionmentInfeasible(
        "cannot keep every cell at the floor or ceiling of its value (within bounds) and meet "
        f"both row and column totals: rows {_names(rows[i] for i in in_rows)} must still gain "
        f"{sum(row_need[i] for i in in_rows)}, but columns {_names(cols[j] for j in in_cols) or '(none)'} "
        f"can absorb only {sum(col_need[j] for j in in_cols)} and just {leaving} of their cells "
        "lead to other columns"
    )


def _transport_rounding(values, low, high, row_totals, col_totals):
    """Cells raised from ``low`` to meet both margins while minimising sum |x - v|.

    A transportation LP in 0/1 variables (one per cell that may go up); its constraint
    matrix is totally unimodular, so the simplex vertex is integral. The solution is
    rounded and checked exactly.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    n_rows, n_cols = len(low), len(low[0])
    cells = [(i, j) for i in range(n_rows) for j in range(n_cols) if high[i][j] > low[i][j]]
    if not cells:
        return [line[:] for line in low]
    # raising a cell changes |x - v| by (1 - f) - f, f = v - low
    cost = [float(1 - 2 * (values[i][j] - low[i][j])) for i, j in cells]
    members = [i for i, _ in cells] + [n_rows + j for _, j in cells]
    a_eq = coo_matrix(([1.0] * len(members), (members, [*range(len(cells))] * 2)), shape=(n_rows + n_cols, len(cells)))
    row_need, col_need = _needs(low, row_totals, col_totals)
    b_eq = row_need + col_need
    solution = linprog(cost, A_eq=a_eq.tocsr(), b_eq=b_eq, bounds=(0, 1), method="highs-ds")
    if solution.status != 0:
        raise ApportionmentInfeasible(f"transportation rounding failed: {solution.message}")
    raised = [round(v) for v in solution.x]
    if any(abs(v - r) > 1e-6 for v, r in zip(solution.x, raised, strict=True)):
        raise RuntimeError("transportation rounding: the LP vertex is not integral")
    seats = [line[:] for line in low]
    for (i, j), r in zip(cells, raised, strict=True):
        seats[i][j] += r
    if [sum(line) for line in seats] != list(row_totals) or [sum(c) for c in zip(*seats, strict=True)] != list(
        col_totals
    ):
        raise RuntimeError("transportation rounding: margins not met exactly")
    return seats


def round_matrix(
    values: pd.DataFrame,
    col_totals: pd.Series,
    lower: pd.DataFrame | None = None,
    upper: pd.DataFrame | None = None,
    row_totals: pd.Series | None = None,
) -> pd.DataFrame:
    """Whole posts from a fractional matrix (e.g. an LP solution), keeping the totals.

    Every cell ends at floor(v) or ceil(v) of its value v, restricted to
    [ceil(lower), floor(upper)] (a value outside its bounds goes to the nearest bound);
    every column sums exactly to ``col_totals``, and every row to ``row_totals`` if given.

    Rule:

    * Columns only: in each column, cells start at their low end and the cells with the
      largest fractional parts v - floor(v) go up until the column total is met (largest
      remainders). Equal fractional parts at the cut are broken by row order and listed in
      ``attrs["ties"]``.
    * Rows and columns: the biproportional (Sainte-Laguë) rounding of ``values`` (see
      :func:`biproportional`) if it keeps every cell within its allowed range; otherwise
      the rounding that minimises sum |x - v|, found as a transportation LP (scipy HiGHS
      dual simplex; the constraint matrix is totally unimodular, so the optimal vertex is
      integral; the result is checked exactly). Between equally good roundings the LP
      path takes whichever the solver returns.

    Parameters
    ----------
    values : pandas.DataFrame
        Finite values; cells may not go below 0 unless ``lower`` says so.
    col_totals : pandas.Series
        Whole-number column totals, on the labels of ``values.columns``.
    lower, upper : pandas.DataFrame, optional
        Per-cell bounds on the same labels (``lower`` defaults to 0; ``upper`` to none,
        and an ``inf`` cell means no bound).
    row_totals : pandas.Series, optional
        Whole-number row totals, on the labels of ``values.index``.

    Returns
    -------
    pandas.DataFrame
        Whole posts (int64), labels of ``values``; ``attrs["method"]`` is
        ``"largest-remainder"``, ``"biproportional"`` or ``"transportation"``, and
        ``attrs["ties"]`` lists tied cells.

    Raises
    ------
    ApportionmentInfeasible
        A column (or row) total is outside what its cells allow, or no matrix of allowed
        cells meets both margins (the message names the rows and columns in conflict).
    ValueError
        Non-finite values, bad bounds, mismatched labels, totals that are not whole.
    """
    if not isinstance(values, pd.DataFrame):
        raise ValueError(f"values must be a pandas DataFrame, got {type(values).__name__}")
    _check_unique(values.index, "values rows")
    _check_unique(values.columns, "values columns")
    rows, cols = list(values.index), list(values.columns)
    exact = [
        [_as_fraction(v, f"value at ({label!r}, {col!r})") for col, v in line.items()]
        for label, line in values.iterrows()
    ]
    low_bound = _bound_matrix(lower, values, Fraction(0), "lower")
    high_bound = _bound_matrix(upper, values, None, "upper")
    crossed = [
        (rows[i], cols[j])
        for i in range(len(rows))
        for j in range(len(cols))
        if high_bound[i][j] is not None and math.ceil(low_bound[i][j]) > math.floor(high_bound[i][j])
    ]
    if crossed:
        raise ValueError(f"lower bound above upper bound (no whole number between) at {crossed}")
    col_list = _counts(col_totals, values.columns, "col_totals", "the values columns", "column total")
    low, high = _cell_bounds(exact, low_bound, high_bound)
    _check_line_totals(_transpose(low), _transpose(high), col_list, cols, "column")

    if row_totals is None:
        seats, tied = _round_columns(exact, low, high, col_list, rows, cols)
        return _matrix_result(seats, values, "largest-remainder", tied)

    row_list = _counts(row_totals, values.index, "row_totals", "the values rows", "row total")
    _check_line_totals(low, high, row_list, rows, "row")
    _check_two_margins(low, high, row_list, col_list, rows, cols)
    seats = _biproportional_rounding(exact, values, row_list, col_list)
    if seats is not None and all(
        low[i][j] <= seats[i][j] <= high[i][j] for i in range(len(rows)) for j in range(len(cols))
    ):
        return _matrix_result(seats, values, "biproportional", [])
    seats = _transport_rounding(exact, low, high, row_list, col_list)
    return _matrix_result(seats, values, "transportation", [])


def _biproportional_rounding(exact, values: pd.DataFrame, row_totals, col_totals):
    """:func:`biproportional` on the values (negative ones taken as 0), or ``None`` if it
    is infeasible on their support or tied."""
    weights = pd.DataFrame(
        [[max(v, Fraction(0)) for v in line] for line in exact],
        index=values.index,
        columns=values.columns,
        dtype=object,
    )
    try:
        fitted = biproportional(
            weights, pd.Series(row_totals, index=values.index), pd.Series(col_totals, index=values.columns)
        )
    except ValueError:
        return None
    return fitted.to_numpy().tolist()


def _matrix_result(seats, values: pd.DataFrame, method: str, tied) -> pd.DataFrame:
    result = pd.DataFrame(seats, index=values.index, columns=values.columns, dtype="int64")
    result.attrs["method"] = method
    result.attrs["ties"] = list(tied)
    return result
