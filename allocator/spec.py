"""Model files (FORMULATION §6): the objective weights, kept as TOML beside the data.

A model file names the weights of::

    minimise  Σ_k [ a·short + b·surplus + m·(inc + dec) + c_w·c[r,s]·x ]  +  q·z

``name`` is required, every omitted weight is 0, ``[solve]`` is optional. With no model file
the default model applies (``models/fair-share.toml``).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .instance import InstanceError, _pydantic_problems

Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Objective(BaseModel):
    """Weights of the objective terms: a, b, m, c_w, q of FORMULATION §6."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    shortfall: Weight = 0.0
    surplus: Weight = 0.0
    moves: Weight = 0.0
    cost: Weight = 0.0
    worst_shortfall: Weight = 0.0


class SolveOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    integer: bool = False


class ModelSpec(BaseModel):
    """A model file: a name, a description, the objective weights and solve options."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    description: str | None = None
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
    """Read a model file; ``None`` gives the default model (FORMULATION §6)."""
    if path is None:
        return DEFAULT_MODEL
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise InstanceError(str(path), [("", "no such model file")]) from None
    except tomllib.TOMLDecodeError as err:
        raise InstanceError(str(path), [("", f"not valid TOML: {err}")]) from None
    return parse_model(data, str(path))


def parse_model(data: dict, source: str = "<model>") -> ModelSpec:
    """Validate model-file data, naming the file and field of every problem."""
    try:
        spec = ModelSpec.model_validate(data, strict=True)
    except ValidationError as err:
        raise InstanceError(source, _pydantic_problems(err)) from None
    assert all(math.isfinite(v) for v in spec.objective.model_dump().values())
    return spec
