"""Decisions: the register of what the panels resolved, and what they asked for and are still waiting on.

A thin page over ``Retriever.register()`` (``qa.decisions``); table rows and CSV come from ``qa.chat``.
Document text is shown as text only (escaped markdown), never as HTML.
"""
from __future__ import annotations

import logging

import streamlit as st

from qa.chat import (
    ALL_COMMITTEES, citation_markdown, date_bounds, decision_rows, escape_markdown,
    request_rows, rows_to_csv,
)
from qa.config import Settings
from qa.dates import uk_date
from qa.display import to_markdown
from qa.documents import shared_retriever
from qa.errors import QAError
from qa.store import version_key

log = logging.getLogger("qa.app.decisions")
KINDS = ("noted", "approved", "requested", "scheduled", "elected", "excluded", "other")
ALL_KINDS = "All kinds"


def _retriever(index_dir: str, version: str):
    return shared_retriever(index_dir, version)


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
            q = {"source": c.source, "start": str(c.start), "end": str(c.end)}
            if spans:
                q["hl"] = f"{c.start + spans[0][0]}-{c.start + spans[0][1]}"
            st.page_link("pages/3_Source.py", label=f"Open page {c.page}" if c.page else "Open the source",
                         icon=":material/open_in_new:", query_params=q)
            st.caption(escape_markdown(retriever.document_title(c.source) + (f", page {c.page}" if c.page else "")),
                       help=f"File: {c.source}")


PAGE_ROWS = 50


def records_table(retriever, rows: list[dict], records: list, name: str, columns: tuple) -> bool:
    """Register records as a table whose text wraps in full (committee names and decisions are never cut),
    50 rows a page, its CSV download (every matching row), and the source passage of a chosen row.
    Returns whether a row is chosen."""
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    at = 0
    if pages > 1:
        n = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1, key=f"{name}_page")
        at = (int(n) - 1) * PAGE_ROWS
    shown = rows[at:at + PAGE_ROWS]
    st.table([{"#": at + i + 1, **{c: r.get(c, "") for c in columns}} for i, r in enumerate(shown)])
    st.download_button("Download CSV", data=rows_to_csv(rows), file_name=f"{name}.csv", mime="text/csv",
                       key=f"{name}_csv", on_click="ignore", icon=":material/download:")
    labels = {i: f"{i + 1}. {rows[i].get('Date', '')} · {rows[i].get('Item', '')}"[:120] for i in range(len(rows))}
    choice = st.selectbox("Read the passage of row", list(labels), index=None, format_func=labels.get,
                          key=f"{name}_row", placeholder="Choose a row")
    if choice is not None and choice < len(records):
        source_panel(retriever, records[choice], key=f"{name[:-1]}_source")
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

    stats = retriever.stats()
    committees = stats.get("committees", [])
    query = st.text_input("Search decisions and requests", key="d_query", placeholder="e.g. precept, Glen Parva")
    left, mid, right = st.columns([2, 1, 1])
    committee = left.selectbox("Committee", [ALL_COMMITTEES, *committees], key="d_committee")
    kind = mid.selectbox("Kind of decision", [ALL_KINDS, *KINDS], key="d_kind")
    first, last = date_bounds(stats)
    span = None
    if first and last:
        span = right.date_input("Meetings from, to", value=(first, last), min_value=first, max_value=last,
                                format="DD/MM/YYYY", key="d_dates")
    committee = None if committee == ALL_COMMITTEES else committee
    query = query.strip() or None

    def in_dates(r) -> bool:
        if not span or len(span) != 2 or (span[0] == first and span[1] == last):
            return True
        return bool(r.meeting_date) and span[0].isoformat() <= r.meeting_date <= span[1].isoformat()

    decisions = [d for d in register.find_decisions(query=query, committee=committee,
                                                    kind=None if kind == ALL_KINDS else kind) if in_dates(d)]
    rows = decision_rows(decisions)
    st.subheader(f"Resolutions ({len(rows)})")
    if not rows:
        st.caption("No decisions match.")
    else:
        records_table(retriever, rows, decisions, "decisions",
                      ("Date", "Committee", "Item", "Clause", "Kind", "Decision"))

    requests = [r for r in register.find_requests(query=query, committee=committee, open_only=False) if in_dates(r)]
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
                  ("Status", "Date", "Committee", "Item", "Request", "Delivered by"))


try:
    page()
except Exception:  # no traceback ever reaches the page
    log.exception("decisions page failed")
    st.error("Something went wrong on our side. Try again; if it keeps happening, tell whoever runs this site.")
