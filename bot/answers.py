"""Answering one free-text question from the FAQ, the same way in every channel and the CLI."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.knowledge.base import Knowledge
from bot.knowledge.faq import FaqEntry
from bot.knowledge.matching import MAX_QUERY_CHARS

NOT_SURE = "I'm not sure: I couldn't find an answer to that in the programme documents I know."
WAY_ON = (
    "Your Maths Hub can answer other questions: send /hub or your school's town or postcode "
    "and I'll give you its contact."
)
EMPTY = 'Please type a question, for example "How much release time is there?"'
TOO_LONG = "Please ask one question at a time, in up to {limit:,} characters."


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    entry: FaqEntry | None
    score: int
    suggestions: tuple[FaqEntry, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.text,
            "match": self.entry.id if self.entry else None,
            "score": self.score,
            "suggestions": [e.id for e in self.suggestions],
        }


def entry_text(knowledge: Knowledge, entry: FaqEntry, today: dt.date) -> str:
    return f"{knowledge.faq.answer_text(entry, today)}\n\n{knowledge.cite(entry.source)}"


def answer_question(
    knowledge: Knowledge, question: str, today: dt.date, *, limit: int = 1000
) -> Answer:
    """The FAQ answer to ``question``, or an honest "not sure" with suggestions and a way on."""
    if not question.strip():
        return Answer(question, EMPTY, None, 0, ())
    if len(question) > limit:
        return Answer(
            question,
            f"That message is {len(question):,} characters. " + TOO_LONG.format(limit=limit),
            None,
            0,
            (),
        )
    result = knowledge.matcher.match(question[:MAX_QUERY_CHARS])
    if result.entry is not None:
        return Answer(
            question,
            entry_text(knowledge, result.entry, today),
            result.entry,
            result.score,
            result.suggestions,
        )
    lines = [NOT_SURE]
    if result.suggestions:
        lines.append("Did you mean one of these?")
        lines += [f"- {e.questions[0]}" for e in result.suggestions]
    lines.append(WAY_ON)
    return Answer(question, "\n".join(lines), None, result.score, result.suggestions)
