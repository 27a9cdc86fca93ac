"""How the current step is asked: the question's text, its numbering and hints, and the
options (buttons) it offers.

Everything else in the engine ends a turn by asking a step again, so this is the one
place that words a question; it changes nothing in the state.
"""

from __future__ import annotations

from bot.flows._context import Context
from bot.flows._outcome import (
    AS_ANSWER,
    AS_QUESTION,
    AS_STOP,
    EDIT,
    EDIT_PREFIX,
    OUTSIDE,
    SUBMIT,
    SUMMARY,
)
from bot.flows._summary import summary
from bot.flows.model import Flow, Step
from bot.knowledge.hub_text import ANY_HUB, describe_choices
from bot.replies import Option, Reply
from bot.session import FlowState

PICKING_PROMPT = (
    "Which answer would you like to change? Choose it (or type its number or "
    "name); Back to the summary shows Submit again."
)


def question(ctx: Context, flow: Flow, state: FlowState, note: str = "") -> Reply:
    """The step the state points at, asked (with ``note`` above it)."""
    assert state.step is not None
    step = flow.step(state.step)
    parts: list[str] = [note] if note else []
    if step.type == "review":
        return _review_question(ctx, flow, state, step, parts)
    if header := _header(ctx, flow, state, step):
        parts.append(header)
    parts.append(ctx.fill(step.prompt.strip()))
    if step.type == "hub":
        parts.append(_hub_prompt(ctx, state))
    if step.example:
        parts.append(f"Example: {step.example}")
    if state.answers.get(step.field):
        parts.append(f"Current answer: {state.answers[step.field]}")
    parts.append(_hints(step, state))
    return Reply(
        "\n".join(parts),
        field=step.field,
        options=options(ctx, flow, state, step),
        flow=flow.id,
    )


def _review_question(
    ctx: Context, flow: Flow, state: FlowState, step: Step, parts: list[str]
) -> Reply:
    parts.append(summary(ctx, flow, state))
    if state.picking:
        parts.append(PICKING_PROMPT)
    return Reply(
        "\n\n".join(parts),
        field=step.field,
        options=options(ctx, flow, state, step),
        flow=flow.id,
    )


def _header(ctx: Context, flow: Flow, state: FlowState, step: Step) -> str:
    """ "Question 3 — Section (about 5 more after this)", or nothing for a lone question.

    Numbered along the path the answers so far lead to, with what is left on it: a
    question that appears with an answer ("yes, we have worked with one") never makes the
    count jump backwards."""
    questions = [s for s in ctx.path(flow, state.answers) if s.is_question]
    fields = [s.field for s in questions]
    if step.field not in fields or len(questions) <= 1:
        return ""
    number = fields.index(step.field) + 1
    left = sum(1 for s in questions[number:] if s.field not in state.answers)
    header = f"Question {number}"
    if step.section:
        header += f" — {step.section}"
    return header + _still_to_come(left, editing=state.editing)


def _still_to_come(left: int, *, editing: bool) -> str:
    if editing:
        return ""
    if left == 0:
        return " (the last one)"
    if left == 1:
        return " (1 more after this)"
    return f" (about {left} more after this)"


def _hints(step: Step, state: FlowState) -> str:
    hints = []
    if step.optional:
        hints.append("/skip to leave it blank")
    if state.history:
        hints.append("/back for the previous question")
    hints.append("/help for help")
    return "(" + ", ".join(hints) + ")"


def options(ctx: Context, flow: Flow, state: FlowState, step: Step) -> tuple[Option, ...]:
    """The buttons of ``step`` as the state now stands."""
    if step.type in ("hub", "hub_pick"):
        by_id = ctx.finder.directory.by_id
        return tuple(
            Option(by_id[h].name, by_id[h].id) for h in candidates(ctx, state, step) if h in by_id
        )
    if step.type == "review":
        return _review_options(ctx, flow, state)
    if state.pending:
        return pending_options(step, state.pending_kind)
    return step.options


def _review_options(ctx: Context, flow: Flow, state: FlowState) -> tuple[Option, ...]:
    if state.picking:
        return (
            *(
                Option(flow.step(f).label, f"{EDIT_PREFIX}{f}")
                for f in state.picking
                if flow.has(f)
            ),
            Option("Back to the summary", SUMMARY),
        )
    return (Option(ctx.submit_label(flow), SUBMIT), Option("Change an answer", EDIT))


def pending_options(step: Step, kind: str = "") -> tuple[Option, ...]:
    """The buttons of "is this the answer, or a question?" (or "continue outside England?")."""
    if kind == OUTSIDE:
        return (Option("Continue with this address", AS_ANSWER), Option("Stop here", AS_STOP))
    what = str(step.params.get("what") or step.label.lower())
    return (Option(f"It's the {what}", AS_ANSWER), Option("It's a question", AS_QUESTION))


def candidates(ctx: Context, state: FlowState, step: Step) -> list[str]:
    """The hubs offered at a hub step: those last found, or those for the school's address."""
    if state.candidates:
        return state.candidates
    address = state.answers.get(str(step.params.get("from", "")))
    if step.type == "hub" and address:
        search = ctx.finder.find(address)
        if search.found:
            return [h.id for h in search.hubs[:4]]
    return []


def _hub_prompt(ctx: Context, state: FlowState) -> str:
    if state.candidates:
        return "Choose one of the hubs below, or type another town, postcode or hub name."
    step = ctx.flows[state.flow].step(state.step or "")
    if candidates(ctx, state, step):
        address = state.answers.get(str(step.params.get("from", "")), "")
        if (search := ctx.finder.find(address)).status == "ambiguous":
            # "High Street, Newport": never a silent pick between two Newports.
            return describe_choices(search) + (
                "\nChoose the hub for the school's place, or type its town with the county."
            )
        return (
            "From the school's address, the hub for your area is listed first. Choose it, "
            "or type another town, postcode or hub name. " + ANY_HUB
        )
    return "Type the school's town, postcode or county, or a hub's name, and I'll find it."


def help_reply(ctx: Context, state: FlowState) -> Reply:
    """The step's help, then the step asked again."""
    flow = ctx.flows[state.flow]
    assert state.step is not None
    step = flow.step(state.step)
    text = step.help or "Answer the question, or use /cancel to stop (your answers are kept)."
    asked = question(ctx, flow, state)
    return Reply(
        f"{ctx.fill(text.strip())}\n\n{asked.text}",
        field=step.field,
        options=asked.options,
        flow=flow.id,
    )


def picking_reply(ctx: Context, flow: Flow, state: FlowState, text: str) -> Reply:
    """``text`` with the buttons of the answers being picked from at the review."""
    step = flow.step(state.step or "")
    return Reply(text, field=step.field, options=options(ctx, flow, state, step), flow=flow.id)
