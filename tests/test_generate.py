"""Issue 19, the checker on its own: every written sentence against the passages it cites (no server)."""
import pytest

from qa.errors import ReplyFault
from qa.grounding import Evidence, check, check_reply, split_claims

P1 = ("The Panel approved a precept increase of £1.4m for 2024-25 at its meeting on 22 July 2024. "
      "The Chief Constable agreed that 5 per cent more calls were answered.")
EV = {1: Evidence.of(1, P1, "Police and Crime Panel · 22 July 2024 · item 5: Precept", "2024-07-22"),
      2: Evidence.of(2, "Kent Police said the review would report back in March.", "")}


def verdict(sentence, question="What was the precept?"):
    return check(split_claims(sentence)[0], EV, question)


@pytest.mark.parametrize("sentence", [
    "The precept rose by £1.4 million for 2024/25 [1].",
    "It was approved on 22/07 [1].",
    "It was approved on 22nd July 2024 [1].",
    "The Chief Constable agreed that 5% more calls were answered [1].",
    "Kent Police said the review would report back in March [2].",
])
def test_supported_sentences_are_verified(sentence):
    assert verdict(sentence).verified, verdict(sentence).problem


@pytest.mark.parametrize("sentence,problem", [
    ("The precept rose by £9.9m [1].", "£9.9m"),
    ("It was approved on 23 July 2024 [1].", "23 July 2024"),
    ("The Chief Constable agreed that 7% more calls were answered [1].", "7%"),
    ("The precept was approved by Inspector Morse [1].", "Inspector"),
    ("The precept rose by £1.4m [2].", "£1.4m"),  # true, but not in the passage it cites
    ("The precept rose by £1.4m.", "cites no passage"),
    ("The moon is made of green cheese [1].", "words"),
])
def test_unsupported_sentences_are_not(sentence, problem):
    v = verdict(sentence)
    assert not v.verified and problem in v.problem


def test_markers_after_the_full_stop_and_lists_of_markers():
    claims = split_claims("The precept rose. [1] It was approved [1, 2]. Then [1][2] more.")
    assert [c.cites for c in claims] == [(1,), (1, 2), (1, 2)]


@pytest.mark.parametrize("reply,kind", [
    ("", "empty"), ("   ", "empty"),
    ("The precept rose by £1.4m [7].", "citation"),
    ("Le précepte a augmenté de 1,4 million de livres pour la période, approuvé par le panel.", "language"),
    ("The precept rose by £1.4m.", "uncited"),
    ("The papers do not say.", "not_known"),
])
def test_faults_of_the_whole_reply(reply, kind):
    with pytest.raises(ReplyFault) as e:
        check_reply(reply, EV, "What was the precept?")
    assert e.value.kind == kind
