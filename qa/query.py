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
_YEAR = re.compile(r"\b(?:in|during|of|for)\s+(?P<y>(?:19|20)\d\d)\b(?![/-])", re.I)
_LAST_YEAR = re.compile(r"\blast\s+year\b", re.I)
_THIS_YEAR = re.compile(r"\bthis\s+year\b", re.I)
_LATEST = re.compile(r"\b(?:most\s+recent|latest|last)\s+(?:meeting|minutes|panel|board)\b", re.I)
_DECISION = re.compile(r"\b(?:resolv\w*|resolution\w*|decid\w*|decision\w*|agree\w*|approv\w*|vote\w*|elected|appoint\w*)\b", re.I)
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
    elif (m := _YEAR.search(question)):
        since, until, phrase = f"{m['y']}-01-01", f"{m['y']}-12-31", m.group(0)
    elif latest and (m := _LAST_YEAR.search(question)):
        y = int(latest[:4]) - 1
        since, until, phrase = f"{y}-01-01", f"{y}-12-31", m.group(0)
    elif latest and (m := _THIS_YEAR.search(question)):
        y = int(latest[:4])
        since, until, phrase = f"{y}-01-01", f"{y}-12-31", m.group(0)

    committee, committee_phrase = match_committee(question, committees)
    if since is None and meeting_dates and (m := _LATEST.search(question)):
        # Resolved by the retriever to the latest meeting of the committee named (or of any).
        since = until = "latest"
        phrase = m.group(0)
    return QueryIntent(since=since, until=until, date_phrase=phrase, committee=committee,
                       committee_phrase=committee_phrase, wants_decision=bool(_DECISION.search(question)),
                       wants_resolution=bool(re.search(r"\bresol(?:v|ution)", question, re.I)))
