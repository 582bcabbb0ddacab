"""The report's tables: the context of one result and instance; KPI, equity, allocation, changes,
region, binding-row and diagnosis frames; the headline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from allocator.analysis import shadow
from allocator.analysis.diagnosis_words import words_and_detail
from allocator.core.data import ProblemData
from allocator.core.instance import Instance
from allocator.core.spec import ModelSpec
from allocator.report import workforce
from allocator.report.assumptions import Section, assumptions
from allocator.report.summary import region_table
from allocator.solution import equity, measures
from allocator.solution import vocabulary as V
from allocator.solution.gaps import gap_sentence
from allocator.solution.result import Result

MANIFEST = ".allocator-report.json"
WORKBOOK = "report.xlsx"
PAGE = "report.html"
FIGURES = ("per_100k", "change_heatmap", "lorenz", "change_map", "stock_over_time", "waterfall", "fan_national")
#: Figures shown in a section of their own rather than under "Figures".
OWN_SECTION = frozenset({"fan_national"})
FIGURE_CAPTIONS = {
    "per_100k": "Posts per 100,000 need-weighted population by region, baseline and final year; "
    "the black mark is the region's fair share.",
    "change_heatmap": "Change in posts by region and specialty, final year against the baseline "
    "(blue: more posts, red: fewer).",
    "lorenz": "Lorenz curves of posts against need across regions: the closer to the dashed line of "
    "equality, the more evenly posts follow need.",
    "change_map": "Change in posts per 100,000 need-weighted population by region, final year against the baseline.",
    "stock_over_time": "Trained stock of all specialties by region over the evaluation years (solid), with the "
    "fair stock need would give each region (dashed).",
    "waterfall": "Each region's fair share in the last planning year, explained: its equal-per-head share of the "
    "national totals, then the posts each need factor adds (blue) or takes away (red), in the instance's order.",
    "fan_national": "The national supply gap and trained stock over the evaluation years under uncertain rates: "
    "the band from P10 to P90 of the draws, the median, and the central rates (dashed); dotted: assessed years.",
}
TOP_SHADOW_PRICES = 10

# readable column names, shared by the workbook and the page (allocator.solution.vocabulary)
KPI_NAMES = {"year": "Year"} | {
    k: V.label(k) for k in ("gap_posts", "gap_closed_pct", "gini", "max_shortfall_pct", "posts_moved", "cost")
}
EQUITY_NAMES = {
    "year": "Year",
    "gini": V.label("gini"),
    "gini_before": V.label("gini", "baseline unchanged"),
    "theil": V.label("theil"),
    "theil_before": V.label("theil", "baseline unchanged"),
    "between_regions": V.label("between_regions"),
    "within_regions": V.label("within_regions"),
    "max_below_target_pct": V.label("max_below_target_pct"),
    "most_below_region": V.label("most_below_region"),
}
PER_100K = V.name("per_100k")


# ------------------------------------------------------------------------ tables


@dataclass
class _Context:
    """Everything the workbook and the page are built from."""

    result: Result
    instance: Instance
    d: ProblemData
    x: np.ndarray | None
    names: dict[str, str]
    region_names: list[str]
    specialty_names: list[str]
    notes: list[str] = field(default_factory=list)
    spec: ModelSpec | None = None  # the model in effect, for the Assumptions section
    model_file: str | None = None
    montecarlo: Any = None  # a MonteCarlo evaluation of the plan (allocator.study.montecarlo), or None

    def rname(self, rid) -> str:
        return self.names.get(rid, rid) if isinstance(rid, str) else ""

    @property
    def last(self) -> int:
        return self.d.years[-1]

    # measured once, read by the headline, the workbook and the page

    @cached_property
    def baseline_kpis(self) -> pd.DataFrame:
        return measures.baseline_kpis(self.d)

    @cached_property
    def equity_after(self) -> pd.DataFrame:
        return equity.equity_table(self.d, self.x)

    @cached_property
    def equity_before(self) -> pd.DataFrame:
        """:func:`allocator.solution.equity.equity_table` of the baseline held unchanged."""
        return equity.equity_table(self.d, self.d.baseline_by_year)

    @cached_property
    def explained(self) -> pd.DataFrame:
        """:func:`allocator.analysis.shadow.explain` of the result: one sentence per binding row."""
        return shadow.explain(self.result, self.d, names=self.names)

    @cached_property
    def binding(self) -> pd.DataFrame:
        return binding_frame(self)

    @cached_property
    def binding_groups(self) -> pd.DataFrame:
        """The shadow-price sentences grouped by family and region (:func:`allocator.analysis.shadow.group`)."""
        return shadow.group(self.explained, names=self.names, specialties=len(self.d.specialties))

    @cached_property
    def assumptions(self) -> list[Section]:
        """The Assumptions section (:func:`allocator.report.assumptions.assumptions`)."""
        return assumptions(self.instance, self.result, self.spec, model_file=self.model_file, d=self.d)

    # the workforce sections (docs/model.md §10, §11): only with a pipeline, only with teams

    @property
    def has_supply(self) -> bool:
        return workforce.has_supply(self.result, self.d, self.x)

    @property
    def has_teams(self) -> bool:
        return workforce.has_teams(self.result, self.d, self.x)

    @cached_property
    def supply_regions(self) -> pd.DataFrame:
        return workforce.readable_supply(workforce.supply_region_frame(self.result, self.d, self.x), self.rname)

    @cached_property
    def supply_measures(self) -> pd.DataFrame:
        frame = workforce.supply_measure_frame(self.result, self.d, self.x)
        return frame.rename(columns=workforce.SUPPLY_MEASURE_NAMES)

    @cached_property
    def stock_time(self) -> pd.DataFrame:
        """Raw (ids): the figure draws it; :func:`workforce.readable_stock_time` for the workbook."""
        return workforce.stock_time_frame(self.result, self.d, self.x)

    @cached_property
    def disagreement(self) -> tuple[pd.DataFrame, str]:
        """(readable table, sentence) of where the posts gap and the supply gap disagree."""
        raw = workforce.disagreement_frame(self.result, self.d, self.x)
        return (
            workforce.readable_disagreement(raw, self.d, self.rname),
            workforce.disagreement_sentence(raw, self.d, self.rname),
        )

    @cached_property
    def team_measures(self) -> pd.DataFrame:
        frame = workforce.team_measure_frame(self.result, self.d, self.x)
        frame["team"] = frame["team"].map(self.team_name)
        return frame.rename(columns=workforce.TEAM_MEASURE_NAMES)

    @cached_property
    def team_mix(self) -> dict[str, pd.DataFrame]:
        """Team display name → its mix by region in its final year."""
        mix = workforce.readable_team_mix(workforce.team_mix_frame(self.result, self.d, self.x), self.rname)
        return {self.team_name(t): f for t, f in mix.items()}

    def team_name(self, tid: str) -> str:
        return next((t.name or t.id for t in self.d.teams if t.id == tid), tid)


def kpi_frame(ctx: _Context) -> pd.DataFrame:
    """§8 measures: the unchanged baseline (measured against each year's targets; the row
    shows the final year's) first, then each planning year; readable column names."""
    base = ctx.baseline_kpis.iloc[[-1]].copy()
    base["year"] = f"{ctx.d.baseline_year} (baseline)"
    base["gap_closed_pct"] = 0.0
    base["posts_moved"] = 0.0
    k = ctx.result.kpis.copy()
    k["year"] = k["year"].astype(int)
    frame = pd.concat([base, k], ignore_index=True)[list(KPI_NAMES)]
    frame["year"] = frame["year"].astype(object)
    return frame.rename(columns=KPI_NAMES)


def equity_frame(ctx: _Context) -> pd.DataFrame:
    eq = ctx.equity_after.copy()
    eq["most_below_region"] = eq["most_below_region"].map(lambda r: ctx.rname(r) if r else "none")
    return eq[list(EQUITY_NAMES)].rename(columns=EQUITY_NAMES)


def allocation_frame(ctx: _Context) -> pd.DataFrame:
    dist = equity.distance_from_target(ctx.d, ctx.x)
    return pd.DataFrame(
        {
            "Region": dist["region"].map(ctx.rname),
            "Specialty": dist["specialty"].map(ctx.rname),
            "Year": dist["year"],
            V.label("posts"): dist["posts"],
            V.label("target"): dist["target"],
            V.label("distance_pct"): dist["distance_pct"],
            "Region id": dist["region"],
            "Specialty id": dist["specialty"],
        }
    )


def changes_frame(ctx: _Context) -> pd.DataFrame:
    """Posts by region × specialty: the baseline, each year, and each year's change from it."""
    d, x = ctx.d, ctx.x
    R, S, Y = d.shape
    out = pd.DataFrame(
        {
            "Region": np.repeat(ctx.region_names, S),
            "Specialty": np.tile(ctx.specialty_names, R),
            f"Posts {d.baseline_year} (baseline)": d.baseline.reshape(-1),
        }
    )
    for t, year in enumerate(d.years):
        out[f"Posts {year}"] = x[:, :, t].reshape(-1)
    for t, year in enumerate(d.years):
        out[f"Change by {year}"] = (x[:, :, t] - d.baseline).reshape(-1)
    base = d.baseline.reshape(-1)
    out[f"Change by {d.years[-1]} (%)"] = np.divide(
        100 * (x[:, :, -1].reshape(-1) - base), base, out=np.full(base.shape, np.nan), where=base > 0
    )
    return out


def region_frame(ctx: _Context) -> pd.DataFrame:
    """Per region: posts and posts per 100,000 need-weighted population, baseline → final year."""
    d = ctx.d
    rt = region_table(ctx.result, d)
    dist = equity.distance_from_target_by_region(d, ctx.x)
    dist = dist[dist["year"] == ctx.last].reset_index(drop=True)
    return pd.DataFrame(
        {
            "Region": ctx.region_names,
            f"Posts {d.baseline_year}": rt["posts_baseline"],
            f"Posts {ctx.last}": rt["posts_final"],
            "Change (posts)": rt["change"],
            f"{PER_100K}, {d.baseline_year}": rt["per_100k_baseline"],
            f"{PER_100K}, {ctx.last}": rt["per_100k_final"],
            V.label("per_100k_fair_share"): rt["per_100k_fair_share"],
            V.label("distance_pct", str(ctx.last)): dist["distance_pct"],
        }
    )


def binding_frame(ctx: _Context) -> pd.DataFrame:
    ex = ctx.explained
    return pd.DataFrame(
        {
            "Constraint": ex["constraint"],
            "Region": ex["region"].map(ctx.rname),
            "Specialty": ex["specialty"].map(ctx.rname),
            "Year": pd.to_numeric(ex["year"]).astype("Int64"),
            V.label("dual"): pd.to_numeric(ex["dual"]),
            "Bound (posts)": pd.to_numeric(ex["value"]),
            "What it means": ex["sentence"].map(_sentence),
        }
    )


def diagnosis_frame(ctx: _Context) -> pd.DataFrame:
    """One row per finding: what to change (action first), then where; the raw ``relax_by``
    figures are in :func:`diagnosis_detail`."""
    rows = ctx.result.diagnosis.get("findings", [])
    _, actions, _ = words_and_detail(ctx.result.diagnosis)
    if len(actions) != len(rows):  # a diagnosis without per-finding actions
        actions = [_sentence(f.get("message", "")) for f in rows]
    return pd.DataFrame(
        {
            "What to change": actions,
            "Constraint": [f.get("constraint", "") for f in rows],
            "Region": [ctx.rname(f.get("region")) for f in rows],
            "Specialty": [ctx.rname(f.get("specialty")) for f in rows],
            "Year": pd.array([f.get("year") for f in rows], dtype="Int64"),
        }
    )


def diagnosis_detail(ctx: _Context) -> list[str]:
    """The diagnosis's technical detail (how it was found, the solver's conflict set, the raw
    ``relax_by`` of every finding), one line each."""
    return words_and_detail(ctx.result.diagnosis)[2]


def _sentence(text: str) -> str:
    text = str(text).strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def headline(ctx: _Context) -> list[str]:
    """The report's first lines, in words."""
    res, d = ctx.result, ctx.d
    obj = f", objective {V.fmt('objective', res.objective)}" if res.objective is not None else ""
    lines = [f"Status {res.status} (model {res.model}, backend {res.backend}{obj})."]
    if ctx.x is None:
        if res.diagnosis:
            lines.append("The instance cannot be solved as it stands: see the diagnosis.")
        elif res.message:
            lines.append(f"No allocation: {res.message}.")
        return lines
    k = res.kpis.iloc[-1]
    base = ctx.baseline_kpis.iloc[-1]
    moved = float(pd.to_numeric(res.kpis["posts_moved"]).sum())
    lines.append(
        f"By {ctx.last} the allocation closes {V.fmt('pct', k.gap_closed_pct)}% of the gap between posts and "
        f"need-based fair shares ({k.gap_posts:,.0f} posts of gap left, from {base.gap_posts:,.0f})."
    )
    lines.append(
        f"Inequality of posts per 100,000 need-weighted population across regions (Gini) goes from "
        f"{base.gini:.3f} to {k.gini:.3f}; {moved:,.0f} posts move over {len(d.years)} year"
        f"{'s' if len(d.years) > 1 else ''}."
    )
    eq, eq0 = ctx.equity_after.iloc[-1], ctx.equity_before.iloc[-1]
    if eq["most_below_region"]:
        lines.append(
            f"The region furthest below its fair share in {ctx.last} is {ctx.rname(eq['most_below_region'])}, "
            f"{V.fmt('pct', eq['max_below_target_pct'])}% below, all specialties together (at the baseline: "
            f"{ctx.rname(eq0['most_below_region']) if eq0['most_below_region'] else 'none'}, "
            f"{V.fmt('pct', eq0['max_below_target_pct'])}% below)."
        )
    if ctx.has_supply:
        lines.append(workforce.supply_headline(res, d, ctx.x))
    if (sentence := gap_sentence(res)) is not None:
        lines.append(sentence)
    if res.tie_break == "least-squares":
        lines.append(
            "Of the equally good allocations, this is the one nearest the fair shares "
            "(least-squares tie-break, docs/model.md §6b): the same whatever the solver or its settings."
        )
    return lines
