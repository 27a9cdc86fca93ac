"""The flow engine: text in, messages out, for any channel.

The engine is pure: it changes a :class:`FlowState` in place and returns the replies;
the caller (the assistant) persists the state before sending them.

This module is the public entry; each job lives in a small private module beside it:

- ``_outcome.py``: what a turn returns (:class:`Outcome`, :class:`End`), ``match_option``
- ``_context.py``: what every part reads (flows, hub finder, clock, application windows)
- ``_render.py``: how a step is asked (text, numbering, hints, buttons); ``_summary.py``:
  the answers shown back at the review and while a window is open
- ``_navigate.py``: which step comes next, recording an answer, verdicts
- ``_answer.py``: a message taken as an answer (validators, choices, criteria);
  ``_checks.py``: rules across answers, criteria, an address outside England;
  ``_hub_step.py``: place and hub steps; ``_aside.py``: a question asked mid-form
- ``_review.py``: the review step (submit, or find the answer to change)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from bot.flows import _render
from bot.flows._answer import answer
from bot.flows._aside import answer_aside
from bot.flows._context import Context
from bot.flows._navigate import accept, arrive, first_open
from bot.flows._outcome import AS_ANSWER, AS_STOP, OUTSIDE, End, Outcome, match_option
from bot.flows._review import review
from bot.flows.model import Flow, Step
from bot.knowledge.faq import Window
from bot.knowledge.hubs import HubFinder
from bot.knowledge.windows import WindowState
from bot.replies import Option, Reply
from bot.session import FlowState

__all__ = ["End", "FlowEngine", "Outcome", "match_option"]

STOPPED_OUTSIDE = (
    "Stopped. Your answers so far are saved: /resume continues with the "
    "school's address, and /forget deletes them. The Maths Hubs can tell "
    "you about support for schools outside England (/hub finds them)."
)


class FlowEngine:
    def __init__(
        self,
        flows: Mapping[str, Flow],
        finder: HubFinder,
        today: Callable[[], dt.date],
        window_sentence: Callable[[str], str | None],
        windows: Callable[[], Mapping[str, Window]] = dict,
        ask: Callable[[str], str | None] | None = None,
    ) -> None:
        self.ctx = Context(
            flows=flows,
            finder=finder,
            today=today,
            window_sentence=window_sentence,
            windows=windows,
            ask=ask or (lambda _text: None),
        )

    def window_state(self, flow: Flow) -> WindowState | None:
        """Today's application windows, for a form whose outcome depends on them."""
        return self.ctx.window_state(flow)

    def path(self, flow: Flow, answers: Mapping[str, str]) -> list[Step]:
        """The steps this applicant will see today, given the answers so far."""
        return self.ctx.path(flow, answers)

    # -- navigation ------------------------------------------------------------------

    def begin(self, flow_id: str, state: FlowState | None = None) -> tuple[FlowState, Outcome]:
        """Start ``flow_id`` (or resume ``state``) at its first open step."""
        flow = self.ctx.flows[flow_id]
        outcome = Outcome()
        if state is None:
            state = FlowState(flow=flow_id, step=None)
            if intro := self._intro(flow):
                outcome.replies.append(Reply(intro, flow=flow_id))
        path = self.ctx.path(flow, state.answers)
        editing = state.editing and any(s.field == state.step and s.is_question for s in path)
        if not editing:
            # An edit in progress (a review answer being changed) reopens at that field.
            state.editing = False
            state.step = first_open(self.ctx, flow, state)
        state.pending, state.pending_kind = "", ""
        if state.step is None:
            state.step = self.ctx.path(flow, state.answers)[-1].field
        arrive(self.ctx, flow, state, outcome)
        return state, outcome

    def _intro(self, flow: Flow) -> str:
        intro = [self.ctx.fill(flow.intro.strip())] if flow.intro else []
        window = self.ctx.window_state(flow)
        if window is not None and (status := window.sentence()):
            intro.append(status)  # the outcome depends on it, so say it up front
        return "\n\n".join(intro)

    def back(self, state: FlowState) -> Outcome:
        """The previous question asked again, its answer kept."""
        flow = self.ctx.flows[state.flow]
        outcome = Outcome()
        if state.editing or not state.history:
            note = "There is no earlier question to go back to." if not state.history else ""
            outcome.replies.append(self.question(flow, state, note=note))
            return outcome
        previous = state.history.pop()
        if previous == state.step and state.history:
            previous = state.history.pop()
        state.step = previous
        state.candidates = []
        outcome.replies.append(self.question(flow, state))
        return outcome

    def skip(self, state: FlowState) -> Outcome:
        """An optional question left blank; a required one asked again with why."""
        flow = self.ctx.flows[state.flow]
        assert state.step is not None
        step = flow.step(state.step)
        outcome = Outcome()
        if not step.optional:
            note = f'"{step.label}" is needed, so it can\'t be skipped.'
            outcome.replies.append(self.question(flow, state, note=note))
            return outcome
        accept(self.ctx, flow, state, step, "", outcome)
        return outcome

    # -- asking ----------------------------------------------------------------------

    def question(self, flow: Flow, state: FlowState, note: str = "") -> Reply:
        """The step the state points at, asked (with ``note`` above it)."""
        return _render.question(self.ctx, flow, state, note)

    def options(self, flow: Flow, state: FlowState, step: Step) -> tuple[Option, ...]:
        return _render.options(self.ctx, flow, state, step)

    def help(self, state: FlowState) -> Reply:
        return _render.help_reply(self.ctx, state)

    # -- answering -------------------------------------------------------------------

    def handle(self, state: FlowState, text: str) -> Outcome:
        """``text`` sent at the current step: an answer, a review choice, or the reply to
        "is this the answer or a question?"."""
        flow = self.ctx.flows[state.flow]
        assert state.step is not None
        step = flow.step(state.step)
        if step.type == "review":
            return review(self.ctx, flow, state, text)
        if state.pending:
            pending, kind = state.pending, state.pending_kind
            choice = match_option(_render.pending_options(step, kind), text)
            state.pending, state.pending_kind = "", ""
            if choice is not None and choice.value == AS_ANSWER:
                return answer(
                    self.ctx, flow, state, step, pending, read=False, placed=kind == OUTSIDE
                )
            if choice is not None and choice.value == AS_STOP:
                return Outcome(replies=[Reply(STOPPED_OUTSIDE, flow=flow.id)], end=End.FINISHED)
            if choice is not None:
                return answer_aside(self.ctx, flow, state, step, pending)
            # Anything else is a new message, read afresh.
        return answer(self.ctx, flow, state, step, text, read=True)
