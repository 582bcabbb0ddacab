"""Cross-field validation of the v3 need block (docs/model.md §3b) and of the pipeline's region
settle rates (§10). Each problem is ``(where, message)``, naming the entry and the field."""

from __future__ import annotations

from allocator.core.instance import BUILTIN_FACTORS, Instance
from allocator.core.limits import unknown


def need_problems(inst: Instance) -> list[tuple[str, str]]:
    """The ``need`` block: factor ids (unique; the built-ins carry no values nor specialties),
    ``specialties`` and every value's region and specialty known, at most one value per
    region, specialty and year, a factor's ``source`` one of ``sources``."""
    if inst.need is None:
        return []
    problems: list[tuple[str, str]] = []
    regions, specs = inst.region_ids, inst.specialty_ids
    rset, sset = set(regions), set(specs)
    source_ids = [s.id for s in inst.sources]
    seen: dict[str, int] = {}
    for f, factor in enumerate(inst.need.factors):
        where = f"need.factors[{f}]"
        if factor.id in seen:
            problems.append(
                (f"{where}.id", f"duplicate factor id '{factor.id}' (first at need.factors[{seen[factor.id]}])")
            )
        seen.setdefault(factor.id, f)
        builtin = factor.id in BUILTIN_FACTORS
        if builtin and factor.values:
            problems.append(
                (
                    f"{where}.values",
                    f"'{factor.id}' is a built-in factor: its values are the instance's {factor.id} "
                    "(docs/model.md §3b); listing it only places it and sets its blend",
                )
            )
        if builtin and factor.specialties is not None:
            problems.append(
                (f"{where}.specialties", f"'{factor.id}' is a built-in factor: it applies to every specialty")
            )
        if factor.specialties is not None:
            if not factor.specialties:
                problems.append((f"{where}.specialties", "is empty: give at least one specialty (or leave it out)"))
            listed: set[str] = set()
            for i, s in enumerate(factor.specialties):
                if s not in sset:
                    problems.append((f"{where}.specialties[{i}]", unknown("specialty", s, specs)))
                elif s in listed:
                    problems.append((f"{where}.specialties[{i}]", f"specialty '{s}' is listed twice"))
                listed.add(s)
        if factor.source is not None and factor.source not in source_ids:
            problems.append((f"{where}.source", unknown("source", factor.source, source_ids)))
        keys: dict[tuple, int] = {}
        for i, v in enumerate(factor.values):
            ok = True
            if v.region not in rset:
                problems.append((f"{where}.values[{i}].region", unknown("region", v.region, regions)))
                ok = False
            if v.specialty is not None and v.specialty not in sset:
                problems.append((f"{where}.values[{i}].specialty", unknown("specialty", v.specialty, specs)))
                ok = False
            key = (v.region, v.specialty, v.year)
            if not ok:
                continue
            if key in keys:
                problems.append(
                    (
                        f"{where}.values[{i}]",
                        f"duplicate entry for {_key_text(key)} (first at {where}.values[{keys[key]}])",
                    )
                )
            else:
                keys[key] = i
    return problems


def _key_text(key: tuple) -> str:
    region, specialty, year = key
    parts = [f"region '{region}'"]
    if specialty is not None:
        parts.append(f"specialty '{specialty}'")
    parts.append(f"year {year}" if year is not None else "every year")
    return ", ".join(parts)


def settle_rate_problems(inst: Instance) -> list[tuple[str, str]]:
    """``pipeline.settle_rate[]`` (v3, §10): known region and specialty, one entry per pair."""
    p = inst.pipeline
    if p is None:
        return []
    problems: list[tuple[str, str]] = []
    regions, specs = inst.region_ids, inst.specialty_ids
    seen: dict[tuple, int] = {}
    for i, e in enumerate(p.settle_rate):
        where = f"pipeline.settle_rate[{i}]"
        ok = True
        if e.region not in set(regions):
            problems.append((f"{where}.region", unknown("region", e.region, regions)))
            ok = False
        if e.specialty not in set(specs):
            problems.append((f"{where}.specialty", unknown("specialty", e.specialty, specs)))
            ok = False
        key = (e.region, e.specialty)
        if ok and key in seen:
            problems.append((where, f"duplicate entry for {key} (first at pipeline.settle_rate[{seen[key]}])"))
        elif ok:
            seen[key] = i
    return problems
