"""Match a free-text question to an FAQ entry, or admit that none fits.

Both the question and every phrasing of every entry go through the same pipeline:
fold (lower case, no punctuation), rewrite synonyms to one canonical word, drop stop
words, stem lightly, and correct typos against the knowledge base's own vocabulary.
An entry's score blends two views, because each catches what the other misses:

* IDF-weighted word overlap, weighted towards how much of the *question* the entry
  explains: a question full of words the knowledge base has never seen ("pizza",
  "France") scores low, however common its other words are;
* rapidfuzz's token-sort similarity, which rewards phrasings that read alike.

Below ``CONFIDENT`` the matcher gives no answer and only suggestions, because an
unrelated answer presented as the answer is worse than an honest "I'm not sure".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge.faq import FaqBase, FaqEntry
from bot.knowledge.text import fold, stem

CONFIDENT = 52
SUGGEST = 25
MAX_SUGGESTIONS = 3
MAX_QUERY_CHARS = 500
_TYPO_CUTOFF = 84
ENTRY_BONUS = 0.7
ENTRY_BONUS_MIN_WORDS = 3

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "anything",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "during",
        "each",
        "else",
        "ever",
        "for",
        "from",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "id",
        "if",
        "im",
        "in",
        "into",
        "is",
        "isnt",
        "it",
        "its",
        "itll",
        "ive",
        "just",
        "know",
        "let",
        "lets",
        "like",
        "me",
        "might",
        "mine",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "please",
        "really",
        "same",
        "say",
        "she",
        "should",
        "so",
        "some",
        "such",
        "tell",
        "than",
        "thank",
        "thanks",
        "that",
        "thats",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "want",
        "wanted",
        "was",
        "we",
        "were",
        "weve",
        "what",
        "whats",
        "which",
        "while",
        "will",
        "with",
        "would",
        "you",
        "your",
        "youre",
        "yours",
        "yourself",
        "hi",
        "hello",
        "hey",
        "dear",
        "ok",
        "okay",
        "anyone",
        "someone",
        "something",
        "could",
        "kindly",
        "wonder",
        "wondering",
        "r",
        "u",
        "exactly",
        "able",
        "morning",
        "afternoon",
        "evening",
        "cheers",
        "question",
    ]
)


@dataclass(frozen=True)
class MatchResult:
    entry: FaqEntry | None
    score: int
    suggestions: tuple[FaqEntry, ...]


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    tokens: frozenset[str]
    weight: float
    text: str


class Normaliser:
    """Turns text into the canonical token list the matcher compares."""

    def __init__(
        self, synonyms: dict[str, tuple[str, ...]], neutral: frozenset[str] = frozenset()
    ) -> None:
        # Words that say nothing about which answer is wanted (place names in England:
        # "I teach in Leeds, do I need QTS?" is a question about QTS).
        self._neutral = neutral
        pairs: list[tuple[str, str]] = []
        for canonical, variants in synonyms.items():
            canon = fold(canonical).replace(" ", "_")
            for variant in variants:
                folded = fold(variant)
                if folded:
                    pairs.append((folded, canon))
        pairs.sort(key=lambda p: -len(p[0]))
        self._replacements = dict(pairs)
        self._pattern = (
            re.compile(r"\b(" + "|".join(re.escape(v) for v, _ in pairs) + r")\b")
            if pairs
            else None
        )
        self._canonical = {canon for _, canon in pairs} | {
            fold(c).replace(" ", "_") for c in synonyms
        }

    def tokens(self, text: str) -> list[str]:
        folded = fold(text[:MAX_QUERY_CHARS])
        if self._pattern is not None:
            folded = self._pattern.sub(lambda m: self._replacements[m.group(1)], folded)
        out: list[str] = []
        for word in folded.split():
            if word in self._canonical:
                out.append(word)
            elif word not in STOPWORDS and word not in self._neutral:
                out.append(stem(word))
        return out


class FaqMatcher:
    """Scores questions against every phrasing of every FAQ entry."""

    def __init__(self, faq: FaqBase, neutral_words: frozenset[str] = frozenset()) -> None:
        self.faq = faq
        self.normaliser = Normaliser(faq.synonyms, neutral_words)
        token_lists: list[tuple[int, list[str], str]] = []
        for index, entry in enumerate(faq.entries):
            for question in entry.questions:
                token_lists.append((index, self.normaliser.tokens(question), question))
            if entry.keywords:
                token_lists.append((index, self.normaliser.tokens(" ".join(entry.keywords)), ""))
        document_frequency: dict[str, int] = {}
        entry_vocab: list[set[str]] = [set() for _ in faq.entries]
        for index, tokens, _ in token_lists:
            entry_vocab[index].update(tokens)
        for vocab in entry_vocab:
            for token in vocab:
                document_frequency[token] = document_frequency.get(token, 0) + 1
        n = max(len(faq.entries), 1)
        self._idf = {
            t: math.log((n + 1) / (df + 0.5)) + 0.5 for t, df in document_frequency.items()
        }
        # A word the knowledge base has never seen weighs like a rare one: it is
        # probably what the question is really about, and we know nothing of it.
        self._unknown_weight = math.log(n + 1) + 0.5
        self._vocabulary = sorted(document_frequency)
        self._entry_vocab = [frozenset(v) for v in entry_vocab]
        self._phrasings = [
            _Phrasing(i, frozenset(toks), self._weight(toks), " ".join(toks))
            for i, toks, _ in token_lists
            if toks
        ]
        # Only phrasings that share a word with the question can score at all.
        self._by_token: dict[str, list[int]] = {}
        for position, phrasing in enumerate(self._phrasings):
            for token in phrasing.tokens:
                self._by_token.setdefault(token, []).append(position)
        self._entries_with: dict[str, list[int]] = {}
        for index, entry_words in enumerate(self._entry_vocab):
            for token in entry_words:
                self._entries_with.setdefault(token, []).append(index)
        self._typo_cache: dict[str, str] = {}

    def _weight(self, tokens: Iterable[str]) -> float:
        return sum(self._idf.get(t, self._unknown_weight) for t in set(tokens))

    def _correct(self, token: str) -> str:
        # Short words are too easily "corrected" into other words (earn -> learn).
        if token in self._idf or len(token) < 5 or token.isdigit():
            return token
        cached = self._typo_cache.get(token)
        if cached is not None:
            return cached
        found = process.extractOne(
            token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF
        )
        result = found[0] if found else token
        if len(self._typo_cache) < 10_000:
            self._typo_cache[token] = result
        return result

    def query_tokens(self, question: str) -> list[str]:
        return [self._correct(t) for t in self.normaliser.tokens(question)]

    def scores(self, question: str) -> list[tuple[float, int]]:
        """(score 0-100, entry index) for every entry, best first."""
        tokens = self.query_tokens(question)
        if not tokens:
            return []
        query = frozenset(tokens)
        weights = {t: self._idf.get(t, self._unknown_weight) for t in query}
        query_weight = sum(weights.values())
        query_text = " ".join(tokens)
        # Shared weight of each phrasing (and entry) with the question, via the index.
        shared_by_phrasing: dict[int, float] = {}
        shared_by_entry: dict[int, float] = {}
        for token, weight in weights.items():
            for position in self._by_token.get(token, ()):
                shared_by_phrasing[position] = shared_by_phrasing.get(position, 0.0) + weight
            for index in self._entries_with.get(token, ()):
                shared_by_entry[index] = shared_by_entry.get(index, 0.0) + weight
        best: dict[int, float] = {}
        for position, shared_weight in shared_by_phrasing.items():
            phrasing = self._phrasings[position]
            recall = shared_weight / query_weight
            precision = shared_weight / phrasing.weight
            # F-beta with beta=2: explaining the question matters more than using
            # every word of one phrasing.
            f_score = 5 * recall * precision / (4 * precision + recall)
            similarity = fuzz.token_sort_ratio(query_text, phrasing.text) / 100
            score = 100 * (0.7 * f_score + 0.3 * similarity)
            if score > best.get(phrasing.entry_index, 0.0):
                best[phrasing.entry_index] = score
        if len(query) >= ENTRY_BONUS_MIN_WORDS:
            # The entry as a whole (all its phrasings) may explain a question that no
            # single phrasing does; never let that raise it above a strong phrasing.
            for index, score in best.items():
                covered = shared_by_entry.get(index, 0.0) / query_weight
                if covered > 0.85:
                    best[index] = max(score, 100 * ENTRY_BONUS * covered * covered)
        # Best first; on a tie the earlier (more general) entry wins.
        return sorted(((s, i) for i, s in best.items()), key=lambda p: (-p[0], p[1]))

    def match(self, question: str) -> MatchResult:
        ranked = self.scores(question)
        if not ranked:
            return MatchResult(None, 0, ())
        top_score, top_index = ranked[0]
        score = round(top_score)
        if score >= CONFIDENT:
            entry = self.faq.entries[top_index]
            others = tuple(
                self.faq.entries[i] for s, i in ranked[1 : 1 + MAX_SUGGESTIONS] if s >= SUGGEST
            )
            return MatchResult(entry, score, others)
        suggestions = tuple(
            self.faq.entries[i] for s, i in ranked[:MAX_SUGGESTIONS] if s >= SUGGEST
        )
        return MatchResult(None, score, suggestions)
