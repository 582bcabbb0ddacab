"""The optimisation model: three backends (HiGHS, Pyomo, PuLP), HiGHS environment, pre-solve
checks, tie-break and whole posts.
"""
