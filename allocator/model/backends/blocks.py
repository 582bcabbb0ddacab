"""The sparse row block of the direct HiGHS backend: one per constraint family."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Block:
    """Rows ``lower <= A x <= upper`` of one family; ``rows`` count from 0 within the block.

    ``rows``, ``cols``, ``vals`` (the coefficients, as triplets) are ``None`` once the model
    is passed to HiGHS, which then holds them (:data:`highs.KEEP_COEFFICIENTS` names the
    blocks that keep theirs)."""

    name: str
    rows: np.ndarray | None
    cols: np.ndarray | None
    vals: np.ndarray | None
    lower: np.ndarray
    upper: np.ndarray
    labels: dict[str, np.ndarray] = field(default_factory=dict)  # region/specialty/year index
    start: int = 0  # first row in the whole LP, set on assembly

    @property
    def size(self) -> int:
        return len(self.lower)
