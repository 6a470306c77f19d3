"""What a person reads: display text derived from a verbatim span of a document.

Design. A citation is the verbatim span ``text == source[start:end]``; what is *shown* is derived from it and
never replaces it. ``blocks(text)`` reads the span line by line into blocks (paragraph, heading, list item,
table) whose characters each remember the offset in the span they came from, so a highlight given in source
offsets (an answer sentence, a register record) lands on the right shown words whatever was removed around
them. Three renderings share the blocks:

* ``to_plain`` for the CLI, the HTTP API's ``display`` fields and CSV: no markup at all;
* ``to_markdown`` for Streamlit: every character of the document escaped (``escape_markdown``), only our own
  structure (bold headings, ``-`` lists, GFM tables, ``:orange-background[...]`` highlights) interpreted;
* ``to_html`` for the source view: escaped text in our own tags, then sanitised by nh3 (a maintained HTML
  sanitiser) with an allow-list, so no live HTML or script from a document can ever reach the page.

What is removed from the shown text only: Markdown and HTML markup (``####``, ``**``, ``<p>``, ``<sup>``,
``&amp;``), ModernGov page furniture ("pdf icon PDF 538 KB", "View directions", "Webcast."), protective
markings, and headers/footers repeated through a document (``furniture_lines`` of the whole document).
Superscripts are reduced to plain text (``28<sup>th</sup>`` shows as ``28th``). Tab-separated rows and
``| a | b |`` rows are tables.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

# ---------------------------------------------------------------------------------------------- escaping
# Every ASCII punctuation character markdown (CommonMark, GFM, Streamlit's directives) gives a meaning.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:^=\"'%])")
# Streamlit turns some patterns into markup after escapes are resolved (autolinks "http://", "www.",
# e-mail addresses, ":material/icon:" and ":emoji:" codes), so a backslash does not stop them; an invisible
# word joiner inside the trigger does. It is put only where such a pattern would start.
_WORD_JOINER = "\u2060"
_TRIGGER = re.compile(r"(?<=:)(?=//|[A-Za-z0-9_+/-]+:)|(?<=\w@)(?=\w)|(?<=\bwww)(?=\.)", re.I)


def escape_markdown(text: str) -> str:
    """``text`` as markdown that Streamlit shows literally, on one logical line or many.

    Markdown control characters are backslash-escaped; ``&``, ``<`` and ``>`` become entities, so
    ``<script>`` is shown as the characters ``<script>`` and never reaches the page as a tag.
    """
    if not text:
        return ""
    out = _TRIGGER.sub(_WORD_JOINER, str(text))
    out = _MD_SPECIAL.sub(r"\\\1", out)
    return out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------- furniture
# Inline clutter of ModernGov pages and council PDFs, removed wherever it appears in a line.
_INLINE_FURNITURE = re.compile(
    r"\s*\bpdf icon\s+PDF\s+[\d.,]+\s*[KMG]B\b\.?"
    r"|\s*\bView directions\b\.?"
    r"|\s*\bView the (?:reasons|background) to item \d+\.?"
    r"|^\s*Webcast\.?\s*$"
    r"|^\s*(?:NOT PROTECTIVELY MARKED|OFFICIAL(?:\s*-\s*SENSITIVE)?|UNCLASSIFIED)\s*$"
    r"|^\s*Prevention \| Partnership \| Protection\s*$"
    r"|^\s*Page \d+(?: of \d+)?\s*$"
    r"|^\s*-{3,}\s*$",
    re.I)
_MARKUP = re.compile(r"^\s*#{1,6}\s+|\*\*|__|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.I)
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")  # [text](url): the text is shown, the target is not
_BLOCK_TAG = re.compile(r"</?(?:p|div|li|ul|ol|br|tr|td|th|table|h[1-6])\b", re.I)


def _normalise_line(line: str) -> str:
    return " ".join(_MARKUP.sub(" ", line).split()).casefold()


@lru_cache(maxsize=32)
def furniture_lines(document: str) -> frozenset[str]:
    """Short lines a document repeats (running headers and footers), normalised (markup removed, case
    folded): each shown line that normalises to one of them is left out. A line that ends with ':'
    ("Minutes:", "RESOLVED:"), a sentence, a line with a figure, a one- or two-word heading ("Background")
    or a table row is content, not furniture."""
    counts: dict[str, int] = {}
    for line in document.splitlines():
        if "\t" in line:
            continue
        norm = _normalise_line(line)
        if (8 <= len(norm) <= 70 and len(norm.split()) >= 3 and not re.search(r"\d", norm)
                and not norm.endswith((":", ".", ";", ","))):
            counts[norm] = counts.get(norm, 0) + 1
    return frozenset(n for n, c in counts.items() if c >= 3)


# ---------------------------------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class Run:
    """Shown characters and, for each, its offset in the span (same length as ``text``)."""

    text: str
    offsets: tuple[int, ...]


@dataclass(frozen=True)
class Block:
    kind: str  # "para" | "heading" | "item" | "table"
    lines: tuple[Run, ...] = ()  # para: its lines; heading/item: one line
    rows: tuple[tuple[Run, ...], ...] = ()  # table: rows of cells


def _clean(line: str, base: int) -> Run:
    """One line (or table cell) of the span without markup or furniture; ``base`` is its span offset."""
    chars: list[str] = []
    offs: list[int] = []
    pos = 0
    edits = []
    for m in _INLINE_FURNITURE.finditer(line):
        edits.append((m.start(), m.end(), " "))
    for m in _MARKUP.finditer(line):
        tok = m.group(0)
        if tok.startswith("&"):
            rep = html.unescape(tok)
        elif tok.startswith("<"):
            rep = " " if _BLOCK_TAG.match(tok) else ""
        else:
            rep = ""
        edits.append((m.start(), m.end(), rep))
    for m in _LINK.finditer(line):
        edits.append((m.start(), m.start(1), ""))
        edits.append((m.end(1), m.end(), ""))
    edits.sort()
    for s, e, rep in edits:
        if s < pos:
            continue
        for i in range(pos, s):
            chars.append(line[i])
            offs.append(base + i)
        for ch in rep:
            chars.append(ch)
            offs.append(base + s)
        pos = e
    for i in range(pos, len(line)):
        chars.append(line[i])
        offs.append(base + i)
    # Collapse whitespace (tabs, no-break spaces) to single spaces, trimmed.
    out_c: list[str] = []
    out_o: list[int] = []
    for ch, o in zip(chars, offs):
        if ch.isspace():
            if out_c and out_c[-1] != " ":
                out_c.append(" ")
                out_o.append(o)
            continue
        out_c.append(ch)
        out_o.append(o)
    while out_c and out_c[-1] == " ":
        out_c.pop()
        out_o.pop()
    return Run("".join(out_c), tuple(out_o))


_HEADING = re.compile(r"^\s*#{1,6}\s+")
_ITEM = re.compile(r"^\s*(?:[-*+•]\s+|<li[^>]*>\s*)")
_PIPE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _cells(line: str, base: int) -> list[Run] | None:
    """A table row's cells, or None when the line is not a row (tab-separated, or ``| a | b |``)."""
    if line.lstrip().startswith("|") and line.count("|") >= 2:
        parts, pos = [], 0
        for m in re.finditer(r"(?<!\\)\|", line):
            parts.append((pos, m.start()))
            pos = m.end()
        parts.append((pos, len(line)))
        cells = [_clean(line[s:e], base + s) for s, e in parts]
        if cells and not cells[0].text:
            cells = cells[1:]
        if cells and not cells[-1].text:
            cells = cells[:-1]
        return cells or None
    if "\t" in line.strip():
        parts, pos = [], 0
        for m in re.finditer(r"\t+", line):
            parts.append((pos, m.start()))
            pos = m.end()
        parts.append((pos, len(line)))
        cells = [_clean(line[s:e], base + s) for s, e in parts]
        if len([c for c in cells if c.text]) >= 2:
            while cells and not cells[0].text:
                cells = cells[1:]
            return cells
    return None


def blocks(text: str, document: str | None = None) -> list[Block]:
    """The span ``text`` as shown blocks; ``document`` (the whole text) lets repeated headers go."""
    furniture = furniture_lines(document) if document else frozenset()
    out: list[Block] = []
    para: list[Run] = []
    table: list[tuple[Run, ...]] = []

    def flush_para():
        if para:
            out.append(Block("para", tuple(para)))
            para.clear()

    def flush_table():
        if table:
            if len(table) == 1:  # a lone row reads better as a line
                row = table[0]
                cells = [c for c in row if c.text]
                text_, offs = "", []
                for c in cells:
                    if text_:
                        text_ += " · "
                        offs.extend([c.offsets[0]] * 3)
                    text_ += c.text
                    offs.extend(c.offsets)
                para.append(Run(text_, tuple(offs)))
            else:
                flush_para()
                out.append(Block("table", rows=tuple(table)))
            table.clear()

    pos = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        base = pos
        pos += len(raw)
        if not line.strip():
            flush_table()
            flush_para()
            continue
        if furniture and _normalise_line(line) in furniture:
            continue
        if _PIPE_SEP.match(line) and "|" in line:
            continue
        cells = _cells(line, base)
        if cells is not None:
            table.append(tuple(cells))
            continue
        flush_table()
        run = _clean(line, base)
        if not run.text:
            continue
        if _HEADING.match(line):
            flush_para()
            out.append(Block("heading", (run,)))
        elif _ITEM.match(line):
            flush_para()
            m = _ITEM.match(line)
            body = _clean(line[m.end():], base + m.end())
            if body.text:
                out.append(Block("item", (body,)))
        else:
            para.append(run)
    flush_table()
    flush_para()
    return out


# ---------------------------------------------------------------------------------------------- highlight
def _pieces(run: Run, spans) -> list[tuple[str, bool]]:
    """``run`` split into (text, highlighted) pieces; ``spans`` are (start, end) span offsets."""
    if not spans:
        return [(run.text, False)] if run.text else []
    out: list[tuple[str, bool]] = []
    for ch, o in zip(run.text, run.offsets):
        hit = any(s <= o < e for s, e in spans)
        if out and out[-1][1] == hit:
            out[-1] = (out[-1][0] + ch, hit)
        else:
            out.append((ch, hit))
    return out


def _norm_spans(spans) -> list[tuple[int, int]]:
    return [(int(s), int(e)) for s, e in (spans or ()) if e > s]


# ---------------------------------------------------------------------------------------------- renderings
def to_plain(text: str, document: str | None = None) -> str:
    """The span as plain text: paragraphs separated by blank lines, table cells by ' · '."""
    lines: list[str] = []
    for b in blocks(text or "", document):
        if lines:
            lines.append("")
        if b.kind == "table":
            lines.extend(" · ".join(c.text for c in row if c.text) for row in b.rows)
        elif b.kind == "item":
            lines.append("- " + b.lines[0].text)
        else:
            lines.extend(r.text for r in b.lines)
    return "\n".join(lines).strip()


def inline_plain(text: str, document: str | None = None) -> str:
    """The span as one line of plain text (an answer sentence, a register record, a table cell)."""
    parts: list[str] = []
    for b in blocks(text or "", document):
        if b.kind == "table":
            parts.extend(c.text for row in b.rows for c in row if c.text)
        else:
            parts.extend(r.text for r in b.lines)
    return " ".join(" ".join(parts).split())


def _md_run(run: Run, spans, colour: str) -> str:
    out = []
    for piece, hit in _pieces(run, spans):
        md = escape_markdown(piece)
        if hit and piece.strip():
            lead = len(md) - len(md.lstrip(" "))
            trail = len(md) - len(md.rstrip(" "))
            core = md.strip(" ")
            md = " " * lead + f":{colour}-background[{core}]" + " " * trail
        out.append(md)
    return "".join(out)


def to_markdown(text: str, spans=(), document: str | None = None, colour: str = "orange") -> str:
    """The span as safe Streamlit markdown with the ``spans`` (offsets into ``text``) highlighted."""
    spans = _norm_spans(spans)
    parts: list[str] = []
    for b in blocks(text or "", document):
        if b.kind == "heading":
            parts.append(f"**{_md_run(b.lines[0], spans, colour)}**")
        elif b.kind == "item":
            parts.append(f"- {_md_run(b.lines[0], spans, colour)}")
        elif b.kind == "table":
            width = max(len(r) for r in b.rows)
            rows = [[_md_run(c, spans, colour) or " " for c in r] + [" "] * (width - len(r)) for r in b.rows]
            md = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
            md += ["| " + " | ".join(r) + " |" for r in rows[1:]]
            parts.append("\n".join(md))
        else:
            parts.append("  \n".join(_md_run(r, spans, colour) for r in b.lines))
    # consecutive list items form one list
    out = []
    for i, p in enumerate(parts):
        if i and p.startswith("- ") and parts[i - 1].startswith("- "):
            out.append("\n" + p)
        else:
            out.append(("\n\n" if i else "") + p)
    return "".join(out)


_ALLOWED_TAGS = {"p", "h4", "ul", "li", "table", "thead", "tbody", "tr", "td", "th", "mark", "br", "div", "span"}
_ALLOWED_ATTRS = {"mark": {"id", "class"}, "div": {"class", "id"}, "span": {"class"}}


def _html_run(run: Run, spans, first: list) -> str:
    out = []
    for piece, hit in _pieces(run, spans):
        esc = html.escape(piece, quote=True)
        if hit:
            ident = ' id="hit"' if not first else ""
            first.append(True)
            esc = f'<mark class="hit"{ident}>{esc}</mark>'
        out.append(esc)
    return "".join(out)


def to_html(text: str, spans=(), document: str | None = None) -> str:
    """The span as sanitised HTML; the first highlighted piece is ``<mark id="hit">`` (to scroll to)."""
    import nh3

    spans = _norm_spans(spans)
    first: list = []
    parts: list[str] = []
    in_list = False
    for b in blocks(text or "", document):
        if b.kind != "item" and in_list:
            parts.append("</ul>")
            in_list = False
        if b.kind == "heading":
            parts.append(f"<h4>{_html_run(b.lines[0], spans, first)}</h4>")
        elif b.kind == "item":
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{_html_run(b.lines[0], spans, first)}</li>")
        elif b.kind == "table":
            rows = "".join("<tr>" + "".join(f"<td>{_html_run(c, spans, first)}</td>" for c in r) + "</tr>"
                           for r in b.rows)
            parts.append(f"<table><tbody>{rows}</tbody></table>")
        else:
            parts.append("<p>" + "<br>".join(_html_run(r, spans, first) for r in b.lines) + "</p>")
    if in_list:
        parts.append("</ul>")
    return nh3.clean("".join(parts), tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRS, link_rel=None)


# ---------------------------------------------------------------------------------------------- JSON
def add_display(answer: dict, document_text) -> dict:
    """An ``Answer.to_dict()`` (or a search result) with ``display`` fields added beside the verbatim
    ``text`` fields, which are left as they are. ``document_text(source)`` gives a document's text."""
    docs: dict[str, str | None] = {}

    def doc(source):
        if source not in docs:
            docs[source] = document_text(source)
        return docs[source]

    for p in answer.get("passages") or []:
        p["display"] = to_plain(p.get("text") or "", doc((p.get("citation") or {}).get("source")))
    a = answer.get("answer")
    if a:
        for s in a.get("sentences") or []:
            s["display"] = inline_plain(s.get("text") or "")
        if a.get("sentences"):
            a["display"] = " ".join(f"{s['display']} [{s['passage_rank']}]" for s in a["sentences"])
        else:
            a["display"] = "\n".join(inline_plain(line) for line in (a.get("text") or "").splitlines())
    return answer
