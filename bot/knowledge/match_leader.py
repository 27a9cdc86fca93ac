"""When a message that scores below "likely" still has one answer worth offering as likely.

Teachers write long, chatty messages, and every word the documents never use ("diary is
rammed", "on top of my TLR") counts against each entry's score.  Two signs still point at
one entry, and the answer is then shown as "I think you're asking about ...", with the
alternatives, never as the answer:

* a *clear leader*: one entry far ahead of every other;
* a *distinctive word*: the message uses a word that only one entry's phrasings use
  ("18 months", "cohort 2"), and that entry leads.

Neither applies to a near miss: a word the knowledge base declares out of scope, a cohort or
year it knows nothing of, or (for a distinctive word) an entry of the other programme or
period, or one whose answer lacks the kind of fact asked ("how many places ...?" of an
entry that gives no number).  Split from :mod:`bot.knowledge.matching`.
"""

from __future__ import annotations

from bot.knowledge.match_index import MatchIndex
from bot.knowledge.match_units import Unit

CLEAR_LEADER = 40
CLEAR_GAP = 15
# A short message that scores low because of a word the knowledge base does not know ("im
# on maternity leave can i apply": one word in three) is declined, not guessed at: that
# word is what it asks about.  A quarter of unknown words, or a long message, is excused.
CLEAR_LEADER_TOKENS = 8
CLEAR_LEADER_UNKNOWN = 0.25
# Below this even a distinctive word is too little of the message to go on.
DISTINCTIVE_MIN = 38
_IN_A_PHRASING = 1.0


def low_score_excused(words: MatchIndex, units: list[Unit]) -> bool:
    """Whether a low score may be blamed on the message's length rather than on a word the
    knowledge base does not know (which is then what the message asks about)."""
    tokens = units[0].tokens
    unknown = sum(t not in words.idf and t not in words.answer_only for t in tokens)
    return unknown < CLEAR_LEADER_UNKNOWN * len(tokens) or len(tokens) >= CLEAR_LEADER_TOKENS


def clear_leader(ranked: list[tuple[float, int]]) -> bool:
    """One entry far ahead of every other."""
    top = ranked[0][0]
    second = ranked[1][0] if len(ranked) > 1 else 0.0
    return top >= CLEAR_LEADER and top - second >= CLEAR_GAP


def distinctive_leader(
    words: MatchIndex, ranked: list[tuple[float, int]], units: list[Unit]
) -> bool:
    """The leading entry is the only one whose phrasings use a word of the message (the
    caller has ruled out a near miss and checked the entry fits the question)."""
    top_score, top = ranked[0]
    if top_score < DISTINCTIVE_MIN:
        return False
    for token in set(units[0].tokens):
        users = [i for i, weight in words.entries_with.get(token, ()) if weight == _IN_A_PHRASING]
        if users == [top]:
            return True
    return False
