"""The answers shown back: the summary at a form's review step, and the plain
"label: answer" copy given while an application window is open.

Both word an answer the same way (a hub's name, "Confirmed", an option's label), so they
share this module rather than each keeping its own copy of that rule.
"""

from __future__ import annotations

from bot.flows._context import Context
from bot.flows.model import Flow, Step
from bot.session import FlowState


def shown(ctx: Context, step: Step, value: str) -> str:
    """An answer as a person reads it: a hub's name, "Confirmed", or an option's label."""
    if step.type in ("hub", "hub_pick") and (hub := ctx.finder.directory.get(value)):
        return hub.name
    if step.type == "confirm" and value:
        return "Confirmed"
    return next((o.label for o in step.options if o.value == value), value)


def summary(ctx: Context, flow: Flow, state: FlowState) -> str:
    """The review step's list of answers under their sections, and how to go on."""
    lines = [f"Please check your {flow.title}:"]
    section = None
    for step in ctx.path(flow, state.answers):
        if not step.is_question or step.type == "consent":
            continue
        if step.section != section and step.section:
            section = step.section
            lines.append(f"\n{section}")
        value = shown(ctx, step, state.answers.get(step.field, ""))
        lines.append(f"- {step.label}: {value or '(left blank)'}")
    label = ctx.submit_label(flow)
    lead = "Submit it" if label == "Submit application" else f'Choose "{label}"'
    lines.append(
        f"\n{lead}, or change any answer first: choose Change an answer, or type the "
        "answer's name (or part of it, like \"URN\"), or a section's name."
    )
    return "\n".join(lines)


def plain_answers(ctx: Context, flow: Flow, state: FlowState) -> str:
    """The answers as plain "label: answer" lines under their sections, to copy into
    another form (consent and the 'tell me when applications open' question left out)."""
    notify = flow.submission.notify_when_open if flow.submission else None
    skipped = {notify.field} if notify is not None else set()
    lines: list[str] = []
    section = None
    for step in ctx.path(flow, state.answers):
        if not step.is_question or step.type == "consent" or step.field in skipped:
            continue
        if step.section and step.section != section:
            section = step.section
            lines.append(f"\n{section}" if lines else section)
        value = shown(ctx, step, state.answers.get(step.field, ""))
        lines.append(f"{step.label}: {value or '(left blank)'}")
    return "\n".join(lines)
