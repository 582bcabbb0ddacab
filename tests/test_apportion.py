"""Tests for allocator.apportion against published allocations and hand-worked cases.

The reference data are vendored under tests/data/reference/ (see PROVENANCE.md there).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.apportion.biproportional import biproportional
from allocator.apportion.divisors import DIVISOR_METHODS, METHODS, ApportionmentInfeasible, ApportionmentTie, divisor
from allocator.apportion.matrix import round_matrix

REFERENCE = Path(__file__).parent / "data" / "reference"


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def rounds_to(method: str, quotient: Fraction, seats: int) -> bool:
    """Is ``seats`` a correct rounding of ``quotient`` under the method's signposts?

    s(n) lies between n and n + 1 seats; the check is s(seats - 1) <= q <= s(seats),
    with Huntington-Hill's s(n) = sqrt(n(n+1)) compared through squares.
    """

    def signpost_below(n: int) -> bool:  # s(n) <= q ?
        if n < 0:
            return True
        if method == "huntington-hill":
            return n * (n + 1) <= quotient * quotient
        return signpost(method, n) <= quotient

    def signpost_above(n: int) -> bool:  # q <= s(n) ?
        if method == "huntington-hill":
            return quotient * quotient <= n * (n + 1)
        return quotient <= signpost(method, n)

    return signpost_below(seats - 1) and signpost_above(seats)


def signpost(method: str, n: int) -> Fraction:
    return {
        "dhondt": Fraction(n + 1),
        "sainte-lague": Fraction(2 * n + 1, 2),
        "adams": Fraction(n),
        "dean": Fraction(2 * n * (n + 1), 2 * n + 1),
    }[method]


def assert_divisor_rule(weights: pd.Series, result: pd.Series, method: str, lower=0, upper=None) -> None:
    """Every unit's seats are R(w / d) clamped to its bounds, d = attrs["divisor"]."""
    d = result.attrs["divisor"]
    assert isinstance(d, Fraction) and d > 0
    for label, seats in result.items():
        w = weights[label]
        if seats == lower or (upper is not None and seats == upper):
            continue  # held at a bound
        assert rounds_to(method, Fraction(w) / d, seats), (label, seats, d)


def read_swiss_case(name: str):
    """Votes and published seats (lists x districts) and the district seats of one case."""
    rows = pd.read_csv(REFERENCE / "biproportional" / f"{name}_votes_seats.csv")
    district_seats = pd.read_csv(REFERENCE / "biproportional" / f"{name}_district_seats.csv")
    votes = rows.pivot(index="list", columns="district", values="votes").fillna(0).astype("int64")
    published = rows.pivot(index="list", columns="district", values="seats_published").fillna(0).astype("int64")
    seats = district_seats.set_index("district")["district_seats"].reindex(votes.columns)
    return votes, published, seats


def passes_district_quorum(votes: pd.DataFrame, percent: int) -> pd.Series:
    """Lists with at least ``percent`` % of the votes cast in at least one district."""
    return (votes * 100 >= votes.sum(axis=0) * percent).any(axis=1)


def passes_total_quorum(votes: pd.DataFrame, percent: int) -> pd.Series:
    """Lists with at least ``percent`` % of all votes cast."""
    return votes.sum(axis=1) * 100 >= int(votes.to_numpy().sum()) * percent


def doppelter_pukelsheim(votes: pd.DataFrame, district_seats: pd.Series, qualified: pd.Series):
    """Upper apportionment (Sainte-Laguë on weighted votes) then the biproportional lower one.

    Weighted votes ("Wählerzahl") of a list = sum over districts of votes / district seats,
    kept as exact fractions.
    """
    votes = votes.loc[qualified]
    weighted = pd.Series(
        {
            party: sum(Fraction(int(votes.at[party, d]), int(district_seats[d])) for d in votes.columns)
            for party in votes.index
        }
    )
    party_seats = divisor(weighted, int(district_seats.sum()), "sainte-lague")
    return party_seats, biproportional(votes, party_seats, district_seats)


def assert_standard_rounding(weights: pd.DataFrame, result: pd.DataFrame) -> None:
    """Every cell is round-half-up(w / (row divisor * column divisor)), unambiguously."""
    rows, cols = result.attrs["row_divisors"], result.attrs["col_divisors"]
    for r in weights.index:
        for c in weights.columns:
            q = Fraction(weights.at[r, c]) / (rows[r] * cols[c])
            assert q - Fraction(1, 2) != math.floor(q - Fraction(1, 2)), "cell sits on a threshold"
            assert math.floor(q + Fraction(1, 2)) == result.at[r, c], (r, c, q)


# ---------------------------------------------------------------------------------------
# Published results
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def us_house():
    return pd.read_csv(REFERENCE / "apportionment" / "us_house_2020.csv").set_index("state_abbr")


def test_us_house_2020_huntington_hill(us_house):
    population = us_house["apportionment_population"]
    result = divisor(population, 435, "huntington-hill", min_seats=1)
    pd.testing.assert_series_equal(result, us_house["representatives"], check_names=False)
    assert result.sum() == 435
    assert result.attrs["ties"] == []
    assert_divisor_rule(population, result, "huntington-hill", lower=1)


def test_us_house_2020_is_exact_to_the_resident(us_house):
    """New York was 89 residents short of the 435th seat, which went to Minnesota."""
    population = us_house["apportionment_population"].copy()
    population["NY"] += 88
    assert divisor(population, 435, "huntington-hill", min_seats=1).equals(us_house["representatives"])
    population["NY"] += 1
    moved = divisor(population, 435, "huntington-hill", min_seats=1) - us_house["representatives"]
    assert moved[moved != 0].to_dict() == {"MN": -1, "NY": 1}


def test_us_house_2020_seat_436_goes_to_new_york(us_house):
    result = divisor(us_house["apportionment_population"], 436, "huntington-hill", min_seats=1)
    change = result - us_house["representatives"]
    assert change[change != 0].to_dict() == {"NY": 1}


@pytest.mark.parametrize(
    ("case", "quorum", "party_totals"),
    [
        (
            "zh_kantonsrat_2019",
            "5% in one district",
            {
                "SVP": 45,
                "SP": 35,
                "FDP": 29,
                "GLP": 23,
                "Grüne": 22,
                "CVP": 8,
                "EVP": 8,
                "AL": 6,
                "EDU": 4,
            },
        ),
        (
            "zug_kantonsrat_2018",
            "5% in one district or 3% overall",
            {"CVP": 21, "SVP": 18, "FDP": 17, "Alternative": 11, "SP": 9, "glp": 4},
        ),
        ("uri_landrat_2020", "none", None),
    ],
)
def test_swiss_biproportional_elections(case, quorum, party_totals):
    """Quorum, upper apportionment and every cell of the lower apportionment as published."""
    votes, published, district_seats = read_swiss_case(case)
    assert published.sum(axis=0).tolist() == district_seats.tolist()
    if quorum == "5% in one district":
        qualified = passes_district_quorum(votes, 5)
    elif quorum == "5% in one district or 3% overall":
        qualified = passes_district_quorum(votes, 5) | passes_total_quorum(votes, 3)
    else:
        qualified = pd.Series(True, index=votes.index)

    party_seats, seats = doppelter_pukelsheim(votes, district_seats, qualified)

    assert (published.loc[~qualified] == 0).all().all()
    if party_totals is not None:
        assert party_seats.to_dict() == party_totals
    pd.testing.assert_frame_equal(seats, published.loc[qualified])
    assert seats.attrs["ties"] == []
    assert_standard_rounding(votes.loc[qualified], seats)


def exact_parts(votes, district_seats, party):
    """A list's weighted votes per district: votes / district seats, exactly."""
    return [Fraction(int(votes.at[party, d]), int(district_seats[d])) for d in votes.columns]


@pytest.mark.parametrize("case", ["zh_kantonsrat_2019", "zug_kantonsrat_2018", "uri_landrat_2020"])
def test_swiss_party_seats_do_not_hinge_on_rounding_the_weighted_votes(case):
    """Some cantons publish the weighted votes ("Wählerzahl") rounded to whole voters; the
    upper apportionment is the same with exact and with rounded weighted votes."""
    votes, published, district_seats = read_swiss_case(case)
    votes = votes.loc[published.sum(axis=1) > 0]
    exact = {p: sum(exact_parts(votes, district_seats, p)) for p in votes.index}
    rounded = {
        p: sum(math.floor(w + Fraction(1, 2)) for w in exact_parts(votes, district_seats, p)) for p in votes.index
    }
    seats = int(district_seats.sum())
    assert divisor(pd.Series(exact), seats, "sainte-lague").equals(divisor(pd.Series(rounded), seats, "sainte-lague"))


def test_zurich_2019_quorum_excludes_the_small_lists():
    votes, _, _ = read_swiss_case("zh_kantonsrat_2019")
    qualified = passes_district_quorum(votes, 5)
    assert sorted(votes.index[~qualified]) == ["BDP", "Helvida", "PdA", "die Guten"]
    # AL and EDU are under 3 % overall but reach 5 % in some district
    assert not passes_total_quorum(votes, 3)[["AL", "EDU"]].any()


def test_zug_2018_strongest_list_rule_does_not_bind():
    """Zug also gives each district's strongest list a seat; the result meets it already."""
    votes, published, district_seats = read_swiss_case("zug_kantonsrat_2018")
    qualified = passes_district_quorum(votes, 5) | passes_total_quorum(votes, 3)
    assert list(votes.index[~qualified]) == ["AuBü"]
    _, seats = doppelter_pukelsheim(votes, district_seats, qualified)
    for district in votes.columns:
        assert seats.at[votes[district].idxmax(), district] >= 1


# ---------------------------------------------------------------------------------------
# Hand-worked divisor examples
# ---------------------------------------------------------------------------------------

FOUR = pd.Series({"A": 37, "B": 26, "C": 7, "D": 3})


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("hamilton", [4, 3, 1, 0]),
        ("dhondt", [5, 3, 0, 0]),
        ("sainte-lague", [4, 3, 1, 0]),
        ("huntington-hill", [4, 2, 1, 1]),
        ("dean", [3, 3, 1, 1]),
        ("adams", [3, 3, 1, 1]),
    ],
)
def test_every_method_on_one_small_case(method, expected):
    """Weights A 37, B 26, C 7, D 3 (total 73), 8 seats.

    Hamilton: quotas 8 w / 73 = 4.055, 2.849, 0.767, 0.329; floors 4, 2, 0, 0 leave 2
    seats for the largest remainders .849 (B), .767 (C) -> 4, 3, 1, 0.

    Claims w / s(n) for the (n + 1)-th seat; the 8 largest win:

    * D'Hondt, s(n) = n + 1: A 37, 18.5, 12.33, 9.25, 7.4; B 26, 13, 8.67; C 7; D 3.
      Top 8 -> A 5, B 3; next claim 7 (C) < 7.4. Result 5, 3, 0, 0.
    * Sainte-Laguë, s(n) = n + 1/2: A 74, 24.67, 14.8, 10.57, 8.22; B 52, 17.33, 10.4;
      C 14, 4.67; D 6. Top 8: 74, 52, 24.67, 17.33, 14.8, 14, 10.57, 10.4 -> 4, 3, 1, 0;
      next 8.22 (A) < 10.4.
    * Huntington-Hill, s(n) = sqrt(n(n+1)), s(0) = 0: everyone's first seat (claim
      infinite), then A 37/1.414 = 26.16, 37/2.449 = 15.11, 37/3.464 = 10.68;
      B 26/1.414 = 18.38, 26/2.449 = 10.61; C 4.95; D 2.12. Four more seats:
      26.16, 18.38, 15.11, 10.68 -> 4, 2, 1, 1; next 10.61 (B) < 10.68
      (exactly: 37^2 / 12 = 114.08 > 26^2 / 6 = 112.67).
    * Dean, s(n) = n(n+1)/(n+1/2): s(1) = 4/3, s(2) = 12/5, s(3) = 24/7. After the first
      seats: A 27.75, 15.42, 10.79; B 19.5, 10.83; C 5.25; D 2.25. Four more: 27.75,
      19.5, 15.42, 10.83 -> 3, 3, 1, 1; next 10.79 (A) < 10.83.
    * Adams, s(n) = n: after the first seats A 37, 18.5, 12.33; B 26, 13; C 7; D 3.
      Four more: 37, 26, 18.5, 13 -> 3, 3, 1, 1; next 12.33 (A) < 13.
    """
    result = divisor(FOUR, 8, method)
    assert result.tolist() == expected
    assert result.index.equals(FOUR.index)
    assert result.attrs["method"] == method
    if method == "hamilton":
        assert result.attrs["divisor"] is None
    else:
        assert_divisor_rule(FOUR, result, method)


def test_dhondt_divisor_is_the_simplest_between_the_claims():
    """D'Hondt on FOUR: last claim served 7.4, first refused 7; simplest between is 22/3."""
    assert divisor(FOUR, 8, "dhondt").attrs["divisor"] == Fraction(22, 3)


def test_sainte_lague_can_fall_below_the_quota_floor():
    """Weights 53, 24, 23 with 7 seats (quotas 3.71, 1.68, 1.61).

    Hamilton: floors 3, 1, 1; remainders .71 (A), .68 (B) win -> 4, 2, 1.
    D'Hondt: claims 53, 26.5, 24, 23, 17.67, 13.25, 12 -> 4, 2, 1 (next 11.5 < 12).
    Sainte-Laguë: claims 106, 48, 46, 35.33, 21.2, 16, 15.33 -> 3, 2, 2
    (next 53/3.5 = 15.14 < 23/1.5 = 15.33), although A's quota is 3.71.
    """
    weights = pd.Series({"A": 53, "B": 24, "C": 23})
    assert divisor(weights, 7, "hamilton").tolist() == [4, 2, 1]
    assert divisor(weights, 7, "dhondt").tolist() == [4, 2, 1]
    assert divisor(weights, 7, "sainte-lague").tolist() == [3, 2, 2]


def test_alabama_paradox_hamilton():
    """Weights 6, 6, 2. 10 seats: quotas 4.29, 4.29, 1.43 -> floors 4, 4, 1, the last seat
    to C (.43 > .29) -> 4, 4, 2. 11 seats: quotas 4.71, 4.71, 1.57 -> floors 4, 4, 1, two
    seats to A and B (.71 > .57) -> 5, 5, 1: C loses a seat when the house grows."""
    weights = pd.Series({"A": 6, "B": 6, "C": 2})
    assert divisor(weights, 10, "hamilton").tolist() == [4, 4, 2]
    assert divisor(weights, 11, "hamilton").tolist() == [5, 5, 1]
    # (divisor methods cannot do this: see test_property_house_monotone)


def test_accepts_floats_fractions_and_keeps_name():
    """Weights 1.2, 17/5, 5.4 (total 10), 10 seats, Sainte-Laguë. At d = 1 they round to
    1, 3, 5 = 9; the next claims are 1.2/1.5 = 0.8, 3.4/3.5 = 0.971, 5.4/5.5 = 0.982, so
    the tenth seat goes to z: 1, 3, 6 (any d in (0.971, 0.982) gives it directly)."""
    weights = pd.Series([1.2, Fraction(17, 5), 5.4], index=["x", "y", "z"], name="need", dtype=object)
    result = divisor(weights, 10, "sainte-lague")
    assert result.name == "need" and result.dtype == "int64"
    assert result.tolist() == [1, 3, 6]
    assert_divisor_rule(weights, result, "sainte-lague")
    assert Fraction(34, 35) < result.attrs["divisor"] < Fraction(54, 55)


# ---------------------------------------------------------------------------------------
# Ties
# ---------------------------------------------------------------------------------------


def test_sainte_lague_tie_is_raised():
    """Weights 1 and 3, 2 seats: claims 2, 0.67 (A) and 6, 2, 1.2 (B). B takes the first
    seat; A's 2 and B's 2 tie for the second."""
    weights = pd.Series({"A": 1, "B": 3})
    with pytest.raises(ApportionmentTie, match="A, B") as error:
        divisor(weights, 2, "sainte-lague")
    assert error.value.tied == ["A", "B"]
    assert isinstance(error.value, ValueError)


def test_tie_report_breaks_by_index_order():
    weights = pd.Series({"B": 3, "A": 1})
    result = divisor(weights, 2, "sainte-lague", ties="report")
    assert result.to_dict() == {"B": 2, "A": 0}  # B is listed first
    assert result.attrs["ties"] == ["B", "A"]
    assert result.attrs["divisor"] == 2  # the tied claim


def test_huntington_hill_tie_that_floats_miss():
    """A (6) holding 1 seat and B (36) holding 8 claim 6/sqrt(2) and 36/sqrt(72): equal,
    since 36/2 = 1296/72 = 18, but in floating point 4.242640687119285 != ...286."""
    assert 6 / math.sqrt(2) != 36 / math.sqrt(72)
    weights = pd.Series({"A": 6, "B": 36})
    assert divisor(weights, 9, "huntington-hill").tolist() == [1, 8]
    with pytest.raises(ApportionmentTie) as error:
        divisor(weights, 10, "huntington-hill")
    assert error.value.tied == ["A", "B"]
    assert divisor(weights, 11, "huntington-hill").tolist() == [2, 9]


def test_hamilton_tie():
    with pytest.raises(ApportionmentTie, match="hamilton"):
        divisor(pd.Series({"A": 1, "B": 1, "C": 1}), 4, "hamilton")
    result = divisor(pd.Series({"A": 1, "B": 1, "C": 1}), 4, "hamilton", ties="report")
    assert result.tolist() == [2, 1, 1]
    assert result.attrs["ties"] == ["A", "B", "C"]


def test_more_units_than_seats_under_adams_is_a_tie():
    """s(0) = 0: every unit claims its first seat with infinite priority."""
    with pytest.raises(ApportionmentTie):
        divisor(pd.Series({"A": 5, "B": 1, "C": 1}), 2, "adams")


# ---------------------------------------------------------------------------------------
# Bounds
# ---------------------------------------------------------------------------------------


def test_min_and_max_seats_scalar_and_series():
    """Weights A 84, B 12, C 4, 10 seats, D'Hondt.

    * No bounds: claims A 84, 42, 28, 21, 16.8, 14, 12, 10.5, 9.33, (8.4); B 12, (6);
      C (4): the ten largest give A 9, B 1, C 0.
    * min 1 each: start 1, 1, 1; the 7 further seats go to A's claims 84/2 = 42 down to
      84/8 = 10.5, all above B's 12/2 = 6 -> 8, 1, 1.
    * max 6 for A: A takes 84 ... 14 (6 seats), then B 12, B 6, and B 4 and C 4 take the
      last two -> 6, 3, 1.
    * Sainte-Laguë, C at least 3, A at most 6: 7 seats to share beyond C's 3, claims A 168,
      56, 33.6, 24, 18.67, 15.27 (capped after 6), B 24, 8, C 4/3.5 = 1.14 -> 6, 1, 3.
    """
    weights = pd.Series({"A": 84, "B": 12, "C": 4})
    assert divisor(weights, 10, "dhondt").tolist() == [9, 1, 0]
    assert divisor(weights, 10, "dhondt", min_seats=1).tolist() == [8, 1, 1]
    maximum = pd.Series({"C": 10, "A": 6, "B": 10})  # order does not matter
    result = divisor(weights, 10, "dhondt", max_seats=maximum)
    assert result.tolist() == [6, 3, 1]
    assert_divisor_rule(weights, result.drop("A"), "dhondt")
    minimum = pd.Series({"A": 0, "B": 0, "C": 3})
    result = divisor(weights, 10, "sainte-lague", min_seats=minimum, max_seats=maximum)
    assert result.tolist() == [6, 1, 3]
    assert_divisor_rule(weights, result.drop(["A", "C"]), "sainte-lague")


def test_hamilton_with_bounds_uses_clamped_quotas():
    """Weights A 84, B 12, C 4, 10 seats: quotas 8.4, 1.2, 0.4.

    * A at most 6: A's quota is clamped to 6; B and C share the other 4 as 12 : 4, quotas
      3 and 1 -> 6, 3, 1.
    * min 1 each: C's quota is clamped to 1; A and B share 9 as 84 : 12, quotas 7.875 and
      1.125 -> floors 7, 1 (+ C 1) = 9, and the last seat to A (.875) -> 8, 1, 1.
    """
    weights = pd.Series({"A": 84, "B": 12, "C": 4})
    assert divisor(weights, 10, "hamilton", max_seats=pd.Series({"A": 6, "B": 10, "C": 10})).tolist() == [6, 3, 1]
    assert divisor(weights, 10, "hamilton", min_seats=1).tolist() == [8, 1, 1]


def test_zero_weight_gets_only_its_minimum():
    weights = pd.Series({"A": 3, "B": 0})
    assert divisor(weights, 4, "adams", min_seats=pd.Series({"A": 0, "B": 1})).tolist() == [3, 1]
    with pytest.raises(ValueError, match="at most 2 seats"):
        divisor(weights, 4, "dhondt", max_seats=2)


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "kwargs", "message"),
    [
        (pd.Series({"A": 1, "B": -2}), {}, r"'B' is negative"),
        (pd.Series({"A": 1.0, "B": float("nan")}), {}, r"'B' is not finite"),
        (pd.Series({"A": float("inf"), "B": 1.0}), {}, r"'A' is not finite"),
        (pd.Series({"A": 1, "B": 2}), {"method": "webster"}, "unknown method"),
        (pd.Series({"A": 1, "B": 2}), {"min_seats": 3}, "minimum seats sum to 6, more than the 5"),
        (pd.Series({"A": 1, "B": 2}), {"max_seats": 2}, "at most 4 seats, fewer than the 5"),
        (pd.Series({"A": 1, "B": 2}), {"min_seats": pd.Series({"A": 1, "C": 1})}, "missing B; unknown C"),
        (pd.Series({"A": 1, "B": 2}), {"min_seats": 3, "max_seats": pd.Series({"A": 2, "B": 9})}, "'A'"),
        (pd.Series({"A": 1, "B": 2}), {"seats": 2.5}, "seats must be a non-negative whole number"),
        (pd.Series({"A": 1, "B": 2}), {"ties": "random"}, "ties must be one of"),
        (pd.Series([1, 2], index=["A", "A"]), {}, "repeated labels: A"),
    ],
)
def test_bad_input(weights, kwargs, message):
    arguments = {"seats": 5, "method": "sainte-lague", **kwargs}
    with pytest.raises(ValueError, match=message):
        divisor(weights, **arguments)


# ---------------------------------------------------------------------------------------
# Biproportional: small cases and infeasibility
# ---------------------------------------------------------------------------------------


def test_biproportional_small_case_by_hand():
    """Votes (rows: lists, columns: districts) and totals:

            D1   D2 | list seats
        P  600  100 |  4
        Q  400  300 |  4
        ------------
            5    3    district seats

    Result 3 1 / 2 2. By hand, with row divisors 172 (P) and 161 (Q) and column divisors
    1 and 1: P 600/172 = 3.49 -> 3, 100/172 = 0.58 -> 1; Q 400/161 = 2.48 -> 2,
    300/161 = 1.86 -> 2; rows 4, 4 and columns 5, 3 as required.
    """
    votes = pd.DataFrame({"D1": [600, 400], "D2": [100, 300]}, index=["P", "Q"])
    seats = biproportional(votes, pd.Series({"P": 4, "Q": 4}), pd.Series({"D1": 5, "D2": 3}))
    assert seats.to_numpy().tolist() == [[3, 1], [2, 2]]
    assert_standard_rounding(votes, seats)
    # the hand divisors reproduce it too
    for (row, col), x in seats.stack().items():
        q = Fraction(int(votes.at[row, col]), {"P": 172, "Q": 161}[row])
        assert math.floor(q + Fraction(1, 2)) == x


def test_biproportional_zero_weight_gets_zero():
    votes = pd.DataFrame({"D1": [10, 0, 5], "D2": [0, 8, 5]}, index=["P", "Q", "R"])
    seats = biproportional(votes, pd.Series({"P": 2, "Q": 2, "R": 2}), pd.Series({"D1": 3, "D2": 3}))
    assert seats.at["P", "D2"] == 0 and seats.at["Q", "D1"] == 0
    assert seats.sum(axis=1).tolist() == [2, 2, 2] and seats.sum(axis=0).tolist() == [3, 3]


def test_biproportional_tie_is_raised_or_reported():
    """A symmetric 2 x 2 case: each cell's share is exactly 1/2 seat; two answers."""
    votes = pd.DataFrame({"D1": [1, 1], "D2": [1, 1]}, index=["P", "Q"])
    with pytest.raises(ApportionmentTie):
        biproportional(votes, pd.Series({"P": 1, "Q": 1}), pd.Series({"D1": 1, "D2": 1}))
    seats = biproportional(votes, pd.Series({"P": 1, "Q": 1}), pd.Series({"D1": 1, "D2": 1}), ties="report")
    assert seats.sum(axis=1).tolist() == [1, 1] and seats.sum(axis=0).tolist() == [1, 1]
    assert len(seats.attrs["ties"]) == 4


@pytest.mark.parametrize(
    ("votes", "rows", "cols", "message"),
    [
        ({"D1": [1, 1]}, {"P": 1, "Q": 1}, {"D1": 3}, "row totals sum to 2 but column totals sum to 3"),
        ({"D1": [1, 0], "D2": [1, 0]}, {"P": 1, "Q": 1}, {"D1": 1, "D2": 1}, r"'Q' \(1\)"),
        (
            {"D1": [5, 0, 0], "D2": [5, 1, 0], "D3": [0, 0, 1]},
            {"P": 3, "Q": 2, "R": 1},
            {"D1": 2, "D2": 2, "D3": 2},
            r"rows P, Q need 5 seats in total, but the columns where they have weight \(D1, D2\) have only 4",
        ),
    ],
)
def test_biproportional_infeasible(votes, rows, cols, message):
    frame = pd.DataFrame(votes, index=list(rows))
    with pytest.raises(ApportionmentInfeasible, match=message):
        biproportional(frame, pd.Series(rows), pd.Series(cols))


def test_biproportional_bad_input():
    votes = pd.DataFrame({"D1": [1, -1]}, index=["P", "Q"])
    with pytest.raises(ValueError, match=r"\('Q', 'D1'\) is negative"):
        biproportional(votes, pd.Series({"P": 1, "Q": 0}), pd.Series({"D1": 1}))
    votes = pd.DataFrame({"D1": [1, 1]}, index=["P", "Q"])
    with pytest.raises(ValueError, match="row_totals labels do not match"):
        biproportional(votes, pd.Series({"P": 1, "X": 0}), pd.Series({"D1": 1}))


# ---------------------------------------------------------------------------------------
# round_matrix
# ---------------------------------------------------------------------------------------


def test_round_matrix_columns_only():
    """Column a: 1.2 + 2.3 + 0.5 = 4: floors 1, 2, 0 leave one post for the largest
    fraction .5 -> 1, 2, 1. Column b: 0.7 + 0.7 + 1.6 = 3: floors 0, 0, 1 leave two posts;
    fractions .7, .7, .6 -> 1, 1, 1."""
    values = pd.DataFrame({"a": [1.2, 2.3, 0.5], "b": [0.7, 0.7, 1.6]}, index=["x", "y", "z"])
    result = round_matrix(values, pd.Series({"a": 4, "b": 3}))
    assert result.to_dict() == {"a": {"x": 1, "y": 2, "z": 1}, "b": {"x": 1, "y": 1, "z": 1}}
    assert result.attrs["method"] == "largest-remainder" and result.attrs["ties"] == []


def test_round_matrix_reports_ties_and_respects_upper():
    values = pd.DataFrame({"a": [0.5, 0.5, 2.0]}, index=["x", "y", "z"])
    result = round_matrix(values, pd.Series({"a": 3}))
    assert result["a"].tolist() == [1, 0, 2] and result.attrs["ties"] == [("x", "a"), ("y", "a")]
    upper = pd.DataFrame({"a": [0, 5, 5]}, index=["x", "y", "z"])
    assert round_matrix(values, pd.Series({"a": 3}), upper=upper)["a"].tolist() == [0, 1, 2]


def test_round_matrix_lower_bound_outside_the_value():
    values = pd.DataFrame({"a": [0.2, 2.8]}, index=["x", "y"])
    lower = pd.DataFrame({"a": [1, 0]}, index=["x", "y"])
    assert round_matrix(values, pd.Series({"a": 3}), lower=lower)["a"].tolist() == [1, 2]


def test_round_matrix_both_margins_biproportional_and_transport():
    values = pd.DataFrame({"a": [1.4, 1.6], "b": [2.6, 0.4]}, index=["x", "y"])
    cols, rows = pd.Series({"a": 3, "b": 3}), pd.Series({"x": 4, "y": 2})
    result = round_matrix(values, cols, row_totals=rows)
    assert result.attrs["method"] == "biproportional"
    assert result.to_numpy().tolist() == [[1, 3], [2, 0]]
    # forbidding (x, b) = 3 leaves only the other rounding, found by the LP
    upper = pd.DataFrame({"a": [9, 9], "b": [2, 9]}, index=["x", "y"])
    result = round_matrix(values, cols, upper=upper, row_totals=rows)
    assert result.attrs["method"] == "transportation"
    assert result.to_numpy().tolist() == [[2, 2], [1, 1]]


def test_round_matrix_infeasible():
    values = pd.DataFrame({"a": [1.2, 2.3]}, index=["x", "y"])
    with pytest.raises(ApportionmentInfeasible, match="'a' needs 6 but its cells allow 3 to 5"):
        round_matrix(values, pd.Series({"a": 6}))
    values = pd.DataFrame({"a": [0.5, 0.5], "b": [0.5, 0.5]}, index=["x", "y"])
    upper = pd.DataFrame({"a": [1, 0], "b": [1, 0]}, index=["x", "y"])
    with pytest.raises(
        ApportionmentInfeasible, match="row totals out of reach: 'y' needs 2 but its cells allow 0 to 0"
    ):
        round_matrix(values, pd.Series({"a": 1, "b": 1}), upper=upper, row_totals=pd.Series({"x": 0, "y": 2}))
    values = pd.DataFrame({"a": [0.5, 0.5, 0.0], "b": [0.5, 0.5, 0.0], "c": [0, 0, 1.5]}, index=["x", "y", "z"])
    with pytest.raises(ApportionmentInfeasible, match="rows x, y must still gain 2"):
        round_matrix(values, pd.Series({"a": 0, "b": 1, "c": 2}), row_totals=pd.Series({"x": 1, "y": 1, "z": 1}))


def test_round_matrix_bad_input():
    values = pd.DataFrame({"a": [1.0, float("nan")]}, index=["x", "y"])
    with pytest.raises(ValueError, match="not finite"):
        round_matrix(values, pd.Series({"a": 1}))
    values = pd.DataFrame({"a": [1.0, 1.0]}, index=["x", "y"])
    with pytest.raises(ValueError, match="col_totals labels do not match"):
        round_matrix(values, pd.Series({"b": 2}))


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------

weights_strategy = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8).filter(any)


@settings(max_examples=150, deadline=None)
@given(weights=weights_strategy, seats=st.integers(min_value=0, max_value=60), method=st.sampled_from(METHODS))
def test_property_sum_and_rule(weights, seats, method):
    series = pd.Series(weights, index=[f"u{k}" for k in range(len(weights))])
    result = divisor(series, seats, method, ties="report")
    assert result.sum() == seats
    assert (result[series == 0] == 0).all()
    first_seat_refused = method in ("adams", "dean", "huntington-hill") and (result[series > 0] == 0).any()
    if method == "hamilton" or first_seat_refused:
        assert result.attrs["divisor"] is None
    elif not result.attrs["ties"]:
        assert_divisor_rule(series, result, method)


@settings(max_examples=100, deadline=None)
@given(weights=weights_strategy, seats=st.integers(min_value=0, max_value=40), method=st.sampled_from(DIVISOR_METHODS))
def test_property_house_monotone(weights, seats, method):
    """Divisor methods: one more seat never takes a seat from anyone (ties by index order)."""
    series = pd.Series(weights)
    before = divisor(series, seats, method, ties="report")
    after = divisor(series, seats + 1, method, ties="report")
    assert (after >= before).all() and after.sum() == before.sum() + 1


def sl_objective(weights, seats) -> Fraction:
    """Product over cells of prod_{k=1..x} (k - 1/2) / w; biproportional Sainte-Laguë
    matrices are exactly the minimisers under the margins (Gaffke & Pukelsheim 2008)."""
    value = Fraction(1)
    for w_line, x_line in zip(weights, seats, strict=True):
        for w, x in zip(w_line, x_line, strict=True):
            for k in range(1, x + 1):
                value *= Fraction(2 * k - 1, 2) / w
    return value


def margin_matrices(weights, rows, cols):
    """Every whole matrix with these margins that is zero where the weight is zero."""
    n_rows, n_cols = len(rows), len(cols)
    matrix = [[0] * n_cols for _ in range(n_rows)]
    row_left, col_left = list(rows), list(cols)

    def fill(cell):
        if cell == n_rows * n_cols:
            if not any(row_left) and not any(col_left):
                yield [line[:] for line in matrix]
            return
        i, j = divmod(cell, n_cols)
        if j == n_cols - 1:  # the last cell of a row takes what the row has left
            choices = [row_left[i]] if row_left[i] <= col_left[j] else []
        else:
            choices = range(min(row_left[i], col_left[j]) + 1)
        for x in choices:
            if x and not weights[i][j]:
                continue
            matrix[i][j] = x
            row_left[i] -= x
            col_left[j] -= x
            yield from fill(cell + 1)
            row_left[i] += x
            col_left[j] += x
        matrix[i][j] = 0

    yield from fill(0)


@st.composite
def small_matrix_case(draw):
    n_rows, n_cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    weights = [[draw(st.integers(0, 30)) for _ in range(n_cols)] for _ in range(n_rows)]
    total = draw(st.integers(0, 9))
    rows = [0] * n_rows
    cols = [0] * n_cols
    for _ in range(total):
        rows[draw(st.integers(0, n_rows - 1))] += 1
        cols[draw(st.integers(0, n_cols - 1))] += 1
    return weights, rows, cols


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=small_matrix_case())
def test_property_biproportional_against_brute_force(case):
    """The result is the unique minimiser of the Sainte-Laguë objective (or a reported tie);
    infeasible exactly when no matrix meets the margins on the weights' support."""
    weights, rows, cols = case
    frame = pd.DataFrame(
        weights, index=[f"r{i}" for i in range(len(rows))], columns=[f"c{j}" for j in range(len(cols))]
    )
    candidates = list(margin_matrices(weights, rows, cols))
    try:
        result = biproportional(
            frame, pd.Series(rows, index=frame.index), pd.Series(cols, index=frame.columns), ties="report"
        )
    except ApportionmentInfeasible:
        assert candidates == []
        return
    assert candidates
    best = min(sl_objective(weights, m) for m in candidates)
    winners = [m for m in candidates if sl_objective(weights, m) == best]
    assert result.to_numpy().tolist() in winners
    assert (len(winners) > 1) == bool(result.attrs["ties"])
    if not result.attrs["ties"]:
        assert_standard_rounding(frame, result)


@st.composite
def fractional_case(draw):
    """An integer matrix X and values V = X + noise with |noise| < 1 keeping the margins."""
    n_rows, n_cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    base = [[draw(st.integers(0, 9)) for _ in range(n_cols)] for _ in range(n_rows)]
    noise = [[draw(st.integers(-40, 40)) / 100 for _ in range(n_cols)] for _ in range(n_rows)]
    row_mean = [sum(line) / n_cols for line in noise]
    col_mean = [sum(noise[i][j] for i in range(n_rows)) / n_rows for j in range(n_cols)]
    grand = sum(row_mean) / n_rows
    values = [
        [base[i][j] + noise[i][j] - row_mean[i] - col_mean[j] + grand for j in range(n_cols)] for i in range(n_rows)
    ]
    return base, values


@settings(max_examples=60, deadline=None)
@given(case=fractional_case(), with_rows=st.booleans())
def test_property_round_matrix(case, with_rows):
    base, values = case
    frame = pd.DataFrame(values)
    base_frame = pd.DataFrame(base)
    cols = base_frame.sum(axis=0)
    rows = base_frame.sum(axis=1) if with_rows else None
    result = round_matrix(frame, cols, row_totals=rows)
    assert result.sum(axis=0).tolist() == cols.tolist()
    if with_rows:
        assert result.sum(axis=1).tolist() == rows.tolist()
    for i in frame.index:
        for j in frame.columns:
            v = Fraction(frame.at[i, j])
            assert max(math.floor(v), 0) <= result.at[i, j] <= max(math.ceil(v), 0)


@settings(max_examples=80, deadline=None)
@given(
    weights=st.lists(st.integers(1, 100), min_size=2, max_size=6),
    seats=st.integers(0, 40),
    method=st.sampled_from(["hamilton", "dhondt", "adams"]),
)
def test_property_quota_bounds(weights, seats, method):
    """Known quota properties: Hamilton stays within floor/ceil of the quota; D'Hondt
    never goes below floor(quota) (lower quota); Adams never above ceil(quota) (upper
    quota)."""
    result = divisor(pd.Series(weights), seats, method, ties="report")
    for k, w in enumerate(weights):
        quota = Fraction(w * seats, sum(weights))
        if method in ("hamilton", "dhondt"):
            assert result[k] >= math.floor(quota)
        if method in ("hamilton", "adams"):
            assert result[k] <= math.ceil(quota)
