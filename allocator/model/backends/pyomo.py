"""The Pyomo backend: docs/model.md §4–6 as a readable Pyomo ``ConcreteModel``, solved by HiGHS.

Every constraint family of docs/model.md §5 is one function below, named after it, that adds
exactly that family to the model. The model is indexed by the real ids: regions and
specialties by their string ids, years by int.

==========================  =================================================================
component                   meaning
==========================  =================================================================
``m.R, m.S, m.T``           regions, specialties, planning years (ordered Sets)
``m.baseline[r,s]``         baseline posts ``x[r,s,y_0]``
``m.national[s,t]``         national totals ``N[s,t]`` (for a ranged total: ``N̄``, the baseline
                            total clipped into the range)
``m.national_min[s,t]``     a range's minimum (v2; only ranged (s, t) with a minimum > 0)
``m.national_max[s,t]``     a range's maximum (v2; only ranged (s, t) with a maximum)
``m.share[r,s,t]``          need shares ``D / Σ D`` (only cells of a ranged (s, t))
``m.target[r,s,t]``         fair shares ``T[r,s,t]`` (for a ranged total: the data-only ``T̄``)
``m.cost[r,s]``             cost per post ``c[r,s]``
``m.min_posts[r,s,t]``      capacity minimum (only cells with a ``capacity_min`` row)
``m.max_posts[r,s,t]``      capacity maximum (only cells with a ``capacity_max`` row)
``m.locked_posts[r,s,t]``   locked posts (only locked cells)
``m.budget_amount[t]``      budget (only budgeted years)
``m.programme_years[s]``    programme length (only where given)
``m.x, m.inc, m.dec``       posts, posts gained, posts lost, each ``[r, s, t]``
``m.short, m.surplus``      below / above target, each ``[r, s, t]``
``m.z``                     worst relative shortfall in % (only if its weight > 0)
``m.stock``, ``m.pool`` ...  the data and variables of §10 and §11 (pipeline, teams): see
                            :mod:`~allocator.model.backends.pyomo_workforce`
``m.<family>[...]``         the rows of one family (``capacity`` is ``capacity_min`` and
                            ``capacity_max``); a family with no rows adds no component
``m.objective``             the weighted sum of §6
``m.dual``                  Suffix filled with every row's dual after an LP solve
==========================  =================================================================

The :class:`~allocator.core.data.ProblemData` and the :class:`~allocator.core.spec.ModelSpec` are
attached as ``m._alloc_data`` and ``m._alloc_spec``, so :func:`solve_model` needs only ``m``.

Example: add a constraint of your own and solve::

    import pyomo.environ as pyo
    from allocator.model.backends.base import SolveOptions
    from allocator.model.backends.pyomo import build_model, solve_model

    m = build_model(d, spec)
    m.extra = pyo.Constraint(expr=m.x["london", "gp", 2026] <= 100)
    raw = solve_model(m, SolveOptions())
    print(raw.status, raw.objective, pyo.value(m.x["london", "gp", 2026]), m.dual[m.extra])

``raw.binding`` reports the rows of the families of §5 only; the dual of a row you added is
in ``m.dual``.

Solving goes through Pyomo's own HiGHS interface, ``pyomo.contrib.solver`` ``"highs"``
(highspy underneath; the older ``appsi_highs`` is the same code path in Pyomo 6.10). It is
called with ``load_solutions=False`` and ``raise_exception_on_nonoptimal_result=False`` so an
infeasible model is a status, never an exception.

Duals: ``dual`` is the change in the optimum per unit increase of the constant side of the
row as written in each docstring (every row is ``variables (<=|==|>=) constant`` once the
constants are moved right). For this minimisation a binding ``<=`` row has ``dual <= 0`` and
a binding ``>=`` row ``dual >= 0``. HiGHS returns row duals in exactly this convention, and
Pyomo's interface passes them through unchanged.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo

from allocator.core.data import ProblemData
from allocator.core.families import builders_in
from allocator.core.spec import ModelSpec

# ------------------------------------------------------------------------------ data
from allocator.model.backends.pyomo_solve import solve_model  # noqa: F401 - the backend interface: build_model and solve_model
from allocator.model.backends.pyomo_workforce import (  # noqa: F401 - §10, §11 builders found by name
    scenario_risk,
    stock_flow,
    supply_gap,
    team_gap,
    team_mix,
    workforce_components,
    workforce_objective,
    worst_supply,
)


def parameters(m: pyo.ConcreteModel, d: ProblemData) -> None:
    """Sets ``R, S, T`` and the data of the instance as (immutable) Params, by real ids."""
    m.R = pyo.Set(initialize=d.regions, ordered=True)
    m.S = pyo.Set(initialize=d.specialties, ordered=True)
    m.T = pyo.Set(initialize=d.years, ordered=True)
    rs = list(itertools.product(enumerate(d.regions), enumerate(d.specialties)))
    m.baseline = pyo.Param(m.R, m.S, initialize={(r, s): float(d.baseline[i, j]) for (i, r), (j, s) in rs})
    m.cost = pyo.Param(m.R, m.S, initialize={(r, s): float(d.cost[i, j]) for (i, r), (j, s) in rs})
    m.national = pyo.Param(
        m.S,
        m.T,
        initialize={
            (s, t): float(d.national[j, k])
            for (j, s), (k, t) in itertools.product(enumerate(d.specialties), enumerate(d.years))
        },
    )
    ranged = d.ranged
    st = list(itertools.product(enumerate(d.specialties), enumerate(d.years)))
    m.national_min = pyo.Param(
        m.S,
        m.T,
        initialize={
            (s, t): float(d.national_min[j, k]) for (j, s), (k, t) in st if ranged[j, k] and d.national_min[j, k] > 0
        },
    )
    m.national_max = pyo.Param(
        m.S,
        m.T,
        initialize={
            (s, t): float(d.national_max[j, k])
            for (j, s), (k, t) in st
            if ranged[j, k] and np.isfinite(d.national_max[j, k])
        },
    )
    cells = list(d.cells())

    def per_cell(values: np.ndarray, where: np.ndarray | None = None) -> dict:
        """``{(r, s, t): value}`` of an (R, S, Y) array, only where ``where`` holds."""
        return {c: float(values[at]) for c, at in cells if where is None or where[at]}

    m.target = pyo.Param(m.R, m.S, m.T, initialize=per_cell(d.target))
    m.share = pyo.Param(m.R, m.S, m.T, initialize=per_cell(d.share, np.broadcast_to(ranged[None, :, :], d.shape)))
    m.min_posts = pyo.Param(m.R, m.S, m.T, initialize=per_cell(d.min_posts, d.has_capacity & (d.min_posts > 0)))
    m.max_posts = pyo.Param(m.R, m.S, m.T, initialize=per_cell(d.max_posts, d.has_capacity & np.isfinite(d.max_posts)))
    m.locked_posts = pyo.Param(m.R, m.S, m.T, initialize=per_cell(d.lock, d.locked))
    m.budget_amount = pyo.Param(
        m.T, initialize={t: float(b) for t, b in zip(d.years, d.budget, strict=True) if not np.isnan(b)}
    )
    m.programme_years = pyo.Param(
        m.S,
        initialize={s: int(p) for s, p in zip(d.specialties, d.programme_years, strict=True) if not np.isnan(p)},
    )


def x_prev(m: pyo.ConcreteModel, r: str, s: str, t: int):
    """``x_prev``: ``x[r,s,t-1]``, or the baseline posts ``b[r,s]`` in the first planning year."""
    if t == m.T.first():
        return m.baseline[r, s]
    return m.x[r, s, m.T.prev(t)]


# --------------------------------------------------------------------------- variables (§4)


def variables(m: pyo.ConcreteModel, spec: ModelSpec, integer: bool) -> None:
    """The variables of docs/model.md §4, all ``>= 0``.

    ``x[r,s,t]`` posts (integer if ``integer``); ``inc, dec`` posts gained and lost since the
    year before; ``short, surplus`` posts below and above target; ``z`` the worst relative
    shortfall in %, only if its weight ``q`` is positive.
    """
    domain = pyo.NonNegativeIntegers if integer else pyo.NonNegativeReals
    m.x = pyo.Var(m.R, m.S, m.T, within=domain)
    m.inc = pyo.Var(m.R, m.S, m.T, within=pyo.NonNegativeReals)
    m.dec = pyo.Var(m.R, m.S, m.T, within=pyo.NonNegativeReals)
    m.short = pyo.Var(m.R, m.S, m.T, within=pyo.NonNegativeReals)
    m.surplus = pyo.Var(m.R, m.S, m.T, within=pyo.NonNegativeReals)
    if spec.objective.worst_shortfall > 0:
        m.z = pyo.Var(within=pyo.NonNegativeReals)


# ----------------------------------------------------------------- constraint families (§5)


def national_total(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """National totals are kept.

    ::

        Σ_r x[r,s,t] = N[s,t]                      for each s, t with a fixed total
        min <= Σ_r x[r,s,t] <= max                 for each s, t with a range (v2; one ranged row)

    Parameters
    ----------
    m : the model; gets ``m.national_total[s, t]``.
    d : the instance as arrays.
    """

    def rule(m, s, t):
        total = sum(m.x[r, s, t] for r in m.R)
        if d.ranged[d.specialties.index(s), d.years.index(t)]:
            lo = m.national_min[s, t] if (s, t) in m.national_min else 0.0
            hi = m.national_max[s, t] if (s, t) in m.national_max else None
            return (lo, total, hi)
        return total == m.national[s, t]

    m.national_total = pyo.Constraint(m.S, m.T, rule=rule)


def capacity(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell with a ``capacity`` entry stays within it.

    ::

        x[r,s,t] >= min_posts[r,s,t]    for each such cell with min_posts > 0
        x[r,s,t] <= max_posts[r,s,t]    for each such cell with a finite max_posts

    Explicit rows, not bounds on ``x``, so that their duals can be read.

    Parameters
    ----------
    m : the model; gets ``m.capacity_min[r, s, t]`` and ``m.capacity_max[r, s, t]``.
    d : the instance as arrays.
    """
    low = list(m.min_posts.sparse_keys())
    if low:
        m.capacity_min = pyo.Constraint(low, rule=lambda m, r, s, t: m.x[r, s, t] >= m.min_posts[r, s, t])
    high = list(m.max_posts.sparse_keys())
    if high:
        m.capacity_max = pyo.Constraint(high, rule=lambda m, r, s, t: m.x[r, s, t] <= m.max_posts[r, s, t])


def lock(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A lock fixes the posts of a cell.

    ::

        x[r,s,t] = posts                           for each lock

    An explicit row, not bounds on ``x``, so that its dual can be read.

    Parameters
    ----------
    m : the model; gets ``m.lock[r, s, t]``.
    d : the instance as arrays.
    """
    locked = list(m.locked_posts.sparse_keys())
    if locked:
        m.lock = pyo.Constraint(locked, rule=lambda m, r, s, t: m.x[r, s, t] == m.locked_posts[r, s, t])


def flow(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Posts gained and lost since the year before.

    ::

        x[r,s,t] − x_prev = inc[r,s,t] − dec[r,s,t]      for each cell

    ``x_prev`` is ``x[r,s,t-1]``, the baseline posts in the first planning year.

    Parameters
    ----------
    m : the model; gets ``m.flow[r, s, t]``.
    d : the instance as arrays.
    """

    def rule(m, r, s, t):
        return m.x[r, s, t] - x_prev(m, r, s, t) == m.inc[r, s, t] - m.dec[r, s, t]

    m.flow = pyo.Constraint(m.R, m.S, m.T, rule=rule)


def target_gap(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """Distance to the fair share.

    ::

        x[r,s,t] − T[r,s,t] = surplus[r,s,t] − short[r,s,t]    for each cell

    where the national total of (s, t) is a range (v2), the fair share follows the total the
    solution chooses, ``T[r,s,t] = share[r,s,t] · Σ_r' x[r',s,t]``.

    Parameters
    ----------
    m : the model; gets ``m.target_gap[r, s, t]``.
    d : the instance as arrays.
    """

    def rule(m, r, s, t):
        if (r, s, t) in m.share:
            target = m.share[r, s, t] * sum(m.x[q, s, t] for q in m.R)
        else:
            target = m.target[r, s, t]
        return m.x[r, s, t] - target == m.surplus[r, s, t] - m.short[r, s, t]

    m.target_gap = pyo.Constraint(m.R, m.S, m.T, rule=rule)


def growth_limit(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell grows at most a rate of last year's posts plus an allowance.

    ::

        inc[r,s,t] <= max_growth_rate · x_prev + growth_allowance    for each cell

    Only if ``max_growth_rate`` is given.

    Parameters
    ----------
    m : the model; gets ``m.growth_limit[r, s, t]``.
    d : the instance as arrays.
    """
    if d.max_growth_rate is None:
        return
    rate, allowance = float(d.max_growth_rate), float(d.growth_allowance)

    def rule(m, r, s, t):
        return m.inc[r, s, t] <= rate * x_prev(m, r, s, t) + allowance

    m.growth_limit = pyo.Constraint(m.R, m.S, m.T, rule=rule)


def shrink_limit(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell shrinks at most a rate of last year's posts plus an allowance.

    ::

        dec[r,s,t] <= max_shrink_rate · x_prev + shrink_allowance     for each cell

    Only if ``max_shrink_rate`` is given (``shrink_allowance``, v2, defaults to 0).

    Parameters
    ----------
    m : the model; gets ``m.shrink_limit[r, s, t]``.
    d : the instance as arrays.
    """
    if d.max_shrink_rate is None:
        return
    rate, allowance = float(d.max_shrink_rate), float(d.shrink_allowance)

    def rule(m, r, s, t):
        return m.dec[r, s, t] <= rate * x_prev(m, r, s, t) + allowance

    m.shrink_limit = pyo.Constraint(m.R, m.S, m.T, rule=rule)


def programme_shrink(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A cell loses at most one cohort a year: its posts over the programme length.

    ::

        dec[r,s,t] <= x_prev / programme_years[s]                     for each cell

    Only if ``shrink_by_programme_length``.

    Parameters
    ----------
    m : the model; gets ``m.programme_shrink[r, s, t]``.
    d : the instance as arrays.
    """
    if not d.shrink_by_programme_length:
        return

    def rule(m, r, s, t):
        return m.dec[r, s, t] <= x_prev(m, r, s, t) / m.programme_years[s]

    m.programme_shrink = pyo.Constraint(m.R, m.S, m.T, rule=rule)


def region_net_loss(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """A region's net loss of posts, over all its specialties, is limited.

    ::

        Σ_s (dec[r,s,t] − inc[r,s,t]) <= max_region_net_loss_rate · Σ_s x_prev[r,s]    for each r, t

    Only if ``max_region_net_loss_rate`` is given.

    Parameters
    ----------
    m : the model; gets ``m.region_net_loss[r, t]``.
    d : the instance as arrays.
    """
    if d.max_region_net_loss_rate is None:
        return
    rate = float(d.max_region_net_loss_rate)

    def rule(m, r, t):
        net_loss = sum(m.dec[r, s, t] - m.inc[r, s, t] for s in m.S)
        return net_loss <= rate * sum(x_prev(m, r, s, t) for s in m.S)

    m.region_net_loss = pyo.Constraint(m.R, m.T, rule=rule)


def national_moves(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """The posts moved nationally in a year are limited.

    ::

        Σ_{r,s} dec[r,s,t] <= max_national_moves                      for each t

    Only if ``max_national_moves`` is given.

    Parameters
    ----------
    m : the model; gets ``m.national_moves[t]``.
    d : the instance as arrays.
    """
    if d.max_national_moves is None:
        return
    limit = float(d.max_national_moves)

    def rule(m, t):
        return sum(m.dec[r, s, t] for r in m.R for s in m.S) <= limit

    m.national_moves = pyo.Constraint(m.T, rule=rule)


def budget(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec | None = None) -> None:
    """The cost of a year's posts stays within its budget.

    ::

        Σ_{r,s} c[r,s] · x[r,s,t] <= amount[t]                         for each budgeted t

    A year whose posts all cost 0 meets its budget trivially and gets no row.

    Parameters
    ----------
    m : the model; gets ``m.budget[t]``.
    d : the instance as arrays.
    """
    years = list(m.budget_amount.sparse_keys())
    if not years:
        return

    def rule(m, t):
        terms = [m.cost[r, s] * m.x[r, s, t] for r in m.R for s in m.S if m.cost[r, s] != 0]
        if not terms:  # every post is free: the row is trivially met
            return pyo.Constraint.Skip
        return sum(terms) <= m.budget_amount[t]

    m.budget = pyo.Constraint(years, rule=rule)


def worst_shortfall(m: pyo.ConcreteModel, d: ProblemData, spec: ModelSpec) -> None:
    """``z`` is at least every cell's shortfall, in % of its fair share.

    ::

        100 · short[r,s,t] <= T[r,s,t] · z                            for each cell with T > 0

    Only if the weight ``q`` of ``z`` (``worst_shortfall``) is positive. Where the national
    total is a range (v2), ``m.target`` holds the data-only ``T̄`` (the row stays linear).

    Parameters
    ----------
    m : the model; gets ``m.worst_shortfall[r, s, t]``.
    d : the instance as arrays.
    spec : the model file (the weight ``q``).
    """
    if spec.objective.worst_shortfall <= 0:
        return
    cells = [c for c in itertools.product(m.R, m.S, m.T) if m.target[c] > 0]

    def rule(m, r, s, t):
        return 100 * m.short[r, s, t] <= m.target[r, s, t] * m.z

    m.worst_shortfall = pyo.Constraint(cells, rule=rule)


#: One function per family of the table (core/families.py), looked up by name; each takes
#: ``(m, d, spec)`` (only ``worst_shortfall`` reads ``spec``).
BUILDERS = builders_in(globals(), "pyomo backend")


# ----------------------------------------------------------------------------- objective (§6)


def objective(m: pyo.ConcreteModel, spec: ModelSpec) -> None:
    """The weighted sum of docs/model.md §6, minimised.

    ::

        minimise  Σ_k [a·short + b·surplus + m·(inc + dec) + c_w·c[r,s]·x]  +  q·z
                  (+ the supply and team terms of §10, §11: ``workforce_objective``)

    with weights ``a, b, m, c_w, q`` = ``shortfall, surplus, moves, cost, worst_shortfall``
    of the model file. Sets ``m.objective``.
    """
    w = spec.objective
    cells = list(itertools.product(m.R, m.S, m.T))
    expr = (
        w.shortfall * sum(m.short[k] for k in cells)
        + w.surplus * sum(m.surplus[k] for k in cells)
        + w.moves * sum(m.inc[k] + m.dec[k] for k in cells)
    )
    if w.cost > 0:
        expr += w.cost * sum(m.cost[r, s] * m.x[r, s, t] for r, s, t in cells)
    if w.worst_shortfall > 0:
        expr += w.worst_shortfall * m.z
    expr += workforce_objective(m, spec)  # §10, §11
    m.objective = pyo.Objective(expr=expr, sense=pyo.minimize)


# ----------------------------------------------------------------------------- the model


def build_model(d: ProblemData, spec: ModelSpec, integer: bool | None = None) -> pyo.ConcreteModel:
    """The whole model of docs/model.md §4–6 as a Pyomo ``ConcreteModel``.

    Parameters
    ----------
    d : the instance as arrays.
    spec : the model file (objective weights, ``[solve] integer``).
    integer : make every ``x`` integer; ``None`` takes ``spec.solve.integer``.
    """
    integer = spec.solve.integer if integer is None else integer
    m = pyo.ConcreteModel(name=d.name)
    m._alloc_data = d
    m._alloc_spec = spec
    parameters(m, d)
    variables(m, spec, integer)
    workforce_components(m, d, spec)  # §10, §11: data and variables (none without pipeline or teams)
    for add_family in BUILDERS.values():  # one function per family, in table order
        add_family(m, d, spec)
    objective(m, spec)
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    return m
