"""Never a wrong yes or no: every yes/no-shaped FAQ question, asked positively and negated.

"Do I need QTS?" and "Can an unqualified teacher apply?" have opposite yes/no answers,
so no reply may open with one.  The answers state the fact first (``check`` refuses an
answer opening with yes/no); this test asks every entry's yes/no questions both ways
through the whole answering path and reads every paragraph of the reply.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.answers import answer_question
from bot.knowledge.base import Knowledge
from bot.knowledge.faq import yes_no_opening
from tests.conftest import ROOT

TODAY = dt.date(2026, 11, 23)
NEGATED = {
    "do": "don't",
    "does": "doesn't",
    "can": "can't",
    "is": "isn't",
    "are": "aren't",
    "will": "won't",
    "would": "wouldn't",
    "should": "shouldn't",
    "have": "haven't",
    "has": "hasn't",
    "must": "mustn't",
    "did": "didn't",
    "was": "wasn't",
    "were": "weren't",
    "could": "couldn't",
}
_YES_NO_SHAPED = re.compile(r"^(" + "|".join(NEGATED) + r")\b", re.IGNORECASE)


def _yes_no_questions(knowledge: Knowledge) -> list[tuple[str, str]]:
    found = []
    for entry in knowledge.faq.entries:
        for question in entry.questions:
            if _YES_NO_SHAPED.match(question.strip()):
                found.append((entry.id, question))
    return found


def _negate(question: str) -> str:
    word, rest = question.strip().split(" ", 1)
    return f"{NEGATED[word.lower()].capitalize()} {rest}"


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def test_the_knowledge_base_has_yes_no_questions_to_check(knowledge: Knowledge) -> None:
    assert len(_yes_no_questions(knowledge)) >= 20


@pytest.fixture(scope="module")
def yes_no_cases() -> list[tuple[str, str]]:
    from bot.knowledge.base import load_knowledge

    return _yes_no_questions(load_knowledge(ROOT / "knowledge", ROOT / "flows"))


def test_no_reply_opens_with_yes_or_no_either_way(
    knowledge: Knowledge, yes_no_cases: list[tuple[str, str]]
) -> None:
    wrong = []
    for entry_id, question in yes_no_cases:
        for asked in (question, _negate(question)):
            answer = answer_question(knowledge, asked, TODAY)
            for paragraph in [answer.text, *_paragraphs(answer.text)]:
                word = yes_no_opening(paragraph)
                if word is not None:
                    wrong.append(f"{entry_id}: {asked!r} -> {paragraph[:60]!r}")
    assert not wrong, "\n".join(wrong)


def test_a_negated_question_finds_the_same_entry(
    knowledge: Knowledge, yes_no_cases: list[tuple[str, str]]
) -> None:
    # Negation changes the yes/no, not the fact asked about: the same entry answers.
    moved = []
    for entry_id, question in yes_no_cases:
        positive = answer_question(knowledge, question, TODAY)
        negative = answer_question(knowledge, _negate(question), TODAY)
        if positive.entry is not None and (
            negative.entry is None or negative.entry.id != positive.entry.id
        ):
            moved.append(f"{entry_id}: {question!r}")
    assert len(moved) <= len(yes_no_cases) // 10, "\n".join(moved)
