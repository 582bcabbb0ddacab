"""Ranges of the uncertain pipeline rates, for the Monte Carlo evaluation of a plan
(:mod:`allocator.study.montecarlo`, ``allocator evaluate``): a small TOML file.

Each uncertain quantity is one entry of a list named after the docs/model.md §10 rate it
draws, with a uniform ``{min, max}`` or a triangular ``{min, mode, max}`` distribution::

    description = "Retention and population ranges for the 2025 pipeline"

    [[settle_rate]]                 # every specialty at once (one value per draw)
    min = 0.70
    max = 0.88

    [[settle_rate]]                 # a region's own: beats the entry above there
    region = "cornwall"
    specialty = "general-practice"
    min = 0.5
    mode = 0.6
    max = 0.75

    [[join_rate]]
    specialty = "general-practice"
    min = 0.81
    max = 0.88

    [[fill_rate]]
    region = "london"               # region omitted: every region
    min = 0.85
    max = 1.0

    [[population_scale]]            # years after the plan only
    region = "north-west"           # region omitted: every region
    year = 2035
    min = 0.97
    mode = 1.0
    max = 1.05

Lists and their keys:

| list | keys besides ``min``, ``mode``, ``max`` | values |
|---|---|---|
| ``completion_rate``, ``join_rate``, ``leave_rate`` | ``specialty`` (omitted: every specialty) | rates in [0, 1] |
| ``settle_rate``, ``fill_rate`` | ``region``, ``specialty`` (each may be omitted: all) | rates in [0, 1] |
| ``population_scale`` | ``year`` (required: after the plan, at most the horizon), ``region`` | factors > 0 |

One entry is **one** random number per draw, applied to every cell it covers: a
``settle_rate`` entry without ``specialty`` moves the settle rate of every specialty together
(perfectly correlated); give one entry per specialty to draw them independently. Distinct
entries are drawn independently. Where several entries cover a cell, the most specific wins:
region and specialty, then region, then specialty, then neither (as a region's own settle
rate beats the specialty's in docs/model.md §10). A rate no entry covers keeps the
instance's value. A ``population_scale`` factor multiplies the instance's population of
its region from its ``year`` until the next entry's year (the rule of docs/model.md §12's
``population_scale``).

Validation (:class:`RangesError`, the file and the key named, every problem at once):
unknown lists or keys, a missing ``min`` or ``max``, a value that is not a finite number, a
rate outside [0, 1], a factor ≤ 0, ``min > max``, ``mode`` outside ``[min, max]``, two entries
for the same cells, and (:meth:`Ranges.check`, against an instance) unknown region and
specialty ids and ``population_scale`` years outside the years after the plan.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from allocator.core.examples import not_found, resolve
from allocator.core.instance import Instance, InstanceError
from allocator.core.limits import did_you_mean, unknown

__all__ = ["KINDS", "Range", "Ranges", "RangesError", "load_ranges", "parse_ranges"]

#: The lists of a ranges file, in the order their entries are drawn.
KINDS = ("completion_rate", "settle_rate", "join_rate", "leave_rate", "fill_rate", "population_scale")
_BY_REGION = ("settle_rate", "fill_rate", "population_scale")
_VALUES = ("min", "mode", "max")
MAX_BYTES = 1_000_000


class RangesError(InstanceError):
    """A ranges file that cannot be used; the message names the file and each key at fault."""


@dataclass(frozen=True)
class Range:
    """One uncertain quantity: the ``index``-th entry of list ``kind``.

    ``region``/``specialty`` ``None`` cover every region/specialty; ``year`` is set for a
    ``population_scale`` only; ``mode`` is ``None`` for a uniform distribution on
    ``[low, high]``, else the peak of a triangular one.
    """

    kind: str
    index: int
    low: float
    high: float
    mode: float | None = None
    region: str | None = None
    specialty: str | None = None
    year: int | None = None

    @property
    def where(self) -> str:
        return f"{self.kind}[{self.index}]"

    @property
    def specificity(self) -> int:
        """0 (neither id) … 3 (region and specialty): the most specific entry wins a cell."""
        return 2 * (self.region is not None) + (self.specialty is not None)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The distribution's inverse CDF at ``u`` in [0, 1): ``low + u · (high − low)``
        (uniform) or the triangular inverse; exactly ``low`` when ``low == high``."""
        a, b = self.low, self.high
        if self.mode is None or a == b:
            return a + u * (b - a)
        c = self.mode
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < (c - a) / (b - a), left, right)


@dataclass(frozen=True)
class Ranges:
    """A parsed ranges file (format in the module docstring).

    Attributes
    ----------
    entries : every uncertain quantity, in drawing order (:data:`KINDS`, then file order).
    source : the file (or ``"ranges"`` for a mapping).
    description : free text, if given.
    sha256 : SHA-256 of the file's bytes (``None`` for a mapping).
    """

    entries: tuple[Range, ...]
    source: str = "ranges"
    description: str | None = None
    sha256: str | None = None

    def of(self, kind: str) -> list[tuple[int, Range]]:
        """``(column, entry)`` of one list, least specific first (the order they are applied)."""
        found = [(k, e) for k, e in enumerate(self.entries) if e.kind == kind]
        return sorted(found, key=lambda ke: ke[1].specificity)

    def draw(self, draws: int, seed: int | None) -> np.ndarray:
        """(draws, entries) uniform numbers in [0, 1) from ``numpy.random.default_rng(seed)``:
        row n, column k is draw n's quantile of entry k (so a draw does not depend on how the
        draws are split into chunks)."""
        return np.random.default_rng(seed).random((draws, len(self.entries)))

    def check(self, inst: Instance) -> None:
        """Raise :class:`RangesError` for ids the instance does not have, and ``population_scale``
        years that are not after the last planning year and at most ``pipeline.horizon_year``."""
        regions = [r.id for r in inst.regions]
        specialties = [s.id for s in inst.specialties]
        problems = []
        last, horizon = inst.years[-1], inst.pipeline.horizon_year if inst.pipeline else None
        for e in self.entries:
            if e.region is not None and e.region not in regions:
                problems.append((f"{e.where}.region", unknown("region", e.region, regions)))
            if e.specialty is not None and e.specialty not in specialties:
                problems.append((f"{e.where}.specialty", unknown("specialty", e.specialty, specialties)))
            if e.year is not None and horizon is not None and not last < e.year <= horizon:
                problems.append(
                    (
                        f"{e.where}.year",
                        f"{e.year} is not a year after the plan: population scales apply from "
                        f"{last + 1} to the horizon {horizon}",
                    )
                )
        if problems:
            raise RangesError(self.source, problems)


def _number(problems: list, where: str, value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append((where, f"must be a number (got {value!r})"))
        return None
    if value != value or value in (float("inf"), float("-inf")):
        problems.append((where, f"must be a finite number (got {value!r})"))
        return None
    return float(value)


def _entry(kind: str, i: int, raw: Any, problems: list) -> Range | None:
    where = f"{kind}[{i}]"
    if not isinstance(raw, Mapping):
        problems.append((where, f"must be a table of keys (got {raw!r})"))
        return None
    keys = ("region",) * (kind in _BY_REGION) + ("specialty",) * (kind != "population_scale")
    keys += ("year",) * (kind == "population_scale") + _VALUES
    start = len(problems)
    for key in raw:
        if key not in keys:
            why = (
                f"; {kind} is per specialty in docs/model.md §10 (region-level ranges exist for "
                "settle_rate and fill_rate)"
                if key == "region"
                else did_you_mean(str(key), keys)
            )
            problems.append((f"{where}.{key}", f"unknown key (known: {', '.join(keys)}){why}"))
    ids = {}
    for key in ("region", "specialty"):
        if key in raw and key in keys:
            if not isinstance(raw[key], str) or not raw[key]:
                problems.append((f"{where}.{key}", f"must be an id (text), got {raw[key]!r}"))
            else:
                ids[key] = raw[key]
    year = None
    if kind == "population_scale":
        year = raw.get("year")
        if year is None:
            problems.append((f"{where}.year", "is required: the first year the factor applies"))
        elif isinstance(year, bool) or not isinstance(year, int):
            problems.append((f"{where}.year", f"must be a whole year (got {year!r})"))
    vals = {}
    for key in _VALUES:
        if key in raw:
            vals[key] = _number(problems, f"{where}.{key}", raw[key])
        elif key != "mode":
            problems.append((f"{where}.{key}", "is required (uniform: min and max; triangular: min, mode and max)"))
    for key, v in vals.items():
        if v is None:
            continue
        if kind == "population_scale" and v <= 0:
            problems.append((f"{where}.{key}", f"{v:g} is not a population factor: it must be > 0 (1.0: unchanged)"))
        elif kind != "population_scale" and not 0 <= v <= 1:
            said = f"{v:g} is {100 * v:g} %" if v > 1 else f"{v:g} is below 0"
            problems.append((f"{where}.{key}", f"{said}: a rate is a fraction in [0, 1] (write 0.85 for 85 %)"))
    low, mode, high = vals.get("min"), vals.get("mode"), vals.get("max")
    if low is not None and high is not None and low > high:
        problems.append((f"{where}.min", f"min {low:g} is above max {high:g}"))
    elif mode is not None and low is not None and high is not None and not low <= mode <= high:
        problems.append((f"{where}.mode", f"mode {mode:g} is outside [min {low:g}, max {high:g}]"))
    if len(problems) > start or low is None or high is None:
        return None
    return Range(kind, i, low, high, mode, ids.get("region"), ids.get("specialty"), year)


def parse_ranges(data: Mapping[str, Any], source: str = "ranges", sha256: str | None = None) -> Ranges:
    """A :class:`Ranges` from the mapping a ranges file holds (the module docstring's format);
    :class:`RangesError` naming ``source`` and every key at fault."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, Mapping):
        raise RangesError(source, [("", "must be a table of lists (e.g. [[settle_rate]] entries)")])
    for key in data:
        if key not in (*KINDS, "description"):
            known = (*KINDS, "description")
            problems.append((str(key), f"unknown key (known: {', '.join(known)}){did_you_mean(str(key), known)}"))
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(("description", f"must be text (got {description!r})"))
    entries: list[Range] = []
    for kind in KINDS:
        raw = data.get(kind, [])
        if not isinstance(raw, list):
            problems.append((kind, f"must be a list of entries: write [[{kind}]] above each entry"))
            continue
        seen: dict[tuple, int] = {}
        for i, item in enumerate(raw):
            e = _entry(kind, i, item, problems)
            if e is None:
                continue
            cell = (e.region, e.specialty, e.year)
            if cell in seen:
                cells = ", ".join(f"{k} {v}" for k, v in zip(("region", "specialty", "year"), cell, strict=True) if v)
                problems.append(
                    (e.where, f"repeats {kind}[{seen[cell]}] (same cells: {cells or 'every one'}); keep one of them")
                )
                continue
            seen[cell] = i
            entries.append(e)
    if problems:
        raise RangesError(source, problems)
    return Ranges(tuple(entries), source, description, sha256)


def load_ranges(path: str | Path) -> Ranges:
    """Read a ranges file (TOML, the module docstring's format); :class:`RangesError` naming the
    file (and the key) when it cannot be read or is not valid. ``path`` may also name a shipped
    ranges file (``"pipeline-ranges"``); an existing path always wins over a name."""
    path = resolve(path, ("ranges",))
    source = str(path)

    def fail(msg: str) -> RangesError:
        return RangesError(source, [("", msg)])

    if path.is_dir():
        raise fail("is a folder, not a ranges file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail(
            "no such ranges file" + not_found(path, ("ranges",)).removeprefix("no such file or folder")
        ) from None
    except OSError as err:
        raise fail(f"cannot be read: {err.strerror or err}") from None
    if len(raw) > MAX_BYTES:
        raise fail(f"larger than {MAX_BYTES // 1_000_000} MB: not a ranges file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise fail(f"not UTF-8 text (byte {err.start}): save the ranges file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise fail(f"not valid TOML: {err}") from None
    except RecursionError:
        raise fail("not valid TOML: nested too deeply") from None
    return parse_ranges(data, source, hashlib.sha256(raw).hexdigest())
