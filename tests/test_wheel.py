"""The wheel stands on its own: built as `make dist` builds it, installed into a new virtual
environment outside the repository (the runtime dependencies from requirements.lock, hashes
checked, then the wheel with --no-deps), and used from an empty folder by example names alone:
the command line, a library script with the checker, a sweep, and the web app."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import ROOT

pytestmark = pytest.mark.slow

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def runtime_names() -> set[str]:
    """The distributions the package needs at run time: pyproject's dependencies and theirs,
    read from the installed metadata (markers evaluated here), without the dev extra."""
    todo = [(Requirement(r), "") for r in PROJECT["dependencies"]]
    seen: set[str] = set()
    while todo:
        req, extra = todo.pop()
        if req.marker and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        extras = sorted(req.extras) or [""]
        key = f"{name}[{','.join(extras)}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            subs = requires(req.name) or []
        except PackageNotFoundError:
            continue
        todo += [(Requirement(s), e) for s in subs for e in extras]
    return {k.split("[")[0] for k in seen}


def runtime_lock(target: Path) -> Path:
    """requirements.lock cut to the runtime distributions (every entry keeps its hashes)."""
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    names = runtime_names()
    entries = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", lock)
    kept = [e for e in entries if "==" in e.splitlines()[0] and canonicalize_name(e.split("==")[0]) in names]
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return target


def run(args, cwd: Path, env: dict, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """(venv bin folder, empty working folder, environment) with the wheel installed."""
    base = tmp_path_factory.mktemp("wheel")
    assert not base.is_relative_to(ROOT)
    dist = base / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)], ROOT, None)
    (wheel,) = dist.glob("allocator-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", str(venv)], base, None)
    bin_ = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_}{os.pathsep}{env.get('PATH', '')}"
    pip = [str(bin_ / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    run([*pip, "--require-hashes", "-r", str(runtime_lock(base / "runtime.lock"))], base, env, timeout=600)
    run([*pip, "--no-deps", str(wheel)], base, env)
    work = base / "work"
    work.mkdir()
    return bin_, work, env


def test_version_and_where_it_is_installed(fresh):
    bin_, work, env = fresh
    assert run(["allocator", "--version"], work, env).stdout == f"allocator {PROJECT['version']}\n"
    where = run([str(bin_ / "python"), "-c", "import allocator; print(allocator.__file__)"], work, env).stdout
    assert Path(where.strip()).is_relative_to(bin_.parent), where


def test_examples_listed(fresh):
    _, work, env = fresh
    listing = run(["allocator", "examples"], work, env).stdout
    for name in ("england-regions-2025", "england-icb-2025", "template", "equity-first", "moves-and-equity"):
        assert name in listing


def test_solve_report_check_and_sweep_by_name(fresh):
    _, work, env = fresh
    solved = run(
        ["allocator", "solve", "england-regions-2025", "--model", "equity-first", "--out", "out", "--report"], work, env
    )
    assert "optimal" in solved.stdout
    assert {"result.json", "report.html", "report.xlsx", "report.md"} <= {p.name for p in (work / "out").iterdir()}
    checked = run(
        ["allocator", "check", "england-regions-2025", "out/result.json", "--model", "equity-first"], work, env
    )
    assert "OK: the allocation satisfies every constraint checked" in checked.stdout
    run(["allocator", "sweep", "toy-3x2", "--grid", "moves-and-equity", "--out", "sweep", "--no-dashboard"], work, env)
    assert any((work / "sweep").rglob("*.parquet"))
    missing = run(["allocator", "solve", "england-regions-2052"], work, env, check=False)
    assert missing.returncode == 2 and "england-regions-2025" in missing.stderr


def test_library_script_by_name(fresh):
    bin_, work, env = fresh
    script = (
        "import json, allocator\n"
        "res = allocator.solve('england-regions-2025', 'equity-first')\n"
        "report = allocator.check(allocator.load_instance('england-regions-2025'), res,"
        " model=allocator.load_model('equity-first'))\n"
        "print(json.dumps({'status': res.status, 'ok': report.ok, 'version': allocator.__version__}))\n"
    )
    out = json.loads(run([str(bin_ / "python"), "-c", script], work, env).stdout)
    assert out == {"status": "optimal", "ok": True, "version": PROJECT["version"]}


def test_app_starts_and_lists_the_england_instances(fresh):
    """The installed page itself (Streamlit's AppTest runs the script from site-packages) offers
    the England instances, one chosen; then `allocator app` serves on 127.0.0.1 and answers."""
    bin_, work, env = fresh
    script = (
        "import json, pathlib, allocator.app\n"
        "from streamlit.testing.v1 import AppTest\n"
        "page = pathlib.Path(allocator.app.__file__).with_name('page.py')\n"
        "at = AppTest.from_file(str(page), default_timeout=120).run()\n"
        "box = at.selectbox(key='shipped')\n"
        "print(json.dumps({'options': box.options, 'value': box.value, 'errors': [e.value for e in at.exception]}))\n"
    )
    page = json.loads(run([str(bin_ / "python"), "-c", script], work, env).stdout.splitlines()[-1])
    england = [o for o in page["options"] if o.startswith("england-")]
    assert {"england-regions-2025", "england-icb-2025", "england-training-regions-2025"} <= set(england)
    assert page["value"] == "england-regions-2025" and page["errors"] == []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (work / "app.log").open("w")
    server = subprocess.Popen(["allocator", "app", "--port", str(port)], cwd=work, env=env, stdout=log, stderr=log)
    try:
        deadline, health = time.monotonic() + 60, ""
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    health = r.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert health == "ok", f"the app did not answer on port {port}: {(work / 'app.log').read_text()[-2000:]}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
