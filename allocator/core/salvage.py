"""Every problem of a file at once: set aside what pydantic refuses, so the cross-checks run on the rest.

pydantic checks shapes and types; the cross-checks of :mod:`allocator.core.validate` (unknown
ids, duplicates, years, later-version fields) need a validated :class:`Instance`. So that one
message lists the problems of both stages, the entries and fields pydantic names are set aside
here, and the rest is validated again:

- a field that is not a key (``posts``, ``population``, a rate) gets a harmless stand-in value
  (1.0, 1, ``False``, ``"?"``), so the entry's references (region, specialty, year) are still
  checked, and an entry that refers to it (``growth_allowance`` needs ``max_growth_rate``) does
  not report a follow-on problem;
- an entry whose key (``id``, ``region``, ``specialty``, ``year``) is wrong, or that is not an
  object, is dropped;
- an entry whose own rule fails (``min_posts > max_posts``) is reduced to its keys, so its
  references are still checked, and dropped if that is not enough;
- an unknown field is removed;
- ``baseline_year``, ``schema_version`` and ``pipeline.horizon_year`` get stand-in values chosen so
  that no year check fails because of them; a broken ``years``, ``regions``, ``specialties`` or
  ``baseline_posts`` leaves nothing sound to check against, and the cross-checks are skipped.

Every entry touched is *damaged*: a cross-check problem about it, or naming it (``first at
baseline_posts[3]``), is a follow-on and is not reported. The cross-checks' entry numbers
refer to the lists without the dropped entries; :meth:`Salvaged.original` maps them back.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from allocator.core.instance import SCHEMA_VERSION, Instance
from allocator.core.limits import MAX_YEARS, model_of

KEYS = frozenset({"id", "region", "specialty", "year", "team"})  # what an entry is about
GLOBAL = frozenset({"years", "regions", "specialties", "baseline_posts"})  # nothing to check against without them
ROUNDS = 5  # stand-in values can meet an entry's own rule (min_posts above a stand-in max_posts): try again

Loc = tuple[Any, ...]
_DROP, _DELETE = object(), object()


@dataclass
class _Set:
    value: Any


@dataclass
class Salvaged:
    """What validated once the refused entries were set aside."""

    instance: Instance
    maps: dict[str, list[int]]  # original path of a list -> original index of each kept entry
    damaged: set[str] = field(default_factory=set)  # original paths of the entries and fields set aside

    def original(self, text: str) -> str:
        """A path of the salvaged instance (``baseline_posts[3].region``), or a message naming
        such paths, with the entry numbers of the file as read."""
        return _PATH.sub(lambda m: self._path(m.group(0)), text)

    def _path(self, path: str) -> str:
        out, pos = "", 0
        for m in re.finditer(r"\[(\d+)\]", path):
            out += path[pos : m.start()]
            index = int(m.group(1))
            kept = self.maps.get(out)
            if kept is not None and index < len(kept):
                index = kept[index]
            out += f"[{index}]"
            pos = m.end()
        return out + path[pos:]

    def follows_from_damage(self, where: str, message: str) -> bool:
        """Whether a problem (paths already original) is about, or names, an entry set aside."""
        paths = [where, *_PATH.findall(message)]
        return any(q in self.damaged for p in paths for q in prefixes(p))


_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\[\d+\](?:\.?[A-Za-z_]\w*|\[\d+\])*")


def prefixes(path: str) -> list[str]:
    """``path`` and every path it lies inside: ``capacity[3].region`` -> ``capacity``,
    ``capacity[3]``, ``capacity[3].region``."""
    return [path[:i] for i, ch in enumerate(path) if ch in ".[" and i] + [path]


def path_text(loc: Loc) -> str:
    """``('baseline_posts', 12, 'region')`` -> ``baseline_posts[12].region``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def clean_loc(loc: Loc) -> Loc:
    """pydantic's location without the names of validators (``function-after[...]``)."""
    return tuple(p for p in loc if isinstance(p, int) or ("[" not in p and "(" not in p))


def salvage(data: dict[str, Any], err: ValidationError, strict: bool) -> Salvaged | None:
    """``data`` validated with the entries and fields of ``err`` set aside, or ``None`` when what
    is left cannot be checked (a broken ``years``, no regions, …)."""
    edits: dict[Loc, Any] = {}
    damaged: set[Loc] = set()
    reduced: set[Loc] = set()
    errors = err.errors()
    maps: dict[Loc, list[int]] = {}
    for _ in range(ROUNDS):
        for e in errors:
            loc = _original(clean_loc(e["loc"]), maps)
            if not _plan(data, loc, e["type"], edits, damaged, reduced):
                return None
        pruned, maps = _apply(data, edits)
        try:
            inst = Instance.model_validate(pruned, strict=strict)
        except ValidationError as again:
            errors = again.errors()
            continue
        return Salvaged(inst, {path_text(k): v for k, v in maps.items()}, {path_text(d) for d in damaged})
    return None


def _original(loc: Loc, maps: dict[Loc, list[int]]) -> Loc:
    out: list[Any] = []
    for part in loc:
        kept = maps.get(tuple(out))
        if isinstance(part, int) and kept is not None and part < len(kept):
            part = kept[part]
        out.append(part)
    return tuple(out)


def _get(data: Any, loc: Loc) -> Any:
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _entry(loc: Loc) -> tuple[int | None, Any, Any]:
    """The position in ``loc`` of its deepest entry (an index into a list of models) and that
    entry's model, and the model holding the last field of ``loc``."""
    model: Any = Instance
    holder: Any = Instance
    entry, entry_model = None, None
    for k, part in enumerate(loc):
        if isinstance(part, int):
            if model is not None and k > 0:
                entry, entry_model = k, model
            continue
        holder = model
        info = getattr(model, "model_fields", {}).get(part) if model is not None else None
        model = model_of(info.annotation) if info is not None else None
    return entry, entry_model, holder


def _plan(data: dict, loc: Loc, kind: str, edits: dict, damaged: set, reduced: set) -> bool:
    """Add the edit that sets aside the problem at ``loc``; ``False`` when nothing sound is left."""
    entry, model, holder = _entry(loc)
    if entry is not None:
        return _plan_entry(data, loc[: entry + 1], model, loc[entry + 1 :], kind, edits, damaged, reduced)
    if not loc or loc[0] in GLOBAL:
        return False
    if isinstance(loc[-1], int):  # an item of a list of values (assess_years[1]): the list
        loc = loc[:-1]
        _, _, holder = _entry(loc)
    damaged.add(loc)
    info = getattr(holder, "model_fields", {}).get(loc[-1])
    if kind == "extra_forbidden" or info is None:
        edits[loc] = _DELETE
        return True
    value = _global_stand_in(data, loc)
    if value is None:
        value = stand_in(info)
    if value is not None:
        edits[loc] = _Set(value)
    elif not info.is_required():
        edits[loc] = _DELETE
    else:
        return False
    return True


def _plan_entry(
    data: dict, where: Loc, model: Any, rest: Loc, kind: str, edits: dict, damaged: set, reduced: set
) -> bool:
    """Set aside the problem of an entry: a stand-in value for a field, the keys alone for the
    entry's own rule, the entry dropped when its key is wrong (or its keys alone still fail)."""
    entry = _get(data, where)
    fields = getattr(model, "model_fields", {})
    name = rest[0] if rest else None
    if edits.get(where) is _DROP:
        return True
    if not isinstance(entry, dict) or where in reduced or (name in KEYS and kind != "extra_forbidden"):
        edits[where] = _DROP
        damaged.add(where)
        return True
    if name is None:  # the entry's own rule (min_posts > max_posts): keep its keys
        reduced.add(where)
        keys = {k: v for k, v in entry.items() if k in KEYS and k in fields}
        for f, info in fields.items():
            if info.is_required() and f not in keys:
                value = stand_in(info)
                if value is None:
                    edits[where] = _DROP
                    damaged.add(where)
                    return True
                keys[f] = value
        edits[where] = _Set(keys)
        damaged.update(where + (f,) for f in fields if f not in KEYS)
        return True
    if kind == "extra_forbidden" or name not in fields:
        edits[where + (name,)] = _DELETE
        return True
    if name in ("delay_years", "delay_shares"):  # one share per delay: both or neither
        edits[where + ("delay_years",)] = _Set([1])
        edits[where + ("delay_shares",)] = _Set([1.0])
        damaged.update({where + ("delay_years",), where + ("delay_shares",)})
        return True
    value = stand_in(fields[name])
    if value is None:
        edits[where] = _DROP
        damaged.add(where)
    else:
        edits[where + (name,)] = _Set(value)
        damaged.add(where + (name,))
    return True


def _base(annotation: Any) -> Any:
    """``X`` of ``Annotated[X, ...]``, ``X | None``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def stand_in(info: Any) -> Any:
    """A value every check of a field accepts (1.0 for a number, a rate or a share; 1 for a
    whole number), or ``None`` when there is none (a list)."""
    ann = _base(info.annotation)
    if typing.get_origin(ann) is typing.Literal:
        return typing.get_args(ann)[0]
    if typing.get_origin(ann) is list:
        return None
    return {bool: False, int: 1, float: 1.0, str: "?"}.get(ann)


def _global_stand_in(data: dict, loc: Loc) -> Any:
    """Placeholders for the fields every year check depends on, chosen so none fails because of
    them."""
    years = data.get("years")
    sound = isinstance(years, list) and years and all(isinstance(y, int) and not isinstance(y, bool) for y in years)
    if loc == ("schema_version",):
        return SCHEMA_VERSION
    if loc == ("baseline_year",):
        return min(years) - 1 if sound else None
    if loc == ("pipeline", "horizon_year") and sound:
        mentioned = [y for y in _years(data) if min(years) <= y <= min(years) + MAX_YEARS - 1]
        return max([*years, *mentioned])
    return None


def _years(node: Any) -> list[int]:
    """Every year an entry names (``year``, ``assess_years``)."""
    out: list[int] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("year", "assess_years"):
                out += [y for y in (v if isinstance(v, list) else [v]) if type(y) is int]
            else:
                out += _years(v)
    elif isinstance(node, list):
        for v in node:
            out += _years(v)
    return out


def _apply(data: Any, edits: dict[Loc, Any]) -> tuple[Any, dict[Loc, list[int]]]:
    """``data`` with ``edits``, and for each list the original index of each kept entry."""
    maps: dict[Loc, list[int]] = {}
    added: dict[Loc, list[tuple[str, Any]]] = {}
    for loc, act in edits.items():
        if isinstance(act, _Set) and loc and isinstance(loc[-1], str):
            added.setdefault(loc[:-1], []).append((loc[-1], act.value))

    def build(node: Any, loc: Loc) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                act = edits.get(loc + (k,))
                if act is _DELETE:
                    continue
                out[k] = act.value if isinstance(act, _Set) else build(v, loc + (k,))
            for k, v in added.get(loc, []):
                out.setdefault(k, v)
            return out
        if isinstance(node, list):
            kept, index = [], []
            for i, v in enumerate(node):
                act = edits.get(loc + (i,))
                if act is _DROP:
                    continue
                kept.append(act.value if isinstance(act, _Set) else build(v, loc + (i,)))
                index.append(i)
            maps[loc] = index
            return kept
        return node

    return build(data, ()), maps
