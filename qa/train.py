"""Training and measuring the ranker on the question bank, reproducibly.

For every bank question the retriever gathers candidates and their evidence once (they do not depend on the
ranker); a candidate is labelled 1 when the passage shown for it (widened as it would be shown) holds one of
the answer strings and records the gold meeting date. :func:`fit` fits the passage model on those rows, the
question model on the passage model's view of each question (labelled 1 when an answerable question's answer
is among the first five candidates, 0 for an unanswerable one; answerable questions whose answer no
candidate holds say nothing about answerability and are left out), and sets the abstention threshold to
the 5th percentile of the answerable questions' confidence, so that about 5% of them are abstained on.
:func:`cross_validate` measures leave-one-fold-out: every figure is on a fold the model did not see.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .bank import HELD_OUT, BankQuestion, corpus_root
from .config import Settings
from .evaluate import is_hit
from .ranker import QUESTION_FEATURES, Logistic, Ranker, prior_ranker, question_features

ABSTAIN_ANSWERABLE = 0.05  # the share of answerable questions the threshold may abstain on (training folds)
TOP = 5


@dataclass
class Sample:
    question: BankQuestion
    result: object  # SearchResult with candidates and evidence
    labels: np.ndarray  # per candidate


def retriever_for(corpus: str, work: Path, shipped: Path, external: Path, rebuild: bool = False):
    """A retriever over ``corpus``'s own index in ``work`` (built or brought up to date first)."""
    from .build import build_index
    from .embed import DIMENSION, model_id
    from .retrieve import Retriever
    from .store import load_version

    settings = Settings.from_env(corpus_dir=corpus_root(corpus, shipped, external),
                                 index_dir=Path(work) / corpus / "index")
    build_index(settings, rebuild=rebuild, progress=False)
    version = load_version(settings.index_dir, model_id(settings.quantize), DIMENSION)
    return Retriever(version, settings, ranker=prior_ranker())


def labels_of(retriever, result, row: dict) -> np.ndarray:
    if not row.get("answers"):
        return np.zeros(len(result.candidates.ids), dtype=np.int8)
    scores = np.zeros(len(retriever.citations), dtype=np.float32)
    scores[result.candidates.ids] = result.candidates.prior
    out = np.zeros(len(result.candidates.ids), dtype=np.int8)
    for r, i in enumerate(result.candidates.ids):
        shown = retriever.widener.passages([int(i)], scores, 1, widen=retriever.settings.context_chars > 0)
        out[r] = bool(shown) and is_hit(shown[0], row)
    return out


def collect(questions: list[BankQuestion], work: Path, shipped: Path, external: Path,
            progress=None, retrievers: dict | None = None) -> tuple[list[Sample], dict]:
    """Candidates, evidence and labels of every question (``retrievers``: {corpus: Retriever} already
    loaded; the others are built in ``work``)."""
    retrievers, samples = dict(retrievers or {}), []
    for n, q in enumerate(questions):
        if q.corpus not in retrievers:
            retrievers[q.corpus] = retriever_for(q.corpus, work, shipped, external)
        r = retrievers[q.corpus]
        first = r.run(q.row["question"], k=10, mode="final")
        r.sentence_vectors.prefetch(first.candidates.ids)
        samples.append(Sample(q, first, labels_of(r, first, q.row)))
        if progress:
            progress(n + 1, len(questions))
    return samples, retrievers


def _question_rows(samples: list[Sample], passage: Logistic):
    rows, labels, answerable = [], [], []
    for s in samples:
        ev = s.result.evidence
        p = passage.probability(ev.matrix)
        order = np.argsort(-p, kind="stable")
        rows.append(question_features(ev, p, order, sum(w for _, w in s.result.unfamiliar), s.result.searched))
        answerable.append(s.question.answerable)
        labels.append(bool(s.labels[order[:TOP]].any()) if s.question.answerable else False)
    return np.array(rows), np.array(labels), np.array(answerable)


def fit(samples: list[Sample], C: float = 1.0, learn_passage: bool = False) -> Ranker:
    """The ranker fitted on ``samples`` (never on fold H). With ``learn_passage`` False (the default, see
    the README: a learned passage order lost to the prior order on held-out folds) the passage model keeps
    the candidates' prior order and only the question model (abstention) is learned."""
    from .evidence import FEATURES

    train = [s for s in samples if s.question.fold != HELD_OUT]
    X = np.vstack([s.result.evidence.matrix for s in train])
    y = np.concatenate([s.labels for s in train])
    passage = Logistic.fit(X, y, FEATURES, C=C) if learn_passage else prior_ranker().passage
    Q, ql, answerable = _question_rows(train, passage)
    keep = ql | ~answerable  # answerable without any candidate holding the answer: left out
    question = Logistic.fit(Q[keep], ql[keep].astype(int), QUESTION_FEATURES, C=C)
    conf = question.probability(Q[answerable])
    threshold = float(np.quantile(conf, ABSTAIN_ANSWERABLE)) if len(conf) else 0.0
    digest = hashlib.sha256("\n".join(sorted(s.question.row.get("id", "") for s in train)).encode()).hexdigest()[:16]
    trained_on = {"questions": len(train), "candidates": int(len(y)), "positives": int(y.sum()),
                  "passage_model": "learned" if learn_passage else "prior order",
                  "folds": sorted({s.question.fold for s in train}), "question_ids_sha256": digest, "C": C}
    return Ranker(passage, question, threshold, trained_on)


def measure(samples: list[Sample], retrievers: dict, ranker: Ranker, k: int = 10,
            checks: bool = False) -> list[dict]:
    """Per question: the rank of the first shown passage holding the answer (None if none in the top
    ``k``), and whether the answer abstained."""
    from .answer import build_answer

    out = []
    for s in samples:
        r = retrievers[s.question.corpus]
        result = r.rerank(s.result, k, ranker)
        answer = build_answer(s.question.row["question"], result, ranker.threshold, r.version.lexical,
                              item_tokens=r._item_tokens if checks else None,
                              last_meeting=r.meeting_dates[-1] if r.meeting_dates else None, checks=checks,
                              cosines=r.sentence_cosines(result.qvec) if result.qvec is not None else None)
        rank = next((p.rank for p in answer.passages[:k] if is_hit(p, s.question.row)), None)
        out.append({"id": s.question.row.get("id"), "fold": s.question.fold, "answerable": s.question.answerable,
                    "rank": rank if s.question.answerable else None, "abstained": answer.abstained})
    return out


def summarise(rows: list[dict]) -> dict:
    ans = [r for r in rows if r["answerable"]]
    unans = [r for r in rows if not r["answerable"]]
    n = len(ans) or 1
    return {
        "answerable": len(ans), "unanswerable": len(unans),
        "cited@1": sum(1 for r in ans if r["rank"] == 1) / n,
        "cited@5": sum(1 for r in ans if r["rank"] and r["rank"] <= 5) / n,
        "mrr@10": sum(1 / r["rank"] for r in ans if r["rank"]) / n,
        "unanswerable_abstained": (sum(r["abstained"] for r in unans) / len(unans)) if unans else None,
        "answerable_abstained": sum(r["abstained"] for r in ans) / n,
    }


def cross_validate(samples: list[Sample], retrievers: dict, C: float = 1.0, checks: bool = False,
                   learn_passage: bool = False) -> dict:
    """Leave-one-fold-out over every fold but the held-out one: {fold: summary, "pooled": summary}."""
    folds = sorted({s.question.fold for s in samples} - {HELD_OUT})
    pooled, out = [], {}
    for f in folds:
        model = fit([s for s in samples if s.question.fold != f], C=C, learn_passage=learn_passage)
        rows = measure([s for s in samples if s.question.fold == f], retrievers, model, checks=checks)
        out[f] = summarise(rows)
        pooled += rows
    out["pooled"] = summarise(pooled)
    return out
