"""The app in a real browser: ``streamlit run app.py`` on a free port, driven by Debian's Chromium.

Never downloads a browser: it uses /usr/bin/chromium (``apt-get install -y chromium``). Takes a 1280x900
screenshot of the answered page (into the test's temporary folder; set QA_SCREENSHOT_DIR=docs, or
QA_SCREENSHOT=docs/screenshot.png, to refresh the README's picture) and prints the time from page load to the
first answer (warm server). ``streamlit_server``, ``chromium`` and ``ask`` are shared with
tests/test_browser_pages.py. Run only these with ``pytest -m browser``.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
QUESTION = "What was the one-off Home Office grant for People Zones to be used for?"
CITATION_DATE = "24 September 2019"
CHAT_INPUT = "textarea[data-testid='stChatInputTextArea']"
ANSWER = "[data-testid='stChatMessage']"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(log: Path, **env):
    """``streamlit run app.py`` on a free loopback port with ``env`` added (QA_* settings); yields its URL and
    stops it after. No traceback may reach its log."""
    port = _free_port()
    env = {**os.environ, **{k: str(v) for k, v in env.items()}, "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@contextmanager
def chromium():
    """Debian's Chromium through Playwright (skips when it is not installed; never downloads a browser)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: install it with apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """Where a screenshot goes: QA_SCREENSHOT_DIR (e.g. ``docs``, relative to the project) refreshes the
    README's pictures; otherwise the test's temporary folder."""
    folder = os.environ.get("QA_SCREENSHOT_DIR")
    path = (Path(folder) if Path(folder).is_absolute() else ROOT / folder) / name if folder else tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def server(index_dir, tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("streamlit") / "server.log", QA_INDEX_DIR=index_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def ask(page, url: str, question: str, expect: str, timeout_ms: int = 90_000) -> tuple[float, float]:
    """Load the page, ask, and wait until ``expect`` shows in the answer.

    Returns (seconds from page load to the answer, of which seconds from Enter to the answer)."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    box = page.locator(CHAT_INPUT)
    box.wait_for(state="visible", timeout=timeout_ms)
    box.fill(question)
    t1 = time.perf_counter()
    box.press("Enter")
    page.locator(ANSWER).nth(1).get_by_text(expect).first.wait_for(state="visible", timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stSpinner']", state="detached", timeout=timeout_ms)
    t2 = time.perf_counter()
    return t2 - t0, t2 - t1


def test_ask_in_browser_and_screenshot(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    cold, _ = ask(page, server, QUESTION, CITATION_DATE)
    warm, answering = ask(page, server, QUESTION, CITATION_DATE)  # a fresh page load against the warm server
    print(f"\npage load to first answer: {warm:.2f} s warm, of which {answering:.2f} s from Enter to the answer "
          f"({cold:.2f} s for the server's very first question, which loads the model)")
    answer = page.locator(ANSWER).nth(1)
    assert "[1]" in answer.inner_text()
    assert answer.locator(".stMarkdownColoredBackground").count() >= 1, "answering sentence highlighted"
    assert page.get_by_text("People Zones").first.is_visible()
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "Something went wrong" not in body
    download = answer.get_by_role("button", name="Original").first
    download.wait_for(state="visible")
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename == "000_e85a23fc583d8396.txt"
    assert "People Zones" in Path(info.value.path()).read_text()
    page.get_by_text("Running...").wait_for(state="hidden", timeout=30_000)
    page.locator("h1").first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    shot = Path(os.environ["QA_SCREENSHOT"]) if os.environ.get("QA_SCREENSHOT") else screenshot_path(tmp_path,
                                                                                                     "screenshot.png")
    shot = shot if shot.is_absolute() else ROOT / shot
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert not errors, errors
    context.close()


def test_phone_width(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    ask(page, server, QUESTION, CITATION_DATE)
    answer = page.locator(ANSWER).nth(1)
    box = answer.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1
    answer.scroll_into_view_if_needed()
    assert answer.get_by_text(CITATION_DATE).first.is_visible()
    overflow = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert overflow <= 392, f"page is {overflow}px wide on a 390px phone"
    page.screenshot(path=str(tmp_path / "phone.png"))
    context.close()


def test_document_markup_is_shown_as_text(server, browser):
    """Pack 002 has a literal <ul style=...> in a table cell: it is left out of what is shown (qa.display),
    never rendered as a list, and the words stay."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    ask(page, server, "What are the three main objectives of Prevent?", "Prevent")
    answer = page.locator(ANSWER).nth(1)
    shown = answer.inner_text()
    for bad in ("<ul", "</p>", "<sup>", "####", "**", "pdf icon"):
        assert bad not in shown, bad
    assert answer.locator("ul[style]").count() == 0
    assert page.locator("script:not([src])", has_text="alert").count() == 0
    context.close()
