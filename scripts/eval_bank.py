"""Held-out figures on the question bank: leave-one-fold-out over S1, S2, X1, X2, X3 (fold H untouched
unless --held-out is given, which trains on every other fold and reports H alone).

Usage: python scripts/eval_bank.py --work /tmp/qa-work [--checks] [--no-everyday] [--no-glossary]
       [--prior] [--held-out] [--json out.json]

Each corpus is indexed once in --work (kept between runs), and the sentence vectors the evidence needs are
cached there too (``sentences.npz`` per corpus), so ablations re-run in a minute or two.
--checks turns the hand-written form checks on; --no-everyday / --no-glossary switch off those word lists
(to measure what they earn); --prior reports the candidates' prior order with no learned ranker and no
abstention, the ranking qa used before the learned ranker.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import lexical, train  # noqa: E402
from qa.bank import HELD_OUT, bank_files, load_bank  # noqa: E402
from qa.ranker import prior_ranker  # noqa: E402


def load_cache(r, path: Path) -> None:
    if path.exists():
        data = np.load(path, allow_pickle=False)
        for key in data.files:
            if key.startswith("s"):
                i = int(key[1:])
                r.sentence_vectors._cache[i] = ([tuple(x) for x in data[key].tolist()], data["v" + key[1:]])


def save_cache(r, path: Path) -> None:
    arrays = {}
    for i, (spans, vectors) in r.sentence_vectors._cache.items():
        arrays[f"s{i}"] = np.array(spans, dtype=np.int64).reshape(-1, 2)
        arrays[f"v{i}"] = vectors
    np.savez(path, **arrays)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--external", type=Path, default=ROOT.parent / "shared" / "external")
    ap.add_argument("--checks", action="store_true")
    ap.add_argument("--no-everyday", action="store_true")
    ap.add_argument("--no-glossary", action="store_true")
    ap.add_argument("--prior", action="store_true")
    ap.add_argument("--held-out", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.no_everyday:
        lexical._EVERYDAY_WORDS = re.compile(r"(?!x)x")
    questions = load_bank(bank_files(ROOT / "eval" / "bank"))
    if not args.held_out:
        questions = [q for q in questions if q.fold != HELD_OUT]
    t0 = time.time()
    retrievers = {}
    for corpus in sorted({q.corpus for q in questions}):
        r = train.retriever_for(corpus, args.work, ROOT / "corpus", args.external)
        if args.no_glossary:
            r.version.lexical.acronyms = dict(r.version.lexical.defined)
            r.version.lexical._expansions = {v: k for k, v in r.version.lexical.acronyms.items()}
        load_cache(r, args.work / corpus / "sentences.npz")
        retrievers[corpus] = r
    samples, retrievers = train.collect(questions, args.work, ROOT / "corpus", args.external,
                                        retrievers=retrievers)
    for corpus, r in retrievers.items():
        save_cache(r, args.work / corpus / "sentences.npz")
    print(f"collected {len(samples)} questions in {time.time() - t0:.0f} s", file=sys.stderr)
    if args.held_out:
        model = train.fit([s for s in samples if s.question.fold != HELD_OUT])
        results = {HELD_OUT: train.summarise(train.measure([s for s in samples if s.question.fold == HELD_OUT],
                                                           retrievers, model, checks=args.checks))}
    elif args.prior:
        rows = train.measure(samples, retrievers, prior_ranker(), checks=args.checks)
        folds = sorted({r["fold"] for r in rows})
        results = {f: train.summarise([r for r in rows if r["fold"] == f]) for f in folds}
        results["pooled"] = train.summarise(rows)
    else:
        results = train.cross_validate(samples, retrievers, checks=args.checks)
    print("| fold | questions | cited@1 | cited@5 | MRR@10 | unanswerable abstained | answerable abstained |")
    print("|---|---|---|---|---|---|---|")
    for fold, s in results.items():
        un = "-" if s["unanswerable_abstained"] is None else f"{s['unanswerable_abstained']:.0%}"
        print(f"| {fold} | {s['answerable']} + {s['unanswerable']} | {s['cited@1']:.3f} | {s['cited@5']:.3f} | "
              f"{s['mrr@10']:.3f} | {un} | {s['answerable_abstained']:.0%} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
