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

**The QP.** The face's free columns, with the fixed ones moved to the right-hand side, less
the columns its equality rows define (a pipeline's stocks, pools, completions and national
totals have no bounds and are affine in the posts: :func:`substitution` writes them in the
columns that stay, and they and their definition rows leave the QP, which is the same QP in
fewer columns), go to Clarabel, an interior-point conic solver, with tight tolerances
(1e-12). HiGHS's own QP solver (active set) solves the same QP to the same answer but is
75–110× slower here, since thousands of posts stay free on the face (``benchmarks/README.md``, tie-break table).
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
    """
    import highspy

    lp = h.getLp()
    sol = h.getSolution()
    if not sol.dual_valid:
        raise TieBreakError("the LP solve returned no dual solution")
    sign = -1.0 if lp.sense_ == highspy.ObjSense.kMaximize else 1.0
    col_dual = sign * np.asarray(sol.col_dual, dtype=float)
    row_dual = sign * np.asarray(sol.row_dual, dtype=float)
    cl, cu = np.array(lp.col_lower_, dtype=float), np.array(lp.col_upper_, dtype=float)
    rl, ru = np.array(lp.row_lower_, dtype=float), np.array(lp.row_upper_, dtype=float)
    at_lower, at_upper = col_dual > DUAL_ZERO, col_dual < -DUAL_ZERO
    cu[at_lower] = cl[at_lower]
    cl[at_upper] = cu[at_upper]
    row_lower, row_upper = row_dual > DUAL_ZERO, row_dual < -DUAL_ZERO
    ru[row_lower] = rl[row_lower]
    rl[row_upper] = ru[row_upper]
    return lp, cl, cu, rl, ru


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

    The face's unbounded columns other than the posts that its equality rows define are
    substituted out first (``substitute``, :func:`substitution`): the QP is then in the posts
    and the columns left, over the rows that are not definitions. It is the same QP (the
    substituted columns have no bounds and no quadratic term), so the same answer.
    """
    import clarabel

    m, n = A.shape
    x_cols = np.asarray(x_cols, dtype=np.int64)
    tbar = np.asarray(target_bar, dtype=float).reshape(-1)
    w = weights(tbar)
    if np.any(cl > cu):
        raise TieBreakError("the optimal face is empty (inconsistent duals)")
    fixed = cl == cu
    free = np.flatnonzero(~fixed)
    value = np.where(fixed, cl, 0.0)
    shift = A @ value
    A_free = A[:, free].tocsr()
    lo_free, hi_free = rl - shift, ru - shift
    is_post = np.zeros(n, dtype=bool)
    is_post[x_cols] = True
    # the columns defined by equality rows (stocks, pools, completions...) leave the QP
    unbounded = ~np.isfinite(cl[free]) & ~np.isfinite(cu[free])
    eq_free = np.isfinite(lo_free) & (lo_free == hi_free)
    sub = substitution(A_free, lo_free, eq_free, unbounded & ~is_post[free] & substitute)
    kept, rest = np.flatnonzero(~sub.defined), np.flatnonzero(~sub.used)
    Af = sub.reduced(A_free[rest])
    lo, hi = lo_free[rest] - A_free[rest] @ sub.g, hi_free[rest] - A_free[rest] @ sub.g
    free_all, free = free, free[kept]

    # the quadratic and linear terms on the free post columns
    pos = np.full(n, -1)
    pos[free] = np.arange(len(free))
    xf = pos[x_cols]
    on = xf >= 0
    diag = np.zeros(len(free))
    q = np.zeros(len(free))
    diag[xf[on]] = 2.0 * w[on]
    q[xf[on]] = -2.0 * w[on] * tbar[on]

    eq = np.isfinite(lo) & (lo == hi)
    has_hi = np.isfinite(hi) & ~eq
    has_lo = np.isfinite(lo) & ~eq
    ident = sp.identity(len(free), format="csr")
    cfl, cfu = cl[free], cu[free]
    bl, bu = np.isfinite(cfl), np.isfinite(cfu)
    A_all = sp.vstack([Af[eq], Af[has_hi], -Af[has_lo], ident[bu], -ident[bl]]).tocsc()
    b_all = np.concatenate([lo[eq], hi[has_hi], -lo[has_lo], cfu[bu], -cfl[bl]])
    n_eq = int(eq.sum())
    cones = [clarabel.ZeroConeT(n_eq), clarabel.NonnegativeConeT(A_all.shape[0] - n_eq)]
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = tol
    settings.tol_ktratio = 1e-10
    settings.max_iter = 400
    settings.direct_solve_method = direct or "qdldl"  # measured: 4× faster than the default here (benchmarks/README.md)
    P = sp.diags(diag).tocsc()
    solver = clarabel.DefaultSolver(P, q, A_all, b_all, cones, settings)
    res = solver.solve()
    status = str(res.status)
    if not status.endswith("Solved"):  # Solved or AlmostSolved
        raise TieBreakError(f"the least-squares QP over the optimal face ended with {status}")
    vf = polish(P, q, A_all, b_all, n_eq, res, settings)
    found = np.asarray(res.x) if vf is None else vf
    # the free columns are inside their bounds up to the solver's tolerance: clip them
    found = np.clip(found, cfl, cfu)
    value[free_all] = sub.restore(found)
    rows_eq = np.isfinite(lo_free) & (lo_free == hi_free)
    off = np.abs(A_free[rows_eq] @ value[free_all] - lo_free[rows_eq]).max(initial=0.0)
    if off > 1e-6 * max(1.0, np.abs(lo_free[rows_eq]).max(initial=0.0)):  # "solved" off the face: keep the vertex
        raise TieBreakError(f"the least-squares QP's answer leaves the optimal face (off by {off:.3g})")
    return TieBreak(
        columns=value,
        posts=value[x_cols],
        objective_change=0.0,
        seconds=0.0,
        free_columns=len(free),
        status=status,
        substituted=int(sub.defined.sum()),
        qp_nonzeros=int(A_all.nnz),
    )


#: a defined column leaves the QP only if its definition, written in the columns that stay, has
#: at most this many terms: substituting a national pool or total (hundreds of posts) into every
#: row that holds it fills the QP in (measured: benchmarks/README.md, scenarios)
FILL_LIMIT = 32
# a definition row's coefficient on its column must be at least this fraction of its largest
PIVOT_TOL = 1e-3


@dataclass
class Substitution:
    """Columns of the face defined by its equality rows, substituted out: ``v_D = g_D + T_D v``.

    ``defined`` marks the substituted columns, ``used`` their definition rows (dropped from the
    QP); the rows of ``T`` at the defined columns hold entries only at the columns that stay.
    """

    defined: np.ndarray
    used: np.ndarray
    T: sp.csr_matrix
    g: np.ndarray

    def reduced(self, rows: sp.spmatrix) -> sp.csr_matrix:
        """``rows`` written in the columns that stay (their constant part is ``rows @ g``)."""
        keep = sp.diags((~self.defined).astype(float))
        return (rows @ (keep + self.T)).tocsc()[:, np.flatnonzero(~self.defined)].tocsr()

    def restore(self, kept_values: np.ndarray) -> np.ndarray:
        """Every column's value from the values of the columns that stay."""
        v = np.zeros(len(self.defined))
        v[~self.defined] = kept_values
        return v + self.g + self.T @ v


def substitution(A: sp.csr_matrix, rhs: np.ndarray, eq: np.ndarray, candidate: np.ndarray) -> Substitution:
    """Find the ``candidate`` columns that equality rows define, and write them in the others.

    A row ``a · v = b`` (``eq``, right-hand side ``rhs``) defines column ``j`` when ``j`` is its
    only candidate not yet defined: then ``v_j = (b − Σ_{i≠j} a_i v_i) / a_j`` with the defined
    columns among the ``v_i`` replaced by their own definitions. Rows are taken in rounds
    (a stock of year e is defined once that of year e − 1 is), so ``T`` is built by a
    triangular substitution; a definition with more than :data:`FILL_LIMIT` terms, or a pivot
    below :data:`PIVOT_TOL` of its row, is refused and its column stays. The candidates must
    have no bounds (a substituted column's bound would become a dense row).
    """
    m, n = A.shape
    A = sp.csr_matrix(A)
    pattern = A.copy()
    pattern.data = np.ones_like(pattern.data)
    magnitude = abs(A).max(axis=1).toarray().ravel() if m else np.zeros(0)
    undefined = np.asarray(candidate, dtype=bool).copy()
    defined = np.zeros(n, dtype=bool)
    used = np.zeros(m, dtype=bool)
    g = np.zeros(n)
    T = sp.csr_matrix((n, n))
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    while undefined.any():
        count = pattern @ undefined.astype(float)
        rows = np.flatnonzero(eq & ~used & (count == 1))
        if len(rows) == 0:
            break
        sub = A[rows]
        und = sub.multiply(undefined[None, :]).tocsr()
        und.eliminate_zeros()
        pivot, a = und.indices[und.indptr[:-1]], und.data[und.indptr[:-1]]
        ok = np.abs(a) >= PIVOT_TOL * magnitude[rows]
        first = np.zeros(len(rows), dtype=bool)
        first[np.unique(pivot, return_index=True)[1]] = True  # one definition per column
        ok &= first
        undefined[pivot[~ok & first]] = False  # a small pivot: the column stays
        rows, pivot, a, sub = rows[ok], pivot[ok], a[ok], sub[ok]
        if len(rows) == 0:
            continue
        written = (sub @ (sp.diags((~defined).astype(float)) + T)).tolil()
        written[np.arange(len(rows)), pivot] = 0.0
        written = written.tocsr()
        written.eliminate_zeros()
        accept = np.diff(written.indptr) <= FILL_LIMIT
        undefined[pivot[~accept]] = False  # too many terms: the column stays
        b = rhs[rows] - sub.multiply(defined[None, :]) @ g
        rows, pivot, a, written, b = rows[accept], pivot[accept], a[accept], written[accept], b[accept]
        if len(rows) == 0:
            continue
        c = written.tocoo()
        parts.append((pivot[c.row], c.col, -c.data / a[c.row]))
        g[pivot] = b / a
        defined[pivot], undefined[pivot], used[rows] = True, False, True
        r, c_, v_ = (np.concatenate(x) for x in zip(*parts, strict=True))
        T = sp.csr_matrix((v_, (r, c_)), shape=(n, n))
    return Substitution(defined, used, T, g)


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
    A_act = A[np.flatnonzero(active)]
    solver = clarabel.DefaultSolver(P, q, A_act.tocsc(), b[active], [clarabel.ZeroConeT(int(active.sum()))], settings)
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
