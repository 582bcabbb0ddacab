"""A whole-post result's gap in words (docs/model.md §7, §9): how far the plan can be from the best
whole-post plan, against which bound, and what whole posts cost over fractional ones.

One sentence, used by the printed summary, the reports and the app, e.g. "Whole posts that keep
every limit: at most 0.02% worse than the best whole-post plan possible (bound proven by HiGHS's
MIP in 3 s); whole posts cost 45% more objective than fractional posts (the LP optimum, 126.6)."
"""

from __future__ import annotations

from allocator.solution.result import Result

#: How each ``bound_source`` proved its bound, for the sentence.
PROVEN_BY = {
    "mip": "bound proven by HiGHS's MIP",
    "mip-root": "bound proven in the root node of HiGHS's MIP",
    "lp": "against the LP optimum, a weak bound for whole posts: the plan may be closer to the best",
}


def percent(fraction: float) -> str:
    """A relative difference for a reader: ``0%``, ``under 0.01%``, ``0.02%``, ``7.3%``, ``31%``."""
    value = 100.0 * fraction
    if value == 0:
        return "0%"
    if abs(value) < 0.01:
        return "under 0.01%"
    if abs(value) < 10:
        return f"{value:.2f}%" if abs(value) < 1 else f"{value:.1f}%"
    return f"{value:.0f}%"


def gap_sentence(res: Result) -> str | None:
    """The gap of a whole-post result in words; ``None`` for a result without one (an LP
    optimum, no plan). States the bound it is against (``bound_source``, with the MIP's
    seconds where known) and, with ``lp_bound``, the price of whole posts over fractional ones."""
    if res.gap is None or res.bound is None or res.objective is None:
        return None
    source = res.bound_source
    seconds = (res.rounding or {}).get("bound_seconds")
    if res.gap == 0:
        head = "the best whole-post plan possible"
    else:
        head = f"at most {percent(res.gap)} worse than the best whole-post plan possible"
    if source in PROVEN_BY:
        how = PROVEN_BY[source]
        if source != "lp" and isinstance(seconds, int | float):
            how += f" in {seconds:.0f} s" if seconds >= 1 else " in under 1 s"
    else:  # a result written before bound_source was stated
        how = f"against the bound {res.bound:,.4g}"
    text = f"Whole posts that keep every limit: {head} ({how})"
    lp = res.lp_bound
    if lp is not None and source != "lp" and lp != 0:
        price = (res.objective - lp) / abs(lp)
        text += (
            f"; whole posts cost {percent(price)} more objective than fractional posts (the LP optimum, {lp:,.4g})"
            if price > 0
            else "; whole posts cost nothing over fractional posts (the LP optimum)"
        )
    return text + "."
