"""Pure-Python helpers for the chat front end (``app.py``): no Streamlit here, so all of it is unit-tested.

* Safe rendering: document text is shown as text. ``escape_markdown`` (``qa.display``) turns any string into
  markdown that displays it literally (no HTML, links, images, emphasis, maths, icons or emoji), and
  ``render_highlighted`` wraps the answering sentences in a highlight *after* escaping, so only our own markup
  is ever interpreted. Passages, answers and agenda items are shown through ``qa.display``: the document's
  own markup and page furniture are left out of what is shown, tables are tables, the span stays verbatim.
* Citations: one-line labels in UK style, the answering sentences' spans inside a passage, and the
  context window of the passage's whole agenda item.
* Follow-up questions: "and what did they resolve?" or "what about the board?" are read against the
  previous answer (``follow_up_filters`` and ``follow_up_question``), then merged with the sidebar filters.
* Rows for the decisions register page, and its CSV.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from .dates import uk_date
from .display import escape_markdown, inline_plain, to_markdown
from .records import Answer, Citation, Passage
from .retrieve import Filters

ALL_COMMITTEES = "All committees"
SECTION_LABELS = {
    "agenda": "Agenda", "minutes": "Minutes", "resolution": "Resolution", "report": "Report",
    "appendix": "Appendix",
}

# ---------------------------------------------------------------------------------------------- escaping
_OPEN, _CLOSE = "\ue000", "\ue001"  # highlight marks, placed in the raw text before escaping


def _escape_block(text: str, colour: str = "orange") -> str:
    """Escape and keep the line structure: a line break shows as a break, a blank line as a paragraph.

    Highlight marks (``_OPEN``/``_CLOSE``) in ``text`` become ``:colour-background[...]`` around the escaped
    text, closed and reopened at each line end (a highlight cannot span lines).
    """
    out, blank, on = [], False, False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        # Tabs separate table cells in the papers; leading spaces would make an indented code block.
        line = re.sub(r"[ \u00a0]*\t[ \t\u00a0]*", " \u2003 ", line).strip(" \u00a0")
        rendered = []
        if on:
            rendered.append(f":{colour}-background[")
        for piece in re.split(f"([{_OPEN}{_CLOSE}])", line):
            if piece == _OPEN:
                if not on:
                    rendered.append(f":{colour}-background[")
                on = True
            elif piece == _CLOSE:
                if on:
                    rendered.append("]")
                on = False
            else:
                rendered.append(escape_markdown(piece))
        if on:
            rendered.append("]")
        md = "".join(rendered).replace(f":{colour}-background[]", "")
        if not line.replace(_OPEN, "").replace(_CLOSE, "").strip():
            blank = True
            continue
        if out:
            out.append("\n\n" if blank else "  \n")
        out.append(md)
        blank = False
    return "".join(out)


def highlight_segments(text: str, spans) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, highlighted) runs; ``spans`` are (start, end) offsets into it."""
    merged: list[list[int]] = []
    for s, e in sorted((max(0, int(s)), min(len(text), int(e))) for s, e in spans):
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < len(text):
        out.append((text[pos:], False))
    return [seg for seg in out if seg[0]]


def render_highlighted(text: str, spans=(), colour: str = "orange") -> str:
    """Markdown of ``text`` shown literally, with the ``spans`` on a coloured background."""
    text = (text or "").replace(_OPEN, " ").replace(_CLOSE, " ")  # keep offsets
    marked = "".join(f"{_OPEN}{seg}{_CLOSE}" if hit else seg for seg, hit in highlight_segments(text, spans))
    return _escape_block(marked, colour)


def render_passage(passage: Passage, answer: Answer | None = None, document: str | None = None) -> str:
    """The passage as display markdown (``qa.display``) with the sentences of ``answer`` it contains
    highlighted; ``document`` (the whole text) lets its repeated headers and footers go."""
    return to_markdown(passage.text, passage_highlights(passage, answer), document)


_MARKER = re.compile(r"\s*\[(\d+)\]\s*$")


def render_answer(answer: Answer) -> str:
    """The answer as literal markdown, each sentence or line followed by its bold ``[n]`` marker.

    Extractive answers are built from their sentences; an answer from the decisions register (an intro
    line, then one line per record) becomes the intro and a bulleted list.
    """
    if answer.mode is not None:  # issue 19: a written answer, or the note on why it is not shown
        from .generate import written_markdown
        return written_markdown(answer, escape_markdown)
    if answer.sentences:
        return " ".join(f"{escape_markdown(inline_plain(s.text))} **[{s.passage_rank}]**"
                        for s in answer.sentences)
    out = []
    for line in (answer.text or "").splitlines():
        if not line.strip():
            continue
        m = _MARKER.search(line)
        if m:
            body = escape_markdown(inline_plain(line[:m.start()]))
            out.append(f"- {body} **[{m.group(1)}]**")
        else:
            if out and out[-1].startswith("- "):
                out.append("")
            out.append(escape_markdown(inline_plain(line)))
            out.append("")
    return "\n".join(out).strip()


def cited_ranks(answer: Answer) -> list[int]:
    """Ranks of the passages the answer quotes, in order of first use."""
    seen: dict[int, None] = {}
    for s in answer.sentences:
        seen.setdefault(s.passage_rank, None)
    if not answer.sentences and answer.text:
        for m in re.finditer(r"\[(\d+)\]", answer.text):
            seen.setdefault(int(m.group(1)), None)
    return list(seen)


def passage_highlights(passage: Passage, answer: Answer | None) -> list[tuple[int, int]]:
    """Offsets (relative to the passage text) of the answer's sentences that lie in this passage.

    An answer quoting whole records (the decisions register) highlights the whole passage it cites.
    """
    if answer is None or answer.abstained:
        return []
    if not answer.sentences:
        return [(0, len(passage.text))] if passage.rank in cited_ranks(answer) else []
    source_of = {p.rank: p.citation.source for p in answer.passages}
    c = passage.citation
    spans = []
    for s in answer.sentences:
        if source_of.get(s.passage_rank, c.source) != c.source:
            continue
        start, end = max(s.start, c.start), min(s.end, c.end)
        if end > start:
            spans.append((start - c.start, end - c.start))
    return spans


# ---------------------------------------------------------------------------------------------- citations
def item_label(c: Citation) -> str | None:
    if c.item_number and c.item_title:
        return f"Item {c.item_number}: {c.item_title}"
    if c.item_number:
        return f"Item {c.item_number}"
    return c.item_title or None


def citation_parts(c: Citation) -> list[str]:
    """Committee, UK date, item, section and page, as plain strings (escape before rendering)."""
    parts = [c.committee or "Committee not stated", uk_date(c.meeting_date) or "date not stated"]
    item = item_label(c)
    if item:
        parts.append(item)
    parts.append(SECTION_LABELS.get(c.section, (c.section or "").capitalize() or "Text"))
    if c.page:
        parts.append(f"page {c.page}")
    return parts


def citation_markdown(rank: int, c: Citation) -> str:
    """Header line of a cited passage: ``**[n]** Committee · 24 September 2019 · Item 27: … · Minutes``."""
    return f"**[{rank}]** " + " · ".join(escape_markdown(p) for p in citation_parts(c))


def also_in_markdown(passage: Passage, title_of=lambda source: source) -> str | None:
    if not passage.also_in:
        return None
    places = [f"{escape_markdown(title_of(o.source))} ({escape_markdown(uk_date(o.meeting_date) or 'date not stated')})"
              for o in passage.also_in]
    return "Also in " + "; ".join(places)


def download_name(source: str) -> str:
    """File name for the document text download: ``pack.pdf`` -> ``pack.pdf.txt``, ``x.txt`` stays."""
    name = Path(source).name or "document"
    return name if name.lower().endswith(".txt") else name + ".txt"


@dataclass(frozen=True)
class ItemWindow:
    """The text around a passage: its whole agenda item, or a window of it when the item is very long."""

    source: str
    start: int  # offsets into the document
    end: int
    text: str
    cut_before: bool
    cut_after: bool
    passage_start: int  # the cited passage, relative to ``text``
    passage_end: int


def item_window(retriever, passage: Passage, max_chars: int = 12_000, doc_text: str | None = None) -> ItemWindow | None:
    """The document span of the passage's agenda item (all its passages), cut to ``max_chars`` around it.
    ``doc_text`` is the document's text when the caller already has it."""
    c = passage.citation
    doc = doc_text if doc_text is not None else retriever.document_text(c.source)
    if doc is None:
        return None
    rows = retriever.version.passages
    pid = passage.id if 0 <= passage.id < len(rows) and rows[passage.id].citation.source == c.source else None
    if pid is None:  # a register record: the indexed passage its text lies in
        pid = next((r.id for r in rows if r.citation.source == c.source
                    and r.citation.start <= c.start < r.citation.end), None)
    ids = retriever.item_passages(pid) if pid is not None else []
    cites = [retriever.version.passages[i].citation for i in ids]
    cites = [x for x in cites if x.source == c.source] or [c]
    start, end = min(x.start for x in cites + [c]), max(x.end for x in cites + [c])
    cut_before = cut_after = False
    if end - start > max_chars:
        room = max(0, max_chars - (c.end - c.start))
        new_start = max(start, c.start - room // 2)
        new_end = min(end, max(c.end, new_start + max_chars))
        new_start = max(start, min(new_start, new_end - max_chars))
        cut_before, cut_after = new_start > start, new_end < end
        start, end = new_start, new_end
    return ItemWindow(c.source, start, end, doc[start:end], cut_before, cut_after,
                      max(0, c.start - start), min(end, c.end) - start)


def render_item_window(window: ItemWindow, passage: Passage, answer: Answer | None,
                       document: str | None = None) -> str:
    """The item's text as display markdown with the answering sentences highlighted."""
    spans = [(s + window.passage_start, e + window.passage_start) for s, e in passage_highlights(passage, answer)]
    body = to_markdown(window.text, spans, document)
    if window.cut_before:
        body = "…  \n" + body
    if window.cut_after:
        body = body + "  \n…"
    return body


# ---------------------------------------------------------------------------------------------- filters
def sidebar_filters(committee: str | None, start: dt.date | None, end: dt.date | None,
                    first: str | None, last: str | None, resolutions_only: bool) -> Filters | None:
    """Filters from the sidebar. A date bound left at the corpus's first/last meeting does not filter,
    so undated documents stay searchable until the user narrows the range."""
    f = Filters(
        committee=None if not committee or committee == ALL_COMMITTEES else committee,
        since=start.isoformat() if start and (not first or start.isoformat() > first) else None,
        until=end.isoformat() if end and (not last or end.isoformat() < last) else None,
        section=("resolution",) if resolutions_only else None,
    )
    return None if f.is_empty() else f


def merge_filters(base: Filters | None, extra: Filters | None) -> Filters | None:
    """Both sets of constraints: the later ``since``, the earlier ``until``; ``extra`` wins on the rest."""
    if base is None or base.is_empty():
        return extra
    if extra is None or extra.is_empty():
        return base
    since = max(d for d in (base.since, extra.since) if d) if (base.since or extra.since) else None
    until = min(d for d in (base.until, extra.until) if d) if (base.until or extra.until) else None
    committee = extra.committee or base.committee
    if base.committee and extra.committee and base.committee.lower() not in extra.committee.lower() \
            and extra.committee.lower() not in base.committee.lower():
        committee = extra.committee  # the follow-up names another body: it wins
    section = extra.section or base.section
    if base.section and extra.section:
        section = tuple(s for s in extra.section if s in base.section) or extra.section
    return Filters(committee=committee, since=since, until=until, section=section,
                   source=extra.source or base.source)


def describe_filters(f: Filters | None) -> str | None:
    """'the Board · from 1 January 2020 · resolutions only' for a caption; None when unfiltered."""
    if f is None or f.is_empty():
        return None
    parts = []
    if f.committee:
        parts.append(f.committee)
    if f.since and f.since == f.until:
        parts.append(f"meeting of {uk_date(f.since)}")
    else:
        if f.since:
            parts.append(f"from {uk_date(f.since)}")
        if f.until:
            parts.append(f"to {uk_date(f.until)}")
    if f.section:
        parts.append("resolutions only" if tuple(f.section) == ("resolution",) else ", ".join(f.section))
    if f.source:
        parts.append(f.source)
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------------- follow-ups
_OPENERS = re.compile(
    r"^\s*(?:and|also|so|then|what\s+about|how\s+about|what\s+else|anything\s+else|they|them|their|it|its|"
    r"that|this|those|these|there|same)\b", re.I)
_DECIDE = re.compile(r"\b(?:resolv\w*|resolution\w*|decid\w*|decision\w*|agree\w*|conclu\w*|approv\w*|vot\w*)\b",
                     re.I)
_BODY = re.compile(r"\b(board|panel|committee|council|cabinet|forum)\b", re.I)
_STOP = set("""
a an the and or but so then also too of to in on at for from by with about as into over after before is are was
were be been being do does did done doing have has had having will would shall should can could may might must
what which who whom whose when where why how whats there here this that these those it its they them their
theirs he she him her his hers we us our you your i me my mine any anything else same more further other
say said says tell told mention mentioned discuss discussed happen happened happening think thought please
resolve resolved resolves resolution resolutions decide decided decides decision decisions agree agreed
conclude concluded approve approved vote voted meeting meetings board panel committee council cabinet forum
members member chair not no yes just only still out up
""".split())
FOLLOW_UP_MAX_WORDS = 12


def topic_words(question: str) -> list[str]:
    """The question's own subject words (not question words, verbs of saying/deciding or body names)."""
    return [w for w in re.findall(r"[a-z0-9][a-z0-9'’\-]*", question.lower()) if w not in _STOP and len(w) > 1]


def is_follow_up(question: str) -> bool:
    """Short and anaphoric ("and what did they resolve?", "what about the board?"), or no topic of its own."""
    q = question.strip()
    if not q:
        return False
    if not topic_words(q):
        return True
    return bool(_OPENERS.match(q)) and len(q.split()) <= FOLLOW_UP_MAX_WORDS


def _named_body(question: str) -> str | None:
    m = _BODY.search(question)
    return m.group(1).lower() if m else None


def _names_date(question: str) -> bool:
    from .query import understand

    return understand(question, [], []).since is not None


def follow_up_filters(question: str, previous_answer: Answer | None) -> Filters | None:
    """Filters that read a follow-up question against the previous answer, or None if it stands alone.

    A follow-up is restricted to the meeting (date and committee) of the previous top passage, and to
    resolutions when it asks what was resolved or decided. If it names another body ("what about the
    board?") it moves to that body instead, keeping no date; if it names a date of its own, the date is
    left to the question.
    """
    if previous_answer is None or previous_answer.abstained or not previous_answer.passages:
        return None
    if not is_follow_up(question):
        return None
    top = previous_answer.passages[0].citation
    section = ("resolution",) if _DECIDE.search(question) else None
    body = _named_body(question)
    if body and body not in (top.committee or "").lower():
        return Filters(committee=body, section=section)
    if _names_date(question):
        return Filters(committee=top.committee, section=section)
    if top.meeting_date:
        return Filters(committee=top.committee, since=top.meeting_date, until=top.meeting_date, section=section)
    return Filters(source=top.source, section=section)


def follow_up_question(question: str, previous_answer: Answer | None, filters: Filters | None) -> str:
    """The text to search for a follow-up: the question plus the previous topic it leaves out.

    Same meeting: the previous top passage's agenda item title. Another body: the previous question
    without the words that named its body.
    """
    if filters is None or previous_answer is None or not previous_answer.passages:
        return question
    top = previous_answer.passages[0].citation
    if filters.committee and not filters.since and filters.committee.lower() not in (top.committee or "").lower():
        previous = previous_answer.question
        phrase = (previous_answer.understood or {}).get("committee_phrase")
        if phrase:
            previous = re.sub(re.escape(phrase), " ", previous, flags=re.I)
        previous = _BODY.sub(" ", previous)
        return f"{question.strip()} {' '.join(previous.split())}"
    if top.item_title:
        return f"{question.strip()} {top.item_title}"
    return question


@dataclass(frozen=True)
class Plan:
    """What the app sends to the retriever for one question, and how to say so."""

    question: str
    filters: Filters | None
    follow_up: Filters | None  # the part that came from the previous answer
    note: str | None  # e.g. "Following on from: … · 24 September 2019 · Item 27: People Zones"


def plan_question(question: str, previous_answer: Answer | None, sidebar: Filters | None) -> Plan:
    """Combine the sidebar filters with what a follow-up question inherits from the previous answer."""
    extra = follow_up_filters(question, previous_answer)
    if extra is None:
        return Plan(question, sidebar, None, None)
    text = follow_up_question(question, previous_answer, extra)
    top = previous_answer.passages[0].citation
    if extra.since or extra.source:
        bits = [top.committee or "Committee not stated", uk_date(top.meeting_date) or "date not stated"]
        if item_label(top):
            bits.append(item_label(top))
        note = "Following on from: " + " · ".join(bits)
    else:
        note = f"Following on from the previous question, in the {extra.committee}"
    if extra.section:
        note += " (resolutions)"
    return Plan(text, merge_filters(sidebar, extra), extra, note)


def understood_note(answer: Answer) -> str | None:
    """'Read as: Leicestershire … Board · asks for a decision' from the answer's ``understood``."""
    u = answer.understood or {}
    parts = []
    if u.get("committee"):
        parts.append(u["committee"])
    if u.get("date_phrase"):
        since, until = u.get("since"), u.get("until")
        if since in ("latest", "previous"):
            parts.append("latest meeting" if since == "latest" else "meeting before the latest")
        elif since and since == until:
            parts.append(uk_date(since))
        elif since and until:
            parts.append(f"{uk_date(since)} to {uk_date(until)}")
    if u.get("wants_decision"):
        parts.append("asks what was decided")
    for typed, word in (u.get("corrected") or {}).items():
        parts.append(f"“{typed}” as “{word}”")
    if u.get("register"):
        return f"From the decisions register ({u['register']})"
    return "Read as: " + " · ".join(parts) if parts else None


# ---------------------------------------------------------------------------------------------- index facts
def abstention_markdown(answer: Answer) -> str:
    """Why there is no answer, in the words of the check that decided it, and what to try next."""
    reason = answer.understood.get("abstained_because")
    why = f"{reason[0].upper()}{reason[1:]}." if reason else "No passage answers this closely enough."
    return (f"**Not found in the panel papers.** {escape_markdown(why)} "
            "The nearest passages are below; try other words, a date or a committee.")


def stats_summary(stats: dict) -> str:
    """'5 documents · 7 meetings · 73 agenda items · 3 June 2019 to 25 September 2020'."""
    def n(count, word):
        return f"{count} {word}{'' if count == 1 else 's'}"

    parts = [n(stats.get("documents", 0), "document"), n(stats.get("meetings", 0), "meeting"),
             n(stats.get("items", 0), "agenda item")]
    first, last = stats.get("first_meeting"), stats.get("last_meeting")
    if first and last:
        parts.append(uk_date(first) if first == last else f"{uk_date(first)} to {uk_date(last)}")
    return " · ".join(parts)


def date_bounds(stats: dict) -> tuple[dt.date | None, dt.date | None]:
    first, last = stats.get("first_meeting"), stats.get("last_meeting")
    return (dt.date.fromisoformat(first) if first else None, dt.date.fromisoformat(last) if last else None)


# ---------------------------------------------------------------------------------------------- register
def decision_rows(decisions) -> list[dict]:
    """Table rows for decisions (records with the register's fields), newest first as given."""
    rows = []
    for d in decisions:
        rows.append({
            "Date": uk_date(d.meeting_date) or "date not stated",
            "Committee": d.committee or "Committee not stated",
            "Item": item_label(d.citation) if getattr(d, "citation", None) else (d.item_title or ""),
            "Clause": getattr(d, "clause", None) or "",
            "Kind": getattr(d, "kind", None) or "",
            "Decision": inline_plain(d.text or ""),
            "Source": d.citation.source if getattr(d, "citation", None) else "",
        })
    return rows


def request_status(r) -> str:
    status = getattr(r, "status", None) or ""
    return "Open" if status == "open" else status.capitalize()


def request_rows(requests) -> list[dict]:
    rows = []
    for r in requests:
        delivered = getattr(r, "delivered_title", None)
        when = uk_date(getattr(r, "delivered_date", None))
        rows.append({
            "Date": uk_date(r.meeting_date) or "date not stated",
            "Committee": r.committee or "Committee not stated",
            "Item": item_label(r.citation) if getattr(r, "citation", None) else (r.item_title or ""),
            "Request": inline_plain(r.text or ""),
            "Status": request_status(r),
            "Delivered by": (f"{delivered} ({when})" if when else delivered) if delivered else "",
            "Reason": getattr(r, "reason", None) or "",
            "Source": r.citation.source if getattr(r, "citation", None) else "",
        })
    return rows


def rows_to_csv(rows: list[dict]) -> str:
    """CSV text of table rows. Cells that a spreadsheet would run as a formula are prefixed with '."""
    buf = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
                         for k, v in row.items()})
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- a turn
def _stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word


def follow_up_found(question: str, previous: Answer | None, answer: Answer, lexical=None) -> bool:
    """Whether a follow-up's scoped answer speaks to what the follow-up adds: its own topic words (not already
    in the earlier question or item title) are in the passages found: the rarest of them (by the index's
    word weights, when ``lexical`` is given) and at least half of their weight. Nothing to check: True."""
    if previous is None or answer.abstained:
        return not answer.abstained
    top = previous.passages[0].citation if previous.passages else None
    earlier = f"{previous.question} {top.item_title if top and top.item_title else ''}"
    if lexical is not None:
        known = set(lexical.tokenize(earlier))
        weights = {w: wt for w, wt in lexical.weights(" ".join(topic_words(question))).items() if w not in known}
        if not weights:
            return True
        found = set()
        for p in answer.passages:
            found.update(lexical.tokenize(p.text))
        rarest = max(weights, key=weights.get)
        share = sum(wt for w, wt in weights.items() if w in found) / sum(weights.values())
        return rarest in found and share >= 0.5
    known = {_stem(w) for w in topic_words(earlier)}
    new = [w for w in topic_words(question) if _stem(w) not in known and not w.isdigit()]
    if not new:
        return True
    text = " ".join(p.text.lower() for p in answer.passages)
    return sum(_stem(w) in text for w in new) * 2 >= len(new)


def answer_turn(retriever, question: str, previous: Answer | None, sidebar: Filters | None) -> tuple[Plan, Answer]:
    """Ask ``question``: a follow-up is first asked within the earlier answer's meeting or item; when that
    scoped search finds nothing relevant (abstains, or its passages never mention what the follow-up adds),
    the question is asked again on its own, and if that finds nothing either the turn abstains, rather than
    answering from the earlier item."""
    plan = plan_question(question, previous, sidebar)
    answer = retriever.ask(plan.question, filters=plan.filters)
    if plan.follow_up is None:
        return plan, answer
    lexical = getattr(getattr(retriever, "version", None), "lexical", None)
    if not answer.abstained and not follow_up_found(question, previous, answer, lexical):
        new = [w for w in topic_words(question) if _stem(w) not in {_stem(x) for x in topic_words(previous.question)}]
        answer = replace(answer, abstained=True, text=None, sentences=(),
                         message="Not found in the earlier item.",
                         understood={**(answer.understood or {}), "abstained_because":
                                     f"the earlier item does not mention {', '.join(new[:3]) or 'this'}"})
    if answer.abstained:
        alone = retriever.ask(question, filters=sidebar)
        if not alone.abstained:
            return Plan(question, sidebar, None, None), alone
    return plan, answer


# ---------------------------------------------------------------------------------------------- export
def conversation_markdown(turns: list[dict], title_of=lambda source: source) -> str:
    """The conversation as Markdown: each question, its answer, and its cited sources (title, committee,
    date, item, page, file and offsets), so it can be kept or shared and still checked."""
    out = ["# Panel papers: conversation", ""]
    for turn in turns:
        out += [f"## {turn['question'].strip()}", ""]
        if turn.get("error"):
            out += [f"_{turn['error']}_", ""]
            continue
        answer: Answer = turn["answer"]
        if answer.abstained:
            reason = (answer.understood or {}).get("abstained_because")
            out += ["Not found in the panel papers." + (f" ({reason})" if reason else ""), ""]
            continue
        if answer.sentences:
            out += [" ".join(f"{inline_plain(s.text)} [{s.passage_rank}]" for s in answer.sentences), ""]
        else:
            out += [inline_plain(line) for line in (answer.text or "").splitlines() if line.strip()] + [""]
        cited = set(cited_ranks(answer)) or {answer.passages[0].rank} if answer.passages else set()
        for p in answer.passages:
            if p.rank not in cited:
                continue
            c = p.citation
            out.append(f"[{p.rank}] {title_of(c.source)} · " + " · ".join(citation_parts(c))
                       + f" · {c.source} [{c.start}, {c.end})")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
