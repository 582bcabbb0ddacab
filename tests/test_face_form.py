"""The §6b QP's smallest form (allocator/model/face_form.py) and its dense rows held back
(``tiebreak.on_face``), on faces small enough to solve by hand."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from allocator.model import face_form, tiebreak

INF = np.inf


def test_one_column_rows_become_bounds_and_parallel_rows_merge():
    """Columns x0, x1, x2 (posts). Rows::

    3 x0            ≤ 6        → bound x0 ≤ 2
    x0 − x1         ≤ 1
    −2 x0 + 2 x1    ≤ 4        parallel to the row above: −2 ≤ x0 − x1 ≤ 1, one row
    x1 + x2         = 5
    """
    A = sp.csc_matrix(np.array([[3, 0, 0], [1, -1, 0], [-2, 2, 0], [0, 1, 1]], dtype=float))
    cl, cu = np.zeros(3), np.full(3, 10.0)
    rl, ru = np.array([-INF, -INF, -INF, 5]), np.array([6, 1, 4, 5])
    f = face_form.smallest(A, cl, cu, rl, ru, np.ones(3, bool))
    assert f.columns.tolist() == [0, 1, 2]
    assert f.col_upper.tolist() == [2.0, 10.0, 10.0]
    assert f.rows.shape[0] == 2
    dense = f.rows.toarray()
    i = int(np.flatnonzero(dense[:, 2] == 0)[0])  # the merged x0 − x1 row
    assert dense[i].tolist() == [1.0, -1.0, 0.0]
    assert (f.lower[i], f.upper[i]) == (-2.0, 1.0)


def test_defined_bounded_columns_leave_and_their_bounds_stay():
    """x (post), s (not a post) with s = x − 3 and 0 ≤ s ≤ 4: s leaves, 3 ≤ x ≤ 7 are x's bounds."""
    A = sp.csc_matrix(np.array([[1.0, -1.0]]))
    cl, cu = np.array([0.0, 0.0]), np.array([100.0, 4.0])
    f = face_form.smallest(A, cl, cu, np.array([3.0]), np.array([3.0]), np.array([True, False]))
    assert f.columns.tolist() == [0]
    assert (f.col_lower[0], f.col_upper[0]) == (3.0, 7.0)
    assert f.rows.shape[0] == 0
    assert np.allclose(f.restore(np.array([5.0])), [5.0, 2.0])
    tb = tiebreak.on_face(A, cl, cu, np.array([3.0]), np.array([3.0]), [0], np.array([10.0]))
    assert tb.posts.tolist() == pytest.approx([7.0], abs=1e-9)  # as near 10 as s ≤ 4 lets it be
    assert tb.columns[1] == pytest.approx(4.0, abs=1e-9)


def test_a_contradicted_face_is_reported():
    A = sp.csc_matrix(np.array([[1.0, 1.0]]))
    with pytest.raises(face_form.EmptyFace):
        face_form.smallest(
            A, np.array([2.0, 2.0]), np.array([2.0, 3.0]), np.array([9.0]), np.array([9.0]), np.ones(2, bool)
        )


N = tiebreak.DENSE_ROW + 6  # posts in one dense row


@pytest.mark.parametrize(("total", "rounds", "held", "each"), [(650.0, 2, 0, 650.0 / N), (800.0, 1, 1, 10.0)])
def test_dense_row_held_back_until_violated(total, rounds, held, each):
    """N posts with T̄ = 10 each and one dense row Σ x ≤ total. Unconstrained, every post is 10
    (Σ = 10 N). With total = 650 < 10 N the row binds: it joins in a second round and each post
    is 650 / N (equal weights, equal share of the cut). With total 800 it never binds: it stays
    held back and each post is 10."""
    A = sp.csc_matrix(np.ones((1, N)))
    tb = tiebreak.on_face(
        A, np.zeros(N), np.full(N, 100.0), np.array([-INF]), np.array([total]), np.arange(N), np.full(N, 10.0)
    )
    assert (tb.rounds, tb.held_rows) == (rounds, held)
    assert np.abs(tb.posts - each).max() <= 1e-9


def test_smallest_form_same_answer_as_plain_form():
    """A random face (a feasible point inside, random rows and bounds): the QP in its smallest
    form and in its plain form give the same posts."""
    rng = np.random.default_rng(3)
    n_post, n_aux = 30, 20
    n = n_post + n_aux
    v0 = rng.uniform(1, 9, n)
    sparse_rows = sp.random(25, n, density=0.08, random_state=4, format="csr")
    define = sp.hstack([sp.random(n_aux, n_post, density=0.05, random_state=5), -sp.identity(n_aux)]).tocsr()
    A = sp.vstack([sparse_rows, define, sp.csr_matrix(np.ones((1, n)))]).tocsc()
    Av = A @ v0
    rl = np.concatenate([Av[:25] - rng.uniform(0, 1, 25), Av[25:45], [-INF]])
    ru = np.concatenate([Av[:25] + rng.uniform(0, 1, 25), Av[25:45], [Av[45] + 0.5]])
    cl, cu = np.zeros(n), np.full(n, 10.0)
    tbar = rng.uniform(0, 12, n_post)
    small = tiebreak.on_face(A, cl, cu, rl, ru, np.arange(n_post), tbar)
    plain = tiebreak.on_face(A, cl, cu, rl, ru, np.arange(n_post), tbar, substitute=False)
    assert small.substituted > 0
    assert np.abs(small.posts - plain.posts).max() <= 1e-6


def test_plain_form_when_the_smallest_form_does_not_solve(monkeypatch):
    """A QP of the smallest form that does not end solved is solved again in the plain form,
    and the result says so (``plain``). Here x0 + x1 + x2 = 6 with T̄ = (1, 2, 6), weights 1/T̄:
    x_k = T̄_k (1 + λ/2) and Σ = 9 (1 + λ/2) = 6, so x = T̄ · 2/3."""
    solve = tiebreak._on_face

    def smallest_fails(*args, substitute, **kw):
        if substitute:
            raise tiebreak.TieBreakError("the least-squares QP over the optimal face ended with AlmostPrimalInfeasible")
        return solve(*args, substitute=substitute, **kw)

    monkeypatch.setattr(tiebreak, "_on_face", smallest_fails)
    A = sp.csc_matrix(np.ones((1, 3)))
    tb = tiebreak.on_face(
        A, np.zeros(3), np.full(3, 9.0), np.array([6.0]), np.array([6.0]), np.arange(3), np.array([1.0, 2.0, 6.0])
    )
    assert tb.plain
    assert np.abs(tb.posts - np.array([1.0, 2.0, 6.0]) * 2 / 3).max() <= 1e-9


def test_a_dual_pointing_where_the_solution_is_not_is_noise():
    """Four columns at 0 ≤ v ≤ ∞ (the last ≤ 5), the vertex (0, 0, 2, 5): a reduced cost of
    +1 at v0 = 0 fixes it at 0; −1e-8 at v1 = 0 (HiGHS's duals are feasible to 1e-7) would
    point at v1's infinite upper bound: taken as zero, v1 stays free; +1 at v2 = 2 (not at a
    bound) is taken as zero; −1 at v3 = 5 fixes it at 5. One row 0 ≤ Σ v ≤ 10 with dual +1 at
    activity 7 (not at its lower side) is left a range."""
    cl, cu = np.zeros(4), np.array([INF, INF, INF, 5.0])
    rl, ru = np.array([0.0]), np.array([10.0])
    col_dual, row_dual = np.array([1.0, -1e-8, 1.0, -1.0]), np.array([1.0])
    cl2, cu2, rl2, ru2 = tiebreak.fix_by_duals(
        cl, cu, rl, ru, col_dual, row_dual, np.array([0, 0, 2, 5.0]), np.array([7.0])
    )
    assert cl2.tolist() == [0.0, 0.0, 0.0, 5.0]
    assert cu2.tolist() == [0.0, INF, INF, 5.0]
    assert (rl2.tolist(), ru2.tolist()) == ([0.0], [10.0])
    assert np.isfinite(cl2).all()


def test_an_answer_off_the_face_or_not_a_number_is_refused():
    A = sp.csc_matrix(np.ones((1, 2)))
    with pytest.raises(tiebreak.TieBreakError, match="leaves the optimal face"):
        tiebreak._on_face_or_fail(A, np.array([np.nan, 1.0]), np.array([0.0]), np.array([5.0]))
    with pytest.raises(tiebreak.TieBreakError, match="empty"):
        cl, cu = np.array([0.0, INF]), np.array([INF, INF])
        tiebreak.on_face(A, cl, cu, np.array([0.0]), np.array([5.0]), [0], np.ones(1))
