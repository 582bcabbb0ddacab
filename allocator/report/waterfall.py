"""The fair-share waterfall as a figure (docs/model.md §3b): why a region's fair share is what it is.

For one region and the last planning year, the bars are its equal-per-head share of the
national totals (step ``population``), then the step of each need factor in the instance's
order (up: blue, down: red; floating from where the previous step ended), then its fair share
``T`` (the sum), all summed over its specialties. :func:`waterfall_figure` draws one panel per
region (a report with a ``need`` block); :func:`region_figure` one region (the app).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from allocator.core.data import ProblemData
from allocator.report.figures import AFTER, BEFORE, _figure, _literal, _styled, _wrap
from allocator.solution import vocabulary as V
from allocator.solution.waterfall import region_waterfall, waterfall_frame

UP, DOWN = "#005eb8", "#da291c"  # NHS blue, NHS red
COLUMNS = 4  # panels per row


BUILTIN_NAMES = {"population": "Equal per head", "need_index": "Need index", "need_weights": "Need weights"}


def step_labels(d: ProblemData, steps: list[str]) -> list[str]:
    """Display names of the steps: ``Equal per head``, then each factor's name (the built-ins
    ``Need index`` and ``Need weights`` unless the instance names them)."""
    names = {f.id: f.name for f in d.need_factors if f.name != f.id}
    return [names.get(s, BUILTIN_NAMES.get(s, s)) for s in steps]


def region_steps(d: ProblemData, x: np.ndarray | None, region: str, year: int | None = None) -> pd.Series:
    """One region's waterfall of its total fair share (posts per step), in the last planning
    year unless ``year`` is given; indexed by the steps' display names."""
    series = region_waterfall(waterfall_frame(d, x), region, year)
    series.index = step_labels(d, list(series.index))
    return series


def _draw(ax, steps: pd.Series, title: str, small: bool = False) -> None:
    values = steps.to_numpy(float)
    labels = [*steps.index, "Fair share"]
    ends = np.cumsum(values)
    starts = np.concatenate([[0.0], ends[:-1]])
    colours = [BEFORE] + [UP if v >= 0 else DOWN for v in values[1:]]
    ax.bar(range(len(values)), values, bottom=np.where(np.arange(len(values)) == 0, 0.0, starts), color=colours)
    ax.bar(len(values), ends[-1], color=AFTER)
    for i in range(1, len(values)):
        ax.plot([i - 0.6, i + 0.4], [starts[i], starts[i]], color="black", linewidth=0.5)
    for i, v in enumerate([*values, ends[-1]]):
        top = ends[-1] if i == len(values) else max(starts[i], ends[i]) if i else v
        shown = V.fmt("posts", v, sign=i not in (0, len(values)))
        ax.annotate(shown, (i, top), ha="center", va="bottom", fontsize=7, xytext=(0, 1), textcoords="offset points")
    if small:
        ax.set_xticks(range(len(labels)), [_literal(t) for t in labels], fontsize=7, rotation=35, ha="right")
    else:
        ax.set_xticks(range(len(labels)), [_wrap(_literal(t), 12) for t in labels], fontsize=7)
    ax.set_title(_literal(title), fontsize=9)
    ax.set_ylabel("posts", fontsize=8)
    ax.set_ylim(0, max(float(np.max(np.maximum(starts, ends))), 1e-9) * 1.18)


@_styled
def waterfall_figure(d: ProblemData, x: np.ndarray | None, region_names: list[str | None] | None = None) -> Figure:
    """One waterfall panel per region: its total fair share in the last planning year."""
    frame = waterfall_frame(d, x)
    names = [n or r for r, n in zip(d.regions, region_names or [None] * len(d.regions), strict=True)]
    cols = min(COLUMNS, len(d.regions))
    rows = math.ceil(len(d.regions) / cols)
    n_steps = frame["step"].nunique() + 1
    fig = _figure(max(3.2, 0.55 * n_steps) * cols, 3.0 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, (region, name) in enumerate(zip(d.regions, names, strict=True)):
        steps = region_waterfall(frame, region)
        steps.index = step_labels(d, list(steps.index))
        _draw(axes[k // cols][k % cols], steps, name, small=True)
    for k in range(len(d.regions), rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    fig.suptitle(f"Fair share in {d.years[-1]}: equal per head, then each need factor in turn", fontsize=11)
    return fig


@_styled
def region_figure(d: ProblemData, x: np.ndarray | None, region: str, name: str | None = None) -> Figure:
    """The waterfall of one region's total fair share in the last planning year."""
    steps = region_steps(d, x, region)
    fig = _figure(max(4.5, 0.9 * (len(steps) + 1)), 3.2)
    _draw(fig.subplots(), steps, f"{name or region}: fair share in {d.years[-1]}")
    return fig
