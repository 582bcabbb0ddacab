"""The app's only imports of package internals: the report writer, the workbook writer, the
shadow-price sentences (one by one and grouped), the words of a diagnosis and the Assumptions
section. Repoint these imports if the modules move."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import pandas as pd

from allocator.analysis.diagnosis_words import words_and_detail
from allocator.analysis.shadow import explain, group, names_from_instance
from allocator.io.instance import write_tables
from allocator.report.assumptions import assumptions
from allocator.report.write import write_report
from allocator.solution.arrays import posts_array

__all__ = [
    "area_brief",
    "assumption_sections",
    "diagnosis_words",
    "explain_sentences",
    "grouped_sentences",
    "instance_workbook",
    "report_files",
    "waterfall",
]

# Reports draw figures with matplotlib (Agg canvases, no pyplot state); one at a time keeps
# the memory of several sessions' reports bounded.
_REPORT_LOCK = threading.Lock()


def report_files(result, instance, spec=None) -> dict[str, bytes]:
    """The report of a result as ``{file name: bytes}``: report.xlsx, report.html and the
    figures (per_100k.png, change_map.png where the regions have a map, …); ``spec``, the
    model in effect, gives the Assumptions section its weights."""
    with _REPORT_LOCK, tempfile.TemporaryDirectory(prefix="allocator-app-") as tmp:
        written = write_report(result, instance, Path(tmp), model=spec)
        return {p.name: p.read_bytes() for p in written}


def instance_workbook(instance) -> bytes:
    """The instance as an Excel workbook (the same layout ``allocator convert`` writes)."""
    with tempfile.TemporaryDirectory(prefix="allocator-app-") as tmp:
        path = write_tables(instance, Path(tmp) / "instance.xlsx")
        return Path(path).read_bytes()


def explain_sentences(result, data, instance, spec) -> pd.DataFrame:
    """The binding constraints of a result as sentences, largest shadow price first."""
    return explain(result, data, names=names_from_instance(instance), spec=spec)


def grouped_sentences(result, data, instance, spec) -> pd.DataFrame:
    """The binding constraints of a result as sentences, one per family and region, largest
    shadow price first (:func:`allocator.analysis.shadow.group`)."""
    frame = explain_sentences(result, data, instance, spec)
    return group(frame, names=names_from_instance(instance), specialties=len(data.specialties))


def waterfall(result, data, region: str, name: str | None = None) -> tuple[pd.DataFrame, bytes]:
    """One region's fair-share waterfall (docs/model.md §3b) in the last planning year: the table
    ``step, posts`` (its steps summed over specialties, then the fair share) and the figure as PNG."""
    from allocator.report import figures
    from allocator.report.waterfall import region_figure, region_steps

    x = posts_array(result, data) if result.solved else None
    steps = region_steps(data, x, region)
    table = pd.DataFrame({"step": [*steps.index, "Fair share"], "posts": [*steps.to_numpy(), steps.sum()]})
    with _REPORT_LOCK:
        png = figures.to_bytes(region_figure(data, x, region, name), "png")
    return table, png


def area_brief(result, instance, region: str, spec=None):
    """One region's brief (:func:`allocator.report.brief.area_brief`) and its files
    (``brief.html``, ``brief.xlsx``, ``waterfall.csv``) as ``(brief, {file name: bytes})``."""
    from allocator.report.brief import area_brief as make
    from allocator.report.brief import brief_files

    with _REPORT_LOCK:
        b = make(result, instance, region, model=spec)
        return b, brief_files(b)


def diagnosis_words(diagnosis: dict | None) -> tuple[str, list[str], list[str]]:
    """``(summary, actions, technical detail)`` of a diagnosis, old or new."""
    return words_and_detail(diagnosis)


def assumption_sections(result, instance, spec) -> list[tuple[str, list[tuple[str, str]]]]:
    """The Assumptions section of a result (:func:`allocator.report.assumptions.assumptions`),
    the same rows the report's Assumptions carry."""
    return assumptions(instance, result, spec)
