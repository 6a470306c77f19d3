"""Checking a written answer against the passages it cites, sentence by sentence (issue 19).

A language model's reply is split into sentences, each ending in ``[n]`` markers. A sentence is
*verified* only when
1. it cites at least one passage, and every passage it cites was given to the model;
2. every checkable fact in it occurs in one of the passages it cites: each number, money amount,
   percentage and date (compared by value, so "£1.4m" = "£1.4 million" = "£1,400,000", "22 July" =
   "22/07", "5%" = "5 per cent", "three" = "3"), and each proper name (a capitalised word that is not the
   sentence's first; compared case-blind, word by word). A passage's heading counts as part of it: its
   committee, meeting date and agenda item, which the model is shown with the passage;
3. most of its other words (half of those of four letters or more, compared on their first five
   letters, when it has three or more) are in the passages it cites or in the question, so a sentence
   with no figure in it cannot say something unrelated to its citation.

What this does NOT check: meaning. A sentence that puts a passage's figures in the wrong relation
("rose" for "fell"), drops a "not", or attributes a passage's words to the wrong person passes when its
facts and words are all in the passage. The reader still sees the cited passage under the answer.

Faults of the whole reply (``ReplyFault``): empty, citing passages that were not given, in another
language than the question, no sentence citing anything. Everything here is pure text processing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ReplyFault

# ------------------------------------------------------------------------------------------- sentences
# [1], [1, 2], [1][2], [1-3], [passage 2]
_MARKER = re.compile(r"\[\s*(?:passages?\s*)?(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*)\s*\]", re.I)
_MARKERS_RUN = re.compile(rf"(?:\s*{_MARKER.pattern})+", re.I)
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Cllr|Prof|St|No|Nos|Sgt|Insp|Supt|Det|Rev|Hon|Co|Ltd|approx|para|vs|"
                     r"e\.g|i\.e|etc|cf)|\b[A-Z])\.$")
_END = re.compile(r"[.!?](?=[\"'’”)]*(?:\s|$))|\n+")


@dataclass(frozen=True)
class Claim:
    """One sentence of the reply: as written, without its markers, and the passage ranks it cites."""

    written: str
    text: str
    cites: tuple[int, ...]


def _ranks(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", group):
        if re.fullmatch(r"\d+\s*[-–]\s*\d+", part):
            a, b = (int(x) for x in re.split(r"\s*[-–]\s*", part))
            out.extend(range(a, b + 1) if 0 < b - a < 20 else (a, b))
        elif part.strip().isdigit():
            out.append(int(part))
    return out


def split_claims(reply: str) -> list[Claim]:
    """The reply's sentences. Markers after a full stop ("... £10. [1] The ...") belong to the sentence
    before them; a line break ends a sentence (bulleted replies)."""
    pieces: list[str] = []
    pos = 0
    text = reply.replace("\r\n", "\n")
    for m in _END.finditer(text):
        end = m.end()
        if m.group().startswith(".") and _ABBREV.search(text[max(pos, m.start() - 8):m.start() + 1]):
            continue
        # markers right after the full stop stay with this sentence
        run = _MARKERS_RUN.match(text, end)
        if run and run.end() > end:
            end = run.end()
            tail = re.match(r"[ \t]*[.!?]", text[end:])  # "... £10 [1]." written as "... £10. [1]."
            if tail:
                end += tail.end()
        pieces.append(text[pos:end])
        pos = end
    pieces.append(text[pos:])
    claims = []
    for piece in pieces:
        written = " ".join(piece.split()).strip(" -•*·")
        if not written or not re.search(r"[A-Za-z0-9]", _MARKER.sub("", written)):
            if claims and _MARKER.search(written):  # a line holding only markers: the sentence before's
                last = claims[-1]
                more = tuple(r for m in _MARKER.finditer(written) for r in _ranks(m.group(1)))
                claims[-1] = Claim(f"{last.written} {written}", last.text, tuple(dict.fromkeys(last.cites + more)))
            continue
        cites = tuple(dict.fromkeys(r for m in _MARKER.finditer(written) for r in _ranks(m.group(1))))
        plain = " ".join(_MARKER.sub(" ", written).split())
        plain = re.sub(r"\s+([.,;:!?])", r"\1", plain)
        claims.append(Claim(written, plain, cites))
    return claims


def complete_prefix(reply: str) -> tuple[list[Claim], str]:
    """For a reply still arriving: the sentences certainly finished, and the rest (kept for later)."""
    claims = split_claims(reply)
    if len(claims) <= 1:
        return [], reply
    # The last piece may be unfinished, and markers for the one before may still come: hold both back
    # until a third has started. Find where the last-but-one sentence begins in the raw text.
    keep = claims[:-1]
    rest_start = _locate(reply, claims[-1].written)
    return keep, reply[rest_start:] if rest_start is not None else claims[-1].written


def _locate(reply: str, written: str) -> int | None:
    words = written.split()
    if not words:
        return None
    at = reply.rfind(words[0])
    return at if at >= 0 else None


# ------------------------------------------------------------------------------------------- facts
MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_DAYNAME = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_ORD = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS = [
    # 22 July 2024, 22nd of July, Tuesday 22 July
    (re.compile(rf"(?<![\w/])(\d{{1,2}}){_ORD}\s+(?:of\s+)?({_MONTH})\b\.?(?:,?\s+(\d{{4}}))?"), "dmy"),
    # July 22, 2024
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}}){_ORD}\b(?:,?\s+(\d{{4}}))?"), "mdy"),
    # 2024-07-22
    (re.compile(r"(?<![\w/-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w/-])"), "iso"),
    # 22/07/2024, 22/07 (UK order), 22.07.2024 (a year needed with full stops: "1.4" is a number)
    (re.compile(r"(?<![\w/.,-])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\w/]|\.\d)"), "dmy_num"),
    (re.compile(r"(?<![\w/.,-])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\w/]|\.\d)"), "dmy_num"),
    # July 2024
    (re.compile(rf"\b({_MONTH})\b\.?,?\s+(\d{{4}})\b"), "my"),
    # a month on its own ("in July"; capitalised, so "may" the verb is not one)
    (re.compile(rf"\b({_MONTH.replace('May|', '')}|May(?=\s+(?:meeting|panel|report)))\b"), "m"),
]
_MULT = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONEY = re.compile(rf"([£$€]|\bGBP\s?)\s?({_NUM})(?:\s?(k|m|mn|bn|thousand|million|billion)\b)?"
                    rf"|(?<![\w.,])({_NUM})\s?(k|m|mn|bn|thousand|million|billion)?\s+(?:pounds|GBP)\b", re.I)
_PERCENT = re.compile(rf"(?<![\w.,])({_NUM})\s?(?:%|per\s?cent\b|percent\b)", re.I)
_NUMBER = re.compile(rf"(?<![\w.,])({_NUM})(?:{_ORD})?(?:\s?(million|billion|thousand|bn|mn|m|k)\b)?(?![\w])", re.I)
_WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                      "ninety": 90, "hundred": 100, "half": 0.5, "dozen": 12})
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b", re.I)

# Capitalised words that are not names: sentence openers and function words after a colon or quote,
# pronouns, and the words of the product's own phrasing.
_NOT_NAMES = set("""i a an the this that these those it its they their there he she his her we our you
 in on at of for to by with from as and or but if when while after before during under over since until
 yes no not none also however although though because so thus therefore overall both each every all some
 any most many much more less few several other another such what which who whom whose where why how
 is are was were be been has have had do does did will would can could should may might must shall
 item items minutes report reports appendix agenda resolution resolved meeting meetings paper papers
 passage passages page pages section table figure annex chapter""".split())
STOPWORDS = set("""a an the and or but if then than that this these those there here of in on at to for by
 with from as into onto over under about above below between through during before after since until
 is are was were be been being am has have had having do does did doing will would can could should may
 might must shall it its they them their theirs he him his she her hers we us our you your i me my
 not no nor so such also too very just only own same other another each every all any both few more
 most some which who whom whose what where when why how said says say which while""".split())


@dataclass(frozen=True)
class Fact:
    kind: str  # money | percent | date | number | name
    shown: str  # as written in the sentence
    value: object


def _number(raw: str) -> float:
    return float(raw.replace(",", ""))


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    y = int(raw)
    return 2000 + y if y < 100 else y


def _dates(text: str) -> tuple[list[Fact], list[tuple[int, int]]]:
    facts, taken = [], []

    def free(s, e):
        return all(e <= a or s >= b for a, b in taken)

    for pattern, form in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            g = m.groups()
            try:
                if form == "dmy":
                    d, mo, y = int(g[0]), MONTHS[g[1].lower()[:3]], _year(g[2])
                elif form == "mdy":
                    mo, d, y = MONTHS[g[0].lower()[:3]], int(g[1]), _year(g[2])
                elif form == "iso":
                    y, mo, d = int(g[0]), int(g[1]), int(g[2])
                elif form == "dmy_num":
                    d, mo, y = int(g[0]), int(g[1]), _year(g[2])
                elif form == "my":
                    d, mo, y = None, MONTHS[g[0].lower()[:3]], int(g[1])
                else:
                    d, mo, y = None, MONTHS[g[0].lower()[:3]], None
            except (KeyError, ValueError):
                continue
            if not 1 <= mo <= 12 or (d is not None and not 1 <= d <= 31):
                continue
            facts.append(Fact("date", m.group().strip(), (d, mo, y)))
            taken.append((m.start(), m.end()))
    return facts, taken


def facts(text: str, names: bool = True) -> list[Fact]:
    """The checkable facts of a sentence (or every fact of a passage, with ``names=False`` for a
    passage, whose words are matched separately)."""
    text = _MARKER.sub(" ", text)
    out, taken = _dates(text)

    def free(s, e):
        return all(e <= a or s >= b for a, b in taken)

    for m in _MONEY.finditer(text):
        if not free(m.start(), m.end()):
            continue
        raw, mult = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
        out.append(Fact("money", m.group().strip(), _number(raw) * _MULT.get((mult or "").lower(), 1)))
        taken.append((m.start(), m.end()))
    for m in _PERCENT.finditer(text):
        if free(m.start(), m.end()):
            out.append(Fact("percent", m.group().strip(), _number(m.group(1))))
            taken.append((m.start(), m.end()))
    for m in _NUMBER.finditer(text):
        if free(m.start(), m.end()):
            out.append(Fact("number", m.group().strip(), _number(m.group(1)) * _MULT.get((m.group(2) or "").lower(), 1)))
            taken.append((m.start(), m.end()))
    for m in _WORD_NUMBER.finditer(text):
        word = m.group(1).lower()
        if free(m.start(), m.end()) and word not in ("one", "half"):  # "one of the", "half of": not figures
            out.append(Fact("number", m.group(1), float(_WORD_NUMBERS[word])))
    if names:
        out.extend(_names(text))
    return out


_CAPITALISED = re.compile(r"(?<![\w'’-])([A-Z][\w'’-]*[\w])")
_DATE_WORD = re.compile(rf"^(?:{_MONTH}|{_DAYNAME})$")


def _names(text: str) -> list[Fact]:
    out = []
    first = re.search(r"[A-Za-z]", text)
    for m in _CAPITALISED.finditer(text):
        word = m.group(1)
        if first is not None and m.start() == first.start():
            continue  # the sentence's first word is capitalised anyway
        before = text[:m.start()].rstrip()
        if before.endswith((":", '"', "“", "‘", "(")) and word.lower() in _NOT_NAMES:
            continue
        if word.lower() in _NOT_NAMES or _DATE_WORD.match(word):
            continue
        if word.isupper() and len(word) == 1:
            continue
        out.append(Fact("name", word, tuple(w for w in _words(word) if w)))
    return out


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'").removesuffix("'s") for w in re.findall(r"[A-Za-z][A-Za-z'’]*|\d+", text)]


# ------------------------------------------------------------------------------------------- evidence
@dataclass
class Evidence:
    """What one passage (with its heading) offers: its values by kind, its dates, its words."""

    rank: int
    text: str
    values: dict
    dates: list
    years: set
    words: set
    stems: set

    @classmethod
    def of(cls, rank: int, text: str, heading: str = "", meeting_date: str | None = None) -> "Evidence":
        full = f"{heading}\n{text}"
        found = facts(full, names=False)
        values: dict[str, set] = {"money": set(), "percent": set(), "number": set()}
        dates = []
        for f in found:
            if f.kind == "date":
                dates.append(f.value)
            else:
                values[f.kind].add(round(float(f.value), 6))
                if f.kind == "money":  # "£1.4m" also stands for the plain number written "1.4 million"
                    values["number"].add(round(float(f.value), 6))
        if meeting_date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", meeting_date):
            y, mo, d = (int(x) for x in meeting_date.split("-"))
            dates.append((d, mo, y))
        years = {int(v) for v in values["number"] if 1900 <= v <= 2100 and float(v).is_integer()}
        years |= {d[2] for d in dates if d[2]}
        words = set(_words(full))
        return cls(rank, text, values, dates, years, words, {w[:5] for w in words})

    def has(self, fact: Fact) -> bool:
        if fact.kind == "name":
            return all(w in self.words for w in fact.value)
        if fact.kind == "date":
            d, mo, y = fact.value
            for pd, pmo, py in self.dates:
                if pmo != mo:
                    continue
                if d is not None and pd is not None and pd != d:
                    continue
                if d is not None and pd is None:
                    continue  # "22 July" is not supported by "July"
                if y is not None and py is not None and py != y:
                    continue
                if y is not None and py is None and y not in self.years:
                    continue
                return True
            return False
        v = round(float(fact.value), 6)
        pools = {"money": ("money", "number"), "percent": ("percent", "number"),
                 "number": ("number", "money", "percent")}[fact.kind]
        if any(v in self.values[p] for p in pools):
            return True
        if fact.kind == "number" and float(v).is_integer() and 1 <= v <= 31:
            # a day or month number written in a date of the passage ("the 22nd")
            return any(v in (pd, pmo) for pd, pmo, _ in self.dates)
        if fact.kind == "number" and 1900 <= v <= 2100:
            return int(v) in self.years
        return False


@dataclass(frozen=True)
class Checked:
    claim: Claim
    verified: bool
    problem: str | None  # why not, in a few words naming the fact


def check(claim: Claim, evidence: dict[int, Evidence], question: str = "") -> Checked:
    """Whether ``claim`` is supported by the passages it cites (``evidence`` by rank)."""
    if not claim.cites:
        return Checked(claim, False, "cites no passage")
    missing = [r for r in claim.cites if r not in evidence]
    if missing:
        return Checked(claim, False, f"cites passage [{missing[0]}], which was not given")
    cited = [evidence[r] for r in claim.cites]
    found_facts = facts(claim.text)
    for fact in found_facts:
        if not any(e.has(fact) for e in cited):
            label = {"name": "the name", "date": "the date", "money": "the amount", "percent": "the percentage",
                     "number": "the number"}[fact.kind]
            where = f"[{claim.cites[0]}]" if len(claim.cites) == 1 else "the passages it cites"
            return Checked(claim, False, f"{label} {fact.shown!r} is not in {where}")
    rest = claim.text
    for fact in found_facts:  # the figures are checked already ("million", "pounds" are no evidence)
        if fact.kind != "name":
            rest = rest.replace(fact.shown, " ")
    content = [w for w in _words(rest) if len(w) >= 4 and w not in STOPWORDS and not w.isdigit()]
    if len(content) >= 3:  # one or two words are too few to judge by
        asked = {w[:5] for w in _words(question)}
        found = sum(1 for w in content if w[:5] in asked or any(w[:5] in e.stems for e in cited))
        if found * 2 < len(content):
            return Checked(claim, False, "most of its words are not in the passages it cites")
    return Checked(claim, True, None)


# ------------------------------------------------------------------------------------------- the reply
_NOT_SAY = re.compile(r"\b(?:papers|passages|documents)\s+do(?:es)?\s*(?:not|n't)\s+say\b|\bnot\s+(?:stated|mentioned)\s+in\s+the\s+"
                      r"(?:papers|passages)\b", re.I)


def says_not_known(reply: str) -> bool:
    """The model's own "the papers do not say", and nothing cited beside it."""
    return bool(_NOT_SAY.search(reply)) and not _MARKER.search(reply)


def english_share(text: str) -> float | None:
    """The share of common English function words among the words of ``text`` (None: too short to tell)."""
    words = re.findall(r"[^\W\d_]+", _MARKER.sub(" ", text).lower())
    if len(words) < 6:
        return None
    return sum(1 for w in words if w in STOPWORDS and w not in ("a", "i")) / len(words)


def other_language(reply: str, question: str) -> bool:
    """The reply is not in English while the question is (a question in Welsh may get a Welsh reply)."""
    letters = [c for c in reply if c.isalpha()]
    if letters and sum(1 for c in letters if not ("a" <= c.lower() <= "z")) > 0.3 * len(letters):
        return True
    share = english_share(reply)
    if share is None or share >= 0.12:
        return False
    asked = english_share(question + " what is the and of")  # a short question still counts as English
    return asked is None or asked >= 0.12


def check_reply(reply: str, evidence: dict[int, Evidence], question: str) -> list[Checked]:
    """Every sentence checked. Raises ``ReplyFault`` for a fault of the whole reply."""
    if not reply.strip():
        raise ReplyFault("empty")
    if other_language(reply, question):
        raise ReplyFault("language")
    claims = split_claims(reply)
    if not claims:
        raise ReplyFault("empty")
    for claim in claims:
        bad = [r for r in claim.cites if r not in evidence]
        if bad:
            raise ReplyFault("citation", f"[{bad[0]}]")
    if not any(c.cites for c in claims):
        raise ReplyFault("not_known" if says_not_known(reply) else "uncited")
    return [check(c, evidence, question) for c in claims]


def support_span(claim_text: str, passage_text: str) -> tuple[int, int]:
    """Offsets in ``passage_text`` of the sentence sharing most words with the claim (the place to
    highlight); the whole passage when it has no sentence breaks."""
    want = {w[:5] for w in _words(claim_text) if w not in STOPWORDS}
    best, best_score = (0, len(passage_text)), -1.0
    pos = 0
    bounds = [m.end() for m in re.finditer(r"[.!?](?=\s)|\n\s*\n", passage_text)] + [len(passage_text)]
    for end in bounds:
        piece = passage_text[pos:end]
        have = {w[:5] for w in _words(piece)}
        score = len(want & have) + (0.5 if want & have and len(piece) < 400 else 0)
        if score > best_score and piece.strip():
            lead = len(piece) - len(piece.lstrip())
            best, best_score = (pos + lead, end), score
        pos = end
    return best
