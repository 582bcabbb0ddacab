"""Weighting grids: parsing, expansion, limits and run hashes of a sweep."""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allocator.core.examples import not_found, resolve
from allocator.core.instance import Instance, InstanceError
from allocator.core.spec import DEFAULT_MODEL, ModelSpec, Objective, load_model
from allocator.pipeline.steps import error_text
from allocator.study.scenarios import (
    MAX_GRID_BYTES,
    MAX_RUNS,
    SCENARIO_CHANGES,
    SCENARIO_KEYS,
    WEIGHTS,
    GridError,
    Scenario,
    _factor_problems,
)

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
        problems.append(("base", 'must be a table: [base] model = "fair-share" (a model file or a shipped name)'))
        base_tab = {}
    for key in base_tab:
        if key != "model":
            problems.append((f"base.{key}", _unknown(key, ("model",))))
    if "model" in base_tab:
        ref = base_tab["model"]
        if not isinstance(ref, str):
            problems.append(("base.model", f"must be the path of a model file or a shipped name (got {ref!r})"))
        else:
            path = Path(ref)
            if not path.is_absolute() and base_dir is not None and (base_dir / path).exists():
                path = base_dir / path
            try:
                base = load_model(path)
            except InstanceError as err:
                problems.append(("base.model", str(err)))
            except (OSError, UnicodeDecodeError, ValueError) as err:  # a folder, not UTF-8, …
                problems.append(("base.model", f"{path}: cannot read the model file: {error_text(err)}"))
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
    the file (and the key) if it cannot be read or is not a valid grid. ``path`` may also name a
    shipped grid (``"moves-and-equity"``); an existing path always wins over a name."""
    path = resolve(path, ("grid",))
    fail = lambda msg: GridError(str(path), [("", msg)])  # noqa: E731
    if path.is_dir():
        raise fail("is a folder, not a grid file")
    try:
        if path.stat().st_size > MAX_GRID_BYTES:
            raise fail(f"larger than {MAX_GRID_BYTES // 1_000_000} MB: not a grid file")
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise fail("no such grid file" + not_found(path, ("grid",)).removeprefix("no such file or folder")) from None
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
