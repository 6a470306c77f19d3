"""Check the question bank: every answer string occurs verbatim in its document, every row is well formed.

Usage: python scripts/check_bank.py [eval/bank/*.jsonl]

A bank row has the fields of ``../shared/eval/dev.jsonl`` plus ``corpus`` (``shipped`` for ``corpus/``, else
the name of a folder of ``../shared/external``) and ``fold``. ``source`` is the document's path relative to
its corpus root. An answer is checked against the document's extracted text (what citations index into),
case and whitespace folded exactly as ``qa eval`` folds them. Unanswerable rows have ``answers: []`` and
``source: null``. Exits 1 when any row fails, printing one line per failure; then a count per fold.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluate import fold  # noqa: E402
from qa.extract import extract  # noqa: E402

EXTERNAL = ROOT.parent / "shared" / "external"
# Folds, fixed before any question was written: by document within the shipped corpus, by body outside it.
# H is held out: no change is measured on it until the end.
FOLDS = {
    "shipped:000_e85a23fc583d8396.txt": "S1", "shipped:001_baf9c119efd77f50.txt": "S1",
    "shipped:004_d30098c21077ebd9.txt": "S1",
    "shipped:002_0b70346ca75db3bf.txt": "S2", "shipped:003_fd0ddd173e8c1014.txt": "S2",
    "gitforsteve__wyevalleycc": "X1",
    "andymabb__mscc": "X2", "CountCulture__OpenlyLocal": "X2",
    "FarronF__limerick-council-meetings": "X3", "Govan-Community__govan-website": "X3", "vestalux__sljekyll": "X3",
    "souldern__souldern.github.io": "H",
    "hyndland-primary-parent-council__hyndland-primary-parent-council.github.io": "H",
}


def fold_of(row: dict) -> set[str]:
    """The fold(s) a row may be in: its document's, or for an unanswerable row of the shipped corpus S1 or S2."""
    if row["corpus"] == "shipped":
        return {FOLDS[f"shipped:{row['source']}"]} if row["source"] else {"S1", "S2"}
    return {FOLDS[row["corpus"]]} if row["corpus"] in FOLDS else set()


FIELDS = ("id", "question", "answers", "source", "committee", "meeting_date", "item", "item_title", "kind",
          "note", "corpus", "fold")


def corpus_root(corpus: str) -> Path:
    return ROOT / "corpus" if corpus == "shipped" else EXTERNAL / corpus


_texts: dict[Path, str] = {}


def document_text(path: Path) -> str:
    if path not in _texts:
        _texts[path] = fold(extract(path, display_name=path.name).text)
    return _texts[path]


def check(paths: list[Path]) -> int:
    failures, seen, per_fold = 0, set(), Counter()
    unanswerable = Counter()
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                row = json.loads(line)
            except ValueError:
                print(f"{where}: not JSON")
                failures += 1
                continue
            missing = [f for f in FIELDS if f not in row]
            if missing:
                print(f"{where}: missing fields {', '.join(missing)}")
                failures += 1
                continue
            if row["id"] in seen:
                print(f"{where}: duplicate id {row['id']}")
                failures += 1
            seen.add(row["id"])
            if row["fold"] not in fold_of(row):
                print(f"{where}: fold {row['fold']!r}; this corpus/document is in {' or '.join(sorted(fold_of(row))) or 'no fold'}")
                failures += 1
            per_fold[row["fold"]] += 1
            if not row["answers"]:
                unanswerable[row["fold"]] += 1
                if row["source"] is not None:
                    print(f"{where}: an unanswerable row has source {row['source']!r}; use null")
                    failures += 1
                continue
            doc = corpus_root(row["corpus"]) / row["source"]
            if not doc.is_file():
                print(f"{where}: no such document {doc}")
                failures += 1
                continue
            text = document_text(doc)
            for answer in row["answers"]:
                if not fold(answer) or fold(answer) not in text:
                    print(f"{where}: answer {answer!r} is not in {row['corpus']}/{row['source']}")
                    failures += 1
    total = sum(per_fold.values())
    for f in sorted(per_fold):
        print(f"fold {f}: {per_fold[f]} questions, {unanswerable[f]} unanswerable")
    share = sum(unanswerable.values()) / total if total else 0
    print(f"total {total} questions, {share:.0%} unanswerable, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "eval" / "bank").glob("*.jsonl"))
    sys.exit(check(args))
