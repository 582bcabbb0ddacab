"""Every README code block runs as written.

Python blocks run as plain ``.py`` scripts in a fresh interpreter (as a user pasting them into
a file would run them: a sweep without a ``__main__`` guard fails only there), and every
``allocator`` command of the shell blocks runs in a scratch copy of the repository's
instances and models. ``make`` lines are what CI itself runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

README = (ROOT / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
SHELL_BLOCKS = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
COMMANDS = [
    line.split("  #")[0].strip()
    for block in SHELL_BLOCKS
    for line in block.splitlines()
    if line.strip().startswith("allocator ")
]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A scratch copy of what the README's commands read, so they write nothing in the checkout."""
    root = tmp_path_factory.mktemp("readme")
    for name in ("instances", "models", "notebooks"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("benchmarks"))
    shutil.copytree(ROOT / "tests" / "data", root / "tests" / "data")
    return root


@pytest.mark.parametrize("i", range(len(PYTHON_BLOCKS)))
def test_readme_python_block_runs_as_a_script(i, workdir):
    script = workdir / f"readme_block_{i}.py"
    script.write_text(PYTHON_BLOCKS[i])
    proc = subprocess.run([sys.executable, script.name], cwd=workdir, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr


def test_readme_commands_run_in_order(workdir):
    """The commands depend on each other (solve writes out/eq, check and report read it): run
    them in README order. Exit 1 is a legitimate answer only for whole posts, whose plan may be
    ``feasible`` (within a stated gap of the LP bound) rather than proven optimal."""
    env = {"PATH": f"{BIN}:/usr/bin:/bin"}
    for cmd in COMMANDS:
        proc = subprocess.run(["bash", "-c", cmd], cwd=workdir, capture_output=True, text=True, timeout=600, env=env)
        allowed = (0, 1) if ("--integer" in cmd or "--round" in cmd) else (0,)
        assert proc.returncode in allowed, f"{cmd}\n{proc.stderr[-3000:]}"
        assert "Traceback" not in proc.stderr, cmd
        if "--format json >" in cmd:
            target = cmd.rsplit(">", 1)[1].strip()
            assert json.loads((workdir / target).read_text())["status"] == "optimal"


def test_readme_has_examples():
    assert len(PYTHON_BLOCKS) >= 3
    assert len(COMMANDS) >= 8
    assert not [c for c in COMMANDS if re.search(r"\b[A-Z]{4,}\b", c)], "placeholders left in a command"


# the fast tier (make test-fast) leaves these out: see docs/architecture.md
pytestmark = pytest.mark.slow
