"""Panel papers: ask the papers of a Police and Crime Panel and its partner boards, get cited answers.

Run with ``streamlit run app.py``. The index and corpus folders come from ``qa.config.Settings``
(``QA_INDEX_DIR``, ``QA_CORPUS_DIR``). This file is only the page: the logic lives in ``qa`` (answers in
``qa.retrieve``/``qa.answer``, everything chat-specific and unit-tested in ``qa.chat``).

Document text is always shown as text: it goes through ``qa.display`` (markup and page furniture left out,
every character escaped), never ``unsafe_allow_html``. Pages: ``pages/2_Decisions.py``, ``pages/3_Source.py``
(a citation's original, at the words), ``pages/4_Documents.py`` (every document; staff upload and remove).
"""
from __future__ import annotations

import logging
import math
import threading
import time
import uuid

import streamlit as st

from qa.chat import (
    ALL_COMMITTEES, abstention_markdown, also_in_markdown, answer_turn, citation_markdown, cited_ranks, date_bounds,
    describe_filters, download_name, escape_markdown, item_window, render_answer, render_item_window,
    render_passage, sidebar_filters, stats_summary, understood_note, conversation_markdown,
)
from qa.config import Settings
from qa.documents import build_lock as _build_lock, shared_retriever
from qa.errors import IndexMismatch, IndexMissing, QAError
from qa.feedback import FeedbackStore, Vote, feedback_path
from qa.source_view import original
from qa.generate import deferred, write_into  # issue 19
from qa.store import version_key

log = logging.getLogger("qa.app")

EXAMPLES = (
    "What did the Panel say about 101 call waiting times?",
    "What did the Board resolve about Glen Parva prison?",
    "What are we still waiting for?",
)
GENERIC_ERROR = ("Something went wrong on our side. Try again, or rephrase the question; "
                 "if it keeps happening, tell whoever runs this site.")
MAX_CARDS = 5  # cited passages shown in full; the rest are listed in an expander


# ------------------------------------------------------------------------------------------------ resources
def load_retriever(index_dir: str, version: str):
    """One loaded index per index version, shared by every page and session (``qa.documents``)."""
    with st.spinner("Opening the index…"):
        return shared_retriever(index_dir, version)


@st.cache_resource(show_spinner=False, max_entries=4)
def warm_up(index_dir: str, version: str) -> bool:
    """Load the embedding model once, after the first page is drawn, so the first answer is quick."""
    try:
        load_retriever(index_dir, version).warm_up()
    except Exception:  # the question itself will report a real problem
        log.exception("warm-up failed")
        return False
    return True


def build_lock() -> threading.Lock:
    return _build_lock


@st.cache_data(show_spinner=False, max_entries=64)
def document_text(index_dir: str, version: str, source: str) -> str | None:
    return load_retriever(index_dir, version).document_text(source)


@st.cache_data(show_spinner=False, max_entries=256)
def document_title(index_dir: str, version: str, source: str) -> str:
    return load_retriever(index_dir, version).document_title(source)


# ------------------------------------------------------------------------------------------------ building
def build_panel(settings: Settings, problem: QAError) -> None:
    """No usable index: say so plainly and offer to build it from the corpus folder."""
    st.title("Panel papers")
    rebuild = isinstance(problem, IndexMismatch)
    if rebuild:
        st.warning("The index needs rebuilding before questions can be answered.")
        st.caption(escape_markdown(str(problem)))
    else:
        st.info("No index yet: the panel papers have not been indexed.")
    st.markdown(f"Build it from the papers in the corpus folder ({escape_markdown(str(settings.corpus_dir))}). "
                "It takes about a minute; you can then ask questions straight away.")
    if st.button("Rebuild the index" if rebuild else "Build the index", type="primary", key="build_index",
                 icon=":material/build:"):
        run_build(settings, rebuild)


def run_build(settings: Settings, rebuild: bool) -> None:
    from qa.build import build_index

    result: dict = {}

    def work():
        with build_lock():
            try:
                result["report"] = build_index(settings, rebuild=rebuild, progress=False)
            except BaseException as exc:  # reported below, on the page's thread
                result["error"] = exc

    bar = st.progress(0.0, text="Reading the papers…")
    worker = threading.Thread(target=work, name="qa-build", daemon=True)
    t0 = time.monotonic()
    worker.start()
    while worker.is_alive():
        elapsed = time.monotonic() - t0
        step = "Reading the papers…" if elapsed < 3 else "Splitting and embedding passages…"
        bar.progress(min(0.95, 1 - math.exp(-elapsed / 25)), text=f"{step} {elapsed:.0f} s")
        worker.join(0.3)
    exc = result.get("error")
    if isinstance(exc, QAError):
        bar.empty()
        st.error(escape_markdown(str(exc)))
        return
    if exc is not None:
        bar.empty()
        log.error("index build failed", exc_info=exc)
        st.error(GENERIC_ERROR)
        return
    report = result["report"]
    bar.progress(1.0, text="Done")
    note = report.summary()
    note = note[:1].upper() + note[1:]
    if report.skipped:
        note += " · skipped: " + "; ".join(str(s) for s in report.skipped[:5])
    st.session_state["flash"] = note
    st.rerun()


# ------------------------------------------------------------------------------------------------ sidebar
def sidebar(stats: dict):
    with st.sidebar:
        st.subheader("Search in")
        committee = st.selectbox("Committee", [ALL_COMMITTEES, *stats.get("committees", [])], key="f_committee")
        first, last = date_bounds(stats)
        start = end = None
        if first and last:
            start = st.date_input("From", value=first, min_value=first, max_value=last, format="DD/MM/YYYY",
                                  key="f_from")
            end = st.date_input("To", value=last, min_value=first, max_value=last, format="DD/MM/YYYY",
                                key="f_to")
            if start and end and start > end:
                st.caption("‘From’ is after ‘To’: the two dates are used the other way round.")
                start, end = end, start
        resolutions = st.toggle("Resolutions only", key="f_resolutions",
                                help="Search only what was resolved, not the discussion or reports.")
        st.divider()
        st.subheader("Documents indexed")
        st.caption(escape_markdown(stats_summary(stats)))
        with st.expander("Documents"):
            for source in stats.get("sources", []):
                st.text(document_title(*st.session_state["_keys"], source))
            st.page_link("pages/4_Documents.py", label="All documents", icon=":material/folder_open:")
    return sidebar_filters(committee, start, end, first.isoformat() if first else None,
                           last.isoformat() if last else None, resolutions)


# ------------------------------------------------------------------------------------------------ answers
def new_chat() -> None:
    st.session_state["messages"] = []


def ask_example(question: str) -> None:
    st.session_state["pending_question"] = question


def answer_question(retriever, question: str, sidebar_f, previous) -> dict:
    """Ask (``qa.chat.answer_turn``: a follow-up is scoped to the earlier answer, and abstains rather than
    answering from the earlier item when the scoped search finds nothing relevant)."""
    st.session_state["turn_seq"] = st.session_state.get("turn_seq", 0) + 1
    turn = {"id": st.session_state["turn_seq"], "question": question, "answer": None, "note": None, "filters": None,
            "error": None}
    try:
        plan, answer = answer_turn(retriever, question, previous, sidebar_f)
        turn.update(answer=answer, note=plan.note, filters=describe_filters(plan.filters))
    except QAError as exc:
        turn["error"] = str(exc)
    except Exception:
        log.exception("answering %r failed", question)
        turn["error"] = GENERIC_ERROR
    return turn


def render_turn(retriever, keys: tuple[str, str], turn: dict) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(turn["question"]))
    with st.chat_message("assistant"):
        render_reply(retriever, keys, turn)


def render_reply(retriever, keys, turn: dict) -> None:
    if turn["error"]:
        st.error(escape_markdown(turn["error"]))
        return
    answer = turn["answer"]
    notes = [n for n in (turn["note"], turn["filters"] and f"Searched: {turn['filters']}", understood_note(answer)) if n]
    if answer.abstained:
        st.warning(abstention_markdown(answer))
    else:
        st.markdown(render_answer(answer))
    if notes:
        st.caption(escape_markdown(" · ".join(notes)))
    feedback_row(keys, turn)
    if not answer.passages:
        return
    if answer.abstained:
        st.markdown("**Nearest passages**")
        for p in answer.passages:
            passage_card(retriever, keys, turn["id"], p, None)
        return
    by_rank = {p.rank: p for p in answer.passages}
    # The passages the answer quotes, and always the best match, in rank order.
    cited = sorted({r for r in cited_ranks(answer) if r in by_rank} | {answer.passages[0].rank})
    shown = cited[:MAX_CARDS]
    st.markdown("**Sources**")
    for rank in shown:
        passage_card(retriever, keys, turn["id"], by_rank[rank], answer)
    more_cited = [by_rank[r] for r in cited[MAX_CARDS:]]
    others = [p for p in answer.passages if p.rank not in cited]
    if more_cited or others:
        n = len(more_cited) + len(others)
        label = f"{n} more source{'s' if n > 1 else ''}" if more_cited else f"{n} more passage{'s' if n > 1 else ''} found"
        more = st.expander(label, key=f"more-{turn['id']}", on_change="rerun")
        if more.open:  # drawn only when opened: long answers stay light
            with more:
                for p in more_cited + others:
                    passage_card(retriever, keys, turn["id"], p, answer, context=False)


def passage_card(retriever, keys, turn_id: int, p, answer, context: bool = True) -> None:
    c = p.citation
    with st.container(border=True):
        st.markdown(citation_markdown(p.rank, c))
        text = document_text(*keys, c.source)
        st.markdown(render_passage(p, answer, text))
        also = also_in_markdown(p, lambda s: document_title(*keys, s))
        if also:
            st.caption(also)
        if context:
            whole = st.expander("Whole agenda item", key=f"item-{turn_id}-{p.rank}", on_change="rerun")
            if whole.open:  # drawn only when opened
                with whole:
                    window = item_window(retriever, p, doc_text=text)
                    if window is None:
                        st.caption("The document text is not in the index.")
                    else:
                        with st.container(height=380 if len(window.text) > 1500 else "content", border=False):
                            st.markdown(render_item_window(window, p, answer, text))
        row = st.container(horizontal=True, vertical_alignment="center")
        with row:
            spans = [(s + c.start, e + c.start) for s, e in passage_highlights_of(p, answer)]
            st.page_link("pages/3_Source.py", label=f"Open page {c.page}" if c.page else "Open the source",
                         icon=":material/open_in_new:", query_params=source_params(c, spans))
            orig = original(retriever.settings.corpus_dir, c.source)
            if orig is not None:
                st.download_button("Original", data=lambda: orig.path.read_bytes(), file_name=orig.name,
                                   mime=orig.mime, key=f"dl-{turn_id}-{p.rank}", on_click="ignore",
                                   icon=":material/download:", type="tertiary", help=f"Download {orig.name}")
            elif text is not None:
                st.download_button("Document text", data=lambda: text, file_name=download_name(c.source),
                                   mime="text/plain", key=f"dl-{turn_id}-{p.rank}", on_click="ignore",
                                   icon=":material/download:", type="tertiary")
            st.caption(escape_markdown(document_title(*keys, c.source) + (f", page {c.page}" if c.page else "")),
                       help=f"File: {c.source}")


def passage_highlights_of(p, answer):
    from qa.chat import passage_highlights

    return passage_highlights(p, answer)


def source_params(c, spans) -> dict:
    """The source page's query: the citation's span and the highlighted sentences (document offsets)."""
    q = {"source": c.source, "start": str(c.start), "end": str(c.end)}
    if spans:
        q["hl"] = ",".join(f"{s}-{e}" for s, e in spans)
    return q


def feedback_row(keys, turn: dict) -> None:
    """Thumbs up/down and an optional comment, stored in SQLite beside the index (``qa.feedback``)."""
    answer = turn["answer"]
    key = f"fb-{turn['id']}"

    def save() -> None:
        rating = st.session_state.get(key)
        if rating is None:
            return
        sid = st.session_state.setdefault("session_id", uuid.uuid4().hex)
        shown = render_answer(answer) if not answer.abstained else abstention_markdown(answer)
        sources = "; ".join(f"[{p.rank}] {document_title(*keys, p.citation.source)} ({p.citation.source})"
                            for p in answer.passages)
        try:
            FeedbackStore(feedback_path(Settings.from_env())).add(Vote(
                key=f"{sid}-{turn['id']}", question=turn["question"], answer=shown, sources=sources,
                index_version=keys[1], rating=1 if rating == 1 else -1,
                comment=st.session_state.get(f"{key}-comment", "")))
            st.session_state[f"{key}-saved"] = True
        except Exception:
            log.exception("saving feedback failed")
            st.session_state[f"{key}-saved"] = False

    with st.container(horizontal=True, vertical_alignment="center"):
        st.feedback("thumbs", key=key, on_change=save)
        if st.session_state.get(key) is not None:
            st.text_input("Comment (optional)", key=f"{key}-comment", on_change=save, max_chars=2000,
                          placeholder="What was right or wrong? (optional)", label_visibility="collapsed")
    saved = st.session_state.get(f"{key}-saved")
    if saved is not None:
        st.caption("Thanks: your feedback is saved." if saved else "Your feedback could not be saved.")


def chat_page() -> None:
    settings = Settings.from_env()
    index_dir = str(settings.index_dir)
    version = version_key(settings.index_dir)
    try:
        retriever = load_retriever(index_dir, version)
    except (IndexMissing, IndexMismatch) as exc:
        build_panel(settings, exc)
        return
    except QAError as exc:
        st.error(escape_markdown(str(exc)))
        return
    keys = (index_dir, version)
    st.session_state["_keys"] = keys
    stats = retriever.stats()
    sidebar_f = sidebar(stats)
    history: list = st.session_state.setdefault("messages", [])

    head = st.container(horizontal=True, vertical_alignment="bottom")
    with head:
        st.title("Panel papers", width="stretch")
    st.caption("Ask about the papers of the Police and Crime Panel and its partner boards. "
               "Every answer is quoted from the papers, with its source.")
    flash = st.session_state.pop("flash", None)
    if flash:
        st.success(escape_markdown(flash))

    for turn in history:
        render_turn(retriever, keys, turn)

    prompt = st.chat_input("Ask about the panel papers", key="chat_input", max_chars=2000)
    question = prompt or st.session_state.pop("pending_question", None)
    if not history and not question:
        st.markdown("**Try asking**")
        for i, example in enumerate(EXAMPLES):
            st.button(example, key=f"example-{i}", on_click=ask_example, args=(example,), type="secondary",
                      icon=":material/chat_bubble:")
    if question and question.strip():
        previous = next((t["answer"] for t in reversed(history) if t.get("answer") is not None), None)
        with st.chat_message("user"):
            st.markdown(escape_markdown(question))
        with st.chat_message("assistant"):
            with st.spinner("Searching the papers…"), deferred():  # issue 19: written answer streamed next
                turn = answer_question(retriever, question, sidebar_f, previous)
            turn = write_into(st.empty(), turn, retriever.settings)
            render_reply(retriever, keys, turn)
        history.append(turn)
    if history:
        with head:  # filled in last, so it appears with the first answer
            st.download_button("Export", data=conversation_markdown(history, lambda s: document_title(*keys, s)),
                               file_name="conversation.md", mime="text/markdown", key="export_chat",
                               on_click="ignore", icon=":material/ios_share:",
                               help="The conversation as Markdown, with its citations")
            st.button("New chat", key="new_chat", on_click=new_chat, icon=":material/add_comment:")
    warm_up(index_dir, version)


def main() -> None:
    st.set_page_config(page_title="Panel papers", layout="centered")
    # Accessibility (axe-core, tests/test_browser_pages.py): Streamlit fades captions to 60% opacity, 4.4:1 on
    # white and 4.25:1 on the sidebar, under WCAG AA's 4.5:1; solid #50565e is 7.3:1 and 6.8:1. Our own fixed
    # style, never document text.
    st.html("<style>[data-testid='stCaptionContainer']{opacity:1;color:#50565e}</style>")
    pages = [
        st.Page(chat_page, title="Ask the papers", icon=":material/forum:", default=True),  # the default page is served at /
        st.Page("pages/2_Decisions.py", title="Decisions", icon=":material/gavel:", url_path="decisions"),
        st.Page("pages/4_Documents.py", title="Documents", icon=":material/folder_open:", url_path="documents"),
        st.Page("pages/3_Source.py", title="Source", icon=":material/description:", url_path="source",
                visibility="hidden"),
    ]
    page = st.navigation(pages)
    try:
        page.run()
    except Exception:  # no traceback ever reaches the page
        log.exception("page failed")
        st.error(GENERIC_ERROR)


if __name__ == "__main__":
    main()
