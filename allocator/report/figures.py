"""Figures for reports, drawn with matplotlib alone (Agg canvas, no pyplot state).

Every function takes the problem data ``d``, posts ``x[r,s,t]`` (an (R, S, Y) array in
instance order) and display names, and returns a :class:`matplotlib.figure.Figure`;
:func:`to_bytes` renders one as PNG or SVG. The figures compare the final planning year with
the baseline:

- :func:`per_100k_figure`: posts per 100,000 need-weighted population by region, before and
  after, with each region's fair share marked;
- :func:`change_heatmap`: change in posts by region × specialty (diverging, centred at 0);
- :func:`lorenz_figure`: Lorenz curves of posts against need, before and after, with the
  line of equality;
- :func:`change_map`: change in posts per 100,000 by region on a map of the vendored
  boundaries (:mod:`allocator.report.geo`), when the regions can be matched;
- :func:`stock_figure` (a result with a pipeline, docs/model.md §10): the trained stock by region
  over the evaluation years, with its fair stock dashed.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from allocator.core.data import ProblemData
from allocator.report import geo
from allocator.solution import equity
from allocator.solution import vocabulary as V
from allocator.solution.measures import weighted_gini

BEFORE = "#a5a5a5"  # baseline: grey
AFTER = "#005eb8"  # final year: NHS blue
DIVERGING = "RdBu"  # red = fewer posts, blue = more
# above this many regions, cells and regions are not annotated (they would overlap)
ANNOTATE_MAX = 15

_RC = {"font.size": 9, "axes.titlesize": 11, "svg.hashsalt": "allocator", "svg.fonttype": "path"}


def _styled(func):
    """Run a figure function under the report's matplotlib style (fonts, SVG settings)."""
    import functools

    import matplotlib

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(_RC):
            return func(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def to_bytes(fig: Figure, fmt: str) -> bytes:
    """Render a figure as ``png`` (150 dpi) or ``svg``, without timestamps in the file."""
    import matplotlib

    buf = io.BytesIO()
    meta = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format=fmt, dpi=150, metadata=meta, facecolor="white")
    return buf.getvalue()


def _literal(text: str) -> str:
    """A name drawn as written: ``$`` escaped (matplotlib would read ``$…$`` as mathtext and
    fail on a bad formula), control characters (NUL, ESC, …) shown as U+FFFD."""
    text = "".join("\ufffd" if (ord(c) < 32 and c not in "\t\n") or ord(c) == 127 else c for c in str(text))
    return text.replace("$", r"\$")


def _names(ids: list[str], names: list[str | None] | None) -> list[str]:
    """Display names (the id where there is none), without words every name shares at the
    start or end ("NHS … ICB"), which only take room on an axis."""
    out = [_literal(n or i) for i, n in zip(ids, names or [None] * len(ids), strict=True)]
    words = [n.split() for n in out]
    if len(out) < 2:
        return out
    head = 0
    while all(len(w) > head + 1 for w in words) and len({w[head] for w in words}) == 1:
        head += 1
    tail = 0
    while all(len(w) > head + tail + 1 for w in words) and len({w[-1 - tail] for w in words}) == 1:
        tail += 1
    return [" ".join(w[head : len(w) - tail]) for w in words]


def _wrap(text: str, width: int = 22) -> str:
    """Break a long label at spaces so tick labels stay narrow."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines)


@_styled
def per_100k_figure(d: ProblemData, x: np.ndarray, region_names: list[str | None] | None = None) -> Figure:
    """Horizontal bars: posts per 100,000 need-weighted population per region, baseline and
    final year, with the region's fair share marked by a black bar.

    Regions are sorted by how far the baseline falls below the fair share, the most
    under-provided at the top. ``before`` is the baseline against the final year's
    population (:func:`allocator.solution.equity.per_100k_table`).
    """
    names = _names(d.regions, region_names)
    before = equity.per_100k(d, d.baseline_by_year)[:, -1]
    after = equity.per_100k(d, x)[:, -1]
    fair = equity.per_100k(d, d.target)[:, -1]
    ratio = np.divide(before, fair, out=np.ones_like(before), where=fair > 0)
    order = np.argsort(-ratio, kind="stable")  # barh draws bottom-up: most under-provided last = top
    R = len(names)
    fig = _figure(8.0, max(3.0, 0.55 * R + 1.4) if R <= ANNOTATE_MAX else max(6.0, 0.22 * R + 1.6))
    ax = fig.add_subplot()
    y = np.arange(R)
    h = 0.38
    ax.barh(y + h / 2, before[order], height=h, color=BEFORE, label=f"Baseline {d.baseline_year}")
    ax.barh(y - h / 2, after[order], height=h, color=AFTER, label=f"{d.years[-1]}")
    ax.scatter(fair[order], y, marker="|", s=(260 if R <= ANNOTATE_MAX else 70), linewidths=2.2, color="black")
    labels = [_wrap(names[i], 28) if R <= ANNOTATE_MAX else names[i] for i in order]
    ax.set_yticks(y, labels, fontsize=9 if R <= ANNOTATE_MAX else 6.5)
    ax.set_xlabel(V.label("per_100k"))
    fig.suptitle(f"{V.name('per_100k')}: baseline {d.baseline_year} and {d.years[-1]}")
    ax.grid(axis="x", color="#e5e5e5")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylim(-0.7, R - 0.3)
    handles = [
        Patch(color=BEFORE, label=f"Baseline {d.baseline_year}"),
        Patch(color=AFTER, label=f"{d.years[-1]}"),
        Line2D([], [], color="black", marker="|", linestyle="none", markersize=12, markeredgewidth=2.2),
    ]
    fig.legend(
        handles,
        [f"Baseline {d.baseline_year}", f"Allocation {d.years[-1]}", V.name("per_100k_fair_share")],
        loc="outside lower center",
        ncols=3,
        frameon=False,
    )
    return fig


@_styled
def change_heatmap(
    d: ProblemData,
    x: np.ndarray,
    region_names: list[str | None] | None = None,
    specialty_names: list[str | None] | None = None,
) -> Figure:
    """Region × specialty heatmap of the change in posts, final year minus baseline.

    Diverging colours centred at 0 (blue = more posts, red = fewer), symmetric about 0 so
    equal gains and losses have equal strength. Cells carry their value when the table is
    small enough to read.
    """
    rn, sn = _names(d.regions, region_names), _names(d.specialties, specialty_names)
    change = x[:, :, -1] - d.baseline
    R, S = change.shape
    big = R > ANNOTATE_MAX
    fig = _figure(max(7.0, 0.62 * S + 3.2), max(3.4, 0.5 * R + 2.2) if not big else max(7.0, 0.2 * R + 2.5))
    ax = fig.add_subplot()
    lim = float(np.abs(change).max()) or 1.0
    norm = Normalize(-lim, lim)
    im = ax.imshow(change, cmap=DIVERGING, norm=norm, aspect="auto", interpolation="nearest")
    ax.set_xticks(np.arange(S), [_wrap(n, 16) for n in sn], rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(np.arange(R), [_wrap(n, 26) if not big else n for n in rn], fontsize=9 if not big else 6.5)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xticks(np.arange(S + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(R + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.0)
    ax.tick_params(which="minor", length=0)
    ax.spines[:].set_visible(False)
    if not big and S <= 20:
        cmap = im.get_cmap()
        for r in range(R):
            for s in range(S):
                v = change[r, s]
                rgb = cmap(norm(v))[:3]
                dark = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 0.5
                ax.text(
                    s,
                    r,
                    f"{v:+.0f}".replace("-", "\u2212") if abs(v) >= 0.5 else "0",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if dark else "black",
                )
    ax.set_title(f"Change in posts, {d.years[-1]} against baseline {d.baseline_year}")
    cb = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
    cb.set_label("Posts gained (+) or lost (−)")
    return fig


@_styled
def lorenz_figure(d: ProblemData, x: np.ndarray) -> Figure:
    """Lorenz curves of posts against need across regions, baseline and final year.

    Regions are ordered from the least to the most provided (posts per 100,000
    need-weighted population); the further a curve sags below the line of equality, the
    more unequal the provision. The legend gives each curve's Gini coefficient.
    """
    lz = equity.lorenz_by_year(d, x)
    final = d.years[-1]
    wp = d.weighted_population
    g0 = weighted_gini(equity.per_100k(d, d.baseline_by_year)[:, 0], wp[:, 0])
    g1 = weighted_gini(equity.per_100k(d, x)[:, -1], wp[:, -1])
    fig = _figure(5.6, 5.6)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1, label="Equality (posts follow need)")
    marker = "o" if len(d.regions) <= ANNOTATE_MAX else None
    for year, colour, label in (
        (d.baseline_year, BEFORE, f"Baseline {d.baseline_year} (Gini {V.fmt('gini', g0)})"),
        (final, AFTER, f"{final} (Gini {V.fmt('gini', g1)})"),
    ):
        pts = lz[lz["year"] == year]
        ax.plot(
            pts["need_share"], pts["posts_share"], color=colour, marker=marker, markersize=4, linewidth=2, label=label
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("Cumulative share of need-weighted population\n(regions from least to most provided)")
    ax.set_ylabel("Cumulative share of posts")
    ax.set_title("Lorenz curves of posts against need")
    ax.grid(color="#eeeeee")
    ax.legend(loc="upper left", frameon=False)
    return fig


@_styled
def change_map(
    d: ProblemData,
    x: np.ndarray,
    match: geo.Match,
    region_names: list[str | None] | None = None,
) -> Figure:
    """Map of the change in posts per 100,000 need-weighted population, final year against
    baseline, each region filled on a diverging scale centred at 0.

    ``match`` comes from :func:`allocator.report.geo.match_regions` and must be ``ok``. Regions are
    labelled with their name and change when there are few enough to read.
    """
    if not match.ok:
        raise ValueError(f"no map: {match.reason}")
    names = _names(d.regions, region_names)
    change = equity.per_100k(d, x)[:, -1] - equity.per_100k(d, d.baseline_by_year)[:, -1]
    values = dict(zip(d.regions, change, strict=True))
    lim = float(np.abs(change).max()) or 1.0
    norm = Normalize(-lim, lim)
    import matplotlib

    cmap = matplotlib.colormaps[DIVERGING]
    fig = _figure(6.4, 7.2)
    ax = fig.add_subplot()
    geo.draw(ax, match.features, values, cmap, norm)
    if len(d.regions) <= ANNOTATE_MAX:
        _label_regions(ax, d.regions, names, change, match)
    sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    cb = fig.colorbar(sm, ax=ax, shrink=0.6, pad=0.02)
    cb.set_label(f"Change in {V.name('per_100k').lower()}")
    ax.set_title(f"Change in {V.name('per_100k').lower()},\n{d.years[-1]} against baseline {d.baseline_year}")
    fig.text(0.01, 0.005, geo.ATTRIBUTION, fontsize=5.5, color="#666666", ha="left", va="bottom", wrap=True)
    return fig


def _label_regions(ax, regions: list[str], names: list[str], change: np.ndarray, match: geo.Match) -> None:
    """Label each region with its name and change: inside the region where it fits, else
    beside the map to the east with a leader line (London)."""
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "linewidth": 0}
    x0, x1 = ax.get_xlim()
    outside = []
    for i, rid in enumerate(regions):
        lon, lat, radius = geo.label_point(match.features[rid])
        text = f"{_wrap(names[i], 14)}\n" + V.fmt("per_100k", change[i], sign=True).replace("-", "\u2212")
        if radius >= 0.2:
            ax.text(lon, lat, text, ha="center", va="center", fontsize=7.5, bbox=box)
        else:
            outside.append((lat, lon, text))
    if not outside:
        return
    x_text = x1 + 0.2
    last = None
    for lat, lon, text in sorted(outside, reverse=True):
        y = lat if last is None else min(lat, last - 0.6)
        last = y
        ax.annotate(
            text,
            (lon, lat),
            xytext=(x_text, y),
            ha="left",
            va="center",
            fontsize=7.5,
            bbox=box,
            arrowprops={"arrowstyle": "-", "color": "#333333", "linewidth": 0.8, "shrinkA": 0, "shrinkB": 0},
        )
    ax.set_xlim(x0, x1 + 1.6)


@_styled
def stock_figure(d: ProblemData, frame, region_names: list[str | None] | None = None) -> Figure:
    """Lines: the trained stock of all specialties by region over the evaluation years (solid),
    each with its fair stock (dashed, same colour); the assessed years marked.

    ``frame`` is :func:`allocator.report.workforce.stock_time_frame` (``region, year, stock,
    fair_stock``)."""
    import matplotlib

    names = dict(zip(d.regions, _names(d.regions, region_names), strict=True))
    R = len(d.regions)
    cmap = matplotlib.colormaps["tab10" if R <= 10 else "tab20"]
    fig = _figure(8.6, 5.0 if R <= ANNOTATE_MAX else 6.5)
    ax = fig.add_subplot()
    for i, region in enumerate(d.regions):
        f = frame[frame["region"] == region]
        colour = cmap(i % cmap.N)
        ax.plot(f["year"], f["stock"], color=colour, linewidth=2, label=names[region])
        ax.plot(f["year"], f["fair_stock"], color=colour, linewidth=1.2, linestyle="--")
    for year in d.pipeline.assess_years:
        ax.axvline(year, color="#888888", linewidth=0.8, linestyle=":")
    ax.axvspan(d.years[0] - 0.5, d.years[-1] + 0.5, color="#f0f4f5", zorder=0)
    assessed = ", ".join(map(str, d.pipeline.assess_years))
    ax.set_xlabel(f"Year (shaded: planning years; dotted: assessed years {assessed})")
    ax.set_ylabel(f"{V.name('stock')}, all specialties (doctors)")
    ax.set_title("Trained stock by region (solid) and its fair stock (dashed)")
    ax.grid(color="#eeeeee")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(d.pipeline.years[0], d.pipeline.years[-1])
    if R <= 2 * ANNOTATE_MAX:
        handles, labels = ax.get_legend_handles_labels()
        handles += [Line2D([], [], color="black", linewidth=2), Line2D([], [], color="black", linestyle="--")]
        labels += ["Stock", "Fair stock"]
        fig.legend(handles, labels, loc="outside right center", frameon=False, fontsize=8 if R <= ANNOTATE_MAX else 6)
    return fig
