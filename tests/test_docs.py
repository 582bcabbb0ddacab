"""The documentation site: the API reference pages are generated from the public modules'
``__all__`` and kept current, every public name has a docstring, and mkdocs builds the site in
strict mode (a broken link fails it)."""

from __future__ import annotations

import importlib.util
import runpy
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

SITE = runpy.run_path(str(ROOT / "docs" / "build_site.py"))


def test_api_pages_are_current():
    pages = SITE["api_pages"]()
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "api").glob("*.md")}
    assert committed == pages, "docs/api/ is stale: run `python docs/build_site.py` and commit docs/api/"


def test_every_public_module_has_a_page_listing_each_name():
    import allocator.study

    page = (ROOT / "docs" / "api" / "allocator.study.md").read_text(encoding="utf-8")
    assert all(SITE["where"](allocator.study, name) in page for name in allocator.study.__all__)
    assert "::: allocator.study.sweep.sweep\n" in page  # the function, not the submodule of that name
    assert set(SITE["PUBLIC"]) == {"allocator", "allocator.study", "allocator.report", "allocator.apportion"}


def test_a_public_name_without_a_docstring_fails(monkeypatch):
    import allocator.report

    monkeypatch.setattr(allocator.report.markdown, "__doc__", None)
    with pytest.raises(SystemExit, match="public names without a docstring: allocator.report.markdown"):
        SITE["api_pages"]()


def _mkdocs(*args):
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.slow
def test_the_site_builds_strict_and_a_broken_link_fails_it(tmp_path):
    if importlib.util.find_spec("mkdocs") is None:
        pytest.fail("mkdocs is not installed: install the docs extra (pip install -e '.[docs]')")
    subprocess.run([sys.executable, "docs/build_site.py", "--check"], cwd=ROOT, check=True)
    built = _mkdocs("--site-dir", str(tmp_path / "site"))
    assert built.returncode == 0, built.stderr[-3000:]
    assert (tmp_path / "site" / "docs" / "api" / "allocator.study.html").is_file()
    study = (tmp_path / "site" / "docs" / "api" / "allocator.study.html").read_text(encoding="utf-8")
    assert 'id="allocator.study.sweep.sweep"' in study and "Parameters" in study
    home = ROOT / "build" / "docs-src" / "index.md"
    saved = home.read_text(encoding="utf-8")
    try:
        home.write_text(saved + "\nSee [the missing page](docs/no-such-page.md).\n", encoding="utf-8")
        broken = _mkdocs("--site-dir", str(tmp_path / "broken"))
    finally:
        home.write_text(saved, encoding="utf-8")
    assert broken.returncode != 0
    assert "no-such-page.md" in broken.stdout + broken.stderr
    shutil.rmtree(tmp_path / "broken", ignore_errors=True)
