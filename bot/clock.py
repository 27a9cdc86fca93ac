"""The one clock everything that reads the date or the time asks.

Dates (an application window's status, the academic year, export file names) and
timestamps (sessions, references, the outbox, retention) all come from the
:class:`Clock` the settings provide, so ``BOT_TODAY`` moves them together: with
``BOT_TODAY=2026-11-23`` an answer, a reference's year and the outbox's records all say
23 November 2026.  Monotonic timers (timeouts, rate limits) are not dates and stay apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def today(self) -> dt.date:
        """The date it is for the people using the assistant."""

    def now(self) -> dt.datetime:
        """The time now, in UTC (timezone-aware)."""


@dataclass(frozen=True)
class SystemClock:
    """The machine's clock; ``fixed_date`` (``BOT_TODAY``) pins the date, the time runs on."""

    fixed_date: dt.date | None = None

    def today(self) -> dt.date:
        return self.fixed_date or dt.date.today()

    def now(self) -> dt.datetime:
        now = dt.datetime.now(dt.UTC)
        if self.fixed_date is None:
            return now
        return dt.datetime.combine(self.fixed_date, now.timetz())


SYSTEM_CLOCK = SystemClock()
