"""Exact apportionment: whole numbers of seats (posts) in proportion to weights.

Three tools, all deciding in exact rational arithmetic (:class:`fractions.Fraction`), so
no float can misorder two priorities or miss a tie (floating point only proposes
candidates -- nice divisors, an LP vertex -- that are then checked exactly):

* :func:`divisor` shares ``seats`` among the units of a Series by a quota method
  (Hamilton) or a divisor method (D'Hondt, Sainte-Laguë, Huntington–Hill, Adams, Dean),
  with optional per-unit minimum and maximum.
* :func:`biproportional` rounds a weight matrix so that every row and every column meets
  its total: ``seats[i, j] = round(weights[i, j] / (row_divisor[i] * col_divisor[j]))``
  with standard rounding, as in the Swiss "doppelter Pukelsheim".
* :func:`round_matrix` turns a fractional matrix (an LP solution) into whole posts, each
  cell at the floor or ceiling of its value, keeping the column totals (and the row totals
  when given) exactly.

Ties are never broken silently: they raise :class:`ApportionmentTie` unless the caller
asks for ``ties="report"``, and then the tied units are listed in ``result.attrs["ties"]``.
Impossible totals raise :class:`ApportionmentInfeasible`, naming the rows and columns in
conflict.
"""

from __future__ import annotations

import heapq
import math
import numbers
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

__all__ = [
    "DIVISOR_METHODS",
    "METHODS",
    "ApportionmentInfeasible",
    "ApportionmentTie",
    "biproportional",
    "divisor",
    "round_matrix",
]

DIVISOR_METHODS = ("dhondt", "sainte-lague", "huntington-hill", "adams", "dean")
METHODS = ("hamilton", *DIVISOR_METHODS)
TIE_POLICIES = ("raise", "report")

HALF = Fraction(1, 2)


class ApportionmentTie(ValueError):
    """Two or more units have exactly equal claims to the last seat(s).

    ``tied`` lists the tied units (index labels, or ``(row, column)`` cells).
    """

    def __init__(self, message: str, tied: list):
        super().__init__(message)
        self.tied = list(tied)


class ApportionmentInfeasible(ValueError):
    """No whole-number allocation can meet the totals (and bounds) asked for."""


# ---------------------------------------------------------------------------------------
# Input checking
# ---------------------------------------------------------------------------------------


def _as_fraction(value, what: str) -> Fraction:
    """``value`` as an exact Fraction; ``ValueError`` naming ``what`` if not a finite number."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        raise ValueError(f"{what} is a boolean ({value!r}), not a number")
    if isinstance(value, numbers.Rational):
        return Fraction(value)
    if isinstance(value, (numbers.Real, Decimal)):
        if not math.isfinite(float(value)):
            raise ValueError(f"{what} is not finite ({value!r})")
        return Fraction(value)
    raise ValueError(f"{what} is not a number ({value!r})")


def _as_count(value, what: str) -> int:
    """``value`` as a non-negative int; it must be a whole number."""
    number = _as_fraction(value, what)
    if number.denominator != 1 or number < 0:
        raise ValueError(f"{what} must be a non-negative whole number, got {value!r}")
    return int(number)


def _check_ties(ties: str) -> None:
    if ties not in TIE_POLICIES:
        raise ValueError(f"ties must be one of {TIE_POLICIES}, got {ties!r}")


def _check_unique(index: pd.Index, what: str) -> None:
    if not index.is_unique:
        repeated = sorted(map(str, index[index.duplicated()].unique()))
        raise ValueError(f"{what} has repeated labels: {', '.join(repeated)}")


def _aligned(series: pd.Series, index: pd.Index, what: str, against: str) -> pd.Series:
    """``series`` reordered to ``index``; ``ValueError`` if the labels differ."""
    if not isinstance(series, pd.Series):
        raise ValueError(f"{what} must be a pandas Series, got {type(series).__name__}")
    _check_unique(series.index, what)
    missing = index.difference(series.index, sort=False)
    extra = series.index.difference(index, sort=False)
    if len(missing) or len(extra):
        parts = []
        if len(missing):
            parts.append(f"missing {', '.join(map(str, missing))}")
        if len(extra):
            parts.append(f"unknown {', '.join(map(str, extra))}")
        raise ValueError(f"{what} labels do not match {against}: {'; '.join(parts)}")
    return series.reindex(index)


def _weights_list(weights: pd.Series, name=lambda label: f"weight of {label!r}") -> list[Fraction]:
    """Weights as Fractions; all negative or non-finite ones reported together.

    ``name(label)`` describes one weight in the error message.
    """
    values, problems = [], []
    for label, value in weights.items():
        try:
            number = _as_fraction(value, name(label))
        except ValueError as error:
            problems.append(str(error))
            continue
        if number < 0:
            problems.append(f"{name(label)} is negative ({value!r})")
        values.append(number)
    if problems:
        raise ValueError("bad weights: " + "; ".join(problems))
    return values


def _counts(series: pd.Series, index: pd.Index, what: str, against: str, item: str) -> list[int]:
    """``series`` aligned to ``index`` (see :func:`_aligned`) as non-negative ints; ``item``
    names one entry in an error message."""
    return [_as_count(value, f"{item} of {label!r}") for label, value in _aligned(series, index, what, against).items()]


def _bound_list(bound, index: pd.Index, default: int, what: str) -> list[int]:
    """A scalar or Series of seat bounds as one int per unit, in ``index`` order."""
    if bound is None:
        return [default] * len(index)
    if isinstance(bound, pd.Series):
        return _counts(bound, index, what, "the weights", what)
    return [_as_count(bound, what)] * len(index)


# ---------------------------------------------------------------------------------------
# Rationals
# ---------------------------------------------------------------------------------------


def _simplest_between(low: Fraction, high: Fraction | None) -> Fraction:
    """The rational with the smallest denominator (then numerator) strictly inside
    ``(low, high)``; ``high=None`` means no upper end. Needs ``0 <= low < high``.
    """
    whole = math.floor(low)
    if high is None or whole + 1 < high:
        return Fraction(whole + 1)
    # low and high share the whole part: recurse on the reciprocals of the fractional parts.
    inner_high = None if low == whole else 1 / (low - whole)
    return whole + 1 / _simplest_between(1 / (high - whole), inner_high)


def _sqrt_bounds(value: Fraction, bits: int) -> tuple[Fraction, Fraction]:
    """Rationals ``lower <= sqrt(value) <= upper``, ``upper - lower <= 2**-bits``."""
    scale = 1 << bits
    radicand = value.numerator * value.denominator * scale * scale
    root = math.isqrt(radicand)
    step = value.denominator * scale
    lower = Fraction(root, step)
    upper = lower if root * root == radicand else Fraction(root + 1, step)
    return lower, upper


# ---------------------------------------------------------------------------------------
# Divisor methods
# ---------------------------------------------------------------------------------------


def _signpost(method: str, n: int) -> Fraction:
    """The rounding threshold s(n) between n and n + 1 seats (not for Huntington–Hill)."""
    if method == "dhondt":
        return Fraction(n + 1)
    if method == "sainte-lague":
        return Fraction(2 * n + 1, 2)
    if method == "adams":
        return Fraction(n)
    if method == "dean":
        return Fraction(2 * n * (n + 1), 2 * n + 1)
    raise ValueError(f"no rational signposts for {method!r}")


def _priority(method: str, weight: Fraction, n: int):
    """Claim of a unit holding ``n`` seats to one more: ``weight / s(n)``.

    For Huntington–Hill, s(n) = sqrt(n(n+1)) is irrational, so the *square*
    ``weight**2 / (n(n+1))`` is returned instead; squares order the same way. A zero
    signpost (first seat under Adams, Dean, Huntington–Hill) gives ``math.inf``.
    """
    if method == "huntington-hill":
        return math.inf if n == 0 else weight * weight / (n * (n + 1))
    step = _signpost(method, n)
    return math.inf if step == 0 else weight / step


@dataclass
class _Shares:
    """Outcome of a core apportionment: seats per position, divisor, tied positions."""

    seats: list[int]
    divisor: Fraction | float | None = None
    tied: list[int] = field(default_factory=list)


def _start_seats(weights, seats, method, lower, upper) -> list[int]:
    """Seats every divisor-method result certainly contains, found in one pass.

    With ``free = seats - sum(lower)`` and ``k`` units that can still take seats, every
    claim above ``cut = (their total weight) / (free - k)`` is among the ``free`` largest
    (there are at most ``free`` of them, since a unit has at most ``w/cut + 1`` claims
    above ``cut``), so it can be awarded before the one-seat-at-a-time phase.
    """
    start = list(lower)
    open_units = [i for i, w in enumerate(weights) if w > 0 and upper[i] > lower[i]]
    free = seats - sum(lower)
    total = sum((weights[i] for i in open_units), Fraction(0))
    if free <= len(open_units) or total == 0:
        return start
    cut = total / (free - len(open_units))
    key = cut * cut if method == "huntington-hill" else cut
    for i in open_units:
        # Claims for seats n < floor(w/cut) - 1 are above the cut for any s(n) <= n + 1.
        n = min(upper[i], max(lower[i], math.floor(weights[i] / cut) - 1))
        while n < upper[i] and _priority(method, weights[i], n) > key:
            n += 1
        start[i] = n
    return start


def _divisor_core(weights, seats, method, lower, upper) -> _Shares:
    """Divisor-method apportionment on plain lists (inputs already checked).

    Units start at their minimum; each further seat goes to the largest claim
    ``w / s(n)`` among units below their maximum (equal claims: lowest position first).
    Zero-weight units never get seats beyond their minimum.
    """
    upper = [upper[i] if w > 0 else lower[i] for i, w in enumerate(weights)]
    alloc = _start_seats(weights, seats, method, lower, upper)
    heap = [(-_priority(method, w, alloc[i]), i) for i, w in enumerate(weights) if alloc[i] < upper[i]]
    heapq.heapify(heap)
    for _ in range(seats - sum(alloc)):
        _, i = heapq.heappop(heap)
        alloc[i] += 1
        if alloc[i] < upper[i]:
            heapq.heappush(heap, (-_priority(method, weights[i], alloc[i]), i))

    held = {i: _priority(method, weights[i], alloc[i] - 1) for i in range(len(weights)) if alloc[i] > lower[i]}
    wanted = {i: _priority(method, weights[i], alloc[i]) for i in range(len(weights)) if alloc[i] < upper[i]}
    low = min(held.values(), default=None)
    high = max(wanted.values(), default=None)
    if low is not None and high is not None and low == high:
        tied = sorted(i for i, p in [*held.items(), *wanted.items()] if p == low)
        return _Shares(alloc, _tie_divisor(method, low), tied)
    return _Shares(alloc, _divisor_between(method, high, low))


def _tie_divisor(method: str, claim):
    """The divisor at which the tied claims sit exactly on a rounding threshold."""
    if claim == math.inf:
        return None
    if method != "huntington-hill":
        return claim
    lower, upper = _sqrt_bounds(claim, 64)
    return lower if lower == upper else float(lower)


def _divisor_between(method: str, high, low) -> Fraction | None:
    """The simplest divisor d with every unawarded claim < d < every awarded claim.

    ``high`` is the largest unawarded claim, ``low`` the smallest awarded one (either may
    be ``None``; claims are squared for Huntington–Hill). ``None`` if ``high`` is infinite.
    """
    if high == math.inf:  # a first seat refused under s(0) = 0: no finite divisor works
        return None
    high = Fraction(0) if high is None else high
    low = None if low is None or low == math.inf else low
    if method != "huntington-hill":
        return _simplest_between(high, low)
    bits = 16
    while True:
        _, above_high = _sqrt_bounds(high, bits)
        below_low = None if low is None else _sqrt_bounds(low, bits)[0]
        if below_low is None or above_high < below_low:
            return _simplest_between(above_high, below_low)
        bits *= 2


def _clamped_quotas(weights, seats, lower, upper) -> list[Fraction]:
    """Quotas ``q_i = min(max(w_i * t, lower_i), upper_i)`` with ``t`` chosen so they sum
    to ``seats`` (found exactly: the sum is piecewise linear in ``t``).
    """

    def quotas_at(t: Fraction) -> list[Fraction]:
        return [min(max(w * t, Fraction(lo)), Fraction(hi)) for w, lo, hi in zip(weights, lower, upper, strict=True)]

    def total_at(t: Fraction) -> Fraction:
        return sum(quotas_at(t), Fraction(0))

    if not any(weights):
        return [Fraction(lo) for lo in lower]
    kinks = sorted(
        {Fraction(b) / w for w, lo, hi in zip(weights, lower, upper, strict=True) if w > 0 for b in (lo, hi)}
    )
    # Binary search for the first kink where the quotas reach ``seats``.
    first, last = 0, len(kinks) - 1
    while first < last:
        middle = (first + last) // 2
        if total_at(kinks[middle]) >= seats:
            last = middle
        else:
            first = middle + 1
    point = kinks[first]
    reached = total_at(point)
    if reached == seats or first == 0:
        return quotas_at(point)
    previous = kinks[first - 1]
    before = total_at(previous)
    slope = (reached - before) / (point - previous)
    return quotas_at(previous + (seats - before) / slope)


def _largest_remainders(remainders: dict[int, Fraction], extra: int) -> tuple[list[int], list[int]]:
    """The ``extra`` positions with the largest remainders (equal ones: lowest position
    first), and the positions tied at the cut when it splits equal remainders (else [])."""
    order = sorted(remainders, key=lambda i: (-remainders[i], i))
    tied = []
    if 0 < extra < len(order) and remainders[order[extra]] == remainders[order[extra - 1]]:
        cutoff = remainders[order[extra - 1]]
        tied = sorted(i for i in order if remainders[i] == cutoff)
    return order[:extra], tied


def _hamilton_core(weights, seats, lower, upper) -> _Shares:
    """Largest remainders on the clamped quotas of :func:`_clamped_quotas`."""
    upper = [upper[i] if w > 0 else lower[i] for i, w in enumerate(weights)]
    quotas = _clamped_quotas(weights, seats, lower, upper)
    alloc = [math.floor(q) for q in quotas]
    remainders = {i: q - alloc[i] for i, q in enumerate(quotas) if q > alloc[i]}
    raised, tied = _largest_remainders(remainders, seats - sum(alloc))
    for i in raised:
        alloc[i] += 1
    return _Shares(alloc, None, tied)


def divisor(
    weights: pd.Series,
    seats: int,
    method: str,
    min_seats=0,
    max_seats=None,
    *,
    ties: str = "raise",
) -> pd.Series:
    """Share ``seats`` among units in proportion to ``weights``.

    Parameters
    ----------
    weights : pandas.Series
        Non-negative finite weights (populations, votes, need), one per unit; the index
        labels the units and must be unique. Ints, floats, Fractions and Decimals are all
        taken at their exact value.
    seats : int
        Whole number of seats to share.
    method : str
        One of :data:`METHODS`:

        ``"hamilton"`` (largest remainder, Hare quota)
            quota q_i = w_i * seats / sum(w); every unit gets floor(q_i), and the seats
            left over go one each to the units with the largest remainders q_i - floor(q_i).
        ``"dhondt"`` (Jefferson), ``"sainte-lague"`` (Webster), ``"huntington-hill"``
        (equal proportions), ``"adams"``, ``"dean"`` (harmonic mean) -- divisor methods
            a_i = R(w_i / d), with the divisor d chosen so that sum(a_i) = seats, where the
            rounding R rounds q up from n to n + 1 when q passes the signpost s(n):

            * D'Hondt: s(n) = n + 1 (round down),
            * Sainte-Laguë: s(n) = n + 1/2 (standard rounding, half up),
            * Huntington–Hill: s(n) = sqrt(n(n + 1)) (geometric mean),
            * Adams: s(n) = n (round up),
            * Dean: s(n) = n(n + 1) / (n + 1/2) (harmonic mean).

            Equivalently (highest averages), seats go one at a time to the unit with the
            largest claim w_i / s(a_i), a_i its seats so far. Claims are compared as exact
            Fractions; Huntington–Hill compares the squares w_i**2 / (a_i(a_i + 1)).
            With s(0) = 0 (Adams, Dean, Huntington–Hill) every unit with a positive weight
            claims its first seat before anything else.
    min_seats, max_seats : int or pandas.Series, optional
        Per-unit bounds (a scalar for all units, or a Series on the same labels).
        Divisor methods then give a_i = min(max(R(w_i / d), min_i), max_i); Hamilton uses
        clamped quotas q_i = min(max(w_i * t, min_i), max_i) with t set so that the quotas
        sum to ``seats``, and shares out the remainders of those. A unit with zero weight
        never gets seats beyond its minimum.
    ties : {"raise", "report"}
        When the last seat(s) could equally go to two or more units: ``"raise"``
        (default) raises :class:`ApportionmentTie` naming them; ``"report"`` breaks the
        tie by index order (the unit listed first gets the seat) and lists the tied units
        in ``result.attrs["ties"]``.

    Returns
    -------
    pandas.Series
        Seats per unit (int64), same index and name as ``weights``. ``attrs["method"]``
        names the method; ``attrs["ties"]`` lists tied units (empty when none);
        ``attrs["divisor"]`` is, for divisor methods, the simplest rational d strictly
        between the last claim served and the first one refused (so R(w_i / d) gives the
        result unambiguously), or on a tie the tied claim itself (a float for an
        irrational Huntington–Hill value). It is ``None`` for Hamilton, and when no
        finite divisor exists: under Adams, Dean or Huntington–Hill (s(0) = 0) a unit
        left without a seat, e.g. with fewer seats than units.

    Raises
    ------
    ValueError
        Unknown method; negative or non-finite weights; bounds or labels that do not
        match; seats below the sum of the minima or above what the units can take.
    ApportionmentTie
        A tie at the last seat, with ``ties="raise"``.

    Examples
    --------
    >>> divisor(pd.Series({"A": 53, "B": 24, "C": 23}), 7, "dhondt").tolist()
    [4, 2, 1]
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    _check_ties(ties)
    if not isinstance(weights, pd.Series):
        raise ValueError(f"weights must be a pandas Series, got {type(weights).__name__}")
    _check_unique(weights.index, "weights")
    seats = _as_count(seats, "seats")
    values = _weights_list(weights)
    lower = _bound_list(min_seats, weights.index, 0, "min_seats")
    # Without max_seats no unit is capped: seats + 1 can never be reached.
    upper = _bound_list(max_seats, weights.index, seats + 1, "max_seats")
    _check_bounds(weights.index, values, seats, lower, upper)

    if method == "hamilton":
        shares = _hamilton_core(values, seats, lower, upper)
    else:
        shares = _divisor_core(values, seats, method, lower, upper)

    labels = [weights.index[i] for i in shares.tied]
    if labels and ties == "raise":
        raise ApportionmentTie(
            f"tie for the last seat under {method}: {', '.join(map(str, labels))} have equal claims "
            f"(seats={seats}); pass ties='report' to break it by index order",
            labels,
        )
    result = pd.Series(shares.seats, index=weights.index, name=weights.name, dtype="int64")
    result.attrs["method"] = method
    result.attrs["divisor"] = shares.divisor
    result.attrs["ties"] = labels
    return result


def _check_bounds(index, values, seats, lower, upper) -> None:
    """Per-unit min <= max, and seats reachable within the bounds."""
    crossed = [f"{index[i]!r} (min {lower[i]} > max {upper[i]})" for i in range(len(index)) if lower[i] > upper[i]]
    if crossed:
        raise ValueError("min_seats exceeds max_seats for " + ", ".join(crossed))
    if sum(lower) > seats:
        raise ValueError(f"the minimum seats sum to {sum(lower)}, more than the {seats} seats to share")
    capacity = sum(upper[i] if w > 0 else lower[i] for i, w in enumerate(values))
    if capacity < seats:
        zero = [str(index[i]) for i, w in enumerate(values) if w == 0 and upper[i] > lower[i]]
        note = f" (zero-weight units {', '.join(zero)} take no seats beyond their minimum)" if zero else ""
        raise ValueError(f"the units can take at most {capacity} seats, fewer than the {seats} to share{note}")


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
        parent = {source: None}
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
        cells = []
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
