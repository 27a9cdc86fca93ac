"""Retention (what the privacy notice says is no longer kept) and staff statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.store.base import (
    APPLICATION_RETENTION,
    DRAFT_RETENTION,
    FAILED,
    HELD,
    NOTICE_RETENTION,
    PENDING,
    SENT,
    SENT_BODY_RETENTION,
    SUBSCRIPTION_RETENTION,
    UNANSWERED_RETENTION,
)
from bot.store.sqlite.outbox import SqliteOutbox


class SqliteHousekeeping(SqliteOutbox):
    """Retention and statistics, which read and delete across every table."""

    async def purge(self, now: dt.datetime) -> int:
        """Deletes in chunks of :data:`PURGE_CHUNK` rows, each its own transaction, so the
        write lock is never held for long; one interrupted is finished by the next run.
        Sent mail goes before its application, so no application loses an email it still
        needs."""
        removed = 0
        for table, where, cutoff in (
            ("sessions", "answered_at < ?", now - DRAFT_RETENTION),
            # Applications and their email in every state (sent, pending, held, failed):
            # nothing is delivered, nor kept, beyond the period the notice states.
            (
                "outbox",
                "reference IN (SELECT reference FROM applications WHERE submitted_at < ?)",
                now - APPLICATION_RETENTION,
            ),
            ("outbox", "created_at < ?", now - APPLICATION_RETENTION),
            ("applications", "submitted_at < ?", now - APPLICATION_RETENTION),
            ("unanswered", "asked_at < ?", now - UNANSWERED_RETENTION),
            ("transcript", "at < ?", now - DRAFT_RETENTION),
            ("subscriptions", "created_at < ?", now - SUBSCRIPTION_RETENTION),
            ("notices", "created_at < ?", now - NOTICE_RETENTION),
        ):
            sql = (
                f"DELETE FROM {table} WHERE rowid IN "
                f"(SELECT rowid FROM {table} WHERE {where} LIMIT ?)"
            )
            while True:
                async with self._lock:
                    cursor = await self._db.execute(sql, (cutoff.isoformat(), self.PURGE_CHUNK))
                    count = max(cursor.rowcount, 0)
                    if table == "sessions" and count:
                        self._sessions.clear()
                removed += count
                if count < self.PURGE_CHUNK:
                    break
        await self._compact_sent(now - SENT_BODY_RETENTION)
        if removed:
            async with self._lock:
                await self._checkpoint()
        return removed

    async def stats(self, *, hub_id: str | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        if hub_id is None:
            queries: tuple[tuple[str, str, tuple[Any, ...]], ...] = (
                ("users", "SELECT COUNT(*) FROM sessions", ()),
                (
                    "drafts",
                    "SELECT COUNT(*) FROM sessions WHERE json_extract(state, '$.flows') != '{}'",
                    (),
                ),
                ("applications", "SELECT COUNT(*) FROM applications", ()),
                ("unanswered", "SELECT COUNT(*) FROM unanswered", ()),
            )
        else:  # a hub's staff see their hub's figures only
            queries = (
                ("applications", "SELECT COUNT(*) FROM applications WHERE hub_id = ?", (hub_id,)),
                ("unanswered", "SELECT COUNT(*) FROM unanswered WHERE hub_id = ?", (hub_id,)),
            )
        for name, sql, params in queries:
            [row] = await self._read_all(sql, params)
            out[name] = int(row[0])
        where, args = ("WHERE hub_id = ?", (hub_id,)) if hub_id is not None else ("", ())
        for form, count in await self._read_all(
            f"SELECT form, COUNT(*) FROM applications {where} GROUP BY form ORDER BY form", args
        ):
            out[f"applications_{form}"] = int(count)
        if hub_id is None:
            for flow_id, count in await self._read_all(
                "SELECT f.key, COUNT(*) FROM sessions s, json_each(s.state, '$.flows') f "
                "GROUP BY f.key ORDER BY f.key"
            ):
                out[f"drafts_{flow_id}"] = int(count)
        for status in (PENDING, SENT, HELD, FAILED):
            if hub_id is None:
                sql, params = "SELECT COUNT(*) FROM outbox WHERE status = ?", (status,)
            else:
                sql = (
                    "SELECT COUNT(*) FROM outbox o JOIN applications a ON a.reference = o.reference"
                    " WHERE o.status = ? AND a.hub_id = ?"
                )
                params = (status, hub_id)
            [row] = await self._read_all(sql, params)
            out[f"mail_{status}"] = int(row[0])
        return out
