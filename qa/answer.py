"""The extractive answer: the sentences of the top passages that best answer the question.

Every sentence is copied verbatim from its passage (with its offsets in the source document) and marked
``[n]`` with the rank of the passage it came from, so each claim can be checked. Sentences are scored by
the share of the question's informative words (weighted by rarity in the corpus) they contain, with a
small preference for higher-ranked passages and, when the question asks what was decided, for
resolutions. No text is generated, so nothing can be said that the papers do not say.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from .records import Answer, AnswerSentence, Passage
from .sentences import header_row, is_table_row, split as split_sentences

def not_found(reason: str = "no passage answers this closely enough") -> str:
    return (f"Not found in the panel papers: {reason}. "
            "The nearest passages are listed below; try other words, a date or a committee.")


NOT_FOUND = not_found()

_REFERS_BACK = re.compile(r"^\W*(?:\w+\s+){0,3}?(?:this|these|those|such|it|they|the\s+same)\b"
                          # "The software went live in October 2018", after the sentence that named it
                          r"|^\W*the\s+(?:new\s+)?(?:software|technology|app|system|tool|scheme|service|project|programme|pilot|"
                          r"initiative|campaign|fund|grant|survey|review|operation|contract|facility)\b", re.I)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text`` (see :mod:`qa.sentences`)."""
    return split_sentences(text)


def _score(sentence: str, weights: dict[str, float], tokenize) -> float:
    if not weights:
        return 0.0
    toks = set(tokenize(sentence))
    return sum(w for t, w in weights.items() if t in toks) / sum(weights.values())


# "what was the PCC's salary", "what is the cost of the scheme": the thing asked for is an amount of money.
_ASKS_AN_AMOUNT = re.compile(r"\s*what(?:['’]?s\s+|\s+(?:was|is|were|are|will\s+be)\s+)(?:the\s+)?(?:[\w'’-]+\s+){0,3}?"
                             r"(?:salary|salaries|pay|wages?|cost|price|fees?|allowances?|budget)"
                             r"(?:\s+(?:of|for)\s+[^?]*)?\s*\??\s*$")


def expected_type(question: str) -> str | None:
    """What kind of answer the question asks for: a count, an amount of money, a percentage or a date;
    None when any sentence may answer it ("what did the Board say about ...")."""
    q = question.lower()
    if re.search(r"%|\bper ?cent|\bpercentage|\bproportion\b|\bshare of\b|\brate\b", q):
        return "percent"
    if re.match(r"\s*(?:when\b|(?:on\s+)?what\s+(?:date|day|month|year|time)\b)", q):
        return "date"
    if _ASKS_AN_AMOUNT.match(q):
        return "money"
    if re.search(r"\bhow\s+much\b", q) and re.search(r"\b(?:money|fund\w*|cash|cost\w*|spen[dt]\w*|budget\w*|grant\w*|"
                                                     r"paid|pay\w*|worth|allocat\w*|award\w*|receiv\w*|get|got)\b|£", q):
        return "money"
    if _QUANTITY.match(question) or re.search(r"\b(?:how\s+many|number\s+of|total|volume)\b", q):
        return "figure"
    return None


_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
                 r"thousand|million|dozen|twice|double|half|once")
_TYPE_PATTERNS = {
    "percent": re.compile(r"\d\s?%|\d\s?(?:per ?cent|pp|percentage points?)\b|\b(?:a|one|two|three)[\s-]+(?:quarters?|thirds?)\b|\b(?:half|majority)\b|\b\d+\s+(?:in|out of)\s+\d+", re.I),
    "money": re.compile(r"£\s?\d|\d\s?(?:m|k|bn|million|billion)\b|\d\s?(?:pounds)\b", re.I),
    # A number standing alone: not the "19" of "Covid-19" or the "4" of "Q4".
    "figure": re.compile(rf"(?<![\w-])£?\d[\d,.]*%?(?![\w-])|\b(?:{_NUMBER_WORDS})\b", re.I),
    "date": re.compile(r"\b(?:19|20)\d\d\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|"
                       r"\b\d{1,2}(?:[.:]\d\d)?\s?(?:am|pm)\b|\b(?:spring|summer|autumn|winter|monday|tuesday|"
                       r"wednesday|thursday|friday|week|month|year)\b", re.I),
}


# A figure followed by one of these measures something; it does not count things ("90 miles").
_MEASURE = re.compile(r"\s*(?:%|per\s?cent|percentage|pp\b|miles?|km|kilomet\w*|metres?|minutes?|mins?|hours?|hrs?|"
                      r"seconds?|secs?|days?|weeks?|months?|years?|yrs?|pounds?|million|m\b|k\b|bn\b)", re.I)
_COUNTED = re.compile(r"\bhow\s+many\s+(\w+)", re.I)
_DAY_OF_MONTH = re.compile(r"(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.I)


@dataclass(frozen=True)
class AnswerKind:
    """The kind of answer a question asks for, read once per question, and the test a sentence must pass
    to give one: an answer of that kind that the question did not already contain. For "how many
    <things>", a measure ("90 miles", "13 hours"), an amount or a year is not a count of things, unless the
    things asked about are themselves a measure ("how many hours")."""

    kind: str
    asked: frozenset
    counting: bool

    @classmethod
    def of(cls, question: str, kind: str | None = None) -> "AnswerKind | None":
        kind = kind or expected_type(question)
        if kind is None:
            return None
        asked = frozenset(m.group(0).lower().rstrip(".,") for m in _TYPE_PATTERNS[kind].finditer(question))
        counted = _COUNTED.search(question)
        counting = kind == "figure" and counted is not None and not _MEASURE.fullmatch(" " + counted.group(1))
        return cls(kind, asked, counting)

    def given_by(self, sentence: str) -> bool:
        for m in _TYPE_PATTERNS[self.kind].finditer(sentence):
            token = m.group(0).lower().rstrip(".,")
            if token in self.asked:
                continue
            if self.kind in ("figure", "date") and _is_bare_label(sentence, m):
                continue
            if self.kind == "figure" and _DAY_OF_MONTH.match(sentence, m.end()):
                continue  # the "1" of "1 April 2019" is a day, not a figure
            if self.counting and (token.startswith("£") or token.endswith("%") or _MEASURE.match(sentence, m.end())
                                  or re.fullmatch(r"(?:19|20)\d\d", token)):
                continue  # a measure, an amount, a percentage or a year is not a count of things
            return True
        return False


def gives(kind: str, sentence: str, question: str) -> bool:
    """Whether ``sentence`` gives an answer of ``kind`` to ``question`` (see ``AnswerKind``)."""
    return AnswerKind.of(question, kind).given_by(sentence)


def _is_bare_label(sentence: str, m: re.Match) -> bool:
    """A paragraph or list number ("3.5 The Home Office ...", "(ii)") is not a figure."""
    before = sentence[:m.start()]
    return not before.strip() and bool(re.match(r"\d{1,2}(?:\.\d{1,2})*\.?\s", sentence[m.start():]))


@dataclass(frozen=True)
class Candidate:
    score: float
    passage: Passage
    start: int  # within passage.text
    end: int

    @property
    def text(self) -> str:
        return self.passage.text[self.start:self.end]


COSINE_WEIGHT = 0.5  # the reading stage's closeness in meaning, beside the share of the question's words


def candidates(question: str, passages: list[Passage], lexical, wants_decision: bool,
               from_top: int = 3, kind: "AnswerKind | None" = None, cosines=None) -> list[Candidate]:
    """Every sentence of the top passages, scored by the share of the question's informative words it holds
    and (when ``cosines`` gives them: passage -> {(start, end) in the source: cosine}) how close in meaning
    it is to the question, best first. A sentence holding the kind of answer asked for (a figure, a date)
    ranks above one that only repeats the question's words."""
    tokenize = lexical.tokenize
    weights = lexical.weights(question)
    kind = AnswerKind.of(question) if kind is None else kind
    out = []
    for p in passages[:from_top]:
        previous = 0.0
        near = cosines(p) if cosines else {}
        for s, e in sentences(p.text):
            text = p.text[s:e]
            score = _score(text, weights, tokenize)
            score += COSINE_WEIGHT * near.get((p.citation.start + s, p.citation.start + e), 0.0)
            if _REFERS_BACK.match(text):
                # "This service commenced in January 2020" continues the sentence before, which named it.
                score = max(score, 0.9 * previous)
            previous = score
            score += 0.08 * (from_top - p.rank) / from_top
            if wants_decision and p.citation.section == "resolution":
                score += 0.15
            if kind and kind.given_by(text):
                score += 0.1
            if len(text) > 600:  # a table row or run-on fragment is a poor answer
                score -= 0.1
            out.append(Candidate(score, p, s, e))
    out.sort(key=lambda c: (-c.score, c.passage.rank, c.start))
    return out


def words_at(question: str, lexical, wants_decision: bool = False, cosines=None):
    """Where the words that answer ``question`` are in a shown passage, for its citation's page (qa.widen's
    ``focus``): a callable from a passage to the document offset where the best sentence of the chunk that
    matched begins, scored as :func:`candidates` scores the answer's sentences (the question's weighted
    words, closeness in meaning when ``cosines`` is given). Only the matched chunk is read: the context
    shown around it is there to be read with it, and its sentences often repeat the question's words (a
    heading, the meeting's date) without holding the answer (measured: scripts/check_pages.py, README).
    None (the matched chunk's start) when nothing tells its sentences apart: no informative word, no cosine."""
    kind = AnswerKind.of(question)
    informative = bool(lexical.weights(question))

    def at(p: Passage) -> int | None:
        if not informative and cosines is None:
            return None
        c = p.citation
        lo, hi = p.matched if p.matched else (c.start, c.end)
        lo, hi = max(lo, c.start), min(hi, c.end)
        chunk = replace(p, text=p.text[lo - c.start:hi - c.start], citation=replace(c, start=lo, end=hi))
        near = (lambda _: cosines(p)) if cosines is not None else None  # keyed by source offsets: the same
        scored = candidates(question, [chunk], lexical, wants_decision, from_top=1, kind=kind, cosines=near)
        if not scored or scored[0].score <= scored[-1].score:
            return None  # every sentence scores alike: no sentence is the one that matched
        return lo + scored[0].start

    return at


LIST_ITEMS = 6  # of a list introduced by the best sentence ("on the following dates:"), at most


def extract_answer(question: str, passages: list[Passage], lexical, wants_decision: bool,
                   max_sentences: int = 2, from_top: int = 3,
                   scored: list[Candidate] | None = None) -> tuple[str | None, tuple[AnswerSentence, ...]]:
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
    scored = candidates(question, passages, lexical, wants_decision, from_top) if scored is None else scored
    if not scored:
        return None, ()
    best = scored[0]
    chosen = [best]
    if best.text.rstrip().endswith(":"):
        # "... scheduled to take place on the following dates:" — the answer is the list that follows.
        spans = sentences(best.passage.text)
        at = spans.index((best.start, best.end))
        chosen += [Candidate(best.score, best.passage, s, e) for s, e in spans[at + 1:at + 1 + LIST_ITEMS]]
    elif _REFERS_BACK.match(best.text):
        # "Aside from this one-off grant ..." needs the sentence that says which grant.
        spans = sentences(best.passage.text)
        at = spans.index((best.start, best.end))
        if at > 0:
            s, e = spans[at - 1]
            chosen.append(Candidate(best.score, best.passage, s, e))
    if is_table_row(best.text):
        # A figure in a table is read with its column headings, never as a run of cells.
        spans = sentences(best.passage.text)
        header = header_row(best.passage.text, spans, spans.index((best.start, best.end)))
        if header is not None:
            chosen.append(Candidate(best.score, best.passage, *header))
    for c in scored[1:]:
        if len(chosen) >= max_sentences:
            break
        if c.score >= 0.75 * best.score and c.score > 0.2 and not any(
                c.passage.id == x.passage.id and abs(c.start - x.start) < 5 for x in chosen):
            chosen.append(c)
    chosen.sort(key=lambda c: (c.passage.rank, c.start))
    out = tuple(
        AnswerSentence(text=c.text, passage_rank=c.passage.rank, start=c.passage.citation.start + c.start,
                       end=c.passage.citation.start + c.end)
        for c in chosen
    )
    return " ".join(f"{a.text} [{a.passage_rank}]" for a in out), out


_QUANTITY = re.compile(
    r"^\s*(?:how\s+(?:many|much|often|long)|what\s+(?:number|percentage|proportion|amount|figure|total|sum)|"
    r"what\s+(?:was|were|is|are)\s+the\s+(?:number|volume|total|amount|cost|figure|rate|percentage|value))\b",
    re.I,
)
_NUMERIC_TOKEN = re.compile(r"^(?:fy\d{4}|£?\d[\d,.]*%?)$")
# A sentence that says the thing asked about was not known or not available is not an answer to it.
_NOT_KNOWN = re.compile(r"\b(?:(?:was|were|is|are)\s+(?:not\s+(?:yet\s+)?|un)(?:known|available|confirmed|decided)|"
                        r"no\s+(?:figures?|data|information)\s+(?:was|were|is|are)\s+(?:yet\s+)?available)\b", re.I)
# A sentence "relevant" to the question scores at least this share of the best one.
RELEVANT_SHARE = 0.8
_KIND_NAMES = {"percent": "percentage or rate", "money": "amount of money", "figure": "figure", "date": "date"}


def _is_figure(token: str) -> bool:
    """A year, financial year, amount or count ("2019", "fy1819", "£364,000", "5.1%")."""
    return bool(_NUMERIC_TOKEN.match(token)) and any(c.isdigit() for c in token)


def unsupported(question: str, passages, scored: list[Candidate], lexical, item_tokens,
                kind: "AnswerKind | None", date_phrase: str | None = None) -> str | None:
    """Why the best passages cannot answer the question, or None. Two checks a reader would make:
    the kind of answer asked for (a figure, an amount, a percentage, a date) must be given by a sentence
    that matches the question about as well as the best one does; and a specific year or figure named in
    the question must appear in the agenda item the answer comes from."""
    tokenize = lexical.tokenize
    if scored and _NOT_KNOWN.search(scored[0].text):
        return "the papers say this was not known"
    if kind and scored:
        relevant = [c for c in scored if c.score >= RELEVANT_SHARE * scored[0].score]
        if not any(kind.given_by(c.text) for c in relevant):
            return f"the passages found give no {_KIND_NAMES[kind.kind]} for this"
    # The numbers of a date the question names ("Sept 19") choose the meeting; they are not figures asked about.
    asked = question.replace(date_phrase, " ") if date_phrase else question
    specific = {t for t in set(tokenize(asked)) if _is_figure(t)}
    if specific:
        top = passages[:3]
        def covered(p) -> bool:
            known = item_tokens(p) | set(tokenize((p.citation.meeting_date or "")[:4]))
            return specific <= known
        if not any(covered(p) for p in top):
            shown = [f"20{t[2:4]}/{t[4:]}" if t.startswith("fy") else t for t in sorted(specific)]
            return "the passages found do not mention " + ", ".join(shown)
    return None


# Words of a question about what was planned or expected, which papers can answer before the event.
_LOOKS_AHEAD = re.compile(r"\b(?:next|upcoming|future|plan\w*|schedul\w*|expect\w*|will|due|postpon\w*|until|"
                          r"deadline|forecast\w*|budget\w*|propos\w*|intend\w*|going\s+to|dates|"
                          r"when\s+(?:is|are)|meet(?:ing)?s?\s+in)\b", re.I)


# A sentence reporting that an event was still to come, or a decision still to be made.
_STILL_TO_COME = re.compile(r"\b(?:(?:was|were|is|are)\s+(?:expected|due|scheduled|planned)\s+to\s+(?:take\s+place|happen|"
                            r"be\s+(?:held|published|carried\s+out))|will\s+take\s+place)\b", re.I)
_STILL_TO_DECIDE = re.compile(r"\b(?:would\s+(?:shortly\s+|soon\s+)?be\s+(?:making\s+a\s+decision|deciding|considering)|"
                              r"(?:was|were|had)\s+(?:still\s+)?yet\s+to\s+(?:be\s+)?(?:decide|agree|approve|confirm)\w*|"
                              r"awaiting\s+(?:a\s+|the\s+)?decision)\b", re.I)


def still_to_come(question: str, scored: list[Candidate]) -> str | None:
    """A question about how something turned out ("what grades did the inspection give", "did they go ahead
    with ..."), answered by a sentence saying it was still to take place or still to be decided, is not
    answered by it."""
    if not scored or _LOOKS_AHEAD.search(question) or not re.search(r"\b(?:did|was|were|had)\b", question, re.I):
        return None
    if _STILL_TO_COME.search(scored[0].text):
        return "the papers say this was still to take place"
    if _STILL_TO_DECIDE.search(scored[0].text):
        return "the papers say this was still to be decided"
    return None


# A question about something the papers do not cover ("best pizza in leicester", "who designed the
# cathedral") shares a common word or two with many passages, so the confidence above does not catch it.
# What gives it away: no passage is close in meaning, or words carrying a good part of the question are words
# the papers never use and the closest passage is only loosely related. Measured on the question sets and
# on questions about other council matters (README); paraphrased questions that the papers do answer are
# closer in meaning (cosine 0.38 and up for nine in ten of them).
UNRELATED_CLOSENESS = 0.20
UNFAMILIAR_SHARE = 0.35
UNFAMILIAR_CLOSENESS = 0.35


def not_covered(result) -> str | None:
    """Why the papers do not seem to cover the question at all, or None."""
    if result.closeness < UNRELATED_CLOSENESS:
        return "no passage is close in meaning to the question"
    share = sum(s for _, s in result.unfamiliar)
    if share >= UNFAMILIAR_SHARE and result.closeness < UNFAMILIAR_CLOSENESS:
        words = ", ".join(f'"{w}"' for w, _ in result.unfamiliar[:3])
        return f"the papers never use {words} and no passage is close in meaning"
    return None


def after_the_papers(question: str, intent, last_meeting: str | None) -> str | None:
    """A question about a period after the last meeting in the papers asks what they cannot record
    ("who won the May 2021 election", papers ending in 2020), unless it asks what was planned."""
    if not last_meeting or not intent.since or intent.since in ("latest", "previous") or intent.since <= last_meeting:
        return None
    if _LOOKS_AHEAD.search(question):
        return None
    return f"the papers end with the meeting of {last_meeting}; they cannot say what happened after it"


def build_answer(question: str, result, threshold: float, lexical, filters=None, item_tokens=None,
                 last_meeting: str | None = None, checks: bool = False, cosines=None) -> Answer:
    understood = result.intent.to_dict()
    if filters is not None and not filters.is_empty():
        understood["filters"] = filters.to_dict()
    understood["confidence"] = round(float(result.confidence), 4)
    if result.corrected:
        understood["corrected"] = dict(result.corrected)
    typed, question = question, result.searched or question  # sentences are matched to the corrected words
    passages = tuple(result.passages)
    if not passages:
        return Answer(question=typed, abstained=True, passages=passages, message=NOT_FOUND, understood=understood)
    kind = AnswerKind.of(question)  # read once, used to rank sentences and to check them
    wants_decision = result.intent.wants_decision
    # The checks are made on the chunks that matched, not on the context shown around them: a figure two
    # paragraphs away from what matched does not make a question answerable.
    reason = after_the_papers(question, result.intent, last_meeting)
    if checks and reason is None:
        # The hand-written form checks (off by default: Settings.form_checks), made on the chunks that
        # matched, not on the context shown around them.
        matches = list(result.matches)
        checked = candidates(question, matches, lexical, wants_decision, kind=kind)
        reason = not_covered(result) or still_to_come(question, checked)
        if reason is None and item_tokens:
            reason = unsupported(question, matches, checked, lexical, item_tokens, kind, result.intent.date_phrase)
    if reason is None and result.confidence < threshold:
        reason = "the ranker is not confident that any passage answers this"
    if reason:
        understood["abstained_because"] = reason
        return Answer(question=typed, abstained=True, passages=passages, message=not_found(reason),
                      understood=understood)
    # The answer's sentences may come from the context: that is what it is shown for.
    scored = candidates(question, list(passages), lexical, wants_decision, kind=kind, cosines=cosines)
    text, sents = extract_answer(question, list(passages), lexical, wants_decision, scored=scored)
    return Answer(question=typed, abstained=False, passages=passages, text=text, sentences=sents,
                  understood=understood)
