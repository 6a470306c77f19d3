"""Reading dates typed the way people type them, relative to the latest meeting in the corpus."""
import pytest
from hypothesis import given, strategies as st

from qa.query import understand

MEETINGS = ["2019-06-03", "2019-07-22", "2019-09-24", "2020-06-15", "2020-07-28", "2020-09-25"]


@pytest.mark.parametrize("question, since, until", [
    ("101 waits last sept", "2019-09-01", "2019-09-30"),  # the latest meeting is in Sept 2020: "last" is before it
    ("what happened sept last year", "2019-09-01", "2019-09-30"),
    ("this june panel", "2020-06-01", "2020-06-30"),
    ("in september", "2020-09-01", "2020-09-30"),
    ("the june meeting", "2020-06-01", "2020-06-30"),
    ("july 19 meeting", "2019-07-01", "2019-07-31"),  # no meeting on a 19 July: "19" is the year
    ("Sept '19 panel", "2019-09-01", "2019-09-30"),
    ("sept 24 meeting", "2019-09-24", "2019-09-24"),  # the one meeting held on 24 September
    ("in the summer 2020 meeting", "2020-06-01", "2020-08-31"),
    ("this summer", "2020-06-01", "2020-08-31"),
    ("winter 2019", "2019-12-01", "2020-02-29"),
    ("at the June 2019 meeting", "2019-06-01", "2019-06-30"),
    ("last year", "2019-01-01", "2019-12-31"),
    ("the most recent meeting", "latest", "latest"),
    ("knife crime 2019", "2019-01-01", "2019-12-31"),  # a year typed on its own
    ("drug offences first quarter 2019 report", "2019-01-01", "2019-12-31"),
    ("what happened three months ago", "2020-06-01", "2020-06-30"),  # counted back from the latest meeting
    ("the meeting 2 months before the latest one", "2020-07-01", "2020-07-31"),
    ("the meeting before last", "previous", "previous"),
    ("at the previous meeting", "previous", "previous"),
])
def test_typed_dates(question, since, until):
    intent = understand(question, [], MEETINGS)
    assert (intent.since, intent.until) == (since, until)


@pytest.mark.parametrize("question", ["they may decide", "summer holidays for staff", "what is the 101 service",
                                      "knife crime 2019/20", "complaint CM2019-1"])
def test_words_that_only_look_like_dates_are_not_read_as_dates(question):
    assert understand(question, [], MEETINGS).since is None


COMMITTEES = ["Leicester, Leicestershire and Rutland Police and Crime Panel",
              "Leicestershire and Rutland Safer Communities Strategy Board"]


@pytest.mark.parametrize("question, committee", [
    ("at the most recent panel meeting what was said", COMMITTEES[0]),
    ("the latest board meeting", COMMITTEES[1]),
    ("the most recent meeting", None),  # no body named: the latest meeting of any
])
def test_the_latest_panel_or_board_meeting_is_of_the_committee_so_called(question, committee):
    intent = understand(question, COMMITTEES, MEETINGS)
    assert intent.since == "latest" and intent.committee == committee


def test_the_panel_meeting_before_last_is_resolved_against_that_committees_meetings(retriever):
    # Panel meetings: ... 15 June 2020, 28 July 2020; the Board met last, on 25 September 2020.
    a = retriever.ask("what did the panel meeting before last say about recruitment")
    assert a.understood["since"] == a.understood["until"] == "2020-06-15"
    assert a.passages[0].citation.meeting_date == "2020-06-15"
    b = retriever.ask("what was discussed at the meeting before last")
    assert b.understood["since"] == "2020-07-28"


@pytest.mark.parametrize("question, wants", [
    ("What did the Board resolve about the performance report?", True),
    ("what was agreed so new members could catch up", True),
    ("who was appointed to the ethics committee", True),
    ("which tool do agencies use to decide whether a case goes to MARAC", False),  # "decide" is the topic's verb
    ("how do they decide which cases are high risk", False),
    ("what did the panel ask councillors to think about", True),  # a request is made by resolution
    ("what was requested of the force", True),
    ("what did a member ask about burglary", False),  # a member's question is discussion, not a decision
])
def test_a_question_about_a_decision_is_told_from_one_using_the_verb(question, wants):
    assert understand(question, [], MEETINGS).wants_decision is wants


@given(st.text(max_size=80))
def test_any_text_is_understood_without_error(text):
    intent = understand(text, ["Leicester, Leicestershire and Rutland Police and Crime Panel"], MEETINGS)
    if intent.since and intent.since != "latest":
        assert intent.since <= intent.until


@pytest.mark.parametrize("typed", ["FY18/19", "FY 2018/19", "2018/19", "18/19", "2018-19", "fy18-19"])
def test_financial_years_are_one_word_however_typed(typed):
    from qa.lexical import Tokenizer

    assert Tokenizer()(f"ASB satisfaction {typed} report") == ["asb", "satisfact", "fy1819", "report"]


def test_codes_and_dates_are_not_financial_years():
    from qa.lexical import Tokenizer

    assert "fy1919" not in Tokenizer()("complaint CM19/19 on 01/02/2020")


def test_abbreviations_defined_in_the_papers_or_in_general_use_find_the_long_form():
    from qa.lexical import LexicalIndex

    lex = LexicalIndex.build([
        "East Midlands Operational Support Services (EMOpSS) budget.",
        "Nottinghamshire withdrew from the operational support services arrangement.",
        "The number of police community support officers was kept at 181.",
        "Knife crime fell.",
    ])
    assert lex.defined == {"emopss": "east midlands operational support services"}  # mixed case, from the papers
    assert "police community support officer" in lex.expand("PCSO numbers")  # general use, not saved
    scores = lex.scores("PCSO numbers kept at")
    assert int(scores.argmax()) == 2
    assert scores[3] == 0.0


def test_words_people_shorten_when_typing_find_the_papers_words_and_count_in_the_checks():
    from qa.lexical import LexicalIndex

    lex = LexicalIndex.build([
        "The Force performance report for the first quarter was presented by the government liaison.",
        "Knife crime fell in the quarter.",
        "The ED team saw 40 patients.",
    ])
    assert int(lex.scores("govt perf report").argmax()) == 0
    # The checks look for the long form, which the papers could contain; "perf" alone never could.
    assert {"perform", "govern"} <= set(lex.weights("govt perf report")) and "perf" not in lex.weights("perf")
    assert "ed" in lex.weights("what did the ED team see")  # a word the papers use is kept as typed
    assert lex.expansions("the ed said") == []  # "ed" in lower case is not taken for an abbreviation


def test_everyday_words_find_the_papers_formal_ones():
    from qa.lexical import LexicalIndex

    lex = LexicalIndex.build([
        "Three organised crime groups were disrupted by the operation.",
        "The prison will hold 1,700 men.",
        "Knife crime fell in the quarter.",
    ])
    assert int(lex.scores("how many gangs were broken up").argmax()) == 0
    assert int(lex.scores("how big is the new jail").argmax()) == 1
    assert "organised crime groups" in lex.expansions("gangs")
    assert lex.expansions("prison") == []  # one way only: the papers' word is not turned into slang


@pytest.mark.parametrize("typed, formal", [
    ("why do the cells get more grumbles", "complaints"),
    ("people abused at home during lockdown", "domestic abuse"),
    ("calls about lockdown nuisance", "anti-social behaviour"),
    ("how many people hung up on 101", "abandonment"),
    ("bodycams for officers", "body worn video"),
])
def test_everyday_policing_words_also_search_the_papers_words(typed, formal):
    from qa.lexical import LexicalIndex

    lex = LexicalIndex.build(["The custody suite received 12 complaints.", "Domestic abuse rose in May."])
    assert any(formal in e for e in lex.expansions(typed))


def test_an_everyday_word_ranks_the_passage_that_uses_the_formal_one(retriever):
    # The June 2019 minutes: Euston Street "received more complaints ... being larger and dealing with a
    # greater number of detainees". Neither "grumbles" nor "cells" is a word of the papers.
    a = retriever.ask("why does the city centre cell block get more grumbles than the others")
    assert not a.abstained and "greater number of detainees" in a.passages[0].text


@pytest.mark.parametrize("question", ["when is the next meeting", "date of next panel meeting",
                                      "when's the upcoming board meeting"])
def test_the_next_meeting_is_read_from_the_latest_papers(question):
    # The papers are historical: the date of "the next meeting" is what the latest meeting's papers say.
    assert understand(question, COMMITTEES, MEETINGS).since == "latest"


def test_when_is_the_next_meeting_is_answered_from_the_papers_that_name_one(retriever):
    a = retriever.ask("when is the next meeting")
    assert a.understood["since"] == max(c.meeting_date for c in retriever.citations if c.meeting_date)
    assert all("next meeting" in p.text.lower() for p in a.passages[:3])
