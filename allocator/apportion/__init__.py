"""Apportionment: divisor and Hamilton methods, biproportional apportionment, matrix rounding.

Exact (fractions), standalone: imports nothing else from allocator.
"""

from allocator.apportion.biproportional import biproportional
from allocator.apportion.divisors import (
    DIVISOR_METHODS,
    METHODS,
    ApportionmentInfeasible,
    ApportionmentTie,
    divisor,
)
from allocator.apportion.matrix import round_matrix

__all__ = [
    "DIVISOR_METHODS",
    "METHODS",
    "ApportionmentInfeasible",
    "ApportionmentTie",
    "biproportional",
    "divisor",
    "round_matrix",
]
