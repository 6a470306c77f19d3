"""Parse a document's text into meetings, agenda items and sections.

Design. Committee papers are a sequence of *zones*, each recording one meeting in one role:

- ``page``: a web page of one meeting ("Agenda and minutes"): numbered items, each with an agenda part
  up to "Minutes:" and the minutes after it;
- ``item page``: a web page of one agenda item ("Agenda item"), often with no date at all;
- ``agenda``: the front sheet and agenda of a pack, for the pack's own meeting;
- ``minutes``: minutes of a meeting ("Minutes of a meeting of X held ... on <date>"), standalone or
  reprinted inside a later pack: they keep the date they state, never the pack's;
- ``report``: a report cover ("Report of" / "Subject" / "Date") and what follows it, presented to the
  pack's meeting and attached to the agenda item whose title matches its subject.

Zones are found from content only (no file names, no one council's wording beyond the common forms).
Inside a zone, numbered headings start agenda items (numbers must rise, so the numbered clauses of a
resolution are not mistaken for items), and "RESOLVED" / "It was resolved" / "AGREED" open a resolution
block that lasts while its clauses do. The result is a list of ``Section`` spans covering the text, each
tied to one ``AgendaItem`` of one ``Meeting``; a passage is later cut inside one section, so it can
never cross an item boundary.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import find_dates, first_date
from .records import AgendaItem, Meeting, ParsedDocument, Section

# Bump when parsing or chunking changes what a document yields: an index built by another version is
# re-parsed in full (and its BM25 re-tokenised). 3: passages carry the heading above them as search context.
# 4: "FY18/19" is read as the financial year; HTML tags left in converted tables are not searched.
PARSER_VERSION = 4

_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_PAGE_HEADER = re.compile(rf"^(?P<committee>.{{3,200}}?)\s+[-–]\s+{_WEEKDAY},?\s+(?P<rest>.*)$", re.I)
_MINUTES_HEADER = re.compile(r"^(?:the\s+)?minutes\s+of\s+(?:a|the|an)\s+(?:[\w-]+\s+){0,3}?meeting\s+of\b", re.I)
_AGENDA_MEETING = re.compile(r"^(?:meeting|committee|body)\s*[:\t]\s*(?P<c>.+)$", re.I)
_MEETING_OF = re.compile(
    r"^(?:(?:notice|summons)\s+of\s+)?(?:an?\s+)?(?:(?:annual|ordinary|extraordinary|special)\s+)?meeting\s+of\s+(?:the\s+)?"
    r"(?P<c>.+?)(?:\s+(?:will\s+be|is\s+to\s+be)\s+held\b.*)?$",
    re.I,
)
_DATE_LINE = re.compile(r"^(?:date(?:\s*/\s*time)?|held)\s*[:\t]?\s*(?P<d>.+)$", re.I)
_REPORT_OF = re.compile(r"^(?:report\s+(?:of|by|from)|author|lead\s+officer|report\s+author)s?\b\s*[:\t ]", re.I)
_SUBJECT = re.compile(r"^(?:subject|title(?:\s+of\s+report)?|report\s+title)\s*[:\t ]\s*(?P<s>\S.{2,200})$", re.I)
_COVER_DATE = re.compile(r"^date(?:\s+of\s+meeting)?\s*[:\t ]\s*(?P<d>.*\d{4}.*)$", re.I)
_COVER_ITEM = re.compile(r"^agenda\s+item(?:\s+(?:no|number))?\.?\s*[:\t]?\s*(?P<n>\d{1,4}[a-z]?)\b", re.I)
_BARE_NUMBER = re.compile(r"^(?P<n>\d{1,4}[a-z]?)\.?$")
_NUMBERED_HEADING = re.compile(r"^(?:(?:minute|item)\s+(?:no\.?\s*)?)?(?P<n>\d{1,4}[a-z]?)(?:\.|:|\)|\s)\s*(?P<t>\S.*)$", re.I)
_RESOLVED = re.compile(
    r"^(?:(?:it\s+was\s+)?(?:unanimously\s+)?(?:resolved|agreed)\b|it\s+was\s+(?:unanimously\s+)?(?:resolved|agreed)\b)",
    re.I,
)
_CLAUSE = re.compile(
    r"^(?:\(?[a-z]{1,4}\)|\(?\d{1,2}[.)]|[ivx]{1,5}\.|that\b|it\s+was\b|to\s+\w+|agreed\b|resolved\b|unanimously\b|and\b|noted\b)",
    re.I,
)
_APPENDIX_HEADING = re.compile(r"^(?:appendix|annex|annexe)\s+[A-Z0-9]{1,3}\s*[:.]?\s*$", re.I)
_MINUTES_MARKER = re.compile(r"^minutes\s*:?\s*$", re.I)
_PAGE_ICON = re.compile(r"\s*(?:pdf icon\s*)?PDF\s+\d+(?:\.\d+)?\s*[KM]B\s*$", re.I)
_PAGES_REF = re.compile(r"\s*\(?pages?\s+\d+\s*(?:[-–]\s*\d+)?\)?\s*$", re.I)
_TAG = re.compile(r"<[^>]{1,200}>")
_BR = re.compile(r"<br\s*/?>", re.I)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SMALL_WORDS = {"and", "of", "the", "for", "in", "on", "to", "a", "an", "at", "by", "with"}
_STOP = _SMALL_WORDS | {"report", "update", "reports", "item", "is", "be", "from", "minutes", "meeting"}


@dataclass
class _Line:
    start: int  # offset of the first character
    end: int  # offset after the last character, excluding the newline
    raw: str
    clean: str  # markup stripped, whitespace collapsed


def clean_line(raw: str) -> str:
    """A line with markdown/HTML markup removed and whitespace collapsed (for matching, never for citing)."""
    s = _LINK.sub(r"\1", raw)
    s = _TAG.sub("", s)
    s = s.replace("\\*", "*").replace("\\_", "_")
    s = re.sub(r"[*_`]{2,}", "", s)
    s = re.sub(r"^\s*(?:#{1,6}\s*|[-*•·]\s+|>\s*)+", "", s)
    s = s.strip().strip("*").strip()
    return re.sub(r"\s+", " ", s)


def _lines(text: str) -> list[_Line]:
    out = []
    pos = 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw, clean_line(raw)))
        pos += len(raw) + 1
    return out


def tidy_committee(name: str | None) -> str | None:
    """'LEICESTER, LEICESTERSHIRE AND RUTLAND POLICE AND CRIME PANEL' -> 'Leicester, ... and Crime Panel'."""
    if not name:
        return None
    s = re.sub(r"\s+", " ", clean_line(name)).strip(" .,:;-–")
    s = re.sub(r"^the\s+", "", s, flags=re.I)
    if not s:
        return None
    letters = [c for c in s if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        words = s.lower().split(" ")
        s = " ".join(w if (i and w in _SMALL_WORDS) else w[:1].upper() + w[1:] for i, w in enumerate(words))
    return s


def tidy_title(title: str) -> str:
    s = clean_line(title)
    s = _PAGE_ICON.sub("", s)
    s = re.sub(r"\t.*$", "", s)
    s = _PAGES_REF.sub("", s)
    s = re.sub(r"\s*\[?appendix\s+[a-z0-9]{1,3}\]?\s*$", "", s, flags=re.I)
    return s.strip(" .:;–-")


def _words(s: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", s.lower()) if w not in _STOP and len(w) > 1}


# --------------------------------------------------------------------------------------------- zones


@dataclass
class _Zone:
    line: int  # index of the first line
    kind: str  # page | item page | agenda | minutes | report
    meeting: Meeting
    subject: str | None = None  # report subject
    item_number: str | None = None  # report cover's own "Agenda item: N"


_SUMMONS = re.compile(r"\b(?:summoned|summonsed)\s+to\b|\bnotice\s+is\s+(?:hereby\s+)?given\b", re.I)
_BODY = re.compile(r"\b(?:council|committee|panel|board|cabinet|forum|partnership|commission)\b", re.I)


def _next_text(lines: list[_Line], i: int) -> int | None:
    for j in range(i + 1, min(len(lines), i + 6)):
        if lines[j].clean:
            return j
    return None


def _header_text(lines: list[_Line], i: int, span: int = 4) -> str:
    return " ".join(l.clean for l in lines[i : i + span] if l.clean)


def _committee_before_held(text: str) -> str | None:
    m = re.search(
        rf"meeting\s+of\s+(?:the\s+)?(.+?)(?:,?\s+(?:held|which\s+took|that\s+took|at\s+\d)\b|,?\s+on\s+{_WEEKDAY}|,?\s+{_WEEKDAY}|\s+\d{{1,2}}(?:st|nd|rd|th)?\s+\w+\s+(?:19|20)\d\d|$)",
        text,
        re.I,
    )
    return tidy_committee(m.group(1)) if m else None


def _stated_committee(head: str, lines: list[_Line], i: int) -> str | None:
    """The body a header names ("meeting of the Audit Committee held ..."); for "the above Council",
    the name in the heading above it."""
    committee = _committee_before_held(head)
    if committee is None or re.match(r"^(?:above|said|aforementioned)\b", committee, re.I):
        committee = _heading_committee(lines, i)
    return committee


def _heading_committee(lines: list[_Line], i: int) -> str | None:
    for k in range(i - 1, max(-1, i - 8), -1):
        c = lines[k].clean
        if _BODY.search(c) and len(c) < 100 and _heading_like(lines[k]) and not re.match(r"^to\b", c, re.I):
            return tidy_committee(c)
    return None


def _find_report_cover(lines: list[_Line], i: int) -> tuple[int, int] | None:
    """If a report cover block starts around line i, return (first line, last line) of its key lines."""
    if not (_REPORT_OF.match(lines[i].clean) or _SUBJECT.match(lines[i].clean)):
        return None
    window = range(max(0, i - 6), min(len(lines), i + 7))
    keys = [j for j in window if _REPORT_OF.match(lines[j].clean) or _SUBJECT.match(lines[j].clean)
            or _COVER_DATE.match(lines[j].clean)]
    has_subject = any(_SUBJECT.match(lines[j].clean) for j in keys)
    if has_subject and len(keys) >= 2:
        return min(keys), max(keys)
    return None


def _heading_like(line: _Line) -> bool:
    s = line.clean
    if not s:
        return False
    if line.raw.lstrip().startswith(("#", "**")):
        return True
    letters = [c for c in s if c.isalpha()]
    return bool(letters) and len(s) < 90 and sum(c.isupper() for c in letters) / len(letters) > 0.7


def _back_up(lines: list[_Line], i: int, floor: int) -> int:
    """Move a zone start back over the heading lines just above it (a cover's banner, '# Appendix A')."""
    j = i
    steps = 0
    k = i - 1
    while k > floor and steps < 6:
        if not lines[k].clean:
            k -= 1
            steps += 1
            continue
        heading = _heading_like(lines[k]) and (lines[k].raw.lstrip().startswith("#") or len(lines[k].clean.split()) >= 3)
        if heading or re.match(r"^(?:paper marked|appendix\b)", lines[k].clean, re.I):
            j = k
            k -= 1
            steps += 1
            continue
        break
    return j


def _find_zones(lines: list[_Line]) -> list[_Zone]:
    zones: list[_Zone] = []
    pack: Meeting | None = None  # the meeting of the document's own front sheet / page
    n = len(lines)
    first_text = next((l.clean for l in lines if l.clean), "")

    i = 0
    while i < n:
        s = lines[i].clean
        if not s:
            i += 1
            continue

        # A web page for a whole meeting: "<Committee> - Tuesday, 24 September 2019 2.00 pm".
        if i < 12 and not zones:
            m = _PAGE_HEADER.match(s)
            if m and first_date(m.group("rest")):
                pack = Meeting(tidy_committee(m.group("committee")), first_date(m.group("rest")))
                zones.append(_Zone(0, "page", pack))
                i += 1
                continue
            if re.fullmatch(r"agenda item", s, re.I) and not zones:
                zones.append(_Zone(0, "item page", Meeting(None, None)))
                i += 1
                continue

        # Minutes of a meeting (standalone or reprinted in a pack): their own committee and date.
        if _MINUTES_HEADER.match(s):
            head = _header_text(lines, i, 5)
            iso = first_date(head)
            if iso:
                committee = _stated_committee(head, lines, i) or (pack.committee if pack else None)
                zones.append(_Zone(_back_up(lines, i, zones[-1].line if zones else -1), "minutes", Meeting(committee, iso)))
                i += 1
                continue

        # A summons: "You are summoned to attend the annual meeting of the above Council ... on <date>".
        if _SUMMONS.search(s):
            head = _header_text(lines, i, 4)
            iso = first_date(head)
            if iso:
                pack = Meeting(_stated_committee(head, lines, i), iso)
                start = _back_up(lines, i, zones[-1].line if zones else -1)
                zones.append(_Zone(start if zones else 0, "agenda", pack))
                i += 1
                continue

        # Minutes headed by the body's name, the date alone on the next line, then the attendance list.
        if _heading_like(lines[i]) and _BODY.search(s) and len(s) < 100:
            j = _next_text(lines, i)
            if j is not None and len(lines[j].clean) < 40 and first_date(lines[j].clean):
                k = j
                for _ in range(4):
                    k = _next_text(lines, k)
                    if k is None:
                        break
                    if re.match(r"^(?:present|p r e s e n t|attendance|members present)\b", lines[k].clean, re.I):
                        zones.append(_Zone(i, "minutes", Meeting(tidy_committee(s), first_date(lines[j].clean))))
                        break
                else:
                    k = None
                if k is not None and zones and zones[-1].line == i:
                    i = j + 1
                    continue

        # A pack's front sheet: "Meeting: X" / "MEETING OF THE X" followed by a date line.
        if pack is None or (zones and zones[-1].kind == "agenda" and zones[-1].meeting.date is None):
            m = _AGENDA_MEETING.match(s) or _MEETING_OF.match(s)
            if m and i < 80:
                committee_text = m.group("c")
                iso = None
                for j in range(i + 1, min(n, i + 8)):
                    dm = _DATE_LINE.match(lines[j].clean)
                    if dm and first_date(dm.group("d")):
                        iso = first_date(dm.group("d"))
                        break
                    if not _DATE_LINE.match(lines[j].clean) and lines[j].clean and j == i + 1 and not first_date(lines[j].clean):
                        committee_text += " " + lines[j].clean  # committee name wrapped onto a second line
                    elif first_date(lines[j].clean):
                        iso = first_date(lines[j].clean)
                        break
                if iso is None:
                    iso = first_date(committee_text)
                if iso:
                    committee = re.split(r"\s+(?:held|on|at)\s+|\s+[-–]\s+", committee_text)[0]
                    pack = Meeting(tidy_committee(committee), iso)
                    if zones and zones[-1].kind == "agenda":
                        zones[-1] = _Zone(zones[-1].line, "agenda", pack)
                    else:
                        zones.append(_Zone(0 if not zones else i, "agenda", pack))
                    i += 1
                    continue

        # A report cover: "Report of" / "Subject" / "Date" within a few lines of each other.
        cover = _find_report_cover(lines, i)
        if cover and not (zones and zones[-1].kind == "report" and zones[-1].line >= _back_up(lines, cover[0], -1) - 1
                          and i <= cover[1]):
            lo, hi = cover
            subject, cover_date, item_no = None, None, None
            for j in range(lo, hi + 1):
                c = lines[j].clean
                if (m := _SUBJECT.match(c)) and subject is None:
                    subject = tidy_title(m.group("s"))
                elif (m := _COVER_DATE.match(c)) and cover_date is None:
                    cover_date = first_date(m.group("d"))
            for j in range(max(0, lo - 6), min(n, hi + 6)):
                if (m := _COVER_ITEM.match(lines[j].clean)):
                    item_no = m.group("n")
            meeting = pack or Meeting(None, cover_date)
            if pack is not None and pack.date is None and cover_date:
                meeting = Meeting(pack.committee, cover_date)
            start = _back_up(lines, lo, zones[-1].line if zones else -1)
            zones.append(_Zone(start, "report", meeting, subject=subject, item_number=item_no))
            i = hi + 1
            continue
        i += 1

    if not zones or zones[0].line > 0:
        # Text before any recognised header: a document of its own. Take a date and committee only
        # from its first lines, where a title states them; otherwise leave them unknown.
        head = " ".join(l.clean for l in lines[:6] if l.clean)
        committee = None
        m = re.search(r"\b((?:(?:[A-Z][\w'&,-]*|&|and|of)\s+){0,8}(?:council|committee|panel|board|cabinet|forum|partnership))\b",
                      head, re.I)
        if m:
            committee = tidy_committee(m.group(1))
        meeting = Meeting(committee, first_date(head))
        zones.insert(0, _Zone(0, "minutes" if re.search(r"\bminutes\b", first_text, re.I) else "agenda", meeting))
    return zones


# --------------------------------------------------------------------------------------------- items


def _item_heading(lines: list[_Line], i: int, zone_kind: str, last_number: int | None) -> tuple[str, str, int] | None:
    """If line i starts an agenda item, return (number, title, index of the title's last line)."""
    s = lines[i].clean
    if not s:
        return None
    # "20." alone on a line, the title on the next non-empty line (web pages).
    m = _BARE_NUMBER.match(s)
    if m and zone_kind != "page":
        return None  # elsewhere a number alone on a line is a page number or a wrapped phone number
    if m:
        j = i + 1
        while j < len(lines) and not lines[j].clean:
            j += 1
        if j < len(lines) and _plausible_number(m.group("n"), last_number) and _plausible_title(lines[j].clean):
            return m.group("n"), tidy_title(lines[j].clean), j
        return None
    if zone_kind == "page":
        return None
    m = _NUMBERED_HEADING.match(s)
    if not m or not _plausible_number(m.group("n"), last_number):
        return None
    dates = find_dates(s)
    if dates and dates[0][0] == 0:
        return None  # "22 October 2009" is a date line, not item 22
    title = m.group("t")
    if not _plausible_title(title, 32 if zone_kind == "agenda" else 16):
        return None
    cells = [c for c in lines[i].raw.strip().split("\t") if c.strip()]
    if len(cells) >= 2 and re.fullmatch(r"\s*\d{1,4}\s*", cells[-1]):
        title = re.sub(r"\s+\d{1,4}$", "", title)  # "4.\tAnnual complaints report\t9": 9 is the page
    return m.group("n"), tidy_title(title), i


def _plausible_number(n: str, last: int | None) -> bool:
    value = int(re.match(r"\d+", n).group())
    if last is None:
        return value < 5000
    return last < value <= last + 25 or (value == last and not n.isdigit())


def _plausible_title(t: str, max_words: int = 16) -> bool:
    t = tidy_title(t)
    if not t or len(t) > 160 or not t[0].isalnum():
        return False
    if re.match(r"^(?:that|the\s+\w+\s+(?:was|were|had|has|is)|it\s+was)\b", t, re.I):
        return False
    if not (t[0].isupper() or t[0].isdigit()):
        return False
    # A heading is short or shouty; a numbered paragraph is a long sentence.
    words = t.split()
    letters = [c for c in t if c.isalpha()]
    shouty = bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.6
    return shouty or len(words) <= max_words


def _match_agenda(subject: str | None, agenda: list[AgendaItem], after: int) -> AgendaItem | None:
    """The agenda item whose title best matches a report's subject (ties go to the earliest after ``after``)."""
    if not subject or not agenda:
        return None
    sw = _words(subject)
    best, best_score = None, 0.0
    for idx, item in enumerate(agenda):
        iw = _words(item.title or "")
        if not iw:
            continue
        overlap = len(sw & iw)
        if not overlap:
            continue
        score = overlap / (len(iw) ** 0.5 * len(sw) ** 0.5) + (0.01 if idx > after else 0)
        if score > best_score:
            best, best_score = item, score
    return best if best_score >= 0.2 else None


# --------------------------------------------------------------------------------------------- sections


def parse_text(source: str, text: str, page_starts: tuple[int, ...] | None = None, fmt: str = "text") -> ParsedDocument:
    # Some text minutes encode line breaks as literal "<br />" tags. Read them as line breaks in a copy of
    # the same length, so every offset found in the copy is an offset into the original text.
    scan = _BR.sub(lambda m: "\n" + " " * (len(m.group()) - 1), text)
    lines = _lines(scan)
    zones = _find_zones(lines)
    labels: list[tuple[AgendaItem, str] | None] = [None] * len(lines)

    agenda_by_meeting: dict[Meeting, list[AgendaItem]] = {}
    last_report_match: dict[Meeting, int] = {}

    for zi, zone in enumerate(zones):
        end_line = zones[zi + 1].line if zi + 1 < len(zones) else len(lines)
        meeting = zone.meeting
        default_kind = {"page": "agenda", "item page": "minutes", "agenda": "agenda",
                        "minutes": "minutes", "report": "report"}[zone.kind]
        item = AgendaItem(meeting, None, None)
        kind = default_kind

        if zone.kind == "report":
            agenda = agenda_by_meeting.get(meeting, [])
            matched = None
            if zone.item_number:
                matched = next((a for a in agenda if a.number == zone.item_number), None)
                matched = matched or AgendaItem(meeting, zone.item_number, zone.subject)
            else:
                prev = last_report_match.get(meeting, -1)
                matched = _match_agenda(zone.subject, agenda, prev)
                if matched in agenda:
                    last_report_match[meeting] = agenda.index(matched)
            item = matched or AgendaItem(meeting, None, zone.subject)
            for li in range(zone.line, end_line):
                c = lines[li].clean
                if _APPENDIX_HEADING.match(c) or re.match(r"^#{1,3}\s*appendix\b", lines[li].raw.strip(), re.I):
                    kind = "appendix"
                labels[li] = (item, kind)
            continue

        if zone.kind == "item page":
            # "Agenda item" then the item's title; no number, and no date unless the page states one.
            li = zone.line + 1
            while li < end_line and not lines[li].clean:
                li += 1
            title = tidy_title(lines[li].clean) if li < end_line else None
            item = AgendaItem(meeting, None, title)

        last_number: int | None = None
        in_resolution = False
        li = zone.line
        while li < end_line:
            line = lines[li]
            c = line.clean
            heading = None
            if zone.kind != "item page" and not in_resolution_clause(c, in_resolution):
                heading = _item_heading(lines, li, zone.kind, last_number)
            if heading:
                number, title, title_end = heading
                last_number = int(re.match(r"\d+", number).group())
                item = AgendaItem(meeting, number, title)
                if zone.kind == "agenda":
                    agenda_by_meeting.setdefault(meeting, []).append(item)
                kind = "agenda" if zone.kind == "page" else default_kind
                in_resolution = False
                for k in range(li, title_end + 1):
                    labels[k] = (item, kind)
                li = title_end + 1
                continue
            if zone.kind != "agenda":
                if zone.kind == "page" and _MINUTES_MARKER.match(c):
                    kind = "minutes"
                elif _RESOLVED.match(c) and kind != "agenda":
                    kind, in_resolution = "resolution", True
                elif in_resolution and c and not _CLAUSE.match(c):
                    kind, in_resolution = "minutes", False
                elif (not in_resolution and kind == "minutes" and re.match(r"^that\s+.{5,}\bbe\b", c, re.I)
                      and _resolution_without_label(lines, li)):
                    kind, in_resolution = "resolution", True
            labels[li] = (item, kind)
            li += 1

    sections: list[Section] = []
    for line, label in zip(lines, labels):
        if label is None or not line.raw.strip():
            continue
        item, kind = label
        if sections and sections[-1].item == item and sections[-1].kind == kind:
            last = sections[-1]
            sections[-1] = Section(item, kind, last.start, _rstrip_end(text, line.end))
        else:
            start = line.start + (len(line.raw) - len(line.raw.lstrip()))
            sections.append(Section(item, kind, start, _rstrip_end(text, line.end)))
    return ParsedDocument(source=source, text=text, sections=tuple(sections), page_starts=page_starts, format=fmt)


def in_resolution_clause(clean: str, in_resolution: bool) -> bool:
    """Inside a resolution, numbered clauses ("1. That ...") are clauses, not new agenda items."""
    return in_resolution and bool(re.match(r"^\(?\d{1,2}[.)]\s+(?:that|to)\b", clean, re.I))


def _resolution_without_label(lines: list[_Line], i: int) -> bool:
    """Item pages drop the "RESOLVED:" label: a closing "That ... be noted." paragraph is still one."""
    for k in range(i + 1, min(len(lines), i + 12)):
        c = lines[k].clean
        if not c:
            continue
        return bool(re.match(r"^(?:supporting documents|that\b|\(?[a-z0-9]{1,3}\))", c, re.I))
    return True


def _rstrip_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1] in " \t\r":
        end -= 1
    return end


def describe(doc: ParsedDocument) -> list[dict]:
    """A plain summary of a parsed document's items (used by tests and ``qa inspect``)."""
    rows = []
    for s in doc.sections:
        rows.append({
            "committee": s.item.meeting.committee, "date": s.item.meeting.date, "item": s.item.number,
            "title": s.item.title, "section": s.kind, "start": s.start, "end": s.end,
            "text": doc.text[s.start : min(s.end, s.start + 60)].replace("\n", " "),
        })
    return rows


__all__ = ["parse_text", "tidy_committee", "tidy_title", "clean_line", "describe", "find_dates"]
