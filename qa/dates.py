"""Finding and formatting dates in committee papers.

Papers write dates many ways: "Tuesday, 24 September 2019", "TUESDAY, 28 JULY 2020",
"15TH JUNE 2020", "1<sup>st</sup> October 2020", "24th June 2019", "22/07/2019", and Welsh month names.
``find_dates`` returns every full date (day, month, year) with its span; nothing partial is completed.
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
# English ordinals, and Welsh ones ("11eg", "10fed", "1af", "2il", "3ydd") for bilingual councils.
_ORD = r"(?:st|nd|rd|th|eg|ed|fed|af|il|ydd|edd|ain|<sup>\s*(?:st|nd|rd|th)\s*</sup>|\^(?:st|nd|rd|th))?"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<d>[0-3]?\d){_ORD}[\s\-]+(?:of\s+)?(?P<m>{_MONTH_RE})\.?,?[\s\-]+(?P<y>(?:19|20)\d\d)\b", re.I
)
_MONTH_DAY_YEAR = re.compile(rf"\b(?P<m>{_MONTH_RE})\.?\s+(?P<d>[0-3]?\d){_ORD},?\s+(?P<y>(?:19|20)\d\d)\b", re.I)
_NUMERIC = re.compile(r"\b(?P<d>[0-3]?\d)[/.](?P<m>[01]?\d)[/.](?P<y>(?:19|20)\d\d)\b")

UK_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December"]


def _make(y: str, m: int, d: str) -> str | None:
    try:
        return dt.date(int(y), m, int(d)).isoformat()
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, int, str]]:
    """All full dates in ``text`` as (start, end, ISO date), in order of appearance."""
    found: list[tuple[int, int, str]] = []
    for rx in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for m in rx.finditer(text):
            iso = _make(m["y"], MONTHS[m["m"].lower()], m["d"])
            if iso:
                found.append((m.start(), m.end(), iso))
    for m in _NUMERIC.finditer(text):
        iso = _make(m["y"], int(m["m"]), m["d"])
        if iso:
            found.append((m.start(), m.end(), iso))
    found.sort()
    # Drop overlaps (keep the earliest-starting match).
    out: list[tuple[int, int, str]] = []
    for f in found:
        if not out or f[0] >= out[-1][1]:
            out.append(f)
    return out


def first_date(text: str) -> str | None:
    dates = find_dates(text)
    return dates[0][2] if dates else None


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
