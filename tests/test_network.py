"""Nothing leaves the machine (issue 15): indexing, asking, serving and the chat page, under strace.

Each real command runs under ``strace -f -e trace=connect``; any connect to an AF_INET/AF_INET6 address
other than loopback (127.0.0.0/8, ::1) fails the test (AF_UNIX is ignored). The chat page is also loaded
in Debian's Chromium with a net log: every request the page itself makes (the net log names the page as
its initiator) must go to the loopback server; Chromium's own background requests (no initiator) are
not the product's and are left out. Needs /usr/bin/strace (``apt-get install -y strace``, done by
scripts/test.sh); Chromium is optional (that part is skipped without it).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRACE = shutil.which("strace")
CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(STRACE is None, reason="strace is not installed (apt-get install -y strace)")

_INET = re.compile(r'sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)')
_INET6 = re.compile(r'sa_family=AF_INET6, sin6_port=htons\((\d+)\),.*?inet_pton\(AF_INET6, "([^"]+)"')


def outside_connects(trace: Path) -> list[str]:
    """The connect calls in an strace log that aim at a non-loopback address."""
    bad = []
    for line in trace.read_text(errors="replace").splitlines():
        if "connect(" not in line:
            continue
        for rx in (_INET, _INET6):
            m = rx.search(line)
            if m:
                addr = m.group(2)
                if not (addr.startswith("127.") or addr in ("::1", "0.0.0.0", "::") or addr.startswith("::ffff:127.")):
                    bad.append(line.strip())
    return bad


def traced(cmd: list[str], trace: Path, **kw):
    # its own process group: terminating strace alone detaches it and leaves the traced server running
    return subprocess.Popen([STRACE, "-f", "-qq", "-e", "trace=connect", "-o", str(trace)] + cmd,
                            start_new_session=True, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc, seconds: float = 240) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{url}: the server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url}: no answer in {seconds}s")


def stop(proc) -> None:
    """End the traced command and everything it started (strace, the server, its children)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("offline")
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(next((ROOT / "corpus").glob("004*")), corpus)
    clean = {k: v for k, v in os.environ.items() if k not in
             ("ORT_DISABLE_TELEMETRY", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY")}
    return dict(clean, QA_CORPUS_DIR=str(corpus), QA_INDEX_DIR=str(tmp / "index"), PYTHONPATH=str(ROOT)), tmp


def test_index_and_ask_connect_to_nothing_outside(env):
    env, tmp = env
    for name, cmd in (("index", ["index", "--rebuild"]), ("ask", ["ask", "101 telephone service"])):
        trace = tmp / f"{name}.trace"
        p = traced([sys.executable, "-m", "qa"] + cmd, trace, env=env, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert outside_connects(trace) == [], f"qa {name} connected outside the machine"


def test_serve_and_its_docs_connect_to_nothing_outside(env):
    env, tmp = env
    if not (Path(env["QA_INDEX_DIR"]) / "CURRENT").exists():
        subprocess.run([sys.executable, "-m", "qa", "index"], env=env, check=True, capture_output=True)
    port = free_port()
    trace = tmp / "serve.trace"
    p = traced([sys.executable, "-m", "qa", "serve", "--port", str(port)], trace, env=env,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/health", p)
        req = urllib.request.Request(base + "/answer", data=json.dumps({"question": "101 telephone service"}).encode(),
                                     headers={"content-type": "application/json"})
        assert json.loads(urllib.request.urlopen(req, timeout=120).read())["passages"]
        docs = urllib.request.urlopen(base + "/docs", timeout=30).read().decode()
        assert "cdn." not in docs and "static-offline-docs/swagger-ui-bundle.js" in docs
        urllib.request.urlopen(base + "/static-offline-docs/swagger-ui-bundle.js", timeout=30).read()
    finally:
        stop(p)
    assert outside_connects(trace) == []


def _page_requests(netlog: Path) -> list[str]:
    text = netlog.read_text(errors="replace")
    try:
        log = json.loads(text)
    except ValueError:  # Chromium stopped before closing the events list
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    urls = []
    for e in log["events"]:
        p = e.get("params") or {}
        if names.get(e["type"]) == "URL_REQUEST_START_JOB" and p.get("initiator") not in (None, "not an origin"):
            urls.append(p["url"])
    return urls


def test_the_chat_page_connects_to_nothing_outside(env):
    env, tmp = env
    if not (Path(env["QA_INDEX_DIR"]) / "CURRENT").exists():
        subprocess.run([sys.executable, "-m", "qa", "index"], env=env, check=True, capture_output=True)
    port = free_port()
    trace = tmp / "streamlit.trace"
    # No --server.address: the shipped .streamlit/config.toml must keep it on loopback.
    p = traced([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)], trace,
               env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url + "_stcore/health", p)
        with socket.socket() as s:  # bound to loopback only: not reachable on another address
            s.settimeout(2)
            others = [a for a in {i[4][0] for i in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
                      if not a.startswith("127.")]
            if others:
                assert s.connect_ex((others[0], port)) != 0
        if os.access(CHROMIUM, os.X_OK):
            netlog = tmp / "page.netlog.json"
            subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={tmp / 'chromium'}", f"--log-net-log={netlog}",
                            "--virtual-time-budget=10000", "--dump-dom", url],
                           capture_output=True, timeout=180)
            requests = _page_requests(netlog)
            assert any(u.startswith(url) for u in requests), requests
            outside = [u for u in requests if not re.match(r"(https?|wss?)://(127\.0\.0\.1|localhost)[:/]", u)
                       and not u.startswith(("data:", "blob:"))]
            assert outside == [], f"the chat page fetched from outside: {outside}"
    finally:
        stop(p)
    assert outside_connects(trace) == [], "streamlit connected outside the machine"
