"""Sweeps: many weightings × scenarios of one instance, solved on Dask with warm starts.

A sweep answers "what happens to the measures as the weights (or the world) change?" by
solving one instance under every combination of a weight grid and a list of scenarios::

    from allocator.sweep import Scenario, sweep
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
:mod:`allocator.store`, plus ``from_store``); with ``out`` everything is also written to the
Parquet store there, and :func:`allocator.store.load_sweep` reads it back.

Warm starts
-----------
Runs of one scenario differ only in their objective weights, so they share one built HiGHS
model (:func:`solve_weightings`): the first solve uses interior point with crossover (which
leaves an optimal basis); each later one changes the column costs in place
(:meth:`~allocator.backends.highs.HighsModel.set_objective`) and restarts primal simplex from
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
uses a client you already have. All weightings of one scenario go to one task (or to a few
contiguous chunks of the warm-start order, so that every worker has work); results stream
back as tasks finish (``distributed.as_completed``) with a progress bar. A run that fails is
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

import difflib
import hashlib
import itertools
import json
import math
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from .backends.base import SolveOptions
from .data import ProblemData, problem_data
from .instance import Instance, InstanceError, _known, load_instance, validate
from .result import KPI_COLUMNS, Result
from .spec import DEFAULT_MODEL, ModelSpec, Objective, load_model

__all__ = [
    "WEIGHTS",
    "Grid",
    "GridError",
    "Scenario",
    "SchedulerError",
    "check_scheduler",
    "count_runs",
    "expand_grid",
    "load_grid",
    "parse_grid",
    "run_hash",
    "solve_weightings",
    "sweep",
    "warm_order",
]

WEIGHTS = tuple(Objective.model_fields)  # shortfall, surplus, moves, cost, worst_shortfall
SCENARIO_CHANGES = ("population_scale", "population_growth", "capacity_scale", "national_scale")
SCENARIO_KEYS = ("name", "description", *SCENARIO_CHANGES)
BASELINE = "baseline"
# at most this many runs (weightings × scenarios) per sweep unless asked for more: a grid's
# size is counted before it is expanded (5 weights × 40 values would be 10^8 runs)
MAX_RUNS = 10_000
MAX_GRID_BYTES = 5_000_000
SUMMARY = tuple(KPI_COLUMNS[1:])  # the measures of allocator.measures.kpis, after the year


class GridError(InstanceError):
    """A malformed grid file or weight grid; the message names the file and the key."""


class SchedulerError(RuntimeError):
    """The Dask scheduler given by ``scheduler=`` cannot be reached."""


# ------------------------------------------------------------------------------ scenarios


def _factor_problems(where: str, value: Any) -> list[tuple[str, str]]:
    """A change must be a number ≥ 0 or a table of such numbers."""
    if isinstance(value, Mapping):
        out = []
        for k, v in value.items():
            out += _factor_problems(f"{where}.{k}", v)
        return out
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return [(where, f"must be a number ≥ 0 or a table of them by id (got {value!r})")]
    return []


@dataclass(frozen=True)
class Scenario:
    """A named variant of the instance.

    Parameters
    ----------
    name : str
        The scenario's name (unique within a sweep).
    changes : mapping, callable or None
        ``None``: the instance as it is. A callable: ``Instance -> Instance`` (or a dict that
        validates to one). A mapping with any of ``population_scale`` (× population in every
        planning year), ``population_growth`` (× ``(1 + g)^(year − baseline_year)``, a
        population projection), ``capacity_scale`` (× every ``max_posts``) and
        ``national_scale`` (× every national total); each a number, or a mapping of factors
        by region id (population, capacity) or specialty id (national).
    description : str, optional
        Free text.
    """

    name: str
    changes: Mapping[str, Any] | Callable[[Instance], Instance] | None = None
    description: str | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("a scenario needs a non-empty name")
        if isinstance(self.changes, Mapping):
            problems = [(k, "unknown change") for k in self.changes if k not in SCENARIO_CHANGES]
            for k in SCENARIO_CHANGES:
                if k in self.changes:
                    problems += _factor_problems(k, self.changes[k])
            if problems:
                raise ValueError(
                    f"scenario '{self.name}': "
                    + "; ".join(f"{w}: {m}" for w, m in problems)
                    + f" (changes: {', '.join(SCENARIO_CHANGES)})"
                )

    def check(self, inst: Instance) -> list[tuple[str, str]]:
        """Ids in the change tables that the instance does not have, as ``(key, message)``."""
        if not isinstance(self.changes, Mapping):
            return []
        known = {
            "population_scale": inst.region_ids,
            "population_growth": inst.region_ids,
            "capacity_scale": inst.region_ids,
            "national_scale": inst.specialty_ids,
        }
        problems = []
        for key, value in self.changes.items():
            if isinstance(value, Mapping):
                kind = "specialty" if key == "national_scale" else "region"
                for k in value:
                    if k not in known[key]:
                        problems.append((f"{key}.{k}", f"unknown {kind} '{k}' {_known(known[key])}"))
        return problems

    def apply(self, inst: Instance) -> Instance:
        """The instance under this scenario (validated)."""
        if self.changes is None:
            return inst
        if callable(self.changes):
            out = self.changes(inst)
            if isinstance(out, dict):
                out = validate(out, source=f"{inst.name} [scenario {self.name}]")
            if not isinstance(out, Instance):
                raise TypeError(f"scenario '{self.name}': the function must return an Instance or a dict")
            return out
        problems = self.check(inst)
        if problems:
            raise ValueError(f"scenario '{self.name}': " + "; ".join(f"{w}: {m}" for w, m in problems))
        return _apply_changes(inst, self.changes, self.name)


def _factors(value: Any, ids: list[str], default: float = 1.0) -> np.ndarray:
    """A number or a table by id → one value per id (``default`` for an id not in the table)."""
    if isinstance(value, Mapping):
        return np.array([float(value.get(i, default)) for i in ids])
    return np.full(len(ids), float(value))


def _apply_changes(inst: Instance, changes: Mapping[str, Any], name: str) -> Instance:
    d = problem_data(inst)
    data = inst.to_dict()
    years = np.array(d.years)
    if "population_scale" in changes or "population_growth" in changes:
        pop = d.population.copy()  # (R, Y) with every default filled in
        if "population_scale" in changes:
            pop *= _factors(changes["population_scale"], d.regions)[:, None]
        if "population_growth" in changes:
            g = _factors(changes["population_growth"], d.regions, default=0.0)
            pop *= (1.0 + g[:, None]) ** (years - d.baseline_year)[None, :]
        data["population_by_year"] = [
            {"region": r, "year": int(t), "population": float(pop[i, j])}
            for i, r in enumerate(d.regions)
            for j, t in enumerate(d.years)
        ]
    if "capacity_scale" in changes:
        f = dict(zip(d.regions, _factors(changes["capacity_scale"], d.regions), strict=True))
        caps = []
        for c in data.get("capacity", []):
            c = dict(c)
            if c.get("max_posts") is not None:
                c["max_posts"] = float(c["max_posts"]) * f[c["region"]]
                c["min_posts"] = min(float(c.get("min_posts", 0.0)), c["max_posts"])
            caps.append(c)
        data["capacity"] = caps
    if "national_scale" in changes:
        nat = d.national * _factors(changes["national_scale"], d.specialties)[:, None]  # (S, Y)
        data["national_posts"] = [
            {"specialty": s, "year": int(t), "posts": float(nat[j, k])}
            for j, s in enumerate(d.specialties)
            for k, t in enumerate(d.years)
        ]
    return validate(data, source=f"{inst.name} [scenario {name}]")


def _scenarios(scenarios: Sequence[Scenario | Mapping] | None) -> list[Scenario]:
    if not scenarios:
        return [Scenario(BASELINE)]
    out = []
    for s in scenarios:
        if isinstance(s, Mapping):
            s = dict(s)
            name = s.pop("name", None)
            desc = s.pop("description", None)
            s = Scenario(name, s or None, desc)
        out.append(s)
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"scenario names must be unique: {', '.join(dup)}")
    return out


# ------------------------------------------------------------------------------ weight grids


def _unknown(key: str, known: Sequence[str], what: str = "key") -> str:
    """'unknown weight (known: …); did you mean `moves`?'."""
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    return f"unknown {what} (known: {', '.join(known)}){hint}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _grid_problems(grid: Mapping[str, Any], prefix: str = "grid") -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not isinstance(grid, Mapping):
        return [(prefix, f"must be a table of weights, e.g. [grid] moves = [0.01, 0.1] (got {_shown(grid)})")]
    if not grid:
        return [(prefix, "the grid is empty: name at least one weight with a list of values, e.g. moves = [0.01, 0.1]")]
    for name, values in grid.items():
        where = f"{prefix}.{name}"
        if name not in WEIGHTS:
            problems.append((where, _unknown(name, WEIGHTS, "weight")))
            continue
        vals = values if isinstance(values, list | tuple) else [values]
        if not vals:
            problems.append((where, "empty list of values"))
        for i, v in enumerate(vals):
            if isinstance(v, bool) or not isinstance(v, int | float):
                problems.append((f"{where}[{i}]", f"must be a number (got {_shown(v)})"))
            elif not math.isfinite(v) or v < 0:
                problems.append((f"{where}[{i}]", f"weights are numbers ≥ 0 (got {v!r})"))
            else:  # any further limit a model file has applies to a grid too
                try:
                    Objective.model_validate({name: v})
                except ValidationError as err:
                    msg = err.errors()[0]["msg"] if err.errors() else str(err)
                    problems.append((f"{where}[{i}]", f"{msg} (got {v!r})"))
        if len(problems) > 50:
            break
    return problems


def count_runs(grid: Mapping[str, Any], scenarios: int = 1) -> int:
    """How many runs a weight grid gives over ``scenarios`` scenarios (the product of its list
    lengths), computed without expanding it."""
    n = max(1, scenarios)
    for values in grid.values():
        n *= len(values) if isinstance(values, list | tuple) else 1
    return n


def _runs_problem(grid: Mapping[str, Any], scenarios: int, max_runs: int | None, where: str = "grid"):
    """``(where, message)`` when the grid gives more than ``max_runs`` runs, else None."""
    if max_runs is None or not isinstance(grid, Mapping):
        return None
    n = count_runs(grid, scenarios)
    if n <= max_runs:
        return None
    sizes = " × ".join(str(len(v) if isinstance(v, list | tuple) else 1) for v in grid.values())
    sc = f" × {scenarios} scenarios" if scenarios > 1 else ""
    return (
        where,
        f"expands to {n:,} runs ({sizes} values{sc}), more than the limit of {max_runs:,} runs: "
        "use fewer values, or raise the limit (--max-runs)",
    )


def expand_grid(
    base: ModelSpec,
    grid: Mapping[str, Sequence[float] | float],
    source: str = "<grid>",
    max_runs: int | None = MAX_RUNS,
) -> list[ModelSpec]:
    """Every combination of the grid's weight values over ``base`` (a product, in grid order).

    Each model is named ``base(name=value, …)``; raises :class:`GridError` on an unknown,
    negative or non-numeric weight, an empty grid, or one of more than ``max_runs``
    combinations (counted before expanding; None: no limit).
    """
    problems = _grid_problems(grid)
    if not problems:
        too_many = _runs_problem(grid, 1, max_runs)
        problems = [too_many] if too_many else []
    if problems:
        raise GridError(source, problems)
    names = list(grid)
    lists = [list(v) if isinstance(v, list | tuple) else [v] for v in grid.values()]
    out = []
    for combo in itertools.product(*lists):
        weights = {n: float(v) for n, v in zip(names, combo, strict=True)}
        label = ", ".join(f"{n}={v:g}" for n, v in weights.items())
        out.append(base.with_weights(**weights).model_copy(update={"name": f"{base.name}({label})"}))
    return out


@dataclass
class Grid:
    """A parsed grid file: the base model, the weight grid and the scenarios."""

    base: ModelSpec
    weights: dict[str, list[float]]
    scenarios: list[Scenario] = field(default_factory=list)
    source: str = "<grid>"
    max_runs: int | None = MAX_RUNS

    def models(self) -> list[ModelSpec]:
        """The weightings: the product of the grid's values over the base model."""
        return expand_grid(self.base, self.weights, self.source, self.max_runs)

    @property
    def runs(self) -> int:
        """Weightings × scenarios, counted without expanding the grid."""
        return count_runs(self.weights, len(self.scenarios))

    def check(self, inst: Instance) -> None:
        """Raise :class:`GridError` if a scenario names a region or specialty ``inst`` lacks."""
        problems = []
        for i, s in enumerate(self.scenarios):
            problems += [(f"scenario[{i}].{w}", m) for w, m in s.check(inst)]
        if problems:
            raise GridError(self.source, problems)


def parse_grid(
    data: Mapping[str, Any],
    source: str = "<grid>",
    base_dir: Path | None = None,
    max_runs: int | None = MAX_RUNS,
) -> Grid:
    """Validate grid-file data (the module docstring has the format); :class:`GridError` if bad,
    including a grid of more than ``max_runs`` weightings × scenarios (None: no limit)."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, Mapping):
        raise GridError(source, [("", "a grid file is a TOML document of tables [base], [grid], [[scenario]]")])
    for key in data:
        if key not in ("base", "grid", "scenario"):
            problems.append((key, _unknown(key, ("base", "grid", "scenario"))))
    base = DEFAULT_MODEL
    base_tab = data.get("base", {})
    if not isinstance(base_tab, Mapping):
        problems.append(("base", 'must be a table: [base] model = "models/fair-share.toml"'))
        base_tab = {}
    for key in base_tab:
        if key != "model":
            problems.append((f"base.{key}", _unknown(key, ("model",))))
    if "model" in base_tab:
        ref = base_tab["model"]
        if not isinstance(ref, str):
            problems.append(("base.model", f"must be the path of a model file (got {ref!r})"))
        else:
            path = Path(ref)
            if not path.is_absolute() and base_dir is not None and (base_dir / path).exists():
                path = base_dir / path
            try:
                base = load_model(path)
            except InstanceError as err:
                problems.append(("base.model", str(err)))
            except (OSError, UnicodeDecodeError, ValueError) as err:  # a folder, not UTF-8, …
                problems.append(("base.model", f"{path}: cannot read the model file: {_err_text(err)}"))
    if "grid" not in data:
        problems.append(("grid", "missing: name at least one weight, e.g. [grid] moves = [0.01, 0.1]"))
        weights: dict = {}
    else:
        weights = data["grid"]
        raw = data.get("scenario")
        # counted before anything is expanded or checked value by value
        too_many = _runs_problem(weights, len(raw) if isinstance(raw, list) else 1, max_runs)
        problems += [too_many] if too_many else _grid_problems(weights)
    scenarios = []
    raw_sc = data.get("scenario", [])
    if not isinstance(raw_sc, list):
        problems.append(("scenario", "write scenarios as [[scenario]] tables"))
        raw_sc = []
    names: set[str] = set()
    for i, sc in enumerate(raw_sc):
        where = f"scenario[{i}]"
        if not isinstance(sc, Mapping):
            problems.append((where, "must be a table"))
            continue
        bad = [(f"{where}.{k}", _unknown(k, SCENARIO_KEYS)) for k in sc if k not in SCENARIO_KEYS]
        desc = sc.get("description")
        if desc is not None and not isinstance(desc, str):
            bad.append((f"{where}.description", f"must be a string (got {_shown(desc)})"))
        problems += bad
        name = sc.get("name")
        if not isinstance(name, str) or not name:
            problems.append((f"{where}.name", "required: a non-empty string"))
        elif name in names:
            problems.append((f"{where}.name", f"duplicate scenario name '{name}'"))
        else:
            names.add(name)
        ch = {k: sc[k] for k in SCENARIO_CHANGES if k in sc}
        fp = [(f"{where}.{w}", m) for k, v in ch.items() for w, m in _factor_problems(k, v)]
        problems += fp
        if not bad and not fp and isinstance(name, str) and name:
            scenarios.append(Scenario(name, ch or None, sc.get("description")))
    if problems:
        raise GridError(source, problems)
    weights = {k: (list(v) if isinstance(v, list) else [v]) for k, v in weights.items()}
    return Grid(base, {k: [float(x) for x in v] for k, v in weights.items()}, scenarios, source, max_runs)


def load_grid(path: str | Path, max_runs: int | None = MAX_RUNS) -> Grid:
    """Read a ``GRID.toml`` file (format in the module docstring); :class:`GridError` naming
    the file (and the key) if it cannot be read or is not a valid grid."""
    path = Path(path)
    fail = lambda msg: GridError(str(path), [("", msg)])  # noqa: E731
    if path.is_dir():
        raise fail("is a folder, not a grid file")
    try:
        if path.stat().st_size > MAX_GRID_BYTES:
            raise fail(f"larger than {MAX_GRID_BYTES // 1_000_000} MB: not a grid file")
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise fail("no such grid file") from None
    except UnicodeDecodeError as err:
        raise fail(f"not UTF-8 text (byte {err.start}): save the grid file as UTF-8") from None
    except OSError as err:
        raise fail(f"cannot read the grid file: {err.strerror or err}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise fail(f"not valid TOML: {err}") from None
    except RecursionError:
        raise fail("not valid TOML: nested too deeply") from None
    return parse_grid(data, str(path), base_dir=path.parent, max_runs=max_runs)


def _models(models: Sequence[ModelSpec] | Mapping[str, Any] | Grid, base: ModelSpec | None) -> list[ModelSpec]:
    if isinstance(models, Grid):
        return models.models()
    if isinstance(models, Mapping):
        return expand_grid(base or DEFAULT_MODEL, models)
    out = [m if isinstance(m, ModelSpec) else load_model(m) for m in models]
    if not out:
        raise ValueError("no models to sweep")
    return out


# ------------------------------------------------------------------------------ hashing


def run_hash(instance: Instance | Mapping, scenario: str, spec: ModelSpec, backend: str) -> str:
    """sha256 of a run's inputs: the (scenario's) instance JSON, the scenario name, the model's
    weights and ``[solve]`` options, and the backend. The model's name is a label, not an input."""
    inst = instance.to_dict() if isinstance(instance, Instance) else instance
    payload = {
        "instance": inst,
        "scenario": scenario,
        "model": {"objective": spec.objective.model_dump(), "solve": spec.solve.model_dump()},
        "backend": backend,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# ------------------------------------------------------------------------------ warm starts


# How far a step in each weight carries a warm start: worst_shortfall prices one column (z),
# every other weight prices a whole block of cells, so its steps cost far more pivots.
ORDER_SCALE = {"shortfall": 1.0, "surplus": 1.0, "moves": 1.0, "cost": 1.0, "worst_shortfall": 0.05}


def warm_order(specs: Sequence[ModelSpec]) -> list[int]:
    """Indices of ``specs`` in nearest-neighbour order, starting from the first, so that
    consecutive warm starts change the costs as little as possible.

    The distance between two weightings is ``Σ_k scale_k · |log10(w_k + 0.001) −
    log10(w'_k + 0.001)|``, with scale 0.05 for ``worst_shortfall`` (it prices the one column
    ``z``) and 1 for the others (each prices a block of every cell). On a product grid this
    visits the ``worst_shortfall`` values inside each value of the other weights, which
    change the optimum much more (measured: benchmarks/README.md).
    """
    n = len(specs)
    if n <= 2:
        return list(range(n))
    w = np.array([[getattr(s.objective, k) for k in WEIGHTS] for s in specs])
    p = np.log10(w + 1e-3) * np.array([ORDER_SCALE[k] for k in WEIGHTS])
    visited = np.zeros(n, dtype=bool)
    visited[0] = True
    order = [0]
    for _ in range(n - 1):
        dist = np.abs(p - p[order[-1]]).sum(axis=1)
        dist[visited] = np.inf
        nxt = int(np.argmin(dist))  # the first of equally near ones: the lowest index
        order.append(nxt)
        visited[nxt] = True
    return order


def _error_result(d: ProblemData, spec: ModelSpec, backend: str, err: BaseException) -> Result:
    return Result(status="error", instance=d.name, model=spec.name, backend=backend, message=_err_text(err))


def _err_text(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def solve_weightings(
    d: ProblemData,
    specs: Sequence[ModelSpec],
    options: SolveOptions | None = None,
    *,
    backend: str = "highs",
    warm: bool = True,
    order: Sequence[int] | None = None,
    fallback: float | None = 0.5,
) -> Iterator[tuple[int, Result, bool]]:
    """Solve one instance under several weightings; yield ``(index, Result, warm_started)``.

    Parameters
    ----------
    d : ProblemData
        The instance's problem data.
    specs : sequence of ModelSpec
        The weightings; ``index`` in what is yielded refers to this sequence.
    options : SolveOptions, optional
        HiGHS options of every solve (the first, cold one uses ``options.method``).
    backend : str
        ``highs`` warm-starts; ``pyomo`` and ``pulp`` build and solve each run cold.
    warm : bool
        ``False`` builds a fresh model and solves it with ``options.method`` for every run
        (the cold reference).
    order : sequence of int, optional
        Solving order (default :func:`warm_order`).
    fallback : float or None
        A warm start that has not finished after ``fallback`` × the seconds of the first
        (cold) solve is stopped and the run is solved with ``options.method`` instead, on
        the same model: primal simplex is fast for small changes of the weights but can be
        slower than interior point after a large one (at least 0.05 s; 0 stops every warm
        start at once, for testing). ``None``: never stop a warm start.

    Notes
    -----
    Runs come back in solving order. ``warm_started`` is True when the run was solved by
    primal simplex from the previous run's basis. A warm solve that ends neither optimal
    nor stopped by ``fallback`` is repeated on a freshly built model. A run that raises is
    yielded as a Result with status ``error`` and the exception in ``message``; the next run
    starts from a fresh model. An instance that the pre-solve checks prove infeasible is not
    built: every run is ``infeasible`` with a diagnosis.
    """
    from .backends import highs
    from .diagnose import diagnose, presolve_findings
    from .solve import _backend, assemble

    options = options or SolveOptions()
    order = list(order) if order is not None else warm_order(specs)
    # feasibility does not depend on the weights: once the pre-solve checks or the LP show an
    # instance infeasible (LP or integer), every run of that kind gets the same diagnosis
    infeasible: dict[bool, tuple[dict | None, str] | None] = {}
    need_z = any(s.objective.worst_shortfall > 0 for s in specs)
    model = None
    for i in order:
        spec = specs[i]
        # the model file's [solve] tie_break unless the options say (FORMULATION §6b)
        run_options = options if options.tie_break is not None else replace(options, tie_break=spec.solve.tie_break)
        integer = spec.solve.integer if options.integer is None else options.integer
        try:
            if integer not in infeasible:
                findings = presolve_findings(d, integer)
                infeasible[integer] = (
                    (diagnose(d, spec, findings), "infeasible (pre-solve checks)") if findings else None
                )
            if infeasible[integer] is not None:
                diagnosis, message = infeasible[integer]
                res = Result(
                    status="infeasible",
                    instance=d.name,
                    model=spec.name,
                    backend=backend,
                    diagnosis=diagnosis,
                    message=message,
                )
                yield i, res, False
                continue
            if backend != "highs" or integer or not warm:
                mod = _backend(backend)
                t0 = time.perf_counter()
                native = mod.build_model(d, spec, integer)
                built = time.perf_counter() - t0
                raw = mod.solve_model(native, run_options)
                yield i, assemble(d, spec, backend, raw, built), False
                continue
            warm_started = model is not None
            built = 0.0
            if model is None:
                model = highs.build_model(d, spec, integer=False, with_z=need_z)
                built = model.build_seconds
                raw = highs.solve_model(model, run_options)
                first = raw.solve_seconds
            else:
                model.set_objective(spec)
                model.highs.setOptionValue("simplex_strategy", 4)  # primal simplex from the basis
                cap = None if fallback is None else max(fallback * first, 0.05) if fallback > 0 else 0.0
                stop_early = cap is not None and (options.time_limit is None or cap < options.time_limit)
                budget = cap if stop_early else options.time_limit
                raw = highs.solve_model(model, replace(run_options, method="simplex", time_limit=budget))
                spent = raw.solve_seconds
                if raw.status == "time_limit" and stop_early:
                    # a long warm start: interior point from scratch on the same model
                    rest = None if options.time_limit is None else max(options.time_limit - spent, 0.0)
                    raw = highs.solve_model(model, replace(run_options, time_limit=rest))
                    raw.solve_seconds += spent
                    warm_started = False
                elif raw.status != "optimal":  # never trust a failed warm start: solve it cold
                    model = highs.build_model(d, spec, integer=False, with_z=need_z)
                    built = model.build_seconds
                    raw = highs.solve_model(model, run_options)
                    raw.solve_seconds += spent
                    warm_started = False
            res = assemble(d, spec, backend, raw, built)
            if res.status == "infeasible":
                infeasible[False] = (res.diagnosis, res.message)
            yield i, res, warm_started
        except Exception as err:  # a failed run is recorded, the others go on
            model = None
            yield i, _error_result(d, spec, backend, err), False


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
    """A Dask task: all (or a chunk of) the weightings of one scenario, warm-started.

    Returns one plain dict per run: hash, status, objective, message, warm_start,
    solve_seconds, kpis (records) and x (the (R, S, Y) posts, or None).
    """
    d, specs = task["data"], task["specs"]
    out = []
    for i, res, warm in solve_weightings(d, specs, task["options"], backend=task["backend"], order=range(len(specs))):
        x = None
        if len(res.allocation):
            x = res.allocation["posts"].to_numpy().reshape(d.shape)
        out.append(
            {
                "hash": task["hashes"][i],
                "status": res.status,
                "objective": res.objective,
                "message": (res.diagnosis or {}).get("summary") or res.message,
                "error": res.message if res.status == "error" else None,
                "warm_start": warm,
                "solve_seconds": res.solve_seconds,
                "kpis": res.kpis.to_dict(orient="records") if len(res.kpis) else [],
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
    row.update(
        {
            "warm_start": bool(rec.get("warm_start", False)),
            "solve_seconds": float(rec.get("solve_seconds") or 0.0),
            "message": rec.get("message") or "",
            "error": rec.get("error"),
            "instance": instance,
            "finished_at": pd.Timestamp(datetime.now(UTC)),
        }
    )
    return row


def _frames(plan: _Plan, backend: str, recs: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Worker records → the rows of runs, measures and allocations."""
    from .solve import allocation_frame
    from .store import conform, empty

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


def _chunks(runs: list[_Run], pieces: int) -> list[list[_Run]]:
    pieces = max(1, min(pieces, len(runs)))
    size = math.ceil(len(runs) / pieces)
    return [runs[i : i + size] for i in range(0, len(runs), size)]


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
        Folder of the Parquet store (:mod:`allocator.store`), written as runs finish.
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
        Runs per task. Default: a scenario's runs are split into as few contiguous chunks
        (of the warm-start order) as keep every worker busy.
    dashboard : bool
        Serve the local cluster's Dask dashboard (on 127.0.0.1, a free port). The local
        cluster listens on 127.0.0.1 only (:data:`LOCAL_HOST`).

    Returns
    -------
    pandas.DataFrame
        The ``runs`` table of :mod:`allocator.store` for the requested runs, in scenario ×
        model order, with ``from_store`` True for runs taken from the store. Without
        ``out``, ``.attrs["measures"]`` and ``.attrs["allocations"]`` hold the other tables.
    """
    from .backends import BACKENDS
    from .store import Store, empty

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend '{backend}' (choose one of: {', '.join(BACKENDS)})")
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
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
            inst_s, error = None, f"scenario '{sc.name}' failed: {_err_text(err)}"
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
            try:
                if chunk_size is None:
                    workers = max(1, len(cl.scheduler_info().get("workers", {})) or 1)
                    pieces = max(1, math.ceil(2 * workers / len(work)))
                    groups = [(p, c) for p, rs in work for c in _chunks(rs, pieces)]
                else:
                    groups = [(p, rs[i : i + chunk_size]) for p, rs in work for i in range(0, len(rs), chunk_size)]
                futures = {}
                for plan, chunk in groups:
                    task = {
                        "data": plan.problem(),  # computed once per scenario, not per task
                        "specs": [r.spec for r in chunk],
                        "hashes": [r.hash for r in chunk],
                        "backend": backend,
                        "options": options,
                    }
                    fut = cl.submit(_solve_group, task, pure=False)
                    futures[fut] = (plan, chunk)
                from distributed import as_completed

                for fut in as_completed(list(futures)):
                    plan, chunk = futures.pop(fut)
                    try:
                        recs = fut.result()
                    except Exception as err:  # the whole task failed (e.g. a worker died)
                        recs = _error_records(chunk, f"task failed: {_err_text(err)}")
                    bar.update(task_id, description=f"{plan.scenario.name}")
                    bar.advance(task_id, record(plan, recs))
            finally:
                for fut in list(futures):
                    fut.cancel()
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
