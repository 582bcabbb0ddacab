"""The report's workforce sections (docs/model.md §10, §11): supply, stock over time, where the
posts gap and the supply gap disagree, and teams.

Every frame comes in two forms: a raw one (snake-case columns, ids; the Markdown summary and
the command line print it, the tests compare it) and a readable one (names, headers with
units; the workbook and the HTML page show it). A result without a pipeline has no supply
sections and a result without teams no team sections: :func:`has_supply`, :func:`has_teams`.

"After" is the result's allocation, read from ``result.supply`` and ``result.teams`` where the
result carries them (else recomputed from its posts); "before" is the baseline plan held
unchanged in every planning year (``d.baseline_by_year``), run through the same pipeline.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.solution import vocabulary as V
from allocator.solution import workforce
from allocator.solution.result import Result

#: Gaps smaller than this (posts, doctors) count as "at the fair share" when the posts gap and
#: the supply gap are compared: the LP leaves many cells a fraction of a post off.
DISAGREE_TOL = 0.5
#: Rows of the disagreement table shown (largest supply gaps first); the sentence counts all.
DISAGREE_ROWS = 15
ALL = "all specialties"
PER = V.label("supply_per_100k")

# ------------------------------------------------------------------------ raw frames


def has_supply(res: Result, d: ProblemData, x: np.ndarray | None) -> bool:
    return d.pipeline is not None and x is not None


def has_teams(res: Result, d: ProblemData, x: np.ndarray | None) -> bool:
    return bool(d.teams) and x is not None


def _cells(frame: pd.DataFrame, d: ProblemData, years: list[int], column: str, keys: list[str], labels) -> np.ndarray:
    """One column of a long frame as a dense array over ``labels`` (every cell required)."""
    idx = pd.MultiIndex.from_product([*labels, years], names=keys)
    f = frame.astype({k: (int if k == "year" else str) for k in keys}).set_index(keys)[column].astype(float)
    f = f[~f.index.duplicated()].reindex(idx)
    if f.isna().any():
        raise ValueError(f"the result's {column} misses {int(f.isna().sum())} cells of the instance")
    return f.to_numpy().reshape(*(len(v) for v in labels), len(years))


def supply_arrays(res: Result, d: ProblemData, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(stock, fair stock), each (R, S, E) over the evaluation years: from ``res.supply`` when
    the result carries it, else from the posts."""
    p = d.pipeline
    if res.supply is not None and len(res.supply):
        keys, labels = ["region", "specialty", "year"], [d.regions, d.specialties]
        return tuple(_cells(res.supply, d, p.years, c, keys, labels) for c in ("stock", "fair_stock"))
    sup = p.forward(x)
    return sup.stock, sup.fair_stock


def _before(d: ProblemData):
    return d.pipeline.forward(d.baseline_by_year)


def supply_region_frame(res: Result, d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """Per region and assessed year: stock (all specialties) of the baseline plan, of the
    allocation and its fair stock, and each per 100,000 need-weighted population."""
    p = d.pipeline
    stock, fair = supply_arrays(res, d, x)
    b = _before(d)
    per, per0, perf = (workforce.supply_per_100k(d, a) for a in (stock, b.stock, fair))
    rows = []
    for e in p.assess:
        for r, region in enumerate(d.regions):
            rows.append(
                {
                    "region": region,
                    "year": p.years[e],
                    "stock_baseline_plan": b.stock[r, :, e].sum(),
                    "stock": stock[r, :, e].sum(),
                    "fair_stock": fair[r, :, e].sum(),
                    "per_100k_baseline_plan": per0[r, e],
                    "per_100k": per[r, e],
                    "per_100k_fair": perf[r, e],
                    "per_100k_change": per[r, e] - per0[r, e],
                }
            )
    return pd.DataFrame(rows)


def supply_measure_frame(res: Result, d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """The §10 measures per assessed year, the baseline plan beside the allocation."""
    after = res.supply_kpis if res.supply_kpis is not None and len(res.supply_kpis) else None
    after = workforce.supply_kpis(d, x) if after is None else after
    before = workforce.supply_kpis(d, d.baseline_by_year)
    m = before.astype({"year": int}).merge(after.astype({"year": int}), on="year", suffixes=("_baseline_plan", ""))
    cols = ["supply_gap", "supply_gini", "supply_max_shortfall_pct"]
    return m[["year"] + [c for k in cols for c in (f"{k}_baseline_plan", k)]].astype({c: float for c in cols})


def stock_time_frame(res: Result, d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """Stock and fair stock of all specialties by region and evaluation year (the figure's data)."""
    stock, fair = supply_arrays(res, d, x)
    years = d.pipeline.years
    return pd.DataFrame(
        {
            "region": np.repeat(d.regions, len(years)),
            "year": np.tile(years, len(d.regions)),
            "stock": stock.sum(axis=1).reshape(-1),
            "fair_stock": fair.sum(axis=1).reshape(-1),
        }
    )


def _sign(v: float) -> int:
    return 0 if abs(v) < DISAGREE_TOL else (1 if v > 0 else -1)


def disagreement_frame(res: Result, d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """Regions (all specialties) and region × specialty cells where the posts gap of the last
    planning year and the supply gap of the last assessed year point opposite ways: posts
    above their fair share but stock below its fair stock, or the reverse (gaps under
    :data:`DISAGREE_TOL` count as none). Largest supply gaps first; regions before cells."""
    stock, fair = supply_arrays(res, d, x)
    e = d.pipeline.assess[-1]
    posts = x[:, :, -1] - d.target_of(x)[:, :, -1]
    supply = stock[:, :, e] - fair[:, :, e]
    rows = []
    for r, region in enumerate(d.regions):
        cells = [(ALL, posts[r].sum(), supply[r].sum())]
        cells += [(s, posts[r, i], supply[r, i]) for i, s in enumerate(d.specialties)]
        for spec, pg, sg in cells:
            if _sign(pg) * _sign(sg) < 0:
                rows.append({"region": region, "specialty": spec, "posts_gap": float(pg), "supply_gap": float(sg)})
    frame = pd.DataFrame(rows, columns=["region", "specialty", "posts_gap", "supply_gap"])
    order = frame.assign(_cell=frame["specialty"] != ALL, _size=-frame["supply_gap"].abs())
    return frame.loc[order.sort_values(["_cell", "_size"], kind="stable").index].reset_index(drop=True)


def disagreement_sentence(frame: pd.DataFrame, d: ProblemData, name: Callable[[str], str] | None = None) -> str:
    """The disagreement table in one plain paragraph."""
    name = name or (lambda i: i)
    R, S, _ = d.shape
    post_year, supply_year = d.years[-1], d.pipeline.years[d.pipeline.assess[-1]]
    regions = frame[frame["specialty"] == ALL]
    cells = frame[frame["specialty"] != ALL]
    head = (
        f"Posts in {post_year} against their fair share, and the trained stock of {supply_year} against "
        f"its fair stock, point opposite ways in {len(regions)} of {R} regions (all specialties together) "
        f"and {len(cells)} of {R * S} region × specialty cells."
    )
    if not len(frame):
        return head + " The posts-gap and the supply-gap objectives ask for the same direction everywhere."
    top = (regions if len(regions) else cells).iloc[0]
    what = name(top.region) + ("" if top.specialty == ALL else f", {name(top.specialty)},")
    above = top.posts_gap > 0
    return (
        f"{head} The largest: {what} has {abs(top.posts_gap):,.1f} posts {'above' if above else 'below'} its fair "
        f"share in {post_year} but {abs(top.supply_gap):,.1f} trained doctors {'below' if above else 'above'} its "
        f"fair stock in {supply_year}, so the posts gap asks for {'fewer' if above else 'more'} posts there and the "
        f"supply gap for {'more' if above else 'fewer'} (the stock of {supply_year} also carries the posts of "
        "earlier years)."
    )


def stock_note(d: ProblemData) -> str | None:
    """The caveat of a pipeline without ``stock``."""
    if d.pipeline is None or (d.pipeline.stock0 > 0).any():
        return None
    return (
        "The instance gives no stock (pipeline.stock), so the stock counts only the doctors trained from "
        f"the baseline intake onward ({d.baseline_year}): the supply gap compares where newly trained doctors "
        "go, not the whole workforce."
    )


def supply_headline(res: Result, d: ProblemData, x: np.ndarray) -> str:
    """One line: the supply gap and Gini of the last assessed year, baseline plan → allocation."""
    m = supply_measure_frame(res, d, x).iloc[-1]
    return (
        f"In {int(m.year)} the trained workforce is {m.supply_gap:,.0f} doctors away from need-based fair stocks "
        f"(the baseline plan held unchanged: {m.supply_gap_baseline_plan:,.0f}); inequality of supply per 100,000 "
        f"need-weighted population (Gini) goes from {m.supply_gini_baseline_plan:.3f} to {m.supply_gini:.3f}."
    )


def _team_capacity(res: Result, d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    if res.teams is not None and len(res.teams):
        return res.teams.astype({"team": str, "region": str, "year": int})
    return workforce.teams_frame(d, x).astype({"year": int})


def team_measure_frame(res: Result, d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """Per team and year: team gap ``Σ_r |E − T_g|`` and Gini, the baseline unchanged beside."""
    after, _ = workforce.team_measures(d, x)
    before, _ = workforce.team_measures(d, d.baseline_by_year)
    m = before.merge(after, on=["team", "year"], suffixes=("_baseline", ""))
    return m[["team", "year", "team_gap_baseline", "team_gap", "team_gini_baseline", "team_gini"]]


def team_mix_frame(res: Result, d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """Each team's final year by region: capacity, fair share and each member's share of the
    capacity (``team, region, year, capacity, target, specialty, share, max_share``)."""
    _, mix = workforce.team_measures(d, x)
    cap = _team_capacity(res, d, x)
    limits = {(t.id, d.specialties[s]): m for t in d.teams for s, m in zip(t.members, t.max_share, strict=True)}
    final = {t.id: t.years[-1] for t in d.teams}
    mix = mix[mix["year"] == mix["team"].map(final)]
    out = mix.merge(cap, on=["team", "region", "year"], how="left")
    out["max_share"] = [limits[(t, s)] for t, s in zip(out.team, out.specialty, strict=True)]
    cols = ["team", "region", "year", "capacity", "target", "specialty", "share", "max_share"]
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------- readable frames


def readable_supply(frame: pd.DataFrame, name: Callable[[str], str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Region": frame["region"].map(name),
            "Year": frame["year"],
            V.label("stock", "baseline plan"): frame["stock_baseline_plan"],
            V.label("stock"): frame["stock"],
            V.label("fair_stock"): frame["fair_stock"],
            V.label("supply_per_100k", "baseline plan"): frame["per_100k_baseline_plan"],
            PER: frame["per_100k"],
            V.label("supply_per_100k_fair"): frame["per_100k_fair"],
            "Change per 100,000 against the baseline plan": frame["per_100k_change"],
        }
    )


SUPPLY_MEASURE_NAMES = {"year": "Year"} | {
    f"{m}{tail}": V.label(m, qualifier)
    for m in ("supply_gap", "supply_gini", "supply_max_shortfall_pct")
    for tail, qualifier in (("_baseline_plan", "baseline plan"), ("", ""))
}


def readable_stock_time(frame: pd.DataFrame, name: Callable[[str], str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Region": frame["region"].map(name),
            "Year": frame["year"],
            V.label("stock"): frame["stock"],
            V.label("fair_stock"): frame["fair_stock"],
        }
    )


def readable_disagreement(frame: pd.DataFrame, d: ProblemData, name: Callable[[str], str]) -> pd.DataFrame:
    supply_year = d.pipeline.years[d.pipeline.assess[-1]]
    return pd.DataFrame(
        {
            "Region": frame["region"].map(name),
            "Specialty": frame["specialty"].map(lambda s: s if s == ALL else name(s)),
            f"Posts − fair share, {d.years[-1]}": frame["posts_gap"],
            f"Stock − fair stock, {supply_year} (doctors)": frame["supply_gap"],
            "The posts gap asks for": np.where(frame["posts_gap"] > 0, "fewer posts", "more posts"),
            "The supply gap asks for": np.where(frame["supply_gap"] > 0, "fewer posts", "more posts"),
        }
    ).head(DISAGREE_ROWS)


TEAM_MEASURE_NAMES = {
    "team": "Team",
    "year": "Year",
    "team_gap_baseline": V.label("team_gap", "baseline unchanged"),
    "team_gap": V.label("team_gap"),
    "team_gini_baseline": V.label("team_gini", "baseline unchanged"),
    "team_gini": V.label("team_gini"),
}


def readable_team_mix(frame: pd.DataFrame, name: Callable[[str], str]) -> dict[str, pd.DataFrame]:
    """One wide table per team (id → frame): region, capacity, fair share, each member's share (%)."""
    out = {}
    for team, f in frame.groupby("team", sort=False):
        wide = f.pivot_table(index="region", columns="specialty", values="share", sort=False) * 100
        first = f.drop_duplicates("region").set_index("region")
        limits = f.drop_duplicates("specialty").set_index("specialty")["max_share"]
        table = pd.DataFrame(
            {
                "Region": [name(r) for r in first.index],
                "Year": first["year"].to_numpy(),
                V.label("capacity"): first["capacity"].to_numpy(),
                V.label("team_target"): first["target"].to_numpy(),
                "Capacity − fair share": (first["capacity"] - first["target"]).to_numpy(),
            }
        )
        for s in wide.columns:
            cap = "" if np.isnan(limits[s]) else f", at most {100 * limits[s]:.0f}%"
            table[f"{name(s)} share (%){cap}"] = wide.loc[first.index, s].to_numpy()
        out[str(team)] = table
    return out
