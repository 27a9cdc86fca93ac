"""Text as the FAQ matcher compares it: canonical tokens, and what a question names.

Split from :mod:`bot.knowledge.matching` so that the rules for reading text (chat
spellings and synonyms rewritten to one canonical word, stop words dropped, light
stemming) and for spotting the programmes, academic years and cohorts a message names
are in one place; the stop-word list is :mod:`bot.knowledge.stopwords`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.stopwords import STOPWORDS
from bot.knowledge.text import TEXT_SPEAK, fold, stem

MAX_QUERY_CHARS = 500
YEAR = re.compile(r"\b(?:20)?(1[4-9]|[23][0-9])\s*[/-]\s*(?:20)?(1[5-9]|[23][0-9])\b")
# Also the common misspellings ("deadlne for cohrot 11").
# "C11" is how busy people write Cohort 11.
COHORT = re.compile(
    r"\b(?:(?:cohort|cohrot|cohot|cohart|cohrt|chort|cohorot)\s*|c(?=1[0-9]\b))(\d{1,2})\b"
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:[12]?\d|3[01])(?:st|nd|rd|th)?"
# A whole date in a question ("is the deadline 23rd April 2025?", "23/04/2026 right?") says
# which fact the user is checking, not which answer they want: the entry is found by the
# other words and its answer carries the true date. A lone month ("open in December?") stays.
_DATE = re.compile(
    rf"\b(?:{_DAY}\s+(?:of\s+)?{_MONTH}(?:\s+(?:20)?\d\d)?|{_MONTH}\s+{_DAY}(?:\s+(?:20)?\d\d)?"
    rf"|{_DAY}\s+(?:0?[1-9]|1[0-2])\s+(?:20)?\d\d)\b"
)


@dataclass(frozen=True)
class Mentions:
    """Programmes, academic years and cohorts a question names."""

    programmes: frozenset[str] = frozenset()
    years: frozenset[str] = frozenset()
    cohorts: frozenset[str] = frozenset()
    # (word, programme) for each word of the question that names one programme.
    cues: frozenset[tuple[str, str]] = frozenset()



class Normaliser:
    """Turns text into the canonical token list the matcher compares."""

    def __init__(
        self, synonyms: dict[str, tuple[str, ...]], neutral: frozenset[str] = frozenset()
    ) -> None:
        # Words that say nothing about which answer is wanted (place names in England:
        # "I teach in Leeds, do I need QTS?" is a question about QTS).
        self._neutral = neutral
        # Phrases by their first word, longest first: one pass over the words replaces
        # each longest match (a regular expression of ~600 alternatives was slower to
        # build and to run).
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.canonical: set[str] = set()
        for canonical, variants in synonyms.items():
            canon = fold(canonical).replace(" ", "_")
            self.canonical.add(canon)
            for variant in variants:
                words = tuple(self.respell(fold(variant)).split())
                if words:
                    self._phrases.setdefault(words[0], []).append((words, canon))
        for candidates in self._phrases.values():
            candidates.sort(key=lambda p: -len(p[0]))

    def _replace(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            for phrase, canon in self._phrases.get(words[i], ()):
                n = len(phrase)
                if n == 1 or (
                    words[i + 1 : i + 2] == [phrase[1]] and tuple(words[i : i + n]) == phrase
                ):
                    out.append(canon)
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    @staticmethod
    def respell(folded: str) -> str:
        return " ".join(w for w in (TEXT_SPEAK.get(word, word) for word in folded.split()) if w)

    def tokens(self, text: str) -> list[str]:
        folded = _DATE.sub(" ", fold(text[:MAX_QUERY_CHARS]))
        words = self._replace(self.respell(folded).split())
        out: list[str] = []
        for word in words:
            if word in self.canonical:
                out.append(word)
            elif word not in STOPWORDS and word not in self._neutral:
                out.append(stem(word))
        return out


def year_label(found: re.Match[str]) -> str:
    return f"20{found.group(1)}/{found.group(2)}"


def years_in(text: str) -> set[str]:
    return {year_label(m) for m in YEAR.finditer(text)}


def cohorts_in(text: str) -> set[str]:
    return set(COHORT.findall(fold(text)))


def mentions(text: str, cues: dict[str, str]) -> Mentions:
    """The programmes (via ``cues``: token -> programme), years and cohorts ``text`` names."""
    folded = fold(text)
    years = {year_label(m) for m in YEAR.finditer(text) if int(m.group(2)) == int(m.group(1)) + 1}
    cohorts = set(COHORT.findall(folded))
    words = set(folded.split())
    programmes = {programme for token, programme in cues.items() if token in words}
    return Mentions(frozenset(programmes), frozenset(years), frozenset(cohorts))

