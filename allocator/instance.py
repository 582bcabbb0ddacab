"""Instances: the pydantic schema of FORMULATION §2, its loaders and its validation.

An instance arrives as JSON (canonical), an Excel workbook (one sheet per list) or a folder of
CSV files (one file per list). All three load to the same validated :class:`Instance`.

Validation happens in two passes:

1. pydantic checks shapes and types (unknown fields, wrong types, negative or non-finite
   numbers, ``min_posts > max_posts``);
2. :func:`_cross_check` checks references between lists (unknown ids, duplicates, years,
   ``growth_allowance`` without ``max_growth_rate``, a specialty with posts but zero need).

Every problem is collected, then raised at once as :class:`InstanceError`, whose message
names the file, the entry and the field, e.g.
``toy.json: baseline_posts[12].region: unknown region 'nrth' (known: north, south)``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION = 1

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
    specialty: str
    year: Year
    posts: NonNeg


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
    """A validated instance (FORMULATION §2, ``schema_version: 1``)."""

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


def _pydantic_problems(err: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for e in err.errors():
        loc = [p for p in e["loc"] if p not in ("function-after[_min_below_max()]",)]
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; the format is in docs/model.md)"
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
    if inst.schema_version != SCHEMA_VERSION:
        problems.append(("schema_version", f"unsupported version {inst.schema_version} (this tool reads 1)"))
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
    if tr.shrink_by_programme_length:
        for i, s in enumerate(inst.specialties):
            if s.programme_years is None:
                problems.append(
                    (f"specialties[{i}].programme_years", "required when transition.shrink_by_programme_length is true")
                )
    if not problems:
        problems += _zero_need(inst)
    return problems


def _zero_need(inst: Instance) -> list[tuple[str, str]]:
    """A specialty with posts in some year but zero total need that year has no fair share.

    Need and national totals come from :func:`allocator.data.problem_data`, the one home of
    the §2 defaults (population by year, weights, national totals).
    """
    from .data import problem_data  # data.py imports this module

    d = problem_data(inst)
    no_need = (d.need.sum(axis=0) <= 0) & (d.national > 0)  # (S, Y)
    problems = []
    for j, t in zip(*np.nonzero(no_need), strict=True):
        if problems and problems[-1][0] == f"specialties[{j}]":
            continue  # one message per specialty: its first such year
        problems.append(
            (
                f"specialties[{j}]",
                f"specialty '{d.specialties[j]}' has {d.national[j, t]:g} posts in {d.years[t]} but its total need "
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
    try:
        inst = Instance.model_validate(data, strict=strict)
    except ValidationError as err:
        raise InstanceError(source, _pydantic_problems(err)) from None
    problems = _cross_check(inst)
    if problems:
        raise InstanceError(source, problems)
    return inst


# --------------------------------------------------------------------------- loaders


def load_instance(path: str | Path) -> Instance:
    """Load and validate an instance from JSON, an Excel workbook, or a folder of CSV files."""
    path = Path(path)
    if not path.exists():
        raise InstanceError(str(path), [("", "no such file or folder")])
    if path.is_dir():
        return validate(_read_tables(path, kind="csv"), str(path), strict=False)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return validate(_read_tables(path, kind="xlsx"), str(path), strict=False)
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InstanceError(str(path), [("", f"not valid JSON: {err}")]) from None
    return validate(data, str(path), strict=True)


# Sheet "instance" (or instance.csv) holds the scalars as two columns: field, value.
SCALARS = ("schema_version", "name", "description", "baseline_year", "years")
TRANSITION_PREFIX = "transition."


def _clean(value: Any) -> Any:
    """A table cell -> plain Python (NaN / empty -> absent)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, str) and value.strip() == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return value  # keep float: pydantic accepts 2.0 for int fields in lax mode
    return value


def _read_tables(path: Path, kind: str) -> dict[str, Any]:
    import pandas as pd

    if kind == "csv":
        frames = {p.stem: pd.read_csv(p, dtype=object, keep_default_na=False) for p in path.glob("*.csv")}
    else:
        try:
            frames = pd.read_excel(path, sheet_name=None, dtype=object)
        except Exception as err:  # openpyxl raises many kinds
            raise InstanceError(str(path), [("", f"cannot read workbook: {err}")]) from None
    if "instance" not in frames:
        raise InstanceError(str(path), [("instance", "missing the 'instance' table (columns: field, value)")])
    data: dict[str, Any] = {}
    transition: dict[str, Any] = {}
    scal = frames.pop("instance")
    if list(scal.columns[:2]) != ["field", "value"]:
        raise InstanceError(str(path), [("instance", "columns must be 'field' and 'value'")])
    for _, row in scal.iterrows():
        field, value = str(row["field"]).strip(), _clean(row["value"])
        if value is None:
            continue
        if field == "years":
            data["years"] = [int(float(y)) for y in str(value).replace(";", ",").split(",") if y.strip()]
        elif field.startswith(TRANSITION_PREFIX):
            key = field[len(TRANSITION_PREFIX) :]
            if key == "shrink_by_programme_length":
                value = str(value).strip().lower() in ("true", "1", "yes")
            transition[key] = value
        else:
            data[field] = value
    if transition:
        data["transition"] = transition
    for name, frame in frames.items():
        if name not in LISTS:
            raise InstanceError(str(path), [(name, f"unknown table '{name}' (known: instance, {', '.join(LISTS)})")])
        rows = []
        for rec in frame.to_dict(orient="records"):
            rows.append({str(k).strip(): v for k, v in ((k, _clean(v)) for k, v in rec.items()) if v is not None})
        data[name] = rows
    return data


def write_tables(inst: Instance, path: str | Path) -> Path:
    """Write an instance as an Excel workbook (``.xlsx``) or a folder of CSV files.

    The inverse of the table loaders: ``load_instance(write_tables(i, p)) == i``.
    """
    import pandas as pd

    path = Path(path)
    d = inst.to_dict()
    scal = [("schema_version", d["schema_version"]), ("name", d["name"])]
    if "description" in d:
        scal.append(("description", d["description"]))
    scal += [("baseline_year", d["baseline_year"]), ("years", ",".join(str(y) for y in d["years"]))]
    for k, v in inst.transition.model_dump(exclude_none=True).items():
        scal.append((TRANSITION_PREFIX + k, v))
    frames = {"instance": pd.DataFrame(scal, columns=["field", "value"])}
    for name in LISTS:
        rows = d.get(name)
        if rows:
            frames[name] = pd.DataFrame(rows)
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, frame in frames.items():
                frame.to_excel(xw, sheet_name=name, index=False)
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, frame in frames.items():
            frame.to_csv(path / f"{name}.csv", index=False)
    return path
