"""What a result assumed, as data: the *Assumptions* section of every report.

:func:`assumptions` returns sections of ``(label, value)`` rows, built once from the instance,
the model in effect and the result; each output renders them in its own way (report.html,
the "Assumptions" sheet of report.xlsx, report.md, the app's result page, and briefly the
printed summary, :func:`brief`). Values are text a person reads: numbers rounded to four
significant figures at most, with thousands separators, rates as percentages; a limit that is
absent says ``none``; a default says so (``(default)``).

Sections, in order: Model (file, every objective weight, solve options); Transition limits
(every global field and any by specialty, phases and floors where the instance has them);
National totals (specialty by year, or "baseline totals held"); Locks; Capacity (in summary:
cells bounded, the tightest); Need (need_index, need_weights, by-year weights, need factors);
Pipeline (per specialty) and Teams where present; Scenarios where present; Optional blocks
(which are active and which defaults they use); Solution (tie-break, whole posts and their
bound and gap); Inputs (§9 v3 hashes and versions); Timings (§9 v3, seconds per stage).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from allocator.core.data import ProblemData, problem_data
from allocator.core.instance import Instance, PipelineSpecialty
from allocator.core.provenance import instance_sha256, model_sha256
from allocator.core.spec import DEFAULT_MODEL, ModelSpec
from allocator.solution.result import INPUT_FIELDS, TIMING_STAGES, Result

__all__ = ["Section", "assumptions", "brief", "number", "percent"]

#: A section: a title and its (label, value) rows.
Section = tuple[str, list[tuple[str, str]]]

MODEL = "Model and objective weights"
WEIGHT = "Objective weight: "
#: How many locks (or entries of a by-specialty block) are listed one by one before summarising.
LISTED = 10
TRANSITION_FIELDS = (
    ("max_growth_rate", "rate"),
    ("growth_allowance", "posts"),
    ("max_shrink_rate", "rate"),
    ("shrink_allowance", "posts"),
    ("shrink_by_programme_length", "flag"),
    ("max_region_net_loss_rate", "rate"),
    ("max_national_moves", "posts"),
)
PIPELINE_RATES = ("completion_rate", "settle_rate", "join_rate", "leave_rate")
# the optional v3 blocks (docs/model.md) this module describes generically where the schema has them
LATER_BLOCKS = (
    ("transition_by_specialty", "Transition by specialty"),
    ("phases", "Phases"),
    ("floors", "Floors"),
)


# ------------------------------------------------------------------------ numbers


def number(value: Any, digits: int = 4) -> str:
    """A number for a person: whole numbers with thousands separators, others to ``digits``
    significant figures (no float noise, no exponent); ``none`` for ``None``."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    v = float(value)
    if not math.isfinite(v):
        return "unbounded" if v > 0 else "none"
    if abs(v - round(v)) < 1e-9 * max(1.0, abs(v)):
        return f"{round(v):,}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(rate: Any) -> str:
    """A rate (a fraction, docs/model.md §2) as a percentage: ``0.05`` → ``5 %``."""
    return "none" if rate is None else f"{number(100 * float(rate))} %"


def _count(n: int, one: str, many: str | None = None) -> str:
    """``1 entry``, ``84 entries``."""
    return f"{number(n)} {one if n == 1 else many or one + 's'}"


def _value(value: Any, kind: str) -> str:
    if value is None:
        return "none"
    if kind == "rate":
        return f"{percent(value)} a year"
    if kind == "posts":
        return f"{number(value)} post{'' if float(value) == 1 else 's'}"
    if kind == "flag":
        return "yes" if value else "no"
    return number(value) if isinstance(value, int | float) else str(value)


def _kind(name: str) -> str:
    return next((k for f, k in TRANSITION_FIELDS if f == name), "rate" if name.endswith("rate") else "number")


def _entry_text(entry: Any) -> str:
    """One entry of a block (a pydantic model) as ``field value; field value`` (defaults left out)."""
    data = entry.model_dump(exclude_defaults=True) if hasattr(entry, "model_dump") else dict(entry)
    parts = []
    for key, value in data.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            shown = percent(value) if _kind(key) == "rate" or "share" in key else number(value)
        else:
            shown = "none (no limit)" if value is None else str(value)
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return "; ".join(parts) or "all defaults"


# ------------------------------------------------------------------------ sections


def _model(spec: ModelSpec | None, model_file: str | None, result: Result | None) -> Section:
    rows: list[tuple[str, str]] = []
    if spec is None:
        name = result.model if result is not None else ""
        rows.append(("Model", name or "not recorded"))
        rows.append(
            (
                "Objective weights",
                "not known to this report: the result names its model but not its weights "
                "(give the model file to the report to list them)",
            )
        )
        return MODEL, rows
    default = spec == DEFAULT_MODEL
    rows.append(("Model", spec.name))
    if spec.description:
        rows.append(("Description", " ".join(spec.description.split())))
    rows.append(("Model file", model_file or ("none: the built-in default model" if default else "not recorded")))
    for key, weight in spec.objective.model_dump().items():
        rows.append((f"{WEIGHT}{key.replace('_', ' ')}", number(weight)))
    rows.append(("Whole posts by MIP (integer)", "yes" if spec.solve.integer else "no"))
    rows.append(("Tie-break among equal optima (setting)", spec.solve.tie_break))
    return MODEL, rows


def _transition(inst: Instance, d: ProblemData) -> Section:
    tr = inst.transition
    rows = [(name.replace("_", " "), _value(getattr(tr, name, None), kind)) for name, kind in TRANSITION_FIELDS]
    for attr, title in LATER_BLOCKS:
        entries = getattr(inst, attr, None) or []
        if not entries:
            rows.append((title, "none"))
            continue
        for entry in entries[:LISTED]:
            label = " ".join(str(getattr(entry, k)) for k in ("specialty", "region", "year") if getattr(entry, k, None))
            rows.append((f"{title}: {label}" if label else title, _entry_text(entry)))
        if len(entries) > LISTED:
            rows.append((title, f"… and {len(entries) - LISTED} more entries (in the instance)"))
    return "Transition limits", rows


def _national(inst: Instance, d: ProblemData) -> Section:
    if not inst.national_posts:
        return "National totals", [("Every specialty", "baseline totals held (no national_posts given)")]
    names = {s.id: s.name or s.id for s in inst.specialties}
    given = {n.specialty for n in inst.national_posts}
    rows = []
    for j, sid in enumerate(d.specialties):
        lo, hi = d.national_min[j], d.national_max[j]
        cells = [number(a) if a == b else f"{number(a)}–{number(b)}" for a, b in zip(lo, hi, strict=True)]
        if sid not in given:
            text = f"{cells[0]} every year (baseline total held)"
        elif len(set(cells)) == 1:
            text = f"{cells[0]} every year"
        else:
            text = ", ".join(f"{y}: {c}" for y, c in zip(d.years, cells, strict=True))
        rows.append((names.get(sid, sid), text))
    return "National totals", rows


def _locks(inst: Instance) -> Section:
    if not inst.locks:
        return "Locks", [("Locks", "none")]
    rows = [("Locks", f"{len(inst.locks)} cell-year{'s' if len(inst.locks) != 1 else ''} fixed")]
    if len(inst.locks) <= LISTED:
        rows += [(f"{lk.region} / {lk.specialty} {lk.year}", f"{number(lk.posts)} posts") for lk in inst.locks]
    return "Locks", rows


def _capacity(inst: Instance, d: ProblemData) -> Section:
    total = int(np.prod(d.shape))
    bounded = int(d.has_capacity.sum())
    if not bounded:
        return "Capacity", [("Capacity", "none: every cell from 0 posts, unbounded above (default)")]
    rows = [
        ("Entries", number(len(inst.capacity))),
        ("Cell-years bounded", f"{number(bounded)} of {number(total)}"),
        ("With a maximum", number(int((d.has_capacity & np.isfinite(d.max_posts)).sum()))),
        ("With a minimum above 0", number(int((d.min_posts > 0).sum()))),
    ]
    room = np.where(d.has_capacity & np.isfinite(d.max_posts), d.max_posts - d.min_posts, np.inf)
    if np.isfinite(room).any():
        i, j, k = np.unravel_index(int(np.argmin(room)), room.shape)
        rows.append(
            (
                "Tightest",
                f"{d.regions[i]} / {d.specialties[j]} {d.years[k]}: {number(d.min_posts[i, j, k])}–"
                f"{number(d.max_posts[i, j, k])} posts (room {number(room[i, j, k])})",
            )
        )
    return "Capacity", rows


def _need(inst: Instance) -> Section:
    given = [r.need_index for r in inst.regions if "need_index" in r.model_fields_set]
    if given:
        values = [r.need_index for r in inst.regions]
        index = f"given for {len(given)} of {len(inst.regions)} regions, {number(min(values))}–{number(max(values))}"
        if len(given) < len(inst.regions):
            index += "; 1 (default) for the others"
    else:
        index = "1 for every region (default)"
    general = [w for w in inst.need_weights if w.year is None]
    by_year = [w for w in inst.need_weights if w.year is not None]
    if general:
        values = [w.weight for w in general]
        weights = f"{len(general)} entries, {number(min(values))}–{number(max(values))}; 1 (default) elsewhere"
    else:
        weights = "1 for every region and specialty (default)"
    rows = [("need_index", index), ("need_weights", weights)]
    if by_year:
        years = sorted({w.year for w in by_year})
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
        rows.append(("need_weights by year", f"{len(by_year)} entries for {span}"))
    else:
        rows.append(("need_weights by year", "none: the same weights every year"))
    rows.append(
        (
            "Population by year",
            f"{len(inst.population_by_year)} entries" if inst.population_by_year else "the base population every year",
        )
    )
    need = getattr(inst, "need", None)  # docs/model.md §3b, where the schema has it
    if need is not None:
        rows.append(("Need factors and blends", _entry_text(need)))
    return "Need", rows


def _pipeline(inst: Instance) -> Section | None:
    p = inst.pipeline
    if p is None:
        return None
    by_id = {ps.specialty: ps for ps in p.specialties}
    rows = [
        ("Horizon year", str(p.horizon_year)),
        ("Assessed years", ", ".join(map(str, p.assess_years)) if p.assess_years else f"{p.horizon_year} (default)"),
        ("Mobility", p.mobility + ("" if "mobility" in p.model_fields_set else " (default)")),
        ("Fill rate", f"{len(p.fill_rate)} entries; 100 % (default) elsewhere" if p.fill_rate else "100 % (default)"),
        ("Stock at the start", f"{len(p.stock)} entries" if p.stock else "none (0, default)"),
    ]
    for s in inst.specialties:
        ps = by_id.get(s.id)
        parts = []
        for rate in PIPELINE_RATES:
            if ps is not None and rate in ps.model_fields_set:
                parts.append(f"{rate.split('_')[0]} {percent(getattr(ps, rate))}")
            else:
                value = getattr(ps, rate) if ps is not None else PipelineSpecialty.model_fields[rate].default
                parts.append(f"{rate.split('_')[0]} {percent(value)} (default)")
        if ps is not None and ps.delay_years is not None:
            delay = ", ".join(f"{y} y: {percent(w)}" for y, w in zip(ps.delay_years, ps.delay_shares, strict=True))
        else:
            delay = f"{s.programme_years} years (programme length)" if s.programme_years else "none given"
        rows.append((f"Rates: {s.name or s.id}", "; ".join(parts) + f"; delay {delay}"))
    return "Pipeline", rows


def _teams(inst: Instance) -> Section | None:
    if not inst.teams:
        return None
    rows = []
    for t in inst.teams:
        members = ", ".join(
            f"{m.specialty} ×{number(m.equivalence)}" + (f" (at most {percent(m.max_share)})" if m.max_share else "")
            for m in t.members
        )
        weights = f"; {len(t.need_weights)} need weights" if t.need_weights else ""
        rows.append((t.name or t.id, f"{members}; on {t.on}{weights}"))
    return "Teams", rows


def _member_text(m) -> str:
    """What one scenario member (docs/model.md §12) changes, in words."""
    parts = [f"probability {percent(m.probability)}"]
    over = m.pipeline
    if over is not None:
        if over.mobility is not None:
            parts.append(f"mobility {over.mobility}")
        for ps in over.specialties:
            rates = [
                f"{rate.split('_')[0]} {percent(getattr(ps, rate))}"
                for rate in PIPELINE_RATES
                if getattr(ps, rate, None) is not None
            ]
            if rates:
                parts.append(f"{ps.specialty}: " + ", ".join(rates))
        for e in over.settle_rate:
            parts.append(f"{e.region} {e.specialty}: settle {percent(e.rate)}")
        if over.fill_rate:
            parts.append(f"{_count(len(over.fill_rate), 'fill rate')} replaced")
    for e in m.population_scale:
        parts.append(f"{e.region} population ×{number(e.factor)} from {e.year}")
    if len(parts) == 1:
        parts.append("the instance's rates and population (no change)")
    shown = parts[: LISTED + 1]
    more = len(parts) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


def _scenarios(inst: Instance) -> Section | None:
    sc = getattr(inst, "scenarios", None)  # docs/model.md §12
    if sc is None:
        return None
    if sc.risk == "cvar":
        measure = f"CVaR at level {number(sc.alpha)}: the mean of the worst {percent(1 - sc.alpha)}"
    else:
        measure = {"expected": "expected supply term (probability-weighted)", "worst": "worst future's supply term"}[
            sc.risk
        ]
    rows = [("Risk measure", measure + ("" if "risk" in sc.model_fields_set else " (default)"))]
    rows += [
        (m.id + (" (the central case)" if i == 0 else ""), _member_text(m)) for i, m in enumerate(sc.members[:LISTED])
    ]
    if len(sc.members) > LISTED:
        rows.append(("…", f"and {len(sc.members) - LISTED} more members"))
    return "Scenarios", rows


def _optional_blocks(inst: Instance, d: ProblemData) -> Section:
    p = inst.pipeline
    if p is not None:
        given = {ps.specialty: ps.model_fields_set for ps in p.specialties}
        parts = [f"active: horizon {p.horizon_year}"]
        for rate in PIPELINE_RATES:
            n = sum(1 for s in inst.specialties if rate not in given.get(s.id, set()))
            default = number(PipelineSpecialty.model_fields[rate].default)
            if n:
                parts.append(f"{rate.replace('_', ' ')} {default} (default) for {n} specialt{'y' if n == 1 else 'ies'}")
        if len(parts) == 1:
            parts.append("every rate given for every specialty")
        pipe = "; ".join(parts)
    else:
        pipe = "not used"
    ranged = int(d.ranged.sum())
    tr = inst.transition
    entries = _count(len(inst.capacity), "entry", "entries")
    rows = [
        ("pipeline", pipe),
        ("teams", f"active: {len(inst.teams)} team{'s' if len(inst.teams) != 1 else ''}" if inst.teams else "not used"),
        (
            "scenarios",
            f"active: {_count(len(inst.scenarios.members), 'member')}, risk {inst.scenarios.risk}"
            if getattr(inst, "scenarios", None) is not None
            else "not used",
        ),
        ("budget", f"active: {_count(len(inst.budget), 'year')}" if inst.budget else "not used: no budget limit"),
        ("locks", f"active: {_count(len(inst.locks), 'lock')}" if inst.locks else "not used"),
        ("capacity", f"active: {entries}" if inst.capacity else "not used: 0 to unbounded"),
        (
            "costs",
            f"active: {_count(len(inst.cost_per_post), 'entry', 'entries')}; 0 (default) elsewhere"
            if inst.cost_per_post
            else "not used: cost 0 (default)",
        ),
        ("ranged totals", f"active: {ranged} specialty-years" if ranged else "not used: every national total fixed"),
        (
            "shrink_allowance",
            f"active: {_value(tr.shrink_allowance, 'posts')} a year"
            if tr.shrink_allowance
            else "not used: 0 (default)",
        ),
    ]
    return "Optional blocks", rows


def _solution(result: Result) -> Section:
    rows = [("Status", result.status)]
    if result.objective is not None:
        rows.append(("Objective", f"{result.objective:,.2f}"))
    if result.tie_break is not None:
        even = "least-squares: the most even spread among equal optima"
        rows.append(("Tie-break applied", even if result.tie_break == "least-squares" else "none"))
    if result.rounding or result.mip_gap is not None:
        method = (result.rounding or {}).get("method", "MIP")
        rows.append(("Whole posts", f"yes ({method})"))
        rows.append(("Bound", "none" if result.best_bound is None else f"{result.best_bound:,.2f}"))
        rows.append(("Gap to the bound", "none" if result.mip_gap is None else percent(result.mip_gap)))
    else:
        rows.append(("Whole posts", "no: posts may be fractional"))
    return "Solution", rows


def _inputs(result: Result, inst: Instance) -> Section:
    given = result.inputs or {}
    rows = [(key.replace("_", " "), str(given.get(key, "not recorded"))) for key in INPUT_FIELDS]
    here = instance_sha256(inst)
    recorded = given.get("instance_sha256")
    if recorded and recorded != here:
        rows.append(
            (
                "instance given to this report",
                f"{here}: differs from the result's (another file, another format, or changed data)",
            )
        )
    return "Inputs", rows


def _timings(result: Result) -> Section:
    if not result.timings:
        return "Timings", [("Timings", "not recorded")]
    stages = [s for s in TIMING_STAGES if s in result.timings]
    return "Timings", [(s.replace("_", " "), f"{result.timings[s]:.3f} s") for s in stages]


def assumptions(
    instance: Instance,
    result: Result | None = None,
    spec: ModelSpec | None = None,
    *,
    model_file: str | None = None,
    d: ProblemData | None = None,
) -> list[Section]:
    """The Assumptions section of a result, as ``[(title, [(label, value), ...]), ...]``.

    Parameters
    ----------
    instance : the instance solved.
    result : the result (its Solution, Inputs and Timings sections); ``None`` leaves them out.
    spec : the model in effect; ``None`` takes the default model when the result's
        ``model_sha256`` is the default's, and otherwise says that the weights are unknown.
    model_file : the name of the model file, where one was read.
    d : the instance's problem data, if already computed.
    """
    d = d if d is not None else problem_data(instance)
    if spec is None and result is not None and (result.inputs or {}).get("model_sha256") == model_sha256(DEFAULT_MODEL):
        spec = DEFAULT_MODEL
    sections = [
        _model(spec, model_file, result),
        _transition(instance, d),
        _national(instance, d),
        _locks(instance),
        _capacity(instance, d),
        _need(instance),
    ]
    sections += [s for s in (_pipeline(instance), _teams(instance), _scenarios(instance)) if s is not None]
    sections.append(_optional_blocks(instance, d))
    if result is not None:
        sections += [_solution(result), _inputs(result, instance), _timings(result)]
    return sections


def brief(sections: list[Section]) -> list[str]:
    """A few lines for the printed summary: the model's non-zero weights, the transition
    limits that are set, national totals, the optional blocks in use, and the hashes and
    versions the result was computed from."""
    by = dict(sections)
    lines = []
    model = by.get(MODEL, [])
    weights = [f"{k.removeprefix(WEIGHT)} {v}" for k, v in model if k.startswith(WEIGHT) and v != "0"]
    name = next((v for k, v in model if k == "Model"), "")
    lines.append(f"Model {name.split(':')[0]}" + (f": weights {', '.join(weights)}" if weights else ""))
    limits = [f"{k} {v}" for k, v in by.get("Transition limits", []) if v not in ("none", "no")]
    lines.append("Transition limits: " + ("; ".join(limits) if limits else "none"))
    national = by.get("National totals", [])
    if len(national) == 1 and "baseline totals held" in national[0][1]:
        lines.append("National totals: baseline totals held")
    else:
        lines.append(f"National totals: given for {len(national)} specialties")
    blocks = by.get("Optional blocks", [])
    active = [f"{k} ({v.removeprefix('active: ')})" for k, v in blocks if v.startswith("active")]
    lines.append("Optional blocks in use: " + ("; ".join(active) if active else "none"))
    inputs = dict(by.get("Inputs", []))
    if inputs:
        lines.append(
            f"Computed from: instance sha256 {inputs.get('instance sha256')}, model sha256 "
            f"{inputs.get('model sha256')}, allocator {inputs.get('allocator version')}, "
            f"HiGHS {inputs.get('highs version')}"
        )
    return lines
