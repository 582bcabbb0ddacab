"""The real England instances: rebuilt from the vendored sources, byte for byte, and sane."""

from __future__ import annotations

import csv
import importlib
import json
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
SOURCES = INSTANCES / "sources"
# the three posts instances (one per geography), then the pipeline (§10) and teams (§11) ones
POSTS = ["england-regions-2025", "england-training-regions-2025", "england-icb-2025"]
# the need-based posts instances (schema v3, docs/model.md §3b)
NEED = ["england-regions-need-2025", "england-training-regions-need-2025", "england-icb-need-2025"]
NEED_ALL = [*NEED, "england-pipeline-need-2025"]  # and the pipeline instance with need
NAMES = [*POSTS, "england-pipeline-2025", "england-teams-2025", *NEED_ALL]
SIZES = {
    "england-regions-need-2025": 7,
    "england-training-regions-need-2025": 11,
    "england-icb-need-2025": 42,
    "england-pipeline-need-2025": 7,
    "england-regions-2025": 7,
    "england-training-regions-2025": 11,
    "england-icb-2025": 42,
    "england-pipeline-2025": 7,
    "england-teams-2025": 7,
}


def _load_build():
    """The build package ``instances/build/`` (``python -m instances.build``), imported from the
    repository root whatever the working directory."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("instances.build")


build = _load_build()


def _instance(name: str) -> dict:
    return json.loads((INSTANCES / f"{name}.json").read_text(encoding="utf-8"))


def _column_sums(inst: dict) -> dict[str, int]:
    sums: dict[str, int] = {}
    for b in inst["baseline_posts"]:
        sums[b["specialty"]] = sums.get(b["specialty"], 0) + b["posts"]
    return sums


# --------------------------------------------------------------------------- rebuild


def test_rebuild_is_byte_identical(tmp_path):
    written = build.build_all(tmp_path, SOURCES)
    assert sorted(p.name for p in written) == sorted(f"{n}.json" for n in NAMES)
    for name in NAMES:
        built = (tmp_path / f"{name}.json").read_bytes()
        committed = (INSTANCES / f"{name}.json").read_bytes()
        assert built == committed, f"{name}.json is stale: run python -m instances.build"
        assert built.endswith(b"}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.json" for n in NAMES)


def test_command_line(tmp_path):
    assert build.main(["--out", str(tmp_path), "--sources", str(SOURCES)]) == 0
    assert (tmp_path / "england-icb-2025.json").read_bytes() == (INSTANCES / "england-icb-2025.json").read_bytes()


# --------------------------------------------------------------------------- sanity


@pytest.mark.parametrize("name", [*POSTS, "england-pipeline-2025"])
def test_instance_is_sane(name):
    inst = _instance(name)
    assert inst["schema_version"] == 2  # shrink_allowance (v2): instances/README.md
    assert inst["name"] == name
    assert len(inst["regions"]) == SIZES[name]
    years = [inst["baseline_year"], *inst["years"]]
    assert years == sorted(set(years))
    for r in inst["regions"]:
        assert r["population"] > 0, r
        assert 0.8 < r["need_index"] < 1.25, r
    pop = sum(r["population"] for r in inst["regions"])
    assert pop == 57_106_398  # all of England, ONS mid-2022, in every geography
    specialties = [s["id"] for s in inst["specialties"]]
    assert 10 <= len(specialties) <= 17
    # every cell is listed once, and no post is negative
    cells = {(b["region"], b["specialty"]) for b in inst["baseline_posts"]}
    assert len(cells) == len(inst["baseline_posts"]) == len(inst["regions"]) * len(specialties)
    assert all(isinstance(b["posts"], int) and b["posts"] >= 0 for b in inst["baseline_posts"])
    base = {(b["region"], b["specialty"]): b["posts"] for b in inst["baseline_posts"]}
    for c in inst["capacity"]:
        assert c["min_posts"] <= base[(c["region"], c["specialty"])] <= c["max_posts"], c
    assert "national_posts" not in inst  # national totals = baseline column sums, every year


def test_column_sums_equal_national_totals():
    """Every specialty sums to the same national total in every geography."""
    sums = [_column_sums(_instance(n)) for n in POSTS + ["england-pipeline-2025"]]
    assert sums[0] == sums[1] == sums[2] == sums[3]
    src = build.read_sources(SOURCES)
    national = build.england_national_posts(src, build.select_specialties(src))
    assert sums[0] == national
    assert national["paediatrics"] == 412  # published England total, 2024 round (HL7483)


def test_paediatrics_baseline_is_the_published_one():
    inst = _instance("england-training-regions-2025")
    names = {r["id"]: r["name"] for r in inst["regions"]}
    got = {names[b["region"]]: b["posts"] for b in inst["baseline_posts"] if b["specialty"] == "paediatrics"}
    with (SOURCES / "posts/regional/regional_training_posts.csv").open(newline="") as fh:
        want = {
            r["region"]: int(r["posts"])
            for r in csv.DictReader(fh)
            if r["specialty"] == "Paediatrics" and r["level"] == "ST1" and r["round_year"] == "2024"
        }
    assert got == want


def test_geographies_nest():
    """The ICB baseline sums to the regions' and to the local offices' baselines."""
    src = build.read_sources(SOURCES)
    office_id = {name: oid for oid, name in build.LOCAL_OFFICES}
    region_id = {name: rid for rid, name in build.NHS_REGIONS}
    icb = _instance("england-icb-2025")
    for other, key in (
        ("england-regions-2025", {a.id: region_id[a.region] for a in src.icbs}),
        ("england-training-regions-2025", {a.id: office_id[a.office] for a in src.icbs}),
    ):
        agg: dict[tuple[str, str], int] = {}
        for b in icb["baseline_posts"]:
            k = (key[b["region"]], b["specialty"])
            agg[k] = agg.get(k, 0) + b["posts"]
        want = {(b["region"], b["specialty"]): b["posts"] for b in _instance(other)["baseline_posts"]}
        assert agg == want, other
        pops: dict[str, int] = {}
        for r in icb["regions"]:
            pops[key[r["id"]]] = pops.get(key[r["id"]], 0) + r["population"]
        assert pops == {r["id"]: r["population"] for r in _instance(other)["regions"]}


@pytest.mark.parametrize("name", NAMES)
def test_sources_are_complete(name):
    inst = _instance(name)
    required = ("id", "table", "publisher", "year", "licence", "kind", "used_for")
    ids = [s["id"] for s in inst["sources"]]
    assert len(ids) == len(set(ids))
    for s in inst["sources"]:
        for field in required:
            assert isinstance(s[field], str) and s[field], (s["id"], field)
        assert s["kind"] in ("published", "estimated")
        if s["kind"] == "estimated":
            assert s.get("note"), s["id"]  # an estimate states its rule
        if "path" in s:
            assert (ROOT / s["path"]).is_file(), s["path"]
            assert s["path"].startswith("instances/sources/")
    kinds = {s["id"]: s["kind"] for s in inst["sources"]}
    for sid in ("est-national-posts", "est-baseline", "est-capacity", "est-transition"):
        assert kinds[sid] == "estimated"
    for sid in ("ons-mid2022", "nhse-need-2025-26", "hl7483-paediatrics-st1"):
        assert kinds[sid] == "published"


def test_vendored_folders_keep_their_provenance():
    for folder in ("population", "need", "posts", "posts/regional", "population_projections", "rurality"):
        assert (SOURCES / folder / "PROVENANCE.md").is_file()
        assert "vendored" in (SOURCES / folder / "VENDORED.md").read_text().lower()
    for rel in build.FILES.values():
        assert (SOURCES / rel).is_file(), rel
    assert not list(SOURCES.rglob("*.geojson"))
    assert not list(SOURCES.rglob("*.xls"))  # the 2.8 MB ONS workbook is not vendored


def test_build_reads_nothing_outside_the_vendored_sources():
    modules = sorted((INSTANCES / "build").glob("*.py"))
    assert len(modules) >= 10  # one module per source, plus the rules
    for path in modules:
        text = path.read_text(encoding="utf-8")
        assert "/work/shared" not in text and "shared/data" not in text and "../shared" not in text, path


def test_python_dash_m_runs_the_package(tmp_path):
    """``python -m instances.build`` (what ``make instances`` runs) rebuilds the same files."""
    run = subprocess.run(
        [sys.executable, "-m", "instances.build", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "england-regions-2025.json").read_bytes() == (
        INSTANCES / "england-regions-2025.json"
    ).read_bytes()
    assert "instances.build" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_largest_remainder():
    quotas = {"a": Fraction(7, 3), "b": Fraction(7, 3), "c": Fraction(7, 3)}
    assert build.largest_remainder(quotas, 7) == {"a": 3, "b": 2, "c": 2}
    assert build.largest_remainder({"a": Fraction(5), "b": Fraction(0)}, 5) == {"a": 5, "b": 0}
    with pytest.raises(ValueError):
        build.largest_remainder({"a": Fraction(1, 2)}, 1)


def test_capacity_rule():
    assert build.capacity_bounds(0) == (0, 5)
    assert build.capacity_bounds(10) == (6, 20)
    assert build.capacity_bounds(3) == (1, 10)


# --------------------------------------------------------------------------- failures


def _copy_sources(tmp_path: Path) -> Path:
    dst = tmp_path / "sources"
    shutil.copytree(SOURCES, dst)
    return dst


def test_missing_source_file_fails_clearly_and_writes_nothing(tmp_path):
    sources = _copy_sources(tmp_path)
    (sources / build.FILES["need_icb"]).unlink()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(build.BuildError) as err:
        build.build_all(out, sources)
    msg = str(err.value)
    assert "icb_weighted_population_2022_23_to_2025_26.csv" in msg
    assert "missing source file" in msg
    assert list(out.iterdir()) == []


def test_missing_source_on_the_command_line(tmp_path, capsys):
    sources = _copy_sources(tmp_path)
    (sources / build.FILES["posts_regional"]).unlink()
    out = tmp_path / "out"
    assert build.main(["--out", str(out), "--sources", str(sources)]) == 2
    err = capsys.readouterr().err
    assert "regional_training_posts.csv: missing source file" in err
    assert "Nothing was written" in err
    assert not out.exists() or list(out.iterdir()) == []


def _edit_csv(path: Path, match: dict[str, str], column: str, value: str) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    hits = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(hits) == 1
    hits[0][column] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize(
    ("key", "match", "column", "value", "expected"),
    [
        (
            "ons_region",
            {"year": "2022", "nhser_name": "London", "age_band": "0-4"},
            "persons",
            "1",
            "female + male = persons",
        ),
        (
            "ons_icb",
            {"year": "2022", "icb_code": "E54000027", "age_band": "0-4"},
            "female",
            "0",
            "female + male = persons",
        ),
        (
            "posts_regional",
            {"region": "London", "specialty": "Paediatrics", "level": "ST1", "round_year": "2024"},
            "posts",
            "108",
            "sum to the stated England total 412",
        ),
        (
            "posts_national",
            {"year": "2024", "specialty": "Paediatrics ST1"},
            "posts",
            "480",
            "2024 posts total = 9,331",
        ),
        (
            "need_icb",
            {"allocation_year": "2025/26", "icb_ods_code": "QHM"},
            "wp_final_core",
            "1",
            "sum of wp_final_core = sum of population",
        ),
        (
            "need_icb",
            {"allocation_year": "2025/26", "icb_ods_code": "QHM"},
            "wp_mental_health",
            "1",
            "sum of wp_mental_health = sum of population",
        ),
        (
            "need_region",
            {"allocation_year": "2025/26", "region_name": "London"},
            "wp_health_inequalities",
            "1",
            "sum of wp_health_inequalities = sum of population",
        ),
        (
            "rurality_icb",
            {"icb24_code_nhs": "QT6"},
            "usual_residents_census2021",
            "1",
            "England usual residents = 56,490,108",
        ),
        (
            "rurality_icb",
            {"icb24_code_nhs": "QT6"},
            "pct_residents_rural_lsoa",
            "44.8",
            "the four rural classes sum to the rural share",
        ),
    ],
)
def test_totals_that_do_not_match_fail(tmp_path, key, match, column, value, expected):
    sources = _copy_sources(tmp_path)
    _edit_csv(sources / build.FILES[key], match, column, value)
    out = tmp_path / "out"
    with pytest.raises(build.BuildError) as err:
        build.build_all(out, sources)
    msg = str(err.value)
    assert Path(build.FILES[key]).name in msg
    assert "check failed" in msg and expected in msg
    assert not out.exists()


def test_a_consistent_edit_of_ons_totals_is_caught(tmp_path):
    """Changing persons and female together keeps the row sum but breaks the England total."""
    sources = _copy_sources(tmp_path)
    path = sources / build.FILES["ons_region"]
    match = {"year": "2022", "nhser_name": "London", "age_band": "0-4"}
    with path.open(newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if all(r[k] == v for k, v in match.items()))
    _edit_csv(path, match, "female", str(int(row["female"]) + 1))
    _edit_csv(path, match, "persons", str(int(row["persons"]) + 1))
    with pytest.raises(build.BuildError, match="England mid-2022 total = 57,106,398"):
        build.build_all(tmp_path / "out", sources)


# --------------------------------------------------------------------------- the loader


@pytest.mark.parametrize("name", NAMES)
def test_loads_through_the_project_loader(name):
    instance = pytest.importorskip("allocator.io.instance")
    inst = instance.load_instance(INSTANCES / f"{name}.json")
    assert len(inst.regions) == SIZES[name]
    assert {s.id for s in inst.sources} >= {"ons-mid2022", "est-baseline"}


# --------------------------------------------------------------------------- projections (ONS 2022-based)


def _population(name: str) -> dict[tuple[str, int], int]:
    return {(p["region"], p["year"]): p["population"] for p in _instance(name)["population_by_year"]}


def test_population_by_year_is_the_ons_projection():
    """Spot values stated in population_projections/PROVENANCE.md (whole persons)."""
    src = build.read_sources(SOURCES)
    london = next(a for a in src.regions if a.id == "london")
    assert build.round_half_up(london.projection[2025][0]) == 9_274_951
    pipeline = _population("england-pipeline-2025")
    assert pipeline[("london", 2035)] == 9_583_875
    assert pipeline[("south-east", 2035)] == 9_785_942
    assert pipeline[("midlands", 2035)] == 11_782_573
    # the regions instance has the same published rows for its planning years
    regions = _population("england-regions-2025")
    assert regions == {k: v for k, v in pipeline.items() if k[1] <= 2030}
    # England 2030 (PROVENANCE: 60,202,256) within rounding of the 7 published region rows
    assert abs(sum(v for (_, y), v in regions.items() if y == 2030) - 60_202_256) <= 7


@pytest.mark.parametrize("name", POSTS)
def test_every_planning_year_has_a_population_and_age_weights(name):
    inst = _instance(name)
    years = inst["years"]
    assert years == [2026, 2027, 2028, 2029, 2030]
    assert set(_population(name)) == {(r["id"], y) for r in inst["regions"] for y in years}
    assert sum(r["population"] for r in inst["regions"]) == 57_106_398  # the base: ONS mid-2022
    weights = {(w["region"], w["specialty"], w.get("year")): w["weight"] for w in inst["need_weights"]}
    for spec in ("paediatrics", "obstetrics-gynaecology"):
        for r in inst["regions"]:
            assert {y for (rr, s, y) in weights if rr == r["id"] and s == spec} == {None, *years}
    # the weights follow the projected age structure: London's children share rises 2026 → 2030
    if name == "england-regions-2025":
        assert weights[("london", "paediatrics", 2026)] < weights[("london", "paediatrics", 2030)]
    assert all(y is None for (_, s, y) in weights if s == "general-practice")


def test_geographies_nest_in_projections():
    """ICB projections summed to regions match the published region rows within rounding."""
    src = build.read_sources(SOURCES)
    icb = _population("england-icb-2025")
    regions = _population("england-regions-2025")
    region_id = {name: rid for rid, name in build.NHS_REGIONS}
    agg: dict[tuple[str, int], int] = {}
    for a in src.icbs:
        for y in range(2026, 2031):
            k = (region_id[a.region], y)
            agg[k] = agg.get(k, 0) + icb[(a.id, y)]
    assert agg.keys() == regions.keys()
    assert all(abs(agg[k] - regions[k]) <= 30 for k in agg)  # whole-person rounding of up to 11 ICBs


# --------------------------------------------------------------------------- pipeline and teams


def _mean(kernel: dict) -> float:
    return sum(d * q for d, q in zip(kernel["delay_years"], kernel["delay_shares"], strict=True))


def test_pipeline_instance():
    inst = _instance("england-pipeline-2025")
    p = inst["pipeline"]
    assert p["horizon_year"] == 2040
    assert p["assess_years"] == [2035, 2040]
    assert "stock" not in p  # no stock by region and specialty is vendored: S0 = 0
    assert "stock" in inst["description"]
    regions = _instance("england-regions-2025")
    for key in ("baseline_posts", "capacity", "transition", "years", "baseline_year", "regions"):
        assert inst[key] == regions[key], key
    years = range(2026, 2041)
    assert set(_population("england-pipeline-2025")) == {(r["id"], y) for r in inst["regions"] for y in years}
    paeds = {w.get("year") for w in inst["need_weights"] if w["specialty"] == "paediatrics" and w["region"] == "london"}
    assert paeds == {None, *years}
    lengths = {s["id"]: s["programme_years"] for s in inst["specialties"]}
    specs = {s["specialty"]: s for s in p["specialties"]}
    assert specs.keys() == lengths.keys()
    for sid, s in specs.items():
        assert s["settle_rate"] == 0.8  # NHS England 2023: about 80 % within 50 miles
        assert abs(sum(s["delay_shares"]) - 1) < 1e-9
        assert min(s["delay_years"]) == lengths[sid]
        if lengths[sid] == 5:
            assert _mean(s) == pytest.approx(5.5)  # GMC 2017
        if lengths[sid] == 7:
            assert _mean(s) == pytest.approx(9.0)  # GMC 2017
            assert s["delay_years"] == [7, 8, 9, 10, 11]
    gp = specs["general-practice"]
    assert gp["join_rate"] == 0.62  # Palmer et al. 2025: 62 % within two years
    assert gp["delay_years"] == [3, 4, 5]
    assert gp["delay_shares"] == [0.379, 0.5, 0.121]  # {3, 4} half each, then 47/62 lag 0, 15/62 lag 1
    assert {(f["region"], f["specialty"]) for f in p["fill_rate"]} == {
        (b["region"], b["specialty"]) for b in inst["baseline_posts"]
    }


def test_teams_instance():
    inst = _instance("england-teams-2025")
    prof = {s["id"]: s.get("profession", "medicine") for s in inst["specialties"]}
    assert sorted(v for v in prof.values() if v != "medicine") == ["acp", "pharmacist", "scp"]
    sums = _column_sums(inst)
    ranged = {n["specialty"] for n in inst["national_posts"]}
    assert ranged == {s for s, v in prof.items() if v != "medicine"}
    for n in inst["national_posts"]:
        assert "posts" not in n and n["min_posts"] <= sums[n["specialty"]] <= n["max_posts"]
    medical = {s: n for s, n in sums.items() if prof[s] == "medicine"}
    assert medical == _column_sums(_instance("england-regions-2025"))
    cost = {(c["region"], c["specialty"]): c["cost"] for c in inst["cost_per_post"]}
    base = {(b["region"], b["specialty"]): b["posts"] for b in inst["baseline_posts"]}
    assert cost.keys() == base.keys()
    base_cost = sum(cost[k] * b for k, b in base.items())
    amounts = [b["amount"] for b in inst["budget"]]
    assert [b["year"] for b in inst["budget"]] == inst["years"]
    assert base_cost <= amounts[0] and amounts == sorted(amounts)
    teams = {t["id"]: t for t in inst["teams"]}
    assert set(teams) == {"primary-care", "surgical"}
    for t in teams.values():
        for m in t["members"]:
            # substitution is capped: a non-medical member always has a max_share below 1
            assert (prof[m["specialty"]] == "medicine") == ("max_share" not in m), m
            assert m.get("max_share", 0) < 1
    assert {m["specialty"] for m in teams["primary-care"]["members"]} == {
        "general-practice",
        "acp-primary-care",
        "pharmacist-primary-care",
    }
    assert {m["specialty"] for m in teams["surgical"]["members"]} == {"core-surgery", "surgical-care-practitioner"}


# every field of the v2 blocks that carries a number, and the source kind it must have
PARAMETERS = {
    "england-pipeline-2025": {
        "programme_years": "estimated",
        "completion_rate": "estimated",
        "delay_years": "estimated",
        "settle_rate": "published",
        "join_rate": "estimated",
        "leave_rate": "estimated",
        "fill_rate": "estimated",
        "stock": "estimated",
        "horizon_year": "estimated",
        "population_by_year": "published",
    },
    "england-teams-2025": {
        "national_posts": "estimated",
        "cost_per_post": "estimated",
        "budget": "estimated",
        "teams": "estimated",
        "population_by_year": "published",
    },
}


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_every_parameter_has_a_source_entry(name):
    inst = _instance(name)
    for field, kind in PARAMETERS[name].items():
        hits = [s for s in inst["sources"] if field in s["used_for"] and s["kind"] == kind]
        assert hits, (field, kind)
        for s in hits:
            if kind == "estimated":
                assert s["note"] and s["publisher"].startswith("this project"), s["id"]
    if name == "england-pipeline-2025":
        ids = {s["id"]: s["kind"] for s in inst["sources"]}
        for sid in ("gmc-training-pathways-2017", "nhse-settle-2023", "palmer-2025-gp-joiners", "ons-snpp2022"):
            assert ids[sid] == "published"


# --------------------------------------------------------------------------- need-based instances (§3b)


def _need_rows(key: str) -> list[dict[str, str]]:
    with (SOURCES / build.FILES[key]).open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r.get("allocation_year", "2025/26") == "2025/26"]


def _index(rows: list[dict[str, str]], key: str, column: str) -> dict[str, float]:
    """A component index straight from the vendored CSV: (wp ÷ population) ÷ England's."""
    total = sum(float(r[column]) for r in rows) / sum(float(r["population"]) for r in rows)
    return {r[key]: float(r[column]) / float(r["population"]) / total for r in rows}


def _factors(name: str) -> dict[str, dict]:
    return {f["id"]: f for f in _instance(name)["need"]["factors"]}


def test_rurality_missing_row_fails_clearly(tmp_path):
    sources = _copy_sources(tmp_path)
    path = sources / build.FILES["rurality_icb"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if ",QT6," not in line), encoding="utf-8")
    with pytest.raises(build.BuildError, match="the 42 ICBs of the NHS England need file") as err:
        build.build_all(tmp_path / "out", sources)
    assert "rurality_icb24_england.csv" in str(err.value) and "QT6" in str(err.value)


def test_missing_rurality_file_fails_clearly(tmp_path):
    sources = _copy_sources(tmp_path)
    (sources / build.FILES["rurality_icb"]).unlink()
    with pytest.raises(build.BuildError, match="rurality_icb24_england.csv: missing source file"):
        build.build_all(tmp_path / "out", sources)


def test_every_component_and_area_is_read():
    """Every ICB and region has every component index (> 0) and a rural share in [0, 1]; the
    components are those of the need file, and the rural shares those of the ONS table."""
    src = build.read_sources(SOURCES)
    icb_rows = _need_rows("need_icb")
    for area in [*src.icbs, *src.regions, *build.local_office_areas(src)]:
        assert set(area.components) == set(build.need.COMPONENTS), area.id
        assert all(v > 0 for v in area.components.values()), area.id
        assert 0 <= area.rural_share <= 1 and area.residents_2021 > 0, area.id
    mh = _index(icb_rows, "icb_ods_code", "wp_mental_health")
    assert {a.id: float(a.components["mental_health"]) for a in src.icbs} == pytest.approx(mh, abs=1e-12)
    with (SOURCES / build.FILES["rurality_icb"]).open(newline="") as fh:
        rural = {r["icb24_code_nhs"]: float(r["pct_residents_rural_lsoa"]) / 100 for r in csv.DictReader(fh)}
    assert {a.id: float(a.rural_share) for a in src.icbs} == pytest.approx(rural, abs=1e-12)
    assert {a.id: float(a.rural_share) for a in src.regions}["london"] == 0  # five London ICBs at 0 %


@pytest.mark.parametrize("name", NEED_ALL)
def test_need_instance_is_its_single_index_instance_plus_need(name):
    inst = _instance(name)
    single = _instance(name.replace("-need", ""))
    assert inst["schema_version"] == 3
    assert inst["name"] == name and len(inst["regions"]) == SIZES[name]
    for key in ("baseline_year", "years", "regions", "specialties", "baseline_posts", "population_by_year"):
        assert inst[key] == single[key], key
    assert inst["capacity"] == single["capacity"] and inst["transition"] == single["transition"]
    assert inst.get("pipeline") == single.get("pipeline")
    assert "need" not in single and single["schema_version"] == 2


@pytest.mark.parametrize("name", NEED_ALL)
def test_need_factors_order_blends_and_sources(name):
    inst = _instance(name)
    factors = inst["need"]["factors"]
    assert [f["id"] for f in factors] == ["need_index", "programme_need", "need_weights", "deprivation", "rurality"]
    assert [f["blend"] for f in factors] == [0.0, 1.0, 1.0, 0.2, 0.0]  # deprivation: NHS England's 20 %
    kinds = {s["id"]: s["kind"] for s in inst["sources"]}
    regions = {r["id"] for r in inst["regions"]}
    for f in factors:
        if f["id"] in ("need_index", "need_weights"):
            assert set(f) == {"id", "blend"}  # built-ins: placed and blended only
            continue
        assert kinds[f["source"]] == "published", f["id"]
        assert all(v["value"] > 0 for v in f["values"])
        assert {v["region"] for v in f["values"]} == regions  # every region (every ICB) present
    assert kinds["hee-deprivation-20pc"] == "published" and kinds["est-need-factors"] == "estimated"
    programme = _factors(name)["programme_need"]
    assert sorted(programme["specialties"]) == sorted(
        s for s, (c, _) in build.needfactors.PROGRAMME_COMPONENT.items() if c is not None
    )
    assert {(v["region"], v["specialty"]) for v in programme["values"]} == {
        (r, s) for r in regions for s in programme["specialties"]
    }


def test_need_values_are_the_published_components():
    """Programme need and deprivation of the ICB instance, straight from the vendored CSV; the
    rurality of Cornwall and London; the regions' values from the regional file."""
    rows = _need_rows("need_icb")
    factors = _factors("england-icb-need-2025")
    got = {(v["region"], v["specialty"]): v["value"] for v in factors["programme_need"]["values"]}
    for specialty, column in (
        ("core-psychiatry", "wp_mental_health"),
        ("obstetrics-gynaecology", "wp_maternity"),
        ("general-practice", "wp_primary_medical_care"),
        ("internal-medicine", "wp_general_acute"),
    ):
        want = _index(rows, "icb_ods_code", column)
        assert {r: got[(r, specialty)] for r in want} == pytest.approx(want, abs=5e-5), specialty
    hi = _index(rows, "icb_ods_code", "wp_health_inequalities")
    assert {v["region"]: v["value"] for v in factors["deprivation"]["values"]} == pytest.approx(hi, abs=5e-5)
    rural = {v["region"]: v["value"] for v in factors["rurality"]["values"]}
    assert round(rural["QT6"], 3) == 1.548  # Cornwall and the Isles of Scilly: 54.8 % rural (54.81)
    assert min(rural.values()) == 1.0
    regions = _factors("england-regions-need-2025")
    reg_hi = _index(_need_rows("need_region"), "region_name", "wp_health_inequalities")
    names = {r["id"]: r["name"] for r in _instance("england-regions-need-2025")["regions"]}
    assert {names[v["region"]]: v["value"] for v in regions["deprivation"]["values"]} == pytest.approx(reg_hi, abs=5e-5)


@pytest.mark.parametrize("name", NEED_ALL)
def test_need_age_weights_come_from_the_projections(name):
    """need_weights: paediatrics as in the single-index instance; obstetrics the change since
    2025 (1 without a year); general practice has none (its component replaces its weight)."""
    inst, single = _instance(name), _instance(name.replace("-need", ""))

    def weights(i, spec):
        return {(w["region"], w.get("year")): w["weight"] for w in i["need_weights"] if w["specialty"] == spec}

    assert weights(inst, "paediatrics") == weights(single, "paediatrics")
    assert not weights(inst, "general-practice")
    obs = weights(inst, "obstetrics-gynaecology")
    assert {w for (_, y), w in obs.items() if y is None} == {1.0}
    src = build.read_sources(SOURCES)
    areas = {"england-icb-need-2025": src.icbs, "england-training-regions-need-2025": None}.get(name, src.regions)
    if areas is None:
        areas = build.local_office_areas(src)
    area = areas[0]
    want = build.need_weight("women", area, areas, 2030) / build.need_weight("women", area, areas, 2025)
    assert obs[(area.id, 2030)] == round(float(want), 4)


def test_fair_shares_by_hand():
    """fair_shares (docs/model.md §3b) on two regions and one specialty, worked by hand.

    populations 100 and 300, national total 40. Factor a (blend 1): 2 and 1; its population-
    weighted mean is (200 + 300)/400 = 1.25, so F̂ = 1.6 and 0.8. Factor b (blend 0.5): 1 and 3,
    mean (100 + 900)/400 = 2.5, F̂ = 0.4 and 1.2, blended 0.7 and 1.1. need_index 1.5 and 0.5 at
    blend 0. D = 100 · 1.6 · 0.7 = 112 and 300 · 0.8 · 1.1 = 264; T = 40 · 112/376 and 40 · 264/376.
    """
    inst = {
        "regions": [
            {"id": "n", "population": 100, "need_index": 1.5},
            {"id": "s", "population": 300, "need_index": 0.5},
        ],
        "specialties": [{"id": "gp"}],
        "baseline_posts": [
            {"region": "n", "specialty": "gp", "posts": 25},
            {"region": "s", "specialty": "gp", "posts": 15},
        ],
        "need_weights": [],
        "need": {
            "factors": [
                {"id": "need_index", "blend": 0.0},
                {"id": "a", "blend": 1.0, "values": [{"region": "n", "value": 2}, {"region": "s", "value": 1}]},
                {"id": "b", "blend": 0.5, "values": [{"region": "n", "value": 1}, {"region": "s", "value": 3}]},
            ]
        },
    }
    t = build.fair_shares(inst, 2030)
    assert t[("n", "gp")] == pytest.approx(40 * 112 / 376, abs=1e-12)
    assert t[("s", "gp")] == pytest.approx(40 * 264 / 376, abs=1e-12)
    # normalisation invariance: scaling a factor's values leaves T unchanged
    for v in inst["need"]["factors"][1]["values"]:
        v["value"] *= 7
    assert build.fair_shares(inst, 2030) == pytest.approx(t, abs=1e-12)
    # without a need block: v2's D = population · need_index · w
    del inst["need"]
    assert build.fair_shares(inst, 2030)[("n", "gp")] == pytest.approx(40 * 150 / 300, abs=1e-12)


@pytest.mark.parametrize("name", [*POSTS, *NEED_ALL])
def test_fair_shares_sum_to_the_national_totals(name):
    inst = _instance(name)
    t = build.fair_shares(inst, 2030)
    for spec, total in _column_sums(inst).items():
        assert sum(v for (_, s), v in t.items() if s == spec) == pytest.approx(total, abs=1e-9)


def test_readme_need_table_is_what_the_build_computes():
    """instances/README.md's need tables are those the build writes from the committed files."""
    src = build.read_sources(SOURCES)
    instances = {n: _instance(n) for n in NAMES}
    readme = (INSTANCES / "README.md").read_text(encoding="utf-8")
    start = readme.index(build.fairshare.README_START) + len(build.fairshare.README_START)
    block = readme[start : readme.index(build.fairshare.README_END)]
    assert block == "\n\n" + build.need_table(instances, src) + "\n"
    assert build.fairshare.replace_table(readme, build.need_table(instances, src)) == readme


def test_readme_need_claims():
    """The prose above the table: London's general and acute index is the lowest of the regions and
    its mental health index the highest; London loses hospital posts and gains psychiatry; the two
    regions with the highest health-inequalities index gain the most."""
    src = build.read_sources(SOURCES)
    comps = {a.id: a.components for a in src.regions}
    assert min(comps, key=lambda r: comps[r]["general_acute"]) == "london"
    assert max(comps, key=lambda r: comps[r]["mental_health"]) == "london"
    single, need = _instance("england-regions-2025"), _instance("england-regions-need-2025")
    t1, t2 = build.fair_shares(single, 2030), build.fair_shares(need, 2030)
    acute = [s for s, (c, _) in build.needfactors.PROGRAMME_COMPONENT.items() if c == "general_acute"]
    assert sum(t2[("london", s)] - t1[("london", s)] for s in acute) < 0
    assert t2[("london", "core-psychiatry")] > t1[("london", "core-psychiatry")]
    change = {
        r["id"]: sum(t2[(r["id"], s)] - t1[(r["id"], s)] for s in _column_sums(single)) for r in single["regions"]
    }
    by_gain = sorted(change, key=change.get, reverse=True)[:2]
    by_hi = sorted(comps, key=lambda r: comps[r]["health_inequalities"], reverse=True)[:2]
    assert set(by_gain) == set(by_hi) == {"north-west", "north-east-and-yorkshire"}
    assert abs(sum(change.values())) < 1e-9  # the national totals do not move


@pytest.mark.parametrize("name", [*POSTS, "england-pipeline-2025", *NEED_ALL])
def test_build_fair_shares_are_the_models_targets(name):
    """The build's own reading of docs/model.md §3/§3b (instances/build/fairshare.py, which writes
    the README table) gives the model's T on every planning year, to 1e-9."""
    data = pytest.importorskip("allocator.core.data")
    loader = pytest.importorskip("allocator.io.instance")
    d = data.problem_data(loader.load_instance(INSTANCES / f"{name}.json"))
    for k, year in enumerate(d.years):
        t = build.fair_shares(_instance(name), year)
        got = [t[(r, s)] for r in d.regions for s in d.specialties]
        assert got == pytest.approx(d.target[:, :, k].ravel().tolist(), abs=1e-9), year
