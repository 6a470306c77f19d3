"""Incremental, atomic indexing and bad input (issue 6), on small corpora the tests make themselves."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner

from qa import Retriever
from qa.build import build_index
from qa.cli import main
from qa.config import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def small_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("000", "004"):
        src = next(CORPUS.glob(name + "*"))
        shutil.copy(src, corpus / src.name)
    return corpus


def passages(index_dir):
    r = Retriever.load(index_dir)
    return sorted((p.citation.source, p.citation.start, p.citation.end, p.citation.meeting_date, p.text)
                  for p in r.version.passages)


def test_reindex_after_add_change_delete_equals_a_fresh_build(tmp_path):
    corpus = small_corpus(tmp_path)
    index = tmp_path / "index"
    settings = Settings.from_env(corpus_dir=corpus, index_dir=index)
    first = build_index(settings, progress=False)
    assert first.embedded == first.passages > 0

    again = build_index(settings, progress=False)
    assert again.up_to_date and again.embedded == 0

    # add a file, change one, delete one
    added = next(CORPUS.glob("001*"))
    shutil.copy(added, corpus / added.name)
    changed = corpus / next(CORPUS.glob("000*")).name
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\n32.\n\nAny other business.\n\nMinutes:\n\nNone.\n",
                       encoding="utf-8")
    (corpus / next(CORPUS.glob("004*")).name).unlink()
    update = build_index(settings, progress=False)
    assert sorted(update.changed_files) == sorted([added.name, changed.name])
    assert update.removed_files == [next(CORPUS.glob("004*")).name]
    assert 0 < update.embedded < update.passages + 1

    fresh = tmp_path / "fresh"
    build_index(Settings.from_env(corpus_dir=corpus, index_dir=fresh), rebuild=True, progress=False)
    assert passages(index) == passages(fresh)
    # Vectors carried over equal the ones a fresh build computes.
    import numpy as np

    a, b = Retriever.load(index), Retriever.load(fresh)
    order_a = {(p.citation.source, p.citation.start): i for i, p in enumerate(a.version.passages)}
    for j, p in enumerate(b.version.passages):
        i = order_a[(p.citation.source, p.citation.start)]
        assert np.allclose(a.version.vectors[i], b.version.vectors[j], atol=1e-5)


def make_pdf(path: Path, pages: list[str]):
    import textwrap

    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        lines = [w for para in text.split("\n") for w in (textwrap.wrap(para, 110) or [""])]
        assert len(lines) < 90, "page text too long for the test page"
        page.insert_text((40, 40), "\n".join(lines), fontsize=7)
    doc.save(path)


def test_bad_files_are_skipped_with_one_line_each_and_the_rest_indexed(tmp_path):
    corpus = small_corpus(tmp_path)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "junk.pdf").write_bytes(os.urandom(4096))
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\n")
    (corpus / "cp1252.txt").write_bytes(
        "Minutes of a meeting of the Audit Committee held on 3 March 2020\n\n1. Budget\n\nThe budget of \u00a35,000 was agreed.\n"
        .encode("cp1252"))
    (corpus / "long.txt").write_text("Minutes of a meeting of the Audit Committee held on 4 March 2020\n\n"
                                     + "word " * 20_000)
    outside = tmp_path / "secret.txt"
    outside.write_text("Minutes of a meeting of the Secret Committee held on 1 April 2020\n\n1. Secret\n")
    (corpus / "link.txt").symlink_to(outside)
    r = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    assert r.exit_code == 1, r.output  # some files skipped
    lines = r.stderr.strip().splitlines()
    skipped = {line.split(":")[0].replace("skipped ", "") for line in lines}
    assert skipped == {"empty.txt", "junk.pdf", "broken.pdf", "link.txt"}
    assert all("Traceback" not in line and len(line) < 300 for line in lines)
    retriever = Retriever.load(tmp_path / "index")
    sources = {p.citation.source for p in retriever.version.passages}
    assert {"cp1252.txt", "long.txt"} <= sources and "link.txt" not in sources
    money = retriever.search("budget agreed", k=3, filters=None)
    assert any("£5,000" in p.text for p in money)


def test_pdf_citations_carry_page_numbers(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = next(CORPUS.glob("002*")).read_text(encoding="utf-8")
    minutes = text[text.index("Minutes of a meeting"):text.index("8. Night-time Economy")]
    make_pdf(corpus / "pack.pdf", [minutes[:2500], minutes[2500:5000], minutes[5000:7500]])
    build_index(Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index"), progress=False)
    r = Retriever.load(tmp_path / "index")
    doc_text = r.document_text("pack.pdf")
    pages = r.version.document("pack.pdf")["page_starts"]
    assert len(pages) == 3
    for p in r.version.passages:
        c = p.citation
        assert c.page == sum(1 for s in pages if s <= c.start)
        assert doc_text[c.start:c.end] == p.text
    hit = r.search("CPS Direct telephone service", k=1)[0]
    assert hit.citation.meeting_date == "2019-06-03" and hit.citation.page in (2, 3)


def test_a_previously_indexed_file_that_turns_bad_keeps_its_old_passages(tmp_path):
    corpus = small_corpus(tmp_path)
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, progress=False)
    before = passages(settings.index_dir)
    (corpus / next(CORPUS.glob("004*")).name).write_bytes(b"\x00\x01" * 100)
    report = build_index(settings, progress=False)
    assert report.kept_previous == [next(CORPUS.glob("004*")).name]
    assert passages(settings.index_dir) == before


def test_kill_during_write_leaves_the_previous_index_loadable(tmp_path):
    corpus = small_corpus(tmp_path)
    index = tmp_path / "index"
    build_index(Settings.from_env(corpus_dir=corpus, index_dir=index), progress=False)
    before = passages(index)
    shutil.copy(next(CORPUS.glob("002*")), corpus)  # a larger file: the rebuild takes a while
    env = dict(os.environ, QA_CORPUS_DIR=str(corpus), QA_INDEX_DIR=str(index))
    proc = subprocess.Popen([sys.executable, "-m", "qa", "index", "--rebuild"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill it at a random-ish moment during the work (after start-up, before it can finish).
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if any(p.name.startswith(".tmp-") for p in index.iterdir()):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Whatever moment it died at, readers see a complete index: the old one, or (if it got that far) the new one.
    r = Retriever.load(index)
    assert r.search("People Zones grant", k=1)
    after = passages(index)
    assert after == before or {p[0] for p in after} > {p[0] for p in before}
    # and the next build cleans up and completes
    report = build_index(Settings.from_env(corpus_dir=corpus, index_dir=index), progress=False)
    assert not any(p.name.startswith(".tmp-") for p in index.iterdir())
    assert report.files == 3


def test_interrupted_write_keeps_previous_version(tmp_path, monkeypatch):
    corpus = small_corpus(tmp_path)
    index = tmp_path / "index"
    settings = Settings.from_env(corpus_dir=corpus, index_dir=index)
    build_index(settings, progress=False)
    before = passages(index)
    shutil.copy(next(CORPUS.glob("001*")), corpus)
    import qa.store

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(qa.store, "_write_dense", disk_full)
    from qa.errors import IndexWriteError
    with pytest.raises(IndexWriteError, match="disk is full"):
        build_index(settings, progress=False)
    assert passages(index) == before
    assert not any(p.name.startswith(".tmp-") for p in index.iterdir())


def test_json_report_is_quiet_and_complete(tmp_path):
    corpus = small_corpus(tmp_path)
    r = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(tmp_path / "i"), "--json"])
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["files"] == 2 and d["passages"] > 0 and d["skipped"] == [] and d["meetings"] == 2


def test_renamed_file_reuses_its_embeddings(tmp_path):
    corpus = small_corpus(tmp_path)
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, progress=False)
    before = passages(settings.index_dir)
    name = next(CORPUS.glob("004*")).name
    (corpus / "renamed").mkdir()
    (corpus / name).rename(corpus / "renamed" / name)
    report = build_index(settings, progress=False)
    assert report.embedded == 0 and report.removed_files == [name]
    after = passages(settings.index_dir)
    assert [p[1:] for p in after if p[0] == f"renamed/{name}"] == [p[1:] for p in before if p[0] == name]


def test_a_loaded_index_keeps_working_after_a_rebuild_replaces_it(tmp_path):
    corpus = small_corpus(tmp_path)
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, progress=False)
    old = Retriever.load(settings.index_dir)
    build_index(settings, rebuild=True, progress=False)  # deletes the old version's folder
    name = next(CORPUS.glob("004*")).name
    assert old.document_text(name).startswith("Agenda item")
    assert old.register().decisions is not None


def test_above_the_size_threshold_the_dense_index_is_approximate_and_still_finds_answers(tmp_path):
    corpus = small_corpus(tmp_path)
    exact = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "exact")
    approx = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "approx", ann_threshold=10)
    build_index(exact, progress=False)
    build_index(approx, progress=False)
    a, b = Retriever.load(exact.index_dir), Retriever.load(approx.index_dir)
    assert (a.version.manifest.dense, b.version.manifest.dense) == ("flat", "ivf")
    for q in ["People Zones grant", "101 and 999 call handlers", "Violence Reduction Unit funding"]:
        assert [p.citation for p in a.search(q, k=3)] == [p.citation for p in b.search(q, k=3)]


def test_a_parser_change_reparses_everything(tmp_path, monkeypatch):
    corpus = small_corpus(tmp_path)
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, progress=False)
    import qa.build

    monkeypatch.setattr(qa.build, "PARSER_VERSION", qa.build.PARSER_VERSION + 1)
    report = build_index(settings, progress=False)
    assert not report.up_to_date and report.embedded == report.passages
