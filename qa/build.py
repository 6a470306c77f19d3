"""Build or update the index from the corpus folder, re-embedding only what changed.

A file is identified by its path in the corpus and the SHA-256 of its bytes. Files whose hash and the
chunking settings are unchanged keep their passages and vectors from the live index; new and changed
files are read, parsed, chunked and embedded; deleted files drop out. When nothing changed, nothing is
written and the model is never loaded, so an up-to-date corpus costs about a second.

A file that cannot be read is skipped with a one-line reason. If an earlier version of it was indexed,
that version is kept (nothing indexed before is lost) and the report says so.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .config import Settings
from .errors import IndexMismatch, IndexMissing, UnreadableDocument
from .ingest import Skipped, list_corpus, read_document
from .parse import PARSER_VERSION
from .store import FORMAT_VERSION, IndexVersion, Manifest, PassageRow, load_version, write_version


@dataclass
class BuildReport:
    files: int = 0
    meetings: int = 0
    items: int = 0
    passages: int = 0
    embedded: int = 0  # passages encoded in this run
    reused_files: int = 0
    changed_files: list[str] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    kept_previous: list[str] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False
    index_dir: str = ""

    def summary(self) -> str:
        state = "index up to date" if self.up_to_date else "index built"
        return (f"{state}: {self.files} files, {self.meetings} meetings, {self.items} agenda items, "
                f"{self.passages} passages ({self.embedded} embedded now), {len(self.skipped)} skipped, "
                f"{self.seconds:.1f}s")

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["skipped"] = [{"source": s.source, "reason": s.reason} for s in self.skipped]
        return d


def _previous(settings: Settings, model_id: str, dim: int, rebuild: bool) -> IndexVersion | None:
    if rebuild:
        return None
    try:
        prev = load_version(settings.index_dir, model_id, dim)
    except (IndexMissing, IndexMismatch):
        return None
    m = prev.manifest
    if (m.chunk_tokens, m.chunk_overlap) != (settings.chunk_tokens, settings.chunk_overlap):
        return None
    if m.parser_version != PARSER_VERSION:
        return None  # documents would parse differently now: nothing can be carried over
    return prev


def _reporting(files, on_progress):
    """Issue 18: ``on_progress(stage, fraction)`` for a progress bar (reading is the first 30%)."""
    for i, f in enumerate(files):
        on_progress(f"reading {f.source}", 0.3 * i / max(1, len(files)))
        yield f


def build_index(settings: Settings, rebuild: bool = False, progress: bool | None = None,
                on_progress=None) -> BuildReport:
    from .chunk import chunk_document
    from .embed import DIMENSION, model_dir, model_id

    t0 = time.perf_counter()
    report = BuildReport(index_dir=str(settings.index_dir))
    files, report.skipped = list_corpus(settings.corpus_dir)
    prev = _previous(settings, model_id(settings.quantize), DIMENSION, rebuild)
    prev_files = dict(prev.manifest.files) if prev else {}
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    if progress is None:
        progress = sys.stderr.isatty()

    current = {f.source: f.sha256 for f in files}
    if prev and current == prev_files and not report.skipped:
        report.up_to_date = True
        m = prev.manifest
        report.files, report.meetings, report.items, report.passages = len(files), m.meetings, m.items, m.passages
        report.reused_files = len(files)
        report.seconds = time.perf_counter() - t0
        return report

    # Group the previous index's passages by file so unchanged files can be carried over.
    prev_rows: dict[str, list[int]] = {}
    if prev:
        for row in prev.passages:
            prev_rows.setdefault(row.citation.source, []).append(row.id)

    documents: list[dict] = []
    new_rows: list[PassageRow] = []
    new_vectors: list[np.ndarray] = []
    pending: list[tuple[int, str]] = []  # (row index, embed text) to encode
    meetings, items = set(), set()
    hashes: dict[str, str] = {}

    # Identical content under another name (a renamed or copied file) re-uses the same passages and vectors.
    prev_by_hash = {sha: src for src, sha in prev_files.items()}

    def carry_over(source: str, from_source: str | None = None) -> None:
        from_source = from_source or source
        doc = dict(prev.document(from_source), source=source)
        documents.append(doc)
        for pid in prev_rows.get(from_source, []):
            old = prev.passages[pid]
            citation = replace(old.citation, source=source)
            new_rows.append(PassageRow(len(new_rows), old.text, citation, old.lexical_text))
            new_vectors.append(prev.vectors[pid])
            meetings.add((citation.committee, citation.meeting_date))
            items.add((citation.committee, citation.meeting_date, citation.item_number, citation.item_title))
        hashes[source] = prev_files[from_source]

    steps = files
    if progress and len(files) > 1:
        from tqdm import tqdm

        steps = tqdm(files, desc="reading", unit="file", leave=False)
    if on_progress is not None:
        steps = _reporting(files, on_progress)
    for f in steps:
        if prev and prev_files.get(f.source) == f.sha256:
            carry_over(f.source)
            report.reused_files += 1
            continue
        if prev and f.sha256 in prev_by_hash:
            carry_over(f.source, prev_by_hash[f.sha256])
            report.reused_files += 1
            report.changed_files.append(f.source)
            continue
        try:
            doc = read_document(f, max_bytes)
        except UnreadableDocument as exc:
            report.skipped.append(Skipped(f.source, exc.reason))
            if prev and f.source in prev_files:
                carry_over(f.source)
                report.kept_previous.append(f.source)
            continue
        report.changed_files.append(f.source)
        hashes[f.source] = f.sha256
        documents.append({"source": f.source, "sha256": f.sha256, "format": doc.format, "text": doc.text,
                          "page_starts": list(doc.page_starts) if doc.page_starts else None})
        for m in doc.meetings():
            meetings.add((m.committee, m.date))
        for it in doc.items():
            items.add((it.meeting.committee, it.meeting.date, it.number, it.title))
        for chunk in chunk_document(doc, model_dir(), settings.chunk_tokens, settings.chunk_overlap):
            pending.append((len(new_rows), chunk.embed_text))
            new_rows.append(PassageRow(len(new_rows), chunk.text, chunk.citation, chunk.lexical_text))
            new_vectors.append(None)
    report.removed_files = sorted(set(prev_files) - set(current))

    if pending:
        from .embed import Embedder

        embedder = Embedder(settings.quantize)
        texts = [t for _, t in pending]
        if on_progress is None:
            encoded = embedder.encode(texts, batch_size=settings.batch_size, progress=progress)
        else:  # in slices, so the progress bar moves while embedding (issue 18)
            step, encoded = settings.batch_size * 4, []
            for i in range(0, len(texts), step):
                on_progress(f"embedding passages {i}/{len(texts)}", 0.3 + 0.65 * i / len(texts))
                encoded.extend(embedder.encode(texts[i:i + step], batch_size=settings.batch_size, progress=False))
        for (row_index, _), vec in zip(pending, encoded):
            new_vectors[row_index] = vec
        report.embedded = len(pending)
    vectors = np.stack(new_vectors).astype(np.float32) if new_vectors else np.zeros((0, DIMENSION), np.float32)

    manifest = Manifest(
        format_version=FORMAT_VERSION, model=model_id(settings.quantize), dimension=DIMENSION,
        chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap, files=hashes,
        passages=len(new_rows), meetings=len(meetings), items=len(items), parser_version=PARSER_VERSION,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    if on_progress is not None:
        on_progress("writing the index", 0.95)
    write_version(settings.index_dir, manifest, documents, new_rows, vectors, settings.ann_threshold)
    report.files = len(documents)
    report.meetings, report.items, report.passages = len(meetings), len(items), len(new_rows)
    report.seconds = time.perf_counter() - t0
    return report
