"""The report's workforce sections (FORMULATION §10, §11; issue 13 item 7).

A result with a pipeline gets, in the workbook, the HTML page, report.md and the printed
summary: supply per 100,000 need-weighted population by region in the assessed years (the
baseline plan held unchanged, and the allocation), the supply measures, where the posts gap
and the supply gap disagree, the stock over time (a figure and a sheet) and, with no ``stock``
in the instance, the note that the stock counts only doctors trained from the baseline intake
onward. A result with teams gets the team gap and Gini per year and each team's mix by region.
Every number is recomputed here from ``result.supply``, ``result.teams`` and the allocation,
not through the report's own helpers. A result with neither has none of it.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import allocator
from allocator.cli.main import app
from allocator.core.data import problem_data
from allocator.core.validate import validate
from allocator.report.summary import markdown, workforce_tables
from allocator.report.write import write_report
from allocator.solution import vocabulary as V

from .conftest import ROOT

PIPELINE = ROOT / "instances" / "england-pipeline-2025.json"
TEAMS = ROOT / "instances" / "england-teams-2025.json"
PLAIN = ROOT / "instances" / "england-regions-2025.json"
SUPPLY_SHEETS = {"Supply", "Supply measures", "Posts vs supply", "Stock over time"}
TEAM_SHEETS = {"Team measures", "Team mix"}
NO_STOCK = "counts only the doctors trained from the baseline intake onward"


def _solved(path, model):
    inst = allocator.load_instance(path)
    res = allocator.solve(inst, ROOT / "models" / model)
    assert res.status == "optimal"
    return inst, allocator.Result.from_dict(json.loads(res.to_json()))  # as `allocator report` reads it


def _report(tmp_path_factory, inst, res):
    out = tmp_path_factory.mktemp("report") / "out"
    write_report(res, inst, out)
    sheets = pd.read_excel(out / "report.xlsx", sheet_name=None)
    return out, sheets, (out / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    inst, res = _solved(PIPELINE, "future-supply.toml")
    return (inst, res, problem_data(inst), *_report(tmp_path_factory, inst, res))


@pytest.fixture(scope="module")
def teams(tmp_path_factory):
    inst, res = _solved(TEAMS, "team-mix.toml")
    return (inst, res, problem_data(inst), *_report(tmp_path_factory, inst, res))


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    inst, res = _solved(PLAIN, "fair-share.toml")
    return (inst, res, problem_data(inst), *_report(tmp_path_factory, inst, res))


def _name(inst):
    names = {r.id: r.name or r.id for r in inst.regions} | {s.id: s.name or s.id for s in inst.specialties}
    return lambda i: names.get(i, i)


def _expected_supply(res, d):
    """Per region and assessed year, from result.supply and the data alone: stock, fair stock
    and per 100,000 need-weighted population; before = the baseline held in every planning year."""
    sup = res.supply.astype({"year": int})
    p = d.pipeline
    before = p.forward(np.repeat(d.baseline[:, :, None], len(d.years), axis=2)).stock.sum(axis=1)
    rows = []
    for year in p.assess_years:
        e = p.years.index(year)
        g = sup[sup["year"] == year].groupby("region")[["stock", "fair_stock"]].sum()
        for r, region in enumerate(d.regions):
            wp = p.population[r, e] * d.need_index[r]
            rows.append(
                {
                    "region": region,
                    "year": year,
                    "stock": g.loc[region, "stock"],
                    "fair": g.loc[region, "fair_stock"],
                    "before": before[r, e],
                    "per": 1e5 * g.loc[region, "stock"] / wp,
                    "per_fair": 1e5 * g.loc[region, "fair_stock"] / wp,
                    "per_before": 1e5 * before[r, e] / wp,
                }
            )
    return pd.DataFrame(rows)


# -------------------------------------------------------------------- with a pipeline


def test_supply_sheet_equals_the_result_supply(pipeline):
    inst, res, d, out, sheets, _ = pipeline
    assert SUPPLY_SHEETS <= set(sheets) and not TEAM_SHEETS & set(sheets)
    got = sheets["Supply"].dropna(subset=["Year"])
    got = got[pd.to_numeric(got["Year"], errors="coerce").notna()]
    want = _expected_supply(res, d)
    assert len(got) == len(d.regions) * len(d.pipeline.assess_years) == len(want)
    assert list(got["Region"]) == [_name(inst)(r) for r in want["region"]]
    assert list(got["Year"].astype(int)) == list(want["year"])
    for col, key in (
        (V.label("stock"), "stock"),
        (V.label("fair_stock"), "fair"),
        (V.label("stock", "baseline plan"), "before"),
        (V.label("supply_per_100k"), "per"),
        (V.label("supply_per_100k_fair"), "per_fair"),
        (V.label("supply_per_100k", "baseline plan"), "per_before"),
    ):
        _shown_as(got[col].astype(float), want[key], V.unit_of(col), col)


def _shown_as(got, want, unit, what=""):
    """The workbook holds ``want`` rounded as ``unit`` shows it (one last-digit step of slack
    for values recomputed a different way)."""
    step = 10.0 ** -V.UNITS[unit].digits
    np.testing.assert_allclose(
        np.asarray(got, float), np.asarray(want, float), rtol=0, atol=step / 2 + 1e-9, err_msg=what
    )
    assert all(V.rounded(unit, v) == v for v in np.asarray(got, float)), what


def test_supply_measures_sheet_equals_the_result_kpis(pipeline):
    _, res, d, _, sheets, _ = pipeline
    got = sheets["Supply measures"]
    k = res.supply_kpis
    assert list(got["Year"]) == list(k["year"].astype(int)) == d.pipeline.assess_years
    for m in ("supply_gap", "supply_gini", "supply_max_shortfall_pct"):
        _shown_as(got[V.label(m)], k[m], V.measure(m).unit, m)
    # the baseline plan is worse on the objective the model weighs (the future-supply model)
    assert (got[V.label("supply_gap", "baseline plan")] > got[V.label("supply_gap")]).all()


def test_stock_over_time_sheet_and_figure(pipeline):
    inst, res, d, out, sheets, html = pipeline
    got = sheets["Stock over time"]
    sums = res.supply.astype({"year": int}).groupby(["region", "year"])[["stock", "fair_stock"]].sum()
    assert len(got) == len(d.regions) * len(d.pipeline.years)
    name = _name(inst)
    back = {name(r): r for r in d.regions}
    for rec in got.itertuples(index=False):
        s = sums.loc[(back[rec[0]], int(rec[1]))]
        _shown_as([rec[2], rec[3]], [s["stock"], s["fair_stock"]], "doctors")
    for ext in ("png", "svg"):
        assert (out / f"stock_over_time.{ext}").stat().st_size > 1000
    assert "stock_over_time.png" in html


def _disagreements(res, d):
    """(region, specialty or 'all specialties') where posts − fair share (last planning year)
    and stock − fair stock (last assessed year) have opposite signs, both at least 0.5."""
    a = res.allocation.astype({"year": int})
    a = a[a["year"] == d.years[-1]].assign(gap=lambda f: f["posts"] - f["target"])
    s = res.supply.astype({"year": int})
    s = s[s["year"] == d.pipeline.assess_years[-1]].assign(gap=lambda f: f["stock"] - f["fair_stock"])
    posts = a.set_index(["region", "specialty"])["gap"]
    supply = s.set_index(["region", "specialty"])["gap"]
    found = set()
    for key in posts.index:
        if abs(posts[key]) >= 0.5 and abs(supply[key]) >= 0.5 and posts[key] * supply[key] < 0:
            found.add(key)
    pr, sr = posts.groupby(level=0).sum(), supply.groupby(level=0).sum()
    for r in pr.index:
        if abs(pr[r]) >= 0.5 and abs(sr[r]) >= 0.5 and pr[r] * sr[r] < 0:
            found.add((r, "all specialties"))
    return found, posts, supply


def test_posts_vs_supply_sheet(pipeline):
    inst, res, d, _, sheets, html = pipeline
    found, posts, supply = _disagreements(res, d)
    assert found, "the England pipeline instance has cells where the two objectives disagree"
    got = sheets["Posts vs supply"]
    got = got[got["Specialty"].notna() & got.iloc[:, 2].map(lambda v: isinstance(v, int | float))]
    name = _name(inst)
    back = {name(i): i for i in [*d.regions, *d.specialties]} | {"all specialties": "all specialties"}
    rows = {(back[r], back[s]): (p, g) for r, s, p, g in got.iloc[:, :4].itertuples(index=False)}
    assert set(rows) == found  # fewer than 15: the table shows them all
    for (r, s), (p, g) in rows.items():
        if s != "all specialties":
            _shown_as([p, g], [posts[(r, s)], supply[(r, s)]], "posts")
    assert list(got.columns[2:4]) == [
        f"Posts − fair share, {d.years[-1]}",
        f"Stock − fair stock, {d.pipeline.assess_years[-1]} (doctors)",
    ]
    # the sentence counts them and names the largest
    cells = sum(s != "all specialties" for _, s in found)
    regions = len(found) - cells
    sentence = f"in {regions} of {len(d.regions)} regions (all specialties together) and {cells} of"
    summary = sheets["Summary"]
    text = " ".join(map(str, summary.iloc[:, 1].dropna()))
    assert sentence in text and sentence in html
    assert any(sentence in str(v) for v in sheets["Posts vs supply"].iloc[:, 0].dropna())


def test_html_has_the_supply_sections_and_numbers(pipeline):
    inst, res, d, out, _, html = pipeline
    for text in (
        "Trained workforce in 2035 and 2040",
        "Where the posts gap and the supply gap disagree",
        NO_STOCK,
        "stock_over_time.png",
    ):
        assert text in html, text
    want = _expected_supply(res, d)
    london = want[(want["region"] == "london") & (want["year"] == 2040)].iloc[0]
    row = re.search(r"<tr><td>London</td><td>2040</td>(.*?)</tr>", html).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert f"{london.per:,.1f}" in cells and f"{london.per_before:,.1f}" in cells
    gap = res.supply_kpis.iloc[-1].supply_gap
    assert f"{gap:,.0f} doctors away from need-based fair stocks" in html


def test_markdown_and_printed_summary_have_the_supply_sections(pipeline):
    inst, res, d, *_ = pipeline
    md = markdown(res, d)
    assert "## Trained workforce in 2035 and 2040" in md and "## Where the posts gap and the supply gap" in md
    assert NO_STOCK in md and "## Teams" not in md
    want = _expected_supply(res, d)
    for rec in want.itertuples():
        assert f"| {rec.region} | {rec.year} | {rec.before:,.1f} | {rec.stock:,.1f} | {rec.fair:,.1f} |" in md
    titles = [t for t, _ in workforce_tables(res, d)]
    assert titles[0].startswith("Trained supply per 100,000")
    r = CliRunner().invoke(app, ["solve", str(PIPELINE), "--model", str(ROOT / "models" / "future-supply.toml")])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert "Trained supply per 100,000 need-weighted population" in flat
    assert "doctors away from need-based fair stocks" in flat and NO_STOCK in flat


def test_a_stock_in_the_instance_drops_the_note(tmp_path):
    inst = allocator.load_instance(PIPELINE)
    data = inst.to_dict()
    data["pipeline"]["stock"] = [
        {"region": r["id"], "specialty": "general-practice", "headcount": 1000} for r in data["regions"]
    ]
    inst = validate(data)
    res = allocator.solve(inst, ROOT / "models" / "future-supply.toml")
    md = markdown(res, problem_data(inst))
    assert "## Trained workforce" in md and NO_STOCK not in md


def test_supply_of_another_instance_is_refused(tmp_path, pipeline):
    _, res, *_ = pipeline
    inst = allocator.load_instance(PIPELINE)
    data = inst.to_dict()
    data["pipeline"]["horizon_year"] = 2038
    data["pipeline"]["assess_years"] = [2035, 2038]
    for key in ("population_by_year", "need_weights"):
        data[key] = [e for e in data.get(key, []) if (e.get("year") or 0) <= 2038]
    with pytest.raises(ValueError, match=r"supply years differ"):
        write_report(res, validate(data), tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------- with teams


def test_team_measures_sheet_equals_the_result_teams(teams):
    inst, res, d, _, sheets, html = teams
    assert TEAM_SHEETS <= set(sheets) and not SUPPLY_SHEETS & set(sheets)
    t = res.teams.astype({"year": int})
    gap = (t["capacity"] - t["target"]).abs().groupby([t["team"], t["year"]]).sum()
    got = sheets["Team measures"]
    names = {team.id: team.name or team.id for team in inst.teams}
    assert len(got) == len(gap)
    for rec in got.itertuples(index=False):
        tid = next(k for k, v in names.items() if v == rec[0])
        _shown_as([rec[3]], [gap[(tid, int(rec[1]))]], "capacity")
    assert "<h2>Teams</h2>" in html
    for name in names.values():
        assert f"{name}: mix by region" in html


def test_team_mix_sheet_equals_shares_recomputed_from_the_allocation(teams):
    inst, res, d, _, sheets, html = teams
    got = sheets["Team mix"]
    a = res.allocation.astype({"year": int})
    rname = {r.id: r.name or r.id for r in inst.regions}
    sname = {s.id: s.name or s.id for s in inst.specialties}
    for team in inst.teams:
        tname = team.name or team.id
        year = d.years[-1]
        x = a[(a["year"] == year) & a["specialty"].isin([m.specialty for m in team.members])]
        rows = got[got["Team"] == tname]
        assert len(rows) == len(d.regions)
        for region in d.regions:
            posts = x[x["region"] == region].set_index("specialty")["posts"]
            parts = {m.specialty: m.equivalence * posts[m.specialty] for m in team.members}
            total = sum(parts.values())
            row = rows[rows["Region"] == rname[region]].iloc[0]
            _shown_as([row[V.label("capacity")]], [total], "capacity")
            for m in team.members:
                col = next(c for c in got.columns if c.startswith(f"{sname[m.specialty]} share (%)"))
                _shown_as([row[col]], [100 * parts[m.specialty] / total], "pct", col)
                if m.max_share is not None:
                    assert f"at most {100 * m.max_share:.0f}%" in col
                    assert row[col] <= 100 * m.max_share + 1e-6
    md = markdown(res, d)
    assert "## Teams" in md and "## Trained workforce" not in md


def test_printed_summary_has_the_team_tables(teams):
    _, res, d, *_ = teams
    titles = [t for t, _ in workforce_tables(res, d)]
    assert titles == [
        "Teams: gap and Gini by year",
        "Team mix, final year: each member's share of team capacity (%)",
    ]


# ------------------------------------------------------------------ with neither


def test_a_result_without_pipeline_or_teams_has_no_workforce_sections(plain):
    inst, res, d, out, sheets, html = plain
    assert not (SUPPLY_SHEETS | TEAM_SHEETS) & set(sheets)
    assert not (out / "stock_over_time.png").exists()
    md = markdown(res, d)
    for text in ("Trained workforce", "supply gap", "Teams", NO_STOCK, "fair stock"):
        assert text not in html and text not in md, text
    assert workforce_tables(res, d) == []
    assert "Posts gap and supply gap" not in set(sheets["Summary"].iloc[:, 0].dropna())
