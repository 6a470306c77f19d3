"""Written answers from a language model, when one is configured (issue 19).

Design:
* Off unless ``Settings.llm_base_url`` (``QA_LLM_BASE_URL``) is set: ``written_answer`` then returns the
  extractive answer object it was given, untouched, and nothing is contacted.
* On: the question and the top ``llm_passages`` passages, numbered ``[1]..[k]`` by rank with their
  citation (committee, meeting date, agenda item), go to the OpenAI-compatible ``/chat/completions`` of
  that URL (Ollama, vLLM, llama.cpp's server, a hosted service), temperature 0. The model is told to
  answer only from the passages, end each sentence with its ``[n]`` markers, copy figures as written, or
  say "The papers do not say."
* Every sentence of the reply is checked by ``qa.grounding`` before it is shown: a sentence whose
  citations do not support it is dropped or marked unverified (``llm_unverified``), and the answer's note
  says so; if none is verified, the extractive answer is shown. ``Answer.mode`` says which you got.
* Faults never block an answer: a timeout (``llm_timeout``, for the whole reply), a refused connection,
  an HTTP error, a reply that is not valid JSON or cut short, an empty reply, citations of passages that
  were not given, a reply in another language. Each gives the extractive answer with a one-line
  ``Answer.note`` naming the setting to check. The API key is sent as a bearer token and appears in no
  note, log line or repr.
* The HTTP call runs on a worker thread, so the deadline holds however the server dribbles its reply.
  ``stream_answer`` yields each sentence once it is complete and checked (the chat page shows them as they
  come); ``written_answer`` is the same, drained.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import queue
import re
import threading
import time
from dataclasses import replace
from typing import Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

from .config import Settings
from .errors import LanguageModelFault, ReplyFault
from .grounding import Evidence, check, check_reply, complete_prefix, other_language, support_span
from .records import Answer, AnswerSentence, Passage

log = logging.getLogger("qa.generate")

SYSTEM_PROMPT = (
    "You answer questions about the papers of council committees, using only the numbered passages you "
    "are given. Write one to three short sentences in English. End every sentence with the number of the "
    "passage it comes from in square brackets, like [1]. Copy figures, dates and names exactly as the "
    "passage writes them. If the passages do not answer the question, reply only: The papers do not say."
)
UNVERIFIED_MARK = "(unverified)"
_deferred = contextvars.ContextVar("qa_generate_deferred", default=False)
_models: dict[str, str] = {}  # base URL -> the server's first model, when llm_model is blank


def configured(settings: Settings) -> bool:
    return bool((settings.llm_base_url or "").strip())


@contextlib.contextmanager
def deferred():
    """Inside this block ``written_answer`` returns the extractive answer at once: the chat page asks
    first, shows the search, then streams the written answer with ``stream_answer``."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


# ------------------------------------------------------------------------------------------- the hook
def written_answer(question: str, answer: Answer, passages: Iterable[Passage], settings: Settings) -> Answer:
    """The answer to show: ``answer`` itself when no model is configured (or for an abstention or a
    register answer), else a written, checked answer, or ``answer`` marked extractive with a note."""
    final = answer
    for event in stream_answer(question, answer, passages, settings):
        final = event
    return final if isinstance(final, Answer) else answer


def stream_answer(question: str, answer: Answer, passages: Iterable[Passage],
                  settings: Settings) -> Iterator[AnswerSentence | Answer]:
    """Each checked sentence as soon as it is complete (verified ones, and unverified ones when they are
    to be marked), then the final ``Answer`` (always last, always yielded)."""
    if not configured(settings) or _deferred.get() or answer.abstained or not answer.sentences:
        yield answer
        return
    passages = [p for p in passages][: max(1, settings.llm_passages)]
    if not passages:
        yield answer
        return
    started = time.perf_counter()
    evidence = {p.rank: Evidence.of(p.rank, p.text, p.citation.label(), p.citation.meeting_date) for p in passages}
    by_rank = {p.rank: p for p in passages}
    model = settings.llm_model.strip()
    buffer, checked, shown = "", [], []
    mark = settings.llm_unverified.strip().lower() == "mark"
    try:
        for delta in _reply(question, passages, settings):
            buffer += delta
            done, _rest = complete_prefix(buffer)
            new = done[len(checked):]
            if not new:
                continue
            for c in _checked(buffer, new, evidence, question):
                checked.append(c)
                if c.verified or mark:
                    s = _sentence(c, by_rank)
                    shown.append(s)
                    yield s
        # the whole reply: its faults (empty, another language, nothing cited), then the sentences left
        for c in check_reply(buffer, evidence, question)[len(checked):]:
            checked.append(c)
            if c.verified or mark:
                s = _sentence(c, by_rank)
                shown.append(s)
                yield s
    except LanguageModelFault as fault:
        note = _note(fault, settings, model)
        log.info("qa: written answer not used: %s", note)
        yield _extractive(answer, note)
        return
    sentences = tuple(_sentence(c, by_rank) for c in checked)
    verified = [s for s in sentences if s.verified]
    if not verified:
        note = (f"none of the {len(sentences)} sentences the language model wrote is supported by the passages "
                f"it cites ({sentences[0].problem if sentences else 'no sentence'}). Showing the quoted answer.")
        yield _extractive(answer, note)
        return
    unverified = [s for s in sentences if not s.verified]
    note = None
    if unverified:
        how = "marked (unverified)" if mark else "not shown"
        note = (f"{len(unverified)} of {len(sentences)} written sentences {how}: "
                + "; ".join(f"\u201c{_short(s.text)}\u201d: {s.problem}" for s in unverified) + ".")
    text = " ".join(_written(s) for s in sentences if s.verified or mark)
    log.debug("qa: written answer in %.0f ms", (time.perf_counter() - started) * 1000)
    yield replace(answer, text=text, sentences=sentences, mode="generated", note=note)


def _checked(buffer: str, claims, evidence, question: str) -> list:
    """Check sentences finished while the reply is still arriving; a fault of the whole reply (a marker
    of a passage not given, another language) is raised as soon as it shows."""
    for c in claims:
        bad = [r for r in c.cites if r not in evidence]
        if bad:
            raise ReplyFault("citation", f"[{bad[0]}]")
    if other_language(buffer, question):
        raise ReplyFault("language")
    return [check(c, evidence, question) for c in claims]


def _sentence(c, by_rank: dict[int, Passage]) -> AnswerSentence:
    rank = c.claim.cites[0] if c.claim.cites else 0
    p = by_rank.get(rank)
    if p is None:
        start = end = 0
    elif c.verified:
        s, e = support_span(c.claim.text, p.text)
        start, end = p.citation.start + s, p.citation.start + e
    else:
        start = end = p.citation.start
    return AnswerSentence(text=c.claim.text, passage_rank=rank, start=start, end=end, verified=c.verified,
                          cites=c.claim.cites, problem=c.problem)


def _written(s: AnswerSentence) -> str:
    markers = "".join(f"[{r}]" for r in s.cites)
    body = s.text.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else "."
    body = body[:-1] if body and body[-1] in ".!?" else body
    return f"{body} {markers}{end}" + ("" if s.verified else f" {UNVERIFIED_MARK}")


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def _extractive(answer: Answer, note: str) -> Answer:
    sentences = tuple(replace(s, verified=True, cites=(s.passage_rank,)) for s in answer.sentences)
    return replace(answer, sentences=sentences, mode="extractive", note=note)


# ------------------------------------------------------------------------------------------- the prompt
def messages(question: str, passages: list[Passage], settings: Settings) -> list[dict]:
    parts = []
    for p in passages:
        text = " ".join(p.text.split())
        if len(text) > settings.llm_passage_chars:
            cut = text.rfind(" ", 0, settings.llm_passage_chars)
            text = text[: cut if cut > 0 else settings.llm_passage_chars] + " \u2026"
        parts.append(f"[{p.rank}] ({p.citation.label()})\n{text}")
    user = "Passages:\n\n" + "\n\n".join(parts) + f"\n\nQuestion: {question.strip()}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


# ------------------------------------------------------------------------------------------- the client
def public_url(url: str) -> str:
    """The URL as it may be shown: no user, password or query (a key is sometimes put there)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    except ValueError:
        return "the configured URL"


class _Fault(LanguageModelFault):
    def __init__(self, what: str, fix: str):
        self.what, self.fix = what, fix
        super().__init__(f"{what}; {fix}")


def _reply(question: str, passages: list[Passage], settings: Settings) -> Iterator[str]:
    """The reply's text as it arrives (the whole of it at once without streaming). Raises ``_Fault``."""
    base = settings.llm_base_url.strip().rstrip("/")
    shown = public_url(base)
    if not re.match(r"https?://[^/]", base):
        raise _Fault(f"QA_LLM_BASE_URL {shown!r} is not an http(s) URL", "set it to e.g. http://127.0.0.1:11434/v1")
    deadline = time.monotonic() + settings.llm_timeout
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    body = {"messages": messages(question, passages, settings), "temperature": 0,
            "max_tokens": settings.llm_max_tokens, "stream": True}
    worker = threading.Thread(target=_request, args=(base, body, settings, events, stop), daemon=True,
                              name="qa-llm")
    worker.start()
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                kind, value = events.get(timeout=max(0.0, remaining))
            except queue.Empty:
                raise _Fault(f"the language model at {shown} did not finish within {settings.llm_timeout:g} s",
                             "check that it is running and not overloaded, or raise QA_LLM_TIMEOUT") from None
            if kind == "text":
                if value:
                    yield value
            elif kind == "fault":
                raise value
            else:
                return
    finally:
        stop.set()


def _headers(settings: Settings) -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if settings.llm_api_key:
        headers["Authorization"] = f"Bearer {settings.llm_api_key}"
    return headers


def _request(base: str, body: dict, settings: Settings, events: queue.Queue, stop: threading.Event) -> None:
    """The worker: one request, its reply's text pieces put on ``events``, then ("end", None)."""
    import httpx

    shown = public_url(base)
    try:
        with httpx.Client(timeout=httpx.Timeout(settings.llm_timeout), follow_redirects=False) as client:
            model = settings.llm_model.strip() or _first_model(client, base, settings)
            body = {"model": model, **body}
            with client.stream("POST", f"{base}/chat/completions", json=body, headers=_headers(settings)) as r:
                if r.status_code >= 400:
                    r.read()
                    events.put(("fault", _http_fault(r.status_code, r.text, shown, settings)))
                    return
                kind = r.headers.get("content-type", "")
                if "text/event-stream" in kind:
                    _read_events(r, events, stop, shown)
                else:
                    events.put(("text", _content(r.read(), shown)))
                    events.put(("end", None))
    except _Fault as fault:
        events.put(("fault", fault))
    except httpx.ConnectError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else "could not connect"
        events.put(("fault", _Fault(f"no language model answered at {shown} ({reason})",
                                    "check QA_LLM_BASE_URL and that the server is running")))
    except httpx.TimeoutException:
        events.put(("fault", _Fault(f"the language model at {shown} did not answer within "
                                    f"{settings.llm_timeout:g} s", "check that it is running, or raise QA_LLM_TIMEOUT")))
    except (httpx.HTTPError, OSError) as exc:
        events.put(("fault", _Fault(f"the connection to the language model at {shown} failed "
                                    f"({type(exc).__name__})", "check QA_LLM_BASE_URL and the server")))
    except Exception as exc:  # a worker must always report, never die silently
        log.exception("qa: language model request failed")
        events.put(("fault", _Fault(f"the language model request failed ({type(exc).__name__})",
                                    "check QA_LLM_BASE_URL and the server's log")))


def _first_model(client, base: str, settings: Settings) -> str:
    if base in _models:
        return _models[base]
    shown = public_url(base)
    r = client.get(f"{base}/models", headers=_headers(settings))
    if r.status_code >= 400:
        raise _http_fault(r.status_code, r.text, shown, settings)
    try:
        model = json.loads(r.content)["data"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise _Fault(f"{shown}/models lists no model", "set QA_LLM_MODEL") from None
    _models[base] = str(model)
    return _models[base]


def _http_fault(status: int, text: str, shown: str, settings: Settings) -> _Fault:
    said = ""
    try:
        detail = json.loads(text)
        detail = detail.get("error", detail) if isinstance(detail, dict) else detail
        detail = detail.get("message", detail) if isinstance(detail, dict) else detail
        said = " ".join(str(detail).split())[:120]
    except ValueError:
        said = " ".join((text or "").split())[:120]
    said = f": {_redact(said, settings)}" if said and "<" not in said else ""
    what = f"the language model at {shown} answered HTTP {status}{said}"
    if status in (401, 403):
        return _Fault(what, "check QA_LLM_API_KEY")
    if status == 404:
        return _Fault(what, "check QA_LLM_BASE_URL (it normally ends in /v1) and QA_LLM_MODEL")
    if status == 429:
        return _Fault(what, "the service is limiting requests; try again later or check QA_LLM_API_KEY's quota")
    if status < 500:
        return _Fault(what, "check QA_LLM_MODEL and QA_LLM_MAX_TOKENS")
    return _Fault(what, "check the model server's log and QA_LLM_MODEL")


def _malformed(shown: str) -> _Fault:
    return _Fault(f"the language model at {shown} sent a reply that is not complete JSON",
                  "check QA_LLM_BASE_URL points at an OpenAI-compatible /v1 endpoint")


def _content(raw: bytes, shown: str) -> str:
    try:
        data = json.loads(raw)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise _malformed(shown) from None
    if not isinstance(content, str):
        raise ReplyFault("empty")
    return content


def _read_events(r, events: queue.Queue, stop: threading.Event, shown: str) -> None:
    finished = False
    for line in r.iter_lines():
        if stop.is_set():
            return
        line = line.strip()
        if not line or line.startswith(":"):
            continue
        if not line.startswith("data:"):
            raise _malformed(shown)
        data = line[5:].strip()
        if data == "[DONE]":
            finished = True
            break
        try:
            choice = json.loads(data)["choices"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            raise _malformed(shown) from None
        piece = (choice.get("delta") or {}).get("content")
        if isinstance(piece, str) and piece:
            events.put(("text", piece))
        if choice.get("finish_reason"):
            finished = True
    if not finished:
        raise _Fault(f"the reply from the language model at {shown} was cut short",
                     "check the server's log and QA_LLM_TIMEOUT")
    events.put(("end", None))


def _redact(text: str, settings: Settings) -> str:
    key = settings.llm_api_key
    return text.replace(key, "***") if key else text


def _note(fault: LanguageModelFault, settings: Settings, model: str) -> str:
    """One line: what happened, what to check, and that the quoted answer is shown. Never the key."""
    who = f"the language model ({model})" if model else "the language model"
    if isinstance(fault, ReplyFault):
        what, fix = {
            "empty": (f"{who} sent an empty reply", "check QA_LLM_MODEL"),
            "language": (f"{who} answered in another language", "check QA_LLM_MODEL (use an instruction-following model)"),
            "citation": (f"{who} cited passage {fault.detail}, which it was not given",
                         "check QA_LLM_MODEL (use an instruction-following model)"),
            "uncited": (f"{who} cited no passage", "check QA_LLM_MODEL (use an instruction-following model)"),
            "not_known": (f"{who} found no answer in the passages", "nothing to fix"),
        }.get(fault.kind, (f"{who} gave an unusable reply", "check QA_LLM_MODEL"))
    elif isinstance(fault, _Fault):
        what, fix = fault.what, fault.fix
    else:
        what, fix = str(fault), "check QA_LLM_BASE_URL"
    return _redact(f"Written answer not available: {what}; {fix}. Showing the quoted answer.", settings)


# ------------------------------------------------------------------------------------------- front ends
def written_markdown(answer: Answer, escape=None) -> str:
    """Markdown for the chat page: each shown sentence with its bold markers, unverified ones in italics
    with the mark, then the note. ``escape`` makes text literal (``qa.chat.escape_markdown``)."""
    if escape is None:
        from .chat import escape_markdown as escape
    out = []
    for s in answer.sentences:
        if s.verified is False and answer.mode == "generated" and UNVERIFIED_MARK not in answer.text:
            continue  # dropped (the note says so)
        markers = "".join(f"**[{r}]**" for r in (s.cites or (s.passage_rank,)))
        body = escape(" ".join(s.text.split()))
        out.append(f"{body} {markers}" if s.verified is not False else f"*{body}* {markers} _{UNVERIFIED_MARK}_")
    text = " ".join(out)
    if answer.note:
        text += "\n\n" + f"_{escape(answer.note)}_"
    return text


def sentence_markdown(s: AnswerSentence, escape=None) -> str:
    return written_markdown(Answer(question="", abstained=False, passages=(), text="", sentences=(s,),
                                   mode="generated"), escape)


def write_into(placeholder, turn: dict, settings: Settings) -> dict:
    """The chat page's hook: stream the written answer of ``turn`` (asked inside ``deferred()``) into a
    Streamlit placeholder, sentence by sentence, then leave the final answer in the turn."""
    answer = turn.get("answer")
    if answer is None or not configured(settings) or answer.abstained or not answer.sentences:
        return turn
    shown = []
    for event in stream_answer(answer.question, answer, answer.passages, settings):
        if isinstance(event, Answer):
            turn = {**turn, "answer": event}
            break
        shown.append(sentence_markdown(event))
        placeholder.markdown(" ".join(shown) + " \u258c")
    placeholder.empty()
    return turn
