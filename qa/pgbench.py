"""The PostgreSQL store measured against the folder store (issue 20): same answers, and speed at scale.

``agreement``: the same questions through both stores; the share whose top-5 citations (source and span,
in order) are the same, and recall@1/5/10 on each.

``scale_bench``: the two stores side by side at several sizes, on the search itself (the part the store
changes; the question's embedding is computed once per question, outside the timings):

- synthetic passages are made from the real ones: passage ``j`` copies real passage ``j mod N`` with its
  words varied (a share of them replaced by words of another real passage, at random, seeded), and its
  vector is the real passage's vector plus Gaussian noise, renormalised. The vectors are NOT embeddings of
  the varied texts: embedding a million texts takes this machine most of a day, and what is measured here
  (build, search, size, memory) depends on how many vectors there are and how they cluster, not on what
  they say. Noise keeps copies apart, so neither index meets exact duplicates;
- build: bulk load (COPY) plus the HNSW index for PostgreSQL; FAISS plus bm25s for the folder store (the
  same ann_threshold rule as ``qa.store``: exact below it, IVF above);
- HNSW recall@10 against exact search over the same vectors (the 10 nearest by brute force), counted by
  score so that ties do not count as misses;
- latency p50/p95 of one search (dense top-50 and BM25 top-50) with 1, 8 and 32 clients at once;
- database size (tables and indexes) against the folder's size on disk; the resident memory of a worker
  process that opens the store and answers searches, for each store.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np


# --------------------------------------------------------------------------------------------- agreement
def agreement(folder, url: str, questions: list[dict], k: int = 5, **pg_settings) -> dict:
    """Top-k citations of the folder store and the PostgreSQL store over the same questions
    (``pg_settings``: Settings overrides for the PostgreSQL side, e.g. ``ann_threshold=0`` for HNSW)."""
    from .config import Settings
    from .evaluate import evaluate
    from .retrieve import Retriever

    a = Retriever.load(folder)
    b = Retriever.load(settings=Settings.from_env(index_dir=url, **pg_settings))
    same, differ = 0, []
    for row in questions:
        pa = [(p.citation.source, p.citation.start, p.citation.end) for p in a.search(row["question"], k=k)]
        pb = [(p.citation.source, p.citation.start, p.citation.end) for p in b.search(row["question"], k=k)]
        if pa == pb:
            same += 1
        else:
            differ.append({"question": row["question"], "folder": pa, "postgresql": pb})
    ra, rb = evaluate(a, questions, "final", 10)[0], evaluate(b, questions, "final", 10)[0]
    return {"questions": len(questions), "top5_same": same, "top5_agreement": same / max(1, len(questions)),
            "recall_folder": {str(n): ra.recall[n] for n in (1, 5, 10)},
            "recall_postgresql": {str(n): rb.recall[n] for n in (1, 5, 10)},
            "mrr10": {"folder": ra.mrr10, "postgresql": rb.mrr10}, "differ": differ}


# --------------------------------------------------------------------------------------------- synthetic corpus
def synthesize(texts: list[str], vectors: np.ndarray, n: int, seed: int = 0, vary: float = 0.2,
               noise: float = 0.35, mix: float = 0.0) -> tuple[list[int], list[str], np.ndarray]:
    """``n`` passages made from the real ones (see the module docstring): (base ids, texts, vectors).

    ``mix`` > 0: a copy's vector also leans towards the passage its replacement words came from (a share
    drawn uniformly from [0, mix]), so copies spread between passages as varied texts would, instead of
    sitting in tight clusters of near-duplicates around each real passage (``mix=0``, the earlier runs)."""
    import random

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    base = len(texts)
    words = [t.split() for t in texts]
    out_texts, bases, others = [], [], np.zeros(n, dtype=np.int64)
    for j in range(n):
        b = j % base
        bases.append(b)
        if j < base:
            out_texts.append(texts[b])
            continue
        w = list(words[b])
        others[j] = rng.randrange(base)
        other = words[others[j]]
        if other:
            for i in rng.sample(range(len(w)), int(len(w) * vary)) if w else ():
                w[i] = other[rng.randrange(len(other))]
        out_texts.append(" ".join(w))
    dim = vectors.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for a in range(0, n, step):
        idx = np.arange(a, min(n, a + step)) % base
        block = vectors[idx].astype(np.float32)
        copies = np.arange(a, min(n, a + step)) >= base
        if mix > 0:
            share = nrng.uniform(0, mix, size=(len(idx), 1)).astype(np.float32) * copies[:, None]
            block = (1 - share) * block + share * vectors[others[a:a + len(idx)]]
        block[copies] += nrng.normal(0, noise / np.sqrt(dim), size=(int(copies.sum()), dim)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[a:a + len(idx)] = block
    return bases, out_texts, out


def synthetic_rows(real, bases: list[int], texts: list[str]) -> tuple[list, list[dict]]:
    """Rows and documents for synthetic passages: copy ``c`` of the real corpus (passages ``c*N .. c*N+N-1``)
    is its own set of documents (``copy<c>/<source>``), so agenda items and documents stay the size they
    are in real papers as the corpus grows (a copy sharing its original's citation would make each item
    ``n/N`` times larger, which no real corpus is). Copy 0 is the real corpus itself, text and all."""
    from dataclasses import replace

    from .store import PassageRow

    base = len(real.passages)
    rows = []
    for j, b in enumerate(bases):
        c = j // base
        old = real.passages[b]
        citation = old.citation if c == 0 else replace(old.citation, source=f"copy{c}/{old.citation.source}")
        rows.append(PassageRow(j, old.text if c == 0 else texts[j], citation, texts[j]))
    originals = [real.document(s) for s in sorted(real.documents)]
    copies = (len(bases) + base - 1) // base
    documents = [d if c == 0 else dict(d, source=f"copy{c}/{d['source']}") for c in range(copies) for d in originals]
    return rows, documents


def synthetic_sentences(real, bases: list[int]) -> dict:
    """Each synthetic passage gets its original's sentences and sentence vectors (``write_build`` keywords)."""
    sentences, picks = [], []
    for j, b in enumerate(bases):
        for r in real.passage_sentences(b):
            a, e = real.sentence_spans[r]
            sentences.append((j, int(a), int(e)))
            picks.append(r)
    return {"sentences": sentences, "sentence_vectors": np.asarray(real.sentence_vectors)[picks]}


# --------------------------------------------------------------------------------------------- measuring
def _percentiles(ms: list[float]) -> tuple[float, float]:
    a = np.array(ms)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def _concurrent(search, queries: list, clients: int, per_client: int) -> dict:
    """p50/p95 latency of ``search(query)`` with ``clients`` threads searching at once."""
    lat: list[float] = []
    lock = threading.Lock()
    errors = []

    def run(c: int) -> None:
        mine = []
        for i in range(per_client):
            q = queries[(c * 7 + i) % len(queries)]
            t = time.perf_counter()
            try:
                search(q)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(repr(exc))
                continue
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    p50, p95 = _percentiles(lat) if lat else (0.0, 0.0)
    return {"p50_ms": p50, "p95_ms": p95, "qps": len(lat) / wall, "errors": len(errors)}


def _score_recall(found_sims: np.ndarray, exact_sims: np.ndarray, k: int = 10) -> float:
    """Share of the true top-k found, counted by score (a tie with the k-th best counts as found)."""
    kth = exact_sims[k - 1]
    return float(min(k, int(np.sum(found_sims[:k] >= kth - 1e-5)))) / k


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def _worker_rss(kind: str, location: str, qfile: Path) -> dict:
    """Resident memory of a fresh process that opens the store and runs the bench searches."""
    proc = subprocess.run([sys.executable, "-m", "qa.pgbench", "worker", kind, location, str(qfile)],
                          capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:300]}


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process, MB. From /proc: ru_maxrss survives exec on Linux,
    so a child started by a big parent would report the parent's peak."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def _worker_main(kind: str, location: str, qfile: str) -> None:
    from .config import Settings

    data = json.loads(Path(qfile).read_text())
    qvecs = np.array(data["vectors"], dtype=np.float32)
    if kind == "postgresql":
        import psycopg_pool  # noqa: F401 - imported before the baseline, as the folder side's libraries are
    else:
        import bm25s  # noqa: F401
        import faiss  # noqa: F401
    before, _ = _rss_mb()
    t = time.perf_counter()
    if kind == "postgresql":
        from .pgstore import PgStore

        store = PgStore(location, Settings.from_env(), corpora=[data["corpus"]], pool_size=1)
        search = _pg_search(store)
    else:
        from .store import IndexVersion, read_manifest

        version = IndexVersion(Path(location), read_manifest(Path(location)))
        search = _folder_search(version)
    open_s = time.perf_counter() - t
    for q in zip(qvecs, data["tokens"]):
        search(q)
    rss, peak = _rss_mb()
    print(json.dumps({"rss_mb": rss, "peak_mb": peak, "store_mb": rss - before, "open_s": open_s}))


def _pg_search(store, k: int = 50):
    def search(q):
        store.dense_search(q[0], k)
        store.lexical_terms_search(q[1], k)

    return search


def _folder_search(version, k: int = 50):
    def search(q):
        version.dense.search(q[0][None, :], k)
        if q[1]:
            s = np.asarray(version.lexical.retriever.get_scores(list(q[1])))
            np.argpartition(-s, min(k, len(s) - 1))[:k]

    return search


def scale_bench(settings, url: str, folder: Path, sizes: list[int], questions: list[str], work: Path,
                progress=print) -> list[dict]:
    """Both stores at each size (passage counts), built from the folder index of the real corpus."""
    import shutil

    from .embed import DIMENSION, Embedder, model_id
    from .lexical import Tokenizer
    from .pgstore import PgStore, _acquire, connect, drop_corpus, ensure_schema, write_build
    from .store import Manifest, PassageRow, load_version, write_version

    real = load_version(Path(folder), model_id(settings.quantize), DIMENSION)
    texts = [r.lexical_text for r in real.passages]
    base_vectors = np.asarray(real.vectors, dtype=np.float32)
    embedder = Embedder(settings.quantize)
    qvecs = np.stack([embedder.encode_query(q) for q in questions]).astype(np.float32)
    tok = Tokenizer()
    qtokens = [tok(q) for q in questions]
    queries = list(zip(qvecs, qtokens))
    work.mkdir(parents=True, exist_ok=True)
    out = []
    for n in sizes:
        row: dict = {"passages": n}
        t = time.perf_counter()
        bases, syn_texts, syn_vectors = synthesize(texts, base_vectors, n)
        row["synthesize_s"] = time.perf_counter() - t
        rows, documents = synthetic_rows(real, bases, syn_texts)
        manifest = replace_manifest(real.manifest, n)
        progress(f"{n}: synthesized in {row['synthesize_s']:.0f}s")

        # ---- the BM25 statistics: the same computation for both stores, done once and counted in both
        from .lexical import LexicalIndex

        t = time.perf_counter()
        lexical = LexicalIndex.build([r.lexical_text for r in rows])
        row["bm25_s"] = time.perf_counter() - t
        progress(f"{n}: BM25 statistics in {row['bm25_s']:.0f}s")

        # ---- PostgreSQL
        name = f"bench-{n}"
        conn = connect(url, autocommit=True)
        try:
            ensure_schema(conn)
            _acquire(conn, url, name)
            timings: dict = {}
            t = time.perf_counter()
            write_build(conn, name, manifest, documents, rows, syn_vectors, timings=timings,
                        maintenance_work_mem="3GB", lexical=lexical)
            row["pg_build_s"] = time.perf_counter() - t + row["bm25_s"]
            row["pg_build_parts_s"] = timings
        finally:
            conn.close()
        row["pg_build_passages_per_s"] = n / row["pg_build_s"]
        progress(f"{n}: PostgreSQL built in {row['pg_build_s']:.0f}s {timings}")

        # ---- folder
        fdir = work / f"folder-{n}"
        shutil.rmtree(fdir, ignore_errors=True)
        t = time.perf_counter()
        original = LexicalIndex.build
        LexicalIndex.build = classmethod(lambda cls, texts: lexical)  # the statistics computed above
        try:
            vdir = write_version(fdir, manifest, documents, rows, syn_vectors, settings.ann_threshold)
        finally:
            LexicalIndex.build = original
        row["folder_build_s"] = time.perf_counter() - t + row["bm25_s"]
        row["folder_build_passages_per_s"] = n / row["folder_build_s"]
        row["folder_mb"] = _dir_size(fdir) / 1e6
        del rows, syn_texts, lexical
        row["load_average"] = os.getloadavg()
        progress(f"{n}: folder built in {row['folder_build_s']:.0f}s")

        from .store import IndexVersion, read_manifest

        version = IndexVersion(vdir, read_manifest(vdir))
        row["folder_dense"] = version.manifest.dense
        store = PgStore(url, settings, corpora=[name], pool_size=32)
        row["pg_mb"] = store.size_bytes() / 1e6

        # ---- recall@10 against exact search over the same vectors
        exact = syn_vectors @ qvecs.T  # [n, q]
        rec_pg, rec_folder = [], []
        for qi in range(len(qvecs)):
            top = np.sort(exact[:, qi])[::-1][:10]
            _, sims = store.dense_search(qvecs[qi], 10)
            rec_pg.append(_score_recall(sims, top))
            fs, _ = version.dense.search(qvecs[qi][None, :], 10)
            rec_folder.append(_score_recall(fs[0], top))
        row["pg_hnsw_recall_at_10"] = float(np.mean(rec_pg))
        row["folder_recall_at_10"] = float(np.mean(rec_folder))
        del exact

        # ---- latency with 1, 8 and 32 clients
        for clients in (1, 8, 32):
            per = max(3, 120 // clients)
            row[f"pg_{clients}"] = _concurrent(_pg_search(store), queries, clients, per)
            row[f"folder_{clients}"] = _concurrent(_folder_search(version), queries, clients, per)
            progress(f"{n}: {clients} clients pg {row[f'pg_{clients}']} folder {row[f'folder_{clients}']}")
        store.close()
        del version

        # ---- a worker's memory, each store
        qfile = work / "queries.json"
        qfile.write_text(json.dumps({"vectors": qvecs.tolist(), "tokens": [list(t) for t in qtokens], "corpus": name}))
        row["pg_worker"] = _worker_rss("postgresql", url, qfile)
        row["folder_worker"] = _worker_rss("folder", str(vdir), qfile)
        progress(json.dumps(row))
        out.append(row)
        shutil.rmtree(fdir, ignore_errors=True)
        drop_corpus(url, name)
        del syn_vectors
    return out


def replace_manifest(m, n: int, sentences: int | None = None):
    """The real corpus's manifest for ``n`` synthetic passages (with ``sentences`` stored sentences, if any)."""
    from dataclasses import replace

    from .pgstore import SCHEMA_VERSION

    extra = {"pg_schema": SCHEMA_VERSION, "synthetic": True}
    if sentences is not None:
        extra["sentences"] = sentences
    return replace(m, passages=n, files=dict(m.files), extra=extra)


def markdown(rows: list[dict]) -> str:
    head = ["passages", "store", "build s", "passages/s", "recall@10 vs exact", "1 client p50/p95 ms",
            "8 clients p50/p95 ms", "32 clients p50/p95 ms", "size MB", "worker RSS for the store MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        for store in ("pg", "folder"):
            lat = [f"{r[f'{store}_{c}']['p50_ms']:.1f} / {r[f'{store}_{c}']['p95_ms']:.1f}" for c in (1, 8, 32)]
            recall = r["pg_hnsw_recall_at_10"] if store == "pg" else r["folder_recall_at_10"]
            kind = "PostgreSQL (HNSW)" if store == "pg" else f"folder ({r['folder_dense']})"
            worker = r[f"{store}_worker"].get("store_mb")
            lines.append("| " + " | ".join([
                f"{r['passages']:,}", kind, f"{r[f'{store}_build_s']:.0f}", f"{r[f'{store}_build_passages_per_s']:.0f}",
                f"{recall:.3f}", *lat, f"{r[f'{store}_mb']:.0f}", f"{worker:.0f}" if worker else "-"]) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "worker":
        _worker_main(sys.argv[2], sys.argv[3], sys.argv[4])


def ef_sweep(settings, url: str, folder: Path, n: int, questions: list[str], efs=(40, 100, 400, 1000),
             ms=((16, 64),), progress=print, mix: float = 0.0) -> list[dict]:
    """HNSW recall@10 against exact search at several ``hnsw.ef_search`` (and build parameters), n passages."""
    from .embed import DIMENSION, Embedder, model_id
    from .pgstore import PgStore, _acquire, connect, drop_corpus, ensure_schema, write_build
    from .store import PassageRow, load_version

    real = load_version(Path(folder), model_id(settings.quantize), DIMENSION)
    texts = [r.lexical_text for r in real.passages]
    bases, syn_texts, vecs = synthesize(texts, np.asarray(real.vectors, dtype=np.float32), n, mix=mix)
    rows, documents = synthetic_rows(real, bases, syn_texts)
    qvecs = np.stack([Embedder(settings.quantize).encode_query(q) for q in questions]).astype(np.float32)
    sims_all = vecs @ qvecs.T  # [n, q]
    exact = np.sort(sims_all, axis=0)[::-1][:10].T  # [q, 10]
    # How ill-posed "the exact 10" is: passages within 0.01 of the 10th best cosine, per question (median)
    near_ties = float(np.median([(sims_all[:, i] >= exact[i, 9] - 0.01).sum() for i in range(len(qvecs))]))
    base_of = np.asarray(bases)
    exact_bases = [set(base_of[np.argsort(-sims_all[:, i])[:10]].tolist()) for i in range(len(qvecs))]
    del sims_all
    from .lexical import LexicalIndex

    lexical = LexicalIndex.build(texts)
    out = []
    for m, efc in ms:
        name = f"sweep-{n}-{m}-{efc}"
        conn = connect(url, autocommit=True)
        try:
            ensure_schema(conn)
            _acquire(conn, url, name)
            timings: dict = {}
            # the dense side is what is measured: BM25 statistics of the real passages only (they take most of
            # a build's time at 1M, and no search here reads them)
            write_build(conn, name, replace_manifest(real.manifest, n), documents, rows, vecs, timings=timings,
                        hnsw_m=m, hnsw_ef_construction=efc, maintenance_work_mem="2GB", lexical=lexical)
        finally:
            conn.close()
        for ef in efs:
            store = PgStore(url, replace_settings(settings, hnsw_ef_search=ef), corpora=[name], pool_size=1)
            t = time.perf_counter()
            found = [store.dense_search(q, 10) for q in qvecs]
            ms_per = (time.perf_counter() - t) * 1000 / len(qvecs)
            rec = [_score_recall(f[1], exact[i]) for i, f in enumerate(found)]
            # the share of what HNSW returns that is a copy of a passage the exact 10 are copies of
            same_base = [np.mean([base_of[g] in exact_bases[i] for g in f[0]]) if len(f[0]) else 0.0
                         for i, f in enumerate(found)]
            row = {"passages": n, "mix": mix, "m": m, "ef_construction": efc, "ef_search": ef,
                   "recall_at_10": float(np.mean(rec)), "same_passage_at_10": float(np.mean(same_base)),
                   "near_ties": near_ties, "ms_per_query": ms_per, "hnsw_build_s": timings.get("hnsw_s"),
                   "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
            progress(json.dumps(row))
            out.append(row)
            store.close()
        drop_corpus(url, name)
    return out


def replace_settings(settings, **changes):
    from dataclasses import replace

    return replace(settings, **changes)
