"""Typed findings: what the pre-solve checks, the feasibility relaxation and the IIS report.

Every record is a frozen dataclass with a ``kind`` saying what it is, so that code decides
on ``kind``, never on the words of ``message``. ``to_dict()`` gives the JSON of docs/model.md §9
(the ``diagnosis`` of a result), unchanged: ``kind`` of a :class:`Finding` is not part of it.

For code written against the older dicts, a :class:`Finding` and a :class:`ConflictMember`
also read like a read-only mapping of their JSON (``f["message"]``, ``f.get("relax_by")``,
``"region" in f``, ``dict(f)``).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allocator.core.families import DEFINITIONS

WHERE = ("team", "region", "specialty", "year")  # team: a §11 row (team_mix, team_gap)

#: What found a :class:`Finding`.
FINDING_KINDS = (
    "lock_outside_capacity",  # pre-solve: a lock outside its cell's capacity
    "not_whole",  # pre-solve, whole posts: a national total or lock is not a whole number
    "no_whole_number",  # pre-solve, whole posts: a range or capacity interval holds no whole number
    "out_of_reach",  # pre-solve: a national total, budget or moves limit out of reach of the bounds
    "unreachable",  # pre-solve: bounds propagated through growth and shrink limits cross
    "relaxation",  # HiGHS's feasibility relaxation moved a row
    "relaxed_bound",  # HiGHS's feasibility relaxation moved a bound of x (capacity or lock)
    "lp_feasible",  # the LP relaxation is feasible: whole posts conflict
    "error",  # the relaxation could not be computed
)


class _ReadOnlyMapping(Mapping):
    """``self[key]`` and ``get`` read ``to_dict()``; absent keys raise ``KeyError``."""

    @abstractmethod
    def to_dict(self) -> dict:
        """The record as its JSON object."""

    @property
    def where(self) -> dict:
        """``{team?, region?, specialty?, year?}``: the keys that are set."""
        return {k: getattr(self, k) for k in WHERE if getattr(self, k) is not None}

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


def _number(v):
    return float(v) if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) else v


@dataclass(frozen=True, eq=True)
class Finding(_ReadOnlyMapping):
    """One reason an instance cannot be solved, with the relaxation that would fix it.

    ``constraint`` is the §5 family (or ``unknown``/``error``); ``relax_by`` the amount by which
    to move its bound, ``direction`` (``up``/``down``) which way, ``bound`` which instance field
    where it is ambiguous (``max_posts``, ``min_posts``, ``lock``); ``rate`` and
    ``needed_rate`` for rate-type limits; ``kind`` one of :data:`FINDING_KINDS`.
    """

    constraint: str
    message: str
    kind: str
    region: str | None = None
    specialty: str | None = None
    year: int | None = None
    team: str | None = None
    relax_by: float | None = None
    direction: str | None = None
    bound: str | None = None
    rate: float | None = None
    needed_rate: float | None = None

    __hash__ = object.__hash__  # Mapping sets it to None; a frozen record hashes by identity

    def __post_init__(self):
        if self.kind not in FINDING_KINDS:
            raise ValueError(f"unknown finding kind '{self.kind}'")

    def to_dict(self) -> dict:
        rec = {"constraint": self.constraint, **self.where, "message": self.message}
        if self.relax_by is not None:
            rec["relax_by"] = float(self.relax_by)
        for k in ("direction", "bound", "rate", "needed_rate"):
            v = getattr(self, k)
            if v is not None:
                rec[k] = _number(v)
        return rec


def finding(constraint: str, message: str, kind: str, relax_by: float | None = None, **where) -> Finding:
    """A :class:`Finding`; ``where`` holds ``region``, ``specialty``, ``year``, ``direction``,
    ``bound``, ``rate`` and ``needed_rate`` (``None`` values are left unset)."""
    return Finding(constraint, message, kind, relax_by=relax_by, **where)


#: What a conflict member is: a row or a column bound of the HiGHS model, or a fact of the
#: data stated by the pre-solve checks.
MEMBER_KINDS = ("row", "column", "data")


@dataclass(frozen=True, eq=True)
class ConflictMember(_ReadOnlyMapping):
    """One member of a conflict (an irreducible infeasible subset, or a pre-solve conflict).

    ``name`` is ``family[keys]``; ``kind`` is ``row``, ``column`` or ``data``; ``index`` the row
    or column in the HiGHS model; ``bound`` the side in conflict (``upper``, ``lower``,
    ``both``); ``value`` that bound's number; ``limit`` the bound in short form (``≤ 4.5``).
    """

    constraint: str
    name: str
    kind: str
    message: str
    index: int | None = None
    region: str | None = None
    specialty: str | None = None
    year: int | None = None
    team: str | None = None
    scenario: str | None = None  # v3 §12: a member future's own row
    bound: str | None = None
    equality: bool | None = None
    value: float | None = None
    limit: str | None = None

    __hash__ = object.__hash__

    def __post_init__(self):
        if self.kind not in MEMBER_KINDS:
            raise ValueError(f"unknown conflict member kind '{self.kind}'")

    @property
    def policy(self) -> bool:
        """Not a definition: a rule a policy team set."""
        return self.constraint not in DEFINITIONS

    def to_dict(self) -> dict:
        rec: dict = {"constraint": self.constraint, "name": self.name, "kind": self.kind}
        if self.index is not None:
            rec["index"] = self.index
        rec.update(self.where)
        if self.bound is not None:
            rec["bound"] = self.bound
        if self.equality is not None:
            rec["equality"] = self.equality
        if self.kind in ("row", "column") or self.value is not None:  # a row's value may be null (inf)
            rec["value"] = self.value
        if self.limit is not None:
            rec["limit"] = self.limit
        rec["message"] = self.message
        return rec


#: How a diagnosis found its findings.
DIAGNOSIS_KINDS = ("pre-solve", "relaxation")


@dataclass(frozen=True)
class Diagnosis:
    """The ``diagnosis`` of an infeasible result (docs/model.md §9); ``to_dict()`` is its JSON.

    ``kind``: ``pre-solve`` (the findings are the pre-solve checks') or ``relaxation`` (HiGHS's
    feasibility relaxation); ``conflict_status``: ``irreducible``, ``reducible``,
    ``time_limit``, ``feasible``, ``pre-solve`` or ``unavailable``. ``summary`` and
    ``actions`` are words a policy analyst acts on (``actions[i]``: ``findings[i]`` as a
    sentence that starts with what to change); ``technical_detail`` holds what a researcher
    checks (the stage, the solver's conflict set, the raw ``relax_by`` figures), one line each.
    """

    kind: str
    summary: str
    findings: tuple[Finding, ...]
    conflict: tuple[ConflictMember, ...] = field(default=())
    conflict_status: str = "unavailable"
    actions: tuple[str, ...] = field(default=())
    technical_detail: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.kind not in DIAGNOSIS_KINDS:
            raise ValueError(f"unknown diagnosis kind '{self.kind}'")

    @property
    def constraints(self) -> list[str]:
        """The families of the findings, sorted."""
        return sorted({f.constraint for f in self.findings})

    def to_dict(self) -> dict:
        return {
            "summary": self.summary,
            "actions": list(self.actions),
            "constraints": self.constraints,
            "findings": [f.to_dict() for f in self.findings],
            "conflict": [m.to_dict() for m in self.conflict],
            "conflict_status": self.conflict_status,
            "technical_detail": list(self.technical_detail),
        }
