"""Telling a question from an answer in the middle of a form, by what the message says.

A school office types ``where do i find our URN`` at "What is the name of the school?":
that passes the name check, yet it is a question.  A question mark alone is not a
reliable sign (people leave it off, and a statement may end with one), so a message is
read for how it is phrased: a question word first (``where``, ``how``), or a verb that
opens a question followed by who it is about (``can we``, ``do i``, ``is there``).
A name like "Will Smith" or "May Jones" opens with such a word but not such a phrase.

The engine combines that reading with whether the message passes the field's check:
a question that is no valid answer is answered; a plausible answer with no sign of a
question is taken; a plausible answer phrased as a question is asked about.

Which field a question is about (``where do I find our URN`` is about the URN even while
the school's name is asked) is worked out from the form's own labels and field ids, so
each step's ``help`` answers "where do I find ..." for its field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from enum import Enum

from bot.flows.model import Step
from bot.knowledge.text import fold

_WH = frozenset(
    {"where", "what", "whats", "how", "hows", "why", "when", "who", "whos", "which", "wheres"}
)
_OPENERS = frozenset(
    {
        "can", "could", "do", "does", "did", "is", "are", "am", "should", "shall", "will",
        "would", "may", "might", "must", "have", "has", "was", "were", "isnt", "arent",
        "dont", "doesnt", "cant", "wont",
    }
)  # fmt: skip
# Who or what a question opened by a verb is about: "can WE", "is THERE", "do I".
_SUBJECTS = frozenset(
    {
        "i", "we", "you", "it", "this", "that", "there", "the", "my", "our", "a", "an",
        "they", "he", "she", "someone", "anyone", "one", "both", "these", "those", "your",
        "teachers", "schools", "middle", "primary",
    }
)  # fmt: skip
_PHRASES = (
    "i dont know", "i do not know", "not sure", "no idea", "tell me", "explain",
    "help me", "i need help", "dont understand", "do not understand", "what does",
    "what do", "wondering",
)  # fmt: skip
# Words that say nothing about which field is meant.
_STOP = frozenset(
    {
        "the", "a", "an", "of", "our", "my", "your", "is", "do", "i", "we", "find", "where",
        "what", "how", "get", "it", "to", "for", "and", "or", "in", "on", "can", "number",
        "name", "does", "this", "that", "which", "who", "when", "why", "need", "put",
    }
)  # fmt: skip
LONG_ANSWER_WORDS = 15


class Reading(Enum):
    NONE = "none"  # no sign of a question
    WEAK = "weak"  # phrased as a question, without a question mark
    STRONG = "strong"  # a question mark


def reads_as_question(text: str) -> Reading:
    words = fold(text).split()
    if not words:
        return Reading.NONE
    if text.rstrip().endswith("?"):
        return Reading.STRONG
    folded = " ".join(words)
    if words[0] in _WH and len(words) >= 2:
        return Reading.WEAK
    if words[0] in _OPENERS and len(words) >= 3 and words[1] in _SUBJECTS:
        return Reading.WEAK
    if any(re.search(rf"\b{p}\b", folded) for p in _PHRASES):
        return Reading.WEAK
    return Reading.NONE


def is_long(text: str) -> bool:
    return len(text.split()) > LONG_ANSWER_WORDS


def _tokens(step: Step) -> set[str]:
    text = f"{step.label} {step.field.replace('_', ' ')}"
    return {w for w in fold(text).split() if w not in _STOP and not w.isdigit()}


def step_asked_about(text: str, steps: Sequence[Step]) -> Step | None:
    """The one question step a message names by a word only few labels share, if any
    (``URN`` names "School URN"; ``email`` names none, being in every email's label)."""
    vocab = {s.field: _tokens(s) for s in steps if s.is_question}
    counts: dict[str, int] = {}
    for words in vocab.values():
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    asked = set(fold(text).split()) - _STOP
    scored = sorted(
        (
            (sum(1 / counts[w] for w in asked & words), field)
            for field, words in vocab.items()
            if asked & words
        ),
        reverse=True,
    )
    if (
        not scored
        or scored[0][0] < 0.5
        or (len(scored) > 1 and math.isclose(scored[0][0], scored[1][0]))
    ):
        return None
    field = scored[0][1]
    return next(s for s in steps if s.field == field)
