"""The §6b QP in its smallest form: the optimal face written in as few columns and rows as it takes.

The face ``{cl ≤ v ≤ cu, rl ≤ A v ≤ ru}`` of docs/model.md §6b, as :func:`allocator.model.tiebreak.optimal_face`
gives it, is handed to the QP solver after these exact rewritings (each leaves the set of
points of the face unchanged, written in fewer columns):

1. **Fixed columns leave.** A column with ``cl = cu`` (every column with a non-zero reduced
   cost) is a constant: its part of each row moves to the right-hand side.
2. **Defined columns leave.** A column other than a post that an equality row defines with few
   terms (a cell's increase, decrease, shortfall or surplus; a pipeline's stock) is written in
   the others (:func:`substitution`); its definition row leaves, and its bounds become a row
   in the columns that stay.
3. **Rows of one column are bounds**, and **parallel rows are one row**: ``2 ≤ x`` and
   ``x ≤ 5`` tighten x's bounds; rows with the same columns and coefficients up to a positive
   factor keep the tighter side of each. A column whose bounds meet is fixed (step 1 again).
4. **Rows with no column left** are checked (a face they contradict is empty) and dropped.

What is left is a set of ``columns`` (indices into the face's free columns), their bounds
and rows ``lower ≤ rows · u ≤ upper``; :meth:`FaceForm.restore` turns a point ``u`` of it back
into every free column of the face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: a defined column leaves the QP only if its definition, written in the columns that stay, has
#: at most this many terms: substituting a national pool or total (hundreds of posts) into every
#: row that holds it fills the QP in (measured: benchmarks/README.md, scenarios)
FILL_LIMIT = 32
# a definition row's coefficient on its column must be at least this fraction of its largest
PIVOT_TOL = 1e-3
# a row with no column left, or bounds that cross, are tolerated up to this (absolute, scaled by
# the size of the right-hand side): the face comes from a solver's solution
FEAS_TOL = 1e-9
# rows of at most this many columns are compared for parallels (step 3); longer rows stay apart
MERGE_TERMS = 16
# at most this many passes of steps 3–4 (each pass can fix columns and so empty rows)
PASSES = 6


class EmptyFace(ValueError):
    """Rows or bounds of the face contradict each other (the duals were not optimal)."""


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
    below :data:`PIVOT_TOL` of its row, is refused and its column stays. A substituted
    column's bounds are the caller's to keep (:func:`smallest`: as rows in the columns left).
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
        written = (sub @ (sp.diags((~defined).astype(float)) + T)).tocsr()
        at = np.arange(len(rows))
        on_pivot = np.asarray(written[at, pivot]).ravel()
        written = (written - sp.csr_matrix((on_pivot, (at, pivot)), shape=written.shape)).tocsr()
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


@dataclass
class FaceForm:
    """The face in its smallest form: ``lower ≤ rows · u ≤ upper``, ``col_lower ≤ u ≤ col_upper``.

    ``columns`` are the face's free columns that stay (indices into ``free``, the columns the face
    does not fix); ``fixed`` and ``fixed_value`` the ones steps 3–4 fixed on the way.
    """

    free: np.ndarray  # the face's free columns (indices into every column)
    columns: np.ndarray  # the QP's columns: indices into ``free``
    col_lower: np.ndarray
    col_upper: np.ndarray
    rows: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    sub: Substitution  # of the columns of ``free``
    kept: np.ndarray  # the columns of ``free`` not substituted (the sub's kept columns)
    kept_value: np.ndarray  # their values where steps 3–4 fixed them (others: the QP's)
    kept_fixed: np.ndarray

    def restore(self, u: np.ndarray) -> np.ndarray:
        """The value of every free column of the face from the QP's columns' values ``u``."""
        k = self.kept_value.copy()
        k[~self.kept_fixed] = u
        return self.sub.restore(k)


def _tol(b: np.ndarray) -> np.ndarray:
    return FEAS_TOL * np.maximum(1.0, np.abs(np.where(np.isfinite(b), b, 0.0)))


def _merge_parallel(rows: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray):
    """Rows with the same columns and proportional coefficients (positive factor) as one row:
    each scaled so that its first coefficient is ±1 → +1, sides swapped when that factor is
    negative; then identical rows keep the largest lower and the smallest upper side."""
    m = rows.shape[0]
    if m == 0:
        return rows, lo, hi
    rows = rows.tocsr()
    rows.sort_indices()
    first = rows.data[rows.indptr[:-1]]
    scale = 1.0 / first
    rows = (sp.diags(scale) @ rows).tocsr()
    rows.sort_indices()
    l2, u2 = lo * scale, hi * scale
    neg = scale < 0
    lo, hi = np.where(neg, u2, l2), np.where(neg, l2, u2)
    count = np.diff(rows.indptr)
    group = np.empty(m, dtype=np.int64)
    n_groups = 0
    for c in np.unique(count):
        sel = np.flatnonzero(count == c)
        if c > MERGE_TERMS:  # long rows are rarely parallel: each is its own group
            group[sel] = n_groups + np.arange(len(sel))
            n_groups += len(sel)
            continue
        starts = rows.indptr[sel][:, None] + np.arange(c)[None, :]
        key = np.concatenate([rows.indices[starts].astype(np.float64), rows.data[starts]], axis=1)
        order = np.lexsort(key.T[::-1])
        new = np.ones(len(sel), dtype=bool)
        new[1:] = np.any(key[order[1:]] != key[order[:-1]], axis=1)
        inverse = np.empty(len(sel), dtype=np.int64)
        inverse[order] = np.cumsum(new) - 1
        group[sel] = n_groups + inverse
        n_groups += int(new.sum())
    glo, ghi = np.full(n_groups, -np.inf), np.full(n_groups, np.inf)
    np.maximum.at(glo, group, lo)
    np.minimum.at(ghi, group, hi)
    # sides of merged rows that cross by rounding (equalities written twice) meet in the middle
    crossed = glo > ghi
    if np.any(glo - ghi > _tol(ghi)):
        raise EmptyFace("parallel rows of the optimal face contradict each other")
    glo[crossed] = ghi[crossed] = 0.5 * (glo[crossed] + ghi[crossed])
    firsts = np.unique(group, return_index=True)[1]
    order = np.argsort(group[firsts])
    keep = firsts[order]
    return rows[keep], glo, ghi


def smallest(A, cl, cu, rl, ru, is_post: np.ndarray, substitute: bool = True) -> FaceForm:
    """The face ``{cl ≤ v ≤ cu, rl ≤ A v ≤ ru}`` in its smallest form (module docstring).

    ``is_post`` marks the columns the QP's objective prices: they are never substituted.
    ``substitute`` ``False`` keeps every free column and row (step 1 only): the same face in its
    plain form, for comparison. Raises :class:`EmptyFace` if the face has no point.
    """
    fixed = cl == cu
    free = np.flatnonzero(~fixed)
    value = np.where(fixed, cl, 0.0)
    shift = A @ value
    Af = sp.csc_matrix(A)[:, free].tocsr()
    lo, hi = rl - shift, ru - shift
    cfl, cfu = cl[free].astype(float), cu[free].astype(float)
    nf = len(free)
    if not substitute:
        sub = Substitution(np.zeros(nf, bool), np.zeros(Af.shape[0], bool), sp.csr_matrix((nf, nf)), np.zeros(nf))
        return FaceForm(free, np.arange(nf), cfl, cfu, Af, lo, hi, sub, np.arange(nf), np.zeros(nf), np.zeros(nf, bool))
    eq = np.isfinite(lo) & (lo == hi)
    sub = substitution(Af, lo, eq, ~is_post[free])
    kept = np.flatnonzero(~sub.defined)
    rest = np.flatnonzero(~sub.used)
    rows_rest = Af[rest]
    const = rows_rest @ sub.g
    D = np.flatnonzero(sub.defined & (np.isfinite(cfl) | np.isfinite(cfu)))
    rows = sp.vstack([sub.reduced(rows_rest), sub.T[D][:, kept]]).tocsr()
    lower = np.concatenate([lo[rest] - const, cfl[D] - sub.g[D]])
    upper = np.concatenate([hi[rest] - const, cfu[D] - sub.g[D]])
    bl, bu = cfl[kept].copy(), cfu[kept].copy()
    kept_value = np.zeros(len(kept))
    kept_fixed = np.zeros(len(kept), dtype=bool)
    for _ in range(PASSES):
        n_rows = rows.shape[0]
        rows, lower, upper = _drop_empty(rows, lower, upper)
        dropped = rows.shape[0] < n_rows
        count = np.diff(rows.indptr)
        # step 3: one column: a bound
        one = np.flatnonzero(count == 1)
        j = rows.indices[rows.indptr[one]]
        a = rows.data[rows.indptr[one]]
        with np.errstate(divide="ignore", invalid="ignore"):
            lj = np.where(a > 0, lower[one] / a, upper[one] / a)
            uj = np.where(a > 0, upper[one] / a, lower[one] / a)
        np.maximum.at(bl, j, lj)
        np.minimum.at(bu, j, uj)
        keep_rows = np.flatnonzero(count >= 2)  # (count 0 was dropped above)
        rows, lower, upper = rows[keep_rows], lower[keep_rows], upper[keep_rows]
        crossed = bl > bu
        if np.any(bl - bu > _tol(bu)):
            raise EmptyFace("bounds of a column of the optimal face cross")
        bu[crossed] = bl[crossed]
        newly = (bl == bu) & ~kept_fixed
        if not newly.any() and len(one) == 0 and not dropped:
            break
        if newly.any():
            kept_fixed |= newly
            kept_value[newly] = bl[newly]
            col_value = np.where(newly, bl, 0.0)
            c = rows @ col_value
            lower, upper = lower - c, upper - c
            rows = (rows @ sp.diags((~newly).astype(float))).tocsr()
    rows, lower, upper = _drop_empty(rows, lower, upper)
    rows, lower, upper = _merge_parallel(rows, lower, upper)
    stay = np.flatnonzero(~kept_fixed)
    rows = rows.tocsc()[:, stay].tocsr()
    return FaceForm(free, kept[stay], bl[stay], bu[stay], rows, lower, upper, sub, kept, kept_value, kept_fixed)


def _drop_empty(rows: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray):
    """Step 4: rows with no column left must hold (``lower ≤ 0 ≤ upper``) and leave."""
    rows = rows.tocsr()
    rows.eliminate_zeros()
    empty = np.diff(rows.indptr) == 0
    if np.any(lower[empty] > _tol(lower[empty])) or np.any(upper[empty] < -_tol(upper[empty])):
        raise EmptyFace("a row of the optimal face has no free column and does not hold")
    keep = np.flatnonzero(~empty)
    return rows[keep], lower[keep], upper[keep]
