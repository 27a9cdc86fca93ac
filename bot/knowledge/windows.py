"""Which application window is open on a day, and which opens next: one answer for everyone.

The knowledge base dates each programme's application windows (``windows:`` in
``knowledge/faq.yaml``).  Telling a teacher when applications open (bot/notify.py) and a
form whose outcome depends on the window (a summary to paste while one is open, an email
to the hub while none is) must never disagree about the day, so both ask
:func:`window_on` here, with the settings clock's date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from bot.knowledge.faq import Window


def covers(window: Window, programme: str) -> bool:
    return window.programme in (programme, "both")


def open_windows(windows: Mapping[str, Window], today: dt.date, programme: str) -> list[Window]:
    """The programme's windows open on ``today``, earliest first."""
    found = [w for w in windows.values() if covers(w, programme) and w.status(today) == "open"]
    return sorted(found, key=lambda w: w.opens)


def next_window(windows: Mapping[str, Window], today: dt.date, programme: str) -> Window | None:
    """The programme's earliest window that has not opened yet, if the sources date one."""
    later = [w for w in windows.values() if covers(w, programme) and w.opens > today]
    return min(later, key=lambda w: w.opens, default=None)


def last_closed(windows: Mapping[str, Window], today: dt.date, programme: str) -> Window | None:
    """The programme's most recent window that has closed."""
    done = [w for w in windows.values() if covers(w, programme) and w.closes < today]
    return max(done, key=lambda w: w.closes, default=None)


@dataclass(frozen=True)
class WindowState:
    """A programme's application windows as seen on one day."""

    today: dt.date
    open: Window | None  # the earliest window open today
    next: Window | None  # the earliest window not yet open
    last: Window | None  # the latest window already closed

    @property
    def is_open(self) -> bool:
        return self.open is not None

    def sentence(self) -> str | None:
        """Today's status in one sentence (the open window, else the next, else the last)."""
        window = self.open or self.next or self.last
        return window.status_sentence(self.today) if window is not None else None


def window_on(windows: Mapping[str, Window], today: dt.date, programme: str) -> WindowState:
    """The programme's windows on ``today``: open, next and last closed."""
    now_open = open_windows(windows, today, programme)
    return WindowState(
        today=today,
        open=now_open[0] if now_open else None,
        next=next_window(windows, today, programme),
        last=last_closed(windows, today, programme),
    )
