"""qa: cited answers from the papers of a Police and Crime Panel and its partner boards.

    from qa import Retriever
    r = Retriever.load("index")
    for p in r.search("101 call waiting times", k=5):
        print(p.citation.meeting_date, p.citation.item_title, p.text[:80])
"""
from . import offline  # first: no telemetry, hubs offline (see qa/offline.py)
from .config import Settings
from .errors import BadQuery, CorpusMissing, IndexMismatch, IndexMissing, QAError, UnreadableDocument
from .records import Answer, AgendaItem, Citation, Decision, Meeting, Passage
from .retrieve import Filters, Retriever

__all__ = [
    "Retriever", "Filters", "Settings", "Answer", "AgendaItem", "Citation", "Decision", "Meeting", "Passage",
    "QAError", "BadQuery", "CorpusMissing", "IndexMismatch", "IndexMissing", "UnreadableDocument",
]
__version__ = "0.1.0"
