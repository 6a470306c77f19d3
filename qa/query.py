"""Understanding the question: dates, bodies and intent become filters and boosts.

People type "what did the board say in sept 2020", "PCP last year", "at the most recent meeting".
``understand`` turns such phrases into a ``QueryIntent``: a date window (soft: a boost, not a filter,
so a misread phrase lowers a score instead of hiding the answer), a committee, and whether the question
asks for a decision. Relative dates are relative to the latest meeting in the corpus, not today, because
the papers are historical. Everything understood is reported back in the answer's JSON.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import asdict, dataclass

from .dates import MONTHS, find_dates

_MONTH_NAMES = {k: v for k, v in MONTHS.items() if len(k) >= 3 and k not in {"mai", "medi", "awst"}}
_MONTH_RE = "|".join(sorted(_MONTH_NAMES, key=len, reverse=True))
_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTH_RE})\.?,?\s+(?P<y>(?:19|20)\d\d)\b", re.I)
# "july 19", "sept '19": a month and a two-digit year (or a day: settled against the meetings held).
_MONTH_SHORT_YEAR = re.compile(rf"\b(?P<m>{_MONTH_RE})\.?\s+(?P<apos>['’])?(?P<y>\d\d)\b(?![/:.-]\d)", re.I)
# "last sept", "this june", "sept last year", "june this year".
_MONTH_RELATIVE = re.compile(rf"\b(?:(?P<rel>last|this|next)\s+(?P<m>{_MONTH_RE})|(?P<m2>{_MONTH_RE})\.?\s+(?P<rel2>last|this|next)\s+year)\b", re.I)
# "in june", "the july meeting", "june's minutes": a month alone is the most recent such month.
_MONTH_ALONE = re.compile(rf"(?:\b(?:in|at|during|from|since|the)\s+(?P<m>{_MONTH_RE})\b|\b(?P<m2>{_MONTH_RE})(?:['’]s)?\s+(?:meeting|minutes|panel|board|pack|papers))", re.I)
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 14)}
_SEASON = re.compile(r"\b(?:(?P<rel>last|this)\s+)?(?P<s>spring|summer|autumn|fall|winter)(?:['’]s)?(?:\s+(?:of\s+)?(?P<y>(?:19|20)\d\d))?\b", re.I)
_YEAR = re.compile(r"\b(?:in|during|of|for)\s+(?P<y>(?:19|20)\d\d)\b(?![/-])", re.I)
# A year on its own, as typed in short questions ("knife crime 2019"); not a financial year ("2019/20").
_BARE_YEAR = re.compile(r"(?<![\w/-])(?P<y>(?:19|20)\d\d)\b(?![/-]\d)")
_LAST_YEAR = re.compile(r"\blast\s+year\b", re.I)
_THIS_YEAR = re.compile(r"\bthis\s+year\b", re.I)
_LATEST = re.compile(r"\b(?:most\s+recent|latest|last)\s+(?:meeting|minutes|panel|board)\b", re.I)
# "when is the next meeting": the date the latest papers give for it, so the latest meeting's papers first.
_NEXT_MEETING = re.compile(r"\b(?:next|upcoming|forthcoming|future)\s+(?:\w+\s+)?meetings?\b", re.I)
# "the meeting before last", "the previous panel meeting", "the last but one": the meeting before the latest.
_BEFORE_LATEST = re.compile(r"\b(?:(?:meeting|panel|board|one)\s+before\s+(?:last|the\s+(?:latest|last|most\s+recent)"
                            r"(?:\s+(?:one|meeting))?)|(?:previous|penultimate|last\s+but\s+one|second\s+(?:most\s+recent|latest|last))"
                            r"\s+(?:meeting|minutes|panel|board))\b", re.I)
# "2 months ago", "two months before the latest meeting": that month, counted back from the latest meeting.
_MONTHS_BACK = re.compile(r"\b(?P<n>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a)\s+"
                          r"months?\s+(?:ago|earlier|before\s+(?:the\s+)?(?:latest|last|most\s+recent)\b)", re.I)
_NUMBERS = {w: i for i, w in enumerate("a two three four five six seven eight nine ten eleven twelve".split(), 1)}
_NUMBERS["one"] = 1
# Asking what was decided or what the panel asked for (requests are made by resolution: "That elected Panel
# members be requested to ..."); not "the tool used to decide whether ...", where the word is a verb of the
# topic, nor "what did a member ask", which is discussion.
_DECISION = re.compile(r"(?<!\bto\s)\b(?:resolv\w*|resolution\w*|decid\w*|decision\w*|agree\w*|approv\w*|vote\w*|"
                       r"elected|appoint\w*|request\w*|(?:panel|board|committee)\s+ask\w*)\b(?!\s+(?:whether|if|how|which)\b)", re.I)
_FILLER_ACRONYMS = {"PCP": "police and crime panel"}


@dataclass(frozen=True)
class QueryIntent:
    since: str | None = None
    until: str | None = None
    date_phrase: str | None = None
    committee: str | None = None
    committee_phrase: str | None = None
    wants_decision: bool = False
    wants_resolution: bool = False  # "resolve" / "resolution": the formal resolution, not an agreement in discussion

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, False)}


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Za-z][\w'-]*", name) if w[0].isupper())


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


def match_committee(question: str, committees: list[str]) -> tuple[str | None, str | None]:
    """The committee a question names, and the words that named it; (None, None) if none or ambiguous."""
    q = question.lower()
    # A full or distinctive name: most of its significant words appear in the question.
    best, phrase = None, None
    for c in committees:
        words = [w for w in re.findall(r"[a-z]+", c.lower()) if w not in {"and", "of", "the"}]
        distinctive = [w for w in words if w not in {"leicester", "leicestershire", "rutland", "panel", "board", "committee"}]
        if distinctive and sum(w in q for w in distinctive) >= max(2, len(distinctive) - 1):
            best, phrase = c, c
    if best:
        return best, phrase
    # Acronyms: "LSCSB", "PCP": their letters in order among the name's capitals.
    for token in re.findall(r"\b[A-Za-z]{3,6}\b", question):
        # Typed in capitals, or long enough that an ordinary word will not fit a name's initials by chance.
        if not (token.isupper() or token.upper() in _FILLER_ACRONYMS or len(token) >= 4):
            continue
        expanded = _FILLER_ACRONYMS.get(token.upper())
        hits = [c for c in committees
                if (expanded and expanded in c.lower()) or _is_subsequence(token.upper(), _initials(c))]
        if len(hits) == 1:
            return hits[0], token
    # "the Board", "the Panel": the one committee whose name ends that way.
    for m in re.finditer(r"\bthe\s+(board|panel|committee|council|cabinet|forum)\b", question, re.I):
        hits = [c for c in committees if c.lower().endswith(m.group(1).lower())]
        if len(hits) == 1:
            return hits[0], m.group(0)
    return None, None


def _month_window(year: int, month: int) -> tuple[str, str]:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1).isoformat(), dt.date(year, month, last).isoformat()


def _window(y: int, first: int, last: int) -> tuple[str, str]:
    """Months ``first``..``last`` of year ``y`` (``last`` may run into the next year: winter is 12..14)."""
    ly, lm = (y + 1, last - 12) if last > 12 else (y, last)
    return dt.date(y, first, 1).isoformat(), dt.date(ly, lm, calendar.monthrange(ly, lm)[1]).isoformat()


def _latest_start(first: int, last: int, latest: str, before: bool = False) -> int:
    """The year of the most recent months ``first``..``last`` that began on or before the latest meeting
    (strictly before its month, for "last september" said in September)."""
    y, m = int(latest[:4]), int(latest[5:7])
    if m < first or (before and m <= last and m >= first):
        y -= 1
    return y


def _month_or_season(question: str, meeting_dates: list[str], latest: str | None) -> tuple[str, str, str] | None:
    """A month or season without a full date: "july 19", "last sept", "sept last year", "this summer",
    "summer 2020", "the june meeting". Relative to the latest meeting, like every relative date."""
    if (m := _MONTH_SHORT_YEAR.search(question)):
        month, yy = _MONTH_NAMES[m["m"].lower()], int(m["y"])
        held_on_day = any(d[5:7] == f"{month:02d}" and d[8:] == f"{yy:02d}" for d in meeting_dates)
        held_in_month = any(d[:7] == f"20{yy:02d}-{month:02d}" for d in meeting_dates)
        if m["apos"] or yy > 31 or (held_in_month and not held_on_day):
            return (*_month_window(2000 + yy, month), m.group(0))
        on_day = [d for d in meeting_dates if d[5:7] == f"{month:02d}" and d[8:] == f"{yy:02d}"]
        if len(on_day) == 1:  # "sept 24": the one meeting held on that day
            return on_day[0], on_day[0], m.group(0)
    if latest is None:
        return None
    if (m := _MONTH_RELATIVE.search(question)):
        month = _MONTH_NAMES[(m["m"] or m["m2"]).lower()]
        rel = (m["rel"] or m["rel2"]).lower()
        if m["rel2"]:  # "sept last year": the calendar year
            y = int(latest[:4]) + {"last": -1, "this": 0, "next": 1}[rel]
        elif rel == "next":
            y = int(latest[:4]) + (1 if month <= int(latest[5:7]) else 0)
        else:
            y = _latest_start(month, month, latest, before=(rel == "last"))
        return (*_month_window(y, month), m.group(0))
    if (m := _SEASON.search(question)):
        first, last = _SEASONS[m["s"].lower()]
        if m["y"]:
            y = int(m["y"])
        elif m["rel"]:
            y = _latest_start(first, last, latest, before=(m["rel"].lower() == "last"))
        else:
            return None  # "summer" alone may not be a date at all ("summer holidays")
        return (*_window(y, first, last), m.group(0))
    if (m := _MONTH_ALONE.search(question)):
        month = _MONTH_NAMES[(m["m"] or m["m2"]).lower()]
        if (m["m"] or "").lower() == "may" and not re.search(r"\b(?:in|during|since)\s+may\b", question, re.I):
            return None  # "the may ..." is more likely the verb than the month
        return (*_month_window(_latest_start(month, month, latest), month), m.group(0))
    return None


def _committee_called(phrase: str, committee, committee_phrase, committees: list[str]):
    """"the most recent panel meeting": the one committee called a panel, unless the question named one."""
    if committee is None:
        word = re.search(r"(panel|board)\b", phrase, re.I)
        hits = [c for c in committees if word and c.lower().endswith(word.group(1).lower())]
        if len(hits) == 1:
            return hits[0], phrase
    return committee, committee_phrase


def understand(question: str, committees: list[str], meeting_dates: list[str]) -> QueryIntent:
    """Read dates, bodies and decision intent out of a question. ``meeting_dates`` are ISO dates in the corpus."""
    latest = max(meeting_dates) if meeting_dates else None
    since = until = phrase = None

    full = find_dates(question)
    if full:
        s, e, iso = full[0]
        since = until = iso
        phrase = question[s:e]
    elif (m := _MONTH_YEAR.search(question)):
        since, until = _month_window(int(m["y"]), _MONTH_NAMES[m["m"].lower()])
        phrase = m.group(0)
    elif (window := _month_or_season(question, meeting_dates, latest)):
        since, until, phrase = window
    elif (m := _YEAR.search(question)):
        since, until, phrase = f"{m['y']}-01-01", f"{m['y']}-12-31", m.group(0)
    elif (m := _BARE_YEAR.search(question)):
        since, until, phrase = f"{m['y']}-01-01", f"{m['y']}-12-31", m.group(0)
    elif latest and (m := _MONTHS_BACK.search(question)):
        n = int(m["n"]) if m["n"].isdigit() else _NUMBERS[m["n"].lower()]
        y, mo = divmod(int(latest[:4]) * 12 + int(latest[5:7]) - 1 - n, 12)
        since, until, phrase = (*_month_window(y, mo + 1), m.group(0))
    elif latest and (m := _LAST_YEAR.search(question)):
        y = int(latest[:4]) - 1
        since, until, phrase = f"{y}-01-01", f"{y}-12-31", m.group(0)
    elif latest and (m := _THIS_YEAR.search(question)):
        y = int(latest[:4])
        since, until, phrase = f"{y}-01-01", f"{y}-12-31", m.group(0)

    committee, committee_phrase = match_committee(question, committees)
    if since is None and meeting_dates and (m := _BEFORE_LATEST.search(question)):
        # Resolved by the retriever to the meeting before the latest of the committee named (or of any).
        committee, committee_phrase = _committee_called(m.group(0), committee, committee_phrase, committees)
        since = until = "previous"
        phrase = m.group(0)
    if since is None and meeting_dates and (m := _LATEST.search(question) or _NEXT_MEETING.search(question)):
        committee, committee_phrase = _committee_called(m.group(0), committee, committee_phrase, committees)
        # Resolved by the retriever to the latest meeting of the committee named (or of any).
        since = until = "latest"
        phrase = m.group(0)
    return QueryIntent(since=since, until=until, date_phrase=phrase, committee=committee,
                       committee_phrase=committee_phrase, wants_decision=bool(_DECISION.search(question)),
                       wants_resolution=bool(re.search(r"\bresol(?:v|ution)", question, re.I)))
