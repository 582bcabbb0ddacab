"""Why an instance is infeasible, in words a policy analyst can act on (docs/model.md §2, §9).

Three tools, used together by :func:`diagnose`:

1. :func:`presolve_findings`: cheap checks on the data before any model is built: locks
   outside capacity, national totals out of reach of capacity and locks, budgets below the
   cheapest allowed allocation, national totals falling faster than ``max_national_moves``,
   and targets out of reach of the growth and shrink limits (bounds propagated year by year).
2. :func:`relaxation_findings`: if the solver still finds the instance infeasible, HiGHS's
   feasibility relaxation finds the smallest weighted violation of the constraints (weights
   in :data:`RELAXATION_PENALTIES`); every violated row or bound is named by its §5 family
   and its region, specialty and year, with the relaxation that would make the instance
   solve, and for rate limits the rate that would be needed.
3. :func:`iis_findings`: HiGHS's irreducible infeasible subset (IIS): a set of constraints
   and bounds that cannot all hold, but any one of which could be dropped and the rest
   would hold. Every member is named by its family, its index (region / specialty / year)
   and its numbers. The relaxation says *how much* to relax; the IIS says *which* rules
   collide.

A finding is a :class:`~allocator.model.findings.Finding` (a frozen dataclass with a
``kind``; its JSON ``{constraint, region?, specialty?, year?, message, relax_by?,
direction?, bound?, rate?, needed_rate?}``): ``relax_by`` is the amount by which to move the
named constraint's bound, ``direction`` (``"up"``/``"down"``) which way, ``bound`` which
instance field that is where it is ambiguous (``max_posts``, ``min_posts``, ``lock``), and
for rate-type limits ``rate`` (now) and ``needed_rate`` (enough for this finding).

A conflict member is a :class:`~allocator.model.findings.ConflictMember` (JSON
``{constraint, name, kind, index, region?, specialty?, year?,
bound, value, message}``: ``name`` is ``family[keys]`` (e.g. ``region_net_loss[north,2025]``),
``kind`` ``"row"`` or ``"column"`` and ``index`` its row or column in the HiGHS model,
``bound`` the side in conflict (``"upper"``, ``"lower"`` or ``"both"``) and ``value`` that
bound's number.
"""

from __future__ import annotations

import numpy as np

from allocator.analysis.diagnosis_words import action, summary, technical_detail
from allocator.analysis.pacing_words import floor_share, limit_at
from allocator.core.data import ProblemData
from allocator.core.families import BY_NAME, NONNEGATIVITY, words
from allocator.core.pacing import phased_cells
from allocator.model.findings import ConflictMember, Diagnosis, Finding
from allocator.model.highs_env import pool_threads
from allocator.model.presolve import (
    IIS_MAX_COLUMNS,
    IIS_TIME_LIMIT,
    PENALTY,
    TOL,
    current_rate,
    make_finding,
    pct_text,
    rate_words,
)
from allocator.solution.measures import previous
from allocator.solution.result import json_number

# ------------------------------------------------------------------ feasibility relaxation


def relaxation_findings(model) -> list[Finding]:
    """The smallest weighted relaxation that makes a built HiGHS model feasible.

    Runs HiGHS's feasibility relaxation on ``model`` (a
    :class:`~allocator.model.backends.highs.HighsModel`) with the penalties of
    :data:`RELAXATION_PENALTIES` (national totals relaxed last; definitional rows never),
    and names every violated row or bound by its family and region / specialty / year, with
    the amount. For the rate-type limits it also gives the rate that would be needed, with
    last year's posts ``x_prev`` taken from the relaxed solution:

    - ``region_net_loss``: ``rate + amount / Σ_s x_prev[r,s,t]``;
    - ``growth_limit``, ``shrink_limit``: ``rate + amount / x_prev[r,s,t]``;
    - ``programme_shrink``: ``1/programme_years + amount / x_prev[r,s,t]``.
    """
    import highspy

    from allocator.model.backends.highs import row_ids

    h, d, v = model.highs, model.data, model.columns
    h.setOptionValue("threads", pool_threads())  # another number would break concurrent solves' pool
    n_rows = h.getNumRow()
    rhs_pen = np.full(n_rows, -1.0)
    for b in model.blocks:
        rhs_pen[b.start : b.start + b.size] = PENALTY[b.name]
    locked = d.locked.ravel()
    # x's bounds come from capacity and locks; the other columns' bound 0 is never relaxed
    upper_pen = np.full(v.n, -1.0)
    posts = v.span("x")
    upper_pen[posts] = np.where(locked, PENALTY["lock"], PENALTY["capacity"])
    lower_pen = np.full(v.n, -1.0)
    has_lower = locked | (d.min_posts.ravel() > 0)
    lower_pen[posts][has_lower] = upper_pen[posts][has_lower]
    phased = phased_cells(d).ravel()  # §5b: a phase is dec's upper bound 0
    upper_pen[v.span("dec")][phased] = PENALTY["phase"]
    h.setOptionValue("output_flag", False)
    status = h.feasibilityRelaxation(1.0, 1.0, 1.0, lower_pen, upper_pen, rhs_pen)
    if status == highspy.HighsStatus.kError:
        return [make_finding("error", "HiGHS could not compute a feasibility relaxation.", kind="error")]
    sol = h.getSolution()
    lp = h.getLp()
    act = np.asarray(sol.row_value)
    lo_r, hi_r = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    x = np.asarray(sol.col_value)[v.span("x")]
    prev = previous(d, x.reshape(v.R, v.S, v.Y))
    out: list[Finding] = []

    for b in model.blocks:
        sl = slice(b.start, b.start + b.size)
        over = act[sl] - hi_r[sl]
        under = lo_r[sl] - act[sl]
        for i in np.flatnonzero((over > 1e-6) | (under > 1e-6)):
            amount = max(over[i], under[i])
            where = row_ids(d, b.labels, i)
            extra = {"direction": "up" if over[i] > 0 else "down"}
            now = need = None
            if words(b.name).rate:  # a rate-type limit: the rate that would be needed
                r, t = int(b.labels["region"][i]), int(b.labels["year"][i])
                s = int(b.labels["specialty"][i]) if "specialty" in b.labels else 0
                base = prev[r, :, t].sum() if b.name == "region_net_loss" else prev[r, s, t]
                now = current_rate(d, b.name, s, t)
                need = now + amount / base if base > TOL and now is not None else None
                extra.update(rate=now, needed_rate=need)
            words_ = _relax_words(
                b.name, where, amount, over[i] > 0, _is_ranged(d, b.name, where), _team_ctx(d, b.name, where)
            )
            rate = rate_words(b.name, now, need) if need is not None else ""
            text = words_ + (f" ({rate})" if rate else "")
            out.append(make_finding(b.name, text, amount, kind="relaxation", **where, **extra))
    lost = np.asarray(sol.col_value)[v.span("dec")]
    for k in np.flatnonzero(phased & (lost > 1e-6)):
        where = row_ids(d, v.cell_labels(), k)
        text = _relax_words("phase", where, float(lost[k]), True)
        out.append(make_finding("phase", text, float(lost[k]), kind="relaxed_bound", **where, direction="up"))
    clo, chi = np.asarray(lp.col_lower_)[v.span("x")], np.asarray(lp.col_upper_)[v.span("x")]
    cells = v.cell_labels()
    for k in np.flatnonzero((x > chi + 1e-6) | (x < clo - 1e-6)):
        up = x[k] > chi[k]
        amount = x[k] - chi[k] if up else clo[k] - x[k]
        where = row_ids(d, cells, k)
        name = "lock" if locked[k] else "capacity"
        bound = chi[k] if up else clo[k]
        text = words(name).relax.format(
            verb="raise" if up else "lower",
            year=where["year"],
            what="lock" if locked[k] else "cap" if up else "minimum",
            region=where["region"],
            specialty=where["specialty"],
            bound=bound,
            new=bound + amount if up else bound - amount,
        )
        field = "lock" if locked[k] else "max_posts" if up else "min_posts"
        direction = "up" if up else "down"
        out.append(make_finding(name, text, amount, kind="relaxed_bound", **where, direction=direction, bound=field))
    return out


def _is_ranged(d: ProblemData, family: str, where: dict) -> bool:
    """The row belongs to an (s, t) whose national total is a range (v2) and the family has
    words of its own for that case (``national_total``, ``target_gap``)."""
    if BY_NAME.get(family) is None or BY_NAME[family].range_words is None or "specialty" not in where:
        return False
    return bool(d.ranged[d.specialties.index(where["specialty"]), d.years.index(where["year"])])


def _relax_words(
    name: str, where: dict, amount: float, over: bool, ranged: bool = False, extra: dict | None = None
) -> str:
    """One relaxation in plain words, from the family table (``ranged``: a national total
    given as a range, v2; ``extra``: more template fields, e.g. a team's)."""
    cell = " ".join(str(where[k]) for k in ("region", "specialty") if k in where)
    year = where.get("year")
    template = words(name, ranged).relax if name in BY_NAME else ""
    if not template:
        return f"relax {name} for {cell} {year} by {amount:g}"
    return template.format(
        cell=cell,
        year=year,
        amount=amount,
        verb="raise" if over else "lower",
        side="maximum" if over else "minimum",
        region=where.get("region"),
        specialty=where.get("specialty"),
        **(extra or {}),
    )


def _team_ctx(d: ProblemData, family: str, where: dict) -> dict:
    """Template fields of a §11 row: ``team`` (its name) and, for ``team_mix``, ``pct`` (the
    member's ``max_share``)."""
    if "team" not in where:
        return {}
    team = next(t for t in d.teams if t.id == where["team"])
    ctx = {"team": team.name}
    if family == "team_mix" and where.get("specialty") in d.specialties:
        m = list(team.members).index(d.specialties.index(where["specialty"]))
        ctx["pct"] = pct_text(float(team.max_share[m]))
    return ctx


def _rate_ctx(d: ProblemData, family: str, where: dict) -> dict:
    """The rate of a rate-type family in words: ``pct`` ("3%"), ``plus`` (" + 2", the
    allowance), ``plus_posts`` (" + 2 posts"), ``py`` (programme years) and ``short`` (the
    rate and allowance in the short form of a limit: "3% + 2", "1/4"), from the table's
    ``rate_field`` and ``allowance_field``."""
    f = BY_NAME.get(family)
    ctx = {"pct": "", "plus": "", "plus_posts": "", "py": 0.0, "short": ""}
    if f is None:
        return ctx
    rate, allowance = limit_at(d, family, where)  # §5b: the specialty's own limit that year
    if allowance and f.allowance_field:
        ctx["plus"] = f" + {allowance:g}"
        ctx["plus_posts"] = f" + {allowance:g} posts"
    if f.rate_field:
        ctx["pct"] = pct_text(rate or 0.0)
        ctx["short"] = ctx["pct"] + ctx["plus"]
    elif family == "floor":
        ctx["pct"] = pct_text(floor_share(d, where) or 0.0)
    elif words(family).rate and where.get("specialty") is not None:  # programme_shrink: 1/programme_years
        ctx["py"] = d.programme_years[d.specialties.index(where["specialty"])]
        ctx["short"] = f"1/{ctx['py']:g}"
    return ctx


# ------------------------------------------------------------------------ conflict (IIS)

_BOUND = {2: "lower", 3: "upper", 4: "both"}
#: How a diagnosis names each per-cell variable of the layout (:attr:`Columns.names`).
_VARIABLE_WORDS = {"x": "posts", "inc": "posts gained", "dec": "posts lost", "short": "shortfall", "surplus": "surplus"}


def _member_name(family: str, where: dict) -> str:
    keys = [str(where[k]) for k in ("scenario", "team", "region", "specialty", "year") if k in where]
    return f"{family}[{','.join(keys)}]"


def _row_words(d: ProblemData, family: str, where: dict, side: str, value: float, first: bool) -> str:
    """What one IIS row says, with its numbers (the family table's ``conflict`` words)."""
    t = where.get("year")
    template = words(family, _is_ranged(d, family, where)).conflict if family in BY_NAME else ""
    if not template:
        return f"{family} {side} bound {value:g}"
    return template.format(
        cell=" ".join(str(where[k]) for k in ("region", "specialty") if k in where),
        region=where.get("region"),
        specialty=where.get("specialty"),
        year=t,
        last="the baseline" if first else f"its {t - 1} posts" if t is not None else "last year's posts",
        value=value,
        limit=f" ({value:g} posts)" if first else "",
        half={"lower": "at least", "upper": "no more than", "both": "exactly"}[side],
        field="min_posts" if side == "lower" else "max_posts",
        **(_rate_ctx(d, family, where) | _team_ctx(d, family, where)),
    )


def _row_limit(d: ProblemData, family: str, where: dict, side: str, value: float, first: bool) -> str:
    """The bound of one IIS row in short form: '= 120', '≤ 4.5', '≤ 3% of the 2025 posts'."""
    f = BY_NAME.get(family)
    sym = "≥" if side == "lower" else "≤"
    if f is not None and (f.range_sense if _is_ranged(d, family, where) and f.range_sense else f.sense) == "=":
        return f"= {value:g}"
    short = _rate_ctx(d, family, where)["short"] if f is not None and f.words.rate else ""
    if first or not short:
        return f"{sym} {value:g}"
    return f"{sym} {short} of the {where.get('year') - 1} posts"


def _iis(model, time_limit: float = IIS_TIME_LIMIT) -> tuple[str, list[ConflictMember]]:
    """``(status, members)`` of HiGHS's IIS; status ``irreducible``, ``reducible`` (HiGHS
    stopped before the set was minimal), ``feasible``, ``time_limit`` or ``unavailable``."""
    import highspy

    from allocator.model.backends.highs import row_ids

    h, d, v = model.highs, model.data, model.columns
    if v.n > IIS_MAX_COLUMNS:
        return "unavailable", []
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", pool_threads())
    # from the elastic LP's candidate set, then HiGHS's deletion filter to make it irreducible
    # (measured: 0.14 s against 9.6 s for the deletion filter on the whole 7×12×5 model)
    strategy = int(highspy.IisStrategy.kIisStrategyFromLp) | int(highspy.IisStrategy.kIisStrategyIrreducible)
    h.setOptionValue("iis_strategy", strategy)
    h.setOptionValue("iis_time_limit", float(time_limit))
    try:
        status, iis = h.getIis()
    except Exception:  # a diagnosis must never fail on the IIS
        return "unavailable", []
    if status == highspy.HighsStatus.kError or not iis.valid_:
        return "unavailable", []
    state = {-1: "feasible", 0: "unavailable", 1: "time_limit", 2: "reducible", 3: "irreducible"}.get(
        int(iis.status_), "unavailable"
    )
    if state not in ("irreducible", "reducible"):  # no IIS, or HiGHS stopped before it had one
        return state, []
    lp = h.getLp()
    lo_r, hi_r = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    lo_c, hi_c = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    starts = np.array([b.start for b in model.blocks])
    locked, capped = d.locked.ravel(), d.has_capacity.ravel()
    out: list[ConflictMember] = []
    for k, bs in zip(iis.row_index_, iis.row_bound_, strict=True):
        side = _BOUND.get(int(bs))
        if side is None:
            continue
        k = int(k)
        b = model.blocks[int(np.searchsorted(starts, k, side="right")) - 1]
        i = k - b.start
        where = row_ids(d, b.labels, i)
        value = float(hi_r[k] if side == "upper" else lo_r[k])
        first = where.get("year") == d.years[0]
        out.append(
            ConflictMember(
                b.name,
                _member_name(b.name, where),
                "row",
                _row_words(d, b.name, where, side, value, first)
                + (f" (in the {where['scenario']} future)" if "scenario" in where else ""),
                index=k,
                **where,
                bound=side,
                equality=bool(lo_r[k] == hi_r[k]),
                value=json_number(value),
                limit=_row_limit(d, b.name, where, side, value, first),
            )
        )
    cells = v.cell_labels()
    for j, bs in zip(iis.col_index_, iis.col_bound_, strict=True):
        side = _BOUND.get(int(bs))
        if side is None:  # a column in the IIS whose bounds play no part
            continue
        j = int(j)
        value = float(hi_c[j] if side == "upper" else lo_c[j])
        variable, r, s, t = v.locate(j)[:4]
        if variable == "z":
            where, family = {}, NONNEGATIVITY
            msg = "definition: the worst shortfall z cannot be negative"
        elif variable not in _VARIABLE_WORDS:  # a variable of §10/§11: stock, supply or team gap
            where, family = {}, NONNEGATIVITY
            base, _, member = variable.partition("#")  # §12: a member future's own copy
            future = f" in the {d.scenarios.ids[int(member)]} future" if member and d.scenarios else ""
            msg = f"definition: {base.replace('_', ' ')}{future} cannot be negative"
        else:
            k = int(v.cell[r, s, t])
            where = row_ids(d, cells, k)
            cell = f"{where['region']} {where['specialty']}"
            what = _VARIABLE_WORDS[variable]
            if variable == "x":
                family = "lock" if locked[k] else "capacity"
                said = words(family)
                if locked[k] or side == "upper":
                    msg = said.conflict.format(cell=cell, value=value, year=where["year"])
                elif capped[k] and value > 0:
                    msg = said.conflict_lower.format(cell=cell, value=value, year=where["year"])
                else:
                    msg = f"{cell} cannot hold fewer than 0 posts in {where['year']}"
            elif variable == "dec" and side != "lower" and phased_cells(d)[r, s, t]:  # §5b
                family = "phase"
                msg = words("phase").conflict.format(cell=cell, specialty=where["specialty"], year=where["year"])
            else:
                family = NONNEGATIVITY
                msg = f"definition: {what} of {cell} in {where['year']} cannot be negative"
        limit = f"{'=' if lo_c[j] == hi_c[j] else '≥' if side == 'lower' else '≤'} {value:g}"
        name = _member_name(family, where)
        if family == NONNEGATIVITY:
            name = f"{variable}{name[len(family) :]} ≥ 0" if where else f"{variable} ≥ 0"
        out.append(
            ConflictMember(
                family,
                name,
                "column",
                msg,
                index=j,
                **where,
                bound=side,
                equality=bool(lo_c[j] == hi_c[j]),
                value=json_number(value),
                limit=limit,
            )
        )
    return state, out


def iis_findings(model, time_limit: float = IIS_TIME_LIMIT) -> list[ConflictMember]:
    """HiGHS's irreducible infeasible subset of a built model, member by member.

    Runs ``Highs.getIis`` (HiGHS 1.15) with ``iis_strategy = kIisStrategyFromLp |
    kIisStrategyIrreducible``: HiGHS first takes the rows and bounds an elastic LP needs to
    violate as candidates, then runs its deletion filter (solving a sequence of LPs, dropping
    each candidate in turn and keeping it only if the rest becomes feasible) until no member
    can be dropped. Only the LP relaxation is analysed; integrality is ignored. The deletion
    filter alone, on the whole model, finds a much larger IIS far more slowly (9.6 s and 473
    members against 0.14 s and 20 on a 7 × 12 × 5 instance). Every row in the IIS is mapped back through
    ``model.blocks`` to its §5 family and region / specialty / year; every column bound of
    ``x`` in it is reported as ``capacity`` (``max_posts``, ``min_posts``, or the bound
    ``x ≥ 0``) or ``lock``; a bound 0 of an auxiliary variable (posts gained or lost,
    shortfall, surplus, z) as ``nonnegativity``. Each member carries the bound in conflict
    and its number (see the module docstring for the keys).

    Returns ``[]`` when the LP is feasible, when HiGHS gives no IIS, or when the model has
    more than :data:`IIS_MAX_COLUMNS` columns. ``model`` is left with the IIS options set;
    build a fresh one to solve.
    """
    return _iis(model, time_limit)[1]


def _presolve_conflict(d: ProblemData, findings: list[Finding]) -> list[ConflictMember]:
    """A conflict stated from the pre-solve findings where the built LP cannot show one:
    a lock outside capacity (the direct model sets a locked cell's bounds to the lock, so
    its capacity is not in the LP) and fractional totals in integer mode."""
    out: list[ConflictMember] = []
    for f in findings:
        where = f.where
        if f.kind == "lock_outside_capacity":
            r, s, t = d.regions.index(f.region), d.specialties.index(f.specialty), d.years.index(f.year)
            v, mn, mx = d.lock[r, s, t], d.min_posts[r, s, t], d.max_posts[r, s, t]
            side, bound = ("upper", mx) if v > mx else ("lower", mn)
            cell = f"{f.region} {f.specialty}"
            locked = words("lock").conflict.format(cell=cell, value=v, year=f.year)
            out.append(
                ConflictMember(
                    "lock",
                    _member_name("lock", where),
                    "data",
                    locked,
                    **where,
                    bound="both",
                    equality=True,
                    value=float(v),
                )
            )
            at = "at most" if side == "upper" else "at least"
            field = "max_posts" if side == "upper" else "min_posts"
            message = f"{cell} may hold {at} {bound:g} posts in {f.year} ({field})"
            out.append(
                ConflictMember(
                    "capacity",
                    _member_name("capacity", where),
                    "data",
                    message,
                    **where,
                    bound=side,
                    equality=False,
                    value=float(bound),
                )
            )
        elif f.kind in ("not_whole", "no_whole_number"):
            out.append(ConflictMember(f.constraint, _member_name(f.constraint, where), "data", f.message, **where))
            out.append(ConflictMember("integrality", "integrality", "data", "whole posts: every x is an integer"))
    return out


def _conflict_words(conflict: list[ConflictMember], limit: int = 6) -> str:
    """'A, B and C cannot all hold' for the policy members of a conflict."""
    sym = {"upper": "≤", "lower": "≥", "both": "="}
    policy = [m for m in conflict if m.policy]
    parts = []
    for m in policy[:limit]:
        if m.limit:
            parts.append(f"{m.name} {m.limit}")
        elif m.value is not None:
            parts.append(f"{m.name} {'=' if m.equality else sym.get(m.bound, '=')} {m.value:g}")
        else:
            parts.append(m.name)
    if len(policy) > limit:
        parts.append(f"{len(policy) - limit} more")
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""
    if len(policy) < len(conflict):
        text += " (with the definitions of gains, losses and gaps)"
    return text


def diagnosis(d: ProblemData, spec=None, findings: list[Finding] | None = None, iis: bool = True) -> Diagnosis:
    """The typed diagnosis of an infeasible instance (see :func:`diagnose`, its JSON form)."""
    from allocator.core.spec import DEFAULT_MODEL
    from allocator.model.backends.highs import build_model

    spec = spec or DEFAULT_MODEL
    kind, stage = "pre-solve", "the pre-solve checks (proofs from the data, before any model is built)"
    presolved = bool(findings)
    findings = list(findings or [])
    if not findings:
        findings = relaxation_findings(build_model(d, spec, integer=False))
        kind, stage = "relaxation", "HiGHS's feasibility relaxation (the smallest weighted relaxation of the limits)"
    if not findings:
        findings = [
            make_finding(
                "unknown",
                "the LP relaxation is feasible, so the conflict comes from requiring whole posts: "
                "solve without --integer and round the result, or widen capacities to whole-number ranges.",
                kind="lp_feasible",
            )
        ]
    conflict: list[ConflictMember] = []
    conflict_status = "unavailable"
    if iis:
        # a fresh model: the one the relaxation ran on would change HiGHS's IIS (measured: 13
        # members instead of 7 on region-net-loss-vs-falling-total); building it takes milliseconds
        try:
            conflict_status, conflict = _iis(build_model(d, spec, integer=False))
        except Exception:  # a diagnosis must never fail on the IIS
            conflict_status, conflict = "unavailable", []
        if not conflict and presolved:
            stated = _presolve_conflict(d, findings)
            if stated:
                conflict, conflict_status = stated, "pre-solve"
    if conflict:
        source = (
            f"HiGHS's irreducible infeasible subset, {conflict_status}"
            if conflict_status != "pre-solve"
            else "the pre-solve checks"
        )
        conflict_line = f"These cannot all hold ({source}): {_conflict_words(conflict)}."
    elif conflict_status == "feasible":
        conflict_line = "The LP relaxation is feasible: only the requirement of whole posts conflicts."
    else:
        conflict_line = f"No conflict set from HiGHS ({conflict_status})." if iis else ""
    actions = [action(f, d) for f in findings]
    return Diagnosis(
        kind,
        summary(findings, actions),
        tuple(findings),
        tuple(conflict),
        conflict_status,
        actions=tuple(actions),
        technical_detail=tuple(technical_detail(stage, conflict_line, findings)),
    )


def diagnose(d: ProblemData, spec=None, findings: list[Finding] | None = None, iis: bool = True) -> dict:
    """The ``diagnosis`` of an infeasible result (docs/model.md §9), as its JSON dict.

    Uses ``findings`` if given (the pre-solve checks), else builds the HiGHS model and runs
    the feasibility relaxation. With ``iis`` true it also builds the LP once more and asks
    HiGHS for an irreducible infeasible subset (:func:`iis_findings`). The typed form is
    :func:`diagnosis` (a :class:`~allocator.model.findings.Diagnosis`); this is its
    ``to_dict()``.

    Returns
    -------
    dict with keys

    - ``summary``: one paragraph in words a policy analyst acts on, no solver names: the
      ``actions`` of the first three limits and cells (one per family and cell, its other
      years named) and how many more;
    - ``actions``: every finding as a sentence starting with what to change and by how much
      (:func:`allocator.analysis.diagnosis_words.action`);
    - ``constraints``: the families of the findings;
    - ``findings``: the relaxation (or pre-solve) findings, each with ``relax_by``;
    - ``conflict``: the members of the IIS (or, where the LP cannot show the conflict, the
      members stated by the pre-solve check), by family name and index, with numbers;
    - ``conflict_status``: ``irreducible``, ``reducible``, ``time_limit``, ``feasible``
      (the LP relaxation is feasible: only whole posts conflict), ``pre-solve`` or
      ``unavailable``;
    - ``technical_detail``: lines for a researcher: the stage that found the conflict, the
      conflict set by family and index (HiGHS's IIS or the pre-solve check), and every
      finding's raw ``relax_by``, ``direction``, ``rate`` and ``needed_rate``.
    """
    return diagnosis(d, spec, findings, iis).to_dict()
