"""Cut parsed sections into passages that fit the embedding model's window.

A passage is cut inside one section of one agenda item, so it never crosses an item boundary. Sizes are
counted in the model's own word pieces through langchain-text-splitters; the returned text is always the
verbatim span ``text[start:end]`` of the document. What is embedded adds the committee, the meeting's
own name (when one evening holds several), date, item and section as a short context line, because a
bare "That the contents of the report be noted." says nothing about which report. A passage's ``page``
is the page of its first character and ``page_end`` the page of its last when that differs;
``page_of`` gives the page of any offset and ``pages_at`` the pages a shown span is cited with (the page
of the words that answer inside a widened span, not of the span's first character).
"""
from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from functools import lru_cache

from .dates import uk_date
from .records import Citation, ParsedDocument, Section

# Agenda fragments this small (a title and "pdf icon PDF 131 KB") are folded into the next section of the
# same item rather than indexed alone.
SMALL_AGENDA_TOKENS = 40


@dataclass(frozen=True)
class Chunk:
    citation: Citation
    text: str  # == document text [citation.start:citation.end]
    embed_text: str  # context line + text, what the dense model sees
    lexical_text: str  # item title + text, what BM25 sees


@lru_cache(maxsize=2)
def _splitter(model_dir: str, chunk_tokens: int, overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the splitter measures long texts on purpose; no length warnings
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    splitter = RecursiveCharacterTextSplitter.from_huggingface_tokenizer(
        tokenizer,
        chunk_size=chunk_tokens,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
        strip_whitespace=True,
    )
    return splitter, tokenizer


def page_of(page_starts, offset: int) -> int | None:
    """The 1-based page holding document offset ``offset`` (``None`` for a document without pages).

    ``page_starts`` is the document's stored list of page start offsets (``ParsedDocument.page_starts``,
    kept in the index for every document). For text with printed page markers the list repeats a start for
    each page the text does not hold, so the count is the printed page number. Use it for the page of the
    words that matched, not of the start of a span widened around them.
    """
    if not page_starts:
        return None
    return max(1, bisect.bisect_right(page_starts, offset))


def pages_of(page_starts, start: int, end: int) -> tuple[int | None, int | None]:
    """(page, page_end) of the span ``[start, end)``: ``page_end`` only when the span crosses pages."""
    first = page_of(page_starts, start)
    last = page_of(page_starts, max(start, end - 1))
    return first, (last if last != first else None)


def pages_at(page_starts, at: int, start: int, end: int) -> tuple[int | None, int | None]:
    """(page, page_end) of a shown span ``[start, end)`` cited for the words at offset ``at`` inside it: the
    page holding those words, and the page of the span's last character when that is another page. Unlike
    :func:`pages_of`, the context shown above the words (which may begin a page earlier) does not move
    ``page``; ``page``..``page_end`` still covers everything from the words to the end of the span."""
    page = page_of(page_starts, at)
    last = page_of(page_starts, max(start, at, end - 1))
    return page, (last if last != page else None)


def context_line(c: Citation, meeting_title: str | None = None) -> str:
    parts = [c.committee or "", meeting_title or "", uk_date(c.meeting_date) or ""]
    if c.item_title:
        parts.append(f"Item {c.item_number}: {c.item_title}" if c.item_number else c.item_title)
    parts.append(c.section)
    return " | ".join(p for p in parts if p)


# A heading inside a section: a short line of its own, with no sentence end, not a table row. Reports name
# their parts this way ("5. Stop and Search", "East Midlands Operational Support Services (EMOpSS)").
_HEADING = re.compile(r"^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*)?(?:\d{1,2}(?:\.\d{1,2})?\.?[ \t]+)?"
                      r"([A-Z][^\t\n]{2,90}?)(?:\*\*)?[ \t]*$", re.M)


_MARKUP = re.compile(r"<[A-Za-z/!][^<>]{0,400}>")


def searchable(text: str) -> str:
    """What search sees of a passage: HTML tags left in converted tables (``<p>``, ``<div style="border:
    1px solid red; ...">``) are dropped, so neither BM25 nor the model reads CSS. The cited text keeps them."""
    return html.unescape(_MARKUP.sub(" ", text)) if "<" in text or "&" in text else text


def headings(body: str) -> list[tuple[int, str]]:
    """(offset, text) of the heading lines of a section: short lines standing alone between blank lines,
    with no sentence end. A passage cut from the middle of a report part keeps the part's name as context
    for search, so "EMOpSS" finds the paragraph under that heading."""
    out = []
    for m in _HEADING.finditer(body):
        line = m.group(1).strip()
        if line[-1] in ".;,:" or len(line.split()) > 12 or ":" in line or "@" in line:
            continue  # a sentence, the first line of a paragraph, or a label ("Tel: ...")
        if body.count(line) >= 3:
            continue  # page furniture repeated on every page ("NOT PROTECTIVELY MARKED")
        blank_before = m.start() == 0 or re.search(r"\n[ \t]*\n$", body[max(0, m.start() - 40):m.start()])
        blank_after = re.match(r"[ \t]*(?:\n[ \t]*\n|$)", body[m.end():m.end() + 40])
        if blank_before and blank_after:
            out.append((m.start(), line))
    return out


def heading_before(found: list[tuple[int, str]], at: int) -> str | None:
    """The nearest heading above offset ``at`` (not one the passage itself starts with)."""
    i = bisect.bisect_left(found, (at, "")) - 1
    return found[i][1] if i >= 0 else None


def _merge_small_agenda(doc: ParsedDocument, count_tokens) -> list[Section]:
    out: list[Section] = []
    sections = list(doc.sections)
    i = 0
    while i < len(sections):
        s = sections[i]
        nxt = sections[i + 1] if i + 1 < len(sections) else None
        if (s.kind == "agenda" and nxt is not None and nxt.item == s.item and nxt.kind != "resolution"
                and count_tokens(doc.text[s.start:s.end]) < SMALL_AGENDA_TOKENS):
            sections[i + 1] = Section(nxt.item, nxt.kind, s.start, nxt.end)
        else:
            out.append(s)
        i += 1
    return out


def chunk_document(doc: ParsedDocument, model_dir: str, chunk_tokens: int = 180, overlap: int = 40) -> list[Chunk]:
    splitter, tokenizer = _splitter(model_dir, chunk_tokens, overlap)

    def count_tokens(t: str) -> int:
        return len(tokenizer.encode(t, add_special_tokens=False))

    chunks: list[Chunk] = []
    for section in _merge_small_agenda(doc, count_tokens):
        body = doc.text[section.start:section.end]
        if not body.strip():
            continue
        cursor = 0
        found = headings(body)
        for piece in splitter.split_text(body):
            if not piece.strip():
                continue
            at = body.find(piece, cursor)
            if at < 0:  # the splitter only strips whitespace, so this does not happen; be safe anyway
                at = body.find(piece)
                if at < 0:
                    continue
            start = section.start + at
            end = start + len(piece)
            cursor = at + 1
            item = section.item
            page, page_end = pages_of(doc.page_starts, start, end)
            citation = Citation(
                source=doc.source, committee=item.meeting.committee, meeting_date=item.meeting.date,
                item_number=item.number, item_title=item.title, section=section.kind,
                start=start, end=end, page=page, page_end=page_end,
            )
            text = doc.text[start:end]
            heading = heading_before(found, at)
            title = item.meeting.title  # "Annual General Meeting": which of one evening's meetings
            context = context_line(citation, title) + (f" | {heading}" if heading else "")
            clean = searchable(text)
            chunks.append(Chunk(citation, text, context + "\n" + clean,
                                f"{title + chr(10) if title else ''}{item.title or ''}\n{heading or ''}\n{clean}"))
    return chunks
