"""The §6b tie-break is reused when the optimal face is unchanged (allocator.model.face_cache):
same face ⇒ same digest ⇒ the stored answer, byte for byte; any change of the face's data ⇒ a
new digest ⇒ the QP is solved."""

from __future__ import annotations

import numpy as np
import pytest

import allocator
from allocator.core.data import problem_data
from allocator.core.spec import DEFAULT_MODEL
from allocator.model import face_cache, tiebreak
from allocator.model.backends.base import SolveOptions
from allocator.pipeline.steps import build_data
from allocator.study.generate import generate
from allocator.study.scenarios import Scenario
from allocator.study.warm import REUSED, solve_weightings


@pytest.fixture(autouse=True)
def _empty_cache():
    face_cache.clear()
    yield
    face_cache.clear()


def _solved(d, spec=DEFAULT_MODEL):
    """A direct-HiGHS model of ``d`` solved to its LP vertex (no tie-break yet)."""
    built = build_data(d, spec)
    raw = built.solve_raw(SolveOptions(threads=1, tie_break="none"))
    assert raw.status == "optimal"
    return built.model


def _tie_break(m):
    return tiebreak.least_squares(m.highs, np.arange(m.columns.K), m.data.target_bar.reshape(-1))


def test_the_same_model_solved_twice_reuses_its_answer_byte_for_byte():
    m = _solved(problem_data(generate(6, 5, 4, seed=3)))
    hits = face_cache.hits()
    first = _tie_break(m)
    second = _tie_break(m)
    assert not first.reused and second.reused
    assert face_cache.hits() == hits + 1
    assert first.posts.tobytes() == second.posts.tobytes()
    assert first.columns.tobytes() == second.columns.tobytes()
    assert second.free_columns == first.free_columns and second.status == first.status
    second.posts[:] = -1.0  # a caller changing its answer does not change what is stored
    assert _tie_break(m).posts.tobytes() == first.posts.tobytes()


def test_a_changed_face_is_solved_again():
    inst = generate(6, 5, 4, seed=3)
    first = _tie_break(_solved(problem_data(inst)))
    grown = Scenario("grown", {"national_scale": 0.98}).apply(inst)  # the national totals (row bounds) move
    hits = face_cache.hits()
    other = _tie_break(_solved(problem_data(grown)))
    assert not first.reused and not other.reused and face_cache.hits() == hits
    assert other.posts.sum() == pytest.approx(0.98 * first.posts.sum(), rel=1e-6)


def test_the_key_sees_every_byte_of_the_face():
    m = _solved(problem_data(generate(5, 4, 3, seed=0)))
    lp, cl, cu, rl, ru = tiebreak.optimal_face(m.highs)
    x, tbar = np.arange(m.columns.K), m.data.target_bar.reshape(-1)
    key = face_cache.face_key(lp, cl, cu, rl, ru, x, tbar)
    assert face_cache.face_key(lp, cl.copy(), cu.copy(), rl.copy(), ru.copy(), x.copy(), tbar.copy()) == key
    free = np.flatnonzero((cl < cu) & np.isfinite(cu))[0]
    cu2 = cu.copy()
    cu2[free] = np.nextafter(cu2[free], np.inf)  # one ulp
    assert face_cache.face_key(lp, cl, cu2, rl, ru, x, tbar) != key
    zero = np.flatnonzero(cl == 0.0)[0]
    cl2 = cl.copy()
    cl2[zero] = -0.0
    assert face_cache.face_key(lp, cl2, cu, rl, ru, x, tbar) != key
    assert face_cache.face_key(lp, cl, cu, rl, ru, x[::-1], tbar) != key  # the post columns
    assert face_cache.face_key(lp, cl, cu, rl, ru, x, tbar * 1.01) != key  # T̄
    assert face_cache.face_key(lp, cl, cu, rl, ru, x, tbar, (1e-10,)) != key  # the QP settings
    # arrays are length-prefixed: moving one value from one array to the next changes the key
    both = np.concatenate([cl, cu])
    assert face_cache.face_key(lp, both[: len(cl) + 1], both[len(cl) + 1 :], rl, ru, x, tbar) != key


def test_the_cache_keeps_only_the_most_recent_faces():
    for k in range(face_cache.SIZE + 2):
        face_cache.put(bytes([k]), k)
    assert face_cache.get(bytes([0])) is None and face_cache.get(bytes([1])) is None
    assert face_cache.get(bytes([face_cache.SIZE + 1])) == face_cache.SIZE + 1


def test_a_warm_chain_whose_weights_keep_the_face_reuses_the_tie_break():
    """moves 0.01 with worst_shortfall 5, 20, 50: the LP's optimal face is the same for all three
    (the z column's price moves, the face does not), so the second and third take the first's
    answer; every run still equals its own solve in a fresh process (cache emptied)."""
    inst = generate(7, 10, 5, seed=1)
    d = problem_data(inst)
    specs = [DEFAULT_MODEL.with_weights(moves=0.01, worst_shortfall=w) for w in (5, 20, 50)]
    runs = {i: res for i, res, _ in solve_weightings(d, specs, SolveOptions(threads=1))}
    reused = [REUSED in runs[i].message for i in range(3)]
    assert reused == [False, True, True]
    for i, spec in enumerate(specs):
        face_cache.clear()
        alone = allocator.solve(inst, spec, threads=1)
        assert REUSED not in alone.message
        assert runs[i].objective == pytest.approx(alone.objective, rel=1e-9)
        diff = np.abs(runs[i].posts_array(d) - alone.posts_array(d)).max()
        assert diff < 1e-6, (spec.name, diff)
        assert allocator.check(inst, runs[i], model=spec).ok
    # a reused tie-break takes a digest, not a QP: far less time than the first one
    assert runs[2].timings["tie_break"] < runs[0].timings["tie_break"]
