"""Reading a solution: the independent checker (no code shared with the model builders),
infeasibility diagnosis, shadow prices.
"""
