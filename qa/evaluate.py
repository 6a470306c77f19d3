"""Measuring retrieval on a question file in the form of ``eval/dev.jsonl``.

A hit is a passage that contains one of the question's ``answers`` (case and whitespace folded) and whose
citation's meeting date equals the question's, when the question has one. Questions with no answers are
unanswerable: they count towards the abstention rate, not recall.
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import BadQuery
from .records import Passage
from .retrieve import Retriever


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def fold(text: str) -> str:
    """Case, whitespace, zero-width characters, curly quotes and dashes folded: how answers are compared."""
    return " ".join(text.translate(_INVISIBLE).translate(_QUOTES).lower().split())


def load_questions(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise BadQuery(f"{path}: line {n} is not JSON; each line must be one question object")
            if not isinstance(row, dict) or not isinstance(row.get("question"), str):
                raise BadQuery(f"{path}: line {n} has no \"question\" string")
            rows.append(row)
    if not rows:
        raise BadQuery(f"{path}: no questions in the file")
    return rows


def with_slips(rows: list[dict], seed: int = 7) -> list[dict]:
    """The questions as someone typing fast might send them: one word of six letters or more in each has one
    slip (two letters swapped, one dropped, doubled or mistyped), chosen at random with a fixed seed."""
    import random
    import re

    rng = random.Random(seed)
    out = []
    for row in rows:
        q = row["question"]
        words = list(re.finditer(r"[A-Za-z]{6,}", q))
        if words:
            m = rng.choice(words)
            w, i = m.group(0), rng.randrange(1, len(m.group(0)) - 1)
            slipped = {"swap": w[:i] + w[i + 1] + w[i] + w[i + 2:], "drop": w[:i] + w[i + 1:],
                       "double": w[:i] + w[i] + w[i:], "mistype": w[:i] + rng.choice("aeiourstn") + w[i + 1:]}
            q = q[:m.start()] + slipped[rng.choice(sorted(slipped))] + q[m.end():]
        out.append({**row, "question": q})
    return out


def is_hit(p: Passage, row: dict) -> bool:
    answers = [fold(a) for a in row.get("answers") or []]
    text = fold(p.text)
    if not any(a and a in text for a in answers):
        return False
    gold = row.get("meeting_date")
    return not gold or p.citation.meeting_date == gold


@dataclass
class Scores:
    name: str
    answerable: int
    unanswerable: int
    recall: dict  # k -> fraction
    mrr10: float
    abstain_unanswerable: float | None
    abstain_answerable: float | None
    median_ms: float

    def row(self) -> list:
        fmt = lambda x: "-" if x is None else f"{x:.3f}"
        return [self.name, fmt(self.recall[1]), fmt(self.recall[5]), fmt(self.recall[10]), fmt(self.mrr10),
                fmt(self.abstain_unanswerable), fmt(self.abstain_answerable), f"{self.median_ms:.1f}"]


HEADER = ["ranking", "R@1", "R@5", "R@10", "MRR@10", "abstain(unans)", "abstain(ans)", "median ms"]


def evaluate(retriever: Retriever, rows: list[dict], mode: str = "final", k: int = 10) -> tuple[Scores, list[dict]]:
    ranks, latencies, details = [], [], []
    abst_ans, abst_unans = [], []
    for row in rows:
        t0 = time.perf_counter()
        if mode == "final":
            answer = retriever.ask(row["question"], k=max(k, 10))
            passages, abstained = list(answer.passages), answer.abstained
        else:
            result = retriever.run(row["question"], k=max(k, 10), mode=mode)
            passages = result.passages
            abstained = False  # only the final ranking abstains
        latencies.append((time.perf_counter() - t0) * 1000)
        answerable = bool(row.get("answers"))
        rank = next((p.rank for p in passages[:10] if is_hit(p, row)), None) if answerable else None
        if answerable:
            ranks.append(rank)
            abst_ans.append(abstained)
        else:
            abst_unans.append(abstained)
        details.append({"id": row.get("id"), "rank": rank, "abstained": abstained, "answerable": answerable})
    n = len(ranks) or 1
    recall = {c: sum(1 for r in ranks if r is not None and r <= c) / n for c in (1, 5, 10)}
    mrr = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    rate = lambda xs: (sum(xs) / len(xs)) if xs else None
    scores = Scores(mode, len(ranks), len(abst_unans), recall, mrr, rate(abst_unans), rate(abst_ans),
                    statistics.median(latencies) if latencies else 0.0)
    return scores, details


def table(rows: list[list]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
        if j == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
