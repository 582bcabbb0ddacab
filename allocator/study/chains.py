"""Warm chains over Dask workers: how a sweep cuts its runs into tasks.

A *warm chain* is a run of weightings solved one after the other on one model in one process
(:func:`allocator.study.warm.solve_weightings`): its first run is solved cold (interior point),
the others warm (primal simplex from the previous basis). A sweep with ``W`` worker threads
cuts each scenario's runs, in warm-start order, into chains (:func:`chain_counts`,
:func:`split_chain`), places them on the threads (:func:`assign_chains`), and lets the two
chains of each pair of neighbouring pieces share their segment from both ends
(:func:`claims`): a chain whose runs are cheap goes on into its partner's part, so a slow run
(a warm start that fell back to interior point) holds up one chain, not the sweep.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

#: seconds a chain waits for its segment's span before it ends (the span is set before any task starts)
CLAIM_WAIT = 60

#: a chain's cold start, in warm runs, for balancing chains over worker threads: the first run of
#: a chain is an interior-point solve, the others primal simplex from the last basis
COLD_RUNS = 5


def chain_counts(sizes: Sequence[int], slots: int) -> list[int]:
    """How many warm chains to split each scenario's runs into, for ``slots`` worker threads.

    There are as many chains as slots (or, with more scenarios than slots, the next multiple
    of the slots), at least one per scenario with runs and at most one per run; each further
    chain goes to the scenario whose chains are then longest, so the longest chain is as
    short as it can be. ``slots`` 0 (no worker known yet): one chain per scenario.
    """
    counts = [1 if n > 0 else 0 for n in sizes]
    busy = sum(counts)
    if slots <= 0 or busy == 0:
        return counts
    total = min(-(-busy // slots) * slots, sum(sizes))
    for _ in range(total - busy):
        longest = max(
            (i for i, n in enumerate(sizes) if counts[i] < n), key=lambda i: (-(-sizes[i] // counts[i]), sizes[i])
        )
        counts[longest] += 1
    return counts


def split_chain(items: Sequence, pieces: int) -> list[list]:
    """``items`` (in warm-start order) cut into ``pieces`` contiguous chains whose lengths differ
    by at most one, longer ones first."""
    pieces = max(1, min(pieces, len(items)))
    base, extra = divmod(len(items), pieces)
    out, start = [], 0
    for k in range(pieces):
        stop = start + base + (k < extra)
        out.append(list(items[start:stop]))
        start = stop
    return out


def assign_chains(lengths: Sequence[int], slots: int) -> list[int]:
    """The slot (0 … ``slots`` − 1) of each chain: longest first, each to the slot with the least
    work so far, counting a chain's work as its runs plus :data:`COLD_RUNS` for its cold start."""
    load = [0.0] * max(1, slots)
    where = [0] * len(lengths)
    for c in sorted(range(len(lengths)), key=lambda c: -lengths[c]):
        s = min(range(len(load)), key=lambda s: (load[s], s))
        where[c] = s
        load[s] += lengths[c] + COLD_RUNS
    return where


def worker_slots(client) -> list[str]:
    """One entry per thread of the client's workers: its worker's address (sorted)."""
    return [a for a, n in sorted(client.nthreads().items()) for _ in range(max(1, int(n or 1)))]


@dataclass
class Chain:
    """One task: the ``runs`` (in warm order) of scenario ``plan``; with ``shared``, a segment
    that two chains share from both ends (:func:`claims`), this one the forward or the backward."""

    plan: Any
    runs: list
    expected: int  # runs this chain is expected to solve (for balancing chains over threads)
    shared: str | None = None
    forward: bool = True


def plan_chains(work: Sequence[tuple[Any, list]], slots: int, chunk_size: int | None, client) -> list[Chain]:
    """The warm chains of a sweep: ``work`` is ``(scenario, runs in warm order)`` pairs. With
    ``chunk_size``, chains of that many runs; otherwise :func:`chain_counts` pieces per
    scenario, taken in pairs, each pair one segment its two chains share (a Dask ``Variable``
    per segment, on ``client``: delete them with :func:`forget`)."""
    if chunk_size is not None:
        return [
            Chain(p, rs[i : i + chunk_size], len(rs[i : i + chunk_size]))
            for p, rs in work
            for i in range(0, len(rs), chunk_size)
        ]
    from distributed import Variable

    out = []
    counts = chain_counts([len(rs) for _, rs in work], slots)
    for (plan, runs), k in zip(work, counts, strict=True):
        pieces = split_chain(runs, k)
        for j in range(0, len(pieces), 2):
            pair = pieces[j : j + 2]
            segment = [r for piece in pair for r in piece]
            if len(pair) == 1:
                out.append(Chain(plan, segment, len(segment)))
                continue
            name = f"allocator-sweep-{uuid.uuid4().hex}"
            Variable(name, client=client).set([0, len(segment) - 1])
            out.append(Chain(plan, segment, len(pair[0]), name, True))
            out.append(Chain(plan, segment, len(pair[1]), name, False))
    return out


def claims(name: str, forward: bool) -> Iterator[int]:
    """Indices into a shared segment's runs, claimed one at a time (inside a Dask task): the
    forward chain takes them from the start, the backward one from the end, until they meet,
    so each chain stays contiguous in warm order and every run is solved once. The span not
    yet claimed, ``[first, last]``, is the Dask ``Variable`` ``name``, changed under the Dask
    ``Lock`` of that name (held for the claim, not for the solve)."""
    from distributed import Lock, Variable

    lock, span = Lock(name), Variable(name)
    while True:
        with lock:
            try:
                first, last = span.get(timeout=CLAIM_WAIT)
            except TimeoutError:  # the sweep is over (its spans deleted): end this chain
                return
            if first > last:
                return
            i = first if forward else last
            span.set([first + 1, last] if forward else [first, last - 1])
        yield i


def forget(client, chains: Sequence[Chain]) -> None:
    """Delete the shared segments' Variables of a finished sweep."""
    from distributed import Variable

    for name in {c.shared for c in chains if c.shared}:
        try:
            Variable(name, client=client).delete()
        except Exception:  # the scheduler is gone: nothing left to delete
            pass
