"""The foundation: the instance schema and its validation, limits, problem data (targets) and the
model spec. Imports nothing else from allocator.
"""
