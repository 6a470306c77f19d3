"""The question bank: questions written from the documents, each with its corpus and fold.

A bank row has the fields of ``dev.jsonl`` plus ``corpus`` (``shipped`` for the product's own ``corpus/``, else
the name of a folder of other bodies' papers, indexed as a corpus of its own) and ``fold``. Folds are by
document within the shipped corpus and by body outside it (fixed in ``scripts/check_bank.py`` before any
question was written), so a model trained on some folds is measured on documents and bodies it never saw.
Fold ``H`` is held out: nothing is trained or tuned on it, and it is reported last.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HELD_OUT = "H"


@dataclass(frozen=True)
class BankQuestion:
    row: dict
    corpus: str
    fold: str

    @property
    def answerable(self) -> bool:
        return bool(self.row.get("answers"))


def load_bank(paths) -> list[BankQuestion]:
    out = []
    for path in paths:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(BankQuestion(row, row["corpus"], row["fold"]))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{n}: not a bank row ({exc.__class__.__name__}: {exc}); "
                                 "each line needs question, answers, corpus and fold")
    return out


def bank_files(bank_dir: Path) -> list[Path]:
    return sorted(Path(bank_dir).glob("*.jsonl"))


def corpus_root(corpus: str, shipped: Path, external: Path) -> Path:
    return Path(shipped) if corpus == "shipped" else Path(external) / corpus
