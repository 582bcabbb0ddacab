"""Sweeps: many weightings × scenarios of one instance, solved on Dask with warm starts.

A sweep answers "what happens to the measures as the weights (or the world) change?" by
solving one instance under every combination of a weight grid and a list of scenarios::

    from allocator.study.sweep import Scenario, sweep
    runs = sweep("instances/england-regions-2025.json",
                 {"moves": [0.01, 0.1, 1.0], "worst_shortfall": [0, 10]},      # 6 weightings
                 scenarios=[Scenario("baseline"), Scenario("growth", {"national_scale": 1.05})],
                 out="out/sweep")                                               # Parquet store
    runs[["scenario", "w_moves", "w_worst_shortfall", "status", "gap_closed_pct"]]

Runs
----
Each run is one (scenario, weighting, backend). It keeps the hash of its inputs (sha256 of
the scenario's instance JSON, the scenario name, the model's weights and ``[solve]`` options,
and the backend), the scenario, model name and weights, status, objective, the §8 measures
per year and the allocation. :func:`sweep` returns one row per run (the ``runs`` table of
:mod:`allocator.study.store`, plus ``from_store``); with ``out`` everything is also written to the
Parquet store there, and :func:`allocator.study.store.load_sweep` reads it back.

Warm starts
-----------
Runs of one scenario differ only in their objective weights, so they share one built HiGHS
model (:func:`solve_weightings`): the first solve uses interior point with crossover (which
leaves an optimal basis); each later one changes the column costs in place
(:meth:`~allocator.model.backends.highs.HighsModel.set_objective`) and restarts primal simplex from
the previous optimal basis, which stays primal feasible when only costs change. Weightings
are visited in nearest-neighbour order (in log-weight space; :func:`warm_order`) so each
restart is short. A warm solve that runs longer than half the first solve is stopped and
finished by interior point; one that ends neither optimal nor stopped is repeated cold.
Integer (MIP) models and the ``pyomo`` and ``pulp`` backends are solved cold, one build per
run.

A warm-started run reaches the same optimum as a cold solve (the tests and
``benchmarks/warm_start.py`` check the objective to 1e-6 relative). Where several allocations
are optimal, which one a run returns may depend on where its solve started (the order and
the chunking of the sweep): a measure the weights do not price, such as the worst shortfall
when ``worst_shortfall = 0``, is then one possible value, not a property of the weighting.

Dask
----
By default a ``distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``
runs the sweep, one HiGHS thread per run. It listens on 127.0.0.1 only: scheduler, workers,
nannies and dashboards (each on a free port, so several sweeps can share a machine);
``dashboard=False`` (``--no-dashboard``) serves no dashboard at all. Dask has no
authentication, so another machine must not reach it: to use other machines, start a
cluster yourself and give its address. ``scheduler="tcp://HOST:PORT"`` sends the same sweep to an
existing cluster (an unreachable one is reported within seconds); ``client=``
uses a client you already have.

Each task is one *warm chain* (:mod:`allocator.study.chains`): contiguous runs of one
scenario's warm-start order, solved in one process on one model (:func:`solve_weightings`),
the first cold. With ``W`` worker threads on the client (all its workers' threads when the
sweep starts) the runs are cut into ``W`` pieces (with more scenarios than threads, the next
multiple of ``W``: at least one per scenario, each further one to the scenario whose pieces
are longest), a scenario's pieces differing in length by at most one run. Neighbouring
pieces are taken in pairs: the two chains of a pair start at the two ends of their segment
and claim its runs one at a time until they meet, so a chain held up by a slow run (a warm
start that fell back to interior point) leaves the rest of the segment to its partner, and
every run is solved once. Each chain is pinned to a worker thread, longest first, to the
thread with the least work so far (Dask may move it if that worker is lost). So with one
scenario every thread runs one chain and pays one cold start. ``chunk_size`` fixes the runs
per chain instead (no pairs). Results stream back as tasks finish
(``distributed.as_completed``) with a progress bar.

A run whose optimal face equals one of a recent run's in the same process takes that run's
§6b tie-break instead of solving the QP again (the same face is the same QP, detected
exactly by a digest of its arrays: :mod:`allocator.model.face_cache`); the runs table says
so in ``tie_break_reused`` and the run's message. A run that fails is
recorded with status ``error`` and its message; the sweep goes on. With ``out`` and
``resume=True`` (the default) runs whose hash is already in the store are not solved again
(runs recorded as ``error`` are retried), so an interrupted sweep is resumed by running it
again.

Grid files (``GRID.toml``)
--------------------------
The ``allocator sweep`` command reads the weightings and scenarios from a TOML file::

    [base]
    model = "models/fair-share.toml"   # optional; default: the default model (fair-share).
                                       # A relative path is tried beside the grid file, then
                                       # from the current folder.
    [grid]                             # required: at least one weight with at least one value
    moves = [0.01, 0.1, 1.0]           # weight name = list of values (a single number is a
    worst_shortfall = [0, 10]          # list of one); every combination is run (product)

    [[scenario]]                       # optional, repeatable; none = one scenario "baseline"
    name = "faster-growth"             # required, unique
    description = "…"                  # optional
    population_scale = 1.02            # × population in every planning year
    population_growth = {london = 0.01, midlands = 0.005}   # × (1 + g)^(year − baseline_year)
                                       # (growth rate g; a region not in the table: 0)
    capacity_scale = 0.9               # × every max_posts (a min_posts above it is lowered to it)
    national_scale = 1.05              # × every national total N[s,t]

Weight names are those of a model file's ``[objective]``: ``shortfall``, ``surplus``,
``moves``, ``cost``, ``worst_shortfall``; values are numbers ≥ 0. Each scenario change is a
number ≥ 0 (applied to everything) or a table of factors by id: region ids for
``population_*`` and ``capacity_scale``, specialty ids for ``national_scale``; an id absent
from a table keeps factor 1 (growth 0). A uniform ``population_scale`` does not move fair shares (they
are shares of need), only posts per 100,000; differential growth does. A bad grid (unknown
key or weight, a negative or non-numeric value, an empty grid, a scenario without a name or
with an id the instance does not have) raises :class:`GridError`, whose message names the
file and the key, e.g. ``grid.toml: grid.movs: unknown weight (known: shortfall, …)``; the
command exits 2.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData, problem_data
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec
from allocator.io.instance import as_instance
from allocator.model import face_cache
from allocator.model.backends.base import SolveOptions
from allocator.pipeline.steps import error_text
from allocator.study.chains import assign_chains, claims, forget, plan_chains, worker_slots
from allocator.study.grids import Grid, _models, run_hash
from allocator.study.scenarios import SUMMARY, WEIGHTS, Scenario, SchedulerError, _scenarios
from allocator.study.warm import solve_weightings, warm_order

# ------------------------------------------------------------------------------ runs and tasks


def _summary(kpis: pd.DataFrame) -> dict[str, float]:
    """The runs table's measures: final-year gap, gap closed and Gini; worst shortfall over
    all years; posts moved and cost summed over the years."""
    if kpis is None or not len(kpis):
        return dict.fromkeys(SUMMARY, np.nan)
    last = kpis.iloc[-1]
    return {
        "gap_posts": float(last["gap_posts"]),
        "gap_closed_pct": float(last["gap_closed_pct"]),
        "gini": float(last["gini"]),
        "max_shortfall_pct": float(kpis["max_shortfall_pct"].max()),
        "posts_moved": float(kpis["posts_moved"].sum()),
        "cost": float(kpis["cost"].sum()),
    }


def _solve_group(task: dict) -> list[dict]:
    """A Dask task: one warm chain of one scenario's weightings (with ``shared``, the runs it
    claims from its end of a segment shared with another chain: :func:`~allocator.study.chains.claims`).

    Returns one plain dict per run: hash, status, objective, message, warm_start,
    tie_break_reused, solve_seconds, timings, kpis (records) and x (the (R, S, Y) posts, or None).
    """
    d, specs = task["data"], task["specs"]
    out = []
    order = claims(task["shared"], task["forward"]) if task.get("shared") else range(len(specs))
    hits = face_cache.hits()  # the generator runs in this thread: hits between two runs are the later run's
    for i, res, warm in solve_weightings(d, specs, task["options"], backend=task["backend"], order=order):
        reused, hits = face_cache.hits() > hits, face_cache.hits()
        x = None
        if len(res.allocation):
            x = res.posts_array(d)
        out.append(
            {
                "hash": task["hashes"][i],
                "status": res.status,
                "objective": res.objective,
                "message": (res.diagnosis or {}).get("summary") or res.message,
                "error": res.message if res.status == "error" else None,
                "warm_start": warm,
                "tie_break_reused": reused,
                "solve_seconds": res.solve_seconds,
                "timings": dict(res.timings),
                "instance_sha256": (res.inputs or {}).get("instance_sha256"),
                "kpis": res.kpis.to_dict(orient="records") if len(res.kpis) else [],
                "supply_kpis": res.supply_kpis.to_dict(orient="records") if len(res.supply_kpis) else [],
                "x": x,
            }
        )
    return out


@dataclass
class _Run:
    hash: str
    scenario: str
    spec: ModelSpec


@dataclass
class _Plan:
    scenario: Scenario
    instance: Instance | None
    error: str | None
    runs: list[_Run]
    data: ProblemData | None = None

    def problem(self) -> ProblemData:
        if self.data is None:
            assert self.instance is not None, self.error  # a plan whose instance failed has no runs to solve
            self.data = problem_data(self.instance)
        return self.data


def _run_row(run: _Run, backend: str, instance: str, rec: dict) -> dict:
    w = run.spec.objective
    row = {
        "hash": run.hash,
        "run_id": uuid.uuid4().hex,
        "scenario": run.scenario,
        "model": run.spec.name,
        "backend": backend,
        "integer": bool(run.spec.solve.integer),
        **{f"w_{k}": float(getattr(w, k)) for k in WEIGHTS},
        "status": rec["status"],
        "objective": rec.get("objective"),
    }
    row.update(_summary(pd.DataFrame(rec.get("kpis") or [])))
    supply = rec.get("supply_kpis") or []  # §10: the last assessed year
    row.update({m: float(supply[-1][m]) if supply else np.nan for m in ("supply_gap", "supply_gini")})
    row.update(
        {
            "warm_start": bool(rec.get("warm_start", False)),
            "tie_break_reused": bool(rec.get("tie_break_reused", False)),
            "solve_seconds": float(rec.get("solve_seconds") or 0.0),
            "message": rec.get("message") or "",
            "error": rec.get("error"),
            "instance": instance,
            "finished_at": pd.Timestamp(datetime.now(UTC)),
            "instance_sha256": rec.get("instance_sha256"),
            **{f"time_{k}": float(v) for k, v in (rec.get("timings") or {}).items()},
        }
    )
    return row


def _frames(plan: _Plan, backend: str, recs: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Worker records → the rows of runs, measures and allocations."""
    from allocator.pipeline.steps import allocation_frame
    from allocator.study.store import conform, empty

    by_hash = {r.hash: r for r in plan.runs}
    name = plan.instance.name if plan.instance is not None else ""
    runs, meas, allocs = [], [], []
    for rec in recs:
        run = by_hash[rec["hash"]]
        row = _run_row(run, backend, name, rec)
        runs.append(row)
        keys = {"run_id": row["run_id"], "hash": run.hash, "scenario": run.scenario, "model": run.spec.name}
        if rec.get("kpis"):
            k = pd.DataFrame(rec["kpis"])
            for c, v in keys.items():
                k[c] = v
            meas.append(k)
        if rec.get("x") is not None:
            d = plan.problem()
            a = allocation_frame(d, np.asarray(rec["x"], float))
            a["baseline"] = np.repeat(d.baseline.reshape(-1), len(d.years))
            for c, v in keys.items():
                a[c] = v
            allocs.append(a)
    runs_df = conform(pd.DataFrame(runs), "runs") if runs else empty("runs")
    meas_df = conform(pd.concat(meas, ignore_index=True), "measures") if meas else empty("measures")
    alloc_df = conform(pd.concat(allocs, ignore_index=True), "allocations") if allocs else empty("allocations")
    return runs_df, meas_df, alloc_df


def _error_records(runs: list[_Run], message: str) -> list[dict]:
    return [{"hash": r.hash, "status": "error", "message": message, "error": message} for r in runs]


def check_scheduler(address: Any) -> str:
    """A Dask scheduler address as ``tcp://HOST:PORT``; :class:`SchedulerError` otherwise.

    Only TCP is accepted (``HOST:PORT`` means TCP too), and ``inproc://`` (a scheduler in
    this same process, as in tests): other Dask protocols need packages or certificates this
    tool does not set up (``ucx://`` the ucx-py package, ``tls://`` certificates).
    """
    from urllib.parse import urlsplit

    text = address.strip() if isinstance(address, str) else ""
    if not text:
        raise SchedulerError(f"--scheduler {address!r}: give the address of a Dask scheduler, tcp://HOST:PORT")
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme == "inproc" and text.split("://", 1)[1] and not any(c.isspace() for c in text):
            return text
        if scheme != "tcp":
            raise SchedulerError(
                f"--scheduler {address!r}: only tcp://HOST:PORT is supported, not {scheme}:// "
                "(give the scheduler's TCP address, e.g. tcp://127.0.0.1:8786)"
            )
        text = text.split("://", 1)[1]
    bad = SchedulerError(
        f"--scheduler {address!r}: not an address of the form tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786)"
    )
    try:
        parts = urlsplit("tcp://" + text)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise bad from None
    if not host or port is None or not 0 < port < 65536 or parts.path or parts.query or parts.fragment:
        raise bad
    if parts.username is not None or any(c.isspace() for c in text):
        raise bad
    return f"tcp://{text}"


# The local cluster of a sweep listens on this interface only (scheduler, workers, nannies
# and dashboards): Dask has no authentication, so nothing is reachable from other machines.
LOCAL_HOST = "127.0.0.1"


def _connect(client, scheduler: str | None, dashboard: bool = True):
    """The client to use, and what to close afterwards."""
    if client is not None:
        return client, []
    from distributed import Client, LocalCluster

    if scheduler:
        address = check_scheduler(scheduler)
        try:
            c = Client(address, timeout="5s")
        except (OSError, TimeoutError, ValueError) as err:
            raise SchedulerError(f"cannot reach the Dask scheduler at {address} (waited 5 s): {err}") from None
        return c, [c]
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host=LOCAL_HOST,
        dashboard_address=f"{LOCAL_HOST}:0" if dashboard else None,
    )
    c = Client(cluster)
    return c, [c, cluster]


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]sweep[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )


def sweep(
    instance: Instance | str | Path,
    models: Sequence[ModelSpec] | Mapping[str, Sequence[float]] | Grid,
    scenarios: Sequence[Scenario | Mapping] | None = None,
    backend: str = "highs",
    client=None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = True,
    progress: bool = True,
    *,
    base: ModelSpec | None = None,
    options: SolveOptions | None = None,
    chunk_size: int | None = None,
    dashboard: bool = True,
) -> pd.DataFrame:
    """Solve ``instance`` under every model × scenario on Dask; return one row per run.

    Parameters
    ----------
    instance : Instance or path
        The instance (JSON, workbook or CSV folder).
    models : list of ModelSpec (or model file paths), a weight grid, or a :class:`Grid`
        A weight grid ``{"moves": [0.01, 0.1], "worst_shortfall": [0, 10]}`` is expanded as
        a product over ``base`` (default: the default model).
    scenarios : list of :class:`Scenario` (or dicts with ``name`` and changes), optional
        Default: one scenario ``baseline`` (the instance as it is).
    backend : str
        ``highs`` (warm starts), ``pyomo`` or ``pulp``.
    client : distributed.Client, optional
        Use this client. Otherwise ``scheduler`` or a new local cluster (module docstring).
    scheduler : str, optional
        Address of an existing scheduler, ``tcp://HOST:PORT``; :class:`SchedulerError` if it
        cannot be reached within 5 s.
    out : path, optional
        Folder of the Parquet store (:mod:`allocator.study.store`), written as runs finish.
    resume : bool
        Skip runs whose hash is already in the store at ``out`` (except ``error`` runs);
        ``False`` clears the store first.
    progress : bool
        Show a progress bar (rich, on stderr).
    base : ModelSpec, optional
        The model a weight grid is expanded over.
    options : SolveOptions, optional
        HiGHS options per run; default one thread, interior point for the first solve.
    chunk_size : int, optional
        Runs per task (warm chain). Default: one chain per worker thread (module docstring, Dask).
    dashboard : bool
        Serve the local cluster's Dask dashboard (on 127.0.0.1, a free port). The local
        cluster listens on 127.0.0.1 only (:data:`LOCAL_HOST`).

    Returns
    -------
    pandas.DataFrame
        The ``runs`` table of :mod:`allocator.study.store` for the requested runs, in scenario ×
        model order, with ``from_store`` True for runs taken from the store. Without
        ``out``, ``.attrs["measures"]`` and ``.attrs["allocations"]`` hold the other tables.
    """
    from allocator.model.backends import BACKENDS
    from allocator.study.store import Store, empty

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend '{backend}' (choose one of: {', '.join(BACKENDS)})")
    inst = as_instance(instance)
    specs = _models(models, base)
    if isinstance(models, Grid) and scenarios is None:
        scenarios = models.scenarios
    scens = _scenarios(scenarios)
    options = options or SolveOptions(threads=1)
    store = Store(out) if out is not None else None
    if store is not None and not resume:
        store.clear()

    plans: list[_Plan] = []
    seen: set[str] = set()
    for sc in scens:
        try:
            inst_s, error = sc.apply(inst), None
        except Exception as err:  # the scenario itself fails: its runs are recorded as errors
            inst_s, error = None, f"scenario '{sc.name}' failed: {error_text(err)}"
        inst_dict = (inst_s or inst).to_dict()
        runs = []
        for spec in specs:
            h = run_hash(inst_dict, sc.name, spec, backend)
            if h not in seen:
                seen.add(h)
                runs.append(_Run(h, sc.name, spec))
        plans.append(_Plan(sc, inst_s, error, runs))

    stored = store.runs() if (store is not None and resume) else empty("runs")
    done = set(stored.loc[stored["status"] != "error", "hash"]) if len(stored) else set()
    todo = [(p, [r for r in p.runs if r.hash not in done]) for p in plans]
    n_todo = sum(len(rs) for _, rs in todo)

    new_runs, new_meas, new_alloc = [], [], []

    def record(plan: _Plan, recs: list[dict]):
        frames = _frames(plan, backend, recs)
        if store is not None:
            store.append(*frames)
        if len(frames[0]):
            new_runs.append(frames[0])
        if store is None:
            new_meas.append(frames[1])
            new_alloc.append(frames[2])
        return len(recs)

    with _progress(progress and n_todo > 0) as bar:
        task_id = bar.add_task("", total=n_todo)
        work = []
        for plan, runs in todo:
            if not runs:
                continue
            if plan.error is not None:
                bar.advance(task_id, record(plan, _error_records(runs, plan.error)))
                continue
            order = warm_order([r.spec for r in runs])
            work.append((plan, [runs[i] for i in order]))
        if work:
            cl, to_close = _connect(client, scheduler, dashboard)
            futures, chains = {}, []
            try:
                slots = worker_slots(cl)
                chains = plan_chains(work, len(slots), chunk_size, cl)
                where = assign_chains([c.expected for c in chains], len(slots))
                # per segment (or lone chain): [its tasks not finished, its runs not reported, why a task failed]
                pending: dict[Any, list] = {}
                for k in sorted(range(len(chains)), key=lambda k: -chains[k].expected):  # longest first
                    ch = chains[k]
                    task = {
                        "data": ch.plan.problem(),  # computed once per scenario, not per task
                        "specs": [r.spec for r in ch.runs],
                        "hashes": [r.hash for r in ch.runs],
                        "backend": backend,
                        "options": options,
                        "shared": ch.shared,
                        "forward": ch.forward,
                    }
                    # each chain on its own worker thread; Dask may still move it if that worker is lost
                    pin = {"workers": [slots[where[k]]], "allow_other_workers": True} if slots else {}
                    fut = cl.submit(_solve_group, task, pure=False, **pin)
                    futures[fut] = ch
                    key = ch.shared or id(ch)
                    left = pending.setdefault(key, [0, {r.hash: r for r in ch.runs}, None])
                    left[0] += 1
                from distributed import as_completed

                for fut in as_completed(list(futures)):
                    ch = futures.pop(fut)
                    left = pending[ch.shared or id(ch)]
                    left[0] -= 1
                    try:
                        recs = fut.result()
                    except Exception as err:  # the whole task failed (e.g. a worker died)
                        recs, left[2] = [], f"task failed: {error_text(err)}"
                    for rec in recs:
                        left[1].pop(rec["hash"], None)
                    if left[0] == 0 and left[1]:  # runs no chain of the segment reported
                        recs = recs + _error_records(list(left[1].values()), left[2] or "task ended without this run")
                    bar.update(task_id, description=f"{ch.plan.scenario.name}")
                    bar.advance(task_id, record(ch.plan, recs))
            finally:
                for fut in list(futures):
                    fut.cancel()
                forget(cl, chains)
                for obj in to_close:
                    obj.close()

    if store is not None and n_todo:
        store.compact()
    fresh = pd.concat(new_runs, ignore_index=True) if new_runs else empty("runs")
    fresh["from_store"] = False
    old = stored[stored["hash"].isin(done)].copy() if len(stored) else empty("runs")
    old["from_store"] = True
    parts = [f for f in (fresh, old) if len(f)]
    result = pd.concat(parts, ignore_index=True) if parts else fresh
    rank = {r.hash: i for i, r in enumerate(r for p in plans for r in p.runs)}
    if len(result):
        result = result[result["hash"].isin(rank)]
        result = result.sort_values("hash", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)
    if store is None:
        result.attrs["measures"] = pd.concat(new_meas, ignore_index=True) if new_meas else empty("measures")
        result.attrs["allocations"] = pd.concat(new_alloc, ignore_index=True) if new_alloc else empty("allocations")
    return result
