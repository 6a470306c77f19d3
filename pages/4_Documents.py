"""Documents: every indexed document by body, meeting date and title, with its meetings and items; staff
upload files (PDF, DOCX, HTML, TXT, MD), remove them, and rebuild the index with a progress bar.

A thin page over ``qa.documents`` (listing, checking and saving uploads, removing, rebuilding) and
``qa.feedback`` (the staff's CSV of thumbs up/down). Staff sign in with ``QA_STAFF_PASSWORD``; when it is not
set, nobody can change the documents. Asking stays open to everyone.
"""
from __future__ import annotations

import logging
import threading
import time

import streamlit as st

from qa.chat import escape_markdown, rows_to_csv
from qa.config import Settings
from qa.documents import UPLOAD_SUFFIXES, document_rows, rebuild, remove_document, save_upload, shared_retriever, \
    staff_ok
from qa.errors import QAError, UnreadableDocument
from qa.feedback import FeedbackStore, feedback_path
from qa.store import version_key

log = logging.getLogger("qa.app.documents")
GENERIC_ERROR = "Something went wrong on our side. Try again; if it keeps happening, tell whoever runs this site."


def run_rebuild(settings: Settings) -> None:
    """Rebuild in a worker thread, the bar following ``on_progress``; the result is flashed after a rerun."""
    state = {"stage": "Starting…", "fraction": 0.0}

    def on_progress(stage: str, fraction: float) -> None:
        state.update(stage=stage, fraction=fraction)

    def work():
        try:
            state["report"] = rebuild(settings, on_progress)
        except BaseException as exc:  # reported below, on the page's thread
            state["error"] = exc

    bar = st.progress(0.0, text="Starting…")
    worker = threading.Thread(target=work, name="qa-rebuild", daemon=True)
    worker.start()
    while worker.is_alive():
        bar.progress(min(0.99, max(0.0, state["fraction"])), text=str(state["stage"])[:120])
        worker.join(0.25)
    exc = state.get("error")
    if exc is not None:
        bar.empty()
        if isinstance(exc, QAError):
            st.error(escape_markdown(str(exc)))
        else:
            log.error("rebuild failed", exc_info=exc)
            st.error(GENERIC_ERROR)
        return
    bar.progress(1.0, text="Done")
    report = state["report"]
    note = report.summary()
    if report.skipped:
        note += " · skipped: " + "; ".join(str(s) for s in report.skipped[:5])
    st.session_state["docs_flash"] = note[:1].upper() + note[1:]
    st.rerun()


def staff_panel(settings: Settings, rows) -> None:
    st.subheader("Add or remove documents")
    if not settings.staff_password:
        st.caption("Changing the documents is turned off: set QA_STAFF_PASSWORD for the app (see the README).")
        return
    if not st.session_state.get("staff"):
        with st.form("staff_login", border=False):
            password = st.text_input("Staff password", type="password", key="staff_password")
            if st.form_submit_button("Sign in", icon=":material/lock_open:"):
                if staff_ok(settings, password):
                    st.session_state["staff"] = True
                    st.rerun()
                st.error("That is not the staff password.")
        return
    with st.form("upload", clear_on_submit=True, border=True):
        files = st.file_uploader("Upload papers (PDF, DOCX, HTML, TXT or MD)", accept_multiple_files=True,
                                 type=[s.lstrip(".") for s in UPLOAD_SUFFIXES], key="uploads")
        submitted = st.form_submit_button("Add and rebuild", type="primary", icon=":material/upload:")
    if submitted and files:
        added, refused = [], []
        for f in files:
            try:
                added.append(save_upload(settings, f.name, f.getvalue()))
            except UnreadableDocument as exc:
                refused.append(str(exc))
        for line in refused:
            st.error(f"Not added: {escape_markdown(line)}")
        if added:
            st.success("Added " + ", ".join(escape_markdown(a) for a in added) + ". Rebuilding the index…")
            run_rebuild(settings)
    sources = [r.source for r in rows]
    if sources:
        with st.form("remove", border=True):
            titles = {r.source: r.title for r in rows}
            choice = st.selectbox("Remove a document", sources, index=None, key="remove_choice",
                                  format_func=lambda s: f"{titles.get(s, s)} ({s})", placeholder="Choose a document")
            if st.form_submit_button("Remove and rebuild", icon=":material/delete:") and choice:
                try:
                    remove_document(settings, choice)
                except UnreadableDocument as exc:
                    st.error(escape_markdown(str(exc)))
                else:
                    run_rebuild(settings)
    if st.button("Rebuild the index", key="rebuild", icon=":material/build:"):
        run_rebuild(settings)
    store = FeedbackStore(feedback_path(settings))
    votes = store.rows()
    st.subheader(f"Feedback ({len(votes)})")
    st.download_button("Download feedback CSV", data=store.to_csv(), file_name="feedback.csv", mime="text/csv",
                       key="feedback_csv", on_click="ignore", icon=":material/download:")
    if st.button("Sign out", key="staff_out"):
        st.session_state["staff"] = False
        st.rerun()


def page() -> None:
    st.title("Documents")
    st.caption("Every paper in the index, by body and meeting date. Open one to see its meetings and agenda items.")
    settings = Settings.from_env()
    index_dir, version = str(settings.index_dir), version_key(settings.index_dir)
    flash = st.session_state.pop("docs_flash", None)
    if flash:
        st.success(escape_markdown(flash))
    rows = []
    try:
        retriever = shared_retriever(index_dir, version)
    except QAError as exc:
        st.info("No usable index yet. Build it on the **Ask the papers** page, or upload papers below.")
        st.caption(escape_markdown(str(exc)))
    else:
        rows = document_rows(retriever)
        table = [r.as_row() for r in rows]
        st.dataframe(table, hide_index=True, key="documents_table",
                     column_config={"Title": st.column_config.TextColumn(width="large"),
                                    "Body": st.column_config.TextColumn(width="medium")})
        st.download_button("Download the list (CSV)", data=rows_to_csv(table), file_name="documents.csv",
                           mime="text/csv", key="documents_csv", on_click="ignore", icon=":material/download:")
        for r in rows:
            with st.expander(escape_markdown(r.title), key=f"doc-{r.source}"):
                st.caption(escape_markdown(f"File {r.source} · {r.format}"))
                st.markdown("**Meetings**  \n" + ("  \n".join(escape_markdown(m) for m in r.meetings) or "none found"))
                if r.items:
                    st.markdown("**Agenda items**\n\n" + "\n".join(f"- {escape_markdown(i)}" for i in r.items))
    staff_panel(settings, rows)


try:
    page()
except Exception:  # no traceback ever reaches the page
    log.exception("documents page failed")
    st.error(GENERIC_ERROR)
