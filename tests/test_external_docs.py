"""Each document of ``../shared/external`` parsed by qa, compared with what a person read in it
(``tests/external_truth.py``): its meetings in order, their dates, body and name, and item numbers.

The documents are read where they are (never copied into the project); the test is skipped when the
shared folder is absent.
"""
from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from external_truth import DOCS, Doc  # noqa: E402

from qa.errors import UnreadableDocument  # noqa: E402
from qa.extract import extract  # noqa: E402
from qa.parse import parse_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[2] / "shared" / "external"
if not ROOT.is_dir():
    ROOT = Path("/work/wt/shared/external")


def _norm(s: str) -> str:
    return unicodedata.normalize("NFC", s.replace("\xa0", " "))


def _files() -> dict[str, Path]:
    if not ROOT.is_dir():
        return {}
    return {_norm(str(p.relative_to(ROOT))): p for p in ROOT.rglob("*") if p.is_file()}


FILES = _files()


def _id(doc: Doc) -> str:
    return "/".join(doc.path.split("/")[-2:])


def _parse(doc: Doc):
    path = FILES[_norm(doc.path)]
    e = extract(path)
    return parse_text(doc.path, e.text, e.page_starts, e.format)


def numbers(parsed, meeting) -> list[str]:
    out: list[str] = []
    for it in parsed.items():
        if it.meeting == meeting and it.number is not None and it.number not in out:
            out.append(it.number)
    return out


def is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(x in it for x in small)


@pytest.mark.skipif(not FILES, reason="../shared/external is not here")
@pytest.mark.parametrize("doc", DOCS, ids=[_id(d) for d in DOCS])
def test_document_reads_as_a_person_reads_it(doc: Doc):
    assert _norm(doc.path) in FILES, f"{doc.path} is not in ../shared/external"
    if doc.unreadable:
        with pytest.raises(UnreadableDocument) as exc:
            _parse(doc)
        assert doc.unreadable in str(exc.value)
        assert "\n" not in str(exc.value)
        return
    parsed = _parse(doc)
    meetings = parsed.meetings()
    got = [(m.date, m.committee, getattr(m, "title", None)) for m in meetings]
    assert [m.date for m in meetings] == [m.date for m in doc.meetings], got
    for want, m in zip(doc.meetings, meetings):
        if want.body:
            assert m.committee and want.body.lower() in m.committee.lower(), (want.line, got)
        if want.title:
            title = getattr(m, "title", None) or ""
            assert want.title.lower() in title.lower(), (want.line, got)
        if want.items is not None:
            found = numbers(parsed, m)
            if want.items_subset:
                assert is_subsequence(want.items, found), (want.line, found)
            else:
                assert found == want.items, (want.line, found)
