"""A fault-injecting proxy in front of the real model server (``server.py``), for the fault tests.

    python -m tests.lmserver.proxy --port 8012 --upstream http://127.0.0.1:8011

Point a client at ``http://127.0.0.1:8012/<mode>/v1``. Every mode except ``error500`` sends the request to
the real model and works on the model's real reply; what it then does to it:

* ``pass``: nothing: the model's own stream, passed through as it arrives.
* ``slow``: waits ``--delay`` seconds first (past the client's timeout), then as ``pass``.
* ``error500``: answers HTTP 500 without asking the model (a crashed server).
* ``truncated``: re-streams the reply as server-sent events and hangs up in the middle of an event's JSON.
* ``truncatedjson``: the reply as one ``chat.completion`` JSON body, cut in half.
* ``empty``: the reply's text replaced by nothing.
* ``badcite``: the reply's ``[n]`` markers renumbered to passages that were not given (one is added after
  its first sentence when it has none).
* ``french``: the reply sent back to the same model with "Translate into French:", and that translation
  (the model's own French) returned instead.
* ``mixed``: the reply's text REWRITTEN by the proxy into two sentences: the first sentence of passage [1]
  of the request, copied verbatim, marked [1]; then a sentence giving a sum of money that is in no passage,
  also marked [1]. This is the "done when" case of issue 19; the envelope (id, usage) is the model's.

The model's replies are kept by request, so the fault tests cost one generation between them (greedy
decoding gives the same reply to the same request anyway). ``GET /stats`` counts the requests seen.
"""
import argparse
import asyncio
import hashlib
import json
import re

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

MODES = ("pass", "slow", "error500", "truncated", "truncatedjson", "empty", "badcite", "french", "mixed")
INVENTED = "The total cost of the scheme was £987,654,321 [1]."


def create_app(upstream: str, delay: float) -> FastAPI:
    app = FastAPI(title="lmproxy")
    cache: dict[str, dict] = {}
    stats = {"requests": 0, "upstream": 0}
    client = httpx.AsyncClient(timeout=httpx.Timeout(600.0))

    def key(body: dict) -> str:
        return hashlib.sha256(json.dumps({k: v for k, v in body.items() if k != "stream"}, sort_keys=True)
                              .encode()).hexdigest()

    async def completion(body: dict, headers: dict) -> tuple[int, dict]:
        """The real model's whole reply (JSON), kept for the same request."""
        k = key(body)
        if k not in cache:
            stats["upstream"] += 1
            r = await client.post(f"{upstream}/v1/chat/completions", json={**body, "stream": False}, headers=headers)
            if r.status_code != 200:
                return r.status_code, r.json()
            cache[k] = r.json()
        return 200, json.loads(json.dumps(cache[k]))

    def events(reply: dict, content: str, cut: bool = False) -> bytes:
        def chunk(delta, finish=None):
            return "data: " + json.dumps({"id": reply.get("id"), "object": "chat.completion.chunk",
                                          "model": reply.get("model"),
                                          "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n"

        parts = [chunk({"role": "assistant"})] + [chunk({"content": w}) for w in re.findall(r"\S+\s*|\s+", content)]
        parts += [chunk({}, "stop"), "data: [DONE]\n\n"]
        if cut:
            half = len(parts) // 2
            return ("".join(parts[:half]) + parts[half][: len(parts[half]) // 2]).encode()
        return "".join(parts).encode()

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/stats")
    async def get_stats():
        return stats

    @app.get("/{mode}/v1/models")
    async def models(mode: str, request: Request):
        r = await client.get(f"{upstream}/v1/models", headers=_auth(request))
        return JSONResponse(status_code=r.status_code, content=r.json())

    @app.post("/{mode}/v1/chat/completions")
    async def chat(mode: str, request: Request):
        stats["requests"] += 1
        if mode not in MODES:
            return JSONResponse(status_code=404, content={"error": {"message": f"no mode {mode!r}"}})
        body = json.loads(await request.body())
        headers = _auth(request)
        if mode == "error500":
            return JSONResponse(status_code=500, content={"error": {"message": "the model crashed"}})
        if mode == "slow":
            await asyncio.sleep(delay)
        if mode in ("pass", "slow"):
            k = key(body)
            if k in cache:  # the model's reply to this very request, already generated
                reply = cache[k]
                return _sse(events(reply, reply["choices"][0]["message"]["content"]))
            stats["upstream"] += 1
            req = client.build_request("POST", f"{upstream}/v1/chat/completions", json={**body, "stream": True},
                                       headers=headers)
            r = await client.send(req, stream=True)
            if r.status_code != 200:
                await r.aread()
                return JSONResponse(status_code=r.status_code, content=r.json())

            async def relay():
                try:
                    async for raw in r.aiter_raw():
                        yield raw
                finally:
                    await r.aclose()

            return StreamingResponse(relay(), media_type="text/event-stream")
        status, reply = await completion(body, headers)
        if status != 200:
            return JSONResponse(status_code=status, content=reply)
        content = reply["choices"][0]["message"]["content"]
        if mode == "truncated":
            return _sse(events(reply, content, cut=True))
        if mode == "truncatedjson":
            raw = json.dumps(reply).encode()
            return Response(raw[: len(raw) // 2], media_type="application/json")
        if mode == "empty":
            content = ""
        elif mode == "badcite":
            content = re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + 20}]", content)
            if not re.search(r"\[\d+\]", content):
                content = re.sub(r"([.!?])(\s|$)", r" [21]\1\2", content, count=1)
        elif mode == "french":
            ask = {**body, "messages": [{"role": "user", "content": "Translate into French: " + content}]}
            status, translated = await completion(ask, headers)
            if status != 200:
                return JSONResponse(status_code=status, content=translated)
            content = translated["choices"][0]["message"]["content"]
        elif mode == "mixed":
            content = f"{first_sentence(body)} [1]. {INVENTED}"
        return _sse(events(reply, content))

    return app


def first_sentence(body: dict) -> str:
    """The first sentence of passage [1] of the request's prompt (40 characters or more), without its
    final full stop."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    block = re.search(r"^\[1\] \(.*?\)\n(.*?)(?:\n\n\[2\]|\n\nQuestion:)", user, re.S | re.M).group(1)
    for piece in re.split(r"(?<=[.!?])\s+(?=[A-Z(])", block):
        piece = piece.strip()
        if len(piece) >= 40 and piece.endswith("."):
            return piece[:-1]
    return block.strip().rstrip(".")


def _auth(request: Request) -> dict:
    value = request.headers.get("authorization")
    return {"Authorization": value} if value else {}


def _sse(raw: bytes) -> Response:
    return Response(raw, media_type="text/event-stream")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--delay", type=float, default=5.0)
    args = ap.parse_args()
    import uvicorn

    uvicorn.run(create_app(args.upstream.rstrip("/"), args.delay), host="127.0.0.1", port=args.port,
                log_level="warning")


if __name__ == "__main__":
    main()
