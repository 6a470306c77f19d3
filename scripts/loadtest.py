"""A bounded load test of the HTTP API: POST /search from many concurrent clients, then a summary.

    python scripts/loadtest.py                              # 2,000 requests from 50 clients
    python scripts/loadtest.py --requests 200 --concurrency 20 --index /tmp/index --json

Starts its own server (``qa.server.create_app`` under uvicorn, one process) on 127.0.0.1 on a free port,
waits until /health answers, sends exactly ``--requests`` searches from ``--concurrency`` clients sharing
one connection pool, stops the server and prints throughput (requests per second over the whole run),
latency percentiles and the number of failures (any status but 200, or no response within the timeout).
Exit status: 0 when nothing failed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Questions of the kinds the dev set asks, cycled through; every fourth request also carries a filter.
QUESTIONS = [
    "What was the one-off Home Office grant for People Zones to be used for?",
    "From what starting point had online crime reporting grown?",
    "What did a member ask to be added to future Safer Communities performance reports?",
    "Which project was the OPCC using to engage young people?",
    "101 call waiting times",
    "What was said about the police and crime plan?",
    "Who was elected chairman of the panel?",
    "What did the panel resolve about the precept?",
    "violence reduction unit funding",
    "What did the ethics committee annual report cover?",
    "knife crime in Leicester",
    "domestic abuse referrals",
    "What was decided at the most recent meeting?",
    "rural crime and the community safety partnership",
    "How many police officers were recruited?",
    "complaints against the Police and Crime Commissioner",
]
FILTERS = [
    {"committee": "police and crime panel"},
    {"since": "2020-01-01"},
    {"section": ["minutes", "resolution"]},
    {"committee": "safer communities", "until": "2020-12-31"},
]


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


def _serve(fd: int, index_dir: str | None) -> None:
    """The server process: uvicorn on the listening socket the parent bound and handed down."""
    import uvicorn

    from qa.config import Settings
    from qa.server import create_app

    sock = socket.socket(fileno=fd)
    settings = Settings.from_env(index_dir=Path(index_dir) if index_dir else None)
    uvicorn.Server(uvicorn.Config(create_app(settings=settings), log_level="warning")).run(sockets=[sock])


class Server:
    """A server subprocess on 127.0.0.1, on a port the OS picked; stopped by its own process id."""

    def __init__(self, index_dir: str | Path | None = None, startup_timeout: float = 180.0):
        self.index_dir = str(index_dir) if index_dir else None
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> "Server":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        cmd = [sys.executable, __file__, "--serve-fd", str(sock.fileno())]
        if self.index_dir:
            cmd += ["--index", self.index_dir]
        self.proc = subprocess.Popen(cmd, pass_fds=(sock.fileno(),))
        sock.close()  # the child holds its own copy
        try:
            self._wait_until_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=30, trust_env=False) as client:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited with status {self.proc.returncode} while starting")
                try:
                    r = client.get(f"{self.url}/health")
                except httpx.TransportError:
                    r = None
                if r is not None:
                    if r.status_code == 200:
                        return
                    raise RuntimeError(f"/health answered {r.status_code}: {r.text}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not answer /health within {self.startup_timeout:.0f} s")
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


async def _load(url: str, requests: int, concurrency: int, questions: list[str], timeout: float) -> dict:
    import httpx

    latencies: list[float] = []
    failures: dict[str, int] = {}
    next_request = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal next_request
        while next_request < requests:
            i = next_request
            next_request += 1
            body = {"question": questions[i % len(questions)], "k": 5}
            if i % 4 == 3:
                body.update(FILTERS[(i // 4) % len(FILTERS)])
            t0 = time.perf_counter()
            try:
                r = await http.post(f"{url}/search", json=body)
                ok = r.status_code == 200 and "passages" in r.json()
                reason = None if ok else f"HTTP {r.status_code}"
            except (httpx.HTTPError, ValueError) as exc:
                reason = type(exc).__name__
            latencies.append(time.perf_counter() - t0)
            if reason:
                failures[reason] = failures.get(reason, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "concurrency": concurrency,
        "failures": sum(failures.values()),
        "failure_reasons": failures,
        "seconds": round(elapsed, 3),
        "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed else None,
        "latency_ms": {
            "mean": round(1000 * statistics.fmean(ordered), 1) if ordered else None,
            "p50": round(1000 * _percentile(ordered, 0.50), 1),
            "p95": round(1000 * _percentile(ordered, 0.95), 1),
            "p99": round(1000 * _percentile(ordered, 0.99), 1),
            "max": round(1000 * ordered[-1], 1) if ordered else None,
        },
    }


def run(requests: int = 2000, concurrency: int = 50, index_dir: str | Path | None = None,
        questions: list[str] | None = None, timeout: float = 60.0) -> dict:
    """Start a server, send the load, stop the server; the summary as a dict."""
    if requests < 1 or concurrency < 1:
        raise ValueError("requests and concurrency must be at least 1")
    with Server(index_dir) as server:
        return asyncio.run(_load(server.url, requests, concurrency, questions or QUESTIONS, timeout))


def _read_questions(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        out.append(json.loads(line)["question"] if line.startswith("{") else line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="how many POST /search in all (default 2000)")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--index", help="index folder (default: QA_INDEX_DIR or the project's index/)")
    parser.add_argument("--questions", type=Path, help="questions: one per line, or JSON lines with 'question'")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a request counts as failed")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)  # internal: run as the server process
    args = parser.parse_args(argv)
    if args.serve_fd is not None:
        _serve(args.serve_fd, args.index)
        return 0
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")
    questions = _read_questions(args.questions) if args.questions else None
    try:
        summary = run(args.requests, args.concurrency, args.index, questions, args.timeout)
    except RuntimeError as exc:  # the server did not come up: say why, in one line
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary))
    else:
        lat = summary["latency_ms"]
        print(f"{summary['requests']} requests from {summary['concurrency']} clients in {summary['seconds']} s")
        print(f"throughput {summary['throughput_rps']} req/s")
        print(f"latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
        print(f"failures {summary['failures']}" + (f" {summary['failure_reasons']}" if summary["failures"] else ""))
    return 0 if summary["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
