"""The direct HiGHS backend: the whole LP as sparse arrays, passed to highspy in one call.

Columns, for K = R·S·Y cells flattened as ``k = (r·S + s)·Y + t``::

    x[0:K]  inc[K:2K]  dec[2K:3K]  short[3K:4K]  surplus[4K:5K]  z[5K] (only if q > 0)

then, with a pipeline (§10) or teams (§11), the columns of ``highs_workforce``: ``stock``,
``pool``, ``supply_short``, ``supply_surplus``, ``z_supply``, ``team_short``, ``team_surplus``.

Each constraint family of docs/model.md §5 is one function below returning a :class:`Block`
(a sparse block of rows with its bounds and the region/specialty/year of every row), or the
column bounds for ``capacity`` and ``lock``. No Python loop runs per variable or per row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import highspy
import numpy as np
import scipy.sparse as sp

from allocator.core.data import ProblemData
from allocator.core.families import FAMILIES as FAMILY_TABLE
from allocator.core.families import builders_in
from allocator.core.spec import ModelSpec
from allocator.model import tiebreak
from allocator.model.backends import highs_scenarios as hs
from allocator.model.backends.base import DUAL_TOL, HIGHS_STATUS, NOT_REPORTED, RawSolution, SolveOptions
from allocator.model.backends.blocks import Block
from allocator.model.backends.highs_pacing import (  # noqa: F401 - builders found by name (§5 limits, §5b)
    floor,
    growth_limit,
    phase,
    programme_shrink,
    shrink_limit,
)
from allocator.model.backends.highs_workforce import (  # noqa: F401 - builders found by name
    stock_flow,
    supply_gap,
    team_gap,
    team_mix,
    workforce_rows,
    worst_supply,
)
from allocator.model.highs_env import quiet_banner, use_threads

scenario_risk = hs.scenario_risk  # §12, found by name

INF = highspy.kHighsInf
#: Variables of §10 left without a lower bound: the stocks and completions are sums of
#: non-negative terms of x >= 0 (docs/model.md §10: "all are affine in x"), so a bound 0 would
#: never bind; left out, the tie-break's QP has thousands fewer inequalities (benchmarks/README.md).
FREE_VARIABLES = ("stock", "pool", "stock_total", "completions")


def row_ids(d: ProblemData, labels: dict[str, np.ndarray], i: int) -> dict:
    """``{region, specialty, year}`` ids of row ``i`` of ``labels`` (a :attr:`Block.labels` or
    :meth:`Columns.cell_labels`), with only the keys the family is indexed by.

    Labels are indices into ``d.regions``, ``d.specialties``, ``d.years``; ``eval_year`` indexes
    the pipeline's evaluation years and ``team`` the teams; ``at`` is a year itself (reported as
    ``year``). A negative index leaves its key out (a row of one specialty and year only)."""
    ids = {"region": d.regions, "specialty": d.specialties, "year": d.years}
    if d.pipeline is not None:
        ids["eval_year"] = d.pipeline.years
    ids["team"] = [t.id for t in d.teams]
    ids["scenario"] = d.scenarios.ids if d.scenarios is not None else []
    out = {}
    for key, arr in labels.items():
        value = int(arr[i])
        if key == "at":
            out["year"] = value
        elif value >= 0:
            out["year" if key == "eval_year" else key] = ids[key][value]
    return out


class Location(NamedTuple):
    """Where column ``j`` of the LP sits: its variable and cell indices (``None`` for ``z``).

    For the variables of §10 and §11, ``t`` indexes the variable's own years (the evaluation
    years for ``stock`` and ``pool``, the assessed years for ``supply_*``, the team's years for
    ``team_*``), and ``team`` the team."""

    variable: str
    r: int | None
    s: int | None
    t: int | None
    team: int | None = None


class Columns:
    """The public variable layout: column positions of the variables of §4, and the cell index
    arrays. Code outside this backend reads columns through :attr:`names`, :meth:`span` and
    :meth:`locate`, never by arithmetic on positions."""

    #: The per-cell variables of §4, in column order (``z`` follows them when ``q > 0``).
    CELL_VARIABLES = ("x", "inc", "dec", "short", "surplus")
    #: The variables of §10 and §11, in column order after those of §4 (where present).
    WORKFORCE_VARIABLES = (
        "stock",
        "pool",
        "stock_total",
        "supply_short",
        "supply_surplus",
        "z_supply",
        "team_short",
        "team_surplus",
    )

    def __init__(
        self,
        d: ProblemData,
        with_z: bool,
        with_z_supply: bool = False,
        with_pipeline: bool = True,
        with_team_gap: bool = True,
    ):
        R, S, Y = d.shape
        self.R, self.S, self.Y = R, S, Y
        self.K = K = R * S * Y
        self.cell = np.arange(K).reshape(R, S, Y)
        self.x, self.inc, self.dec, self.short, self.surplus = (i * K for i in range(5))
        self.z = 5 * K if with_z else None
        n = 5 * K + (1 if with_z else 0)
        r, s, t = np.meshgrid(np.arange(R), np.arange(S), np.arange(Y), indexing="ij")
        self.r, self.s, self.t = r.ravel(), s.ravel(), t.ravel()
        self.first = self.t == 0  # cells whose x_prev is the baseline
        # §10, §11: (start, size, shape) of each variable present
        self.extra: dict[str, tuple[int, int, tuple[int, ...]]] = {}
        p = d.pipeline if with_pipeline else None
        sizes: list[tuple[str, tuple[int, ...]]] = []
        if p is not None:
            E, A = len(p.years), len(p.assess)
            sizes += [("stock", (R, S, E)), ("pool", (S, E)), ("stock_total", (S, A))]
            sizes += [("supply_short", (R, S, A)), ("supply_surplus", (R, S, A))]
            if with_z_supply:
                sizes.append(("z_supply", (1,)))
            sizes += hs.member_sizes(d, with_z_supply)  # §12: the other members' copies, the risk term
        # teams are stacked [g][r][t]: the years of each team, and its first team_* column
        self.team_years = np.array([len(t.years) for t in d.teams], int)
        self.team_offset = np.concatenate([[0], np.cumsum(R * self.team_years)[:-1]]).astype(int)
        if d.teams and with_team_gap:
            team_rows = int(R * self.team_years.sum())
            sizes += [("team_short", (team_rows,)), ("team_surplus", (team_rows,))]
        for name, shape in sizes:
            size = int(np.prod(shape))
            self.extra[name] = (n, size, shape)
            n += size
        for name in self.WORKFORCE_VARIABLES:
            setattr(self, name, self.extra[name][0] if name in self.extra else None)
        self.n = n

    @property
    def names(self) -> tuple[str, ...]:
        """The variables present, in column order: the per-cell ones, ``z`` if any, then those
        of §10 and §11."""
        return self.CELL_VARIABLES + (("z",) if self.z is not None else ()) + tuple(self.extra)

    def span(self, variable: str) -> slice:
        """The columns of ``variable``: K cells in ``k = (r·S + s)·Y + t`` order, one for z, or
        the block of a §10/§11 variable (in C order of its shape)."""
        if variable == "z":
            if self.z is None:
                raise KeyError("this model has no z column (q = 0)")
            return slice(self.z, self.z + 1)
        if variable in self.extra:
            start, size, _ = self.extra[variable]
            return slice(start, start + size)
        if variable not in self.CELL_VARIABLES:
            raise KeyError(f"no variable {variable!r}; the variables are {', '.join(self.names)}")
        start = getattr(self, variable)
        return slice(start, start + self.K)

    def locate(self, j: int) -> Location:
        """The variable and (r, s, t) cell of column ``j``; r, s, t are ``None`` for ``z``."""
        j = int(j)
        if self.z is not None and j == self.z:
            return Location("z", None, None, None)
        for name, (start, size, shape) in self.extra.items():
            if start <= j < start + size:
                return self._locate_extra(name, j - start, shape)
        if not 0 <= j < len(self.CELL_VARIABLES) * self.K:
            raise IndexError(f"column {j} is outside the {self.n} columns of this model")
        variable = self.CELL_VARIABLES[j // self.K]
        k = j - getattr(self, variable)
        return Location(variable, int(self.r[k]), int(self.s[k]), int(self.t[k]))

    def _locate_extra(self, name: str, k: int, shape: tuple[int, ...]) -> Location:
        if hs.base_name(name) in ("z_supply", "risk_u", "risk_eta", "risk_v"):  # risk_v[ω]: ω is not a cell
            return Location(name, None, None, None)
        if hs.base_name(name) in ("pool", "stock_total"):
            s, t = np.unravel_index(k, shape)
            return Location(name, None, int(s), int(t))
        if name.startswith("team_"):
            g = int(np.searchsorted(self.team_offset, k, side="right")) - 1
            r, t = divmod(k - int(self.team_offset[g]), int(self.team_years[g]))
            return Location(name, int(r), None, int(t), g)
        r, s, t = np.unravel_index(k, shape)
        return Location(name, int(r), int(s), int(t))

    def cell_labels(self) -> dict[str, np.ndarray]:
        return {"region": self.r, "specialty": self.s, "year": self.t}


def _prev(d: ProblemData, v: Columns):
    """``x_prev`` of every cell as (column or -1, constant): baseline in the first year."""
    cells = np.arange(v.K)
    col = np.where(v.first, -1, v.x + cells - 1)
    const = np.where(v.first, d.baseline[v.r, v.s], 0.0)
    return col, const


# ----------------------------------------------------------------- constraint families (§5)


def national_total(d: ProblemData, v: Columns) -> Block:
    """``Σ_r x[r,s,t] = N[s,t]`` for each s, t; ``min <= Σ_r x[r,s,t] <= max`` where ranged (v2)."""
    rows = v.s * v.Y + v.t
    lower = d.national_min.ravel()
    upper = np.where(np.isinf(d.national_max), INF, d.national_max).ravel()
    s, t = np.divmod(np.arange(v.S * v.Y), v.Y)
    return Block("national_total", rows, v.x + np.arange(v.K), np.ones(v.K), lower, upper, {"specialty": s, "year": t})


def capacity(d: ProblemData) -> tuple[np.ndarray, np.ndarray]:
    """``min_posts <= x <= max_posts`` for each cell with an entry: column bounds of x."""
    return d.min_posts.ravel().copy(), np.where(np.isinf(d.max_posts), INF, d.max_posts).ravel()


def lock(d: ProblemData, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x = posts`` for each lock: both column bounds of x set to the locked value."""
    locked = ~np.isnan(d.lock.ravel())
    lower, upper = lower.copy(), upper.copy()
    lower[locked] = upper[locked] = d.lock.ravel()[locked]
    return lower, upper


def flow(d: ProblemData, v: Columns) -> Block:
    """``x − x_prev = inc − dec`` for each cell, written ``x − inc + dec − x_prev = 0``."""
    K = v.K
    cells = np.arange(K)
    pcol, pconst = _prev(d, v)
    later = pcol >= 0
    rows = np.concatenate([cells, cells, cells, cells[later]])
    cols = np.concatenate([v.x + cells, v.inc + cells, v.dec + cells, pcol[later]])
    vals = np.concatenate([np.ones(K), -np.ones(K), np.ones(K), -np.ones(later.sum())])
    return Block("flow", rows, cols, vals, pconst, pconst, v.cell_labels())


def target_gap(d: ProblemData, v: Columns) -> Block:
    """``x − T = surplus − short`` for each cell, written ``x − surplus + short = T``.

    Where the national total of (s, t) is a range (v2), ``T = share · Σ_r' x[r',s,t]`` is moved
    to the left: ``x − share · Σ_r' x[r',s,t] − surplus + short = 0``.
    """
    K = v.K
    cells = np.arange(K)
    rows = [cells, cells, cells]
    cols = [v.x + cells, v.surplus + cells, v.short + cells]
    vals = [np.ones(K), -np.ones(K), np.ones(K)]
    ranged = d.ranged[v.s, v.t]
    T = np.where(ranged, 0.0, d.target.ravel())
    if ranged.any():
        # row k gets −share[k] · x[r', s, t] for every region r' (same s, t)
        row = np.flatnonzero(ranged)
        r_other = np.arange(v.R)
        rows.append(np.repeat(row, v.R))
        cols.append(v.x + v.cell[r_other[None, :], v.s[row][:, None], v.t[row][:, None]].ravel())
        vals.append(np.repeat(-d.share.ravel()[row], v.R))
    return Block("target_gap", *(np.concatenate(a) for a in (rows, cols, vals)), T, T.copy(), v.cell_labels())


def region_net_loss(d: ProblemData, v: Columns) -> Block | None:
    """``Σ_s (dec − inc) <= max_region_net_loss_rate · Σ_s x_prev`` for each r, t."""
    rho = d.max_region_net_loss_rate
    if rho is None:
        return None
    K = v.K
    cells = np.arange(K)
    row = v.r * v.Y + v.t
    pcol, pconst = _prev(d, v)
    later = pcol >= 0
    rows = np.concatenate([row, row, row[later]])
    cols = np.concatenate([v.dec + cells, v.inc + cells, pcol[later]])
    vals = np.concatenate([np.ones(K), -np.ones(K), np.full(later.sum(), -rho)])
    upper = np.bincount(row, weights=rho * pconst, minlength=v.R * v.Y)
    r, t = np.divmod(np.arange(v.R * v.Y), v.Y)
    return Block("region_net_loss", rows, cols, vals, np.full(v.R * v.Y, -INF), upper, {"region": r, "year": t})


def national_moves(d: ProblemData, v: Columns) -> Block | None:
    """``Σ_{r,s} dec[r,s,t] <= max_national_moves`` for each t."""
    if d.max_national_moves is None:
        return None
    cells = np.arange(v.K)
    return Block(
        "national_moves",
        v.t,
        v.dec + cells,
        np.ones(v.K),
        np.full(v.Y, -INF),
        np.full(v.Y, d.max_national_moves),
        {"year": np.arange(v.Y)},
    )


def budget(d: ProblemData, v: Columns) -> Block | None:
    """``Σ_{r,s} c[r,s] · x[r,s,t] <= amount`` for each budgeted year t."""
    years = np.flatnonzero(~np.isnan(d.budget))
    if len(years) == 0:
        return None
    row_of_year = np.full(v.Y, -1)
    row_of_year[years] = np.arange(len(years))
    keep = row_of_year[v.t] >= 0
    cells = np.arange(v.K)[keep]
    return Block(
        "budget",
        row_of_year[v.t[keep]],
        v.x + cells,
        d.cost[v.r, v.s][keep],
        np.full(len(years), -INF),
        d.budget[years],
        {"year": years},
    )


def worst_shortfall(d: ProblemData, v: Columns) -> Block | None:
    """``100 · short <= T̄ · z`` for each cell with T̄ > 0, only if its weight q > 0 (``T̄ = T``
    where the national total is fixed, the data-only fair share where it is a range)."""
    if v.z is None:
        return None
    T = d.target_bar.ravel()
    cells = np.flatnonzero(T > 0)
    m = len(cells)
    rows = np.concatenate([np.arange(m), np.arange(m)])
    cols = np.concatenate([v.short + cells, np.full(m, v.z)])
    vals = np.concatenate([np.full(m, 100.0), -T[cells]])
    labels = {"region": v.r[cells], "specialty": v.s[cells], "year": v.t[cells]}
    return Block("worst_shortfall", rows, cols, vals, np.full(m, -INF), np.zeros(m), labels)


#: One function per family of the table (core/families.py), looked up by name. The families the
#: table marks ``highs="rows"`` return a :class:`Block`; ``capacity`` and ``lock`` are column
#: bounds of ``x`` (their duals are ``x``'s reduced costs), ``phase`` of ``dec``.
BUILDERS = builders_in(globals(), "highs backend")
#: The row families in the order of the LP's rows (table order).
ROW_FAMILIES = tuple(BUILDERS[f.name] for f in FAMILY_TABLE if f.highs == "rows")


def objective(d: ProblemData, v: Columns, spec: ModelSpec) -> np.ndarray:
    """``Σ_k [a·short + b·surplus + m·(inc + dec) + c_w·c[r,s]·x] + q·z`` as column costs."""
    w = spec.objective
    K = v.K
    cost = np.empty(v.n)
    cost[v.x : v.x + K] = w.cost * d.cost[v.r, v.s]
    cost[v.inc : v.inc + K] = w.moves
    cost[v.dec : v.dec + K] = w.moves
    cost[v.short : v.short + K] = w.shortfall
    cost[v.surplus : v.surplus + K] = w.surplus
    if v.z is not None:
        cost[v.z] = w.worst_shortfall
    for name, weight in (
        ("stock", 0.0),
        ("pool", 0.0),
        ("stock_total", 0.0),
        ("supply_short", w.supply_shortfall),
        ("supply_surplus", w.supply_surplus),
        ("z_supply", w.worst_supply),
        ("team_short", w.team_shortfall),
        ("team_surplus", w.team_surplus),
    ):
        if name in v.extra:
            cost[v.span(name)] = weight
    hs.objective_costs(d, v, spec, cost)  # §12: members weighed by the risk measure
    return cost


# ----------------------------------------------------------------------------- the model


@dataclass
class HighsModel:
    """A built LP: the ``highspy.Highs`` object (``.highs``), ready to solve or extend.

    A researcher may add rows with ``model.highs.addRow(...)`` before :meth:`solve`; the
    column layout is in ``model.columns``, the row blocks in ``model.blocks`` (their bounds,
    labels and first row; the coefficients are HiGHS's alone, ``model.highs.getLp()``).
    """

    data: ProblemData
    spec: ModelSpec
    highs: highspy.Highs
    columns: Columns
    blocks: list[Block]
    integer: bool
    build_seconds: float = 0.0

    def x_column(self, region: str, specialty: str, year: int) -> int:
        d = self.data
        return int(self.columns.cell[d.regions.index(region), d.specialties.index(specialty), d.years.index(year)])

    def write(self, path: str) -> None:
        """Write the LP (e.g. ``model.mps``), for HiGHS alone or another solver."""
        self.highs.writeModel(str(path))

    def solve(self, options: SolveOptions | None = None) -> RawSolution:
        return solve_model(self, options or SolveOptions())

    def set_objective(self, spec: ModelSpec) -> None:
        """Change the column costs in place to the weights of ``spec`` (one ``changeColsCost`` call).

        HiGHS keeps the current basis, so a following simplex solve restarts from it: with
        only the costs changed the basis stays primal feasible (a warm start for sweeps).
        The model must have been built with the ``z`` column if ``spec`` weighs
        ``worst_shortfall`` (``build_model(..., with_z=True)``).
        """
        v = self.columns
        if v.z is None and spec.objective.worst_shortfall > 0:
            raise ValueError("this model has no z column: build it with with_z=True to weigh worst_shortfall")
        if v.z_supply is None and spec.objective.worst_supply > 0 and self.data.pipeline is not None:
            raise ValueError("this model has no z_supply column: build it with with_z=True to weigh worst_supply")
        need_pipeline, need_team_gap = workforce_rows(self.data, spec)
        if (need_pipeline and v.stock is None) or (need_team_gap and v.team_short is None):
            raise ValueError("this model has no supply or team rows: build it with with_workforce=True to weigh them")
        cost = objective(self.data, v, spec)
        hs.retarget_risk_rows(self, spec)
        status = self.highs.changeColsCost(v.n, np.arange(v.n, dtype=np.int32), cost)
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS refused the new column costs")
        self.spec = spec


def build_model(
    d: ProblemData,
    spec: ModelSpec,
    integer: bool | None = None,
    with_z: bool | None = None,
    with_workforce: bool | None = None,
) -> HighsModel:
    """Assemble every family into one sparse LP and pass it to HiGHS in one call.

    ``with_z`` adds the ``z`` column and the ``worst_shortfall`` rows even when the weight
    ``q`` is 0 (so that :meth:`HighsModel.set_objective` can later weigh it), and with a
    pipeline the ``z_supply`` column and the ``worst_supply`` rows likewise; ``None`` adds
    each only when its weight is > 0. ``with_workforce`` keeps the definitions of §10 and §11
    whatever their weights (:func:`workforce_rows`).
    """
    t0 = time.perf_counter()
    integer = spec.solve.integer if integer is None else integer
    z_supply = spec.objective.worst_supply > 0 if with_z is None else with_z
    with_z = spec.objective.worst_shortfall > 0 if with_z is None else with_z
    pipe_rows, team_rows = workforce_rows(d, spec, with_workforce)
    v = Columns(d, with_z=with_z, with_z_supply=z_supply, with_pipeline=pipe_rows, with_team_gap=team_rows)
    v.weights = spec.objective  # the risk rows of §12 carry the supply weights
    blocks = [b for f in ROW_FAMILIES if (b := f(d, v)) is not None]
    start = 0
    for b in blocks:
        b.start = start
        start += b.size
    rows = np.concatenate([b.rows + b.start for b in blocks])
    cols = np.concatenate([b.cols for b in blocks])
    vals = np.concatenate([b.vals for b in blocks])
    A = sp.csc_matrix((vals, (rows, cols)), shape=(start, v.n))
    A.sum_duplicates()

    col_lower = np.zeros(v.n)
    col_upper = np.full(v.n, INF)
    lo, hi = BUILDERS["lock"](d, *BUILDERS["capacity"](d))
    col_lower[: v.K], col_upper[: v.K] = lo, hi
    col_upper[v.span("dec")][BUILDERS["phase"](d, v)] = 0.0  # §5b: no loss before a phase
    for name in v.extra:  # §10: affine in x with non-negative terms, so >= 0 without a bound
        if hs.base_name(name) in FREE_VARIABLES:
            col_lower[v.span(name)] = -INF

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = v.n, start
    lp.col_cost_ = objective(d, v, spec)
    lp.col_lower_, lp.col_upper_ = col_lower, col_upper
    lp.row_lower_ = np.concatenate([b.lower for b in blocks])
    lp.row_upper_ = np.concatenate([b.upper for b in blocks])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = v.n, start
    quiet_banner()  # the process's first Highs prints a banner whatever its options (a diagnosis builds here)
    h = highspy.Highs()
    h.silent()
    status = h.passModel(lp)
    if integer:  # every x integer, in one bulk call
        status = h.changeColsIntegrality(v.K, np.arange(v.K, dtype=np.int32), np.ones(v.K, dtype=np.uint8))
    if status == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS refused the model of '{d.name}'")
    for b in blocks:  # HiGHS holds the coefficients now: no second copy through the solve
        if b.name not in KEEP_COEFFICIENTS:
            b.rows = b.cols = b.vals = None
    return HighsModel(d, spec, h, v, blocks, integer, time.perf_counter() - t0)


STATUS = HIGHS_STATUS
#: The blocks whose coefficients a built model keeps (:func:`highs_scenarios.retarget_risk_rows`
#: rewrites them when a sweep re-weights the model); every other block keeps only its rows'
#: bounds, labels and place, and its coefficients are read from HiGHS (``model.highs.getLp()``).
KEEP_COEFFICIENTS = frozenset({"scenario_risk"})


def solve_model(m: HighsModel, options: SolveOptions) -> RawSolution:
    """Run HiGHS on a built model and read back status, posts and duals."""
    h = m.highs
    use_threads(options.threads)
    for k, val in options.highs_options(m.integer).items():
        h.setOptionValue(k, val)
    # HiGHS counts time_limit over every run() of one object: a model solved again (a
    # researcher's extra row, a sweep) gets its limit from now, and none when none is asked
    limit = INF if options.time_limit is None else h.getRunTime() + options.time_limit
    h.setOptionValue("time_limit", float(limit))
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    status = STATUS.get(ms, "error")
    info = h.getInfo()
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    raw = RawSolution(status=status, message=h.modelStatusToString(ms), solve_seconds=seconds)
    if not has_x:
        return raw
    v = m.columns
    sol = h.getSolution()
    col = np.asarray(sol.col_value)
    raw.x = col[: v.K].reshape(v.R, v.S, v.Y)
    raw.objective = float(info.objective_function_value)
    if m.integer:
        raw.mip_gap = float(info.mip_gap)
        raw.best_bound = float(info.mip_dual_bound)
    elif status == "optimal" and sol.dual_valid:
        raw.binding = _binding(m, np.asarray(sol.row_dual), np.asarray(sol.col_dual), raw.x)
        tiebreak.apply(
            raw, h, np.arange(v.K), m.data.target_bar.reshape(-1), options.tie_break, tiebreak.direct_for(m.data)
        )
    return raw


def _binding(m: HighsModel, row_dual: np.ndarray, col_dual: np.ndarray, x: np.ndarray) -> list[dict]:
    """Constraints with a non-zero dual, labelled by family and region/specialty/year."""
    d = m.data
    out: list[dict] = []

    def emit(name, idx, duals, labels):
        for i, dual in zip(idx, duals, strict=True):
            out.append({"constraint": name, **row_ids(d, labels, i), "dual": float(dual)})

    for b in m.blocks:
        if b.name in NOT_REPORTED:
            continue
        duals = row_dual[b.start : b.start + b.size]
        idx = np.flatnonzero(np.abs(duals) > DUAL_TOL)
        emit(b.name, idx, duals[idx], b.labels)
    # capacity and lock are column bounds of x: their duals are x's reduced costs
    v = m.columns
    cd = col_dual[: v.K]
    idx = np.flatnonzero(np.abs(cd) > DUAL_TOL)
    locked, capped = d.locked.ravel(), d.has_capacity.ravel()
    # x >= 0 on a cell with no capacity entry is not a constraint of §5: not reported
    for name, sel in (("lock", idx[locked[idx]]), ("capacity", idx[~locked[idx] & capped[idx]])):
        emit(name, sel, cd[sel], v.cell_labels())
    dd = col_dual[v.span("dec")]  # §5b: a phase is the bound 0 of dec
    sel = np.flatnonzero(BUILDERS["phase"](d, v) & (dd < -DUAL_TOL))  # > 0: dec's own bound 0 binds
    emit("phase", sel, dd[sel], v.cell_labels())
    return out
