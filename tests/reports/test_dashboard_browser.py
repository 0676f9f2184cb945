"""The dashboard in a real browser: headless Chromium (Debian's, driven by Playwright) opens
the file from disk and draws every section, with no error and no request leaving the file.

Why a browser: only a browser runs the inlined charting library on the embedded data, so
only a browser can tell that the page works offline. The test fails on any console error
or page error, on any request that is not ``file:`` or ``data:`` (each is also aborted, so
nothing is fetched), and on a section with fewer drawn charts than it declares; it then
switches account and currency and checks again. It saves a screenshot of the whole page
(``dashboard.png`` in the test's temporary folder; docs/img/dashboard.png is the demo's,
drawn the same way).

Chromium comes from Debian (``make chromium``, which ``make test`` runs; run here when
/usr/bin/chromium is missing): Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotmart_reports.dashboard.charts import sections
from tests.reports.conftest import ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
#: how long the page may take to draw every chart
DRAW_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's chromium, installed by ``make chromium`` when it is missing."""
    if not CHROMIUM.exists():
        proc = subprocess.run(
            ["make", "--no-print-directory", "chromium"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or not CHROMIUM.exists():
            pytest.fail(f"no {CHROMIUM} and `make chromium` could not install it:\n{proc.stderr}")
    return CHROMIUM


@pytest.fixture(scope="module")
def dashboard(postgres_pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dashboard of the test warehouse, written by the command as a user runs it."""
    out = tmp_path_factory.mktemp("dashboard-browser") / "dashboard.html"
    proc = subprocess.run(
        [sys.executable, "-m", "hotmart_reports", "dashboard", "--out", str(out)],
        env={**os.environ, **postgres_pipeline.env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - the test extra

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium))
        yield launched
        launched.close()


def test_nothing_in_the_file_points_outside_it(dashboard: Path) -> None:
    """No script, style or font is referenced: all of them are inline."""
    text = dashboard.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|@import|@font-face", text)
    assert not re.search(r"url\(\s*['\"]?https?:", text)
    assert not re.search(r"<(?:script|link|img|iframe)[^>]*https?://", text)


def test_every_section_draws_its_charts_offline(browser, dashboard: Path, tmp_path: Path) -> None:
    errors: list[str] = []
    outside: list[str] = []
    # a scale of 0.75 keeps the full-page screenshot small enough for the README
    page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=0.75)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def only_the_file(route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_the_file)
    page.on("websocket", lambda socket: outside.append(socket.url))
    page.goto(dashboard.as_uri())
    expected = {section.id: len(section.charts) for section in sections("month", None)}

    def drawn() -> dict[str, int]:
        page.wait_for_selector("body[data-drawn]", timeout=DRAW_TIMEOUT_MS)
        return {
            section: page.locator(f"section#{section} .view svg.marks").count()
            for section in expected
        }

    assert drawn() == expected
    assert page.locator("section").count() == len(expected)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert (tmp_path / "dashboard.png").stat().st_size > 50_000

    # another account and currency: every chart drawn again with their rows
    page.evaluate("delete document.body.dataset.drawn")
    page.select_option("#account-select", "acct-2")
    page.wait_for_selector("body[data-drawn]", timeout=DRAW_TIMEOUT_MS)
    currencies = page.locator("#currency-select option").all_inner_texts()
    assert len(currencies) > 1, currencies
    page.evaluate("delete document.body.dataset.drawn")
    page.select_option("#currency-select", index=1)
    assert drawn() == expected
    page.close()
    assert errors == []
    assert outside == []
