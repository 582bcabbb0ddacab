"""Pacing in the report (docs/model.md §5b): the Assumptions rows of phases, limits by
specialty and floors, and the floor path of each region against the plan."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.core.instance import Instance

#: How many entries of each list are stated one by one before summarising.
LISTED = 10
LIMIT_WORDS = {
    "max_growth_rate": "grows at most {} a year",
    "growth_allowance": "plus {} posts of growth a year",
    "max_shrink_rate": "loses at most {} a year",
    "shrink_allowance": "plus {} posts of loss a year",
}


def _pct(share: float) -> str:
    return f"{100 * share:.4g} %"


def _limit_text(entry) -> str:
    parts = []
    for name, value in entry.given().items():
        if name == "shrink_by_programme_length":
            parts.append("loses at most 1/programme_years a year" if value else "no programme-length limit")
        elif value is None:
            parts.append(f"no {name.replace('max_', '').replace('_', ' ')} (removed)")
        elif name.endswith("rate"):
            parts.append(LIMIT_WORDS[name].format(_pct(value)))
        else:
            parts.append(LIMIT_WORDS[name].format(f"{value:g}"))
    return "; ".join(parts) or "the global limits"


def _floor_text(entry) -> str:
    if entry.share_of_target is not None:
        rule = f"at least {_pct(entry.share_of_target)} of its fair share"
    else:
        rule = (
            f"closes at least {_pct(entry.convergence)} of its baseline shortfall a year "
            f"(φ = 1 − {1 - entry.convergence:.4g}^k · g0)"
        )
    return f"from {entry.from_year}, {rule}"


def _floor_label(entry) -> str:
    where = entry.region or "every region"
    what = entry.specialty or "all specialties"
    level = "each cell" if entry.level == "cell" and entry.specialty is None else entry.level
    return f"Floor: {where}, {what} ({level})"


def pacing_rows(inst: Instance) -> list[tuple[str, str]]:
    """The Assumptions rows of §5b: each phase, each limit by specialty, each floor (or
    ``none``), at most :data:`LISTED` of each listed one by one."""
    rows: list[tuple[str, str]] = []
    blocks = (
        (
            "Phases",
            inst.phases,
            lambda e: f"Phase: {e.specialty}",
            lambda e: f"moves from {e.from_year}: before it no region loses posts of it",
        ),  # fmt: skip
        (
            "Limits by specialty",
            inst.transition_by_specialty,
            lambda e: f"Limits of {e.specialty} ({'every year' if e.year is None else e.year})",
            _limit_text,
        ),
        ("Floors", inst.floors, _floor_label, _floor_text),
    )
    for title, entries, label, text in blocks:
        if not entries:
            rows.append((title, "none"))
            continue
        rows += [(label(e), text(e)) for e in entries[:LISTED]]
        if len(entries) > LISTED:
            rows.append((title, f"… and {len(entries) - LISTED} more entries (in the instance)"))
    return rows


def floor_path(d: ProblemData, x: np.ndarray | None, rname: Callable[[str], str] = str) -> pd.DataFrame:
    """Per region and year from the first floor: the posts the floors ask for against the plan.

    A region's total floor (``level`` region) is stated as it is; cell floors are summed over
    the region's floored cells. Columns: Region, Floored, Year, Floor share (%) (the floor as a
    share of the fair share of what it covers), Floor (posts), Plan (posts), Fair share (posts),
    Plan above floor (posts). Empty without floors or without an allocation."""
    cols = ["Region", "Floored", "Year", "Floor share (%)", "Floor (posts)", "Plan (posts)", "Fair share (posts)"]
    cols.append("Plan above floor (posts)")
    p = d.pacing
    if p is None or x is None or not (p.floor_cell.any() or p.floor_region.any()):
        return pd.DataFrame(columns=cols)
    fair = d.target_of(x)
    rows = []
    for r, region in enumerate(d.regions):
        for t, year in enumerate(d.years):
            if p.floor_region[r, t] > 0:
                T, held, phi = fair[r, :, t].sum(), x[r, :, t].sum(), p.floor_region[r, t]
                rows.append([rname(region), "all specialties", year, 100 * phi, phi * T, held, T, held - phi * T])
            cells = np.flatnonzero(p.floor_cell[r, :, t] > 0)
            if len(cells):
                T = fair[r, cells, t]
                need = float((p.floor_cell[r, cells, t] * T).sum())
                held = float(x[r, cells, t].sum())
                what = d.specialties[cells[0]] if len(cells) == 1 else f"{len(cells)} specialties"
                share = 100 * need / T.sum() if T.sum() > 0 else 0.0
                rows.append([rname(region), what, year, share, need, held, float(T.sum()), held - need])
    return pd.DataFrame(rows, columns=cols)


PREFIXES = {"Phase: ": "phase", "Limits of ": "limit by specialty", "Floor: ": "floor"}


def pacing_counts(rows: list[tuple[str, str]]) -> dict[str, str]:
    """``{label: kind}`` of the §5b rows among the Assumptions rows of the transition limits."""
    return {k: kind for k, _ in rows for prefix, kind in PREFIXES.items() if k.startswith(prefix)}


def pacing_summary(counts: dict[str, str]) -> str:
    """``1 phase, 3 limits by specialty, 3 floors`` (see the Assumptions section)."""
    kinds = list(counts.values())
    plural = {"phase": "phases", "limit by specialty": "limits by specialty", "floor": "floors"}
    parts = [f"{kinds.count(k)} {k if kinds.count(k) == 1 else plural[k]}" for k in plural if k in kinds]
    return ", ".join(parts) + " (listed in the report's Assumptions section)"
