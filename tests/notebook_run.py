"""Executing the notebooks: once per test session (the notebook tests share the run), and in place.

The notebooks are committed executed, so a reader sees what they compute. After changing a
notebook or the code it calls, store the new outputs with ``make notebooks-run`` (that is,
``python -m tests.notebook_run [NAME.ipynb ...]``); ``tests/test_notebooks.py`` fails while the
stored outputs differ from what the code prints now.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
TIMEOUT = 600  # seconds per cell


@dataclass(frozen=True)
class Executed:
    """A notebook as it runs now: its cells with their outputs, the seconds it took, the folder
    its files went to (``WEIGHTING_STUDY_OUT``)."""

    nb: nbformat.NotebookNode
    seconds: float
    out: Path


def execute(path: Path, out: Path) -> Executed:
    """Run ``path`` top to bottom in a fresh ``python3`` kernel, from the repository root, with
    files the notebook writes sent to ``out``; stderr (warnings) is dropped from the outputs."""
    nb = nbformat.read(path, as_version=4)
    saved = os.environ.get("WEIGHTING_STUDY_OUT")
    os.environ["WEIGHTING_STUDY_OUT"] = str(out)  # the kernel inherits it: no writes in the repo
    try:
        t0 = time.perf_counter()
        client = NotebookClient(
            nb, timeout=TIMEOUT, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(ROOT)}}
        )
        client.execute()
        seconds = time.perf_counter() - t0
    finally:
        if saved is None:
            os.environ.pop("WEIGHTING_STUDY_OUT", None)
        else:
            os.environ["WEIGHTING_STUDY_OUT"] = saved
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    return Executed(nb, seconds, out)


@functools.cache
def executed(name: str) -> Executed:
    """``notebooks/NAME`` executed once for the whole test session."""
    return execute(NOTEBOOK_DIR / name, Path(tempfile.mkdtemp(prefix=f"nb-{Path(name).stem}-")))


# What may differ between two runs of the same code: temporary folders and object addresses
_VOLATILE = (
    (re.compile(r"/tmp/[^\s'\"]*"), "<tmp>"),
    (re.compile(r"0x[0-9a-f]{6,}"), "<address>"),
)


def text_outputs(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """The text a reader sees, per code cell: printed text, Markdown displays and the plain-text
    form of tables (images are left out), with the volatile parts masked."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        texts: list[str] = []
        printed = False  # the kernel may split one print run into several stream outputs: join them
        for o in cell.outputs:
            if o.output_type == "stream" and o.name == "stdout":
                if printed:
                    texts[-1] += o.text
                else:
                    texts.append(o.text)
                printed = True
                continue
            printed = False
            if o.output_type in ("display_data", "execute_result"):
                data = o.get("data", {})
                if "image/png" in data or "image/svg+xml" in data:
                    continue
                if re.fullmatch(r"<Figure size \d+x\d+ with \d+ Axes>", data.get("text/plain", "")):
                    continue  # a figure's repr where the kernel had no inline backend (MPLBACKEND set): an image
                texts.append(data.get("text/markdown") or data.get("text/plain", ""))
            elif o.output_type == "error":
                texts.append(f"error: {o.ename}: {o.evalue}")
        for text in texts:
            for pattern, mask in _VOLATILE:
                text = pattern.sub(mask, text)
            out.append((i, "\n".join(line.rstrip() for line in text.strip().splitlines())))
    return out


def main(names: list[str]) -> None:
    """Execute the notebooks named (default: all) and store their outputs in place."""
    paths = [NOTEBOOK_DIR / n for n in names] if names else NOTEBOOKS
    for path in paths:
        with tempfile.TemporaryDirectory(prefix="nb-") as out:
            run = execute(path, Path(out))
        nbformat.write(run.nb, path)
        print(f"{path.relative_to(ROOT)}: executed in {run.seconds:.0f} s, outputs stored")


if __name__ == "__main__":
    main(sys.argv[1:])
