"""The Documents page's logic: every indexed document, and staff adding and removing files.

Design.
* One loaded index per index version, shared by every page and session of the process
  (``shared_retriever``): a build makes a new version, so the next question after a rebuild is asked of
  the new index with no restart, and the old version is let go.
* ``document_rows`` lists each document by body, meeting date and title (``qa.titles``), with its meetings
  and agenda items, from the index alone.
* An upload is checked *before* it reaches the corpus folder (``check_upload``): allowed kind (PDF, DOCX,
  HTML, TXT, MD), size, that its content is what its extension says (a text file named .pdf is refused,
  though the extractor, which goes by content, would read it), and that it really reads as text through the same extractor and parser the build
  uses. A bad file is refused with ``UnreadableDocument`` naming it and the reason, and nothing changes.
  A good one is written atomically into the corpus folder; ``rebuild`` then runs ``qa.build.build_index``
  (incremental: only the new file is embedded) with a progress callback.
* Removing a document deletes its file from the corpus folder (never anything outside it), then rebuilds.
* Staff only: ``staff_ok`` compares the password in constant time; an empty ``Settings.staff_password``
  means no one can upload or remove.
"""
from __future__ import annotations

import hmac
import os
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .dates import uk_date
from .errors import UnreadableDocument

UPLOAD_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".txt", ".md")
# What each extension's content must sniff as (qa.extract.detect_format); Markdown and text may carry HTML.
_KINDS = {".pdf": ("pdf",), ".docx": ("docx",), ".html": ("html", "text"), ".htm": ("html", "text"),
          ".txt": ("text", "html"), ".md": ("text", "html")}
_KIND_NAMES = {".pdf": "a PDF", ".docx": "a Word (DOCX) file", ".html": "HTML", ".htm": "HTML",
               ".txt": "plain text", ".md": "Markdown text"}

_lock = threading.Lock()
_loaded: OrderedDict = OrderedDict()
build_lock = threading.Lock()  # one build at a time in this process


def shared_retriever(index_dir: str, version: str):
    """The retriever of ``index_dir`` at ``version`` (``qa.store.version_key``), loaded once per process."""
    from .retrieve import Retriever

    key = (str(index_dir), version)
    with _lock:
        r = _loaded.get(key)
        if r is None:
            r = Retriever.load(index_dir)
            _loaded[key] = r
            while len(_loaded) > 2:
                _loaded.popitem(last=False)
        return r


def staff_ok(settings: Settings, password: str | None) -> bool:
    """Whether ``password`` is the staff password (never when none is set)."""
    want = settings.staff_password or ""
    return bool(want) and hmac.compare_digest(want.encode(), (password or "").encode())


@dataclass(frozen=True)
class DocumentRow:
    source: str
    title: str
    body: str
    date: str | None  # ISO, the document's first meeting
    meetings: tuple[str, ...]  # "Committee · 24 September 2019"
    items: tuple[str, ...]  # "Item 27: People Zones"
    format: str

    def as_row(self) -> dict:
        return {"Body": self.body, "Meeting date": uk_date(self.date) or "date not stated", "Title": self.title,
                "Meetings": len(self.meetings), "Items": len(self.items), "Format": self.format,
                "File": self.source}


def document_rows(retriever) -> list[DocumentRow]:
    """Every indexed document, by body then newest meeting first."""
    per: dict[str, list] = {}
    for c in retriever.citations:
        per.setdefault(c.source, []).append(c)
    rows = []
    for source in retriever.stats()["sources"]:
        cites = per.get(source, [])
        meetings: dict = {}
        items: dict = {}
        for c in cites:
            if c.committee or c.meeting_date:
                meetings.setdefault((c.committee, c.meeting_date), None)
            if c.item_number or c.item_title:
                label = f"Item {c.item_number}: {c.item_title}" if c.item_number and c.item_title else \
                    (f"Item {c.item_number}" if c.item_number else c.item_title)
                items.setdefault(label, None)
        first = next(iter(meetings), (None, None))
        stored = retriever.version.document(source) or {}
        rows.append(DocumentRow(
            source=source, title=retriever.document_title(source), body=first[0] or "Body not stated",
            date=first[1],
            meetings=tuple(f"{m or 'Committee not stated'} · {uk_date(d) or 'date not stated'}" for m, d in meetings),
            items=tuple(items), format=stored.get("format", "text")))
    rows.sort(key=lambda r: (r.body.lower(), "" if r.date is None else r.date), reverse=False)
    # newest first within a body
    out: list[DocumentRow] = []
    for body in dict.fromkeys(r.body for r in rows):
        out.extend(sorted((r for r in rows if r.body == body), key=lambda r: r.date or "", reverse=True))
    return out


def safe_name(name: str) -> str:
    """A plain file name for the corpus folder: no folders, no leading dots, only safe characters."""
    base = Path(str(name).replace("\\", "/")).name
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" .")
    return base or "document"


def check_upload(name: str, data: bytes, settings: Settings) -> None:
    """Raise ``UnreadableDocument(name, reason)`` unless the file would be indexed as a document."""
    from .extract import detect_format, extract
    from .parse import parse_text

    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise UnreadableDocument(name, f"{suffix or 'no extension'} files are not taken; upload a PDF, DOCX, "
                                       "HTML, TXT or MD file")
    limit = int(settings.max_file_mb * 1024 * 1024)
    if len(data) > limit:
        raise UnreadableDocument(name, f"{len(data) / 1048576:.1f} MB is over the {settings.max_file_mb:g} MB "
                                       "limit; split it or raise QA_MAX_FILE_MB")
    kind = detect_format(data)
    if kind not in _KINDS[suffix]:
        # The extractor goes by content, so a text file named .pdf would be indexed as text: an upload must be
        # what its name says.
        found = {"pdf": "a PDF", "docx": "a Word (DOCX) file", "html": "HTML", "text": "plain text"}.get(
            kind, "binary data that is not a document")
        raise UnreadableDocument(name, f"is not {_KIND_NAMES[suffix]} but {found}; check the file, or give it "
                                       "the extension of what it is")
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
        path = Path(tmp) / safe_name(name)
        path.write_bytes(data)
        extracted = extract(path, display_name=name, max_bytes=limit)  # raises with the reason
        if not extracted.text.strip():
            raise UnreadableDocument(name, "no text found; check the file opens and has text in it")
        parse_text(safe_name(name), extracted.text, extracted.page_starts, extracted.format)


def save_upload(settings: Settings, name: str, data: bytes) -> str:
    """Check, then write the file into the corpus folder (atomically); returns its source name."""
    check_upload(name, data, settings)
    corpus = Path(settings.corpus_dir)
    corpus.mkdir(parents=True, exist_ok=True)
    target = corpus / safe_name(name)
    fd, tmp = tempfile.mkstemp(dir=corpus, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target.name


def remove_document(settings: Settings, source: str) -> None:
    """Delete ``source``'s file from the corpus folder (only inside it)."""
    root = Path(settings.corpus_dir).resolve()
    path = (root / source).resolve()
    if root not in path.parents or not path.is_file():
        raise UnreadableDocument(source, "is not a file in the corpus folder; nothing was removed")
    path.unlink()


def rebuild(settings: Settings, on_progress=None):
    """Bring the index up to date with the corpus folder (incremental); one build at a time."""
    from .build import build_index

    with build_lock:
        return build_index(settings, progress=False, on_progress=on_progress)
