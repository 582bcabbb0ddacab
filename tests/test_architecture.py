"""The package's layers (docs/architecture.md): imports only go downward, no cycles, no module
over 600 lines, typer only in the command line, no private name imported across modules.

Every import counts, the ones inside functions too (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "allocator"

# Bottom to top: a module may import from its own layer and from layers before it.
LAYERS = (
    "core",  # schema, validation, limits, problem data, model spec
    "io",  # instance, table and result files; atomic writes
    "apportion",  # exact apportionment methods: imports nothing else from allocator
    "solution",  # Result, measures, equity, result arrays
    "model",  # backends, HiGHS environment, pre-solve checks, tie-break, whole posts
    "analysis",  # the independent checker, infeasibility diagnosis, shadow prices
    "pipeline",  # the public solve pipeline: pre-solve -> build -> solve -> assemble
    "study",  # scenarios, grids, sweeps, store, Pareto frontiers, synthetic instances
    "report",  # tables, workbook, HTML, figures, maps, summaries
    "app",  # the web app for policy teams (Streamlit)
    "cli",  # the one typer app
)
MAX_LINES = 600


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str) -> list[tuple[str, list[str]]]:
    """(imported allocator module, names) for every import in the module, lazy ones included."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "allocator"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "allocator":
                continue
            names = [a.name for a in node.names]
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            found += [(s, []) for s in subs] or [(target, names)]
    return found


def _layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_is_in_a_layer():
    loose = [m for m in MODULES if m != "allocator" and _layer(m) is None]
    assert not loose, f"modules outside the layers: {loose}"


def test_imports_only_go_downward():
    wrong = []
    for name in MODULES:
        here = _layer(name)
        if here is None:  # allocator/__init__.py: the public API, above everything
            continue
        for target, _ in _imports(name):
            there = _layer(target)
            if target == "allocator":  # the public API: the pipeline's level (it re-exports solve, check)
                there = "pipeline"
            if there is None or LAYERS.index(there) > LAYERS.index(here):
                wrong.append(f"{name} ({here}) imports {target} ({there})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = {m: {t for t, _ in _imports(m) if t in MODULES and t != m} for m in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                return stack[stack.index(t) :] + [t]
            if t not in state and (cycle := visit(t)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in MODULES:
        if m not in state:
            cycle = visit(m)
            assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_600_lines(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name}: {lines} lines"


def test_typer_only_in_the_command_line():
    outside = []
    for name, path in MODULES.items():
        if _layer(name) == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                mods = [node.module or ""]
            if any(m.split(".")[0] == "typer" for m in mods):
                outside.append(name)
    assert not outside, f"typer imported outside allocator.cli: {outside}"


def test_apportion_is_standalone():
    assert all(t.startswith("allocator.apportion") for m in MODULES if _layer(m) == "apportion" for t, _ in _imports(m))


def test_no_private_name_crosses_modules():
    crossing = [
        f"{name} imports {target}.{n}"
        for name in MODULES
        for target, names in _imports(name)
        for n in names
        if n.startswith("_") and target != name and target.rpartition(".")[0] != name.rpartition(".")[0]
    ]
    assert not crossing, "\n".join(crossing)


def test_only_allocator_app_command_imports_the_web_app():
    """The web app (allocator.app) is started by one command, cli/serve.py; nothing else reaches it."""
    reaching = [
        f"{name} imports {target}"
        for name in MODULES
        if _layer(name) != "app" and name != "allocator.cli.serve"
        for target, _ in _imports(name)
        if target == "allocator.app" or target.startswith("allocator.app.")
    ]
    assert not reaching, "\n".join(reaching)


def test_the_command_line_app_is_not_called_app():
    """The typer app lives in cli/main.py: no file names the command line's module after the web app."""
    root = PACKAGE.parent
    old = re.compile(r"allocator\.cli\.app\b|cli/app\.py")
    assert not (PACKAGE / "cli" / "app.py").exists()
    files = [root / "README.md", root / "Makefile", *root.glob("docs/*.md"), *PACKAGE.rglob("*.py")]
    files += [*(root / "tests").rglob("*.py"), *(root / "benchmarks").rglob("*.py"), *root.glob("notebooks/*.ipynb")]
    naming = [f"{p.relative_to(root)}: {m}" for p in files for m in old.findall(p.read_text(encoding="utf-8"))]
    assert not naming, "\n".join(naming)
