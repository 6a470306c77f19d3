"""What a person reads in each document of ``../shared/external`` (both batches): its meetings, their
dates and their item numbers.

Every entry was written by reading the document's extracted text (``qa inspect FILE`` shows the same
text), never from the parser's output. ``line`` quotes the words the date is read from; ``None`` dates
say the document does not state a year for that meeting (or is not the record of a meeting at all).
``items`` are the item numbers in the order a reader meets them; ``items_subset=True`` means the
document has more items than its text shows numbers for (OCR lost them), and the listed ones must all
be found, in order. ``body`` is a word the meeting's body/committee name must contain; ``title`` a
word the meeting's own name must contain (to tell apart meetings of one body held the same evening).
The documents stay in ``../shared/external``; nothing is copied into the project.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class M:
    date: str | None
    line: str  # the words the date (or its absence) is read from
    items: list[str] | None = None  # None: not checked (not a record of agenda items)
    body: str | None = None
    title: str | None = None
    items_subset: bool = False


@dataclass(frozen=True)
class Doc:
    path: str  # relative to ../shared/external
    meetings: list[M] = field(default_factory=list)
    unreadable: str | None = None  # expected one-line reason, for a file that cannot be indexed


def r(a: int, b: int) -> list[str]:
    return [str(i) for i in range(a, b + 1)]


TINTERN = "Tintern"
MSCC = "Manordeilo"
MSCC_CY = "Manordeilo"

DOCS: list[Doc] = [
    # ------------------------------------------------------------------ CountCulture__OpenlyLocal (Merton)
    Doc("CountCulture__OpenlyLocal/test/fixtures/dummy_files/test_minutes.pdf", [
        M("2009-10-22", "A meeting of the Audit Committee will be held: / Date: 22 October 2009", r(1, 8), body="Audit Committee"),
        M("2009-09-24", "AUDIT COMMITTEE / 24 SEPTEMBER 2009 / PRESENT:", r(1, 7), body="Audit Committee"),
        M("2009-09-24", "AUDIT COMMITTEE AND GENERAL PURPOSES COMMITTEE (JOINT SESSION) / 24 SEPTEMBER 2009", [],
          body="General Purposes"),
    ]),
    # ------------------------------------------------------------------ FarronF__limerick-council-meetings
    Doc("FarronF__limerick-council-meetings/meetings/2020/06/26-Full Meeting of Limerick City and County Council/"
        "Agenda - Full Meeting of Limerick City and County Council - 26th June 2020.md", [
        # the letter is dated 22nd June, 2020 (posting date): not the meeting
        M("2020-06-26", "You are requested to attend a Meeting of Limerick City and County Council to be held at ... on Friday, 26\" June, 2020, at 3pm",
          ["1", "2", "3", "7", "10", "13", "18", "21"], body="Limerick", items_subset=True),
    ]),
    Doc("FarronF__limerick-council-meetings/meetings/2020/09/28-Full Meeting of Limerick City and County Council/"
        "Agenda - Full Meeting of Limerick City and County Council - 28th September 2020.md", [
        M("2020-09-28", "You are requested to attend a Meeting ... on Monday, 28\" September, 2020, at 3pm",
          ["3", "7", "10", "13", "18", "21"], body="Limerick", items_subset=True),
    ]),
    Doc("FarronF__limerick-council-meetings/meetings/2020/09/28-Full Meeting of Limerick City and County Council/"
        "Minutes - Full Meeting of Limerick City and County Council - 26th June 2020.md", [
        # filed under the 28 Sep 2020 meeting that adopted it; keeps its own date
        M("2020-06-26", "MINUTES OF PROCEEDINGS AT MEETING OF LIMERICK CITY AND COUNTY COUNCIL HELD AT ... ON FRIDAY, 26TH JUNE, 2020",
          ["1", "2", "3", "4", "24", "5", "26"], body="Limerick"),
    ]),
    Doc("FarronF__limerick-council-meetings/meetings/2020/09/28-Full Meeting of Limerick City and County Council/"
        "Minutes -  Special Meeting of Limerick City and County Council - 30th June 2020.md", [
        M("2020-06-30", "MINUTES OF PROCEEDINGS AT SPECIAL MEETING OF LIMERICK CITY AND COUNTY COUNCIL ... ON TUESDAY, 30TH JUNE, 2020",
          [], body="Limerick", title="Special"),
    ]),
    Doc("FarronF__limerick-council-meetings/meetings/2020/09/28-Full Meeting of Limerick City and County Council/"
        "Minutes  - Adjourned Meeting of Limerick City and County Council -  3rd July 2020.md", [
        M("2020-07-03", "MINUTES OF PROCEEDINGS AT ADJOURNED MEETING OF LIMERICK CITY AND COUNTY COUNCIL ... ON FRIDAY, 3RD JULY, 2020",
          r(6, 27), body="Limerick", title="Adjourned"),
    ]),
    Doc("FarronF__limerick-council-meetings/meetings/2020/09/28-Full Meeting of Limerick City and County Council/"
        "Minutes  - Annual Meeting of Limerick City and County Council - 30th June 2020.md", [
        M("2020-06-30", "MINUTES OF PROCEEDINGS AT ANNUAL MEETING OF LIMERICK CITY AND COUNTY COUNCIL ... ON TUESDAY, 30TH JUNE, 2020",
          ["1", "2"], body="Limerick", title="Annual"),
    ]),
    Doc("FarronF__limerick-council-meetings/meetings/2020/09/28-Full Meeting of Limerick City and County Council/README.md", [
        M("2020-09-28", "**Meeting Name:** Full Meeting of Limerick City and County Council / **Date and Time:** 2020-09-28 15:00:00",
          [], body="Limerick"),
    ]),
    # ------------------------------------------------------------------ Govan-Community__govan-website
    Doc("Govan-Community__govan-website/Govan/src/23DECEMBERMINUTEGovanCC.docx", [],
        unreadable="Word document with no text"),
    Doc("Govan-Community__govan-website/Govan/src/23NOVEMBERMINUTEGovanCC.docx", [
        # "GENERAL MEETING MONDAY 6 NOVEMBER": the document states no year anywhere
        M(None, "GENERAL MEETING MONDAY 6 NOVEMBER", r(1, 11), body="Govan Community Council"),
    ]),
    Doc("Govan-Community__govan-website/Govan/src/24MARCHfirstedit.docx", [
        M("2024-03-04", "GENERAL MEETING MONDAY 4 MARCH 2O24", r(1, 9), body="Govan Community Council", items_subset=True),
    ]),
    Doc("Govan-Community__govan-website/_posts/2023-11-23-general-meeting-november-2023.md", [
        # no date key; file name says 2023-11-23, the title and heading say 6 November 2023
        M("2023-11-06", 'title:  "General Meeting 6th November 2023" / GENERAL MEETING MONDAY 6 NOVEMBER', r(1, 11),
          body="Govan Community Council"),
    ]),
    Doc("Govan-Community__govan-website/_posts/2023-12-23-general-meeting-december-2023.md", [
        M("2023-12-04", 'title:  "General Meeting 4th December 2023" / GENERAL MEETING MONDAY 4 DECEMBER', r(1, 8),
          body="Govan Community Council"),
    ]),
    Doc("Govan-Community__govan-website/_posts/2024-03-23-general-meeting-march-2024.md", [
        M("2024-03-04", '**GENERAL MEETING MONDAY 4 MARCH 2O24** (title: "General Meeting 4th Match 2024")', r(1, 8),
          body="Govan Community Council", items_subset=True),
        # From "4.  SPEAKERS" the numbering starts again (4, 2. MATTERS ARISING FROM DECEMBER MINUTES, 3, ...,
        # 8. NEXT MEETING MONDAY 4 MARCH): the minutes of the previous meeting, whose date the post never states.
        M(None, "4.  SPEAKERS / 2.  MATTERS ARISING FROM DECEMBER MINUTES / ... / 8.  NEXT MEETING MONDAY 4 MARCH", r(4, 8),
          body="Govan Community Council", items_subset=True),
    ]),
    Doc("Govan-Community__govan-website/_posts/2025-10-06-agm-and-general-meeting-october-2025.md", [
        M("2025-10-06", "**MINUTES OF ANNUAL GENERAL MEETING** / **MONDAY 6 OCTOBER 2025**", r(1, 12),
          body="Govan Community Council", title="Annual"),
        # "**Minutes of the October General Meeting** / The General Meeting was held directly after the
        # conclusion of the AGM": the same evening, numbered from 1 again
        M("2025-10-06", "**Minutes of the October General Meeting** / held directly after the conclusion of the AGM", r(1, 12),
          body="Govan Community Council", title="General Meeting"),
    ]),
    Doc("Govan-Community__govan-website/_posts/2025-11-03-general-meeting-november-2025.md", [
        M("2025-11-03", "GENERAL MEETING / MONDAY 3rd OF NOVEMBER 2025 AT PEARCE INSTITUTE", r(1, 7),
          body="Govan Community Council", items_subset=True),
    ]),
    # ------------------------------------------------------------------ andymabb__mscc (Manordeilo & Salem)
    Doc("andymabb__mscc/dist/minutes/2016/16-02-10.pdf", [
        M("2016-02-10", "MEETING 10th FEBRUARY 2016", r(1, 12), body=MSCC)]),
    Doc("andymabb__mscc/dist/minutes/2017/17-10-11.pdf", [
        M("2017-10-11", "MEETING 11th OCTOBER 2017", r(1, 13), body=MSCC)]),
    Doc("andymabb__mscc/dist/minutes/2018/18-03-14.pdf", [
        # "5A. APPOINTMENT OF INTERNAL AUDITOR" comes between 5 and 6
        M("2018-03-14", "MEETING 14th MARCH 2018", r(1, 5) + ["5A"] + r(6, 13), body=MSCC)]),
    Doc("andymabb__mscc/dist/minutes/2019/19-02-06_EM.pdf", [
        M("2019-02-06", "EXTRAORDINARY MEETING 6th FEBRUARY 2019", r(1, 3), body=MSCC, title="Extraordinary")]),
    Doc("andymabb__mscc/dist/minutes/2019/19-09-11.pdf", [
        M("2019-09-11", "MEETING 11th SEPTEMBER 2019", r(1, 12), body=MSCC)]),
    Doc("andymabb__mscc/dist/minutes/2019/2-19_EM_cy.pdf", [
        M("2019-02-06", "CYFARFOD EITHRIADOL 6ed CHWEFROR 2019", r(1, 3), body=MSCC_CY)]),
    Doc("andymabb__mscc/dist/minutes/2019/9-19_cy.pdf", [
        M("2019-09-11", "CYFARFOD 11eg MEDI 2019", r(1, 12), body=MSCC_CY)]),
    Doc("andymabb__mscc/src/minutes/minutes_20-01-08.html", [
        M("2020-01-08", "8 January 2020 / ... held their meeting at 7.30pm on the 8th January 2020", r(1, 12), body=MSCC)]),
    Doc("andymabb__mscc/src/minutes/minutes_20-02-12.html", [
        M("2020-02-12", "12 February 2020 / ... held their meeting at 7.30pm on the 12th February 2020", r(1, 13), body=MSCC,
          items_subset=True)]),
    Doc("andymabb__mscc/src/minutes/minutes_20-06-10.html", [
        M("2020-06-10", "10 June 2020 / ... held their meeting remotely via Zoom at 7.30pm on the 10th June 2020", r(1, 13), body=MSCC)]),
    Doc("andymabb__mscc/src/minutes/minutes_20-06-10_cy.html", [
        M("2020-06-10", "Cyfarfod 10fed Mehefin 2020", r(1, 13), body=MSCC_CY)]),
    Doc("andymabb__mscc/src/minutes/minutes_2020-11.html", [
        M("2020-11-11", "11 November 2020 Manordeilo and Salem Community Council held their meeting via Zoom at 7.30pm on the 11th November 2020",
          r(1, 10), body=MSCC)]),
    Doc("andymabb__mscc/src/single-docs/standing-orders.html", [
        # "STANDING ORDERS REVISED NOVEMBER 2018 and ADOPTED DECEMBER 2018": adoption, not a meeting
        M(None, "STANDING ORDERS REVISED NOVEMBER 2018 and ADOPTED DECEMBER 2018", None, body=MSCC)]),
    # ------------------------------------------------------------------ gitforsteve__wyevalleycc (Tintern)
    Doc("gitforsteve__wyevalleycc/agenda/20181029.pdf", [
        M("2018-10-29", "You are summoned to a meeting of the above Council on Monday 29th October 2018 at 7.00pm", r(2579, 2598), body=TINTERN)]),
    Doc("gitforsteve__wyevalleycc/agenda/20190520.pdf", [
        M("2019-05-20", "ANNUAL GENERAL MEETING ... You are summoned to attend the annual meeting of the above Council to be held on Monday 20th May 2019 at 6.30pm",
          r(805, 813), body=TINTERN, title="Annual"),
        M("2019-05-20", "You are summoned to a meeting of the above Council on Monday 20th May 2019 at 7.00pm", r(2691, 2708), body=TINTERN),
    ]),
    Doc("gitforsteve__wyevalleycc/agenda/20190624.pdf", [
        M("2019-06-24", "You are summoned to a meeting of the above Council on Monday 24th June 2019 at 7.00pm", r(2709, 2723), body=TINTERN)]),
    Doc("gitforsteve__wyevalleycc/agenda/20190624.txt", [
        M(None, "(the text starts at '2709. Police Report'; no body, no date)", r(2709, 2723))]),
    Doc("gitforsteve__wyevalleycc/agenda/20221031.txt", [
        M(None, "(the text starts at '3380. Police Report'; no body, no date)", r(3380, 3396))]),
    Doc("gitforsteve__wyevalleycc/budgets/Budget 2018-19.pdf", [
        M(None, "TINTERN COMMUNITY COUNCIL - BUDGET 20152018-19 (a budget table, not a meeting)", None, body=TINTERN)]),
    Doc("gitforsteve__wyevalleycc/docs/Financial Regulations 2017.pdf", [
        M(None, "FINANCIAL REGULATIONS / Adopted 26th June 2017 (an adoption date, not a meeting record)", None, body=TINTERN)]),
    Doc("gitforsteve__wyevalleycc/docs/standingorders.pdf", [
        M(None, "STANDING ORDERS / ADOPTED BY COUNCIL 20 AUGUST 2018 (an adoption date)", None, body=TINTERN)]),
    Doc("gitforsteve__wyevalleycc/minutes/20180326.pdf", [
        # 2449 is used twice in the document (Public Forum, Apologies)
        M("2018-03-26", "Minutes of a meeting of the above Council held on Monday 26th March 2018 at 7.00pm", r(2448, 2464), body=TINTERN)]),
    Doc("gitforsteve__wyevalleycc/minutes/20181029.pdf", [
        M("2018-10-29", "Minutes of a meeting of the above Council held in Tintern Village Hall on Monday 29th October 2018", r(2579, 2598), body=TINTERN)]),
    Doc("gitforsteve__wyevalleycc/minutes/20181029.txt", [
        # <ol start="2579"><li>Police Report ... <li>Public Forum ... <li>2581. Apologies ...
        M("2018-10-29", '<h1 class="minutehead">Minutes of a meeting of the above Council held in Tintern Village Hall on Monday 29th October 2018',
          r(2579, 2598))]),
    Doc("gitforsteve__wyevalleycc/minutes/20190520.pdf", [
        M("2019-05-20", "ANNUAL GENERAL MEETING / Minutes of the Annual General Meeting of the above Council held in Tintern Village Hall on Monday 20th May 2019 at 6.30pm",
          r(805, 813), body=TINTERN, title="Annual"),
        # 2700 does not occur in this document
        M("2019-05-20", "Minutes of a meeting of the above Council held on Monday 20th May 2019 at 7.00pm", r(2691, 2699) + r(2701, 2708), body=TINTERN),
    ]),
    Doc("gitforsteve__wyevalleycc/minutes/20190520.txt", [
        M("2019-05-20", "Minutes of a meeting of the above Council held on Monday 20th May 2019 at 7.00pm", r(2691, 2699) + r(2701, 2708))]),
    Doc("gitforsteve__wyevalleycc/minutes/20190624.pdf", [
        M("2019-06-24", "Minutes of a meeting of the above Council held on Monday 24th June 2019 at 7.00pm", r(2709, 2723), body=TINTERN)]),
    Doc("gitforsteve__wyevalleycc/minutes/20190624.txt", [
        M("2019-06-24", "Minutes of a meeting of the above Council held on Monday 24th June 2019 at 7.00pm", r(2709, 2723))]),
    Doc("gitforsteve__wyevalleycc/minutes/20200727.txt", [
        M("2020-07-27", "Minutes of a meeting of the above Council held on Monday 27th July 2020 at 7.00pm via telephone conferencing.", r(2907, 2926))]),
    Doc("gitforsteve__wyevalleycc/minutes/20210329.txt", [
        M("2021-03-29", "Minutes of a meeting of the above Council held on Monday 29th March 2021 at 7.00pm by telephone conferencing.<br />",
          r(3048, 3063))]),
    Doc("gitforsteve__wyevalleycc/minutes/20221031.txt", [
        # "Monday 31st October" with no year stated for the meeting anywhere in the document
        M(None, "Minutes of a meeting of the above Council held on Monday 31st October at 7.00pm in Llandogo Village Hall.", r(3380, 3396))]),
    Doc("gitforsteve__wyevalleycc/minutes/20240729.txt", [
        M("2024-07-29", "Minutes of a meeting of the above Council held on Monday 29th July 2024 at 7.00pm in Tintern Village Hall.", r(3730, 3748))]),
    # ------------------------------------------------------------------ hyndland-primary-parent-council
    Doc("hyndland-primary-parent-council__hyndland-primary-parent-council.github.io/content/_news/agm.md", [
        # front matter "date: '2020-09-10'" is the posting date; the meeting has no year
        M(None, "The Annual General Meeting of Hyndland Primary School Parent Council will take place on **Wednesday 23rd September**",
          [], body="Parent Council")]),
    Doc("hyndland-primary-parent-council__hyndland-primary-parent-council.github.io/content/assets/images/2021/01/HPSPC-meeting-minutes-2020-09-23.pdf", [
        M("2020-09-23", "HYNDLAND PRIMARY SCHOOL PARENT COUNCIL ANNUAL GENERAL MEETING (ONLINE) / MINUTES FOR 23 SEPTMEMBER 2020",
          r(1, 10), body="Parent Council", title="Annual")]),
    Doc("hyndland-primary-parent-council__hyndland-primary-parent-council.github.io/content/assets/images/2021/01/HPSPC-meeting-minutes-2020-10-21.pdf", [
        # no item 7 in the document
        M("2020-10-21", "HYNDLAND PRIMARY SCHOOL PARENT COUNCIL MEETING (ONLINE) / MINUTES FOR 21 OCTOBER 2020",
          r(1, 6) + r(8, 10), body="Parent Council")]),
    Doc("hyndland-primary-parent-council__hyndland-primary-parent-council.github.io/content/assets/minutes/202510-hppc-minutes.pdf", [
        # "Wednesday 22nd October" and no year anywhere in the document
        M(None, "Hyndland Primary Parent Council Meeting / Wednesday 22nd October | 19:00 - 20:30", r(1, 9), body="Parent Council")]),
    Doc("hyndland-primary-parent-council__hyndland-primary-parent-council.github.io/content/assets/minutes/202511-hppc-minutes.pdf", [
        # the two-digit year of "26.11.25" is the year the document states
        M("2025-11-26", "Parent Council Meeting\t7pm-9pm26.11.25", [], body="Parent Council")]),
    Doc("hyndland-primary-parent-council__hyndland-primary-parent-council.github.io/content/minutes-archive.md", [
        # a list of links to minutes; front matter "date: '2025-10-01'" is the posting date
        M(None, "Please click on the links below to view our meeting minutes.", None)]),
    # ------------------------------------------------------------------ souldern__souldern.github.io
    Doc("souldern__souldern.github.io/home/announcements/annual-parish-meeting-2024.md", [
        # front matter date 2024-05-21 is the posting date; "the 23rd May" has no year
        M(None, 'title: "Parish Council Meetings on the 23rd May" / Reminder of the Annual Parish Meeting ... on the **23rd May**.', None)]),
    Doc("souldern__souldern.github.io/parish-council/spc-agenda/2024-05-23 Agenda.pdf", [
        M("2024-05-23", "Souldern Parish Council / 23rd May 2024 at 7.30pm in the Village Hall", r(1, 12), body="Souldern Parish Council")]),
    Doc("souldern__souldern.github.io/parish-council/spc-agenda/2024-05-23 Annual Meeting Agenda.pdf", [
        M("2024-05-23", "SOULDERN PARISH COUNCIL / Annual Meeting of the Parish Council / 23rd May 2024", r(1, 9),
          body="Souldern Parish Council", title="Annual Meeting")]),
    Doc("souldern__souldern.github.io/parish-council/spc-agenda/2024-05-23 Annual Parish Meeting Agenda.pdf", [
        M("2024-05-23", "SOULDERN PARISH COUNCIL / Annual Parish Meeting / 23rd May 2024", r(1, 7),
          body="Souldern", title="Annual Parish Meeting")]),
    Doc("souldern__souldern.github.io/parish-council/spc-minutes/2024-05-23 Annual Meeting minutes DRAFT.pdf", [
        M("2024-05-23", "MINUTES OF THE SOULDERN PARISH COUNCIL ANNUAL MEETING / HELD IN THE VILLAGE HALL / ON / 23rd MAY 2024",
          r(1, 9), body="Souldern Parish Council", title="Annual Meeting")]),
    Doc("souldern__souldern.github.io/parish-council/spc-minutes/2024-05-23 Annual Parish Meeting minutes.pdf", [
        M("2024-05-23", "MINUTES OF THE SOULDERN ANNUAL PARISH MEETING / HELD IN THE VILLAGE HALL / ON 23rd MAY 2024",
          r(1, 7), body="Souldern", title="Annual Parish Meeting")]),
    Doc("souldern__souldern.github.io/parish-council/spc-minutes/2024-05-23 SPC minutes.pdf", [
        M("2024-05-23", "MINUTES OF THE SOULDERN PARISH COUNCIL MEETING / HELD IN THE VILLAGE HALL / ON 23rd May 2024",
          [f"05.24.{i:02d}" for i in range(1, 13)], body="Souldern Parish Council")]),
    Doc("souldern__souldern.github.io/parish-council/spc-minutes/2024-06-27 SPC minutes.pdf", [
        # 06.24.06 does not occur in the document
        M("2024-06-27", "MINUTES OF THE SOULDERN PARISH COUNCIL MEETING / HELD IN THE VILLAGE HALL / ON 27th June 2024",
          [f"06.24.{i:02d}" for i in (1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12)], body="Souldern Parish Council")]),
    # ------------------------------------------------------------------ vestalux__sljekyll (Suffolk Libraries)
    Doc("vestalux__sljekyll/assets/pdf/2016-formal-notice-agenda.pdf", [
        M("2016-09-29", "Formal notice for / Suffolk’s Libraries IPS Ltd Annual General Meeting / Thursday, 29th September 2016",
          r(1, 8), body="Suffolk", title="Annual General Meeting")]),
    Doc("vestalux__sljekyll/assets/pdf/board-meeting-minutes-2016-07-27.pdf", [
        # file name says 2016-07-27; the key/value header says 28th July 2016
        M("2016-07-28", "Title of Meeting\tSuffolk Libraries IPS - Board Meeting / Date\t28th July 2016", r(1, 12), body="Suffolk Libraries")]),
    Doc("vestalux__sljekyll/assets/pdf/board-meeting-minutes-2016-10-27.pdf", [
        M("2016-10-27", "Title of Meeting\tSuffolk Libraries IPS - Board Meeting / Date\t27th October 2016", r(1, 15), body="Suffolk Libraries")]),
    Doc("vestalux__sljekyll/assets/pdf/suffolk-libraries-agm-minutes-2015.pdf", [
        M("2015-09-10", "Title of Meeting\tSuffolk’s Libraries IPS Ltd. - AGM / Date\t10th September 2015", r(1, 9),
          body="Suffolk", title="AGM")]),
    Doc("vestalux__sljekyll/news/_posts/2015-09-11-3rd-suffolk-libraries-agm-september-10-2015.md", [
        # "date: 2015-09-11" is the posting date ("last night"); the title names the meeting and its date
        # the body names it "the 3rd Suffolk Libraries Annual General Meeting"
        M("2015-09-10", "title: 3rd Suffolk Libraries AGM September 10 2015", [], title="Annual General Meeting")]),
    Doc("vestalux__sljekyll/news/_posts/2016-09-08-2016-agm.md", [
        # "date: 2016-09-08" is the posting date
        M("2016-09-29", "title: Formal notice for Suffolk’s Libraries IPS Ltd Annual General Meeting / **Thursday, 29 September 2016**",
          r(1, 8), body="Suffolk", title="Annual General Meeting")]),
]
