"""The install is reproducible: the lock file pins every dependency of pyproject.toml exactly,
within pyproject's ranges, with hashes; the environment the tests run in matches the lock."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK = (ROOT / "requirements.lock").read_text()
PINS = {
    canonicalize_name(m.group(1)): (m.group(2), m.group(3) or "")
    for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;\s*([^\\\n]+))?", LOCK, flags=re.M)
}


def requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    reqs = list(project["dependencies"]) + list(extras["dev"]) + list(extras["docs"])
    return [Requirement(r) for r in reqs]


def test_every_dependency_is_pinned_within_its_range():
    for req in requirements():
        name = canonicalize_name(req.name)
        assert name in PINS, f"{req.name} is not in requirements.lock: run `make lock`"
        pinned = PINS[name][0]
        assert req.specifier.contains(pinned, prereleases=True), f"{req.name}=={pinned} outside '{req.specifier}'"


def test_every_pin_has_a_hash():
    entries = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", LOCK.split("\n", 2)[2])
    for entry in entries:
        if "==" in entry.splitlines()[0]:
            assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_environment_matches_the_lock_for_direct_dependencies():
    """`make test` installs from the lock; `make test-latest` does not (it runs the same suite
    on the newest releases), so this test only checks the direct dependencies there too when
    the versions happen to agree."""
    import os
    import sys

    if not sys.prefix.endswith(os.sep + ".venv"):
        return  # an environment not made from the lock (make test-latest, a user's own)
    for req in requirements():
        name = canonicalize_name(req.name)
        pinned, marker = PINS[name]
        if marker:
            continue  # a version chosen per Python version: checked by pip at install time
        try:
            assert version(req.name) == pinned, f"{req.name}: installed {version(req.name)}, locked {pinned}"
        except PackageNotFoundError:
            raise AssertionError(f"{req.name} is locked but not installed") from None
