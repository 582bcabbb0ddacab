"""What the web app does, apart from drawing the page: tested without a browser.

Everything here uses the package's public API (``allocator.solve``, ``load_instance``,
``validate``, ``load_model``, ``problem_data``, ``Result``, ``InstanceError``, ``ModelSpec``)
and the three functions of :mod:`allocator.app.adapters`.

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

from . import adapters
from .uploads import UPLOAD_LIMIT_MB, UPLOAD_TYPES, ZIP_MAX_BYTES, ZIP_MAX_MEMBERS, problem_rows, read_upload, safe_name

__all__ = ["UPLOAD_LIMIT_MB", "UPLOAD_TYPES", "ZIP_MAX_BYTES", "ZIP_MAX_MEMBERS", "problem_rows", "read_upload"]

SESSION_FORMAT = "allocator-app-session"
SESSION_VERSION = 1

WEIGHTS = tuple(Objective.model_fields)  # every weight of a model file, in its order
WEIGHT_HELP = {
    "shortfall": "a: per post below a region's fair share",
    "surplus": "b: per post above a region's fair share",
    "moves": "m: per post moved (gained or lost) — the price of disruption",
    "cost": "c_w: per unit of cost of the posts",
    "worst_shortfall": "q: per percentage point of the largest relative shortfall of any region",
    "supply_shortfall": "per trained doctor below a region's fair stock in the assessed years (needs a pipeline)",
    "supply_surplus": "per trained doctor above a region's fair stock (needs a pipeline)",
    "worst_supply": "per percentage point of the largest relative supply shortfall (needs a pipeline)",
    "team_shortfall": "per unit of team capacity below a region's fair share (needs teams)",
    "team_surplus": "per unit of team capacity above a region's fair share (needs teams)",
}

#: The inputs that matter, as editable tables: list name -> columns.
EDITABLE = {
    "national_posts": ["specialty", "year", "posts", "min_posts", "max_posts"],
    "locks": ["region", "specialty", "year", "posts"],
    "capacity": ["region", "specialty", "year", "min_posts", "max_posts"],
}
TITLES = {
    "national_posts": "National totals",
    "locks": "Locks",
    "capacity": "Capacity",
    "transition": "Transition limits",
}
LIMITS = {
    "max_growth_rate": "a cell may grow by at most this share a year (0.1 = 10%)",
    "growth_allowance": "… plus this many posts a year",
    "max_shrink_rate": "a cell may shrink by at most this share a year",
    "shrink_allowance": "… plus this many posts a year",
    "shrink_by_programme_length": "1 = a cell may shrink by at most 1/programme length a year",
    "max_region_net_loss_rate": "a region may lose at most this share of its posts a year",
    "max_national_moves": "at most this many posts may move nationally in a year",
}
INT_COLUMNS = ("year",)
TEXT_COLUMNS = ("region", "specialty")

MEASURES = {
    "gap_posts": "Gap to fair shares (posts)",
    "gap_closed_pct": "Gap closed (%)",
    "gini": "Gini of posts per 100,000",
    "max_shortfall_pct": "Worst shortfall (%)",
    "posts_moved": "Posts moved (all years)",
    "cost": "Cost",
}


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
    frame = pd.DataFrame(recs, columns=cols)
    for c in cols:
        if c in TEXT_COLUMNS:
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


def _cell(v: Any, column: str) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if column in TEXT_COLUMNS:
        text = str(v).strip()
        return text or None
    if column in INT_COLUMNS and isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        row = {c: _cell(rec.get(c), c) for c in columns}
        row = {k: v for k, v in row.items() if v is not None}
        if row:  # a fully empty row (added and left blank) is dropped
            out.append(row)
    return out


def apply_edits(
    inst: allocator.Instance,
    tables: dict[str, pd.DataFrame] | None = None,
    transition: pd.DataFrame | None = None,
    source: str = "edited instance",
) -> allocator.Instance:
    """The instance with edited tables, validated (:class:`InstanceError` names table, row, field)."""
    data = inst.to_dict()
    for name, frame in (tables or {}).items():
        data[name] = _records(frame, EDITABLE[name])
    if transition is not None:
        limits: dict[str, Any] = {}
        for rec in transition.to_dict(orient="records"):
            v = _cell(rec.get("value"), "value")
            if v is None:
                continue
            key = str(rec["limit"])
            limits[key] = bool(v) if key == "shrink_by_programme_length" else v
        data["transition"] = limits
    return allocator.validate(data, source, strict=False)


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
        files.update(adapters.report_files(result, inst))
    files["instance.xlsx"] = adapters.instance_workbook(inst)
    return Scenario(name, inst, spec, round_posts, result, files, time.perf_counter() - t0)


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
            f"{base['gini']:.3f} to {k['gini']:.3f}; the worst shortfall of any region and specialty from "
            f"{base['max_shortfall_pct']:.1f}% to {k['max_shortfall_pct']:.1f}% of its fair share."
        )
    years = len(result.kpis)
    lines.append(f"{moved:,.0f} posts move over {years} year{'s' if years != 1 else ''}.")
    per = per_100k(result, inst)
    if len(per):
        worst = per.sort_values("after vs fair share (%)").iloc[0]
        lines.append(
            f"The region furthest below its fair share in {last} is {worst['region']}, "
            f"at {worst['after vs fair share (%)']:.1f}% of it."
        )
    supply = _final(result.supply_kpis)
    if supply is not None:  # a pipeline (FORMULATION §10): where the trained doctors will be
        lines.append(
            f"In {int(supply['year'])} the trained workforce these posts yield is {supply['supply_gap']:,.0f} "
            f"away from each region's fair share of it (Gini of supply per 100,000: {supply['supply_gini']:.3f})."
        )
    if result.mip_gap is not None and result.best_bound is not None:
        lines.append(
            f"Whole posts that keep every limit: the objective is within {100 * result.mip_gap:.3f}% of the best "
            f"any whole-post plan could do."
        )
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
    pop = d.population[:, -1] * d.need_index
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(pop > 0, 1e5 * d.baseline.sum(axis=1) / pop, 0.0)
        after = np.where(pop > 0, 1e5 * x[:, :, -1].sum(axis=1) / pop, 0.0)
        fair = np.where(pop > 0, 1e5 * d.target[:, :, -1].sum(axis=1) / pop, 0.0)
        vs = np.where(fair > 0, 100 * after / fair, np.nan)
    names = {r.id: (r.name or r.id) for r in inst.regions}
    return pd.DataFrame(
        {
            "region": [names.get(r, r) for r in d.regions],
            f"posts {d.baseline_year}": d.baseline.sum(axis=1),
            f"posts {d.years[-1]}": x[:, :, -1].sum(axis=1),
            f"per 100k {d.baseline_year}": before,
            f"per 100k {d.years[-1]}": after,
            "per 100k at fair share": fair,
            "after vs fair share (%)": vs,
        }
    )


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
    """What holds the allocation back: the binding limits as sentences, largest shadow price first."""
    res = scenario.result
    if res is None or not res.solved or res.binding is None or len(res.binding) == 0:
        return []
    d = allocator.problem_data(scenario.instance)
    frame = adapters.explain_sentences(res, d, scenario.instance, scenario.model)
    out = []
    for s in frame["sentence"].head(top):
        s = str(s).strip()
        out.append(s[:1].upper() + s[1:] + ("" if s.endswith(".") else "."))
    return out


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


# --------------------------------------------------------------------------- relaxation

#: Transition rates a finding's ``needed_rate`` replaces: family -> transition field.
_RATE_FIELDS = {
    "growth_limit": "max_growth_rate",
    "shrink_limit": "max_shrink_rate",
    "region_net_loss": "max_region_net_loss_rate",
}
_SLACK = 1e-6  # a little more than the smallest relaxation, so tolerances cannot undo it


def relaxation(inst: allocator.Instance, diagnosis: dict | None) -> tuple[allocator.Instance | None, list[str]]:
    """The instance with the diagnosis's relaxation applied, and what was changed, in words.

    Handled: a budget raised, a national total raised or lowered, a lock moved, the national
    moves limit raised, and the growth, shrink and regional net-loss rates raised to the rate
    the diagnosis says is needed. Returns ``(None, reasons)`` where a finding cannot be applied
    simply (for example a programme-length limit, or whole posts).
    """
    findings = (diagnosis or {}).get("findings") or []
    if not findings:
        return None, ["The diagnosis proposes no relaxation."]
    data = inst.to_dict()
    done: list[str] = []
    for f in findings:
        fam, by, up = f.get("constraint"), f.get("relax_by"), f.get("direction") == "up"
        if by is None:
            return None, [f"Cannot apply '{fam}' automatically: {f.get('message', '')}"]
        by = float(by) * (1 + _SLACK) + _SLACK
        if fam == "budget":
            for b in data.get("budget", []):
                if b["year"] == f.get("year"):
                    old = b["amount"]
                    b["amount"] = old + by
                    done.append(f"Budget {b['year']}: {old:,.6g} → {b['amount']:,.6g}.")
                    break
            else:
                return None, [f"No budget for {f.get('year')} to raise."]
        elif fam == "national_total":
            entries = [
                n
                for n in data.get("national_posts", [])
                if n["specialty"] == f.get("specialty") and n["year"] == f.get("year") and "posts" in n
            ]
            if not entries:  # no entry: the total is the baseline's; state it, then change it
                ranged = any(
                    n["specialty"] == f.get("specialty") and n["year"] == f.get("year")
                    for n in data.get("national_posts", [])
                )
                d = allocator.problem_data(inst)
                if ranged or f.get("specialty") not in d.specialties or f.get("year") not in d.years:
                    return None, [f"Cannot change the national total of {f.get('specialty')} in {f.get('year')}."]
                total = float(d.national[d.specialties.index(f["specialty"]), d.years.index(f["year"])])
                entries = [{"specialty": f["specialty"], "year": f["year"], "posts": total}]
                data.setdefault("national_posts", []).append(entries[0])
            n = entries[0]
            old = n["posts"]
            n["posts"] = max(0.0, old + by if up else old - by)
            done.append(f"National total of {n['specialty']} in {n['year']}: {old:,.6g} → {n['posts']:,.6g} posts.")
        elif fam == "lock":
            for lk in data.get("locks", []):
                if (lk["region"], lk["specialty"], lk["year"]) == (f.get("region"), f.get("specialty"), f.get("year")):
                    old = lk["posts"]
                    lk["posts"] = max(0.0, old + by if up else old - by)
                    done.append(
                        f"Lock of {lk['specialty']} in {lk['region']}, {lk['year']}: {old:,.6g} → {lk['posts']:,.6g}."
                    )
                    break
            else:
                return None, ["The lock named by the diagnosis was not found."]
        elif fam == "national_moves":
            tr = data.setdefault("transition", {})
            old = tr.get("max_national_moves")
            if old is None:
                return None, ["No national moves limit to raise."]
            tr["max_national_moves"] = old + by
            done.append(
                f"Largest number of posts moved nationally in a year: {old:,.6g} → {tr['max_national_moves']:,.6g}."
            )
        elif fam in _RATE_FIELDS and f.get("needed_rate") is not None:
            tr = data.setdefault("transition", {})
            key = _RATE_FIELDS[fam]
            old = tr.get(key)
            new = float(f["needed_rate"]) * (1 + _SLACK) + _SLACK
            if old is None or new > old:
                tr[key] = new
                done.append(f"Transition {key}: {old if old is None else f'{100 * old:.3g}%'} → {100 * new:.4g}%.")
        else:
            return None, [f"Cannot apply '{fam}' automatically: {f.get('message', '')}"]
    try:
        relaxed = allocator.validate(data, f"{inst.name} (relaxed)", strict=False)
    except InstanceError as err:
        return None, [f"The relaxed instance is not valid: {err}"]
    return relaxed, done
