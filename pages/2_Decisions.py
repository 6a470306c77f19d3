"""Decisions: the register of what the panels resolved, and what they asked for and are still waiting on.

A thin page over ``Retriever.register()`` (``qa.decisions``); table rows and CSV come from ``qa.chat``.
Document text is shown as text only (escaped markdown), never as HTML.
"""
from __future__ import annotations

import logging

import streamlit as st

from qa.chat import (
    ALL_COMMITTEES, citation_markdown, decision_rows, download_name, escape_markdown,
    request_rows, rows_to_csv,
)
from qa.config import Settings
from qa.dates import uk_date
from qa.display import to_markdown
from qa.errors import QAError
from qa.store import version_key

log = logging.getLogger("qa.app.decisions")
KINDS = ("noted", "approved", "requested", "scheduled", "elected", "excluded", "other")
ALL_KINDS = "All kinds"


@st.cache_resource(show_spinner="Opening the index…", max_entries=4)
def _retriever(index_dir: str, version: str):
    from qa.retrieve import Retriever

    return Retriever.load(index_dir)


@st.cache_resource(show_spinner="Reading the decisions register…", max_entries=4)
def _register(index_dir: str, version: str):
    return _retriever(index_dir, version).register()


def source_panel(retriever, record, key: str) -> None:
    """The record's cited passage from its document, with the record's own words highlighted."""
    c = record.citation
    with st.container(border=True):
        st.markdown(citation_markdown(1, c).replace("**[1]** ", "", 1))
        doc = retriever.document_text(c.source)
        if doc is None:
            st.markdown(escape_markdown(record.text))
            return
        text = doc[c.start:c.end]
        at = text.find(record.text) if record.text else -1
        spans = [(at, at + len(record.text))] if at >= 0 else []
        st.markdown(to_markdown(text, spans, doc))
        delivered = getattr(record, "delivered_title", None)
        if delivered:
            when = uk_date(getattr(record, "delivered_date", None)) or "date not stated"
            st.markdown(f"**Delivered by** {escape_markdown(delivered)} ({escape_markdown(when)})")
        with st.container(horizontal=True, vertical_alignment="center"):
            st.download_button("Source document", data=lambda: doc, file_name=download_name(c.source),
                               mime="text/plain", key=key, on_click="ignore", icon=":material/download:",
                               type="tertiary")
            st.caption(escape_markdown(c.source + (f", page {c.page}" if c.page else "")))


def records_table(retriever, rows: list[dict], records: list, name: str, widths: dict) -> bool:
    """A selectable table of register records (column order and widths from ``widths``; None = default),
    its CSV download, and the source passage of the selected row. Returns whether a row is selected."""
    event = st.dataframe(
        rows, key=f"{name}_table", hide_index=True, on_select="rerun", selection_mode="single-row",
        column_order=tuple(widths),
        column_config={col: st.column_config.TextColumn(width=w) for col, w in widths.items() if w is not None},
    )
    st.download_button("Download CSV", data=rows_to_csv(rows), file_name=f"{name}.csv", mime="text/csv",
                       key=f"{name}_csv", on_click="ignore", icon=":material/download:")
    selected = list(event.selection.rows) if event is not None else []
    if selected and selected[0] < len(records):
        source_panel(retriever, records[selected[0]], key=f"{name[:-1]}_source")
        return True
    return False


def page() -> None:
    st.set_page_config(page_title="Decisions · Panel papers", layout="wide")
    st.title("Decisions")
    st.caption("What the panels resolved, and what they asked for: each row is quoted from the minutes.")
    settings = Settings.from_env()
    index_dir, version = str(settings.index_dir), version_key(settings.index_dir)
    try:
        retriever = _retriever(index_dir, version)
    except QAError as exc:
        st.info("No usable index yet. Build it on the **Ask the papers** page.")
        st.caption(escape_markdown(str(exc)))
        return
    try:
        register = _register(index_dir, version)
    except ImportError:
        st.info("The decisions register is not available in this version yet.")
        return

    committees = retriever.stats().get("committees", [])
    query = st.text_input("Search decisions and requests", key="d_query", placeholder="e.g. precept, Glen Parva")
    left, right = st.columns(2)
    committee = left.selectbox("Committee", [ALL_COMMITTEES, *committees], key="d_committee")
    kind = right.selectbox("Kind of decision", [ALL_KINDS, *KINDS], key="d_kind")
    committee = None if committee == ALL_COMMITTEES else committee
    query = query.strip() or None

    decisions = list(register.find_decisions(query=query, committee=committee,
                                             kind=None if kind == ALL_KINDS else kind))
    rows = decision_rows(decisions)
    st.subheader(f"Resolutions ({len(rows)})")
    if not rows:
        st.caption("No decisions match.")
    else:
        if not records_table(retriever, rows, decisions, "decisions",
                             {"Date": 140, "Item": "medium", "Clause": "small", "Kind": "small",
                              "Decision": "large", "Committee": "medium"}):
            st.caption("Select a row to read the passage it comes from.")

    requests = list(register.find_requests(query=query, committee=committee, open_only=False))
    open_requests = [r for r in requests if getattr(r, "status", None) == "open"]
    st.subheader(f"Still waiting for ({len(open_requests)})")
    st.caption("What a meeting asked to come back (a report, an update, a visit) and has not yet been seen "
               "in a later meeting's papers.")
    show_all = st.toggle("Show delivered requests too", key="d_all_requests")
    shown = requests if show_all else open_requests
    req_rows = request_rows(shown)
    if not req_rows:
        st.caption("No open requests." if not show_all else "No requests match.")
        return
    records_table(retriever, req_rows, shown, "requests",
                  {"Status": "small", "Date": 140, "Item": "medium", "Request": "large", "Delivered by": None,
                   "Reason": None, "Committee": "medium"})


try:
    page()
except Exception:  # no traceback ever reaches the page
    log.exception("decisions page failed")
    st.error("Something went wrong on our side. Try again; if it keeps happening, tell whoever runs this site.")
