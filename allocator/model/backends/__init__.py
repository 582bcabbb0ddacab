"""Backends: the same formulation (docs/model.md §4–6) built three ways, all solved by HiGHS.

- :mod:`.highs`: vectorised numpy/scipy arrays passed to highspy in one call (the default);
- :mod:`.pyomo`: a Pyomo ``ConcreteModel``, solved through Pyomo's HiGHS interface;
- :mod:`.pulp`: a PuLP ``LpProblem``, solved through PuLP's HiGHS interface.

Every backend builds each constraint family of docs/model.md §5 in one function named after it.
"""

BACKENDS = ("highs", "pyomo", "pulp")
