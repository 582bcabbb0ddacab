"""docs/model.md, the users' copy of the model's contract, stays true to the code.

It fails when the document is stale: a field of the instance schema or of a model file that
the document does not name; a constraint family of the family table missing from its tables;
a result field it does not describe; a section cited anywhere ("docs/model.md §6b", "§10")
that is not one of its headings; schema versions read that differ from those it states; a
block it marks "not yet implemented" that the schema now has (or the reverse); and a file
users get that sends them to "FORMULATION", which they do not have.
"""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from allocator.core import families
from allocator.core.instance import SCHEMA_VERSIONS, Instance, InstanceError, Pipeline
from allocator.core.spec import ModelSpec
from allocator.core.validate import validate

from .conftest import ROOT

DOC_PATH = ROOT / "docs" / "model.md"
DOC = DOC_PATH.read_text(encoding="utf-8")
#: What users get: the package, the README, the docs, the notebooks, the models, the instances
#: and the benchmarks (tests and the contract's own folder are not for users).
USER_ROOTS = ("allocator", "README.md", "docs", "notebooks", "benchmarks", "models", "instances")
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".toml", ".json", ".txt", ".html", ".j2", ".css", ".csv", ".yaml", ".yml"}
#: The contract's v3 parts this release does not implement: the section, and the schema field
#: whose presence would mean it is implemented (then the doc's "not yet implemented" is stale).
NOT_YET = {
    "3b": (Instance, "need"),
    "5b": (Instance, "phases"),
}
NOT_YET_MARK = "(v3: not yet implemented in this release; an instance using it is refused)"


def _user_files() -> list[Path]:
    out = []
    for name in USER_ROOTS:
        path = ROOT / name
        paths = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        out += [p for p in paths if p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts]
    return out


def _text(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":  # the cells' sources, not the stored outputs
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
    return text


def _models(model: type[BaseModel], seen: set) -> list[type[BaseModel]]:
    """``model`` and every pydantic model its fields hold (in lists, optionals, ...)."""
    if model in seen:
        return []
    seen.add(model)
    out = [model]
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            tp = stack.pop()
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                out += _models(tp, seen)
            stack += list(typing.get_args(tp))
    return out


def _backticked_words() -> set[str]:
    """The words of the document's code: `inline` spans and fenced blocks (JSON, TOML)."""
    words: set[str] = set()
    for span in re.findall(r"```.*?```", DOC, flags=re.S) + re.findall(r"`([^`\n]+)`", DOC):
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span))
    return words


def _headings() -> set[str]:
    """The section numbers of docs/model.md: ``## 6b. ...`` gives ``6b``."""
    return set(re.findall(r"^## (\d+[a-z]?)\. ", DOC, flags=re.M))


def _section(number: str) -> str:
    """The text of section ``number`` up to the next section heading."""
    m = re.search(rf"^## {number}\. .*?(?=^## )", DOC, flags=re.M | re.S)
    assert m, f"docs/model.md has no section {number}"
    return m.group(0)


@pytest.mark.parametrize("model", _models(Instance, set()) + _models(ModelSpec, set()), ids=lambda m: m.__name__)
def test_every_schema_field_is_documented(model):
    words = _backticked_words()
    missing = [name for name in model.model_fields if name not in words]
    assert not missing, f"docs/model.md does not name these fields of {model.__name__}: {missing}"


def test_every_family_is_in_the_family_tables():
    names = [f.name for f in families.FAMILIES]
    assert len(names) >= 17
    missing = [n for n in names if f"| `{n}` |" not in DOC]
    assert not missing, f"families missing from the tables of docs/model.md: {missing}"
    for name in ("stock_flow", "supply_gap", "worst_supply"):
        assert f"| `{name}` |" in _section("10")
    for name in ("team_gap", "team_mix"):
        assert f"| `{name}` |" in _section("11")


def test_the_sections_are_the_contracts():
    """The section numbers users cite are the contract's, in its order."""
    wanted = ["1", "2", "3", "3b", "4", "5", "5b", "6", "6b", "7", "8", "9", "10", "11", "12"]
    found = re.findall(r"^## (\d+[a-z]?)\. ", DOC, flags=re.M)
    assert found == wanted


# "§3–§9", "§4–6", "§10, §11", "§6b": every number cited; ranges give both ends
_CITE = re.compile(r"§\s?(\d+(?:\.\d+)?[a-z]?)(?:\s?[–-]\s?§?(\d+[a-z]?))?")
# a section of another document ("workforce.md §4", "[workforce.md](workforce.md) §1")
_OTHER_DOC = re.compile(r"workforce\.md\)? $")


def _citations() -> list[tuple[str, str]]:
    out = []
    for path in _user_files():
        text = _text(path)
        for m in _CITE.finditer(text):
            if _OTHER_DOC.search(text[max(0, m.start() - 20) : m.start()]):
                continue
            where = f"{path.relative_to(ROOT)}: …{text[max(0, m.start() - 40) : m.end()]}"
            out += [(n, where) for n in m.groups() if n]
    return out


def test_every_section_cited_exists():
    headings = _headings()
    cited = _citations()
    assert len(cited) > 100  # the package, README and docs cite the model throughout
    unknown = [(n, where) for n, where in cited if n not in headings]
    assert not unknown, "cited sections that docs/model.md does not have:\n" + "\n".join(
        f"§{n} in {w}" for n, w in unknown
    )


def test_the_versions_read_are_the_documented_ones():
    m = re.search(r"^`schema_version` ((?:\d+(?:, | and )?)+) are read\.", DOC, flags=re.M)
    assert m, "docs/model.md §2 must say which schema versions are read"
    documented = tuple(int(v) for v in re.findall(r"\d+", m.group(1)))
    assert documented == tuple(SCHEMA_VERSIONS)
    title = DOC.splitlines()[0]
    *first, last = (str(v) for v in SCHEMA_VERSIONS)
    said = f"{', '.join(first)} and {last}" if first else last  # "1, 2 and 3"
    assert f"schema versions {said} read" in title
    assert f"(`schema_version` {said})" in _section("2")


@pytest.mark.parametrize("section", sorted(NOT_YET))
def test_not_yet_implemented_is_true(section):
    """A v3 part marked not implemented has no field in the schema, and is refused."""
    model, field = NOT_YET[section]
    text = _section(section)
    assert field not in model.model_fields, f"§{section} is implemented now: update docs/model.md"
    assert NOT_YET_MARK in text
    data = json.loads((ROOT / "instances" / "toy" / "toy-2x1.json").read_text())
    data[field] = [] if field == "phases" else {}
    with pytest.raises(InstanceError, match=field):  # refused, never solved as if absent
        validate(data, source="toy-2x1.json")
    with pytest.raises(InstanceError, match=field):  # in a version 3 file too
        validate({**data, "schema_version": 3}, source="toy-2x1.json")


def test_region_settle_rates_not_yet_implemented():
    assert "settle_rate" not in Pipeline.model_fields, "§10's settle_rate[] is implemented: update docs/model.md"
    row = next(line for line in _section("10").splitlines() if line.startswith("| `settle_rate[]`"))
    assert NOT_YET_MARK in row


def test_result_fields_are_documented():
    """Every top-level field of a result (and of its ``inputs`` and ``timings``) is in §9."""
    import allocator

    res = allocator.solve(ROOT / "instances" / "toy" / "toy-2x1.json")
    data = res.to_dict()
    section = _section("9")
    keys = list(data) + list(data.get("inputs") or {}) + list(data.get("timings") or {})
    keys += ["inputs", "timings", "bound", "gap", "diagnosis", "rounding", "supply", "supply_kpis", "teams"]
    missing = [k for k in keys if f"`{k}`" not in section]
    assert not missing, f"result fields missing from docs/model.md §9: {missing}"
    for key in ("instance_sha256", "model_sha256", "allocator_version", "highs_version", "schema_version"):
        assert f"`{key}`" in section


def test_no_user_file_sends_users_to_formulation():
    """Users do not have the contract's file: they are sent to docs/model.md."""
    files = _user_files()
    assert any(p.suffix == ".ipynb" for p in files) and any(p.name == "README.md" for p in files)
    offenders = [str(p.relative_to(ROOT)) for p in files if "FORMULATION" in _text(p)]
    assert not offenders, f"cite docs/model.md instead of FORMULATION in: {offenders}"


def test_every_paragraph_cited_by_name_exists():
    """Citations by a paragraph's name, as in docs/model.md ("Limits"), find a bold paragraph title."""
    titles = set(re.findall(r"^\*\*([^*]+?)(?: \([^)]*\))?\.\*\*", DOC, flags=re.M))
    cited = [
        (m.group(1), path)
        for path in _user_files()
        for m in re.finditer(r'docs/model\.md(?:, | \()"([^"]+)"', _text(path))
    ]
    assert cited, "the package cites paragraphs of docs/model.md by name"
    missing = [(name, str(path.relative_to(ROOT))) for name, path in cited if name not in titles]
    assert not missing, f"paragraphs cited by name that docs/model.md does not have: {missing}"
