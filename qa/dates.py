"""Finding and formatting dates in committee papers.

Papers write dates many ways: "Tuesday, 24 September 2019", "TUESDAY, 28 JULY 2020",
"15TH JUNE 2020", "1<sup>st</sup> October 2020", "24th June 2019", "22/07/2019", and Welsh month names;
OCR'd ordinals ("26\" June", "22™ June", "3% July"), typed slips in the month or year ("4th Match 2O24",
"23 SEPTMEMBER 2020": a month name within two letters of a real one, between a day and a year) and ISO dates
("2020-09-28 15:00"). ``find_dates`` returns every full date (day, month, year) with its span; nothing
partial is completed. ``find_day_months`` returns the dates written without a year ("Wednesday 22nd
October"); the parser resolves those only from a year the document states for the same meeting.
"""
from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # Welsh (bilingual councils)
    "ionawr": 1, "chwefror": 2, "mawrth": 3, "ebrill": 4, "mai": 5, "mehefin": 6, "gorffennaf": 7,
    "awst": 8, "medi": 9, "hydref": 10, "tachwedd": 11, "rhagfyr": 12,
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_FULL_MONTHS = [  # the English names a slip is measured against ("may" is too short to guess at)
    "january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
    "december"]
# English ordinals, Welsh ones ("11eg", "10fed", "1af", "2il", "3ydd") for bilingual councils, superscripts
# in HTML/Markdown ("<sup>th</sup>", "^th^"), and what OCR makes of a superscript ("26\"", "22™", "23'¢", "3%").
_ORD = (r"(?:st|nd|rd|th|eg|ed|fed|af|il|ydd|edd|ain|<sup>\s*(?:st|nd|rd|th)\s*</sup>|\^(?:st|nd|rd|th)\^?"
        r"|[\"”“'’™¢%]{1,2}(?![\w\"”“'’™¢%]))?")
# A year as typed, with the letter O slipped in for a zero ("2O24").
_YEAR = r"(?:19|20|2O)[\dO]{2}"
_WORD = r"[A-Za-z]{3,10}"
_DAY_MONTH_YEAR = re.compile(
    rf"(?<![\d.,/£$€-])\b(?P<d>[0-3]?\d){_ORD}[\s\-]+(?:of\s+)?(?P<m>{_WORD})\.?,?[\s\-]+(?P<y>{_YEAR})\b", re.I
)
_MONTH_DAY_YEAR = re.compile(rf"\b(?P<m>{_WORD})\.?\s+(?P<d>[0-3]?\d){_ORD},?\s+(?P<y>{_YEAR})\b", re.I)
_NUMERIC = re.compile(r"\b(?P<d>[0-3]?\d)[/.](?P<m>[01]?\d)[/.](?P<y>(?:19|20)\d\d)\b")
# "26.11.25" (two-digit year), also glued to a time ("7pm-9pm26.11.25"): read only where a meeting is named.
_NUMERIC_SHORT = re.compile(r"(?<![\d.])(?P<d>[0-3]?\d)[/.](?P<m>[01]?\d)[/.](?P<y>\d\d)(?![\d.]|\.\d)")
_ISO = re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b(?!-)")
_DAY_MONTH = re.compile(
    rf"(?<![\d.,/£$€-])\b(?P<d>[0-3]?\d){_ORD}[\s\-]+(?:of\s+)?(?P<m>{_WORD})\b(?![\s\-]*,?[\s\-]*{_YEAR}\b)", re.I)
_MONTH_DAY = re.compile(rf"\b(?P<m>{_WORD})\s+(?P<d>[0-3]?\d){_ORD}(?![\d])(?!,?\s+{_YEAR}\b)", re.I)

UK_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December"]


def _make(y: str, m: int, d: str) -> str | None:
    try:
        return dt.date(int(y), m, int(d)).isoformat()
    except ValueError:
        return None


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (short words only)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def month_number(word: str) -> int | None:
    """1-12 for a month name (English or Welsh, full or short), or a slip of a full English name ("Match",
    "SEPTMEMBER": at most one slip in a name of up to six letters, two in a longer one)."""
    w = word.lower().rstrip(".")
    if w in MONTHS:
        return MONTHS[w]
    if len(w) < 4:
        return None
    best = None
    for name in _FULL_MONTHS:
        allowed = 1 if len(name) <= 6 else 2
        if abs(len(name) - len(w)) <= allowed and w[0] == name[0] and _edits(w, name) <= allowed:
            if best is None or _edits(w, name) < best[0]:
                best = (_edits(w, name), MONTHS[name])
    return best[1] if best else None


def _year(y: str) -> str:
    return y.upper().replace("O", "0")


def find_dates(text: str, short_years: bool = False) -> list[tuple[int, int, str]]:
    """All full dates in ``text`` as (start, end, ISO date), in order of appearance. ``short_years`` also
    reads "26.11.25" (only where the caller knows a meeting is being named)."""
    found: list[tuple[int, int, str]] = []
    for rx in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for m in rx.finditer(text):
            month = month_number(m["m"])
            iso = _make(_year(m["y"]), month, m["d"]) if month else None
            if iso:
                found.append((m.start(), m.end(), iso))
    for m in _NUMERIC.finditer(text):
        iso = _make(m["y"], int(m["m"]), m["d"])
        if iso:
            found.append((m.start(), m.end(), iso))
    for m in _ISO.finditer(text):
        iso = _make(m["y"], int(m["m"]), m["d"])
        if iso:
            found.append((m.start(), m.end(), iso))
    if short_years:
        for m in _NUMERIC_SHORT.finditer(text):
            iso = _make("20" + m["y"], int(m["m"]), m["d"])
            if iso:
                found.append((m.start(), m.end(), iso))
    found.sort()
    # Drop overlaps (keep the earliest-starting match).
    out: list[tuple[int, int, str]] = []
    for f in found:
        if not out or f[0] >= out[-1][1]:
            out.append(f)
    return out


def first_date(text: str, short_years: bool = False) -> str | None:
    dates = find_dates(text, short_years)
    return dates[0][2] if dates else None


def find_day_months(text: str) -> list[tuple[int, int, int, int]]:
    """Dates written without a year ("Wednesday 22nd October", "the 23rd May", "June 24th") as
    (start, end, month, day). Only real month names (or slips of them) count."""
    out = []
    for rx in (_DAY_MONTH, _MONTH_DAY):
        for m in rx.finditer(text):
            month = month_number(m["m"])
            day = int(m["d"])
            if month and 1 <= day <= 31 and (m.re is _DAY_MONTH or len(m["m"]) >= 3):
                try:
                    dt.date(2000, month, day)
                except ValueError:
                    continue
                out.append((m.start(), m.end(), month, day))
    out.sort()
    return out


def uk_date(iso: str | None) -> str | None:
    """'2019-09-24' -> '24 September 2019'."""
    if not iso:
        return None
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {UK_MONTHS[d.month - 1]} {d.year}"


def parse_user_date(value: str) -> str:
    """A date typed by a user (ISO, UK style, or month and year) as ISO; raises ValueError."""
    value = value.strip()
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    iso = first_date(value)
    if iso:
        return iso
    raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")
