"""What every part of the flow engine reads: the flows, the hub finder, the clock and the
application windows, with the few helpers they all need.

The engine's jobs live in separate modules (asking, answering, hub steps, the review);
this one object is passed to each, so none of them imports the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.flows.model import Flow, Step
from bot.flows.validators import academic_year
from bot.knowledge.faq import Window
from bot.knowledge.hubs import HubFinder
from bot.knowledge.windows import WindowState, window_on


@dataclass(frozen=True)
class Context:
    flows: Mapping[str, Flow]
    finder: HubFinder
    today: Callable[[], dt.date]
    window_sentence: Callable[[str], str | None]
    windows: Callable[[], Mapping[str, Window]]
    # A question typed mid-form, answered from the knowledge base when it is sure.
    ask: Callable[[str], str | None]

    def fill(self, text: str) -> str:
        return text.replace("{academic_year}", academic_year(self.today()))

    def window_state(self, flow: Flow) -> WindowState | None:
        """Today's application windows, for a form whose outcome depends on them."""
        outcome = flow.submission.window if flow.submission is not None else None
        if outcome is None:
            return None
        return window_on(self.windows(), self.today(), outcome.programme)

    def path(self, flow: Flow, answers: Mapping[str, str]) -> list[Step]:
        """The steps this applicant will see, given the answers so far and, for a form
        whose outcome depends on an application window, whether one is open today (a
        step with ``window:`` is asked only in that window state)."""
        window = self.window_state(flow)
        return flow.path(answers, window_open=window.is_open if window is not None else None)

    def submit_label(self, flow: Flow) -> str:
        if flow.submission is None:
            return "Submit application"
        window = self.window_state(flow)
        if window is not None and window.is_open and flow.submission.window is not None:
            return flow.submission.window.while_open.button
        return flow.submission.submit_button
