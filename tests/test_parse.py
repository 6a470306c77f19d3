"""Parser tests on the shipped documents and on layouts the tests write themselves."""
from pathlib import Path

import pytest

from qa.parse import parse_text, tidy_committee

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
PANEL = "Leicester, Leicestershire and Rutland Police and Crime Panel"
BOARD = "Leicestershire and Rutland Safer Communities Strategy Board"


def parse(name: str):
    path = next(CORPUS.glob(name + "*"))
    return parse_text(path.name, path.read_text(encoding="utf-8"))


def items(doc, date=None, kinds=None):
    """[(number, title)] of a document's items in order, optionally for one meeting date / section kinds."""
    out = []
    for s in doc.sections:
        if date is not None and s.item.meeting.date != date:
            continue
        if kinds is not None and s.kind not in kinds:
            continue
        key = (s.item.number, s.item.title)
        if s.item.number is not None and key not in out:
            out.append(key)
    return out


def test_minutes_page_of_the_panel_has_every_item_with_its_title_and_date():
    doc = parse("000")
    assert {m.date for m in doc.meetings()} == {"2019-09-24"}
    assert {m.committee for m in doc.meetings()} == {PANEL}
    assert items(doc) == [
        ("20", "Minutes of the previous meeting"),
        ("21", "Public Question Time"),
        ("22", "Urgent items"),
        ("23", "Declarations of interest"),
        ("24", "Police and Crime Commissioner's Annual Report 2018/19"),
        ("25", "Leicestershire Police Performance Report - 2019/20 Quarter1"),
        ("26", "Office of the Police and Crime Commissioner Performance Report - 2019/20 Quarter 1"),
        ("27", "People Zones"),
        ("28", "Violence Reduction Unit"),
        ("29", "Modern Slavery and Human Trafficking"),
        ("30", "Review of Leicester, Leicestershire and Rutland Police and Crime Panel Constitution"),
        ("31", "Date of next meeting"),
    ]


def test_minutes_page_of_the_board_has_every_item_with_its_title_and_date():
    doc = parse("001")
    assert {(m.committee, m.date) for m in doc.meetings()} == {(BOARD, "2020-09-25")}
    numbers = [n for n, _ in items(doc)]
    assert numbers == [str(i) for i in range(1, 17)]
    titles = dict(items(doc))
    assert titles["1"] == "Election of Chairman"
    assert titles["8"] == "Glen Parva Prison Update - Ministry of Justice"
    assert titles["9"] == "LSCSB Performance 2020-21 Q1 report"
    assert titles["12"] == "Partner Update - Leicestershire Fire and Rescue Service"
    assert titles["16"] == "County Lines - Operational Learning"


def test_page_sections_split_agenda_minutes_and_resolution():
    doc = parse("001")
    item8 = [s for s in doc.sections if s.item.number == "8"]
    kinds = [s.kind for s in item8]
    assert kinds[0] == "agenda" and "minutes" in kinds and kinds[-1] == "resolution"
    resolution = next(s for s in item8 if s.kind == "resolution")
    text = doc.text[resolution.start:resolution.end]
    assert text.startswith("RESOLVED:")
    assert "(b)" in text and "Ministry of Justice be requested to attend" in text


def test_reprinted_minutes_in_the_july_2019_pack_keep_their_own_date():
    doc = parse("002")
    june = items(doc, "2019-06-03")
    assert [n for n, _ in june] == [str(i) for i in range(1, 12)]
    assert dict(june)["7"].startswith("HMICFRS Report")
    assert dict(june)["11"] == "Dates of future meetings"
    # The pack's own agenda is for 22 July 2019.
    assert [n for n, _ in items(doc, "2019-07-22", {"agenda"})] == [str(i) for i in range(1, 10)]


def test_reports_in_the_july_2019_pack_belong_to_the_pack_meeting_and_item():
    doc = parse("002")
    reports = items(doc, "2019-07-22", {"report", "appendix"})
    assert reports == [("6", "Annual Performance Report"), ("7", "Regional Collaboration")]
    dvpo = doc.text.index("138 Domestic Violence Prevention Orders")
    section = next(s for s in doc.sections if s.start <= dvpo < s.end)
    assert (section.item.meeting.date, section.item.number) == ("2019-07-22", "6")
    assert section.kind in {"report", "appendix"}


def test_reprinted_minutes_in_the_july_2020_pack_keep_their_own_date():
    doc = parse("003")
    june = dict(items(doc, "2020-06-15"))
    assert list(june) == [str(i) for i in range(1, 13)]
    assert june["2"] == "MINUTES OF THE PREVIOUS MEETING HELD 20 FEBRUARY 2020"
    assert june["10"].startswith("OVERVIEW OF THE CHILD CRIMINAL EXPLOITATION")
    # Numbered resolution clauses are not agenda items.
    clause = doc.text.index("That if required a letter on behalf of the Police and Crime Panel")
    section = next(s for s in doc.sections if s.start <= clause < s.end)
    assert (section.item.number, section.kind, section.item.meeting.date) == ("6", "resolution", "2020-06-15")


def test_reports_in_the_july_2020_pack_belong_to_the_pack_meeting_and_item():
    doc = parse("003")
    reports = [n for n, _ in items(doc, "2020-07-28", {"report", "appendix"})]
    assert reports == ["7", "8", "9", "10"]
    for needle, item in [("Cardiff Model", "9"), ("banned from driving for 18 months", "10"),
                         ("Dear Albert", "8"), ("£364,000", "9")]:
        at = doc.text.index(needle)
        section = next(s for s in doc.sections if s.start <= at < s.end)
        assert (section.item.meeting.date, section.item.number) == ("2020-07-28", item), needle


def test_agenda_item_page_without_a_date_has_a_null_date():
    doc = parse("004")
    assert {m.date for m in doc.meetings()} == {None}
    titles = {s.item.title for s in doc.sections}
    assert titles == {"Performance Report - Quarter 1"}
    assert any(s.kind == "resolution" for s in doc.sections)


@pytest.mark.parametrize("name", ["000", "001", "002", "003", "004"])
def test_sections_are_ordered_disjoint_spans_of_the_text(name):
    doc = parse(name)
    last_end = 0
    for s in doc.sections:
        assert last_end <= s.start < s.end <= len(doc.text)
        assert doc.text[s.start:s.end].strip()
        last_end = s.end


def test_minutes_of_another_council_with_minute_numbers():
    text = (
        "TINTERN COMMUNITY COUNCIL\n\n"
        "Minutes of a meeting of the Anytown Community Council held on Monday 24th June 2019 at 7.00pm\n"
        "in the Village Hall.\n\n"
        "Present: Cllr A (Chair), Cllr B\n\n"
        "2709. Police Report: Attached. Farm break-ins still occurring.\n\n"
        "2710. Planning Permissions:-\n"
        "DM/2019/00123 Extension at Mill Cottage. No objection.\n\n"
        "It was RESOLVED that:\n"
        "1. the application be supported;\n"
        "2. the clerk writes to the county council.\n\n"
        "2711. Date of next meeting: 29th July 2019.\n"
    )
    doc = parse_text("x.txt", text)
    assert {m.date for m in doc.meetings()} == {"2019-06-24"}
    assert {m.committee for m in doc.meetings()} == {"Anytown Community Council"}
    assert items(doc) == [("2709", "Police Report: Attached. Farm break-ins still occurring"),
                          ("2710", "Planning Permissions"), ("2711", "Date of next meeting: 29th July 2019")]
    clause = text.index("2. the clerk")
    section = next(s for s in doc.sections if s.start <= clause < s.end)
    assert (section.item.number, section.kind) == ("2710", "resolution")


def test_minutes_of_the_above_council_take_the_name_from_the_heading():
    text = ("TINTERN COMMUNITY COUNCIL\n\nMinutes of a meeting of the above Council held on Monday 24th June 2019 "
            "at 7.00pm in\nTintern Village Hall.\n\n2709. Police Report: none.\n")
    doc = parse_text("t.txt", text)
    assert {(m.committee, m.date) for m in doc.meetings()} == {("Tintern Community Council", "2019-06-24")}


def test_a_document_that_states_no_date_gets_none():
    doc = parse_text("note.txt", "Notes\n\n1. Budget\n\nThe budget was discussed.\n")
    assert {m.date for m in doc.meetings()} == {None}


def test_committee_names_in_capitals_are_tidied():
    assert tidy_committee("LEICESTER, LEICESTERSHIRE AND RUTLAND POLICE AND CRIME PANEL**") == PANEL
    assert tidy_committee("the Audit Committee.") == "Audit Committee"


def test_pack_with_front_sheet_agenda_and_minutes_headed_by_body_and_date():
    text = (
        "Merton Council\nAudit Committee\n\nA meeting of the Audit Committee will be held:\nDate: 22 October 2009\n"
        "Time: 19:15\n\nAudit Committee\n22 October 2009\n1.\tDeclarations of interest\t1\n\n"
        "2.\tApologies for absence\n\n3.\tMinutes of the meeting held on 24 September 2009\t3\n\n"
        "AUDIT COMMITTEE\n24 SEPTEMBER 2009\n(19:15 TO 19:25)\nPRESENT:\tDave Roberts (Chairman)\n\n"
        "1\tDECLARATIONS OF INTEREST\nThe Chair declared a personal interest.\n\n"
        "2\tMINUTES OF THE MEETING HELD ON 23 JUNE 2009 (Agenda item 3)\nRESOLVED: That the minutes be agreed.\n"
    )
    doc = parse_text("pack.txt", text)
    assert items(doc, "2009-10-22") == [("1", "Declarations of interest"), ("2", "Apologies for absence"),
                                        ("3", "Minutes of the meeting held on 24 September 2009")]
    june = items(doc, "2009-09-24")
    assert [n for n, _ in june] == ["1", "2"]
    # The council and its committee, as the front sheet names them.
    assert {m.committee for m in doc.meetings()} == {"Merton Council Audit Committee"}


def test_two_summonses_in_one_agenda_document():
    text = (
        "TINTERN COMMUNITY COUNCIL\n\nANNUAL GENERAL MEETING\n\nYou are summoned to attend the annual meeting\n"
        "of the above Council to be held on\nMonday 20th May 2019 at 6.30pm\n\nAGENDA\n\n805.\tApologies for absence\n\n"
        "806.\tChairman's Report\n\nTINTERN COMMUNITY COUNCIL\n\nYou are summoned to a meeting of the above Council\n"
        "on Monday 20th May 2019 at 7.00pm\n\nAGENDA\n\n2691. Police Report\n2692. Public Forum\n"
    )
    doc = parse_text("agenda.txt", text)
    assert [n for n, _ in items(doc)] == ["805", "806", "2691", "2692"]
    assert {(m.committee, m.date) for m in doc.meetings()} == {("Tintern Community Council", "2019-05-20")}


def test_welsh_dates_are_read():
    from qa.dates import first_date

    assert first_date("CYFARFOD 11eg MEDI 2019") == "2019-09-11"
    assert first_date("10fed Mehefin 2020") == "2020-06-10"


def test_line_breaks_written_as_br_tags_still_separate_items_and_offsets_stay_true():
    text = ("Minutes of the meeting of Anytown Community Council held on Monday 29th March 2021<br /><br />"
            "3049. Apologies for absence: None<br />3050. Planning Permissions<br />No objection was raised.")
    doc = parse_text("br.txt", text)
    assert [n for n, _ in items(doc)] == ["3049", "3050"]
    planning = next(s for s in doc.sections if s.item.number == "3050")
    assert doc.text[planning.start:planning.end].startswith("3050. Planning Permissions")


def test_a_passage_keeps_the_heading_above_it_as_search_context():
    from qa.chunk import heading_before, headings

    body = ("NOT PROTECTIVELY MARKED\n\n1. Calls\n\n1.1 Calls rose by 8%.\n\nNOT PROTECTIVELY MARKED\n\n"
            "East Midlands Operational Support Services (EMOpSS)\n\n2019-20 Net Budget £0.758m\n\n"
            "20. The unit was created in 2015.\n\nTel: 0116 2298982\n\nNOT PROTECTIVELY MARKED\n\n21. More.")
    found = [line for _, line in headings(body)]
    assert found == ["Calls", "East Midlands Operational Support Services (EMOpSS)"]  # no furniture, no labels
    assert heading_before(headings(body), body.index("1.1 Calls")) == "Calls"
    assert heading_before(headings(body), body.index("20. The unit")) == found[1]
    assert heading_before(headings(body), 0) is None


def test_heading_context_is_searchable_but_not_part_of_the_cited_text(retriever):
    hits = retriever.search("EMOpSS - which force pulled out", k=5)
    top = next(p for p in hits if "Nottinghamshire signalled their intention to withdraw" in p.text)
    chunk = retriever.texts[top.id]  # the indexed chunk that matched, before it is widened for display
    assert "Nottinghamshire signalled" in chunk
    assert "EMOpSS" not in chunk  # the chunk text stays the verbatim span; the heading only helps find it
    doc = retriever.document_text(top.citation.source)
    assert doc[slice(*top.matched)] == chunk


# ------------------------------------------------------------------------ other bodies' layouts (issue 16)


def _meetings(doc):
    return [(m.committee, m.date, m.title) for m in doc.meetings()]


def test_front_matter_date_is_the_posting_date_and_the_title_gives_the_year():
    text = ('---\nlayout: post\ntitle:  "General Meeting 6th November 2023"\ndate: 2023-11-23\n---\n'
            "GOVAN COMMUNITY COUNCIL\nGENERAL MEETING MONDAY 6 NOVEMBER\nHeld in the Board Room at 7 p.m.\n"
            "Present: A, B\n1.  MINUTES OF THE OCTOBER MEETING\nThese were moved as correct.\n2.  MATTERS ARISING\n")
    doc = parse_text("post.md", text)
    assert [(c, d) for c, d, _ in _meetings(doc)] == [("Govan Community Council", "2023-11-06")]
    assert items(doc) == [("1", "MINUTES OF THE OCTOBER MEETING"), ("2", "MATTERS ARISING")]
    # Without the title, nothing states the year: no date, and never the posting date.
    bare = parse_text("post.md", text.replace('title:  "General Meeting 6th November 2023"\n', ""))
    assert [d for _, d, _ in _meetings(bare)] == [None]


def test_a_year_less_date_stays_null_and_an_adoption_date_is_not_a_meeting():
    doc = parse_text("m.txt", "Minutes of a meeting of the above Council held on Monday 31st October at 7.00pm.\n\n"
                              "3380.\tPolice Reports:  Attached.\n3381.\tApologies: None.\n")
    assert [d for _, d, _ in _meetings(doc)] == [None]
    assert [n for n, _ in items(doc)] == ["3380", "3381"]
    regs = parse_text("r.txt", "TINTERN COMMUNITY COUNCIL\n\nFINANCIAL REGULATIONS\n\nAdopted 26th June 2017\n\n1.\tGENERAL\n")
    assert [d for _, d, _ in _meetings(regs)] == [None]


def test_typed_slips_in_dates_are_read():
    from qa.dates import find_day_months, first_date

    assert first_date("GENERAL MEETING MONDAY 4 MARCH 2O24") == "2024-03-04"
    assert first_date("General Meeting 4th Match 2024") == "2024-03-04"
    assert first_date("MINUTES FOR 23 SEPTMEMBER 2020") == "2020-09-23"
    assert first_date('held at ... on Friday, 26" June,\n2020, at 3pm') == "2020-06-26"
    assert first_date("Parent Council Meeting\t7pm-9pm26.11.25", short_years=True) == "2025-11-26"
    assert first_date("**Date and Time:** 2020-09-28 15:00:00") == "2020-09-28"
    assert first_date("Ch. No. 300115 2019") is None
    assert [(m, d) for _, _, m, d in find_day_months("Wednesday 22nd October | 19:00")] == [(10, 22)]


def test_three_meetings_of_one_evening_are_three_meetings():
    text = ("SOULDERN PARISH COUNCIL\nAnnual Parish Meeting\n23rd May 2024\n7.00 pm\nAGENDA\n1.\tWelcome\n"
            "2.\tMinutes\n\nMINUTES OF THE SOULDERN PARISH COUNCIL ANNUAL MEETING\nHELD IN THE VILLAGE HALL\nON\n"
            "23rd MAY 2024\nPresent:\tA\n1. To elect a Chairman\n2. Apologies\n\n"
            "MINUTES OF THE SOULDERN PARISH COUNCIL MEETING\nHELD IN THE VILLAGE HALL\nON 23rd May 2024\nPresent:\tA\n"
            "05.24.01\tApologies\n05.24.02\tDeclarations of interest\n05.24.03\tTo receive the minutes\n")
    doc = parse_text("three.txt", text)
    assert [(d, t) for _, d, t in _meetings(doc)] == [
        ("2024-05-23", "Annual Parish Meeting"), ("2024-05-23", "Annual Meeting"), ("2024-05-23", None)]
    assert all(c == "Souldern Parish Council" for c, _, _ in _meetings(doc))
    third = doc.meetings()[2]
    assert [it.number for it in doc.items() if it.meeting == third] == ["05.24.01", "05.24.02", "05.24.03"]


def test_references_back_to_earlier_minutes_are_not_items():
    text = ("MANORDEILO & SALEM COMMUNITY COUNCIL\nMEETING 10th FEBRUARY 2016\n\nPRESENT\nCllrs A, B\n"
            "1. WELCOME AND APOLOGIES\nAll welcome.\n2. TO CONFIRM THE MINUTES OF THE LAST MEETING\nConfirmed.\n"
            "3. DECLARATIONS OF INTEREST\nNone.\n4. MATTERS ARISING\n9. C.C.C. had confirmed receipt of the Precept.\n"
            "12v) Cllr. O. Williams and the Clerk had met.\n5. CORRESPONDENCE\ni) Lloyds Bank Statement.\n6. LIGHTING\n")
    doc = parse_text("m.txt", text)
    assert _meetings(doc) == [("Manordeilo & Salem Community Council", "2016-02-10", None)]
    assert [n for n, _ in items(doc)] == ["1", "2", "3", "4", "5", "6"]
    at = text.index("9. C.C.C.")
    assert next(s for s in doc.sections if s.start <= at < s.end).item.number == "4"


def test_key_value_header_and_a_numbered_item_taken_out_of_order():
    text = ("OPEN BOARD MEETING MINUTES\nTitle of Meeting\tSuffolk Libraries IPS - Board Meeting\nDate\t28th July 2016\n"
            "Place\tEye Town Hall\n1.\tWelcome and Apologies\n2.\tDeclarations of Interest\n\n"
            "At the request of the Chair, Motion No. 24 was taken with this item as follows:\n\n24.\n\n"
            "Notice of Motion submitted by Councillor S. Benson\n\nText of the motion.\n\n3.\n\nEconomic Development\n")
    doc = parse_text("b.txt", text)
    assert _meetings(doc) == [("Suffolk Libraries IPS", "2016-07-28", "Board Meeting")]
    assert [n for n, _ in items(doc)] == ["1", "2", "24", "3"]


def test_text_with_page_markers_keeps_the_printed_page_numbers():
    from qa.chunk import page_of, pages_of
    from qa.extract import page_markers

    text = "[Original file](x.pdf)\n\n---\nMINUTES\n\nfirst page words\n---\n2\nsecond page words\n---\n3\nthird\n"
    starts = page_markers(text)
    assert page_of(starts, text.index("first page")) == 1
    assert page_of(starts, text.index("second page")) == 2
    assert page_of(starts, text.index("third")) == 3
    assert pages_of(starts, text.index("first page"), text.index("second page") + 6) == (1, 2)
    assert pages_of(starts, text.index("third"), text.index("third") + 5) == (3, None)
    # A page the text does not hold (the converter dropped page 2) still leaves page 3 as 3.
    gap = "intro\n---\n1\nwords\n---\n3\nlater words\n"
    assert page_of(page_markers(gap), gap.index("later")) == 3
    # A Markdown rule or a front matter block is not a page break.
    assert page_markers("---\ntitle: x\n---\nbody\n\n---\n\nmore\n") is None
    assert page_of(None, 10) is None


def test_citations_name_the_page_where_a_passage_ends_when_it_crosses_pages():
    from qa.records import Citation

    c = Citation("a.pdf", None, None, None, None, "minutes", 0, 10, page=1, page_end=2)
    assert c.to_dict()["page_end"] == 2
    assert Citation("a.pdf", None, None, None, None, "minutes", 0, 10, page=1).to_dict()["page_end"] is None


def test_inspect_shows_each_meeting_with_the_words_its_date_was_read_from(tmp_path):
    from click.testing import CliRunner

    from qa.cli import main

    path = tmp_path / "agm.md"
    path.write_text("---\ntitle: AGM\ndate: '2020-09-10'\n---\nThe Annual General Meeting of Hyndland Primary School "
                    "Parent Council will take place on **Wednesday 23rd September** at 7pm.\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["inspect", "--no-sections", str(path)])
    assert out.exit_code == 0, out.output
    assert "meeting 1: Hyndland Primary School Parent Council · Annual General Meeting · date not stated" in out.output
    assert "2020" not in out.output  # the front matter's posting date is not the meeting's
    assert "no year or date stated in" in out.output and "Wednesday 23rd September" in out.output
    minutes = tmp_path / "m.txt"
    minutes.write_text("TINTERN COMMUNITY COUNCIL\n\nMinutes of a meeting of the above Council held on Monday 26th "
                       "March 2018 at 7.00pm.\n\n2448. Police Report: None.\n2449. Public Forum: None.\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["inspect", "--no-sections", str(minutes)])
    assert "Tintern Community Council · 26 March 2018" in out.output
    assert "read from [" in out.output and "held on Monday 26th March 2018" in out.output
    assert "2448  Police Report" in out.output and "2449  Public Forum" in out.output


def test_inspect_on_an_empty_word_document_is_one_line(tmp_path):
    import docx as docx_lib
    from click.testing import CliRunner

    from qa.cli import main

    path = tmp_path / "empty.docx"
    docx_lib.Document().save(path)
    out = CliRunner().invoke(main, ["inspect", str(path)])
    assert out.exit_code == 2
    assert out.output.strip().count("\n") == 0 and "Word document with no text" in out.output
