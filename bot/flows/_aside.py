"""A question asked in the middle of a form ("where do I find our URN?", "how long is
this?"): answered, then the form's question asked again, with nothing saved.

Telling such a question from an answer is :mod:`bot.flows.asking`'s job; this module only
says what the answer is.
"""

from __future__ import annotations

import re

from bot.flows._context import Context
from bot.flows._outcome import Outcome
from bot.flows._render import question
from bot.flows.asking import step_asked_about
from bot.flows.model import Flow, Step
from bot.knowledge.text import fold
from bot.session import FlowState

_HOW_LONG = re.compile(
    r"\bhow (long|many (more )?questions|much (longer|more))\b|\bnearly (done|finished)\b"
)
NOT_SURE = (
    "I'm not sure: I couldn't find an answer to that in the programme documents. "
    "Your Maths Hub can answer other questions (/hub finds it)."
)


def answer_aside(ctx: Context, flow: Flow, state: FlowState, step: Step, text: str) -> Outcome:
    """A question asked in the middle of the form: answered, then the same question
    asked again; nothing is saved."""
    outcome = Outcome()
    answer = _aside_answer(ctx, flow, state, step, text)
    outcome.replies.append(question(ctx, flow, state, note=f"{answer}\n\nBack to the form:"))
    return outcome


def _aside_answer(ctx: Context, flow: Flow, state: FlowState, step: Step, text: str) -> str:
    path = ctx.path(flow, state.answers)
    about = step_asked_about(text, path)
    if about is not None and about.help:
        answer = ctx.fill(about.help.strip())
        return f"{about.label}: {answer}" if about.field != step.field else answer
    if _HOW_LONG.search(fold(text)):
        left = sum(1 for s in path if s.is_question and s.field not in state.answers)
        return (
            f"About {left} question{'s' if left != 1 else ''} to go, counting this one; "
            "most take a few seconds, the statement longest. Your answers are saved "
            "as you go."
        )
    if (known := ctx.ask(text)) is not None:
        return known
    if step.help:
        return NOT_SURE + "\n\nAbout this question: " + ctx.fill(step.help.strip())
    return NOT_SURE
