"""What every backend shares: solve options and the raw solution it hands back."""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np

from allocator.core.families import CELL_KEYS, NAMES, ROW_GROUP_FAMILY  # noqa: F401 - re-exported
from allocator.core.families import FAMILIES as TABLE

# The families of docs/model.md §5, in contract order, from the one table (core/families.py).
FAMILIES = NAMES

METHODS = ("ipm", "simplex", "pdlp", "choose")

# HiGHS model status -> result status (docs/model.md §9), for every backend that reads HiGHS's
# own status. "Unbounded or infeasible" is infeasible: the model is bounded below (variables
# and weights are non-negative).
HIGHS_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "time_limit",
    highspy.HighsModelStatus.kInterrupt: "time_limit",
}

# Row groups of the algebraic backends, what indexes each family's rows, and the families whose
# duals are not reported (definitional equalities restate the objective weights): all read
# from the family table.
FAMILY_KEYS = {f.name: f.keys for f in TABLE}
NOT_REPORTED = frozenset(f.name for f in TABLE if not f.reported)

# A dual smaller than this is zero: the constraint is not reported as binding.
DUAL_TOL = 1e-9


@dataclass(frozen=True)
class SolveOptions:
    """Options passed to HiGHS by every backend.

    Parameters
    ----------
    time_limit : seconds, ``None`` for none.
    threads : HiGHS threads, ``None`` for HiGHS's choice.
    method : ``ipm`` (interior point with crossover, the default, chosen by measurement:
        see benchmarks/README.md), ``simplex``, ``pdlp`` or ``choose`` (HiGHS decides).
    mip_gap : relative MIP gap at which an integer solve stops.
    integer : override the model file's ``[solve] integer``.
    verbose : print HiGHS's log.
    tie_break : ``"least-squares"`` (docs/model.md §6b: the unique allocation nearest the fair
        shares on the LP's optimal face; the default), ``"none"`` (HiGHS's vertex), or
        ``None`` for the model file's ``[solve] tie_break``. Whole posts do not apply it.
    """

    time_limit: float | None = None
    threads: int | None = None
    method: str = "ipm"
    mip_gap: float | None = None
    integer: bool | None = None
    verbose: bool = False
    tie_break: str | None = None

    def highs_options(self, integer: bool) -> dict:
        """The same options as HiGHS option names (used by all three backends)."""
        opts: dict = {"output_flag": self.verbose}
        if self.time_limit is not None:
            opts["time_limit"] = float(self.time_limit)
        if self.threads is not None:
            opts["threads"] = int(self.threads)
        if not integer:
            opts["solver"] = self.method
            if self.method == "ipm":
                opts["run_crossover"] = "on"
        if integer and self.mip_gap is not None:
            opts["mip_rel_gap"] = float(self.mip_gap)
        return opts


@dataclass
class RawSolution:
    """A backend's answer, before measures are computed.

    ``x`` is the (R, S, Y) array of posts (``None`` when there is no solution); ``binding``
    lists dicts ``{constraint, region, specialty, year, dual}`` (keys absent when the family
    is not indexed by them); ``dual`` is the change of the optimum per unit increase of the
    binding side of the constraint.
    """

    status: str
    objective: float | None = None
    x: np.ndarray | None = None
    binding: list[dict] = field(default_factory=list)
    mip_gap: float | None = None
    best_bound: float | None = None
    message: str = ""
    solve_seconds: float = 0.0
    tie_break: str = "none"  # which §6b rule gave ``x``: "least-squares" or "none"
    tie_break_seconds: float = 0.0
