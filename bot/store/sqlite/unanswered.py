"""Questions the knowledge base could not answer, kept for its editors (20 a person)."""

from __future__ import annotations

import datetime as dt

from bot.store.base import UNANSWERED_PER_USER, UnansweredQuestion
from bot.store.sqlite.database import SqliteBase


class SqliteUnanswered(SqliteBase):
    """The unanswered-questions port (:class:`~bot.store.ports.UnansweredPort`)."""

    async def record_unanswered(
        self, question: str, score: int, *, user_id: str | None = None, hub_id: str | None = None
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT INTO unanswered (question, score, asked_at, user_id, hub_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (question[:500], score, self._now().isoformat(), user_id, hub_id),
            )
            if user_id is not None:
                # One person's questions are bounded: the oldest beyond the cap go.
                await self._db.execute(
                    "DELETE FROM unanswered WHERE user_id = ? AND id NOT IN (SELECT id FROM"
                    " unanswered WHERE user_id = ? ORDER BY id DESC LIMIT ?)",
                    (user_id, user_id, UNANSWERED_PER_USER),
                )

    async def unanswered(
        self, limit: int = 50, *, hub_id: str | None = None
    ) -> list[UnansweredQuestion]:
        where, params = ("WHERE hub_id = ? ", (hub_id,)) if hub_id is not None else ("", ())
        rows = await self._read_all(
            f"SELECT question, score, asked_at, hub_id FROM unanswered {where}"
            "ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [
            UnansweredQuestion(r[0], int(r[1]), dt.datetime.fromisoformat(r[2]), r[3]) for r in rows
        ]
