"""Requests to be told when applications open, and the notices sent for them: a notice
and its email are written in one transaction, once per window and person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.store.base import Notice, OutgoingMail, Subscription
from bot.store.sqlite.database import _iso, _time
from bot.store.sqlite.outbox import SqliteOutbox


class SqliteNotify(SqliteOutbox):
    """The notify port (:class:`~bot.store.ports.NotifyPort`)."""

    async def subscribe(self, subscription: Subscription) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT OR REPLACE INTO subscriptions (user_id, programme, channel, address,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (
                    subscription.user_id,
                    subscription.programme,
                    subscription.channel,
                    subscription.address,
                    subscription.created_at.isoformat(),
                ),
            )

    async def unsubscribe(self, user_id: str) -> bool:
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM subscriptions WHERE user_id = ?", (user_id,)
            )
            return cursor.rowcount > 0

    async def subscriptions(self, *, user_id: str | None = None) -> list[Subscription]:
        where, params = ("WHERE user_id = ?", (user_id,)) if user_id is not None else ("", ())
        rows = await self._all(
            "SELECT user_id, programme, channel, address, created_at FROM subscriptions"
            f" {where} ORDER BY created_at, user_id",
            params,
        )
        return [Subscription(r[0], r[1], r[2], r[3], dt.datetime.fromisoformat(r[4])) for r in rows]

    async def queue_notice(
        self, subscription: Subscription, window_id: str, text: str, mail: OutgoingMail | None
    ) -> bool:
        now = self._now()
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = await self._db.execute(
                    "INSERT OR IGNORE INTO notices (window_id, user_id, channel, address, text,"
                    " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        window_id,
                        subscription.user_id,
                        subscription.channel,
                        subscription.address,
                        text,
                        "queued" if mail is not None else "pending",
                        now.isoformat(),
                    ),
                )
                queued = cursor.rowcount > 0
                if queued and mail is not None:
                    await self._insert_mail(None, mail, now)
                await self._db.execute(
                    "DELETE FROM subscriptions WHERE user_id = ? AND created_at = ?",
                    (subscription.user_id, subscription.created_at.isoformat()),
                )
                await self._db.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            return queued

    async def notices(
        self, *, statuses: tuple[str, ...] | None = None, channel: str | None = None
    ) -> list[Notice]:
        clauses: list[str] = []
        params: list[Any] = []
        if statuses is not None:
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params += statuses
        if channel is not None:
            clauses.append("channel = ?")
            params.append(channel)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._all(
            "SELECT id, window_id, user_id, channel, address, text, status, created_at, sent_at,"
            f" error FROM notices {where} ORDER BY id",
            tuple(params),
        )
        return [
            Notice(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                _time(r[7]) or self._now(),
                _time(r[8]),
                r[9],
            )
            for r in rows
        ]

    async def mark_notice(
        self, notice_id: int, status: str, at: dt.datetime | None = None, error: str | None = None
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE notices SET status = ?, sent_at = COALESCE(?, sent_at), error = ?"
                " WHERE id = ?",
                (status, _iso(at), error, notice_id),
            )
