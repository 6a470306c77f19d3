"""The HTTP API through FastAPI's TestClient over the session's index (``index_dir``, ``retriever``)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.config import Settings
from qa.errors import BadQuery, IndexMismatch
from qa.server import create_app

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PANEL = "Leicester, Leicestershire and Rutland Police and Crime Panel"
BOARD = "Leicestershire and Rutland Safer Communities Strategy Board"
# d001 of the dev set: answered in the People Zones item of the panel's 24 September 2019 meeting.
QUESTION = "What was the one-off Home Office grant for People Zones to be used for?"


@pytest.fixture(scope="module")
def client(retriever):
    with TestClient(create_app(retriever=retriever)) as c:  # runs the lifespan: warm-up at start
        yield c


def _corpus_text(source: str) -> str:
    return (CORPUS / source).read_text(encoding="utf-8")


def _errors(response) -> list[tuple]:
    return [tuple(e["loc"]) for e in response.json()["detail"]]


# --------------------------------------------------------------------------------------------- health
def test_health(client, retriever):
    r = client.get("/health")
    assert r.status_code == 200
    stats = retriever.stats()
    assert r.json() == {"status": "ok", "passages": stats["passages"], "documents": 5, "last_meeting": "2020-09-25"}


def test_health_without_an_index_says_to_build_one(tmp_path):
    with TestClient(create_app(settings=Settings.from_env(index_dir=tmp_path / "none"))) as c:
        r = c.get("/health")
        assert r.status_code == 503
        assert "qa index" in r.json()["detail"]
        assert c.post("/search", json={"question": "precept"}).status_code == 503


def test_a_new_index_version_is_picked_up_without_a_restart(tmp_path):
    import shutil

    from qa.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(next((ROOT / "corpus").glob("004*")), corpus)
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, progress=False)
    with TestClient(create_app(settings=settings)) as c:
        assert c.get("/health").json()["documents"] == 1
        (corpus / "audit.txt").write_text(
            "Minutes of a meeting of the Audit Committee held on 3 March 2020\n\n"
            "1. Budget\n\nThe budget of £5,000 for the wildflower verges was agreed.\n", encoding="utf-8")
        build_index(settings, progress=False)
        assert c.get("/health").json()["documents"] == 2
        hits = c.post("/search", json={"question": "wildflower verges budget", "k": 1}).json()["passages"]
        assert hits[0]["citation"]["source"] == "audit.txt"


# --------------------------------------------------------------------------------------------- search
def test_search_returns_cited_passages(client):
    r = client.post("/search", json={"question": QUESTION, "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == QUESTION
    assert [p["rank"] for p in body["passages"]] == [1, 2, 3]
    top = body["passages"][0]["citation"]
    assert (top["source"], top["meeting_date"], top["item_title"]) == ("000_e85a23fc583d8396.txt", "2019-09-24",
                                                                        "People Zones")
    for p in body["passages"]:
        c = p["citation"]
        assert _corpus_text(c["source"])[c["start"]:c["end"]] == p["text"]


def _shown(d):
    """The JSON without the fields added for display (issue 18: ``display``, ``title``), which the library's
    records do not carry; the verbatim fields must be identical."""
    if isinstance(d, dict):
        return {k: _shown(v) for k, v in d.items() if k not in ("display", "title")}
    if isinstance(d, list):
        return [_shown(v) for v in d]
    return d


def test_search_is_the_library_search(client, retriever):
    body = client.post("/search", json={"question": "precept", "k": 7}).json()
    assert _shown(body["passages"]) == [p.to_dict() for p in retriever.search("precept", k=7)]


@pytest.mark.parametrize(("filters", "check"), [
    ({"committee": "safer communities"}, lambda c: c["committee"] == BOARD),
    ({"committee": "police and crime panel"}, lambda c: c["committee"] == PANEL),
    ({"since": "2020-01-01"}, lambda c: (c["meeting_date"] or "") >= "2020-01-01"),
    ({"until": "2019-12-31"}, lambda c: "" < (c["meeting_date"] or "") <= "2019-12-31"),
    ({"since": "2020-06-01", "until": "2020-07-31"},
     lambda c: "2020-06-01" <= (c["meeting_date"] or "") <= "2020-07-31"),
    ({"section": ["resolution"]}, lambda c: c["section"] == "resolution"),
    ({"section": ["minutes", "report"]}, lambda c: c["section"] in ("minutes", "report")),
    ({"source": "004_d30098c21077ebd9.txt"}, lambda c: c["source"] == "004_d30098c21077ebd9.txt"),
])
def test_search_filters_narrow_the_results(client, filters, check):
    question = "performance report and the budget"
    unfiltered = client.post("/search", json={"question": question, "k": 20}).json()["passages"]
    filtered = client.post("/search", json={"question": question, "k": 20, **filters}).json()["passages"]
    assert filtered, "the filter should leave some passages"
    assert all(check(p["citation"]) for p in filtered)
    assert not all(check(p["citation"]) for p in unfiltered), "the filter should change the results"


def test_search_with_filters_matching_nothing_is_empty(client):
    r = client.post("/search", json={"question": "precept", "since": "2030-01-01"})
    assert r.status_code == 200 and r.json()["passages"] == []


def test_k_bounds(client):
    assert len(client.post("/search", json={"question": "police", "k": 1}).json()["passages"]) == 1
    assert len(client.post("/search", json={"question": "police", "k": 50}).json()["passages"]) == 50


# --------------------------------------------------------------------------------------------- answer
def test_answer_json_shape_and_verbatim_citations(client):
    r = client.post("/answer", json={"question": QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"question", "abstained", "message", "answer", "understood", "passages"}
    assert body["question"] == QUESTION and body["abstained"] is False
    assert set(body["answer"]) == {"text", "sentences", "display"}
    assert 1 <= len(body["passages"]) <= 5
    for p in body["passages"]:
        assert set(p) == {"id", "rank", "score", "text", "citation", "also_in", "matched", "display", "title"}
        assert set(p["citation"]) == {"source", "committee", "meeting_date", "item_number", "item_title", "section",
                                      "start", "end", "page", "corpus", "page_end"}  # corpus: issue 20
        c = p["citation"]
        assert _corpus_text(c["source"])[c["start"]:c["end"]] == p["text"]
        assert c["start"] <= p["matched"][0] < p["matched"][1] <= c["end"]  # the chunk that matched is inside
    by_rank = {p["rank"]: p for p in body["passages"]}
    for s in body["answer"]["sentences"]:
        source = by_rank[s["passage_rank"]]["citation"]["source"]
        assert _corpus_text(source)[s["start"]:s["end"]] == s["text"]
        assert f"[{s['passage_rank']}]" in body["answer"]["text"]


def test_answer_is_the_library_answer(client, retriever):
    body = client.post("/answer", json={"question": QUESTION, "k": 4, "committee": "panel"}).json()
    from qa.retrieve import Filters

    assert _shown(body) == retriever.ask(QUESTION, k=4, filters=Filters(committee="panel")).to_dict()


def test_answer_abstains_when_the_papers_do_not_say(client):
    body = client.post("/answer", json={"question": "What is the recipe for sourdough bread with rye flour?"}).json()
    assert body["abstained"] is True and body["answer"] is None and body["message"]


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("body", "loc"), [
    ({"question": ""}, ("body", "question")),
    ({"question": "   \n\t "}, ("body", "question")),
    ({"question": "x" * 10_000}, ("body", "question")),
    ({"question": "q" * 1001}, ("body", "question")),
    ({}, ("body", "question")),
    ({"question": 42}, ("body", "question")),
    ({"question": "precept", "k": 0}, ("body", "k")),
    ({"question": "precept", "k": 1000}, ("body", "k")),
    ({"question": "precept", "k": -3}, ("body", "k")),
    ({"question": "precept", "k": 2.5}, ("body", "k")),
    ({"question": "precept", "k": "5"}, ("body", "k")),
    ({"question": "precept", "since": "2020-13-45"}, ("body", "since")),
    ({"question": "precept", "until": "25/09/2020"}, ("body", "until")),
    ({"question": "precept", "since": 1577836800}, ("body", "since")),
    ({"question": "precept", "section": ["nonsense"]}, ("body", "section", 0)),
    ({"question": "precept", "section": "minutes"}, ("body", "section")),
    ({"question": "precept", "colour": "blue"}, ("body", "colour")),
    ({"question": "precept", "source": "/etc/passwd"}, ("body", "source")),
    ({"question": "precept", "source": "../secret.txt"}, ("body", "source")),
    ({"question": "precept", "source": "reports/../../x"}, ("body", "source")),
    ({"question": "precept", "source": "reports\\x.pdf"}, ("body", "source")),
    ({"question": "precept", "source": ""}, ("body", "source")),
])
@pytest.mark.parametrize("endpoint", ["/search", "/answer"])
def test_invalid_requests_are_422_naming_the_field(client, endpoint, body, loc):
    r = client.post(endpoint, json=body)
    assert r.status_code == 422
    assert loc in _errors(r)
    assert all(e["msg"] for e in r.json()["detail"])
    assert "x" * 1001 not in r.text  # the input is not echoed back


def test_messages_are_clear(client):
    blank = client.post("/search", json={"question": "   "}).json()["detail"][0]["msg"]
    assert "blank" in blank
    date = client.post("/search", json={"question": "q", "since": "1 May 2020"}).json()["detail"][0]["msg"]
    assert "YYYY-MM-DD" in date
    source = client.post("/search", json={"question": "q", "source": "/etc/passwd"}).json()["detail"][0]["msg"]
    assert "relative" in source


def test_a_whole_number_written_as_a_float_is_accepted(client):
    r = client.post("/search", json={"question": "precept", "k": 2.0})
    assert r.status_code == 200 and len(r.json()["passages"]) == 2


def test_a_safe_relative_source_is_accepted(client):
    for source in ("000_e85a23fc583d8396.txt", "reports/2020/", "..hidden/x", "a/.b"):
        assert client.post("/search", json={"question": "precept", "source": source}).status_code == 200


def test_body_that_is_not_json(client):
    r = client.post("/search", content=b"question=precept", headers={"content-type": "application/json"})
    assert r.status_code == 422


# ------------------------------------------------------------------------------------ library errors
class _Failing:
    """Stands in for a Retriever whose every call raises ``exc``."""

    def __init__(self, exc: Exception):
        self.exc = exc

    def warm_up(self):
        pass

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise self.exc

        return fail


@pytest.mark.parametrize(("exc", "status", "detail"), [
    (BadQuery("question: 3000 characters, the limit is 2000; shorten it"), 422,
     "question: 3000 characters, the limit is 2000; shorten it"),
    (IndexMismatch("index: format 0, this qa reads format 1; rebuild it with: qa index --rebuild"), 503,
     "index: format 0, this qa reads format 1; rebuild it with: qa index --rebuild"),
    (RuntimeError("secret internals at /home/x/y.py line 3"), 500, "internal error"),
])
def test_library_errors_become_one_line_responses(exc, status, detail, caplog):
    with TestClient(create_app(retriever=_Failing(exc)), raise_server_exceptions=False) as c:
        for method, path, kwargs in [("POST", "/search", {"json": {"question": "q"}}),
                                     ("POST", "/answer", {"json": {"question": "q"}}),
                                     ("GET", "/health", {}), ("GET", "/decisions", {})]:
            r = c.request(method, path, **kwargs)
            assert r.status_code == status, path
            assert r.json() == {"detail": detail}
            assert "Traceback" not in r.text and "secret" not in r.text
    if status == 500:
        assert "unexpected error" in caplog.text  # logged for the operator


# ---------------------------------------------------------------------------------------- decisions
needs_register = pytest.mark.skipif(importlib.util.find_spec("qa.decisions") is None,
                                    reason="qa.decisions (the decisions register) is not in this checkout yet")


@needs_register
def test_decisions(client, retriever):
    r = client.get("/decisions")
    assert r.status_code == 200
    decisions = r.json()["decisions"]
    assert _shown(decisions) == [d.to_dict() for d in retriever.register().find_decisions()]
    assert decisions, "the shipped papers record decisions"
    for d in decisions:
        c = d["citation"]
        assert _corpus_text(c["source"])[c["start"]:c["end"]] == d["text"]


@needs_register
def test_decisions_filters(client, retriever):
    approved = client.get("/decisions", params={"kind": "approved"}).json()["decisions"]
    assert approved and all(d["kind"] == "approved" for d in approved)
    board = client.get("/decisions", params={"committee": "safer communities"}).json()["decisions"]
    assert all(d["committee"] == BOARD for d in board)
    window = client.get("/decisions", params={"since": "2020-01-01", "until": "2020-06-30"}).json()["decisions"]
    assert all("2020-01-01" <= d["meeting_date"] <= "2020-06-30" for d in window)
    query = client.get("/decisions", params={"query": "minutes"}).json()["decisions"]
    assert _shown(query) == [d.to_dict() for d in retriever.register().find_decisions(query="minutes")]


@needs_register
def test_open_requests(client, retriever):
    r = client.get("/decisions", params={"open": "true"})
    assert r.status_code == 200
    requests = r.json()["requests"]
    assert _shown(requests) == [q.to_dict() for q in retriever.register().find_requests(open_only=True)]
    assert all(q["status"] == "open" for q in requests)


@pytest.mark.parametrize("params", [{"kind": "vetoed"}, {"since": "2020-02-30"}, {"until": "yesterday"},
                                    {"open": "perhaps"}, {"query": "q" * 1001}])
def test_decisions_bad_parameters_are_422(client, params):
    assert client.get("/decisions", params=params).status_code == 422


# ------------------------------------------------------------------------------------------ openapi
def test_openapi_schema_is_complete(client):
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {"/health", "/search", "/answer", "/decisions"}
    assert set(schema["paths"]["/health"]) == {"get"}
    assert set(schema["paths"]["/search"]) == {"post"}
    assert set(schema["paths"]["/answer"]) == {"post"}
    assert set(schema["paths"]["/decisions"]) == {"get"}
    for path, ops in schema["paths"].items():
        for op in ops.values():
            ok = op["responses"]["200"]["content"]["application/json"]["schema"]
            assert ok.get("$ref") or ok.get("anyOf"), f"{path}: 200 response has no declared model"
    body = schema["components"]["schemas"]["QueryBody"]
    assert body["additionalProperties"] is False
    assert body["properties"]["k"]["minimum"] == 1 and body["properties"]["k"]["maximum"] == 50


# ---------------------------------------------------------------------------------------------- load
def test_load_small(index_dir):
    """200 searches from 20 concurrent clients against a real server: none may fail (no timing asserted)."""
    spec = importlib.util.spec_from_file_location("loadtest", ROOT / "scripts" / "loadtest.py")
    loadtest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loadtest)
    summary = loadtest.run(requests=200, concurrency=20, index_dir=index_dir)
    assert summary["requests"] == 200
    assert summary["failures"] == 0, summary["failure_reasons"]


# ------------------------------------------------------------------------ on a network (issue 15)
def _no_index_app(tmp_path, **settings):
    return create_app(settings=Settings.from_env(index_dir=tmp_path / "none", **settings))


def test_a_503_does_not_show_the_servers_absolute_paths(tmp_path):
    with TestClient(_no_index_app(tmp_path)) as c:
        detail = c.get("/health").json()["detail"]
        assert str(tmp_path) not in detail and "/" not in detail.split("qa index")[0]
        assert "qa index" in detail


def test_an_api_key_when_set_is_required_except_for_health(tmp_path):
    with TestClient(_no_index_app(tmp_path, api_key="s3cret")) as c:
        assert c.get("/health").status_code == 503  # open: no index, but not a 401
        r = c.post("/search", json={"question": "precept"})
        assert r.status_code == 401 and "API key" in r.json()["detail"]
        assert c.post("/search", json={"question": "precept"}, headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.post("/search", json={"question": "precept"}, headers={"X-API-Key": "s3cret"}).status_code == 503
        assert c.post("/search", json={"question": "precept"},
                      headers={"Authorization": "Bearer s3cret"}).status_code == 503
        assert c.get("/decisions").status_code == 401


def test_trusted_hosts_refuse_any_other_host_header(tmp_path):
    with TestClient(_no_index_app(tmp_path, allowed_hosts="qa.example.org, testserver")) as c:
        assert c.get("/health").status_code == 503
        assert c.get("/health", headers={"host": "evil.example.com"}).status_code == 400


def test_docs_are_served_without_a_cdn(tmp_path):
    with TestClient(_no_index_app(tmp_path)) as c:
        page = c.get("/docs").text
        assert "cdn.jsdelivr" not in page and "unpkg" not in page
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            assert f"/static-offline-docs/{asset}" in page
            assert c.get(f"/static-offline-docs/{asset}").status_code == 200


def test_an_oversized_body_is_refused_without_being_read(tmp_path):
    """A real uvicorn: a declared 100 MB body gets its 413 before a byte of it is sent, and a chunked body
    is cut off as soon as it passes the limit (the server does not wait for the rest)."""
    import socket
    import threading
    import time

    import uvicorn

    app = _no_index_app(tmp_path, max_body_kb=16)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 30
        while not server.started and time.time() < deadline:
            time.sleep(0.05)

        def exchange(head: bytes, body_chunks) -> bytes:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(head)
                for chunk in body_chunks:
                    try:
                        s.sendall(chunk)
                    except OSError:
                        break
                reply = b""
                while True:  # the reply may come in more than one segment; the server closes after it
                    try:
                        part = s.recv(4096)
                    except OSError:
                        break
                    if not part:
                        break
                    reply += part
                return reply

        head = (b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 104857600\r\n\r\n")
        t = time.time()
        reply = exchange(head, [])  # nothing of the body sent: the answer cannot wait for it
        assert reply.startswith(b"HTTP/1.1 413") and b"over 16 kB" in reply and time.time() - t < 5
        head = (b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
        reply = exchange(head, [chunk, chunk])  # 32 kB sent, never terminated
        assert reply.startswith(b"HTTP/1.1 413")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
