"""A diagnosis in words a policy analyst acts on: the action first, the solver's detail apart.

Each finding of :mod:`allocator.analysis.diagnose` becomes one sentence that starts with what
to change and by how much ("Raise the capacity of london psychiatry in 2026 to 134 posts
(max_posts), or lower its lock to 120 or unlock it: it is locked at 134 posts but its capacity
is 0–120."), composed from the finding's fields and the instance, never by rewording its
``message``. What a researcher checks (the stage that found the conflict, HiGHS's
irreducible infeasible subset, the raw ``relax_by`` of every finding) goes into the
diagnosis's ``technical_detail``, a list of lines kept in ``result.json`` and shown on
request: ``--verbose`` on the command line, a "Technical detail" section of the report, an
expander in the app.

:func:`words_and_detail` reads any diagnosis dict, including one written before these fields
existed (its summary then still carries the conflict set, which is moved to the detail).
"""

from __future__ import annotations

import math

import numpy as np

from allocator.analysis.pacing_words import pacing_action
from allocator.analysis.shadow import years_text
from allocator.core.data import ProblemData
from allocator.model.findings import Finding
from allocator.model.presolve import rate_words, reachable_bounds

#: The verbs an action sentence may start with (a test holds every diagnosis to them).
ACTION_VERBS = ("Raise", "Lower", "Allow", "Let", "Round", "Lock", "Widen", "Solve", "Relax", "Add")

#: How many actions (one per limit and cell) the one-paragraph ``summary`` states before "and N more".
SUMMARY_ACTIONS = 3


def _cap(text: str) -> str:
    """First letter upper case, one full stop at the end."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _index(d: ProblemData, f: Finding) -> tuple[int | None, int | None, int | None]:
    r = d.regions.index(f.region) if f.region in d.regions else None
    s = d.specialties.index(f.specialty) if f.specialty in d.specialties else None
    t = d.years.index(f.year) if f.year in d.years else None
    return r, s, t


def _lock_outside(d: ProblemData, f: Finding, r: int, s: int, t: int) -> str:
    v, mn, mx = d.lock[r, s, t], d.min_posts[r, s, t], d.max_posts[r, s, t]
    cell, why = f"{f.region} {f.specialty}", f"it is locked at {v:g} posts but its capacity is {mn:g}–{mx:g}"
    if v > mx:
        return (
            f"Raise the capacity of {cell} in {f.year} to {v:g} posts (max_posts), or lower its lock to {mx:g} "
            f"or unlock it: {why}."
        )
    return (
        f"Lower the minimum of {cell} in {f.year} to {v:g} posts (min_posts), or raise its lock to {mn:g} "
        f"or unlock it: {why}."
    )


def _whole(d: ProblemData, f: Finding, r, s, t) -> str:
    """Whole posts: a total or lock not whole (``not_whole``), a range holding none (``no_whole_number``)."""
    if f.kind == "not_whole" and f.constraint == "lock":
        v = d.lock[r, s, t]
        return (
            f"Lock {f.region} {f.specialty} at a whole number of posts in {f.year} ({math.floor(v):g} or "
            f"{math.ceil(v):g}): it is locked at {v:g}, and whole posts need a whole number."
        )
    if f.kind == "not_whole":
        n = d.national[s, t]
        return (
            f"Round the {f.year} national total of {f.specialty} to {math.floor(n):g} or {math.ceil(n):g} posts: "
            f"it is {n:g}, and whole posts need a whole number."
        )
    if f.constraint == "national_total":
        lo, hi = d.national_min[s, t], d.national_max[s, t]
        return (
            f"Widen the {f.year} national range of {f.specialty} to hold a whole number, for example raise its "
            f"max_posts to {math.ceil(lo):g}: it must lie between {lo:g} and {hi:g} posts, and no whole number does."
        )
    mn, mx = d.min_posts[r, s, t], d.max_posts[r, s, t]
    return (
        f"Widen the {f.year} capacity of {f.region} {f.specialty} to hold a whole number, for example raise its "
        f"max_posts to {math.ceil(mn):g}: it must hold between {mn:g} and {mx:g} posts, and no whole number does."
    )


def _out_of_reach(d: ProblemData, f: Finding, s, t) -> str:
    by = float(f.relax_by or 0.0)
    if f.constraint == "budget":
        return (
            f"Raise the {f.year} budget by {by:g}, to {d.budget[t] + by:g}: the minimum posts and locks alone "
            f"cost {d.budget[t] + by:g}, above the budget of {d.budget[t]:g}."
        )
    if f.constraint == "national_moves":
        fall = d.max_national_moves + by
        return (
            f"Raise max_national_moves to {fall:g}, or slow the fall of the national totals: they fall by "
            f"{fall:g} posts in {f.year}, but at most {d.max_national_moves:g} posts may move in a year."
        )
    ranged = bool(d.ranged[s, t])
    if f.direction == "down":  # capacity and locks cannot reach the total (or the range's minimum)
        n = d.national_min[s, t] if ranged else d.national[s, t]
        what = "the minimum of its national range" if ranged else "its national total"
        return (
            f"Raise max_posts of {f.specialty} by {by:g} posts in total across the regions, or lower {what}: "
            f"it needs {'at least ' if ranged else ''}{n:g} posts nationally in {f.year}, but capacity and "
            f"locks allow at most {n - by:g}."
        )
    n = d.national_max[s, t] if ranged else d.national[s, t]
    what = "the maximum of its national range" if ranged else "its national total"
    return (
        f"Lower min_posts of {f.specialty} by {by:g} posts in total across the regions, or raise {what}: "
        f"it {'may have at most' if ranged else 'has'} {n:g} posts nationally in {f.year}, but minimum capacity "
        f"and locks need at least {n + by:g}."
    )


def _unreachable(d: ProblemData, f: Finding, r, s, t) -> str:
    """A growth or shrink limit that keeps a cell (or the regions together) from what they must hold."""
    by = float(f.relax_by or 0.0)
    rate = rate_words(f.constraint, f.rate, f.needed_rate)
    or_rate = f", or {rate}" if rate else ""
    growth = f.constraint == "growth_limit"
    kind = "growth" if growth else "reduction"
    field = " (growth_allowance)" if growth else " (shrink_allowance)" if f.constraint == "shrink_limit" else ""
    if r is not None:
        L, U = reachable_bounds(d)
        return (
            f"Allow {f.region} {f.specialty} {by:g} more posts of {kind}{field}{or_rate}: in {f.year} it must hold "
            f"at least {L[r, s, t]:g} posts but can hold at most {U[r, s, t]:g}, given its capacity, locks and "
            f"the growth and shrink limits from {d.baseline[r, s]:g} baseline posts."
        )
    ranged = bool(d.ranged[s, t])
    if growth:
        n = d.national_min[s, t] if ranged else d.national[s, t]
        return (
            f"Allow {f.specialty} {by:g} more posts of growth across the regions{or_rate}, or grow the national "
            f"total more slowly: it needs {'at least ' if ranged else ''}{n:g} posts nationally in {f.year}, but "
            f"the growth limits (with capacity) let the regions reach at most {n - by:g}."
        )
    n = d.national_max[s, t] if ranged else d.national[s, t]
    return (
        f"Allow {f.specialty} {by:g} more posts of reduction across the regions{field}{or_rate}, or reduce the "
        f"national total more slowly: it has {'at most ' if ranged else ''}{n:g} posts nationally in {f.year}, "
        f"but the shrink limits keep at least {n + by:g} in the regions."
    )


def action(f: Finding, d: ProblemData) -> str:
    """One finding as a sentence that starts with what to change (one of :data:`ACTION_VERBS`),
    with its quantity, followed by the reason."""
    r, s, t = _index(d, f)
    if f.kind == "lock_outside_capacity":
        return _lock_outside(d, f, r, s, t)
    if f.kind in ("not_whole", "no_whole_number"):
        return _whole(d, f, r, s, t)
    if f.kind == "out_of_reach":
        return _out_of_reach(d, f, s, t)
    if f.kind == "unreachable" and f.constraint in ("floor", "phase"):  # §5b
        return pacing_action(f, d)
    if f.kind == "unreachable":
        return _unreachable(d, f, r, s, t)
    if f.kind == "lp_feasible":
        return (
            "Solve without whole posts and round the result, or widen capacities to whole-number ranges: the "
            "instance solves with fractional posts, so only the requirement of whole posts conflicts."
        )
    if f.kind == "error":
        return "Relax the limits one at a time to find the conflict: HiGHS could not compute the smallest relaxation."
    return _cap(f.message)  # relaxation, relaxed_bound: the family table's words start with the verb


def summary(findings: list[Finding], actions: list[str]) -> str:
    """The diagnosis in one paragraph: the first :data:`SUMMARY_ACTIONS` actions, one per
    limit and cell (the findings of one family and cell in several years are stated once, by
    the year with the largest relaxation, the other years named), and how many more."""
    groups: dict[tuple, list[int]] = {}
    for i, f in enumerate(findings):
        key = (f.kind, f.constraint, f.team, f.region, f.specialty) if f.region or f.specialty else (i,)
        groups.setdefault(key, []).append(i)
    parts = []
    for members in list(groups.values())[:SUMMARY_ACTIONS]:
        lead = max(members, key=lambda i: findings[i].relax_by or 0.0)
        text = actions[lead]
        years = [findings[i].year for i in members if i != lead and findings[i].year is not None]
        if years:
            text += f" The same limit binds in {years_text(years)} too (see the full list)."
        parts.append(text)
    more = len(groups) - SUMMARY_ACTIONS
    if more > 0:
        parts.append(f"And {more} more change{'s' if more > 1 else ''}: see the full list.")
    return " ".join(parts)


def _number(v) -> str:
    return f"{v:g}" if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) else str(v)


def finding_detail(f) -> str:
    """A finding's raw figures in one line: ``shrink_limit[london,psychiatry,2026]: relax_by 15.375
    (direction up, rate 0.05, needed_rate 0.106)``; ``f`` a Finding or its JSON dict with a
    ``relax_by``."""
    keys = [str(f[k]) for k in ("team", "region", "specialty", "year") if f.get(k) is not None]
    name = f"{f.get('constraint', '?')}" + (f"[{','.join(keys)}]" if keys else "")
    extra = [f"{k} {_number(f[k])}" for k in ("direction", "bound", "rate", "needed_rate") if f.get(k) is not None]
    return f"{name}: relax_by {_number(f['relax_by'])}" + (f" ({', '.join(extra)})" if extra else "")


def technical_detail(stage: str, conflict_line: str, findings) -> list[str]:
    """The lines of a diagnosis's ``technical_detail``: how the conflict was found, the conflict
    set, and every finding's raw relaxation figures."""
    lines = [f"Found by {stage}."]
    if conflict_line:
        lines.append(conflict_line)
    lines += [finding_detail(f) for f in findings if f.get("relax_by") is not None]
    return lines


_OLD_CONFLICT = " These cannot all hold ("


def words_and_detail(diagnosis: dict | None) -> tuple[str, list[str], list[str]]:
    """``(summary, actions, technical detail)`` of a diagnosis dict, old or new.

    A diagnosis written before ``actions`` and ``technical_detail`` existed gives its findings'
    messages as the actions, and its summary's conflict sentence and the findings' raw figures
    as the detail.
    """
    diagnosis = diagnosis or {}
    text = str(diagnosis.get("summary") or "")
    findings = [f for f in diagnosis.get("findings") or [] if isinstance(f, dict)]
    actions = diagnosis.get("actions")
    detail = diagnosis.get("technical_detail")
    if isinstance(actions, list) and isinstance(detail, list):
        return text, [str(a) for a in actions], [str(x) for x in detail]
    old = []
    if _OLD_CONFLICT in text:
        text, conflict = text.split(_OLD_CONFLICT, 1)
        old.append("These cannot all hold (" + conflict)
    actions = [_cap(str(f.get("message", ""))) for f in findings if f.get("message")]
    return text, actions, old + [finding_detail(f) for f in findings if f.get("relax_by") is not None]
