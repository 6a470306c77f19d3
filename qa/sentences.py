"""Sentences of a passage: verbatim ``(start, end)`` spans, the unit the reading stage scores and quotes.

A sentence ends at ``.``, ``!``, ``?``, ``;`` or ``:`` followed by a capital, a digit or a bullet, at a blank
line, and before a list item. It does not end after a title, an initial or a common abbreviation ("Cllr.",
"No.", "Ch.", "para.", "approx."). A line of a table (cells separated by tabs, as the PDF and DOCX
extractors write them) is a sentence of its own, so a figure is quoted with its row, never as a flattened run
of cells; :func:`header_row` finds the row of column headings above it. HTML tags left in converted tables
sit between two sentences, in neither. Whitespace and tags at the edges of a sentence are not part of it.
"""
from __future__ import annotations

import re
from functools import lru_cache

_TAG = r"</?[a-z]+\b[^<>]*>"
_BOUNDARY = re.compile(
    rf"(?<=[.!?;:])(?:[\"'’”)]|{_TAG})*\s+(?:{_TAG}\s*)*(?=[\"'‘“(]?[A-Z0-9(•·-])"
    r"|\n\s*\n"
    r"|\n(?=\s*(?:[-•·*]|\(?[a-z0-9]{1,4}\)|[ivx]+\.))")
_TABLE_LINE = re.compile(r"^[^\n]*\t[^\n]*$|^[^\n]*\|[^\n]*\|[^\n]*$", re.M)
_LEADING_EDGE = re.compile(rf"(?:\s|{_TAG})*")
_TRAILING_EDGE = re.compile(rf"(?:\s|{_TAG})+\Z")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Cllr|Councillor|Prof|St|No|Nos|Ch|Cl|Sgt|Insp|Supt|Det|Rev|Hon|Co|Ltd|Inc|"
    r"e\.g|i\.e|etc|cf|approx|para|paras|Apt|vs|Ref|Tel|Vol|Fig|p|pp|ca|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\."
    r"|\b[A-Z]\.)$", re.I)
MIN_CHARS = 12


def split(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text``, relative to it; edges trimmed, fragments dropped."""
    return list(_spans(text))


@lru_cache(maxsize=8192)  # the same passages come up for question after question
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    # Table rows are sentences of their own; the prose between them is split at sentence boundaries.
    cuts, pos = [], 0
    for row in _TABLE_LINE.finditer(text):
        cuts += _prose(text, pos, row.start())
        cuts.append((row.start(), row.end()))
        pos = row.end()
    cuts += _prose(text, pos, len(text))
    out = []
    for s, e in cuts:
        s = _LEADING_EDGE.match(text, s, e).end()
        tail = _TRAILING_EDGE.search(text, s, e)
        e = tail.start() if tail else e
        piece = text[s:e]
        if (e - s >= MIN_CHARS and re.search(r"[A-Za-z]{3}", piece)) or (is_table_row(piece) and re.search(r"\w", piece)):
            out.append((s, e))
    return tuple(out)


def _prose(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts, pos = [], start
    for m in _BOUNDARY.finditer(text, start, end):
        if text[m.start() - 1] == "." and _ABBREVIATION.search(text[max(pos, m.start() - 12):m.start()]):
            continue  # "Mrs. D. Taylor", "Cllr. Smith", "No. 5": a title, initial or abbreviation
        cuts.append((pos, m.start()))
        pos = m.end()
    cuts.append((pos, end))
    return cuts


def is_table_row(sentence: str) -> bool:
    return "\t" in sentence.strip() or sentence.count("|") >= 2


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"\t|\|", row) if c.strip()]


def header_row(text: str, spans: list[tuple[int, int]], at: int) -> tuple[int, int] | None:
    """The span of the column headings of the table row ``spans[at]``: the nearest row above it, in the same
    run of rows, whose cells hold no figures (or, failing that, the first row of the run)."""
    if not is_table_row(text[slice(*spans[at])]):
        return None
    first = None
    for j in range(at - 1, -1, -1):
        row = text[slice(*spans[j])]
        if not is_table_row(row):
            break
        cells = _cells(row)
        first = spans[j]
        if len(cells) >= 2 and not any(re.search(r"\d[\d,.]*%?$", c) and not re.search(r"\d{2}/\d{2}", c)
                                       for c in cells[1:]):
            return spans[j]
    return first
