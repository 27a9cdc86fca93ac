"""A message cut into the units the FAQ matcher scores.

Teachers wrap a question in context ("HoD here and drowning.") or ask two at once
("cost and whats the deadline"), so the matcher scores the whole message, each clause
that asks something, and each clause with the one before it, and keeps each entry's
best score.  Split from :mod:`bot.knowledge.matching`, which ranks the entries over
these units and decides what to answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.knowledge.match_index import MatchIndex
from bot.knowledge.text import fold, segments

MAX_SEGMENTS = 8
_FOLLOW_UP = re.compile(r"\b(their|theirs|them|they|its|that one|those|these)\b")


@dataclass
class Unit:
    """One scored piece of a message: its tokens, whether it asks something, the weight
    of the rest of the message (which counts against it), and where it was asked."""

    tokens: list[str]
    question: bool
    left_out: float = 0.0
    position: int = -1
    text: str = ""
    scores: dict[int, float] = field(default_factory=dict)


def message_units(words: MatchIndex, question: str) -> list[Unit]:
    """The whole message, each question-like clause, and each with the clause before it.

    A clause is judged partly against the rest of the message (``left_out``).
    """
    units = [Unit(words.query_tokens(question), True, position=-1, text=question)]
    parts = segments(question)[:MAX_SEGMENTS]
    if len(parts) == 1 and parts[0][0] != question.strip(" ,.?!:+"):
        # One clause, its lead-in dropped ("my head has asked me to find out whether
        # ..."): the question alone is scored too, with the lead-in as its context.
        lone = words.query_tokens(parts[0][0])
        left = words.weight(units[0].tokens) - words.weight(lone)
        units.append(Unit(lone, True, max(left, 0.0), 0, parts[0][0]))
    if len(parts) > 1:
        tokens = [words.query_tokens(text) for text, _ in parts]
        total = words.weight(t for toks in tokens for t in toks)
        for i, (text, asked) in enumerate(parts):
            if not asked or not tokens[i]:
                continue
            own = words.weight(tokens[i])
            # "... and whens their deadline": a follow-up about something named
            # before is only read together with the clause before it.
            if not (i > 0 and _FOLLOW_UP.search(fold(text))):
                units.append(Unit(tokens[i], True, max(total - own, 0.0), i, text))
            if i > 0 and tokens[i - 1]:
                pair = tokens[i - 1] + tokens[i]
                left = max(total - words.weight(pair), 0.0)
                units.append(Unit(pair, False, left, i, f"{parts[i - 1][0]} {text}"))
    return units


def asked_at(index: int, units: list[Unit]) -> int:
    """Where in the message the question entry ``index`` answers was asked (for ordering)."""
    for unit in units[1:]:
        if unit.question and unit.scores and max(unit.scores, key=unit.scores.__getitem__) == index:
            return unit.position
    return -1
