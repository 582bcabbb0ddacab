"""The web app in a real browser: `allocator app` in a subprocess, driven by Playwright in headless
Debian Chromium (/usr/bin/chromium, installed by .ci/run; Playwright's own browsers are never
downloaded). Open the app, upload a workbook, solve, read the headline, download the report,
then run a second scenario and read the comparison.

Screenshots of every state go to $ALLOCATOR_APP_SCREENSHOTS if set (else the test's tmp folder).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real browser: the full suite and CI, not make test-fast

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "instances" / "template.xlsx"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium: install Debian's chromium (apt-get install -y chromium; .ci/run does)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytest.importorskip("streamlit", reason="streamlit is not installed")


def _command(port: int) -> list[str]:
    """`allocator app --port PORT`: the installed command beside this Python, else the same entry point."""
    script = Path(sys.executable).with_name("allocator")
    if script.exists():
        return [str(script), "app", "--port", str(port)]
    return [sys.executable, "-c", "from allocator.cli import main; main()", "app", "--port", str(port)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from allocator.app.server import free_port

    port = free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            _command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`allocator app` did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _snap(page, path: Path) -> None:
    """A screenshot of the whole page: Streamlit scrolls its main area, not the document, so
    the window is made as tall as the content for the picture."""
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stSidebarContent]')]"
        ".map(e => e.scrollHeight), 600)"
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(400)
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("ALLOCATOR_APP_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_server_listens_on_loopback_only(server):
    url, log = server
    assert url.startswith("http://127.0.0.1:")
    assert "serving this computer only" in log.read_text()


def test_upload_solve_read_headline_download_and_compare(server, browser, shots, tmp_path):
    url, log = server
    expect = sync_api.expect
    expect.set_options(timeout=60_000)
    t0 = time.monotonic()
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.set_default_timeout(60_000)
    try:
        page.goto(url)
        expect(page.get_by_role("heading", name="Training posts toward population need")).to_be_visible()
        expect(page.get_by_text("Instance: england-regions-2025")).to_be_visible()
        _snap(page, shots / "1-open.png")

        # upload the workbook
        page.get_by_text("Upload a file").click()
        uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Instance file")
        expect(uploader).to_be_visible()
        uploader.locator('input[type="file"]').set_input_files(TEMPLATE)
        expect(page.get_by_text("Instance: template")).to_be_visible()
        page.get_by_text("Inputs: transition limits").click()
        expect(page.get_by_role("tab", name="Capacity")).to_be_visible()
        _snap(page, shots / "2-uploaded.png")

        # solve and read the headline
        page.get_by_role("button", name="Solve", exact=True).click()
        headline = page.get_by_text(re.compile(r"closes \d+\.\d% of the gap"))
        expect(headline).to_be_visible()
        words = headline.inner_text()
        assert re.search(r"By 2026 the allocation closes \d+\.\d% of the gap", words), words
        expect(page.get_by_text("What holds the allocation back")).to_be_visible()
        _snap(page, shots / "3-solved.png")

        # download the report
        with page.expect_download() as info:
            page.get_by_role("button", name="report.xlsx").click()
        download = info.value
        assert download.suggested_filename == "run-1-report.xlsx"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        with zipfile.ZipFile(saved) as z:  # an Excel workbook is a zip with a workbook part
            assert "xl/workbook.xml" in z.namelist()
        import openpyxl

        assert openpyxl.load_workbook(saved, read_only=True).sheetnames

        # a second scenario with another model, and the comparison
        page.get_by_role("textbox", name="Name this run").fill("Equity first")
        page.get_by_role("textbox", name="Name this run").press("Enter")
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Model file").click()
        page.get_by_role("option", name="equity-first").click()
        expect(page.get_by_text(re.compile("Lift the worst-off programme first"))).to_be_visible()
        page.get_by_role("button", name="Solve", exact=True).click()
        expect(page.get_by_text("Result: Equity first")).to_be_visible()
        expect(page.get_by_text("Headline measures")).to_be_visible()
        _snap(page, shots / "4-compared.png")
    finally:
        page.close()
    assert time.monotonic() - t0 < 240
    # the app wrote no error trace to its log
    assert "Traceback" not in log.read_text(), log.read_text()
