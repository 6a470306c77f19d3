"""``qa bench``: speed, memory and size at several corpus scales, measured in one run.

For each scale N the corpus is replicated N times under distinct paths (``copy-007/...``) so the index
really grows. Figures, all from this run on this machine:

- build: a full build of the 1x corpus (read, parse, chunk, embed, write), beside the *floor*: the bare
  model encoding the same passage texts in one batch loop. Larger scales are assembled by the rename-aware
  incremental build, which re-uses the embedding of identical content instead of encoding it again (so
  their build time measures everything but encoding, and is reported as such);
- warm query latency, median and p95, for retrieval alone and for the full answer, over the dev questions;
- cold start: a new ``qa ask`` process from launch to its printed answer;
- peak memory (max RSS) of this process, and of the cold-start process;
- index size on disk, and for approximate search (IVF) its recall@10 against exact search.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .config import Settings

FALLBACK_QUESTIONS = [
    "What did the Panel say about 101 call waiting times?",
    "Who was elected Chairman of the Board?",
    "What was the People Zones grant for?",
    "knife crime funding",
    "Glen Parva prison update",
    "what did they resolve about the police and crime plan",
    "MARAC repeat rates",
    "stop and search arrests",
]


def _questions(dev: Path | None) -> list[str]:
    if dev and dev.exists():
        rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r["question"] for r in rows]
    return FALLBACK_QUESTIONS


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else 0.0


def _replicate(corpus: Path, target: Path, scale: int) -> int:
    """Copy the corpus ``scale`` times under distinct folders; returns bytes of text copied."""
    total = 0
    files = [p for p in sorted(corpus.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    for i in range(scale):
        for f in files:
            dest = target / f"copy-{i:03d}" / f.relative_to(corpus)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
            total += f.stat().st_size
    return total


def _latency(retriever, questions: list[str], rounds: int = 3) -> dict:
    for q in questions:  # warm: model, caches, item token sets
        retriever.ask(q)
    search_ms, answer_ms = [], []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            retriever.run(q, k=5)
            search_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            retriever.ask(q, k=5)
            answer_ms.append((time.perf_counter() - t) * 1000)
    return {
        "search_median_ms": statistics.median(search_ms), "search_p95_ms": _percentile(search_ms, 95),
        "answer_median_ms": statistics.median(answer_ms), "answer_p95_ms": _percentile(answer_ms, 95),
    }


def _cold_start(index_dir: Path, question: str) -> dict:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "qa", "ask", question, "--index", str(index_dir), "--json"],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t
    ok = proc.returncode == 0 and json.loads(proc.stdout.splitlines()[-1]).get("passages")
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"cold_start_s": seconds, "cold_start_ok": bool(ok), "cold_start_peak_mb": child_rss}


def _ann_recall(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Recall@k of the approximate index the store switches to (IVF) against exact search."""
    import faiss

    from .store import ivf_index

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    approx_index = ivf_index(vectors)
    _, truth = exact.search(queries, k)
    _, approx = approx_index.search(queries, k)
    # Ties in exact scores (replicated corpora hold identical vectors) make ids interchangeable:
    # compare the scores reached, not the ids.
    hits = 0
    for q, (t_ids, a_ids) in enumerate(zip(truth, approx)):
        floor = np.sort(vectors[t_ids] @ queries[q])[::-1][-1]
        hits += int(np.sum(vectors[a_ids[a_ids >= 0]] @ queries[q] >= floor - 1e-6))
    return hits / (len(queries) * k)


def run_bench(settings: Settings, scales: list[int], dev: Path | None = None, work: Path | None = None,
              progress=print) -> dict:
    from .build import build_index
    from .chunk import chunk_document
    from .embed import Embedder, model_dir
    from .ingest import list_corpus, read_document
    from .retrieve import Retriever

    questions = _questions(dev)
    work = Path(work or tempfile.mkdtemp(prefix="qa-bench-"))
    results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "scales": [],
               "model_precision": settings.quantize}

    # The encoding floor: the bare model over exactly the texts a 1x build embeds.
    files, _ = list_corpus(settings.corpus_dir)
    texts = []
    for f in files:
        try:
            doc = read_document(f, int(settings.max_file_mb * 1024 * 1024))
        except Exception:  # noqa: BLE001 - a skipped file is skipped by the build too
            continue
        texts += [c.embed_text for c in chunk_document(doc, model_dir(), settings.chunk_tokens, settings.chunk_overlap)]
    embedder = Embedder(settings.quantize)  # the model the build uses
    embedder.encode(texts[:8])  # load and warm
    t = time.perf_counter()
    embedder.encode(texts, batch_size=settings.batch_size)
    floor_s = time.perf_counter() - t
    results["floor"] = {"passages": len(texts), "seconds": floor_s, "passages_per_s": len(texts) / floor_s}
    progress(f"encoding floor: {len(texts)} passages in {floor_s:.1f}s ({len(texts) / floor_s:.0f}/s)")

    index_dir = work / "index"
    corpus = work / "corpus"
    for scale in sorted(scales):
        if corpus.exists():
            shutil.rmtree(corpus)
        corpus.mkdir(parents=True)
        text_bytes = _replicate(settings.corpus_dir, corpus, scale)
        s = Settings.from_env(corpus_dir=corpus, index_dir=index_dir, chunk_tokens=settings.chunk_tokens,
                              chunk_overlap=settings.chunk_overlap, ann_threshold=settings.ann_threshold)
        rebuild = scale == min(scales)
        t = time.perf_counter()
        report = build_index(s, rebuild=rebuild, progress=False)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        unchanged = build_index(s, progress=False)
        reindex_s = time.perf_counter() - t
        retriever = Retriever.load(index_dir)
        row = {
            "scale": scale, "files": report.files, "passages": report.passages, "text_mb": text_bytes / 1e6,
            "build_s": build_s, "embedded": report.embedded,
            "build_passages_per_s": report.passages / build_s, "build_mb_per_s": text_bytes / 1e6 / build_s,
            "reindex_unchanged_s": reindex_s, "unchanged_up_to_date": unchanged.up_to_date,
            "index_mb": _dir_size(index_dir) / 1e6, "dense": retriever.version.manifest.dense,
        }
        if report.embedded == report.passages:
            row["build_vs_floor"] = (report.passages / build_s) / results["floor"]["passages_per_s"]
        row.update(_latency(retriever, questions))
        row.update(_cold_start(index_dir, questions[0]))
        vectors = retriever.version.vectors
        row["bytes_per_passage_vectors"] = vectors.shape[1] * 4
        if len(vectors) >= 1000:
            q = np.stack([retriever.embedder.encode_query(x) for x in questions[:20]]).astype(np.float32)
            row["ann_recall_at_10"] = _ann_recall(np.ascontiguousarray(vectors), q)
        row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results["scales"].append(row)
        progress(format_row(row))
        del retriever
    shutil.rmtree(work, ignore_errors=True)
    return results


def format_row(r: dict) -> str:
    return (f"{r['scale']:>4}x  passages {r['passages']:>7}  build {r['build_s']:7.1f}s "
            f"({r['build_passages_per_s']:6.0f} p/s, {r['build_mb_per_s']:.2f} MB/s, embedded {r['embedded']})  "
            f"re-index {r['reindex_unchanged_s']:.2f}s  search {r['search_median_ms']:.1f}/{r['search_p95_ms']:.1f} ms  "
            f"answer {r['answer_median_ms']:.1f}/{r['answer_p95_ms']:.1f} ms  cold {r['cold_start_s']:.1f}s  "
            f"rss {r['peak_rss_mb']:.0f} MB  disk {r['index_mb']:.1f} MB"
            + (f"  ivf@10 {r['ann_recall_at_10']:.3f}" if "ann_recall_at_10" in r else ""))


def markdown_table(results: dict) -> str:
    head = ["scale", "passages", "build s", "passages/s", "MB/s", "vs floor", "re-index s", "search p50/p95 ms",
            "answer p50/p95 ms", "cold start s", "peak RSS MB", "index MB", "IVF recall@10"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results["scales"]:
        lines.append("| " + " | ".join([
            f"{r['scale']}x", str(r["passages"]), f"{r['build_s']:.1f}", f"{r['build_passages_per_s']:.0f}",
            f"{r['build_mb_per_s']:.2f}", f"{r['build_vs_floor']:.2f}" if "build_vs_floor" in r else "reused",
            f"{r['reindex_unchanged_s']:.2f}", f"{r['search_median_ms']:.1f} / {r['search_p95_ms']:.1f}",
            f"{r['answer_median_ms']:.1f} / {r['answer_p95_ms']:.1f}", f"{r['cold_start_s']:.1f}",
            f"{r['peak_rss_mb']:.0f}", f"{r['index_mb']:.1f}",
            f"{r['ann_recall_at_10']:.3f}" if "ann_recall_at_10" in r else "-",
        ]) + " |")
    f = results["floor"]
    lines.append(f"\nEncoding floor (bare model, one batch loop): {f['passages']} passages in {f['seconds']:.1f}s "
                 f"= {f['passages_per_s']:.0f} passages/s.")
    return "\n".join(lines)
