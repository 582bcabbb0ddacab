"""Instances: the pydantic schema of FORMULATION §2, its loaders and its validation.

An instance arrives as JSON (canonical), an Excel workbook (one sheet per list) or a folder of
CSV files (one file per list). All three load to the same validated :class:`Instance`.

Validation happens in two passes:

1. pydantic checks shapes and types (unknown fields, wrong types, negative or non-finite
   numbers, ``min_posts > max_posts``);
2. :func:`_cross_check` checks references between lists (unknown ids, duplicates, years,
   ``growth_allowance`` without ``max_growth_rate``, a specialty with posts but zero need,
   a v2 field in a ``schema_version: 1`` file).

``schema_version`` 1 and 2 are read (FORMULATION v2 §2): a v1 file is a v2 file without the
v2 fields (``transition.shrink_allowance``, ranged ``national_posts``). The v2 blocks of §10
and §11 (``pipeline``, ``teams``, ``specialties[].profession``) are not supported yet and are
rejected with a message saying so.

Every problem is collected, then raised at once as :class:`InstanceError`, whose message
names the file, the entry and the field, e.g.
``toy.json: baseline_posts[12].region: unknown region 'nrth' (known: north, south)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION = 2  # the newest version written and read
SCHEMA_VERSIONS = (1, 2)  # every version read

# v2 blocks and fields this version rejects clearly (not as "unknown field"): where, section
NOT_YET_SUPPORTED = {
    "pipeline": "FORMULATION §10",
    "teams": "FORMULATION §11",
    "specialties[].profession": "FORMULATION §11",
}

# Lists of the instance, in the order of FORMULATION §2 (also the sheet / CSV file names).
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
    region: str
    specialty: str
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
    """Transition limits (FORMULATION §5); an absent field adds no constraint."""

    max_growth_rate: NonNeg | None = None
    growth_allowance: NonNeg | None = None
    max_shrink_rate: NonNeg | None = None
    shrink_allowance: NonNeg | None = None  # v2
    shrink_by_programme_length: bool = False
    max_region_net_loss_rate: NonNeg | None = None
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


class Instance(_Strict):
    """A validated instance (FORMULATION §2, ``schema_version`` 1 or 2)."""

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


# --------------------------------------------------------------------------- validation


def _where(loc: Iterable[Any]) -> str:
    """``('baseline_posts', 12, 'region')`` -> ``baseline_posts[12].region``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _pydantic_problems(err: ValidationError, root: type[BaseModel] | None = None) -> list[tuple[str, str]]:
    """pydantic's errors as ``(where, message)``; ``root`` (the model validated) lets an
    unknown field name its nearest known field."""
    from .limits import closest, fields_at

    problems = []
    for e in err.errors():
        loc = [p for p in e["loc"] if p not in ("function-after[_min_below_max()]",)]
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            near = closest(str(loc[-1]), fields_at(root, loc[:-1])) if root is not None and loc else None
            hint = f": did you mean `{near}`?" if near else " (check the spelling;"
            msg = f"unknown field{hint} {'(' if near else ''}the format is in docs/model.md)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if "input" in e and e["type"] not in ("missing", "extra_forbidden"):
            shown = repr(e["input"])
            if len(shown) <= 40:
                msg += f" (got {shown})"
        problems.append((_where(loc), msg))
    return problems


def _known(ids: list[str]) -> str:
    shown = ", ".join(ids[:8]) + (", …" if len(ids) > 8 else "")
    return f"(known: {shown})"


def _cross_check(inst: Instance) -> list[tuple[str, str]]:
    """Checks that span lists: ids, duplicates, years, transition, zero need."""
    problems: list[tuple[str, str]] = []
    if inst.schema_version not in SCHEMA_VERSIONS:
        problems.append(
            (
                "schema_version",
                f"unsupported version {inst.schema_version} (this tool reads "
                f"{' and '.join(str(v) for v in SCHEMA_VERSIONS)})",
            )
        )
    elif inst.schema_version < 2:
        problems += _v2_fields(inst)
    regions, specs = inst.region_ids, inst.specialty_ids
    for label, ids in (("regions", regions), ("specialties", specs), ("sources", [s.id for s in inst.sources])):
        seen: set[str] = set()
        for i, x in enumerate(ids):
            if x in seen:
                problems.append((f"{label}[{i}].id", f"duplicate id '{x}'"))
            seen.add(x)
    years = inst.years
    for i in range(1, len(years)):
        if years[i] <= years[i - 1]:
            problems.append((f"years[{i}]", f"years must increase strictly ({years[i - 1]} then {years[i]})"))
    if years and years[0] <= inst.baseline_year:
        problems.append(("years[0]", f"{years[0]} is not after baseline_year {inst.baseline_year}"))

    rset, sset, yset = set(regions), set(specs), set(years)
    keyfields = {
        "baseline_posts": ("region", "specialty"),
        "national_posts": ("specialty", "year"),
        "population_by_year": ("region", "year"),
        "need_weights": ("region", "specialty"),
        "capacity": ("region", "specialty", "year"),
        "locks": ("region", "specialty", "year"),
        "cost_per_post": ("region", "specialty"),
        "budget": ("year",),
    }
    for list_name, fields in keyfields.items():
        seen_keys: dict[tuple, int] = {}
        for i, entry in enumerate(getattr(inst, list_name)):
            ok = True
            for f in fields:
                v = getattr(entry, f)
                if f == "region" and v not in rset:
                    problems.append((f"{list_name}[{i}].region", f"unknown region '{v}' {_known(regions)}"))
                    ok = False
                elif f == "specialty" and v not in sset:
                    problems.append((f"{list_name}[{i}].specialty", f"unknown specialty '{v}' {_known(specs)}"))
                    ok = False
                elif f == "year" and v is not None and v not in yset:
                    problems.append(
                        (f"{list_name}[{i}].year", f"year {v} is not a planning year {_known([str(y) for y in years])}")
                    )
                    ok = False
            key = tuple(getattr(entry, f) for f in fields)
            # capacity may repeat a cell: "where several entries cover a cell and year, all hold"
            if ok and list_name != "capacity":
                if key in seen_keys:
                    problems.append(
                        (f"{list_name}[{i}]", f"duplicate entry for {key} (first at {list_name}[{seen_keys[key]}])")
                    )
                else:
                    seen_keys[key] = i
    tr = inst.transition
    if tr.growth_allowance is not None and tr.max_growth_rate is None:
        problems.append(("transition.growth_allowance", "growth_allowance needs max_growth_rate (it is added to it)"))
    if tr.shrink_allowance is not None and tr.max_shrink_rate is None:
        problems.append(("transition.shrink_allowance", "shrink_allowance needs max_shrink_rate (it is added to it)"))
    if tr.shrink_by_programme_length:
        for i, s in enumerate(inst.specialties):
            if s.programme_years is None:
                problems.append(
                    (f"specialties[{i}].programme_years", "required when transition.shrink_by_programme_length is true")
                )
    if not problems:
        problems += _zero_need(inst)
    return problems


def _v2_fields(inst: Instance) -> list[tuple[str, str]]:
    """A ``schema_version: 1`` file that uses a field of v2: name it and say what to do."""
    fix = "is a schema_version 2 field: set schema_version: 2 to use it"
    problems = []
    if inst.transition.shrink_allowance is not None:
        problems.append(("transition.shrink_allowance", f"shrink_allowance {fix}"))
    for i, n in enumerate(inst.national_posts):
        if n.ranged:
            field = "min_posts" if n.min_posts is not None else "max_posts"
            problems.append((f"national_posts[{i}].{field}", f"a range of national posts ({field}) {fix}"))
    return problems


def _not_yet_supported(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The v2 blocks this version cannot solve yet (FORMULATION §10, §11), taken out of ``data``
    and named, so that they are rejected as "not yet supported", never as an unknown field and
    never silently."""
    problems: list[tuple[str, str]] = []
    data = dict(data)
    for key in ("pipeline", "teams"):
        if key in data:
            del data[key]
            problems.append((key, f"not yet supported in this version: {key} ({NOT_YET_SUPPORTED[key]})"))
    specs = data.get("specialties")
    if isinstance(specs, list):
        cleaned = []
        for i, spec in enumerate(specs):
            if isinstance(spec, dict) and "profession" in spec:
                spec = {k: v for k, v in spec.items() if k != "profession"}
                problems.append(
                    (
                        f"specialties[{i}].profession",
                        "not yet supported in this version: profession "
                        f"({NOT_YET_SUPPORTED['specialties[].profession']})",
                    )
                )
            cleaned.append(spec)
        data["specialties"] = cleaned
    return data, problems


def _zero_need(inst: Instance) -> list[tuple[str, str]]:
    """A specialty with posts in some year but zero total need that year has no fair share.

    Need and national totals come from :func:`allocator.data.problem_data`, the one home of
    the §2 defaults (population by year, weights, national totals).
    """
    from .data import problem_data  # data.py imports this module

    d = problem_data(inst)
    # a ranged total (v2) has posts when its minimum is above 0
    no_need = (d.need.sum(axis=0) <= 0) & (d.national_min > 0)  # (S, Y)
    problems = []
    for j, t in zip(*np.nonzero(no_need), strict=True):
        if problems and problems[-1][0] == f"specialties[{j}]":
            continue  # one message per specialty: its first such year
        problems.append(
            (
                f"specialties[{j}]",
                f"specialty '{d.specialties[j]}' has {d.national_min[j, t]:g} posts in {d.years[t]} but its total need "
                "(population × need_index × weight, summed over regions) is zero",
            )
        )
    return problems


def validate(data: dict[str, Any], source: str = "<instance>", strict: bool = True) -> Instance:
    """Validate raw data into an :class:`Instance`, or raise :class:`InstanceError`.

    Parameters
    ----------
    data
        The instance as parsed JSON (or rows read from a workbook / CSV folder).
    source
        Name of the file, used in every message.
    strict
        JSON is checked strictly (``"120"`` is not a number); tables read from Excel or CSV
        are checked in lax mode, where a cell ``120`` read as text is a number.
    """
    if not isinstance(data, dict):
        raise InstanceError(source, [("", "an instance must be a JSON object")])
    data, unsupported = _not_yet_supported(data)
    try:
        inst = Instance.model_validate(data, strict=strict)
    except ValidationError as err:
        raise InstanceError(source, unsupported + _pydantic_problems(err, Instance)) from None
    if unsupported:
        raise InstanceError(source, unsupported)
    from .limits import check_limits

    problems = check_limits(inst) or _cross_check(inst)
    if problems:
        raise InstanceError(source, problems)
    return inst


# --------------------------------------------------------------------------- loaders


def load_instance(path: str | Path) -> Instance:
    """Load and validate an instance from JSON, an Excel workbook, or a folder of CSV files."""
    path = Path(path)
    if not path.exists():
        raise InstanceError(str(path), [("", "no such file or folder")])
    if path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods", ".csv"):
        from .tables import load_tables  # tables.py imports this module

        return load_tables(path)
    return validate(_read_json(path), str(path), strict=True)


def _read_json(path: Path) -> Any:
    """The parsed JSON of an instance file; :class:`InstanceError` if it is not UTF-8 JSON."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InstanceError(source, [("", f"cannot be read: {err.strerror or err}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        where = f"byte 0x{raw[err.start]:02x} at position {err.start}"
        raise InstanceError(source, [("", f"not valid JSON: not UTF-8 text ({where}): save it as UTF-8")]) from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise InstanceError(source, [("", f"not valid JSON: {err}")]) from None
    except RecursionError:
        raise InstanceError(source, [("", "not valid JSON for an instance: nested too deeply")]) from None
    except ValueError as err:  # a duplicate key, an integer of more than 4,300 digits
        msg = "a number has more than 4,300 digits" if "digits" in str(err) else str(err)
        raise InstanceError(source, [("", f"not valid JSON: {msg}")]) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is an error (JSON would silently keep the last)."""
    obj: dict[str, Any] = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"the key '{k[:100]}' appears twice in one object")
        obj[k] = v
    return obj


def write_tables(inst: Instance, path: str | Path) -> Path:
    """Write an instance as an Excel workbook (``.xlsx``) or a folder of CSV files
    (:func:`allocator.tables.write_tables`)."""
    from .tables import write_tables as write

    return write(inst, path)
