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

from .dates import find_dates, find_day_months, first_date, month_number
from .records import AgendaItem, Meeting, ParsedDocument, Section

# Bump when parsing or chunking changes what a document yields: an index built by another version is
# re-parsed in full (and its BM25 re-tokenised). 3: passages carry the heading above them as search context.
# 4: "FY18/19" is read as the financial year; HTML tags left in converted tables are not searched.
# 5: other bodies' layouts (issue 16): meeting names, year-less dates, dotted minute numbers, page markers.
PARSER_VERSION = 5

_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_PAGE_HEADER = re.compile(rf"^(?P<committee>.{{3,200}}?)\s+[-–]\s+{_WEEKDAY},?\s+(?P<rest>.*)$", re.I)
_MINUTES_HEADER = re.compile(r"^(?:the\s+)?minutes\s+of\s+(?:a|the|an)\s+(?:[\w-]+\s+){0,3}?meeting\s+of\b", re.I)
_AGENDA_MEETING = re.compile(
    r"^(?:(?:meeting|committee|body)\s*[:\t]|(?:title\s+of\s+meeting|meeting\s+(?:name|title)|name\s+of\s+meeting)\s*[:\t ])"
    r"\s*(?P<c>.+)$", re.I)
_MEETING_OF = re.compile(
    r"^(?:(?:notice|summons)\s+of\s+)?(?:an?\s+)?(?:(?:annual|ordinary|extraordinary|special)\s+)?meeting\s+of\s+(?:the\s+)?"
    r"(?P<c>.+?)(?:\s+(?:will\s+be|is\s+to\s+be)\s+held\b.*)?$",
    re.I,
)
_DATE_LINE = re.compile(r"^(?:date(?:\s*(?:/|and|&)\s*time)?|date\s+of\s+meeting|held)\s*[:\t]?\s*(?P<d>.+)$", re.I)
_REPORT_OF = re.compile(r"^(?:report\s+(?:of|by|from)|author|lead\s+officer|report\s+author)s?\b\s*[:\t ]", re.I)
_SUBJECT = re.compile(r"^(?:subject|title(?!\s+of\s+meeting)(?:\s+of\s+report)?|report\s+title)\s*[:\t ]\s*(?P<s>\S.{2,200})$", re.I)
_COVER_DATE = re.compile(r"^date(?:\s+of\s+meeting)?\s*[:\t ]\s*(?P<d>.*\d{4}.*)$", re.I)
_COVER_ITEM = re.compile(r"^agenda\s+item(?:\s+(?:no|number))?\.?\s*[:\t]?\s*(?P<n>\d{1,4}[a-z]?)\b", re.I)
_BARE_NUMBER = re.compile(r"^(?P<n>\d{1,4}[a-z]?)\.?$")
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:minute|item)\s+(?:no\.?\s*)?)?(?P<n>\d{1,4}(?:[a-z](?=[.:\s]))?)(?:\.|:|\)|\s)\s*(?P<t>\S.*)$", re.I)
# "05.24.03 Apologies": minute numbers of two or three dotted parts (month.year.item, item.sub-item).
_DOTTED_HEADING = re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,3}){1,2})\.?(?:\s+|(?=[A-Z]))(?P<t>\S.*)$")
# "7, SECRETARY'S REPORT": a slip for "7." (only before a heading in capitals).
_COMMA_HEADING = re.compile(r"^(?P<n>\d{1,2}),\s+(?P<t>[A-Z][A-Z'’ &-]{3,80})$")
_BARE_DOTTED = re.compile(r"^(?P<n>\d{1,3})\.$")
_KEY_ITEM = re.compile(r"^agenda\s+item\s*:?\t\s*(?P<t>[^\t]{3,120})", re.I)
_LETTER_HEADING = re.compile(r"^\((?P<n>[a-z])\)\s+(?P<t>\S.*)$")
_ROMAN_HEADING = re.compile(r"^(?P<n>[ivxIVX]{1,5})[.)]\s+(?P<t>\S.*)$")
_OL_START = re.compile(r"<ol\b[^>]*\bstart=[\"']?(?P<n>\d{1,5})", re.I)
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
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>(?:.*\n){0,60}?)---[ \t]*(?:\n|\Z)")
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
    s = _LINK.sub(r"\1", _ZERO_WIDTH.sub(" ", raw).replace("\xa0", " "))
    s = _TAG.sub("", s)
    s = s.replace("\\*", "*").replace("\\_", "_")
    s = re.sub(r"\\([.\-()#\[\]!+&'\"$])", r"\1", s)  # pandoc's escapes: "1\.", "\- Claire"
    s = re.sub(r"\s*\\\s*$", "", s)  # pandoc's hard line break: a backslash at the end of the line
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
    source: tuple[int, int] | None = None  # lines [first, last] the meeting and its date were read from


_SUMMONS = re.compile(r"\b(?:summoned|summonsed)\s+to\b|\bnotice\s+is\s+(?:hereby\s+)?given\b"
                      r"|\b(?:are|is)\s+(?:hereby\s+)?requested\s+to\s+attend\b", re.I)
_BODY = re.compile(r"\b(?:council|committee|panel|board|cabinet|forum|partnership|commission|cyngor|society|trust"
                   r"|authority|governors|ips|ltd|limited)\b", re.I)
_MEETING_WORD = re.compile(r"\b(?:meeting|agm|cyfarfod|minutes|agenda|summons)\b", re.I)
_OTHER_MEETING = re.compile(r"\b(?:next|previous|last|future|following|forthcoming|earlier|adjourned\s+to)\s+"
                            r"(?:\w+\s+){0,2}?(?:meeting|agm)s?\b|\bminutes\s+of\s+the\s+(?:\w+\s+){0,3}?meeting\s+held\b",
                            re.I)
_NOT_MEETING_DATE = re.compile(r"\b(?:adopted|approved|revised|amended|published|printed|posted|issued|dated|signed"
                               r"|updated|reviewed|circulated)\b[^.\n]{0,40}$", re.I)
# "Minutes of a meeting of the X", "MINUTES OF PROCEEDINGS AT SPECIAL MEETING OF X", "Minutes of the Souldern
# Parish Council Annual Meeting", "MINUTES OF ANNUAL GENERAL MEETING", "Minutes of the October General Meeting".
_MINUTES_HEAD = re.compile(
    r"^(?:the\s+)?minutes\s+of\s+(?:the\s+)?(?:proceedings\s+at\s+)?(?:an?\s+|the\s+)?"
    r"(?:[\w'’&.-]+\s+){0,7}?(?:meeting|agm)\b", re.I)
_SAME_EVENING = re.compile(r"\b(?:held|took\s+place)\s+(?:directly|immediately|straight)\s+after\b|"
                           r"\bfollowing\s+the\s+(?:conclusion\s+of\s+the\s+)?(?:agm|annual)", re.I)
_TITLE_WORDS = ("annual", "general", "ordinary", "extraordinary", "special", "adjourned", "parish", "board", "full",
                "monthly", "open", "public", "statutory", "emergency", "joint", "extra-ordinary", "informal",
                "eithriadol", "blynyddol", "cyffredinol")
_MEETING_TITLE = re.compile(
    rf"\b(?P<t>(?:(?:{'|'.join(_TITLE_WORDS)})\s+){{1,3}}meeting|agm|cyfarfod\s+(?:{'|'.join(_TITLE_WORDS)}))\b", re.I)


def meeting_title(text: str) -> str | None:
    """The meeting's own name in a header ("Annual General Meeting", "Special Meeting", "AGM")."""
    m = _MEETING_TITLE.search(text)
    if not m:
        return None
    t = m.group("t")
    if t.lower() == "agm":
        return "AGM"
    return " ".join(w if w.isupper() and len(w) <= 3 else w[:1].upper() + w[1:].lower() for w in t.split())


def _next_text(lines: list[_Line], i: int) -> int | None:
    for j in range(i + 1, min(len(lines), i + 6)):
        if lines[j].clean:
            return j
    return None


def _header_text(lines: list[_Line], i: int, span: int = 4) -> str:
    return " ".join(l.clean for l in lines[i : i + span] if l.clean)


def _header_block(lines: list[_Line], i: int, count: int = 5) -> tuple[str, int]:
    """The next ``count`` non-empty lines from i (stopping at an attendance list or a numbered item), joined,
    and the index of the last line taken."""
    parts, last, j = [], i, i
    while j < len(lines) and len(parts) < count and j < i + 3 * count:
        c = lines[j].clean
        if c:
            if parts and (re.match(r"^(?:present|attendees|attendance|apologies|in\s+attendance|members\s+present)\b", c, re.I)
                          or re.match(r"^\d{1,4}[.)]?\s", c)):
                break
            parts.append(c)
            last = j
        j += 1
    return " ".join(parts), last


def _committee_before_held(text: str) -> str | None:
    m = re.search(
        rf"meeting\s+of\s+(?:the\s+)?(.+?)(?:,?\s+(?:(?:to|will)\s+be\s+)?(?:held|which\s+took|that\s+took|at\s+\d)\b|,?\s+on\s+{_WEEKDAY}|,?\s+{_WEEKDAY}|\s+\d{{1,2}}(?:st|nd|rd|th)?\s+\w+\s+(?:19|20)\d\d|$)",
        text,
        re.I,
    )
    return tidy_committee(m.group(1)) if m else None


def _stated_committee(head: str, lines: list[_Line], i: int) -> str | None:
    """The body a header names ("meeting of the Audit Committee held ..."); for "the above Council",
    the name in the heading above it."""
    committee = _committee_before_held(head)
    if committee is not None and len(committee) > 120:
        committee = None
    if committee is None or re.match(r"^(?:above|said|aforementioned)\b", committee, re.I):
        committee = _heading_committee(lines, i)
    return committee


def _heading_committee(lines: list[_Line], i: int) -> str | None:
    for k in range(i - 1, max(-1, i - 8), -1):
        c = lines[k].clean
        if _BODY.search(c) and len(c) < 100 and _heading_like(lines[k]) and not re.match(r"^to\b", c, re.I):
            return _body_of(c) or tidy_committee(c)
    return None


_BODY_PHRASE = re.compile(
    r"((?:[A-Z][\w'’&-]*\s+(?:(?:[A-Z][\w'’&-]*|&|and|of|a|y|for)\s+){0,7})?(?i:council|committee|panel|board|cabinet"
    r"|forum|partnership|commission|society|trust|authority|governors|ips(?:\s+ltd\.?)?|ltd\.?|limited))\b")
_CYNGOR = re.compile(r"\b((?i:cyngor)\s+(?:(?i:cymuned|tref|sir)\s+)?(?:[A-Z][\w'’-]+(?:\s+(?i:a|ac|and|&)(?=\s))?\s*){1,4})")


def _body_of(text: str) -> str | None:
    """A body's name in a heading or a sentence: "Manordeilo and Salem Community Council held their meeting",
    "HYNDLAND PRIMARY SCHOOL PARENT COUNCIL ANNUAL GENERAL MEETING", "Cyngor Cymuned Manordeilo a Salem"."""
    text = re.sub(r"\s+", " ", text)
    m = _CYNGOR.search(text)
    if m:
        return tidy_committee(m.group(1))
    found = [m.group(1) for m in _BODY_PHRASE.finditer(text)]
    found = [f for f in found if re.match(r"[A-Z]", f.strip())
             and len(re.sub(r"^(?:the|a|an)\s+", "", f.strip(), flags=re.I).split()) >= 2]
    if not found:
        return None
    name = max(found, key=len)
    name = re.sub(r"^(?:(?:minutes|agenda|meeting|formal\s+notice|notice)\s+(?:of|for)\s+(?:the\s+|a\s+|an\s+)?)+", "",
                  name.strip(), flags=re.I)
    name = re.sub(r"^(?:(?:annual|general|ordinary|special|extraordinary|adjourned|full|open)\s+)*meeting\s+of\s+(?:the\s+)?",
                  "", name, flags=re.I)
    return tidy_committee(name) if len(name) <= 120 else None


def _named_before_title(s: str) -> str | None:
    """"MINUTES OF THE SOULDERN ANNUAL PARISH MEETING" -> "Souldern": who meets, when no body is named."""
    m = re.match(r"^(?:the\s+)?minutes\s+of\s+(?:the\s+)?(?P<w>(?:[A-Z][\w'’&-]*\s+){1,4}?)"
                 rf"(?:(?:{'|'.join(_TITLE_WORDS)})\s+)+meeting\b", s, re.I)
    if not m or not re.match(r"[A-Z]", m.group("w")):
        return None
    if month_number(m.group("w").split()[0]) or re.match(_WEEKDAY, m.group("w"), re.I):
        return None  # "Minutes of the October General Meeting"
    return tidy_committee(m.group("w"))


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


class _Dates:
    """A document's dates: full ones as written, and year-less ones resolved only from a full date the
    document states for the same day and month (a front-matter title, the heading of the same minutes)."""

    def __init__(self, text: str, extra: str = "") -> None:
        self.by_day: dict[tuple[int, int], set[str]] = {}
        for _, _, iso in find_dates(text) + find_dates(extra, True):
            self.by_day.setdefault((int(iso[5:7]), int(iso[8:10])), set()).add(iso)

    def meeting_date(self, text: str) -> tuple[str | None, tuple[int, int] | None]:
        """The meeting date a header states: (ISO or None, span in ``text`` of the words it was read from)."""
        for start, end, iso in find_dates(text, short_years=True):
            if not _NOT_MEETING_DATE.search(text[max(0, start - 60):start]):
                return iso, (start, end)
        for start, end, month, day in find_day_months(text):
            if _NOT_MEETING_DATE.search(text[max(0, start - 60):start]):
                continue
            years = self.by_day.get((month, day), set())
            return (next(iter(years)) if len(years) == 1 else None), (start, end)
        return None, None


def _front_matter(text: str) -> tuple[int, dict[str, str]]:
    """A Jekyll/pandoc front matter block at the top: (number of lines it takes, its keys)."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return 0, {}
    keys = {}
    for raw in m.group("body").split("\n"):
        km = re.match(r"^([A-Za-z_]+)\s*:\s*(.*)$", raw)
        if km:
            keys[km.group(1).lower()] = km.group(2).strip().strip("'\"")
    if not keys:
        return 0, {}
    return m.group(0).count("\n") + (0 if m.group(0).endswith("\n") else 1), keys


def _find_zones(lines: list[_Line], dates: _Dates, title_hint: str | None = None) -> list[_Zone]:
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
                zones.append(_Zone(0, "page", pack, source=(i, i)))
                i += 1
                continue
            if re.fullmatch(r"agenda item", s, re.I) and not zones:
                zones.append(_Zone(0, "item page", Meeting(None, None), source=(i, i)))
                i += 1
                continue

        # Minutes of a meeting (standalone or reprinted in a pack): their own committee and date.
        if (_MINUTES_HEAD.match(s) and not _OTHER_MEETING.search(s) and not re.search(r"\b(?:were|was|are|be)\b", s[:150], re.I)
                and (_MINUTES_HEADER.match(s) or _heading_like(lines[i]) or not zones)):
            head, last = _header_block(lines, i, 5)
            iso, span = dates.meeting_date(head)
            if iso is None and span is None:
                after = " ".join(l.clean for l in lines[last + 1:last + 4] if l.clean)
                if zones and (_SAME_EVENING.search(after) or _SAME_EVENING.search(head)):
                    iso = zones[-1].meeting.date  # "held directly after the conclusion of the AGM"
            if iso or span or _heading_like(lines[i]):
                committee = (_stated_committee(head, lines, i) if re.search(r"meeting\s+of\b", head, re.I) else None) \
                    or _body_of(head) or _heading_committee(lines, i) or (pack.committee if pack else None) \
                    or _named_before_title(s) or (zones[-1].meeting.committee if zones else None)
                meeting = Meeting(committee, iso, meeting_title(head[:200]))
                zones.append(_Zone(_back_up(lines, i, zones[-1].line if zones else -1), "minutes", meeting, source=(i, last)))
                i = last + 1
                continue

        # A summons: "You are summoned to attend the annual meeting of the above Council ... on <date>".
        if _SUMMONS.search(s):
            head = _header_text(lines, i, 4)
            iso, span = dates.meeting_date(head)
            if iso:
                above = " ".join(l.clean for l in lines[max(0, i - 6):i] if l.clean)
                pack = Meeting(_stated_committee(head, lines, i), iso, meeting_title(head) or meeting_title(above))
                start = _back_up(lines, i, zones[-1].line if zones else -1)
                zones.append(_Zone(start if zones else 0, "agenda", pack, source=(i, min(n - 1, i + 3))))
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
                        zones.append(_Zone(i, "minutes", Meeting(_body_of(s) or tidy_committee(s), first_date(lines[j].clean),
                                                                 meeting_title(s + " " + lines[j].clean)), source=(i, j)))
                        break
                else:
                    k = None
                if k is not None and zones and zones[-1].line == i:
                    i = j + 1
                    continue

        # A pack's front sheet: "Meeting: X" / "MEETING OF THE X" / "Title of Meeting<tab>X", then a date line.
        if pack is None or (zones and zones[-1].kind == "agenda" and zones[-1].meeting.date is None):
            m = _AGENDA_MEETING.match(s) or _MEETING_OF.match(s)
            if m and i < 80:
                committee_text = m.group("c")
                iso, last = None, i
                for j in range(i + 1, min(n, i + 8)):
                    dm = _DATE_LINE.match(lines[j].clean)
                    if dm and first_date(dm.group("d")):
                        iso, last = first_date(dm.group("d")), j
                        break
                    if not _DATE_LINE.match(lines[j].clean) and lines[j].clean and j == i + 1 and not first_date(lines[j].clean):
                        committee_text += " " + lines[j].clean  # committee name wrapped onto a second line
                    elif first_date(lines[j].clean):
                        iso, last = first_date(lines[j].clean), j
                        break
                if iso is None:
                    iso = first_date(committee_text)
                if iso:
                    title = meeting_title(committee_text) or meeting_title(s)
                    committee = re.split(r"\s+(?:held|on|at)\s+|\s+[-–]\s+", committee_text)[0]
                    if re.search(r"\bmeeting\s+of\b", committee, re.I):
                        committee = _committee_before_held(committee) or committee
                    committee = tidy_committee(committee)
                    above = _heading_committee(lines, i)
                    if committee and above and above.lower().endswith(committee.lower()) and above != committee:
                        committee = above  # "Annual Meeting of the Parish Council" under "SOULDERN PARISH COUNCIL"
                    pack = Meeting(committee, iso, title)
                    if zones and zones[-1].kind == "agenda":
                        zones[-1] = _Zone(zones[-1].line, "agenda", pack, source=(i, last))
                    else:
                        banner = " ".join(l.clean for l in lines[max(0, i - 4):i + 1])
                        kind = "minutes" if re.search(r"\bminutes\b", banner, re.I) and not zones else "agenda"
                        zones.append(_Zone(0 if not zones else i, kind, pack, source=(i, last)))
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
                meeting = Meeting(pack.committee, cover_date, pack.title)
            start = _back_up(lines, lo, zones[-1].line if zones else -1)
            zones.append(_Zone(start, "report", meeting, subject=subject, item_number=item_no, source=(lo, hi)))
            i = hi + 1
            continue
        i += 1

    if not zones or zones[0].line > 0:
        top = _title_block(lines, dates, zones[0].line if zones else n, title_hint)
        if top is not None:
            zones.insert(0, top)
        else:
            zones.insert(0, _preamble(lines, dates, first_text, zones, title_hint))
    return _with_authority(lines, zones)


_AUTHORITY = re.compile(r"^(?:[A-Z][\w'’&.-]*\s+){1,5}(?:Borough\s+|County\s+|City\s+|District\s+|Metropolitan\s+)?Council$")
_GENERIC_COMMITTEE = {
    "audit", "cabinet", "committee", "sub-committee", "subcommittee", "scrutiny", "overview", "planning", "licensing",
    "standards", "finance", "general", "purposes", "and", "joint", "session", "executive", "board", "panel",
    "full", "council", "regulatory", "appeals", "governance", "resources", "policy", "strategy", "health",
    "wellbeing", "pensions", "pension", "fund", "employment", "appointments", "remuneration", "risk", "(joint", "session)",
    "of", "the", "corporate", "environment", "housing", "children", "adults", "development", "control", "a", "&",
}


def _with_authority(lines: list[_Line], zones: list[_Zone]) -> list[_Zone]:
    """A council and its committee, as the papers name them: a generic committee name ("Audit Committee",
    "Cabinet") under the council's name at the top of the document ("Merton Council") is that council's
    ("Merton Council Audit Committee"). A named body ("Police and Crime Panel") keeps its own name."""
    top = [l.clean for l in lines if l.clean][:4]
    authority = next((c for c in top if _AUTHORITY.match(c) and len(c) <= 60), None)
    if authority is None:
        return zones
    renamed: dict[Meeting, Meeting] = {}
    for z in zones:
        m = z.meeting
        c = m.committee
        if not c or authority.lower() in c.lower() or not set(c.lower().split()) <= _GENERIC_COMMITTEE:
            continue
        if re.search(r"\bcouncil\b", c, re.I) and not re.search(r"\b(?:committee|cabinet|panel|board)\b", c, re.I):
            continue
        renamed.setdefault(m, Meeting(f"{authority} {c}", m.date, m.title))
        z.meeting = renamed[m]
    return zones


def _title_block(lines: list[_Line], dates: _Dates, limit: int, title_hint: str | None) -> _Zone | None:
    """The meeting a document names in its first lines, before any other header: a body, a meeting word
    and a date within four lines ("MANORDEILO & SALEM COMMUNITY COUNCIL / MEETING 10th FEBRUARY 2016",
    "Hyndland Primary Parent Council Meeting / Wednesday 22nd October", "8 January 2020 / Manordeilo and
    Salem Community Council held their meeting ... on the 8th January 2020")."""
    seen = 0
    for i in range(min(limit, len(lines))):
        c = lines[i].clean
        if not c:
            continue
        seen += 1
        if seen > 15:
            return None
        if re.match(r"^\d{1,4}[.)]?\s", c) or _OTHER_MEETING.search(c) or re.fullmatch(r"[-=_*]{3,}", c):
            continue
        if re.match(r"^\s*(?:[*•·+-]\s|\d{1,3}[.)]\s)", lines[i].raw):
            continue  # a list, not a title
        if not (_heading_like(lines[i]) or _heading_title(c) or (find_dates(c) and find_dates(c)[0][0] == 0)
                or (len(c.split()) <= 10 and _MEETING_WORD.search(c))):
            continue
        block, last = _header_block(lines[:limit], i, 3)
        block_lines = [l.clean for l in lines[i:last + 1] if l.clean]
        if _OTHER_MEETING.search(block) or any(re.search(r"\bwill\s+take\s+place\b", b, re.I) for b in block_lines[1:]):
            continue
        if not (_MEETING_WORD.search(" ".join(block_lines[:3])) or (title_hint and _MEETING_WORD.search(title_hint))):
            continue
        iso, span = dates.meeting_date(block)
        if span is None:
            continue
        head_lines = [lines[k] for k in range(i, last + 1) if lines[k].clean]
        committee = None
        for line in head_lines:
            if _BODY.search(line.clean):
                committee = _body_of(line.clean)
                if committee:
                    break
        committee = committee or (_body_of(title_hint) if title_hint else None)
        title = meeting_title(block) or (meeting_title(title_hint) if title_hint else None)
        if iso is None and title_hint:
            hint_iso, _ = dates.meeting_date(title_hint)
            if hint_iso and span is not None:
                iso = None  # a year-less date is only resolved through _Dates (same day and month)
        after = " ".join(l.clean for l in lines[:last + 25])
        kind = "minutes" if re.search(r"\bminutes\b|\bpresent\b|\battendees\b|\bapologies\b|\bheld\s+their\b", after, re.I) \
            and not re.search(r"\bagenda\b|\bsummons\b", " ".join(block_lines), re.I) else "agenda"
        return _Zone(0, kind, Meeting(committee, iso, title), source=(i, last))
    return None


def _preamble(lines: list[_Line], dates: _Dates, first_text: str, zones: list[_Zone], title_hint: str | None) -> _Zone:
    """Text before any recognised header. Take a date and committee only from its first lines, where a
    title states a meeting; an adoption, revision or posting date is not a meeting date."""
    head_lines = [l for l in lines[: zones[0].line if zones else len(lines)] if l.clean][:6]
    head = " ".join(l.clean for l in head_lines)
    committee = None
    for text in ([title_hint] if title_hint else []) + [head]:
        m = re.search(r"\b([A-Z][\w'’&,-]*\s+(?:(?:[A-Z][\w'’&,-]*|&|and|of)\s+){0,7}(?i:council|committee|panel|board|cabinet|forum|partnership))\b",
                      text)
        if m and not re.match(r"^(?:the|a|an|this|that|our|its)\s+\w+$", m.group(1), re.I):
            committee = _body_of(m.group(1)) or tidy_committee(m.group(1))
            break
        committee = _body_of(text) or committee
        if committee:
            break
    iso, span, from_title = None, None, False
    if _MEETING_WORD.search(head) or (title_hint and _MEETING_WORD.search(title_hint)):
        iso, span = dates.meeting_date(head)
        if span is None and title_hint and not zones:
            iso, span = dates.meeting_date(title_hint)
            from_title = span is not None
    title = meeting_title(head) or meeting_title(title_hint or "")
    if zones and iso is None and len(head_lines) <= 20 and zones[0].kind != "report":
        # Only banners and letterheads above the first header: they belong to its meeting.
        first = zones.pop(0)
        return _Zone(0, first.kind, first.meeting, first.subject, first.item_number, first.source)
    kind = "minutes" if re.search(r"\bminutes\b", first_text, re.I) else "agenda"
    source = None
    if from_title:
        at = next((k for k, l in enumerate(lines) if re.match(r"^title\s*:", l.raw)), None)
        source = (at, at) if at is not None else None
    elif span:
        at = next((k for k, l in enumerate(lines[: zones[0].line if zones else len(lines)])
                   if l.clean and dates.meeting_date(l.clean)[1] is not None), None)
        source = (at, at) if at is not None else None
    return _Zone(0, kind, Meeting(committee, iso, title), source=source)


# --------------------------------------------------------------------------------------------- items


@dataclass
class _Cand:
    line: int
    number: str | None
    title: str | None
    end: int  # index of the title's last line
    strong: bool = False  # a number alone on its line with a heading under it: an item even out of order
    style: str = "plain"  # "caps" when the title is in capitals
    loose: bool = False  # a long paragraph under a minute number: an item only as the very next number


def _num_key(n: str) -> tuple[str, int]:
    """('05.24', 3) for "05.24.03", ('', 12) for "12" or "12a"."""
    if "." in n:
        head, _, tail = n.rpartition(".")
        return head, int(tail)
    return "", int(re.match(r"\d+", n).group())


def _style(title: str | None) -> str:
    letters = [c for c in title or "" if c.isalpha()]
    return "caps" if letters and sum(c.isupper() for c in letters) / len(letters) > 0.7 else "plain"


def _heading_title(line: str) -> bool:
    """A line that reads as a heading: short, no sentence end."""
    t = tidy_title(line)
    return bool(t) and len(t.split()) <= 14 and not re.search(r"[.;,]$", line.strip()) and (t[0].isupper() or t[0].isdigit())


def _candidate(lines: list[_Line], i: int, zone_kind: str, forced: dict[int, str]) -> _Cand | None:
    """If line i can start an agenda item, the candidate (sequence checks are made by the caller)."""
    s = lines[i].clean
    if not s:
        return None
    if i in forced:  # an <li> of an <ol start=N> list in a text file
        title = tidy_title(s)
        if not _plausible_title(title, 16) and ":" in title[:80]:
            title = title.split(":")[0]
        return _Cand(i, forced[i], title, i, style=_style(title))
    m = _BARE_NUMBER.match(s)
    if m and zone_kind == "page":
        j = i + 1
        while j < len(lines) and not lines[j].clean:
            j += 1
        if j < len(lines) and _plausible_title(lines[j].clean):
            return _Cand(i, m.group("n"), tidy_title(lines[j].clean), j)
        return None
    if zone_kind == "page":
        return None
    if _BARE_DOTTED.match(s):
        # "3." alone on a line (text from PDFs and OCR): the title is on the next line, or on the line
        # above when the next is a paragraph, or lost (a column of numbers).
        number = _BARE_DOTTED.match(s).group("n")
        j = i + 1
        while j < len(lines) and not lines[j].clean:
            j += 1
        nxt = lines[j].clean if j < len(lines) else ""
        if nxt and _heading_title(nxt) and not _BARE_DOTTED.match(nxt) and not re.match(r"^-{3,}$", nxt):
            return _Cand(i, number, tidy_title(nxt), j, strong=True, style=_style(nxt))
        k = i - 1
        while k >= 0 and not lines[k].clean:
            k -= 1
        prev = lines[k].clean if k >= 0 else ""
        if prev and len(prev.split()) <= 12 and _heading_title(prev) and not _BARE_DOTTED.match(prev) and i - k <= 2:
            return _Cand(i, number, tidy_title(prev), i, style=_style(prev))
        return _Cand(i, number, None, i)
    if m:
        return None  # elsewhere a number alone on a line is a page number or a wrapped phone number
    km = _KEY_ITEM.match(s)
    if km:
        return _Cand(i, None, tidy_title(km.group("t")), i)
    m = _DOTTED_HEADING.match(s)
    if m and not re.match(r"^(?:[ap]\.?m\b|hrs?\b|%)", m.group("t"), re.I):
        title = m.group("t")
        if _plausible_title(title, 32 if zone_kind == "agenda" else 16) or ":" in title[:80]:
            if not _plausible_title(title, 32 if zone_kind == "agenda" else 16):
                title = title.split(":")[0]
            return _Cand(i, m.group("n"), tidy_title(title), i, style=_style(title))
        return None
    m = _NUMBERED_HEADING.match(s) or _COMMA_HEADING.match(s)
    if not m:
        return None
    dates = find_dates(s)
    if dates and dates[0][0] == 0:
        return None  # "22 October 2009" is a date line, not item 22
    if re.match(r"^\d{1,2}[.:]\d{2}\s*(?:[ap]\.?m|hrs?)\b", s, re.I):
        return None  # a time
    title = m.group("t")
    max_words = 32 if zone_kind == "agenda" else 16
    loose = False
    spaced = re.match(r"^\d{1,4} (?=\S)", s) and not re.match(r"^[\s*#]*\d{1,4}\s*\t", lines[i].raw)
    label = title.split(":")[0] if ":" in title[:60] else ""
    if spaced and not (_style(title) == "caps" or (label and len(label.split()) <= 4 and label[:1].isupper()) or (
            _heading_title(title) and len(title.split()) <= 8 and "," not in title and ")" not in title)):
        return None  # "5 Place and Address of Meetings) to change ...": a wrapped sentence, not "5 Title"
    if not _plausible_title(title, max_words):
        head = title.split(":")[0] if ":" in title[:80] else ""
        caps = re.match(r"^([A-Z0-9][A-Z0-9'’&,:/\- ]{6,80}?)(?=\s+[a-z(|]|\s*$)", title)
        if head and len(head.split()) <= 10 and _plausible_title(head, 10):
            title = head  # "2584. Financial Report: Community A/C £3,572.58 ...": the label is the title
        elif caps and len(caps.group(1).split()) >= 2 and _style(caps.group(1)) == "caps":
            title = caps.group(1)  # "9. NEXT MEETING MONDAY 8 APRIL (back a week because of Easter) ..."
        elif re.match(r"^\d{3,4}\.", s) and title[:1].isupper():
            # Minute numbers of a parish council ("2918.   Discuss Local Democracy ... proposals."): the
            # paragraph is the item; it counts only as the next number in sequence.
            title, loose = " ".join(title.split()[:12]), True
        else:
            return None
    cells = [c for c in lines[i].raw.strip().split("\t") if c.strip()]
    if len(cells) >= 2 and re.fullmatch(r"\s*\d{1,4}\s*", cells[-1]):
        title = re.sub(r"\s+\d{1,4}$", "", title)  # "4.\tAnnual complaints report\t9": 9 is the page
    return _Cand(i, m.group("n"), tidy_title(title), i, style=_style(title), loose=loose)


_LEADER = re.compile(r"(?:…{2,}|\.{4,}|_{4,})\s*\d*\s*$")


def _drop_contents(cands: dict[int, _Cand], lines: list[_Line]) -> None:
    """A table of contents is not a list of items: entries with dot leaders ("1. GENERAL ………… 3"), and
    entries whose number and title come again further on (the sections themselves)."""
    for li in [k for k, c in cands.items() if _LEADER.search(lines[k].clean)]:
        del cands[li]
    later: dict[tuple[str, str], int] = {}
    for li in sorted(cands, reverse=True):
        c = cands[li]
        if c.number is None or not c.title:
            continue
        key = (c.number, c.title.lower())
        if key in later and later[key] - li > 3:
            del cands[li]
        else:
            later.setdefault(key, li)


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


class _Sequence:
    """Chooses which candidates are items: numbers rise (so numbered clauses and references back to earlier
    minutes are not items); a jump is taken only when no candidate fills the gap first; a number alone on
    its line with a heading under it is an item even out of order ("Notice of Motion No. 24 was taken
    with this item"); numbering that starts again in the style of the items opens the record of another
    meeting."""

    def __init__(self, cands: list[_Cand]) -> None:
        self.cands = [c for c in cands if c.number is not None]
        self.pos = {c.line: k for k, c in enumerate(self.cands)}
        self.last: tuple[str, int] | None = None
        self.styles: list[str] = []

    def decide(self, c: _Cand) -> str:
        """'item', 'aside' (an item that does not move the sequence), 'restart' or 'no'."""
        if c.number is None:
            return "aside"
        prefix, value = _num_key(c.number)
        if self.last is None:
            if value >= 5000 or c.loose:
                return "no"
            later = self._later(c, 80)
            for k, d in enumerate(later):
                dp, dv = _num_key(d.number)
                if dp != prefix or dv >= value:
                    continue
                chain = k + 1 < len(later) and _num_key(later[k + 1].number) == (prefix, dv + 1)
                if not c.strong and (d.strong or (chain and dv <= 2 and value > dv + 1)):
                    # "19. Thankfully, we are ..." (a wrapped "COVID-19") before "1." "Election of Mayor"; a
                    # stray last entry of a contents list before the sections "1.", "2.", ...
                    return "no"
            return "item"
        lp, lv = self.last
        if prefix != lp:
            if lp and prefix and value == 1 and prefix > lp:
                return "item"  # "5.1" after "4.3"
            return "no"
        if value == lv and not c.number[-1].isdigit():
            return "item"  # "4a" after "4"
        if c.loose and value != lv + 1:
            return "no"
        if lv < value <= lv + 25:
            if value > lv + 1 and self._gap_filled_later(c, prefix, lv, value):
                return "aside" if c.strong else "no"
            return "item"
        if value > lv and c.strong:
            return "aside"
        if value < lv - 2 and self._restarts(c, prefix, lv):
            return "restart"
        return "no"

    def accept(self, c: _Cand) -> None:
        if c.number is not None:
            self.last = _num_key(c.number)
            self.styles.append(c.style)

    def _later(self, c: _Cand, limit: int = 60) -> list[_Cand]:
        k = self.pos.get(c.line)
        return self.cands[k + 1:k + 1 + limit] if k is not None else []

    def _gap_filled_later(self, c: _Cand, prefix: str, lv: int, value: int) -> bool:
        for d in self._later(c):
            dp, dv = _num_key(d.number)
            if dp != prefix:
                continue
            if dv > value:
                return False
            if lv < dv < value:
                return True
        return False

    def _restarts(self, c: _Cand, prefix: str, lv: int) -> bool:
        style = max(set(self.styles), key=self.styles.count) if self.styles else "plain"
        if style != "caps" or c.style != "caps":
            return False
        later = [d for d in self._later(c, 4) if d.style == "caps" and _num_key(d.number)[0] == prefix]
        return sum(1 for d in later if _num_key(d.number)[1] < lv) >= 3


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


def _list_numbers(lines: list[_Line]) -> dict[int, str]:
    """Numbers of <li> lines inside <ol start=N> in a text file with stray HTML (the browser shows them)."""
    out: dict[int, str] = {}
    counter = None
    for i, line in enumerate(lines):
        raw = line.raw
        m = _OL_START.search(raw)
        if m:
            counter = int(m.group("n"))
        if counter is not None and re.match(r"^\s*<li\b", raw, re.I):
            own = re.match(r"^(\d{1,5})[.)]\s", line.clean)
            if own:
                counter = int(own.group(1)) + 1
            else:
                out[i] = str(counter)
                counter += 1
        if re.search(r"</ol>", raw, re.I):
            counter = None
    return out


# --------------------------------------------------------------------------------------------- sections


def parse_text(source: str, text: str, page_starts: tuple[int, ...] | None = None, fmt: str = "text") -> ParsedDocument:
    # Some text minutes encode line breaks as literal "<br />" tags. Read them as line breaks in a copy of
    # the same length, so every offset found in the copy is an offset into the original text.
    scan = _BR.sub(lambda m: "\n" + " " * (len(m.group()) - 1), text)
    lines = _lines(scan)
    fm_lines, fm = _front_matter(scan)
    # Front matter is not the document's words about its meeting, except its title; its "date" is when
    # the page was posted.
    title_hint = fm.get("title") or None
    for k in range(min(fm_lines, len(lines))):
        lines[k].clean = ""
    body_text = "\n".join(l.clean for l in lines)
    dates = _Dates(body_text, title_hint or "")
    zones = _find_zones(lines, dates, title_hint)
    labels: list[tuple[AgendaItem, str] | None] = [None] * len(lines)
    forced = _list_numbers(lines)

    agenda_by_meeting: dict[Meeting, list[AgendaItem]] = {}
    last_report_match: dict[Meeting, int] = {}
    sources: list[tuple[Meeting, int, int]] = []

    for zi, zone in enumerate(zones):
        end_line = zones[zi + 1].line if zi + 1 < len(zones) else len(lines)
        meeting = zone.meeting
        if zone.source is not None:
            a, b = zone.source
            sources.append((meeting, lines[a].start, lines[b].end))
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

        cands: dict[int, _Cand] = {}
        if zone.kind != "item page":
            for li in range(zone.line, end_line):
                c = _candidate(lines, li, zone.kind, forced)
                if c is not None:
                    cands[li] = c
        _drop_contents(cands, lines)
        seq = _Sequence([cands[k] for k in sorted(cands)])
        main_item: AgendaItem | None = None  # the item an out-of-order one interrupts
        in_resolution = False
        li = zone.line
        while li < end_line:
            line = lines[li]
            c = line.clean
            cand = cands.get(li) if not in_resolution_clause(c, in_resolution) else None
            verdict = seq.decide(cand) if cand is not None else "no"
            if verdict == "restart":
                # The numbering starts again: the minutes of another meeting, whose date is not stated here.
                meeting = Meeting(meeting.committee, None, None)
                sources.append((meeting, line.start, line.end))
                seq.last = None
                verdict = "item"
            note = re.match(r"^(\d{1,3}) [A-Z]", c) if zone.kind == "agenda" and len(c.split()) > 12 else None
            if verdict == "no" and note:
                # Notes under an agenda list, keyed by item number ("1 Members are advised to ..."): that item.
                listed = next((a for a in agenda_by_meeting.get(meeting, []) if a.number == note.group(1)), None)
                if listed is not None and listed != item:
                    item = listed
            elif (cand is None and main_item is not None and item != main_item
                  and re.match(r"^\(?[a-z]{1,3}\)\s*\S", c) and not in_resolution):
                item = main_item  # "(i) Limerick Market Trustees" after a motion taken out of order: back to item 4
            if verdict in ("item", "aside"):
                if verdict == "item":
                    seq.accept(cand)
                    main_item = None
                elif main_item is None:
                    main_item = item
                item = AgendaItem(meeting, cand.number, cand.title)
                if zone.kind == "agenda":
                    agenda_by_meeting.setdefault(meeting, []).append(item)
                kind = "agenda" if zone.kind == "page" else default_kind
                in_resolution = False
                for k in range(li, max(li, cand.end) + 1):
                    labels[k] = (item, kind)
                li = max(li, cand.end) + 1
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
    return ParsedDocument(source=source, text=text, sections=tuple(sections), page_starts=page_starts, format=fmt,
                          meeting_sources=tuple(sources))


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
