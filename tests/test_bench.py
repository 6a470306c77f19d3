"""qa bench produces every figure it promises (no timing is asserted: figures are for the README)."""
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from qa.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_bench_reports_every_figure_at_each_scale(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(next((ROOT / "corpus").glob("004*")), corpus)
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "101 and 999 call handlers"}) + "\n")
    out = tmp_path / "bench.json"
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    r = CliRunner().invoke(main, ["bench", "--scale", "1,2", "--corpus", str(corpus), "--questions", str(questions),
                                  "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    results = json.loads(out.read_text())
    assert [row["scale"] for row in results["scales"]] == [1, 2]
    one, two = results["scales"]
    assert two["passages"] == 2 * one["passages"] > 0
    assert one["embedded"] == one["passages"] and two["embedded"] == 0  # copies re-use embeddings
    for key in ["build_passages_per_s", "build_mb_per_s", "reindex_unchanged_s", "search_median_ms",
                "search_p95_ms", "answer_median_ms", "answer_p95_ms", "cold_start_s", "peak_rss_mb", "index_mb"]:
        assert one[key] > 0, key
    assert one["cold_start_ok"] and one["unchanged_up_to_date"]
    assert results["floor"]["passages"] == one["passages"]
    assert "| 1x |" in r.stdout and "Encoding floor" in r.stdout


def test_bench_rejects_bad_scales():
    r = CliRunner().invoke(main, ["bench", "--scale", "1,x"])
    assert r.exit_code == 2 and "--scale" in r.stderr
