"""Pareto frontiers of two objectives, by the epsilon-constraint method on the direct HiGHS model.

Two frontiers a policy team asks for:

``gap-moves``
    the gap to fair shares ``Σ_k (short + surplus)`` (posts, summed over the planning years)
    against the posts moved ``Σ_k dec`` (summed over the years): how much fairness each
    post moved buys.
``worst-cost``
    the worst-off shortfall ``z`` (% of fair share, the worst cell of any year) against the
    cost ``Σ_k c[r,s] · x`` (summed over the years): what lifting the worst-off region costs.
``supply-moves`` (an instance with a pipeline, docs/model.md §10)
    the supply gap ``Σ (supply_short + supply_surplus)`` (trained staff, summed over the
    assessed years) against the posts moved: how much of the future workforce gap each post
    moved now closes.
``risk-moves`` (an instance with scenarios, docs/model.md §12)
    the risk term over the member futures (the supply gaps combined by the instance's risk
    measure: expected, worst or CVaR) against the posts moved: what robustness each post
    moved buys.

Method. Call the first objective ``f1`` (minimised) and the second ``f2`` (bounded):

1. The two ends come from HiGHS's lexicographic multi-objective optimisation
   (``Highs.addLinearObjective`` with priorities, ``blend_multi_objectives = false``):
   ``min f1, then min f2`` gives the largest useful ``f2`` (``hi``); ``min f2, then min f1``
   the smallest possible ``f2`` (``lo``).
2. One row ``f2 ≤ ε`` is added to the model; ε steps over ``points`` values from ``lo`` to
   ``hi``, and each point is again lexicographic (``min f1``, then ``min f2`` so the point is
   efficient, not just weakly efficient). For ``worst-cost`` a third, lowest priority, the
   tie-break model's objective (default: fair-share), picks among the many allocations with
   the same ``z`` and cost the one closest to fair shares.

Each point is a verified solution: its posts go through :func:`allocator.analysis.check.check` as a
docs/model.md §9 result (``check_ok`` in the table), and its measures are recomputed from the
posts alone. ``f1`` never increases as ε grows (more moves allowed → the gap is never
larger); the table is sorted by ε.

>>> from allocator.study.pareto import frontier, frontier_plot
>>> df = frontier("instances/england-regions-2025.json", "gap-moves", points=9)  # doctest: +SKIP
>>> frontier_plot(df, "out/frontier")          # out/frontier.png and .svg  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pandas as pd

from allocator.analysis.check import check as run_check
from allocator.core.data import ProblemData, problem_data
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec, Objective, load_model
from allocator.io.instance import as_instance
from allocator.model import tiebreak
from allocator.model.backends import highs
from allocator.model.backends.base import RawSolution, SolveOptions
from allocator.pipeline.steps import build_data, presolve
from allocator.solution import vocabulary as V

__all__ = ["KINDS", "frontier", "frontier_plot"]

# kind -> (first objective, second objective), with their table columns and axis labels
KINDS = {
    "gap-moves": {
        "f1": "gap",
        "f2": "moves",
        "y": "gap_posts_total",
        "x": "posts_moved_total",
        "ylabel": f"{V.name('gap_posts').lower()} (posts, summed over the years)",
        "xlabel": f"{V.name('posts_moved').lower()} (posts, summed over the years)",
    },
    "worst-cost": {
        "f1": "worst",
        "f2": "cost",
        "y": "max_shortfall_pct",
        "x": "cost_total",
        "ylabel": f"{V.name('max_shortfall_pct').lower()} (% below its fair share, worst year)",
        "xlabel": f"{V.name('cost').lower()} (Σ c·x, summed over the years)",
    },
    "supply-moves": {
        "f1": "supply",
        "f2": "moves",
        "y": "supply_gap_total",
        "x": "posts_moved_total",
        "ylabel": f"{V.name('supply_gap').lower()} (doctors, summed over the assessed years)",
        "xlabel": f"{V.name('posts_moved').lower()} (posts, summed over the years)",
    },
    "risk-moves": {
        "f1": "risk",
        "f2": "moves",
        "y": "risk",
        "x": "posts_moved_total",
        "ylabel": f"{V.name('risk').lower()} (doctors of supply gap, by the risk measure)",
        "xlabel": f"{V.name('posts_moved').lower()} (posts, summed over the years)",
    },
}
#: The weights whose supply terms the ``risk-moves`` frontier minimises (§12's L_ω).
RISK_WEIGHTS = {"supply_shortfall": 1.0, "supply_surplus": 1.0}
LEX_ABS_TOL = 1e-6  # objective constraints of the lexicographic stages: f ≤ f* + 1e-6
LEX_REL_TOL = 1e-9


def _vector(name: str, d: ProblemData, v: highs.Columns) -> np.ndarray:
    c = np.zeros(v.n)
    if name == "gap":
        c[v.span("short")] = 1.0
        c[v.span("surplus")] = 1.0
    elif name == "moves":
        c[v.span("dec")] = 1.0
    elif name == "worst":
        c[v.span("z")] = 1.0
    elif name == "cost":
        c[v.span("x")] = d.cost[v.r, v.s]
    elif name == "supply":
        c[v.span("supply_short")] = 1.0
        c[v.span("supply_surplus")] = 1.0
    elif name == "risk":  # §12: the risk term's columns, as the objective of supply weights 1 alone
        c = highs.objective(d, v, ModelSpec(name="risk", objective=Objective(**RISK_WEIGHTS)))
    else:  # pragma: no cover
        raise ValueError(name)
    return c


def _lexicographic(h: highspy.Highs, objectives: list[np.ndarray]) -> tuple[str, np.ndarray | None]:
    """Minimise the objectives in order (first = highest priority) with HiGHS's
    lexicographic multi-objective optimisation; return the status and the column values."""
    h.clearLinearObjectives()
    for k, c in enumerate(objectives):
        o = highspy.HighsLinearObjective()
        o.weight = 1.0
        o.offset = 0.0
        o.coefficients = c
        o.abs_tolerance = LEX_ABS_TOL
        o.rel_tolerance = LEX_REL_TOL
        o.priority = len(objectives) - k
        h.addLinearObjective(o)
    h.setOptionValue("blend_multi_objectives", False)
    h.run()
    status = highs.STATUS.get(h.getModelStatus(), "error")
    col = None
    if h.getInfo().primal_solution_status == 2:
        col = np.asarray(h.getSolution().col_value)
    h.clearLinearObjectives()
    return status, col


def frontier(
    instance: Instance | str | Path,
    kind: str = "gap-moves",
    points: int = 11,
    *,
    model: ModelSpec | str | Path | None = None,
    threads: int | None = None,
    method: str = "simplex",
    check: bool = True,
    with_results: bool = False,
):
    """The Pareto frontier of an instance between two objectives (module docstring).

    Parameters
    ----------
    instance : Instance or path
        The instance.
    kind : str
        ``gap-moves``, ``worst-cost``, ``supply-moves`` (with a pipeline) or ``risk-moves``
        (with scenarios, docs/model.md §12: the tie-break model is given supply weights 1).
    points : int
        Number of ε values from one end of the frontier to the other (≥ 2).
    model : ModelSpec or path, optional
        The tie-break model (``worst-cost`` only; default fair-share).
    threads : int, optional
        HiGHS threads.
    method : str
        HiGHS LP method; ``simplex`` (default) restarts each stage and ε step from the
        previous basis.
    check : bool
        Run the independent checker on every point (``check_ok``, ``violations``).
    with_results : bool
        Also return the :class:`~allocator.solution.result.Result` of every point.

    Returns
    -------
    pandas.DataFrame, or (DataFrame, list of Result) with ``with_results``
        One row per point, sorted by ε: ``frontier`` (the kind), ``point``, ``epsilon``,
        ``status``, ``f1`` and ``f2`` (the solver's values), the measures recomputed from the
        posts (``gap_posts_total``, ``posts_moved_total``, ``cost_total``: summed over the
        years; ``max_shortfall_pct``: worst year; ``gap_closed_pct``, ``gini``: final
        year), ``check_ok``, ``violations``, and ``end`` naming the two lexicographic ends.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown frontier '{kind}' (choose one of: {', '.join(KINDS)})")
    if points < 2:
        raise ValueError("a frontier needs at least 2 points")
    spec = KINDS[kind]
    inst = as_instance(instance)
    if kind == "supply-moves" and inst.pipeline is None:
        raise ValueError(f"{inst.name} has no pipeline block: the supply-moves frontier needs one (§10)")
    if kind == "risk-moves" and inst.scenarios is None:
        raise ValueError(f"{inst.name} has no scenarios block: the risk-moves frontier needs one (§12)")
    tie = model if isinstance(model, ModelSpec) else load_model(model)  # None: the default model
    d = problem_data(inst)
    blocked = presolve(d, tie)
    if blocked is not None:
        assert blocked.diagnosis is not None  # presolve's result always says why
        raise ValueError(f"{inst.name} is infeasible, no frontier: {blocked.diagnosis['findings'][0]['message']}")

    if kind == "risk-moves":  # the risk rows carry the supply weights (§12)
        tie = tie.with_weights(**RISK_WEIGHTS)
    workforce = kind in ("supply-moves", "risk-moves") or None
    built = build_data(d, tie, "highs", integer=False, with_z=(kind == "worst-cost"), with_workforce=workforce)
    h, v = built.model.highs, built.model.columns
    for k, val in SolveOptions(threads=threads, method=method).highs_options(integer=False).items():
        h.setOptionValue(k, val)
    f1, f2 = _vector(spec["f1"], d, v), _vector(spec["f2"], d, v)
    extra = [highs.objective(d, v, tie)] if kind == "worst-cost" else []
    posts = np.arange(v.n)[v.span("x")]  # the columns of x

    st_a, col_a = _lexicographic(h, [f1, f2, *extra])
    st_b, col_b = _lexicographic(h, [f2, f1, *extra])
    if col_a is None or col_b is None:
        raise RuntimeError(f"{inst.name}: the ends of the frontier did not solve ({st_a}, {st_b})")
    lo, hi = float(f2 @ col_b), float(f2 @ col_a)
    hi = max(hi, lo)

    nz = np.flatnonzero(f2)
    h.addRow(-highspy.kHighsInf, hi, len(nz), nz.astype(np.int32), f2[nz])
    row = h.getNumRow() - 1
    built.build_seconds = 0.0  # the points share one build: no point's result is charged for it
    rows, results = [], []
    for i, eps in enumerate(np.linspace(lo, hi, points)):
        slack = 1e-9 * max(1.0, abs(eps))  # the end points themselves, within round-off
        h.changeRowBounds(row, -highspy.kHighsInf, float(eps) + slack)
        status, col = _lexicographic(h, [f1, f2, *extra])
        rec = {"frontier": kind, "point": i, "epsilon": float(eps), "status": status, "f1": np.nan, "f2": np.nan}
        raw = RawSolution(status=status)
        if col is not None and status == "optimal":  # one answer at each point (docs/model.md §6b)
            try:
                col = tiebreak.on_objective_rows(h, [f1, f2, *extra], col, posts, d.target_bar).columns
                raw.tie_break = tiebreak.LEAST_SQUARES
            except tiebreak.TieBreakError:
                raw.tie_break = tiebreak.NONE
        if col is not None:
            first, second = float(f1 @ col), float(f2 @ col)
            rec["f1"], rec["f2"] = first, second
            raw.x = col[posts].reshape(d.shape)
            raw.objective = first
        built.spec = tie.model_copy(update={"name": f"pareto:{kind}[{i}]"})  # the point's result names it
        res = built.assemble(raw)
        rec.update(_measures(res.kpis))
        if d.pipeline is not None:
            rec["supply_gap_total"] = float(res.supply_kpis["supply_gap"].sum()) if len(res.supply_kpis) else np.nan
        if d.scenarios is not None:  # §12: recomputed from the posts
            rec["risk"] = np.nan if res.risk is None else float(res.risk)
        if check and res.status == "optimal":
            report = run_check(inst, res.to_dict())
            rec["check_ok"], rec["violations"] = bool(report.ok), len(report.violations)
        else:
            rec["check_ok"], rec["violations"] = (None, None) if not check else (False, 0)
        rec["end"] = f"min {spec['f2']}" if i == 0 else f"min {spec['f1']}" if i == points - 1 else ""
        rows.append(rec)
        results.append(res)
    table = pd.DataFrame(rows)
    table.attrs.update({"frontier": kind, "x": spec["x"], "y": spec["y"]})
    return (table, results) if with_results else table


def _measures(kpis: pd.DataFrame) -> dict[str, float]:
    if not len(kpis):
        keys = ("gap_posts_total", "posts_moved_total", "cost_total", "max_shortfall_pct", "gap_closed_pct", "gini")
        return dict.fromkeys(keys, np.nan)
    return {
        "gap_posts_total": float(kpis["gap_posts"].sum()),
        "posts_moved_total": float(kpis["posts_moved"].sum()),
        "cost_total": float(kpis["cost"].sum()),
        "max_shortfall_pct": float(kpis["max_shortfall_pct"].max()),
        "gap_closed_pct": float(kpis["gap_closed_pct"].iloc[-1]),
        "gini": float(kpis["gini"].iloc[-1]),
    }


def frontier_plot(df: pd.DataFrame, path: str | Path | None = None, title: str | None = None):
    """Plot a frontier table (from :func:`frontier`): the second objective across, the first
    up, one marker per verified point. Writes ``path`` as PNG and SVG (the suffix is
    replaced) when given; returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    from allocator.study.store import save_figure

    kind = df.attrs.get("frontier") or df["frontier"].iloc[0]
    spec = KINDS[kind]
    ok = df[df["status"] == "optimal"].sort_values("epsilon")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ok[spec["x"]], ok[spec["y"]], "-o", color="tab:blue", markersize=4)
    for _, r in ok[ok["end"] != ""].iterrows():
        xy = (r[spec["x"]], r[spec["y"]])
        ax.annotate(r["end"], xy, textcoords="offset points", xytext=(8, 0), va="center", fontsize=8)
    ax.set_xlabel(spec["xlabel"])
    ax.set_ylabel(spec["ylabel"])
    ax.set_title(title or f"Pareto frontier: {kind}")
    ax.grid(True, alpha=0.3)
    if path is not None:
        save_figure(fig, path)
        plt.close(fig)
    return fig
