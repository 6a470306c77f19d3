"""Issue 18 in a real browser: what a person reads, the original at the words, the Documents page, axe-core.

One ``streamlit run app.py`` for the module, over a temporary copy of the corpus and of the test index (the
project's corpus/ and index/ are never touched), with a staff password; driven by Debian's Chromium
(/usr/bin/chromium; never a downloaded browser). In order:

* axe-core (tests/browser/axe_chat.mjs, through playwright-core) on the answered chat page: no serious or
  critical violation.
* The answers and source cards of three questions read as text: no literal markup or page furniture in the
  rendered innerText.
* A text citation opens the Source page at the span: the document's text in a frame with the span in
  ``<mark id="hit">``, scrolled into view.
* The Documents page, signed in as staff: a junk file is refused with its reason and nothing changes (same
  documents, same corpus folder, same index version); a PDF made here (PyMuPDF, two pages, one sentence
  nobody else has, on page 2) is answerable straight after "Add and rebuild", with no restart.
* Its citation opens the Source page at page 2, the page image carrying the highlight (yellow pixels counted
  in the served PNG).

Screenshots docs/chat.png, docs/source.png and docs/documents.png are written when QA_SCREENSHOT_DIR=docs is
set (otherwise into the test's temporary folder).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from test_browser import ANSWER, CHAT_INPUT, ROOT, ask, chromium, screenshot_path, streamlit_server

pytestmark = pytest.mark.browser

PASSWORD = "s3cret-staff"
AXE_DIR = ROOT / "tests" / "browser"
QUESTIONS = (  # (question, words the answer shows) — the three of the issue
    ("when is the next meeting", "meeting"),
    ("how long does it take to answer a 101 call", "101"),
    ("Glen Parva prison update", "Glen Parva"),
)
# What must never be read on the page: markup shown as text, and ModernGov furniture.
LITERAL_MARKUP = ("<sup>", "</sup>", "<p>", "</p>", "<br", "####", "**", "pdf icon", "View directions")
TABLE_PIPES = re.compile(r"\|\s*[-:]{3,}|\S\s*\|\s*\S.*\|")
PDF_NAME = "hive-minutes.pdf"
PDF_QUESTION = "How many honey bee colonies did the apiary inspector count?"
PDF_FACT = "3,917 honey bee colonies"


def make_pdf(path: Path) -> None:
    """Two pages of minutes; the fact only this paper has is on page 2."""
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_textbox(pymupdf.Rect(50, 50, 550, 800), (
        "Minutes of a meeting of the Rutland Apiary Liaison Committee\n"
        "held on Wednesday, 14 April 2021 at 2.00 pm\n\n1. Apologies\n\n"
        "Apologies were received from the Chair of the Parish Council.\n\n"
        "2. Minutes of the previous meeting\n\nRESOLVED: That the minutes of the meeting held on 10 February "
        "2021 be approved as a correct record.\n"), fontsize=11)
    doc.new_page().insert_textbox(pymupdf.Rect(50, 50, 550, 800), (
        "3. Spring colony survey\n\nThe Committee received the spring survey report. The apiary inspector "
        "counted 3,917 honey bee colonies in the county during the spring survey, up from 3,402 last year.\n\n"
        "RESOLVED: That the survey report be noted.\n"), fontsize=11)
    doc.save(path)
    doc.close()


@pytest.fixture(scope="module")
def site(index_dir, tmp_path_factory):
    """A temporary copy of the corpus and of the test index (built once per session by conftest)."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "corpus", root / "corpus")
    shutil.copytree(index_dir, root / "index", ignore=shutil.ignore_patterns(".lock"))
    return root


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(site, browser):
    with streamlit_server(site / "server.log", QA_INDEX_DIR=site / "index", QA_CORPUS_DIR=site / "corpus",
                          QA_STAFF_PASSWORD=PASSWORD, QA_FEEDBACK_DB=site / "feedback.sqlite3") as url:
        # One visit to the main page first: Streamlit 1.67 answers the very first session of a fresh server
        # that opens another page's URL (/documents) with a spurious "Page not found" dialog, which leaves the
        # page inert; every later session is routed correctly.
        context = browser.new_context()
        context.new_page().goto(url, wait_until="domcontentloaded")
        context.pages[0].locator("h1").first.wait_for(timeout=120_000)
        context.close()
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, errors


def settle(page, timeout_ms: int = 120_000) -> None:
    """Wait until the script run is over: no status widget, no element left faded from the run before."""
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget'] *\")"
                           " && !document.querySelector(\"[data-stale='true']\")", timeout=timeout_ms)
    page.wait_for_timeout(300)


def top_and_shoot(page, path: Path) -> None:
    page.locator("h1").first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(400)
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def assert_reads_as_text(shown: str, where: str) -> None:
    for bad in LITERAL_MARKUP:
        assert bad not in shown, f"{bad!r} shown literally in {where}:\n{shown[:3000]}"
    pipes = [line for line in shown.splitlines() if TABLE_PIPES.search(line)]
    assert not pipes, f"table pipes shown in {where}: {pipes[:5]}"


# ---------------------------------------------------------------------------------------------- axe-core
def test_axe_core_finds_no_serious_or_critical_violation_on_the_chat_page(server):
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node/npm missing: the axe-core check needs Node.js (apt-get install -y nodejs npm)")
    if not (AXE_DIR / "node_modules" / "axe-core").is_dir() or not (AXE_DIR / "node_modules" / "playwright-core").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR, check=True, capture_output=True,
                       timeout=300)
    question, expect = QUESTIONS[1]
    run = subprocess.run([node, "axe_chat.mjs", server, question, expect, "/usr/bin/chromium"], cwd=AXE_DIR,
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    found = {v["id"]: v["impact"] for v in report["violations"]}
    print(f"\naxe-core {report['axe']}: {report['passes']} rules passed, violations {found or 'none'}")
    bad = [v for v in report["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, json.dumps(bad, indent=1)[:4000]


# ---------------------------------------------------------------------------------------------- display text
@pytest.mark.parametrize("question,expect", QUESTIONS, ids=["next-meeting", "101-call", "glen-parva"])
def test_answers_and_source_cards_read_as_text(server, page, question, expect, tmp_path):
    ask(page, server, question, expect)
    settle(page)
    reply = page.locator(ANSWER).nth(1)
    shown = reply.inner_text()
    assert "[1]" in shown and "Sources" in shown, shown[:2000]
    assert_reads_as_text(shown, f"the reply to {question!r}")
    assert reply.get_by_role("link", name=re.compile(r"Open (page \d+|the source)")).count() >= 1
    # The whole agenda item of the first card reads as text too.
    item = reply.locator("[data-testid='stExpander']").filter(has_text="Whole agenda item").first
    item.locator("summary").click()
    settle(page)
    assert_reads_as_text(item.inner_text(), f"the whole agenda item for {question!r}")
    if expect == "101":
        item.locator("summary").click()  # closed again for the picture
        settle(page)
        top_and_shoot(page, screenshot_path(tmp_path, "chat.png"))


# ---------------------------------------------------------------------------------------------- the original
def test_text_citation_opens_the_document_at_the_span(server, page):
    question, expect = QUESTIONS[1]
    ask(page, server, question, expect)
    settle(page)
    reply = page.locator(ANSWER).nth(1)
    link = reply.get_by_role("link", name="Open the source").first
    href = link.get_attribute("href")
    assert href and "source=" in href and "start=" in href, href
    link.click()
    page.wait_for_url(re.compile(r"/source\?"), timeout=30_000)
    settle(page)
    title = page.locator("h1").first.inner_text()
    assert title.startswith("Police and Crime Panel"), title
    frame = page.frame_locator("iframe").first
    hit = frame.locator("mark#hit")
    hit.wait_for(state="attached", timeout=30_000)
    marked = " ".join(frame.locator("mark").all_inner_texts())
    assert "101" in marked, marked[:500]
    page.wait_for_timeout(500)  # the frame's own script scrolls on load
    where = hit.evaluate("m => ({top: m.getBoundingClientRect().top, bottom: m.getBoundingClientRect().bottom, "
                         "height: window.innerHeight, scrolled: document.scrollingElement.scrollTop})")
    assert where["scrolled"] > 0, where
    assert 0 <= where["top"] < where["height"] and where["bottom"] > 0, f"the span is not in view: {where}"
    assert_reads_as_text(frame.locator("body").inner_text(), "the source view")


# ---------------------------------------------------------------------------------------------- Documents page
def sign_in(page, server: str) -> None:
    page.goto(f"{server}/documents", wait_until="domcontentloaded")
    page.get_by_label("Staff password").wait_for(state="visible", timeout=60_000)
    settle(page)  # the page is inert until its first run (loading the index) is over
    page.get_by_label("Staff password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That is not the staff password.").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    page.get_by_label("Staff password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("[data-testid='stFileUploader']").wait_for(state="visible", timeout=30_000)
    settle(page)


def document_count(page) -> int:
    return page.locator("[data-testid='stExpander']").count()


def upload(page, name: str, data: bytes, mime: str) -> None:
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.locator(f"[data-testid='stFileChipName'][title='{name}']").wait_for(timeout=30_000)
    page.get_by_role("button", name="Add and rebuild").click()


def test_junk_upload_is_refused_with_its_reason_and_nothing_changes(server, site, page):
    from qa.store import version_key

    corpus_before = sorted(p.name for p in (site / "corpus").iterdir())
    version_before = version_key(site / "index")
    sign_in(page, server)
    before = document_count(page)
    assert before == len(corpus_before) == 5
    # Text named .pdf: the extractor, which goes by content, would have indexed it as text.
    upload(page, "junk.pdf", b"Lorem ipsum dolor sit amet, not a PDF at all. " * 40, "application/pdf")
    error = page.get_by_text(re.compile(r"Not added: junk\.pdf: ")).first
    error.wait_for(timeout=60_000)
    settle(page)
    reason = error.inner_text().split("junk.pdf:", 1)[1].strip()
    assert reason.startswith("is not a PDF but plain text"), error.inner_text()
    assert page.locator("[data-testid='stAlertContentSuccess']").count() == 0, "nothing was added"
    page.reload(wait_until="domcontentloaded")
    page.locator("[data-testid='stExpander']").first.wait_for(timeout=60_000)
    settle(page)
    assert document_count(page) == before
    assert sorted(p.name for p in (site / "corpus").iterdir()) == corpus_before
    assert version_key(site / "index") == version_before


def test_uploaded_pdf_is_answerable_without_a_restart(server, site, page, tmp_path):
    pdf = tmp_path / PDF_NAME
    make_pdf(pdf)
    sign_in(page, server)
    before = document_count(page)
    upload(page, PDF_NAME, pdf.read_bytes(), "application/pdf")
    # The rebuild's flash, after the page's own rerun.
    page.locator("[data-testid='stAlertContentSuccess']").filter(has_text=re.compile("embedded|indexed|added",
                                                                                    re.I)).first.wait_for(
        timeout=180_000)
    settle(page)
    assert document_count(page) == before + 1
    assert page.locator("[data-testid='stExpander']").filter(has_text="Rutland Apiary Liaison Committee").count() == 1
    assert (site / "corpus" / PDF_NAME).is_file()
    page.set_viewport_size({"width": 1280, "height": 1700})  # the list and the staff's upload in one picture
    top_and_shoot(page, screenshot_path(tmp_path, "documents.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    # The same server, no restart: the chat page answers from the new paper.
    ask(page, server, PDF_QUESTION, "3,917")
    settle(page)
    reply = page.locator(ANSWER).nth(1)
    assert PDF_FACT in reply.inner_text()
    assert "Rutland Apiary Liaison Committee" in reply.inner_text()


def test_pdf_citation_opens_its_page_with_the_words_highlighted(server, site, page, tmp_path):
    import pymupdf

    ask(page, server, PDF_QUESTION, "3,917")
    settle(page)
    reply = page.locator(ANSWER).nth(1)
    link = reply.get_by_role("link", name="Open page 2").first
    link.wait_for(state="visible", timeout=30_000)
    link.click()
    page.wait_for_url(re.compile(r"/source\?"), timeout=30_000)
    image = page.locator("[data-testid='stImage'] img, [data-testid='stFullScreenFrame'] img").first
    image.wait_for(state="visible", timeout=60_000)
    settle(page)
    assert page.locator("h1").first.inner_text().startswith("Rutland Apiary Liaison Committee")
    captions = page.locator("[data-testid='stImageCaption'], [data-testid='stCaptionContainer']").all_inner_texts()
    assert any(c.strip() == "Page 2" for c in captions), captions
    assert not any("could not be found" in c for c in captions), captions
    assert page.locator("[data-testid='stImage'] img").count() == 1, "only the cited page"
    # The served page image: PyMuPDF's highlight (stroke 1.0, 0.85, 0.2) multiplied onto white paper.
    png = page.request.get(image.get_attribute("src") if image.get_attribute("src").startswith("http")
                           else server + image.get_attribute("src")).body()
    pix = pymupdf.Pixmap(png)
    samples, n = pix.samples, pix.n
    yellow = sum(1 for i in range(0, len(samples), n)
                 if samples[i] > 230 and 190 < samples[i + 1] < 235 and samples[i + 2] < 110)
    assert yellow > 2000, f"{yellow} highlighted pixels on the page image"
    top_and_shoot(page, screenshot_path(tmp_path, "source.png"))
