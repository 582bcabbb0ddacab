"""One answer: the least-squares tie-break of docs/model.md §6b.

The LP of §4–6 often has many optimal allocations. The reported one is the unique minimiser of

    Σ_k (x_k − T̄_k)² / max(T̄_k, 1)

over the LP's optimal face ``{feasible v : objective(v) = z*}``, where ``v`` is every column
of the model as solved (a researcher's added rows and columns included) and ``x`` its posts.

**The face, exactly.** For any optimal dual solution ``(y, d)``, a feasible point is optimal
if and only if it satisfies complementary slackness with ``(y, d)``: every column with a
non-zero reduced cost stays at the bound it sits at, every row with a non-zero dual stays at
its active side. So the face is the feasible set with those columns fixed and those rows
made equalities — a set of linear constraints with no tolerance in its definition, the same
whichever optimal vertex, backend or LP method produced ``(y, d)``. (An objective row
``c·v ≤ z*`` would define the same set, but §6b measures that the answer moves by ~0.01 posts
when that row is loosened by 1e-9·z*; fixing by complementary slackness needs no such row.)

**The QP.** The face in its smallest form (:mod:`allocator.model.face_form`: fixed columns out,
columns other than posts that equality rows define written in the others, one-column rows as
bounds, parallel rows merged), its dense inequality rows held back until its answer breaks
them (:func:`on_face`), goes to Clarabel, an interior-point conic solver, with tight tolerances
(1e-12). On the national instance 42×65×10 that is 23,173 columns instead of 80,472, and about
1 s instead of 6 (``benchmarks/README.md``). HiGHS's own QP solver (active set) solves the same
QP to the same answer but is 75–110× slower here, since thousands of posts stay free on the face.
Allocations reached from different LP vertices agree to about 1e-6 posts.

The tie-break needs the LP's optimal duals, and reads everything from the ``highspy.Highs``
object that solved the model: the direct backend's own, PuLP's ``prob.solverModel``, Pyomo's
persistent HiGHS interface. A Pyomo or PuLP model a researcher has changed is tie-broken over
its own optimal face.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from allocator.model import face_cache
from allocator.model.face_form import FILL_LIMIT, PIVOT_TOL, EmptyFace, Substitution, smallest, substitution  # noqa: F401

# a reduced cost or row dual smaller than this is zero (HiGHS's dual feasibility tolerance is 1e-7)
DUAL_ZERO = 1e-9
# Clarabel's tolerances: tight, so that answers from different vertices agree to ~1e-6 posts
QP_TOL = 1e-12

LEAST_SQUARES = "least-squares"
NONE = "none"
CHOICES = (LEAST_SQUARES, NONE)


@dataclass
class TieBreak:
    """The tie-broken solution: every column's value, the posts, and how long it took."""

    columns: np.ndarray
    posts: np.ndarray
    objective_change: float  # objective here minus at the LP vertex: zero up to solver tolerance
    seconds: float
    free_columns: int  # the QP's columns: the face's free columns less those substituted out
    status: str
    substituted: int = 0  # free columns defined by equality rows, substituted out of the QP
    qp_nonzeros: int = 0  # non-zeros of the QP's constraint matrix (bounds included)
    bound_fixed: int = 0  # free columns whose bounds met once one-column rows became bounds
    held_rows: int = 0  # dense inequality rows held back from the last QP (none violated at its answer)
    rounds: int = 1  # QP solves: one, plus one per round of held rows that had to join
    plain: bool = False  # the smallest form's QP did not end solved: the plain form's answer
    reused: bool = False  # the answer of an earlier solve with the same face (allocator.model.face_cache)


class TieBreakError(RuntimeError):
    """The QP over the optimal face did not solve (the LP answer is kept, and says so)."""


def weights(target_bar: np.ndarray) -> np.ndarray:
    """The §6b weights ``1 / max(T̄, 1)`` of the squared distances."""
    return 1.0 / np.maximum(np.asarray(target_bar, dtype=float), 1.0)


def optimal_face(h) -> tuple[object, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The LP solved in ``h`` and its optimal face by complementary slackness.

    Returns ``(lp, col_lower, col_upper, row_lower, row_upper)``: the face is
    ``{v : col_lower ≤ v ≤ col_upper, row_lower ≤ A v ≤ row_upper}``. With HiGHS's sign
    convention for a minimisation, reduced cost ``d_j > 0`` holds column j at its lower bound
    and ``d_j < 0`` at its upper; row dual ``y_i > 0`` holds row i at its lower side,
    ``y_i < 0`` at its upper. A maximisation flips both.

    A dual is taken as non-zero only where the LP's own solution sits at the side it points
    to (:func:`fix_by_duals`): HiGHS's duals are feasible to 1e-7, so a reduced cost of
    −1e-8 on a column at its lower bound (whose upper bound may be infinite) is noise, not a
    reason to hold it at its upper bound.
    """
    import highspy

    lp = h.getLp()
    sol = h.getSolution()
    if not sol.dual_valid:
        raise TieBreakError("the LP solve returned no dual solution")
    sign = -1.0 if lp.sense_ == highspy.ObjSense.kMaximize else 1.0
    cl, cu, rl, ru = fix_by_duals(
        np.array(lp.col_lower_, dtype=float),
        np.array(lp.col_upper_, dtype=float),
        np.array(lp.row_lower_, dtype=float),
        np.array(lp.row_upper_, dtype=float),
        sign * np.asarray(sol.col_dual, dtype=float),
        sign * np.asarray(sol.row_dual, dtype=float),
        np.asarray(sol.col_value, dtype=float),
        np.asarray(sol.row_value, dtype=float),
    )
    return lp, cl, cu, rl, ru


#: the LP's solution sits at a bound when within this of it (relative to the bound, at least 1)
AT_BOUND = 1e-7


def fix_by_duals(cl, cu, rl, ru, col_dual, row_dual, col_value, row_value):
    """Complementary slackness (minimisation signs): a column with reduced cost above
    :data:`DUAL_ZERO` that sits at its lower bound is fixed there, one below −DUAL_ZERO that
    sits at its upper bound is fixed there; rows alike with their duals and activities. A dual
    pointing to a side the solution is not at (an infinite one included) is taken as zero."""
    cl, cu, rl, ru = cl.copy(), cu.copy(), rl.copy(), ru.copy()

    def at(value, side):
        return np.isfinite(side) & (np.abs(value - side) <= AT_BOUND * np.maximum(1.0, np.abs(side)))

    at_lower = (col_dual > DUAL_ZERO) & at(col_value, cl)
    at_upper = (col_dual < -DUAL_ZERO) & at(col_value, cu)
    cu[at_lower] = cl[at_lower]
    cl[at_upper] = cu[at_upper]
    row_lower = (row_dual > DUAL_ZERO) & at(row_value, rl)
    row_upper = (row_dual < -DUAL_ZERO) & at(row_value, ru)
    ru[row_lower] = rl[row_lower]
    rl[row_upper] = ru[row_upper]
    return cl, cu, rl, ru


def least_squares(
    h,
    x_cols: np.ndarray,
    target_bar: np.ndarray,
    *,
    tol: float = QP_TOL,
    direct: str | None = None,
    substitute: bool = True,
) -> TieBreak:
    """Solve §6b's QP over the optimal face of the LP solved in ``h``.

    Parameters
    ----------
    h : a ``highspy.Highs`` holding an LP solved to optimality, with its duals.
    x_cols : the column of each post variable x_k, in the order of ``target_bar``.
    target_bar : T̄_k, the data-only fair share of each cell (§6b).
    direct : Clarabel's linear solver, ``None`` for ``"qdldl"`` (see :func:`apply`).
    substitute : write the columns that the face's equality rows define (a pipeline's stocks,
        pools, completions and national totals: affine in the posts) in the others, so that
        they and their definition rows leave the QP (:func:`substitution`); ``False`` solves
        the QP over every free column. Same answer; the smaller QP is 2–3× faster on the
        scenario instances of ``benchmarks/scenarios.py``.

    The QP, over the face's free columns ``f`` (fixed columns ``v_F`` moved to the right)::

        min  Σ_k w_k (x_k − T̄_k)²,   w_k = 1 / max(T̄_k, 1)
        s.t. A_f v_f = b − A_F v_F              rows held at one side, or with lower = upper
             rl − A_F v_F ≤ A_f v_f ≤ ru − A_F v_F   the other rows
             col_lower_f ≤ v_f ≤ col_upper_f
    """
    t0 = time.perf_counter()
    lp, cl, cu, rl, ru = optimal_face(h)
    key = face_cache.face_key(lp, cl, cu, rl, ru, x_cols, target_bar, (tol, direct, substitute))
    tb = face_cache.get(key)  # the face of a recent solve: the same QP, so the same answer
    if tb is None:
        A = constraint_matrix(lp)
        tb = on_face(A, cl, cu, rl, ru, x_cols, target_bar, tol=tol, direct=direct, substitute=substitute)
        face_cache.put(key, tb)
    else:
        tb.reused = True
    vertex = np.asarray(h.getSolution().col_value, dtype=float)
    cost = np.asarray(lp.col_cost_, dtype=float)
    tb.objective_change = float(cost @ tb.columns - cost @ vertex)
    tb.seconds = time.perf_counter() - t0
    return tb


def constraint_matrix(lp) -> sp.csc_matrix:
    """The constraint matrix of a ``highspy.HighsLp`` (column-wise, as HiGHS stores it)."""
    a = lp.a_matrix_
    shape = (int(lp.num_row_), int(lp.num_col_))
    return sp.csc_matrix((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)), shape=shape)


def on_objective_rows(h, objectives: list[np.ndarray], vertex: np.ndarray, x_cols, target_bar) -> TieBreak:
    """§6b for an optimum defined by objectives in order (a lexicographic solve, a frontier
    point): the face is the feasible set with each objective held at its value at the optimum
    ``c_k · v = c_k · v*`` (an objective row; ``v*`` from a basic solution, so exact to ~1e-12)."""
    t0 = time.perf_counter()
    lp = h.getLp()
    vertex = np.asarray(vertex, dtype=float)
    A = constraint_matrix(lp)
    C = sp.csr_matrix(np.vstack(objectives))
    values = C @ vertex
    A = sp.vstack([A, C]).tocsc()
    rl = np.concatenate([np.asarray(lp.row_lower_, dtype=float), values])
    ru = np.concatenate([np.asarray(lp.row_upper_, dtype=float), values])
    cl, cu = np.array(lp.col_lower_, dtype=float), np.array(lp.col_upper_, dtype=float)
    tb = on_face(A, cl, cu, rl, ru, x_cols, target_bar)
    tb.seconds = time.perf_counter() - t0
    return tb


def on_face(
    A, cl, cu, rl, ru, x_cols, target_bar, *, tol: float = QP_TOL, direct: str | None = None, substitute: bool = True
) -> TieBreak:
    """The QP of :func:`least_squares` over the face ``{cl ≤ v ≤ cu, rl ≤ A v ≤ ru}``.

    The face goes to the QP in its smallest form (:func:`allocator.model.face_form.smallest`:
    fixed and defined columns out, one-column rows as bounds, parallel rows merged), and its
    dense inequality rows (more than :data:`DENSE_ROW` columns: a region's net loss, the
    national moves, the budget) are held back: the QP is solved without them, each held row is
    checked at its answer, the violated ones join and it is solved again (:data:`LAZY_ROUNDS`
    rounds at most, then all of them). This is exact: an answer of the QP over a larger set
    that lies in the face is the answer over the face (the posts' minimiser is unique). A dense
    row couples every cell of a region or of the nation and fills the factorisation in
    (national 42×65×10: 3.7 s per QP with them, 0.7 s without; ``benchmarks/README.md``).
    ``substitute`` ``False`` solves the plain form (every free column and row), for comparison;
    it is also what is solved when the QP of the smallest form does not end solved (a face whose
    inequalities leave no interior in its smallest form can stop Clarabel short,
    "AlmostPrimalInfeasible"; ``plain`` says so).
    """
    if substitute:
        try:
            return _on_face(A, cl, cu, rl, ru, x_cols, target_bar, tol=tol, direct=direct, substitute=True)
        except TieBreakError:
            pass
    tb = _on_face(A, cl, cu, rl, ru, x_cols, target_bar, tol=tol, direct=direct, substitute=False)
    tb.plain = substitute
    return tb


def _on_face(A, cl, cu, rl, ru, x_cols, target_bar, *, tol: float, direct: str | None, substitute: bool) -> TieBreak:
    """:func:`on_face` in the smallest form (``substitute``) or the plain one."""
    import clarabel

    n = A.shape[1]
    x_cols = np.asarray(x_cols, dtype=np.int64)
    tbar = np.asarray(target_bar, dtype=float).reshape(-1)
    w = weights(tbar)
    if np.any(cl > cu) or np.any(cl == np.inf) or np.any(cu == -np.inf):
        raise TieBreakError("the optimal face is empty (inconsistent duals)")
    is_post = np.zeros(n, dtype=bool)
    is_post[x_cols] = True
    try:
        form = smallest(A, cl, cu, rl, ru, is_post, substitute)
    except EmptyFace as err:
        raise TieBreakError(f"the optimal face is empty ({err})") from None
    cols = form.free[form.columns]  # the QP's columns, as columns of the model
    nq = len(cols)
    pos = np.full(n, -1)
    pos[cols] = np.arange(nq)
    xf = pos[x_cols]
    on = xf >= 0
    diag, q = np.zeros(nq), np.zeros(nq)
    diag[xf[on]] = 2.0 * w[on]
    q[xf[on]] = -2.0 * w[on] * tbar[on]
    P = sp.diags(diag).tocsc()
    rows, lo, hi = form.rows, form.lower, form.upper
    eq = np.isfinite(lo) & (lo == hi)
    dense = (np.diff(rows.indptr) > DENSE_ROW) & ~eq & substitute
    active = ~dense
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = tol
    settings.tol_ktratio = 1e-10
    settings.max_iter = 400
    settings.direct_solve_method = direct or "qdldl"  # measured: 4× faster than the default here (benchmarks/README.md)
    status, found, A_all, round_ = "Solved", np.zeros(0), sp.csc_matrix((0, 0)), 0
    for round_ in range(LAZY_ROUNDS + 1 if nq else 0):  # no column left: the face is one point
        if round_ == LAZY_ROUNDS:
            active[:] = True
        A_all, b_all, n_eq = _cone_rows(rows[active], lo[active], hi[active], form.col_lower, form.col_upper)
        cones = [clarabel.ZeroConeT(n_eq), clarabel.NonnegativeConeT(A_all.shape[0] - n_eq)]
        res = clarabel.DefaultSolver(P, q, A_all, b_all, cones, settings).solve()
        status = str(res.status)
        if not status.endswith("Solved"):  # Solved or AlmostSolved
            raise TieBreakError(f"the least-squares QP over the optimal face ended with {status}")
        first = np.asarray(res.x)
        vf = polish(P, q, A_all, b_all, n_eq, res, settings)
        found = first if vf is None else vf
        out = ~active & _violated(rows, lo, hi, found)
        if vf is not None and out.any() and not (~active & _violated(rows, lo, hi, first)).any():
            found, out = first, out & False  # the polish stepped over a held row: not taken
        if not out.any():
            break
        active |= out
    held = int((~active).sum())
    # the free columns are inside their bounds up to the solver's tolerance: clip them
    found = np.clip(found, form.col_lower, form.col_upper)
    value = np.where(cl == cu, cl, 0.0)
    value[form.free] = form.restore(found)
    _on_face_or_fail(A, value, rl, ru)
    return TieBreak(
        columns=value,
        posts=value[x_cols],
        objective_change=0.0,
        seconds=0.0,
        free_columns=nq,
        status=status,
        substituted=int(form.sub.defined.sum()),
        qp_nonzeros=int(A_all.nnz),
        bound_fixed=int(form.kept_fixed.sum()),
        held_rows=held,
        rounds=round_ + 1,
    )


#: an inequality row of the face with more columns than this is held back from the QP until its
#: answer violates it (:func:`on_face`)
DENSE_ROW = 64
#: rounds of adding violated held rows before every row is put in
LAZY_ROUNDS = 4


def _cone_rows(rows, lo, hi, col_lower, col_upper):
    """Clarabel's ``A u + s = b``: equalities (zero cone) first, then every finite side of a row
    and of a bound as ``a u ≤ b`` (nonnegative cone)."""
    eq = np.isfinite(lo) & (lo == hi)
    has_hi, has_lo = np.isfinite(hi) & ~eq, np.isfinite(lo) & ~eq
    ident = sp.identity(len(col_lower), format="csr")
    bu, bl = np.isfinite(col_upper), np.isfinite(col_lower)
    A_all = sp.vstack([rows[eq], rows[has_hi], -rows[has_lo], ident[bu], -ident[bl]]).tocsc()
    b_all = np.concatenate([lo[eq], hi[has_hi], -lo[has_lo], col_upper[bu], -col_lower[bl]])
    return A_all, b_all, int(eq.sum())


def _violated(rows, lo, hi, u) -> np.ndarray:
    """Rows of ``lo ≤ rows · u ≤ hi`` that ``u`` breaks by more than 1e-9 (relative)."""
    val = rows @ u
    scale = 1e-9 * np.maximum(1.0, np.abs(val))
    return (val > hi + scale) | (val < lo - scale)


def _on_face_or_fail(A, value, rl, ru) -> None:
    """Raise :class:`TieBreakError` if ``value`` leaves the face's rows by more than 1e-6
    (relative): the QP "solved" off the face, and the LP vertex is kept."""
    Av = A @ value
    off = np.maximum(np.maximum(rl - Av, Av - ru), 0.0) - 1e-6 * np.maximum(1.0, np.abs(Av))
    if not np.all(off <= 0):  # NaN too: a face with an infinite fixed value is no face
        i = int(np.argmax(np.where(np.isnan(off), np.inf, off)))
        raise TieBreakError(f"the least-squares QP's answer leaves the optimal face (row {i} off by {off[i]:.3g})")


#: the polish's pull of a column without a quadratic term toward its first answer (:func:`polish`)
POLISH_PULL = 1e-6


def polish(P, q, A, b, n_eq: int, res, settings) -> np.ndarray | None:
    """Sharpen an interior-point answer by solving again with its active set as equalities.

    An interior-point QP answer is accurate in the objective, but a post whose weight
    ``1/max(T̄, 1)`` is small (a large cell) is fixed only to about ``sqrt(gap / w)``: 1e-4
    posts on an ICB instance. With the inequalities the first solve found active (dual above
    slack) held as equalities and the others dropped, the QP is a linear system, solved to
    machine accuracy; the answer is kept if it satisfies every dropped inequality to 1e-9
    and its objective is no worse, otherwise the first answer stands.
    """
    import clarabel

    x0 = np.asarray(res.x)
    slack = b - A @ x0
    dual = np.asarray(res.z)
    active = np.ones(len(b), dtype=bool)
    active[n_eq:] = dual[n_eq:] > slack[n_eq:]
    if not active.any():  # nothing active: the first answer is the unconstrained minimiser
        return None
    A_act = A[np.flatnonzero(active)]
    # columns without a quadratic term (not posts) are not fixed by the equalities alone: a
    # tiny pull to their first answer keeps them where the dropped inequalities hold
    d = P.diagonal()
    pull = np.where(d == 0, POLISH_PULL, 0.0)
    P2, q2 = (P + sp.diags(pull)).tocsc(), q - pull * x0
    solver = clarabel.DefaultSolver(P2, q2, A_act.tocsc(), b[active], [clarabel.ZeroConeT(int(active.sum()))], settings)
    res2 = solver.solve()
    if not str(res2.status).endswith("Solved"):
        return None
    x1 = np.asarray(res2.x)
    if np.any((b - A @ x1)[n_eq:] < -1e-9) or np.max(np.abs((b - A @ x1)[:n_eq]), initial=0.0) > 1e-9:
        return None

    def f(x):
        return 0.5 * x @ (P @ x) + q @ x

    return x1 if f(x1) <= f(x0) + 1e-9 * max(1.0, abs(f(x0))) else None


#: Clarabel's supernodal solver: on the QP of several scenario members (docs/model.md §12), whose
#: rows share the posts, it factorises 2–3× faster than ``qdldl`` (benchmarks/README.md).
SCENARIOS_DIRECT = "faer"


def direct_for(d) -> str | None:
    """Clarabel's linear solver for the tie-break of ``d``'s model: :data:`SCENARIOS_DIRECT` with
    several scenario members, else the default (``None``)."""
    sc = getattr(d, "scenarios", None)
    return SCENARIOS_DIRECT if sc is not None and len(sc.members) > 1 else None


def apply(raw, h, x_cols: np.ndarray, target_bar: np.ndarray, choice: str | None, direct: str | None = None) -> None:
    """Replace an optimal LP ``RawSolution``'s posts and objective by the tie-broken ones.

    ``choice`` ``None`` or ``"least-squares"`` applies §6b; ``"none"`` keeps HiGHS's vertex.
    ``raw.tie_break`` says which applied. If the QP fails, the vertex is kept and the message
    says so (``tie_break`` is then ``"none"``).
    """
    choice = LEAST_SQUARES if choice is None else choice
    if choice not in CHOICES:
        raise ValueError(f"tie_break must be one of {', '.join(CHOICES)}, not {choice!r}")
    if choice == NONE or raw.status != "optimal" or raw.x is None:
        raw.tie_break = NONE
        return
    try:
        if not h.getInfo().basis_validity:  # PDLP, or interior point without crossover: find a vertex
            before = h.getInfo().objective_function_value
            h.setOptionValue("solver", "simplex")
            h.run()
            if h.getModelStatus() != type(h.getModelStatus()).kOptimal:
                raise TieBreakError("no optimal vertex to start from")
            raw.objective += h.getInfo().objective_function_value - before  # z* of the vertex, exact
        tb = least_squares(h, x_cols, target_bar, direct=direct)
    except TieBreakError as err:
        raw.tie_break = NONE
        raw.message = f"{raw.message}; tie-break not applied: {err}"
        return
    shape = raw.x.shape
    raw.x = tb.posts.reshape(shape)
    # on the face the objective is z* exactly; a change beyond rounding noise is reported as it is
    if abs(tb.objective_change) > 1e-9 * max(1.0, abs(raw.objective)):
        raw.objective = raw.objective + tb.objective_change
    raw.tie_break = LEAST_SQUARES
    raw.tie_break_seconds = tb.seconds
