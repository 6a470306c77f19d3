"""Turn one corpus file into the text that passages and citations index into.

Design.

- The format comes from the bytes, never the file name: council sites serve HTML as ``.php``, save text
  as ``.pdf`` and zip things up, so an extension is only a hint for which files to look at
  (``SUPPORTED_SUFFIXES``). ``detect_format`` sniffs magic numbers (``%PDF-``, a ZIP holding
  ``word/document.xml``), then decodes the bytes as text and decides between HTML and plain text.
- Plain text is kept verbatim (only the BOM goes and line ends become ``\\n``): citations are character
  offsets, and a plain-text file with a few stray tags (``<h1 class=minutehead>``, ``<br />``,
  ``<sup>th</sup>``) is still that text. Only a file that really is an HTML page or fragment (a doctype,
  ``<html>`` or ``<body>``; or it opens with a tag and at least half its lines begin or end with one)
  is rendered.
- HTML, DOCX and PDF are rendered to plain text with one block (paragraph, heading, list item, table
  row) per line and a blank line between paragraphs, because the parser reads numbered headings line
  by line. Table cells are separated by a tab.
- PDF pages are read in reading order (PyMuPDF's sorted, layout-simulating extraction, which keeps an
  item number and its heading on one line), joined with a blank line, and ``page_starts`` records where
  each page begins so a citation can name its page.
- Every failure is an ``UnreadableDocument`` whose reason is one line saying what is wrong and what to
  do; no parser exception escapes, so one bad file never stops the indexing of a corpus.
"""
from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import pymupdf
from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from .errors import UnreadableDocument

SUPPORTED_SUFFIXES = frozenset({".pdf", ".html", ".htm", ".php", ".docx", ".txt", ".md", ".text"})

_MB = 1024 * 1024

# Reasons (after "path: "). Each says what is wrong and what the user can do about it.
EMPTY = "empty file: nothing to index"
BINARY = "not a document (binary data): remove it from the corpus or convert it to PDF, HTML, DOCX or text"
NOT_WORD_ZIP = "a ZIP archive, not a Word document: unzip it or convert it to PDF, HTML, DOCX or text"
LEGACY_OFFICE = "a legacy Word .doc (or other old Office) file: save it as DOCX or PDF and add it again"
ENCRYPTED_WORD = "encrypted Word document: remove the password and add it again"
RTF = "an RTF file: save it as DOCX or PDF and add it again"
ENCRYPTED_PDF = "encrypted PDF: remove the password and add it again"
DAMAGED_PDF = "not a readable PDF (damaged file): re-export it"
SCANNED_PDF = "scanned PDF with no text layer: run OCR (e.g. ocrmypdf) and add it again"
EMPTY_PDF = "PDF with no text and no images: nothing to index"
DAMAGED_DOCX = "not a readable Word document (damaged file or unsupported variant): re-save it as DOCX or PDF"
EMPTY_DOCX = "Word document with no text: nothing to index"
HUGE_DOCX = "Word document too large when unpacked: split it and add the parts"
EMPTY_HTML = "HTML page with no text: nothing to index"
BAD_HTML = "HTML that cannot be parsed: save the page again or convert it to PDF"

# A PDF whose pages average fewer visible characters than this has no real text layer: a scan with
# a page number or a stray stamp must still be reported as a scan, not indexed as near-empty text.
_MIN_CHARS_PER_PAGE = 20
# document.xml beyond this unpacked size is a zip bomb or a file no one should index in one piece.
_MAX_DOCX_XML_BYTES = 512 * _MB


@dataclass(frozen=True)
class ExtractedText:
    text: str  # the text the citations index into ([start, end) offsets)
    format: str  # "pdf" | "html" | "docx" | "text"
    page_starts: tuple[int, ...] | None  # PDF only: offset in `text` where page 1, 2, ... begins


# ---------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------


def detect_format(data: bytes) -> str | None:
    """``"pdf"``, ``"docx"``, ``"html"``, ``"text"``, or ``None`` for anything else (binary data)."""
    kind, _ = _sniff(data)
    return kind if kind in ("pdf", "docx", "html", "text") else None


def extract(path: Path, display_name: str | None = None, max_bytes: int = 25 * _MB) -> ExtractedText:
    """Read ``path`` and return its text; raise ``UnreadableDocument`` for anything that cannot be read."""
    path = Path(path)
    name = display_name or str(path)
    data = _read_bytes(path, name, max_bytes)
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise UnreadableDocument(name, EMPTY)
    kind, text = _sniff(data)
    if kind == "pdf":
        return _guarded(_extract_pdf, data, name, DAMAGED_PDF)
    if kind == "docx":
        return _guarded(_extract_docx, data, name, DAMAGED_DOCX)
    if kind == "html":
        return _guarded(_extract_html, text, name, BAD_HTML)
    if kind == "text":
        if not text.strip():
            raise UnreadableDocument(name, EMPTY)
        return ExtractedText(text=text, format="text", page_starts=page_markers(text))
    raise UnreadableDocument(name, _REFUSALS.get(kind, BINARY))


_REFUSALS = {"zip": NOT_WORD_ZIP, "ole": LEGACY_OFFICE, "ole-encrypted": ENCRYPTED_WORD, "rtf": RTF}


def _read_bytes(path: Path, name: str, max_bytes: int) -> bytes:
    try:
        # Check the size before reading so a multi-GB file is refused without being loaded.
        if path.stat().st_size > max_bytes:
            raise UnreadableDocument(name, _too_large(max_bytes))
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # +1: a file that grew (or lies about its size) is still caught
    except OSError as exc:
        raise UnreadableDocument(name, f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if len(data) > max_bytes:
        raise UnreadableDocument(name, _too_large(max_bytes))
    return data


def _too_large(max_bytes: int) -> str:
    mb = max_bytes / _MB
    shown = f"{mb:.2f}".rstrip("0").rstrip(".")  # 25 -> "25", 0.5 -> "0.5", 1000 -> "1000"
    if shown == "0":
        shown = f"{mb:.2g}"  # a tiny limit (tests) still shows a non-zero number
    return f"larger than the {shown} MB limit: split it or raise QA_MAX_FILE_MB"


def _guarded(extractor, payload, name: str, fallback_reason: str) -> ExtractedText:
    """Run one format's extractor; any exception a parser throws becomes a one-line refusal."""
    try:
        return extractor(payload, name)
    except UnreadableDocument:
        raise
    except Exception:  # a third-party parser can fail in any way on a hostile file; never leak a traceback
        raise UnreadableDocument(name, fallback_reason) from None


# ---------------------------------------------------------------------------------------------------
# Format detection
# ---------------------------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _sniff(data: bytes) -> tuple[str | None, str | None]:
    """The kind of ``data`` (including the refused kinds) and, for text kinds, its decoded text."""
    head = data[:1024].lstrip(b" \t\r\n\f\v\xef\xbb\xbf")  # some tools put a BOM or blank lines first
    if head.startswith(b"%PDF-"):
        return "pdf", None
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data), None
    if data.startswith(_OLE_MAGIC):
        # A password-protected .docx is an OLE container holding an "EncryptedPackage" stream.
        return ("ole-encrypted" if "EncryptedPackage".encode("utf-16-le") in data else "ole"), None
    text = decode_text(data)
    if text is None:
        return None, None
    if text.lstrip().startswith("{\\rtf"):
        return "rtf", None
    return ("html" if looks_like_html(text) else "text"), text


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "docx" if "word/document.xml" in z.namelist() else "zip"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # A truncated .docx has no readable directory, but its local headers still name the part:
        # call it a (damaged) Word document rather than "not a Word document".
        return "docx" if b"word/document.xml" in data else "zip"


# ---- text decoding ---------------------------------------------------------------------------------


def _cp1252_table() -> list[str]:
    table = []
    for b in range(256):
        try:
            table.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            table.append(chr(b))  # the five bytes cp1252 leaves undefined: Latin-1
    return table


_CP1252 = _cp1252_table()


def _decode_bad_bytes_as_cp1252(err: UnicodeDecodeError) -> tuple[str, int]:
    return "".join(_CP1252[b] for b in err.object[err.start : err.end]), err.end


# Registered under a private name; the handler only affects decodes that ask for it by that name.
codecs.register_error("qa-extract-cp1252", _decode_bad_bytes_as_cp1252)

# C0 controls other than tab, newline, CR, VT, FF, plus DEL and the C1 block: rare in real text.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_SAMPLE_CHARS = 1_000_000


def decode_text(data: bytes) -> str | None:
    """Decode ``data`` as text, or ``None`` when it is binary.

    UTF-8 (BOM stripped); bytes that are not UTF-8 are read as Windows-1252 (Latin-1 for the five bytes
    it leaves undefined). Doing that per byte, not per file, keeps the UTF-8 text of a file that has one
    stray cp1252 "£" intact; for a file that is entirely cp1252 it gives the same result. A UTF-16 file
    (Notepad's "Unicode") is recognised by its BOM. Line ends become ``\\n``; nothing else changes.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, guessed = data.decode("utf-16"), False
        except UnicodeDecodeError:
            return None
    else:
        if b"\x00" in data[:8192]:  # the rule git and grep use: NUL bytes mean binary
            return None
        try:
            text, guessed = data.decode("utf-8-sig"), False
        except UnicodeDecodeError:
            text, guessed = data.decode("utf-8-sig", errors="qa-extract-cp1252"), True
    if not _plausible_text(text, guessed):
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _plausible_text(text: str, guessed: bool) -> bool:
    sample = text[:_SAMPLE_CHARS]
    if not sample:
        return True
    if len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        return False
    # Binary data "decodes" as cp1252 too, but real single-byte text is overwhelmingly ASCII.
    return not (guessed and len(_NON_ASCII.findall(sample)) > 0.3 * len(sample))


# ---- HTML or text? ---------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    """a abbr address article aside audio b base bdi bdo big blockquote body br button canvas caption center
    cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption
    figure font footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label
    legend li link main map mark menu meta meter nav noscript object ol optgroup option output p param
    picture pre progress q s samp script section select small source span strike strong style sub summary
    sup svg table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr""".split()
)
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)(?=[\s/>])")
_TAG_AT_END = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>$")
_DOCUMENT_MARKER = re.compile(r"<!doctype\s+html|<html[\s>]", re.I)
_BODY = re.compile(r"<body[\s>]", re.I)
_MAX_LINES_SAMPLED = 5000


def looks_like_html(text: str) -> bool:
    """True when ``text`` is an HTML page or fragment, not plain text with a few stray tags.

    A page says so (doctype, ``<html>``, ``<body>``). A fragment (ModernGov item pages, ``.php`` includes)
    must open with an HTML tag *and* at least half of its non-blank lines must be markup lines (begin or
    end with a tag; a paragraph wrapped over several source lines still opens and closes with one).
    Plain-text minutes that open with ``<h1 class=minutehead>`` and carry ``<br />``, ``<sup>th</sup>``
    or ``<b>`` here and there have a small minority of such lines, and rendering them would drop
    characters that citations count.
    """
    if _DOCUMENT_MARKER.search(text[:4096]) or _BODY.search(text[:65536]):
        return True
    start = text.lstrip()
    if not (start.startswith(("<!--", "<?php")) or _starts_with_html_tag(start)):
        return False
    lines = [line.strip() for line in start.split("\n", _MAX_LINES_SAMPLED)[:_MAX_LINES_SAMPLED]]
    lines = [line for line in lines if line]
    markup = sum(1 for line in lines if _is_markup_line(line))
    return markup * 2 >= len(lines)


def _starts_with_html_tag(s: str) -> bool:
    m = _TAG.match(s)
    return bool(m and m.group(1).lower() in _HTML_TAGS)


def _is_markup_line(line: str) -> bool:
    if line.startswith("<!--") or _starts_with_html_tag(line):
        return True
    m = _TAG_AT_END.search(line)
    return bool(m and m.group(1).lower() in _HTML_TAGS)


# ---------------------------------------------------------------------------------------------------
# Shared line tidying
# ---------------------------------------------------------------------------------------------------

_LAYOUT_GAP = re.compile(r" {3,}")  # a column gap in simulated PDF layout, wider than any word space
_SPACES = re.compile(r" {2,}")
_SPACES_AROUND_TAB = re.compile(r" *\t *")
_STRAY_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _tidy_lines(text: str, gaps_to_tabs: bool = False) -> str:
    """One space between words, no indentation, at most one blank line in a row, no blank ends."""
    out: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip(" ")
        if gaps_to_tabs:
            line = _LAYOUT_GAP.sub("\t", line)
        line = _SPACES_AROUND_TAB.sub("\t", _SPACES.sub(" ", line)).rstrip(" \t")
        if line.strip():
            out.append(line)
        elif out and out[-1]:
            out.append("")
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------
# Page markers in text taken from PDFs
# ---------------------------------------------------------------------------------------------------

_PAGE_RULE = re.compile(r"^[ \t]*-{3,}[ \t]*$", re.M)
_PAGE_NUMBER = re.compile(r"[ \t]*\n?(?:[ \t]*\n)?[ \t]*(?:page\s+)?(\d{1,4})[ \t]*(?:\n|\Z)", re.I)


def page_markers(text: str) -> tuple[int, ...] | None:
    """Page starts of text converted from a PDF that marks each page break with a "---" line, the printed
    page number usually on the next line ("---\n2\n"). The result is in ``page_starts`` form: a page
    the text does not hold repeats the next start, so ``bisect_right(starts, offset)`` is the printed
    number. A Markdown rule or two is not a page break: it takes at least two "---" lines of which at
    least one is followed by a page number. A front matter block is not a page.
    """
    rules = [m for m in _PAGE_RULE.finditer(text)]
    if text.startswith("---"):
        close = next((m for m in rules[1:] if m.start() > 0), None)
        rules = [m for m in rules if close is None or m.start() > close.start()]
    if len(rules) < 2:
        return None
    pages: list[tuple[int, int | None]] = []
    numbered = 0
    following: list[str] = []
    for m in rules:
        nm = _PAGE_NUMBER.match(text, m.end() + 1) if m.end() < len(text) else None
        number = int(nm.group(1)) if nm else None
        numbered += number is not None
        pages.append((m.start(), number))
        following.append(text[m.end() + 1:].split("\n", 1)[0].strip())
    notice = max(set(following), key=following.count)
    if not numbered and not (notice and following.count(notice) >= max(3, 0.8 * len(rules))):
        return None  # a page break is numbered, or each one carries the same notice ("Scanned page ...")
    starts: list[int] = [0]
    prev = 0
    for k, (start, number) in enumerate(pages):
        near_top = not text[:start].strip().count("\n") > 3
        if number is not None and number > prev:
            label = number
        elif k == 0 and near_top:
            label = 1  # "[Original file](...)\n\n---" at the top: the rule opens page 1
        else:
            label = prev + 1
        prev = label
        while len(starts) < label:
            starts.append(start)
    return tuple(starts)


# ---------------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------------

# MuPDF prints repair warnings for damaged files on stderr; they would clutter every CLI run, and what
# matters reaches the user as an UnreadableDocument instead.
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)

# Default text flags minus ligature preservation: "ﬁ" must come out as "fi" or "financial" is unsearchable.
_PDF_TEXT_FLAGS = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES


def _extract_pdf(data: bytes, name: str) -> ExtractedText:
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception:
        raise UnreadableDocument(name, DAMAGED_PDF) from None
    try:
        if doc.needs_pass and not doc.authenticate(""):
            raise UnreadableDocument(name, ENCRYPTED_PDF)
        if doc.page_count == 0:
            raise UnreadableDocument(name, DAMAGED_PDF)
        pages = [_pdf_page_text(page) for page in doc]
        if all(p is None for p in pages):
            raise UnreadableDocument(name, DAMAGED_PDF)
        pages = [p or "" for p in pages]
        if sum(len("".join(p.split())) for p in pages) < _MIN_CHARS_PER_PAGE * len(pages):
            raise UnreadableDocument(name, SCANNED_PDF if _has_images(doc) else EMPTY_PDF)
    finally:
        doc.close()
        pymupdf.TOOLS.reset_mupdf_warnings()  # the warning store is global and would grow per file
    text, page_starts = _join_pages(pages)
    return ExtractedText(text=text, format="pdf", page_starts=page_starts)


def _pdf_page_text(page) -> str | None:
    """One page's text in reading order, or ``None`` when the page cannot be read (the rest still can)."""
    try:
        # sort=True rebuilds lines from word positions, top to bottom: an item number and its heading
        # set as separate text objects ("1    DECLARATIONS OF INTEREST") land on one line, where plain
        # extraction gives the number a line of its own. The cost: two-column pages interleave.
        raw = page.get_text("text", sort=True, flags=_PDF_TEXT_FLAGS)
    except Exception:
        return None
    raw = _STRAY_CONTROLS.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    for mark in _watermarks(page):
        raw = _drop_watermark(raw, mark)
    return _tidy_lines(raw, gaps_to_tabs=True)


def _watermarks(page) -> list[str]:
    """Text set as a watermark: a short line drawn at a slant in a very large font ("DRAFT" across the page).
    Sorted extraction puts it inside whatever line it crosses ("forthcomingDRAFTyear")."""
    marks = []
    try:
        blocks = page.get_text("dict", flags=_PDF_TEXT_FLAGS)["blocks"]
    except Exception:
        return marks
    for block in blocks:
        for line in block.get("lines", []):
            spans = line.get("spans") or []
            text = "".join(span.get("text", "") for span in spans).strip()
            size = max((span.get("size", 0) for span in spans), default=0)
            slanted = abs(line.get("dir", (1, 0))[1]) > 0.2
            if text and len(text) <= 30 and ((slanted and size >= 36) or size >= 90):
                marks.append(text)
    return marks


def _drop_watermark(raw: str, mark: str) -> str:
    """Remove one watermark occurrence: where it stands alone on a line, or is glued into a word."""
    alone = re.compile(rf"^[ \t]*{re.escape(mark)}[ \t]*\n?", re.M)
    if alone.search(raw):
        return alone.sub("", raw, count=1)
    glued = re.compile(rf"(?<=\w){re.escape(mark)}(?=\w)|(?<=\w){re.escape(mark)}\b|\b{re.escape(mark)}(?=\w)")
    m = glued.search(raw)
    if m:
        before, after = raw[:m.start()], raw[m.end():]
        joiner = " " if before[-1:].isalnum() and after[:1].isalnum() else ""
        return before + joiner + after
    return raw


def _has_images(doc) -> bool:
    try:
        return any(page.get_images() for page in doc)
    except Exception:
        return True  # cannot tell: a scan is the likelier story for a PDF without text


def _join_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    starts, offset = [], 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + 2  # the "\n\n" that follows it
    return "\n\n".join(pages), tuple(starts)


# ---------------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_BLANK_RUN = re.compile(r"\n{3,}")  # line breaks typed in a row; blocks keep one blank line between them


def _extract_docx(data: bytes, name: str) -> ExtractedText:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if z.getinfo("word/document.xml").file_size > _MAX_DOCX_XML_BYTES:
            raise UnreadableDocument(name, HUGE_DOCX)
    document = docx.Document(io.BytesIO(data))
    numbering = _WordNumbering(document)
    blocks = list(_docx_blocks(document.element.body, numbering))
    text = "\n\n".join(b for b in blocks if b)
    if not text.strip():
        raise UnreadableDocument(name, EMPTY_DOCX)
    return ExtractedText(text=text, format="docx", page_starts=None)


def _docx_blocks(container, numbering: "_WordNumbering"):
    """Paragraph and table texts in body order; content controls are looked into, not skipped."""
    for child in container.iterchildren():
        if child.tag == _W + "p":
            yield _docx_paragraph(child, numbering)
        elif child.tag == _W + "tbl":
            yield _docx_table(child, numbering)
        elif child.tag in (_W + "sdt", _W + "customXml"):
            content = child.find(_W + "sdtContent") if child.tag == _W + "sdt" else child
            if content is not None:
                yield from _docx_blocks(content, numbering)


def _docx_paragraph(p, numbering: "_WordNumbering") -> str:
    prefix = numbering.prefix(p)  # counted even when the paragraph is empty, as Word does
    text = _BLANK_RUN.sub("\n\n", _run_text(p).strip())
    return prefix + text if text else ""


def _run_text(p) -> str:
    """The visible text of a paragraph, including hyperlinks, fields' results and tracked insertions."""
    parts = []
    for el in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr", _W + "noBreakHyphen"):
        # Only run content counts: <w:tab> inside <w:tabs> is a tab stop, not a character, and text
        # boxes are stored twice (new-style and a VML fallback); read the first copy only.
        if el.getparent().tag != _W + "r" or any(True for _ in el.iterancestors(_MC_FALLBACK)):
            continue
        tag = el.tag[len(_W) :]
        if tag == "t":
            parts.append(el.text or "")
        elif tag == "tab":
            parts.append("\t")
        elif tag == "noBreakHyphen":
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _docx_table(tbl, numbering: "_WordNumbering") -> str:
    rows = []
    for tr in tbl.iterchildren(_W + "tr"):
        cells = [_docx_cell(tc, numbering) for tc in tr.iterchildren(_W + "tc")]
        if any(cells):
            rows.append("\t".join(cells))
    return "\n".join(rows)


def _docx_cell(tc, numbering: "_WordNumbering") -> str:
    # A cell's paragraphs (and nested tables) go on one line so that one table row stays one line.
    texts = [t for t in _docx_blocks(tc, numbering) if t]
    return " ".join(" ".join(t.split()) for t in texts)


class _WordNumbering:
    """Word's automatic list numbers ("1.", "2.1", "a)"), which are not part of the paragraph text.

    Minute items in Word are usually auto-numbered; without this the item numbers that the parser and
    the readers rely on would vanish. Covers the common cases (decimal, roman, letters, multi-level
    "%1.%2" templates, start values, numbering from a paragraph style); anything odd yields no prefix.
    """

    def __init__(self, document):
        self._levels: dict[str, dict[int, tuple[int, str, str, str]]] = {}  # abstractNumId -> ilvl -> spec
        self._nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstractNumId, start overrides)
        self._counters: dict[str, dict[int, int]] = {}
        self._style_numpr: dict[str, tuple[str | None, int | None]] = {}
        try:
            self._load_numbering(document.part.numbering_part.element)
            self._load_styles(document.styles.element)
        except Exception:  # no numbering part, or one we cannot read: plain paragraphs then
            self._levels, self._nums = {}, {}

    def _load_numbering(self, root) -> None:
        for absnum in root.iterchildren(_W + "abstractNum"):
            levels = {}
            for lvl in absnum.iterchildren(_W + "lvl"):
                levels[int(_attr(lvl, "ilvl", "0"))] = (
                    int(_child_val(lvl, "start", "0")),
                    _child_val(lvl, "numFmt", "decimal"),
                    _child_val(lvl, "lvlText", ""),
                    _child_val(lvl, "suff", "tab"),
                )
            self._levels[_attr(absnum, "abstractNumId", "")] = levels
        for num in root.iterchildren(_W + "num"):
            overrides = {}
            for override in num.iterchildren(_W + "lvlOverride"):
                start = override.find(_W + "startOverride")
                if start is not None:
                    overrides[int(_attr(override, "ilvl", "0"))] = int(start.get(_W + "val", "0"))
            self._nums[_attr(num, "numId", "")] = (_child_val(num, "abstractNumId", ""), overrides)

    def _load_styles(self, root) -> None:
        raw = {}
        for style in root.iterchildren(_W + "style"):
            numpr = style.find(f"{_W}pPr/{_W}numPr")
            based = style.find(_W + "basedOn")
            raw[style.get(_W + "styleId")] = (
                _numpr(numpr) if numpr is not None else None,
                based.get(_W + "val") if based is not None else None,
            )
        for style_id in raw:
            seen, current = set(), style_id
            while current in raw and current not in seen:  # follow basedOn to the first numbered style
                seen.add(current)
                numpr, based = raw[current]
                if numpr is not None:
                    self._style_numpr[style_id] = numpr
                    break
                current = based

    def prefix(self, p) -> str:
        try:
            return self._prefix(p)
        except Exception:
            return ""

    def _prefix(self, p) -> str:
        num_id, ilvl = self._num_ref(p)
        if num_id is None or num_id not in self._nums:  # numId "0" means "numbering removed"
            return ""
        abstract_id, overrides = self._nums[num_id]
        levels = self._levels.get(abstract_id, {})
        if ilvl not in levels:
            return ""
        # A list with start overrides is a restarted list: it counts on its own.
        counters = self._counters.setdefault(num_id if overrides else abstract_id, {})
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else overrides.get(ilvl, levels[ilvl][0])
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        return _list_label(levels, counters, overrides, ilvl)

    def _num_ref(self, p) -> tuple[str | None, int]:
        """(numId, level) of a paragraph: its own numPr, else its style's."""
        num_id, ilvl = None, None
        ppr = p.find(_W + "pPr")
        if ppr is not None:
            style = ppr.find(_W + "pStyle")
            if style is not None:
                num_id, ilvl = self._style_numpr.get(style.get(_W + "val"), (None, None))
            numpr = ppr.find(_W + "numPr")
            if numpr is not None:
                own_id, own_lvl = _numpr(numpr)
                num_id = own_id if own_id is not None else num_id
                ilvl = own_lvl if own_lvl is not None else ilvl
        return num_id, ilvl or 0


def _list_label(levels: dict, counters: dict, overrides: dict, ilvl: int) -> str:
    """Fill a level's template ("%1.%2.") with the current counters, plus the separator Word puts after."""
    _, fmt, template, suffix = levels[ilvl]
    if fmt in ("bullet", "none") or not template:
        return ""

    def level_value(m: re.Match) -> str:
        k = int(m.group(1)) - 1
        if k not in levels:
            return ""
        # A level not reached yet shows its start value, as Word does.
        return _format_number(counters.get(k, overrides.get(k, levels[k][0])), levels[k][1])

    label = re.sub(r"%([1-9])", level_value, template)
    return label + {"space": " ", "nothing": ""}.get(suffix, "\t")


def _attr(el, name: str, default: str) -> str:
    return el.get(_W + name, default)


def _child_val(el, child: str, default: str) -> str:
    node = el.find(_W + child)
    return default if node is None else node.get(_W + "val", default)


def _numpr(numpr) -> tuple[str | None, int | None]:
    num_id = numpr.find(_W + "numId")
    ilvl = numpr.find(_W + "ilvl")
    return (
        num_id.get(_W + "val") if num_id is not None else None,
        int(ilvl.get(_W + "val", "0")) if ilvl is not None else None,
    )


# ---- list numbers (shared by Word and HTML) ----------------------------------------------------------

_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def _roman(n: int) -> str:
    out = []
    for value, letters in _ROMAN:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def _format_number(n: int, fmt: str) -> str:
    """``n`` as Word's numFmt / CSS list-style names it; decimal for anything unknown or out of range."""
    if fmt in ("lowerRoman", "upperRoman", "lower-roman", "upper-roman") and 0 < n < 4000:
        s = _roman(n)
        return s.upper() if fmt.startswith("upper") else s
    if fmt in ("lowerLetter", "upperLetter", "lower-alpha", "upper-alpha", "lower-latin", "upper-latin") and n > 0:
        s = _letters(n)
        return s.upper() if fmt.startswith("upper") else s
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


# ---------------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------------

# Never content. Removed before anything else.
_NON_CONTENT_TAGS = ["script", "style", "noscript", "template", "iframe", "svg", "button", "select", "textarea"]
# Site chrome: dropped unless it wraps the content (an ASP.NET page puts everything in one <form>; a CMS
# may put class="has-sidebar" on the content column).
_CHROME_TAGS = frozenset({"nav", "header", "footer", "form"})
_CHROME_NAMES = re.compile(r"nav|menu|breadcrumb|cookie|footer|sidebar", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

_PARAGRAPH_TAGS = frozenset(
    """address article aside blockquote body caption center details dialog div dl fieldset figcaption
    figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr main nav ol p pre section summary table ul""".split()
)
_LINE_TAGS = frozenset({"li", "tr", "dt", "dd", "br"})
_CELL_TAGS = frozenset({"td", "th"})
_SKIPPED_STRINGS = PreformattedString  # comments, doctype, <?php ?>, CDATA: not text a reader sees
_HTML_SPACE = re.compile(r"\s+")  # includes &nbsp;: layout, not content, and a line of it is blank
_LIST_TYPE_ATTR = {"1": "decimal", "a": "lower-alpha", "A": "upper-alpha", "i": "lower-roman", "I": "upper-roman"}
_LIST_STYLE = re.compile(r"list-style(?:-type)?\s*:\s*([a-z-]+)", re.I)


def _extract_html(text: str, name: str) -> ExtractedText:
    soup = BeautifulSoup(text, "lxml")
    _drop_boilerplate(soup)
    rendered = _tidy_lines(_render_html(soup.body or soup))
    if not rendered.strip():
        raise UnreadableDocument(name, EMPTY_HTML)
    return ExtractedText(text=rendered, format="html", page_starts=None)


def _drop_boilerplate(soup: BeautifulSoup) -> None:
    for el in soup.find_all(_NON_CONTENT_TAGS):
        el.decompose()
    root = soup.body or soup
    total = _visible_length(root)
    for el in [el for el in root.find_all(True) if _is_chrome(el)]:
        if el.decomposed or _holds_the_content(el, total):  # decomposed: inside something already removed
            continue
        el.decompose()


def _holds_the_content(el: Tag, total: int) -> bool:
    """A "chrome" match that wraps the page's content: keep it (its real chrome is matched on its own).

    Wrappers give themselves away by holding the page title or main landmark, or most of the text,
    while not being mostly links: a menu or footer is mostly links, however long, even with the site
    name as an <h1> in it.
    """
    length = _visible_length(el)
    if el.find(["main", "article", "h1"]) is None and 2 * length <= total:
        return False
    links = sum(_visible_length(a) for a in el.find_all("a"))
    return 2 * links < length


def _is_chrome(el: Tag) -> bool:
    if el.name in _CHROME_TAGS:
        # An article's own <header> holds its title (and often the meeting date): keep it.
        return not (el.name == "header" and el.find_parent(["article", "main", "section"]))
    if el.has_attr("hidden") or el.get("aria-hidden") == "true" or _HIDDEN_STYLE.search(el.get("style") or ""):
        return True
    classes = el.get("class") or []
    names = " ".join(classes if isinstance(classes, list) else [classes]) + " " + str(el.get("id") or "")
    return bool(_CHROME_NAMES.search(names))


def _visible_length(el) -> int:
    return len("".join(el.get_text(" ").split()))


class _HtmlText:
    """Collects rendered text: inline strings, and the strongest line break asked for between them."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.pending = 0  # 0 none, 1 new line, 2 blank line: the strongest break since the last text
        self.prefix = ""  # a list item's number, written before the item's first text
        self.cells = 0  # depth of table cells we are inside
        self.pre = 0  # depth of <pre>

    def brk(self, strength: int) -> None:
        if self.cells:  # inside a cell every break is a space: one table row stays one line
            self.space()
        else:
            self.pending = max(self.pending, strength)

    def space(self) -> None:
        if self.chunks and not self.pending:
            self.chunks.append(" ")

    def cell_start(self) -> None:
        if self.cells:  # a nested table's cell
            self.space()
        elif self.chunks and not self.pending:
            self.chunks.append("\t")

    def text(self, s: str) -> None:
        if self.pre:
            for i, line in enumerate(s.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
                if i:
                    self.brk(1)
                if line.strip():
                    self._write(line)
            return
        s = _HTML_SPACE.sub(" ", s)
        if s.strip():
            self._write(s)
        elif s:
            self.space()

    def _write(self, s: str) -> None:
        if self.pending and self.chunks:
            self.chunks.append("\n" * self.pending)
        self.pending = 0
        if self.prefix:
            self.chunks.append(self.prefix)
            self.prefix = ""
        self.chunks.append(s)

    def result(self) -> str:
        return "".join(self.chunks)


def _render_html(root: Tag) -> str:
    """Walk the tree (iteratively: a deeply nested page must not hit the recursion limit)."""
    out = _HtmlText()
    counters: dict[int, list] = {}  # id(<ol>) -> [next number, style]
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if isinstance(node, NavigableString):
            if not isinstance(node, _SKIPPED_STRINGS):
                out.text(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        if leaving:
            _leave(node, out)
            continue
        _enter(node, out, counters)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    return out.result()


def _enter(el: Tag, out: _HtmlText, counters: dict[int, list]) -> None:
    name = el.name
    if name in _PARAGRAPH_TAGS:
        out.brk(2)
    elif name in _LINE_TAGS:
        out.brk(1)
    elif name in _CELL_TAGS:
        out.cell_start()
        out.cells += 1
    if name == "pre":
        out.pre += 1
    elif name == "ol":
        counters[id(el)] = [_list_start(el), _list_style(el)]
    elif name == "li":
        out.prefix = _list_item_label(el, counters)


def _leave(el: Tag, out: _HtmlText) -> None:
    name = el.name
    if name in _PARAGRAPH_TAGS:
        out.brk(2)
    elif name in _LINE_TAGS and name != "br":
        out.brk(1)
    elif name in _CELL_TAGS:
        out.cells -= 1
    if name == "pre":
        out.pre -= 1


def _list_start(ol: Tag) -> int:
    try:
        return int(ol.get("start", "1"))
    except ValueError:
        return 1


def _list_style(ol: Tag) -> str:
    """The numbering a browser would show: type="i", an inline list-style, or a telling class name."""
    if ol.get("type") in _LIST_TYPE_ATTR:
        return _LIST_TYPE_ATTR[ol["type"]]
    m = _LIST_STYLE.search(ol.get("style") or "")
    if m:
        return m.group(1).lower()
    classes = " ".join(ol.get("class") or []).lower()
    for hint, style in (("upper-roman", "upper-roman"), ("roman", "lower-roman"),
                        ("upper-alpha", "upper-alpha"), ("alpha", "lower-alpha")):
        if hint in classes:
            return style
    return "decimal"


def _list_item_label(li: Tag, counters: dict[int, list]) -> str:
    """The number a browser shows before an <ol> item ("3. ", "ii. "); the numbers are minute numbers."""
    parent = li.parent
    state = counters.get(id(parent)) if parent is not None and parent.name == "ol" else None
    if state is None:
        return ""
    try:
        if li.has_attr("value"):
            state[0] = int(li["value"])
    except ValueError:
        pass
    number, style = state[0], state[1]
    state[0] += 1
    if style in ("none", "disc", "circle", "square"):
        return ""
    return f"{_format_number(number, style)}. "
