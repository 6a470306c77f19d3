"""Thumbs up/down on answers, with an optional comment, kept for staff to review.

Design. One SQLite file beside the index (``Settings.feedback_db``, by default
``<index folder name>-feedback.sqlite3`` next to the index folder, so a rebuild, which replaces version
folders inside the index, never touches it). Each row is one vote: when, the question, the answer as shown,
the sources it cited (titles and file names), the index version, +1 or -1, and the comment. A vote on the
same answer again replaces the earlier one (the key is the session's answer id). Staff download it as CSV
(formula-looking cells neutralised, as in every CSV the app writes).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from .config import Settings

_SCHEMA = """CREATE TABLE IF NOT EXISTS feedback (
    key TEXT PRIMARY KEY, at TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, sources TEXT NOT NULL,
    index_version TEXT NOT NULL, rating INTEGER NOT NULL CHECK (rating IN (-1, 1)), comment TEXT NOT NULL)"""
COLUMNS = ("at", "question", "answer", "sources", "index_version", "rating", "comment")
MAX_COMMENT = 2000


@dataclass(frozen=True)
class Vote:
    key: str  # one per shown answer (session id + turn id)
    question: str
    answer: str
    sources: str
    index_version: str
    rating: int  # +1 or -1
    comment: str = ""


def feedback_path(settings: Settings) -> Path:
    if settings.feedback_db:
        return Path(settings.feedback_db)
    index_dir = Path(settings.index_dir)
    return index_dir.parent / f"{index_dir.name}-feedback.sqlite3"


class FeedbackStore:
    """Thread-safe: one connection per call (votes are rare)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        con.execute(_SCHEMA)
        return con

    def add(self, vote: Vote) -> None:
        if vote.rating not in (-1, 1):
            raise ValueError("rating: use 1 (helpful) or -1 (not helpful)")
        at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock, self._connect() as con:
            con.execute("INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (vote.key, at, vote.question, vote.answer, vote.sources, vote.index_version, vote.rating,
                         (vote.comment or "").strip()[:MAX_COMMENT]))

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self._lock, self._connect() as con:
            cur = con.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY at, rowid")
            return [dict(zip(COLUMNS, r)) for r in cur.fetchall()]

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(COLUMNS))
        writer.writeheader()
        for row in self.rows():
            writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
                             for k, v in row.items()})
        return buf.getvalue()
