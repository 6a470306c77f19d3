"""The LangChain retriever: LangChain's standard retriever suite, then citations as metadata and filters."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("langchain_core", reason="langchain-core is the optional extra qa[langchain]")

from langchain_core.documents import Document  # noqa: E402
from langchain_tests.integration_tests import RetrieversIntegrationTests  # noqa: E402

from qa.langchain import PanelRetriever  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
# d001 of the dev set: its answer is in the People Zones item of the panel's 24 September 2019 meeting.
QUESTION = "What was the one-off Home Office grant for People Zones to be used for?"
CITATION_KEYS = {"source", "committee", "meeting_date", "item_number", "item_title", "section", "start", "end", "page",
                 "corpus", "page_end"}  # corpus: issue 20; page_end: issue 16


# The suite's test_ainvoke_returns_documents is a bare ``async def``; pyproject sets no asyncio_mode, so
# anyio's pytest plugin (installed with starlette) runs it. It leaves the suite's sync tests alone.
@pytest.mark.anyio
class TestPanelRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's own checks: ``k`` in the constructor and per call, sync and async invoke."""

    @pytest.fixture(autouse=True)
    def _built_index(self, index_dir):
        self._index_dir = index_dir

    @property
    def retriever_constructor(self) -> type[PanelRetriever]:
        return PanelRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"index_dir": self._index_dir, "k": 4}

    @property
    def retriever_query_example(self) -> str:
        return QUESTION


def test_the_example_is_a_dev_question():
    if not DEV.is_file():
        pytest.skip(f"{DEV} is not on this machine")
    questions = [json.loads(line)["question"] for line in DEV.read_text().splitlines() if line.strip()]
    assert QUESTION in questions


def test_metadata_is_the_citation(index_dir, retriever):
    docs = PanelRetriever(index_dir=index_dir, k=3).invoke(QUESTION)
    passages = retriever.search(QUESTION, k=3)
    assert [d.page_content for d in docs] == [p.text for p in passages]
    for doc, passage in zip(docs, passages):
        assert isinstance(doc, Document)
        assert set(doc.metadata) == CITATION_KEYS | {"rank", "score", "matched"}
        assert doc.metadata["matched"] == list(passage.matched)
        assert {k: doc.metadata[k] for k in CITATION_KEYS} == passage.citation.to_dict()
        assert doc.metadata["rank"] == passage.rank
        assert doc.metadata["score"] == pytest.approx(passage.score, abs=1e-6)
        text = (ROOT / "corpus" / doc.metadata["source"]).read_text(encoding="utf-8")
        assert text[doc.metadata["start"]:doc.metadata["end"]] == doc.page_content
    top = docs[0].metadata
    assert (top["source"], top["meeting_date"], top["item_title"]) == (
        "000_e85a23fc583d8396.txt", "2019-09-24", "People Zones")


def test_filters_in_the_constructor_narrow_results(index_dir):
    board = PanelRetriever(index_dir=index_dir, k=10, committee="safer communities").invoke("performance report")
    assert board and all("Safer Communities" in d.metadata["committee"] for d in board)

    window = PanelRetriever(index_dir=index_dir, k=10, since="2020-01-01", until="2020-06-30").invoke("budget")
    assert window and all("2020-01-01" <= d.metadata["meeting_date"] <= "2020-06-30" for d in window)

    resolutions = PanelRetriever(index_dir=index_dir, k=10, section=["resolution"]).invoke("the panel resolved")
    assert resolutions and all(d.metadata["section"] == "resolution" for d in resolutions)

    one = PanelRetriever(index_dir=index_dir, k=10, source="004_d30098c21077ebd9.txt").invoke("police")
    assert one and all(d.metadata["source"] == "004_d30098c21077ebd9.txt" for d in one)


def test_filters_and_k_per_call_override_the_constructor(index_dir):
    r = PanelRetriever(index_dir=index_dir, k=2, committee="police and crime panel")
    assert all("Police and Crime Panel" in d.metadata["committee"] for d in r.invoke("performance"))
    docs = r.invoke("performance", k=6, committee="safer communities")
    assert len(docs) == 6 and all("Safer Communities" in d.metadata["committee"] for d in docs)


def test_bad_filters_are_one_line_errors(index_dir):
    from qa.errors import BadQuery

    with pytest.raises(BadQuery, match="not a date"):
        PanelRetriever(index_dir=index_dir, since="2020-13-45")
    with pytest.raises(BadQuery, match="section"):
        PanelRetriever(index_dir=index_dir, section=["nonsense"])
    with pytest.raises(BadQuery, match="empty"):
        PanelRetriever(index_dir=index_dir).invoke("   ")


def test_qa_imports_without_langchain():
    """``import qa`` never needs the extra; ``import qa.langchain`` without it names the extra to install."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'langchain_core' or name.startswith('langchain_core.'):\n"
        "            raise ImportError('blocked for the test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import qa\n"
        "try:\n"
        "    import qa.langchain\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install qa[langchain]" in out.stdout
