"""The CLI contract: qa index / ask / ask --file / eval, and errors as one line."""
import json
from pathlib import Path

from click.testing import CliRunner

from qa.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_ask_json(index_dir):
    r = run("ask", "What was the one-off Home Office grant for People Zones to be used for?", "--index", index_dir,
            "-k", 3, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["question"].startswith("What was the one-off")
    assert len(d["passages"]) == 3
    top = d["passages"][0]["citation"]
    assert (top["meeting_date"], top["item_number"]) == ("2019-09-24", "27")
    source = (ROOT / "corpus" / top["source"]).read_text(encoding="utf-8")
    assert source[top["start"]:top["end"]] == d["passages"][0]["text"]


def test_ask_file_keeps_order_one_json_per_line(index_dir, tmp_path):
    questions = ["Who presented the fire service update to the Board?", "Which two forces share the HR service centre?",
                 "What is Glen Parva?"]
    f = tmp_path / "q.txt"
    f.write_text("\n".join(questions) + "\n")
    r = run("ask", "--file", f, "--index", index_dir, "-k", 2, "--json")
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["question"] for d in lines] == questions
    assert all(len(d["passages"]) == 2 for d in lines)


def test_ask_text_output_shows_citations(index_dir):
    r = run("ask", "Who was elected Chairman of the Board?", "--index", index_dir, "-k", 2)
    assert r.exit_code == 0
    assert "25 September 2020" in r.stdout and "Election of Chairman" in r.stdout


def test_ask_filters_from_the_command_line(index_dir):
    r = run("ask", "performance", "--index", index_dir, "-k", 5, "--json", "--section", "resolution",
            "--since", "2020-01-01")
    d = json.loads(r.stdout)
    assert d["passages"] and all(p["citation"]["section"] == "resolution" for p in d["passages"])
    assert all(p["citation"]["meeting_date"] >= "2020-01-01" for p in d["passages"])


def test_errors_are_one_line_without_traceback(index_dir, tmp_path):
    for args in [("ask", "", "--index", index_dir), ("ask", "x", "--index", tmp_path / "none"),
                 ("ask", "x", "--index", index_dir, "--since", "yesterday-ish"),
                 ("ask", "x", "--index", index_dir, "--section", "nonsense")]:
        r = CliRunner().invoke(main, [str(a) for a in args])
        assert r.exit_code == 2, (args, r.output)
        assert "Traceback" not in r.output
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("qa: ")


def test_eval_prints_recall_and_mrr(index_dir):
    if not DEV.exists():
        return
    r = run("eval", DEV, "--index", index_dir)
    assert r.exit_code == 0, r.output
    assert "recall@1" in r.stdout and "recall@10" in r.stdout and "MRR@10" in r.stdout


def test_eval_of_only_unanswerable_questions_prints_the_abstention_rate(index_dir, tmp_path):
    f = tmp_path / "none.jsonl"
    f.write_text("\n".join(json.dumps({"question": q, "answers": []})
                           for q in ["best pizza in leicester", "who designed the cathedral"]))
    r = run("eval", f, "--index", index_dir)
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output and "recall@1" not in r.stdout
    import re

    assert re.search(r"abstained on \d+% of unanswerable", r.stdout) and "answerable," in r.stdout


def test_eval_compare_prints_every_ranking(index_dir, tmp_path):
    rows = [json.loads(line) for line in DEV.read_text().splitlines()[:6]] if DEV.exists() else []
    if not rows:
        return
    f = tmp_path / "few.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows))
    r = run("eval", f, "--index", index_dir, "--compare")
    assert r.exit_code == 0, r.output
    for name in ["lexical", "dense", "rrf", "fused", "final"]:
        assert f"| {name}" in r.stdout
