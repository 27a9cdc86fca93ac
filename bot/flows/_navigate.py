"""Moving through a flow: which step comes next, recording an accepted answer, and
arriving at a step (asking it, or showing the result that ends the flow).

Every way of answering ends here, so the rules for "what next" (the next open question,
or back to the review while an answer is being changed) are in one place.
"""

from __future__ import annotations

from bot.flows._context import Context
from bot.flows._outcome import End, Outcome
from bot.flows._render import question
from bot.flows.model import Flow, Step
from bot.knowledge.hub_text import ANY_HUB, describe_hub
from bot.replies import Reply
from bot.session import FlowState


def first_open(ctx: Context, flow: Flow, state: FlowState) -> str | None:
    """The first step on the path that is no question, or is a question not yet answered."""
    for step in ctx.path(flow, state.answers):
        if not step.is_question or step.field not in state.answers:
            return step.field
    return None


def next_after(ctx: Context, flow: Flow, state: FlowState, current: str) -> str | None:
    """The step after ``current``: while editing, the next unanswered question or the review."""
    path = ctx.path(flow, state.answers)
    if state.editing:
        for step in path:
            if step.is_question and step.field not in state.answers:
                return step.field
        state.editing = False
        return next((s.field for s in path if s.type == "review"), None)
    fields = [s.field for s in path]
    start = fields.index(current) + 1 if current in fields else 0
    for step in path[start:]:
        if not step.is_question or step.field not in state.answers:
            return step.field
    return None


def arrive(ctx: Context, flow: Flow, state: FlowState, outcome: Outcome, note: str = "") -> None:
    """Show the step the state now points at (a question, or a result that ends the flow)."""
    if state.step is None:
        outcome.end = End.FINISHED
        return
    step = flow.step(state.step)
    if step.type == "verdict":
        text = verdict(ctx, flow, step, state)
        outcome.replies.append(Reply(text, flow=flow.id))
        outcome.end = End.FINISHED
        state.step = None
        return
    outcome.replies.append(question(ctx, flow, state, note))


def accept(
    ctx: Context,
    flow: Flow,
    state: FlowState,
    step: Step,
    value: str,
    outcome: Outcome,
    note: str = "",
) -> None:
    """Record ``value`` as the answer to ``step`` and move on; answers that left the path
    (a choice changed so their question is no longer asked) are dropped."""
    state.answers[step.field] = value
    state.candidates = []
    visible = {s.field for s in ctx.path(flow, state.answers)}
    for stale in [f for f in state.answers if f not in visible]:
        del state.answers[stale]
    if not state.history or state.history[-1] != step.field:
        state.history.append(step.field)
    state.step = next_after(ctx, flow, state, step.field)
    arrive(ctx, flow, state, outcome, note)


def verdict(ctx: Context, flow: Flow, step: Step, state: FlowState) -> str:
    """A verdict step's text: the hub found, or the criteria met or not, and what next."""
    kind = step.params.get("kind")
    if kind == "hub":
        hub = ctx.finder.directory.get(state.answers.get("hub", ""))
        if hub is None:
            return "I couldn't find a hub for that place."
        return f"Your Maths Hub:\n\n{describe_hub(hub)}\n\n{ANY_HUB}"
    checks = [
        (s.criterion, state.answers.get(s.field) == s.criterion.passes)
        for s in ctx.path(flow, state.answers)
        if s.criterion is not None
    ]
    failures = [criterion.failure for criterion, met in checks if not met]
    result = "fail" if failures else "pass"
    parts = [str(step.params.get(f"{result}_heading", ""))]
    parts += [f"- {line}" for line in failures or [c.name for c, _ in checks]]
    parts.append(ctx.fill(str(step.params.get(f"{result}_next", "")).strip()))
    if not failures and (window := step.params.get("window")):
        parts.append(ctx.window_sentence(str(window)) or "")
    if source := step.params.get("source_note"):
        parts.append(str(source))
    return "\n".join(p for p in parts if p)
