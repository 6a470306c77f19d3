"""The learned ranker: the probability that a passage answers the question, and that the papers answer it.

Third stage of ranking. Two logistic models, fitted by :mod:`qa.train` on the question bank's training folds
and shipped as JSON in ``qa/models/ranker.json`` (weights, feature names, standardisation, the abstention
threshold, and what they were trained on), so there is no pickle and inference is a dot product:

* the passage model reads one row of :data:`qa.evidence.FEATURES` and gives P(this passage holds the answer,
  at the right meeting); candidates are shown in that order;
* the question model reads :data:`QUESTION_FEATURES` (the best passage's probability, its margin over the
  next, the best sentence's cosine and coverage, how much of the question the papers never use, ...) and
  gives P(the papers answer this question). That is ``understood.confidence``; the answer abstains below
  ``threshold``, which was chosen on the training folds (most unanswerable questions abstained on, while
  abstaining on at most 5% of answerable ones).

Logistic models are small, calibrated enough to threshold, and their weights can be read (README).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import IndexMismatch

MODEL_VERSION = 1
DEFAULT_PATH = Path(__file__).resolve().parent / "models" / "ranker.json"

QUESTION_FEATURES = (
    "top_probability", "probability_margin", "top_sentence_cosine", "top_cover_sentence", "top_cover_passage",
    "max_sentence_cosine", "unfamiliar_share", "kind_asked", "top_kind_given", "date_asked", "top_date_match",
    "question_words",
)


@dataclass(frozen=True)
class Logistic:
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, X: np.ndarray) -> np.ndarray:
        z = ((np.asarray(X, dtype=np.float64) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def to_dict(self) -> dict:
        return {"features": list(self.names), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": float(self.intercept)}

    @classmethod
    def from_dict(cls, d: dict) -> "Logistic":
        return cls(tuple(d["features"]), np.array(d["mean"], dtype=np.float64), np.array(d["scale"], dtype=np.float64),
                   np.array(d["coef"], dtype=np.float64), float(d["intercept"]))

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, names, C: float = 1.0, balanced: bool = False) -> "Logistic":
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=np.float64)
        mean, scale = X.mean(axis=0), X.std(axis=0)
        scale[scale < 1e-9] = 1.0
        model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced" if balanced else None)
        model.fit((X - mean) / scale, y)
        return cls(tuple(names), mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


@dataclass(frozen=True)
class Ranker:
    passage: Logistic
    question: Logistic
    threshold: float
    trained_on: dict

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"model_version": MODEL_VERSION, "passage": self.passage.to_dict(),
                "question": self.question.to_dict(), "threshold": self.threshold, "trained_on": self.trained_on}
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Ranker":
        from .evidence import FEATURES

        path = Path(path) if path else DEFAULT_PATH
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            version = data.get("model_version")
            passage, question = Logistic.from_dict(data["passage"]), Logistic.from_dict(data["question"])
            threshold = float(data["threshold"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexMismatch(f"{path}: ranker model unreadable ({exc.__class__.__name__}); "
                                "reinstall qa or run `qa train` to rebuild it")
        if version != MODEL_VERSION or passage.names != FEATURES or question.names != QUESTION_FEATURES:
            raise IndexMismatch(f"{path}: ranker model version {version!r} with other features than this qa "
                                f"(model version {MODEL_VERSION}); run `qa train` to rebuild it")
        return cls(passage, question, threshold, data.get("trained_on", {}))

    def answerability(self, Q: np.ndarray) -> np.ndarray:
        return self.question.probability(Q)


def question_features(evidence, probabilities: np.ndarray, order: np.ndarray, unfamiliar_share: float,
                      question: str) -> np.ndarray:
    """One row of QUESTION_FEATURES for a question whose candidates have ``probabilities`` (best first in
    ``order``)."""
    from .evidence import FEATURES

    col = {name: j for j, name in enumerate(FEATURES)}
    X = evidence.matrix
    out = np.zeros(len(QUESTION_FEATURES), dtype=np.float64)
    if len(order) == 0:
        return out
    top = int(order[0])
    second = float(probabilities[order[1]]) if len(order) > 1 else 0.0
    values = {
        "top_probability": float(probabilities[top]),
        "probability_margin": float(probabilities[top]) - second,
        "top_sentence_cosine": float(X[top, col["sentence_cosine"]]),
        "top_cover_sentence": float(X[top, col["cover_sentence"]]),
        "top_cover_passage": float(X[top, col["cover_passage"]]),
        "max_sentence_cosine": float(X[:, col["sentence_cosine"]].max()),
        "unfamiliar_share": float(unfamiliar_share),
        "kind_asked": float(X[top, col["kind_asked"]]),
        "top_kind_given": float(X[top, col["kind_given"]]),
        "date_asked": float(X[top, col["date_asked"]]),
        "top_date_match": float(X[top, col["date_match"]]),
        "question_words": math.log1p(len(question.split())),
    }
    for j, name in enumerate(QUESTION_FEATURES):
        out[j] = values[name]
    return out


def prior_ranker() -> Ranker:
    """A ranker that keeps the candidates' prior order and never abstains: what training starts from."""
    from .evidence import FEATURES

    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("prior")] = 10.0
    passage = Logistic(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), coef, 0.0)
    question = Logistic(QUESTION_FEATURES, np.zeros(len(QUESTION_FEATURES)), np.ones(len(QUESTION_FEATURES)),
                        np.zeros(len(QUESTION_FEATURES)), 0.0)
    return Ranker(passage, question, threshold=0.0, trained_on={"prior": True})
