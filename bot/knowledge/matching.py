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
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.knowledge.faq import FaqBase, FaqEntry
from bot.knowledge.text import TEXT_SPEAK, fold, segments, stem

# Calibrated on both development sets (see README, Performance): at or above CONFIDENT the
# answer is given as the answer; from LIKELY it is shown as a likely answer with the
# alternatives; below, the assistant declines and suggests.
CONFIDENT = 60
LIKELY = 50
SUGGEST = 22
# A second question in the same message is answered from a lower score: it is judged
# partly against the first question, which it does not explain.
SECOND_QUESTION = 50
MAX_SUGGESTIONS = 3
MAX_ANSWERS = 4
MAX_QUERY_CHARS = 500
MAX_SEGMENTS = 8
_TYPO_CUTOFF = 84
ENTRY_WEIGHT = 0.72
ANSWER_WORD_WEIGHT = 0.5
# The other programme's entry is kept as a candidate (the question may be about it after
# all) but has to beat the named programme's entries clearly.
OTHER_PROGRAMME_FACTOR = 0.72
# Only so many phrasings per unit get the (costlier) fuzzy comparison: those with the
# most word overlap.  Keeps the answer time flat as the knowledge base grows.
FUZZY_CANDIDATES = 40
MAX_CANDIDATES = 12
OFF_DOMAIN_FACTOR = 0.6
UNKNOWN_PERIOD_FACTOR = 0.85
# How much the rest of a message counts against one of its clauses.
CONTEXT_SHARE = 0.35

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
        "actually",
        "honestly",
        "basically",
        "literally",
        "totally",
        "sorry",
        "bit",
        "quick",
        "roughly",
        "even",
        "still",
        "though",
        "because",
        "anyway",
        "guys",
        "everyone",
        "yes",
        "yeah",
        "ah",
        "oh",
        "hmm",
        "also",
        "plus",
        "surely",
        "definitely",
        "probably",
        "maybe",
        "perhaps",
        "someone",
        "somebody",
        "thing",
        "things",
        "stuff",
        "lot",
        "lots",
        "loads",
        "any",
        "way",
        "go",
        "going",
        "mean",
        "means",
    ]
)


# Questions about the assistant itself are answered from its own privacy notice (the
# assistant supplies the text), never from a Maths Hub's privacy statement.
SELF_ENTRY = FaqEntry(
    id="assistant-privacy",
    programme="both",
    year=None,
    questions=(
        "How long do you keep my data?",
        "What do you keep about me?",
        "What information does this assistant store?",
        "Who can see my answers in this chat?",
        "Who sees my data?",
        "How do I delete my data?",
        "What does /forget do?",
        "Is this chat private?",
        "Do you save what I type?",
        "What happens to my conversation with you?",
        "Do you share my details with anyone?",
        "Can you forget me?",
    ),
    keywords=("chatbot privacy", "forget", "delete my data"),
    answer=(
        "How this assistant handles your information: what it keeps, why, who receives it, "
        "how long it is kept, and how to delete it with /forget."
    ),
    source=(),
    window=None,
    line=0,
)
SELF_SYNONYMS: dict[str, tuple[str, ...]] = {
    "chatbot": (
        "this assistant",
        "this chatbot",
        "the chatbot",
        "this bot",
        "the bot",
        "this chat",
        "this conversation",
        "our conversation",
        "my conversation",
        "you keep",
        "you store",
        "you hold",
        "you save",
        "you record",
        "you delete",
        "do you remember",
    ),
    "forget": ("/forget", "forget me", "delete my data", "delete my details", "erase"),
}

# What kind of fact a question asks for, and how an answer that gives one reads.  An
# entry whose answer holds no date does not answer "when ...?", however close its words.
_ASKS_WHEN = re.compile(
    r"^(so |and |but |ok |also )?(when|whens|what time)\b|\b(what|which|the|actual|exact) dates?\b|"
    r"\bdates? (of|for)\b|\bby when\b"
)
_ASKS_COUNT = re.compile(r"\bhow (many|much)\b|\bnumber of\b")
_GIVES_DATE = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|"
    r"december|autumn|spring|summer|christmas|easter|half term|term)\b"
)
_GIVES_COUNT = re.compile(
    r"\d|£|\b(one|two|three|four|five|six|seven|eight|nine|ten|half|free|no (fee|charge|cost)|"
    r"a few|several|quota)\b"
)
INTENT_FACTOR = 0.75
_YEARS_AND_COHORTS = re.compile(r"\b(19|20)\d\d( (19|20)?\d\d)?\b|\bcohorts? \d+\b|\byear \d\b")

_FOLLOW_UP = re.compile(r"\b(their|theirs|them|they|its|that one|those|these)\b")

_YEAR = re.compile(r"\b(?:20)?(1[4-9]|2[0-9])\s*[/-]\s*(?:20)?(1[5-9]|2[0-9])\b")
_COHORT = re.compile(r"\bcohort\s*(\d{1,2})\b")


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


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    tokens: frozenset[str]
    weight: float
    text: str


@dataclass(frozen=True)
class Mentions:
    """Programmes, academic years and cohorts a question names."""

    programmes: frozenset[str] = frozenset()
    years: frozenset[str] = frozenset()
    cohorts: frozenset[str] = frozenset()
    # (word, programme) for each word of the question that names one programme.
    cues: frozenset[tuple[str, str]] = frozenset()


@dataclass
class _Unit:
    tokens: list[str]
    question: bool
    left_out: float = 0.0
    position: int = -1
    text: str = ""
    scores: dict[int, float] = field(default_factory=dict)


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
        words = self._replace(self.respell(fold(text[:MAX_QUERY_CHARS])).split())
        out: list[str] = []
        for word in words:
            if word in self.canonical:
                out.append(word)
            elif word not in STOPWORDS and word not in self._neutral:
                out.append(stem(word))
        return out


def _year(found: re.Match[str]) -> str:
    return f"20{found.group(1)}/{found.group(2)}"


def mentions(text: str, cues: dict[str, str]) -> Mentions:
    """The programmes (via ``cues``: token -> programme), years and cohorts ``text`` names."""
    folded = fold(text)
    years = {_year(m) for m in _YEAR.finditer(text) if int(m.group(2)) == int(m.group(1)) + 1}
    cohorts = set(_COHORT.findall(folded))
    words = set(folded.split())
    programmes = {programme for token, programme in cues.items() if token in words}
    return Mentions(frozenset(programmes), frozenset(years), frozenset(cohorts))


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
        # The assistant's own entry first: on a tie ("who sees my data?") it wins.
        self.entries: tuple[FaqEntry, ...] = (SELF_ENTRY, *faq.entries, *extra_entries)
        synonyms = {**SELF_SYNONYMS, **faq.synonyms, **(extra_synonyms or {})}
        self.normaliser = Normaliser(synonyms, neutral_words)
        token_lists: list[tuple[int, list[str]]] = []
        answer_vocab: list[set[str]] = []
        for index, entry in enumerate(self.entries):
            for question in entry.questions:
                token_lists.append((index, self.normaliser.tokens(question)))
            if entry.keywords:
                token_lists.append((index, self.normaliser.tokens(" ".join(entry.keywords))))
            answer_vocab.append(set(self.normaliser.tokens(entry.answer)))
        document_frequency: dict[str, int] = {}
        entry_vocab: list[set[str]] = [set() for _ in self.entries]
        for index, tokens in token_lists:
            entry_vocab[index].update(tokens)
        for vocab in entry_vocab:
            for token in vocab:
                document_frequency[token] = document_frequency.get(token, 0) + 1
        n = max(len(self.entries), 1)
        self._idf = {
            t: math.log((n + 1) / (df + 0.5)) + 0.5 for t, df in document_frequency.items()
        }
        # A word the knowledge base has never seen weighs like a rare one: it is
        # probably what the question is really about, and we know nothing of it.
        self._unknown_weight = math.log(n + 1) + 0.5
        # Words only the answers use are known (typos are corrected towards them too),
        # and weigh like the rarest phrasing words.
        answer_only = (
            set().union(*answer_vocab) - set(document_frequency) if answer_vocab else set()
        )
        self._vocabulary = sorted(set(document_frequency) | answer_only)
        self._answer_only = frozenset(answer_only)
        self._off_domain = frozenset(self.normaliser.canonical - set(document_frequency))
        self._entry_vocab = [frozenset(v) for v in entry_vocab]
        self._answer_vocab = [
            frozenset(a - e) for a, e in zip(answer_vocab, entry_vocab, strict=True)
        ]
        self._phrasings = [
            _Phrasing(i, frozenset(toks), self._weight(toks), " ".join(toks))
            for i, toks in token_lists
            if toks
        ]
        self._entry_phrasings: list[list[int]] = [[] for _ in self.entries]
        for position, phrasing in enumerate(self._phrasings):
            self._entry_phrasings[phrasing.entry_index].append(position)
        self._entries_with: dict[str, list[tuple[int, float]]] = {}
        for index, (entry_words, answer_words) in enumerate(
            zip(self._entry_vocab, self._answer_vocab, strict=True)
        ):
            for token in entry_words:
                self._entries_with.setdefault(token, []).append((index, 1.0))
            for token in answer_words:
                self._entries_with.setdefault(token, []).append((index, ANSWER_WORD_WEIGHT))
        self.programme_cues = self._programme_cues()
        # Every answer names its academic year and cohort, which are neither dates nor counts.
        answers = [
            _YEARS_AND_COHORTS.sub(" ", fold(f"{e.answer} {e.window.label if e.window else ''}"))
            for e in self.entries
        ]
        self._without_date = frozenset(
            i for i, text in enumerate(answers) if not _GIVES_DATE.search(text)
        ) - {0}
        self._without_count = frozenset(
            i for i, text in enumerate(answers) if not _GIVES_COUNT.search(text)
        ) - {0}
        self._known_cohorts = frozenset(
            number
            for entry in self.entries
            for number in _COHORT.findall(fold(f"{entry.year or ''} {entry.answer}"))
        )
        self._known_years = frozenset(
            _year(m) for entry in self.entries for m in _YEAR.finditer(entry.year or "")
        )
        self._typo_cache: dict[str, str] = {}

    def entry(self, entry_id: str) -> FaqEntry:
        """An entry by id, including the assistant's own (raises KeyError)."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    # -- vocabulary -------------------------------------------------------------------------

    def _programme_cues(self) -> dict[str, str]:
        """Words that name one programme: its id, and canonical words used almost only by it."""
        cues: dict[str, str] = {}
        for programme in ("specialist", "workgroups"):
            for token in self.normaliser.tokens(programme):
                cues[token] = programme
        by_token: dict[str, dict[str, int]] = {}
        for index, vocab in enumerate(self._entry_vocab):
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

    def _weight(self, tokens: Iterable[str]) -> float:
        return sum(self._idf.get(t, self._unknown_weight) for t in set(tokens))

    def _token_weight(self, token: str) -> float:
        return self._idf.get(token, self._unknown_weight)

    def _correct(self, token: str) -> str:
        # Short words are too easily "corrected" into other words (earn -> learn).
        if token in self._idf or token in self._answer_only or len(token) < 5 or token.isdigit():
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
        # A year the knowledge base has entries for steers the choice (see mentions());
        # as words, "2024/25" would only dilute the question.
        question = _YEAR.sub(
            lambda m: " " if _year(m) in self._known_years else m.group(0), question
        )
        return [self._correct(t) for t in self.normaliser.tokens(question)]

    def mentions(self, question: str) -> Mentions:
        """Programmes, years and cohorts the question names (in words the KB knows)."""
        found = mentions(question, {})
        tokens = set(self.query_tokens(question))
        cues = frozenset((t, p) for t, p in self.programme_cues.items() if t in tokens)
        programmes = frozenset(p for _, p in cues)
        return Mentions(programmes, found.years, found.cohorts, cues)

    # -- scoring ----------------------------------------------------------------------------

    def _score_tokens(self, tokens: list[str], left_out: float = 0.0) -> dict[int, float]:
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
        off_domain = OFF_DOMAIN_FACTOR if query & self._off_domain else 1.0
        weights = {t: self._token_weight(t) for t in query}
        query_weight = sum(weights.values()) + CONTEXT_SHARE * left_out
        query_text = " ".join(tokens)
        shared_by_entry: dict[int, float] = {}
        for token, weight in weights.items():
            for index, factor in self._entries_with.get(token, ()):
                shared_by_entry[index] = shared_by_entry.get(index, 0.0) + weight * factor
        # Candidate pruning: only the entries sharing the most weight with the question
        # are scored phrasing by phrasing, so the time per question stays flat as the
        # knowledge base grows (a common word such as "specialist" is in a third of it).
        kept = (
            heapq.nlargest(MAX_CANDIDATES, shared_by_entry, key=shared_by_entry.__getitem__)
            if len(shared_by_entry) > MAX_CANDIDATES
            else list(shared_by_entry)
        )
        overlap: list[tuple[float, int]] = []
        for index in kept:
            for position in self._entry_phrasings[index]:
                phrasing = self._phrasings[position]
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
            phrasing = self._phrasings[position]
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

    def _units(self, question: str) -> list[_Unit]:
        """The whole message, each question-like clause, and each with the clause before it.

        A clause is judged partly against the rest of the message (``left_out``).
        """
        units = [_Unit(self.query_tokens(question), True, position=-1, text=question)]
        parts = segments(question)[:MAX_SEGMENTS]
        if len(parts) > 1:
            tokens = [self.query_tokens(text) for text, _ in parts]
            total = self._weight(t for toks in tokens for t in toks)
            for i, (_, asked) in enumerate(parts):
                if not asked or not tokens[i]:
                    continue
                own = self._weight(tokens[i])
                text = parts[i][0]
                # "... and whens their deadline": a follow-up about something named
                # before is only read together with the clause before it.
                if not (i > 0 and _FOLLOW_UP.search(fold(text))):
                    units.append(_Unit(tokens[i], True, max(total - own, 0.0), i, text))
                if i > 0 and tokens[i - 1]:
                    pair = tokens[i - 1] + tokens[i]
                    left = max(total - self._weight(pair), 0.0)
                    units.append(_Unit(pair, False, left, i, f"{parts[i - 1][0]} {text}"))
        return units

    def scores(self, question: str) -> list[tuple[float, int]]:
        """(score 0-100, entry index) for every entry that shares a word, best first."""
        return self._rank(self._units(question), self.mentions(question))

    def _rank(self, units: list[_Unit], named: Mentions) -> list[tuple[float, int]]:
        best: dict[int, float] = {}
        for unit in units:
            unit.scores = self._score_tokens(unit.tokens, unit.left_out)
            self._check_intent(unit)
            for index, score in unit.scores.items():
                if score > best.get(index, 0.0):
                    best[index] = score
        # A cohort or year the knowledge base says nothing about ("when does cohort 12
        # open?") makes every answer a near miss: at most "likely", usually a decline.
        unknown = (named.cohorts - self._known_cohorts) or (named.years - self._known_years)
        for index in best:
            best[index] *= self._programme_factor(index, named)
            if unknown:
                best[index] *= UNKNOWN_PERIOD_FACTOR
        # Best first; on a tie the earlier (more general) entry wins.
        return sorted(((s, i) for i, s in best.items()), key=lambda p: (-p[0], p[1]))

    def _check_intent(self, unit: _Unit) -> None:
        """Lower entries whose answer lacks the kind of fact the unit asks for."""
        folded = fold(unit.text)
        lacking = None
        if _ASKS_WHEN.search(folded):
            lacking = self._without_date
        elif _ASKS_COUNT.search(folded):
            lacking = self._without_count
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
            and token not in self._entry_vocab[index]
            and token not in self._answer_vocab[index]
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
        if score < LIKELY:
            suggestions = tuple(
                self.entries[i] for s, i in ranked[:MAX_SUGGESTIONS] if s >= SUGGEST
            )
            return MatchResult(None, score, suggestions)
        tier = "confident" if score >= CONFIDENT else "likely"
        asked = [(self._position(top_index, units), top)]
        if tier == "confident":
            asked += self._second_questions(units, named, top)
        asked.sort(key=lambda p: p[0])
        answers: list[FaqEntry] = []
        by_programme = False
        for _, entry in asked:
            family = self._for_programmes(entry, named, ranked)
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

    @staticmethod
    def _position(index: int, units: list[_Unit]) -> int:
        """Where in the message the question an entry answers was asked (for ordering)."""
        for unit in units[1:]:
            if (
                unit.question
                and unit.scores
                and max(unit.scores, key=unit.scores.__getitem__) == index
            ):
                return unit.position
        return -1

    def _for_programmes(
        self, top: FaqEntry, named: Mentions, ranked: list[tuple[float, int]]
    ) -> list[FaqEntry]:
        """``top``, or each programme's/year's version of it when the question names none."""
        siblings = self.faq.siblings(top) if top.topic else ()
        if not siblings:
            return [top]
        family = [top, *siblings]
        wanted = [e for e in family if _names(e, named)]
        if wanted:
            return sorted(wanted, key=lambda e: e is not top)[:MAX_ANSWERS]
        if named.programmes or named.years or named.cohorts:
            # The question names something none of them is about: the best one only.
            return [top]
        order = {i: rank for rank, (_, i) in enumerate(ranked)}
        positions = {id(e): order.get(self.entries.index(e), len(order)) for e in family}
        return sorted(family, key=lambda e: positions[id(e)])[:MAX_ANSWERS]

    def _second_questions(
        self, units: list[_Unit], named: Mentions, top: FaqEntry
    ) -> list[tuple[int, FaqEntry]]:
        """Entries answering other questions asked in the same message, with their position."""
        extra: list[tuple[int, FaqEntry]] = []
        taken = {top.id} | ({top.topic} if top.topic else set())
        for unit in units[1:]:
            if not unit.question or not unit.scores:
                continue
            index, score = max(unit.scores.items(), key=lambda p: (p[1], -p[0]))
            score *= self._programme_factor(index, named)
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


def _names(entry: FaqEntry, named: Mentions) -> bool:
    """Whether the question names this entry's programme, year or cohort."""
    year = (entry.year or "").lower()
    if named.years and any(y in year for y in named.years):
        return True
    if named.cohorts and any(re.search(rf"cohort\s*{c}\b", year) for c in named.cohorts):
        return True
    return bool(named.programmes) and entry.programme in named.programmes
