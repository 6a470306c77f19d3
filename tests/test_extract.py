"""Tests for qa.extract: format detection from content, text per format, and one-line refusals.

Every fixture is built here in tmp_path (PDFs with PyMuPDF, DOCX with python-docx, HTML/text by hand);
the only project file read is a corpus text, for realistic PDF content.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pymupdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.errors import UnreadableDocument
from qa.extract import (
    BINARY,
    DAMAGED_PDF,
    EMPTY,
    ENCRYPTED_PDF,
    LEGACY_OFFICE,
    NOT_WORD_ZIP,
    SCANNED_PDF,
    SUPPORTED_SUFFIXES,
    ExtractedText,
    detect_format,
    extract,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_bytes(data.encode("utf-8"))
    else:
        path.write_bytes(data)
    return path


def refusal(path: Path, **kwargs) -> UnreadableDocument:
    with pytest.raises(UnreadableDocument) as info:
        extract(path, **kwargs)
    exc = info.value
    message = str(exc)
    assert "\n" not in message and "Traceback" not in message
    assert message == f"{exc.path}: {exc.reason}"
    return exc


def corpus_lines(count: int) -> list[str]:
    """Short ASCII lines of a real corpus text (base-14 PDF fonts cannot show curly quotes)."""
    text = (CORPUS / "002_0b70346ca75db3bf.txt").read_text(encoding="utf-8")
    lines = [
        line.strip()
        for line in text.split("\n")
        if 12 <= len(line.strip()) <= 75 and line.isascii() and "  " not in line and "\t" not in line
    ]
    assert len(lines) >= count
    return lines[:count]


def make_pdf(path: Path, pages: list[list[str]], **save_kwargs) -> Path:
    doc = pymupdf.open()
    for lines in pages:
        page = doc.new_page()
        page.insert_text((72, 72), "\n".join(lines), fontsize=9)
    doc.save(path, **save_kwargs)
    doc.close()
    return path


@pytest.fixture(scope="module")
def pdf_pages() -> list[list[str]]:
    lines = corpus_lines(45)
    return [lines[0:15], lines[15:30], lines[30:45]]


# ---------------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------------


def test_pdf_pages_are_joined_and_page_starts_point_at_each_page(tmp_path, pdf_pages):
    result = extract(make_pdf(tmp_path / "pack.pdf", pdf_pages))
    assert isinstance(result, ExtractedText)
    assert result.format == "pdf"
    assert result.page_starts is not None and len(result.page_starts) == 3
    assert result.page_starts[0] == 0
    text, starts = result.text, result.page_starts
    # Pages are separated by exactly one blank line.
    assert text[starts[1] - 2 : starts[1]] == "\n\n" and text[starts[2] - 2 : starts[2]] == "\n\n"
    for number, lines in enumerate(pdf_pages):
        begin = starts[number]
        end = starts[number + 1] if number + 1 < len(starts) else len(text)
        page_text = text[begin:end]
        assert page_text.startswith(lines[0])
        for line in lines:
            assert line in page_text, line
    # A line of page 2 is found after page 2 begins and before page 3.
    second_page_line = pdf_pages[1][7]
    assert starts[1] <= text.index(second_page_line) < starts[2]


def test_pdf_number_and_heading_in_separate_columns_stay_on_one_line(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 100), "MINUTES OF THE AUDIT COMMITTEE", fontsize=11)
    page.insert_text((72, 130), "4", fontsize=11)
    page.insert_text((130, 130), "AUDITED FINAL ACCOUNTS 2008/09", fontsize=11)
    page.insert_text((130, 145), "RESOLVED: That the accounts be noted and the report agreed.", fontsize=11)
    doc.save(tmp_path / "columns.pdf")
    text = extract(tmp_path / "columns.pdf").text
    assert "4\tAUDITED FINAL ACCOUNTS 2008/09" in text.split("\n")


_LIGATURE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


@pytest.mark.skipif(not _LIGATURE_FONT.exists(), reason="needs a TrueType font with ligature glyphs")
def test_pdf_ligatures_are_expanded(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="dv", fontfile=str(_LIGATURE_FONT))
    page.insert_text((72, 72), "The \ufb01nancial of\ufb01cer re\ufb02ected on the \ufb01gures.", fontname="dv", fontsize=11)
    doc.save(tmp_path / "lig.pdf")
    assert extract(tmp_path / "lig.pdf").text == "The financial officer reflected on the figures."


def test_pdf_detected_from_content_whatever_the_name(tmp_path, pdf_pages):
    path = make_pdf(tmp_path / "minutes.txt", pdf_pages)
    assert extract(path).format == "pdf"


def test_pdf_with_leading_whitespace_and_bom_is_still_pdf(tmp_path, pdf_pages):
    data = make_pdf(tmp_path / "a.pdf", pdf_pages).read_bytes()
    assert detect_format(b"\xef\xbb\xbf\r\n " + data) == "pdf"


def test_encrypted_pdf_is_refused(tmp_path, pdf_pages):
    path = make_pdf(
        tmp_path / "secret.pdf", pdf_pages, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y"
    )
    exc = refusal(path)
    assert exc.reason == ENCRYPTED_PDF
    assert str(exc) == f"{path}: encrypted PDF: remove the password and add it again"


def test_pdf_with_only_an_owner_password_is_read(tmp_path, pdf_pages):
    # Opening needs no password, only editing does: that is not a reason to refuse the file.
    path = make_pdf(tmp_path / "owner.pdf", pdf_pages, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="y")
    assert pdf_pages[0][0] in extract(path).text


def test_corrupt_pdf_is_refused(tmp_path):
    path = write(tmp_path, "corrupt.pdf", b"%PDF-1.7\n" + b"this is not a pdf body " * 50)
    assert refusal(path).reason == DAMAGED_PDF


def test_truncated_pdf_is_refused(tmp_path, pdf_pages):
    data = make_pdf(tmp_path / "whole.pdf", pdf_pages).read_bytes()
    path = write(tmp_path, "truncated.pdf", data[:200])
    exc = refusal(path, display_name="papers/truncated.pdf")
    assert exc.reason == DAMAGED_PDF
    assert str(exc) == "papers/truncated.pdf: not a readable PDF (damaged file): re-export it"


def test_image_only_pdf_is_reported_as_a_scan(tmp_path):
    doc = pymupdf.open()
    for _ in range(2):
        page = doc.new_page()
        pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
        pix.set_rect(pix.irect, (240, 240, 240))
        page.insert_image(pymupdf.Rect(50, 50, 550, 780), pixmap=pix)
    doc[1].insert_text((300, 800), "2", fontsize=8)  # a page number is not a text layer
    doc.save(tmp_path / "scan.pdf")
    exc = refusal(tmp_path / "scan.pdf")
    assert exc.reason == SCANNED_PDF
    assert "ocrmypdf" in str(exc)


# ---------------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Police and Crime Panel - 24 September 2019", level=1)
    document.add_paragraph("Minutes of the meeting held at County Hall, Glenfield.")
    document.add_paragraph("Apologies for absence", style="List Number")
    document.add_paragraph("Minutes of the previous meeting", style="List Number")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([("Item", "Report by", "Page"), ("Budget 2020/21", "PCC", "5"), ("Precept", "", "9")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("")  # an empty paragraph adds no blank lines
    document.add_paragraph("RESOLVED: that the report be noted.")
    document.save(path)
    return path


def test_docx_paragraphs_and_tables_in_body_order(tmp_path):
    result = extract(make_docx(tmp_path / "minutes.docx"))
    assert result.format == "docx" and result.page_starts is None
    assert result.text == (
        "Police and Crime Panel - 24 September 2019\n\n"
        "Minutes of the meeting held at County Hall, Glenfield.\n\n"
        "1.\tApologies for absence\n\n"
        "2.\tMinutes of the previous meeting\n\n"
        "Item\tReport by\tPage\n"
        "Budget 2020/21\tPCC\t5\n"
        "Precept\t\t9\n\n"
        "RESOLVED: that the report be noted."
    )


def _numbered(document, paragraphs: list[tuple[int, str]]) -> None:
    """Add a two-level list (2579., 2580. with (i), (ii) under each) as Word stores it."""
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering = document.part.numbering_part.element
    numbering.insert(
        0,
        parse_xml(
            f'<w:abstractNum {w} w:abstractNumId="90">'
            '<w:lvl w:ilvl="0"><w:start w:val="2579"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/><w:lvlText w:val="(%2)"/>'
            '<w:suff w:val="space"/></w:lvl></w:abstractNum>'
        ),
    )
    numbering.append(parse_xml(f'<w:num {w} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for level, text in paragraphs:
        p = document.add_paragraph(text)._p
        p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {w}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>')
        )


def test_docx_multi_level_automatic_numbers_are_written_out(tmp_path):
    document = docx.Document()
    _numbered(document, [(0, "Police Report"), (1, "Farm break-ins"), (1, "Speeding"), (0, "Public Forum"), (1, "None")])
    document.save(tmp_path / "numbered.docx")
    assert extract(tmp_path / "numbered.docx").text.split("\n\n") == [
        "2579.\tPolice Report",
        "(i) Farm break-ins",
        "(ii) Speeding",
        "2580.\tPublic Forum",
        "(i) None",
    ]


def test_docx_detected_from_content_whatever_the_name(tmp_path):
    data = make_docx(tmp_path / "a.docx").read_bytes()
    assert extract(write(tmp_path, "minutes.bin", data)).format == "docx"


def test_zip_without_word_document_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("minutes.txt", "Minutes of the meeting")
    exc = refusal(write(tmp_path, "minutes.docx", buffer.getvalue()))
    assert exc.reason == NOT_WORD_ZIP
    assert exc.reason.startswith("a ZIP archive, not a Word document")
    assert detect_format(buffer.getvalue()) is None


def test_damaged_docx_is_refused(tmp_path):
    data = make_docx(tmp_path / "a.docx").read_bytes()
    exc = refusal(write(tmp_path, "broken.docx", data[: len(data) // 2]))
    assert "Word document" in exc.reason


def test_legacy_doc_is_refused_with_advice(tmp_path):
    exc = refusal(write(tmp_path, "old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600))
    assert exc.reason == LEGACY_OFFICE


# ---------------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------------

MODERNGOV_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Agenda and minutes</title>
<style>body { color: red }</style><script>var tracking = "do not index";</script></head>
<body>
<div id="cookieBanner">We use cookies on this site.</div>
<header><a href="/">Council home</a></header>
<nav class="mgNav"><ul><li><a href="/">Home</a></li><li>Committees</li></ul></nav>
<div class="breadcrumb">Home &gt; Committees &gt; Panel</div>
<div id="mgContent">
<h1 class="mgMainTitle">Agenda and minutes</h1>
<h2>Police and Crime Panel - Tuesday, 24 September 2019 2.00 pm</h2>
<p>Venue:&nbsp;&nbsp;Sparkenhoe Committee Room,
   County Hall,     Glenfield.</p>
<table class="mgItemTable">
<tr><th>No.</th><th>Item</th></tr>
<tr><td>20.</td><td><p>Minutes of the previous meeting.</p><p>PDF 131 KB</p></td></tr>
<tr><td>21.</td><td>Public Question Time.</td></tr>
</table>
<p>RESOLVED:<br>That the minutes be approved.</p>
<ol start="22"><li>Budget 2020/21</li><li>Precept proposal</li></ol>
<div class="sidebar">Related links</div>
<div style="display: none">Hidden print header</div>
</div>
<footer>Copyright Leicestershire County Council</footer>
<script>trackMore();</script>
</body></html>
"""


def test_html_boilerplate_dropped_and_minutes_kept(tmp_path):
    result = extract(write(tmp_path, "item.php", MODERNGOV_PAGE))
    assert result.format == "html" and result.page_starts is None
    text = result.text
    for gone in ("tracking", "trackMore", "cookies", "Council home", "Committees", "Related links", "Copyright", "color", "Hidden"):
        assert gone not in text, gone
    lines = text.split("\n")
    assert lines[0] == "Agenda and minutes"
    assert "Police and Crime Panel - Tuesday, 24 September 2019 2.00 pm" in lines
    assert "Venue: Sparkenhoe Committee Room, County Hall, Glenfield." in lines
    assert "No.\tItem" in lines
    assert "20.\tMinutes of the previous meeting. PDF 131 KB" in lines
    assert "21.\tPublic Question Time." in lines
    assert "RESOLVED:" in lines and "That the minutes be approved." in lines
    assert "22. Budget 2020/21" in lines and "23. Precept proposal" in lines
    assert "\n\n\n" not in text and "  " not in text


def test_html_headings_are_plain_lines_between_blank_lines(tmp_path):
    page = "<div>\n<h4>1. WELCOME AND APOLOGIES</h4>\n<p>Cllr Jones took the Chair.</p>\n<h4>2. MINUTES</h4>\n<p>Approved.</p>\n</div>\n"
    text = extract(write(tmp_path, "m.html", page)).text
    assert text == "1. WELCOME AND APOLOGIES\n\nCllr Jones took the Chair.\n\n2. MINUTES\n\nApproved."


def test_html_fragment_with_ordered_list_items_gets_browser_numbers(tmp_path):
    fragment = (
        '<button class="clear">\n<span aria-hidden="true">x</span>\n</button>\n'
        '<div class="minutes well">\n<time datetime="2020-1-8">8 January 2020</time>\n'
        "<p>The Council held its meeting at 7.30pm on the 8th January 2020.</p>\n"
        '<ol class="minute-matters">\n<li>\n<h4>WELCOME AND APOLOGIES</h4>\n<p>Cllr Davies took the Chair.</p>\n</li>\n'
        "<li>\n<h4>CORRESPONDENCE</h4>\n<ol class=\"roman\">\n<li>Lloyds Bank statement. <em>Noted</em></li>\n"
        "<li>Precept remittance. <em>Noted</em></li>\n</ol>\n</li>\n</ol>\n</div>\n"
    )
    text = extract(write(tmp_path, "minutes_20-01-08.php", fragment)).text
    assert text.split("\n") == [
        "8 January 2020",
        "",
        "The Council held its meeting at 7.30pm on the 8th January 2020.",
        "",
        "1. WELCOME AND APOLOGIES",
        "",
        "Cllr Davies took the Chair.",
        "",
        "2. CORRESPONDENCE",
        "",
        "i. Lloyds Bank statement. Noted",
        "ii. Precept remittance. Noted",
    ]


def test_html_page_that_is_all_chrome_is_refused(tmp_path):
    exc = refusal(write(tmp_path, "menu.html", "<html><body><nav><a href='/'>Home</a> | <a href='/a'>About</a></nav><script>x()</script></body></html>"))
    assert "no text" in exc.reason


def test_form_wrapping_the_whole_page_is_not_dropped(tmp_path):
    page = "<html><body><form id='aspnetForm'><div id='menu'>Menu</div><p>Minutes of the meeting held on 1 May 2020.</p></form></body></html>"
    assert extract(write(tmp_path, "aspx.html", page)).text == "Minutes of the meeting held on 1 May 2020."


def test_deeply_nested_html_is_rendered_without_recursion_errors(tmp_path):
    page = "<div>" * 3000 + "<p>Minutes of the deep meeting.</p>" + "</div>" * 3000
    assert extract(write(tmp_path, "deep.html", page)).text == "Minutes of the deep meeting."


def test_php_fragment_with_code_block_is_html(tmp_path):
    page = "<?php include 'header.php'; ?>\n<div class=\"minutes\">\n<h4>1. APOLOGIES</h4>\n<p>None.</p>\n</div>\n"
    result = extract(write(tmp_path, "minutes.php", page))
    assert (result.format, result.text) == ("html", "1. APOLOGIES\n\nNone.")


# ---------------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_corpus_text_files_come_out_verbatim(path):
    result = extract(path)
    assert result.format == "text" and result.page_starts is None
    assert result.text == path.read_text(encoding="utf-8")


TINTERN_LIKE = (
    '<h1 class="minutehead">Minutes of a meeting of the above Council held on Monday 24th June 2019 at 7.00pm.</h1>\n'
    "Present: Cllrs Hayward (in the chair), Hillard, Evans & the Clerk.\n"
    "2709. Police Report: Attached. Farm break-ins still occurring.\n"
    "2710. Public Forum: No one present.\n"
    "2711. Apologies for absence: Cllr Ashman.<br />\n"
    "2712. Date of next meeting: 29<sup>th</sup> July 2019.\n"
    "2713. Approval of minutes of previous meeting: <b>Approved</b> & signed as correct.\n"
)


def test_text_with_a_few_stray_tags_stays_text_verbatim(tmp_path):
    result = extract(write(tmp_path, "20190624.txt", TINTERN_LIKE))
    assert result.format == "text"
    assert result.text == TINTERN_LIKE


def test_markdown_with_inline_tags_stays_text():
    text = "# Agenda\n\n**Date:** 28<sup>th</sup> July 2020<br />\n\n<p>Item one</p>\n\n- point\n- point\n"
    assert detect_format(text.encode()) == "text"


@pytest.mark.parametrize(
    "content, expected",
    [
        ("<!DOCTYPE html>\n<title>x</title>\nMinutes of the meeting", "html"),
        ("\n\n  <html><p>Minutes</p></html>", "html"),
        ("Minutes<body>\n<p>one</p>\n</body>", "html"),
        # A fragment: opens with a tag, tags on most lines.
        ("<div>\n<h4>ITEM</h4>\n<p>Text</p>\n</div>\n", "html"),
        # A fragment whose paragraphs wrap over source lines: still at least half the lines carry tags.
        ("<p>Minutes of the meeting held on\n1 May 2020 at the Hall.</p>\n<p>Present: Cllr A\nand Cllr B.</p>\n", "html"),
        # Opens with a tag but is mostly plain lines: text.
        ("<h1>Minutes</h1>\nline one\nline two\nline three\n<br />\nline four\n", "text"),
        # Inline tags in the middle of lines do not make a line markup.
        ("<h1>Minutes</h1>\n1. Held on 29<sup>th</sup> July\n2. <b>Approved</b> & signed\n3. Next\n", "text"),
        # Every line opens or closes with a tag: a fragment.
        ("<h1>Minutes</h1>\nHeld on 29 July<br>\nApproved & signed<br>\n", "html"),
        # Tags on most lines but does not open with one: text (verbatim wins when unsure).
        ("Minutes\n<p>one</p>\n<p>two</p>\n<p>three</p>\n", "text"),
        # Angle brackets that are not HTML tags.
        ("<http://example.org/minutes>\n<https://example.org>\n", "text"),
        ("a < b and c > d\n", "text"),
    ],
)
def test_html_versus_text_threshold(content, expected):
    assert detect_format(content.encode("utf-8")) == expected


def test_windows_1252_text_is_decoded(tmp_path):
    content = "Financial Report: Community A/C \u00a36,519.85 \u2013 the Clerk\u2019s salary approved.\r\nNext line\r\n"
    result = extract(write(tmp_path, "minutes.txt", content.encode("cp1252")))
    assert result.format == "text"
    assert result.text == "Financial Report: Community A/C \u00a36,519.85 \u2013 the Clerk\u2019s salary approved.\nNext line\n"


def test_utf8_with_one_stray_cp1252_byte_keeps_the_utf8(tmp_path):
    data = "The Clerk\u2019s report: ".encode("utf-8") + b"\xa3" + b"100 agreed."
    assert extract(write(tmp_path, "mixed.txt", data)).text == "The Clerk\u2019s report: \u00a3100 agreed."


def test_utf8_bom_stripped_and_line_ends_normalised(tmp_path):
    data = b"\xef\xbb\xbfMinutes\r\n\r\nItem 1\rItem 2\n"
    assert extract(write(tmp_path, "bom.txt", data)).text == "Minutes\n\nItem 1\nItem 2\n"


def test_utf16_with_bom_is_text(tmp_path):
    data = "Minutes of the meeting \u00a3 5\r\n".encode("utf-16")
    result = extract(write(tmp_path, "notepad.txt", data))
    assert (result.format, result.text) == ("text", "Minutes of the meeting \u00a3 5\n")


def test_text_with_a_wrong_extension_is_text(tmp_path):
    content = "Minutes of a meeting of the above Council held on Monday 20th May 2019.\n2691. Police Report: No report.\n"
    result = extract(write(tmp_path, "20190520.pdf", content))
    assert (result.format, result.text) == ("text", content)


def test_html_with_a_text_extension_is_html(tmp_path):
    assert extract(write(tmp_path, "page.txt", MODERNGOV_PAGE)).format == "html"


def test_very_long_single_line_is_fine(tmp_path):
    line = "2714. Financial Report: Community A/C 6,519.85 approved. " * 90_000  # ~5 MB, no newline
    result = extract(write(tmp_path, "long.txt", line))
    assert result.format == "text" and result.text == line


# ---------------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\t\n", b"\xef\xbb\xbf\n\n"])
def test_empty_file_is_refused(tmp_path, data):
    path = write(tmp_path, "empty.txt", data)
    exc = refusal(path)
    assert str(exc) == f"{path}: empty file: nothing to index"
    assert exc.reason == EMPTY


def test_binary_junk_named_pdf_is_refused(tmp_path):
    junk = bytes((i * 37 + 11) % 256 for i in range(4096))
    exc = refusal(write(tmp_path, "scan.pdf", junk), display_name="corpus/scan.pdf")
    assert exc.reason == BINARY
    assert str(exc) == (
        "corpus/scan.pdf: not a document (binary data): remove it from the corpus or convert it to PDF, HTML, DOCX or text"
    )
    assert detect_format(junk) is None


def test_binary_without_nul_bytes_is_still_binary():
    junk = bytes(b for b in (((i * 131 + 7) * 89) % 256 for i in range(8192)) if b)
    assert b"\x00" not in junk
    assert detect_format(junk) is None


def test_rtf_is_refused_with_advice(tmp_path):
    exc = refusal(write(tmp_path, "minutes.txt", r"{\rtf1\ansi\deff0 {\fonttbl {\f0 Times;}} Minutes\par }"))
    assert exc.reason.startswith("an RTF file")


def test_password_protected_word_file_is_refused_as_encrypted(tmp_path):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(400) + "EncryptedPackage".encode("utf-16-le") + bytes(100)
    assert refusal(write(tmp_path, "secret.docx", data)).reason.startswith("encrypted Word document")


def test_png_is_binary():
    assert detect_format(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)) is None


def test_oversize_file_is_refused_before_reading(tmp_path):
    path = write(tmp_path, "big.txt", "Minutes " * 200)
    exc = refusal(path, max_bytes=1024)
    assert exc.reason.startswith("larger than the ")
    assert exc.reason.endswith(" MB limit: split it or raise QA_MAX_FILE_MB")


def test_size_limit_wording_for_the_default():
    from qa.extract import _too_large

    assert _too_large(25 * 1024 * 1024) == "larger than the 25 MB limit: split it or raise QA_MAX_FILE_MB"


def test_missing_file_is_refused(tmp_path):
    exc = refusal(tmp_path / "nope.pdf")
    assert exc.reason.startswith("cannot read the file")


def test_supported_suffixes():
    assert {".pdf", ".html", ".htm", ".php", ".docx", ".txt", ".md", ".text"} == set(SUPPORTED_SUFFIXES)


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------

_MAGIC = st.sampled_from([b"", b"%PDF-1.4\n", b"PK\x03\x04", b"<html>", b"<div>\n<p>", b"\xef\xbb\xbf", b"\xff\xfe"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(magic=_MAGIC, body=st.binary(max_size=2000))
def test_any_bytes_give_text_or_a_one_line_refusal(tmp_path, magic, body):
    data = magic + body
    assert detect_format(data) in ("pdf", "docx", "html", "text", None)
    path = tmp_path / "any.bin"
    path.write_bytes(data)
    try:
        result = extract(path)
    except UnreadableDocument as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{path}: ")
    else:
        assert result.format in ("pdf", "docx", "html", "text")
        assert isinstance(result.text, str) and result.text.strip()


_PLAIN = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="<\ufeff") | st.sampled_from("\n\t"),
    min_size=1,
    max_size=300,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_PLAIN)
def test_plain_text_is_detected_as_text_and_kept_verbatim(tmp_path, content):
    data = content.encode("utf-8")
    assert detect_format(data) == "text"
    path = tmp_path / "plain.txt"
    path.write_bytes(data)
    if content.strip():
        result = extract(path)
        assert (result.format, result.text) == ("text", content)
    else:
        assert refusal(path).reason == EMPTY
