"""Do PDF citations name the page holding the words? And are the words cited with the right meeting?

Usage: python scripts/check_pages.py --work /tmp/qa-work [--external ../shared/external] [--held-out]
       [--show] [--json out.json]

Over the external question bank (``eval/bank/external*.jsonl``; fold H only with --held-out, see
``eval/bank/README.md``), each corpus is indexed in --work (kept between runs) and every question is asked
as the product asks it (``Retriever.ask``, the shipped ranker, top 5). Two measurements:

1. **Pages.** For every top-5 hit whose source is a PDF and whose text holds one of the answer strings, the
   cited ``page`` is checked against the original PDF, read again here with PyMuPDF (one text per page, not
   the index's text): the page must hold the answer (case and whitespace folded, as ``qa eval`` folds), or,
   for words that cross a page break, the page must begin them and ``page_end`` must be given. Printed
   twice: for the citation as shipped ("after") and for main's old rule, the page where the matched chunk
   begins ("before"). ``page``..``page_end`` holding the words is reported too.
2. **Page breaks** (``--probes``). The bank's hits seldom fall where a chunk crosses a page break, so
   for every indexed chunk of a PDF that does, each of its sentences that lies on one page (six words or
   more) is asked as a question (its first 20 words), and every top-5 hit whose span holds that sentence is
   checked as above, after and before. The questions are the documents' own words, so this measures the
   page rule where it matters, not retrieval.
3. **Meetings.** Over every external question: the share whose answer's words are in the top 5 ("words@5"),
   of those the share whose citation carries the gold meeting date (the issue's 97% bar), and cited@5 (words
   and date in one of the top 5, as ``qa eval`` counts a hit).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pymupdf  # noqa: E402

from qa import train  # noqa: E402
from qa.bank import HELD_OUT, load_bank  # noqa: E402
from qa.chunk import page_of  # noqa: E402
from qa.evaluate import fold, is_hit  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402

TOP = 5


def squeeze(text: str) -> str:
    """Folded as ``qa eval`` folds, then without any whitespace: a PDF's line breaks and column gaps fall
    anywhere inside a phrase, and page text read here need not break lines where the index did."""
    return "".join(fold(text).split())


class PdfPages:
    """The squeezed text of every page of the original PDFs (1-based), read once each."""

    def __init__(self, root: Path):
        self.root, self._pages = root, {}

    def of(self, corpus: str, source: str) -> list[str]:
        key = (corpus, source)  # a citation's source is relative to its corpus's folder
        if key not in self._pages:
            with pymupdf.open(self.root / corpus / source) as doc:
                self._pages[key] = [squeeze(p.get_text("text", sort=True)) for p in doc]
        return self._pages[key]


def holds(pages: list[str], page: int | None, page_end: int | None, answer: str) -> bool:
    """Page ``page`` holds the words, or begins them and they run on over the break to ``page_end``."""
    a = squeeze(answer)
    if not page or not a or page > len(pages):
        return False
    if a in pages[page - 1]:
        return True
    return bool(page_end) and page < len(pages) and a in pages[page - 1] + pages[page] \
        and a not in pages[page]


def in_range(pages: list[str], page: int | None, page_end: int | None, answer: str) -> bool:
    if not page:
        return False
    return squeeze(answer) in "".join(pages[page - 1:(page_end or page)])


def old_rule(r: Retriever, p) -> tuple[int | None, int | None]:
    """Main's rule before issue 16's page fix: the page where the matched chunk begins."""
    starts = r.version.document(p.citation.source)["page_starts"]
    page = page_of(starts, p.matched[0] if p.matched else p.citation.start)
    last = page_of(starts, max(p.citation.start, p.citation.end - 1))
    return page, (last if last != page else None)


def word_pages(r: Retriever, p, answer: str) -> list[int]:
    """The pages (by the index's own page offsets) where the answer's words begin inside the passage."""
    words = [re.escape(w) for w in answer.split()]
    if not words:
        return []
    starts = r.version.document(p.citation.source)["page_starts"]
    found = re.finditer(r"\s+".join(words), p.text, re.I)
    return sorted({page_of(starts, p.citation.start + m.start()) for m in found})


def probe(r: Retriever, corpus: str, pdfs: PdfPages, tally: dict, wrong: list) -> None:
    """Sentences of the chunks that cross a page break, asked as questions (see the module's note)."""
    v = r.version
    for i, row in enumerate(v.passages):
        c = row.citation
        if not c.source.lower().endswith(".pdf"):
            continue
        starts = v.document(c.source)["page_starts"]
        if page_of(starts, c.start) == page_of(starts, c.end - 1):
            continue
        doc = r.document_text(c.source)
        pages = pdfs.of(corpus, c.source)
        for s, e in v.sentence_spans[v.passage_sentences(i)]:
            s, e = int(s), int(e)
            words = doc[s:e].split()
            if len(words) < 6 or page_of(starts, s) != page_of(starts, e - 1) or not in_range(
                    pages, 1, len(pages), doc[s:e]):
                continue
            tally["sentences"] += 1
            for p in r.ask(" ".join(words[:20]), k=TOP).passages[:TOP]:
                pc = p.citation
                if pc.source != c.source or not pc.start <= s < e <= pc.end:
                    continue
                before = old_rule(r, p)
                tally["hits"] += 1
                ok_after, ok_before = holds(pages, pc.page, pc.page_end, doc[s:e]), holds(pages, *before, doc[s:e])
                tally["after"] += ok_after
                tally["before"] += ok_before
                tally["changed"] += (pc.page, pc.page_end) != before
                if not ok_after:
                    wrong.append({"corpus": corpus, "source": c.source, "sentence": " ".join(words),
                                  "cited": [pc.page, pc.page_end], "old": list(before),
                                  "on": page_of(starts, s)})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--external", type=Path, default=ROOT.parent / "shared" / "external")
    ap.add_argument("--held-out", action="store_true", help="include fold H (see eval/bank/README.md)")
    ap.add_argument("--show", action="store_true", help="print every PDF hit that names a wrong page")
    ap.add_argument("--probes", action="store_true", help="also ask the sentences of page-crossing chunks")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    bank = load_bank(sorted((ROOT / "eval" / "bank").glob("external*.jsonl")))
    questions = [q for q in bank if q.corpus != "shipped" and (args.held_out or q.fold != HELD_OUT)]
    pdfs = PdfPages(args.external)
    pages = {"hits": 0, "after": 0, "before": 0, "after_range": 0, "before_range": 0, "unlocatable": 0,
             "changed": 0, "questions": 0}
    meetings = {"questions": 0, "answerable": 0, "words@5": 0, "date_right": 0, "first_date_right": 0,
                "cited@5": 0}
    probes = {"sentences": 0, "hits": 0, "after": 0, "before": 0, "changed": 0}
    wrong, probe_wrong, per_corpus = [], [], {}
    for corpus in sorted({q.corpus for q in questions}):
        built = train.retriever_for(corpus, args.work, ROOT / "corpus", args.external)
        r = Retriever(built.version, built.settings)  # the shipped ranker, as the product answers
        has_pdf = any(s.lower().endswith(".pdf") for s in r.version.documents)
        tally = per_corpus.setdefault(corpus, {"pdf_hits": 0, "after": 0, "before": 0, "answerable": 0,
                                               "words@5": 0, "cited@5": 0})
        if args.probes and has_pdf:
            probe(r, corpus, pdfs, probes, probe_wrong)
        for q in (q for q in questions if q.corpus == corpus):
            row = q.row
            meetings["questions"] += 1
            answer = r.ask(row["question"], k=TOP)
            shown = list(answer.passages[:TOP])
            answers = [a for a in row.get("answers") or [] if fold(a)]
            if not answers:
                continue
            meetings["answerable"] += 1
            tally["answerable"] += 1
            holding = [p for p in shown if any(fold(a) in fold(p.text) for a in answers)]
            if holding:
                meetings["words@5"] += 1
                tally["words@5"] += 1
                gold = row.get("meeting_date")
                meetings["first_date_right"] += not gold or holding[0].citation.meeting_date == gold
                meetings["date_right"] += any(is_hit(p, row) for p in holding)
            if any(is_hit(p, row) for p in shown):
                meetings["cited@5"] += 1
                tally["cited@5"] += 1
            if not has_pdf:
                continue
            pages["questions"] += 1
            for p in holding:
                c = p.citation
                if not c.source.lower().endswith(".pdf"):
                    continue
                text = pdfs.of(corpus, c.source)
                held = [a for a in answers if fold(a) in fold(p.text)]
                if not any(in_range(text, 1, len(text), a) for a in held):
                    pages["unlocatable"] += 1  # PyMuPDF's page text does not hold the words: cannot judge
                    continue
                before = old_rule(r, p)
                pages["hits"] += 1
                tally["pdf_hits"] += 1
                ok_after = any(holds(text, c.page, c.page_end, a) for a in held)
                ok_before = any(holds(text, *before, a) for a in held)
                pages["after"] += ok_after
                pages["before"] += ok_before
                tally["after"] += ok_after
                tally["before"] += ok_before
                pages["after_range"] += any(in_range(text, c.page, c.page_end, a) for a in held)
                pages["before_range"] += any(in_range(text, *before, a) for a in held)
                pages["changed"] += (c.page, c.page_end) != before
                if not ok_after:
                    wrong.append({"id": row.get("id"), "corpus": corpus, "source": c.source, "rank": p.rank,
                                  "cited": [c.page, c.page_end], "old": list(before),
                                  "words_on": sorted({n for a in held for n in word_pages(r, p, a)}),
                                  "answer": held[0], "question": row["question"]})
    n = pages["hits"] or 1
    folds = "every fold" if args.held_out else "folds X1-X3 (H held out)"
    print(f"Pages, {folds}: {pages['hits']} top-{TOP} PDF hits holding an answer "
          f"({pages['questions']} questions on corpora with PDFs; {pages['unlocatable']} more hits whose words "
          f"PyMuPDF's page text does not hold, not judged)")
    print(f"  cited page holds the words: after {pages['after']}/{pages['hits']} ({pages['after'] / n:.0%}), "
          f"before (page where the matched chunk begins) {pages['before']}/{pages['hits']} "
          f"({pages['before'] / n:.0%}); wrong: after {pages['hits'] - pages['after']}, "
          f"before {pages['hits'] - pages['before']}")
    print(f"  page..page_end holds the words: after {pages['after_range']}/{pages['hits']}, "
          f"before {pages['before_range']}/{pages['hits']}; citations whose pages changed: {pages['changed']}")
    if args.probes:
        m = probes["hits"] or 1
        print(f"Page breaks: {probes['sentences']} sentences of page-crossing PDF chunks asked, {probes['hits']} "
              f"top-{TOP} hits holding them; cited page holds the sentence: after {probes['after']}/"
              f"{probes['hits']} ({probes['after'] / m:.0%}), before {probes['before']}/{probes['hits']} "
              f"({probes['before'] / m:.0%}); citations whose pages changed: {probes['changed']}")
    a = meetings["answerable"] or 1
    w = meetings["words@5"] or 1
    print(f"Meetings, {folds}: {meetings['questions']} questions, {meetings['answerable']} answerable")
    print(f"  words@5 {meetings['words@5']}/{meetings['answerable']} ({meetings['words@5'] / a:.1%}); "
          f"of those, a passage holding the words has the gold meeting date {meetings['date_right']}/"
          f"{meetings['words@5']} ({meetings['date_right'] / w:.1%}), the first one "
          f"{meetings['first_date_right']}/{meetings['words@5']} ({meetings['first_date_right'] / w:.1%}); "
          f"cited@5 {meetings['cited@5'] / a:.3f}")
    print("| corpus | answerable | words@5 | cited@5 | PDF hits | page right after | before |")
    print("|---|---|---|---|---|---|---|")
    for corpus, t in per_corpus.items():
        print(f"| {corpus} | {t['answerable']} | {t['words@5']} | {t['cited@5']} | {t['pdf_hits']} | "
              f"{t['after']} | {t['before']} |")
    if args.show:
        for x in wrong + probe_wrong:
            print(json.dumps(x, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps({"pages": pages, "probes": probes, "meetings": meetings,
                                         "per_corpus": per_corpus, "wrong": wrong, "probe_wrong": probe_wrong},
                                        indent=1))


if __name__ == "__main__":
    main()
