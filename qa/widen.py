"""Widening and duplicate folding: from ranked chunks to the passages a reader is shown.

Last stage of ranking. Chunks are small so that a match is precise, but the answer is often the next
paragraph (the figure under a commentary, the KPI table above it), so each shown passage is the chunk that
matched widened to its neighbours in the same part (minutes, report, ...) of the same agenda item, the
better-scoring side first, up to ``context_chars``. The text is still one verbatim span of the document;
``Passage.matched`` says which part of it matched. The citation's ``page`` is the page holding the words
that answer: the start of the passage's best-matching sentence, which ``focus`` (given by the caller, who
knows the question; ``qa.answer.words_at``) picks from the whole shown span. A chunk is cut by size, not by
page, so the page where the matched chunk begins is often the page before those words. Without ``focus``
the page is that of the matched chunk's start. ``page_end`` stays the page of the span's last character
when it differs, so ``page``..``page_end`` always holds the sentence, even one that crosses a page break.
Text that appears in several documents (minutes reprinted in a later pack) is shown once, the other places
listed in ``also_in``.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .records import Passage


def shingles(text: str, n: int = 5) -> frozenset:
    """The text's runs of ``n`` words (case folded): near-identical texts share most of them."""
    words = text.lower().split()
    if len(words) < n:
        return frozenset([tuple(words)])
    return frozenset(zip(*(words[i:] for i in range(n))))


def containment(part: set, whole: set) -> float:
    """The share of ``part``'s shingles that are also in ``whole``."""
    return len(part & whole) / len(part) if part else 0.0


class Widener:
    def __init__(self, citations, texts, corpus, document_text, context_chars: int, page_starts=None):
        self.citations, self.texts, self.corpus = citations, texts, corpus
        self.page_starts = page_starts  # source -> the document's page start offsets (None: no pages)
        self.document_text = document_text  # source -> full text (cached by the caller)
        self.context_chars = context_chars
        self._shingles: dict[int, frozenset] = {}

    def chunk_shingles(self, i: int) -> frozenset:
        cached = self._shingles.get(i)
        if cached is None:
            if len(self._shingles) > 8192:
                self._shingles.clear()
            cached = self._shingles[i] = shingles(self.texts[i])
        return cached

    def passages(self, order, scores: np.ndarray, k: int, widen: bool = True, focus=None) -> list[Passage]:
        """The best ``k`` of ``order`` (chunk ids, best first), each widened (when ``widen``), reprints shown
        once. A chunk already inside a better one's window is not shown again. ``focus``: a callable from a
        shown passage to the document offset of the words that answer in it (None: the matched chunk's
        start), for the citation's page."""
        covered: set[int] = set()
        kept: list[dict] = []
        c = self.citations
        for i in order:
            i = int(i)
            if i in covered:
                continue
            sh = self.chunk_shingles(i)
            dup_of = next((w for w in kept if c[w["id"]].source != c[i].source
                           and containment(sh, w["shingles"]) >= 0.6), None)
            if dup_of is not None:
                dup_of["also"].append(c[i])
                covered.add(i)
                continue
            if len(kept) >= k:
                continue  # still scanning, to list reprints of the kept passages as "also in"
            lo, hi = self.window(i, scores, covered) if widen and self.context_chars > 0 else (i, i)
            covered.update(range(lo, hi + 1))
            start, end = c[lo].start, max(c[j].end for j in range(lo, hi + 1))
            text = self.texts[i] if lo == hi else self.document_text(c[i].source)[start:end]
            kept.append({"id": i, "text": text, "citation": replace(c[i], start=start, end=end), "also": [],
                         "shingles": frozenset().union(*(self.chunk_shingles(j) for j in range(lo, hi + 1)))})
        shown = [Passage(id=w["id"], text=w["text"], citation=w["citation"], score=float(scores[w["id"]]),
                         rank=r + 1, also_in=tuple(w["also"]), matched=(c[w["id"]].start, c[w["id"]].end))
                 for r, w in enumerate(kept)]
        return [self.paged(p, focus) for p in shown]

    def paged(self, p: Passage, focus=None) -> Passage:
        """``p`` with its citation's page set to the page of the words that answer (see the module's note);
        a passage whose document has no pages keeps ``page`` None."""
        starts = self.page_starts(p.citation.source) if self.page_starts else None
        if not starts:
            return p
        from .chunk import pages_at

        c = p.citation
        at = focus(p) if focus is not None else None
        if at is None or not c.start <= at < c.end:
            at = p.matched[0] if p.matched else c.start
        page, page_end = pages_at(starts, at, c.start, c.end)
        return replace(p, citation=replace(c, page=page, page_end=page_end))

    def window(self, i: int, scores: np.ndarray, taken: set[int]) -> tuple[int, int]:
        """First and last chunk id of chunk ``i``'s window: grown one neighbour at a time, the better-scoring
        side first, while the neighbour is in the same part of the same agenda item, directly follows or
        precedes the window in the document, is not shown elsewhere, and the span stays within budget."""
        c, item_of, section = self.citations, self.corpus.item_of, self.corpus.section
        lo = hi = i
        start, end = c[i].start, c[i].end
        while True:
            options = [j for j in (lo - 1, hi + 1)
                       if 0 <= j < len(c) and j not in taken and item_of[j] == item_of[i]
                       and section[j] == section[i]
                       and max(end, c[j].end) - min(start, c[j].start) <= self.context_chars
                       and self._adjoins(j, start, end)]
            if not options:
                return lo, hi
            j = max(options, key=lambda j: scores[j])
            lo, hi = min(lo, j), max(hi, j)
            start, end = min(start, c[j].start), max(end, c[j].end)

    def _adjoins(self, j: int, start: int, end: int) -> bool:
        """Chunk ``j`` overlaps the span or is separated from it by whitespace only."""
        c = self.citations[j]
        if c.start <= end and c.end >= start:
            return True
        doc = self.document_text(c.source)
        gap = doc[end:c.start] if c.start > end else doc[c.end:start]
        return not gap.strip()
