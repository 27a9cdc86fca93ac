"""Answering one free-text message from the FAQ, the same way in every channel and the CLI.

A message gets one of five kinds of reply (``Answer.tier``):

* ``confident``: the answer (or answers: two questions in one message, or one question
  answered for each programme when it does not say which), each with its source;
* ``likely``: "I think you're asking about ...", the answer, and the alternatives as
  choices, because the match is good but not certain;
* ``decline``: an honest "I'm not sure", suggestions as choices, and the way to the hub;
* ``smalltalk``: greetings, thanks, "ok", a bare number: a short natural reply, never
  recorded as an unanswered question;
* ``empty`` / ``too-long``: what to send instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.hub_questions import hub_reply
from bot.knowledge.base import Knowledge
from bot.knowledge.faq import FaqEntry
from bot.knowledge.match_words import MAX_QUERY_CHARS
from bot.knowledge.matching import MatchResult
from bot.knowledge.self_entry import SELF_ANSWERED, SELF_ENTRY
from bot.knowledge.text import fold
from bot.replies import Option

if TYPE_CHECKING:
    pass

NOT_SURE = "I'm not sure: I couldn't find an answer to that in the programme documents I know."
WAY_ON = (
    "Your Maths Hub can answer other questions: send /hub or your school's town or postcode "
    "and I'll give you its contact."
)
EMPTY = 'Please type a question, for example "How much release time is there?"'
TOO_LONG = "Please ask one question at a time, in up to {limit:,} characters."
LIKELY_INTRO = 'I think you\'re asking about "{question}"'
BY_PROGRAMME_INTRO = "That depends on the programme, so here is each:"
SELF_FALLBACK = (
    "Send /privacy to see how this assistant uses your information, and /forget to delete it."
)

_GREETING = re.compile(
    r"^(hi+|hello+|hey+|hiya|howdy|yo|good (morning|afternoon|evening)|morning|afternoon|"
    r"evening|greetings|hi there|hello there|hey there)( (there|all|team|bot))?$"
)
_THANKS = re.compile(
    r"^((ok(ay)?|great|brilliant|perfect|lovely|super|excellent|fab|fantastic|amazing|cool|"
    r"ah|oh|right|many|that s|thats) )*(thanks?( (you|u|so much|very much|a lot|loads|again|for (that|this|your help|"
    r"the help|the info(rmation)?)))*|thank (you|u)( (so|very) much)?( for (that|this|your help|"
    r"the help|the info(rmation)?))?|ty|thx|cheers|ta|much appreciated|appreciated|"
    r"that (is|s) (great|helpful|brilliant|perfect|really helpful|very helpful|useful)|"
    r"(very|really|super) helpful|helpful)( (thanks?|cheers|ta))?$"
)
_ACK = re.compile(
    r"^(ok(ay)?|k|kk|okey|okie|cool|great|fine|sure|right|alright|all right|got it|gotcha|"
    r"understood|noted|perfect|brilliant|lovely|nice|good|yep|yup|yes|yeah|no|nope|nah|"
    r"ok (cool|great|got it|then)|fair enough|makes sense|i see|ah ok|oh ok|hmm+|lol|haha+|"
    r"right ok|will do)$"
)
_BYE = re.compile(r"^(bye+|goodbye|good bye|see (you|ya)|cya|later|ttyl|night|good night)$")


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    entry: FaqEntry | None
    score: int
    suggestions: tuple[FaqEntry, ...]
    tier: str = "decline"
    entries: tuple[FaqEntry, ...] = ()
    # The same reply for a chat, where the alternatives are buttons rather than lines.
    chat_text: str = ""
    options: tuple[Option, ...] = ()

    @property
    def answered(self) -> bool:
        return self.tier in ("confident", "likely")

    @property
    def unanswered(self) -> bool:
        """Whether staff should see this message among the questions to fix."""
        return self.tier == "decline" and bool(self.question.strip())

    def as_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.text,
            "match": self.entry.id if self.entry else None,
            "score": self.score,
            "suggestions": [e.id for e in self.suggestions],
            "tier": self.tier,
            "matches": [e.id for e in self.entries],
        }


def small_talk(text: str) -> str | None:
    """A short natural reply to a greeting, thanks, "ok", goodbye or bare number, else None."""
    folded = fold(text)
    if not folded:
        return None
    if re.fullmatch(r"\d{1,3}", folded):
        return (
            "If you meant a choice from a list, that list has gone: send /start for the menu. "
            "Or type your question in words."
        )
    if _GREETING.match(folded):
        return "Hello! Ask me anything about the programmes, or send /start for the menu."
    if _THANKS.match(folded):
        return "You're welcome. Ask me anything else about the programmes, or send /start for the menu."
    if _BYE.match(folded):
        return "Goodbye, and good luck with your application."
    if _ACK.match(folded):
        return "Is there anything else you'd like to know? Type a question, or send /start for the menu."
    return None


def entry_text(
    knowledge: Knowledge,
    entry: FaqEntry,
    today: dt.date,
    about_assistant: Callable[[], str] | None = None,
) -> str:
    if entry.id == SELF_ENTRY.id:
        return about_assistant() if about_assistant is not None else SELF_FALLBACK
    if entry.id in SELF_ANSWERED:
        return entry.answer
    return f"{knowledge.faq.answer_text(entry, today)}\n\n{knowledge.cite(entry.source)}"


def _label(knowledge: Knowledge, entry: FaqEntry) -> str:
    programme = knowledge.faq.programmes.get(entry.programme, "Both programmes")
    return f"{programme} ({entry.year}):" if entry.year else f"{programme}:"


def _option(entry: FaqEntry) -> Option:
    return Option(entry.questions[0], f"faq:{entry.id}")


def answer_question(
    knowledge: Knowledge,
    question: str,
    today: dt.date,
    *,
    limit: int = 1000,
    about_assistant: Callable[[], str] | None = None,
) -> Answer:
    """The FAQ answer(s) to ``question``, a likely answer, or an honest "not sure"."""
    if (early := _not_a_question(question, limit)) is not None:
        return early
    result = knowledge.matcher.match(question[:MAX_QUERY_CHARS])
    if (hub := hub_reply(knowledge, question, result)) is not None:
        text, entry = hub
        entries = (entry,) if entry is not None else ()
        return Answer(question, text, entry, 100, (), "confident", entries, text)
    if result.entry is None:
        return _decline(question, result)

    def block(entry: FaqEntry) -> str:
        return entry_text(knowledge, entry, today, about_assistant)

    if result.by_programme:
        # Every answer given for more than one programme or year carries its label.
        topics = [e.topic for e in result.entries if e.topic]
        parts = [BY_PROGRAMME_INTRO]
        parts += [
            f"{_label(knowledge, e)}\n{block(e)}"
            if e.topic and topics.count(e.topic) > 1
            else block(e)
            for e in result.entries
        ]
    else:
        parts = [block(e) for e in result.entries or (result.entry,)]
    body = "\n\n".join(parts)
    if result.tier == "likely":
        intro = LIKELY_INTRO.format(question=result.entry.questions[0].rstrip("?"))
        body = f"{intro}:\n\n{body}"
        lines = [body]
        listed = [f"- {e.questions[0]}" for e in result.suggestions]
        chat = body
        if listed:
            chat = f"{body}\n\nIf that's not it, did you mean one of these?"
            lines += ["", "If that's not it, did you mean one of these?", *listed]
        options = tuple(_option(e) for e in result.suggestions)
        return Answer(
            question,
            "\n".join(lines),
            result.entry,
            result.score,
            result.suggestions,
            "likely",
            result.entries,
            chat,
            options,
        )
    return Answer(
        question,
        body,
        result.entry,
        result.score,
        result.suggestions,
        "confident",
        result.entries,
        body,
    )


def _not_a_question(question: str, limit: int) -> Answer | None:
    """The reply to an empty or over-long message, or to small talk; else None."""
    if not question.strip():
        return Answer(question, EMPTY, None, 0, (), "empty", chat_text=EMPTY)
    if len(question) > limit:
        text = f"That message is {len(question):,} characters. " + TOO_LONG.format(limit=limit)
        return Answer(question, text, None, 0, (), "too-long", chat_text=text)
    if (reply := small_talk(question)) is not None:
        return Answer(question, reply, None, 0, (), "smalltalk", chat_text=reply)
    return None


def _decline(question: str, result: MatchResult) -> Answer:
    """An honest "not sure", the suggestions, and the way on to the hub."""
    lines = [NOT_SURE]
    listed = [f"- {e.questions[0]}" for e in result.suggestions]
    if listed:
        lines.append("Did you mean one of these?")
    chat = "\n".join([*lines, WAY_ON])
    text = "\n".join([*lines, *listed, WAY_ON])
    options = tuple(_option(e) for e in result.suggestions)
    return Answer(
        question, text, None, result.score, result.suggestions, "decline", (), chat, options
    )
