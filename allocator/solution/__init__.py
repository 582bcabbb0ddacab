"""What a solution is: the Result, the FORMULATION §8 measures, equity measures and result arrays."""
