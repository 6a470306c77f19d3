"""Build or update the index from the corpus folder, re-embedding only what changed.

A file is identified by its path in the corpus and the SHA-256 of its bytes. Files whose hash and the
chunking settings are unchanged keep their passages and vectors from the live index; new and changed
files are read, parsed, chunked and embedded; deleted files drop out. When nothing changed, nothing is
written and the model is never loaded, so an up-to-date corpus costs about a second.

A file that cannot be read is skipped with a one-line reason. If an earlier version of it was indexed,
that version is kept (nothing indexed before is lost, with ``--rebuild`` too) and the report says so.

Integrity (issue 15): one build per index folder at a time (a file lock, ``store.build_lock``); every
text is encoded alone (``Embedder.encode_each``) so a vector does not depend on what else changed; the
meeting and item counts come from the passages for every file. So an incremental build equals
``--rebuild`` on the same files: rows, spans, vectors and counts. Every sentence of every passage is
stored with its own vector (``qa.answer.sentences`` spans, in source offsets) for the ranker.
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
from .store import FORMAT_VERSION, IndexVersion, Manifest, PassageRow, build_lock, load_version, write_version


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


def _previous(settings: Settings, model_id: str, dim: int) -> IndexVersion | None:
    """The live index, if its passages and vectors could be reused by this build (else None)."""
    try:
        prev = load_version(settings.index_dir, model_id, dim)
    except (IndexMissing, IndexMismatch):
        return None  # missing, another format or damaged: everything is read again
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
    """Build or update the index; one build per index folder at a time (see ``store.build_lock``).
    ``on_progress(stage, fraction)``, when given, is told how far the build has got (a progress bar)."""
    if isinstance(settings.index_dir, str) and settings.index_dir.startswith(("postgresql://", "postgres://")):
        from .pgstore import build  # issue 20: the index in PostgreSQL (its own advisory lock, no lock file)

        return build(settings, rebuild=rebuild, progress=progress, on_progress=on_progress)
    with build_lock(settings.index_dir, settings.lock_timeout):
        return _build(settings, rebuild, progress, on_progress)


@dataclass(frozen=True)
class BuildPlan:
    """What a build writes, whichever store writes it (the folder here, PostgreSQL in ``qa.pgstore``): the
    documents, passages and their vectors, every sentence with its vector, the manifest, and the report
    (counts filled in). ``manifest`` is None when the corpus is unchanged: nothing is to be written."""
    report: BuildReport
    documents: list
    rows: list
    vectors: np.ndarray
    sentences: list  # (passage id, start, end) in source offsets, ordered by passage then start
    sentence_vectors: np.ndarray
    manifest: Manifest | None


def _build(settings: Settings, rebuild: bool, progress: bool | None, on_progress=None) -> BuildReport:
    from .embed import DIMENSION, model_id

    t0 = time.perf_counter()
    live = _previous(settings, model_id(settings.quantize), DIMENSION)
    plan = plan_build(settings, live, rebuild, progress, on_progress, index_dir=str(settings.index_dir))
    report = plan.report
    if plan.manifest is not None:
        if on_progress is not None:
            on_progress("writing the index", 0.95)
        write_version(settings.index_dir, plan.manifest, plan.documents, plan.rows, plan.vectors,
                      settings.ann_threshold, plan.sentences, plan.sentence_vectors)
    report.seconds = time.perf_counter() - t0
    return report


def plan_build(settings: Settings, live, rebuild: bool, progress: bool | None, on_progress=None,
               index_dir: str = "", corpus: str = "") -> BuildPlan:
    """Plan a build against ``live``, the store's current build (None: there is none, or it cannot be
    carried over): which files are new, changed, renamed or removed; read, parse, chunk and split into
    sentences what changed; embed each new text alone; count meetings and items from the passages.

    ``live`` has the folder store's ``IndexVersion`` interface (``manifest``, ``passages``, ``vectors``,
    ``document``, ``passage_sentences``, ``sentence_spans``, ``sentence_vectors``). With ``rebuild`` nothing
    is carried over from it, but it is still the fallback for a file that has turned unreadable.
    ``corpus``: the corpus name new citations carry (PostgreSQL; "" for a folder)."""
    from .answer import sentences as split_sentences
    from .chunk import chunk_document
    from .embed import DIMENSION, model_dir, model_id

    report = BuildReport(index_dir=index_dir)
    files, report.skipped = list_corpus(settings.corpus_dir)
    # With --rebuild the live index is still the fallback for a file that has turned bad (as in a normal
    # build, nothing indexed before is lost), but nothing else is carried over from it.
    prev = None if rebuild else live
    prev_files = dict(prev.manifest.files) if prev else {}
    live_files = dict(live.manifest.files) if live else {}
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    if progress is None:
        progress = sys.stderr.isatty()
    empty = np.zeros((0, DIMENSION), np.float32)

    current = {f.source: f.sha256 for f in files}
    if prev and current == prev_files and not report.skipped:
        report.up_to_date = True
        m = prev.manifest
        report.files, report.meetings, report.items, report.passages = len(files), m.meetings, m.items, m.passages
        report.reused_files = len(files)
        return BuildPlan(report, [], [], empty, [], empty, None)

    # Group the live index's passages by file so unchanged files can be carried over.
    live_rows: dict[str, list[int]] = {}
    if live:
        for row in live.passages:
            live_rows.setdefault(row.citation.source, []).append(row.id)

    documents: list[dict] = []
    new_rows: list[PassageRow] = []
    new_vectors: list[np.ndarray | None] = []
    pending: list[tuple[int, str]] = []  # (row index, embed text) to encode
    sentence_rows: list[tuple[int, int, int]] = []  # (passage id, start, end), ordered by passage
    sentence_vecs: list[np.ndarray | None] = []
    sentence_pending: list[tuple[int, str]] = []  # (sentence row, text) to encode
    hashes: dict[str, str] = {}

    # Identical content under another name (a renamed or copied file) re-uses the same passages and vectors.
    prev_by_hash = {sha: src for src, sha in prev_files.items()}

    def carry_over(source: str, from_source: str | None = None) -> None:
        from_source = from_source or source
        doc = dict(live.document(from_source), source=source)
        documents.append(doc)
        for pid in live_rows.get(from_source, []):
            old = live.passages[pid]
            citation = replace(old.citation, source=source)
            new_id = len(new_rows)
            new_rows.append(PassageRow(new_id, old.text, citation, old.lexical_text))
            new_vectors.append(live.vectors[pid])
            for j in live.passage_sentences(pid):
                a, b = live.sentence_spans[j]
                sentence_rows.append((new_id, int(a), int(b)))
                sentence_vecs.append(live.sentence_vectors[j])
        hashes[source] = live_files[from_source]

    def add_sentences(row: PassageRow) -> None:
        for a, b in split_sentences(row.text):
            sentence_pending.append((len(sentence_rows), row.text[a:b]))
            sentence_rows.append((row.id, row.citation.start + a, row.citation.start + b))
            sentence_vecs.append(None)

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
            if live and f.source in live_files:
                carry_over(f.source)
                report.kept_previous.append(f.source)
            continue
        report.changed_files.append(f.source)
        hashes[f.source] = f.sha256
        documents.append({"source": f.source, "sha256": f.sha256, "format": doc.format, "text": doc.text,
                          "page_starts": list(doc.page_starts) if doc.page_starts else None})
        for chunk in chunk_document(doc, model_dir(), settings.chunk_tokens, settings.chunk_overlap):
            pending.append((len(new_rows), chunk.embed_text))
            citation = replace(chunk.citation, corpus=corpus) if corpus else chunk.citation
            row = PassageRow(len(new_rows), chunk.text, citation, chunk.lexical_text)
            new_rows.append(row)
            new_vectors.append(None)
            add_sentences(row)
    report.removed_files = sorted(set(prev_files) - set(current))

    if pending or sentence_pending:
        from .embed import Embedder

        embedder = Embedder(settings.quantize)
        if on_progress is not None:
            on_progress(f"embedding {len(pending)} passages", 0.3)
        _encode_into(embedder, pending, new_vectors, progress)
        if on_progress is not None:
            on_progress(f"embedding {len(sentence_pending)} sentences", 0.6)
        _encode_into(embedder, sentence_pending, sentence_vecs, progress)
        report.embedded = len(pending)
    vectors = np.stack(new_vectors).astype(np.float32) if new_vectors else empty
    svectors = np.stack(sentence_vecs).astype(np.float32) if sentence_vecs else empty

    # Meetings and agenda items are counted from the passages, for carried-over and new files alike.
    meetings = {(r.citation.committee, r.citation.meeting_date) for r in new_rows}
    items = {(r.citation.committee, r.citation.meeting_date, r.citation.item_number, r.citation.item_title)
             for r in new_rows if r.citation.item_number is not None or r.citation.item_title is not None}
    manifest = Manifest(
        format_version=FORMAT_VERSION, model=model_id(settings.quantize), dimension=DIMENSION,
        chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap, files=hashes,
        passages=len(new_rows), meetings=len(meetings), items=len(items), parser_version=PARSER_VERSION,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        extra={"sentences": len(sentence_rows)},
    )
    report.files = len(documents)
    report.meetings, report.items, report.passages = len(meetings), len(items), len(new_rows)
    return BuildPlan(report, documents, new_rows, vectors, sentence_rows, svectors, manifest)


def _encode_into(embedder, pending: list[tuple[int, str]], out: list, progress: bool) -> None:
    """Encode each distinct text once, alone (``Embedder.encode_each``), and put its vector at every row."""
    if not pending:
        return
    unique = list(dict.fromkeys(text for _, text in pending))
    encoded = embedder.encode_each(unique, progress=progress)
    by_text = dict(zip(unique, encoded))
    for row, text in pending:
        out[row] = by_text[text]
