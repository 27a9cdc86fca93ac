"""The knowledge base's vocabulary, indexed once for the FAQ matcher.

Split from :mod:`bot.knowledge.matching` so that what is known before any question is
asked (each word's weight by how rare it is across entries, which entries use it in a
phrasing or only in the answer, the words that name one programme, the entries whose
answers give no date or no number, the years and cohorts the knowledge base covers, and
typo correction against its own words) sits apart from scoring and deciding.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge.faq import FaqEntry
from bot.knowledge.match_words import COHORT, YEAR, Mentions, Normaliser, mentions, year_label
from bot.knowledge.text import fold

_TYPO_CUTOFF = 84
ANSWER_WORD_WEIGHT = 0.5
ENTRY_WEIGHT = 0.72
# Only so many phrasings per unit get the (costlier) fuzzy comparison: those with the
# most word overlap.  Keeps the answer time flat as the knowledge base grows.
FUZZY_CANDIDATES = 40
MAX_CANDIDATES = 12
OFF_DOMAIN_FACTOR = 0.6
# How much the rest of a message counts against one of its clauses.
CONTEXT_SHARE = 0.35
_GIVES_DATE = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|"
    r"december|autumn|spring|summer|christmas|easter|half term|term)\b"
)
_GIVES_COUNT = re.compile(
    r"\d|£|\b(one|two|three|four|five|six|seven|eight|nine|ten|half|free|no (fee|charge|cost)|"
    r"a few|several|quota)\b"
)
_YEARS_AND_COHORTS = re.compile(r"\b(19|20)\d\d( (19|20)?\d\d)?\b|\bcohorts? \d+\b|\byear \d\b")


@dataclass(frozen=True)
class Phrasing:
    entry_index: int
    tokens: frozenset[str]
    weight: float
    text: str


def _document_frequency(entry_vocab: list[set[str]]) -> dict[str, int]:
    """In how many entries each word appears."""
    document_frequency: dict[str, int] = {}
    for vocab in entry_vocab:
        for token in vocab:
            document_frequency[token] = document_frequency.get(token, 0) + 1
    return document_frequency


class MatchIndex:
    """What the knowledge base's phrasings say, indexed once for scoring questions."""

    def __init__(self, entries: tuple[FaqEntry, ...], normaliser: Normaliser) -> None:
        self.entries = entries
        self.normaliser = normaliser
        token_lists, answer_vocab = self._tokenise()
        entry_vocab: list[set[str]] = [set() for _ in entries]
        for index, tokens in token_lists:
            entry_vocab[index].update(tokens)
        document_frequency = _document_frequency(entry_vocab)
        n = max(len(entries), 1)
        self.idf = {
            t: math.log((n + 1) / (df + 0.5)) + 0.5 for t, df in document_frequency.items()
        }
        # A word the knowledge base has never seen weighs like a rare one: it is
        # probably what the question is really about, and we know nothing of it.
        self.unknown_weight = math.log(n + 1) + 0.5
        # Words only the answers use are known (typos are corrected towards them too),
        # and weigh like the rarest phrasing words.
        answer_only = (
            set().union(*answer_vocab) - set(document_frequency) if answer_vocab else set()
        )
        self.vocabulary = sorted(set(document_frequency) | answer_only)
        self.answer_only = frozenset(answer_only)
        self.off_domain = frozenset(normaliser.canonical - set(document_frequency))
        self.entry_vocab = [frozenset(v) for v in entry_vocab]
        self.answer_vocab = [
            frozenset(a - e) for a, e in zip(answer_vocab, entry_vocab, strict=True)
        ]
        self.phrasings = [
            Phrasing(i, frozenset(toks), self.weight(toks), " ".join(toks))
            for i, toks in token_lists
            if toks
        ]
        self.entry_phrasings: list[list[int]] = [[] for _ in entries]
        for position, phrasing in enumerate(self.phrasings):
            self.entry_phrasings[phrasing.entry_index].append(position)
        self.shortest_phrasing = [
            min((self.phrasings[p].weight for p in positions), default=math.inf)
            for positions in self.entry_phrasings
        ]
        self.entries_with = self._entries_with()
        self.programme_cues = self._programme_cues()
        self.without_date, self.without_count = self._lacking_facts()
        self.known_cohorts = frozenset(
            number
            for entry in entries
            for number in COHORT.findall(fold(f"{entry.year or ''} {entry.answer}"))
        )
        self.known_years = frozenset(
            year_label(m) for entry in entries for m in YEAR.finditer(entry.year or "")
        )
        self._typo_cache: dict[str, str] = {}

    def _tokenise(self) -> tuple[list[tuple[int, list[str]]], list[set[str]]]:
        """(entry index, tokens) per phrasing and keyword list; each answer's words."""
        token_lists: list[tuple[int, list[str]]] = []
        answer_vocab: list[set[str]] = []
        for index, entry in enumerate(self.entries):
            for question in entry.questions:
                token_lists.append((index, self.normaliser.tokens(question)))
            if entry.keywords:
                token_lists.append((index, self.normaliser.tokens(" ".join(entry.keywords))))
            answer_vocab.append(set(self.normaliser.tokens(entry.answer)))
        return token_lists, answer_vocab

    def _entries_with(self) -> dict[str, list[tuple[int, float]]]:
        """For each word, the entries using it: in a phrasing (1.0) or only in the answer."""
        entries_with: dict[str, list[tuple[int, float]]] = {}
        for index, (entry_words, answer_words) in enumerate(
            zip(self.entry_vocab, self.answer_vocab, strict=True)
        ):
            for token in entry_words:
                entries_with.setdefault(token, []).append((index, 1.0))
            for token in answer_words:
                entries_with.setdefault(token, []).append((index, ANSWER_WORD_WEIGHT))
        return entries_with

    def _lacking_facts(self) -> tuple[frozenset[int], frozenset[int]]:
        """Entries whose answer gives no date, and those that give no number."""
        # Every answer names its academic year and cohort, which are neither dates nor counts.
        answers = [
            _YEARS_AND_COHORTS.sub(" ", fold(f"{e.answer} {e.window.label if e.window else ''}"))
            for e in self.entries
        ]
        without_date = frozenset(
            i for i, text in enumerate(answers) if not _GIVES_DATE.search(text)
        ) - {0}
        without_count = frozenset(
            i for i, text in enumerate(answers) if not _GIVES_COUNT.search(text)
        ) - {0}
        return without_date, without_count

    # -- vocabulary -------------------------------------------------------------------------

    def _programme_cues(self) -> dict[str, str]:
        """Words that name one programme: its id, and canonical words used almost only by it."""
        cues: dict[str, str] = {}
        for programme in ("specialist", "workgroups"):
            for token in self.normaliser.tokens(programme):
                cues[token] = programme
        by_token: dict[str, dict[str, int]] = {}
        for index, vocab in enumerate(self.entry_vocab):
            programme = self.entries[index].programme
            for token in vocab:
                counts = by_token.setdefault(token, {})
                counts[programme] = counts.get(programme, 0) + 1
        for token, counts in by_token.items():
            total = sum(counts.values())
            for programme in ("specialist", "workgroups"):
                if total >= 4 and counts.get(programme, 0) >= 0.9 * total and "_" not in token:
                    cues.setdefault(token, programme)
        return cues

    def weight(self, tokens: Iterable[str]) -> float:
        return sum(self.idf.get(t, self.unknown_weight) for t in set(tokens))

    def token_weight(self, token: str) -> float:
        return self.idf.get(token, self.unknown_weight)

    def correct(self, token: str) -> str:
        # Short words are too easily "corrected" into other words (earn -> learn).
        if token in self.idf or token in self.answer_only or len(token) < 5 or token.isdigit():
            return token
        cached = self._typo_cache.get(token)
        if cached is not None:
            return cached
        found = process.extractOne(
            token, self.vocabulary, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF
        )
        result = found[0] if found else token
        if len(self._typo_cache) < 10_000:
            self._typo_cache[token] = result
        return result

    def query_tokens(self, question: str) -> list[str]:
        # A year the knowledge base has entries for steers the choice (see mentions());
        # as words, "2024/25" would only dilute the question.
        question = YEAR.sub(
            lambda m: " " if year_label(m) in self.known_years else m.group(0), question
        )
        return [self.correct(t) for t in self.normaliser.tokens(question)]

    def mentions(self, question: str) -> Mentions:
        """Programmes, years and cohorts the question names (in words the KB knows)."""
        found = mentions(question, {})
        tokens = set(self.query_tokens(question))
        cues = frozenset((t, p) for t, p in self.programme_cues.items() if t in tokens)
        # Cohorts are the Specialist Programme's ("cohort 1 - how big was it?"); Work Groups
        # have none.
        named = {p for _, p in cues} | ({"specialist"} if found.cohorts else set())
        programmes = frozenset(named)
        return Mentions(programmes, found.years, found.cohorts, cues)

    # -- scoring ----------------------------------------------------------------------------

    def score(self, tokens: list[str], left_out: float = 0.0) -> dict[int, float]:
        """Score 0-100 per entry index for one unit of text.

        ``left_out`` is the weight of the message's words outside this unit: a clause
        is judged partly against the whole message, so a one-word clause cannot match
        perfectly while the rest of the message says something else.
        """
        if not tokens:
            return {}
        query = frozenset(tokens)
        # A word the knowledge base maps to a canonical word that no entry uses is one its
        # editors declared out of scope (salaries, venues, Ofsted judgements): a near
        # miss, however many other words it shares with an entry.
        off_domain = OFF_DOMAIN_FACTOR if query & self.off_domain else 1.0
        weights = {t: self.token_weight(t) for t in query}
        query_weight = sum(weights.values()) + CONTEXT_SHARE * left_out
        query_text = " ".join(tokens)
        shared_by_entry: dict[int, float] = {}
        for token, weight in weights.items():
            for index, factor in self.entries_with.get(token, ()):
                shared_by_entry[index] = shared_by_entry.get(index, 0.0) + weight * factor
        # Candidate pruning: only the entries sharing the most weight with the question
        # are scored phrasing by phrasing, so the time per question stays flat as the
        # knowledge base grows (a common word such as "specialist" is in a third of it).
        # On a tie (a one-word question such as "what is a maths hub?" shares "hub" with a
        # dozen entries), the entry with the shortest phrasing explains it best.
        kept = (
            heapq.nlargest(
                MAX_CANDIDATES,
                shared_by_entry,
                key=lambda i: (shared_by_entry[i], -self.shortest_phrasing[i]),
            )
            if len(shared_by_entry) > MAX_CANDIDATES
            else list(shared_by_entry)
        )
        overlap: list[tuple[float, int]] = []
        for index in kept:
            for position in self.entry_phrasings[index]:
                phrasing = self.phrasings[position]
                common = phrasing.tokens & query
                if not common:
                    continue
                shared_weight = sum(weights[t] for t in common)
                recall = shared_weight / query_weight
                precision = shared_weight / phrasing.weight
                # F-beta with beta=2: explaining the question matters more than using
                # every word of one phrasing.
                overlap.append((5 * recall * precision / (4 * precision + recall), position))
        overlap.sort(reverse=True)
        best: dict[int, float] = {}
        for rank, (f_score, position) in enumerate(overlap):
            phrasing = self.phrasings[position]
            if rank < FUZZY_CANDIDATES:
                similarity = fuzz.token_sort_ratio(query_text, phrasing.text) / 100
            else:
                similarity = f_score  # never reached for the best candidates
            score = 100 * (0.7 * f_score + 0.3 * similarity)
            if score > best.get(phrasing.entry_index, 0.0):
                best[phrasing.entry_index] = score
        for index in kept:
            shared = shared_by_entry[index]
            # The entry as a whole (all its phrasings, its answer at a lower weight) may
            # explain a question that no single phrasing does.
            covered = shared / query_weight
            whole = 100 * ENTRY_WEIGHT * covered**1.5
            if whole > best.get(index, 0.0):
                best[index] = whole
        if off_domain != 1.0:
            best = {index: score * off_domain for index, score in best.items()}
        return best
