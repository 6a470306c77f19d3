"""One settings object for the whole library.

Defaults live here; every field can be overridden by a ``QA_<FIELD>`` environment variable, and then by
explicit arguments (the CLI passes its flags in). Paths are resolved against the project root, never the
working directory, so ``qa ask`` behaves the same from any folder.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _resolve(path: str | os.PathLike) -> Path:
    if isinstance(path, str) and path.startswith(("postgresql://", "postgres://")):
        return path  # issue 20: an index in PostgreSQL is named by its URL, kept as given
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    # A relative path given by a user is relative to where they are; a default is relative to the project.
    return (Path.cwd() / p).resolve()


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    # Passage size in word pieces of the embedding model (its window is 256; the context prefix needs room).
    chunk_tokens: int = 128
    chunk_overlap: int = 40
    top_k: int = 5
    # A result widens the chunk that matched to its neighbours in the same part (minutes, report, ...) of
    # the same agenda item, up to this many characters, so a figure in the next paragraph or the table
    # under a commentary is shown with it (0: the chunk alone). Measured in README.
    context_chars: int = 2000
    # Fusion: reciprocal-rank constant (for comparison only) and how many candidates the ranker reads.
    rrf_k: int = 60
    candidates: int = 40
    # The learned ranker (qa/models/ranker.json unless a path is given; rebuilt by `qa train`).
    ranker_path: str = ""
    # The hand-written answer checks ("the passages found give no figure for this", ...), off by default:
    # on the question bank's held-out folds they abstained on more answerable questions than they caught
    # unanswerable ones (README, "Ranking").
    form_checks: bool = False
    max_file_mb: float = 25.0
    # Above this many passages the dense index becomes approximate (FAISS IVF-Flat) instead of exact.
    ann_threshold: int = 200_000
    batch_size: int = 32
    # Embedding model precision: "none" (float32) or "int8" (dynamic quantization; measured in README).
    quantize: str = "int8"
    # Integrity (issue 15): seconds a build waits for another build of the same index folder to finish,
    # then gives up with a one-line IndexBusy; HTTP body limit; optional API key and trusted hosts for
    # `qa serve` (empty: off / any host).
    lock_timeout: float = 600.0
    max_body_kb: int = 64
    api_key: str = ""
    allowed_hosts: str = ""
    # issue 20 (PostgreSQL store, qa/pgstore.py): the name a build gives its corpus ("" = the corpus folder's
    # name); the corpora a store searches (comma-separated names, "" = all); connections per process; HNSW
    # search breadth (candidates examined per query; more = better recall, slower).
    corpus_name: str = ""
    corpora: str = ""
    pg_pool_size: int = 4
    # ef_search 400: recall@10 0.94 against exact search on the 60,200-passage spread synthetic (0.77 at 100;
    # README, PostgreSQL). m / ef_construction: pgvector's defaults; 32 / 128 lifts 1M recall, at 4.6x the build.
    hnsw_ef_search: int = 400
    hnsw_m: int = 16
    hnsw_ef_construction: int = 64
    # Issue 18 (reading and the chat page). Staff password for the Documents page (upload, remove, rebuild)
    # and the feedback CSV; empty (the default) turns those off, asking stays open to everyone.
    staff_password: str = ""
    # Where thumbs up/down are stored (SQLite); empty: "<index folder name>-feedback.sqlite3" beside the index.
    feedback_db: str = ""
    # Written answers from a language model (issue 19; qa/generate.py, qa/grounding.py). Empty base URL: off,
    # nothing is contacted and answers are exactly the extractive ones. The base URL is an OpenAI-compatible
    # one ending in /v1 (Ollama http://127.0.0.1:11434/v1); the model blank means the server's first model.
    # The key is sent as a bearer token and never shown (not even in the settings' repr).
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_timeout: float = 20.0  # seconds for the whole reply; then the extractive answer, with a note
    llm_unverified: str = "drop"  # a written sentence its citations do not support: "drop" it or "mark" it
    llm_passages: int = 5  # how many of the top passages go to the model
    llm_passage_chars: int = 1500  # of each passage's text at most (the check uses the whole passage)
    llm_max_tokens: int = 400

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Defaults, then ``QA_*`` environment variables, then non-None keyword overrides."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"QA_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.type, raw)
        for key, value in overrides.items():
            if value is not None:
                values[key] = value
        settings = cls(**values)
        return replace(settings, corpus_dir=_resolve(settings.corpus_dir), index_dir=_resolve(settings.index_dir))


def _coerce(type_name, raw: str):
    name = type_name if isinstance(type_name, str) else getattr(type_name, "__name__", "str")
    if name == "int":
        return int(raw)
    if name == "float":
        return float(raw)
    if name == "bool":
        if raw.strip().lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"{raw!r} is not true or false")
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if name == "Path":
        return raw if raw.startswith(("postgresql://", "postgres://")) else Path(raw)
    return raw
