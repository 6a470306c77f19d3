"""The original, at the words: what a citation opens.

Design. A citation is ``(source, start, end)`` in the document's extracted text, plus its page for a PDF.
* A PDF is shown as the cited page(s) of the original file, rendered by PyMuPDF, with the cited words
  highlighted. The words are found on the page by aligning the cited text's words with the page's own
  words (``page.get_text("words")``, in the same sorted reading order the extractor used), so a highlight
  follows the span even where line breaks, hyphens or tabs differ; a page where no word matches is shown
  unhighlighted rather than guessed at.
* Any other source (text, Markdown, HTML, DOCX) is shown as its extracted text through ``qa.display``
  (markup and furniture left out, sanitised HTML) with the span in ``<mark id="hit">``, which the page
  scrolls into view.
* The original file is offered for download in its own format (``original``), found only inside the corpus
  folder (a source naming a path outside it is refused).
Nothing here imports Streamlit: the page (``pages/3_Source.py``) is a thin wrapper.
"""
from __future__ import annotations

import bisect
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

MIME = {".pdf": "application/pdf", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".html": "text/html", ".htm": "text/html", ".md": "text/markdown", ".txt": "text/plain", ".text": "text/plain"}
MAX_PAGES = 3  # a span running over more pages shows its first three


@dataclass(frozen=True)
class Original:
    path: Path
    name: str
    mime: str


@dataclass(frozen=True)
class PageImage:
    number: int  # 1-based
    png: bytes
    highlighted: int  # how many words were highlighted on it


def original(corpus_dir: Path, source: str) -> Original | None:
    """The original file of ``source`` in the corpus folder, or None when it is not there."""
    root = Path(corpus_dir).resolve()
    try:
        path = (root / source).resolve()
    except (OSError, RuntimeError):
        return None
    if root not in path.parents or not path.is_file():
        return None
    mime = MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Original(path, path.name, mime)


def parse_spans(raw: str | None, start: int, end: int) -> list[tuple[int, int]]:
    """'120-180,200-240' (document offsets) -> spans clipped to ``[start, end)``; the whole span if none."""
    spans = []
    for m in re.finditer(r"(\d+)-(\d+)", raw or ""):
        s, e = max(start, int(m.group(1))), min(end, int(m.group(2)))
        if e > s:
            spans.append((s, e))
    return spans or [(start, end)]


def pages_of(page_starts, start: int, end: int) -> list[int]:
    """The 1-based pages that ``[start, end)`` touches (at most MAX_PAGES)."""
    if not page_starts:
        return []
    first = max(1, bisect.bisect_right(page_starts, start))
    last = max(first, bisect.bisect_right(page_starts, max(start, end - 1)))
    return list(range(first, min(last, first + MAX_PAGES - 1) + 1))


_WORD = re.compile(r"[\W_]+")


def _norm(word: str) -> str:
    return _WORD.sub("", word).casefold()


def match_words(page_words: list[str], cited: list[str]) -> list[int]:
    """Indices of ``page_words`` that are the ``cited`` words: the stretch of the page between the first and
    last runs of words it shares in order with the cited text (difflib's matching blocks of two or more
    words, or the only word cited), so one cited span gives one contiguous highlight."""
    from difflib import SequenceMatcher

    want = [w for w in (_norm(c) for c in cited) if w]
    have = [_norm(w) for w in page_words]
    if not want or not have:
        return []
    blocks = [b for b in SequenceMatcher(None, have, want, autojunk=False).get_matching_blocks() if b.size]
    blocks = [b for b in blocks if b.size >= 2] or ([b for b in blocks if len(want) == 1])
    if not blocks:
        return []
    a0, a1 = min(b.a for b in blocks), max(b.a + b.size for b in blocks)
    if a1 - a0 > 2 * len(want) + 10:  # scattered matches: not this page's text
        return []
    return [i for i in range(a0, a1) if have[i]]


def render_pdf_pages(path: Path, text: str, page_starts, spans: list[tuple[int, int]],
                     zoom: float = 1.6) -> list[PageImage]:
    """The pages holding ``spans`` (document offsets), rendered with the spans' words highlighted."""
    import pymupdf

    lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
    numbers = pages_of(page_starts, lo, hi)
    out = []
    with pymupdf.open(path) as doc:
        for number in numbers:
            if not 1 <= number <= doc.page_count:
                continue
            page = doc[number - 1]
            p_start = page_starts[number - 1]
            p_end = page_starts[number] if number < len(page_starts) else len(text)
            words = page.get_text("words", sort=True)
            marked = 0
            for s, e in spans:
                s, e = max(s, p_start), min(e, p_end)
                if e <= s:
                    continue
                hits = match_words([w[4] for w in words], text[s:e].split())
                for i in hits:
                    x0, y0, x1, y1 = words[i][:4]
                    annot = page.add_highlight_annot(pymupdf.Rect(x0, y0, x1, y1))
                    annot.set_colors(stroke=(1.0, 0.85, 0.2))
                    annot.update()
                marked += len(hits)
            pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), annots=True)
            out.append(PageImage(number, pix.tobytes("png"), marked))
    return out


VIEW_CSS = """<style>
body{font-family:"Source Sans Pro",sans-serif;font-size:16px;line-height:1.5;color:#31333f;margin:0 12px}
mark{background:#ffd54f;padding:0 1px}
table{border-collapse:collapse;margin:8px 0} td{border:1px solid #ccc;padding:2px 6px;vertical-align:top}
h4{margin:14px 0 4px}
</style>"""
_SCROLL = ("<script>window.addEventListener('load',function(){var m=document.getElementById('hit');"
           "if(m){m.scrollIntoView({block:'center'});}});</script>")


def text_view_html(text: str, spans: list[tuple[int, int]]) -> str:
    """The whole document as sanitised HTML (``qa.display.to_html``) with the spans marked, and a script
    (ours, added after sanitising) that scrolls the first mark into view."""
    from .display import to_html

    body = to_html(text, spans, text)
    return f"<!doctype html><html><head><meta charset='utf-8'>{VIEW_CSS}</head><body>{body}{_SCROLL}</body></html>"
