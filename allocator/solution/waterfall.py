"""The fair-share waterfall of a result (docs/model.md §3b) as a table.

``waterfall.csv`` (``region, specialty, year, step, posts``): per cell, the equal-per-head share
(step ``population``) and then one step per need factor in the instance's order; the steps of a
cell sum to its fair share ``T`` (for a ranged national total, that of the solution's total).
A result carries it, and writes it, only when its instance has a ``need`` block: version 1 and
2 results and their folders are unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData

WATERFALL_COLUMNS = ["region", "specialty", "year", "step", "posts"]


def waterfall_frame(d: ProblemData, x: np.ndarray | None = None) -> pd.DataFrame:
    """The waterfall of every cell (:meth:`ProblemData.waterfall`), one row per cell and step, in
    instance order (cells) then waterfall order (steps). ``x``: the posts, for a ranged total."""
    steps, posts = d.waterfall(x)
    R, S, Y = d.shape
    idx = pd.MultiIndex.from_product([d.regions, d.specialties, d.years, steps], names=WATERFALL_COLUMNS[:4])
    frame = idx.to_frame(index=False)
    frame["posts"] = np.moveaxis(posts, 0, -1).reshape(-1)  # (R, S, Y, steps)
    return frame


def region_waterfall(frame: pd.DataFrame, region: str, year: int | None = None) -> pd.Series:
    """One region's waterfall of its total fair share (over specialties) in ``year`` (default:
    the last year of the table): posts per step, in the table's step order."""
    rows = frame[frame["region"] == region]
    year = int(rows["year"].max()) if year is None else year
    rows = rows[rows["year"] == year]
    order = list(dict.fromkeys(rows["step"]))
    return rows.groupby("step", sort=False)["posts"].sum().reindex(order)


def attach(res, d: ProblemData, x: np.ndarray | None) -> None:
    """Set ``res.waterfall`` for posts ``x`` (None without a need block or without posts)."""
    res.waterfall = waterfall_frame(d, x) if d.has_need_block and x is not None else None
