"""Model files (docs/model.md §6): the objective weights, kept as TOML beside the data.

A model file names the weights of::

    minimise  Σ_k [ a·short + b·surplus + m·(inc + dec) + c_w·c[r,s]·x ]  +  q·z
              + supply_shortfall · Σ supply_short + supply_surplus · Σ supply_surplus
              + worst_supply · z_S + team_shortfall · Σ team_short + team_surplus · Σ team_surplus

``name`` is required, every omitted weight is 0, ``[solve]`` is optional. With no model file
the default model applies (``models/fair-share.toml``).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from allocator.core.examples import not_found, resolve
from allocator.core.instance import InstanceError, read_utf8
from allocator.core.limits import MAX_FACTOR, MAX_NAME_LENGTH, MAX_TEXT_LENGTH, check_limits
from allocator.core.validate import _pydantic_problems

Weight = Annotated[float, Field(ge=0, le=MAX_FACTOR, allow_inf_nan=False)]


class Objective(BaseModel):
    """Weights of the objective terms: a, b, m, c_w, q of docs/model.md §6, and (v2) the supply
    weights of §10 and the team weights of §11 (they weigh nothing without a pipeline or teams)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    shortfall: Weight = 0.0
    surplus: Weight = 0.0
    moves: Weight = 0.0
    cost: Weight = 0.0
    worst_shortfall: Weight = 0.0
    supply_shortfall: Weight = 0.0  # v2 §10: Σ supply_short over assessed years
    supply_surplus: Weight = 0.0  # v2 §10: Σ supply_surplus
    worst_supply: Weight = 0.0  # v2 §10: z_S, the worst relative supply shortfall (%)
    team_shortfall: Weight = 0.0  # v2 §11: Σ team_short
    team_surplus: Weight = 0.0  # v2 §11: Σ team_surplus


class SolveOptions(BaseModel):
    """``[solve]``: whole posts (§7) and the tie-break among equal optima (§6b)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    integer: bool = False
    tie_break: Literal["least-squares", "none"] = "least-squares"


class ModelSpec(BaseModel):
    """A model file: a name, a description, the objective weights and solve options."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    description: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    objective: Objective = Objective()
    solve: SolveOptions = SolveOptions()

    def with_weights(self, **weights: float) -> ModelSpec:
        """A copy with some weights changed (for sweeps): ``spec.with_weights(moves=0.1)``."""
        obj = self.objective.model_copy(update=weights)
        Objective.model_validate(obj.model_dump())  # re-check the new values
        return self.model_copy(update={"objective": obj})


DEFAULT_MODEL = ModelSpec(
    name="fair-share",
    description="Close the gap to need-based targets; break ties with fewest moves.",
    objective=Objective(shortfall=1.0, surplus=1.0, moves=0.01),
)


def load_model(path: str | Path | None) -> ModelSpec:
    """Read a model file; ``None`` gives the default model (docs/model.md §6).

    ``path`` may also name a shipped model file (``"equity-first"``; ``allocator examples``
    lists them); an existing path always wins over a name.

    Anything wrong with the file (missing, a folder, not UTF-8, not TOML, unknown keys, wrong
    types, values out of range) is an :class:`~allocator.core.instance.InstanceError` naming the
    file and the key.
    """
    if path is None:
        return DEFAULT_MODEL
    path = resolve(path, ("model",))
    source = str(path)
    if path.is_dir():
        raise InstanceError(source, [("", "is a folder, not a model file (TOML)")])
    missing = "no such model file" + not_found(path, ("model",)).removeprefix("no such file or folder")
    text = read_utf8(path, "TOML", missing)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InstanceError(source, [("", f"not valid TOML: {err}")]) from None
    except RecursionError:
        raise InstanceError(source, [("", "not valid TOML for a model file: nested too deeply")]) from None
    return parse_model(data, source)


def parse_model(data: dict, source: str = "<model>") -> ModelSpec:
    """Validate model-file data, naming the file and field of every problem."""
    if not isinstance(data, dict):
        raise InstanceError(source, [("", "a model file must be a table of keys (name, [objective], [solve])")])
    try:
        spec = ModelSpec.model_validate(data, strict=True)
    except ValidationError as err:
        raise InstanceError(source, _pydantic_problems(err, ModelSpec)) from None
    problems = check_limits({"name": spec.name, "description": spec.description})
    if problems:
        raise InstanceError(source, problems)
    assert all(math.isfinite(v) for v in spec.objective.model_dump().values())
    return spec
