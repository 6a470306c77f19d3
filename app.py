"""Panel papers: ask the papers of a Police and Crime Panel and its partner boards, get cited answers.

Run with ``streamlit run app.py``. The index and corpus folders come from ``qa.config.Settings``
(``QA_INDEX_DIR``, ``QA_CORPUS_DIR``). This file is only the page: the logic lives in ``qa`` (answers in
``qa.retrieve``/``qa.answer``, everything chat-specific and unit-tested in ``qa.chat``).

Document text is always shown as text: it goes through ``qa.chat`` escaping, never ``unsafe_allow_html``.
"""
from __future__ import annotations

import logging
import math
import threading
import time

import streamlit as st

from qa.chat import (
    ALL_COMMITTEES, Plan, abstention_markdown, also_in_markdown, citation_markdown, cited_ranks, date_bounds, describe_filters,
    download_name, escape_markdown, item_window, plan_question, render_answer,
    render_item_window, render_passage, sidebar_filters, stats_summary, understood_note,
)
from qa.config import Settings
from qa.errors import IndexMismatch, IndexMissing, QAError
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
@st.cache_resource(show_spinner="Opening the index…", max_entries=4)
def load_retriever(index_dir: str, version: str):
    """One loaded index per index version, shared by every session (a build makes a new version)."""
    from qa.retrieve import Retriever

    return Retriever.load(index_dir)


@st.cache_resource(show_spinner=False, max_entries=4)
def warm_up(index_dir: str, version: str) -> bool:
    """Load the embedding model once, after the first page is drawn, so the first answer is quick."""
    try:
        load_retriever(index_dir, version).warm_up()
    except Exception:  # the question itself will report a real problem
        log.exception("warm-up failed")
        return False
    return True


@st.cache_resource(show_spinner=False)
def build_lock() -> threading.Lock:
    return threading.Lock()


@st.cache_data(show_spinner=False, max_entries=64)
def document_text(index_dir: str, version: str, source: str) -> str | None:
    return load_retriever(index_dir, version).document_text(source)


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
                st.text(source)
    return sidebar_filters(committee, start, end, first.isoformat() if first else None,
                           last.isoformat() if last else None, resolutions)


# ------------------------------------------------------------------------------------------------ answers
def new_chat() -> None:
    st.session_state["messages"] = []


def ask_example(question: str) -> None:
    st.session_state["pending_question"] = question


def answer_question(retriever, question: str, sidebar_f, previous) -> dict:
    """Ask; a follow-up that finds nothing in the previous meeting is asked again on its own."""
    st.session_state["turn_seq"] = st.session_state.get("turn_seq", 0) + 1
    turn = {"id": st.session_state["turn_seq"], "question": question, "answer": None, "note": None, "filters": None,
            "error": None}
    try:
        plan = plan_question(question, previous, sidebar_f)
        answer = retriever.ask(plan.question, filters=plan.filters)
        if plan.follow_up is not None and answer.abstained:
            alone = retriever.ask(question, filters=sidebar_f)
            if not alone.abstained:
                plan, answer = Plan(question, sidebar_f, None, None), alone
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
        st.markdown(render_passage(p, answer))
        also = also_in_markdown(p)
        if also:
            st.caption(also)
        text = document_text(*keys, c.source)
        if context:
            whole = st.expander("Whole agenda item", key=f"item-{turn_id}-{p.rank}", on_change="rerun")
            if whole.open:  # drawn only when opened
                with whole:
                    window = item_window(retriever, p, doc_text=text)
                    if window is None:
                        st.caption("The document text is not in the index.")
                    else:
                        with st.container(height=380 if len(window.text) > 1500 else "content", border=False):
                            st.markdown(render_item_window(window, p, answer))
        if text is not None:
            row = st.container(horizontal=True, vertical_alignment="center")
            with row:
                st.download_button("Source document", data=lambda: text, file_name=download_name(c.source),
                                   mime="text/plain", key=f"dl-{turn_id}-{p.rank}", on_click="ignore",
                                   icon=":material/download:", type="tertiary")
                st.caption(escape_markdown(c.source + (f", page {c.page}" if c.page else "")))


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
            st.button("New chat", key="new_chat", on_click=new_chat, icon=":material/add_comment:")
    warm_up(index_dir, version)


def main() -> None:
    st.set_page_config(page_title="Panel papers", layout="centered")
    pages = [
        st.Page(chat_page, title="Ask the papers", icon=":material/forum:", default=True, url_path="ask"),
        st.Page("pages/2_Decisions.py", title="Decisions", icon=":material/gavel:", url_path="decisions"),
    ]
    page = st.navigation(pages)
    try:
        page.run()
    except Exception:  # no traceback ever reaches the page
        log.exception("page failed")
        st.error(GENERIC_ERROR)


if __name__ == "__main__":
    main()
