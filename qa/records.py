"""The records the library passes around: frozen dataclasses with a stable JSON form.

A ``Citation`` is what makes an answer checkable: the source file (relative to the corpus dir), the
meeting and agenda item the text belongs to, and the ``[start, end)`` span of the document's text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

SECTIONS = ("agenda", "minutes", "resolution", "report", "appendix")


@dataclass(frozen=True)
class Meeting:
    committee: str | None
    date: str | None  # ISO YYYY-MM-DD, or None when the document does not say
    # The meeting's own name when the papers give one ("Annual General Meeting", "Special Meeting", "Board
    # Meeting"): it tells apart meetings of one body held the same day.
    title: str | None = None


@dataclass(frozen=True)
class AgendaItem:
    meeting: Meeting
    number: str | None
    title: str | None


@dataclass(frozen=True)
class Section:
    """A span of a document that belongs to one agenda item and has one role."""

    item: AgendaItem
    kind: str  # one of SECTIONS
    start: int
    end: int


@dataclass(frozen=True)
class ParsedDocument:
    source: str  # path relative to the corpus dir, with forward slashes
    text: str
    sections: tuple[Section, ...]
    page_starts: tuple[int, ...] | None = None  # offset where each page begins (PDF only)
    format: str = "text"
    # Where each meeting's date (or its absence) was read: (meeting, start, end) spans of the text.
    meeting_sources: tuple = ()

    def meetings(self) -> list[Meeting]:
        seen: dict[Meeting, None] = {}
        for s in self.sections:
            seen.setdefault(s.item.meeting, None)
        return list(seen)

    def items(self) -> list[AgendaItem]:
        seen: dict[AgendaItem, None] = {}
        for s in self.sections:
            if s.item.number is not None or s.item.title is not None:
                seen.setdefault(s.item, None)
        return list(seen)

    def page_at(self, offset: int) -> int | None:
        if not self.page_starts:
            return None
        import bisect

        # 1-based page number. Text with printed page markers repeats a start for pages it does not
        # hold, so the count is the printed number.
        return bisect.bisect_right(self.page_starts, offset)


@dataclass(frozen=True)
class Citation:
    source: str
    committee: str | None
    meeting_date: str | None
    item_number: str | None
    item_title: str | None
    section: str
    start: int
    end: int
    page: int | None = None
    page_end: int | None = None  # the page holding the span's last character, when it is not ``page``
    # issue 20: the corpus (council, body) the passage belongs to; "" for a folder index (one corpus).
    corpus: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def label(self) -> str:
        """Human-readable one-liner: committee, UK-style date, item."""
        from .dates import uk_date

        parts = [self.committee or "Committee not stated", uk_date(self.meeting_date) or "date not stated"]
        if self.item_number or self.item_title:
            parts.append(f"item {self.item_number}: {self.item_title}" if self.item_number else str(self.item_title))
        return " · ".join(parts)


@dataclass(frozen=True)
class Passage:
    id: int
    text: str
    citation: Citation
    score: float = 0.0
    rank: int = 0
    also_in: tuple[Citation, ...] = ()
    # Document offsets [start, end) of the indexed chunk that matched the question, inside the citation's
    # span; the rest of the text is the chunk's neighbours in the same part of the same agenda item.
    matched: tuple[int, int] | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "text": self.text,
            "citation": self.citation.to_dict(),
            "also_in": [c.to_dict() for c in self.also_in],
            "matched": list(self.matched) if self.matched else None,
        }


@dataclass(frozen=True)
class AnswerSentence:
    text: str  # verbatim from the passage
    passage_rank: int  # the [n] marker
    start: int  # offsets into the source document
    end: int
    # Written answers (issue 19), in the JSON only when a language model is configured: whether the
    # sentence's citations support it, the ranks it cites, and why not. A written sentence's text is the
    # model's; start/end are then the passage sentence that supports it (empty when not verified).
    verified: bool | None = None
    cites: tuple[int, ...] = ()
    problem: str | None = None

    def to_dict(self, written: bool = False) -> dict:
        d = {"text": self.text, "passage_rank": self.passage_rank, "start": self.start, "end": self.end}
        if written:
            d.update(verified=self.verified, cites=list(self.cites), problem=self.problem)
        return d


@dataclass(frozen=True)
class Answer:
    question: str
    abstained: bool
    passages: tuple[Passage, ...]
    text: str | None = None  # extractive answer with [n] markers
    sentences: tuple[AnswerSentence, ...] = ()
    message: str | None = None
    understood: dict = field(default_factory=dict)
    # Issue 19: None when no language model is configured (the JSON is then exactly as before);
    # "generated" or "extractive" (with ``note`` saying why the model's answer is not shown) when one is.
    mode: str | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        answer = None
        if self.text is not None:
            written = self.mode is not None
            answer = {"text": self.text, "sentences": [s.to_dict(written) for s in self.sentences]}
            if written:
                answer.update(mode=self.mode, note=self.note)
        return {
            "question": self.question,
            "abstained": self.abstained,
            "message": self.message,
            "answer": answer,
            "understood": self.understood,
            "passages": [p.to_dict() for p in self.passages],
        }


@dataclass(frozen=True)
class Decision:
    committee: str | None
    meeting_date: str | None
    item_number: str | None
    item_title: str | None
    clause: str | None  # "(a)", "1.", or None for a single-clause resolution
    text: str
    kind: str  # noted | approved | requested | scheduled | elected | excluded | other
    citation: Citation

    def to_dict(self) -> dict:
        d = asdict(self)
        d["citation"] = self.citation.to_dict()
        return d
