"""Instances: the pydantic schema of docs/model.md §2, its loaders and its validation.

An instance arrives as JSON (canonical), an Excel workbook (one sheet per list) or a folder of
CSV files (one file per list). All three load to the same validated :class:`Instance`.

Validation happens in two passes:

1. pydantic checks shapes and types (unknown fields, wrong types, negative or non-finite
   numbers, ``min_posts > max_posts``);
2. :func:`allocator.core.validate._cross_check` checks references between lists (unknown ids,
   duplicates, years, ``growth_allowance`` without ``max_growth_rate``, a specialty with posts
   but zero need, a field of a later ``schema_version`` than the file declares).

Both passes report together: when pydantic finds problems, the entries it names are set aside
(:mod:`allocator.core.salvage`) and the cross-checks run on the rest, so one message lists every
problem of a file.

``schema_version`` 1, 2 and 3 are read (docs/model.md §2): a v1 file is a v2 file without the
v2 fields (``transition.shrink_allowance``, ranged ``national_posts``, the ``pipeline`` block of
§10, the ``teams`` block and ``specialties[].profession`` of §11), and a v2 file a v3 file
without the v3 fields. Every rate is a fraction in [0, 1] in files of every version (v3 §2): a
rate above 1 is refused with the percentage it would mean (:data:`Rate`).

One project extension (docs/model.md, "Need weights by year"): a ``need_weights`` entry may
carry a ``year``, so that age-based weights (children for paediatrics) follow the population
projections; the rule that fills the years without an entry is that of ``population_by_year``.

Every problem is collected, then raised at once as :class:`InstanceError`, whose message
names the file, the entry and the field, e.g.
``toy.json: baseline_posts[12].region: unknown region 'nrth' (known: north, south)``.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 3  # the newest version read
SCHEMA_VERSIONS = (1, 2, 3)  # every version read

# Lists of the instance, in the order of docs/model.md §2 (also the sheet / CSV file names).
LISTS = (
    "regions",
    "specialties",
    "baseline_posts",
    "national_posts",
    "population_by_year",
    "need_weights",
    "capacity",
    "locks",
    "cost_per_post",
    "budget",
    "sources",
)

NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=0)]


def rate_message(value: float, field: str | None = None) -> str:
    """Why a rate above 1 is refused, with the percentage it would mean and the fix:
    ``5 is 500 %; write 0.05 for 5 % (a rate is a fraction in [0, 1])``."""
    msg = f"{value:g} is {value * 100:g} %; write {value / 100:g} for {value:g} % (a rate is a fraction in [0, 1])"
    if field == "max_growth_rate":
        msg += "; growth faster than 100 % a year is said with growth_allowance"
    return msg


def _fraction(value: float, info: ValidationInfo) -> float:
    """A rate is a fraction in [0, 1] (docs/model.md §2): 5 meant as 5 % must not pass as 500 %."""
    if value > 1:
        raise PydanticCustomError("rate_percent", rate_message(value, info.field_name))
    return value


FRACTION = AfterValidator(_fraction)
#: A rate: a fraction in [0, 1]; above 1 is refused with the percentage it would mean.
Rate = Annotated[float, Field(ge=0, allow_inf_nan=False), FRACTION]


def is_rate(annotation: Any) -> bool:
    """Whether a field (its pydantic ``FieldInfo``, or an annotation: ``Rate``, ``Rate | None``)
    is a rate: a table cell of it may be written as a percentage (``5%``)."""
    if hasattr(annotation, "metadata") and hasattr(annotation, "annotation"):  # a FieldInfo
        return any(m is FRACTION for m in annotation.metadata) or is_rate(annotation.annotation)
    if typing.get_origin(annotation) is Annotated:
        return any(m is FRACTION for m in typing.get_args(annotation)[1:])
    return any(is_rate(a) for a in typing.get_args(annotation))


class _Strict(BaseModel):
    """Base: unknown fields are errors (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(_Strict):
    id: str = Field(min_length=1)
    name: str | None = None
    population: NonNeg
    need_index: NonNeg = 1.0


class Specialty(_Strict):
    id: str = Field(min_length=1)
    name: str | None = None
    programme_years: Annotated[int, Field(ge=1)] | None = None
    profession: str = Field(default="medicine", min_length=1)  # v2 (§11): "acp", "pa", "pharmacist", ...


class BaselinePost(_Strict):
    region: str
    specialty: str
    posts: NonNeg


class NationalPost(_Strict):
    """``N[s,t]``: a fixed total ``posts``, or (v2) a range ``min_posts <= Σ_r x <= max_posts``."""

    specialty: str
    year: Year
    posts: NonNeg | None = None
    min_posts: NonNeg | None = None
    max_posts: NonNeg | None = None

    @property
    def ranged(self) -> bool:
        return self.posts is None

    @model_validator(mode="after")
    def _min_below_max(self) -> NationalPost:
        ranged = self.min_posts is not None or self.max_posts is not None
        if self.posts is not None and ranged:
            raise ValueError("give either posts (a fixed national total) or min_posts/max_posts (a range), not both")
        if self.posts is None and not ranged:
            raise ValueError("give posts (a fixed national total) or a range: min_posts, max_posts or both")
        if self.min_posts is not None and self.max_posts is not None and self.min_posts > self.max_posts:
            raise ValueError(f"min_posts {self.min_posts:g} is greater than max_posts {self.max_posts:g}")
        return self


class PopulationByYear(_Strict):
    region: str
    year: Year
    population: NonNeg


class NeedWeight(_Strict):
    """``w[r,s]``; with ``year`` (a project extension) the weight of that year only."""

    region: str
    specialty: str
    year: Year | None = None
    weight: NonNeg


class Capacity(_Strict):
    """Bounds ``min_posts <= x[r,s,t] <= max_posts``; for one year if ``year`` is given."""

    region: str
    specialty: str
    year: Year | None = None
    min_posts: NonNeg = 0.0
    max_posts: NonNeg | None = None

    @model_validator(mode="after")
    def _min_below_max(self) -> Capacity:
        if self.max_posts is not None and self.min_posts > self.max_posts:
            raise ValueError(f"min_posts {self.min_posts:g} is greater than max_posts {self.max_posts:g}")
        return self


class Lock(_Strict):
    region: str
    specialty: str
    year: Year
    posts: NonNeg


class CostPerPost(_Strict):
    region: str
    specialty: str
    cost: NonNeg


class Budget(_Strict):
    year: Year
    amount: NonNeg


class Transition(_Strict):
    """Transition limits (docs/model.md §5); an absent field adds no constraint."""

    max_growth_rate: Rate | None = None
    growth_allowance: NonNeg | None = None
    max_shrink_rate: Rate | None = None
    shrink_allowance: NonNeg | None = None  # v2
    shrink_by_programme_length: bool = False
    max_region_net_loss_rate: Rate | None = None
    max_national_moves: NonNeg | None = None


class Source(_Strict):
    """Where numbers come from (a project addition to §2, optional, documented in docs/model.md).

    ``kind`` is ``published`` for a number taken from a published table and ``estimated``
    for one made by a stated rule (``note`` says the rule).
    """

    id: str = Field(min_length=1)
    table: str
    publisher: str
    year: str
    licence: str
    kind: Literal["published", "estimated"]
    used_for: str
    path: str | None = None
    url: str | None = None
    note: str | None = None


class PipelineSpecialty(_Strict):
    """Per-specialty parameters of the workforce pipeline (docs/model.md §10)."""

    specialty: str
    completion_rate: Rate = 1.0
    delay_years: list[Annotated[int, Field(ge=1)]] | None = None
    delay_shares: list[NonNeg] | None = None
    settle_rate: Rate = 0.8
    join_rate: Rate = 1.0
    leave_rate: Rate = 0.0

    @model_validator(mode="after")
    def _kernel(self) -> PipelineSpecialty:
        if (self.delay_years is None) != (self.delay_shares is None):
            given, missing = ("delay_years", "delay_shares")
            if self.delay_years is None:
                given, missing = missing, given
            raise ValueError(f"{given} needs {missing} (one share per delay)")
        if self.delay_years is not None:
            if len(self.delay_years) == 0:
                raise ValueError("delay_years is empty: give at least one delay")
            if len(self.delay_years) != len(self.delay_shares):
                raise ValueError(
                    f"delay_years has {len(self.delay_years)} entries but delay_shares has {len(self.delay_shares)}"
                )
            if len(set(self.delay_years)) != len(self.delay_years):
                raise ValueError(f"delay_years repeats a delay ({self.delay_years}): give each delay once")
            total = sum(self.delay_shares)
            if abs(total - 1.0) > 1e-9:
                raise ValueError(f"delay_shares sum to {total:g}, not 1")
        return self


class FillRate(_Strict):
    region: str
    specialty: str
    rate: Rate


class Stock(_Strict):
    region: str
    specialty: str
    headcount: NonNeg


class Pipeline(_Strict):
    """The workforce pipeline (docs/model.md §10): intake, completions, joiners, stocks."""

    horizon_year: Year
    mobility: Literal["need", "lost"] = "need"
    specialties: list[PipelineSpecialty] = []
    fill_rate: list[FillRate] = []
    stock: list[Stock] = []
    assess_years: list[Year] | None = None


class ScenarioSpecialty(_Strict):
    """A member's override of one ``pipeline.specialties[]`` entry (docs/model.md §12): the rates
    it gives replace the base entry's, field by field; the others stay the base's."""

    specialty: str
    completion_rate: Rate | None = None
    settle_rate: Rate | None = None
    join_rate: Rate | None = None
    leave_rate: Rate | None = None


class RegionSettleRate(_Strict):
    """A region's own settle rate ``σ[r,s]`` (docs/model.md §10 v3), here in a scenario member."""

    region: str
    specialty: str
    rate: Rate


class ScenarioPipeline(_Strict):
    """What a scenario member may change of the pipeline (docs/model.md §12): the §10 rates and
    ``mobility``, nothing else (not delays, stock or assessed years)."""

    mobility: Literal["need", "lost"] | None = None
    specialties: list[ScenarioSpecialty] = []
    settle_rate: list[RegionSettleRate] = []
    fill_rate: list[FillRate] = []


class PopulationScale(_Strict):
    """A member's factor on one region's population from ``year`` on (a year after the last
    planning year; docs/model.md §12)."""

    region: str
    year: Year
    factor: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class ScenarioMember(_Strict):
    """One possible future (docs/model.md §12): its probability and what it changes."""

    id: str = Field(min_length=1)
    probability: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    pipeline: ScenarioPipeline | None = None
    population_scale: list[PopulationScale] = []


class Scenarios(_Strict):
    """The ``scenarios`` block (docs/model.md §12, v3): members and the risk measure that judges
    the one plan in all of them. The first member is the central case."""

    risk: Literal["expected", "worst", "cvar"] = "expected"
    alpha: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = None
    members: list[ScenarioMember] = Field(min_length=1)


class TeamMember(_Strict):
    specialty: str
    equivalence: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    max_share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None


class TeamNeedWeight(_Strict):
    region: str
    weight: NonNeg


class Team(_Strict):
    """A team (docs/model.md §11): programmes sharing one area of need, and how far they substitute."""

    id: str = Field(min_length=1)
    name: str | None = None
    members: list[TeamMember] = Field(min_length=1)
    need_weights: list[TeamNeedWeight] = []
    on: Literal["posts", "stock"] = "posts"


class Instance(_Strict):
    """A validated instance (docs/model.md §2, ``schema_version`` 1, 2 or 3)."""

    schema_version: int
    name: str = Field(min_length=1)
    description: str | None = None
    baseline_year: Year
    years: list[Year] = Field(min_length=1)
    regions: list[Region] = Field(min_length=1)
    specialties: list[Specialty] = Field(min_length=1)
    baseline_posts: list[BaselinePost]
    national_posts: list[NationalPost] = []
    population_by_year: list[PopulationByYear] = []
    need_weights: list[NeedWeight] = []
    capacity: list[Capacity] = []
    locks: list[Lock] = []
    cost_per_post: list[CostPerPost] = []
    budget: list[Budget] = []
    transition: Transition = Transition()
    pipeline: Pipeline | None = None  # v2, §10
    teams: list[Team] = []  # v2, §11
    scenarios: Scenarios | None = None  # v3, §12
    sources: list[Source] = []

    @property
    def region_ids(self) -> list[str]:
        return [r.id for r in self.regions]

    @property
    def specialty_ids(self) -> list[str]:
        return [s.id for s in self.specialties]

    def to_dict(self) -> dict[str, Any]:
        """The instance as JSON-ready data, without the defaults nobody wrote."""
        return self.model_dump(mode="json", exclude_defaults=True) | {"schema_version": self.schema_version}

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2) + "\n"
        if path is not None:
            Path(path).write_text(text)
        return text


class InstanceError(ValueError):
    """An instance that is malformed. ``problems`` lists ``(where, message)`` pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {where}: {msg}" if where else f"{source}: {msg}" for where, msg in problems]
        super().__init__("\n".join(lines))


def read_utf8(path: Path, fmt: str, missing: str) -> str:
    """The text of an input file as UTF-8 (a byte-order mark is dropped), or an
    :class:`InstanceError` naming the file: ``missing`` when it does not exist, the first bad
    byte when it is not UTF-8 (``fmt`` names the format: "JSON", "TOML")."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InstanceError(source, [("", missing)]) from None
    except OSError as err:
        raise InstanceError(source, [("", f"cannot be read: {err.strerror or err}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        where = f"byte 0x{raw[err.start]:02x} at position {err.start}"
        raise InstanceError(source, [("", f"not valid {fmt}: not UTF-8 text ({where}): save it as UTF-8")]) from None
