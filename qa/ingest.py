"""From a corpus folder to parsed documents.

Walks the corpus (never following a link out of it), reads each file through ``qa.extract`` (format
detected from content), and parses it into meetings, items and sections. A file that cannot be read
becomes a ``Skipped`` record with a one-line reason; the rest of the corpus goes on. A link that loops
(to itself, or a folder link back up the tree) is skipped the same way. A PDF whose end-of-file marker
is missing and that yields nothing is reported as damaged or truncated (not as "no text"). Names in
messages are made safe for a terminal (``printable``): a newline or escape code in a file name cannot
split the one-line message or drive the terminal.
"""
from __future__ import annotations

import hashlib
import os
import re
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
        return f"{printable(self.source)}: {printable(self.reason)}"


# ANSI/VT escape sequences (CSI ... final byte; OSC ... BEL or ST; two-byte ESC x), then any other control.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` safe to print on a terminal: escape sequences removed, other controls shown as ``\\xNN``
    (newlines and tabs too, unless ``keep_newlines``)."""
    text = _ESCAPES.sub("", str(text))
    if not keep_newlines:
        text = text.replace("\n", "\\n").replace("\t", "\\t")
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}", text)


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
    for path in _walk(corpus_dir):
        rel = path.relative_to(corpus_dir).as_posix()
        if any(part.startswith(".") for part in path.relative_to(corpus_dir).parts):
            continue
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError) as exc:
                looped = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == 40  # ELOOP
                skipped.append(Skipped(rel, "a link that loops back to itself; remove it" if looped
                                       else "a link to a file that does not exist; remove it or restore the file"))
                continue
            if not target.is_relative_to(root):
                skipped.append(Skipped(rel, "a link to a file outside the corpus folder; copy the file in instead"))
                continue
            if target.is_dir():
                continue  # a folder link inside the corpus: its files are listed where they really are
        if not path.is_file():
            continue
        try:
            files.append(CorpusFile(path, rel, file_sha256(path), path.stat().st_size))
        except OSError as exc:
            skipped.append(Skipped(rel, f"cannot be read ({exc.strerror or exc}); check its permissions"))
    return files, skipped


def _walk(corpus_dir: Path) -> list[Path]:
    """Every entry under the corpus folder, sorted, without following folder links (so no loop can trap it)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(corpus_dir, followlinks=False):
        base = Path(dirpath)
        out.extend(base / n for n in filenames)
        out.extend(base / n for n in dirnames if (base / n).is_symlink())  # reported or skipped above
    return sorted(out)


def _truncated_pdf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            if fh.read(5) != b"%PDF-":
                return False
            fh.seek(max(0, os.path.getsize(path) - 2048))
            return b"%%EOF" not in fh.read()
    except OSError:
        return False


def read_document(f: CorpusFile, max_bytes: int) -> ParsedDocument:
    """Extract and parse one corpus file; raises UnreadableDocument with a one-line reason."""
    from .extract import extract

    try:
        extracted = extract(f.path, display_name=f.source, max_bytes=max_bytes)
    except UnreadableDocument:
        if _truncated_pdf(f.path):
            raise UnreadableDocument(f.source, "damaged or truncated PDF (its end is missing); "
                                               "download or save it again") from None
        raise
    if not extracted.text.strip():
        if _truncated_pdf(f.path):
            raise UnreadableDocument(f.source, "damaged or truncated PDF (its end is missing); download or save it again")
        raise UnreadableDocument(f.source, "no text found; check the file opens and has text in it")
    try:
        return parse_text(f.source, extracted.text, extracted.page_starts, extracted.format)
    except RecursionError:
        raise UnreadableDocument(f.source, "too deeply nested to parse; save it as plain text and add it again")
