"""One vocabulary (allocator.solution.vocabulary): one display name, unit and definition per
measure, used everywhere a person reads one; docs/measures.md carries the table; no old
synonym survives in the package's user-facing strings; numbers a person reads are rounded to
their unit (the workbook holds no float noise, the terminal prints no bare signed dual)."""

from __future__ import annotations

import ast
import io
import json
import re
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import allocator
from allocator.cli.main import app
from allocator.report import tables, workforce
from allocator.report.summary import binding_text, kpi_text, region_text
from allocator.report.workbook import workbook_bytes
from allocator.report.write import _context
from allocator.solution import result
from allocator.solution import vocabulary as V

from .conftest import ROOT

ENGLAND = ROOT / "instances" / "england-regions-2025.json"
PACKAGE = ROOT / "allocator"

#: Names the package used before the vocabulary, for measures that now have one name each.
OLD_SYNONYMS = (
    "max shortfall pct",
    "worst shortfall %",
    "worst shortfall (%)",
    "worst shortfall of a cell",
    "cell furthest below",
    "worst supply shortfall (%)",
    "region furthest below fair share (% below)",
    "per 100k",
    "after vs fair share",
    "gap left (posts)",
    "worst-off shortfall",
    'gini of supply per 100,000"',
)


# ----------------------------------------------------------------------- the table


def test_every_measure_has_one_name_a_unit_and_a_definition():
    names = [m.name for m in V.MEASURES.values()]
    assert len(set(names)) == len(names), "two measures share a display name"
    labels = [V.label(k) for k in V.MEASURES]
    assert len(set(labels)) == len(labels)
    for m in V.MEASURES.values():
        assert m.unit in V.UNITS, m.id
        assert m.definition.endswith(".") and len(m.definition) <= 110, m.id
    # every measure a result, the equity table or the workforce frames carry is in the table
    kpi = set(result.KPI_COLUMNS + result.SUPPLY_KPI_COLUMNS) - {"year"}
    eq = {"gini", "theil", "between_regions", "within_regions", "max_below_target_pct", "most_below_region"}
    assert kpi | eq <= set(V.MEASURES)
    assert {"supply_gap", "supply_gini", "supply_max_shortfall_pct", "team_gap", "team_gini"} <= set(V.MEASURES)


def test_worst_shortfall_and_region_furthest_below_are_named_apart():
    worst, region, region_pct = V.name("max_shortfall_pct"), V.name("most_below_region"), V.name("max_below_target_pct")
    for a, b in ((worst, region), (worst, region_pct)):
        assert a.lower() not in b.lower() and b.lower() not in a.lower()
    assert "region × specialty" in worst and "all specialties" in region_pct
    assert "worst shortfall" not in region_pct.lower() and "furthest below" not in worst.lower()
    # the report's measures: both shown, under their own names, never one for the other
    assert tables.KPI_NAMES["max_shortfall_pct"] == V.label("max_shortfall_pct")
    assert tables.EQUITY_NAMES["max_below_target_pct"] == V.label("max_below_target_pct")


def test_docs_measures_md_carries_the_current_table():
    text = (ROOT / "docs" / "measures.md").read_text(encoding="utf-8")
    start, end = text.index(V.DOC_START) + len(V.DOC_START), text.index(V.DOC_END)
    assert text[start:end].strip() == V.markdown_table(), (
        "docs/measures.md is stale: paste allocator.solution.vocabulary.markdown_table() between its markers"
    )
    # the rounding the page states is the rounding the vocabulary applies
    said = "percentages to 0.1, a Gini to 0.001, a Theil index to 0.0001, shadow prices to 3 significant"
    assert said in " ".join(text.split())
    digits = {u: V.UNITS[u].digits for u in ("posts", "doctors", "pct", "gini", "theil")}
    assert digits == {"posts": 1, "doctors": 1, "pct": 1, "gini": 3, "theil": 4} and V.UNITS["dual"].sig == 3


def _user_strings(path) -> list[tuple[int, str]]:
    """The string constants of a module (f-string parts included), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


def test_no_old_synonym_survives_in_the_package():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "vocabulary.py":
            continue
        for line, text in _user_strings(path):
            low = text.lower()
            found += [f"{path.relative_to(ROOT)}:{line}: {s!r}" for s in OLD_SYNONYMS if s in low]
            # posts or supply per 100,000 is per head of need-weighted population, said in full
            if re.search(r"(?<!need-)weighted population", low):
                found.append(f"{path.relative_to(ROOT)}:{line}: 'weighted population' without 'need-'")
    assert not found, "old names outside the vocabulary:\n" + "\n".join(found)


def test_the_synonym_scan_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text('"""Docstring: max shortfall pct is fine here."""\nX = {"a": "Worst shortfall of a cell"}\n')
    assert [t for _, t in _user_strings(bad)] == ["a", "Worst shortfall of a cell"]


# ----------------------------------------------------------------------- rounding


def test_rounding_and_formatting_by_unit():
    assert V.rounded("posts", 3.55e-15) == 0.0 and str(V.rounded("posts", -0.04)) == "0.0"
    assert V.rounded("gini", 0.123456) == 0.123 and V.rounded("pct", 12.345678) == 12.3
    assert V.rounded("dual", -9.400000001) == -9.4 and V.rounded("dual", 0.83333) == 0.833
    assert V.rounded("dual", 1e-12) == 0.0
    assert V.rounded(None, 1.23456) == 1.23456 and V.rounded("posts", "text") == "text"
    assert V.fmt("cost", 1221.291) == "1,221.3" and V.fmt("gap_posts", 1221.291) == "1,221.3"
    assert V.fmt("gini", 0.09177) == "0.092" and V.fmt("pct", 5, sign=True) == "+5.0"
    assert V.fmt("posts", -1e-12, sign=True) == "0.0" and V.fmt("posts", float("nan")) == ""
    assert V.fmt("dual", 1234.5) == "1,230" and V.fmt("dual", 0.0029912) == "0.00299"
    # a relaxation is rounded up (rounded down it would not be enough), float noise aside
    assert V.rounded("relax_by", 15.34) == 15.4 and V.rounded("relax_by", 15.899999999999999) == 15.9
    assert V.unit_of("Relax by") == V.unit_of("relax_by") == "relax"


def test_a_shadow_price_is_said_with_its_meaning():
    # the objective is minimised; dual = change per unit increase of the bound
    assert V.dual_text("region_net_loss", -9.4000001) == "9.4 per post raised"
    assert V.dual_text("national_total", 2.99) == "2.99 per post lowered"
    assert V.dual_text("budget", -0.0031234) == "0.00312 per unit of budget raised"
    assert V.dual_text("capacity", 0.0) == "0 per post"


def test_unit_of_a_header():
    assert V.unit_of(V.label("gini", "baseline unchanged")) == "gini"
    assert V.unit_of(f"{V.name('per_100k')}, 2030") == "per_100k"
    assert V.unit_of("Change by 2030 (%)") == "pct" and V.unit_of("Posts 2030") == "posts"
    assert V.unit_of(V.label("dual")) == "dual" and V.unit_of(V.label("theil")) == "theil"
    assert V.unit_of("Year") is None and V.unit_of("Region id") is None


# ----------------------------------------------------------------------- where people read


@pytest.fixture(scope="module")
def england():
    return allocator.load_instance(ENGLAND)


@pytest.fixture(scope="module")
def solved(england):
    res = allocator.solve(england, ROOT / "models" / "equity-first.toml")
    assert res.status == "optimal"
    return allocator.Result.from_dict(json.loads(res.to_json()))


def _decimals(v: float) -> int:
    return max(0, -Decimal(repr(float(v))).as_tuple().exponent)


def _significant(v: float) -> int:
    return len(Decimal(repr(abs(float(v)))).normalize().as_tuple().digits)


def _tables(ws) -> list[tuple[int, list]]:
    """(header row, headers) of each table of a sheet: row 1, and a row of bold white text on
    the header fill further down (the Summary's headline measures, the Measures' equity table)."""
    out = [(1, [c.value for c in ws[1]])]
    for row in ws.iter_rows(min_row=2):
        first = row[0]
        if first.font is not None and first.font.bold and first.fill.fgColor.rgb in ("00005EB8", "FF005EB8"):
            out.append((first.row, [c.value for c in row]))
    return out


def _check_sheet(ws) -> list[str]:
    """Every number of a sheet: no float noise, no more decimals than its unit allows."""
    bad = []
    heads = _tables(ws)
    for row in ws.iter_rows():
        for cell in row:
            v = cell.value
            if not isinstance(v, float):
                continue
            if 0 < abs(v) < V.TINY:
                bad.append(f"{ws.title}!{cell.coordinate}: {v!r} is float noise")
            above = [h for r, h in heads if r < cell.row]
            header = above[-1][cell.column - 1] if above else None
            # a table whose rows are measures (the Summary's items, its headline measures)
            if header in ("Value", "Change") or (header and str(header).startswith(("Baseline", "20"))):
                header = ws.cell(row=cell.row, column=1).value
            unit = V.unit_of(str(header)) if header is not None else None
            if unit is None:
                bad.append(f"{ws.title}!{cell.coordinate}: {v!r} under {header!r}, a column of no measure")
                continue
            u = V.UNITS[unit]
            if u.digits is not None and _decimals(v) > u.digits:
                bad.append(f"{ws.title}!{cell.coordinate}: {v!r} under {header!r} ({unit}: {u.digits} decimals)")
            if u.digits is None and _significant(v) > u.sig:
                bad.append(f"{ws.title}!{cell.coordinate}: {v!r} under {header!r} ({unit}: {u.sig} figures)")
    return bad


def test_workbook_of_england_holds_numbers_rounded_to_their_unit(solved, england):
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(_context(solved, england))))
    bad = [b for ws in book.worksheets for b in _check_sheet(ws)]
    assert not bad, "\n".join(bad[:20])
    assert len(book["Binding"]["E"]) > 5  # shadow prices were checked too
    # and the sheets are the measures themselves, not something else rounded
    k = solved.kpis.iloc[-1]
    measures = pd.read_excel(io.BytesIO(workbook_bytes(_context(solved, england))), sheet_name="Measures", nrows=6)
    assert measures[V.label("gini")].iloc[-1] == round(k.gini, 3)
    assert measures[V.label("max_shortfall_pct")].iloc[-1] == round(k.max_shortfall_pct, 1)


def test_whole_post_workbook_holds_rounded_numbers(england):
    res = allocator.solve(england, round_posts=True)
    assert res.status == "feasible" and res.mip_gap is not None
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(_context(res, england))))
    bad = [b for ws in book.worksheets for b in _check_sheet(ws)]
    assert not bad, "\n".join(bad[:20])
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)}
    assert summary[V.label("mip_gap_pct")] == V.rounded("gap_pct", 100 * res.mip_gap)


@pytest.mark.parametrize(
    "instance, model",
    [("england-pipeline-2025.json", "future-supply.toml"), ("england-teams-2025.json", "team-mix.toml")],
)
def test_workforce_workbooks_hold_rounded_numbers(instance, model):
    inst = allocator.load_instance(ROOT / "instances" / instance)
    res = allocator.solve(inst, ROOT / "models" / model)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(_context(res, inst))))
    assert {"Supply measures", "Team measures"} & set(book.sheetnames)
    bad = [b for ws in book.worksheets for b in _check_sheet(ws)]
    assert not bad, "\n".join(bad[:20])


def test_the_workbook_check_catches_noise(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Region", V.label("gini"), V.label("gap_posts")])
    ws.append(["a", 0.1234, 3.55e-15])
    assert len(_check_sheet(ws)) == 3  # too many decimals; noise, which is also too many decimals


def test_printed_summary_names_measures_and_says_what_duals_mean(monkeypatch):
    from allocator.cli.console import console

    monkeypatch.setattr(console, "width", 400)  # each header on one line, to find it whole
    r = CliRunner().invoke(app, ["solve", str(ENGLAND)])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    for mid in ("gap_posts", "gap_closed_pct", "max_shortfall_pct", "per_100k_fair_share"):
        assert V.label(mid) in flat, mid
    assert "9.4 per post raised" in flat  # London's 2026 net-loss limit
    # no bare signed number with four decimals (the old dual column printed -9.4000)
    assert not re.search(r"(?<![\w.,])[-+−]\d[\d,]*\.\d{4}\b", r.output), r.output


def test_summary_frames_are_text_by_unit(solved, england):
    d = allocator.problem_data(england)
    k = kpi_text(solved)
    assert list(k.columns) == ["Year"] + [V.label(c) for c in result.KPI_COLUMNS[1:]]
    assert all(re.fullmatch(r"0\.\d{3}", g) for g in k[V.label("gini")])
    regions = region_text(solved, d)
    assert V.label("per_100k_fair_share") in regions.columns
    b = binding_text(solved, 5)
    assert b.columns[-1] == V.DUAL_HEADER
    assert all(re.fullmatch(r"[\d.,]+ per [a-z ]+ (raised|lowered)", s) for s in b[V.DUAL_HEADER])


def test_readable_workforce_and_equity_names_come_from_the_vocabulary():
    assert workforce.SUPPLY_MEASURE_NAMES["supply_max_shortfall_pct"] == V.label("supply_max_shortfall_pct")
    assert workforce.TEAM_MEASURE_NAMES["team_gini"] == V.label("team_gini")


@pytest.mark.slow
def test_sweep_prints_its_measures_by_their_names(tmp_path, monkeypatch):
    from allocator.cli.console import console

    monkeypatch.setattr(console, "width", 400)
    grid = tmp_path / "g.toml"
    grid.write_text("[grid]\nmoves = [0.01, 1]\n")
    toy = ROOT / "instances" / "toy" / "toy-3x2.json"
    r = CliRunner().invoke(app, ["sweep", str(toy), "--grid", str(grid), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    for mid in ("gap_closed_pct", "max_shortfall_pct", "gini", "posts_moved"):
        assert V.label(mid) in r.output, mid
    assert "max shortfall pct" not in r.output and "gap closed pct" not in r.output
