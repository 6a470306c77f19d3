"""A LangChain retriever over a qa index (needs the optional extra: ``pip install qa[langchain]``).

    from qa.langchain import PanelRetriever
    retriever = PanelRetriever(index_dir="index", k=4, committee="Police and Crime Panel")
    docs = retriever.invoke("101 call waiting times")          # or .invoke(question, k=8, since="2020-01-01")
    docs[0].metadata["source"], docs[0].metadata["start"]       # the citation: document and character span

Each ``Document`` is one passage: ``page_content`` is its verbatim text, ``metadata`` its citation (source,
committee, meeting_date, item_number, item_title, section, start, end, page) plus ``rank`` and ``score``.
The index is loaded once per index folder and shared by every ``PanelRetriever`` on it.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("qa.langchain needs langchain-core: pip install qa[langchain]") from exc

from pydantic import Field, field_validator

from .config import Settings
from .dates import parse_user_date
from .errors import BadQuery
from .records import SECTIONS, Passage
from .retrieve import Filters, Retriever

__all__ = ["PanelRetriever", "to_document"]


@lru_cache(maxsize=8)
def _load(index_dir: Path) -> Retriever:
    return Retriever.load(index_dir)


def to_document(passage: Passage) -> Document:
    """A passage as a LangChain document: its text, and as metadata its citation, rank, score and the
    document offsets of the part that matched (``matched``)."""
    c = passage.citation
    return Document(
        id=f"{c.source}:{c.start}-{c.end}",
        page_content=passage.text,
        metadata={**c.to_dict(), "rank": passage.rank, "score": round(float(passage.score), 6),
                  "matched": list(passage.matched) if passage.matched else None},
    )


class PanelRetriever(BaseRetriever):
    """Cited passages from Police and Crime Panel papers, as LangChain documents.

    ``k`` and every filter can also be given per call: ``retriever.invoke(question, k=8, committee=...)``.
    """

    index_dir: Path = Field(default_factory=lambda: Settings.from_env().index_dir)
    k: int = Field(default=4, ge=1, le=100)
    committee: str | None = None
    since: str | None = None
    until: str | None = None
    section: tuple[str, ...] | None = None
    source: str | None = None

    @field_validator("index_dir", mode="before")
    @classmethod
    def _resolve(cls, value: Any) -> Path:
        return Path(value).expanduser().resolve()

    @field_validator("since", "until", mode="before")
    @classmethod
    def _date(cls, value: Any) -> str | None:
        return _iso_date(value, "since/until")

    @field_validator("section", mode="before")
    @classmethod
    def _sections(cls, value: Any) -> tuple[str, ...] | None:
        return _sections(value)

    def _filters(self, overrides: dict[str, Any]) -> Filters:
        values = {name: getattr(self, name) for name in ("committee", "since", "until", "section", "source")}
        for name, value in overrides.items():
            if name in ("since", "until"):
                value = _iso_date(value, name)
            elif name == "section":
                value = _sections(value)
            values[name] = value
        return Filters(**values)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, committee: str | None = None, since: Any = None,
                                until: Any = None, section: Any = None, source: str | None = None) -> list[Document]:
        given = {"committee": committee, "since": since, "until": until, "section": section, "source": source}
        filters = self._filters({name: value for name, value in given.items() if value is not None})
        passages = _load(self.index_dir).search(query, k=self.k if k is None else k, filters=filters)
        return [to_document(p) for p in passages]


def _iso_date(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    try:
        return parse_user_date(str(value))
    except ValueError:
        raise BadQuery(f"{name}: {value!r} is not a date; use YYYY-MM-DD") from None


def _sections(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = (value,) if isinstance(value, str) else tuple(value)
    for name in names:
        if name not in SECTIONS:
            raise BadQuery(f"section: {name!r}; use one of {', '.join(SECTIONS)}")
    return names or None
