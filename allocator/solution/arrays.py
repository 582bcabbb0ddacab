"""A result's cells back to (R, S, Y) arrays in the instance's order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.solution.result import Result


def cell_array(frame: pd.DataFrame, d: ProblemData, column: str) -> np.ndarray:
    """A long ``region, specialty, year, column`` table as an (R, S, Y) array, instance order."""
    ri = {r: i for i, r in enumerate(d.regions)}
    si = {s: i for i, s in enumerate(d.specialties)}
    ti = {t: i for i, t in enumerate(d.years)}
    out = np.full(d.shape, np.nan)
    out[
        frame["region"].astype(str).map(ri).to_numpy(),
        frame["specialty"].astype(str).map(si).to_numpy(),
        frame["year"].astype(int).map(ti).to_numpy(),
    ] = pd.to_numeric(frame[column]).to_numpy(float)
    return out


def posts_array(res: Result, d: ProblemData) -> np.ndarray | None:
    """The result's posts as an (R, S, Y) array in instance order (``None`` without an allocation)."""
    if res.allocation is None or not len(res.allocation):
        return None
    return cell_array(res.allocation, d, "posts")
