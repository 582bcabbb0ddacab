"""Versions: ``allocator --version`` and ``allocator.__version__`` from the package metadata, and
a changelog entry for the version pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError

from typer.testing import CliRunner

import allocator
from allocator.cli.main import app
from allocator.core import version as version_module

from .conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_version_is_the_package_metadata():
    from importlib.metadata import version

    assert allocator.__version__ == version("allocator")
    assert re.fullmatch(r"\d+\.\d+\.\d+", allocator.__version__)


def test_version_option_prints_it_alone():
    out = CliRunner().invoke(app, ["--version"])
    assert out.exit_code == 0
    assert out.stdout == f"allocator {allocator.__version__}\n"


def test_without_metadata_the_source_tree_version(monkeypatch):
    def missing(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(version_module, "distribution_version", missing)
    assert version_module.package_version() == PYPROJECT["version"]


def test_without_metadata_or_source_tree_unknown(monkeypatch, tmp_path):
    def missing(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(version_module, "distribution_version", missing)
    fake = tmp_path / "site" / "allocator" / "core" / "version.py"
    monkeypatch.setattr(version_module, "__file__", str(fake))
    assert version_module.package_version() == "0+unknown"


def test_changelog_has_the_declared_version_first():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## (\d+\.\d+\.\d+) ", text, flags=re.M)
    assert versions[0] == PYPROJECT["version"], "CHANGELOG.md: no entry for pyproject.toml's version"
    assert versions[-1] == "0.1.0"
