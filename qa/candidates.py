"""Candidates: the few dozen passages worth reading closely, out of the whole index.

First stage of ranking. Every allowed passage gets a BM25 score and a dense (cosine) score; the two are fused
(a convex combination of min-max normalised scores) and given the meeting priors a reader would apply: the
meeting the question names (date, committee), the resolution when a decision is asked for, the agenda item
that matches best overall (an item's discussion and resolution rise together), and agenda entries after the
minutes and reports they preview. The union of the best ``n`` by that prior score and the best few by each
retriever alone goes on to :mod:`qa.evidence`; nothing here decides the final order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from . import fusion

# The weights of the prior score; the learned ranker (qa.ranker) sees it as one feature among many.
ALPHA = 0.35  # dense share of the convex fusion
DATE_PRIOR = 0.35
COMMITTEE_PRIOR = 0.15
DECISION_PRIOR = 0.12
ITEM_PRIOR = 0.15
AGENDA_PRIOR = 0.1

_AGREEMENT = re.compile(r"\b(?:was|were)\s+(?:unanimously\s+)?(?:agreed|resolved|decided)\b|\bagreed\s+(?:that|to)\b", re.I)


@dataclass(frozen=True)
class Corpus:
    """Per-passage metadata as arrays, so masks and priors are vectorised comparisons."""
    committee: np.ndarray  # lower-cased committee name
    date: np.ndarray  # ISO meeting date or ""
    section: np.ndarray
    source: np.ndarray
    item_of: np.ndarray  # agenda item number (0..n_items-1) of each passage
    n_items: int
    records_agreement: np.ndarray  # the passage says something "was agreed"

    @classmethod
    def of(cls, citations, texts) -> "Corpus":
        items: dict[tuple, int] = {}
        item_of = np.array([items.setdefault((c.source, c.committee, c.meeting_date, c.item_number, c.item_title),
                                             len(items)) for c in citations], dtype=np.int64)
        return cls(committee=np.array([(c.committee or "").lower() for c in citations], dtype=str),
                   date=np.array([c.meeting_date or "" for c in citations], dtype="<U10"),
                   section=np.array([c.section for c in citations], dtype=str),
                   source=np.array([c.source for c in citations], dtype=object),
                   item_of=item_of, n_items=len(items),
                   records_agreement=np.array([bool(_AGREEMENT.search(t)) for t in texts], dtype=bool))

    def date_match(self, intent) -> np.ndarray:
        if not intent.since:
            return np.zeros(len(self.date), dtype=bool)
        return (self.date != "") & (self.date >= intent.since) & (self.date <= intent.until)

    def committee_match(self, intent) -> np.ndarray:
        if not intent.committee:
            return np.zeros(len(self.date), dtype=bool)
        return self.committee == intent.committee.lower()

    def item_best(self, scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
        best = np.zeros(self.n_items, dtype=np.float32)
        np.maximum.at(best, self.item_of[mask], scores[mask])
        return best[self.item_of]


def prior_scores(corpus: Corpus, fused: np.ndarray, intent, mask: np.ndarray) -> np.ndarray:
    """The fused score with the meeting priors (see the module docstring)."""
    out = fused.astype(np.float32).copy()
    hit = corpus.date_match(intent)
    if hit.any():
        out += DATE_PRIOR * hit
    out += COMMITTEE_PRIOR * corpus.committee_match(intent)
    item_best = corpus.item_best(out, mask)
    if intent.wants_decision:
        # The resolution of the item that best matches answers "what did they resolve about X", even when its
        # own words ("be noted") share nothing with the question.
        resolution = corpus.section == "resolution"
        out[resolution] = np.maximum(out[resolution], 0.97 * item_best[resolution])
        decided = resolution if intent.wants_resolution else resolution | corpus.records_agreement
        out[decided] += DECISION_PRIOR
    out += ITEM_PRIOR * item_best
    out -= AGENDA_PRIOR * (corpus.section == "agenda")
    out[~mask] = 0.0
    return out


@dataclass(frozen=True)
class Candidates:
    ids: np.ndarray  # passage ids, best prior score first
    lexical: np.ndarray  # BM25 score of each
    dense: np.ndarray  # cosine of each with the question
    fused: np.ndarray
    prior: np.ndarray
    item_best: np.ndarray  # the prior score of the best passage of each one's agenda item
    date_match: np.ndarray
    committee_match: np.ndarray


def gather(corpus: Corpus, lexical: np.ndarray, dense: np.ndarray, intent, mask: np.ndarray, n: int,
           fused: np.ndarray | None = None) -> Candidates:
    """``fused``: the fusion already computed (qa.pgretrieve passes a pool of passages with the fusion
    normalised over the whole corpus); by default the convex fusion of these arrays."""
    if fused is None:
        fused = fusion.convex(dense, lexical, ALPHA, mask)
    prior = prior_scores(corpus, fused, intent, mask)
    ids = list(fusion.top_k(prior, n, mask))
    seen = set(ids)
    for scores in (lexical, dense):  # what one retriever alone ranks high may be what the fusion buries
        for i in fusion.top_k(scores, max(4, n // 5), mask):
            if i not in seen:
                seen.add(i)
                ids.append(i)
    ids = np.array(ids, dtype=np.int64)
    item_best = corpus.item_best(prior, mask)
    return Candidates(ids=ids, lexical=lexical[ids], dense=dense[ids], fused=fused[ids], prior=prior[ids],
                      item_best=item_best[ids], date_match=corpus.date_match(intent)[ids],
                      committee_match=corpus.committee_match(intent)[ids])
