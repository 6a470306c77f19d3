"""``qa inspect FILE``: how one file reads as meetings, dates, items and sections.

Design. A citation says "Souldern Parish Council · 23 May 2024 · item 05.24.03" because the parser read
those words somewhere; this shows where, so a user can check it. For each meeting, in the order the
document records them: its body, its own name, its date and the words the date was read from (with
their offsets and page), or that the document states no date; then its items in order and the sections
(agenda, minutes, resolution, report, appendix) each covers. ``describe_file`` returns plain data (also
``--json``); ``render`` turns it into lines. Nothing here parses on its own: it reports what
``qa.extract`` and ``qa.parse`` produce, the same objects the index is built from.
"""
from __future__ import annotations

from pathlib import Path

from .dates import uk_date
from .extract import extract
from .parse import parse_text
from .records import ParsedDocument


def _snippet(text: str, start: int, end: int, limit: int = 160) -> str:
    words = " ".join(text[start:end].split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def describe_document(doc: ParsedDocument) -> dict:
    meetings = doc.meetings()
    read_from: dict = {}
    for meeting, start, end in doc.meeting_sources:
        read_from.setdefault(meeting, (start, end))
    out = []
    for m in meetings:
        span = read_from.get(m)
        items, seen = [], set()
        sections = []
        for s in doc.sections:
            if s.item.meeting != m:
                continue
            key = (s.item.number, s.item.title)
            if (s.item.number or s.item.title) and key not in seen:
                seen.add(key)
                items.append({"number": s.item.number, "title": s.item.title, "start": s.start,
                              "page": doc.page_at(s.start)})
            sections.append({"item": s.item.number, "kind": s.kind, "start": s.start, "end": s.end,
                             "page": doc.page_at(s.start), "page_end": doc.page_at(max(s.start, s.end - 1)),
                             "text": _snippet(doc.text, s.start, s.end, 70)})
        out.append({
            "committee": m.committee, "title": m.title, "date": m.date,
            "read_from": None if span is None else {"start": span[0], "end": span[1], "page": doc.page_at(span[0]),
                                                    "text": _snippet(doc.text, *span)},
            "items": items, "sections": sections,
        })
    return {"source": doc.source, "format": doc.format, "characters": len(doc.text),
            "pages": _page_count(doc), "meetings": out}


def _page_count(doc: ParsedDocument) -> int | None:
    return doc.page_at(len(doc.text)) if doc.page_starts else None


def describe_file(path: Path) -> dict:
    """Extract and parse ``path`` (raises ``UnreadableDocument`` with a one-line reason)."""
    extracted = extract(path)
    doc = parse_text(path.name, extracted.text, extracted.page_starts, extracted.format)
    return describe_document(doc)


def render(d: dict, sections: bool = True) -> list[str]:
    pages = f", {d['pages']} pages" if d["pages"] else ""
    lines = [f"{d['source']}: {d['format']}, {d['characters']} characters{pages}, {len(d['meetings'])} meeting(s)"]
    for n, m in enumerate(d["meetings"], 1):
        name = " · ".join(x for x in (m["committee"] or "body not stated", m["title"]) if x)
        date = uk_date(m["date"]) if m["date"] else "date not stated"
        lines.append(f"\nmeeting {n}: {name} · {date}")
        rf = m["read_from"]
        if rf:
            page = f" p.{rf['page']}" if rf["page"] else ""
            how = "read from" if m["date"] else "no year or date stated in"
            lines.append(f"  {how} [{rf['start']}, {rf['end']}){page}: {rf['text']!r}")
        else:
            lines.append("  no heading names this meeting; its text comes before any meeting header")
        if m["items"]:
            lines.append(f"  items ({len(m['items'])}):")
            for it in m["items"]:
                page = f" p.{it['page']}" if it["page"] else ""
                lines.append(f"    {it['number'] or '-':>8}  {it['title'] or ''}{page}")
        else:
            lines.append("  items: none numbered or titled")
        if sections:
            lines.append("  sections:")
            for s in m["sections"]:
                page = ""
                if s["page"]:
                    page = f" p.{s['page']}" + (f"-{s['page_end']}" if s["page_end"] != s["page"] else "")
                lines.append(f"    {s['item'] or '-':>8} {s['kind']:10} [{s['start']}, {s['end']}){page} {s['text']!r}")
    return lines
