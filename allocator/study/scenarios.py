"""Scenarios: named changes to an instance (population, capacity, national scale) applied before a
sweep.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from allocator.core.data import problem_data
from allocator.core.instance import Instance, InstanceError
from allocator.core.limits import MAX_RUNS  # noqa: F401 - the limit's home is core/limits.py; grids import it here
from allocator.core.spec import Objective
from allocator.core.validate import known_ids, validate
from allocator.solution.result import KPI_COLUMNS

WEIGHTS = tuple(Objective.model_fields)  # shortfall, surplus, moves, cost, worst_shortfall
SCENARIO_CHANGES = ("population_scale", "population_growth", "capacity_scale", "national_scale")
SCENARIO_KEYS = ("name", "description", *SCENARIO_CHANGES)
BASELINE = "baseline"
MAX_GRID_BYTES = 5_000_000
SUMMARY = tuple(KPI_COLUMNS[1:])  # the measures of allocator.solution.measures.kpis, after the year


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
                        problems.append((f"{key}.{k}", f"unknown {kind} '{k}' {known_ids(known[key])}"))
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
