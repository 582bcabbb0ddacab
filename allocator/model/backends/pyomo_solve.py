"""Solving a Pyomo model with HiGHS (appsi) and reading back a RawSolution."""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from allocator.core.data import ProblemData
from allocator.model import tiebreak
from allocator.model.backends.base import (
    DUAL_TOL,
    FAMILY_KEYS,
    NOT_REPORTED,
    ROW_GROUP_FAMILY,
    RawSolution,
    SolveOptions,
)
from allocator.model.highs_env import use_threads

STATUS = {
    TerminationCondition.convergenceCriteriaSatisfied: "optimal",
    TerminationCondition.provenInfeasible: "infeasible",
    TerminationCondition.locallyInfeasible: "infeasible",
    # the model is bounded below (non-negative variables, non-negative weights)
    TerminationCondition.infeasibleOrUnbounded: "infeasible",
    TerminationCondition.unbounded: "unbounded",
    TerminationCondition.maxTimeLimit: "time_limit",
    TerminationCondition.iterationLimit: "time_limit",
    TerminationCondition.interrupted: "time_limit",
}


def _is_integer(m: pyo.ConcreteModel) -> bool:
    """Whether any variable is integer (``x`` in integer mode, or one a researcher added)."""
    return any(v.is_integer() for v in m.component_data_objects(pyo.Var, active=True))


def _mip_gap(incumbent: float, bound: float) -> float:
    """HiGHS's relative gap ``|primal − dual| / |primal|`` (0 if both are 0)."""
    if incumbent == bound:
        return 0.0
    if incumbent == 0:
        return math.inf
    return abs(incumbent - bound) / abs(incumbent)


def solve_model(m: pyo.ConcreteModel, options: SolveOptions) -> RawSolution:
    """Solve a built (and possibly extended) model with HiGHS through Pyomo.

    ``solve_seconds`` is the wall time of the whole call to Pyomo's HiGHS interface, which
    includes passing the model to highspy. The values of the variables are loaded into the
    model (``pyo.value(m.x[...])``) and, after an LP solve, the dual of every row into
    ``m.dual``; ``binding`` lists the rows of the families of §5 with ``|dual| > 1e-9``,
    except ``flow`` and ``target_gap``.
    """
    d: ProblemData = m._alloc_data
    integer = _is_integer(m)
    use_threads(options.threads)
    solver = SolverFactory("highs")
    t0 = time.perf_counter()
    try:
        results = solver.solve(
            m,
            tee=[sys.stderr] if options.verbose else False,  # the log never reaches stdout
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
            solver_options=options.highs_options(integer),
        )
    except Exception as err:  # a model HiGHS cannot take (e.g. nonlinear), a solver failure
        return RawSolution(status="error", message=f"{type(err).__name__}: {err}")
    seconds = time.perf_counter() - t0
    tc = results.termination_condition
    raw = RawSolution(status=STATUS.get(tc, "error"), message=str(tc.name), solve_seconds=seconds)
    if results.solution_status not in (SolutionStatus.optimal, SolutionStatus.feasible):
        return raw
    results.solution_loader.load_vars()
    raw.x = np.fromiter((m.x[c].value for c, _ in d.cells()), dtype=float, count=int(np.prod(d.shape))).reshape(d.shape)
    raw.objective = float(pyo.value(m.objective))
    if integer:
        bound = results.objective_bound
        if bound is not None and math.isfinite(bound):
            raw.best_bound = float(bound)
            raw.mip_gap = _mip_gap(float(results.incumbent_objective), raw.best_bound)
    elif raw.status == "optimal":
        duals = results.solution_loader.get_duals()
        m.dual.clear()
        for con, dual in duals.items():
            m.dual[con] = dual
        raw.binding = _binding(m, duals)
        h, col_of = solver._solver_model, solver._pyomo_var_to_solver_var_map  # Pyomo's own highspy.Highs
        x_cols = np.fromiter((col_of[id(m.x[c])] for c, _ in d.cells()), dtype=np.int64)
        tiebreak.apply(raw, h, x_cols, d.target_bar.reshape(-1), options.tie_break, tiebreak.direct_for(d))
    return raw


def _binding(m: pyo.ConcreteModel, duals: dict) -> list[dict]:
    """Rows of the families of §5 with a non-zero dual, labelled by their index."""
    out: list[dict] = []
    for name, family in ROW_GROUP_FAMILY.items():
        component = m.find_component(name)
        if family in NOT_REPORTED or component is None:
            continue
        keys = FAMILY_KEYS[family]
        for index, con in component.items():
            dual = duals.get(con, 0.0)
            if abs(dual) > DUAL_TOL:
                index = index if isinstance(index, tuple) else (index,)
                out.append({"constraint": family, **dict(zip(keys, index, strict=True)), "dual": float(dual)})
    return out
