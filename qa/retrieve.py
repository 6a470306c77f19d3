"""The retriever: wires the ranking stages over one loaded index, and answers.

For each question: the question is understood (typing slips, dates, committee, decisions; qa.query), then
1. candidates (qa.candidates): BM25 and dense scores for every allowed passage (filters are a mask, applied
   first), fused with the meeting priors; the best few dozen go on;
2. evidence (qa.evidence): a row of features per candidate, sentence-level cosines and coverage among them;
3. ranker (qa.ranker): the learned probability that each candidate answers, and that the papers answer the
   question at all (``understood.confidence``; below the model's threshold the answer abstains);
4. widening and duplicate folding (qa.widen): what is shown;
5. the answer (qa.answer): the best sentences of the shown passages, verbatim, with ``[n]``.
``mode`` other than "final" ranks by one retriever or fusion alone, for comparison (``qa eval --compare``).
"""
from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import fusion
from .candidates import ALPHA, Corpus, gather
from .config import Settings
from .errors import BadQuery
from .evidence import FEATURES, SentenceVectors, features
from .query import QueryIntent, understand
from .ranker import Ranker, question_features
from .records import Answer, Passage
from .store import IndexVersion, load_version
from .widen import Widener

MODES = ("lexical", "dense", "rrf", "fused", "final")
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Filters:
    committee: str | None = None  # case-insensitive substring of the committee name
    since: str | None = None  # ISO date, inclusive
    until: str | None = None
    section: tuple[str, ...] | None = None  # e.g. ("resolution",)
    source: str | None = None  # path relative to the corpus dir (prefix match)

    def __post_init__(self):  # issue 15: a date that is not one is an error naming the field, not "no results"
        import datetime

        for name in ("since", "until"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                ok = isinstance(value, str) and len(value) == 10 and bool(datetime.date.fromisoformat(value))
            except ValueError:
                ok = False
            if not ok:
                raise BadQuery(f"Filters.{name}: {value!r} is not a date; use YYYY-MM-DD, e.g. 2020-09-25")

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
    confidence: float  # P(the papers answer the question), from the ranker's question model
    intent: QueryIntent
    timings: dict
    matches: list[Passage]  # the chunks that matched, unwidened
    searched: str = ""  # the question as searched: typing slips corrected
    corrected: dict = field(default_factory=dict)  # {typed word: the papers' word}
    closeness: float = 1.0  # the best cosine of the question with a top passage (closeness in meaning)
    unfamiliar: tuple = ()  # the question's words the papers never use (after slips and abbreviations)
    after_papers: bool = False  # the question names a period after the last meeting in the papers
    evidence: object = None  # qa.evidence.Evidence of the candidates (for training and inspection)
    candidates: object = None  # qa.candidates.Candidates
    probabilities: np.ndarray | None = None  # per candidate, P(answers)
    qvec: np.ndarray | None = None  # the question's vector


class Retriever:
    """Load once, query many times; safe to share between threads (reads only)."""

    def __init__(self, version: IndexVersion, settings: Settings, ranker: Ranker | None = None):
        self.version = version
        self.settings = settings
        self._embedder = None
        self._lock = threading.Lock()
        rows = version.passages
        self.citations = [r.citation for r in rows]
        self.texts = [r.text for r in rows]
        self.committees = sorted({c.committee for c in self.citations if c.committee})
        self.meeting_dates = sorted({c.meeting_date for c in self.citations if c.meeting_date})
        self.corpus = Corpus.of(self.citations, self.texts)
        self.ranker = ranker or Ranker.load(settings.ranker_path or None)
        # The meeting dates overall ("") and per committee, in order, for "the most recent meeting" and
        # "the meeting before last".
        meetings: dict[str, set] = {}
        for c in self.citations:
            if c.meeting_date:
                for key in ("", (c.committee or "").lower()):
                    meetings.setdefault(key, set()).add(c.meeting_date)
        self._meetings_of = {key: sorted(days) for key, days in meetings.items()}
        self._document_cache: dict[str, str] = {}
        self._page_starts_cache: dict[str, list | None] = {}
        self.widener = Widener(self.citations, self.texts, self.corpus, self._document, settings.context_chars,
                               page_starts=self._page_starts)
        self.sentence_vectors = SentenceVectors(version, lambda: self.embedder)
        self._item_token_cache: dict[int, set[str]] = {}
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

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, index_dir: str | Path | None = None, settings: Settings | None = None, **overrides) -> "Retriever":
        from .embed import DIMENSION, model_id

        from .pgstore import is_url  # issue 20: an index in PostgreSQL is named by a URL, not a path

        location = (index_dir if is_url(index_dir) else Path(index_dir).resolve()) if index_dir else None
        settings = settings or Settings.from_env(**({"index_dir": location} if location else {}), **overrides)
        if location is not None:
            settings = replace(settings, index_dir=location)
        from .pgstore import open_store  # issue 20: a folder, or a postgresql:// URL (with these settings)

        version = open_store(settings.index_dir, settings, model_id(settings.quantize), DIMENSION)
        if is_url(settings.index_dir):
            from .pgretrieve import PgRetriever  # candidates from SQL: a worker does not hold the corpus

            return PgRetriever(version, settings)
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
        corpus = self.corpus
        mask = np.ones(len(self.citations), dtype=bool)
        if f is None:
            return mask
        if f.committee:
            mask &= np.char.find(corpus.committee, f.committee.lower()) >= 0
        if f.since:
            mask &= (corpus.date != "") & (corpus.date >= f.since)
        if f.until:
            mask &= (corpus.date != "") & (corpus.date <= f.until)
        if f.section:
            mask &= np.isin(corpus.section, list(f.section))
        if f.source:
            mask &= np.array([s == f.source or s.startswith(f.source.rstrip("/") + "/") for s in corpus.source], dtype=bool)
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

    def understand(self, question: str) -> tuple[str, dict, QueryIntent]:
        """The question as searched (slips corrected), the corrections, and what it asks about."""
        searched, corrected = self.version.lexical.speller.correct(question)
        intent = understand(searched, self.committees, self.meeting_dates)
        if intent.since in ("latest", "previous"):
            # "the most recent meeting", "the meeting before last" (of the committee named, if one is)
            held = self._meetings_of.get(intent.committee.lower() if intent.committee else "", [])
            back = 1 if intent.since == "latest" else 2
            day = held[-back] if len(held) >= back else None
            intent = replace(intent, since=day, until=day) if day else replace(intent, since=None, until=None)
        return searched, corrected, intent

    def _checked(self, question: str, k: int | None, mode: str) -> tuple[str, int]:
        """The question and ``k`` checked (``k`` defaults to the settings' top_k), and the mode known."""
        k = self.settings.top_k if k is None else k
        question = self._check(question, k)
        if mode not in MODES:
            raise BadQuery(f"mode: {mode!r}; use one of {', '.join(MODES)}")
        return question, k

    def run(self, question: str, k: int | None = None, filters: Filters | None = None,
            mode: str = "final") -> SearchResult:
        question, k = self._checked(question, k, mode)
        timings = {}
        t0 = time.perf_counter()
        mask = self._mask(filters)
        searched, corrected, intent = self.understand(question)
        n = len(self.citations)
        if n == 0 or not mask.any():
            return SearchResult([], 0.0, intent, {"total_ms": 0.0}, [], searched, corrected)
        lexical = self.version.lexical.scores(searched) if mode != "dense" else np.zeros(n, np.float32)
        timings["lexical_ms"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        qvec = self.embedder.encode_query(searched) if mode != "lexical" else None
        dense = self._dense_scores(qvec) if qvec is not None else np.zeros(n, np.float32)
        timings["dense_ms"] = (time.perf_counter() - t1) * 1000
        unfamiliar = tuple(self.version.lexical.unfamiliar(searched))
        last = self.meeting_dates[-1] if self.meeting_dates else None
        after = bool(last and intent.since and intent.since > last)
        if mode != "final":
            scores = {"lexical": lexical, "dense": dense}.get(mode)
            if scores is None:
                scores = (fusion.rrf([lexical, dense], self.settings.rrf_k, mask) if mode == "rrf"
                          else fusion.convex(dense, lexical, ALPHA, mask))
            order = fusion.top_k(scores, max(k * 4, k + 10), mask)
            passages = self.widener.passages(order, scores, k, widen=False, focus=self._focus(searched, intent, qvec))
            timings["total_ms"] = (time.perf_counter() - t0) * 1000
            return SearchResult(passages, float(scores[order[0]]) if order else 0.0, intent, timings, passages,
                                searched, corrected, unfamiliar=unfamiliar, after_papers=after)
        t2 = time.perf_counter()
        # enough candidates for k shown passages once neighbours are folded into windows
        cands = gather(self.corpus, lexical, dense, intent, mask, max(self.settings.candidates, 3 * k))
        evidence = features(searched, qvec, intent, cands, self.version.passages, self.sentence_vectors,
                            self.version.lexical)
        timings["evidence_ms"] = (time.perf_counter() - t2) * 1000
        result = SearchResult([], 0.0, intent, timings, [], searched, corrected, unfamiliar=unfamiliar,
                              after_papers=after, evidence=evidence, candidates=cands, qvec=qvec)
        out = self.rerank(result, k)
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        return out

    def rerank(self, result: SearchResult, k: int | None = None, ranker: Ranker | None = None) -> SearchResult:
        """The ranker's order and confidence for a result's candidates (with another ranker, for training
        and evaluation: the candidates and their evidence do not depend on it)."""
        k = self.settings.top_k if k is None else k
        ranker = ranker or self.ranker
        evidence, cands = result.evidence, result.candidates
        probabilities = ranker.passage.probability(evidence.matrix)
        local = np.argsort(-probabilities, kind="stable")
        order = cands.ids[local]
        scores = np.zeros(len(self.citations), dtype=np.float32)
        scores[cands.ids] = probabilities
        Q = question_features(evidence, probabilities, local, sum(s for _, s in result.unfamiliar), result.searched)
        confidence = float(ranker.answerability(Q[None, :])[0])
        widen = self.settings.context_chars > 0
        focus = self._focus(result.searched, result.intent, result.qvec)  # issue 16: the page of the words
        matches = self.widener.passages(order, scores, k, widen=False, focus=focus)
        passages = self.widener.passages(order, scores, k, widen=widen, focus=focus) if widen else matches
        closeness = float(evidence.matrix[local[0], FEATURES.index("dense")]) if len(local) else 0.0
        return replace(result, passages=passages, matches=matches, confidence=confidence, closeness=closeness,
                       probabilities=probabilities)

    def _focus(self, searched: str, intent, qvec):
        """Where a shown passage's answering words begin, for its citation's page (qa.answer.words_at)."""
        from .answer import words_at

        return words_at(searched, self.version.lexical, bool(intent.wants_decision),
                        self.sentence_cosines(qvec) if qvec is not None else None)

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

    def _page_starts(self, source: str):
        """A document's page start offsets (None for a document without pages), kept once read."""
        if source not in self._page_starts_cache:
            doc = self.version.document(source)
            self._page_starts_cache[source] = doc.get("page_starts") if doc else None
        return self._page_starts_cache[source]

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
        answer = build_answer(question, result, self.ranker.threshold, self.version.lexical, filters,
                              item_tokens=self._item_tokens if self.settings.form_checks else None,
                              last_meeting=self.meeting_dates[-1] if self.meeting_dates else None,
                              checks=self.settings.form_checks,
                              cosines=self.sentence_cosines(result.qvec) if result.qvec is not None else None)
        from .generate import written_answer  # issue 19: unchanged unless QA_LLM_BASE_URL is set
        return written_answer(question, answer, answer.passages, self.settings)

    def sentence_cosines(self, qvec: np.ndarray):
        """passage -> {(start, end) in the source: cosine with the question} for the sentences of the chunks
        a shown passage is made of (their vectors were embedded at build time)."""
        def of(p: Passage) -> dict:
            c = self.citations
            ids = [p.id]
            for step in (-1, 1):
                j = p.id + step
                while 0 <= j < len(c) and c[j].source == c[p.id].source and c[j].start >= p.citation.start \
                        and c[j].end <= p.citation.end:
                    ids.append(j)
                    j += step
            out = {}
            for j in ids:
                spans, vectors = self.sentence_vectors.of(j)
                if len(spans):
                    sims = vectors @ qvec
                    for (s, e), sim in zip(spans, sims):
                        key = (c[j].start + s, c[j].start + e)
                        out[key] = max(out.get(key, -1.0), float(sim))
            return out
        return of

    def _item_tokens(self, passage: Passage) -> set[str]:
        """Every word of the agenda item a passage belongs to (cached: items are re-used across questions)."""
        item = int(self.corpus.item_of[passage.id])
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

    def document_title(self, source: str) -> str:
        """The document's title from its parse (issue 18, ``qa.titles``); the file name if not indexed."""
        from .titles import title_of

        cache = self.__dict__.setdefault("_titles", {})
        if source not in cache:
            stored = self.version.document(source)
            cache[source] = title_of(source, stored, self.committees) if stored else source
        return cache[source]

    def item_passages(self, passage_id: int) -> list[int]:
        """All passage ids of the same agenda item, in document order (for 'show the whole item')."""
        item = self.corpus.item_of[passage_id]
        return [int(i) for i in np.nonzero(self.corpus.item_of == item)[0]]

