"""The checker's report: one Violation per broken row, CheckReport with the recomputed measures."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from allocator.io.results import SHOWN

# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Violation:
    """One violated row (or one problem with the result's format).

    Attributes
    ----------
    constraint
        A docs/model.md §5 name (``capacity``, ``lock``, …) or a result-format name
        (``status``, ``allocation``, ``target``, ``objective``, ``kpi``).
    region, specialty, year
        The entity of the row; None where not applicable (e.g. ``national_moves`` has only a
        year).
    amount
        How far the row is violated, in its own unit (posts, cost, percentage points…); > 0.
    message
        The violation in plain words.
    team
        The team of a §11 row (``team``, ``team_mix``; ``specialty`` is then the member), else
        None (and left out of :meth:`to_dict`).
    """

    constraint: str
    region: str | None
    specialty: str | None
    year: int | None
    amount: float
    message: str
    team: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.team is None:
            del out["team"]
        return out


@dataclass
class CheckReport:
    """What :func:`check` found.

    Attributes
    ----------
    ok
        True when there is no violation.
    violations
        Every violation, in the order families are checked.
    checked
        False when the result had nothing to check (see the module docstring).
    status
        The result's status as given.
    notes
        Things the reader should know that are not violations (objective not compared,
        rows skipped because cells are missing, …).
    kpis
        The recomputed §8 measures, ``{year: {measure: value}}`` (a measure is None when
        missing cells make it impossible to compute).
    objective
        The recomputed objective when a model was given, else None.
    supply_kpis
        With a pipeline (docs/model.md §10): the recomputed measures of each assessed year,
        ``{year: {supply_gap, supply_gini, supply_max_shortfall_pct}}``; else empty.
    """

    ok: bool
    violations: list[Violation] = field(default_factory=list)
    checked: bool = True
    status: str | None = None
    notes: list[str] = field(default_factory=list)
    kpis: dict[int, dict[str, float | None]] = field(default_factory=dict)
    objective: float | None = None
    supply_kpis: dict[int, dict[str, float]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Number of violations per constraint name."""
        return dict(Counter(v.constraint for v in self.violations))

    def __str__(self) -> str:
        lines = []
        if not self.checked:
            head = "nothing to check"
        elif self.ok:
            head = "OK: the allocation satisfies every constraint checked"
        else:
            n = len(self.violations)
            head = f"FAILED: {n} violation{'s' if n != 1 else ''}"
        lines.append(f"check (status {self.status}): {head}")
        if self.violations:
            summary = ", ".join(f"{k} {n}" for k, n in self.counts().items())
            lines.append(f"  by constraint: {summary}")
            for v in self.violations[:SHOWN]:
                lines.append(f"  - {v.message}")
            if len(self.violations) > SHOWN:
                lines.append(f"  … and {len(self.violations) - SHOWN} more")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "status": self.status,
            "counts": self.counts(),
            "violations": [v.to_dict() for v in self.violations],
            "notes": list(self.notes),
            "objective": self.objective,
            "kpis": [{"year": y, **m} for y, m in self.kpis.items()],
        } | ({"supply_kpis": [{"year": y, **m} for y, m in self.supply_kpis.items()]} if self.supply_kpis else {})
