"""The PuLP backend: docs/model.md §4–6 as a readable PuLP ``LpProblem``, solved by HiGHS.

Every constraint family of docs/model.md §5 is one function below, named after it, that adds
exactly that family to the problem. Variables and rows are keyed by the real ids: regions
and specialties by their string ids, years by int.

=============================  ==============================================================
attribute of the problem       meaning
=============================  ==============================================================
``prob.x[(r, s, t)]``          posts (``LpVariable``, integer in integer mode)
``prob.inc``, ``prob.dec``     posts gained and lost since the year before, same keys
``prob.short``, ``surplus``    posts below and above target, same keys
``prob.z``                     worst relative shortfall in % (``None`` unless its weight > 0)
``prob.total[(s, t)]``         the national total a ranged (s, t) chooses (v2), bounded by the
                               range; only ranged (s, t) have one
``prob.rows[name][key]``       the row ``name[key]``; ``name`` is a family of §5 (``capacity``
                               is ``capacity_min`` and ``capacity_max``), ``key`` is
                               ``(s, t)`` for ``national_total``, ``(r, t)`` for
                               ``region_net_loss``, ``(t,)`` for ``national_moves`` and
                               ``budget``, ``(r, s, t)`` otherwise; a family with no rows is
                               absent
``prob.stock``, ``prob.pool``  the variables of §10 and §11 (pipeline, teams) and their rows:
                               see :mod:`~allocator.model.backends.pulp_workforce`
``prob._alloc_data``           the :class:`~allocator.core.data.ProblemData`
``prob._alloc_spec``           the :class:`~allocator.core.spec.ModelSpec`
=============================  ==============================================================

Rows are named ``group[key]``, e.g. ``national_total[gp,2026]``; PuLP replaces the
characters ``-+[] `` of a name by ``_``, so the stored name reads ``national_total_gp,2026_``
(find it with ``prob.get_constraint_by_name(row_name("national_total", ("gp", 2026)))``, or
use ``prob.rows``). Two ids that sanitise alike (``north-east``, ``north_east``) get a ``#n``
suffix to keep names unique. Variables are named ``x[r,s,t]`` alike.

Example: add a constraint of your own and solve::

    from allocator.model.backends.base import SolveOptions
    from allocator.model.backends.pulp import build_model, solve_model

    prob = build_model(d, spec)
    prob += prob.x[("london", "gp", 2026)] <= 100, "extra"
    raw = solve_model(prob, SolveOptions())
    print(raw.status, raw.objective, prob.x[("london", "gp", 2026)].varValue,
          prob.get_constraint_by_name("extra").pi)

``raw.binding`` reports the rows of the families of §5 only; the dual of a row you added is
its ``.pi``.

Solving goes through PuLP's own highspy-based solver, ``pulp.HiGHS`` (not ``HiGHS_CMD``: no
``highs`` binary is needed). PuLP maps a time limit to "Optimal", so the status is read from
the ``highspy.Highs`` object PuLP leaves on ``prob.solverModel``, with the same mapping as the
``highs`` backend.

Duals: ``dual`` is the change in the optimum per unit increase of the constant side of the
row as written in each docstring (every row is ``variables (<=|==|>=) constant`` once the
constants are moved right). For this minimisation a binding ``<=`` row has ``dual <= 0`` and
a binding ``>=`` row ``dual >= 0``. HiGHS returns row duals in exactly this convention, and
PuLP stores them unchanged in each constraint's ``.pi``.
"""

from __future__ import annotations

import itertools
import time

import highspy
import numpy as np
import pulp

from allocator.core.data import ProblemData
from allocator.core.families import builders_in
from allocator.core.spec import ModelSpec
from allocator.model import tiebreak
from allocator.model.backends.base import (
    DUAL_TOL,
    FAMILY_KEYS,
    HIGHS_STATUS,
    NOT_REPORTED,
    ROW_GROUP_FAMILY,
    RawSolution,
    SolveOptions,
)
from allocator.model.backends.pulp_rows import SANITISE, add_row, label, row_name  # noqa: F401 - re-exported
from allocator.model.backends.pulp_workforce import (  # noqa: F401 - §10, §11 builders found by name
    scenario_risk,
    stock_flow,
    supply_gap,
    team_gap,
    team_mix,
    workforce_objective,
    workforce_variables,
    worst_supply,
)
from allocator.model.highs_env import use_threads

# ------------------------------------------------------------------------------ helpers

_add, _label = add_row, label  # the row and variable naming of pulp_rows


def x_prev(prob: pulp.LpProblem, d: ProblemData, cell: tuple, at: tuple):
    """``x_prev``: ``x[r,s,t-1]``, or the baseline posts ``b[r,s]`` in the first planning year."""
    r, s, _ = cell
    i, j, k = at
    if k == 0:
        return float(d.baseline[i, j])
    return prob.x[r, s, d.years[k - 1]]


# --------------------------------------------------------------------------- variables (§4)


def variables(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec, integer: bool) -> None:
    """The variables of docs/model.md §4, all ``>= 0``, as dicts keyed by ``(r, s, t)``.

    ``x`` posts (integer if ``integer``); ``inc, dec`` posts gained and lost since the year
    before; ``short, surplus`` posts below and above target; ``z`` the worst relative
    shortfall in %, only if its weight ``q`` is positive (else ``None``).
    """
    cells = [c for c, _ in d.cells()]

    def nonnegative(name: str, cat: str = pulp.LpContinuous) -> dict:
        return {c: prob.add_variable(f"{name}[{_label(c)}]", lowBound=0, cat=cat) for c in cells}

    prob.x = nonnegative("x", pulp.LpInteger if integer else pulp.LpContinuous)
    prob.inc = nonnegative("inc")
    prob.dec = nonnegative("dec")
    prob.short = nonnegative("short")
    prob.surplus = nonnegative("surplus")
    prob.z = prob.add_variable("z", lowBound=0) if spec.objective.worst_shortfall > 0 else None
    prob.total = {}
    for (j, s), (k, t) in itertools.product(enumerate(d.specialties), enumerate(d.years)):
        if d.ranged[j, k]:  # v2: min <= total <= max, the bounds of a ranged national total
            hi = float(d.national_max[j, k])
            prob.total[s, t] = prob.add_variable(
                f"total[{_label((s, t))}]",
                lowBound=float(d.national_min[j, k]),
                upBound=hi if np.isfinite(hi) else None,
            )


# ----------------------------------------------------------------- constraint families (§5)


def national_total(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """National totals are kept.

    ::

        Σ_r x[r,s,t] = N[s,t]                      for each s, t with a fixed total
        Σ_r x[r,s,t] − total[s,t] = 0              for each s, t with a range (v2), where
                                                   min <= total[s,t] <= max are its bounds

    PuLP has no two-sided rows, so a range is the bounds of the variable ``total``; the
    row's dual is then that of the range's binding side.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["national_total"][(s, t)]``.
    d : the instance as arrays.
    """
    for (j, s), (k, t) in itertools.product(enumerate(d.specialties), enumerate(d.years)):
        total = pulp.lpSum(prob.x[r, s, t] for r in d.regions)
        if (s, t) in prob.total:
            _add(prob, "national_total", (s, t), total - prob.total[s, t] == 0)
        else:
            _add(prob, "national_total", (s, t), total == float(d.national[j, k]))


def capacity(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell with a ``capacity`` entry stays within it.

    ::

        x[r,s,t] >= min_posts[r,s,t]    for each such cell with min_posts > 0
        x[r,s,t] <= max_posts[r,s,t]    for each such cell with a finite max_posts

    Explicit rows, not bounds on ``x``, so that their duals can be read.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["capacity_min"][(r, s, t)]``
        and ``prob.rows["capacity_max"][(r, s, t)]``.
    d : the instance as arrays.
    """
    for cell, at in d.cells():
        if not d.has_capacity[at]:
            continue
        if d.min_posts[at] > 0:
            _add(prob, "capacity_min", cell, prob.x[cell] >= float(d.min_posts[at]))
        if np.isfinite(d.max_posts[at]):
            _add(prob, "capacity_max", cell, prob.x[cell] <= float(d.max_posts[at]))


def lock(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A lock fixes the posts of a cell.

    ::

        x[r,s,t] = posts                           for each lock

    An explicit row, not bounds on ``x``, so that its dual can be read.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["lock"][(r, s, t)]``.
    d : the instance as arrays.
    """
    for cell, at in d.cells():
        if d.locked[at]:
            _add(prob, "lock", cell, prob.x[cell] == float(d.lock[at]))


def flow(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Posts gained and lost since the year before.

    ::

        x[r,s,t] − x_prev = inc[r,s,t] − dec[r,s,t]      for each cell

    ``x_prev`` is ``x[r,s,t-1]``, the baseline posts in the first planning year.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["flow"][(r, s, t)]``.
    d : the instance as arrays.
    """
    for c, at in d.cells():
        row = prob.x[c] - x_prev(prob, d, c, at) == prob.inc[c] - prob.dec[c]
        _add(prob, "flow", c, row)


def target_gap(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Distance to the fair share.

    ::

        x[r,s,t] − T[r,s,t] = surplus[r,s,t] − short[r,s,t]    for each cell

    where the national total of (s, t) is a range (v2), the fair share follows the total the
    solution chooses, ``T[r,s,t] = share[r,s,t] · total[s,t]``.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["target_gap"][(r, s, t)]``.
    d : the instance as arrays.
    """
    for c, at in d.cells():
        r, s, t = c
        if (s, t) in prob.total:
            target = float(d.share[at]) * prob.total[s, t]
        else:
            target = float(d.target[at])
        row = prob.x[c] - target == prob.surplus[c] - prob.short[c]
        _add(prob, "target_gap", c, row)


def growth_limit(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell grows at most a rate of last year's posts plus an allowance.

    ::

        inc[r,s,t] <= max_growth_rate · x_prev + growth_allowance    for each cell

    Only if ``max_growth_rate`` is given.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["growth_limit"][(r, s, t)]``.
    d : the instance as arrays.
    """
    if d.max_growth_rate is None:
        return
    rate, allowance = float(d.max_growth_rate), float(d.growth_allowance)
    for c, at in d.cells():
        _add(prob, "growth_limit", c, prob.inc[c] <= rate * x_prev(prob, d, c, at) + allowance)


def shrink_limit(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell shrinks at most a rate of last year's posts plus an allowance.

    ::

        dec[r,s,t] <= max_shrink_rate · x_prev + shrink_allowance     for each cell

    Only if ``max_shrink_rate`` is given (``shrink_allowance``, v2, defaults to 0).

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["shrink_limit"][(r, s, t)]``.
    d : the instance as arrays.
    """
    if d.max_shrink_rate is None:
        return
    rate, allowance = float(d.max_shrink_rate), float(d.shrink_allowance)
    for c, at in d.cells():
        _add(prob, "shrink_limit", c, prob.dec[c] <= rate * x_prev(prob, d, c, at) + allowance)


def programme_shrink(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell loses at most one cohort a year: its posts over the programme length.

    ::

        dec[r,s,t] <= x_prev / programme_years[s]                     for each cell

    Only if ``shrink_by_programme_length``.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["programme_shrink"][(r, s, t)]``.
    d : the instance as arrays.
    """
    if not d.shrink_by_programme_length:
        return
    for c, at in d.cells():
        years = float(d.programme_years[at[1]])
        _add(prob, "programme_shrink", c, prob.dec[c] <= x_prev(prob, d, c, at) / years)


def region_net_loss(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A region's net loss of posts, over all its specialties, is limited.

    ::

        Σ_s (dec[r,s,t] − inc[r,s,t]) <= max_region_net_loss_rate · Σ_s x_prev[r,s]    for each r, t

    Only if ``max_region_net_loss_rate`` is given.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["region_net_loss"][(r, t)]``.
    d : the instance as arrays.
    """
    if d.max_region_net_loss_rate is None:
        return
    rate = float(d.max_region_net_loss_rate)
    for (i, r), (k, t) in itertools.product(enumerate(d.regions), enumerate(d.years)):
        cells = [((r, s, t), (i, j, k)) for j, s in enumerate(d.specialties)]
        net_loss = pulp.lpSum(prob.dec[c] - prob.inc[c] for c, _ in cells)
        before = pulp.lpSum(x_prev(prob, d, c, at) for c, at in cells)
        _add(prob, "region_net_loss", (r, t), net_loss <= rate * before)


def national_moves(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """The posts moved nationally in a year are limited.

    ::

        Σ_{r,s} dec[r,s,t] <= max_national_moves                      for each t

    Only if ``max_national_moves`` is given.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["national_moves"][(t,)]``.
    d : the instance as arrays.
    """
    if d.max_national_moves is None:
        return
    limit = float(d.max_national_moves)
    for t in d.years:
        moved = pulp.lpSum(prob.dec[r, s, t] for r in d.regions for s in d.specialties)
        _add(prob, "national_moves", (t,), moved <= limit)


def budget(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """The cost of a year's posts stays within its budget.

    ::

        Σ_{r,s} c[r,s] · x[r,s,t] <= amount[t]                         for each budgeted t

    A year whose posts all cost 0 meets its budget trivially and gets no row.

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["budget"][(t,)]``.
    d : the instance as arrays.
    """
    for k, t in enumerate(d.years):
        if np.isnan(d.budget[k]):
            continue
        spent = pulp.LpAffineExpression(
            {
                prob.x[r, s, t]: float(d.cost[i, j])
                for i, r in enumerate(d.regions)
                for j, s in enumerate(d.specialties)
                if d.cost[i, j] != 0
            }
        )
        if spent:  # else every post is free: the row is trivially met
            _add(prob, "budget", (t,), spent <= float(d.budget[k]))


def worst_shortfall(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec) -> None:
    """``z`` is at least every cell's shortfall, in % of its fair share.

    ::

        100 · short[r,s,t] <= T̄[r,s,t] · z                           for each cell with T̄ > 0

    Only if the weight ``q`` of ``z`` (``worst_shortfall``) is positive. ``T̄ = T`` where the
    national total is fixed; where it is a range (v2), the data-only fair share (linear row).

    Parameters
    ----------
    prob : the problem; gets its rows, filed as ``prob.rows["worst_shortfall"][(r, s, t)]``.
    d : the instance as arrays.
    spec : the model file (the weight ``q``).
    """
    if spec.objective.worst_shortfall <= 0:
        return
    for c, at in d.cells():
        if d.target_bar[at] > 0:
            _add(prob, "worst_shortfall", c, 100 * prob.short[c] <= float(d.target_bar[at]) * prob.z)


#: One function per family of the table (core/families.py), looked up by name; each takes
#: ``(prob, d, spec)`` (only ``worst_shortfall`` reads ``spec``).
BUILDERS = builders_in(globals(), "pulp backend")


# ----------------------------------------------------------------------------- objective (§6)


def objective(prob: pulp.LpProblem, d: ProblemData, spec: ModelSpec) -> None:
    """The weighted sum of docs/model.md §6, minimised.

    ::

        minimise  Σ_k [a·short + b·surplus + m·(inc + dec) + c_w·c[r,s]·x]  +  q·z

    with weights ``a, b, m, c_w, q`` = ``shortfall, surplus, moves, cost, worst_shortfall``
    of the model file. Built as one ``LpAffineExpression`` from a ``{variable: cost}`` dict.
    """
    w = spec.objective
    terms: dict = {}
    for c, (i, j, _) in d.cells():
        terms[prob.short[c]] = w.shortfall
        terms[prob.surplus[c]] = w.surplus
        terms[prob.inc[c]] = w.moves
        terms[prob.dec[c]] = w.moves
        terms[prob.x[c]] = w.cost * float(d.cost[i, j])
    if prob.z is not None:
        terms[prob.z] = w.worst_shortfall
    terms.update(workforce_objective(prob, spec))  # §10, §11
    prob.setObjective(pulp.LpAffineExpression(terms))


# ----------------------------------------------------------------------------- the model


def build_model(d: ProblemData, spec: ModelSpec, integer: bool | None = None) -> pulp.LpProblem:
    """The whole model of docs/model.md §4–6 as a PuLP ``LpProblem`` (minimise).

    Parameters
    ----------
    d : the instance as arrays.
    spec : the model file (objective weights, ``[solve] integer``).
    integer : make every ``x`` integer; ``None`` takes ``spec.solve.integer``.
    """
    integer = spec.solve.integer if integer is None else integer
    prob = pulp.LpProblem(d.name.replace(" ", "_"), pulp.LpMinimize)
    prob._alloc_data = d
    prob._alloc_spec = spec
    prob.rows = {}
    variables(prob, d, spec, integer)
    workforce_variables(prob, d, spec)  # §10, §11 (none without pipeline or teams)
    for add_family in BUILDERS.values():  # one function per family, in table order
        add_family(prob, d, spec)
    objective(prob, d, spec)
    return prob


def solve_model(prob: pulp.LpProblem, options: SolveOptions) -> RawSolution:
    """Solve a built (and possibly extended) problem with ``pulp.HiGHS``.

    ``solve_seconds`` is the wall time of ``prob.solve``, which includes PuLP passing the
    problem to highspy row by row. Variable values are in ``.varValue`` and, after an LP
    solve, every row's dual in ``.pi``; ``binding`` lists the rows of the families of §5
    with ``|dual| > 1e-9``, except ``flow`` and ``target_gap``.
    """
    d: ProblemData = prob._alloc_data
    integer = prob.isMIP()
    use_threads(options.threads)
    solver = pulp.HiGHS(mip=True, msg=options.verbose, **options.highs_options(integer))
    t0 = time.perf_counter()
    prob.solverModel = None
    error = ""
    try:
        prob.solve(solver)
    except Exception as err:  # PuLP reading back a missing solution, a solver failure
        error = f"{type(err).__name__}: {err}"
    seconds = time.perf_counter() - t0
    h: highspy.Highs | None = prob.solverModel
    if h is None:
        return RawSolution(status="error", message=error, solve_seconds=seconds)
    ms = h.getModelStatus()
    raw = RawSolution(
        status=HIGHS_STATUS.get(ms, "error"),
        message=error or h.modelStatusToString(ms),
        solve_seconds=seconds,
    )
    info = h.getInfo()
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible: no solution to read
        return raw
    raw.x = np.fromiter((prob.x[c].varValue for c, _ in d.cells()), dtype=float, count=int(np.prod(d.shape))).reshape(
        d.shape
    )
    raw.objective = float(pulp.value(prob.objective))
    if integer:
        raw.mip_gap = float(info.mip_gap)
        raw.best_bound = float(info.mip_dual_bound)
    elif raw.status == "optimal" and h.getSolution().dual_valid:
        raw.binding = _binding(prob)
        x_cols = np.fromiter((prob.x[c].index for c, _ in d.cells()), dtype=np.int64)
        tiebreak.apply(raw, h, x_cols, d.target_bar.reshape(-1), options.tie_break, tiebreak.direct_for(d))
    return raw


def _binding(prob: pulp.LpProblem) -> list[dict]:
    """Rows of the families of §5 with a non-zero dual, labelled by their index."""
    out: list[dict] = []
    for group, family in ROW_GROUP_FAMILY.items():
        if family in NOT_REPORTED:
            continue
        keys = FAMILY_KEYS[family]
        for key, row in prob.rows.get(group, {}).items():
            if row.pi is not None and abs(row.pi) > DUAL_TOL:
                labels = dict(zip(keys, key, strict=True))
                out.append({"constraint": family, **labels, "dual": float(row.pi)})
    return out
