"""Studies of many solves: scenarios, weighting grids, warm-started and Dask sweeps, the results
store, Pareto frontiers, synthetic instances.
"""
