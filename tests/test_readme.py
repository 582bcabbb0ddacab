"""The README's Python examples run as written (from the repository root)."""

from __future__ import annotations

import os
import re

import pytest

from .conftest import ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_python_block_runs(i, tmp_path):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code = BLOCKS[i].replace('res.to_json("result.json")', f'res.to_json(r"{tmp_path / "result.json"}")')
        exec(compile(code, f"README block {i}", "exec"), {})
    finally:
        os.chdir(cwd)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2
