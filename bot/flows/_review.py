"""A form's review step: submit, or find the answer to change (by its button, its name
or part of it, a section, or its number in the list last shown), and what submitting
does while an application window is open.

Nothing short of the Submit button itself ever submits: anything not understood shows
the list of answers to change instead.
"""

from __future__ import annotations

import re

from bot.flows._context import Context
from bot.flows._navigate import arrive, first_open
from bot.flows._outcome import EDIT, EDIT_PREFIX, SUBMIT, SUMMARY, End, Outcome, match_option
from bot.flows._render import options, picking_reply, question
from bot.flows._summary import plain_answers
from bot.flows.model import Flow, Step
from bot.flows.validators import academic_year
from bot.knowledge.faq import Window, format_date
from bot.knowledge.text import fold, stem
from bot.replies import Option, Reply
from bot.session import FlowState

_FILLER = frozenset(
    {"change", "edit", "the", "answer", "to", "my", "i", "want", "please", "id", "like",
     "would", "fix", "correct", "update", "for", "a", "an", "of", "wrong", "is"}
)  # fmt: skip


def _words(text: str) -> list[str]:
    return [stem(w) for w in fold(text).split()]


def fields_named(editable: list[Step], text: str) -> list[str]:
    """The answers a reply names: a label said in full; else every answer whose label (or
    field id, or section) holds all the reply's words, the last word perhaps cut short
    ("Teacher 2 resp")."""
    key = fold(text)
    if not key:
        return []
    exact = [s.field for s in editable if key in (fold(s.label), fold(s.field))]
    if exact:
        return exact
    asked = [w for w in _words(text) if w not in _FILLER]
    if not asked:
        return []
    named = []
    *whole, last = asked
    for step in editable:
        words = set(_words(f"{step.label} {step.field.replace('_', ' ')} {step.section or ''}"))
        if all(w in words for w in whole) and (
            last in words or (len(last) >= 3 and any(w.startswith(last) for w in words))
        ):
            named.append(step.field)
    return named


def review(ctx: Context, flow: Flow, state: FlowState, text: str) -> Outcome:
    """Submit, or find the answer to change: by its button, its label or a part of it
    ("Teacher 2 role", "URN"), a section ("Teacher 2") and then a choice, or its number
    in the list last shown.  Anything not understood shows the list of answers (never
    the Submit button again), so a number typed next changes an answer, and nothing
    short of Submit itself ever submits."""
    raw = text.strip()
    editable = [s for s in ctx.path(flow, state.answers) if s.is_question and s.type != "consent"]
    fields = [s.field for s in editable]
    state.picking = [f for f in state.picking if f in fields]
    choice = match_option(
        (Option(ctx.submit_label(flow), SUBMIT), Option("Change an answer", EDIT)),
        raw if not state.picking or not raw.isdigit() else "",
    )
    if choice is not None and choice.value == SUBMIT:
        return submit(ctx, flow, state, Outcome())
    target = _target(ctx, flow, state, raw, editable, change=choice is not None)
    if isinstance(target, Reply):
        return Outcome(replies=[target])
    if target is not None and target in fields:
        state.editing = True
        state.picking = []
        state.step = target
        note = "After this answer you'll come back to the summary."
        return Outcome(replies=[question(ctx, flow, state, note=note)])
    state.picking = fields
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    return Outcome(
        replies=[
            picking_reply(
                ctx,
                flow,
                state,
                f'I couldn\'t tell which answer "{shown}" means, so nothing was submitted. '
                "Which answer would you like to change?",
            )
        ]
    )


def _target(
    ctx: Context, flow: Flow, state: FlowState, raw: str, editable: list[Step], *, change: bool
) -> str | Reply | None:
    """The field a review reply names to change; or, when it names none or several, the
    reply that shows what to choose from; or nothing when it is not understood."""
    if raw.startswith(EDIT_PREFIX):
        return raw[len(EDIT_PREFIX) :]
    step = flow.step(state.step or "")
    if raw == SUMMARY:
        state.picking = []
        return question(ctx, flow, state)
    if state.picking and (found := match_option(options(ctx, flow, state, step), raw)):
        if found.value == SUMMARY:
            state.picking = []
            return question(ctx, flow, state)
        return found.value[len(EDIT_PREFIX) :]
    if change:  # "Change an answer"
        state.picking = [s.field for s in editable]
        return picking_reply(ctx, flow, state, "Which answer would you like to change?")
    named = fields_named(editable, raw)
    if len(named) == 1:
        return named[0]
    if named:
        state.picking = named
        return picking_reply(ctx, flow, state, "Which of these would you like to change?")
    return None


def submit(ctx: Context, flow: Flow, state: FlowState, outcome: Outcome) -> Outcome:
    """Submit the answers; or, with some missing, ask the first of them; or, while an
    application window is open, give the answers to take to the application form."""
    missing = [
        s.label
        for s in ctx.path(flow, state.answers)
        if s.is_question and s.field not in state.answers
    ]
    if missing:
        state.picking = []
        state.step = first_open(ctx, flow, state)
        note = "Some answers are still missing: " + ", ".join(missing)
        arrive(ctx, flow, state, outcome, note=note)
        return outcome
    window = ctx.window_state(flow)
    if window is not None and window.open is not None:
        outcome.replies.append(Reply(_while_open(ctx, flow, state, window.open), flow=flow.id))
        state.step = None
        outcome.end = End.COMPLETED
        return outcome
    outcome.end = End.SUBMIT
    return outcome


def _while_open(ctx: Context, flow: Flow, state: FlowState, window: Window) -> str:
    """What a form says instead of submitting while an application window is open."""
    assert flow.submission is not None and flow.submission.window is not None
    hub = ctx.finder.directory.get(state.answers.get(flow.submission.hub, ""))
    values = {
        **state.answers,
        "summary": plain_answers(ctx, flow, state),
        "window_label": window.label,
        "window_opens": format_date(window.opens),
        "window_closes": format_date(window.closes),
        "hub_name": hub.name if hub else "your Maths Hub",
        "academic_year": academic_year(ctx.today()),
    }
    # One pass, so an answer that happens to contain "{summary}" is left as typed.
    return re.sub(
        r"\{([a-z][a-z0-9_]*)\}",
        lambda found: values.get(found.group(1), found.group(0)),
        flow.submission.window.while_open.message.strip(),
    )
