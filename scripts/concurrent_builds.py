"""Run N pairs of simultaneous ``qa index`` on one index folder and check the index answers after each.

    python scripts/concurrent_builds.py --pairs 50 [--workdir /tmp/qa-concurrent] [--json out.json]

Each pair first changes the corpus (a small shipped file, plus a second file added, changed or removed in
turn, so both builds have work to do), then starts ``qa index`` and ``qa index --rebuild`` at the same
moment (which of the two starts first alternates). Afterwards: both must exit 0, the index must load
afresh from disk and answer a question with a citation (in this process, so the model loads once; every
``--ask-every``-th pair and the last also through a separate ``qa ask`` process), the index folder must hold exactly one version and no temporary folder, and the version's
passages must be the corpus's files. Any failure is printed with the pair number; the exit status is the
number of failed pairs (0: all held).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus_state(corpus: Path, pair: int) -> None:
    small = next((ROOT / "corpus").glob("004*"))
    shutil.copy(small, corpus / small.name)
    extra = corpus / "extra.txt"
    base = next((ROOT / "corpus").glob("000*")).read_text(encoding="utf-8")[:3000]
    step = pair % 3
    if step == 0:
        extra.unlink(missing_ok=True)
    else:
        extra.write_text(base + f"\n\nThe Panel noted the update (revision {pair}).\n", encoding="utf-8")


def run_pair(pair: int, corpus: Path, index: Path, env: dict, ask_cli: bool) -> list[str]:
    corpus_state(corpus, pair)
    cmds = [[sys.executable, "-m", "qa", "index", "--json"], [sys.executable, "-m", "qa", "index", "--rebuild", "--json"]]
    if pair % 2:
        cmds.reverse()
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    outs = [p.communicate() for p in procs]
    problems = []
    for cmd, p, (out, err) in zip(cmds, procs, outs):
        if p.returncode != 0:
            problems.append(f"{' '.join(cmd[2:])} exited {p.returncode}: {err.strip()[-300:]}")
    answer = None
    if ask_cli:
        ask = subprocess.run([sys.executable, "-m", "qa", "ask", "101 telephone service", "--json"], env=env,
                             capture_output=True, text=True)
        if ask.returncode != 0:
            problems.append(f"qa ask exited {ask.returncode}: {ask.stderr.strip()[-300:]}")
        else:
            answer = json.loads(ask.stdout.splitlines()[-1])
    else:
        from qa import QAError, Retriever

        try:
            answer = Retriever.load(index).ask("101 telephone service").to_dict()
        except QAError as exc:
            problems.append(f"loading or asking failed: {exc}")
    if answer is not None:
        if not answer["passages"]:
            problems.append("qa ask gave no passages")
        sources = {p["citation"]["source"] for p in answer["passages"]}
        if not sources <= {f.name for f in corpus.iterdir()}:
            problems.append(f"qa ask cited files not in the corpus: {sorted(sources)}")
    versions = [c.name for c in index.iterdir() if c.name.startswith("v-")]
    temps = [c.name for c in index.iterdir() if c.name.startswith(".tmp-")]
    if len(versions) != 1 or temps:
        problems.append(f"index folder holds versions {versions} and temporary folders {temps}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/qa-concurrent"))
    ap.add_argument("--ask-every", type=int, default=10, help="run a separate qa ask process every N pairs")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    corpus, index = args.workdir / "corpus", args.workdir / "index"
    corpus.mkdir(parents=True)
    sys.path.insert(0, str(ROOT))
    env = dict(os.environ, QA_CORPUS_DIR=str(corpus), QA_INDEX_DIR=str(index),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.time()
    failed = 0
    for pair in range(1, args.pairs + 1):
        ask_cli = pair % args.ask_every == 0 or pair == args.pairs
        problems = run_pair(pair, corpus, index, env, ask_cli)
        failed += bool(problems)
        print(f"pair {pair}: " + ("ok" if not problems else "FAILED: " + " | ".join(problems)), flush=True)
    result = {"pairs": args.pairs, "failed": failed, "qa_ask_processes": sum(
        1 for p in range(1, args.pairs + 1) if p % args.ask_every == 0 or p == args.pairs), "seconds": round(time.time() - t0, 1)}
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return failed


if __name__ == "__main__":
    sys.exit(main())
