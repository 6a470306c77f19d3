"""The Streamlit front end: qa.chat helpers (unit tests) and app.py driven with streamlit's AppTest.

AppTest runs app.py in this process against the session's tmp index (``QA_INDEX_DIR``), so the loaded
retriever is shared between tests through ``st.cache_resource`` and every test stays quick.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from qa.chat import (
    ALL_COMMITTEES, citation_markdown, decision_rows, describe_filters, escape_markdown, follow_up_filters,
    follow_up_question, highlight_segments, is_follow_up, item_window, merge_filters, plan_question,
    render_answer, render_highlighted, render_item_window, render_passage, request_rows, rows_to_csv,
    sidebar_filters, stats_summary,
)
from qa.records import Answer, AnswerSentence, Citation, Passage
from qa.retrieve import Filters, Retriever

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PANEL = "Leicester, Leicestershire and Rutland Police and Crime Panel"
BOARD = "Leicestershire and Rutland Safer Communities Strategy Board"
PEOPLE_ZONES = "What was the one-off Home Office grant for People Zones to be used for?"
EVIL = '<script>alert(1)</script> and <img src=x onerror=alert(1)> <b>bold</b> [link](http://evil.example) ![i](x.png)'


def dev_questions():
    path = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ================================================================================== qa.chat: rendering
def test_escape_markdown_leaves_no_raw_tag_or_markup():
    md = escape_markdown(EVIL)
    assert "<" not in md and ">" not in md
    assert "&lt;script&gt;" in md and "&lt;img src\\=x onerror\\=alert\\(1\\)&gt;" in md
    assert "[link](" not in md and "![i]" not in md  # no link or image syntax survives
    for raw in ("**x**", "_x_", "`x`", "$x$", "# x", "~~x~~", ":material/home:", ":orange[x]"):
        out = escape_markdown(raw)
        assert out != raw and "\\" in out


def test_escape_markdown_breaks_autolinks_and_icons():
    md = escape_markdown("see www.evil.example or http://evil.example and mail a@b.org :material/home:")
    assert "www." not in md and "http:/" not in md and "a@b" not in md and ":material" not in md
    # What is shown is still the same characters (the joiner is invisible).
    assert "evil" in md


def test_render_highlighted_wraps_sentence_after_escaping():
    text = "RESOLVED:\n\n(a)\tThat the <script>x</script> report be noted.\nNext line."
    s = text.index("That")
    md = render_highlighted(text, [(s, text.index("Next"))])
    assert "<" not in md and ">" not in md
    assert ":orange-background[That the &lt;script&gt;x&lt;/script&gt; report be noted\\.]" in md
    assert "  \n" in md and "\n\n" in md  # lines and paragraphs kept
    assert "Next" in md and ":orange-background[Next" not in md


def test_highlight_crossing_lines_is_closed_and_reopened_per_line():
    text = "first line\nsecond line"
    md = render_highlighted(text, [(6, 17)])
    assert md == "first :orange-background[line]  \n:orange-background[second] line"


def test_highlight_segments_merge_overlaps_and_clip():
    assert highlight_segments("abcdefghij", [(2, 5), (4, 7), (9, 99), (-3, 1)]) == [
        ("a", True), ("b", False), ("cdefg", True), ("hi", False), ("j", True)]
    assert highlight_segments("abc", []) == [("abc", False)]


def _passage(text, rank=1, source="a.txt", start=100, pid=0, **cite):
    c = Citation(source=source, committee=cite.get("committee", PANEL), meeting_date=cite.get("date", "2019-09-24"),
                 item_number=cite.get("item", "27"), item_title=cite.get("title", "People Zones"),
                 section=cite.get("section", "minutes"), start=start, end=start + len(text), page=cite.get("page"))
    return Passage(id=pid, text=text, citation=c, score=1.0, rank=rank)


def test_render_passage_highlights_only_its_own_sentences():
    p1 = _passage("One. The grant was for asset mapping. Three.", rank=1, start=100)
    p2 = _passage("Other text entirely.", rank=2, start=500, source="b.txt")
    s = p1.text.index("The grant")
    e = p1.text.index(" Three")
    ans = Answer(question="q", abstained=False, passages=(p1, p2), text="x [1]",
                 sentences=(AnswerSentence(p1.text[s:e], 1, 100 + s, 100 + e),))
    assert ":orange-background[The grant was for asset mapping\\.]" in render_passage(p1, ans)
    assert "orange-background" not in render_passage(p2, ans)
    assert render_answer(ans) == "The grant was for asset mapping\\. **[1]**"


def test_render_answer_escapes_document_text():
    p = _passage(EVIL)
    ans = Answer(question="q", abstained=False, passages=(p,), text=EVIL + " [1]",
                 sentences=(AnswerSentence(EVIL, 1, 100, 100 + len(EVIL)),))
    md = render_answer(ans)
    assert "<script" not in md and "<img" not in md and md.endswith("**[1]**")


def test_render_register_answer_as_list():
    p1, p2 = _passage("That the <b>report</b> be noted;", rank=1), _passage("That the Ministry attend.", rank=2)
    ans = Answer(question="q", abstained=False, passages=(p1, p2), sentences=(),
                 text="Resolutions recorded about x:\n24 September 2019, Panel (a) [noted]: That the <b>report</b> be noted; [1]\n"
                      "24 September 2019, Panel (b) [requested]: That the Ministry attend. [2]")
    md = render_answer(ans)
    lines = md.splitlines()
    assert lines[0] == "Resolutions recorded about x\\:" and lines[1] == ""
    assert lines[2].startswith("- 24 September 2019") and lines[2].endswith("**[1]**") and "<b>" not in md
    assert lines[3].endswith("be noted\\; **[2]**") is False and lines[3].endswith("**[2]**")
    from qa.chat import cited_ranks, passage_highlights

    assert cited_ranks(ans) == [1, 2]
    assert passage_highlights(p2, ans) == [(0, len(p2.text))]


def test_citation_markdown_uk_date_and_missing_date():
    p = _passage("x", page=4)
    md = citation_markdown(1, p.citation)
    assert md.startswith("**[1]** ") and "24 September 2019" in md and "Item 27" in md and "page 4" in md
    undated = Citation("d.txt", None, None, None, None, "minutes", 0, 1)
    md = citation_markdown(2, undated)
    assert "date not stated" in md and "Committee not stated" in md


# ================================================================================== qa.chat: follow-ups
def _previous(top: Passage, question="What was said about People Zones?", abstained=False, **understood):
    return Answer(question=question, abstained=abstained, passages=(top,), text=None if abstained else "x [1]",
                  understood=understood)


@pytest.mark.parametrize("q", ["and what did they resolve?", "What about the board?", "they agreed what?",
                               "And then?", "what was decided?", "that one"])
def test_is_follow_up_yes(q):
    assert is_follow_up(q)


@pytest.mark.parametrize("q", [PEOPLE_ZONES, "What did the Board resolve about Glen Parva prison?",
                               "What are we still waiting for?", "How many officers are there in Rutland?"])
def test_is_follow_up_no(q):
    assert not is_follow_up(q)


def test_follow_up_resolve_restricts_to_meeting_and_resolutions():
    prev = _previous(_passage("x"))
    f = follow_up_filters("and what did they resolve?", prev)
    assert f == Filters(committee=PANEL, since="2019-09-24", until="2019-09-24", section=("resolution",))
    assert follow_up_question("and what did they resolve?", prev, f) == "and what did they resolve? People Zones"


def test_follow_up_without_decision_keeps_all_sections():
    f = follow_up_filters("and what about the funding?", _previous(_passage("x")))
    assert f == Filters(committee=PANEL, since="2019-09-24", until="2019-09-24")


def test_follow_up_naming_another_body_moves_there():
    prev = _previous(_passage("x"), question="What did the Panel say about 101 call waiting times?",
                     committee_phrase="the Panel")
    f = follow_up_filters("what about the board?", prev)
    assert f == Filters(committee="board")
    q = follow_up_question("what about the board?", prev, f)
    assert "101 call waiting times" in q and "Panel" not in q


def test_follow_up_undated_previous_uses_its_document():
    prev = _previous(_passage("x", source="undated.txt", date=None, committee=None))
    assert follow_up_filters("and what did they decide?", prev) == Filters(source="undated.txt",
                                                                           section=("resolution",))


def test_no_follow_up_for_standalone_or_after_abstention():
    prev = _previous(_passage("x"))
    assert follow_up_filters(PEOPLE_ZONES, prev) is None
    assert follow_up_filters("and what did they resolve?", None) is None
    assert follow_up_filters("and what did they resolve?", _previous(_passage("x"), abstained=True)) is None


def test_plan_merges_sidebar_and_follow_up():
    prev = _previous(_passage("x"))
    plan = plan_question("and what did they resolve?", prev, Filters(since="2019-01-01"))
    assert plan.filters == Filters(committee=PANEL, since="2019-09-24", until="2019-09-24", section=("resolution",))
    assert "24 September 2019" in plan.note and "People Zones" in plan.note
    alone = plan_question(PEOPLE_ZONES, prev, Filters(committee="board"))
    assert alone.filters == Filters(committee="board") and alone.note is None and alone.question == PEOPLE_ZONES


def test_follow_up_on_real_answers(retriever):
    first = retriever.ask(PEOPLE_ZONES)
    assert not first.abstained
    plan = plan_question("and what did they resolve?", first, None)
    second = retriever.ask(plan.question, filters=plan.filters)
    assert not second.abstained
    top = second.passages[0].citation
    assert top.section == "resolution" and top.meeting_date == "2019-09-24" and top.item_title == "People Zones"


def test_merge_and_sidebar_filters():
    assert merge_filters(None, None) is None
    assert merge_filters(Filters(since="2019-01-01", until="2020-01-01"), Filters(since="2019-06-01", until="2021-01-01")) \
        == Filters(since="2019-06-01", until="2020-01-01")
    first, last = "2019-06-03", "2020-09-25"
    assert sidebar_filters(ALL_COMMITTEES, dt.date(2019, 6, 3), dt.date(2020, 9, 25), first, last, False) is None
    f = sidebar_filters(BOARD, dt.date(2020, 1, 1), dt.date(2020, 9, 25), first, last, True)
    assert f == Filters(committee=BOARD, since="2020-01-01", section=("resolution",))
    assert describe_filters(f) == f"{BOARD} · from 1 January 2020 · resolutions only"


# ================================================================================== qa.chat: item window, register
def test_item_window_covers_the_whole_item(retriever):
    p = retriever.ask(PEOPLE_ZONES).passages[0]
    w = item_window(retriever, p)
    doc = retriever.document_text(p.citation.source)
    assert w.text == doc[w.start:w.end]
    assert w.start <= p.citation.start and p.citation.end <= w.end
    assert w.text[w.passage_start:w.passage_end] == p.text
    ids = retriever.item_passages(p.id)
    assert all(retriever.version.passages[i].citation.item_title == "People Zones" for i in ids)
    small = item_window(retriever, p, max_chars=len(p.text) + 100)
    assert small.end - small.start <= len(p.text) + 100 and small.text[small.passage_start:small.passage_end] == p.text
    assert "…" in render_item_window(small, p, None) or (small.start, small.end) == (w.start, w.end)


def test_item_window_for_a_register_record(retriever):
    p = retriever.ask(PEOPLE_ZONES).passages[0]
    c = p.citation
    record = Passage(id=-1, text=p.text[:40], citation=Citation(c.source, c.committee, c.meeting_date, c.item_number,
                     c.item_title, c.section, c.start, c.start + 40), rank=1)
    w = item_window(retriever, record)
    assert w.start <= c.start and w.end >= c.end and w.text[w.passage_start:w.passage_end] == record.text


def test_register_rows_and_csv():
    cite = Citation("m.txt", BOARD, "2020-09-25", "8", "Glen Parva Prison Update", "resolution", 0, 10)
    d = SimpleNamespace(committee=BOARD, meeting_date="2020-09-25", item_number="8", item_title="Glen Parva",
                        clause="(b)", kind="requested", text="=HYPERLINK(\"x\")  That the\nMinistry attend.",
                        citation=cite)
    rows = decision_rows([d])
    assert rows[0]["Date"] == "25 September 2020" and rows[0]["Item"] == "Item 8: Glen Parva Prison Update"
    assert rows[0]["Decision"] == '=HYPERLINK("x") That the Ministry attend.'
    csv_text = rows_to_csv(rows)
    assert "'=HYPERLINK" in csv_text and csv_text.splitlines()[0].startswith("Date,Committee,Item")
    r = SimpleNamespace(committee=BOARD, meeting_date="2020-09-25", item_number="8", item_title="x", text="An update",
                        status="open", delivered_title=None, delivered_date=None, reason="no later item", citation=cite)
    done = SimpleNamespace(**{**r.__dict__, "status": "delivered", "delivered_title": "Update", "delivered_date": "2021-01-29"})
    rr = request_rows([r, done])
    assert rr[0]["Status"] == "Open" and rr[0]["Delivered by"] == ""
    assert rr[1]["Status"] == "Delivered" and rr[1]["Delivered by"] == "Update (29 January 2021)"
    assert rows_to_csv([]) == ""


def test_stats_summary():
    s = {"documents": 5, "meetings": 7, "items": 73, "first_meeting": "2019-06-03", "last_meeting": "2020-09-25"}
    assert stats_summary(s) == "5 documents · 7 meetings · 73 agenda items · 3 June 2019 to 25 September 2020"


# ================================================================================== app.py with AppTest
@pytest.fixture
def app(index_dir, monkeypatch):
    monkeypatch.setenv("QA_INDEX_DIR", str(index_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def ask(at, question):
    at.chat_input(key="chat_input").set_value(question).run()
    assert not at.exception, at.exception
    return at


def headers(at) -> list[str]:
    """The citation header lines ("**[n]** committee · date · item · section")."""
    return [m.value for m in at.markdown if m.value.startswith("**[")]


def all_text(at) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "warning", "error", "info", "success", "text", "title", "subheader"):
        out += [str(getattr(e, "value", "")) for e in at.get(kind)]
    return out


def test_first_load_shows_examples_and_sidebar(app):
    labels = [b.label for b in app.button]
    assert "What did the Panel say about 101 call waiting times?" in labels
    assert "What did the Board resolve about Glen Parva prison?" in labels
    assert app.sidebar.selectbox(key="f_committee").options[0] == ALL_COMMITTEES
    assert BOARD in app.sidebar.selectbox(key="f_committee").options
    assert [d.value for d in app.sidebar.date_input] == [dt.date(2019, 6, 3), dt.date(2020, 9, 25)]
    assert any("5 documents" in c.value for c in app.sidebar.caption)
    assert app.sidebar.toggle(key="f_resolutions").label == "Resolutions only"


def test_answer_shows_citation(app):
    ask(app, PEOPLE_ZONES)
    assert len(app.chat_message) == 2
    hs = headers(app)
    assert hs and "24 September 2019" in hs[0] and "People Zones" in hs[0] and PANEL in hs[0]
    answer = app.chat_message[1].markdown[0].value
    assert "**[1]**" in answer
    highlighted = [m.value for m in app.markdown if "orange-background[" in m.value]
    assert highlighted, "the answering sentence is highlighted in its passage"
    assert app.get("download_button"), "the source document is offered"
    item = next(e for e in app.expander if e.label == "Whole agenda item")
    before = len(app.markdown)
    app.session_state[item.key] = True  # open it: its text is drawn only when open
    app.run()
    assert not app.exception and len(app.markdown) == before + 1
    opened = next(e for e in app.expander if e.key == item.key)
    window = opened.markdown[0].value
    assert window.startswith("27\\.") and "People Zones" in window and "orange-background[" in window
    assert len(window) > len(highlighted[0])


def test_dev_questions_show_their_top_citation(app, retriever):
    """For dev questions, the page shows the meeting date and item of the retriever's top passage."""
    from qa.dates import uk_date

    rows = [r for r in dev_questions() if r.get("meeting_date")][:8]
    checked = 0
    for row in rows:
        answer = retriever.ask(row["question"])
        if answer.abstained or answer.passages[0].citation.meeting_date != row["meeting_date"]:
            continue  # a retrieval miss is the retriever's test, not the page's
        ask(app, row["question"])
        last = [m.value for m in app.chat_message[-1].markdown if m.value.startswith("**[")]
        assert any(uk_date(row["meeting_date"]) in h for h in last), (row["id"], last)
        checked += 1
    assert checked >= 3 or not rows


def test_committee_filter_narrows(app):
    app.sidebar.selectbox(key="f_committee").select(BOARD).run()
    ask(app, "What was said about performance and crime figures?")
    hs = headers(app)
    assert hs and all(BOARD in h for h in hs)


def test_date_and_resolution_filters_narrow(app):
    app.sidebar.date_input(key="f_from").set_value(dt.date(2020, 7, 1)).run()
    app.sidebar.toggle(key="f_resolutions").set_value(True).run()
    ask(app, "What was resolved about the report?")
    hs = headers(app)
    assert hs and all(h.endswith("Resolution") for h in hs)
    assert all("2020" in h for h in hs)


def test_abstention_message(app, retriever):
    q = "How many fixed penalty notices for Covid-19 lockdown breaches did Leicestershire Police issue?"
    if not retriever.ask(q).abstained:
        q = "zxqv blorf"
    ask(app, q)
    assert any("Not found in the panel papers" in w.value for w in app.warning)
    reason = retriever.ask(q).understood.get("abstained_because")
    if reason:  # the check that decided is named, so the user knows what is missing
        assert any(reason[1:] in w.value for w in app.warning)
    assert any(m.value == "**Nearest passages**" for m in app.markdown)
    assert headers(app), "the nearest passages are listed"


def test_follow_up_uses_previous_meeting(app):
    ask(app, PEOPLE_ZONES)
    ask(app, "and what did they resolve?")
    assert len(app.chat_message) == 4
    assert any("Following on from" in c.value for c in app.caption)
    last = [m.value for m in app.chat_message[3].markdown if m.value.startswith("**[")]
    assert last and "Resolution" in last[0] and "24 September 2019" in last[0]


def test_example_button_asks_it(app):
    app.button(key="example-1").click().run()
    assert not app.exception
    assert len(app.chat_message) == 2
    assert any("Glen Parva" in h for h in headers(app))


def test_new_chat_clears_history(app):
    ask(app, PEOPLE_ZONES)
    assert len(app.chat_message) == 2
    app.button(key="new_chat").click().run()
    assert not app.exception
    assert len(app.chat_message) == 0
    assert app.session_state["messages"] == []
    assert any(b.key == "example-0" for b in app.button)


def test_document_html_renders_as_text(app, monkeypatch):
    evil = _passage(EVIL, source="evil.txt", start=0, pid=0)
    evil_answer = Answer(question="q", abstained=False, passages=(evil,), text=EVIL + " [1]",
                         sentences=(AnswerSentence(EVIL, 1, 0, len(EVIL)),))
    monkeypatch.setattr(Retriever, "ask", lambda self, question, k=None, filters=None: evil_answer)
    ask(app, "what does <script>alert('you')</script> say?")
    texts = all_text(app)
    joined = "\n".join(texts)
    # The document's tags are left out of what is shown (qa.display); its words are shown as text.
    assert "alert\\(1\\) and bold link i **[1]**" in joined
    assert "onerror" not in joined and "script&gt;" not in joined.split("say?")[-1]
    for t in texts:
        assert "<script" not in t.lower() and "<img" not in t.lower() and "<b>" not in t.lower(), t
        assert "](" not in t.replace("\\](", "").replace("\\]\\(", "")


def test_errors_become_messages(app, monkeypatch):
    from qa.errors import BadQuery

    def broken(self, question, k=None, filters=None):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(Retriever, "ask", broken)
    ask(app, "anything")
    assert not app.exception
    errors = [e.value for e in app.error]
    assert errors and "Something went wrong" in errors[0] and "secret" not in " ".join(all_text(app))

    def bad(self, question, k=None, filters=None):
        raise BadQuery("question: empty; type a question about the panel papers")

    monkeypatch.setattr(Retriever, "ask", bad)
    ask(app, "again")
    assert any("type a question about the panel papers" in e.value for e in app.error)


def test_register_answer_in_chat(app, retriever):
    ask(app, "What are we still waiting for?")
    answer = app.chat_message[1].markdown[0].value
    if "register" not in retriever.ask("What are we still waiting for?").understood:
        pytest.skip("this retriever does not answer from the register")
    assert answer.splitlines()[0].startswith("Requests") and "\n- " in answer and "**[1]**" in answer
    assert any("decisions register" in c.value for c in app.caption)
    assert any("more source" in e.label for e in app.expander), "long lists keep only five cards open"


def test_decisions_page_loads(app):
    app.switch_page("pages/2_Decisions.py").run()
    assert not app.exception
    assert app.title[0].value == "Decisions"
    if any("not available" in i.value for i in app.info):
        return  # qa.decisions not there yet: a message, not a crash
    tables = app.table
    assert tables, "the decisions table"
    decisions = tables[0].value
    # st.table: every cell wraps in full (no committee name or decision is cut)
    assert list(decisions.columns)[1:7] == ["Date", "Committee", "Item", "Clause", "Kind", "Decision"]
    assert any(b.label == "Download CSV" for b in app.get("download_button"))
    assert any(s.value.startswith("Still waiting for") for s in app.subheader)
    assert PANEL in set(decisions["Committee"]), "full committee names"
    for text in decisions["Decision"]:
        for bad in ("**", "<p>", "<sup>", "####"):
            assert bad not in text
    app.text_input(key="d_query").set_value("Glen Parva").run()
    assert not app.exception
    narrowed = app.table[0].value
    assert 0 < len(narrowed) < len(decisions)
    assert all("Glen Parva" in f"{r.Item} {r.Decision}" for r in narrowed.itertuples())
    app.selectbox(key="d_committee").select(BOARD).run()
    assert all(c == BOARD for c in app.table[0].value["Committee"])
    app.selectbox(key="decisions_row").select(0).run()
    assert not app.exception
    assert any(m.value.startswith(escape_markdown(BOARD)) for m in app.markdown), "the chosen row's source"


def test_decisions_date_filter(app):
    app.switch_page("pages/2_Decisions.py").run()
    if not app.table:
        pytest.skip("no decisions register")
    every = len(app.table[0].value)
    app.date_input(key="d_dates").set_value((dt.date(2020, 9, 1), dt.date(2020, 9, 25))).run()
    assert not app.exception
    dates = set(app.table[0].value["Date"])
    assert dates == {"25 September 2020"} and len(app.table[0].value) < every


# ---------------------------------------------------------------------------------- no index, then build it
def test_damaged_index_offers_rebuild(tmp_path, monkeypatch):
    (tmp_path / "manifest.json").write_text("{not json")
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("needs rebuilding" in w.value for w in at.warning)
    assert at.button(key="build_index").label == "Rebuild the index"
    assert any("qa index \\-\\-rebuild" in c.value for c in at.caption), [c.value for c in at.caption]



EVIL_DOC = """Agenda and minutes

Test Scrutiny Board - Monday, 2 March 2020 10.00 am

Items
No. Item

1.

Drone Surveillance Pilot.

Minutes:

The Board considered a report on the drone surveillance pilot. <script>alert(1)</script> The drone surveillance pilot flew 42 missions over the reservoir. <img src=x onerror=alert(1)> **bold** [link](http://evil.example)

RESOLVED:

That the drone surveillance pilot report be noted.
"""


def test_no_index_offers_build_then_answers(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.txt").write_text(EVIL_DOC)
    shutil.copy(ROOT / "corpus" / "004_d30098c21077ebd9.txt", corpus / "004.txt")
    index = tmp_path / "empty-index"
    index.mkdir()
    monkeypatch.setenv("QA_INDEX_DIR", str(index))
    monkeypatch.setenv("QA_CORPUS_DIR", str(corpus))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    assert any("No index yet" in i.value for i in at.info)
    assert not at.chat_input, "no chat until there is an index"
    at.button(key="build_index").click().run()
    assert not at.exception, at.exception
    assert any("Index built" in s.value for s in at.success)
    assert at.chat_input
    ask(at, "How many missions did the drone surveillance pilot fly?")
    texts = all_text(at)
    assert any("42 missions" in t for t in texts)
    # the document's tags are left out of what is shown, never run; the words around them are shown
    assert not any("&lt;script&gt;" in t or "onerror" in t for t in texts)
    for t in texts:
        assert "<script" not in t.lower() and "<img" not in t.lower(), t


def test_the_note_says_which_typed_words_were_read_as_the_papers_words(retriever):
    from qa.chat import understood_note

    note = understood_note(retriever.ask("violance reduction network funding"))
    assert note is not None and "“violance” as “violence”" in note
    assert understood_note(retriever.ask("violence reduction network funding")) is None


# ================================================================================== qa.display (issue 18)
MARKUP = ("<sup>", "</p>", "<p>", "####", "**", "pdf icon", "NOT PROTECTIVELY MARKED", "View directions")


def _doc(name):
    return (ROOT / "corpus" / name).read_text(encoding="utf-8")


def test_display_removes_markup_and_furniture_from_real_spans():
    from qa.display import to_markdown, to_plain

    doc = _doc("003_fd0ddd173e8c1014.txt")
    i = doc.index("Date of next meeting noted on Tuesday 28<sup>th</sup> July 2020")
    span = doc[i - 300:i + 900]
    plain = to_plain(span, doc)
    assert "Date of next meeting noted on Tuesday 28th July 2020 at 1pm." in plain
    assert "12. DATE OF NEXT MEETING" in plain
    for bad in MARKUP:
        assert bad not in plain, bad
    md = to_markdown(span, [(300, 360)], doc)
    assert ":orange-background[Date of next meeting noted on Tuesday 28th July" in md
    assert "**12\\. DATE OF NEXT MEETING**" in md  # a heading is shown bold, its own ** are not
    assert "<sup>" not in md and "####" not in md and "&lt;" not in md
    moderngov = _doc("000_e85a23fc583d8396.txt")
    plain = to_plain(moderngov[:2000], moderngov)
    assert "Minutes of the previous meeting." in plain and "pdf icon" not in plain
    assert "View directions" not in plain and "Webcast" not in plain


def test_display_shows_tables_as_tables():
    from qa.display import blocks, to_markdown, to_plain

    doc = _doc("003_fd0ddd173e8c1014.txt")
    i = doc.index("<p>1.4</p>\t<p>Number of 101 Calls</p>")
    span = doc[doc.rindex("\n", 0, i - 2) + 1:doc.index("\n", i)]
    kinds = [b.kind for b in blocks(span, doc)]
    assert kinds == ["table"], kinds
    md = to_markdown(span, (), doc)
    assert md.startswith("| 1\\.3 | 999 Abandonment Rate |") and "\n|---|---|---|---|\n" in md
    assert "<p>" not in to_plain(span, doc) and "1.4 · Number of 101 Calls · 53987 34809 15632" in to_plain(span, doc)


def test_display_highlight_follows_source_offsets():
    from qa.display import to_markdown

    text = "#### **Title**\n\nThe <b>grant</b> was for asset mapping. Next."
    s = text.index("The")
    e = text.index(" Next")
    md = to_markdown(text, [(s, e)])
    assert md == "**Title**\n\n:orange-background[The grant was for asset mapping\\.] Next\\."


def test_display_html_is_sanitised():
    from qa.display import to_html

    out = to_html(EVIL + "\n\nsecond <sup>th</sup>", [(8, 16)])
    assert "<script" not in out and "<img" not in out and "onerror" not in out and "<b>" not in out
    assert out.startswith('<p><mark class="hit" id="hit">') and "second th" in out


def test_add_display_keeps_verbatim_text(retriever):
    from qa.display import add_display

    answer = retriever.ask("when is the next meeting")
    out = add_display(answer.to_dict(), retriever.document_text)
    for p in out["passages"]:
        c = p["citation"]
        assert p["text"] == retriever.document_text(c["source"])[c["start"]:c["end"]]
        for bad in MARKUP:
            assert bad not in p["display"], (bad, p["display"][:200])
    if out["answer"]:
        assert "<sup>" not in out["answer"]["display"]
        for s in out["answer"]["sentences"]:
            assert "display" in s and "<sup>" not in s["display"]


def test_cli_answer_is_shown_without_markup(index_dir):
    from click.testing import CliRunner

    from qa.cli import main

    for q in ("when is the next meeting", "Glen Parva prison update"):
        res = CliRunner().invoke(main, ["ask", q, "--index", str(index_dir)])
        assert res.exit_code == 0, res.output
        for bad in MARKUP:
            assert bad not in res.output, (q, bad)


# ================================================================================== titles (issue 18)
def test_every_document_gets_a_title(retriever):
    titles = {s: retriever.document_title(s) for s in retriever.stats()["sources"]}
    assert titles == {
        "000_e85a23fc583d8396.txt": "Police and Crime Panel — agenda and minutes, 24 September 2019",
        "001_baf9c119efd77f50.txt": "Safer Communities Strategy Board — agenda and minutes, 25 September 2020",
        "002_0b70346ca75db3bf.txt": "Police and Crime Panel — agenda pack, 22 July 2019",
        "003_fd0ddd173e8c1014.txt": "Police and Crime Panel — agenda pack, 28 July 2020",
        "004_d30098c21077ebd9.txt": "Agenda item — Performance Report - Quarter 1",
    }
    assert retriever.document_title("not-indexed.txt") == "not-indexed.txt"


def test_short_body_only_when_unambiguous():
    from qa.titles import short_body

    assert short_body(PANEL) == "Police and Crime Panel"
    assert short_body("Police and Crime Panel") == "Police and Crime Panel"
    other = "Derby, Derbyshire and Peak Police and Crime Panel"
    assert short_body(PANEL, [PANEL, other]) == PANEL  # two panels: keep the places


def test_cards_name_documents_by_title_and_link_the_source(app):
    ask(app, PEOPLE_ZONES)
    captions = [c.value for c in app.chat_message[1].caption]
    assert "Police and Crime Panel — agenda and minutes, 24 September 2019" in captions
    assert not any("000_e85a23fc583d8396" in c for c in captions), "the file name is in the details only"
    links = [link for link in app.get("page_link") if link.proto.label == "Open the source"]
    assert links, "each card opens its source"
    sidebar = [t.value for t in app.sidebar.text]
    assert "Police and Crime Panel — agenda pack, 22 July 2019" in sidebar


# ================================================================================== chat habits (issue 18)
def test_follow_up_with_nothing_relevant_in_the_earlier_item_abstains(retriever):
    from qa.chat import answer_turn

    first = retriever.ask(PEOPLE_ZONES)
    plan, answer = answer_turn(retriever, "what about the drones?", first, None)
    assert answer.abstained, answer.text
    assert "does not mention drones" in answer.understood["abstained_because"]
    # a follow-up the earlier item does speak to is still answered from it
    plan, answer = answer_turn(retriever, "and what did they resolve?", first, None)
    assert not answer.abstained and "People Zones" in plan.note
    # one the earlier item does not speak to, but the papers do, is answered on its own
    plan, answer = answer_turn(retriever, "what about the budget for knife crime?", first, None)
    assert not answer.abstained and plan.note is None
    assert "knife crime" in answer.text.lower()


def test_conversation_export_has_citations(retriever):
    from qa.chat import conversation_markdown

    turns = [{"question": PEOPLE_ZONES, "answer": retriever.ask(PEOPLE_ZONES), "error": None},
             {"question": "what is the price of fish on the moon?",
              "answer": retriever.ask("what is the price of fish on the moon?"), "error": None}]
    md = conversation_markdown(turns, retriever.document_title)
    assert md.startswith("# Panel papers: conversation")
    assert f"## {PEOPLE_ZONES}" in md and "[1]" in md
    assert "[1] Police and Crime Panel — agenda and minutes, 24 September 2019 · " in md
    assert "000_e85a23fc583d8396.txt [" in md and "24 September 2019" in md
    assert "pdf icon" not in md and "<p>" not in md


def test_export_button_in_chat(app):
    ask(app, PEOPLE_ZONES)
    export = next(b for b in app.get("download_button") if b.proto.label == "Export")
    assert export.proto.label == "Export"


def test_feedback_is_stored_and_exported_as_csv(tmp_path):
    from qa.feedback import FeedbackStore, Vote

    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.add(Vote("s-1", "q?", "answer [1]", "[1] title (a.txt)", "v1", 1, ""))
    store.add(Vote("s-2", "q2?", "=HYPERLINK(1)", "", "v1", -1, "wrong meeting"))
    store.add(Vote("s-1", "q?", "answer [1]", "[1] title (a.txt)", "v1", -1, "changed my mind"))  # replaces
    rows = store.rows()
    assert [(r["question"], r["rating"], r["comment"]) for r in rows] == [
        ("q2?", -1, "wrong meeting"), ("q?", -1, "changed my mind")] or len(rows) == 2
    csv_text = store.to_csv()
    assert csv_text.splitlines()[0] == "at,question,answer,sources,index_version,rating,comment"
    assert "'=HYPERLINK(1)" in csv_text and "changed my mind" in csv_text
    with pytest.raises(ValueError):
        store.add(Vote("s-3", "q", "a", "", "v1", 5))


def test_thumbs_in_chat_store_a_vote(app, index_dir):
    from qa.feedback import FeedbackStore, feedback_path
    from qa.config import Settings

    path = feedback_path(Settings.from_env(index_dir=index_dir))
    before = len(FeedbackStore(path).rows())
    ask(app, PEOPLE_ZONES)
    app.session_state["fb-1"] = 1  # thumbs up
    app.get("feedback")[0].set_value(1).run() if hasattr(app.get("feedback")[0], "set_value") else app.run()
    rows = FeedbackStore(path).rows()
    if len(rows) == before:  # AppTest without feedback widget support: store through the page's callback
        pytest.skip("this streamlit's AppTest cannot click st.feedback")
    assert rows[-1]["question"] == PEOPLE_ZONES and rows[-1]["rating"] == 1


# ================================================================================== source view (issue 18)
def make_pdf(path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_textbox(pymupdf.Rect(50, 50, 550, 800), (
        "Minutes of a meeting of the Rutland Drone Oversight Committee\n"
        "held on Tuesday, 9 March 2021 at 10.00 am\n\n1. Drone unit annual report\n\n"
        "The Committee considered a report on the drone unit. The drone unit flew 412 missions across the county "
        "during the year, of which 37 were searches for missing people.\n\nRESOLVED: That the report be noted.\n"),
        fontsize=11)
    doc.new_page().insert_textbox(pymupdf.Rect(50, 50, 550, 800), (
        "2. Date of next meeting\n\nThe next meeting of the Committee will be held on 8 June 2021 in the Council "
        "Chamber at Oakham Castle.\n"), fontsize=11)
    doc.save(path)


@pytest.fixture(scope="module")
def pdf_site(tmp_path_factory):
    """A small corpus (one generated PDF, one text paper) and its index, for the source and Documents pages."""
    from qa.build import build_index
    from qa.config import Settings

    root = tmp_path_factory.mktemp("pdfsite")
    corpus = root / "corpus"
    corpus.mkdir()
    make_pdf(corpus / "drone-minutes.pdf")
    shutil.copy(ROOT / "corpus" / "004_d30098c21077ebd9.txt", corpus / "004.txt")
    settings = Settings.from_env(corpus_dir=corpus, index_dir=root / "index", staff_password="s3cret")
    build_index(settings, progress=False)
    return settings


def test_pdf_citation_page_is_rendered_with_the_words_highlighted(pdf_site):
    from qa.documents import shared_retriever
    from qa.source_view import render_pdf_pages
    from qa.store import version_key

    r = shared_retriever(str(pdf_site.index_dir), version_key(pdf_site.index_dir))
    answer = r.ask("How many missions did the drone unit fly?")
    assert not answer.abstained and "412 missions" in answer.text
    s = answer.sentences[0]
    stored = r.version.document("drone-minutes.pdf")
    pages = render_pdf_pages(pdf_site.corpus_dir / "drone-minutes.pdf", stored["text"], stored["page_starts"],
                             [(s.start, s.end)])
    assert [p.number for p in pages] == [1]
    assert pages[0].highlighted >= 10 and pages[0].png.startswith(b"\x89PNG")
    assert r.document_title("drone-minutes.pdf") == "Rutland Drone Oversight Committee — minutes, 9 March 2021"


def test_match_words_finds_the_cited_run_not_an_earlier_word():
    from qa.source_view import match_words

    page = "The Committee considered a report . The drone unit flew 412 missions".split()
    assert match_words(page, "The drone unit flew 412 missions".split()) == list(range(6, 12))
    assert match_words(page, "nothing like it here".split()) == []


def _source_app(settings, monkeypatch, **params):
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_CORPUS_DIR", str(settings.corpus_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/3_Source.py")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_source_page_shows_pdf_page_and_original(pdf_site, monkeypatch):
    from qa.documents import shared_retriever
    from qa.store import version_key

    r = shared_retriever(str(pdf_site.index_dir), version_key(pdf_site.index_dir))
    text = r.document_text("drone-minutes.pdf")
    s = text.index("The drone unit flew")
    at = _source_app(pdf_site, monkeypatch, source="drone-minutes.pdf", start=str(s), end=str(s + 100))
    assert at.title[0].value == "Rutland Drone Oversight Committee — minutes, 9 March 2021"
    kinds = {type(e).__name__ + ":" + str(getattr(e, "type", "")) for e in at.main}
    assert any("img" in k.lower() or "image" in k.lower() for k in kinds) or at.get("imgs") or at.get("image"), kinds
    dl = next(b for b in at.get("download_button") if b.proto.label.startswith("Download the original"))
    assert dl.proto.label == "Download the original (PDF)"


def test_source_page_text_document_and_unknown_source(app, monkeypatch, index_dir):
    from qa.config import Settings

    settings = Settings.from_env(index_dir=index_dir)
    at = _source_app(settings, monkeypatch, source="003_fd0ddd173e8c1014.txt", start="1000", end="1200")
    assert at.title[0].value == "Police and Crime Panel — agenda pack, 28 July 2020"
    frames = at.get("iframe")
    assert frames, "the document's text, in a frame that scrolls to the span"
    at = _source_app(settings, monkeypatch, source="../etc/passwd", start="0", end="10")
    assert any("not in the index" in i.value for i in at.info)


# ================================================================================== Documents page (issue 18)
def test_upload_refuses_junk_and_changes_nothing(pdf_site, tmp_path):
    from qa.documents import save_upload
    from qa.errors import UnreadableDocument

    before = sorted(p.name for p in pdf_site.corpus_dir.iterdir())
    for name, data, reason in [("junk.pdf", b"\x00\x01 not a pdf at all" * 50, ""),
                               ("tool.exe", b"MZ\x90\x00", ".exe files are not taken"),
                               ("empty.txt", b"   \n", ""),
                               # text named .pdf: the extractor (by content) would index it, the upload refuses
                               ("notes.pdf", b"Minutes of the meeting held on 1 May 2021. " * 20,
                                "is not a PDF but plain text")]:
        with pytest.raises(UnreadableDocument) as info:
            save_upload(pdf_site, name, data)
        assert str(info.value).startswith(name + ": ") and reason in str(info.value)
    assert sorted(p.name for p in pdf_site.corpus_dir.iterdir()) == before


def test_upload_makes_a_paper_answerable_without_restart(pdf_site):
    from qa.documents import rebuild, remove_document, save_upload, shared_retriever
    from qa.store import version_key

    question = "How many horses does the mounted section have?"
    text = ("Minutes of the Rutland Mounted Section Board held on 3 May 2021\n\n1. Mounted section\n\n"
            "The mounted section has 14 horses stabled at Oakham.\n")
    old = version_key(pdf_site.index_dir)
    assert save_upload(pdf_site, "mounted section.txt", text.encode()) == "mounted section.txt"
    stages = []
    report = rebuild(pdf_site, lambda stage, fraction: stages.append((stage, fraction)))
    assert report.embedded > 0 and stages and all(0 <= f <= 1 for _, f in stages)
    new = version_key(pdf_site.index_dir)
    assert new != old
    answer = shared_retriever(str(pdf_site.index_dir), new).ask(question)
    assert not answer.abstained and "14 horses" in answer.text
    remove_document(pdf_site, "mounted section.txt")
    rebuild(pdf_site)
    gone = shared_retriever(str(pdf_site.index_dir), version_key(pdf_site.index_dir))
    assert "mounted section.txt" not in gone.stats()["sources"]


def test_documents_page_lists_and_needs_staff(pdf_site, monkeypatch):
    monkeypatch.setenv("QA_INDEX_DIR", str(pdf_site.index_dir))
    monkeypatch.setenv("QA_CORPUS_DIR", str(pdf_site.corpus_dir))
    monkeypatch.delenv("QA_STAFF_PASSWORD", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/4_Documents.py").run()
    assert not at.exception
    rows = at.dataframe[0].value
    assert "Rutland Drone Oversight Committee — minutes, 9 March 2021" in set(rows["Title"])
    assert set(rows["File"]) >= {"drone-minutes.pdf", "004.txt"}
    labels = [e.label for e in at.expander]
    assert any("Rutland Drone Oversight Committee" in lab for lab in labels)
    assert any("QA_STAFF_PASSWORD" in c.value for c in at.caption), "no password set: changes are off"
    assert not at.get("file_uploader")
    monkeypatch.setenv("QA_STAFF_PASSWORD", "s3cret")
    at.run()
    # Typed, then "Sign in" clicked (a value set inside a form counts only when the form is submitted).
    at.text_input(key="staff_password").set_value("wrong")
    [b for b in at.button if b.label == "Sign in"][0].click().run()
    assert any("not the staff password" in e.value for e in at.error)
    assert not at.get("file_uploader"), "a wrong password shows no upload"
    at.text_input(key="staff_password").set_value("s3cret")
    [b for b in at.button if b.label == "Sign in"][0].click().run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == "Sign in"], "signed in: the form is gone"
    assert at.get("file_uploader"), "signed in as staff: upload is offered"
    assert [b for b in at.button if b.label == "Add and rebuild"]
    assert not any("not the staff password" in e.value for e in at.error)
    [b for b in at.button if b.label == "Sign out"][0].click().run()
    assert not at.get("file_uploader") and [b for b in at.button if b.label == "Sign in"]
