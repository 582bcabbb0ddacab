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
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

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
        return Fraction(value) if isinstance(value, Decimal) else Fraction(float(value))  # numpy floats too
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
