"""The form's rules about an answer beyond its own field check: rules across answers
(``checks:`` in the YAML), a criterion's verdict, and an address outside England.

Each returns what to say, or nothing; what then happens to the answer is
:mod:`bot.flows._answer`'s decision.
"""

from __future__ import annotations

from bot.flows._context import Context
from bot.flows._outcome import Outcome
from bot.flows._render import question
from bot.flows.model import Check, Flow, Step, same_answer
from bot.session import FlowState


def cross_check(ctx: Context, flow: Flow, state: FlowState, step: Step, value: str) -> str | None:
    """The form's declared rules across answers, checked as the later answer is given.

    A rule whose ``unless`` names a question still to be asked ("are they the same
    person?") waits for that answer, and is checked again when it is given."""
    answers = {**state.answers, step.field: value}
    visible = {s.field for s in ctx.path(flow, answers)}
    for check in flow.checks:
        if not _applies(check, step, answers, visible):
            continue
        first, second = check.different
        if not (answers.get(first) and answers.get(second)):
            continue
        if not same_answer(answers[first], answers[second]):
            continue
        other_field = first if step.field == second else second
        return (
            ctx.fill(check.message)
            .replace("{other_label}", flow.step(other_field).label)
            .replace("{other}", answers[other_field])
        )
    return None


def _applies(check: Check, step: Step, answers: dict[str, str], visible: set[str]) -> bool:
    """Whether ``check`` is to be judged now that ``step`` has its answer."""
    unless = check.unless
    if step.field not in check.different and (unless is None or step.field not in unless.fields()):
        return False
    if unless is None:
        return True
    if unless.holds(answers):
        return False
    asked_later = (
        unless.field is not None and unless.field in visible and unless.field not in answers
    )
    return not asked_later


def redirect(
    ctx: Context, flow: Flow, state: FlowState, step: Step, error: str, outcome: Outcome
) -> Outcome:
    """A rule broken by a choice ("No, they are different people"): one of the answers
    it compares has to change, so the later of them is asked again."""
    check = next((c for c in flow.checks if c.unless and step.field in c.unless.fields()), None)
    if check is not None:
        state.step = max(check.different, key=flow.index)
        # The answer that broke the rule is asked again from empty, so the question
        # that depended on it leaves the path and the count does not go up.
        state.answers.pop(state.step, None)
    outcome.replies.append(question(ctx, flow, state, note=error))
    return outcome


def criterion_verdict(ctx: Context, step: Step, value: str) -> str:
    """A criterion's verdict on one answer: met, or not met with why and what to do."""
    criterion = step.criterion
    assert criterion is not None
    if value == criterion.passes:
        return " ".join(p for p in (f"{criterion.name}: met.", criterion.met) if p)
    parts = [f"{criterion.name}: not met. {ctx.fill(criterion.failure.strip())}"]
    if criterion.advice:
        parts.append(ctx.fill(criterion.advice.strip()))
    return "\n".join(parts)


def outside_england(ctx: Context, flow: Flow, step: Step, value: str) -> str | None:
    """For an answer a hub is suggested from (an address): where it is, when the hub
    finder places it outside England, for whose schools the programmes are."""
    if not any(s.type == "hub" and s.params.get("from") == step.field for s in flow.steps):
        return None
    search = ctx.finder.find(value)
    if search.status != "outside":
        return None
    place = search.recognised or "That address"
    return f"{place} is in {search.country or 'a place outside England'}"
