"""What the app advises in words: the diagnosis of an infeasible scenario (action first, the
solver's detail apart) and the comparison's advice, which names the limits that bind.

Like :mod:`allocator.app.logic` (which re-exports these functions), it uses the public API and
:mod:`allocator.app.adapters` only.
"""

from __future__ import annotations

import pandas as pd

import allocator

from . import adapters


def diagnosis_view(diagnosis: dict | None) -> tuple[pd.DataFrame, list[str]]:
    """The diagnosis as the page shows it: a table whose first column says what to change
    (action first), then where; and the technical detail (the solver's conflict set and raw
    ``relax_by`` figures), shown in an expander. No raw figures in the table."""
    _, actions, detail = adapters.diagnosis_words(diagnosis)
    findings = [f for f in (diagnosis or {}).get("findings") or [] if isinstance(f, dict)]
    if len(findings) != len(actions):
        findings = [{}] * len(actions)
    table = pd.DataFrame(
        {
            "what to change": actions,
            "region": [f.get("region") or "" for f in findings],
            "specialty": [f.get("specialty") or "" for f in findings],
            "year": [str(f["year"]) if f.get("year") is not None else "" for f in findings],
        }
    )
    return table, detail


def binding_limits(scenario, top: int = 3) -> list[str]:
    """The limits that bind in a scenario's result (a :class:`allocator.app.logic.Scenario`), in a
    few words each ("London's regional net-loss limits (2026–2030)"), largest shadow price
    first: only rows with a non-zero dual, one entry per family and region, never a definition
    (the cells setting the worst shortfall)."""
    res = scenario.result
    if res is None or not res.solved or res.binding is None or len(res.binding) == 0:
        return []
    d = allocator.problem_data(scenario.instance)
    groups = adapters.grouped_sentences(res, d, scenario.instance, scenario.model)
    groups = groups[groups["what"].notna() & (groups["dual_high"] > 1e-9)]
    names = [str(w) for w in groups["what"]]
    return names[:top] + ([f"{len(names) - top} more"] if len(names) > top else [])


def compare_advice(scenarios: list, baseline: str, regions: pd.DataFrame, tolerance: float = 0.05) -> list[str]:
    """What the comparison of ``scenarios`` (:class:`allocator.app.logic.Scenario`) suggests,
    naming the limits that bind in each compared result.

    When every scenario allocates the same posts (``regions``, the frame of
    :func:`allocator.app.logic.compare_regions`: final year, by region, within
    ``tolerance``), the limits decide the allocation, not the weights. Either way the advice
    names what binds in each scenario compared with the baseline (from its binding rows with a
    non-zero shadow price), so it never asks to loosen a limit that does not bind, and after a
    limit was loosened it names whatever binds now.
    """
    deltas = [c for c in regions.columns if str(c).startswith("Δ ")]
    same = bool(deltas) and not (regions[deltas].abs() > tolerance).any().any()
    lines = []
    if same:
        lines.append("These scenarios allocate the same posts: the limits, not the objective weights, decide it.")
    for sc in scenarios:
        if not sc.solved or sc.name == baseline:
            continue
        limits = binding_limits(sc)
        if limits:
            said = ", ".join(limits[:-1]) + " and " + limits[-1] if len(limits) > 1 else limits[0]
            them = "one of these" if len(limits) > 1 else "it"
            goal = "to see the scenarios differ" if same else "to let the allocation move further"
            lines.append(f"In '{sc.name}' what binds is {said}: loosen {them} {goal}.")
        elif sc.result.mip_gap is not None or sc.round_posts:
            lines.append(
                f"'{sc.name}' has whole posts and so no shadow prices: solve it without whole posts to see what binds."
            )
        else:
            lines.append(
                f"No limit binds in '{sc.name}' with a shadow price: its objective weights decide its allocation."
            )
    return lines
