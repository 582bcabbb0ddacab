"""Fan charts of a Monte Carlo evaluation (:mod:`allocator.study.montecarlo`), drawn with
matplotlib alone (Agg canvas, no pyplot state), as PNG and SVG without timestamps.

- :func:`national_fan`: the national supply gap and total stock over the evaluation years:
  the band from P10 to P90, the median, and the central value (the instance's own rates);
- :func:`regions_fan`: each region's supply per 100,000 need-weighted population, the same
  way, one small panel per region on a shared scale.

Assessed years are marked by a dotted vertical line.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: A :class:`allocator.study.montecarlo.MonteCarlo` (not imported: that module imports this one).
MonteCarlo = Any

BAND = "#005eb8"  # NHS blue
CENTRAL = "#231f20"
_RC: Any = {  # matplotlib rc settings (typed Any: its stubs list every key as a Literal)
    "font.size": 9,
    "axes.titlesize": 10,
    "svg.hashsalt": "allocator",
    "svg.fonttype": "path",
}


def _fan(ax, years: list[int], draws: np.ndarray, central: np.ndarray, assessed: list[int]) -> None:
    """One fan on ``ax``: ``draws`` (n, E), ``central`` (E,)."""
    p10, p50, p90 = np.percentile(draws, (10, 50, 90), axis=0)
    ax.fill_between(years, p10, p90, color=BAND, alpha=0.25, linewidth=0, label="P10–P90")
    ax.plot(years, p50, color=BAND, linewidth=1.5, label="median (P50)")
    ax.plot(years, central, color=CENTRAL, linewidth=1, linestyle="--", label="central rates")
    for y in assessed:
        ax.axvline(y, color="#768692", linewidth=0.6, linestyle=":")
    ax.grid(axis="y", linewidth=0.3, alpha=0.5)


def national_fan(mc: MonteCarlo) -> Figure:
    """The national supply gap and total stock, P10–P90 band, median and central value."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(10, 3.8), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2)
        _fan(left, mc.years, mc.gap, mc.central["gap"][0], mc.assess_years)
        left.set_title("Supply gap Σ |stock − fair stock| (doctors)")
        _fan(right, mc.years, mc.stock.sum(axis=1), mc.central["stock"][0].sum(axis=0), mc.assess_years)
        right.set_title("Trained stock, all regions (doctors)")
        left.legend(loc="best", frameon=False)
        fig.suptitle(f"{mc.instance}: {mc.draws:,} draws (seed {mc.seed}); dotted: assessed years")
    return fig


def regions_fan(mc: MonteCarlo, columns: int = 7) -> Figure:
    """Each region's supply per 100,000 need-weighted population, one panel per region."""
    import matplotlib

    R = len(mc.regions)
    cols = min(columns, R)
    rows = math.ceil(R / cols)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(2.1 * cols, 1.7 * rows + 0.6), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)).ravel()
        for i, ax in enumerate(axes):
            if i >= R:
                ax.set_visible(False)
                continue
            _fan(ax, mc.years, mc.supply[:, i], mc.central["supply"][0, i], mc.assess_years)
            ax.set_title(str(mc.regions[i]).replace("$", r"\$"), fontsize=8)
            ax.tick_params(labelsize=7)
        axes[0].legend(loc="best", frameon=False, fontsize=6)
        fig.suptitle(
            f"{mc.instance}: supply per 100,000 need-weighted population, P10–P90 of {mc.draws:,} draws, "
            "median, central rates (dashed)"
        )
    return fig


def to_bytes(fig: Figure, fmt: str) -> bytes:
    """Render ``fig`` as ``png`` (150 dpi) or ``svg``, without timestamps."""
    import matplotlib

    buf = io.BytesIO()
    meta = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format=fmt, dpi=150, metadata=meta, facecolor="white")
    return buf.getvalue()


def fan_files(mc: MonteCarlo) -> dict[str, bytes]:
    """``{file name: bytes}`` of both fan charts, PNG and SVG."""
    out = {}
    for name, fig in (("fan_national", national_fan(mc)), ("fan_regions", regions_fan(mc))):
        for fmt in ("png", "svg"):
            out[f"{name}.{fmt}"] = to_bytes(fig, fmt)
    return out
