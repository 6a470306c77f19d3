"""BM25 over passages with bm25s (saved as plain arrays and JSON, no pickle).

User text is tokenised into words before it reaches the index, so no character in a question can act as
query syntax. Words are lower-cased, English stopwords dropped and stems taken (PyStemmer), so "meetings"
finds "meeting".
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from .spelling import Speller, word_counts

_FINANCIAL_YEAR = re.compile(r"(?:\bfy\s?|\b)((?:19|20)?\d\d)\s?[/-]\s?(\d\d)\b(?![/-]\d)", re.I)
_TOKEN = re.compile(r"[a-z0-9£%]+(?:[.,'’][a-z0-9]+)*")
STOPWORDS = frozenset(
    "a an and are as at be been but by did do does for from had has have how i if in into is it its of on or "
    "our s so such t that the their them then there these they this to was we were what when where which who "
    "whom why will with would you your about any can could should".split()
) | frozenset(  # contractions typed in questions ("which force doesn't take part")
    "don't doesn't didn't isn't wasn't weren't aren't hasn't haven't hadn't won't wouldn't can't couldn't shouldn't "
    "it's that's there's what's who's".split()
)


def _stemmer():
    try:
        import Stemmer

        return Stemmer.Stemmer("english")
    except ImportError:  # stemming is an improvement, not a requirement
        return None


class Tokenizer:
    def __init__(self):
        self.stemmer = _stemmer()
        # The same sentences of the same passages are tokenised for question after question (to pick the
        # answer sentence): remembering them takes a third off the non-model part of a query.
        self._remembered = lru_cache(maxsize=16384)(self._tokens)

    def __call__(self, text: str) -> list[str]:
        return list(self._remembered(text))

    def _tokens(self, text: str) -> tuple[str, ...]:
        # Financial years are written "2018/19", "18/19" and "2018-19": index all as one word "fy18/19".
        text = _FINANCIAL_YEAR.sub(lambda m: f" fy{m.group(1)[-2:]}{m.group(2)[-2:]} ", text)
        words = [w.replace("’", "'") for w in _TOKEN.findall(text.lower())]
        words = [w.rstrip(".,'") for w in words]
        words = [w for w in words if w and w not in STOPWORDS]
        if self.stemmer is not None:
            words = self.stemmer.stemWords(words)
        return tuple(words)


_DEFINED = re.compile(r"((?:[\w’'-]+\s+){1,8})\(([A-Z][A-Za-z]{1,7})\)")
_SMALL = {"and", "of", "the", "for", "in", "on", "to", "a", "an", "with", "against"}


def find_acronyms(texts: list[str]) -> dict[str, str]:
    """Abbreviations the papers define, "Violence Reduction Network (VRN)", as {"vrn": "violence reduction network"}.

    The expansion is the shortest run of words before the brackets whose initials spell the abbreviation
    (small words such as "and", "of" may be skipped, hyphenated words count per part)."""
    found: dict[str, str] = {}
    for text in texts:
        for m in _DEFINED.finditer(text):
            abbr = m.group(2)
            letters = abbr.upper()
            capitals = "".join(c for c in abbr if c.isupper())  # "EMOpSS": East Midlands Operational Support Services
            words = m.group(1).split()
            for start in range(len(words) - 1, -1, -1):
                run = words[start:]
                parts = [p for w in run for p in re.split(r"[-‐]", w) if p]
                initials = "".join(p[0].upper() for p in parts if p.lower() not in _SMALL)
                initials_all = "".join(p[0].upper() for p in parts)
                if (letters in (initials, initials_all) or capitals in (initials, initials_all)) \
                        and run[0].lower() not in _SMALL:
                    found.setdefault(abbr.lower(), " ".join(run).lower())
                    break
    return found


# Abbreviations in general use in UK policing and local government, for papers that use one form without
# defining the other (people type "PCSO", papers say "police community support officers", or the reverse).
# A definition found in the papers themselves wins.
GLOSSARY = {
    "pcso": "police community support officer", "pcp": "police and crime panel",
    "hmicfrs": "inspectorate of constabulary", "hmic": "inspectorate of constabulary",
    "csp": "community safety partnership", "da": "domestic abuse", "dv": "domestic violence",
    "kpi": "key performance indicator", "csew": "crime survey for england and wales",
    "vru": "violence reduction unit", "icv": "independent custody visitor", "moj": "ministry of justice",
    "cps": "crown prosecution service", "npcc": "national police chiefs council",
    "llr": "leicester leicestershire and rutland", "yos": "youth offending service",
    "mappa": "multi-agency public protection arrangements", "nte": "night-time economy",
    "rtc": "road traffic collision", "fpn": "fixed penalty notice", "cid": "criminal investigation department",
    "bme": "black and minority ethnic", "bame": "black asian and minority ethnic",
    "sarc": "sexual assault referral centre", "isva": "independent sexual violence adviser",
    "idva": "independent domestic violence adviser", "ccg": "clinical commissioning group",
    "pcc": "police and crime commissioner", "opcc": "office of the police and crime commissioner",
    "acc": "assistant chief constable", "dcc": "deputy chief constable", "asb": "anti-social behaviour",
    "cse": "child sexual exploitation", "cce": "child criminal exploitation",
    "vawg": "violence against women and girls", "mash": "multi-agency safeguarding hub",
    "marac": "multi-agency risk assessment conference", "iom": "integrated offender management",
    "cjs": "criminal justice system", "ed": "emergency department", "ho": "home office",
    "hmpps": "prison and probation service", "nps": "national probation service",
    "crc": "community rehabilitation company", "psd": "professional standards department",
    "iopc": "independent office for police conduct", "soc": "serious and organised crime",
    "ocg": "organised crime group", "anpr": "automatic number plate recognition", "bwv": "body worn video",
    "npt": "neighbourhood policing team", "ksi": "killed or seriously injured",
    "dvpo": "domestic violence protection order", "fgm": "female genital mutilation",
    "camhs": "child and adolescent mental health services", "jsna": "joint strategic needs assessment",
    "aces": "adverse childhood experiences", "mou": "memorandum of understanding", "foi": "freedom of information",
    "ytd": "year to date", "q1": "quarter 1", "q2": "quarter 2", "q3": "quarter 3", "q4": "quarter 4",
    # Words people shorten when they type.
    "govt": "government", "dept": "department", "perf": "performance", "stats": "statistics",
    "info": "information", "cllr": "councillor", "ppl": "people", "cllrs": "councillors", "prof": "professor",
    "mgmt": "management", "approx": "approximately", "yrs": "years", "mins": "minutes", "hrs": "hours",
    "avg": "average", "cttee": "committee", "comms": "communications", "mtg": "meeting",
    "supt": "superintendent", "insp": "inspector", "sgt": "sergeant",
}

# Everyday words people type for the papers' formal ones ("kids" for "children", "jail" for "prison").
# Added to the search at the abbreviations' lower weight, typed word first; never the other way round.
EVERYDAY = {
    "kid": "children young people", "kids": "children young people", "teens": "young people",
    "teenager": "young person", "teenagers": "young people", "youngsters": "young people",
    "cops": "police officers", "coppers": "police officers", "bobbies": "police officers",
    "jail": "prison", "jails": "prison", "gang": "organised crime group", "gangs": "organised crime groups",
    "cash": "funding money", "freebies": "gifts hospitality", "nightlife": "night-time economy",
    "runaway": "missing", "runaways": "missing", "stabbings": "knife crime", "stabbing": "knife crime",
    "drunk": "alcohol", "sacked": "dismissed", "fired": "dismissed", "hired": "recruited",
    "elderly": "older people", "grooming": "child sexual exploitation", "cctv": "cameras",
    "chair": "chairman", "chairs": "chairman", "chairwoman": "chairman", "chairperson": "chairman",
    "cybercrime": "cyber crime online", "online": "cyber cybercrime", "bosses": "senior officers",
    "yr": "year", "council tax": "precept", "first quarter": "quarter 1 q1", "second quarter": "quarter 2 q2",
    "third quarter": "quarter 3 q3", "fourth quarter": "quarter 4 q4", "quarter one": "quarter 1 q1",
    "quarter two": "quarter 2 q2", "quarter three": "quarter 3 q3", "quarter four": "quarter 4 q4",
    # How people talk about policing, and the words committee papers use for the same things.
    "abused at home": "domestic abuse", "abuse at home": "domestic abuse", "home abuse": "domestic abuse",
    "wife beating": "domestic abuse", "domestic violence": "domestic abuse", "grumbles": "complaints",
    "moans": "complaints", "cell": "custody", "cells": "custody", "cell block": "custody suite",
    "lock up": "custody", "lock-up": "custody", "locked up": "custody detained", "nuisance": "anti-social behaviour asb",
    "rowdy": "anti-social behaviour", "break-ins": "burglary", "break ins": "burglary", "burglaries": "burglary",
    "muggings": "robbery", "mugging": "robbery", "mugged": "robbery", "murders": "homicide", "killings": "homicide",
    "knives": "knife", "scams": "fraud", "scam": "fraud", "scammers": "fraud", "fraudsters": "fraud",
    "vandalism": "criminal damage", "graffiti": "criminal damage", "bodycams": "body worn video",
    "body cams": "body worn video", "body cameras": "body worn video", "watchdog": "hmicfrs inspectorate",
    "inspectors": "hmicfrs inspectorate", "coronavirus": "covid", "pandemic": "covid", "hung up": "abandoned abandonment",
    "hang up": "abandoned abandonment", "gave up": "abandoned abandonment", "on hold": "abandoned answered",
    "handouts": "grants", "specials": "special constables", "inmates": "prison offenders",
    "prisoners": "prison offenders", "dealers": "drug supply", "drug dealing": "drug supply",
    "sex crimes": "sexual offences", "road deaths": "killed seriously injured", "crashes": "collisions",
    "more police": "officer uplift recruitment", "extra officers": "uplift recruitment", "wages": "pay",
    "salaries": "pay", "salary": "pay",
}

_EVERYDAY_WORDS = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, EVERYDAY), key=len, reverse=True)) + r")\b")
_ABBREVIATION = re.compile(r"\b[A-Za-z]{1,8}\d?\b")


def _may_abbreviate(word: str) -> bool:
    """Whether a typed word may be an abbreviation: "ED" or "Q1" typed so, or three letters or more ("perf");
    "ed" or "ho" in lower case are more likely something else."""
    return word.isupper() or len(word) >= 3 or (len(word) == 2 and word[-1].isdigit())


# Stems of words that frame a question rather than name its subject.
QUESTION_WORDS = frozenset(
    "much mani get got give gave given tell know say said happen anyth someth whether pleas "
    "anyon someon find found".split()
)


class LexicalIndex:
    question_words = QUESTION_WORDS
    expansion_weight = 0.5  # measured: 0.5 and 0.3 alike on both question sets, 1.0 worse

    def __init__(self, retriever, size: int, idf: dict[str, float] | None = None,
                 acronyms: dict[str, str] | None = None, words: dict[str, int] | None = None):
        self.retriever = retriever
        self.size = size
        self.tokenize = Tokenizer()
        self.idf = idf or {}
        self.max_idf = max(self.idf.values()) if self.idf else 1.0
        self.defined = acronyms or {}  # what the papers define (saved with the index)
        self.acronyms = {**GLOSSARY, **self.defined}
        self._expansions = {v: k for k, v in self.acronyms.items()}
        self.words = words or {}  # every word of the indexed text, with its count (for the speller)
        self.speller = Speller(self.words, known=self._knows)
        # The same question is weighed and expanded several times while it is answered.
        self._weights_of = lru_cache(maxsize=1024)(self._weights_uncached)
        self._expansions_of = lru_cache(maxsize=1024)(self._expansions_uncached)

    def _knows(self, word: str) -> bool:
        """Whether the index knows a word in another form: its stem, or as an abbreviation."""
        stems = self.tokenize(word)
        return word in self.acronyms or bool(stems) and stems[0] in self.retriever.vocab_dict

    def expand(self, query: str) -> str:
        """The query with the other forms of its abbreviations added."""
        extra = self.expansions(query)
        return query if not extra else query + " " + " ".join(extra)

    def expansions(self, query: str) -> list[str]:
        """The long form of each abbreviation in the query ("VRN"), and the short form of each long one."""
        return list(self._expansions_of(query))

    def _expansions_uncached(self, query: str) -> tuple[str, ...]:
        extra = []
        lowered = query.lower()
        for word in re.findall(_ABBREVIATION, query):
            long_form = self.acronyms.get(word.lower())
            if long_form and _may_abbreviate(word) and long_form not in lowered:
                extra.append(long_form)
        for long_form, abbr in self._expansions.items():
            if long_form in lowered and not re.search(rf"\b{re.escape(abbr)}\b", lowered):
                extra.append(abbr)
        extra.extend(EVERYDAY[m.group(0)] for m in _EVERYDAY_WORDS.finditer(lowered))
        return tuple(extra)

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        import bm25s

        tok = Tokenizer()
        corpus_tokens = [tok(t) or ["∅"] for t in texts]
        retriever = bm25s.BM25()
        retriever.index(corpus_tokens, show_progress=False)
        df: dict[str, int] = {}
        for toks in corpus_tokens:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        n = max(1, len(texts))
        idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        return cls(retriever, len(texts), idf, find_acronyms(texts), word_counts(texts))

    def save(self, directory: Path) -> None:
        self.retriever.save(str(directory))
        (Path(directory) / "idf.json").write_text(json.dumps(self.idf))
        (Path(directory) / "acronyms.json").write_text(json.dumps(self.defined, indent=0, sort_keys=True))
        (Path(directory) / "words.json").write_text(json.dumps(self.words, separators=(",", ":"), sort_keys=True))

    @classmethod
    def load(cls, directory: Path, size: int) -> "LexicalIndex":
        import bm25s

        idf = json.loads((Path(directory) / "idf.json").read_text())
        acronyms = json.loads((Path(directory) / "acronyms.json").read_text())
        words = json.loads((Path(directory) / "words.json").read_text())
        return cls(bm25s.BM25.load(str(directory)), size, idf, acronyms, words)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for the query (zeros when no query word is in the corpus)."""
        vocab = self.retriever.vocab_dict
        asked = self.tokenize(query)
        tokens = [t for t in asked if t in vocab]
        # The other form of an abbreviation counts for less than the words typed: it is a guess at them.
        extra = [t for t in self.tokenize(" ".join(self.expansions(query))) if t in vocab and t not in asked]
        if not (tokens or extra) or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        scores = np.zeros(self.size, dtype=np.float32)
        if tokens:
            scores += np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)
        if extra:
            scores += self.expansion_weight * np.asarray(self.retriever.get_scores(extra), dtype=np.float32)
        return scores

    def weights(self, text: str) -> dict[str, float]:
        """The words of a question, each weighted by its rarity in the corpus (unknown words count as rarest).
        Words that frame a question ("how much did they get") say what is asked, not what about, so they
        carry no weight. An abbreviation the papers never use is weighed as its long form."""
        return dict(self._weights_of(text))

    def _weights_uncached(self, text: str) -> tuple[tuple[str, float], ...]:
        return tuple((t, self.idf.get(t, self.max_idf)) for t in sorted(set(self.tokenize(self._spelled_out(text))))
                     if t not in self.question_words)

    def unfamiliar(self, text: str) -> list[tuple[str, float]]:
        """The words of a question the papers never use (in any form the index knows), with their share of
        the question's weight: ``[(word, share), ...]``, rarest first. "pizza" in "best pizza in leicester"."""
        weights = self.weights(text)
        total = sum(weights.values()) or 1.0
        vocab = self.retriever.vocab_dict
        unknown = sorted((t for t in weights if t not in vocab), key=lambda t: (-weights[t], t))
        return [(self._typed_form(text, t), round(weights[t] / total, 4)) for t in unknown]

    def _typed_form(self, text: str, stem: str) -> str:
        """The word of ``text`` a stem came from, as typed ("pizza" for "pizza")."""
        for word in re.findall(r"[\w’'-]+", text):
            if stem in self.tokenize(word):
                return word
        return stem

    def _spelled_out(self, text: str) -> str:
        """The text with each abbreviation the papers never use replaced by its long form ("perf" ->
        "performance"), so the answer's checks look for words the papers could contain."""
        vocab = self.retriever.vocab_dict

        def long_form(m: re.Match) -> str:
            word = m.group(0)
            full = self.acronyms.get(word.lower()) if _may_abbreviate(word) else None
            full = full or EVERYDAY.get(word.lower())
            if full and not any(t in vocab for t in self.tokenize(word)):
                return full
            return word

        return re.sub(_ABBREVIATION, long_form, text)
