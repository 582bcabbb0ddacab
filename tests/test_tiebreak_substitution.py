"""§6b's QP with the face's defined columns substituted out (``tiebreak.substitution``).

A pipeline's stocks, pools, completions and national totals are columns defined by equality
rows, affine in the posts. Written in the posts, they and their definition rows leave the QP;
the answer must be that of the QP over every free column (to 1e-6 posts), on a QP that is
smaller.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import scipy.sparse as sp

from allocator.core.data import problem_data
from allocator.core.spec import load_model
from allocator.core.validate import validate
from allocator.model import face_form, tiebreak
from allocator.pipeline.steps import build_data

from .conftest import ROOT

AGREE = 1e-6  # posts
MODEL = load_model(ROOT / "models" / "future-supply.toml")


def pipeline_data() -> dict:
    return json.loads((ROOT / "instances" / "england-pipeline-2025.json").read_text())


def with_members(data: dict, risk: str) -> dict:
    """Three futures: the central one, settle rates 0.15 lower, leave rates 0.07."""
    specs = data["pipeline"]["specialties"]
    lower = [{"specialty": s["specialty"], "settle_rate": round(s.get("settle_rate", 0.8) - 0.15, 6)} for s in specs]
    leave = [{"specialty": s["specialty"], "leave_rate": 0.07} for s in specs]
    data = copy.deepcopy(data) | {"schema_version": 3}
    data["scenarios"] = {
        "risk": risk,
        "members": [
            {"id": "central", "probability": 0.5},
            {"id": "low-retention", "probability": 0.3, "pipeline": {"specialties": lower}},
            {"id": "more-leavers", "probability": 0.2, "pipeline": {"specialties": leave}},
        ],
    } | ({"alpha": 0.6} if risk == "cvar" else {})
    return data


def both_ways(data: dict, spec=MODEL) -> tuple[tiebreak.TieBreak, tiebreak.TieBreak]:
    """The tie-break of ``data``'s LP with the QP over every free column, then substituted."""
    d = problem_data(validate(data, "test.json"))
    h = build_data(d, spec, "highs").model.highs
    h.setOptionValue("output_flag", False)
    h.run()
    assert h.getModelStatus().name == "kOptimal"
    x_cols, tbar = np.arange(d.target_bar.size), d.target_bar.reshape(-1)
    direct = tiebreak.direct_for(d)
    full = tiebreak.least_squares(h, x_cols, tbar, direct=direct, substitute=False)
    reduced = tiebreak.least_squares(h, x_cols, tbar, direct=direct)
    # every column of the substituted QP's answer, the substituted ones included, is on the face
    _, cl, cu, rl, ru = tiebreak.optimal_face(h)
    v = reduced.columns
    assert np.all(v >= cl - 1e-9) and np.all(v <= cu + 1e-9)
    Av = tiebreak.constraint_matrix(h.getLp()) @ v
    assert np.all(Av >= rl - 1e-6 * np.maximum(1, np.abs(rl))) and np.all(Av <= ru + 1e-6 * np.maximum(1, np.abs(ru)))
    return full, reduced


def assert_same_and_smaller(full: tiebreak.TieBreak, reduced: tiebreak.TieBreak) -> None:
    assert full.substituted == 0
    assert reduced.substituted > 0
    assert np.abs(reduced.posts - full.posts).max() <= AGREE
    assert reduced.free_columns + reduced.substituted + reduced.bound_fixed == full.free_columns
    assert reduced.free_columns < full.free_columns
    assert reduced.qp_nonzeros < full.qp_nonzeros


@pytest.mark.parametrize("risk", ["expected", "worst", "cvar"])
def test_scenarios_same_allocation_smaller_qp(risk):
    full, reduced = both_ways(with_members(pipeline_data(), risk))
    assert_same_and_smaller(full, reduced)


def test_pipeline_same_allocation_smaller_qp():
    full, reduced = both_ways(pipeline_data())
    assert_same_and_smaller(full, reduced)


def test_no_pipeline_cells_written_in_their_posts():
    """Without a pipeline, each cell's increase, decrease, shortfall and surplus are defined by
    its flow and gap rows: they leave the QP (their bounds become rows in the posts, a row of one
    post a bound), and the answer is the plain form's."""
    data = json.loads((ROOT / "instances" / "england-regions-2025.json").read_text())
    full, reduced = both_ways(data, load_model(ROOT / "models" / "fair-share.toml"))
    assert_same_and_smaller(full, reduced)
    assert reduced.free_columns <= full.free_columns // 2


def test_substitution_by_hand(monkeypatch):
    """Columns x, s1, s2, p (x a post). Rows::

        s1 − x        = 1     defines s1 = 1 + x
        s2 − 0.9 s1   = 2     defines s2 = 2 + 0.9 s1 = 2.9 + 0.9 x   (a second round)
        p − s1 − s2   = 0     defines p = 3.9 + 1.9 x                 (a third round)
        p + x        ≤ 9      stays: 3.9 + 2.9 x ≤ 9

    With the fill limit at 0 terms no definition is short enough and nothing moves.
    """
    A = sp.csr_matrix(np.array([[-1, 1, 0, 0], [0, -0.9, 1, 0], [-1, -1, -1, 1], [1, 0, 0, 1]], dtype=float))
    A[2, 0] = 0
    A.eliminate_zeros()
    rhs = np.array([1.0, 2.0, 0.0, -np.inf])
    eq = np.array([True, True, True, False])
    candidate = np.array([False, True, True, True])
    sub = tiebreak.substitution(A, rhs, eq, candidate)
    assert sub.defined.tolist() == [False, True, True, True]
    assert sub.used.tolist() == [True, True, True, False]
    assert np.allclose(sub.g, [0, 1, 2.9, 3.9])
    assert np.allclose(sub.T.toarray()[:, 0], [0, 1, 0.9, 1.9])
    assert np.allclose(sub.reduced(A[[3]]).toarray(), [[2.9]])
    assert np.allclose(A[[3]] @ sub.g, [3.9])
    assert np.allclose(sub.restore(np.array([2.0])), [2, 3, 4.7, 7.7])
    monkeypatch.setattr(face_form, "FILL_LIMIT", 0)
    none = tiebreak.substitution(A, rhs, eq, candidate)
    assert not none.defined.any() and not none.used.any()
