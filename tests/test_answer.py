"""The extractive answer: verbatim sentences, with their antecedents, marked with passage ranks."""
from qa.answer import sentences


def spans_text(text):
    return [text[s:e] for s, e in sentences(text)]


def test_titles_and_initials_do_not_end_sentences():
    text = "It was AGREED that Mrs. D. Taylor CC be elected Chairman. Cllr. J. T. Orson JP was thanked."
    assert spans_text(text) == ["It was AGREED that Mrs. D. Taylor CC be elected Chairman.",
                                "Cllr. J. T. Orson JP was thanked."]


def test_list_items_and_blank_lines_end_sentences():
    text = "Points noted:\n\n(i) The first point was made\n(ii) The second point was made"
    assert spans_text(text) == ["Points noted:", "(i) The first point was made", "(ii) The second point was made"]


def test_answer_includes_the_sentence_a_reference_points_back_to(retriever):
    a = retriever.ask("What was the one-off Home Office grant for People Zones to be used for?")
    assert "asset mapping and developing the operating model" in a.text
    assert a.text.count("[1]") >= 1
    top = a.passages[0]
    for s in a.sentences:
        assert s.text in a.passages[s.passage_rank - 1].text
    assert top.citation.item_title == "People Zones"


def test_figures_asked_for_must_be_given(retriever):
    a = retriever.ask("How many complaints were made about the Euston Street custody suite in 2018/19?")
    assert a.abstained and "figure" in a.understood["abstained_because"]
