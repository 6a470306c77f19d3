"""The index in PostgreSQL: pgvector for the dense side, BM25 postings in tables for the lexical side.

Selected by a URL wherever an index folder is accepted (``--index postgresql://user@host:5432/db``,
``QA_INDEX_DIR``, ``Retriever.load``, the chat page, ``qa serve``); ``open_store`` is the one factory.

Layout, in schema ``qa`` of the database::

    qa.corpora(name PK, live, previous, manifest jsonb, built)   which build of each corpus answers
    qa.docs_<tag>(source PK, sha256, format, text, page_starts)  one table set per build of a corpus
    qa.passages_<tag>(id PK, citation columns, text, lexical_text, embedding vector(384))  + HNSW (inner product)
    qa.postings_<tag>(term PK, ids bytea, scores bytea)          bm25s's eager BM25 scores, one row per term
    qa.lexicon_<tag>(kind PK, data jsonb)                        idf, defined abbreviations, word counts

Design:
- a build writes a complete new table set and switches ``qa.corpora.live`` to it in the same transaction as
  it wrote them, so readers see the old build or the new one, never half of one; a build killed at any point
  (``kill -9`` included) is rolled back by the server and the previous build keeps answering;
- one build per corpus at a time: a session advisory lock, refused at once with a message naming the corpus;
- incremental: files whose hash (and the chunking settings, model and parser) are unchanged keep their
  passages and vectors from the live build; only new and changed files are embedded;
- the previous build's tables are kept until the next build, so a reader that opened it just before a
  switch finishes on it (as the folder store keeps an old version's files readable);
- the lexical scores are bm25s's own (the same tokens, the same precomputed per-term scores), so the two
  stores rank identically on the lexical side; a query reads only the postings of its own terms;
- dense search is exact below ``Settings.ann_threshold`` passages (as the folder store's flat index) and
  HNSW above it (pgvector, ``hnsw.ef_search`` from settings);
- many corpora in one database: each build belongs to a corpus name; a store opens all of them or those in
  ``Settings.corpora``; passage ids are global (corpora in name order, each's ids after the previous ones')
  and every citation carries its corpus;
- a connection pool per process (``psycopg_pool``), checked on checkout, and one retry on a dropped
  connection, so a server restart or a killed backend costs a query at most its retry.
"""
from __future__ import annotations

import json
import re
import struct
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .errors import BadQuery, IndexMismatch, IndexMissing, QAError
from .records import Citation
from .store import FORMAT_VERSION, REBUILD_HINT, Manifest, PassageRow, check_manifest

# 2: qa.sentences_<tag> (every sentence with its vector, as format 3 folders), passages' item and agreement
SCHEMA_VERSION = 2
HNSW_M = 16  # HNSW build parameters (pgvector's defaults); Settings.hnsw_m / hnsw_ef_construction when set
HNSW_EF_CONSTRUCTION = 64
TABLES = ("docs", "passages", "postings", "lexicon", "sentences")
POOL_WAIT_S = 5.0  # how long a query waits for a pooled connection (all busy, or the server down)
URL_PREFIXES = ("postgresql://", "postgres://")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$")


class StoreUnavailable(IndexMissing):
    """The PostgreSQL server named by the URL cannot be reached."""


class BuildRunning(QAError):
    """Another build of the same corpus holds the build lock."""


def is_url(location) -> bool:
    return isinstance(location, str) and location.startswith(URL_PREFIXES)


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1@", url)


def _tag_name(corpus: str, n: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", corpus.lower()).strip("_")[:30] or "corpus"
    return f"{slug}_{n}"


# ------------------------------------------------------------------------------------- connections
def _vector_text(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(v, dtype=np.float32)) + "]"


def _vector_binary(v: np.ndarray) -> bytes:
    """pgvector's binary wire format: dimension, unused, then big-endian float4s."""
    v = np.asarray(v, dtype=">f4")
    return struct.pack(">HH", len(v), 0) + v.tobytes()


def _parse_vector(text: str) -> np.ndarray:
    # pgvector prints the shortest text that reads back to the same float4: the round trip is exact
    return np.array(text[1:-1].split(","), dtype=np.float32)


def connect(url: str, **kwargs):
    import psycopg

    try:
        return psycopg.connect(url, **kwargs)
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"{safe_url(url)}: cannot connect ({_first_line(exc)}); start the server or fix the URL")


def _first_line(exc) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200]


_DDL = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE SCHEMA IF NOT EXISTS qa;
CREATE TABLE IF NOT EXISTS qa.corpora (name TEXT PRIMARY KEY, live TEXT NOT NULL, previous TEXT,
    manifest JSONB NOT NULL, built TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE SEQUENCE IF NOT EXISTS qa.builds;
"""


def ensure_schema(conn) -> None:
    # Two first builds at once would race on CREATE ... IF NOT EXISTS: serialise them on a lock.
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('qa-schema'))")
        conn.execute(_DDL)


# ------------------------------------------------------------------------------------- the store
@dataclass(frozen=True)
class CorpusBuild:
    name: str
    tag: str
    manifest: Manifest
    offset: int  # global id of this corpus's passage 0


class PgStore:
    """The live builds of the chosen corpora, read through a connection pool.

    Search methods take and return global passage ids; nothing here holds the corpus in memory."""

    def __init__(self, url: str, settings, corpora: list[str] | None = None, pool_size: int | None = None):
        from psycopg_pool import ConnectionPool

        self.url = url
        self.settings = settings
        self.where = safe_url(url)
        conn = connect(url, autocommit=True)
        try:
            rows = _live_rows(conn)
        finally:
            conn.close()
        wanted = corpora if corpora is not None else _wanted(settings)
        if wanted:
            unknown = sorted(set(wanted) - {r[0] for r in rows})
            if unknown:
                have = ", ".join(r[0] for r in rows) or "none"
                raise IndexMissing(f"{self.where}: no corpus named {', '.join(unknown)} (corpora here: {have}); "
                                   f"build it with: qa index --index {self.where} (QA_CORPUS_NAME=<name>)")
            rows = [r for r in rows if r[0] in wanted]
        if not rows:
            raise IndexMissing(f"{self.where}: no index here yet; build it with: qa index --index {self.where}")
        self.corpora: list[CorpusBuild] = []
        offset = 0
        for name, tag, manifest in rows:
            m = Manifest.from_json(json.dumps(manifest))
            self.corpora.append(CorpusBuild(name, tag, m, offset))
            offset += m.passages
        self.size = offset
        self.key = ";".join(f"{c.name}={c.tag}" for c in self.corpora)
        size = pool_size or int(getattr(settings, "pg_pool_size", 4) or 4)
        self.pool = ConnectionPool(url, min_size=1, max_size=max(1, size), open=True, timeout=POOL_WAIT_S,
                                   check=ConnectionPool.check_connection, kwargs={"autocommit": True},
                                   name="qa")
        self._offsets = np.array([c.offset for c in self.corpora], dtype=np.int64)

    def close(self) -> None:
        self.pool.close()

    # -------------------------------------------------------------- plumbing
    def _run(self, fn):
        """``fn(conn)`` on a pooled connection, retried once on a dropped connection."""
        import psycopg

        for attempt in (0, 1):
            try:
                with self.pool.connection() as conn:
                    return fn(conn)
            except psycopg.OperationalError as exc:
                if attempt:
                    raise StoreUnavailable(f"{self.where}: the database went away ({_first_line(exc)}); retry shortly")
            except psycopg.errors.UndefinedTable:
                raise IndexMismatch(f"{self.where}: this build was replaced by a newer one; reload the index")
            except Exception as exc:  # pool timeout: the server is down
                from psycopg_pool import PoolTimeout

                if isinstance(exc, PoolTimeout):
                    raise StoreUnavailable(f"{self.where}: no connection to the database; start it and retry")
                raise

    def _corpus_of(self, gid: int) -> CorpusBuild:
        return self.corpora[int(np.searchsorted(self._offsets, gid, side="right")) - 1]

    def _split(self, ids) -> dict[int, list[int]]:
        """Global ids grouped per corpus index, as local ids (in the order given)."""
        ids = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64)
        if not len(ids):
            return {}
        which = np.searchsorted(self._offsets, ids, side="right") - 1
        return {int(ci): (ids[which == ci] - self.corpora[int(ci)].offset).tolist() for ci in np.unique(which)}

    # -------------------------------------------------------------- search protocol
    def dense_search(self, qvec: np.ndarray, k: int, mask_ids=None, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` passages nearest the query vector (inner product = cosine): (global ids, cosines), best first.

        HNSW unless ``exact`` or ``mask_ids`` (the allowed global ids; searched exactly)."""
        q = _vector_text(qvec)
        ef = max(int(getattr(self.settings, "hnsw_ef_search", 100) or 100), min(k, 1000))
        groups = self._split(mask_ids) if mask_ids is not None else None

        def go(conn):
            found: list[tuple[float, int]] = []
            with conn.transaction():
                conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef)}")
                if exact or groups is not None:
                    conn.execute("SET LOCAL enable_indexscan = off")
                for ci, c in enumerate(self.corpora):
                    if groups is not None and ci not in groups:
                        continue
                    where = " WHERE id = ANY(%s)" if groups is not None else ""
                    params = ([q, groups[ci], q, k] if groups is not None else [q, q, k])
                    rows = conn.execute(
                        f"SELECT id, -(embedding <#> %s::vector) FROM qa.passages_{c.tag}{where} "
                        f"ORDER BY embedding <#> %s::vector LIMIT %s", params).fetchall()
                    found += [(float(s), c.offset + int(i)) for i, s in rows]
            return found

        found = sorted(self._run(go), key=lambda t: (-t[0], t[1]))[:k]
        return (np.array([g for _, g in found], dtype=np.int64), np.array([s for s, _ in found], dtype=np.float32))

    def dense_scores(self, qvec: np.ndarray) -> np.ndarray:
        """The cosine of the query with every passage (exact; what the folder store's flat index gives)."""
        q = _vector_text(qvec)
        out = np.zeros(self.size, dtype=np.float32)

        def go(conn):
            for c in self.corpora:
                with conn.cursor(binary=True) as cur:
                    cur.execute(f"SELECT id, -(embedding <#> %s::vector)::float4 FROM qa.passages_{c.tag}", [q])
                    rows = cur.fetchall()
                if rows:
                    ids, sims = zip(*rows)
                    out[c.offset + np.asarray(ids, dtype=np.int64)] = np.asarray(sims, dtype=np.float32)
            return out

        return self._run(go)

    def postings(self, terms: list[str]) -> list[dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Per corpus: {term: (global ids, BM25 scores)} for the terms that occur in it."""
        unique = sorted(set(terms))

        def go(conn):
            per = []
            for c in self.corpora:
                rows = conn.execute(f"SELECT term, ids, scores FROM qa.postings_{c.tag} WHERE term = ANY(%s)",
                                    [unique]).fetchall()
                per.append({t: (np.frombuffer(ids, dtype=np.int32).astype(np.int64) + c.offset,
                                np.frombuffer(sc, dtype=np.float32)) for t, ids, sc in rows})
            return per

        return self._run(go) if unique else [{} for _ in self.corpora]

    def bm25_scores(self, terms: list[str]) -> np.ndarray:
        """bm25s's score of every passage for the query terms (a term typed twice counts twice)."""
        scores = np.zeros(self.size, dtype=np.float32)
        for per in self.postings(terms):
            for t in terms:
                if t in per:
                    ids, sc = per[t]
                    scores[ids] += sc
        return scores

    def lexical_search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best passages by BM25 for the query's words: (global ids, scores), best first."""
        from .lexical import Tokenizer

        return self.lexical_terms_search(_tokenizer(Tokenizer)(query), k)

    def lexical_terms_search(self, terms, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best passages by BM25 for already tokenised terms (only their postings are read)."""
        terms = list(terms)
        ids_parts, score_parts = [], []
        for per in self.postings(terms):
            for t in terms:
                if t in per:
                    ids_parts.append(per[t][0])
                    score_parts.append(per[t][1])
        if not ids_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        ids = np.concatenate(ids_parts)
        summed = np.bincount(ids, weights=np.concatenate(score_parts), minlength=self.size)
        hit = np.nonzero(summed)[0]
        if len(hit) > k:
            hit = hit[np.argpartition(-summed[hit], k - 1)[:k]]
        hit = hit[np.lexsort((hit, -summed[hit]))]
        return hit.astype(np.int64), summed[hit].astype(np.float32)

    def passage(self, i: int) -> PassageRow:
        c = self._corpus_of(i)
        row = self._run(lambda conn: conn.execute(
            f"SELECT {_PASSAGE_COLS} FROM qa.passages_{c.tag} WHERE id = %s", [int(i) - c.offset]).fetchone())
        if row is None:
            raise BadQuery(f"passage {i}: no such passage in {self.where}")
        return _row(row, c)

    def passages(self) -> list[PassageRow]:
        """Every passage's text and citation, in id order (without vectors)."""
        def go(conn):
            out = []
            for c in self.corpora:
                out += [_row(r, c) for r in conn.execute(
                    f"SELECT {_PASSAGE_COLS} FROM qa.passages_{c.tag} ORDER BY id")]
            return out

        return self._run(go)

    def document(self, source: str, corpus: str | None = None) -> dict | None:
        def go(conn):
            for c in self.corpora:
                if corpus and c.name != corpus:
                    continue
                row = conn.execute(f"SELECT source, sha256, format, text, page_starts FROM qa.docs_{c.tag} "
                                   "WHERE source = %s", [source]).fetchone()
                if row:
                    return {"source": row[0], "sha256": row[1], "format": row[2], "text": row[3],
                            "page_starts": row[4], "corpus": c.name}
            return None

        return self._run(go)

    def documents(self) -> dict[str, tuple[str, str]]:
        def go(conn):
            out = {}
            for c in self.corpora:
                for s, sha, fmt in conn.execute(f"SELECT source, sha256, format FROM qa.docs_{c.tag}"):
                    out.setdefault(s, (sha, fmt))
            return out

        return self._run(go)

    def lexicon(self) -> tuple[dict, dict, dict, dict]:
        """(idf, defined abbreviations, word counts, vocabulary) over the chosen corpora."""
        def go(conn):
            idf, acronyms, words, vocab = {}, {}, {}, {}
            for c in self.corpora:
                for kind, data in conn.execute(f"SELECT kind, data FROM qa.lexicon_{c.tag}"):
                    if kind == "idf":
                        for t, v in data.items():
                            idf[t] = max(idf.get(t, 0.0), v)
                    elif kind == "acronyms":
                        for a, v in data.items():
                            acronyms.setdefault(a, v)
                    elif kind == "words":
                        for w, n in data.items():
                            words[w] = words.get(w, 0) + n
                for (t,) in conn.execute(f"SELECT term FROM qa.postings_{c.tag}"):
                    vocab.setdefault(t, len(vocab))
            return idf, acronyms, words, vocab

        return self._run(go)

    # -------------------------------------------------------------- the candidate stage (qa.pgretrieve)
    @property
    def item_offsets(self) -> np.ndarray:
        """Global number of each corpus's agenda item 0 (items are numbered per build)."""
        cached = self.__dict__.get("_item_offsets")
        if cached is None:
            def go(conn):
                return [conn.execute(f"SELECT coalesce(max(item) + 1, 0) FROM qa.passages_{c.tag}").fetchone()[0]
                        for c in self.corpora]

            counts = self._run(go)
            cached = self.__dict__["_item_offsets"] = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        return cached

    @staticmethod
    def filter_sql(filters) -> tuple[str, list]:
        """A WHERE condition on a passages table for ``qa.retrieve.Filters`` (what ``Retriever._mask`` does)."""
        parts, params = ["TRUE"], []
        if filters is None:
            return "TRUE", []
        if filters.committee:
            parts.append("strpos(lower(coalesce(committee, '')), %s) > 0")
            params.append(filters.committee.lower())
        if filters.since:
            parts.append("meeting_date <> '' AND meeting_date >= %s")
            params.append(filters.since)
        if filters.until:
            parts.append("meeting_date <> '' AND meeting_date <= %s")
            params.append(filters.until)
        if filters.section:
            parts.append("section = ANY(%s)")
            params.append(list(filters.section))
        if filters.source:
            prefix = filters.source.rstrip("/") + "/"
            parts.append("(source = %s OR left(source, %s) = %s)")
            params += [filters.source, len(prefix), prefix]
        return " AND ".join(parts), params

    @staticmethod
    def intent_sql(intent) -> tuple[str, list] | None:
        """The passages of the meeting or committee a question names (the priors' date and committee match)."""
        parts, params = [], []
        if intent.since:
            # plain comparisons (meeting dates are ISO days), so the planner can use the index on meeting_date
            parts.append("(meeting_date <> '' AND meeting_date >= %s AND meeting_date <= %s)")
            params += [intent.since, intent.until or intent.since]
        if intent.committee:
            parts.append("lower(coalesce(committee, '')) = %s")
            params.append(intent.committee.lower())
        return ("(" + " OR ".join(parts) + ")", params) if parts else None

    @staticmethod
    def and_sql(a: tuple[str, list], b: tuple[str, list]) -> tuple[str, list]:
        return f"({a[0]}) AND ({b[0]})", a[1] + b[1]

    def count(self, where: tuple[str, list]) -> int:
        def go(conn):
            return sum(conn.execute(f"SELECT count(*) FROM qa.passages_{c.tag} WHERE {where[0]}", where[1]).fetchone()[0]
                       for c in self.corpora)

        return self._run(go)

    def allowed(self, ids, where: tuple[str, list]) -> np.ndarray:
        """Those of the global ``ids`` that meet ``where``, ascending."""
        groups = self._split(ids)

        def go(conn):
            out = []
            for ci, local in groups.items():
                c = self.corpora[ci]
                out += [c.offset + r[0] for r in conn.execute(
                    f"SELECT id FROM qa.passages_{c.tag} WHERE id = ANY(%s) AND {where[0]}", [local] + where[1])]
            return out

        return np.array(sorted(self._run(go)) if groups else [], dtype=np.int64)

    def dense_search_where(self, qvec: np.ndarray, k: int, where: tuple[str, list],
                           exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` allowed passages nearest the query: (global ids, cosines), best first; HNSW unless ``exact``
        (an exact scan, under a filter or below ``ann_threshold``)."""
        q = _vector_text(qvec)
        ef = max(int(getattr(self.settings, "hnsw_ef_search", 100) or 100), min(k, 1000))

        def go(conn):
            found: list[tuple[float, int]] = []
            with conn.transaction():
                conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef)}")
                if exact:
                    conn.execute("SET LOCAL enable_indexscan = off")
                for c in self.corpora:
                    rows = conn.execute(
                        f"SELECT id, (-(embedding <#> %s::vector))::float4 FROM qa.passages_{c.tag} WHERE {where[0]} "
                        f"ORDER BY embedding <#> %s::vector LIMIT %s", [q] + where[1] + [q, k]).fetchall()
                    found += [(float(s), c.offset + int(i)) for i, s in rows]
            return found

        found = sorted(self._run(go), key=lambda t: (-t[0], t[1]))[:k]
        return (np.array([g for _, g in found], dtype=np.int64), np.array([s for s, _ in found], dtype=np.float32))

    def dense_stats(self, qvec: np.ndarray, where: tuple[str, list]) -> tuple[int, float, float]:
        """(count, median cosine, lowest cosine) of the allowed passages: the fusion's normalisation, exactly."""
        q = _vector_text(qvec)
        union = " UNION ALL ".join(f"SELECT (-(embedding <#> %s::vector))::float4 AS s FROM qa.passages_{c.tag} "
                                   f"WHERE {where[0]}" for c in self.corpora)
        params = sum(([q] + where[1] for _ in self.corpora), [])

        def go(conn):
            return conn.execute(f"SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY s), min(s) "
                                f"FROM ({union}) x", params).fetchone()

        n, median, low = self._run(go)
        return int(n), float(median or 0.0), float(low or 0.0)

    def dense_exact(self, qvec: np.ndarray, k: int, where: tuple[str, list]):
        """One exact scan for both what the exact mode needs: the ``k`` nearest allowed passages (global ids,
        cosines, best first) and (count, median cosine, lowest cosine) of all allowed passages."""
        q = _vector_text(qvec)
        union = " UNION ALL ".join(f"SELECT id + {int(c.offset)} AS id, (-(embedding <#> %s::vector))::float4 AS s "
                                   f"FROM qa.passages_{c.tag} WHERE {where[0]}" for c in self.corpora)
        params = sum(([q] + where[1] for _ in self.corpora), [])

        def go(conn):
            # the CTE is read twice, so PostgreSQL computes the distances once (a materialised CTE)
            return conn.execute(
                f"WITH d AS MATERIALIZED ({union}) "
                "SELECT (SELECT count(*) FROM d), (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FROM d), "
                "(SELECT min(s) FROM d), (SELECT array_agg(id ORDER BY s DESC, id) FROM "
                "(SELECT id, s FROM d ORDER BY s DESC, id LIMIT %s) t), "
                "(SELECT array_agg(s ORDER BY s DESC, id) FROM (SELECT id, s FROM d ORDER BY s DESC, id LIMIT %s) t)",
                params + [k, k]).fetchone()

        n, median, low, ids, sims = self._run(go)
        return (np.array(ids or [], dtype=np.int64), np.array(sims or [], dtype=np.float32),
                (int(n), float(median or 0.0), float(low or 0.0)))

    def item_rows(self, ids, where: tuple[str, list], qvec: np.ndarray | None = None) -> dict[int, dict]:
        """Every allowed passage of the agenda items of ``ids`` (global), with what the priors read of it and,
        given ``qvec``, its exact cosine: {global id: {source, section, committee, meeting_date, item, agreement,
        cosine}}."""
        groups = self._split(ids)
        offsets = self.item_offsets
        q = _vector_text(qvec) if qvec is not None else None

        def go(conn):
            out = {}
            for ci, local in groups.items():
                c = self.corpora[ci]
                items = [r[0] for r in conn.execute(
                    f"SELECT DISTINCT item FROM qa.passages_{c.tag} WHERE id = ANY(%s)", [local])]
                cosine = "(-(embedding <#> %s::vector))::float4" if q is not None else "NULL::float4"
                rows = conn.execute(
                    f"SELECT id, source, section, committee, meeting_date, item, agreement, {cosine} "
                    f"FROM qa.passages_{c.tag} WHERE item = ANY(%s) AND {where[0]}",
                    ([q] if q is not None else []) + [items] + where[1])
                for r in rows:
                    out[c.offset + r[0]] = {"source": r[1], "section": r[2], "committee": r[3], "meeting_date": r[4],
                                            "item": int(offsets[ci] + r[5]), "agreement": bool(r[6]), "cosine": r[7]}
            return out

        return self._run(go) if groups else {}

    def rows(self, ids) -> dict[int, tuple[PassageRow, int]]:
        """{global id: (row, global item number)} for ``ids``."""
        groups = self._split(ids)
        offsets = self.item_offsets

        def go(conn):
            out = {}
            for ci, local in groups.items():
                c = self.corpora[ci]
                for r in conn.execute(f"SELECT {_PASSAGE_COLS}, item FROM qa.passages_{c.tag} WHERE id = ANY(%s)",
                                      [local]):
                    out[c.offset + r[0]] = (_row(r, c), int(offsets[ci] + r[12]))
            return out

        return self._run(go) if groups else {}

    def iter_rows(self, batch: int = 5000):
        """Every passage in id order, ``batch`` at a time: {global id: (row, global item number)} per batch."""
        for start in range(0, self.size, batch):
            yield self.rows(range(start, min(self.size, start + batch)))

    def sentences(self, ids) -> dict[int, tuple[list[tuple[int, int]], np.ndarray]]:
        """{global id: (sentence spans in source offsets, their vectors)} for those of ``ids`` whose corpus
        stores sentences (built by this qa); a passage with no sentence of its own gets none."""
        groups = self._split(ids)
        dim = self.corpora[0].manifest.dimension if self.corpora else 384

        def go(conn):
            out = {}
            for ci, local in groups.items():
                c = self.corpora[ci]
                if "sentences" not in c.manifest.extra:
                    continue
                got: dict[int, list] = {i: [] for i in local}
                for pid, a, b, v in conn.execute(f"SELECT passage_id, start, \"end\", embedding::text FROM "
                                                 f"qa.sentences_{c.tag} WHERE passage_id = ANY(%s) ORDER BY id", [local]):
                    got[pid].append(((a, b), _parse_vector(v)))
                for pid, found in got.items():
                    out[c.offset + pid] = ([s for s, _ in found],
                                           np.stack([v for _, v in found]) if found else np.zeros((0, dim), np.float32))
            return out

        return self._run(go) if groups else {}

    def meetings(self) -> list[tuple[str | None, str | None]]:
        """Every (committee, meeting date) that some passage records."""
        def go(conn):
            out = set()
            for c in self.corpora:
                out.update(conn.execute(f"SELECT DISTINCT committee, meeting_date FROM qa.passages_{c.tag}").fetchall())
            return sorted(out, key=lambda t: (t[0] or "", t[1] or ""))

        return self._run(go)

    def item_members(self, item: int) -> list[int]:
        """Global ids of the passages of global agenda item ``item``, in document order."""
        offsets = self.item_offsets
        ci = int(np.searchsorted(offsets, item, side="right")) - 1
        c = self.corpora[ci]
        rows = self._run(lambda conn: conn.execute(f"SELECT id FROM qa.passages_{c.tag} WHERE item = %s ORDER BY id",
                                                   [int(item - offsets[ci])]).fetchall())
        return [c.offset + r[0] for r in rows]

    def size_bytes(self) -> int:
        def go(conn):
            total = 0
            for c in self.corpora:
                for t in TABLES:
                    total += conn.execute("SELECT pg_total_relation_size(%s)", [f"qa.{t}_{c.tag}"]).fetchone()[0]
            return total

        return self._run(go)


_PASSAGE_COLS = ("id, source, start, \"end\", section, committee, meeting_date, item_number, item_title, page, "
                 "text, lexical_text")


def _row(r, c: CorpusBuild) -> PassageRow:
    return PassageRow(c.offset + r[0], r[10], Citation(r[1], r[5], r[6], r[7], r[8], r[4], r[2], r[3], r[9],
                                                       corpus=c.name), r[11])


_TOKENIZERS: dict = {}


def _tokenizer(cls):
    tok = _TOKENIZERS.get("t")
    if tok is None:
        tok = _TOKENIZERS["t"] = cls()
    return tok


def _wanted(settings) -> list[str] | None:
    raw = getattr(settings, "corpora", "") or ""
    names = [n.strip() for n in raw.split(",") if n.strip()]
    return names or None


def _live_rows(conn) -> list[tuple[str, str, dict]]:
    import psycopg

    try:
        return conn.execute("SELECT name, live, manifest FROM qa.corpora ORDER BY name").fetchall()
    except psycopg.errors.UndefinedTable:
        return []


_KEYS: dict[str, tuple[float, str]] = {}
KEY_TTL_S = 1.0  # a server asks on every request; a new build is seen within this time


def version_key(url: str) -> str:
    """Changes whenever a build of any corpus becomes live (a cache key for a loaded store)."""
    now = time.monotonic()
    cached = _KEYS.get(url)
    if cached and now - cached[0] < KEY_TTL_S:
        return cached[1]
    key = _version_key(url)
    _KEYS[url] = (now, key)
    return key


def _version_key(url: str) -> str:
    try:
        conn = connect(url, autocommit=True, connect_timeout=5)
    except StoreUnavailable:
        return ""
    try:
        return ";".join(f"{n}={t}" for n, t, _ in _live_rows(conn))
    finally:
        conn.close()


# ------------------------------------------------------------------------------------- the retriever's view
class _PgBM25:
    """What ``LexicalIndex`` asks of bm25s (``vocab_dict``, ``get_scores``), answered from the postings."""

    def __init__(self, store: PgStore, vocab: dict[str, int]):
        self.store = store
        self.vocab_dict = vocab

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        return self.store.bm25_scores(list(tokens))


class _ExactVectors:
    """Stands in for the folder store's vector matrix: ``vectors @ q`` is the exact cosine of every passage."""

    def __init__(self, store: PgStore):
        self.store = store
        self.shape = (store.size, 384)

    def __len__(self) -> int:
        return self.store.size

    def __matmul__(self, qvec):
        return self.store.dense_scores(qvec)


class _HNSW:
    """Stands in for a FAISS index: ``search(q[None], k) -> (sims, ids)``, -1 where fewer than k came back."""

    def __init__(self, store: PgStore):
        self.store = store

    def search(self, q, k: int):
        ids, sims = self.store.dense_search(np.asarray(q)[0], int(k))
        out_ids = np.full((1, k), -1, dtype=np.int64)
        out_sims = np.full((1, k), -1.0, dtype=np.float32)
        out_ids[0, :len(ids)] = ids
        out_sims[0, :len(sims)] = sims
        return out_sims, out_ids


class PgVersion:
    """The live builds seen as one index version, with the folder store's ``IndexVersion`` interface
    (``manifest``, ``passages``, ``vectors``, ``dense``, ``lexical``, ``documents``, ``document``), so the
    retriever ranks over PostgreSQL exactly as it ranks over a folder."""

    def __init__(self, store: PgStore, settings):
        from .lexical import LexicalIndex

        self.store = store
        self.dir = store.where
        ms = [c.manifest for c in store.corpora]
        files = {}
        for c in store.corpora:
            for src, sha in c.manifest.files.items():
                files.setdefault(src, sha)
        dense = "flat" if store.size <= settings.ann_threshold else "hnsw"
        self.manifest = replace(ms[0], files=files, passages=store.size, meetings=sum(m.meetings for m in ms),
                                items=sum(m.items for m in ms), dense=dense,
                                created=max(m.created for m in ms),
                                extra={"store": "postgresql", "corpora": [c.name for c in store.corpora]})
        from .pgretrieve import LazyColumn, RowCache

        # Passages are read on demand (qa.pgretrieve): ``passages[i]`` works, nothing corpus-sized is held.
        self.rows = RowCache(store)
        self.passages = LazyColumn(self.rows, lambda r: r[0])
        self.documents = store.documents()
        self.vectors = _ExactVectors(store)
        self.dense = _HNSW(store)
        idf, acronyms, words, vocab = store.lexicon()
        self.lexical = LexicalIndex(_PgBM25(store, vocab), store.size, idf, acronyms, words)

    def document(self, source: str) -> dict | None:
        return self.store.document(source)


def open_store(url_or_dir, settings, model_id: str | None = None, dimension: int | None = None):
    """The index at a folder or a ``postgresql://`` URL, checked against the model, as an index version.

    The one wiring point: ``qa.store.load_version`` hands URLs here."""
    from .embed import DIMENSION
    from .embed import model_id as current_model

    model_id = model_id or current_model(settings.quantize)
    dimension = dimension or DIMENSION
    if not is_url(url_or_dir):
        from .store import load_version

        return load_version(Path(url_or_dir), model_id, dimension)
    store = PgStore(url_or_dir, settings)
    for c in store.corpora:
        check_manifest(c.manifest, f"{store.where} (corpus {c.name})", model_id, dimension)
        if c.manifest.extra.get("pg_schema") != SCHEMA_VERSION:
            store.close()
            raise IndexMismatch(f"{store.where} (corpus {c.name}): PostgreSQL layout "
                                f"{c.manifest.extra.get('pg_schema')}, this qa reads {SCHEMA_VERSION}; {REBUILD_HINT}")
    return PgVersion(store, settings)


# ------------------------------------------------------------------------------------- building
def corpus_name(settings) -> str:
    name = (getattr(settings, "corpus_name", "") or "").strip() or Path(settings.corpus_dir).name or "corpus"
    if not _NAME.match(name):
        raise BadQuery(f"QA_CORPUS_NAME: {name!r}; use up to 63 letters, digits, spaces, '.', '_' or '-'")
    return name


def _acquire(conn, url: str, name: str) -> None:
    got = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [f"qa-build:{name}"]).fetchone()[0]
    if not got:
        raise BuildRunning(f"{safe_url(url)}: another build of corpus {name!r} is running; wait for it to finish "
                           "(or stop it), then run qa index again")


def _previous(conn, name: str, settings, model_id: str, dimension: int):
    """The corpus's live build as a ``_PreviousBuild``, if its passages and vectors could be carried over."""
    from . import build as folder_build  # its PARSER_VERSION: the one the plan writes into the manifest

    row = conn.execute("SELECT live, manifest FROM qa.corpora WHERE name = %s", [name]).fetchone()
    if row is None:
        return None
    tag, manifest = row
    m = Manifest.from_json(json.dumps(manifest))
    if (m.format_version != FORMAT_VERSION or m.model != model_id or m.dimension != dimension
            or (m.chunk_tokens, m.chunk_overlap) != (settings.chunk_tokens, settings.chunk_overlap)
            or m.parser_version != folder_build.PARSER_VERSION or m.extra.get("pg_schema") != SCHEMA_VERSION):
        return None
    return _PreviousBuild(conn, tag, m, name)


class _PreviousBuild:
    """One build's rows, vectors, documents and sentences, read whole into the building process, with the
    ``IndexVersion`` interface ``qa.build.plan_build`` carries unchanged files over from (a build handles
    the whole corpus anyway; workers never load this)."""

    def __init__(self, conn, tag: str, manifest: Manifest, name: str):
        self.manifest = manifest
        self.passages, vectors = [], []
        for r in conn.execute(f"SELECT {_PASSAGE_COLS}, embedding::text FROM qa.passages_{tag} ORDER BY id"):
            self.passages.append(PassageRow(r[0], r[10], Citation(r[1], r[5], r[6], r[7], r[8], r[4], r[2], r[3],
                                                                  r[9], corpus=name), r[11]))
            vectors.append(_parse_vector(r[12]))
        self.vectors = np.stack(vectors) if vectors else np.zeros((0, manifest.dimension), np.float32)
        self._docs = {r[0]: {"source": r[0], "sha256": r[1], "format": r[2], "text": r[3], "page_starts": r[4]}
                      for r in conn.execute(f"SELECT source, sha256, format, text, page_starts FROM qa.docs_{tag}")}
        rows = conn.execute(f"SELECT passage_id, start, \"end\", embedding::text FROM qa.sentences_{tag} "
                            "ORDER BY id").fetchall()
        self.sentence_passage = np.array([r[0] for r in rows], dtype=np.int64)
        self.sentence_spans = np.array([(r[1], r[2]) for r in rows], dtype=np.int64).reshape(-1, 2)
        self.sentence_vectors = (np.stack([_parse_vector(r[3]) for r in rows]) if rows
                                 else np.zeros((0, manifest.dimension), np.float32))
        self._first = np.searchsorted(self.sentence_passage, np.arange(len(self.passages) + 1), side="left")

    def passage_sentences(self, i: int) -> range:
        return range(int(self._first[i]), int(self._first[i + 1]))

    def document(self, source: str) -> dict | None:
        return self._docs.get(source)


def build(settings, rebuild: bool = False, progress: bool | None = None, stall=None, on_progress=None):
    """Build or update corpus ``corpus_name(settings)`` at the URL ``settings.index_dir``; returns a
    ``qa.build.BuildReport``. What is written is planned by ``qa.build.plan_build``, as for a folder (the
    same passages, vectors each embedded alone, sentences and counts); only the writing differs.
    ``stall`` (tests) is called after the rows are written, before the switch."""
    from .build import plan_build
    from .embed import DIMENSION, model_id as current_model

    url = str(settings.index_dir)
    name = corpus_name(settings)
    t0 = time.perf_counter()
    conn = connect(url, autocommit=True)
    try:
        ensure_schema(conn)
        _acquire(conn, url, name)
        live = _previous(conn, name, settings, current_model(settings.quantize), DIMENSION)
        plan = plan_build(settings, live, rebuild, progress, on_progress, index_dir=safe_url(url), corpus=name)
        if plan.manifest is not None:
            manifest = replace(plan.manifest, dense="hnsw",
                               extra={**plan.manifest.extra, "pg_schema": SCHEMA_VERSION, "corpus": name})
            if on_progress is not None:
                on_progress("writing the index", 0.95)
            write_build(conn, name, manifest, plan.documents, plan.rows, plan.vectors, stall=stall,
                        sentences=plan.sentences, sentence_vectors=plan.sentence_vectors,
                        hnsw_m=getattr(settings, "hnsw_m", None), hnsw_ef_construction=getattr(settings, "hnsw_ef_construction", None))
    finally:
        conn.close()
    plan.report.seconds = time.perf_counter() - t0
    return plan.report


def write_build(conn, name: str, manifest: Manifest, documents: list[dict], rows: list[PassageRow],
                vectors: np.ndarray, lexical_texts: list[str] | None = None, stall=None,
                hnsw_m: int | None = None, hnsw_ef_construction: int | None = None, timings: dict | None = None,
                maintenance_work_mem: str = "1GB", lexical=None, sentences=None, sentence_vectors=None) -> str:
    """Write one build's tables and make it the corpus's live build, all in one transaction. Returns its tag.

    ``sentences``: (passage id, start, end) in source offsets, ordered by passage; row i of
    ``sentence_vectors`` is sentence i (as ``qa.store.write_version``). Each passage also gets its agenda
    item's number (items numbered in order of first appearance, as ``qa.candidates.Corpus``) and whether it
    records an agreement, so the candidate stage reads those per passage from SQL instead of holding them.
    The caller holds the corpus's build lock. The build before the previous one is dropped afterwards."""
    from .candidates import _AGREEMENT
    from .lexical import LexicalIndex

    hnsw_m = int(hnsw_m or HNSW_M)
    hnsw_ef_construction = int(hnsw_ef_construction or HNSW_EF_CONSTRUCTION)
    sentences = sentences or []
    if sentence_vectors is None or not len(sentences):
        sentence_vectors = np.zeros((0, manifest.dimension), np.float32)
    if len(sentence_vectors) != len(sentences):
        raise BadQuery(f"{len(sentences)} sentences but {len(sentence_vectors)} sentence vectors")

    timings = timings if timings is not None else {}
    texts = lexical_texts if lexical_texts is not None else [r.lexical_text for r in rows]
    if lexical is None:  # (the bench computes it once for both stores)
        t = time.perf_counter()
        lexical = LexicalIndex.build(texts)
        timings["bm25_s"] = time.perf_counter() - t
    vocab = lexical.retriever.vocab_dict
    sc = lexical.retriever.scores
    data, indices, indptr = sc["data"], sc["indices"], sc["indptr"]
    with conn.transaction():
        n = conn.execute("SELECT nextval('qa.builds')").fetchone()[0]
        tag = _tag_name(name, n)
        conn.execute(f"""
            CREATE TABLE qa.docs_{tag} (source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, format TEXT NOT NULL,
                text TEXT NOT NULL, page_starts JSONB);
            CREATE TABLE qa.passages_{tag} (id INTEGER PRIMARY KEY, source TEXT NOT NULL, start INTEGER NOT NULL,
                "end" INTEGER NOT NULL, section TEXT NOT NULL, committee TEXT, meeting_date TEXT, item_number TEXT,
                item_title TEXT, page INTEGER, text TEXT NOT NULL, lexical_text TEXT NOT NULL,
                embedding vector({manifest.dimension}) NOT NULL, item INTEGER NOT NULL, agreement BOOLEAN NOT NULL);
            CREATE TABLE qa.sentences_{tag} (id INTEGER PRIMARY KEY, passage_id INTEGER NOT NULL,
                start INTEGER NOT NULL, "end" INTEGER NOT NULL, embedding vector({manifest.dimension}) NOT NULL);
            CREATE TABLE qa.postings_{tag} (term TEXT PRIMARY KEY, ids BYTEA NOT NULL, scores BYTEA NOT NULL);
            CREATE TABLE qa.lexicon_{tag} (kind TEXT PRIMARY KEY, data JSONB NOT NULL);
        """)
        t = time.perf_counter()
        with conn.cursor().copy(f"COPY qa.docs_{tag} FROM STDIN") as cp:
            for d in documents:
                cp.write_row((d["source"], d["sha256"], d["format"], d["text"],
                              json.dumps(d["page_starts"]) if d["page_starts"] is not None else None))
        with conn.cursor().copy(f"COPY qa.passages_{tag} FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["int4", "text", "int4", "int4", "text", "text", "text", "text", "text", "int4", "text",
                          "text", "bytea", "int4", "bool"])  # binary COPY carries no types: the bytes are pgvector's
            items: dict[tuple, int] = {}
            for r, v in zip(rows, vectors):
                c = r.citation
                item = items.setdefault((c.source, c.committee, c.meeting_date, c.item_number, c.item_title), len(items))
                cp.write_row((r.id, c.source, c.start, c.end, c.section, c.committee, c.meeting_date, c.item_number,
                              c.item_title, c.page, r.text, r.lexical_text, _vector_binary(v), item,
                              bool(_AGREEMENT.search(r.text))))
        with conn.cursor().copy(f"COPY qa.sentences_{tag} FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["int4", "int4", "int4", "int4", "bytea"])
            for i, ((pid, a, b), v) in enumerate(zip(sentences, sentence_vectors)):
                cp.write_row((i, int(pid), int(a), int(b), _vector_binary(v)))
        with conn.cursor().copy(f"COPY qa.postings_{tag} FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["text", "bytea", "bytea"])
            for term, col in vocab.items():
                if col + 1 >= len(indptr):
                    continue  # bm25s's placeholder for words outside the vocabulary: no postings
                a, b = indptr[col], indptr[col + 1]
                cp.write_row((term, indices[a:b].astype(np.int32).tobytes(), data[a:b].astype(np.float32).tobytes()))
        with conn.cursor().copy(f"COPY qa.lexicon_{tag} FROM STDIN") as cp:
            for kind, value in (("idf", lexical.idf), ("acronyms", lexical.defined), ("words", lexical.words)):
                cp.write_row((kind, json.dumps(value)))
        conn.execute(f"CREATE INDEX ON qa.passages_{tag} (item)")
        # the meeting or committee a question names is searched exactly among its passages: found by index
        conn.execute(f"CREATE INDEX ON qa.passages_{tag} (meeting_date)")
        conn.execute(f"CREATE INDEX ON qa.passages_{tag} ((lower(coalesce(committee, ''))))")
        conn.execute(f"CREATE INDEX ON qa.sentences_{tag} (passage_id)")
        timings["copy_s"] = time.perf_counter() - t
        t = time.perf_counter()
        if not re.fullmatch(r"\d+[kMG]B", maintenance_work_mem):
            raise BadQuery(f"maintenance_work_mem: {maintenance_work_mem!r}; use e.g. 1GB")
        conn.execute(f"SET LOCAL maintenance_work_mem = '{maintenance_work_mem}'")
        conn.execute(f"CREATE INDEX ON qa.passages_{tag} USING hnsw (embedding vector_ip_ops) "
                     f"WITH (m = {int(hnsw_m)}, ef_construction = {int(hnsw_ef_construction)})")
        timings["hnsw_s"] = time.perf_counter() - t
        if stall is not None:
            stall()
        old = conn.execute("SELECT live, previous FROM qa.corpora WHERE name = %s FOR UPDATE", [name]).fetchone()
        conn.execute(
            "INSERT INTO qa.corpora (name, live, previous, manifest, built) VALUES (%s, %s, NULL, %s, now()) "
            "ON CONFLICT (name) DO UPDATE SET live = EXCLUDED.live, previous = %s, manifest = EXCLUDED.manifest, "
            "built = now()", [name, tag, manifest.to_json(), old[0] if old else None])
    # Committed: the new build answers. The one before the previous goes (readers of the previous keep it).
    if old and old[1]:
        _drop(conn, old[1])
    _drop_strays(conn, name)
    return tag


def _drop(conn, tag: str) -> None:
    with conn.transaction():
        for t in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS qa.{t}_{tag}")


def _drop_strays(conn, name: str) -> None:
    """Tables of this corpus that no corpus row names (a crash between commit and cleanup)."""
    slug = _tag_name(name, 0).rsplit("_", 1)[0]
    keep = set()
    for live, prev in conn.execute("SELECT live, previous FROM qa.corpora"):
        keep.update(t for t in (live, prev) if t)
    tags = {r[0].split("_", 1)[1] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'qa' AND tablename LIKE 'passages\\_%%'")}
    for tag in tags:
        if tag not in keep and tag.rsplit("_", 1)[0] == slug and tag.rsplit("_", 1)[1].isdigit():
            _drop(conn, tag)


def drop_corpus(url: str, name: str) -> bool:
    """Remove a corpus and all its builds (under its build lock). Returns whether it was there."""
    conn = connect(url, autocommit=True)
    try:
        ensure_schema(conn)
        _acquire(conn, url, name)
        with conn.transaction():
            row = conn.execute("DELETE FROM qa.corpora WHERE name = %s RETURNING live, previous", [name]).fetchone()
        for tag in (row or ()):
            if tag:
                _drop(conn, tag)
        _drop_strays(conn, name)
        return row is not None
    finally:
        conn.close()
