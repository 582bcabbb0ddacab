"""What the web app does, apart from drawing the page: tested without a browser.

Everything here uses the package's public API (``allocator.solve``, ``load_instance``,
``validate``, ``load_model``, ``problem_data``, ``Result``, ``InstanceError``, ``ModelSpec``)
and the functions of :mod:`allocator.app.adapters`.

Uploads are data only: JSON is parsed by the instance reader (no code), workbooks by openpyxl
(values only, macros are never run), a zip only yields its ``.csv`` members, by base name,
within limits of count and size, and nothing else from it is written or read.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

import allocator
from allocator import DEFAULT_MODEL, InstanceError, ModelSpec, Result
from allocator.core.examples import examples
from allocator.core.spec import Objective
from allocator.solution import vocabulary as V
from allocator.solution.gaps import gap_sentence

from . import adapters
from .advice import binding_limits, compare_advice, diagnosis_view
from .relax import relaxation
from .uploads import UPLOAD_LIMIT_MB, UPLOAD_TYPES, ZIP_MAX_BYTES, ZIP_MAX_MEMBERS, problem_rows, read_upload, safe_name

__all__ = [
    "UPLOAD_LIMIT_MB",
    "UPLOAD_TYPES",
    "ZIP_MAX_BYTES",
    "ZIP_MAX_MEMBERS",
    "binding_limits",
    "compare_advice",
    "diagnosis_view",
    "problem_rows",
    "read_upload",
    "relaxation",
]

SESSION_FORMAT = "allocator-app-session"
SESSION_VERSION = 1

WEIGHTS = tuple(Objective.model_fields)  # every weight of a model file, in its order
WEIGHT_HELP = {
    "shortfall": "a: per post below a region's fair share",
    "surplus": "b: per post above a region's fair share",
    "moves": "m: per post moved (gained or lost) — the price of disruption",
    "cost": "c_w: per unit of cost of the posts",
    "worst_shortfall": "q: per percentage point of the worst shortfall, one region × specialty (% below fair share)",
    "supply_shortfall": "per trained doctor below a region's fair stock in the assessed years (needs a pipeline)",
    "supply_surplus": "per trained doctor above a region's fair stock (needs a pipeline)",
    "worst_supply": "per percentage point of the worst supply shortfall, one region × specialty (needs a pipeline)",
    "team_shortfall": "per unit of team capacity below a region's fair share (needs teams)",
    "team_surplus": "per unit of team capacity above a region's fair share (needs teams)",
}

#: The inputs that matter, as editable tables: list name -> columns.
EDITABLE = {
    "national_posts": ["specialty", "year", "posts", "min_posts", "max_posts"],
    "locks": ["region", "specialty", "year", "posts"],
    "capacity": ["region", "specialty", "year", "min_posts", "max_posts"],
    # pacing (docs/model.md §5b, schema_version 3, set when one of these has a row)
    "phases": ["specialty", "from_year"],
    "transition_by_specialty": [
        "specialty",
        "year",
        "max_growth_rate",
        "growth_allowance",
        "max_shrink_rate",
        "shrink_allowance",
        "shrink_by_programme_length",
    ],
    "floors": ["region", "specialty", "share_of_target", "convergence", "from_year", "level"],
}
TITLES = {
    "national_posts": "National totals",
    "locks": "Locks",
    "capacity": "Capacity",
    "transition": "Transition limits",
    "phases": "Phases",
    "transition_by_specialty": "Limits by specialty",
    "floors": "Floors",
}
PACING = ("phases", "transition_by_specialty", "floors")
#: Rate cells of the limits by specialty are text: empty keeps the global limit, ``none``
#: removes it (JSON ``null``), ``0.05`` or ``5%`` sets it.
RATE_TEXT = ("max_growth_rate", "max_shrink_rate")
BOOL_COLUMNS = ("shrink_by_programme_length",)
LIMITS = {
    "max_growth_rate": "a cell may grow by at most this share a year (0.1 = 10%)",
    "growth_allowance": "… plus this many posts a year",
    "max_shrink_rate": "a cell may shrink by at most this share a year",
    "shrink_allowance": "… plus this many posts a year",
    "shrink_by_programme_length": "1 = a cell may shrink by at most 1/programme length a year",
    "max_region_net_loss_rate": "a region may lose at most this share of its posts a year",
    "max_national_moves": "at most this many posts may move nationally in a year",
}
INT_COLUMNS = ("year", "from_year")
TEXT_COLUMNS = ("region", "specialty", "level")

#: The headline measures the comparison shows (allocator.solution.vocabulary's labels).
MEASURES = {k: V.label(k) for k in ("gap_posts", "gap_closed_pct", "gini", "max_shortfall_pct", "posts_moved", "cost")}
MEASURES["posts_moved"] = V.label("posts_moved", "all years")
#: The column of :func:`per_100k` the headline's region furthest below is read from.
DISTANCE = V.label("distance_pct")


# --------------------------------------------------------------------------- shipped files


def shipped_instances() -> dict[str, Path]:
    """The instances that ship inside the package (``allocator examples``), England's first:
    ``{label: path}``."""
    label = {"instance": "{}", "toy": "toy: {}", "infeasible": "infeasible: {}", "template": "{} (workbook)"}
    return {label[kind].format(e.name): e.path for kind in label for e in examples((kind,))}


def shipped_models() -> dict[str, Path | None]:
    """The model files that ship inside the package: ``{name: path}``, the built-in default
    model first (path ``None``)."""
    out: dict[str, Path | None] = {f"{DEFAULT_MODEL.name} (built in)": None}
    for e in examples(("model",)):
        out[e.name] = e.path
    return out


# --------------------------------------------------------------------------- editing


def editable_table(inst: allocator.Instance, name: str) -> pd.DataFrame:
    """One list of the instance as a table for ``st.data_editor``."""
    cols = EDITABLE[name]
    recs = [e.model_dump() for e in getattr(inst, name)]
    if name == "transition_by_specialty":  # a rate written null shows as "none", one not given as empty
        recs = [e.model_dump(exclude_unset=True) for e in inst.transition_by_specialty]
        recs = [{k: ("none" if v is None else f"{v:g}") if k in RATE_TEXT else v for k, v in r.items()} for r in recs]
    frame = pd.DataFrame(recs, columns=cols)
    for c in cols:
        if c in BOOL_COLUMNS:
            frame[c] = frame[c].astype("boolean")
        elif c in TEXT_COLUMNS or (name == "transition_by_specialty" and c in RATE_TEXT):
            frame[c] = frame[c].astype("string")
        elif c in INT_COLUMNS:
            frame[c] = pd.to_numeric(frame[c]).astype("Int64")
        else:
            frame[c] = pd.to_numeric(frame[c]).astype("Float64")
    return frame


def transition_table(inst: allocator.Instance) -> pd.DataFrame:
    """The transition limits as a table of (limit, value); an empty value adds no limit."""
    data = inst.transition.model_dump()
    rows = [
        {"limit": k, "value": None if v is None else float(v), "meaning": LIMITS.get(k, "")} for k, v in data.items()
    ]
    frame = pd.DataFrame(rows, columns=["limit", "value", "meaning"])
    frame["value"] = pd.to_numeric(frame["value"]).astype("Float64")
    return frame


NULL = object()  # a cell that says "none": the field written null (a removed limit)


def _cell(v: Any, column: str) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if column in TEXT_COLUMNS:
        text = str(v).strip()
        return text or None
    if column in RATE_TEXT and isinstance(v, str):  # limits by specialty: none, 0.05 or 5%
        text = v.strip().lower()
        if not text:
            return None
        if text == "none":
            return NULL
        return float(text[:-1]) / 100 if text.endswith("%") else text  # a number as text: read in lax mode
    if column in INT_COLUMNS and isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _records(frame: pd.DataFrame, columns: list[str]) -> tuple[list[dict[str, Any]], list[int]]:
    """The entries of an edited table, and the table row (0-based) each came from."""
    out, rows = [], []
    for i, rec in enumerate(frame.to_dict(orient="records")):
        row = {c: _cell(rec.get(c), c) for c in columns}
        row = {k: (None if v is NULL else v) for k, v in row.items() if v is not None}
        if row:  # a fully empty row (added and left blank) is dropped
            out.append(row)
            rows.append(i)
    return out, rows


def apply_edits(
    inst: allocator.Instance,
    tables: dict[str, pd.DataFrame] | None = None,
    transition: pd.DataFrame | None = None,
    source: str = "edited instance",
) -> allocator.Instance:
    """The instance with edited tables, validated as a file is (every problem at once, a rate
    above 1 refused with the percentage it would mean): :class:`InstanceError` names the
    table, the row as the table shows it and the field."""
    data = inst.to_dict()
    rows: dict[str, list[int]] = {}
    for name, frame in (tables or {}).items():
        data[name], rows[name] = _records(frame, EDITABLE[name])
    if any(data.get(n) for n in PACING) and data["schema_version"] < 3:
        data["schema_version"] = 3  # pacing is a schema_version 3 block (docs/model.md §5b)
    if transition is not None:
        limits: dict[str, Any] = {}
        for rec in transition.to_dict(orient="records"):
            v = _cell(rec.get("value"), "value")
            if v is None:
                continue
            key = str(rec["limit"])
            limits[key] = bool(v) if key == "shrink_by_programme_length" else v
        data["transition"] = limits
    try:
        return allocator.validate(data, source, strict=False)
    except InstanceError as err:
        if not rows:
            raise
        # entry i of a table is the table's row rows[i]: blank rows were dropped
        pattern = re.compile(rf"\b({'|'.join(map(re.escape, rows))})\[(\d+)\]")

        def row(m: re.Match) -> str:
            kept, i = rows[m.group(1)], int(m.group(2))
            return f"{m.group(1)}[{kept[i] if i < len(kept) else i}]"

        problems = [(pattern.sub(row, w), pattern.sub(row, m)) for w, m in err.problems]
        raise InstanceError(err.source, problems) from None


def model_with(spec: ModelSpec, weights: dict[str, float] | None = None, name: str | None = None) -> ModelSpec:
    """A model with some objective weights changed (checked), optionally renamed."""
    out = spec.with_weights(**weights) if weights else spec
    if name and name != out.name:
        out = out.model_copy(update={"name": name})
    return out


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    """One named run: the instance and model solved, the result, and its files."""

    name: str
    instance: allocator.Instance
    model: ModelSpec
    round_posts: bool = False
    result: Result | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def solved(self) -> bool:
        return self.result is not None and self.result.solved


def run_scenario(
    name: str,
    inst: allocator.Instance,
    spec: ModelSpec,
    round_posts: bool = False,
    time_limit: float | None = None,
    progress: Callable[[str], None] | None = None,
    report: bool = True,
) -> Scenario:
    """Solve, then render the report, result.json and the instance workbook in memory."""
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    result = allocator.solve(inst, spec, time_limit=time_limit, round_posts=round_posts, progress=say)
    files: dict[str, bytes] = {"result.json": result.to_json().encode("utf-8")}
    if report:
        say("writing the report (workbook, page and figures)")
        files.update(adapters.report_files(result, inst, spec))
    files["instance.xlsx"] = adapters.instance_workbook(inst)
    return Scenario(name, inst, spec, round_posts, result, files, time.perf_counter() - t0)


def assumptions(scenario: Scenario) -> list[tuple[str, pd.DataFrame]]:
    """The Assumptions section of a scenario's result as (title, table of Item | Value), the
    same rows as the Assumptions of its report.html and report.xlsx."""
    sections = adapters.assumption_sections(scenario.result, scenario.instance, scenario.model)
    return [(title, pd.DataFrame(rows, columns=["Item", "Value"])) for title, rows in sections]


def slug(name: str) -> str:
    """A file-name-safe form of a scenario name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "scenario"


def _final(frame: pd.DataFrame | None) -> pd.Series | None:
    if frame is None or len(frame) == 0:
        return None
    return frame.sort_values("year").iloc[-1]


def headline(result: Result, inst: allocator.Instance) -> list[str]:
    """The outcome in words, a sentence a line."""
    if not result.solved:
        if result.status == "infeasible":
            lines = ["This instance cannot be solved as it stands: its limits contradict each other."]
            if result.diagnosis:
                lines.append(str(result.diagnosis.get("summary", "")))
            return lines
        return [f"No allocation: the solver stopped with status {result.status}. {result.message}".strip()]
    k, base = _final(result.kpis), _final(result.baseline_kpis)
    last = int(k["year"])
    moved = float(pd.to_numeric(result.kpis["posts_moved"]).sum())
    lines = [
        f"By {last} the allocation closes {k['gap_closed_pct']:.1f}% of the gap between posts and need-based "
        f"fair shares: {k['gap_posts']:,.0f} posts of gap are left"
        + (f", from {base['gap_posts']:,.0f} at the baseline." if base is not None else "."),
    ]
    if base is not None:
        lines.append(
            f"Inequality of posts per 100,000 need-weighted population across regions (Gini) falls from "
            f"{V.fmt('gini', base['gini'])} to {V.fmt('gini', k['gini'])}; the worst shortfall, one region × "
            f"specialty, from {V.fmt('pct', base['max_shortfall_pct'])}% to {V.fmt('pct', k['max_shortfall_pct'])}% "
            "below its fair share."
        )
    years = len(result.kpis)
    lines.append(f"{moved:,.0f} posts move over {years} year{'s' if years != 1 else ''}.")
    per = per_100k(result, inst)
    if len(per):
        worst = per.sort_values(DISTANCE).iloc[0]
        if worst[DISTANCE] < 0:
            lines.append(
                f"The region furthest below its fair share in {last} is {worst['region']}, "
                f"{V.fmt('pct', -worst[DISTANCE])}% below it, all specialties together."
            )
    supply = _final(result.supply_kpis)
    if supply is not None:  # a pipeline (docs/model.md §10): where the trained doctors will be
        lines.append(
            f"In {int(supply['year'])} the trained workforce these posts yield is {supply['supply_gap']:,.0f} doctors "
            f"away from each region's fair share of it "
            f"({V.name('supply_gini')}: {V.fmt('gini', supply['supply_gini'])})."
        )
    if (sentence := gap_sentence(result)) is not None:
        lines.append(sentence)
    return lines


def _array(result: Result, d) -> np.ndarray:
    """The allocation as an (R, S, Y) array in the order of ``problem_data``."""
    R, S, Y = len(d.regions), len(d.specialties), len(d.years)
    x = np.zeros((R, S, Y))
    ri = {r: i for i, r in enumerate(d.regions)}
    si = {s: i for i, s in enumerate(d.specialties)}
    ti = {t: i for i, t in enumerate(d.years)}
    a = result.allocation
    for r, s, t, p in zip(a["region"], a["specialty"], a["year"], a["posts"], strict=True):
        x[ri[r], si[s], ti[int(t)]] = float(p)
    return x


def per_100k(result: Result, inst: allocator.Instance) -> pd.DataFrame:
    """Per region: posts per 100,000 need-weighted population at the baseline and in the final
    year (both against the final year's population), and at the fair share."""
    if not result.solved or len(result.allocation) == 0:
        return pd.DataFrame()
    d = allocator.problem_data(inst)
    x = _array(result, d)
    pop = d.weighted_population[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(pop > 0, 1e5 * d.baseline.sum(axis=1) / pop, 0.0)
        after = np.where(pop > 0, 1e5 * x[:, :, -1].sum(axis=1) / pop, 0.0)
        fair = np.where(pop > 0, 1e5 * d.target[:, :, -1].sum(axis=1) / pop, 0.0)
        vs = np.where(fair > 0, 100 * (after - fair) / fair, np.nan)
    names = {r.id: (r.name or r.id) for r in inst.regions}
    per = V.name("per_100k")
    return pd.DataFrame(
        {
            "region": [names.get(r, r) for r in d.regions],
            f"posts {d.baseline_year}": d.baseline.sum(axis=1),
            f"posts {d.years[-1]}": x[:, :, -1].sum(axis=1),
            f"{per}, {d.baseline_year}": before,
            f"{per}, {d.years[-1]}": after,
            V.label("per_100k_fair_share"): fair,
            DISTANCE: vs,
        }
    )


def waterfall(result: Result, inst: allocator.Instance, region: str) -> tuple[pd.DataFrame, bytes]:
    """One region's fair-share waterfall (docs/model.md §3b), last planning year: the table
    ``step, posts`` (steps, then the fair share; they sum to it) and its figure as PNG."""
    name = next((r.name or r.id for r in inst.regions if r.id == region), region)
    return adapters.waterfall(result, allocator.problem_data(inst), region, name)


def area(scenario: Scenario, region: str):
    """The *Area* view of one region (docs/model.md §3b): ``(brief, files)``, the brief of
    :func:`allocator.report.brief.area_brief` (lead lines, tables, limits in words, figures) and
    its downloads ``brief.html``, ``brief.xlsx`` and ``waterfall.csv``."""
    return adapters.area_brief(scenario.result, scenario.instance, region, scenario.model)


def changes(result: Result, inst: allocator.Instance, threshold: float = 0.05) -> pd.DataFrame:
    """Posts by region and specialty that change: baseline, final year, change; largest first."""
    if not result.solved or len(result.allocation) == 0:
        return pd.DataFrame()
    d = allocator.problem_data(inst)
    x = _array(result, d)
    rn = {r.id: (r.name or r.id) for r in inst.regions}
    sn = {s.id: (s.name or s.id) for s in inst.specialties}
    R, S = len(d.regions), len(d.specialties)
    frame = pd.DataFrame(
        {
            "region": np.repeat([rn.get(r, r) for r in d.regions], S),
            "specialty": np.tile([sn.get(s, s) for s in d.specialties], R),
            f"posts {d.baseline_year}": d.baseline.reshape(-1),
            f"posts {d.years[-1]}": x[:, :, -1].reshape(-1),
        }
    )
    frame["change"] = frame[f"posts {d.years[-1]}"] - frame[f"posts {d.baseline_year}"]
    frame = frame[frame["change"].abs() >= threshold]
    return frame.reindex(frame["change"].abs().sort_values(ascending=False, kind="stable").index).reset_index(drop=True)


def holding_back(scenario: Scenario, top: int = 10) -> list[str]:
    """What holds the allocation back: the binding limits as sentences, one per family and
    region (:func:`allocator.analysis.shadow.group`), largest shadow price first."""
    res = scenario.result
    if res is None or not res.solved or res.binding is None or len(res.binding) == 0:
        return []
    d = allocator.problem_data(scenario.instance)
    frame = adapters.grouped_sentences(res, d, scenario.instance, scenario.model)
    return [str(s) for s in frame["sentence"].head(top)]


def _with_changes(frame: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """``frame`` (one column per scenario) with a ``Δ name`` column per scenario against the
    baseline's, differences below 1e-9 shown as 0."""
    if baseline in frame.columns:
        for name in [c for c in frame.columns if c != baseline]:
            delta = frame[name] - frame[baseline]
            frame[f"Δ {name}"] = delta.where(delta.abs() > 1e-9, 0.0)
    return frame


def compare(scenarios: list[Scenario], baseline: str) -> pd.DataFrame:
    """The headline measures of the final year, one column per scenario, with the change from
    the baseline scenario in the columns ``Δ <name>``."""
    cols: dict[str, dict[str, float]] = {}
    for sc in scenarios:
        if not sc.solved:
            continue
        k = _final(sc.result.kpis)
        vals = {label: float(k[key]) for key, label in MEASURES.items() if key != "posts_moved"}
        vals[MEASURES["posts_moved"]] = float(pd.to_numeric(sc.result.kpis["posts_moved"]).sum())
        cols[sc.name] = {label: vals[label] for label in MEASURES.values()}
    frame = _with_changes(pd.DataFrame(cols), baseline)
    frame.index.name = "measure (final year)"
    return frame


def compare_text(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare` as a person reads it: each row written by its measure's unit
    (:func:`allocator.solution.vocabulary.fmt`), the ``Δ`` columns signed; no float noise."""
    out = pd.DataFrame(index=frame.index, columns=frame.columns, dtype=object)
    for label, row in frame.iterrows():
        unit = V.unit_of(str(label)) or "posts"
        for col, v in row.items():
            out.loc[label, col] = V.fmt(unit, v, sign=str(col).startswith("Δ "))
    return out


def rounded(frame: pd.DataFrame, unit: str | None = None) -> pd.DataFrame:
    """A table of the page with every number rounded by its column's unit (``unit`` for every
    column, else read from each header); numbers stay numbers, so the page can sort them."""
    return V.round_frame(frame, {c: unit for c in frame.columns} if unit else None)


def compare_regions(scenarios: list[Scenario], baseline: str) -> pd.DataFrame:
    """Final-year posts per region, one column per scenario, and the change from the baseline."""
    cols = {}
    for sc in scenarios:
        if not sc.solved:
            continue
        per = per_100k(sc.result, sc.instance)
        last = [c for c in per.columns if c.startswith("posts ")][-1]
        cols[sc.name] = per.set_index("region")[last]
    frame = _with_changes(pd.DataFrame(cols), baseline)
    frame.index.name = "region (posts, final year)"
    return frame


# --------------------------------------------------------------------------- sessions


def session_bytes(scenarios: list[Scenario]) -> bytes:
    """A session as JSON: each scenario's name, instance, model (weights) and whole-posts choice."""
    doc = {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "scenarios": [
            {
                "name": sc.name,
                "instance": sc.instance.to_dict(),
                "model": sc.model.model_dump(mode="json"),
                "round_posts": sc.round_posts,
            }
            for sc in scenarios
        ],
    }
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8")


def read_session(data: bytes, source: str = "session.json") -> list[tuple[str, allocator.Instance, ModelSpec, bool]]:
    """The scenarios of a saved session (not yet solved), each validated; :class:`InstanceError` if not."""
    shown = safe_name(source)
    if len(data) > UPLOAD_LIMIT_MB * 1024 * 1024:
        raise InstanceError(shown, [("", f"the file is larger than {UPLOAD_LIMIT_MB} MB")])
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise InstanceError(shown, [("", f"not a saved session (JSON): {err}")]) from None
    if not isinstance(doc, dict) or doc.get("format") != SESSION_FORMAT or not isinstance(doc.get("scenarios"), list):
        raise InstanceError(shown, [("", "not a session saved by the app (no 'format': 'allocator-app-session')")])
    out = []
    for i, sc in enumerate(doc["scenarios"]):
        where = f"scenarios[{i}]"
        if not isinstance(sc, dict) or not isinstance(sc.get("name"), str) or not sc["name"].strip():
            raise InstanceError(shown, [(where, "each scenario needs a name, an instance and a model")])
        inst = allocator.validate(sc.get("instance"), f"{shown}: {where}.instance", strict=True)
        try:
            spec = ModelSpec.model_validate(sc.get("model") or DEFAULT_MODEL.model_dump(mode="json"))
        except ValidationError as err:
            problems = [(f"{where}.model." + ".".join(map(str, e["loc"])), e["msg"]) for e in err.errors()]
            raise InstanceError(shown, problems) from None
        out.append((sc["name"].strip()[:80], inst, spec, bool(sc.get("round_posts", False))))
    return out
