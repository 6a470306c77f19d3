"""Tests for qa.decisions: resolutions, requests, links to later items, the register and its chat answers.

The shipped corpus is parsed with qa.parse.parse_text (no index needed); the expected clauses were
enumerated by reading the files. Other minutes layouts are written here.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.decisions import (
    Register,
    Request,
    answer_from_register,
    decision_kind,
    extract_decisions,
    extract_requests,
    link_requests,
)
from qa.parse import parse_text

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _load(prefix: str):
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    return parse_text(path.name, path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def docs():
    return [parse_text(p.name, p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))]


@pytest.fixture(scope="module")
def by_prefix(docs):
    return {d.source[:3]: d for d in docs}


@pytest.fixture(scope="module")
def register(docs):
    return Register.from_documents(docs)


def _clauses_by_item(decisions) -> dict[str, list]:
    out: dict[str, list] = {}
    for d in decisions:
        out.setdefault(d.item_number, []).append(d.clause)
    return out


# ------------------------------------------------------------------------------------------- minutes pages


def test_panel_page_24_september_2019_every_clause(by_prefix):
    decisions = extract_decisions(by_prefix["000"])
    assert {d.meeting_date for d in decisions} == {"2019-09-24"}
    assert {d.committee for d in decisions} == {"Leicester, Leicestershire and Rutland Police and Crime Panel"}
    assert _clauses_by_item(decisions) == {
        "24": ["(a)", "(b)", "(c)", "(d)"],
        "26": [None], "27": [None], "28": [None], "29": [None], "30": [None], "31": [None],
    }
    kinds = {(d.item_number, d.clause): d.kind for d in decisions}
    assert kinds[("24", "(a)")] == "approved"
    assert kinds[("24", "(c)")] == "requested"
    assert kinds[("26", None)] == "noted"
    assert kinds[("30", None)] == "approved"
    assert kinds[("31", None)] == "scheduled"
    c = next(d for d in decisions if (d.item_number, d.clause) == ("24", "(c)"))
    assert c.text == ("That the Police and Crime Commissioner be requested to provide a report for a future Panel "
                      "meeting regarding peer mentoring in Leicester, Leicestershire and Rutland.")
    # The web page cuts clause (d) short; the cut notice is page furniture, not part of the clause.
    d = next(d for d in decisions if (d.item_number, d.clause) == ("24", "(d)"))
    assert "view the full minutes" not in d.text and d.text.endswith("provide a report for a")


def test_board_page_25_september_2020_every_clause(by_prefix):
    decisions = extract_decisions(by_prefix["001"])
    assert {d.meeting_date for d in decisions} == {"2020-09-25"}
    assert _clauses_by_item(decisions) == {
        "1": [None], "2": [None], "6": [None],
        "8": ["(a)", "(b)"],
        "9": [None], "10": [None], "11": [None], "12": [None],
        "13": ["(a)", "(b)"],
        "14": [None], "15": [None],
        "16": ["(a)", "(b)"],
    }
    kinds = {(d.item_number, d.clause): d.kind for d in decisions}
    assert kinds[("1", None)] == kinds[("2", None)] == "elected"
    assert kinds[("8", "(a)")] == "noted" and kinds[("8", "(b)")] == "requested"
    assert kinds[("13", "(b)")] == "requested"  # "That a presentation ... be given at the next meeting"
    assert kinds[("14", None)] == "scheduled"
    assert kinds[("15", None)] == "excluded"
    texts = {(d.item_number, d.clause): d.text for d in decisions}
    assert texts[("1", None)] == ("It was proposed, seconded, and AGREED that Mrs. D. Taylor CC be elected Chairman "
                                  "of the Board for 2020/21.")
    # The list a clause introduces belongs to it; the dates and the exempt item's name are part of the decision.
    assert texts[("14", None)].startswith("That future meetings of the Board take place on the following dates:")
    assert texts[("14", None)].endswith("Friday 10 December 2021 at 10:00am.")
    assert texts[("15", None)].endswith("County Lines – Operational Learning.")


def test_label_lines_and_trailing_lines_are_not_decisions(docs):
    for doc in docs:
        for d in extract_decisions(doc):
            assert not d.text.lstrip("*").upper().startswith("RESOLVED")
            assert "in the Chair" not in d.text
            assert "CHAIRMAN" not in d.text  # the signature block after the 3 June 2019 minutes
            assert d.text.strip() == d.text and d.text


# ------------------------------------------------------------------------------------------- packs


def test_reprinted_minutes_in_july_2019_pack_keep_their_own_date(by_prefix):
    decisions = extract_decisions(by_prefix["002"])
    assert {d.meeting_date for d in decisions} == {"2019-06-03"}  # not the pack's 22 July 2019
    assert _clauses_by_item(decisions) == {
        "1": [None], "2": [None], "7": [None], "8": ["(a)", "(b)"], "9": [None], "10": [None], "11": [None],
    }
    eight = [d for d in decisions if d.item_number == "8"]
    assert eight[0].text == "That the contents of the report be noted;"
    assert eight[1].text.startswith("That elected Panel members be requested to consider")
    assert eight[1].kind == "requested"
    assert [d.kind for d in decisions if d.item_number in ("1", "2")] == ["elected", "elected"]
    eleven = next(d for d in decisions if d.item_number == "11")
    assert eleven.kind == "scheduled" and eleven.text.endswith("Wednesday 11 December 2019 at 1:00pm at County Hall, Glenfield.")


def test_reprinted_minutes_in_july_2020_pack_keep_their_own_date(by_prefix):
    decisions = extract_decisions(by_prefix["003"])
    assert {d.meeting_date for d in decisions} == {"2020-06-15"}  # not the pack's 28 July 2020
    assert _clauses_by_item(decisions) == {
        "2": [None], "5": [None], "6": ["1.", "2."], "7": ["1.", "2."], "8": [None], "9": [None], "10": [None],
    }
    seven = [d for d in decisions if d.item_number == "7"]
    assert seven[0].text.startswith("That Officers explore information available") and seven[0].kind == "requested"
    assert seven[1].text == "That the contents of the report be noted." and seven[1].kind == "noted"
    eight = next(d for d in decisions if d.item_number == "8")
    assert eight.kind == "approved"


def test_item_page_without_label_or_date(by_prefix):
    decisions = extract_decisions(by_prefix["004"])
    assert [(d.meeting_date, d.clause, d.text, d.kind) for d in decisions] == [
        (None, None, "That the contents of the report be noted.", "noted")
    ]


def test_report_recommendations_are_never_decisions(docs):
    for doc in docs:
        for d in extract_decisions(doc):
            assert "recommended to" not in d.text
            section = next(s for s in doc.sections if s.start <= d.citation.start < s.end)
            assert section.kind in ("minutes", "resolution")
    # The packs do contain recommendations; they are just not read.
    assert any("The Panel is recommended to" in doc.text for doc in docs)


def test_every_record_is_a_verbatim_span(docs, register):
    by_source = {d.source: d for d in docs}
    for doc in docs:
        for d in extract_decisions(doc):
            assert doc.text[d.citation.start:d.citation.end] == d.text
        for r in extract_requests(doc):
            assert doc.text[r.citation.start:r.citation.end] == r.text
    for r in register.requests:
        if r.delivered_by:
            assert r.delivered_by.source in by_source


# ------------------------------------------------------------------------------------------- requests


def test_requests_from_resolutions_and_discussion(by_prefix):
    texts = [r.text for r in extract_requests(by_prefix["001"])]
    assert ("That the Ministry of Justice be requested to attend a meeting of the Board in 2021 and provide a further "
            "update regarding the new prison development at Glen Parva.") in texts
    assert "A member also asked for burglary figures to be included in future performance reports to the Board." in texts
    assert "An update on the success of this project would be brought to the Board in due course." in texts
    # "That the contents of the presentation be noted" asks for nothing.
    assert not any(t.startswith("That the contents") for t in texts)
    texts000 = [r.text for r in extract_requests(by_prefix["000"])]
    assert ("It was agreed that a report would be circulated to members after the meeting which would address all "
            "these issues.") in texts000
    offered = next(t for t in texts000 if "offered to provide" in t)
    assert offered.endswith("An update on low level resilience work and evaluation of people zones.")  # its list
    texts003 = [r.text for r in extract_requests(by_prefix["003"])]
    assert any(t.startswith("Future reports on recruitment, retention and dismissals would also include") for t in texts003)
    texts004 = [r.text for r in extract_requests(by_prefix["004"])]
    assert any("in response to a request agreed to provide Panel members with copies" in t for t in texts004)
    # A resolution asking something that is not a report, update or information is not a request.
    texts002 = [r.text for r in extract_requests(by_prefix["002"])]
    assert not any(t.startswith("That elected Panel members be requested to consider") for t in texts002)


def test_requests_from_reports_are_not_read(docs):
    for doc in docs:
        for r in extract_requests(doc):
            # a deferral is announced on the agenda (issue 15); everything else comes from minutes/resolutions
            assert r.citation.section in (("minutes", "resolution", "agenda") if r.kind == "deferral"
                                          else ("minutes", "resolution"))
            assert "on request from the Force" not in r.text  # a sentence in the Ethics Committee's report


def test_peer_mentoring_request_is_delivered_by_the_july_2020_report(register):
    request = next(r for r in register.requests if r.meeting_date == "2019-09-24" and "peer mentoring" in r.text)
    assert request.item_number == "24"
    assert request.status == "delivered"
    assert request.delivered_date == "2020-07-28"
    assert request.delivered_by.source.startswith("003_")
    assert request.delivered_by.item_number == "8"
    assert request.delivered_by.section == "report"
    assert "peer mentoring" in request.delivered_title.lower()
    assert "28 July 2020" in request.reason and "peer" in request.reason and "mentoring" in request.reason


def test_links_only_go_forward_in_time(register):
    linked = [r for r in register.requests if r.status == "delivered"]
    assert linked
    for r in linked:
        assert r.meeting_date and r.delivered_date > r.meeting_date
        assert r.delivered_by.meeting_date == r.delivered_date
        assert r.reason
    for r in register.requests:
        if r.status == "open":
            assert r.delivered_by is None and r.delivered_date is None


def test_request_with_nothing_later_is_open(register):
    glen = next(r for r in register.requests if r.text.startswith("That the Ministry of Justice be requested to attend"))
    assert glen.meeting_date == "2020-09-25" and glen.status == "open"
    undated = [r for r in register.requests if r.meeting_date is None]
    assert undated and all(r.status == "open" for r in undated)


def _one_request(date: str, text: str, subject: str) -> Request:
    from qa.records import Citation

    committee = "Leicester, Leicestershire and Rutland Police and Crime Panel"
    c = Citation("x.txt", committee, date, "1", "Test", "minutes", 0, len(text))
    return Request(committee, date, "1", "Test", text, subject, c)


def test_link_needs_a_strictly_later_meeting(docs):
    # The peer-mentoring report is on 28 July 2020: a request made that day or later cannot be delivered by it.
    text = "It was agreed that a report on peer mentoring would be brought to the Panel."
    same_day, later, earlier = (_one_request(d, text, "peer mentoring") for d in ("2020-07-28", "2020-08-01", "2020-01-01"))
    out = link_requests([same_day, later, earlier], docs)
    assert [r.status for r in out] == ["open", "open", "delivered"]
    assert out[2].delivered_date == "2020-07-28"
    undated = replace(earlier, meeting_date=None)
    assert link_requests([undated], docs)[0].status == "open"


def test_generic_words_never_make_a_link(docs):
    # Later items are called "... Performance Report", "Annual Report", "Partner Update": none of that is a subject.
    r = _one_request("2019-01-01", "An update on police performance would be brought to the Panel.",
                     "police performance update report panel annual leicestershire")
    assert link_requests([r], docs)[0].status == "open"


def test_requests_are_linked_within_their_own_committee(docs):
    # The Board never had a peer-mentoring item; the Panel's later report does not answer the Board.
    r = _one_request("2019-01-01", "Peer mentoring report requested.", "peer mentoring")
    board = replace(r, committee="Leicestershire and Rutland Safer Communities Strategy Board")
    assert link_requests([board], docs)[0].status == "open"


# ------------------------------------------------------------------------------------------- other layouts


PARISH = """Minutes of the meeting of Anytown Parish Council held on Monday 3rd February 2020 at the Village Hall

Present: Cllr A. Smith (Chairman), Cllr B. Jones, Cllr C. Brown

2704. Apologies

Apologies were received from Cllr D. White.

2705. Planning

The council considered application 19/01234/FUL for an extension at 12 High Street.
It was RESOLVED that:
1. the application be supported;
2. the clerk writes to the county council.

2706. Finance

The clerk presented the accounts for January. It was agreed that a report on the play area budget would be circulated to members before the next meeting.

UNANIMOUSLY RESOLVED: That the accounts be approved.

2707. Date of next meeting

AGREED: That the next meeting be held on Monday 2nd March 2020.
"""


def test_parish_council_layout():
    doc = parse_text("anytown.txt", PARISH)
    decisions = extract_decisions(doc)
    assert [(d.item_number, d.item_title, d.clause, d.text, d.kind) for d in decisions] == [
        ("2705", "Planning", "1.", "the application be supported;", "approved"),
        ("2705", "Planning", "2.", "the clerk writes to the county council.", "other"),
        ("2706", "Finance", None, "That the accounts be approved.", "approved"),
        ("2707", "Date of next meeting", None, "That the next meeting be held on Monday 2nd March 2020.", "scheduled"),
    ]
    assert {(d.committee, d.meeting_date) for d in decisions} == {("Anytown Parish Council", "2020-02-03")}
    for d in decisions:
        assert PARISH[d.citation.start:d.citation.end] == d.text
    requests = extract_requests(doc)
    assert [r.text for r in requests] == [
        "It was agreed that a report on the play area budget would be circulated to members before the next meeting."
    ]
    assert requests[0].subject.split()[:3] == ["play", "area", "budget"]


def test_resolution_the_parser_left_in_minutes_and_wrapped_clauses():
    text = """Minutes of the meeting of Smalltown Town Council held on Friday 5 March 2021

1. Allotments

Members discussed the allotment waiting list.

It was proposed, seconded and RESOLVED that:

(a) The waiting list be closed until further notice;
(b) the Clerk be asked to
report back on rents.

Cllr Smith left the meeting.

2. Any other business

There was none.
"""
    # The parser does not take "It was proposed, seconded and RESOLVED that:" for a label (today); the
    # register reads it anyway.
    doc = parse_text("smalltown.txt", text)
    decisions = extract_decisions(doc)
    assert [(d.item_number, d.clause, d.text) for d in decisions] == [
        ("1", "(a)", "The waiting list be closed until further notice;"),
        ("1", "(b)", "the Clerk be asked to\nreport back on rents."),
    ]
    assert decisions[1].kind == "requested"


def test_numbered_clause_mistaken_for_an_agenda_item_stays_a_clause():
    # The parser takes "2. The Clerk reports back ..." for agenda item 2; it is clause 2. of item 1.
    text = """Minutes of the meeting of Smalltown Town Council held on Friday 5 March 2021

1. Allotments

It was RESOLVED that:

1. The waiting list be closed until further notice.
2. The Clerk reports back on rents at the next meeting.

3. Any other business

There was none.
"""
    doc = parse_text("smalltown.txt", text)
    decisions = extract_decisions(doc)
    assert [(d.item_number, d.item_title, d.clause) for d in decisions] == [
        ("1", "Allotments", "1."), ("1", "Allotments", "2."),
    ]
    assert decisions[1].text == "The Clerk reports back on rents at the next meeting."


_WORDS = st.sampled_from(["budget", "hall", "roof", "grant", "verge", "bench", "clerk", "hedge", "survey", "path"])


_LETTERS = ["a", "b", "c", "d", "e"]
_NUMBERS = ["1", "2", "3", "4", "5"]
_ROMANS = ["i", "ii", "iii", "iv", "v"]


@settings(max_examples=40, deadline=None)
@given(
    style=st.sampled_from([("({})", _LETTERS), ("- ({})", _LETTERS), ("{}.", _NUMBERS), ("({})", _ROMANS),
                           ("{})", _NUMBERS)]),
    bodies=st.lists(st.lists(_WORDS, min_size=1, max_size=4), min_size=1, max_size=5),
    label=st.sampled_from(["RESOLVED:", "**RESOLVED:**", "It was RESOLVED that:", "AGREED:", "UNANIMOUSLY RESOLVED:"]),
)
def test_generated_resolutions_come_back_clause_by_clause(style, bodies, label):
    pattern, names = style
    marks = [pattern.format(names[i]) for i in range(len(bodies))]
    clauses = [f"That the {' '.join(b)} be noted" + (";" if i < len(bodies) - 1 else ".") for i, b in enumerate(bodies)]
    lines = "\n".join(f"{m} {c}" for m, c in zip(marks, clauses))
    text = (f"Minutes of the meeting of Anytown Parish Council held on 3 February 2020\n\n"
            f"2705. Village hall\n\nThe council discussed the hall.\n\n{label}\n\n{lines}\n\n2706. Close\n\nThe meeting closed.\n")
    decisions = extract_decisions(parse_text("gen.txt", text))
    assert [d.text for d in decisions] == clauses
    assert [d.clause for d in decisions] == [m.lstrip("- ") for m in marks]
    assert all(text[d.citation.start:d.citation.end] == d.text and d.item_number == "2705" for d in decisions)


@pytest.mark.parametrize("text,kind", [
    ("That the contents of the report be noted.", "noted"),
    ("That the Panel approves and supports in full the revisions to the Plan;", "approved"),
    ("That the minutes of the meeting held 20 February 2020 be confirmed as an accurate record.", "approved"),
    ("That the Ministry of Justice be requested to attend a meeting of the Board in 2021.", "requested"),
    ("That a further presentation be brought to a future meeting of the Board regarding County Lines.", "requested"),
    ("That the next meeting of the Panel be held on 11 December 2019 at County Hall.", "scheduled"),
    ("It was resolved that Cllr. M. Rickman be appointed Vice-Chairman of the Panel.", "elected"),
    ("That the public be excluded for the following item of business.", "excluded"),
    ("That the comments made by the Panel form a report to be submitted to the Commissioner;", "other"),
])
def test_decision_kind(text, kind):
    assert decision_kind(text) == kind


# ------------------------------------------------------------------------------------------- register


def test_register_counts_and_order(register, docs):
    assert len(register.decisions) == sum(len(extract_decisions(d)) for d in docs) == 43
    keys = [(d.meeting_date or "9999", int(d.item_number or 0)) for d in register.decisions]
    assert keys == sorted(keys)
    assert register.decisions[0].meeting_date == "2019-06-03"  # the undated item page comes last
    assert register.decisions[-1].meeting_date is None


def test_same_minutes_in_two_documents_are_kept_once(by_prefix):
    page = by_prefix["000"]
    copy = parse_text("999_copy_of_000.txt", page.text)
    single = Register.from_documents([page])
    both = Register.from_documents([page, copy])
    assert len(both.decisions) == len(single.decisions)
    assert len(both.requests) == len(single.requests)
    assert {d.citation.source for d in both.decisions} == {page.source}  # the first source is kept


def test_find_decisions_filters(register):
    glen = register.find_decisions(query="glen parva")
    assert [(d.meeting_date, d.item_number, d.clause) for d in glen] == [("2020-09-25", "8", "(a)"), ("2020-09-25", "8", "(b)")]
    assert register.find_decisions(query="GLEN prison", committee="safer communities")  # case-insensitive
    assert not register.find_decisions(query="glen parva", committee="crime panel")
    elected = register.find_decisions(kind="elected")
    assert [(d.meeting_date, d.item_number) for d in elected] == [
        ("2019-06-03", "1"), ("2019-06-03", "2"), ("2020-09-25", "1"), ("2020-09-25", "2")]
    window = register.find_decisions(since="2019-09-24", until="2019-09-24")
    assert window and {d.meeting_date for d in window} == {"2019-09-24"}
    assert not register.find_decisions(since="2021-01-01")


def test_find_requests_filters(register):
    open_ones = register.find_requests(open_only=True)
    assert open_ones and all(r.status == "open" for r in open_ones)
    assert len(open_ones) < len(register.requests)
    peer = register.find_requests(query="peer mentoring", committee="crime panel")
    assert [r.status for r in peer] == ["delivered"]
    assert register.find_requests(query="burglary", since="2020-09-25", until="2020-09-25")


def test_records_serialise(register):
    for record in [*register.decisions, *register.requests]:
        json.dumps(record.to_dict())
    delivered = next(r for r in register.requests if r.status == "delivered" and r.kind == "request").to_dict()
    assert delivered["delivered_by"]["item_number"] == "8" and delivered["citation"]["meeting_date"] == "2019-09-24"


# ------------------------------------------------------------------------------------------- chat


def test_answer_what_was_resolved_about_glen_parva(register):
    a = answer_from_register("What did the Board resolve about the Glen Parva prison?", register)
    assert a is not None and not a.abstained
    assert a.understood == {"register": "decisions"}
    assert {(p.citation.meeting_date, p.citation.item_number) for p in a.passages} == {("2020-09-25", "8")}
    assert len(a.passages) == 2
    assert [p.rank for p in a.passages] == [1, 2] and [p.id for p in a.passages] == [-1, -2]
    assert "[1]" in a.text and "[2]" in a.text
    assert "Ministry of Justice be requested to attend" in a.text


def test_answer_what_are_we_still_waiting_for(register):
    a = answer_from_register("what are we still waiting for?", register)
    assert a is not None and a.understood == {"register": "open requests"}
    open_texts = {r.text for r in register.find_requests(open_only=True)}
    assert {p.text for p in a.passages} <= open_texts and len(a.passages) == len(open_texts)
    assert any(p.text.startswith("That the Ministry of Justice be requested") for p in a.passages)
    assert not any("peer mentoring in Leicester" in p.text for p in a.passages)  # delivered
    for n, p in enumerate(a.passages, 1):
        assert f"[{n}]" in a.text and p.rank == n
    topical = answer_from_register("Which outstanding requests are about burglary?", register)
    assert [p.text for p in topical.passages] == [
        "A member also asked for burglary figures to be included in future performance reports to the Board."]


@pytest.mark.parametrize("question", [
    "How many police officers will be recruited in Leicestershire?",
    "What did the panel decide about unicorns?",
    "What was decided?",
])
def test_other_questions_are_left_to_the_retriever(register, question):
    assert answer_from_register(question, register) is None


# --------------------------------------------------------------- follow-ups a reader finds (issue 15)
def _one(register, needle):
    found = [r for r in register.requests if needle in r.text]
    assert len(found) == 1, [r.text[:80] for r in found]
    return found[0]


@pytest.mark.parametrize("needle", [
    "they could provide a presentation to CSPs on their work",  # an offer
    "currently under construction for the next meeting",  # a report promised for the next meeting
    "there was an outstanding action for panel members to visit the CCE Hub Wigston",  # carried in later minutes
])
def test_offers_promised_reports_and_outstanding_actions_are_requests(register, needle):
    r = _one(register, needle)
    assert r.kind == "request" and r.citation.section == "minutes"


def test_a_deferral_is_a_request_delivered_when_the_item_is_next_considered(register, docs):
    r = _one(register, "consideration of the Annual Report be deferred until the September meeting")
    assert r.kind == "deferral" and r.meeting_date == "2019-07-22"
    assert r.status == "delivered" and r.delivered_date == "2019-09-24"
    assert r.delivered_title.startswith("Police and Crime Commissioner's Annual Report 2018/19")
    by_source = {d.source: d for d in docs}
    assert by_source[r.citation.source].text[r.citation.start:r.citation.end] == r.text


def test_a_request_cut_off_in_the_source_is_flagged_incomplete(register):
    cut = [r for r in register.requests if r.incomplete]
    assert [r.text for r in cut] == ["That the Police and Crime Commissioner be requested to provide a report for a"]
    assert cut[0].to_dict()["incomplete"] is True
    assert not any(r.incomplete for r in register.requests if r.text.endswith("."))


def test_the_register_holds_the_requests_a_reader_finds(register):
    # 22 before issue 15; the four the issue names (offer, deferral, next-meeting report, outstanding action).
    assert len(register.requests) >= 26
