"""Sweeps across workers: one contiguous warm chain per worker thread, every run solved once,
the same answers as one worker; the store records each run's timings and tie-break reuse.

Dask runs on real ``distributed.LocalCluster`` s with ``processes=False`` (worker threads in this
process, so a test can see which worker solved which runs).
"""

from __future__ import annotations

import importlib
import time

import numpy as np
import pytest

from allocator.core.spec import DEFAULT_MODEL
from allocator.model import face_cache
from allocator.study.chains import assign_chains, chain_counts, split_chain
from allocator.study.generate import generate
from allocator.study.grids import expand_grid
from allocator.study.sweep import sweep
from allocator.study.warm import REUSED, warm_order

sweep_mod = importlib.import_module("allocator.study.sweep")

GRID = {"moves": [0.01, 0.1, 1.0], "worst_shortfall": [0, 5, 20]}  # 9 weightings


def _cluster(n):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=False, dashboard_address=":0")
    return cluster, Client(cluster)


@pytest.fixture(scope="module")
def clients():
    made = [_cluster(1), _cluster(2)]
    yield {1: made[0][1], 2: made[1][1]}
    for cluster, client in made:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def inst():
    return generate(7, 10, 5, seed=1)


# ------------------------------------------------------------------------------ the split


def test_one_chain_per_worker_thread():
    assert chain_counts([50], 2) == [2]
    assert chain_counts([50], 16) == [16]
    assert chain_counts([3], 16) == [3]  # never more chains than runs
    assert chain_counts([10, 10], 2) == [1, 1]
    assert chain_counts([10, 10, 10], 2) == [2, 1, 1]  # 4 chains: the next multiple of 2
    assert chain_counts([40, 10], 4) == [3, 1]  # the extra chains go where chains are longest
    assert chain_counts([5, 0], 4) == [4, 0]
    assert chain_counts([7, 7], 0) == [1, 1]  # no worker known: one chain per scenario


def test_chains_are_contiguous_and_even():
    runs = list(range(50))
    chains = split_chain(runs, 16)
    assert len(chains) == 16 and sum(chains, []) == runs
    assert {len(c) for c in chains} == {3, 4}
    assert [len(c) for c in split_chain(runs, 2)] == [25, 25]
    assert split_chain([1, 2], 5) == [[1], [2]]


def test_chains_are_balanced_over_threads():
    assert sorted(assign_chains([25, 25], 2)) == [0, 1]
    where = assign_chains([10, 10, 5, 5], 2)  # longest first: 10 | 10, then 5 | 5
    assert where[0] != where[1] and where[2] != where[3]
    lengths = [len(c) for c in split_chain(list(range(50)), 16)]
    assert sorted(assign_chains(lengths, 16)) == list(range(16))


# ------------------------------------------------------------------------------ on Dask


def _recording(monkeypatch, pause: float = 0.0):
    """Record, per task, the worker that ran it and the weightings it solved, in order (workers
    are threads here). ``pause``: seconds added to each run, as a larger instance would take (the
    runs here take milliseconds: one chain could claim a whole segment before the other starts)."""
    from distributed import get_worker

    calls = []
    real = sweep_mod.solve_weightings

    def recorded(d, specs, *a, **k):
        solved = []
        calls.append((get_worker().address, solved))
        for item in real(d, specs, *a, **k):
            solved.append(specs[item[0]].name)
            time.sleep(pause)
            yield item

    monkeypatch.setattr(sweep_mod, "solve_weightings", recorded)
    return calls


def test_two_workers_each_run_one_contiguous_warm_chain(clients, inst, monkeypatch):
    specs = expand_grid(DEFAULT_MODEL, GRID)
    order = [specs[i].name for i in warm_order(specs)]
    calls = _recording(monkeypatch, pause=0.3)
    two = sweep(inst, GRID, client=clients[2], progress=False)
    assert len(calls) == 2
    # each chain is pinned to its own worker loosely (allow_other_workers: a chain survives its
    # worker), so on a loaded machine Dask may run both on one worker: where they ran is Dask's
    assert {w for w, names in calls} <= set(clients[2].nthreads())
    # one chain from each end of the warm order, meeting where they meet: every run once (on a
    # loaded machine one chain may have claimed every run before the other started)
    chains = sorted((names for _, names in calls if names), key=lambda names: order.index(names[0]))
    if len(chains) == 2:
        forward, backward = chains
        assert forward[0] == order[0] and backward[0] == order[-1]
        assert forward + backward[::-1] == order
    else:
        assert chains[0] in (order, order[::-1])
    assert len(two) == len(specs) and two["hash"].is_unique and (two["status"] == "optimal").all()
    assert two["warm_start"].sum() == len(specs) - len(chains)  # one cold start per chain

    calls.clear()
    one = sweep(inst, GRID, client=clients[1], progress=False)
    assert len(calls) == 1 and calls[0][1] == order
    assert one["warm_start"].sum() == len(specs) - 1
    by_hash = two.set_index("hash")["objective"]
    assert set(one["hash"]) == set(by_hash.index)
    assert np.allclose(one["objective"].to_numpy(), by_hash.loc[one["hash"]].to_numpy(), rtol=1e-6, atol=0)


def test_more_scenarios_than_workers_keep_every_worker_busy(clients, inst, monkeypatch):
    calls = _recording(monkeypatch)
    scenarios = [{"name": "a"}, {"name": "b", "national_scale": 0.99}, {"name": "c", "national_scale": 0.98}]
    runs = sweep(inst, {"moves": [0.01, 0.1, 1.0, 2.0]}, scenarios, client=clients[2], progress=False)
    assert len(runs) == 12 and (runs["status"] == "optimal").all()
    assert len(calls) == 4  # 2 chains for one scenario, 1 for each other: 4 tasks, 2 per worker
    assert sorted(len(names) for _, names in calls)[2:] == [4, 4]  # the lone chains
    assert sum(len(names) for _, names in calls) == 12
    per_worker = {}
    for w, _ in calls:
        per_worker[w] = per_worker.get(w, 0) + 1
    assert sorted(per_worker.values()) == [2, 2]


def test_the_store_records_each_runs_timings_and_tie_break_reuse(clients, inst, tmp_path):
    """Item 1 of issue 24 for sweeps: every run's stages in time_* (total too, warm runs included),
    the build only where the run built its model; and which runs reused the tie-break."""
    face_cache.clear()
    grid = {"moves": [0.01], "worst_shortfall": [5, 20, 50]}  # one face: the 2nd and 3rd reuse
    runs = sweep(inst, grid, client=clients[1], out=tmp_path / "s", progress=False)
    from allocator.study.store import load_sweep

    back = load_sweep(tmp_path / "s")["runs"].set_index("hash").loc[runs["hash"]]
    assert back[["time_solve", "time_tie_break", "time_assemble", "time_total"]].notna().all().all()
    staged = back[["time_solve", "time_tie_break", "time_assemble"]].sum(axis=1) + back["time_build"].fillna(0)
    assert (back["time_total"] >= staged - 1e-9).all()
    assert back["time_build"].notna().sum() == 1  # the chain's first run built the model
    assert back["time_load"].isna().all()
    assert back["tie_break_reused"].tolist() == [False, True, True]
    assert back["message"].str.contains(REUSED).tolist() == [False, True, True]


def test_a_diagnosis_runs_highs_with_the_pools_threads():
    """A sweep's worker threads share HiGHS's global pool (threads=1); an infeasible scenario's
    diagnosis (relaxation, IIS) must run with the same threads, or a concurrent solve in another
    thread of the process ends with model status "Not Set"."""
    from allocator.analysis.diagnose import relaxation_findings
    from allocator.core.data import problem_data
    from allocator.model.backends.highs import build_model
    from allocator.model.highs_env import pool_threads, use_threads
    from allocator.study.scenarios import Scenario

    use_threads(1)
    assert pool_threads() == 1
    tight = problem_data(Scenario("tight", {"capacity_scale": 0.5}).apply(generate(7, 10, 5, seed=1)))
    model = build_model(tight, DEFAULT_MODEL)
    assert relaxation_findings(model)  # infeasible: the relaxation names what to change
    assert model.highs.getOptionValue("threads")[1] == 1
