"""The Assumptions rows of the need factors (docs/model.md §3b) and the region settle rates
(§10): each factor in waterfall order with its blend, what its values cover and where they come
from (its ``source``: the ``sources`` entry's table, publisher and year)."""

from __future__ import annotations

from allocator.core.instance import BUILTIN_FACTORS, Instance


def _number(v: float) -> str:
    return f"{v:,.4g}"


def _percent(v: float) -> str:
    return f"{100 * v:.4g} %"


def factor_rows(inst: Instance) -> list[tuple[str, str]]:
    """One row per need factor, in waterfall order (the built-ins not listed first, blend 1)."""
    if inst.need is None:
        return []
    listed = {f.id for f in inst.need.factors}
    rows = [
        (f"Need factor: {b}", f"built-in ({b} of §2); blend 100 % (default: not listed)")
        for b in BUILTIN_FACTORS
        if b not in listed
    ]
    sources = {s.id: s for s in inst.sources}
    for f in inst.need.factors:
        parts = [f"blend {_percent(f.blend)}" + ("" if "blend" in f.model_fields_set else " (default)")]
        if f.id in BUILTIN_FACTORS:
            parts.insert(0, f"built-in ({f.id} of §2)")
        else:
            values = [v.value for v in f.values]
            if values:
                by = "region and specialty" if any(v.specialty for v in f.values) else "region"
                years = sorted({v.year for v in f.values if v.year is not None})
                span = f"; from {years[0]}–{years[-1]} by year" if len(years) > 1 else ""
                span = span or (f"; from {years[0]}" if years else "")
                parts.append(
                    f"{len(values)} values by {by}, {_number(min(values))}–{_number(max(values))}{span}; 1 elsewhere"
                )
            else:
                parts.append("no values (1 everywhere: no effect)")
        parts.append("specialties: " + (", ".join(f.specialties) if f.specialties else "all"))
        source = sources.get(f.source) if f.source else None
        if source is not None:
            parts.append(f"source: {source.table} ({source.publisher}, {source.year}; {source.kind})")
        elif f.id not in BUILTIN_FACTORS:
            parts.append("source: not given")
        label = f"Need factor: {f.name or f.id}" + (f" ({f.id})" if f.name and f.name != f.id else "")
        rows.append((label, "; ".join(parts)))
    return rows


def settle_rate_row(inst: Instance, listed: int = 10) -> tuple[str, str] | None:
    """The region settle rates of the pipeline (v3), listed (the first ``listed``) with their rate."""
    p = inst.pipeline
    if p is None or not p.settle_rate:
        return None
    shown = [f"{e.region} / {e.specialty} {_percent(e.rate)}" for e in p.settle_rate[:listed]]
    more = f"; and {len(p.settle_rate) - listed} more" if len(p.settle_rate) > listed else ""
    return "Region settle rates", "; ".join(shown) + more + "; the specialty's rate elsewhere"
