"""What one turn of a flow returns, and the option values the engine's own buttons carry.

Kept apart from the engine so every part of it (asking, answering, the review) can build
an :class:`Outcome` and read a chosen option without importing the engine itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.knowledge.text import fold
from bot.replies import Option, Reply

SUBMIT = "submit"
EDIT = "edit"
EDIT_PREFIX = "edit:"
SUMMARY = "summary"
# The buttons of "Is '...' the school name, or a question?".
AS_ANSWER = "as:answer"
AS_QUESTION = "as:question"
AS_STOP = "as:stop"
OUTSIDE = "outside"  # FlowState.pending_kind: an address outside England


class End(StrEnum):
    """How a turn ended its flow (one of these, or none: the flow goes on)."""

    # The flow reached a result or a stop: a form keeps its draft, other flows are done.
    FINISHED = "finished"
    # Declined or cancelled: nothing is kept.
    CANCELLED = "cancelled"
    # The form reached its end with nothing to submit (an application window is open, so
    # the applicant was given their answers to take elsewhere): its draft is not kept.
    COMPLETED = "completed"
    # The answers are to be submitted.
    SUBMIT = "submit"


@dataclass
class Outcome:
    """The replies of one step of a flow, and whether (and how) it ended the flow: one
    value, so an outcome cannot be both submitted and cancelled."""

    replies: list[Reply] = field(default_factory=list)
    end: End | None = None

    @property
    def finished(self) -> bool:
        """The flow stopped without submitting (a result, a stop, a cancel or completion)."""
        return self.end is not None and self.end is not End.SUBMIT

    @property
    def submit(self) -> bool:
        return self.end is End.SUBMIT


def match_option(options: tuple[Option, ...], text: str) -> Option | None:
    """An option chosen by its value, its label or its number."""
    raw = text.strip()
    # isascii: "²".isdigit() is true, but it is no option number.
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= len(options):
        return options[int(raw) - 1]
    key = fold(raw)
    if not key:
        return None
    for option in options:
        if raw == option.value or key == fold(option.label) or key == fold(option.value):
            return option
    return None
