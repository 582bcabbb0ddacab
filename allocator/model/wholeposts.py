"""Whole posts that keep every limit (docs/model.md §7 v2): rounding by repair, and a MIP started from it.

A whole-post answer keeps **every** constraint of §5 — transition limits, region net loss,
national moves, budget — not only national totals and capacity. So rounding is done by the
model itself: :func:`repair` takes the LP optimum ``x*`` and solves the whole-post MIP of the
same model (the direct HiGHS backend, every family) with each post held near its LP value,

    max(lo, ⌊x*⌋ − k) ≤ x ≤ min(hi, ⌈x*⌉ + k),   x integer,

for ``k = 0`` (each cell at the floor or ceiling of its LP value), then ``k = 1, 3`` if that
neighbourhood holds no whole-post plan, then the whole range. Each neighbourhood MIP is small
(most cells have two values; locked and whole cells one), so HiGHS solves it in seconds where
the full MIP does not finish. Its answer keeps every limit by construction and is re-checked
by the independent checker; the LP optimum ``z*`` bounds every whole-post plan from below, so
the result states its objective, the bound and the relative gap between them, and is
``optimal`` when that gap is within the requested one, ``feasible`` otherwise.

The LP bound is weak for whole posts (on small cells whole posts cost tens of percent more
than fractional ones), so a gap against it can read "31 % from optimal" for a plan within
0.02 % of the best whole-post plan. :func:`tighten` therefore runs HiGHS's MIP on the full
model for a few seconds (:func:`bound_seconds`), started from the repaired plan: its proven
dual bound (``mip_dual_bound``) replaces the LP's where higher, and a better plan it finds
replaces the repaired one. ``bound_source`` says which bound the gap is against: ``lp``,
``mip-root`` (the MIP stopped in its root node) or ``mip`` (branch and bound).

:func:`integer_solve` is ``--integer``: the full MIP, started from the repaired plan (so a
time limit still returns a plan that keeps every limit), reporting HiGHS's proven bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from allocator.core.data import ProblemData
from allocator.core.spec import ModelSpec
from allocator.model.backends.base import SolveOptions
from allocator.model.presolve import effective_bounds

# neighbourhood widths tried in turn (None: the whole capacity range)
WIDTHS = (0, 1, 3, None)
# the relative gap at which a whole-post plan counts as optimal when none is asked for
DEFAULT_GAP = 1e-4
SNAP = 1e-6
# the bounding MIP's default time: a second per 100 cells, from 1 s to 5 s (bound_seconds)
BOUND_SECONDS = (1.0, 5.0)
CELLS_PER_SECOND = 100
#: where a whole-post result's ``bound`` comes from (the §9 field ``bound_source``)
BOUND_SOURCES = ("lp", "mip-root", "mip")


@dataclass(frozen=True)
class RepairStep:
    """One MIP tried on the way to whole posts. ``kind``: ``all-years`` (the whole horizon, each
    post within ``width`` of its LP value), ``one-year`` (planning year ``year`` alone) or ``mip``
    (the full MIP of ``--integer``); ``width`` is the neighbourhood ``k`` or ``"all"``."""

    kind: str
    status: str
    width: int | str
    year: int | None = None
    seconds: float | None = None

    def to_dict(self) -> dict:
        """The step as recorded in a result's ``rounding.steps`` (keys as in result JSON)."""
        if self.kind == "all-years":
            return {"years": "all", "width": self.width, "status": self.status, "seconds": self.seconds}
        if self.kind == "one-year":
            return {"year": self.year, "width": self.width, "status": self.status}
        if self.kind == "mip":
            return {"width": self.width, "status": self.status, "seconds": self.seconds}
        raise ValueError(f"unknown repair step kind {self.kind!r}")


@dataclass(frozen=True)
class WholePosts:
    """A whole-post answer: ``status`` is ``optimal``, ``feasible``, ``time_limit`` (no plan
    found in time) or ``infeasible`` (no whole-post plan exists); ``kind`` is how the plan was
    found: ``repair`` (near the LP optimum) or ``mip`` (the full MIP, of ``--integer`` or of
    :func:`tighten`, found a better one). ``bound`` is the best bound proven and
    ``bound_source`` where it comes from (:data:`BOUND_SOURCES`); ``bound_seconds`` the time of
    the MIP that proved it (``None`` when none ran)."""

    status: str
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    kind: str
    steps: tuple[RepairStep, ...] = ()
    bound_source: str = "lp"
    bound_seconds: float | None = None

    @property
    def method(self) -> str:
        """``kind`` under the name the result's ``rounding.method`` uses."""
        return self.kind

    def steps_dicts(self) -> list[dict]:
        """The steps as recorded in a result's ``rounding.steps``."""
        return [step.to_dict() for step in self.steps]


def relative_gap(objective: float, bound: float) -> float:
    """``(objective − bound) / |objective|`` (0 when both are 0), never negative."""
    if objective == bound:
        return 0.0
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))


def least_auxiliaries(d: ProblemData, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(inc, dec, short, surplus, worst)`` of §4 at their least values for posts ``x``: the
    moves from the year before, the distance to the targets the posts imply (§3 v2), and the
    worst relative shortfall ``max 100·short/T̄`` (0 where no ``T̄ > 0``)."""
    from allocator.solution import measures

    prev = measures.previous(d, x)
    target = d.target_of(x)
    inc, dec = np.maximum(0.0, x - prev), np.maximum(0.0, prev - x)
    short, surplus = np.maximum(0.0, target - x), np.maximum(0.0, x - target)
    tbar = d.target_bar
    pct = np.divide(100.0 * short, tbar, out=np.zeros_like(short), where=tbar > 0)
    return inc, dec, short, surplus, (pct.max() if pct.size else 0.0)


def columns_of(
    d: ProblemData, x: np.ndarray, with_z: bool, with_z_supply: bool = False, spec: ModelSpec | None = None
) -> np.ndarray:
    """Every column of the direct backend's model for posts ``x``, at the least auxiliary values
    (``inc``, ``dec``, ``short``, ``surplus``, ``z`` of §4, and those of §10/§11): a MIP start."""
    from allocator.solution import workforce

    inc, dec, short, surplus, worst = least_auxiliaries(d, x)
    cols = [p.reshape(-1) for p in (x, inc, dec, short, surplus)]
    if with_z:
        cols.append(np.array([worst]))
    extra = workforce.least(d, x, spec.objective if spec is not None else None)
    from allocator.model.backends.highs import Columns, workforce_rows

    pipe_rows, team_rows = workforce_rows(d, spec) if spec is not None else (True, True)
    layout = Columns(d, with_z, with_z_supply, with_pipeline=pipe_rows, with_team_gap=team_rows)
    for name in layout.extra:
        cols.append(extra[name].reshape(-1))
    return np.concatenate(cols)


@dataclass(frozen=True)
class MipBound:
    """What HiGHS's MIP proved: ``value`` (``info.mip_dual_bound``, ``None`` if not finite) and
    ``nodes`` (``info.mip_node_count``; at most 1: the bound comes from the root node)."""

    value: float | None
    nodes: int

    @property
    def source(self) -> str:
        """``mip-root`` or ``mip`` (:data:`BOUND_SOURCES`)."""
        return "mip-root" if self.nodes <= 1 else "mip"


def _mip(d: ProblemData, spec: ModelSpec, lo: np.ndarray, hi: np.ndarray, options: SolveOptions, start=None):
    """The whole-post MIP of the direct backend with x held in ``[lo, hi]``: the raw solution
    and the bound HiGHS proved (:class:`MipBound`)."""
    import highspy

    from allocator.model.backends import highs as hb

    m = hb.build_model(d, spec, integer=True)
    h = m.highs
    posts = np.arange(m.columns.n, dtype=np.int32)[m.columns.span("x")]
    h.changeColsBounds(len(posts), posts, lo.reshape(-1), hi.reshape(-1))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    raw = hb.solve_model(m, options)
    info = h.getInfo()
    value = float(info.mip_dual_bound)
    return raw, MipBound(value if math.isfinite(value) else None, int(info.mip_node_count))


def repair(
    d: ProblemData,
    spec: ModelSpec,
    x_lp: np.ndarray,
    lp_objective: float,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
) -> WholePosts:
    """Whole posts near an LP optimum ``x_lp`` that keep every constraint of §5 (see the module doc).

    First the whole horizon at once with every post at the floor or ceiling of its LP value;
    where that holds no plan (whole-post limits are tighter than fractional ones: with a 5%
    shrink rate and no allowance a cell under 20 posts cannot lose a post), one year at a
    time (:func:`year_by_year`).

    Parameters
    ----------
    d, spec : the instance's arrays and the model whose objective is minimised.
    x_lp : (R, S, Y) the LP optimum (normally the §6b tie-broken one).
    lp_objective : its objective ``z*``, the lower bound reported with the answer.
    time_limit : seconds for the whole repair (``None``: none).
    mip_gap : the relative gap within which the answer is ``optimal`` (default 1e-4).
    threads : HiGHS threads.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    gap_wanted = DEFAULT_GAP if mip_gap is None else mip_gap
    lo_cap, hi_cap = effective_bounds(d)
    x_lp = np.asarray(x_lp, dtype=float)
    lo, hi = _neighbourhood(lo_cap, hi_cap, x_lp, 0)
    first = None if deadline is None else max(1.0, min(60.0, 0.5 * time_limit))
    opts = SolveOptions(time_limit=first, threads=threads, mip_gap=gap_wanted, integer=True, tie_break="none")
    raw, _ = _mip(d, spec, lo, hi, opts)
    steps: list[RepairStep] = [RepairStep("all-years", raw.status, 0, seconds=raw.solve_seconds)]
    x = None if raw.x is None else np.round(raw.x)
    if x is None:
        x, more = year_by_year(d, spec, x_lp, deadline=deadline, mip_gap=gap_wanted, threads=threads)
        steps += more
    seconds = time.perf_counter() - t0
    if x is None:
        status = "time_limit" if deadline is not None and time.perf_counter() >= deadline else "infeasible"
        return WholePosts(status, None, None, lp_objective, None, seconds, "repair", tuple(steps))
    objective = objective_of(d, spec, x)
    gap = relative_gap(objective, lp_objective)
    status = "optimal" if gap <= gap_wanted + 1e-12 else "feasible"
    return WholePosts(status, x, objective, lp_objective, gap, seconds, "repair", tuple(steps))


def window(d: ProblemData, t: int, prev: np.ndarray) -> ProblemData:
    """The instance of planning year ``t`` alone, its baseline the posts ``prev`` of the year before."""
    import dataclasses

    cut = slice(t, t + 1)
    year_axis = {
        "national": 1, "national_min": 1, "national_max": 1, "population": 1, "need": 2, "share": 2,
        "target": 2, "min_posts": 2, "max_posts": 2, "has_capacity": 2, "lock": 2, "budget": 0,
    }  # fmt: skip
    changes = {name: np.take(getattr(d, name), range(t, t + 1), axis=axis) for name, axis in year_axis.items()}
    baseline_year = d.baseline_year if t == 0 else d.years[t - 1]
    # §11 teams on posts hold year by year; the pipeline (§10) and teams on stocks span the
    # years, so one year's MIP leaves them out (the plan is checked whole afterwards)
    teams = tuple(
        dataclasses.replace(g, years=[g.years[t]], cols=np.array([0]), share=g.share[:, t : t + 1])
        for g in d.teams
        if g.on == "posts"
    )
    return dataclasses.replace(  # the scenario members (§12) are pipelines too: left out with it
        d, years=d.years[cut], baseline_year=baseline_year, baseline=prev, pipeline=None, scenarios=None, teams=teams,
        **changes,
    )  # fmt: skip


def year_by_year(
    d: ProblemData,
    spec: ModelSpec,
    x_lp: np.ndarray,
    *,
    deadline: float | None,
    mip_gap: float,
    threads: int | None,
) -> tuple[np.ndarray | None, list[RepairStep]]:
    """Whole posts one planning year at a time: each year's whole-post MIP (every family of §5
    for that year, its baseline the whole posts chosen for the year before) with posts held
    near the LP plan, the neighbourhood widened where it holds no plan. Returns the posts, or
    ``None`` if some year has no whole-post plan within reach of the one before."""
    lo_cap, hi_cap = effective_bounds(d)
    prev = d.baseline.astype(float)
    x = np.zeros(d.shape)
    steps: list[RepairStep] = []
    for t in range(len(d.years)):
        dw = window(d, t, prev)
        found = None
        for k in WIDTHS:
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None and left <= 0:
                return None, steps
            lo_t, hi_t = _neighbourhood(lo_cap[:, :, t : t + 1], hi_cap[:, :, t : t + 1], x_lp[:, :, t : t + 1], k)
            opts = SolveOptions(time_limit=left, threads=threads, mip_gap=mip_gap, integer=True, tie_break="none")
            raw, _ = _mip(dw, spec, lo_t, hi_t, opts)
            steps.append(RepairStep("one-year", raw.status, "all" if k is None else k, year=d.years[t]))
            if raw.x is not None:
                found = np.round(raw.x[:, :, 0])
                break
            if raw.status not in ("infeasible",):
                return None, steps
        if found is None:
            return None, steps
        x[:, :, t] = prev = found
    return x, steps


def _neighbourhood(lo_cap, hi_cap, x_lp, k):
    """Whole-post bounds ``max(lo, ⌊x*⌋ − k) ≤ x ≤ min(hi, ⌈x*⌉ + k)`` (``k`` None: capacity only)."""
    lo_all = np.ceil(lo_cap - SNAP)
    hi_all = np.floor(np.where(np.isinf(hi_cap), 1e9, hi_cap) + SNAP)
    if k is None:
        return lo_all, np.maximum(hi_all, lo_all)
    lo = np.maximum(lo_all, np.floor(x_lp + SNAP) - k)
    hi = np.minimum(hi_all, np.ceil(x_lp - SNAP) + k)
    return lo, np.maximum(hi, lo)


def integer_solve(
    d: ProblemData,
    spec: ModelSpec,
    start: WholePosts,
    lp_objective: float,
    options: SolveOptions,
    time_left: float | None,
) -> WholePosts:
    """The full whole-post MIP, started from the repaired plan ``start`` (``--integer``).

    HiGHS keeps the start as its incumbent, so a time limit returns a plan at least as good
    as the repair's, with HiGHS's proven bound (never below the LP optimum).
    """
    opts = SolveOptions(
        time_limit=time_left,
        threads=options.threads,
        mip_gap=DEFAULT_GAP if options.mip_gap is None else options.mip_gap,
        integer=True,
        verbose=options.verbose,
        tie_break="none",
    )
    return _mip_from(d, spec, start, lp_objective, opts)


def bound_seconds(d: ProblemData) -> float:
    """The default time of :func:`tighten`'s MIP: a second per :data:`CELLS_PER_SECOND` cells
    (region × specialty × year), at least 1 s and at most 5 s (:data:`BOUND_SECONDS`)."""
    low, high = BOUND_SECONDS
    return float(min(high, max(low, np.prod(d.shape) / CELLS_PER_SECOND)))


def tighten(
    d: ProblemData,
    spec: ModelSpec,
    start: WholePosts,
    lp_objective: float,
    *,
    seconds: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
) -> WholePosts:
    """A repaired plan's gap against a bound worth the name (module doc).

    HiGHS's MIP of the full model runs for ``seconds`` (default :func:`bound_seconds`) from the
    plan ``start``; it stops early once it proves the plan within ``mip_gap``. The answer
    keeps the better plan (the MIP's where it found one with a lower objective) and the higher
    bound (HiGHS's proven ``mip_dual_bound`` or the LP optimum), with ``bound_source`` saying
    which. ``start`` is returned unchanged when it has no plan, is already ``optimal``
    against the LP bound, or ``seconds`` is 0.
    """
    seconds = bound_seconds(d) if seconds is None else seconds
    if start.x is None or start.status == "optimal" or seconds <= 0:
        return start
    gap = DEFAULT_GAP if mip_gap is None else mip_gap
    opts = SolveOptions(time_limit=seconds, threads=threads, mip_gap=gap, integer=True, tie_break="none")
    return _mip_from(d, spec, start, lp_objective, opts)


def _mip_from(d: ProblemData, spec: ModelSpec, start: WholePosts, lp_objective: float, opts: SolveOptions):
    """HiGHS's MIP of the whole model (posts within capacity) started from ``start``'s plan:
    the better plan of the two, the best bound proven, and the gap between them."""
    t0 = time.perf_counter()
    gap_wanted = DEFAULT_GAP if opts.mip_gap is None else opts.mip_gap
    lo, hi = _neighbourhood(*effective_bounds(d), None, None)
    with_z = spec.objective.worst_shortfall > 0
    cols = None if start.x is None else columns_of(d, start.x, with_z, spec.objective.worst_supply > 0, spec)
    raw, proved = _mip(d, spec, lo, hi, opts, start=cols)
    mip_seconds = time.perf_counter() - t0
    steps = (*start.steps, RepairStep("mip", raw.status, "all", seconds=raw.solve_seconds))
    x, objective, kind = start.x, start.objective, start.kind
    if raw.x is not None:
        x_mip = np.round(raw.x)
        objective_mip = objective_of(d, spec, x_mip)
        if objective is None or objective_mip < objective:
            x, objective, kind = x_mip, objective_mip, "mip"
    bound, source = lp_objective, "lp"
    if proved.value is not None and proved.value > bound:
        bound, source = proved.value, proved.source
    seconds = start.seconds + mip_seconds
    if x is None:
        status = "infeasible" if raw.status == "infeasible" else "time_limit"
        return WholePosts(status, None, None, bound, None, seconds, "mip", steps, source, mip_seconds)
    bound = min(bound, objective)  # a plan of that objective exists: a bound above it is solver tolerance
    gap = relative_gap(objective, bound)
    status = "optimal" if gap <= gap_wanted + 1e-12 else "feasible"
    return WholePosts(status, x, objective, bound, gap, seconds, kind, steps, source, mip_seconds)


def objective_of(d: ProblemData, spec: ModelSpec, x: np.ndarray) -> float:
    """The objective of posts ``x`` at the least auxiliary values (§6; targets as §3 v2 says:
    the solution's own fair shares ``T``, and ``T̄`` in the worst-shortfall ratio)."""
    w = spec.objective
    inc, dec, short, surplus, worst = least_auxiliaries(d, x)
    cost = (d.cost[:, :, None] * x).sum()
    value = w.shortfall * short.sum() + w.surplus * surplus.sum() + w.moves * (inc + dec).sum() + w.cost * cost
    if w.worst_shortfall > 0:
        value += w.worst_shortfall * worst
    if d.pipeline is not None or d.teams:
        from allocator.solution import workforce

        value += workforce.objective_terms(d, w, x)
    return float(value)
