"""Biproportional apportionment (matrix of seats with exact row and column totals)."""

from __future__ import annotations

import math
from collections import deque
from fractions import Fraction

import pandas as pd

from allocator.apportion.divisors import (
    HALF,
    ApportionmentInfeasible,
    ApportionmentTie,
    _check_ties,
    _check_unique,
    _counts,
    _divisor_core,
    _simplest_between,
    _weights_list,
)

# ---------------------------------------------------------------------------------------
# Flow networks (feasibility checks)
# ---------------------------------------------------------------------------------------


class _FlowNetwork:
    """A small max-flow network (Edmonds–Karp) with integer capacities."""

    def __init__(self, size: int):
        self.arcs: list[list[list[int]]] = [[] for _ in range(size)]  # [head, capacity, reverse]

    def add_arc(self, tail: int, head: int, capacity: int) -> None:
        self.arcs[tail].append([head, capacity, len(self.arcs[head])])
        self.arcs[head].append([tail, 0, len(self.arcs[tail]) - 1])

    def max_flow(self, source: int, sink: int) -> int:
        flow = 0
        while True:
            parent = self._search(source)
            if sink not in parent:
                return flow
            path, node = [], sink
            while node != source:
                tail, k = parent[node]
                path.append((tail, k))
                node = tail
            push = min(self.arcs[tail][k][1] for tail, k in path)
            for tail, k in path:
                arc = self.arcs[tail][k]
                arc[1] -= push
                self.arcs[arc[0]][arc[2]][1] += push
            flow += push

    def reachable(self, source: int) -> set[int]:
        """Nodes reachable from ``source`` in the residual network (the source side of a
        minimum cut once the flow is maximal)."""
        return set(self._search(source))

    def _search(self, source: int) -> dict:
        parent: dict[int, tuple[int, int] | None] = {source: None}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for k, (head, capacity, _) in enumerate(self.arcs[node]):
                if capacity > 0 and head not in parent:
                    parent[head] = (node, k)
                    queue.append(head)
        return parent


def _bipartite_cut(row_caps, col_caps, links, link_capacity: int):
    """Max flow source -> row i (capacity ``row_caps[i]``) -> column j (``link_capacity``,
    where ``links[i][j]``) -> sink (``col_caps[j]``).

    ``None`` if the flow fills every row arc, else the rows and the columns on the source
    side of a minimum cut: together they ask for more than the flow can carry.
    """
    n_rows, n_cols = len(row_caps), len(col_caps)
    source, sink = n_rows + n_cols, n_rows + n_cols + 1
    network = _FlowNetwork(n_rows + n_cols + 2)
    for i in range(n_rows):
        network.add_arc(source, i, row_caps[i])
        for j in range(n_cols):
            if links[i][j]:
                network.add_arc(i, n_rows + j, link_capacity)
    for j in range(n_cols):
        network.add_arc(n_rows + j, sink, col_caps[j])
    if network.max_flow(source, sink) == sum(row_caps):
        return None
    side = network.reachable(source)
    return [i for i in range(n_rows) if i in side], [j for j in range(n_cols) if n_rows + j in side]


def _names(labels) -> str:
    return ", ".join(map(str, labels))


def _check_margins(support, row_totals, col_totals, rows, cols) -> None:
    """Raise :class:`ApportionmentInfeasible` unless a non-negative whole matrix that is
    zero off ``support`` can have these row and column totals."""
    if sum(row_totals) != sum(col_totals):
        raise ApportionmentInfeasible(f"row totals sum to {sum(row_totals)} but column totals sum to {sum(col_totals)}")
    for totals, labels, kind, lines in (
        (row_totals, rows, "row", support),
        (col_totals, cols, "column", list(zip(*support, strict=True)) if support else []),
    ):
        empty = [f"{labels[k]!r} ({totals[k]})" for k, line in enumerate(lines) if totals[k] > 0 and not any(line)]
        if empty:
            raise ApportionmentInfeasible(f"{kind}s with a positive total but no positive weight: {', '.join(empty)}")

    cut = _bipartite_cut(row_totals, col_totals, support, sum(row_totals) + 1)  # links unlimited
    if cut is None:
        return
    short_rows, their_cols = cut
    raise ApportionmentInfeasible(
        f"rows {_names(rows[i] for i in short_rows)} need {sum(row_totals[i] for i in short_rows)} "
        f"seats in total, but the columns where they have weight "
        f"({_names(cols[j] for j in their_cols) or 'none'}) have only "
        f"{sum(col_totals[j] for j in their_cols)}"
    )


# ---------------------------------------------------------------------------------------
# Biproportional apportionment
# ---------------------------------------------------------------------------------------


def _sl_signpost(n: int) -> Fraction:
    return n + HALF


def _transpose(matrix):
    return [list(line) for line in zip(*matrix, strict=True)]


def _fit_columns(weights, row_mult, col_totals):
    """Sainte-Laguë apportionment of each column's total on ``w_ij * row_mult_i``.

    Returns the seat matrix and column multipliers ``1 / d_j``; every cell then satisfies
    s(x - 1) <= w_ij * row_mult_i * col_mult_j <= s(x) (ties may sit on a threshold).
    """
    n_rows = len(weights)
    columns, col_mult = [], []
    for j, total in enumerate(col_totals):
        scaled = [weights[i][j] * row_mult[i] for i in range(n_rows)]
        shares = _divisor_core(scaled, total, "sainte-lague", [0] * n_rows, [total] * n_rows)
        columns.append(shares.seats)
        col_mult.append(1 / shares.divisor)
    return _transpose(columns), col_mult


def _alternating_scaling(weights, row_totals, col_totals, rounds: int = 10):
    """Alternately fit columns and rows (Balinski–Demange alternating scaling).

    Stops as soon as a column fit also meets the row totals, or after ``rounds`` rounds;
    always returns a column fit (column totals met) with its multipliers.
    """
    row_mult = [
        Fraction(total) / sum(line) if total > 0 and sum(line) > 0 else Fraction(1)
        for line, total in zip(weights, row_totals, strict=True)
    ]
    seats, col_mult = _fit_columns(weights, row_mult, col_totals)
    by_cols = _transpose(weights)
    for _ in range(rounds):
        if [sum(line) for line in seats] == row_totals:
            break
        _, row_mult = _fit_columns(by_cols, col_mult, row_totals)
        seats, col_mult = _fit_columns(weights, row_mult, col_totals)
    return seats, row_mult, col_mult


def _tie_and_transfer(weights, row_totals, seats, row_mult, col_mult):
    """Balinski–Demange tie-and-transfer: move seats from rows over their total to rows
    under it along paths of tied cells, rescaling multipliers to create ties when no path
    exists. Column totals and consistency s(x-1) <= q <= s(x) hold throughout.
    """
    n_rows, n_cols = len(weights), len(weights[0])

    def quotient(i, j):
        return weights[i][j] * row_mult[i] * col_mult[j]

    def can_give(i, j):  # q at the lower threshold: the cell may lose a seat
        return seats[i][j] > 0 and quotient(i, j) == _sl_signpost(seats[i][j] - 1)

    def can_take(i, j):  # q at the upper threshold: the cell may gain a seat
        return weights[i][j] > 0 and quotient(i, j) == _sl_signpost(seats[i][j])

    while True:
        excess = [sum(seats[i]) - row_totals[i] for i in range(n_rows)]
        if not any(excess):
            return
        row_from = {i: None for i in range(n_rows) if excess[i] > 0}
        col_from: dict[int, int] = {}
        queue = deque(row_from)
        end = None
        while queue and end is None:
            i = queue.popleft()
            for j in range(n_cols):
                if j in col_from or not can_give(i, j):
                    continue
                col_from[j] = i
                for k in range(n_rows):
                    if k not in row_from and can_take(k, j):
                        row_from[k] = j
                        queue.append(k)
                        if excess[k] < 0:
                            end = k
                            break
                if end is not None:
                    break
        if end is not None:
            k = end
            while row_from[k] is not None:
                j = row_from[k]
                i = col_from[j]
                seats[i][j] -= 1
                seats[k][j] += 1
                k = i
            continue
        # No path: shrink labelled rows, grow labelled columns until a new tie appears.
        ratios = [
            _sl_signpost(seats[i][j] - 1) / quotient(i, j)
            for i in row_from
            for j in range(n_cols)
            if j not in col_from and seats[i][j] > 0
        ]
        ratios += [
            quotient(i, j) / _sl_signpost(seats[i][j])
            for i in range(n_rows)
            if i not in row_from
            for j in col_from
            if weights[i][j] > 0
        ]
        if not ratios:
            raise ApportionmentInfeasible("the row and column totals cannot be met (no transfer path)")
        step = max(ratios)
        for i in row_from:
            row_mult[i] *= step
        for j in col_from:
            col_mult[j] /= step


def _tied_cells(weights, seats, row_mult, col_mult) -> list[tuple[int, int]]:
    """Cells that could change without breaking the rule: the tied cells lying on a cycle
    (row -> column through a cell at its upper threshold, column -> row through a cell at
    its lower threshold). Moving a seat around such a cycle gives another valid result.
    """
    n_rows, n_cols = len(weights), len(weights[0])
    arcs: dict[int, list[int]] = {node: [] for node in range(n_rows + n_cols)}
    cells = {}
    for i in range(n_rows):
        for j in range(n_cols):
            if weights[i][j] == 0:
                continue
            q = weights[i][j] * row_mult[i] * col_mult[j]
            if q == _sl_signpost(seats[i][j]):
                arcs[i].append(n_rows + j)
                cells[(i, n_rows + j)] = (i, j)
            if seats[i][j] > 0 and q == _sl_signpost(seats[i][j] - 1):
                arcs[n_rows + j].append(i)
                cells[(n_rows + j, i)] = (i, j)
    component = _strong_components(arcs)
    return sorted(cell for (a, b), cell in cells.items() if component[a] == component[b])


def _strong_components(arcs: dict[int, list[int]]) -> dict[int, int]:
    """Strongly connected component id of each node (iterative Tarjan)."""
    index, low, component, stack, on_stack = {}, {}, {}, [], set()
    counter = 0
    for root in arcs:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, k = work.pop()
            if k == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if k < len(arcs[node]):
                work.append((node, k + 1))
                head = arcs[node][k]
                if head not in index:
                    work.append((head, 0))
                elif head in on_stack:
                    low[node] = min(low[node], index[head])
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = node
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def _interior_divisors(weights, seats, row_mult, col_mult):
    """Row and column divisors with every cell strictly inside its rounding interval,
    s(x - 1) < q < s(x), or ``None`` if there are none (a genuine tie).

    First the divisors that maximise the smallest log-distance of any quotient to its
    thresholds, from a small LP in floating point; the candidate is then checked exactly.
    Only if that check fails (an extremely thin interior) are they found exactly, by
    Bellman–Ford on the multiplicative constraints tightened by a factor rho < 1.
    """
    n_rows, n_cols = len(weights), len(weights[0])
    constraints = []  # (tail, head, factor): value[head] < value[tail] * factor
    for i in range(n_rows):
        for j in range(n_cols):
            w = weights[i][j]
            if w == 0:
                continue
            # values: row multipliers 1/r_i, then column divisors c_j; q = w / (r_i c_j)
            # q < s(x)  <=>  1/r_i < c_j * s(x) / w
            constraints.append((n_rows + j, i, _sl_signpost(seats[i][j]) / w))
            if seats[i][j] > 0:  # q > s(x-1)  <=>  c_j < (1/r_i) * w / s(x-1)
                constraints.append((i, n_rows + j, w / _sl_signpost(seats[i][j] - 1)))
    if not constraints:
        return None
    start = [_log(m) for m in row_mult] + [-_log(m) for m in col_mult]
    values = _widest_interior(start, constraints, _anchors(seats))
    if values is not None:
        row_div, col_div = [1 / v for v in values[:n_rows]], values[n_rows:]
        if _strictly_inside(weights, seats, row_div, col_div):
            return row_div, col_div
    for bits in (2, 4, 8, 16, 32, 64, 128, 256):
        rho = 1 - Fraction(1, 1 << bits)
        values = _bellman_ford(n_rows + n_cols, [(a, b, f * rho) for a, b, f in constraints])
        if values is not None:
            return [1 / v for v in values[:n_rows]], values[n_rows:]
    return None


def _log(value: Fraction) -> float:
    return math.log(value.numerator) - math.log(value.denominator)


def _anchors(seats) -> set[int]:
    """One node (row) per group of rows and columns linked by cells holding seats.

    Within a group the constraints bound every divisor ratio from both sides; fixing one
    node per group removes the common scale that divisors can otherwise take.
    """
    n_rows, n_cols = len(seats), len(seats[0])
    parent = list(range(n_rows + n_cols))

    def root(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for i in range(n_rows):
        for j in range(n_cols):
            if seats[i][j] > 0:
                parent[root(n_rows + j)] = root(i)
    return {root(node) for node in range(n_rows + n_cols)}


def _widest_interior(start, constraints, anchors):
    """Float LP: maximise t subject to log v[head] - log v[tail] <= log(factor) - t.

    ``start`` holds the logs of a point meeting the constraints with t = 0; each log stays
    within 20 of it, and the ``anchors`` stay put. Returns the values as exact Fractions
    of the float solution (to be checked by the caller), or ``None`` if t is not positive.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    size = len(start)
    rows, cols, data, bound = [], [], [], []
    for k, (tail, head, factor) in enumerate(constraints):
        rows += [k, k, k]
        cols += [head, tail, size]
        data += [1.0, -1.0, 1.0]
        bound.append(_log(factor))
    matrix = coo_matrix((data, (rows, cols)), shape=(len(constraints), size + 1)).tocsr()
    objective = [0.0] * size + [-1.0]
    limits = [(v, v) if k in anchors else (v - 20.0, v + 20.0) for k, v in enumerate(start)] + [(0.0, 1.0)]
    solution = linprog(objective, A_ub=matrix, b_ub=bound, bounds=limits, method="highs")
    if solution.status != 0 or solution.x[size] <= 1e-9:
        return None
    return [Fraction(math.exp(v)) for v in solution.x[:size]]


def _strictly_inside(weights, seats, row_div, col_div) -> bool:
    """Is every cell the unambiguous standard rounding of w / (r * c)?"""
    for i, line in enumerate(weights):
        for j, w in enumerate(line):
            q = w / (row_div[i] * col_div[j])
            x = seats[i][j]
            if not (q < _sl_signpost(x) and (x == 0 or q > _sl_signpost(x - 1))):
                return False
    return True


def _bellman_ford(size: int, constraints):
    """Largest values <= 1 with value[head] <= value[tail] * factor for every constraint,
    or ``None`` if a cycle's factors multiply to less than 1."""
    values = [Fraction(1)] * size
    for _ in range(size + 1):
        changed = False
        for tail, head, factor in constraints:
            candidate = values[tail] * factor
            if candidate < values[head]:
                values[head] = candidate
                changed = True
        if not changed:
            return values
    return None


def _nice_divisors(weights, seats, row_div, col_div):
    """Replace each divisor by the simplest rational keeping every cell strictly inside its
    rounding interval (columns first, then rows)."""

    def simplest(line_weights, line_seats, others):
        above = [w / (d * _sl_signpost(x)) for w, x, d in zip(line_weights, line_seats, others, strict=True) if w > 0]
        below = [
            w / (d * _sl_signpost(x - 1)) for w, x, d in zip(line_weights, line_seats, others, strict=True) if x > 0
        ]
        if not above:
            return Fraction(1)
        return _simplest_between(max(above), min(below, default=None))

    by_cols, seats_by_cols = _transpose(weights), _transpose(seats)
    col_div = [simplest(by_cols[j], seats_by_cols[j], row_div) for j in range(len(col_div))]
    row_div = [simplest(weights[i], seats[i], col_div) for i in range(len(row_div))]
    return row_div, col_div


def _matrix_inputs(weights: pd.DataFrame, row_totals, col_totals):
    """Check a weight matrix and its margins; return Fractions and int totals in order."""
    if not isinstance(weights, pd.DataFrame):
        raise ValueError(f"weights must be a pandas DataFrame, got {type(weights).__name__}")
    _check_unique(weights.index, "weights rows")
    _check_unique(weights.columns, "weights columns")
    values, problems = [], []
    for row, line in weights.iterrows():
        try:
            values.append(_weights_list(line, lambda col, row=row: f"weight at ({row!r}, {col!r})"))
        except ValueError as error:
            problems.append(str(error).removeprefix("bad weights: "))
    if problems:
        raise ValueError("bad weights: " + "; ".join(problems))
    rows = _counts(row_totals, weights.index, "row_totals", "the weights rows", "row total")
    cols = _counts(col_totals, weights.columns, "col_totals", "the weights columns", "column total")
    return values, rows, cols


def biproportional(
    weights: pd.DataFrame,
    row_totals: pd.Series,
    col_totals: pd.Series,
    *,
    ties: str = "raise",
) -> pd.DataFrame:
    """Biproportional apportionment with standard rounding ("doppelter Pukelsheim").

    Finds row divisors r_i and column divisors c_j such that

        seats[i, j] = round(weights[i, j] / (r_i * c_j))

    (Sainte-Laguë rounding: q rounds up from n to n + 1 when q >= n + 1/2) has every row
    summing to ``row_totals[i]`` and every column to ``col_totals[j]``. This is the lower
    apportionment of Pukelsheim's double proportional method used in Swiss cantonal
    elections, where rows are lists, columns are districts, the weights are votes, the
    district totals are the district seats, and the list totals come from an upper
    apportionment (Sainte-Laguë on the weighted votes).

    Algorithm: alternating scaling (fit every column, then every row, by Sainte-Laguë,
    a few rounds), then Balinski–Demange tie-and-transfer, which moves seats along paths
    of tied cells from rows with too many seats to rows with too few and terminates
    exactly. All arithmetic is in Fractions.

    Parameters
    ----------
    weights : pandas.DataFrame
        Non-negative finite weights; a zero weight always gets zero seats.
    row_totals, col_totals : pandas.Series
        Whole-number totals on the same labels as the rows / columns of ``weights``.
    ties : {"raise", "report"}
        If more than one matrix satisfies the rule (seats could move around a cycle of
        cells sitting exactly on a rounding threshold): ``"raise"`` (default) raises
        :class:`ApportionmentTie` listing the cells; ``"report"`` returns the matrix the
        algorithm reached, with those cells in ``attrs["ties"]``.

    Returns
    -------
    pandas.DataFrame
        Seats (int64), same labels as ``weights``. ``attrs["row_divisors"]`` and
        ``attrs["col_divisors"]`` are Series of Fractions. Without a tie every quotient
        is strictly inside its rounding interval, so ``round(w / (r * c))`` reproduces
        the result whatever the convention at exactly n + 1/2: the divisors start from
        the ones that keep all quotients furthest (in ratio) from their thresholds (a
        small floating-point LP, checked exactly), and each is then replaced by the
        simplest rational that still keeps every cell strictly inside. Divisors are
        defined only up to a common factor (rows times t, columns divided by t). With a
        tie they are the tie-and-transfer divisors, some quotients sitting exactly on a
        threshold. ``attrs["ties"]`` lists tied cells.

    Raises
    ------
    ApportionmentInfeasible
        No whole matrix meets the totals: the totals' sums differ, a row or column has a
        positive total but no positive weight, or a set of rows needs more seats than the
        columns where they have weight can hold (a Hall / max-flow condition).
    ApportionmentTie
        With ``ties="raise"``, when the result is not unique.
    ValueError
        Negative or non-finite weights, totals that are not whole numbers, labels that do
        not match.
    """
    _check_ties(ties)
    values, rows, cols = _matrix_inputs(weights, row_totals, col_totals)
    row_labels, col_labels = list(weights.index), list(weights.columns)
    support = [[w > 0 for w in line] for line in values]
    _check_margins(support, rows, cols, row_labels, col_labels)

    if values and values[0]:
        seats, row_mult, col_mult = _alternating_scaling(values, rows, cols)
        _tie_and_transfer(values, rows, seats, row_mult, col_mult)
        tied = _tied_cells(values, seats, row_mult, col_mult)
    else:
        seats, row_mult, col_mult, tied = [[] for _ in rows], [Fraction(1)] * len(rows), [Fraction(1)] * len(cols), []

    tied_labels = [(row_labels[i], col_labels[j]) for i, j in tied]
    if tied_labels and ties == "raise":
        raise ApportionmentTie(
            f"the biproportional result is not unique: cells {tied_labels} sit exactly on a "
            "rounding threshold and seats could move between them; pass ties='report' to accept "
            "the one found",
            tied_labels,
        )
    row_div = [1 / m for m in row_mult]
    col_div = [1 / m for m in col_mult]
    if not tied and values and values[0]:
        interior = _interior_divisors(values, seats, row_mult, col_mult)
        if interior is not None:
            row_div, col_div = _nice_divisors(values, seats, *interior)
            if not _strictly_inside(values, seats, row_div, col_div):
                raise RuntimeError("biproportional: the divisors found do not reproduce the seats")

    result = pd.DataFrame(seats, index=weights.index, columns=weights.columns, dtype="int64")
    result.attrs["row_divisors"] = pd.Series(row_div, index=weights.index, dtype=object)
    result.attrs["col_divisors"] = pd.Series(col_div, index=weights.columns, dtype=object)
    result.attrs["ties"] = tied_labels
    return result
