"""The HTTP API: FastAPI over one shared ``Retriever``.

    qa serve --port 8000        # then http://127.0.0.1:8000/docs

Endpoints: ``GET /health``, ``POST /search``, ``POST /answer``, ``GET /decisions``. Requests are checked by
the pydantic models below (unknown fields, bad dates, out-of-range ``k``, blank or over-long questions and
unsafe ``source`` paths are a 422 with a message naming the field). Library errors keep their one-line
message: ``BadQuery`` is a 422, any other ``QAError`` (index missing, damaged, from another version) a 503.
Anything else is logged with its traceback and answered with a bare 500, so no internals reach a client.

The index is loaded at start-up when it is there (and the embedding model warmed up), otherwise on the
first request that needs it, and then shared by every request: the retriever only reads. When ``qa index``
makes a new version current, the next request loads it (the model stays loaded). The server
never opens a file named in a request; ``source`` only filters passages by their citation's source string.

On a network (issue 15): the request body is read incrementally and refused with a 413 as soon as it
passes ``Settings.max_body_kb`` (a declared Content-Length over the limit is refused before any of it is
read); ``Settings.api_key``, when set, is required on every endpoint but ``/health`` (header ``X-API-Key``
or ``Authorization: Bearer``; compared in constant time); ``Settings.allowed_hosts`` (comma-separated),
when set, refuses any other ``Host`` header (400). A 503 names the problem without the server's absolute
paths. ``/docs`` is served from the ``fastapi-offline`` package's local copy of Swagger UI, never a CDN.
"""
from __future__ import annotations

import logging
import re
import threading
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from .config import Settings
from .errors import BadQuery, QAError
from .records import SECTIONS, Citation
from .retrieve import Filters, Retriever
from .store import version_key

log = logging.getLogger("qa.server")

MAX_QUESTION = 1000
MAX_K = 50
DECISION_KINDS = ("noted", "approved", "requested", "scheduled", "elected", "excluded", "other")

# A relative path of non-empty segments, none of them "." or "..", no backslashes (an optional trailing
# slash selects a folder). Written without look-arounds so the OpenAPI schema states exactly what passes.
_SEGMENT = r"(?:[^/\\.][^/\\]*|\.[^/\\.][^/\\]*|\.\.[^/\\]+)"
SOURCE_PATTERN = rf"^{_SEGMENT}(?:/{_SEGMENT})*/?$"
# "Not blank" as str.strip() sees it, spelled out (ECMA-262 regexes, used by JSON Schema, and Python
# disagree on \s); the last whitespace character in Unicode is U+3000.
NOT_BLANK_PATTERN = "[^" + "".join(f"\\u{i:04x}" for i in range(0x3001) if chr(i).isspace()) + "]"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

SectionName = Literal[SECTIONS]  # type: ignore[valid-type]
DecisionKind = Literal[DECISION_KINDS]  # type: ignore[valid-type]


def _iso_date_string(value: Any) -> Any:
    """Dates come as ``YYYY-MM-DD`` strings only (pydantic alone would also take Unix timestamps)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("use a date written YYYY-MM-DD, e.g. 2020-09-25")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_string)]


def _whole_number(value: Any) -> Any:
    """A JSON integer, which may be written 5.0; not a string, a boolean or a fraction."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("use a whole number, e.g. 5")
    return value


# ---------------------------------------------------------------------------------------------- requests
class QueryBody(BaseModel):
    """A question and optional filters; the same body for /search and /answer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "What was said about 101 call waiting times?", "k": 5}]},
    )

    question: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION,
                                   json_schema_extra={"pattern": NOT_BLANK_PATTERN},
                                   description=f"The question, 1 to {MAX_QUESTION} characters, not blank.")]
    k: Annotated[int, Field(ge=1, le=MAX_K, description="How many passages to return."),
                 BeforeValidator(_whole_number)] = 5
    committee: Annotated[str | None, Field(max_length=200, description="Any part of the committee's name.")] = None
    since: Annotated[IsoDate | None, Field(description="Only meetings on or after this date.")] = None
    until: Annotated[IsoDate | None, Field(description="Only meetings on or before this date.")] = None
    section: Annotated[list[SectionName] | None, Field(max_length=len(SECTIONS),
                                                        description="Only these kinds of section.")] = None
    source: Annotated[Annotated[str, Field(max_length=500, json_schema_extra={"pattern": SOURCE_PATTERN})] | None,
                      Field(description="Only this document or folder: a path relative to the corpus folder, "
                                        "e.g. 000_e85a23fc583d8396.txt.")] = None

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is blank; type a question about the panel papers")
        return value

    @field_validator("source")
    @classmethod
    def _relative_path(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "\\" in value:
            raise ValueError("use forward slashes in source, e.g. folder/file.pdf")
        if value.startswith("/"):
            raise ValueError("source is a path relative to the corpus folder, not an absolute path")
        if any(part in ("..", ".") for part in value.split("/")):
            raise ValueError("source may not contain '.' or '..' segments")
        if not re.fullmatch(SOURCE_PATTERN, value):
            raise ValueError("source must be a relative path like folder/file.pdf (no empty segments)")
        return value

    def filters(self) -> Filters:
        return Filters(
            committee=self.committee or None,
            since=self.since.isoformat() if self.since else None,
            until=self.until.isoformat() if self.until else None,
            section=tuple(self.section) if self.section else None,
            source=self.source,
        )


# --------------------------------------------------------------------------------------------- responses
class PassageOut(BaseModel):
    id: int
    rank: int
    score: float
    text: str
    citation: Citation
    also_in: list[Citation]
    matched: tuple[int, int] | None = Field(
        description="Document offsets [start, end) of the indexed chunk that matched the question, inside the "
                    "citation's span; the rest of the text is its neighbours in the same part of the agenda item.")
    display: str | None = Field(None, description="What a person reads (issue 18): the text with its markup and "
                                                  "page furniture left out; ``text`` stays the verbatim span.")
    title: str | None = Field(None, description="The document's title (body, kind of paper, meeting date).")


class SearchOut(BaseModel):
    question: str
    passages: list[PassageOut]


class AnswerSentenceOut(BaseModel):
    text: str
    passage_rank: int
    start: int
    end: int
    display: str | None = Field(None, description="What a person reads (issue 18): the text with its markup and "
                                                  "page furniture left out; ``text`` stays the verbatim span.")
    # issue 19: present only when a language model is configured (QA_LLM_BASE_URL)
    verified: bool | None = Field(None, description="Its citations support it (written answers).")
    cites: list[int] | None = Field(None, description="The ranks of the passages it cites.")
    problem: str | None = Field(None, description="Why it is not verified.")


class AnswerTextOut(BaseModel):
    text: str
    sentences: list[AnswerSentenceOut]
    display: str | None = Field(None, description="What a person reads (issue 18): the text with its markup and "
                                                  "page furniture left out; ``text`` stays the verbatim span.")
    # issue 19: present only when a language model is configured
    mode: Literal["generated", "extractive"] | None = Field(
        None, description="generated: written by the language model, every sentence checked; extractive: quoted.")
    note: str | None = Field(None, description="Why the written answer is not (all) shown.")


class AnswerOut(BaseModel):
    question: str
    abstained: bool
    message: str | None
    answer: AnswerTextOut | None
    understood: dict[str, Any]
    passages: list[PassageOut]


class HealthOut(BaseModel):
    status: Literal["ok"]
    passages: int
    documents: int
    last_meeting: str | None


class DecisionOut(BaseModel):
    committee: str | None
    meeting_date: str | None
    item_number: str | None
    item_title: str | None
    clause: str | None
    text: str
    kind: str
    citation: Citation
    display: str | None = Field(None, description="What a person reads (issue 18): the text with its markup and "
                                                  "page furniture left out; ``text`` stays the verbatim span.")


class RequestOut(BaseModel):
    """Something a meeting asked to come back, and the later item that delivered it, if any."""

    committee: str | None
    meeting_date: str | None
    item_number: str | None
    item_title: str | None
    text: str
    subject: str
    citation: Citation
    status: Literal["open", "delivered"]
    delivered_by: Citation | None
    delivered_title: str | None
    delivered_date: str | None
    reason: str | None
    kind: Literal["request", "deferral"] = Field("request", description="A deferral is delivered when its item is next considered.")
    incomplete: bool = Field(False, description="The source text is cut off (a web page's 'view the full minutes text').")
    display: str | None = Field(None, description="What a person reads (issue 18): the text with its markup and "
                                                  "page furniture left out; ``text`` stays the verbatim span.")


class DecisionsOut(BaseModel):
    decisions: list[DecisionOut]


class RequestsOut(BaseModel):
    requests: list[RequestOut]


class Message(BaseModel):
    detail: str


class ValidationProblem(BaseModel):
    """A 422: pydantic's list of field errors, or the library's one-line message."""

    detail: str | list[dict[str, Any]]


_ERRORS = {422: {"model": ValidationProblem, "description": "The request cannot be used as given."},
           503: {"model": Message, "description": "No usable index: build it with `qa index`."}}
_BODY_ERRORS = {400: {"model": Message, "description": "The body could not be read as JSON."}, **_ERRORS}


# --------------------------------------------------------------------------------------------- the app
class _Index:
    """The one shared retriever, loaded on first use (and retried until an index is there). When the
    server was started on an index folder, a build that makes a new version current is picked up by the
    next request; requests already running finish on the version they started with."""

    def __init__(self, settings: Settings | None, retriever: Retriever | None):
        self.fixed = retriever is not None  # a retriever handed in is served as is
        self.settings = settings or (None if self.fixed else Settings.from_env())
        self.retriever = retriever
        self.key: str | None = None
        self._lock = threading.Lock()

    def get(self) -> Retriever:
        if self.fixed:
            return self.retriever
        key = version_key(self.settings.index_dir)
        if self.retriever is None or key != self.key:
            with self._lock:
                if self.retriever is None or key != self.key:
                    try:
                        self.retriever = Retriever.load(settings=self.settings)
                    except QAError as exc:
                        if self.retriever is None:
                            raise
                        log.warning("qa serve: keeping the loaded index: %s", exc)
                    self.key = key
        return self.retriever


class _BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes is a 413, found while reading, never read to its end."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _send_json(send, 413, self._message())
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(status_code=413, detail=self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"request body over {self.limit // 1024} kB; send a shorter question"


class _ApiKey:
    """ASGI middleware: every path but /health needs the key, as ``X-API-Key`` or ``Authorization: Bearer``."""

    OPEN = ("/health",)

    def __init__(self, app, key: str):
        self.app, self.key = app, key.encode()

    async def __call__(self, scope, receive, send):
        import hmac

        if scope["type"] != "http" or scope.get("path") in self.OPEN:
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-api-key", b"")
        auth = headers.get(b"authorization", b"")
        if not given and auth[:7].lower() == b"bearer ":
            given = auth[7:].strip()
        if not hmac.compare_digest(given, self.key):
            return await _send_json(send, 401, "missing or wrong API key; send it as the X-API-Key header "
                                               "or Authorization: Bearer KEY", {b"www-authenticate": b"Bearer"})
        await self.app(scope, receive, send)


async def _send_json(send, status: int, detail: str, extra: dict | None = None) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")] + list((extra or {}).items())
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/(?:[^\s/:;,'\"()]+/)*([^\s/:;,'\"()]+)")


def public_message(exc: Exception, settings: Settings | None) -> str:
    """The error's one line without the server's absolute paths (the index folder becomes "the index")."""
    text = " ".join(str(exc).split())
    if settings is not None:
        text = text.replace(str(settings.index_dir), "index")
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1), text)


def create_app(settings: Settings | None = None, retriever: Retriever | None = None) -> FastAPI:
    """The API over ``retriever`` or, when none is given, over the index that ``settings`` name."""
    from fastapi_offline import FastAPIOffline

    index = _Index(settings, retriever)
    config = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        import anyio.to_thread

        def warm() -> None:
            try:
                index.get().warm_up()
            except QAError as exc:  # the server still starts; /health says what to do
                log.warning("qa serve: %s", exc)

        await anyio.to_thread.run_sync(warm)
        yield

    app = FastAPIOffline(
        title="qa: Police and Crime Panel papers",
        version="0.1.0",
        description="Cited passages and extractive answers from committee papers, and the decisions register.",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # The field errors without the echoed input (a 10 kB question need not come back).
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid"), "type": e.get("type", "invalid")}
                  for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})

    @app.exception_handler(BadQuery)
    async def _bad_query(request: Request, exc: BadQuery) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(QAError)
    async def _qa_error(request: Request, exc: QAError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": public_message(exc, config)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("qa serve: unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    @app.get("/health", response_model=HealthOut, responses={503: _ERRORS[503]})
    def health() -> dict:
        """The index is loaded: how many passages and documents, and the latest meeting it covers."""
        stats = index.get().stats()
        return {"status": "ok", "passages": stats["passages"], "documents": stats["documents"],
                "last_meeting": stats["last_meeting"]}

    @app.post("/search", response_model=SearchOut, responses=_BODY_ERRORS)
    def search(body: QueryBody) -> dict:
        """The passages that best match the question, with citations."""
        retriever = index.get()
        passages = retriever.search(body.question, k=body.k, filters=body.filters())
        return _display({"question": body.question, "passages": [p.to_dict() for p in passages]}, retriever)

    @app.post("/answer", response_model=AnswerOut, responses=_BODY_ERRORS,
              response_model_exclude_unset=True)  # issue 19: the written-answer fields only when there
    def answer(body: QueryBody) -> dict:
        """An extractive answer whose every sentence cites a passage, or an abstention with the nearest passages."""
        retriever = index.get()
        return _display(retriever.ask(body.question, k=body.k, filters=body.filters()).to_dict(), retriever)

    @app.get("/decisions", response_model=DecisionsOut | RequestsOut, responses=_ERRORS)
    def decisions(
        query: Annotated[str | None, Query(max_length=MAX_QUESTION, description="Words to look for.")] = None,
        committee: Annotated[str | None, Query(max_length=200, description="Any part of the committee's name.")] = None,
        since: Annotated[IsoDate | None, Query(description="Meetings on or after this date (YYYY-MM-DD).")] = None,
        until: Annotated[IsoDate | None, Query(description="Meetings on or before this date (YYYY-MM-DD).")] = None,
        kind: Annotated[DecisionKind | None, Query(description="Only decisions of this kind.")] = None,
        open: Annotated[bool, Query(description="Requests not yet delivered, instead of decisions.")] = False,
    ) -> dict:
        """What was resolved; or, with ``open=true``, what was asked for and has not come back yet."""
        register = index.get().register()
        since_s = since.isoformat() if since else None
        until_s = until.isoformat() if until else None
        if open:
            records = register.find_requests(query=query, committee=committee, since=since_s, until=until_s,
                                             open_only=True)
            return {"requests": [_record_display(r.to_dict()) for r in records]}
        records = register.find_decisions(query=query, committee=committee, since=since_s, until=until_s, kind=kind)
        return {"decisions": [_record_display(r.to_dict()) for r in records]}

    # The last added runs first: host check, then the key, then the body limit.
    app.add_middleware(_BodyLimit, limit=int(config.max_body_kb) * 1024)
    if config.api_key:
        app.add_middleware(_ApiKey, key=config.api_key)
    hosts = [h.strip() for h in config.allowed_hosts.split(",") if h.strip()]
    if hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    return app


# Display fields (issue 18, qa.display / qa.titles): added beside the verbatim text, never replacing it.
def _display(out: dict, retriever: Retriever) -> dict:
    from .display import add_display

    add_display(out, retriever.document_text)
    title = getattr(retriever, "document_title", None)
    if title is not None:
        for p in out.get("passages") or []:
            p["title"] = title(p["citation"]["source"])
    return out


def _record_display(d: dict) -> dict:
    from .display import inline_plain

    d["display"] = inline_plain(d.get("text") or "")
    return d


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None, workers: int = 1) -> None:
    """Run the API with uvicorn until interrupted (``qa serve``); ``workers`` processes share the port."""
    import uvicorn

    if workers > 1:  # issue 20: each worker process builds its app from QA_* (the index named as given)
        import os

        if settings is not None:
            os.environ["QA_INDEX_DIR"] = str(settings.index_dir)
        uvicorn.run("qa.server:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")
        return
    uvicorn.run(create_app(settings=settings), host=host, port=port, log_level="info")
