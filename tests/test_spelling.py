"""Typing slips are corrected to the papers' own words; real words and unknown names are left alone."""
import pytest
from hypothesis import given, strategies as st
from rapidfuzz.distance import OSA

from qa.evaluate import with_slips
from qa.spelling import MIN_LETTERS, Speller, dictionary_words, word_counts

COUNTS = word_counts(["The search found burglary rose. Burglary and violence; the precept was agreed in September.",
                      "Searches of vehicles. Violence reduction network."])


def test_slips_are_corrected_to_the_papers_words():
    speller = Speller(COUNTS)
    text, corrected = speller.correct("Burglery and violance after the serach in Septmber")
    assert text == "Burglary and violence after the search in September"
    assert corrected == {"Burglery": "burglary", "violance": "violence", "serach": "search", "Septmber": "september"}


@pytest.mark.parametrize("word", ["grown", "table", "cells", "match", "fixed"])  # English words, not slips
def test_english_words_are_never_changed(word):
    assert word in dictionary_words()
    counts = {**COUNTS, "grow": 1, "able": 1, "calls": 1, "march": 1, "filed": 1}
    assert Speller(counts).correct_word(word) is None


def test_short_words_numbers_known_stems_and_other_first_letters_are_left_alone():
    speller = Speller({**COUNTS, "risk": 3}, known=lambda w: w == "searchs")
    assert speller.correct_word("serch") == "search"
    assert speller.correct_word("srch") is None  # under MIN_LETTERS
    assert speller.correct_word("searchs") is None  # the index knows it in another form
    assert speller.correct_word("frisk") is None  # "risk" would change the first letter
    assert speller.correct_word("glasgow") is None  # no word of the papers is near: stays unknown
    assert speller.correct("2018/19")[1] == {}


words = st.sampled_from(sorted(w for w in COUNTS if len(w) >= MIN_LETTERS))


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=40) | words)
def test_a_correction_is_always_a_near_word_of_the_papers_with_the_same_first_letter(typed):
    speller = Speller(COUNTS)
    for word in typed.split():
        better = speller.correct_word(word)
        if better is not None:
            assert better in COUNTS and better[0] == word[0] and word not in COUNTS
            assert OSA.distance(word, better) <= (2 if len(word) >= 9 else 1)


def test_with_slips_changes_one_long_word_per_question_and_is_repeatable():
    rows = [{"question": "How many stop and searches were recorded?"}, {"question": "Who is PCC?"}]
    once, again = with_slips(rows), with_slips(rows)
    assert once == again
    assert once[1]["question"] == "Who is PCC?"  # no word long enough
    changed = [(a, b) for a, b in zip(rows[0]["question"].split(), once[0]["question"].split()) if a != b]
    assert len(changed) == 1 and len(changed[0][0]) >= 6 and OSA.distance(*changed[0]) == 1


def test_a_slip_in_a_question_finds_what_the_right_spelling_finds(retriever):
    right = retriever.ask("violence reduction network funding 2020/21")
    slipped = retriever.ask("violance reduction network funding 2020/21")
    assert slipped.understood["corrected"] == {"violance": "violence"}
    assert slipped.question == "violance reduction network funding 2020/21"  # shown as typed
    assert [p.id for p in slipped.passages] == [p.id for p in right.passages]
    assert "corrected" not in right.understood
