"""One message taken as the answer to the current question: checked by the field's
validator or options, by the form's rules and criteria, then recorded (or the question
asked again with why).

A message that reads as a question is answered instead (:mod:`bot.flows._aside`); hub and
place steps are :mod:`bot.flows._hub_step`'s; the review is :mod:`bot.flows._review`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.flows._aside import answer_aside
from bot.flows._checks import criterion_verdict, cross_check, outside_england, redirect
from bot.flows._context import Context
from bot.flows._hub_step import hub_answer
from bot.flows._navigate import accept
from bot.flows._outcome import OUTSIDE, End, Outcome, match_option
from bot.flows._render import pending_options, question
from bot.flows.asking import Reading, is_long, reads_as_question
from bot.flows.model import Flow, Step
from bot.flows.validators import VALIDATORS, clean
from bot.replies import Reply
from bot.session import FlowState

PENDING_CHARS = 300
CONFIRM_REFUSED = "This confirmation is needed before the form can be submitted."


@dataclass(frozen=True)
class _Given:
    """An answer after its checks: the value to record, or why there is none."""

    value: str | None
    error: str | None = None
    note: str = ""


def answer(
    ctx: Context,
    flow: Flow,
    state: FlowState,
    step: Step,
    text: str,
    *,
    read: bool,
    placed: bool = False,
) -> Outcome:
    """``text`` as the answer to ``step``; with ``read``, a message that reads as a
    question is answered (or asked about) instead (bot/flows/asking.py).  ``placed``: the
    applicant already chose to go on with an address outside England."""
    reading = reads_as_question(text) if read else Reading.NONE
    if step.type in ("hub", "hub_pick", "place"):
        return hub_answer(ctx, flow, state, step, text, reading)
    if step.type == "input":
        given = _typed(ctx, flow, state, step, text, reading, placed=placed)
    else:
        given = _chosen(ctx, flow, state, step, text, reading)
    if isinstance(given, Outcome):
        return given
    if given.value is not None and step.criterion is not None and step.criterion.immediate:
        given = _judged(ctx, flow, state, step, given)
        if isinstance(given, Outcome):
            return given
    outcome = Outcome()
    if given.error is not None or given.value is None:
        outcome.replies.append(question(ctx, flow, state, note=given.error or ""))
        return outcome
    accept(ctx, flow, state, step, given.value, outcome, given.note)
    return outcome


def _typed(
    ctx: Context,
    flow: Flow,
    state: FlowState,
    step: Step,
    text: str,
    reading: Reading,
    *,
    placed: bool,
) -> _Given | Outcome:
    """A typed answer (an ``input`` step), by the field's validator and the form's rules."""
    assert step.validator is not None
    checked = VALIDATORS[step.validator](text, step.params)
    value, error = checked.value, checked.error
    if reading is not Reading.NONE:
        if value is None or (reading is Reading.STRONG and not is_long(text)):
            return answer_aside(ctx, flow, state, step, text)
        # Plausible as the answer and phrased as a question: ask which it is.
        return _ask_which(flow, state, step, text)
    note = f"Saved as: {value}" if value is not None and value != clean(text) else ""
    if value is not None:
        error = cross_check(ctx, flow, state, step, value)
        if error is not None:
            value = None
    where = outside_england(ctx, flow, step, value) if value and not placed else None
    if where is not None and value is not None:
        return _ask_outside(flow, state, step, value, where)
    return _Given(value, error, note)


def _ask_which(flow: Flow, state: FlowState, step: Step, text: str) -> Outcome:
    state.pending = clean(text)[:PENDING_CHARS]
    shown = state.pending if len(state.pending) <= 80 else state.pending[:77] + "..."
    what = str(step.params.get("what") or step.label.lower())
    reply = Reply(
        f'Is "{shown}" the {what}, or a question?',
        field=step.field,
        options=pending_options(step),
        flow=flow.id,
    )
    return Outcome(replies=[reply])


def _ask_outside(flow: Flow, state: FlowState, step: Step, value: str, where: str) -> Outcome:
    state.pending, state.pending_kind = value, OUTSIDE
    reply = Reply(
        f"{where}. Maths Hubs and their programmes are for schools in England. "
        "Continue with this address anyway, or stop here? Nothing is lost "
        "either way.",
        field=step.field,
        options=pending_options(step, OUTSIDE),
        flow=flow.id,
    )
    return Outcome(replies=[reply])


def _chosen(
    ctx: Context, flow: Flow, state: FlowState, step: Step, text: str, reading: Reading
) -> _Given | Outcome:
    """A choice (a ``choice``, ``consent`` or ``confirm`` step), by its options."""
    option = match_option(step.options, text)
    if option is None and reading is not Reading.NONE:
        return answer_aside(ctx, flow, state, step, text)
    if option is None:
        labels = " or ".join(f'"{o.label}"' for o in step.options)
        return _Given(None, f"Please choose {labels} (type it or its number).")
    value = option.value
    if step.type == "consent" and value != step.params.get("accept", "yes"):
        state.answers.clear()
        state.step = None
        declined = ctx.fill(str(step.params.get("declined", "Stopped.")))
        return Outcome(replies=[Reply(declined, flow=flow.id)], end=End.CANCELLED)
    if step.type == "confirm" and value != step.params.get("accept", "confirmed"):
        return _Given(None, ctx.fill(str(step.params.get("refused", CONFIRM_REFUSED))))
    error = cross_check(ctx, flow, state, step, value)
    if error is not None:
        return redirect(ctx, flow, state, step, error, Outcome())
    return _Given(value)


def _judged(
    ctx: Context, flow: Flow, state: FlowState, step: Step, given: _Given
) -> _Given | Outcome:
    """An answer to a question with an immediate criterion: its verdict said with it, and a
    stopping criterion not met ends the form (or, mid-edit, asks again keeping the rest)."""
    criterion = step.criterion
    assert criterion is not None and given.value is not None
    said = criterion_verdict(ctx, step, given.value)
    if not criterion.stop or given.value == criterion.passes:
        return _Given(given.value, given.error, "\n".join(p for p in (given.note, said) if p))
    path = [s.field for s in ctx.path(flow, state.answers)]
    later = path[path.index(step.field) + 1 :] if step.field in path else []
    if state.editing or any(f in state.answers for f in later):
        # Changed at the review or after /back: what was answered since is kept.
        return _Given(
            None, f"{said}\n\nYour other answers are kept: choose again, or /cancel to stop here."
        )
    state.answers.clear()
    state.step = None
    reply = Reply(
        f"{said}\n\nThe form stops here, and nothing you answered has "
        f"been kept. If you chose that by mistake, /apply {flow.id} starts "
        "again.",
        flow=flow.id,
    )
    return Outcome(replies=[reply], end=End.CANCELLED)
