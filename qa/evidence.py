"""Evidence: what a reader would weigh about each candidate passage, as a row of numbers.

Second stage of ranking. For each candidate (qa.candidates) and the question, :func:`features` returns one
row of :data:`FEATURES`: how the retrievers scored it (BM25, cosine, fused, prior, each also relative to the
best candidate), how well its best *sentence* matches (cosine of the question with every sentence of the
passage, embedded at build time; and the share of the question's weighted words that one sentence holds),
whether it records the meeting and committee the question names, its section, and whether it holds the
kind of answer asked for (a figure, an amount, a percentage, a date). The learned ranker (qa.ranker) turns
a row into the probability that the passage answers the question. Sentence-level evidence is what a
bi-encoder can add to reading: a passage about the right topic whose one sentence says the thing asked.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from .answer import AnswerKind
from .sentences import split

FEATURES = (
    "prior", "prior_gap", "fused", "lexical_share", "dense", "dense_gap",
    "sentence_cosine", "sentence_gap", "second_sentence_cosine",
    "cover_passage", "cover_sentence", "cover_best_cosine_sentence",
    "date_asked", "date_match", "committee_match",
    "resolution", "agenda", "report", "decision_asked_resolution",
    "kind_asked", "kind_given", "item_best", "log_rank", "log_chars",
)


class WordSets:
    """The word sets of each candidate passage (its searched text) and of each of its sentences. They do not
    depend on the question, and the same passages are candidates for question after question, so they are
    kept (bounded: cleared past ``limit`` passages). Shared by the folder and PostgreSQL stores' sentences."""

    def __init__(self, limit: int = 16384):
        self.limit = limit
        self._sets: dict[int, tuple[set, list[set]]] = {}
        self._lock = threading.Lock()

    def of(self, i: int, row_of, spans, tokenize) -> tuple[set, list[set]]:
        """Passage ``i``'s word sets; ``row_of()`` gives its row (read only when they are not kept yet)."""
        hit = self._sets.get(i)
        if hit is None:
            row = row_of()
            hit = (set(tokenize(row.lexical_text)), [set(tokenize(row.text[s:e])) for s, e in spans])
            with self._lock:
                if len(self._sets) > self.limit:
                    self._sets.clear()
                self._sets[i] = hit
        return hit


class SentenceVectors:
    """Each passage's sentences (spans relative to the passage text) and their unit vectors.

    Read from the index when it stores them (built with every passage); otherwise embedded on first use
    and kept, so an index built by an older qa still works, only slower on the first questions."""

    def __init__(self, version, embedder_of):
        self.version = version
        self._embedder_of = embedder_of  # a callable: loading the model is deferred until it is needed
        self._cache: dict[int, tuple[list[tuple[int, int]], np.ndarray]] = {}
        self.word_sets = WordSets()
        self._lock = threading.Lock()
        self.stored = getattr(version, "sentence_vectors", None) is not None

    def of(self, i: int) -> tuple[list[tuple[int, int]], np.ndarray]:
        if self.stored:
            rows = self.version.passage_sentences(i)
            base = self.version.passages[i].citation.start
            spans = [(int(s) - base, int(e) - base) for s, e in self.version.sentence_spans[rows]]
            return spans, self.version.sentence_vectors[rows]
        hit = self._cache.get(i)
        if hit is None:
            spans, texts = self._sentences(i)
            vectors = self._encode(texts)
            with self._lock:
                hit = self._cache[i] = (spans, vectors)
        return hit

    def _sentences(self, i: int) -> tuple[list[tuple[int, int]], list[str]]:
        """Passage ``i``'s sentence spans and texts, as the build splits them (a passage with no sentence of
        its own counts as one)."""
        text = self.version.passages[i].text
        spans = split(text) or [(0, len(text))]
        return spans, [text[s:e] for s, e in spans]

    def tokens(self, i: int, spans, tokenize) -> tuple[set, list[set]]:
        """The word sets of passage ``i`` and of each of its sentences (see :class:`WordSets`)."""
        return self.word_sets.of(i, lambda: self.version.passages[i], spans, tokenize)

    def _encode(self, texts: list[str]) -> np.ndarray:
        # each text alone, as the build embeds them: a vector never depends on what it was batched with
        embedder = self._embedder_of()
        each = getattr(embedder, "encode_each", None)
        return each(texts) if each is not None else embedder.encode(texts)

    def prefetch(self, ids) -> None:
        """Embed the sentences of all of ``ids`` not yet known in one batch (evaluation and training)."""
        if self.stored:
            return
        todo = [int(i) for i in ids if int(i) not in self._cache]
        if not todo:
            return
        texts, owners = [], []
        for i in todo:
            spans, sentence_texts = self._sentences(i)
            owners.append((i, spans))
            texts += sentence_texts
        vectors = self._encode(texts)
        at = 0
        with self._lock:
            for i, spans in owners:
                self._cache[i] = (spans, vectors[at:at + len(spans)])
                at += len(spans)


@dataclass(frozen=True)
class Evidence:
    matrix: np.ndarray  # one row per candidate, columns FEATURES
    best_sentence: np.ndarray  # index (into that passage's sentences) of the sentence closest to the question
    sentence_cosines: tuple  # per candidate, the cosine of every sentence (for the answer stage)


def _coverage(tokens: set[str], weights: dict[str, float], total: float) -> float:
    return sum(w for t, w in weights.items() if t in tokens) / total if total else 0.0


def features(question: str, qvec: np.ndarray, intent, cands, passages, sentence_vectors: SentenceVectors,
             lexical) -> Evidence:
    n = len(cands.ids)
    X = np.zeros((n, len(FEATURES)), dtype=np.float32)
    if n == 0:
        return Evidence(X, np.zeros(0, dtype=np.int64), ())
    col = {name: j for j, name in enumerate(FEATURES)}
    weights = lexical.weights(question)
    total = sum(weights.values())
    kind = AnswerKind.of(question)
    tokenize = lexical.tokenize
    best_sentence = np.zeros(n, dtype=np.int64)
    cosines = []
    max_lex = float(cands.lexical.max()) or 1.0
    for r, i in enumerate(cands.ids):
        row = passages[int(i)]
        spans, vectors = sentence_vectors.of(int(i))
        sims = vectors @ qvec if len(vectors) else np.zeros(1, np.float32)
        cosines.append(sims)
        order = np.argsort(-sims)
        best_sentence[r] = int(order[0]) if len(spans) else 0
        X[r, col["sentence_cosine"]] = sims[order[0]]
        X[r, col["second_sentence_cosine"]] = sims[order[1]] if len(order) > 1 else sims[order[0]]
        texts = [row.text[s:e] for s, e in spans]
        passage_tokens, sentence_tokens = sentence_vectors.tokens(int(i), spans, tokenize)
        covers = [_coverage(t, weights, total) for t in sentence_tokens] or [0.0]
        X[r, col["cover_passage"]] = _coverage(passage_tokens, weights, total)
        X[r, col["cover_sentence"]] = max(covers)
        X[r, col["cover_best_cosine_sentence"]] = covers[best_sentence[r]] if texts else 0.0
        section = row.citation.section
        X[r, col["resolution"]] = section == "resolution"
        X[r, col["agenda"]] = section == "agenda"
        X[r, col["report"]] = section == "report"
        X[r, col["decision_asked_resolution"]] = bool(intent.wants_decision) and section == "resolution"
        if kind is not None:
            X[r, col["kind_asked"]] = 1.0
            X[r, col["kind_given"]] = any(kind.given_by(t) for t in texts)
        X[r, col["log_chars"]] = math.log1p(len(row.text))
        X[r, col["lexical_share"]] = cands.lexical[r] / max_lex
    X[:, col["prior"]] = cands.prior
    X[:, col["prior_gap"]] = cands.prior - cands.prior.max()
    X[:, col["fused"]] = cands.fused
    X[:, col["dense"]] = cands.dense
    X[:, col["dense_gap"]] = cands.dense - cands.dense.max()
    X[:, col["sentence_gap"]] = X[:, col["sentence_cosine"]] - X[:, col["sentence_cosine"]].max()
    X[:, col["date_asked"]] = 1.0 if intent.since else 0.0
    X[:, col["date_match"]] = cands.date_match
    X[:, col["committee_match"]] = cands.committee_match
    X[:, col["item_best"]] = cands.item_best
    rank = np.empty(n, dtype=np.float32)
    rank[np.argsort(-cands.prior, kind="stable")] = np.arange(n)
    X[:, col["log_rank"]] = np.log1p(rank)
    return Evidence(X, best_sentence, tuple(cosines))
