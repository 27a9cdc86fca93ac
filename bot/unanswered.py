"""Questions the assistant could not answer, grouped for the staff who improve it.

Split from :mod:`bot.answers` (which answers one message): this is the staff's view of
what was declined, for ``python -m bot unanswered`` and the Telegram ``/unanswered``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answers import small_talk
from bot.knowledge.base import Knowledge
from bot.knowledge.faq import FaqEntry
from bot.knowledge.text import fold

if TYPE_CHECKING:
    from bot.store.base import UnansweredQuestion


@dataclass(frozen=True)
class UnansweredGroup:
    """One question staff should look at: how often it was asked, and the nearest entry."""

    question: str
    count: int
    last_asked: dt.datetime
    nearest: FaqEntry | None
    nearest_score: int

    def describe(self) -> str:
        nearest = (
            f'nearest: {self.nearest.id} (score {self.nearest_score}) "{self.nearest.questions[0]}"'
            if self.nearest is not None
            else "nearest: none (nothing in the knowledge base shares its words)"
        )
        return (
            f"{self.count:>4} x  last {self.last_asked:%Y-%m-%d %H:%M}  {self.question}\n"
            f"          {nearest}"
        )


def group_unanswered(
    rows: Iterable[UnansweredQuestion], knowledge: Knowledge
) -> list[UnansweredGroup]:
    """Unanswered questions, repeats grouped (most asked first), small talk left out.

    Two wordings are the same question when they reduce to the same words after the
    matcher's normalisation ("Cost??" and "cost"); the nearest entry is worked out
    against today's knowledge base, so a fix shows up at once.
    """
    found: dict[str, list[UnansweredQuestion]] = {}
    for row in rows:
        text = row.question.strip()
        if not text or small_talk(text) is not None:
            continue
        tokens = knowledge.matcher.query_tokens(text)
        key = " ".join(sorted(set(tokens))) or fold(text)
        found.setdefault(key, []).append(row)
    groups: list[UnansweredGroup] = []
    for members in found.values():
        latest = max(members, key=lambda r: r.asked_at)
        ranked = knowledge.matcher.scores(latest.question)
        nearest = knowledge.matcher.entries[ranked[0][1]] if ranked else None
        groups.append(
            UnansweredGroup(
                question=latest.question,
                count=len(members),
                last_asked=latest.asked_at,
                nearest=nearest,
                nearest_score=round(ranked[0][0]) if ranked else 0,
            )
        )
    groups.sort(key=lambda g: (-g.count, -g.last_asked.timestamp()))
    return groups
