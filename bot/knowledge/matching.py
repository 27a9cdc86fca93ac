"""Match a free-text question to FAQ entries, or admit that none fits.

Teachers write paragraphs with the question buried in context, one-word questions
("cost?"), typos and text-speak, and sometimes two questions at once.  So a message is
split into sentences and clauses (:func:`bot.knowledge.text.segments`); the whole
message, each question-like clause, and each clause with the sentence before it are
scored, and each entry keeps its best score.  Each unit goes through the same pipeline
as every phrasing of every entry: fold, rewrite chat spellings and synonyms to one
canonical word, drop stop words, stem lightly, correct typos against the knowledge
base's own vocabulary.

An entry's score blends views that catch what the others miss:

* IDF-weighted word overlap with its best phrasing, weighted towards how much of the
  *question* the phrasing explains: a question full of words the knowledge base has
  never seen ("pizza", "TLR") scores low, however common its other words are;
* the entry as a whole (all phrasings, and its answer at a lower weight), for questions
  that no single phrasing covers;
* rapidfuzz's token-sort similarity, which rewards phrasings that read alike.

The score is then read in three calibrated tiers (:data:`CONFIDENT`, :data:`LIKELY`):
a confident answer, a likely answer shown as such with the alternatives, or an honest
decline with suggestions, because an unrelated answer presented as the answer is worse
than "I'm not sure".  Programmes and years named in the question steer the choice, and
entries sharing a ``topic`` (the same question for another programme or year) are
answered together when the question does not say which one it means.

Where each part lives: tokens and the programmes, years and cohorts a message names,
:mod:`~bot.knowledge.match_words` (stop words: :mod:`~bot.knowledge.stopwords`); the
vocabulary and the scoring of one unit, :mod:`~bot.knowledge.match_index`; cutting a
message into units, :mod:`~bot.knowledge.match_units`; which programme's version to give,
:mod:`~bot.knowledge.match_family`; the assistant's own entries,
:mod:`~bot.knowledge.self_entry`.  This module ranks the entries and decides what to answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.knowledge.faq import FaqBase, FaqEntry
from bot.knowledge.match_family import MAX_ANSWERS, for_programmes, other_programmes_fact
from bot.knowledge.match_index import MatchIndex
from bot.knowledge.match_leader import clear_leader, distinctive_leader, low_score_excused
from bot.knowledge.match_units import Unit, asked_at, message_units
from bot.knowledge.match_words import Mentions, Normaliser, cohorts_in, years_in
from bot.knowledge.self_entry import SELF_ENTRIES, SELF_SYNONYMS
from bot.knowledge.text import fold

# Calibrated on both development sets (see README, Performance): at or above CONFIDENT the
# answer is given as the answer; from LIKELY it is shown as a likely answer with the
# alternatives; below, the assistant declines and suggests.
CONFIDENT = 60
LIKELY = 50
SUGGEST = 22
# A second question in the same message is answered from a lower score: it is judged
# partly against the first question, which it does not explain.
SECOND_QUESTION = 47
MAX_SUGGESTIONS = 3
# The other programme's entry is kept as a candidate (the question may be about it after
# all) but has to beat the named programme's entries clearly.
OTHER_PROGRAMME_FACTOR = 0.72
UNKNOWN_PERIOD_FACTOR = 0.85
# What kind of fact a question asks for, and how an answer that gives one reads.  An
# entry whose answer holds no date does not answer "when ...?", however close its words.
_ASKS_WHEN = re.compile(
    r"^(so |and |but |ok |also )?(when|whens|what time)\b|\b(what|which|the|actual|exact) dates?\b|"
    r"\bdates? (of|for)\b|\bby when\b"
)
_ASKS_COUNT = re.compile(r"\bhow (many|much|big|large)\b|\bnumber of\b")
INTENT_FACTOR = 0.75


@dataclass(frozen=True)
class MatchResult:
    """What the matcher makes of a message.

    ``entry`` is the best entry when it is worth showing (``tier`` "confident" or
    "likely"), ``entries`` everything to answer (two questions in one message, or one
    question answered for each programme), ``suggestions`` the alternatives.
    """

    entry: FaqEntry | None
    score: int
    suggestions: tuple[FaqEntry, ...]
    tier: str = "decline"
    entries: tuple[FaqEntry, ...] = ()
    by_programme: bool = False


class FaqMatcher:
    """Scores questions against every phrasing of every FAQ entry."""

    def __init__(
        self,
        faq: FaqBase,
        neutral_words: frozenset[str] = frozenset(),
        extra_entries: Sequence[FaqEntry] = (),
        extra_synonyms: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.faq = faq
        # The assistant's own entries first: on a tie ("who sees my data?") they win.
        self.entries: tuple[FaqEntry, ...] = (*SELF_ENTRIES, *faq.entries, *extra_entries)
        synonyms = {**SELF_SYNONYMS, **faq.synonyms, **(extra_synonyms or {})}
        self.normaliser = Normaliser(synonyms, neutral_words)
        self.words = MatchIndex(self.entries, self.normaliser)

    def entry(self, entry_id: str) -> FaqEntry:
        """An entry by id, including the assistant's own (raises KeyError)."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    def query_tokens(self, question: str) -> list[str]:
        return self.words.query_tokens(question)

    def mentions(self, question: str) -> Mentions:
        """Programmes, years and cohorts the question names (in words the KB knows)."""
        return self.words.mentions(question)

    # -- scoring ----------------------------------------------------------------------------

    def _units(self, question: str) -> list[Unit]:
        return message_units(self.words, question)

    def scores(self, question: str) -> list[tuple[float, int]]:
        """(score 0-100, entry index) for every entry that shares a word, best first."""
        return self._rank(self._units(question), self.mentions(question))

    def _rank(self, units: list[Unit], named: Mentions) -> list[tuple[float, int]]:
        best: dict[int, float] = {}
        for unit in units:
            unit.scores = self.words.score(unit.tokens, unit.left_out)
            self._check_intent(unit)
            for index, score in unit.scores.items():
                if score > best.get(index, 0.0):
                    best[index] = score
        # A cohort or year the knowledge base says nothing about ("when does cohort 12
        # open?") makes every answer a near miss: at most "likely", usually a decline.
        unknown = self._unknown_period(named)
        for index in best:
            best[index] *= self._programme_factor(index, named)
            # An unknown period, or an entry about another cohort or year than the one named
            # ("deadline for cohort 10?" is not answered by Cohort 11's date as if it were).
            if unknown or self._other_period(index, named):
                best[index] *= UNKNOWN_PERIOD_FACTOR
        # Best first; on a tie the earlier (more general) entry wins.
        return sorted(((s, i) for i, s in best.items()), key=lambda p: (-p[0], p[1]))

    def _other_period(self, index: int, named: Mentions) -> bool:
        """Whether the entry is about another cohort or academic year than the one named
        ("is there a work group running 2026/27?" is not answered by 2019/20's)."""
        entry = self.entries[index]
        # An entry that says something of the period named, anywhere, is about it too.
        return any(
            asked and (own := find(entry.year or "")) and not (own | find(entry.answer)) & asked
            for asked, find in ((named.cohorts, cohorts_in), (named.years, years_in))
        )

    def _unknown_period(self, named: Mentions) -> bool:
        return bool(
            (named.cohorts - self.words.known_cohorts) or (named.years - self.words.known_years)
        )

    def _worth_a_guess(
        self, ranked: list[tuple[float, int]], units: list[Unit], named: Mentions
    ) -> bool:
        """A low score still worth offering as likely (see :mod:`match_leader`)."""
        if set(units[0].tokens) & self.words.off_domain or self._unknown_period(named):
            return False  # a near miss
        if not low_score_excused(self.words, units):
            return False
        if clear_leader(ranked):
            return True
        top = ranked[0][1]
        return (
            self._programme_factor(top, named) == 1.0
            and not self._other_period(top, named)
            and not self._lacks_asked_fact(top, units[0])
            and distinctive_leader(self.words, ranked, units)
        )

    def _lacks_asked_fact(self, index: int, unit: Unit) -> bool:
        folded = fold(unit.text)
        when = _ASKS_WHEN.search(folded) and index in self.words.without_date
        count = _ASKS_COUNT.search(folded) and index in self.words.without_count
        return bool(when or count)

    def _check_intent(self, unit: Unit) -> None:
        """Lower entries whose answer lacks the kind of fact the unit asks for."""
        folded = fold(unit.text)
        lacking = None
        if _ASKS_WHEN.search(folded):
            lacking = self.words.without_date
        elif _ASKS_COUNT.search(folded):
            lacking = self.words.without_count
        if lacking:
            for index in unit.scores.keys() & lacking:
                unit.scores[index] *= INTENT_FACTOR

    def _programme_factor(self, index: int, named: Mentions) -> float:
        entry = self.entries[index]
        if entry.programme not in ("specialist", "workgroups"):
            return 1.0
        if len(named.programmes) == 1 and entry.programme not in named.programmes:
            return OTHER_PROGRAMME_FACTOR
        # Both programmes named ("do advocates attend the central events?"): an entry of one
        # that says nothing of a term the knowledge base declares for the other (a synonym's
        # canonical word: advocate, workgroup, specialist, eoi) would answer only half of the
        # question, and give one programme's fact for the other: the worst wrong answer.
        if len(named.programmes) > 1 and any(
            programme != entry.programme
            and token in self.normaliser.canonical
            and token not in self.words.entry_vocab[index]
            and token not in self.words.answer_vocab[index]
            for token, programme in named.cues
        ):
            return OTHER_PROGRAMME_FACTOR
        return 1.0

    # -- deciding ---------------------------------------------------------------------------

    def match(self, question: str) -> MatchResult:
        units = self._units(question)
        named = self.mentions(question)
        ranked = self._rank(units, named)
        if not ranked:
            return MatchResult(None, 0, ())
        top_score, top_index = ranked[0]
        score = round(top_score)
        top = self.entries[top_index]
        if score < LIKELY and not self._worth_a_guess(ranked, units, named):
            suggestions = tuple(
                self.entries[i] for s, i in ranked[:MAX_SUGGESTIONS] if s >= SUGGEST
            )
            return MatchResult(None, score, suggestions)
        tier = "confident" if score >= CONFIDENT else "likely"
        if (offer := self._other_programmes(units, named, ranked)) is not None:
            return offer
        asked = [(asked_at(top_index, units), top)]
        if tier == "confident":
            asked += self._second_questions(units, named, top)
        asked.sort(key=lambda p: p[0])
        answers: list[FaqEntry] = []
        by_programme = False
        for _, entry in asked:
            family = for_programmes(self.faq, self.entries, entry, named, ranked)
            by_programme = by_programme or len(family) > 1
            answers += [e for e in family if e not in answers]
        answers = answers[:MAX_ANSWERS]
        chosen = {e.id for e in answers}
        others = tuple(
            self.entries[i]
            for s, i in ranked[1:]
            if s >= SUGGEST and self.entries[i].id not in chosen
        )[:MAX_SUGGESTIONS]
        return MatchResult(top, score, others, tier, tuple(answers), by_programme)

    def _other_programmes(
        self, units: list[Unit], named: Mentions, ranked: list[tuple[float, int]]
    ) -> MatchResult | None:
        """When the other programme's entry fits better: offer it, never answer confidently."""
        if (other := other_programmes_fact(self.entries, units, named, ranked[0])) is None:
            return None
        top, score = self.entries[ranked[0][1]], round(ranked[0][0])
        found = [other[0], *(self.entries[i] for s, i in ranked if s >= SUGGEST)]
        if other[1]:
            return MatchResult(None, score, tuple(dict.fromkeys(found))[:MAX_SUGGESTIONS])
        offered = tuple(dict.fromkeys(e for e in found if e is not top))[:MAX_SUGGESTIONS]
        return MatchResult(top, score, offered, "likely", (top,))

    def _second_questions(
        self, units: list[Unit], named: Mentions, top: FaqEntry
    ) -> list[tuple[int, FaqEntry]]:
        """Entries answering other questions asked in the same message, with their position."""
        extra: list[tuple[int, FaqEntry]] = []
        taken = {top.id} | ({top.topic} if top.topic else set())
        for unit in units[1:]:
            if not unit.question or not unit.scores:
                continue
            # The unit's best entry once the programmes the message names are weighed in
            # ("is it free + how many teachers for work groups": the Work Groups' cost).
            index, score = max(
                ((i, s * self._programme_factor(i, named)) for i, s in unit.scores.items()),
                key=lambda p: (p[1], -p[0]),
            )
            entry = self.entries[index]
            if (
                score < SECOND_QUESTION
                or entry.id in taken
                or (entry.topic and entry.topic in taken)
            ):
                continue
            taken.add(entry.id)
            if entry.topic:
                taken.add(entry.topic)
            extra.append((unit.position, entry))
        return extra
