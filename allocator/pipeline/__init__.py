"""The public solve pipeline: pre-solve -> build -> solve -> assemble (and diagnosis, whole posts,
rounding).
"""
