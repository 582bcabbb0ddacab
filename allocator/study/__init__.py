"""Studies of many solves: weighting grids and scenarios, warm-started sweeps on Dask, the
Parquet results store, Pareto frontiers and synthetic instances.

The public names are listed in ``__all__`` and importable from here::

    from allocator.study import Scenario, frontier, load_sweep, sweep

Monte Carlo evaluation of a plan under uncertain pipeline rates (no solve)::

    from allocator.study import monte_carlo
    mc = monte_carlo("england-pipeline-2025", result, "ranges.toml", draws=10_000, seed=1)
    mc.national_table(); mc.write("out/")

The regret table of docs/model.md §12 (each member's plan and the robust plan, VSS, EVPI)::

    from allocator.study import regret
    table = regret("instance-with-scenarios.json", "future-supply"); table.vss, table.evpi

Everything else under ``allocator.study`` is internal and may change between releases.
"""

from allocator.study.generate import generate
from allocator.study.grids import Grid, count_runs, expand_grid, load_grid
from allocator.study.montecarlo import MonteCarlo, monte_carlo
from allocator.study.pareto import KINDS as FRONTIER_KINDS
from allocator.study.pareto import frontier, frontier_plot
from allocator.study.ranges import Ranges, RangesError, load_ranges
from allocator.study.regret import Regret, RegretError, regret
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
    "MonteCarlo",
    "Ranges",
    "RangesError",
    "Regret",
    "RegretError",
    "Scenario",
    "SchedulerError",
    "comparison_table",
    "count_runs",
    "expand_grid",
    "frontier",
    "frontier_plot",
    "generate",
    "load_grid",
    "load_ranges",
    "load_sweep",
    "monte_carlo",
    "plot_measure_vs_weight",
    "plot_region_gains",
    "region_gains",
    "regret",
    "solve_weightings",
    "sweep",
]
