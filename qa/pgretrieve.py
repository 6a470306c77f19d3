"""The retriever over a PostgreSQL store (issue 20): the same ranking stages, with nothing corpus-sized in the
worker.

``qa.retrieve.Retriever`` holds every passage's citation and text and scores every passage on both sides,
which is right for a folder loaded into one process and grows with the corpus. Here the first stage
(``qa.candidates``) is fed from SQL instead, and only the passages it considers are fetched:

1. lexical: the postings of the question's terms (``qa.postings_<tag>``; bm25s's own scores, so the same
   numbers as the folder store), summed per passage; dense: the nearest passages by pgvector (exact below
   ``ann_threshold`` or under a filter, HNSW above it: the folder store's flat/IVF rule);
2. the normalisation constants of the fusion (median, best and worst allowed score on each side) come from
   the whole allowed corpus, exactly: the lexical ones from the postings (every passage outside them scores
   0), the dense ones from one SQL aggregate (exact mode) or from the floor of -1 every passage outside the
   approximate neighbours gets (HNSW mode, as the folder store's IVF);
3. the pool is the best ``pool`` passages of each side (and, when the question names a meeting or a
   committee, the best of each side among those passages) plus every passage of their agenda items, so an
   item's best passage lifts the rest of it (``item_best``) exactly as over the whole corpus; the meeting
   priors and the ranking stages then run on the pool with ``qa.candidates.gather``;
4. evidence and widening read passages, sentences (with their stored vectors) and neighbours on demand,
   from bounded caches.

A passage outside the pool cannot be ranked in; one inside it scores exactly as over the whole corpus. On the
shipped corpus and the dev set this ranks like the folder store (README, "PostgreSQL"). What still grows with
the corpus in a worker: the vocabulary (the speller and abbreviation lists), the list of indexed files in
the manifests, and the decisions register, built from every document on the first question that asks it.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import replace

import numpy as np

from . import fusion
from .candidates import ALPHA, Corpus, gather
from .evidence import FEATURES, WordSets, features
from .ranker import question_features
from .retrieve import Filters, Retriever, SearchResult
from .sentences import split
from .widen import Widener

POOL = 200  # best passages taken from each side before their agenda items are added
NEIGHBOURS = 6  # rows fetched either side of a passage read on demand (the widener looks at neighbours)
CACHE_ROWS = 8192  # passages kept per worker (text, citation; and, separately, sentences with vectors)


def _median_with(values: np.ndarray, below: int, floor: float) -> float:
    """The median of ``values`` together with ``below`` more values all equal to ``floor`` (not above any of
    them), as ``numpy.median`` would give it over the whole array."""
    values = np.sort(values.astype(np.float32))
    total = len(values) + below
    if total == 0:
        return 0.0

    def at(k: int) -> float:
        return float(floor) if k < below else float(values[k - below])

    a, b = (total - 1) // 2, total // 2
    return float(np.float32((np.float32(at(a)) + np.float32(at(b))) / np.float32(2))) if a != b else at(a)


def _normalise_with(scores: np.ndarray, lo: float, hi: float, worst: float) -> np.ndarray:
    """``qa.fusion.normalise`` with its constants (median, best, worst allowed score) given, not computed."""
    if hi - lo < 1e-9:
        lo = worst
    if hi - lo < 1e-9:
        return np.full(len(scores), 1.0 if hi > 0 else 0.0, dtype=np.float32)
    return np.clip((scores.astype(np.float32) - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


class _Scores(dict):
    """Sparse per-passage scores for the widener: a passage not scored scores 0."""

    def __missing__(self, key):
        return 0.0


class RowCache:
    """Passages (row, global item number, section) fetched on demand, the least recently used dropped."""

    def __init__(self, store, capacity: int = CACHE_ROWS):
        self.store = store
        self.capacity = capacity
        self._rows: OrderedDict[int, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def prefetch(self, ids) -> None:
        todo = sorted({int(i) for i in ids} - set(self._rows))
        if todo:
            self._put(self.store.rows(todo))

    def _put(self, got: dict) -> None:
        with self._lock:
            self._rows.update(got)
            while len(self._rows) > self.capacity:
                self._rows.popitem(last=False)

    def get(self, i: int) -> tuple:
        i = int(i)
        hit = self._rows.get(i)
        if hit is None:
            if not 0 <= i < self.store.size:
                raise IndexError(i)
            self.prefetch(range(max(0, i - NEIGHBOURS), min(self.store.size, i + NEIGHBOURS + 1)))
            hit = self._rows[i]
        else:
            with self._lock:
                if i in self._rows:
                    self._rows.move_to_end(i)
        return hit


class LazyColumn:
    """A read-only sequence over every passage (``len`` is the corpus size) that reads rows on demand:
    ``passages[i]``, ``citations[i]``, ``texts[i]``, ``item_of[i]``, ``section[i]``. Iterating it reads the
    whole corpus in batches (the pages that list every document do), without caching."""

    def __init__(self, cache: RowCache, pick):
        self.cache = cache
        self.pick = pick

    def __len__(self) -> int:
        return self.cache.store.size

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return self.pick(self.cache.get(i))

    def __iter__(self):
        for batch in self.cache.store.iter_rows():
            for gid in sorted(batch):
                yield self.pick(batch[gid])


class LazyCorpus:
    """What the widener reads of ``qa.candidates.Corpus``: the agenda item and section of any passage."""

    def __init__(self, cache: RowCache):
        self.item_of = LazyColumn(cache, lambda r: r[1])
        self.section = LazyColumn(cache, lambda r: r[0].citation.section)


class PgSentences:
    """``qa.evidence.SentenceVectors`` for a PostgreSQL store: each candidate's sentences and their stored
    vectors, read for a whole candidate list in one query and kept (bounded). A corpus built without
    sentences (a synthetic bench corpus) has them split and embedded on first use, as an older folder."""

    def __init__(self, store, rows: RowCache, embedder_of, capacity: int = CACHE_ROWS):
        self.store = store
        self.rows = rows
        self._embedder_of = embedder_of
        self.capacity = capacity
        self._cache: OrderedDict[int, tuple] = OrderedDict()
        self.word_sets = WordSets()
        self._lock = threading.Lock()
        self.stored = True

    def prefetch(self, ids) -> None:
        todo = sorted({int(i) for i in ids} - set(self._cache))
        if not todo:
            return
        got = self.store.sentences(todo)  # {gid: (spans in source offsets, vectors)} for corpora that store them
        missing = [i for i in todo if i not in got]
        if missing:
            embedder = self._embedder_of()
            texts, owners = [], []
            for i in missing:
                row = self.rows.get(i)[0]
                spans = split(row.text) or [(0, len(row.text))]
                owners.append((i, [(row.citation.start + s, row.citation.start + e) for s, e in spans]))
                texts += [row.text[s:e] for s, e in spans]
            each = getattr(embedder, "encode_each", None)
            vectors = each(texts) if each is not None else embedder.encode(texts)
            at = 0
            for i, spans in owners:
                got[i] = (spans, vectors[at:at + len(spans)])
                at += len(spans)
        with self._lock:
            for i in todo:
                base = self.rows.get(i)[0].citation.start
                spans, vectors = got[i]
                self._cache[i] = ([(int(s) - base, int(e) - base) for s, e in spans], vectors)
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)

    def of(self, i: int):
        hit = self._cache.get(int(i))
        if hit is None:
            self.prefetch([i])
            hit = self._cache[int(i)]
        return hit

    def tokens(self, i: int, spans, tokenize):
        return self.word_sets.of(i, lambda: self.rows.get(i)[0], spans, tokenize)


class PgRetriever(Retriever):
    """``Retriever`` over a ``qa.pgstore.PgVersion``; see the module docstring for what differs."""

    def __init__(self, version, settings, ranker=None):
        from .ranker import Ranker

        self.version = version
        self.store = version.store
        self.settings = settings
        self._embedder = None
        self._lock = threading.Lock()
        self.ranker = ranker or Ranker.load(settings.ranker_path or None)
        self.rows = version.rows
        self.citations = LazyColumn(self.rows, lambda r: r[0].citation)
        self.texts = LazyColumn(self.rows, lambda r: r[0].text)
        self.corpus = LazyCorpus(self.rows)
        held = self.store.meetings()
        self.committees = sorted({c for c, _ in held if c})
        self.meeting_dates = sorted({d for _, d in held if d})
        meetings: dict[str, set] = {}
        for committee, day in held:
            if day:
                for key in ("", (committee or "").lower()):
                    meetings.setdefault(key, set()).add(day)
        self._meetings_of = {key: sorted(days) for key, days in meetings.items()}
        self._document_cache: dict[str, str] = {}
        self._page_starts_cache: dict[str, list | None] = {}
        self.widener = Widener(self.citations, self.texts, self.corpus, self._document, settings.context_chars,
                               page_starts=self._page_starts)
        self.sentence_vectors = PgSentences(self.store, self.rows, lambda: self.embedder)
        self._item_token_cache: dict[int, set[str]] = {}
        self._register = None
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1, user_api="blas")  # as Retriever: one BLAS thread per query
        except ImportError:
            pass

    # ------------------------------------------------------------------ the candidate stage, from SQL
    def _lexical_terms(self, searched: str) -> tuple[list[str], list[str]]:
        """The question's terms as ``LexicalIndex.scores`` searches them: typed, and abbreviations' other forms."""
        lex = self.version.lexical
        vocab = lex.retriever.vocab_dict
        asked = lex.tokenize(searched)
        tokens = [t for t in asked if t in vocab]
        extra = [t for t in lex.tokenize(" ".join(lex.expansions(searched))) if t in vocab and t not in asked]
        return tokens, extra

    def _lexical(self, searched: str) -> tuple[np.ndarray, np.ndarray]:
        """(global ids, BM25 scores) of every passage with a non-zero score, ids ascending."""
        tokens, extra = self._lexical_terms(searched)
        if not (tokens or extra):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        per = self.store.postings(tokens + extra)
        parts = []
        for group, weight in ((tokens, None), (extra, self.version.lexical.expansion_weight)):
            for t in group:
                for corpus in per:
                    if t in corpus:
                        parts.append((corpus[t][0], corpus[t][1], weight))
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        ids = np.unique(np.concatenate([p[0] for p in parts]))
        typed = np.zeros(len(ids), np.float32)
        other = np.zeros(len(ids), np.float32)
        for gids, sc, weight in parts:
            np.add.at(typed if weight is None else other, np.searchsorted(ids, gids), sc)
        scores = typed + np.float32(self.version.lexical.expansion_weight) * other if extra else typed
        return ids, scores.astype(np.float32)

    def pool(self, searched: str, qvec, intent, filters: Filters | None, n: int):
        """The pool (global ids ascending) with each one's lexical, dense and fused score, and a local Corpus."""
        store, settings = self.store, self.settings
        where = store.filter_sql(filters)
        lex_ids, lex_scores = self._lexical(searched)
        if filters is not None and not filters.is_empty():
            allowed_n = store.count(where)
            keep = np.isin(lex_ids, store.allowed(lex_ids, where))
            lex_ids, lex_scores = lex_ids[keep], lex_scores[keep]
        else:
            allowed_n = store.size
        if allowed_n == 0:
            return None
        # the lexical side's constants over every allowed passage (those outside the postings score 0)
        zeros = allowed_n - len(lex_ids)
        lex_hi = float(lex_scores.max()) if len(lex_scores) else 0.0
        lex_lo = _median_with(lex_scores, zeros, 0.0)
        lex_worst = 0.0 if zeros else float(lex_scores.min())
        by_lex = lex_ids[np.lexsort((lex_ids, -lex_scores))]
        pool = set(by_lex[:POOL].tolist())
        exact = store.size <= settings.ann_threshold or (filters is not None and not filters.is_empty())
        dense_of: dict[int, float] = {}
        if qvec is not None:
            if exact:
                d_ids, d_sims, (count, d_lo, d_worst) = store.dense_exact(qvec, POOL, where)
            else:
                # as the folder store's IVF: the approximate neighbours get their cosine, every other passage -1
                d_ids, d_sims = store.dense_search_where(qvec, min(store.size, settings.candidates * 20), where)
                dense_of = {int(i): float(s) for i, s in zip(d_ids, d_sims)}
                d_lo = _median_with(d_sims, allowed_n - len(d_ids), -1.0)
                d_worst = -1.0 if allowed_n > len(d_ids) else float(d_sims.min())
            d_hi = float(d_sims.max()) if len(d_sims) else 0.0
            pool.update(int(i) for i in d_ids[:POOL])
        # the meeting or committee the question names: the best of each side among its passages too
        focus = store.intent_sql(intent)
        if focus is not None:
            both = store.and_sql(where, focus)
            matching = set(store.allowed(by_lex[:10 * POOL], both).tolist())
            pool.update([int(i) for i in by_lex[:10 * POOL] if int(i) in matching][:POOL])
            if qvec is not None:
                pool.update(int(i) for i in store.dense_search_where(qvec, POOL, both, exact=True)[0])
        meta = store.item_rows(sorted(pool), where, qvec if exact else None)  # the pool's items, whole
        ids = np.array(sorted(meta), dtype=np.int64)
        m = [meta[int(i)] for i in ids]
        local_item: dict[int, int] = {}
        corpus = Corpus(committee=np.array([(r["committee"] or "").lower() for r in m], dtype=str),
                        date=np.array([r["meeting_date"] or "" for r in m], dtype="<U10"),
                        section=np.array([r["section"] for r in m], dtype=str),
                        source=np.array([r["source"] for r in m], dtype=object),
                        item_of=np.array([local_item.setdefault(r["item"], len(local_item)) for r in m], dtype=np.int64),
                        n_items=len(local_item),
                        records_agreement=np.array([r["agreement"] for r in m], dtype=bool))
        lexical = np.zeros(len(ids), np.float32)
        if len(lex_ids):
            at = np.minimum(np.searchsorted(lex_ids, ids), len(lex_ids) - 1)
            lexical = np.where(lex_ids[at] == ids, lex_scores[at], 0.0).astype(np.float32)
        if qvec is None:
            dense = np.zeros(len(ids), np.float32)
            nd = np.zeros(len(ids), np.float32)
        else:
            if exact:
                dense = np.array([r["cosine"] for r in m], dtype=np.float32)
            else:
                dense = np.array([dense_of.get(int(i), -1.0) for i in ids], dtype=np.float32)
            nd = _normalise_with(dense, d_lo, d_hi, d_worst)
        nl = _normalise_with(lexical, lex_lo, lex_hi, lex_worst) if len(lex_ids) else np.zeros(len(ids), np.float32)
        fused = (ALPHA * nd + (1.0 - ALPHA) * nl).astype(np.float32)
        return ids, corpus, lexical, dense, fused

    def run(self, question: str, k: int | None = None, filters: Filters | None = None,
            mode: str = "final") -> SearchResult:
        question, k = self._checked(question, k, mode)
        timings = {}
        t0 = time.perf_counter()
        searched, corrected, intent = self.understand(question)
        if self.store.size == 0:
            return SearchResult([], 0.0, intent, {"total_ms": 0.0}, [], searched, corrected)
        qvec = self.embedder.encode_query(searched) if mode != "lexical" else None
        timings["dense_ms"] = (time.perf_counter() - t0) * 1000
        n = max(self.settings.candidates, 3 * k)
        t1 = time.perf_counter()
        got = self.pool(searched if mode != "dense" else "", qvec, intent, filters, n)
        timings["pool_ms"] = (time.perf_counter() - t1) * 1000
        if got is None:
            return SearchResult([], 0.0, intent, {"total_ms": 0.0}, [], searched, corrected)
        ids, corpus, lexical, dense, fused = got
        unfamiliar = tuple(self.version.lexical.unfamiliar(searched))
        last = self.meeting_dates[-1] if self.meeting_dates else None
        after = bool(last and intent.since and intent.since > last)
        mask = np.ones(len(ids), dtype=bool)
        if mode != "final":
            scores = {"lexical": lexical, "dense": dense, "fused": fused}.get(mode)
            if scores is None:
                scores = fusion.rrf([lexical, dense], self.settings.rrf_k, mask)
            local = fusion.top_k(scores, max(k * 4, k + 10), mask)
            self.rows.prefetch(ids[local])
            sparse = _Scores({int(ids[j]): float(scores[j]) for j in local})
            passages = self.widener.passages([int(ids[j]) for j in local], sparse, k, widen=False,
                                             focus=self._focus(searched, intent, qvec))
            timings["total_ms"] = (time.perf_counter() - t0) * 1000
            return SearchResult(passages, float(scores[local[0]]) if local else 0.0, intent, timings, passages,
                                searched, corrected, unfamiliar=unfamiliar, after_papers=after)
        t2 = time.perf_counter()
        cands = gather(corpus, lexical, dense, intent, mask, n, fused=fused)
        cands = replace(cands, ids=ids[cands.ids])
        self.rows.prefetch(cands.ids)
        self.sentence_vectors.prefetch(cands.ids)
        evidence = features(searched, qvec, intent, cands, self.version.passages, self.sentence_vectors,
                            self.version.lexical)
        timings["evidence_ms"] = (time.perf_counter() - t2) * 1000
        result = SearchResult([], 0.0, intent, timings, [], searched, corrected, unfamiliar=unfamiliar,
                              after_papers=after, evidence=evidence, candidates=cands, qvec=qvec)
        out = self.rerank(result, k)
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        return out

    def rerank(self, result: SearchResult, k: int | None = None, ranker=None) -> SearchResult:
        """``Retriever.rerank`` with sparse scores (a corpus-sized array per question is what this avoids)."""
        k = self.settings.top_k if k is None else k
        ranker = ranker or self.ranker
        evidence, cands = result.evidence, result.candidates
        probabilities = ranker.passage.probability(evidence.matrix)
        local = np.argsort(-probabilities, kind="stable")
        order = cands.ids[local]
        scores = _Scores({int(i): float(p) for i, p in zip(cands.ids, probabilities)})
        Q = question_features(evidence, probabilities, local, sum(s for _, s in result.unfamiliar), result.searched)
        confidence = float(ranker.answerability(Q[None, :])[0])
        widen = self.settings.context_chars > 0
        focus = self._focus(result.searched, result.intent, result.qvec)  # issue 16: the page of the words
        matches = self.widener.passages(order, scores, k, widen=False, focus=focus)
        passages = self.widener.passages(order, scores, k, widen=widen, focus=focus) if widen else matches
        closeness = float(evidence.matrix[local[0], FEATURES.index("dense")]) if len(local) else 0.0
        return replace(result, passages=passages, matches=matches, confidence=confidence, closeness=closeness,
                       probabilities=probabilities)

    def item_passages(self, passage_id: int) -> list[int]:
        return self.store.item_members(int(self.corpus.item_of[passage_id]))
