"""The extractive answer: the sentences of the top passages that best answer the question.

Every sentence is copied verbatim from its passage (with its offsets in the source document) and marked
``[n]`` with the rank of the passage it came from, so each claim can be checked. Sentences are scored by
the share of the question's informative words (weighted by rarity in the corpus) they contain, with a
small preference for higher-ranked passages and, when the question asks what was decided, for
resolutions. No text is generated, so nothing can be said that the papers do not say.
"""
from __future__ import annotations

import re

from .records import Answer, AnswerSentence, Passage

NOT_FOUND = ("Not found in the panel papers: no passage answers this closely enough. "
             "The nearest passages are listed below; try other words, a date or a committee.")

# Sentence ends, list items and blank lines all end a sentence; keep offsets.
_BOUNDARY = re.compile(r"(?<=[.!?;:])[\"'’”)]*\s+(?=[\"'‘“(]?[A-Z0-9(•·-])|\n\s*\n|\n(?=\s*(?:[-•·*]|\(?[a-z0-9]{1,4}\)|[ivx]+\.))")


_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Cllr|Prof|St|No|Nos|Cl|Sgt|Insp|Supt|Det|Rev|Hon|Co|Ltd|e\.g|i\.e|etc|cf|approx|para|Apt|vs)\.|\b[A-Z]\.)$")


_REFERS_BACK = re.compile(r"^\W*(?:\w+\s+){0,3}?(?:this|these|those|such|it|they|the\s+same)\b", re.I)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text``, whitespace trimmed."""
    spans, pos = [], 0
    for m in _BOUNDARY.finditer(text):
        if _ABBREVIATION.search(text[max(pos, m.start() - 8):m.start()]):
            continue  # "Mrs. D. Taylor": a title or an initial, not the end of a sentence
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= 12 and re.search(r"[A-Za-z]{3}", text[s:e]):
            out.append((s, e))
    return out


def _score(sentence: str, weights: dict[str, float], tokenize) -> float:
    if not weights:
        return 0.0
    toks = set(tokenize(sentence))
    return sum(w for t, w in weights.items() if t in toks) / sum(weights.values())


def extract_answer(question: str, passages: list[Passage], lexical, wants_decision: bool,
                   max_sentences: int = 2, from_top: int = 3) -> tuple[str | None, tuple[AnswerSentence, ...]]:
    if wants_decision:
        # A question about a decision is answered from the resolution itself, clause by clause.
        resolution = next((p for p in passages[:from_top] if p.citation.section == "resolution"), None)
        if resolution is not None:
            spans = [(s, e) for s, e in sentences(resolution.text)
                     if not re.fullmatch(r"\W*(?:unanimously\s+)?resolved\W*", resolution.text[s:e], re.I)]
            out = tuple(AnswerSentence(resolution.text[s:e], resolution.rank, resolution.citation.start + s,
                                       resolution.citation.start + e) for s, e in spans[:4])
            if out:
                return " ".join(f"{a.text} [{a.passage_rank}]" for a in out), out
    tokenize = lexical.tokenize
    weights = lexical.weights(question)
    candidates = []
    for p in passages[:from_top]:
        for s, e in sentences(p.text):
            text = p.text[s:e]
            score = _score(text, weights, tokenize) + 0.08 * (from_top - p.rank) / from_top
            if wants_decision and p.citation.section == "resolution":
                score += 0.15
            if len(text) > 600:  # a table row or run-on fragment is a poor answer
                score -= 0.1
            candidates.append((score, p.rank, s, e, p))
    if not candidates:
        return None, ()
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    chosen = [candidates[0]]
    best = candidates[0]
    if _REFERS_BACK.match(best[4].text[best[2]:best[3]]):
        # "Aside from this one-off grant ..." needs the sentence that says which grant.
        spans = sentences(best[4].text)
        at = spans.index((best[2], best[3]))
        if at > 0:
            s, e = spans[at - 1]
            chosen.append((best[0], best[1], s, e, best[4]))
    for c in candidates[1:]:
        if len(chosen) >= max_sentences:
            break
        if c[0] >= 0.75 * chosen[0][0] and c[0] > 0.2 and not any(c[4].id == x[4].id and abs(c[2] - x[2]) < 5 for x in chosen):
            chosen.append(c)
    chosen.sort(key=lambda c: (c[1], c[2]))
    out = tuple(
        AnswerSentence(text=p.text[s:e], passage_rank=p.rank, start=p.citation.start + s, end=p.citation.start + e)
        for _, _, s, e, p in chosen
    )
    return " ".join(f"{a.text} [{a.passage_rank}]" for a in out), out


_QUANTITY = re.compile(
    r"^\s*(?:how\s+(?:many|much|often|long)|what\s+(?:number|percentage|proportion|amount|figure|total|sum)|"
    r"what\s+(?:was|were|is|are)\s+the\s+(?:number|volume|total|amount|cost|figure|rate|percentage|value))\b",
    re.I,
)
_NUMERIC_TOKEN = re.compile(r"^(?:fy\d{4}|£?\d[\d,.]*%?)$")


def _is_figure(token: str) -> bool:
    """A year, financial year, amount or count ("2019", "fy1819", "£364,000", "5.1%")."""
    return bool(_NUMERIC_TOKEN.match(token)) and any(c.isdigit() for c in token)


def unsupported(question: str, passages, sents, lexical, item_tokens) -> str | None:
    """Why the best passages cannot answer the question, or None. Two checks a reader would make:
    a figure asked for must be given (a number the question did not already contain), and a specific
    year or figure named in the question must appear in the agenda item the answer comes from."""
    tokenize = lexical.tokenize
    q_tokens = set(tokenize(question))
    if _QUANTITY.match(question):
        numbers = {t for a in sents for t in tokenize(a.text) if _is_figure(t)}
        if not numbers - q_tokens:
            return "the passages found give no figure for this"
    specific = {t for t in q_tokens if _is_figure(t)}
    if specific:
        top = passages[:3]
        def covered(p) -> bool:
            known = item_tokens(p) | set(tokenize((p.citation.meeting_date or "")[:4]))
            return specific <= known
        if not any(covered(p) for p in top):
            return "the passages found do not mention " + ", ".join(sorted(specific))
    return None


def build_answer(question: str, result, threshold: float, lexical, filters=None, item_tokens=None) -> Answer:
    understood = result.intent.to_dict()
    if filters is not None and not filters.is_empty():
        understood["filters"] = filters.to_dict()
    understood["confidence"] = round(float(result.confidence), 4)
    passages = tuple(result.passages)
    if not passages or result.confidence < threshold:
        return Answer(question=question, abstained=True, passages=passages, message=NOT_FOUND, understood=understood)
    text, sents = extract_answer(question, list(passages), lexical, result.intent.wants_decision)
    reason = unsupported(question, passages, sents, lexical, item_tokens) if item_tokens else None
    if reason:
        understood["abstained_because"] = reason
        return Answer(question=question, abstained=True, passages=passages, message=NOT_FOUND, understood=understood)
    return Answer(question=question, abstained=False, passages=passages, text=text, sentences=sents,
                  understood=understood)
