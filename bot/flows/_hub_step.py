"""Answers to the steps that name a place or a hub (``place``, ``hub``, ``hub_pick``): a
hub chosen from the buttons, or a town, postcode or hub name searched with the hub finder.

A search can find one hub, several, a likely typo or nothing; each is said differently,
and a place outside England ends an eligibility check with where it is.
"""

from __future__ import annotations

from bot.flows._aside import answer_aside
from bot.flows._context import Context
from bot.flows._navigate import accept, arrive, next_after
from bot.flows._outcome import End, Outcome, match_option
from bot.flows._render import options, question
from bot.flows.asking import Reading
from bot.flows.model import Flow, Step
from bot.flows.validators import clean
from bot.knowledge.hub_text import describe_choices, describe_search
from bot.knowledge.hubs import HubSearch
from bot.replies import Reply
from bot.session import FlowState


def hub_answer(
    ctx: Context, flow: Flow, state: FlowState, step: Step, text: str, reading: Reading
) -> Outcome:
    """A hub chosen by its button, or ``text`` searched for."""
    outcome = Outcome()
    if option := match_option(options(ctx, flow, state, step), text):
        accept(ctx, flow, state, step, option.value, outcome)
        return outcome
    search = ctx.finder.find(text)
    if search.status in ("unknown", "empty") and reading is not Reading.NONE:
        return answer_aside(ctx, flow, state, step, text)
    if step.type == "place":
        if search.status == "outside":
            outcome.replies.append(Reply(describe_search(search), flow=flow.id))
            outcome.end = End.FINISHED
            state.step = None
            return outcome
        if search.found:
            _placed(ctx, flow, state, step, text, search, outcome)
            return outcome
    elif search.found:
        state.candidates = [h.id for h in search.hubs]
        outcome.replies.append(question(ctx, flow, state, note=_found_note(search, text)))
        return outcome
    outcome.replies.append(question(ctx, flow, state, note=describe_search(search)))
    return outcome


def _placed(
    ctx: Context,
    flow: Flow,
    state: FlowState,
    step: Step,
    text: str,
    search: HubSearch,
    outcome: Outcome,
) -> None:
    """A place found at a ``place`` step: recorded, with its hub when there is just one."""
    state.answers[step.field] = clean(text)[:200]
    state.history.append(step.field)
    # A typo's correction is asked, never taken as the place (status "suggested").
    if len(search.hubs) == 1 and search.status == "found":
        state.answers["hub"] = search.hubs[0].id
        state.candidates = []
    else:
        state.candidates = [h.id for h in search.hubs]
        state.answers.pop("hub", None)
    state.step = next_after(ctx, flow, state, step.field)
    note = describe_search(search) if len(search.hubs) > 1 or search.status != "found" else ""
    arrive(ctx, flow, state, outcome, note)


def _found_note(search: HubSearch, text: str) -> str:
    if search.status == "ambiguous":
        return describe_choices(search)
    if search.status == "suggested":
        return f'I don\'t know "{text[:60]}". Did you mean {search.recognised}? I found:'
    return f'For "{search.recognised}" I found:'
