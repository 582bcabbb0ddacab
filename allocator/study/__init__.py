"""Studies of many solves: weighting grids and scenarios, warm-started sweeps on Dask, the
Parquet results store, Pareto frontiers and synthetic instances.

The public names are listed in ``__all__`` and importable from here::

    from allocator.study import Scenario, frontier, load_sweep, sweep

Everything else under ``allocator.study`` is internal and may change between releases.
"""

from allocator.study.generate import generate
from allocator.study.grids import Grid, count_runs, expand_grid, load_grid
from allocator.study.pareto import KINDS as FRONTIER_KINDS
from allocator.study.pareto import frontier, frontier_plot
from allocator.study.scenarios import GridError, Scenario, SchedulerError
from allocator.study.store import (
    comparison_table,
    load_sweep,
    plot_measure_vs_weight,
    plot_region_gains,
    region_gains,
)
from allocator.study.sweep import sweep
from allocator.study.warm import solve_weightings

__all__ = [
    "FRONTIER_KINDS",
    "Grid",
    "GridError",
    "Scenario",
    "SchedulerError",
    "comparison_table",
    "count_runs",
    "expand_grid",
    "frontier",
    "frontier_plot",
    "generate",
    "load_grid",
    "load_sweep",
    "plot_measure_vs_weight",
    "plot_region_gains",
    "region_gains",
    "solve_weightings",
    "sweep",
]
