"""The decisions register: what each meeting resolved, and what it asked for and whether it came back.

Design.

- **Decisions come only from resolutions.** The parser marks where "RESOLVED:", "It was resolved that",
  "AGREED" and similar open a resolution; the register re-reads the lines from there, inside the same
  agenda item, and cuts them into clauses: each lettered, numbered or roman clause ("(a)", "- (b)", "1.",
  "(i)") is one record, a single unlabelled resolution is one record with ``clause=None``. Report and
  appendix sections are never read, so a report's "The Panel is recommended to ..." is not a decision.
  Minutes reprinted inside a later pack come out of the parser with their own meeting, so their
  decisions carry the right date. Minutes labelled only "minutes" by the parser (an "It was RESOLVED
  that:" the parser did not mark) are read the same way, because the label is looked for here too.
- **Every record is a verbatim span.** ``text == doc.text[start:end]``: nothing is rewritten, so a
  record can always be checked against its source. Layout furniture (a clause marker, the "RESOLVED:"
  label, a web page's "... view the full minutes text" cut) is left outside the span, not edited out.
- **The kind is read from the wording** (noted, approved, requested, scheduled, elected, excluded,
  other), most specific first: a clause that both notes and requests is a request.
- **Requests** are resolution clauses asking for a report, presentation, update, attendance or
  information, plus discussion sentences in minutes where something was promised or asked for ("it was
  agreed that a report would be circulated", "the PCC offered to provide", "asked for ... to be included
  in future reports").
- **Links are conservative.** A request is delivered only by an agenda item of a strictly later meeting
  whose title shares at least two informative subject words with the request. Words are weighted by
  rarity across all sections of all documents, and words that are everywhere in committee papers
  ("report", "update", "performance", "police", "panel", place names) never count. A request with no
  date cannot be placed in time, so it is never linked. A missed link leaves a request open (the user
  looks it up); a false link would tell the user it was dealt with when it was not, which is worse.
"""
from __future__ import annotations

import bisect
import math
import re
from dataclasses import asdict, dataclass, replace

from .dates import uk_date
from .parse import clean_line, tidy_committee
from .records import Answer, Citation, Decision, ParsedDocument, Passage, Section

# ------------------------------------------------------------------------------------------- patterns

# A resolution label at the start of a line: "RESOLVED:", "**RESOLVED:**", "UNANIMOUSLY RESOLVED",
# "It was resolved that ...", "It was RESOLVED that:", "It was proposed, seconded, and AGREED that ...".
_LABEL = re.compile(
    r"(?P<label>(?P<itwas>it\s+was\s+)?"
    r"(?:(?:proposed|moved)\s*,?\s*(?:and\s+)?seconded\s*,?\s*(?:and\s+)?)?"
    r"(?:unanimously\s+)?(?:resolved|agreed)(?:\s+unanimously)?)\b",
    re.I,
)
# What may come between the label and an inline clause: "**", ":", "-", or "that:" (the clauses follow).
_LABEL_SEP = re.compile(r"(?:\*\*|__)?\s*(?:(?:that\s*)?[:\-–—]+)?(?:\*\*|__)?\s*", re.I)
# Leading layout on a raw line: indentation, a list bullet, bold markers.
_LEAD = re.compile(r"[ \t\u00a0]*(?:[-*•·][ \t\u00a0]+)?(?:\*\*|__)?[ \t\u00a0]*")
# A clause marker: (a) a) (ii) ii. 1. 1) (1) a.
_MARKER = re.compile(
    r"(?P<m>\((?:[a-z]|[ivxl]{1,6}|\d{1,2})\)|(?:[a-z]|[ivxl]{1,6})\)|\d{1,2}[.)]|[ivxl]{1,6}\.|[a-z]\.)"
    r"(?:\*\*|__)?[ \t\u00a0]+(?=\S)",
    re.I,
)
# Moderngov web pages cut long minutes short with this; it is not part of the clause.
_TRUNCATION = re.compile(r"\s*\.\.\.\s*view the full minutes text for item\s*\S*\s*$", re.I)
# A clause may run over several lines; a line ending like this closes it.
_CLOSED = re.compile(r"[.;!?](?:\*\*|__|[\"'’”)])*$")
# A clause ending like this introduces a list (dates, item names) that belongs to it.
_OPENS_LIST = re.compile(r"(?::|:-|:–|\bfollowing)\s*$", re.I)
_LIST_GOES_ON = re.compile(r"(?:[;,]|\band|\bor)\s*$", re.I)
_STARTS_CLAUSE = re.compile(r"^(?:that|to)\b", re.I)

# Kinds, most specific first. The order is the decision rule: a clause that notes a report and asks for a
# further one is a request, "be noted" of the next meeting's date is scheduling.
_KINDS: tuple[tuple[str, re.Pattern], ...] = (
    ("excluded", re.compile(
        r"exclusion\s+of\s+the\s+press|\bbe\s+excluded\b|\bexclude\s+the\s+(?:press|public)", re.I)),
    ("elected", re.compile(
        r"\bbe\s+(?:elected|appointed|re-?elected)\b[^.;]*"
        r"\b(?:chair|chairman|chairwoman|chairperson|vice|deputy|mayor|leader)", re.I)),
    ("requested", re.compile(
        r"\bbe\s+requested\b|\brequests?\b|\bexplore\b|\bbe\s+asked\b|\bprovide\s+a\s+further\s+update\b|"
        r"\breports?\s+back\b|"
        # "That a presentation on X be given at the next meeting" (but not "form a report to be submitted")
        r"\b(?:report|presentation|update|briefing)\b(?:(?!\bto\s+be\b)[^.;]){0,100}?"
        r"\bbe\s+(?:given|brought|provided|submitted|presented|made)\b", re.I)),
    ("scheduled", re.compile(
        r"\bnext\s+meeting\b|\bfuture\s+meetings\b|\bbe\s+held\s+on\b|\bmeetings?\s+(?:would|will|to)\s+take\s+place\b|"
        r"\btake\s+place\s+on\s+the\s+following\s+dates\b", re.I)),
    ("approved", re.compile(
        r"\bapprove[sd]?\b|\bapproval\b|\bsupports?\b|\bsupported\b|\bendorse[sd]?\b|"
        r"\bbe\s+(?:confirmed|adopted|agreed|accepted|ratified)\b", re.I)),
    ("noted", re.compile(r"\bbe\s+noted\b|\bnoted\b|\bnotes\b", re.I)),
)

# A resolution clause is a *request* (something to come back) when it asks for one of these.
_DELIVERABLE = re.compile(
    r"\b(?:report|reports|presentation|update|updates|briefing|information|figures|data|details|"
    r"breakdown|attend|attendance|provide|copies|copy)\b",
    re.I,
)
_DELIVERED = r"(?:circulated|provided|sent|shared|brought|presented|submitted|reported|made\s+available|given)"
# Discussion sentences that record something promised to, or asked for by, the committee.
_DISCUSSION_REQUEST = (
    # "it was agreed that a report would be circulated ...", "... that the Clerk would circulate ..."
    re.compile(rf"\bagreed\s+that\b[^.]*?\bwould\s+(?:also\s+)?(?:be\s+{_DELIVERED}|circulate|provide|send|share|"
               r"bring|present|prepare|report\s+back)\b", re.I),
    # "the PCC offered to provide ...", "in response to a request agreed to provide ...", "agreed to explore if"
    re.compile(r"\b(?:offered|agreed|undertook|promised)\s+to\s+(?:try\s+(?:and|to)\s+)?(?:provide|circulate|share|"
               r"send|supply|obtain|bring|present|report\s+back|explore\s+(?:if|whether|how)|look\s+into)\b", re.I),
    # "An update ... would be brought to the Board in due course", "... would be circulated to Board attendees"
    re.compile(rf"\bwould\s+(?:also\s+)?be\s+{_DELIVERED}\s+(?:back\s+)?(?:to|with)\s+(?:the\s+)?"
               r"(?:panel|board|committee|members|council|cabinet|forum|\w+\s+(?:members|attendees))\b", re.I),
    # "A member also asked for burglary figures to be included in future performance reports"
    re.compile(r"\basked\s+for\b", re.I),
    re.compile(r"\b(?:was|were)\s+requested\s+to\s+(?:provide|attend|present|bring|submit|report|circulate)\b", re.I),
    # "Future reports on recruitment, retention and dismissals would also include ..."
    re.compile(r"\bfuture\s+(?:\w+[,]?\s+){0,6}?reports?\b[^.]{0,200}?\b(?:would|will|should)\s+(?:also\s+)?include\b",
               re.I),
    # An offer (issue 15): "... they could provide a presentation to CSPs on their work"
    re.compile(r"\bcould\s+(?:provide|give|bring|deliver|present)\s+(?:a\s+|an\s+)?(?:further\s+)?"
               r"(?:presentation|report|update|briefing)\b", re.I),
    # A report promised for the next meeting: "the Annual Report (currently under construction for the next meeting)"
    re.compile(r"\b(?:under\s+construction|being\s+(?:prepared|drafted|written))\s+for\s+the\s+next\s+meeting\b", re.I),
    # A request carried in later minutes: "there was an outstanding action for panel members to visit ..."
    re.compile(r"\boutstanding\s+actions?\s+(?:for|to|from)\b", re.I),
)
# A deferral (issue 15): "... requested that consideration of the Annual Report be deferred until the September
# meeting". Read in agenda and minutes (a deferral is announced on the agenda); delivered when the same item
# is next considered.
_DEFERRAL = re.compile(r"\bconsideration\s+of\s+(?:the\s+|this\s+)?(?P<what>[^.;]{2,120}?)\s+(?:be|was|is\s+to\s+be)\s+"
                       r"(?:deferred|postponed)\b|\b(?P<what2>[A-Z][^.;]{2,80}?)\s+(?:was|be|had\s+been)\s+deferred\s+"
                       r"(?:until|to)\s+(?:the\s+)?(?:next|a\s+future|\w+)\s+meeting\b")

# A request that refers back to what was said before it: its subject is in the sentences before.
_POINTS_BACK = re.compile(r"\b(?:this|these|those|such(?!\s+as)|that\s+meeting|the\s+figures|the\s+issue)\b", re.I)

_WORD = re.compile(r"[a-z][a-z0-9'’-]*[a-z0-9]|[a-z]")
_STOP = frozenset(
    "a about above after again against all also an and any are as at be been before being below between both "
    "but by can could did do does doing down during each few for from further had has have having he her "
    "here hers him his how i if in into is it its itself may me might more most must my no nor not now of "
    "off on once only or other our out over own same shall she should so some such than that the their them "
    "then there these they this those through to too under until up upon very was we were what when where "
    "which while who whom why will with within would you your whether per via re".split()
)
# Words that appear in every set of committee papers: they never make two things "about the same subject".
_GENERIC = frozenset(
    "report reports reporting update updates updated performance police policing panel panels board boards "
    "committee committees council meeting meetings future next item items agenda minutes member members "
    "provide provided providing information request requested requests asked ask brought bring circulated "
    "circulate shared share presented presentation presentations include included including regarding "
    "relating relation following commissioner commissioners pcc opcc office officer officers crime crimes "
    "quarter annual year years further detail detailed details copy copies figures number numbers chair "
    "chairman contents noted note approve approved agreed resolved due course time work new local attend "
    "attendance given made make available after matters matter plan issue issues question questions "
    "response overview progress position general review data statistics".split()
) | frozenset(  # the verbs and fillers of minute-taking, which say how something was said, not what about
    "questioned offered welcomed praised informed raised explained stated noted agreed compared particularly "
    "possible try well many much previous related regard regards respect generally although difficult taken "
    "action far higher lower latter former whether concerns concern reassurance clarified suggested "
    "suggestion acknowledged arising discussion discussions points reference across whole part "
    "meeting members member panel attendees asked iii vii viii".split()
)
# Words in a question that say what kind of question it is, not what it is about.
_QUESTION_WORDS = frozenset(
    "what which did was were has have had the panel board committee council cabinet resolve resolved "
    "resolution resolutions decide decided decision decisions agree agreed say said about on regarding "
    "concerning re we us our they any ever made make take taken happen happened still waiting wait "
    "outstanding open request requests requested asked ask never came come back yet pending list show tell "
    "me all".split()
)

_DECISION_QUESTION = re.compile(
    r"\b(?:resolv\w*|decid\w*|decision\w*|agreed|agree|resolution\w*)\b", re.I
)
_OPEN_QUESTION = re.compile(
    r"\bstill\s+waiting\b|\boutstanding\b|\bnever\s+(?:came|come|got|been)\b|\bopen\s+requests?\b|"
    r"\bnot\s+(?:yet\s+)?(?:been\s+)?(?:delivered|received|reported\s+back|come\s+back)\b|\bawaiting\b|"
    r"\bunanswered\b|\bstill\s+owed\b|\bpending\s+requests?\b|\b(?:we|us|panel|board|committee|members)\b[^?.]{0,20}\bwaiting\s+for\b",
    re.I,
)


# ------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Request:
    """Something a meeting asked to come back (a report, presentation, update, attendance, information)."""

    committee: str | None
    meeting_date: str | None
    item_number: str | None
    item_title: str | None
    text: str  # verbatim from the document: the resolution clause or the discussion sentence
    subject: str  # short key words the link is made on
    citation: Citation
    status: str = "open"  # open | delivered
    delivered_by: Citation | None = None
    delivered_title: str | None = None
    delivered_date: str | None = None
    reason: str | None = None  # why the link was made
    kind: str = "request"  # request | deferral (an item put off to a later meeting: delivered when next considered)
    # The source text is cut off ("... view the full minutes text for item 24" on a web page): the request
    # is shown as incomplete, not as a finished sentence.
    incomplete: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["citation"] = self.citation.to_dict()
        d["delivered_by"] = self.delivered_by.to_dict() if self.delivered_by else None
        return d


@dataclass
class _Line:
    start: int
    end: int
    raw: str
    clean: str
    section: Section | None  # the parser's section the line is in (None for blank lines)


@dataclass
class _Clause:
    label: str | None
    start: int
    end: int
    open_list: bool = False  # the clause ended with ":" and its list is still being read


# ------------------------------------------------------------------------------------------- lines


def _doc_lines(doc: ParsedDocument) -> list[_Line]:
    """The document's lines with their offsets and the section each lies in."""
    starts = [s.start for s in doc.sections]
    out, pos = [], 0
    for raw in doc.text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        clean = clean_line(raw)
        section = None
        if clean:
            k = bisect.bisect_right(starts, start + (len(raw) - len(raw.lstrip()))) - 1
            if k >= 0 and doc.sections[k].start <= end and doc.sections[k].end > start:
                section = doc.sections[k]
        out.append(_Line(start, end, raw, clean, section))
    return out


def _trimmed_end(text: str, start: int, end: int) -> int:
    """End of a clause span without trailing spaces, bold markers or a web page's truncation notice."""
    m = _TRUNCATION.search(text, start, end)
    if m:
        end = m.start()
    while end > start and (text[end - 1] in " \t\u00a0\r" or text[end - 2:end] in ("**", "__")):
        end -= 2 if text[end - 2:end] in ("**", "__") else 1
    return end


def _content_start(line: _Line) -> int:
    """Offset of a line's first real character (after indentation, a bullet and bold markers)."""
    m = _LEAD.match(line.raw)
    return line.start + (m.end() if m else 0)


def _normal_label(marker: str) -> str:
    """'a)' -> '(a)'; '(ii)', '1.', '1)', 'i.' stay as written (they are how the minutes number them)."""
    if marker.endswith(")") and not marker.startswith("(") and marker[:-1].isalpha():
        return f"({marker[:-1]})"
    return marker


# ------------------------------------------------------------------------------------------- decisions


def _label_at(line: _Line) -> int | None:
    """If the line opens a resolution, the offset of a clause on the same line (-1 if the label stands alone)."""
    lead = _LEAD.match(line.raw)
    at = lead.end() if lead else 0
    m = _LABEL.match(line.raw, at)
    if not m:
        return None
    rest = _LABEL_SEP.match(line.raw, m.end()).end()
    rest_text = line.raw[rest:].strip()
    separated = bool(line.raw[m.end():rest].strip())  # "RESOLVED:" / "RESOLVED -" / "**RESOLVED:**"
    if not rest_text:
        return -1  # "RESOLVED:" alone: the clauses follow on the next lines
    if m.group("itwas") and not separated:
        # "It was resolved that Cllr. X be appointed ...": the label is part of the sentence; keep it whole.
        return line.start + at
    if not separated and not re.match(r"(?:that|to)\b", rest_text, re.I):
        return None  # "Agreed actions were reviewed": a word at the start of a sentence, not a label
    return line.start + rest


def _item_key(section: Section | None):
    return None if section is None else section.item


def _read_block(doc: ParsedDocument, lines: list[_Line], first: int, inline: int) -> tuple[list[_Clause], int]:
    """Read the clauses of a resolution from line ``first``; return them and the index after the block.

    ``inline`` is the offset of a clause on the label line itself (-1 if the label stands alone).
    """
    text = doc.text
    item = _item_key(lines[first].section)
    clauses: list[_Clause] = []
    current: _Clause | None = None

    def start_clause(offset: int, line_end: int, label: str | None) -> _Clause:
        c = _Clause(label, offset, _trimmed_end(text, offset, line_end))
        c.open_list = bool(_OPENS_LIST.search(text[c.start:c.end]))
        clauses.append(c)
        return c

    def marker_clause(offset: int, line_end: int) -> _Clause | None:
        m = _MARKER.match(text, offset, line_end)
        if not m:
            return None
        return start_clause(m.end(), line_end, _normal_label(m.group("m")))

    if inline >= 0:
        current = marker_clause(inline, lines[first].end) or start_clause(inline, lines[first].end, None)

    i = first + 1
    while i < len(lines):
        line = lines[i]
        if not line.clean:
            i += 1
            continue
        section = line.section
        same_item = _item_key(section) == item and section is not None and section.kind in ("minutes", "resolution")
        if not same_item:
            if not _continues_numbering(line, current, section):
                break
            item = _item_key(section)  # the parser's false "item" is this clause; read on in it
        if _label_at(line) is not None:
            break  # a new resolution block (read on its own)
        offset = _content_start(line)
        m = _MARKER.match(text, offset, line.end)
        if m:
            current = start_clause(m.end(), line.end, _normal_label(m.group("m")))
        elif current is not None and (current.open_list or not _CLOSED.search(text[current.start:current.end])):
            # A wrapped line, or an item of the list the clause introduced ("on the following dates:").
            new_end = _trimmed_end(text, offset, line.end)
            was_list = current.open_list
            current.end = new_end
            line_text = text[offset:new_end]
            current.open_list = bool(_OPENS_LIST.search(line_text) or (was_list and _LIST_GOES_ON.search(line_text)))
        elif current is None or _STARTS_CLAUSE.match(line.clean):
            # The first line after a bare label, or a further unlabelled "That ..." clause.
            current = start_clause(offset, line.end, None)
        else:
            break  # "Mrs. D. Taylor CC in the Chair", "2.00 - 4.25 pm": the resolution is over
        i += 1
    return clauses, i


def _continues_numbering(line: _Line, current: _Clause | None, section: Section | None) -> bool:
    """Work around a parser slip: a numbered clause ("2. The clerk writes ...") taken for a new agenda item.

    It is a clause, not an item, when the block's last clause was numbered n, this line is numbered n+1
    in the same meeting, and it reads like a sentence (ends with punctuation, not shouty like a heading).
    """
    if current is None or section is None or current.label is None or section.kind in ("report", "appendix", "agenda"):
        return False
    m = re.fullmatch(r"\(?(\d{1,2})[.)]", current.label)
    n = re.match(r"\s*(?:[-*•·]\s+)?(\d{1,2})[.)]\s+(\S.*)$", line.raw)
    if not m or not n or int(n.group(1)) != int(m.group(1)) + 1:
        return False
    body = n.group(2).strip()
    letters = [c for c in body if c.isalpha()]
    shouty = bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.6
    return not shouty and bool(_CLOSED.search(body) or body.endswith(","))


def decision_kind(text: str) -> str:
    """noted | approved | requested | scheduled | elected | excluded | other, from the clause's wording."""
    for kind, rx in _KINDS:
        if rx.search(text):
            return kind
    return "other"


def _citation(doc: ParsedDocument, section: Section, kind: str, start: int, end: int) -> Citation:
    m = section.item.meeting
    return Citation(source=doc.source, committee=m.committee, meeting_date=m.date, item_number=section.item.number,
                    item_title=section.item.title, section=kind, start=start, end=end, page=doc.page_at(start))


def _block_starts(doc: ParsedDocument, lines: list[_Line]) -> list[tuple[int, int]]:
    """(line index, inline clause offset or -1) of every resolution in minutes or resolution sections."""
    found: list[tuple[int, int]] = []
    seen_sections: set[Section] = set()
    for i, line in enumerate(lines):
        s = line.section
        if s is None or s.kind not in ("minutes", "resolution"):
            continue
        inline = _label_at(line)
        if inline is not None:
            found.append((i, inline))
            seen_sections.add(s)
        elif s.kind == "resolution" and s not in seen_sections and line.start <= s.start:
            # The parser found a resolution with no label (item pages drop "RESOLVED:"): its first line
            # is the clause.
            found.append((i, _content_start(line)))
            seen_sections.add(s)
    return found


def extract_decisions(doc: ParsedDocument) -> list[Decision]:
    """Every resolution clause recorded in the document's minutes, each with its verbatim span."""
    lines = _doc_lines(doc)
    out: list[Decision] = []
    covered_until = -1
    for i, inline in _block_starts(doc, lines):
        if i < covered_until:
            continue  # already read as a clause of the block before (a label always ends a block)
        clauses, covered_until = _read_block(doc, lines, i, inline)
        section = lines[i].section
        for c in clauses:
            if c.end <= c.start or not re.search(r"[A-Za-z]{3}", doc.text[c.start:c.end]):
                continue
            text = doc.text[c.start:c.end]
            item = section.item
            out.append(Decision(
                committee=item.meeting.committee, meeting_date=item.meeting.date, item_number=item.number,
                item_title=item.title, clause=c.label, text=text, kind=decision_kind(text),
                citation=_citation(doc, section, "resolution", c.start, c.end),
            ))
    return out


# ------------------------------------------------------------------------------------------- requests


def _words(text: str) -> list[str]:
    """Lower-cased words of ``text`` with stopwords dropped, in order (possessives folded)."""
    out = []
    for w in _WORD.findall(clean_line(text).lower()):
        w = re.sub(r"['’]s?$", "", w).strip("-'’")
        if len(w) > 1 and w not in _STOP:
            out.append(w)
    return out


def _stem(w: str) -> str:
    """A light plural fold so "prisons" meets "prison" (no stemmer needed for title words)."""
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def subject_words(text: str) -> list[str]:
    """The informative words of a request, in order, without the generic vocabulary of committee papers."""
    seen: dict[str, None] = {}
    for w in _words(text):
        if w in _GENERIC or _stem(w) in _GENERIC or w.isdigit() or re.fullmatch(r"\d.*", w):
            continue
        seen.setdefault(_stem(w), None)
    return list(seen)


def _request_from_decision(d: Decision) -> Request | None:
    if d.kind != "requested" or not _DELIVERABLE.search(d.text):
        return None
    # What the request is about is usually after "regarding"/"on"; fall back to the whole clause.
    focus = re.search(r"\b(?:regarding|about|concerning|in\s+relation\s+to|relating\s+to|on)\s+(.*)$", d.text, re.I | re.S)
    subject = subject_words(focus.group(1)) if focus else []
    if len(subject) < 2:
        subject = subject_words(d.text)
    return Request(committee=d.committee, meeting_date=d.meeting_date, item_number=d.item_number,
                   item_title=d.item_title, text=d.text, subject=" ".join(subject[:10]), citation=d.citation)


def _cut_off(text: str, end: int) -> bool:
    """The source breaks off right after ``end`` ("...  view the full minutes text for item N")."""
    return bool(_TRUNCATION.match(text[end:end + 120].split("\n", 1)[0] + "\n") or
                re.match(r"\s*\.\.\.\s*view the full minutes text", text[end:end + 80], re.I))


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    from .answer import sentences

    return [(start + s, start + e) for s, e in sentences(text[start:end])]


def _strip_marker(text: str, start: int, end: int) -> int:
    """Move a sentence start past a list marker ("(iii)   ", "- ii. ", "· ")."""
    m = re.match(r"[ \t\u00a0]*(?:[-*•·][ \t\u00a0]+)?(?:\((?:[a-z]{1,5}|\d{1,2})\)|(?:[ivxl]{1,6}|\d{1,2})[.)])?[ \t\u00a0]*", text[start:end], re.I)
    return start + (m.end() if m else 0)


def _with_list(text: str, spans: list[tuple[int, int]], k: int, s: int) -> tuple[int, int]:
    """A request ending "... the following:" takes in the bulleted lines that say what; return (end, last k)."""
    e = spans[k][1]
    j = k
    while text[s:spans[k][1]].rstrip().endswith(":") and j + 1 < len(spans) and re.match(r"\s*[-•·*]", text[spans[j + 1][0]:spans[j + 1][1]]):
        j += 1
        e = spans[j][1]
    return e, j


def _context_words(text: str, spans: list[tuple[int, int]], k: int) -> list[str]:
    """Subject words of the sentences just before a request that points back ("this project", "the figures").

    Up to two earlier sentences of the same section, stopping at the one that opens the list entry or
    paragraph, so the context is what the request refers to and not the whole item.
    """
    out: list[str] = []
    for j in range(k - 1, max(-1, k - 3), -1):
        s, e = spans[j]
        out = subject_words(text[_strip_marker(text, s, e):e]) + out
        if re.match(r"[ \t\u00a0]*(?:[-*•·][ \t\u00a0]+|\((?:[a-z]{1,5}|\d{1,2})\)|(?:[ivxl]{1,6}|\d{1,2})[.)])", text[s:e], re.I):
            break
    return out


def _discussion_requests(doc: ParsedDocument) -> list[Request]:
    text = doc.text
    out = []
    for section in doc.sections:
        if section.kind != "minutes":  # never a report's or an appendix's wording, never the agenda's
            continue
        spans = _sentence_spans(text, section.start, section.end)
        k = 0
        while k < len(spans):
            s = _strip_marker(text, *spans[k])
            if not any(rx.search(text[s:spans[k][1]]) for rx in _DISCUSSION_REQUEST):
                k += 1
                continue
            e, last = _with_list(text, spans, k, s)
            e = _trimmed_end(text, s, e)
            subject = subject_words(text[s:e])
            if not subject or _POINTS_BACK.search(text[s:spans[k][1]]):
                subject = _context_words(text, spans, k) + subject
            item = section.item
            out.append(Request(committee=item.meeting.committee, meeting_date=item.meeting.date,
                               item_number=item.number, item_title=item.title, text=text[s:e],
                               subject=" ".join(list(dict.fromkeys(subject))[:12]),
                               citation=_citation(doc, section, "minutes", s, e)))
            k = last + 1
    return out


def _deferrals(doc: ParsedDocument) -> list[Request]:
    text = doc.text
    out = []
    for section in doc.sections:
        if section.kind not in ("agenda", "minutes", "resolution") or not section.item.meeting.date:
            continue
        for s, e in _sentence_spans(text, section.start, section.end):
            s = _strip_marker(text, s, e)
            m = _DEFERRAL.search(text, s, e)
            if not m:
                continue
            what = m.group("what") or m.group("what2") or ""
            item = section.item
            subject = subject_words(what) or subject_words(item.title or "")
            out.append(Request(committee=item.meeting.committee, meeting_date=item.meeting.date,
                               item_number=item.number, item_title=item.title, text=text[s:e],
                               subject=" ".join(subject[:10]), citation=_citation(doc, section, section.kind, s, e),
                               kind="deferral"))
    return out


def extract_requests(doc: ParsedDocument) -> list[Request]:
    """Requests for something to come back: from resolution clauses, the recorded discussion, and deferrals."""
    from_resolutions = [r for d in extract_decisions(doc) if (r := _request_from_decision(d))]
    found = from_resolutions + _discussion_requests(doc)
    taken = {(r.citation.start, r.citation.end) for r in found}
    found += [r for r in _deferrals(doc) if (r.citation.start, r.citation.end) not in taken]
    found = [replace(r, incomplete=True) if _cut_off(doc.text, r.citation.end) else r for r in found]
    found.sort(key=lambda r: r.citation.start)
    return found


# ------------------------------------------------------------------------------------------- links


@dataclass(frozen=True)
class _Candidate:
    date: str
    title: str
    citation: Citation
    words: frozenset


def _display_title(title: str) -> str:
    """Shouty agenda titles in the case people write them in ('PEER MENTORING ...' -> 'Peer Mentoring ...')."""
    return tidy_committee(title) or title


def _candidates(docs: list[ParsedDocument]) -> list[_Candidate]:
    """Every dated agenda item with a title, cited at its report if it has one (that is what delivers)."""
    best: dict[tuple, tuple[int, Citation, str]] = {}
    # A pack's report is what delivers; a web page's minutes say what happened at the item; an agenda
    # entry is the least (only a title and a line or two).
    preference = {"report": 0, "appendix": 1, "minutes": 2, "agenda": 3, "resolution": 4}
    for doc in docs:
        for s in doc.sections:
            item = s.item
            if not item.title or not item.meeting.date:
                continue
            key = (_norm(item.meeting.committee), item.meeting.date, " ".join(_words(item.title)))
            rank = preference.get(s.kind, 9)
            if key not in best or rank < best[key][0]:
                best[key] = (rank, _citation(doc, s, s.kind, s.start, s.end), item.title)
    return [_Candidate(k[1], title, cit, frozenset(_stem(w) for w in _words(title)))
            for k, (_, cit, title) in best.items()]


def _rarity(docs: list[ParsedDocument]) -> tuple[dict[str, float], int]:
    """Inverse document frequency of each (folded) word over all sections of all documents."""
    df: dict[str, int] = {}
    n = 0
    for doc in docs:
        for s in doc.sections:
            n += 1
            for w in {_stem(w) for w in _words(doc.text[s.start:s.end])}:
                df[w] = df.get(w, 0) + 1
    return {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}, n


def link_requests(requests: list[Request], docs: list[ParsedDocument],
                  min_shared: int = 2, min_weight: float = 4.0) -> list[Request]:
    """Mark each request delivered by the best-matching item of a strictly later meeting, or leave it open."""
    idf, n = _rarity(docs)
    floor = math.log((n + 1) / (0.15 * n + 0.5)) if n else 0.0  # words in >15% of sections are not subjects
    candidates = _candidates(docs)
    out = []
    for r in requests:
        out.append(_link_one(r, candidates, idf, floor, min_shared, min_weight))
    return out


def _title_key(title: str | None) -> list[str]:
    """A title's words without years and numbers ("Annual Report 2018/19" -> annual report)."""
    return [w for w in _words(clean_line(title or "").lower()) if not re.search(r"\d", w)]


def _link_deferral(r: Request, candidates: list[_Candidate]) -> Request:
    """A deferred item is delivered by the next later meeting of the same body that has the same item
    (its title's words, years aside, all in the later item's title)."""
    want = set(_title_key(r.item_title))
    if not r.meeting_date or len(want) < 2:
        return r
    best = None
    for c in candidates:
        if c.date <= r.meeting_date or not want <= set(_title_key(c.title)):
            continue
        if r.committee and c.citation.committee and _norm(r.committee) != _norm(c.citation.committee):
            continue
        if best is None or c.date < best.date:
            best = c
    if best is None:
        return r
    title = _display_title(best.title)
    return replace(r, status="delivered", delivered_by=best.citation, delivered_title=title, delivered_date=best.date,
                   reason=f"the deferred item '{_display_title(r.item_title or '')}' was next considered on "
                          f"{uk_date(best.date)} as '{title}'")


def _link_one(r: Request, candidates: list[_Candidate], idf: dict[str, float], floor: float,
              min_shared: int, min_weight: float) -> Request:
    if r.kind == "deferral":
        return _link_deferral(r, candidates)
    if not r.meeting_date or not r.subject:
        return r  # no date: nothing can be shown to come later
    # Generic words are dropped here too (a caller may pass its own subject), then common ones by rarity.
    subject = {w for w in r.subject.split() if w not in _GENERIC and idf.get(w, floor + 1) > floor}
    best = None
    for c in candidates:
        if c.date <= r.meeting_date:
            continue  # only a later meeting can deliver what was asked
        if r.committee and c.citation.committee and _norm(r.committee) != _norm(c.citation.committee):
            continue  # what a board asked for comes back to that board, not to another body's agenda
        shared = subject & c.words
        weight = sum(idf.get(w, 0.0) for w in shared)
        if len(shared) < min_shared or weight < min_weight:
            continue
        key = (-weight, c.date)  # the strongest match; among equals, the first meeting after the request
        if best is None or key < best[0]:
            best = (key, c, shared)
    if best is None:
        return r
    _, c, shared = best
    order = [w for w in r.subject.split() if w in shared]
    title = _display_title(c.title)
    reason = f"later item '{title}' on {uk_date(c.date)} shares: {', '.join(order)}"
    return replace(r, status="delivered", delivered_by=c.citation, delivered_title=title,
                   delivered_date=c.date, reason=reason)


# ------------------------------------------------------------------------------------------- register


def _norm(s: str | None) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", clean_line(s or "").lower()))


def _dedupe(records: list, has_clause: bool) -> list:
    """The same minutes in a web page and in a pack give the same records: keep the first source's."""
    seen: set = set()
    out = []
    for r in records:
        key = (_norm(r.committee), r.meeting_date, r.item_number, r.clause if has_clause else None, _norm(r.text))
        if key in seen:
            continue
        seen.add(key)
        out.append(r)
    return out


def _item_order(number: str | None) -> tuple:
    if number is None:
        return (1, 0, "")
    m = re.match(r"(\d+)(.*)", number)
    return (0, int(m.group(1)), m.group(2)) if m else (0, 0, number)


def _sort_key(r) -> tuple:
    return (r.meeting_date is None, r.meeting_date or "", _item_order(r.item_number), r.citation.source, r.citation.start)


def _matches_query(r, query: str | None) -> bool:
    """Every word of the query starts a word of the record's text or item title (case-insensitive)."""
    if not query:
        return True
    hay = re.findall(r"[a-z0-9]+", f"{r.text} {r.item_title or ''}".lower())
    return all(any(h.startswith(q) for h in hay) for q in re.findall(r"[a-z0-9]+", query.lower()))


def _in_window(r, committee: str | None, since: str | None, until: str | None) -> bool:
    if committee and committee.lower() not in (r.committee or "").lower():
        return False
    if since and (r.meeting_date is None or r.meeting_date < since):
        return False
    if until and (r.meeting_date is None or r.meeting_date > until):
        return False
    return True


class Register:
    """All decisions and requests of a set of documents, deduplicated, with simple filters."""

    def __init__(self, decisions: list[Decision], requests: list[Request]):
        self.decisions = sorted(decisions, key=_sort_key)
        self.requests = sorted(requests, key=_sort_key)

    @classmethod
    def from_documents(cls, docs: list[ParsedDocument]) -> "Register":
        decisions = _dedupe([d for doc in docs for d in extract_decisions(doc)], has_clause=True)
        requests = _dedupe([r for doc in docs for r in extract_requests(doc)], has_clause=False)
        return cls(decisions, link_requests(requests, docs))

    def find_decisions(self, query: str | None = None, committee: str | None = None, since: str | None = None,
                       until: str | None = None, kind: str | None = None) -> list[Decision]:
        return [d for d in self.decisions
                if _in_window(d, committee, since, until) and (not kind or d.kind == kind) and _matches_query(d, query)]

    def find_requests(self, query: str | None = None, committee: str | None = None, since: str | None = None,
                      until: str | None = None, open_only: bool = False) -> list[Request]:
        return [r for r in self.requests
                if _in_window(r, committee, since, until) and (not open_only or r.status == "open")
                and _matches_query(r, query)]


# ------------------------------------------------------------------------------------------- chat


def _topic_words(question: str) -> list[str]:
    """What the question is about: its words less the words that only say what kind of question it is."""
    rest = _DECISION_QUESTION.sub(" ", _OPEN_QUESTION.sub(" ", question))
    return [w for w in _words(rest) if w not in _QUESTION_WORDS]


def _record_words(r) -> set[str]:
    return {_stem(w) for w in _words(f"{r.text} {r.item_title or ''}")}


def _score(records: list, topic: list[str]) -> list[tuple[float, object]]:
    """Share of the topic's words (weighted by rarity among the records) that each record contains."""
    if not topic or not records:
        return []
    bags = [_record_words(r) for r in records]
    n = len(bags)
    weights = {}
    for w in {_stem(w) for w in topic}:
        df = sum(1 for b in bags if w in b)
        weights[w] = math.log((n + 1) / (df + 0.5))
    total = sum(weights.values()) or 1.0
    return [(sum(wt for w, wt in weights.items() if w in b) / total, r) for b, r in zip(bags, records)]


def _head(r) -> str:
    parts = [uk_date(r.meeting_date) or "date not stated", r.committee or "committee not stated"]
    if r.item_number or r.item_title:
        parts.append(f"item {r.item_number}: {r.item_title}" if r.item_number else str(r.item_title))
    return ", ".join(parts)


def _answer(question: str, chosen: list[tuple[float, object]], intro: str, register_name: str, describe) -> Answer:
    lines, passages = [intro], []
    for i, (score, r) in enumerate(chosen):
        n = i + 1
        lines.append(f"{describe(r)}: {' '.join(r.text.split())} [{n}]")
        passages.append(Passage(id=-1 - i, text=r.text, citation=r.citation, score=float(score), rank=n))
    return Answer(question=question, abstained=False, passages=tuple(passages), text="\n".join(lines),
                  sentences=(), understood={"register": register_name})


def _open_requests_answer(question: str, register: Register, topic: list[str], limit: int) -> Answer | None:
    pool = register.find_requests(open_only=True)
    if topic:
        scored = [(s, r) for s, r in _score(pool, topic) if s >= 0.5]
        scored.sort(key=lambda x: (-x[0], _sort_key(x[1])))
        chosen = scored[:limit]
        intro = f"Requests about {' '.join(topic)} with no later item found that delivers them:"
    else:
        # Everything still open; if there is too much to show, the latest (what the user most likely means).
        chosen = [(1.0, r) for r in pool][-limit:]
        shown = f"the latest {len(chosen)} of {len(pool)}" if len(pool) > len(chosen) else f"{len(pool)}"
        intro = f"Requests with no later item found that delivers them ({shown}):"
    if not chosen:
        return None
    chosen.sort(key=lambda x: _sort_key(x[1]))
    return _answer(question, chosen, intro, "open requests", _head)


def _decisions_answer(question: str, register: Register, topic: list[str], limit: int) -> Answer | None:
    if not topic:
        return None  # "what was decided?" alone is too wide for a list; the retriever answers it
    scored = [(s, d) for s, d in _score(register.decisions, topic) if s > 0]
    best = max((s for s, _ in scored), default=0.0)
    if best < 0.5:
        return None  # nothing is about X: better the normal answer than a list of near misses
    chosen = [(s, d) for s, d in scored if s >= 0.75 * best]
    chosen.sort(key=lambda x: (-x[0], _sort_key(x[1])))
    chosen = sorted(chosen[:limit], key=lambda x: _sort_key(x[1]))
    return _answer(question, chosen, f"Resolutions recorded about {' '.join(topic)}:", "decisions",
                   lambda d: f"{_head(d)}{' ' + d.clause if d.clause else ''} [{d.kind}]")


def asks_register(question: str) -> bool:
    """Cheap test, before the register is built, of whether a question is one the register answers."""
    return bool(_OPEN_QUESTION.search(question) or _DECISION_QUESTION.search(question))


def answer_from_register(question: str, register: Register, limit: int = 25) -> Answer | None:
    """Answer "what was resolved about X" and "what are we still waiting for" from the register, else None."""
    topic = _topic_words(question)
    if _OPEN_QUESTION.search(question):  # before decisions: "what was agreed and never came back" is this
        return _open_requests_answer(question, register, topic, limit)
    if _DECISION_QUESTION.search(question):
        return _decisions_answer(question, register, topic, limit)
    return None


__all__ = ["Request", "Register", "extract_decisions", "extract_requests", "link_requests", "answer_from_register", "asks_register",
           "decision_kind", "subject_words"]
