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


def _fan(ax, years: list[int], q: np.ndarray, central: np.ndarray, assessed: list[int]) -> None:
    """One fan on ``ax``: ``q`` (3, E) the P10, P50 and P90 over the draws, ``central`` (E,)."""
    p10, p50, p90 = q
    ax.fill_between(years, p10, p90, color=BAND, alpha=0.25, linewidth=0, label="P10–P90")
    ax.plot(years, p50, color=BAND, linewidth=1.5, label="median (P50)")
    ax.plot(years, central, color=CENTRAL, linewidth=1, linestyle="--", label="central rates")
    for y in assessed:
        ax.axvline(y, color="#768692", linewidth=0.6, linestyle=":")
    ax.grid(axis="y", linewidth=0.3, alpha=0.5)


def _short(name: str, width: int = 34) -> str:
    """A panel title: the name, cut to ``width`` characters."""
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"


def national_fan(mc: MonteCarlo) -> Figure:
    """The national supply gap and total stock, P10–P90 band, median and central value."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(10, 3.8), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2)
        _fan(left, mc.years, mc.percentiles("gap"), mc.values("gap")[1], mc.assess_years)
        left.set_title("Supply gap Σ |stock − fair stock| (doctors)")
        _fan(right, mc.years, mc.percentiles("national_stock"), mc.values("national_stock")[1], mc.assess_years)
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
        height = 1.7 * rows + 0.7
        # laid out by hand: a constrained layout of many panels costs seconds at every save
        fig = Figure(figsize=(2.1 * cols, height), dpi=100)
        FigureCanvasAgg(fig)
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.35 / height, top=1 - 0.6 / height, wspace=0.1, hspace=0.35)
        # one scale for every panel, set before drawing: shared axes and autoscaling cost time
        # quadratic in the number of panels
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
        q, central = mc.percentiles("supply"), mc.values("supply")[1]
        ticks = [y for y in mc.years if y % 5 == 0] or [mc.years[0], mc.years[-1]]
        top = max(float(q.max()), float(central.max()), 1e-9) * 1.05
        bottom = min(0.0, float(q.min()), float(central.min()))
        for i, ax in enumerate(axes):
            if i >= R:
                ax.set_visible(False)
                continue
            ax.set_xlim(mc.years[0] - 0.5, mc.years[-1] + 0.5)
            ax.set_xticks(ticks, [str(y) for y in ticks])
            ax.set_ylim(bottom, top)
            _fan(ax, mc.years, q[:, i], central[i], mc.assess_years)
            name = mc.region_names[i] if mc.region_names else mc.regions[i]
            ax.set_title(_short(str(name)).replace("$", r"\$"), fontsize=7)
            ax.tick_params(labelsize=7)
            if i % cols:
                ax.tick_params(labelleft=False)
            if i + cols < R:
                ax.tick_params(labelbottom=False)
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


def region_fan(mc: MonteCarlo, region: str, name: str | None = None) -> Figure:
    """One region's supply per 100,000 need-weighted population: P10–P90 band, median and
    central value, a small figure for a page (the area brief)."""
    import matplotlib

    i = mc.regions.index(region)
    with matplotlib.rc_context(_RC | {"font.size": 8}):
        fig = Figure(figsize=(4.8, 3.2), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        _fan(ax, mc.years, mc.percentiles("supply")[:, i], mc.values("supply")[1][i], mc.assess_years)
        ax.set_ylabel("per 100,000 need-weighted population")
        ax.set_title(f"{_short(str(name or region), 40)}: supply, {mc.draws:,} draws".replace("$", r"\$"), fontsize=9)
        ax.legend(loc="best", frameon=False, fontsize=7)
    return fig
