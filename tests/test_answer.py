"""The extractive answer: verbatim sentences, with their antecedents, marked with passage ranks."""
import pytest

from qa.answer import expected_type, gives, sentences


@pytest.fixture(scope="module")
def checked(retriever):
    """The retriever with the hand-written form checks on (Settings.form_checks; off by default)."""
    from dataclasses import replace

    from qa.retrieve import Retriever

    return Retriever(retriever.version, replace(retriever.settings, form_checks=True), ranker=retriever.ranker)


@pytest.fixture(scope="module")
def answering(retriever):
    """The retriever with abstention's threshold at 0: for tests of which sentences answer, not whether."""
    from dataclasses import replace

    from qa.retrieve import Retriever

    return Retriever(retriever.version, retriever.settings, ranker=replace(retriever.ranker, threshold=0.0))


def spans_text(text):
    return [text[s:e] for s, e in sentences(text)]


def test_titles_and_initials_do_not_end_sentences():
    text = "It was AGREED that Mrs. D. Taylor CC be elected Chairman. Cllr. J. T. Orson JP was thanked."
    assert spans_text(text) == ["It was AGREED that Mrs. D. Taylor CC be elected Chairman.",
                                "Cllr. J. T. Orson JP was thanked."]


def test_list_items_and_blank_lines_end_sentences():
    text = "Points noted:\n\n(i) The first point was made\n(ii) The second point was made"
    assert spans_text(text) == ["Points noted:", "(i) The first point was made", "(ii) The second point was made"]


def test_the_tags_of_converted_tables_are_between_sentences_not_in_them():
    text = "<p>The abandonment rate was 6.8%.</p> <p>The average time to answer a 999 call was 1.3 seconds.</p>"
    assert spans_text(text) == ["The abandonment rate was 6.8%.",
                                "The average time to answer a 999 call was 1.3 seconds."]


def test_answer_includes_the_sentence_a_reference_points_back_to(retriever):
    a = retriever.ask("What was the one-off Home Office grant for People Zones to be used for?")
    assert "asset mapping and developing the operating model" in a.text
    assert a.text.count("[1]") >= 1
    top = a.passages[0]
    for s in a.sentences:
        assert s.text in a.passages[s.passage_rank - 1].text
    assert top.citation.item_title == "People Zones"


def test_figures_asked_for_must_be_given(checked):
    a = checked.ask("How many complaints were made about the Euston Street custody suite in 2018/19?")
    assert a.abstained and "figure" in a.understood["abstained_because"]


@pytest.mark.parametrize("question, kind", [
    ("what proportion of drug offences led to positive outcomes", "percent"),
    ("what is the repeat MARAC rate", "percent"),
    ("when did the VIP start", "date"),
    ("On what date was the meeting held?", "date"),
    ("how much funding did the VRN get", "money"),
    ("How many complaints were made in 2018/19?", "figure"),
    ("number of stop searches", "figure"),
    ("What did the Board say about knife crime?", None),
    ("What was the PCC's salary?", "money"),
    ("what is the cost of the new prison", "money"),
    ("what did the budget cover", None),
    ("what's the estimated build cost of the prison", "money"),  # as typed: "what's", "whats"
    ("whats the budget for the VRN", "money"),
])
def test_the_kind_of_answer_a_question_asks_for(question, kind):
    assert expected_type(question) == kind


def test_what_counts_as_giving_an_answer_of_a_kind():
    q = "how many offences were linked to the Covid-19 lockdown in 2019/20?"
    assert not gives("figure", "Offences linked to the Covid-19 lockdown rose in 2019/20.", q)  # only the question's own
    assert gives("figure", "There were 1,204 such offences in 2019/20.", q)
    assert gives("figure", "Twice as many as the year before.", q)
    assert not gives("figure", "3.5 The Home Office have indicated support.", q)  # a paragraph number
    assert gives("percent", "Approximately three quarters of the work related to drugs.", "what share of the work")
    assert not gives("percent", "compared to the same quarter of the previous year", "what share of the work")
    assert gives("money", "The VRN secured £880,000 for 2020/21.", "how much did the VRN get")
    assert gives("date", "This service commenced delivery in January 2020.", "when did it start")


def test_a_figure_the_papers_do_not_give_is_abstained_on_even_when_the_topic_matches(checked):
    a = checked.ask("what proportion of the operation lionheart drug offences led to positive outcomes")
    assert a.abstained and "percentage" in a.understood["abstained_because"]
    assert a.passages  # the nearest passages are still listed


def test_papers_that_say_a_figure_was_not_yet_known_do_not_answer_it(checked):
    a = checked.ask("how many of the 20,000 extra officers nationally will leicestershire get")
    assert a.abstained and a.understood["abstained_because"] == "the papers say this was not known"


def test_a_sentence_continuing_the_one_that_names_the_subject_can_answer(retriever):
    # "The Violence Intervention Project (VIP) based in the Emergency Department (UHL) ...
    #  This service commenced delivery in January 2020 ..."
    a = retriever.ask("when did the VIP in the ED at UHL start")
    assert not a.abstained
    assert "January 2020" in a.text


def test_a_sentence_naming_the_subject_again_as_the_software_continues_it(answering):
    # Glossary: "Pronto  A mobile app designed to allow Police officers ... The new technology means ...
    #  The software went live in early October 2018."
    a = answering.ask("when did the pronto app go live for officers")
    assert not a.abstained
    assert "early October 2018" in a.text


def test_a_question_about_after_the_last_meeting_is_abstained_on_unless_it_asks_what_was_planned(retriever):
    a = retriever.ask("who won the may 2021 PCC election")
    assert a.abstained and "papers end with the meeting of 2020-09-25" in a.understood["abstained_because"]
    from qa.answer import after_the_papers
    from qa.query import QueryIntent

    may_2021 = QueryIntent(since="2021-05-01", until="2021-05-31")
    assert after_the_papers("who won in may 2021", may_2021, "2020-09-25")
    assert after_the_papers("when is the board scheduled to meet in may 2021", may_2021, "2020-09-25") is None
    assert after_the_papers("board meeting dates 2021", may_2021, "2020-09-25") is None  # the papers list them
    assert after_the_papers("when is the board meeting in may 2021", may_2021, "2020-09-25") is None
    assert after_the_papers("who won in may 2020", QueryIntent(since="2020-05-01", until="2020-05-31"),
                            "2020-09-25") is None


def test_a_measure_or_a_year_is_not_a_count_of_things():
    q = "how many prisoner places will the new prison have"
    assert not gives("figure", "Offenders within 90 miles would be placed at the new prison.", q)
    assert not gives("figure", "The Ministry will report on the prison in 2021.", q)
    assert not gives("figure", "The prison will cost £250m.", q)
    assert gives("figure", "The prison will hold 1,680 prisoners.", q)
    assert gives("figure", "The average answer time was 5 seconds.", "how many seconds to answer a 999 call")


def test_a_day_of_the_month_or_a_percentage_is_not_a_count():
    q = "how many police officers were assaulted in 2019"
    assert not gives("figure", "An update on performance between 1 April 2019 and 30 June 2019.", q)
    assert not gives("figure", "Assaults on officers fell by 12% on the 21st March figures.", q)
    assert gives("figure", "There were 212 assaults on officers between 1 April and 30 June.", q)
    assert not gives("figure", "The meeting on 24 September agreed the plan.", "what was the total")


def test_an_event_still_to_take_place_does_not_say_how_it_turned_out(checked):
    a = checked.ask("What grades did HMICFRS give Leicestershire Police in its spring 2020 inspection?")
    assert a.abstained and a.understood["abstained_because"] == "the papers say this was still to take place"
    asked_when = checked.ask("when was the next HMICFRS inspection expected")  # asks about the plan itself
    assert not asked_when.abstained and "spring 2020" in asked_when.text


def test_a_decision_still_to_be_made_does_not_say_what_was_decided(checked):
    # The ethics report: Chief Officers "would shortly be making a decision as to whether to introduce the
    # 'name and shame' dimension" into the drink-drive campaign.
    a = checked.ask("did chief officers go ahead with naming and shaming drink drivers in the summer campaign")
    assert a.abstained and a.understood["abstained_because"] == "the papers say this was still to be decided"
    asked_plan = checked.ask("what were chief officers going to decide about the drink drive campaign")
    assert not asked_plan.abstained and "name and shame" in asked_plan.text


def test_the_numbers_of_a_date_named_in_the_question_are_not_figures_it_asks_about(checked):
    # "july 19" chooses the July 2019 meeting; its "19" need not appear in the answer's agenda item.
    a = checked.ask("101 average answer time at the panel july 19")
    assert not a.abstained, a.understood
    assert a.understood["date_phrase"] == "july 19"


@pytest.mark.parametrize("question, because", [
    ("best pizza in leicester", 'never use "pizza"'),
    ("who designed the cathedral", "no passage is close in meaning"),
    ("recycling centre opening times melton", "never use"),
])
def test_questions_the_papers_do_not_cover_are_abstained_on_and_say_why(checked, question, because):
    a = checked.ask(question)
    assert a.abstained and because in a.understood["abstained_because"]
    assert a.passages  # the nearest passages are still listed


def test_a_paraphrase_the_papers_answer_is_not_taken_for_a_question_they_do_not_cover(checked):
    # Few of its words are the papers' words, but the passage is close in meaning.
    a = checked.ask("How many times did officers frisk people on suspicion of carrying illegal substances in 2018/19?")
    assert "close in meaning" not in (a.understood.get("abstained_because") or "")
    assert a.understood.get("abstained_because") is None


def test_a_sentence_introducing_a_list_is_answered_with_the_list(retriever):
    # "Future meetings of the Board are scheduled to take place on the following dates:" then one date a line.
    a = retriever.ask("board meeting dates 2021")
    assert not a.abstained, a.understood  # the papers list dates after their last meeting: plans, not events
    assert "19 March 2021" in a.text and "18 June 2021" in a.text
    for s in a.sentences:
        assert s.text in a.passages[s.passage_rank - 1].text


@pytest.mark.parametrize("text, expected", [
    ("See No. 5 of the list. It was noted.", ["See No. 5 of the list.", "It was noted."]),
    ("As set out in Ch. 4 of the plan, approx. 20 officers. Cllr. Smith agreed.",
     ["As set out in Ch. 4 of the plan, approx. 20 officers.", "Cllr. Smith agreed."]),
    ("Refer to para. 3.2 of the report. The panel noted it.", ["Refer to para. 3.2 of the report.", "The panel noted it."]),
])
def test_abbreviations_do_not_end_sentences(text, expected):
    assert spans_text(text) == expected


def test_each_row_of_a_table_is_a_sentence_and_knows_its_headings():
    from qa.sentences import header_row, split

    text = ("KPI\tPerformance\n\tPerformance 18/19\tPerformance 17/18\t% Change\n"
            "1.1 Number of 999 Calls\t150,536\t138,893\t+8%\n1.2 Number of 101 Calls\t383,000\t501,342\t-24%\n"
            "\nThe number of calls went down.")
    spans = split(text)
    rows = [text[s:e] for s, e in spans]
    assert rows[2] == "1.1 Number of 999 Calls\t150,536\t138,893\t+8%"
    assert rows[-1] == "The number of calls went down."
    assert text[slice(*header_row(text, spans, 3))] == "Performance 18/19\tPerformance 17/18\t% Change"
    assert header_row(text, spans, len(spans) - 1) is None


def test_a_figure_from_a_table_is_answered_with_its_row_and_column_headings(retriever):
    from qa.answer import extract_answer

    found = retriever.search("Number of 101 Calls Performance 18/19 Performance 17/18 volume change", k=10)
    table = next(p for p in found if "1.2 Number of 101 Calls\t383,000" in p.text)
    text, sents = extract_answer("how many 101 calls were there, number of 101 calls", [table],
                                 retriever.version.lexical, wants_decision=False)
    texts = [s.text for s in sents]
    row = next(i for i, t in enumerate(texts) if t.startswith("1.2 Number of 101 Calls"))
    assert row > 0 and texts[row - 1].startswith("Performance 18/19\tPerformance 17/18")
    source = retriever.document_text(table.citation.source)
    for s in sents:  # verbatim spans of the source
        assert source[s.start:s.end] == s.text
