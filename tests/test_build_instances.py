"""The real England instances: rebuilt from the vendored sources, byte for byte, and sane."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import sys
from fractions import Fraction
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
SOURCES = INSTANCES / "sources"
NAMES = ["england-regions-2025", "england-training-regions-2025", "england-icb-2025"]
SIZES = {
    "england-regions-2025": 7,
    "england-training-regions-2025": 11,
    "england-icb-2025": 42,
}


def _load_build():
    spec = importlib.util.spec_from_file_location("instances_build", INSTANCES / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


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
        assert built == committed, f"{name}.json is stale: run python instances/build.py"
        assert built.endswith(b"}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.json" for n in NAMES)


def test_command_line(tmp_path):
    assert build.main(["--out", str(tmp_path), "--sources", str(SOURCES)]) == 0
    assert (tmp_path / "england-icb-2025.json").read_bytes() == (INSTANCES / "england-icb-2025.json").read_bytes()


# --------------------------------------------------------------------------- sanity


@pytest.mark.parametrize("name", NAMES)
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
    sums = [_column_sums(_instance(n)) for n in NAMES]
    assert sums[0] == sums[1] == sums[2]
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
    for folder in ("population", "need", "posts", "posts/regional"):
        assert (SOURCES / folder / "PROVENANCE.md").is_file()
        assert "vendored" in (SOURCES / folder / "VENDORED.md").read_text().lower()
    for rel in build.FILES.values():
        assert (SOURCES / rel).is_file(), rel
    assert not list(SOURCES.rglob("*.geojson"))


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
