"""The report of a result: an Excel workbook, figures (PNG and SVG) and a one-page HTML summary.

:func:`write_report` writes, into one folder,

- ``report.xlsx``: sheets Summary, Allocation, Changes, Regions, Measures, Binding, (with a
  pipeline, docs/model.md §10) Supply, Supply measures, Posts vs supply, Stock over time, (with
  teams, §11) Team measures, Team mix, (with a need block, §3b) Fair share explained, (for an
  infeasible result) Diagnosis, and Assumptions, with readable
  headers, frozen header rows, number formats and column widths
  (:mod:`allocator.report.workforce`);
- ``per_100k``, ``change_heatmap``, ``lorenz``, (when the regions have boundaries,
  :mod:`allocator.report.geo`) ``change_map``, (with a pipeline) ``stock_over_time`` and (with a
  ``need`` block, docs/model.md §3b) ``waterfall``, each as ``.png`` and ``.svg``
  (:mod:`allocator.report.figures`, :mod:`allocator.report.waterfall`);
- ``report.html``: one self-contained page (inline CSS, figures embedded) a person can read
  without Python: headline, measures, regions, shadow prices in words, diagnosis, figures,
  and the Assumptions section (:mod:`allocator.report.assumptions`; also a sheet of the workbook);
- ``.allocator-report.json``: the manifest of the files the report wrote, each with the
  sha256 of its content.

It refuses, with a :class:`ValueError` naming the difference and writing nothing, a result
that does not belong to the instance (another name, other regions, specialties or years,
other fair shares), and it never overwrites a file it cannot prove it wrote (one whose name
and current sha256 are not in the manifest) unless ``force`` is set; ``force`` replaces only
the report's own file names (:data:`OWN_NAMES`) and never deletes anything. A stale file of an
earlier report (a map no longer drawn) is deleted only when its content still matches the
manifest. Every file is written to a fresh temporary file (``tempfile.mkstemp``: exclusive,
unpredictable name) and then renamed, so a failure never leaves a half-written report. In the
workbook no cell is a formula: text starting with ``= + - @`` is a string cell with Excel's
quote prefix, and control characters are replaced by U+FFFD.

:func:`report_command` is the ``allocator report RESULT.json --instance INSTANCE --out DIR``
command (exit code 2, nothing written, on bad input, a mismatch or a refused overwrite).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from allocator.analysis import shadow
from allocator.core.data import problem_data
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec
from allocator.io.atomic import atomic_write
from allocator.io.instance import as_instance
from allocator.report import geo, uncertain
from allocator.report.guard import _proven, _read_manifest, _sha256, check_match, check_overwrite
from allocator.report.html import page_html
from allocator.report.tables import MANIFEST, PAGE, WORKBOOK, _Context
from allocator.report.workbook import workbook_bytes
from allocator.solution.arrays import posts_array
from allocator.solution.result import Result

if TYPE_CHECKING:
    from allocator.study.montecarlo import MonteCarlo

# ------------------------------------------------------------------------ writing


def _context(
    result: Result, instance: Instance, spec: ModelSpec | None = None, model_file: str | None = None
) -> _Context:
    d = problem_data(instance)
    check_match(result, instance, d)
    names = shadow.names_from_instance(instance)
    return _Context(
        result=result,
        instance=instance,
        d=d,
        x=posts_array(result, d),
        names=names,
        region_names=[r.name or r.id for r in instance.regions],
        specialty_names=[s.name or s.id for s in instance.specialties],
        spec=spec,
        model_file=model_file,
    )


def _manifest_bytes(files: dict[str, set[str]]) -> bytes:
    listed = {name: sorted(files[name]) for name in sorted(files)}
    return (json.dumps({"written_by": "allocator report", "files": listed}, indent=2) + "\n").encode()


def write_report(
    result: Result,
    instance: Instance | str | Path,
    out_dir: str | Path,
    force: bool = False,
    *,
    model: ModelSpec | None = None,
    model_file: str | None = None,
    montecarlo: MonteCarlo | None = None,
) -> list[Path]:
    """Write the workbook, the figures and the HTML page of a result into ``out_dir``.

    Parameters
    ----------
    result : Result
        A result (any status) of ``instance``.
    instance : Instance, str or Path
        The instance it was solved on, or the path of its file.
    out_dir : str or Path
        The folder, created if needed.
    force : bool
        Overwrite files of the same names that the report did not write.
    model : ModelSpec, optional
        The model in effect, whose weights the Assumptions section lists (without it, only
        the default model's are known, recognised by the result's ``model_sha256``).
    model_file : str, optional
        The name of the model file it was read from.
    montecarlo : MonteCarlo, optional
        A Monte Carlo evaluation of this plan (:func:`allocator.study.montecarlo.monte_carlo`):
        the report then has a section "Under uncertain rates" (the national fan chart
        ``fan_national``, the supply gap's P10/P50/P90 in each assessed year) and the workbook
        the sheets "Uncertain rates, national" and "Uncertain rates, regions".

    Returns
    -------
    list of Path
        The files written (the manifest ``.allocator-report.json`` not included).

    Raises
    ------
    ValueError
        The result does not match the instance (or ``montecarlo`` is of another instance, or
        given for a result without an allocation), ``out_dir`` is not a folder, or a file the
        report did not write would be overwritten without ``force``. Nothing is written.
    """
    from allocator.report import figures, waterfall  # matplotlib: imported only when a report is written

    out = Path(out_dir)
    instance = as_instance(instance)
    ctx = _context(result, instance, model, model_file)
    if montecarlo is not None:
        if ctx.x is None:
            raise ValueError(f"montecarlo: the result is {result.status}: it has no plan to show under uncertain rates")
        uncertain.check_fits(montecarlo, instance.name, ctx.d.regions)
        ctx.montecarlo = montecarlo
    match = geo.match_regions(ctx.d.regions, [r.name for r in instance.regions])
    stems = []
    if ctx.x is not None:
        stems = ["per_100k", "change_heatmap", "lorenz"]
        if match.ok:
            stems.append("change_map")
        else:
            ctx.notes.append(f"No map: {match.reason}.")
        if ctx.has_supply:
            stems.append("stock_over_time")
        if ctx.d.has_need_block:  # docs/model.md §3b: why each region's fair share is what it is
            stems.append("waterfall")
        if montecarlo is not None:
            stems.append("fan_national")
    else:
        ctx.notes.append("No figures: the result has no allocation.")
    names = [WORKBOOK, PAGE] + [f"{s}.{ext}" for s in stems for ext in ("png", "svg")]
    check_overwrite(out, names, force)

    # render everything in memory first: a failure here writes nothing
    files: dict[str, bytes] = {}
    pngs: dict[str, bytes] = {}
    if ctx.x is not None:
        rn, sn = ctx.region_names, ctx.specialty_names
        figs = {
            "per_100k": lambda: figures.per_100k_figure(ctx.d, ctx.x, rn),
            "change_heatmap": lambda: figures.change_heatmap(ctx.d, ctx.x, rn, sn),
            "lorenz": lambda: figures.lorenz_figure(ctx.d, ctx.x),
            "change_map": lambda: figures.change_map(ctx.d, ctx.x, match, rn),
            "stock_over_time": lambda: figures.stock_figure(ctx.d, ctx.stock_time, rn),
            "waterfall": lambda: waterfall.waterfall_figure(ctx.d, ctx.x, rn),
            "fan_national": lambda: fan.national_fan(montecarlo),
        }
        from allocator.study import fan

        for stem in stems:
            fig = figs[stem]()
            pngs[stem] = figures.to_bytes(fig, "png")
            files[f"{stem}.png"] = pngs[stem]
            files[f"{stem}.svg"] = figures.to_bytes(fig, "svg")
    files[WORKBOOK] = workbook_bytes(ctx)
    files[PAGE] = page_html(ctx, pngs).encode("utf-8")

    out.mkdir(parents=True, exist_ok=True)
    previous = _read_manifest(out)
    proven = {name: digests for name, digests in previous.items() if _proven(out, name, previous)}
    digests = {name: {_sha256(data)} for name, data in files.items()}
    # list the new files (and the proven old ones) before they appear, so that an
    # interrupted run can still be redone without --force
    before = {name: proven.get(name, set()) | digests.get(name, set()) for name in proven.keys() | digests.keys()}
    atomic_write({MANIFEST: _manifest_bytes(before)}, out)
    written = atomic_write(files, out)
    for stale in sorted(proven.keys() - files.keys()):  # ours, unchanged, from an earlier report (a map)
        (out / stale).unlink(missing_ok=True)
    atomic_write({MANIFEST: _manifest_bytes(digests)}, out)
    return written
