"""FAQ entries and application windows, as read from ``knowledge/faq.yaml``.

The file and its schema are read by :mod:`bot.knowledge.faq_file`; these are the types
every other part uses, with the rules that belong to the content itself.

Answers state the fact first and never open with "Yes" or "No": the same entry answers
"do I need QTS?" and "can an unqualified teacher apply?", whose yes/no are opposite, so a
bare yes/no at the start would be wrong for one of them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PROGRAMMES = ("specialist", "workgroups", "both")
# "Yes." / "No," / "Yes, slightly." at the start, or right after an opening "For the X (Y),".
_YES_NO_OPENING = re.compile(
    r"^(?:(yes|yeah|yep)\b|(no|nope)\s*[.,:;!]|[^.:;]{0,160}?,\s*(yes|no)\s*[.,:;!])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Window:
    """An application window; its status is worked out on the day it is asked about."""

    id: str
    programme: str
    label: str
    opens: dt.date
    closes: dt.date
    source: tuple[str, ...]

    def status(self, today: dt.date) -> str:
        if today < self.opens:
            return "not yet open"
        if today > self.closes:
            return "closed"
        return "open"

    def status_sentence(self, today: dt.date) -> str:
        on = format_date(today)
        state = self.status(today)
        if state == "open":
            return (
                f"As of {on}, the application window for the {self.label} is open: "
                f"it closes on {format_date(self.closes)}."
            )
        if state == "not yet open":
            return (
                f"As of {on}, the application window for the {self.label} is not yet open: "
                f"it opens on {format_date(self.opens)}."
            )
        return (
            f"As of {on}, the application window for the {self.label} is closed "
            f"(it closed on {format_date(self.closes)}). Dates for later cohorts are not in "
            "my sources: your Maths Hub can tell you when the next window opens."
        )


@dataclass(frozen=True)
class FaqEntry:
    id: str
    programme: str
    year: str | None
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    source: tuple[str, ...]
    window: Window | None
    line: int
    # Entries sharing a topic answer the same question for different programmes or years.
    topic: str | None = None


@dataclass(frozen=True)
class FaqBase:
    programmes: dict[str, str]
    synonyms: dict[str, tuple[str, ...]]
    windows: dict[str, Window]
    entries: tuple[FaqEntry, ...]

    def entry(self, entry_id: str) -> FaqEntry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    def siblings(self, entry: FaqEntry) -> tuple[FaqEntry, ...]:
        """The other entries answering ``entry``'s topic (for another programme or year)."""
        if entry.topic is None:
            return ()
        return tuple(e for e in self.entries if e.topic == entry.topic and e.id != entry.id)

    def answer_text(self, entry: FaqEntry, today: dt.date) -> str:
        """The entry's answer, with today's status of its application window."""
        if entry.window is None:
            return entry.answer
        return f"{entry.answer} {entry.window.status_sentence(today)}"


def format_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def yes_no_opening(answer: str) -> str | None:
    """The yes/no word an answer opens with, if any ("For the X (Y), no: ..." counts)."""
    found = _YES_NO_OPENING.match(answer.strip())
    return next((g for g in found.groups() if g), None) if found else None
