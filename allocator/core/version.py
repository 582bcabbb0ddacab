"""The package's version: the installed distribution's metadata (``pyproject.toml``'s ``version``).

Run from a source tree that was never installed, it reads the ``pyproject.toml`` beside the
package; with neither, it is ``"0+unknown"``.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as distribution_version
from pathlib import Path

DISTRIBUTION = "allocator"


def package_version() -> str:
    """The version of the ``allocator`` distribution, e.g. ``"0.2.0"``.

    Returns
    -------
    str
        The installed metadata's version; else the source tree's ``pyproject.toml`` version;
        else ``"0+unknown"``.
    """
    try:
        return distribution_version(DISTRIBUTION)
    except PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return "0+unknown"
    return str(project["version"]) if project.get("name") == DISTRIBUTION and "version" in project else "0+unknown"
