"""Result JSON of every shipped instance is unchanged by refactoring (issue 12: no behaviour change).

``tests/data/golden/`` holds the result JSON of each shipped instance under the default model
and of the demo instance under every model file. With the locked versions of the solvers
(``make test``) the text must be byte-identical; with other versions (``make test-latest``)
the numbers must agree to 1e-6. Regenerate deliberately, after a change of behaviour, with
``python -m tests.test_golden``.

FORMULATION §9 v3: a result's ``timings`` differ from run to run, so the golden files leave them
out; its ``inputs`` are kept and compared: the hashes of the instance and the model and the
declared ``schema_version`` exactly, ``highs_version`` only with the locked solvers, and
``allocator_version`` never (a release changes it without changing any result).
"""

from __future__ import annotations

import json
import math
import re
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import allocator

from .conftest import ENGLAND, ROOT

GOLDEN = ROOT / "tests" / "data" / "golden"
LOCK = (ROOT / "requirements.lock").read_text()
CASES = [(p, None) for p in ENGLAND]
CASES += [(p, None) for p in sorted((ROOT / "instances" / "toy").glob("*.json"))]
CASES += [(ROOT / "instances" / "england-regions-2025.json", m) for m in sorted((ROOT / "models").glob("*.toml"))]
# the v2 instances under the model made for them (FORMULATION §10, §11)
CASES += [
    (ROOT / "instances" / "england-pipeline-2025.json", ROOT / "models" / "future-supply.toml"),
    (ROOT / "instances" / "england-pipeline-need-2025.json", ROOT / "models" / "future-supply.toml"),
    (ROOT / "instances" / "england-pipeline-scenarios-2025.json", ROOT / "models" / "future-supply.toml"),
    (ROOT / "instances" / "england-teams-2025.json", ROOT / "models" / "team-mix.toml"),
]


def name(path: Path, model: Path | None) -> str:
    return f"{path.stem}__{model.stem if model else 'default'}.json"


def result_text(path: Path, model: Path | None) -> str:
    """The result JSON as the golden files keep it: without ``timings``."""
    data = allocator.solve(path, model).to_dict()
    assert set(data.pop("timings")) >= {"load", "build", "solve", "assemble", "total"}
    return json.dumps(data, indent=2) + "\n"


def comparable(got: str, want: str, locked: bool) -> str:
    """``got`` with the versions that are not compared taken from ``want`` (module docstring)."""
    data, golden = json.loads(got), json.loads(want).get("inputs", {})
    inputs = data["inputs"]
    for key in ("allocator_version",) + (() if locked else ("highs_version",)):
        inputs[key] = golden.get(key, inputs[key])
    return json.dumps(data, indent=2) + "\n"


def locked_solvers() -> bool:
    for pkg in ("highspy", "clarabel", "numpy", "scipy"):
        m = re.search(rf"^{pkg}==([^\s;\\]+)\s*(;[^\\\n]*)?", LOCK, flags=re.M | re.I)
        if not m or m.group(2) or version(pkg) != m.group(1):
            return False
    return True


def close(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    return a == b


@pytest.mark.parametrize(("path", "model"), CASES, ids=[name(p, m)[:-5] for p, m in CASES])
def test_result_json_unchanged(path, model):
    want = (GOLDEN / name(path, model)).read_text()
    locked = locked_solvers()
    got = comparable(result_text(path, model), want, locked)
    if locked:
        assert got == want, f"result JSON of {name(path, model)} changed"
    else:
        assert close(json.loads(got), json.loads(want))


if __name__ == "__main__":  # regenerate: python -m tests.test_golden
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for path, model in CASES:
        (GOLDEN / name(path, model)).write_text(result_text(path, model))
        print("wrote", name(path, model), file=sys.stderr)
