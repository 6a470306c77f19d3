"""Typing slips: a word the papers never use is read as the nearest word they do ("serach" -> "search").

BM25 matches words exactly, so one slip in a short question loses its best word, and the answer checks
then find the question's rarest word nowhere. The vocabulary is every word of the indexed text with its
count, saved with the index. A typed word is corrected only when all of these hold:
- it has at least ``MIN_LETTERS`` letters and no digits (short words have too many neighbours);
- neither it nor its stem is in the papers, and it is not an abbreviation the index knows;
- it is not an English word: not a whole word of the embedding model's vocabulary (about 20,000 common
  words), so "grown", "table" or "cells" are never turned into "grow", "able" or "calls";
- a word of the papers with the same first letter is one edit away (two for words of ``LONG_WORD`` letters
  or more), a swap of two neighbouring letters counting as one edit; ties go to the commoner word.
A word with no such neighbour is left as typed: a name the papers do not contain stays unknown, so a
question about it can still be abstained on. Corrections are reported in the answer's ``understood``.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MIN_LETTERS = 5
LONG_WORD = 9
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")


def word_counts(texts) -> dict[str, int]:
    """How often each lower-cased word occurs in the texts (what the speller may correct to)."""
    counts: dict[str, int] = {}
    for text in texts:
        for w in _WORD.findall(text.lower()):
            counts[w] = counts.get(w, 0) + 1
    return counts


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """The whole words of the embedding model's vocabulary (read from the model's own files)."""
    from .embed import model_dir

    return frozenset(w for w in (Path(model_dir()) / "vocab.txt").read_text(encoding="utf-8").split() if w.isalpha())


class Speller:
    def __init__(self, counts: dict[str, int], known=lambda word: False):
        """``known(word)``: whether the index knows the word in another form (its stem, an abbreviation)."""
        self.counts = counts
        self.known = known
        self._by_length: dict[int, list[str]] = {}
        for w in sorted(counts, key=lambda w: (-counts[w], w)):  # commoner first, so ties go to it
            if len(w) >= MIN_LETTERS - 1 and "'" not in w and "’" not in w:
                self._by_length.setdefault(len(w), []).append(w)
        self._cache: dict[str, str | None] = {}

    def correct_word(self, word: str) -> str | None:
        """The papers' word for a typed word, or None when it is fine as typed or has no clear correction."""
        w = word.lower()
        if len(w) < MIN_LETTERS or not w.isalpha() or w in self.counts:
            return None
        if w in self._cache:
            return self._cache[w]
        result = None
        if not self.known(w) and w not in dictionary_words():
            from rapidfuzz import process
            from rapidfuzz.distance import OSA

            limit = 2 if len(w) >= LONG_WORD else 1
            choices = [c for n in range(len(w) - limit, len(w) + limit + 1) for c in self._by_length.get(n, ())
                       if c[0] == w[0]]
            best = process.extractOne(w, choices, scorer=OSA.distance, score_cutoff=limit)
            result = best[0] if best else None
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[w] = result
        return result

    def correct(self, text: str) -> tuple[str, dict[str, str]]:
        """The text with slips corrected (case of the first letter kept), and {typed: corrected}."""
        corrections: dict[str, str] = {}

        def fix(m: re.Match) -> str:
            typed = m.group(0)
            better = self.correct_word(typed)
            if better is None:
                return typed
            corrections[typed] = better
            return better.capitalize() if typed[0].isupper() else better

        return _WORD.sub(fix, text), corrections
