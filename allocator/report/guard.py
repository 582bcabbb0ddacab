"""Report guards: the result must match the instance, its stated measures must be those of its
allocation, and a folder is overwritten only where the report wrote it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.analysis.check import check
from allocator.core.data import ProblemData, problem_data
from allocator.core.instance import Instance
from allocator.report.tables import FIGURES, MANIFEST, PAGE, WORKBOOK
from allocator.solution.arrays import cell_array
from allocator.solution.result import SOLVED, Result

# ------------------------------------------------------------------------ checks

#: The checker's families of stated measures: what a report prints beside the allocation.
MEASURE_FAMILIES = ("kpi", "supply", "supply_kpi", "team")


def _diff(kind: str, in_result: set, in_instance: set) -> str | None:
    """'regions differ: in the result only: a, b; in the instance only: c' (None if equal)."""
    extra, missing = sorted(map(str, in_result - in_instance)), sorted(map(str, in_instance - in_result))
    if not extra and not missing:
        return None

    def show(items: list[str]) -> str:
        return ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")

    parts = []
    if extra:
        parts.append(f"in the result only: {show(extra)}")
    if missing:
        parts.append(f"in the instance only: {show(missing)}")
    return f"{kind} differ ({'; '.join(parts)})"


def check_match(result: Result, instance: Instance, d: ProblemData | None = None) -> None:
    """Raise :class:`ValueError` when ``result`` was not solved on ``instance``.

    Compared: the instance name; the regions, specialties and years of the allocation
    (one row per cell), of the measures and of the binding constraints; and the fair shares
    (``target``), which differ when the result was solved on other data under the same name.
    A solved result (``optimal``, ``feasible``) must have an allocation, and its stated
    measures (``kpis``, and ``supply``, ``supply_kpis``, ``teams`` where present) must be
    those the independent checker recomputes from that allocation and the instance
    (:func:`check_measures`), so a report never presents numbers its plan does not have.

    Raises
    ------
    ValueError
        One message listing every difference found.
    """
    d = d or problem_data(instance)
    problems = []
    if result.instance != instance.name:
        problems.append(f"the result is for instance '{result.instance}', not '{instance.name}'")
    a = result.allocation
    if result.status in SOLVED and (a is None or not len(a)):
        raise ValueError(
            f"allocation: missing or empty, but the status is {result.status}: a solved result gives one row "
            "of posts per region, specialty and year (solve again, or give the complete result file)"
        )
    if a is not None and len(a):
        years = set(pd.to_numeric(a["year"], errors="coerce").dropna().astype(int))
        for kind, got, want in (
            ("regions", set(a["region"].astype(str)), set(d.regions)),
            ("specialties", set(a["specialty"].astype(str)), set(d.specialties)),
            ("years", years, set(d.years)),
        ):
            msg = _diff(kind, got, want)
            if msg:
                problems.append(msg)
        if not problems:
            keys = a[["region", "specialty", "year"]].astype({"year": int})
            R, S, Y = d.shape
            if len(a) != R * S * Y or keys.duplicated().any():
                problems.append(
                    f"the allocation has {len(a)} rows, {int(keys.duplicated().sum())} of them repeated; "
                    f"the instance needs one per region, specialty and year ({R}×{S}×{Y} = {R * S * Y})"
                )
            else:
                target = cell_array(a, d, "target")
                expected = d.target_of(cell_array(a, d, "posts"))  # v2: a ranged total's shares follow x
                bad = np.abs(target - expected) > 1e-6 * np.maximum(1.0, np.abs(expected))
                if bad.any():
                    r, s, t = (int(i[0]) for i in np.nonzero(bad))
                    problems.append(
                        f"fair shares differ from the instance's in {int(bad.sum())} cells (e.g. "
                        f"{d.regions[r]}/{d.specialties[s]}/{d.years[t]}: {target[r, s, t]:.4g} in the result, "
                        f"{expected[r, s, t]:.4g} from the instance): the result was solved on other data"
                    )
    if result.kpis is not None and len(result.kpis):
        msg = _diff("measure years", set(pd.to_numeric(result.kpis["year"]).astype(int)), set(d.years))
        if msg:
            problems.append(msg)
    b = result.binding
    if b is not None and len(b):
        for kind, col, known in (
            ("binding-constraint regions", "region", set(d.regions)),
            ("binding-constraint specialties", "specialty", set(d.specialties)),
        ):
            unknown = set(b[col].dropna().astype(str)) - known
            if unknown:
                problems.append(f"{kind} unknown to the instance: {', '.join(sorted(unknown)[:8])}")
        unknown_years = set(pd.to_numeric(b["year"]).dropna().astype(int)) - set(d.years)
        if unknown_years:
            problems.append(f"binding-constraint years unknown to the instance: {sorted(unknown_years)}")
    sup = result.supply
    if sup is not None and len(sup):
        if d.pipeline is None:
            problems.append("the result has a workforce supply but the instance has no pipeline")
        else:
            ys = set(pd.to_numeric(sup["year"]).astype(int))
            for kind, got, want in (
                ("supply regions", set(sup["region"].astype(str)), set(d.regions)),
                ("supply specialties", set(sup["specialty"].astype(str)), set(d.specialties)),
                ("supply years", ys, set(d.pipeline.years)),
            ):
                if msg := _diff(kind, got, want):
                    problems.append(msg)
    if problems:
        raise ValueError("result does not match the instance: " + "; ".join(problems))
    check_measures(result, instance)


def check_measures(result: Result, instance: Instance, rtol: float = 1e-6) -> None:
    """Raise :class:`ValueError` when the measures a result states are not those of its allocation.

    The independent checker (:func:`allocator.analysis.check.check`) recomputes every §8
    measure (and §10/§11's) from the allocation and the instance; a stated value further than
    ``rtol · max(1, |recomputed|)`` from it is refused, the field named (e.g. ``kpis: 2026:
    gini reported 0.5, recomputed 0.041``).
    """
    if result.allocation is None or not len(result.allocation):
        return
    found = [v for v in check(instance, result, rtol=rtol).violations if v.constraint in MEASURE_FAMILIES]
    if found:
        field_ = {"kpi": "kpis", "supply_kpi": "supply_kpis", "team": "teams"}.get(found[0].constraint, "supply")
        first = found[0].message.split(": ", 1)[-1]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ValueError(
            f"{field_}: the stated measures disagree with the allocation: {first}{more}; "
            "the result was edited after solving: solve again, or check it with allocator check"
        )


# --------------------------------------------------------------------- manifest


# Every name the report may write: nothing else in --out is ever replaced or deleted.
OWN_NAMES = frozenset([WORKBOOK, PAGE, *(f"{s}.{ext}" for s in FIGURES for ext in ("png", "svg"))])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(out: Path) -> dict[str, set[str]]:
    """``{file name: sha256 digests}`` of the files a previous report says it wrote.

    Only the report's own file names (:data:`OWN_NAMES`) are taken; anything else a manifest
    lists (another name, a path, a folder) is ignored, as is a manifest that cannot be read
    or has no digests (an older or planted one proves nothing).
    """
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = data.get("files", {})
    except (OSError, ValueError, AttributeError, RecursionError):
        return {}
    if not isinstance(files, dict):
        return {}
    ours: dict[str, set[str]] = {}
    for name, digests in files.items():
        digests = [digests] if isinstance(digests, str) else digests
        if name in OWN_NAMES and isinstance(digests, list):
            ours[name] = {d for d in digests if isinstance(d, str) and len(d) == 64}
    return ours


def _proven(out: Path, name: str, manifest: dict[str, set[str]]) -> bool:
    """True when ``out/name`` is a regular file whose content hashes to a digest the
    manifest recorded for it: a file the report can prove it wrote."""
    path = out / name
    if name not in manifest or path.is_symlink() or not path.is_file():
        return False
    try:
        return _sha256(path.read_bytes()) in manifest[name]
    except OSError:
        return False


def check_overwrite(out: Path, names: list[str], force: bool = False) -> None:
    """Refuse to replace a file the report cannot prove it wrote, unless ``force``.

    A file is the report's when the manifest ``.allocator-report.json`` lists its name with
    the sha256 of its current content (so a planted manifest, or a file edited since, proves
    nothing). ``force`` allows replacing the files of ``names`` (the report's own file names,
    inside ``out``) whoever wrote them; it never allows deleting anything.

    Raises
    ------
    ValueError
        ``out`` is not a folder, or files would be overwritten (named in the message).
    """
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    if force or not out.exists():
        return
    ours = _read_manifest(out)
    clash = [n for n in names if ((out / n).exists() or (out / n).is_symlink()) and not _proven(out, n, ours)]
    if clash:
        raise ValueError(
            f"{out}: {', '.join(clash)} already exist{'s' if len(clash) == 1 else ''} and "
            f"{'was' if len(clash) == 1 else 'were'} not written by allocator report "
            f"(or changed since); use --force (force=True) to overwrite"
        )
