"""The report's tables: the context of one result and instance; KPI, equity, allocation, changes,
region, binding-row and diagnosis frames; the headline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from allocator.analysis import shadow
from allocator.core.data import ProblemData
from allocator.core.instance import Instance
from allocator.report import workforce
from allocator.report.summary import region_table
from allocator.solution import equity, measures
from allocator.solution.gaps import gap_sentence
from allocator.solution.result import Result

MANIFEST = ".allocator-report.json"
WORKBOOK = "report.xlsx"
PAGE = "report.html"
FIGURES = ("per_100k", "change_heatmap", "lorenz", "change_map", "stock_over_time")
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
}
TOP_SHADOW_PRICES = 10

# readable column names, shared by the workbook and the page
KPI_NAMES = {
    "year": "Year",
    "gap_posts": "Gap to fair shares (posts)",
    "gap_closed_pct": "Gap closed (%)",
    "gini": "Gini of posts per 100,000 weighted population",
    "max_shortfall_pct": "Worst shortfall of a cell (% of fair share)",
    "posts_moved": "Posts moved",
    "cost": "Cost",
}
EQUITY_NAMES = {
    "year": "Year",
    "gini": "Gini of posts per 100,000 weighted population",
    "gini_before": "Gini, baseline unchanged",
    "theil": "Theil index against fair shares",
    "theil_before": "Theil index, baseline unchanged",
    "between_regions": "Theil between regions",
    "within_regions": "Theil within regions",
    "max_below_target_pct": "Region furthest below fair share (% below)",
    "most_below_region": "Region furthest below fair share",
    "max_cell_below_target_pct": "Cell furthest below fair share (% below)",
}
PER_100K = "Posts per 100,000 weighted population"


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
    def binding(self) -> pd.DataFrame:
        return binding_frame(self)

    # the workforce sections (FORMULATION §10, §11): only with a pipeline, only with teams

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
            "Posts": dist["posts"],
            "Fair share (posts)": dist["target"],
            "Distance from fair share (%)": dist["distance_pct"],
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
            f"{PER_100K} at fair share": rt["per_100k_fair_share"],
            f"Distance from fair share {ctx.last} (%)": dist["distance_pct"],
        }
    )


def binding_frame(ctx: _Context) -> pd.DataFrame:
    ex = shadow.explain(ctx.result, ctx.d, names=ctx.names)
    return pd.DataFrame(
        {
            "Constraint": ex["constraint"],
            "Region": ex["region"].map(ctx.rname),
            "Specialty": ex["specialty"].map(ctx.rname),
            "Year": pd.to_numeric(ex["year"]).astype("Int64"),
            "Shadow price (objective per unit of bound)": pd.to_numeric(ex["dual"]),
            "Bound (posts)": pd.to_numeric(ex["value"]),
            "What it means": ex["sentence"].map(_sentence),
        }
    )


def diagnosis_frame(ctx: _Context) -> pd.DataFrame:
    rows = ctx.result.diagnosis.get("findings", [])
    return pd.DataFrame(
        {
            "Constraint": [f.get("constraint", "") for f in rows],
            "Region": [ctx.rname(f.get("region")) for f in rows],
            "Specialty": [ctx.rname(f.get("specialty")) for f in rows],
            "Year": pd.array([f.get("year") for f in rows], dtype="Int64"),
            "Relax by": [f.get("relax_by") for f in rows],
            "What to change": [f.get("message", "") for f in rows],
        }
    )


def _sentence(text: str) -> str:
    text = str(text).strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def headline(ctx: _Context) -> list[str]:
    """The report's first lines, in words."""
    res, d = ctx.result, ctx.d
    obj = f", objective {res.objective:,.4g}" if res.objective is not None else ""
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
        f"By {ctx.last} the allocation closes {k.gap_closed_pct:.1f}% of the gap between posts and "
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
            f"{eq['max_below_target_pct']:.1f}% below (at the baseline: "
            f"{ctx.rname(eq0['most_below_region']) if eq0['most_below_region'] else 'none'}, "
            f"{eq0['max_below_target_pct']:.1f}% below)."
        )
    if ctx.has_supply:
        lines.append(workforce.supply_headline(res, d, ctx.x))
    if (sentence := gap_sentence(res)) is not None:
        lines.append(sentence)
    if res.tie_break == "least-squares":
        lines.append(
            "Of the equally good allocations, this is the one nearest the fair shares "
            "(least-squares tie-break, FORMULATION §6b): the same whatever the solver or its settings."
        )
    return lines
