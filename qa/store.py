"""The index on disk: a versioned, self-describing folder, replaced atomically.

Layout::

    index/
      CURRENT                 name of the live version (replaced with os.replace: atomic)
      v-<time>-<pid>/
        manifest.json         format version, model, dimension, settings, corpus file hashes, counts
        meta.sqlite           documents (text, hash, pages) and passages (span + citation)
        vectors.npy           float32 [passages x dimension], L2-normalised, row i = passage id i
        dense.faiss           FAISS index over the vectors (exact, or IVF above a size)
        lexical/              bm25s arrays and vocabulary (JSON + npy, no pickle)

A build writes a new version folder completely, then points CURRENT at it, then removes old versions.
An interrupted build (Ctrl-C, kill -9, full disk) leaves CURRENT on the previous version, so readers
never see a half-written index; the stray folder is removed by the next build.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import IndexBusy, IndexMismatch, IndexMissing, IndexWriteError
from .records import Citation

# 2: lexical/words.json, the vocabulary typing slips are corrected to
# 3: sentences table + sentence_vectors.npy (every sentence of every passage, for the ranker)
FORMAT_VERSION = 3
REBUILD_HINT = "rebuild it with: qa index --rebuild"


@dataclass(frozen=True)
class PassageRow:
    id: int
    text: str
    citation: Citation
    lexical_text: str


@dataclass
class Manifest:
    format_version: int
    model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap: int
    files: dict[str, str]  # source -> sha256
    passages: int
    meetings: int
    items: int
    dense: str = "flat"
    parser_version: int = 0
    created: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def version_key(index_dir) -> str:
    """Changes whenever a build makes a new index version current (a cache key for a loaded index)."""
    if isinstance(index_dir, str) and index_dir.startswith(("postgresql://", "postgres://")):
        from .pgstore import version_key as pg_version_key  # issue 20

        return pg_version_key(index_dir)
    p = Path(index_dir)
    try:
        return (p / "CURRENT").read_text().strip()
    except OSError:
        m = p / "manifest.json"
        return str(m.stat().st_mtime_ns) if m.is_file() else ""


def current_version_dir(index_dir: Path) -> Path:
    index_dir = Path(index_dir)
    pointer = index_dir / "CURRENT"
    if pointer.is_file():
        name = pointer.read_text().strip()
        version = index_dir / name
        if name and version.is_dir():
            return version
        raise IndexMismatch(f"{index_dir}: CURRENT names a missing version {name!r}; {REBUILD_HINT}")
    if (index_dir / "manifest.json").is_file():
        return index_dir
    raise IndexMissing(f"{index_dir}: no index here yet; build it with: qa index --index {index_dir}")


def read_manifest(version_dir: Path) -> Manifest:
    try:
        return Manifest.from_json((version_dir / "manifest.json").read_text())
    except (OSError, ValueError, TypeError) as exc:
        raise IndexMismatch(f"{version_dir}: manifest.json unreadable ({exc.__class__.__name__}); {REBUILD_HINT}")


def check_manifest(manifest: Manifest, where: Path, model_id: str, dimension: int) -> None:
    for name, kind in (("format_version", int), ("dimension", int), ("passages", int), ("meetings", int),
                       ("items", int), ("chunk_tokens", int), ("chunk_overlap", int), ("model", str),
                       ("files", dict)):
        value = getattr(manifest, name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise IndexMismatch(f"{where}: manifest.json field {name} is {type(value).__name__} {value!r}, "
                                f"expected {kind.__name__}; the index is damaged; {REBUILD_HINT}")
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(
            f"{where}: index format {manifest.format_version}, this qa reads format {FORMAT_VERSION}; {REBUILD_HINT}"
        )
    if manifest.model != model_id or manifest.dimension != dimension:
        raise IndexMismatch(
            f"{where}: index built with model {manifest.model} ({manifest.dimension}d), this qa uses {model_id} "
            f"({dimension}d); {REBUILD_HINT}"
        )


_SCHEMA = """
CREATE TABLE documents (source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, format TEXT NOT NULL,
                        text TEXT NOT NULL, page_starts TEXT);
CREATE TABLE passages (id INTEGER PRIMARY KEY, source TEXT NOT NULL, start INTEGER NOT NULL,
                       end INTEGER NOT NULL, section TEXT NOT NULL, committee TEXT, meeting_date TEXT,
                       item_number TEXT, item_title TEXT, page INTEGER, text TEXT NOT NULL,
                       lexical_text TEXT NOT NULL);
CREATE INDEX passages_source ON passages(source);
CREATE TABLE sentences (id INTEGER PRIMARY KEY, passage_id INTEGER NOT NULL, start INTEGER NOT NULL,
                        end INTEGER NOT NULL);
"""


LOCK_NAME = ".lock"  # flock'd by the one build allowed to write this index folder at a time
OWNER_NAME = ".owner"  # flock'd inside a temporary version folder by the build writing it


@contextmanager
def build_lock(index_dir: Path, timeout: float):
    """Hold the index folder's build lock for the duration of a build.

    ``fcntl.flock`` on ``index/.lock``: the kernel releases it when the holder exits, however it exits
    (kill -9 included), so a lock left by a dead build is never in the way. A second build polls for up to
    ``timeout`` seconds, then raises ``IndexBusy``."""
    import fcntl

    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(index_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise write_error(index_dir, exc) from None
    try:
        deadline = time.monotonic() + max(0.0, float(timeout))
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(
                        f"{index_dir}: another qa index is building this index (waited {timeout:g}s); "
                        "run it again when that build finishes, or wait longer with QA_LOCK_TIMEOUT=SECONDS"
                    ) from None
                time.sleep(0.2)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass  # the pid is for people looking; the lock is the flock
        yield
    finally:
        os.close(fd)  # releases the flock


def write_error(where: Path, exc: OSError) -> IndexWriteError:
    import errno

    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        what = "the disk is full; free some space"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        what = "the folder cannot be written (read-only or no permission); fix its permissions or pass --index DIR"
    else:
        what = f"{exc.strerror or exc}; check the folder"
    return IndexWriteError(f"{where}: cannot write the index: {what}; the index there is unchanged")


def _owned(folder: Path) -> bool:
    """True while a live build holds the owner lock inside ``folder`` (a temporary version folder)."""
    import fcntl

    try:
        fd = os.open(folder / OWNER_NAME, os.O_RDWR)
    except OSError:
        return False  # no owner file: its build died before taking it, or it is not a build's folder
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def write_version(index_dir: Path, manifest: Manifest, documents: list[dict], rows: list[PassageRow],
                  vectors: np.ndarray, ann_threshold: int, sentences: list[tuple[int, int, int]] | None = None,
                  sentence_vectors: np.ndarray | None = None) -> Path:
    """Write a complete new version folder and make it current. Returns its path.

    ``sentences``: (passage id, start, end) in source offsets, ordered by passage then start; row i of
    ``sentence_vectors`` is sentence i. Callers hold ``build_lock``."""
    import fcntl

    from .lexical import LexicalIndex

    index_dir = Path(index_dir)
    sentences = sentences or []
    if sentence_vectors is None:
        sentence_vectors = np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 384), np.float32)
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"
    tmp = index_dir / f".tmp-{name}"
    owner = None
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        owner = os.open(tmp / OWNER_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(owner, fcntl.LOCK_EX)
        con = sqlite3.connect(tmp / "meta.sqlite")
        con.executescript(_SCHEMA)
        con.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?)",
            [(d["source"], d["sha256"], d["format"], d["text"], json.dumps(d["page_starts"])) for d in documents],
        )
        con.executemany(
            "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(r.id, r.citation.source, r.citation.start, r.citation.end, r.citation.section, r.citation.committee,
              r.citation.meeting_date, r.citation.item_number, r.citation.item_title, r.citation.page, r.text,
              r.lexical_text) for r in rows],
        )
        con.executemany("INSERT INTO sentences VALUES (?,?,?,?)",
                        [(i, int(p), int(a), int(b)) for i, (p, a, b) in enumerate(sentences)])
        con.commit()
        con.close()
        np.save(tmp / "vectors.npy", vectors.astype(np.float32))
        np.save(tmp / "sentence_vectors.npy", np.asarray(sentence_vectors, dtype=np.float32))
        manifest.dense = _write_dense(tmp / "dense.faiss", vectors, ann_threshold)
        LexicalIndex.build([r.lexical_text for r in rows]).save(tmp / "lexical")
        (tmp / "manifest.json").write_text(manifest.to_json())
        _fsync_tree(tmp)
        final = index_dir / name
        os.replace(tmp, final)
        pointer_tmp = index_dir / f".CURRENT.{os.getpid()}"
        pointer_tmp.write_text(name + "\n")
        _fsync_file(pointer_tmp)
        os.replace(pointer_tmp, index_dir / "CURRENT")  # the commit point
        _fsync_dir(index_dir)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, (OSError, sqlite3.OperationalError)):
            errno_exc = exc if isinstance(exc, OSError) else OSError(_sqlite_errno(exc), str(exc))
            raise write_error(index_dir, errno_exc) from None
        raise
    finally:
        if owner is not None:
            os.close(owner)
    try:
        (final / OWNER_NAME).unlink()
    except OSError:
        pass
    remove_stale_versions(index_dir)
    return final


def _sqlite_errno(exc: Exception) -> int:
    import errno

    text = str(exc).lower()
    if "full" in text:
        return errno.ENOSPC
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return errno.EROFS
    return errno.EIO


def remove_stale_versions(index_dir: Path) -> None:
    """Remove versions that CURRENT does not name, and leftovers of builds that died.

    Called under the build lock, so no other build is between writing a version and naming it in CURRENT.
    A temporary folder is removed only when no live build holds its owner lock (its build is dead)."""
    try:
        live = (index_dir / "CURRENT").read_text().strip()
    except OSError:
        return
    for child in index_dir.iterdir():
        if child.name == live or child.name == "CURRENT":
            continue
        if child.name.startswith("v-") and child.is_dir():
            # A reader may still hold an older version open; files stay readable on POSIX once opened.
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(".tmp-v-") and child.is_dir():
            if not _owned(child):
                shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(".CURRENT."):
            pid = child.name.rsplit(".", 1)[-1]
            if not (pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid))):
                child.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _write_dense(path: Path, vectors: np.ndarray, ann_threshold: int) -> str:
    import faiss

    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 384
    if len(vectors) > ann_threshold:
        index = ivf_index(vectors)
        faiss.write_index(index, str(path))
        return "ivf"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))
    return kind


IVF_NPROBE = 32


def ivf_index(vectors: np.ndarray):
    """Approximate inner-product index: inverted lists over k-means cells (IVF-Flat).

    Chosen over HNSW after measuring both on a replicated corpus (``qa bench``): council papers repeat
    themselves (reprinted minutes, standard wording), and HNSW's graph degrades on near-duplicate vectors
    (recall@10 0.25 at 100x) while IVF keeps them in one cell (recall@10 1.0 with 32 of 4*sqrt(N) cells probed)."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    nlist = max(16, min(4096, int(4 * len(vectors) ** 0.5)))
    quantizer = faiss.IndexFlatIP(vectors.shape[1])
    index = faiss.IndexIVFFlat(quantizer, vectors.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vectors if len(vectors) <= 100_000 else vectors[rng.choice(len(vectors), 100_000, replace=False)]
    index.train(sample)
    index.add(vectors)
    index.nprobe = IVF_NPROBE
    return index


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync_file(path)
    except OSError:
        pass


def _fsync_tree(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file():
            _fsync_file(p)
    _fsync_dir(root)


class IndexVersion:
    """One loaded index version: passages in memory, vectors, FAISS, BM25, and document texts on demand."""

    def __init__(self, version_dir: Path, manifest: Manifest):
        import faiss

        from .lexical import LexicalIndex

        self.dir = version_dir
        self.manifest = manifest
        con = sqlite3.connect(f"file:{version_dir / 'meta.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        self._con, self._con_lock = con, threading.Lock()
        cur = con.execute(
            "SELECT id, source, start, end, section, committee, meeting_date, item_number, item_title, page, "
            "text, lexical_text FROM passages ORDER BY id"
        )
        self.passages = [
            PassageRow(r[0], r[10], Citation(r[1], r[5], r[6], r[7], r[8], r[4], r[2], r[3], r[9]), r[11])
            for r in cur
        ]
        self.documents = {r[0]: (r[1], r[2]) for r in con.execute("SELECT source, sha256, format FROM documents")}
        self.vectors = np.load(version_dir / "vectors.npy")
        self.dense = faiss.read_index(str(version_dir / "dense.faiss"))
        if manifest.dense == "ivf":
            self.dense.nprobe = IVF_NPROBE
        self.lexical = LexicalIndex.load(version_dir / "lexical", len(self.passages))
        dim = manifest.dimension
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.passages) or (len(self.vectors) and self.vectors.shape[1] != dim):
            raise IndexMismatch(f"{version_dir}: vectors.npy holds {'x'.join(map(str, self.vectors.shape))} values for "
                                f"{len(self.passages)} passages of {dim} dimensions; the index is damaged; {REBUILD_HINT}")
        if self.dense.ntotal != len(self.passages) or (len(self.passages) and self.dense.d != dim):
            raise IndexMismatch(f"{version_dir}: dense.faiss holds {self.dense.ntotal} vectors of {self.dense.d} "
                                f"dimensions for {len(self.passages)} passages; the index is damaged; {REBUILD_HINT}")
        rows = con.execute("SELECT passage_id, start, end FROM sentences ORDER BY id").fetchall()
        table = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
        self.sentence_passage = table[:, 0].copy()
        self.sentence_spans = table[:, 1:3].copy()
        self.sentence_vectors = np.load(version_dir / "sentence_vectors.npy")
        sv = self.sentence_vectors
        if sv.ndim != 2 or len(sv) != len(table) or (len(sv) and sv.shape[1] != dim):
            raise IndexMismatch(f"{version_dir}: sentence_vectors.npy holds {'x'.join(map(str, sv.shape))} values for "
                                f"{len(table)} sentences of {dim} dimensions; the index is damaged; {REBUILD_HINT}")
        # Sentence rows are ordered by passage: passage i's rows are [first[i], first[i + 1]).
        if len(table) and (np.any(np.diff(self.sentence_passage) < 0) or self.sentence_passage[-1] >= len(self.passages)
                           or self.sentence_passage[0] < 0):
            raise IndexMismatch(f"{version_dir}: the sentences table is out of order; the index is damaged; {REBUILD_HINT}")
        self._sentence_first = np.searchsorted(self.sentence_passage, np.arange(len(self.passages) + 1), side="left")

    def passage_sentences(self, i: int) -> range:
        """The sentence rows (into ``sentence_spans``/``sentence_vectors``) of passage ``i``, in text order."""
        return range(int(self._sentence_first[i]), int(self._sentence_first[i + 1]))

    def document(self, source: str) -> dict | None:
        # One connection for the life of the version, opened at load: a later build may delete this
        # version's folder, and an open file stays readable, so a long-running server keeps working.
        with self._con_lock:
            row = self._con.execute("SELECT source, sha256, format, text, page_starts FROM documents WHERE source=?",
                                    (source,)).fetchone()
        if row is None:
            return None
        return {"source": row[0], "sha256": row[1], "format": row[2], "text": row[3],
                "page_starts": json.loads(row[4]) if row[4] else None}


def load_version(index_dir: Path, model_id: str, dimension: int) -> IndexVersion:
    if isinstance(index_dir, str) and index_dir.startswith(("postgresql://", "postgres://")):
        from .config import Settings  # issue 20: an index in PostgreSQL (same interface, same checks)
        from .pgstore import open_store

        return open_store(index_dir, Settings.from_env(index_dir=index_dir), model_id, dimension)
    # A build may replace the live version between reading CURRENT and opening its files (the build that
    # made it current then removes the older one): when CURRENT has moved on, load the new one instead.
    for attempt in range(5):
        key = version_key(index_dir)
        version_dir = current_version_dir(Path(index_dir))
        try:
            manifest = read_manifest(version_dir)
            check_manifest(manifest, Path(index_dir), model_id, dimension)
            try:
                return IndexVersion(version_dir, manifest)
            except (OSError, sqlite3.Error, ValueError, RuntimeError, IndexError) as exc:
                raise IndexMismatch(f"{index_dir}: index files unreadable ({exc.__class__.__name__}: "
                                    f"{' '.join(str(exc).split())}); {REBUILD_HINT}")
        except IndexMismatch:
            if attempt < 4 and version_key(index_dir) != key:
                continue
            raise
