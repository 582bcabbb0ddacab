"""What a result was computed from (docs/model.md §9 v3 ``inputs``): hashes and versions.

``instance_sha256`` is the SHA-256 of the RFC 8785 canonical JSON (the JSON Canonicalization
Scheme, :mod:`rfc8785`) of the instance *as read*, before any default is filled in, whatever
format it came from:

- a JSON file: the parsed JSON object;
- a workbook or a CSV folder: the dict the table reader produced (after cell conversion:
  ``5%`` already 0.05, empty cells already left out), before validation;
- any dict given to :func:`allocator.validate` (the app's tables, scenario members): that dict.

:func:`allocator.core.validate.validate` remembers the hash of the data each :class:`Instance`
was validated from (:func:`remember`). An instance made any other way (``Instance(...)``,
``model_copy``) has no data as read: its hash is that of :meth:`Instance.to_dict` (the fields
that differ from their defaults). So the same file always gives the same hash, and a changed
copy of an instance never carries the hash of the file it was copied from.

``model_sha256`` is the hash of the canonical JSON of every field of the model in effect
(:meth:`ModelSpec.model_dump`, defaults included): the built-in default model has one too, and
a model file that omits a zero weight hashes like one that writes it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import sys
import weakref
from functools import cache
from typing import Any

import rfc8785
from pydantic import BaseModel

from allocator.core.instance import Instance

__all__ = ["canonical_sha256", "inputs", "instance_sha256", "model_sha256", "remember", "versions"]

#: id(instance) -> (a weak reference to it, the hash of the data it was read from)
_READ: dict[int, tuple[weakref.ref, str]] = {}


def canonical_sha256(data: Any) -> str:
    """The SHA-256 (hex) of the RFC 8785 canonical JSON of ``data``."""
    return hashlib.sha256(rfc8785.dumps(data)).hexdigest()


def _forget(key: int) -> None:
    _READ.pop(key, None)


def _store(inst: Instance, sha: str) -> None:
    key = id(inst)
    _READ[key] = (weakref.ref(inst, lambda _ref, key=key: _forget(key)), sha)


def remember(inst: Instance, data: Any) -> None:
    """Record the hash of the data ``inst`` was validated from (called by ``validate``).

    Data that has no canonical JSON (a number RFC 8785 cannot write, such as an integer beyond
    2^53) falls back to the hash of ``inst.to_dict()``."""
    try:
        sha = canonical_sha256(data)
    except ValueError:  # rfc8785.CanonicalizationError is one
        return
    _store(inst, sha)


def instance_sha256(inst: Instance) -> str:
    """The hash of ``inst`` as read (:func:`remember`), else of ``inst.to_dict()``."""
    known = _READ.get(id(inst))
    if known is not None and known[0]() is inst:
        return known[1]
    sha = canonical_sha256(inst.to_dict())
    _store(inst, sha)
    return sha


def model_sha256(spec: BaseModel) -> str:
    """The hash of every field of the model in effect (a :class:`~allocator.core.spec.ModelSpec`,
    defaults included)."""
    return canonical_sha256(spec.model_dump(mode="json"))


@cache
def versions() -> dict[str, str]:
    """``allocator_version`` (package metadata, else ``allocator.__version__``) and
    ``highs_version`` (the installed ``highspy``, which carries HiGHS's release number)."""
    try:
        mine = importlib.metadata.version("allocator")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        mine = getattr(sys.modules.get("allocator"), "__version__", "unknown")
    try:
        highs = importlib.metadata.version("highspy")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - highspy is a dependency
        highs = "unknown"
    return {"allocator_version": mine, "highs_version": highs}


def inputs(instance_sha: str | None, schema_version: int | None, spec: BaseModel) -> dict[str, Any]:
    """The §9 v3 ``inputs`` of a result: ``instance_sha256``, ``model_sha256``,
    ``allocator_version``, ``highs_version``, ``schema_version`` (as the instance declared it)."""
    return {
        "instance_sha256": instance_sha,
        "model_sha256": model_sha256(spec),
        **versions(),
        "schema_version": schema_version,
    }
