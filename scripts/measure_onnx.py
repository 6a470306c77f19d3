"""Measure ONNX Runtime (float32 and int8) against PyTorch (float32 and int8) for the embedding model.

Not part of the product: run it to reproduce the README's encoder comparison.
    .venv/bin/pip install onnx && .venv/bin/python scripts/measure_onnx.py [index/]
Exports the bundled all-MiniLM-L6-v2 with torch.onnx (no hub access), quantizes it with onnxruntime,
and reports passages/s over the index's passages, median single-question latency, and the mean cosine of
each encoder's vectors to float32 PyTorch's (1.0 = identical).
"""
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from qa.embed import Embedder, load_model
from qa.retrieve import Retriever


def export(path: Path, model) -> None:
    bert = model[0].auto_model.eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    enc = model.tokenizer(["an example"], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(LastHidden(bert).eval(), tuple(enc[n] for n in names), str(path), input_names=names,
                      output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["last_hidden_state"]})


def onnx_encoder(path: Path, tokenizer):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(texts):
        e = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="np")
        feed = {k: e[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
        hidden = session.run(None, feed)[0]
        mask = e["attention_mask"][..., None]
        v = (hidden * mask).sum(1) / mask.sum(1)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    return encode


def measure(name, encode, texts, reference):
    encode(texts[:8])
    t = time.perf_counter()
    vectors = np.concatenate([encode(texts[i:i + 32]) for i in range(0, len(texts), 32)])
    rate = len(texts) / (time.perf_counter() - t)
    latencies = []
    for i in range(30):
        t = time.perf_counter()
        encode([f"what did the panel say about 101 call waiting times {i}"])
        latencies.append((time.perf_counter() - t) * 1000)
    cosine = float(np.mean(np.sum(vectors * reference, axis=1)))
    print(f"{name:12} {rate:6.0f} passages/s   question {np.median(latencies):5.1f} ms   cosine to float32 {cosine:.4f}")


def main():
    from onnxruntime.quantization import QuantType, quantize_dynamic

    index = sys.argv[1] if len(sys.argv) > 1 else "index"
    texts = [p.lexical_text for p in Retriever.load(index).version.passages]
    model = load_model("none")
    reference = model.encode(texts, normalize_embeddings=True, batch_size=32)
    for quantize in ("none", "int8"):
        e = Embedder(quantize)
        measure(f"torch {quantize}", lambda b, e=e: e.encode(b), texts, reference)
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "model.onnx", Path(tmp) / "model-int8.onnx"
        export(fp32, model)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        measure("onnx fp32", onnx_encoder(fp32, model.tokenizer), texts, reference)
        measure("onnx int8", onnx_encoder(int8, model.tokenizer), texts, reference)


if __name__ == "__main__":
    main()
