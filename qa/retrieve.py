"""The retriever: hybrid search over one index, meeting-aware, with filters and abstention.

Ranking, for each question:
1. BM25 and dense (cosine) scores for every allowed passage (filters are a mask, applied first);
2. fused: convex combination of min-max normalised scores (or RRF, for comparison);
3. meeting awareness: a boost for passages whose meeting matches the date or body the question names,
   for resolutions when the question asks what was decided, and for passages of the best-scoring agenda
   items, so an item's discussion and resolution rise together;
4. text that appears in several documents (minutes reprinted in a later pack) is shown once, the other
   places listed in ``also_in``;
5. small to big: chunks are small so that a match is precise, but the answer is often the next paragraph
   (the figure under a commentary, the KPI table above it), so each result widens the chunk that matched to
   its neighbours in the same part of the same agenda item, up to ``Settings.context_chars``. The text is
   still one verbatim span of the document; ``Passage.matched`` says which part of it matched.
Abstention compares how well the best passage matches against a threshold calibrated on the dev set, and
the answer's checks (``qa.answer``) are made on the chunks that matched, not on their wider context.
"""
from __future__ import annotations

import gc
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import fusion
from .config import Settings
from .errors import BadQuery
from .query import QueryIntent, understand
from .records import Answer, Passage
from .store import IndexVersion, load_version

MODES = ("lexical", "dense", "rrf", "fused", "final")
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Filters:
    committee: str | None = None  # case-insensitive substring of the committee name
    since: str | None = None  # ISO date, inclusive
    until: str | None = None
    section: tuple[str, ...] | None = None  # e.g. ("resolution",)
    source: str | None = None  # path relative to the corpus dir (prefix match)

    def is_empty(self) -> bool:
        return not any([self.committee, self.since, self.until, self.section, self.source])

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if v}
        if self.section:
            d["section"] = list(self.section)
        return d


@dataclass
class SearchResult:
    passages: list[Passage]  # what is shown: each matching chunk widened to its neighbours
    confidence: float
    intent: QueryIntent
    timings: dict
    matches: list[Passage]  # the chunks that matched, unwidened: what the answer's checks are made on
    searched: str = ""  # the question as searched: typing slips corrected
    corrected: dict = field(default_factory=dict)  # {typed word: the papers' word}
    closeness: float = 1.0  # the best cosine of the question with a top passage (closeness in meaning)
    unfamiliar: tuple = ()  # the question's words the papers never use (after slips and abbreviations)


_AGREEMENT = re.compile(r"\b(?:was|were)\s+(?:unanimously\s+)?(?:agreed|resolved|decided)\b|\bagreed\s+(?:that|to)\b", re.I)


class Retriever:
    """Load once, query many times; safe to share between threads (reads only)."""

    # Weights of the final ranking (measured with ``qa eval --compare``; see README).
    alpha = 0.35  # dense share of the convex fusion
    date_boost = 0.35
    committee_boost = 0.15
    decision_boost = 0.12
    item_boost = 0.15
    agenda_penalty = 0.1

    def __init__(self, version: IndexVersion, settings: Settings):
        self.version = version
        self.settings = settings
        self._embedder = None
        self._lock = threading.Lock()
        rows = version.passages
        self.citations = [r.citation for r in rows]
        self.texts = [r.text for r in rows]
        self.committees = sorted({c.committee for c in self.citations if c.committee})
        self.meeting_dates = sorted({c.meeting_date for c in self.citations if c.meeting_date})
        # Fixed-width string arrays, so filters and boosts are vectorised comparisons, not Python loops.
        self._committee_arr = np.array([(c.committee or "").lower() for c in self.citations], dtype=str)
        self._date_arr = np.array([c.meeting_date or "" for c in self.citations], dtype="<U10")
        self._section_arr = np.array([c.section for c in self.citations], dtype=str)
        # The meeting dates overall ("") and per committee, in order, for "the most recent meeting" and
        # "the meeting before last".
        meetings: dict[str, set] = {}
        for c in self.citations:
            if c.meeting_date:
                for key in ("", (c.committee or "").lower()):
                    meetings.setdefault(key, set()).add(c.meeting_date)
        self._meetings_of = {key: sorted(days) for key, days in meetings.items()}
        self._records_agreement = np.array([bool(_AGREEMENT.search(t)) for t in self.texts], dtype=bool)
        self._source_arr = np.array([c.source for c in self.citations], dtype=object)
        items: dict[tuple, int] = {}
        self._item_of = np.array(
            [items.setdefault((c.source, c.committee, c.meeting_date, c.item_number, c.item_title), len(items))
             for c in self.citations], dtype=np.int64)
        self._n_items = len(items)
        self._register = None
        # The index is tens of thousands of long-lived objects; without this, every full garbage
        # collection walks them all and a query now and then takes 100 ms instead of 10.
        gc.collect()
        gc.freeze()
        # One BLAS thread: a query's matrix-vector product is memory-bound, and waking BLAS's thread
        # pool after the model's own threads have run costs up to 100 ms (measured: p95 95 ms -> 13 ms).
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1, user_api="blas")
        except ImportError:
            pass
        self._item_token_cache: dict[int, set[str]] = {}
        self._document_cache: dict[str, str] = {}
        self._shingle_cache: dict[int, frozenset] = {}

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, index_dir: str | Path | None = None, settings: Settings | None = None, **overrides) -> "Retriever":
        from .embed import DIMENSION, model_id

        settings = settings or Settings.from_env(**({"index_dir": Path(index_dir)} if index_dir else {}), **overrides)
        if index_dir is not None:
            settings = replace(settings, index_dir=Path(index_dir).resolve())
        version = load_version(settings.index_dir, model_id(settings.quantize), DIMENSION)
        return cls(version, settings)

    @property
    def embedder(self):
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    from .embed import Embedder

                    self._embedder = Embedder(self.settings.quantize)
        return self._embedder

    def warm_up(self) -> None:
        self.embedder.encode_query("warm up")

    # ------------------------------------------------------------------ search
    def _mask(self, f: Filters | None) -> np.ndarray:
        n = len(self.citations)
        mask = np.ones(n, dtype=bool)
        if f is None:
            return mask
        if f.committee:
            mask &= np.char.find(self._committee_arr, f.committee.lower()) >= 0
        if f.since:
            mask &= (self._date_arr != "") & (self._date_arr >= f.since)
        if f.until:
            mask &= (self._date_arr != "") & (self._date_arr <= f.until)
        if f.section:
            mask &= np.isin(self._section_arr, list(f.section))
        if f.source:
            mask &= np.array([s == f.source or s.startswith(f.source.rstrip("/") + "/") for s in self._source_arr], dtype=bool)
        return mask

    def _check(self, question: str, k: int) -> str:
        if not isinstance(question, str) or not question.strip():
            raise BadQuery("question: empty; type a question about the panel papers")
        if len(question) > MAX_QUESTION_CHARS:
            raise BadQuery(f"question: {len(question)} characters, the limit is {MAX_QUESTION_CHARS}; shorten it")
        if not isinstance(k, int) or not 1 <= k <= 100:
            raise BadQuery(f"k: {k!r} is out of range; use a whole number from 1 to 100")
        return question.strip()

    def search(self, question: str, k: int | None = None, filters: Filters | None = None,
               mode: str = "final") -> list[Passage]:
        return self.run(question, k, filters, mode).passages

    def run(self, question: str, k: int | None = None, filters: Filters | None = None,
            mode: str = "final") -> SearchResult:
        k = self.settings.top_k if k is None else k
        question = self._check(question, k)
        if mode not in MODES:
            raise BadQuery(f"mode: {mode!r}; use one of {', '.join(MODES)}")
        timings = {}
        t0 = time.perf_counter()
        mask = self._mask(filters)
        searched, corrected = self.version.lexical.speller.correct(question)
        intent = understand(searched, self.committees, self.meeting_dates)
        if intent.since in ("latest", "previous"):
            # "the most recent meeting", "the meeting before last" (of the committee named, if one is)
            held = self._meetings_of.get(intent.committee.lower() if intent.committee else "", [])
            back = 1 if intent.since == "latest" else 2
            day = held[-back] if len(held) >= back else None
            intent = replace(intent, since=day, until=day) if day else replace(intent, since=None, until=None)
        n = len(self.citations)
        if n == 0 or not mask.any():
            return SearchResult([], 0.0, intent, {"total_ms": 0.0}, [], searched, corrected)

        lexical = self.version.lexical.scores(searched) if mode != "dense" else np.zeros(n, np.float32)
        timings["lexical_ms"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        if mode != "lexical":
            qvec = self.embedder.encode_query(searched)
            dense = self._dense_scores(qvec)
        else:
            dense = np.zeros(n, np.float32)
        timings["dense_ms"] = (time.perf_counter() - t1) * 1000

        if mode == "lexical":
            scores = lexical.copy()
        elif mode == "dense":
            scores = dense.copy()
        elif mode == "rrf":
            scores = fusion.rrf([lexical, dense], self.settings.rrf_k, mask)
        else:
            scores = fusion.convex(dense, lexical, self.alpha, mask)
            if mode == "final":
                scores = self._meeting_aware(scores, intent, mask)
        confidence, closeness = self._confidence(searched, dense, lexical, scores, mask)
        order = fusion.top_k(scores, max(k * 4, k + 10), mask)
        matches = self._dedupe(order, scores, k)
        widen = mode == "final" and self.settings.context_chars > 0
        passages = self._widened(order, scores, k) if widen else matches
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        return SearchResult(passages, confidence, intent, timings, matches, searched, corrected,
                            closeness=closeness if mode != "lexical" else 1.0,
                            unfamiliar=tuple(self.version.lexical.unfamiliar(searched)))

    def _dense_scores(self, qvec: np.ndarray) -> np.ndarray:
        n = len(self.citations)
        if self.version.manifest.dense == "flat":
            return self.version.vectors @ qvec
        # Approximate index: score the neighbours it returns; the rest get the floor.
        scores = np.full(n, -1.0, dtype=np.float32)
        sims, ids = self.version.dense.search(qvec[None, :].astype(np.float32), min(n, self.settings.candidates * 20))
        valid = ids[0] >= 0
        scores[ids[0][valid]] = sims[0][valid]
        return scores

    def _meeting_aware(self, scores: np.ndarray, intent: QueryIntent, mask: np.ndarray) -> np.ndarray:
        out = scores.astype(np.float32).copy()
        if intent.since:
            dates = self._date_arr
            hit = (dates != "") & (dates >= intent.since) & (dates <= intent.until)
            if hit.any():
                out += self.date_boost * hit
        if intent.committee:
            out += self.committee_boost * (self._committee_arr == intent.committee.lower())
        # Agenda-item awareness: lift every passage of an item by how well its best passage matches.
        best = np.zeros(self._n_items, dtype=np.float32)
        np.maximum.at(best, self._item_of[mask], out[mask])
        item_best = best[self._item_of]
        if intent.wants_decision:
            # "What did they resolve about X": the resolution of the item that best matches X answers it,
            # even when the resolution's own words ("be noted") share nothing with the question. A passage
            # of the discussion that records an agreement ("it was agreed that ...") answers it as well, and
            # beats its item's formal resolution when it is itself the item's best match.
            resolution = self._section_arr == "resolution"
            out[resolution] = np.maximum(out[resolution], 0.97 * item_best[resolution])
            decided = resolution if intent.wants_resolution else resolution | self._records_agreement
            out[decided] += self.decision_boost
        out += self.item_boost * item_best
        # An agenda entry previews an item; the minutes and reports hold what was said, so they go first.
        out -= self.agenda_penalty * (self._section_arr == "agenda")
        out[~mask] = 0.0
        return out

    def _confidence(self, question: str, dense: np.ndarray, lexical: np.ndarray, scores: np.ndarray,
                    mask: np.ndarray) -> tuple[float, float]:
        """How well the best passages match: best cosine, and the share of the question's rarer words
        found together in one top passage. Both matter: a question about a figure the papers never give
        shares its topic words with many passages but not its specific ones. Returned with the best cosine
        itself (how close in meaning the closest passage is)."""
        top = fusion.top_k(scores, 5, mask)
        if not top:
            return 0.0, 0.0
        weights = self.version.lexical.weights(question)
        coverage = 0.0
        if weights:
            total = sum(weights.values())
            for i in top:
                toks = set(self.version.lexical.tokenize(self.version.passages[i].lexical_text))
                coverage = max(coverage, sum(wt for w, wt in weights.items() if w in toks) / total)
        best_cos = float(np.max(dense[top])) if dense.any() else 0.0
        return 0.5 * best_cos + 0.5 * coverage, best_cos

    def _dedupe(self, order: list[int], scores: np.ndarray, k: int) -> list[Passage]:
        """Keep the first of near-identical passages; list the others as 'also in'."""
        kept: list[tuple[int, set, list]] = []
        for i in order:
            shingles = self._chunk_shingles(i)
            dup_of = None
            for entry in kept:
                if self.citations[entry[0]].source != self.citations[i].source and _jaccard(shingles, entry[1]) >= 0.6:
                    dup_of = entry
                    break
            if dup_of is not None:
                dup_of[2].append(self.citations[i])
                continue
            if len(kept) < k:
                kept.append((i, shingles, []))
        return [
            Passage(id=i, text=self.texts[i], citation=self.citations[i], score=float(scores[i]), rank=r + 1,
                    also_in=tuple(also))
            for r, (i, _, also) in enumerate(kept)
        ]

    def _widened(self, order: list[int], scores: np.ndarray, k: int) -> list[Passage]:
        """The best chunks, each widened to its neighbours (see the module docstring), reprints shown once.

        Chunks are taken best first; a chunk already inside a better one's window is not shown again."""
        covered: set[int] = set()
        kept: list[dict] = []
        for i in order:
            if i in covered:
                continue
            shingles = self._chunk_shingles(i)
            dup_of = next((w for w in kept if self.citations[w["id"]].source != self.citations[i].source
                           and _containment(shingles, w["shingles"]) >= 0.6), None)
            if dup_of is not None:
                dup_of["also"].append(self.citations[i])
                covered.add(i)
                continue
            if len(kept) >= k:
                continue  # still scanning, to list reprints of the kept passages as "also in"
            lo, hi = self._window(i, scores, covered)
            covered.update(range(lo, hi + 1))
            c = self.citations[i]
            start, end = self.citations[lo].start, max(self.citations[j].end for j in range(lo, hi + 1))
            text = self.texts[i] if lo == hi else self._document(c.source)[start:end]
            citation = replace(c, start=start, end=end, page=self.citations[lo].page)
            kept.append({"id": i, "text": text, "citation": citation, "also": [],
                         "shingles": frozenset().union(*(self._chunk_shingles(j) for j in range(lo, hi + 1)))})
        return [
            Passage(id=w["id"], text=w["text"], citation=w["citation"], score=float(scores[w["id"]]), rank=r + 1,
                    also_in=tuple(w["also"]), matched=(self.citations[w["id"]].start, self.citations[w["id"]].end))
            for r, w in enumerate(kept)
        ]

    def _window(self, i: int, scores: np.ndarray, taken: set[int]) -> tuple[int, int]:
        """First and last chunk id of chunk ``i``'s window: grown one neighbour at a time, the better-scoring
        side first, while the neighbour is in the same part of the same agenda item, directly follows or
        precedes the window in the document, is not shown elsewhere, and the span stays within budget."""
        budget = self.settings.context_chars
        c = self.citations
        lo = hi = i
        start, end = c[i].start, c[i].end
        while True:
            options = [j for j in (lo - 1, hi + 1)
                       if 0 <= j < len(c) and j not in taken and self._item_of[j] == self._item_of[i]
                       and self._section_arr[j] == self._section_arr[i]
                       and max(end, c[j].end) - min(start, c[j].start) <= budget]
            options = [j for j in options if self._adjoins(j, start, end)]
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
        gap = self._document(c.source)[end:c.start] if c.start > end else self._document(c.source)[c.end:start]
        return not gap.strip()

    def _chunk_shingles(self, i: int) -> frozenset:
        """Chunk ``i``'s shingles, kept for later questions (the same chunks come up again and again)."""
        cached = self._shingle_cache.get(i)
        if cached is None:
            if len(self._shingle_cache) > 8192:
                self._shingle_cache.clear()
            cached = self._shingle_cache[i] = _shingles(self.texts[i])
        return cached

    def _document(self, source: str) -> str:
        """A document's text, kept for the next question (a few documents at most)."""
        text = self._document_cache.get(source)
        if text is None:
            text = self.document_text(source) or ""
            if len(self._document_cache) >= 16:
                self._document_cache.clear()
            self._document_cache[source] = text
        return text

    # ------------------------------------------------------------------ answers
    def ask(self, question: str, k: int | None = None, filters: Filters | None = None) -> Answer:
        from .answer import build_answer

        if filters is None or filters.is_empty():
            from .decisions import answer_from_register, asks_register

            if asks_register(question):
                from_register = answer_from_register(question, self.register())
                if from_register is not None:
                    return from_register
        result = self.run(question, k, filters)
        answer = build_answer(question, result, self.settings.abstain_threshold, self.version.lexical, filters,
                              item_tokens=self._item_tokens,
                              last_meeting=self.meeting_dates[-1] if self.meeting_dates else None)
        from .generate import written_answer  # issue 19: unchanged unless QA_LLM_BASE_URL is set
        return written_answer(question, answer, answer.passages, self.settings)

    def _item_tokens(self, passage: Passage) -> set[str]:
        """Every word of the agenda item a passage belongs to (cached: items are re-used across questions)."""
        item = int(self._item_of[passage.id])
        cached = self._item_token_cache.get(item)
        if cached is None:
            tokenize = self.version.lexical.tokenize
            cached = set()
            for i in self.item_passages(passage.id):
                cached.update(tokenize(self.version.passages[i].lexical_text))
            if len(self._item_token_cache) > 4096:
                self._item_token_cache.clear()
            self._item_token_cache[item] = cached
        return cached

    # ------------------------------------------------------------------ decisions register
    def register(self):
        """The decisions and requests register, built on first use from the indexed documents."""
        if self._register is None:
            with self._lock:
                if self._register is None:
                    from .decisions import Register

                    self._register = Register.from_documents(self.parsed_documents())
        return self._register

    def parsed_documents(self):
        from .parse import parse_text

        docs = []
        for source in sorted(self.version.documents):
            d = self.version.document(source)
            pages = tuple(d["page_starts"]) if d["page_starts"] else None
            docs.append(parse_text(source, d["text"], pages, d["format"]))
        return docs

    # ------------------------------------------------------------------ corpus facts
    def stats(self) -> dict:
        m = self.version.manifest
        return {
            "documents": len(m.files), "meetings": m.meetings, "items": m.items, "passages": m.passages,
            "committees": self.committees,
            "first_meeting": self.meeting_dates[0] if self.meeting_dates else None,
            "last_meeting": self.meeting_dates[-1] if self.meeting_dates else None,
            "sources": sorted(m.files), "model": m.model, "format_version": m.format_version,
            "built": m.created,
        }

    def document_text(self, source: str) -> str | None:
        doc = self.version.document(source)
        return doc["text"] if doc else None

    def item_passages(self, passage_id: int) -> list[int]:
        """All passage ids of the same agenda item, in document order (for 'show the whole item')."""
        item = self._item_of[passage_id]
        return [int(i) for i in np.nonzero(self._item_of == item)[0]]


def _shingles(text: str, n: int = 5) -> frozenset:
    """The text's runs of ``n`` words (case folded): near-identical texts share most of them."""
    words = text.lower().split()
    if len(words) < n:
        return frozenset([tuple(words)])
    return frozenset(zip(*(words[i:] for i in range(n))))


def _containment(part: set, whole: set) -> float:
    """The share of ``part``'s shingles that are also in ``whole``."""
    if not part:
        return 0.0
    return len(part & whole) / len(part)


def _jaccard(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
