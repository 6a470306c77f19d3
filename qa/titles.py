"""A title for each document, from its parse: body, kind of paper, meeting date.

Design. Corpus files are named by whoever saved them (``002_0b70346ca75db3bf.txt``), so a person is shown a
title made from what the parser found instead: "Police and Crime Panel — agenda pack, 22 July 2019". The
file name stays in the details and in the JSON. The parts:

* body: the committee of the document's first meeting (its header), shortened to the name after its list
  of places ("Leicester, Leicestershire and Rutland Police and Crime Panel" -> "Police and Crime Panel")
  only when no other body in the index would then have the same short name;
* kind of paper: what its first lines call it ("Agenda and minutes", "Agenda item", "Minutes of ...") or,
  failing that, what its sections are (an agenda with reports or earlier minutes is an agenda pack);
* meeting date: the first meeting's, in UK style.
A document the parser found no body or date in is named by its kind and first agenda item or line.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from .dates import uk_date
from .records import ParsedDocument

_PLACES = re.compile(r"^[A-Z][\w'’-]+(?:(?:,\s*|\s+and\s+|\s*&\s*)[A-Z][\w'’-]+)+\s+(?=\S)")
_MARKUP = re.compile(r"[#*_`]+|</?[A-Za-z][^>]*>")
_HEAD_KINDS = (
    (re.compile(r"^agenda and minutes\b", re.I), "agenda and minutes"),
    (re.compile(r"^agenda item\b", re.I), "agenda item"),
    (re.compile(r"^(?:draft\s+)?minutes\b", re.I), "minutes"),
    (re.compile(r"^(?:supplementary\s+)?agenda\b", re.I), "agenda"),
    (re.compile(r"^(?:decision notice|record of decisions?)\b", re.I), "decisions"),
)


def short_body(name: str, others: Iterable[str] = ()) -> str:
    """``name`` without its leading list of places, when that stays unambiguous among ``others``."""
    short = _PLACES.sub("", name, count=1)
    if short == name or len(short.split()) < 2:
        return name
    clash = [o for o in others if o != name and _PLACES.sub("", o, count=1).lower() == short.lower()]
    return name if clash else short


def _first_lines(text: str, n: int = 4) -> list[str]:
    lines = []
    for line in text.splitlines():
        clean = " ".join(_MARKUP.sub(" ", line).split())
        if clean:
            lines.append(clean)
        if len(lines) >= n:
            break
    return lines


def kind_of_paper(doc: ParsedDocument) -> str:
    """'agenda and minutes', 'agenda item', 'minutes', 'agenda pack', 'agenda', 'report' or 'paper'."""
    for line in _first_lines(doc.text, 2):
        for pattern, kind in _HEAD_KINDS:
            if pattern.search(line):
                return kind
    kinds = {s.kind for s in doc.sections}
    if "agenda" in kinds and (len(doc.meetings()) > 1 or kinds & {"report", "appendix", "minutes"}):
        return "agenda pack"
    if kinds & {"minutes", "resolution"} and not kinds - {"minutes", "resolution"}:
        return "minutes"
    if "agenda" in kinds:
        return "agenda"
    if "report" in kinds:
        return "report"
    return "paper"


def document_title(doc: ParsedDocument, committees: Iterable[str] = ()) -> str:
    """'Police and Crime Panel — agenda pack, 22 July 2019' (see the module docstring)."""
    kind = kind_of_paper(doc)
    meetings = [m for m in doc.meetings() if m.committee or m.date]
    first = meetings[0] if meetings else None
    committees = list(committees)
    body = short_body(first.committee, committees) if first and first.committee else None
    date = uk_date(first.date) if first and first.date else None
    if body:
        return f"{body} — {kind}" + (f", {date}" if date else "")
    what = kind[0].upper() + kind[1:]
    if date:
        return f"{what}, {date}"
    item = next((i.title for i in doc.items() if i.title), None)
    if item is None:
        lines = [ln for ln in _first_lines(doc.text, 3) if not any(p.search(ln) for p, _ in _HEAD_KINDS)]
        item = lines[0] if lines else doc.source
    item = item.rstrip(". ")
    return f"{what} — {item[:80]}"


def title_of(source: str, stored: dict, committees: Iterable[str] = ()) -> str:
    """The title of an indexed document from its stored text (``IndexVersion.document``)."""
    from .parse import parse_text

    pages = tuple(stored["page_starts"]) if stored.get("page_starts") else None
    return document_title(parse_text(source, stored["text"], pages, stored.get("format", "text")), committees)
