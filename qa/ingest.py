"""From a corpus folder to parsed documents.

Walks the corpus (never following a link out of it), reads each file through ``qa.extract`` (format
detected from content), and parses it into meetings, items and sections. A file that cannot be read
becomes a ``Skipped`` record with a one-line reason; the rest of the corpus goes on.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusMissing, UnreadableDocument
from .parse import parse_text
from .records import ParsedDocument


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    source: str  # relative to the corpus dir, forward slashes
    sha256: str
    size: int


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def list_corpus(corpus_dir: Path) -> tuple[list[CorpusFile], list[Skipped]]:
    """Every regular file under the corpus dir (hidden files and outside links left out), sorted."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusMissing(f"{corpus_dir}: no such corpus folder; create it and put documents in it, or pass --corpus DIR")
    root = corpus_dir.resolve()
    files, skipped = [], []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir).as_posix()
        if any(part.startswith(".") for part in path.relative_to(corpus_dir).parts):
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root):
                skipped.append(Skipped(rel, "a link to a file outside the corpus folder; copy the file in instead"))
                continue
        if not path.is_file():
            continue
        try:
            files.append(CorpusFile(path, rel, file_sha256(path), path.stat().st_size))
        except OSError as exc:
            skipped.append(Skipped(rel, f"cannot be read ({exc.strerror or exc}); check its permissions"))
    return files, skipped


def read_document(f: CorpusFile, max_bytes: int) -> ParsedDocument:
    """Extract and parse one corpus file; raises UnreadableDocument with a one-line reason."""
    from .extract import extract

    extracted = extract(f.path, display_name=f.source, max_bytes=max_bytes)
    if not extracted.text.strip():
        raise UnreadableDocument(f.source, "no text found; check the file opens and has text in it")
    try:
        return parse_text(f.source, extracted.text, extracted.page_starts, extracted.format)
    except RecursionError:
        raise UnreadableDocument(f.source, "too deeply nested to parse; save it as plain text and add it again")
