"""Integrity of the index (issue 15): incremental equals --rebuild, one build at a time, damage named.

The property test drives the real build (real model, real files) over random sequences of add / change /
rename / delete of small minutes files, building incrementally after every step, then compares the result
with a fresh ``--rebuild`` of the same files: rows, spans, vectors (exactly), sentence rows and vectors,
counts and the top-5 rankings of a few questions.
"""
import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from qa import Retriever
from qa.build import build_index
from qa.cli import main
from qa.config import Settings
from qa.errors import IndexBusy, IndexMismatch

ROOT = Path(__file__).resolve().parent.parent

PARAGRAPHS = [
    "The Panel considered a report of the Police and Crime Commissioner on the 101 telephone service. "
    "Members raised concerns about call waiting times. The PCC said a new system would be in place by March.",
    "The Chief Finance Officer presented the proposed precept for 2019/20. The Panel supported the increase "
    "of 24 pounds for a Band D property. A member asked for the reserves strategy to be circulated.",
    "The Panel received an update on the People Zones grant scheme. Twelve community projects had been "
    "funded. The Commissioner agreed to report back on outcomes at the next meeting.",
    "A member asked about knife crime in the city centre. The Chief Constable explained the violence "
    "reduction network and its funding. The Panel noted the update.",
    "The Panel discussed the complaints review process. Twenty-one reviews had been completed in the "
    "quarter. The Chairman thanked officers for the report.",
    "The minutes of the meeting held on 22 July 2019 were taken as read, confirmed and signed. "
    "There were no declarations of interest.",
]
TITLES = ["Performance report", "Precept 2019/20", "People Zones", "Knife crime", "Complaints", "Minutes"]
QUESTIONS = ["101 call waiting times", "precept Band D increase", "community projects funded"]


def minutes(seed: int) -> str:
    """A small minutes page with one or two items, chosen by ``seed``."""
    day = 1 + seed % 27
    first, second = seed % len(PARAGRAPHS), (seed // 7) % len(PARAGRAPHS)
    parts = [f"Agenda and minutes\n\nLeicester, Leicestershire and Rutland Police and Crime Panel. - "
             f"Tuesday, {day} September 2019 2.00 pm\n\nItems\nNo. Item\n"]
    for n, p in enumerate(dict.fromkeys([first, second]), start=20):
        parts.append(f"\n{n}.\n\n{TITLES[p]}.\n\nMinutes:\n\n{PARAGRAPHS[p]}\n\nRESOLVED:\n\nThat the report be noted.\n")
    return "".join(parts)


def snapshot(index_dir: Path) -> dict:
    r = Retriever.load(index_dir)
    v = r.version
    m = v.manifest
    return {
        "rows": [(p.text, p.citation, p.lexical_text) for p in v.passages],
        "vectors": v.vectors,
        "sentences": [(int(a), int(b), int(p)) for (a, b), p in zip(v.sentence_spans, v.sentence_passage)],
        "sentence_vectors": v.sentence_vectors,
        "counts": (m.passages, m.meetings, m.items, sorted(m.files.items())),
        "rankings": [[(p.citation.source, p.citation.start, p.citation.end) for p in r.search(q, k=5)]
                     for q in QUESTIONS],
    }


def assert_same(a: dict, b: dict) -> None:
    assert a["counts"] == b["counts"]
    assert a["rows"] == b["rows"]
    assert a["vectors"].shape == b["vectors"].shape and np.array_equal(a["vectors"], b["vectors"])
    assert a["sentences"] == b["sentences"]
    assert np.array_equal(a["sentence_vectors"], b["sentence_vectors"])
    assert a["rankings"] == b["rankings"]


NAMES = st.sampled_from(["a.txt", "b.txt", "c.txt", "d.txt", "sub/e.txt"])
OPS = st.lists(st.tuples(st.sampled_from(["add", "change", "rename", "delete"]), NAMES,
                         st.integers(0, 10_000)), min_size=1, max_size=4)


@hsettings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(start=st.lists(st.tuples(NAMES, st.integers(0, 10_000)), min_size=1, max_size=3), ops=OPS)
def test_incremental_builds_equal_a_rebuild_after_any_sequence_of_changes(start, ops):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus"
        (corpus / "sub").mkdir(parents=True)
        for name, seed in start:
            (corpus / name).write_text(minutes(seed), encoding="utf-8")
        live = Settings.from_env(corpus_dir=corpus, index_dir=tmp / "index")
        build_index(live, progress=False)
        for op, name, seed in ops:
            present = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.txt"))
            target = present[seed % len(present)]
            if op == "add":
                (corpus / name).write_text(minutes(seed), encoding="utf-8")
            elif op == "change":
                (corpus / target).write_text(minutes(seed + 1), encoding="utf-8")
            elif op == "rename" and name != target:
                (corpus / target).rename(corpus / name)
            elif op == "delete" and len(present) > 1:
                (corpus / target).unlink()
            build_index(live, progress=False)
        fresh = Settings.from_env(corpus_dir=corpus, index_dir=tmp / "fresh")
        build_index(fresh, rebuild=True, progress=False)
        assert_same(snapshot(live.index_dir), snapshot(fresh.index_dir))


def test_a_text_gets_the_same_vector_whatever_it_is_encoded_with():
    from qa.embed import Embedder

    e = Embedder(Settings.from_env().quantize)
    alone = e.encode_each([PARAGRAPHS[0]])[0]
    among = e.encode_each(PARAGRAPHS[3:] + [PARAGRAPHS[0]] + PARAGRAPHS[1:3])[3]
    assert np.array_equal(alone, among)
    assert np.array_equal(alone, e.encode_query(PARAGRAPHS[0]))


def small(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(2):
        (corpus / f"m{i}.txt").write_text(minutes(i * 3), encoding="utf-8")
    return Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index")


def test_sentences_are_stored_for_every_passage_in_source_offsets(tmp_path):
    s = small(tmp_path)
    build_index(s, progress=False)
    v = Retriever.load(s.index_dir).version
    from qa.answer import sentences

    assert len(v.sentence_spans) == len(v.sentence_vectors) == len(v.sentence_passage) > len(v.passages)
    for i, p in enumerate(v.passages):
        rows = v.passage_sentences(i)
        expected = [(p.citation.start + a, p.citation.start + b) for a, b in sentences(p.text)]
        assert [tuple(map(int, v.sentence_spans[j])) for j in rows] == expected
        text = v.document(p.citation.source)["text"]
        for j in rows:
            a, b = v.sentence_spans[j]
            assert text[a:b] in p.text
            assert abs(float(np.linalg.norm(v.sentence_vectors[j])) - 1) < 1e-4


def test_a_second_build_waits_for_the_lock_then_says_busy_in_one_line(tmp_path):
    s = small(tmp_path)
    build_index(s, progress=False)
    fd = os.open(s.index_dir / ".lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another build holds it
    try:
        t = time.monotonic()
        r = CliRunner().invoke(main, ["index", "--corpus", str(s.corpus_dir), "--index", str(s.index_dir)],
                               env={"QA_LOCK_TIMEOUT": "1"})
        assert time.monotonic() - t >= 1
        assert r.exit_code == 2 and "another qa index is building" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        with pytest.raises(IndexBusy):
            build_index(Settings.from_env(corpus_dir=s.corpus_dir, index_dir=s.index_dir, lock_timeout=0.2))
    finally:
        os.close(fd)
    assert build_index(s, progress=False).up_to_date  # released: the next build goes ahead


def test_a_lock_left_by_a_killed_build_does_not_block(tmp_path):
    s = small(tmp_path)
    s.index_dir.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl,os,sys,time; fd=os.open(sys.argv[1], os.O_RDWR|os.O_CREAT);"
                               "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(600)",
                               str(s.index_dir / ".lock")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    report = build_index(Settings.from_env(corpus_dir=s.corpus_dir, index_dir=s.index_dir, lock_timeout=0),
                         progress=False)
    assert report.files == 2


def test_clean_up_removes_dead_builds_temp_folders_only(tmp_path):
    s = small(tmp_path)
    build_index(s, progress=False)
    dead = s.index_dir / ".tmp-v-20200101-000000-1-1"
    dead.mkdir()
    (dead / "meta.sqlite").write_text("half written")
    alive = s.index_dir / ".tmp-v-20200101-000000-2-2"
    alive.mkdir()
    fd = os.open(alive / ".owner", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a build writing this folder right now
    try:
        (s.corpus_dir / "m2.txt").write_text(minutes(5), encoding="utf-8")
        build_index(s, progress=False)
        assert not dead.exists()
        assert alive.exists()
    finally:
        os.close(fd)
    (s.corpus_dir / "m2.txt").unlink()
    build_index(s, progress=False)
    assert not alive.exists()
    assert [c.name for c in s.index_dir.iterdir() if c.name.startswith("v-")] == [(s.index_dir / "CURRENT").read_text().strip()]


def test_two_simultaneous_builds_leave_a_loadable_index(tmp_path):
    s = small(tmp_path)
    env = dict(os.environ, QA_CORPUS_DIR=str(s.corpus_dir), QA_INDEX_DIR=str(s.index_dir),
               PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-m", "qa", "index", "--json"] + extra, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for extra in ([], ["--rebuild"])]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    reports = [json.loads(o.strip().splitlines()[-1]) for o, _ in outs]
    assert {r["files"] for r in reports} == {2}
    r = Retriever.load(s.index_dir)
    assert r.search("101 call waiting times", k=1)
    assert not [c for c in s.index_dir.iterdir() if c.name.startswith(".tmp-")]


def damage_and_check(s: Settings, damage, expect: str) -> None:
    build_index(s, progress=False)
    version = s.index_dir / (s.index_dir / "CURRENT").read_text().strip()
    damage(version)
    with pytest.raises(IndexMismatch, match=expect) as exc:
        Retriever.load(s.index_dir)
    assert "\n" not in str(exc.value) and "qa index --rebuild" in str(exc.value)
    r = CliRunner().invoke(main, ["ask", "precept", "--index", str(s.index_dir)])
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1 and expect.split()[0] in r.stderr
    r = CliRunner().invoke(main, ["index", "--corpus", str(s.corpus_dir), "--index", str(s.index_dir)])
    assert r.exit_code == 0 and "up to date" not in r.stdout and "index built" in r.stdout
    assert Retriever.load(s.index_dir).search("precept", k=1)


def test_a_format_version_held_as_a_string_is_named_as_damage(tmp_path):
    def damage(version):
        m = json.loads((version / "manifest.json").read_text())
        m["format_version"] = str(m["format_version"])
        (version / "manifest.json").write_text(json.dumps(m))

    damage_and_check(small(tmp_path), damage, "format_version is str")


def test_vectors_of_the_wrong_width_are_named_as_damage(tmp_path):
    def damage(version):
        v = np.load(version / "vectors.npy")
        np.save(version / "vectors.npy", v[:, :100])

    damage_and_check(small(tmp_path), damage, "vectors.npy holds")


# ------------------------------------------------------------------ one-line messages (issue 15, item 4-5)
def index_cli(s: Settings, *extra):
    return CliRunner().invoke(main, ["index", "--corpus", str(s.corpus_dir), "--index", str(s.index_dir), *extra])


def test_a_symlink_loop_is_skipped_in_one_line_and_the_build_goes_on(tmp_path):
    s = small(tmp_path)
    (s.corpus_dir / "loop.txt").symlink_to("loop.txt")
    (s.corpus_dir / "sub").mkdir()
    (s.corpus_dir / "sub" / "up").symlink_to("..")  # a folder loop: sub/up/sub/up/...
    r = index_cli(s)
    assert r.exit_code == 1, r.output
    assert r.stderr.strip() == "skipped loop.txt: a link that loops back to itself; remove it"
    assert "2 files" in r.stdout


def test_a_read_only_or_full_index_folder_is_one_line(tmp_path, monkeypatch):
    import errno

    import qa.store

    s = small(tmp_path)

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(qa.store, "_write_dense", read_only)
    r = index_cli(s)
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        f"qa: {s.index_dir}: cannot write the index: the folder cannot be written (read-only or no permission); "
        "fix its permissions or pass --index DIR; the index there is unchanged"]


def test_a_truncated_pdf_is_named_damaged(tmp_path):
    import pymupdf

    s = small(tmp_path)
    doc = pymupdf.open()
    for i in range(3):
        doc.new_page().insert_text((72, 72), f"Minutes page {i}. The Panel noted the report.")
    data = doc.tobytes()
    (s.corpus_dir / "cut.pdf").write_bytes(data[:200])
    r = index_cli(s)
    assert r.exit_code == 1
    assert r.stderr.strip() == "skipped cut.pdf: damaged or truncated PDF (its end is missing); download or save it again"


def test_control_characters_in_names_and_text_do_not_reach_the_terminal(tmp_path):
    s = small(tmp_path)
    (s.corpus_dir / "bad\nname\x1b[31m.txt").write_bytes(b"\x00\x01" * 50)
    hostile = minutes(4).replace("Twenty-one reviews", "\x1b]0;pwned\x07\x1b[2JTwenty-one reviews")
    (s.corpus_dir / "m1.txt").write_text(hostile, encoding="utf-8")
    r = index_cli(s)
    assert len(r.stderr.strip().splitlines()) == 1 and "\x1b" not in r.stderr
    assert r.stderr.startswith("skipped bad\\nname")
    r = CliRunner().invoke(main, ["ask", "complaints reviews completed in the quarter", "--index", str(s.index_dir)])
    assert r.exit_code == 0 and "Twenty-one reviews" in r.stdout
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout


def test_rebuild_keeps_the_earlier_version_of_a_file_that_turned_bad(tmp_path):
    s = small(tmp_path)
    build_index(s, progress=False)
    before = [(p.text, p.citation) for p in Retriever.load(s.index_dir).version.passages]
    (s.corpus_dir / "m1.txt").write_bytes(b"\x00\x01" * 100)
    report = build_index(s, rebuild=True, progress=False)
    assert report.kept_previous == ["m1.txt"]
    assert [(p.text, p.citation) for p in Retriever.load(s.index_dir).version.passages] == before


def test_a_filter_date_that_is_not_a_date_names_the_field():
    from qa.errors import BadQuery
    from qa.retrieve import Filters

    with pytest.raises(BadQuery, match=r"Filters\.since: 'not a date' is not a date"):
        Filters(since="not a date")
    with pytest.raises(BadQuery, match=r"Filters\.until"):
        Filters(until="2020-13-01")
    assert Filters(since="2020-01-31").since == "2020-01-31"
