"""Source: the original of a citation, at the words (``qa.source_view``).

Opened from a citation with ``?source=...&start=...&end=...&hl=s-e,s-e`` (document offsets). A PDF shows its
cited page rendered with the words highlighted; any other document its text scrolled to the highlighted span.
"""
from __future__ import annotations

import logging

import streamlit as st

from qa.chat import citation_parts, escape_markdown
from qa.config import Settings
from qa.documents import shared_retriever
from qa.errors import QAError
from qa.source_view import original, parse_spans, render_pdf_pages, text_view_html
from qa.store import version_key

log = logging.getLogger("qa.app.source")


@st.cache_data(show_spinner="Rendering the page…", max_entries=32)
def _pdf_pages(path: str, mtime: float, index_dir: str, version: str, source: str, spans: tuple):
    stored = shared_retriever(index_dir, version).version.document(source)
    return [(p.number, p.png, p.highlighted)
            for p in render_pdf_pages(path, stored["text"], stored["page_starts"], list(spans))]


@st.cache_data(show_spinner=False, max_entries=16)
def _text_html(index_dir: str, version: str, source: str, spans: tuple) -> str:
    stored = shared_retriever(index_dir, version).version.document(source)
    return text_view_html(stored["text"], list(spans))


def _int(value, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


def page() -> None:
    settings = Settings.from_env()
    index_dir, version = str(settings.index_dir), version_key(settings.index_dir)
    try:
        retriever = shared_retriever(index_dir, version)
    except QAError as exc:
        st.info("No usable index yet. Build it on the **Ask the papers** page.")
        st.caption(escape_markdown(str(exc)))
        return
    q = st.query_params
    source = q.get("source")
    stored = retriever.version.document(source) if source else None
    if stored is None:
        st.title("Source")
        st.info("Open a source from a citation on the **Ask the papers** page. "
                + (f"“{escape_markdown(source)}” is not in the index." if source else ""))
        return
    text = stored["text"]
    start = min(_int(q.get("start"), 0), len(text))
    end = min(max(start, _int(q.get("end"), len(text))), len(text))
    spans = tuple(parse_spans(q.get("hl"), start, end))
    st.title(retriever.document_title(source))
    cite = next((c for c in retriever.citations if c.source == source and c.start <= start < c.end), None)
    if cite is not None:
        parts = citation_parts(cite)
        parts = [p for p in parts if not p.startswith("page ")]
        st.caption(" · ".join(escape_markdown(p) for p in parts))
    orig = original(settings.corpus_dir, source)
    with st.container(horizontal=True, vertical_alignment="center"):
        if orig is not None:
            st.download_button(f"Download the original ({orig.path.suffix.lstrip('.').upper() or 'file'})",
                               data=orig.path.read_bytes(), file_name=orig.name, mime=orig.mime,
                               key="dl-original", on_click="ignore", icon=":material/download:")
        with st.popover("Details", icon=":material/info:"):
            st.markdown(f"**File** {escape_markdown(source)}  \n**Format** {escape_markdown(stored['format'])}  \n"
                        f"**Cited span** \\[{start}, {end}\\) of the extracted text")
    if stored["format"] == "pdf" and orig is not None and orig.path.suffix.lower() == ".pdf":
        pages = _pdf_pages(str(orig.path), orig.path.stat().st_mtime, index_dir, version, source, spans)
        for number, png, marked in pages:
            st.image(png, caption=f"Page {number}" + ("" if marked else " (the cited words could not be found on "
                                                                          "the page image)"))
        if pages:
            return
    # Our page (sanitised document text, our CSS and scroll script) in a fixed-height frame that scrolls to the
    # mark; st.iframe replaces the deprecated st.components.v1.html.
    st.iframe(_text_html(index_dir, version, source, spans), height=640)


try:
    page()
except Exception:  # no traceback ever reaches the page
    log.exception("source page failed")
    st.error("Something went wrong on our side. Try again; if it keeps happening, tell whoever runs this site.")
