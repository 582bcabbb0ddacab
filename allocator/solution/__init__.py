"""What a solution is: the Result, the docs/model.md §8 measures, equity measures and result arrays."""
