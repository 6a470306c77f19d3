"""The learned ranker: the shipped model, training on a small bank, and the model file's checks."""
import json

import numpy as np
import pytest

from qa.bank import load_bank
from qa.errors import IndexMismatch
from qa.evidence import FEATURES
from qa.ranker import DEFAULT_PATH, QUESTION_FEATURES, Logistic, Ranker, prior_ranker
from qa.retrieve import Retriever
from qa import train

from conftest import ROOT


def test_shipped_model_matches_features_and_never_saw_the_held_out_fold():
    model = Ranker.load()
    assert model.passage.names == FEATURES and model.question.names == QUESTION_FEATURES
    assert "H" not in model.trained_on["folds"] and model.trained_on["questions"] >= 300
    assert 0.0 < model.threshold < 1.0


def test_model_file_round_trip_gives_the_same_probabilities(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, len(FEATURES)))
    y = (X[:, 0] + 0.5 * X[:, 6] + rng.normal(scale=0.5, size=200) > 0).astype(int)
    passage = Logistic.fit(X, y, FEATURES)
    Q = rng.normal(size=(50, len(QUESTION_FEATURES)))
    question = Logistic.fit(Q, (Q[:, 0] > 0).astype(int), QUESTION_FEATURES)
    model = Ranker(passage, question, 0.3, {"folds": ["S1"]})
    model.save(tmp_path / "m.json")
    again = Ranker.load(tmp_path / "m.json")
    assert np.allclose(again.passage.probability(X), passage.probability(X))
    assert again.threshold == 0.3
    # the fit learned the signal it was given: positives score higher
    p = passage.probability(X)
    assert p[y == 1].mean() > p[y == 0].mean() + 0.3


@pytest.mark.parametrize("damage", ["version", "features", "junk"])
def test_a_model_of_another_version_or_damaged_says_what_to_do(tmp_path, damage):
    data = json.loads(DEFAULT_PATH.read_text())
    if damage == "version":
        data["model_version"] = 99
    elif damage == "features":
        data["passage"]["features"] = data["passage"]["features"][:-1] + ["something_else"]
    path = tmp_path / "m.json"
    path.write_text("{not json" if damage == "junk" else json.dumps(data))
    with pytest.raises(IndexMismatch) as e:
        Ranker.load(path)
    assert "qa train" in str(e.value) and "\n" not in str(e.value)


def test_training_on_a_small_bank_learns_to_put_the_answer_first(retriever):
    rows = [q for q in load_bank([ROOT / "eval" / "bank" / "shipped.jsonl"]) if q.fold == "S1"]
    bank = [q for q in rows if q.answerable][:18] + [q for q in rows if not q.answerable][:6]
    assert sum(q.answerable for q in bank) >= 15
    plain = Retriever(retriever.version, retriever.settings, ranker=prior_ranker())
    samples, retrievers = train.collect(bank, ROOT / "unused", ROOT / "corpus", ROOT / "unused",
                                        retrievers={"shipped": plain})
    # every answerable question's answer is held by at least one candidate, each labelled by what is shown
    labelled = [s for s in samples if s.question.answerable]
    assert sum(s.labels.any() for s in labelled) >= 0.9 * len(labelled)
    assert not any(s.labels.any() for s in samples if not s.question.answerable)
    model = train.fit(samples, learn_passage=True)
    positives = np.concatenate([model.passage.probability(s.result.evidence.matrix)[s.labels == 1] for s in samples])
    negatives = np.concatenate([model.passage.probability(s.result.evidence.matrix)[s.labels == 0] for s in samples])
    assert positives.mean() > negatives.mean() + 0.2
    # the threshold abstains on about 5% of the answerable training questions, not more
    rows = train.measure(samples, retrievers, model)
    answerable = [r for r in rows if r["answerable"]]
    assert sum(r["abstained"] for r in answerable) <= 0.05 * len(answerable) + 1
    assert train.summarise(rows)["cited@5"] >= 0.9
