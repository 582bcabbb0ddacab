"""Reuse of the §6b tie-break when a new solve leaves the LP's optimal face unchanged.

The tie-break (:mod:`allocator.model.tiebreak`) is a least-squares QP over the LP's optimal
face. Its data are the face (column and row bounds after fixing by complementary slackness,
what :func:`~allocator.model.tiebreak.optimal_face` returns), the constraint matrix, the post
columns, the fair shares ``T̄`` and the QP settings — not the objective weights. So when a
sweep's next weighting moves the LP's costs but leaves the face as it was, the QP is the same
QP and its answer is the same answer.

**Detection is exact.** :func:`face_key` is a BLAKE2b digest of those arrays as bytes (each
with its dtype and length, so that no two different inputs run together into the same
bytes), with the settings. Equal keys mean byte-identical QP data (up to a 256-bit hash
collision), so the stored answer is the one solving it again would give; any difference, one
bound moved by one ulp or ``-0.0`` for ``0.0``, is a different key and the QP is solved.

The cache is a small least-recently-used table per process (:data:`SIZE` entries, guarded by
a lock so Dask worker threads can share it); a warm chain of
:func:`allocator.study.warm.solve_weightings` runs in one process, so its runs find each
other's faces. :func:`hits` counts the answers reused in the calling thread.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict

import numpy as np

#: faces kept per process: a warm chain revisits a face within a few weightings if at all
SIZE = 4

_lock = threading.Lock()
_entries: OrderedDict[bytes, object] = OrderedDict()
_local = threading.local()


def face_key(lp, cl, cu, rl, ru, x_cols, target_bar, settings: tuple = ()) -> bytes:
    """The digest of the QP over a face: bounds ``cl, cu, rl, ru`` (after fixing), the
    constraint matrix of ``lp`` (a ``highspy.HighsLp``: values, row indices, column starts),
    the post columns, ``T̄`` and the QP's ``settings`` (tolerance, linear solver, ...)."""
    a = lp.a_matrix_
    h = hashlib.blake2b(digest_size=32)
    h.update(repr((int(lp.num_row_), int(lp.num_col_), settings)).encode())
    arrays = (
        (cl, np.float64),
        (cu, np.float64),
        (rl, np.float64),
        (ru, np.float64),
        (a.value_, np.float64),
        (a.index_, np.int64),
        (a.start_, np.int64),
        (x_cols, np.int64),
        (target_bar, np.float64),
    )
    for values, dtype in arrays:
        arr = np.ascontiguousarray(np.asarray(values, dtype=dtype).reshape(-1))
        h.update(len(arr).to_bytes(8, "little"))
        h.update(arr.tobytes())
    return h.digest()


def get(key: bytes):
    """A copy of the answer stored under ``key`` (counted in :func:`hits`), or ``None``."""
    with _lock:
        found = _entries.get(key)
        if found is None:
            return None
        _entries.move_to_end(key)
    _local.hits = hits() + 1
    return copy.deepcopy(found)


def put(key: bytes, answer) -> None:
    """Store a copy of ``answer`` under ``key``, dropping the least recently used beyond :data:`SIZE`."""
    kept = copy.deepcopy(answer)
    with _lock:
        _entries[key] = kept
        _entries.move_to_end(key)
        while len(_entries) > SIZE:
            _entries.popitem(last=False)


def hits() -> int:
    """How many answers this thread has taken from the cache."""
    return getattr(_local, "hits", 0)


def clear() -> None:
    """Forget every stored answer."""
    with _lock:
        _entries.clear()
