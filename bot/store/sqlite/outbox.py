"""The outbox: emails waiting to go, or gone, their bytes compressed at rest
(bot/store/_mailpack.py) and a sent one's body compacted after SENT_BODY_RETENTION."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.store import _mailpack
from bot.store.base import (
    FAILED,
    HELD,
    PENDING,
    SENT,
    SENT_BODY_RETENTION,
    MailStatus,
    OutboxEntry,
    OutgoingMail,
    RecipientResult,
)
from bot.store.sqlite.database import (
    SqliteBase,
    _iso,
    _results,
    _results_json,
    _time,
)


def _mail_columns(mail: OutgoingMail, data: bytes) -> tuple[Any, ...]:
    """message_id, sender, recipients, data, status, last_error: how an email is stored
    (``data``: its bytes as kept at rest, see bot/store/_mailpack.py)."""
    return (
        mail.message_id,
        mail.sender,
        json.dumps(list(mail.recipients)),
        data,
        HELD if mail.held_reason else PENDING,
        mail.held_reason,
    )


class SqliteOutbox(SqliteBase):
    """The outbox port (:class:`~bot.store.ports.OutboxPort`)."""

    # Rows a purge or a compaction deletes or rewrites in one transaction.
    PURGE_CHUNK = 500

    _OUTBOX_COLUMNS = (
        "id, reference, message_id, sender, recipients, data, status, attempts, last_error,"
        " next_attempt_at, created_at, sent_at, results"
    )

    async def _pack(self, data: bytes) -> bytes:
        """Compressed against the database's dictionary (called with the lock held).

        Until the database has a dictionary the bytes stay as they are, and the first
        such message becomes the dictionary once its transaction has committed (see
        :meth:`_make_dictionary`): a dictionary written inside a transaction that then
        rolled back would leave this process compressing against one nobody can read.
        """
        if not self._dictionaries:
            rows = await self._db.execute_fetchall(
                "SELECT id, data FROM mail_dictionary ORDER BY id DESC LIMIT 1"
            )
            for number, zdict in rows:
                self._dictionaries[int(number)] = bytes(zdict)
        if not self._dictionaries:
            self._dictionary_sample = self._dictionary_sample or data
            return data
        newest = max(self._dictionaries)
        return _mailpack.pack(data, (newest, self._dictionaries[newest]))

    async def _make_dictionary(self) -> None:
        """With the lock held and no transaction open: store the sample as the dictionary,
        unless another process has already made one."""
        sample, self._dictionary_sample = self._dictionary_sample, None
        if not sample or self._dictionaries:
            return
        await self._db.execute(
            "INSERT INTO mail_dictionary (data) SELECT ? WHERE NOT EXISTS"
            " (SELECT 1 FROM mail_dictionary)",
            (sample[-_mailpack.MAX_DICTIONARY :],),
        )

    async def _load_dictionaries(self, blobs: Any) -> None:
        """Make sure every dictionary these stored bytes need is in memory (another
        process may have made one since this store opened)."""
        wanted = {_mailpack.dictionary_id(bytes(b)) for b in blobs} - {None}
        missing = wanted - set(self._dictionaries)
        if missing:
            for number, zdict in await self._read_all("SELECT id, data FROM mail_dictionary"):
                self._dictionaries.setdefault(int(number), bytes(zdict))

    def _entry(self, row: Any) -> OutboxEntry:
        return OutboxEntry(
            id=int(row[0]),
            reference=row[1],
            message_id=row[2],
            sender=row[3],
            recipients=tuple(json.loads(row[4])),
            data=_mailpack.unpack(bytes(row[5]), self._dictionaries),
            status=MailStatus(row[6]),
            attempts=int(row[7]),
            last_error=row[8],
            next_attempt_at=_time(row[9]),
            created_at=dt.datetime.fromisoformat(row[10]),
            sent_at=_time(row[11]),
            results=_results(row[12]),
        )

    async def _insert_mail(
        self, reference: str | None, mail: OutgoingMail, now: dt.datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO outbox (reference, message_id, sender, recipients, data, status, attempts,"
            " last_error, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            (
                reference,
                *_mail_columns(mail, await self._pack(mail.data)),
                now.isoformat(),
                now.isoformat(),
            ),
        )

    async def outbox(
        self, *, statuses: tuple[str, ...] | None = None, bodies: bool = True
    ) -> list[OutboxEntry]:
        columns = self._OUTBOX_COLUMNS if bodies else self._OUTBOX_COLUMNS.replace("data", "x''")
        if statuses:
            marks = ",".join("?" * len(statuses))
            rows = await self._read_all(
                f"SELECT {columns} FROM outbox WHERE status IN ({marks}) ORDER BY id",
                tuple(statuses),
            )
        else:
            rows = await self._read_all(f"SELECT {columns} FROM outbox ORDER BY id")
        await self._load_dictionaries(r[5] for r in rows)
        return [self._entry(r) for r in rows]

    async def due_mail(
        self, now: dt.datetime, limit: int = 20, *, after_id: int = 0
    ) -> list[OutboxEntry]:
        rows = await self._all(
            f"SELECT {self._OUTBOX_COLUMNS} FROM outbox WHERE status = ? AND id > ? AND "
            "(next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
            (PENDING, after_id, now.isoformat(), limit),
        )
        await self._load_dictionaries(r[5] for r in rows)
        return [self._entry(r) for r in rows]

    async def pending_mail(self) -> tuple[int, dt.datetime | None]:
        [row] = await self._read_all(
            "SELECT COUNT(*), MIN(next_attempt_at), COUNT(*) - COUNT(next_attempt_at)"
            " FROM outbox WHERE status = ?",
            (PENDING,),
        )
        count, earliest, due_now = int(row[0]), row[1], int(row[2])
        return count, None if due_now else _time(earliest)

    async def mark_sent(
        self,
        entry_id: int,
        at: dt.datetime,
        results: tuple[RecipientResult, ...] = (),
        *,
        held: str | None = None,
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET status = ?, sent_at = ?, attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = NULL, results = ? WHERE id = ?",
                (
                    HELD if held else SENT,
                    at.isoformat(),
                    held[:500] if held else None,
                    _results_json(results),
                    entry_id,
                ),
            )

    async def mark_attempt_failed(
        self,
        entry_id: int,
        error: str,
        next_attempt_at: dt.datetime | None,
        results: tuple[RecipientResult, ...] = (),
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                " status = ?, results = COALESCE(?, results) WHERE id = ? AND status = ?",
                (
                    error[:500],
                    _iso(next_attempt_at),
                    PENDING if next_attempt_at else FAILED,
                    _results_json(results),
                    entry_id,
                    PENDING,
                ),
            )

    async def replace_mail(self, entry_id: int, mail: OutgoingMail) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET message_id = ?, sender = ?, recipients = ?, data = ?, status = ?,"
                " last_error = ?, next_attempt_at = ? WHERE id = ? AND status IN (?, ?)",
                (
                    *_mail_columns(mail, await self._pack(mail.data)),
                    self._now().isoformat(),
                    entry_id,
                    HELD,
                    FAILED,
                ),
            )

    async def _compact_sent(self, cutoff: dt.datetime) -> int:
        """Sent messages older than ``cutoff`` keep their headers, not their bodies
        (bot/store/_mailpack.py).  Not counted as removed: the rows stay."""
        compacted = 0
        while True:
            rows = await self._read_all(
                "SELECT id, data FROM outbox WHERE status = 'sent' AND body_kept = 1"
                " AND sent_at < ? LIMIT ?",
                (cutoff.isoformat(), self.PURGE_CHUNK),
            )
            await self._load_dictionaries(r[1] for r in rows)
            days = SENT_BODY_RETENTION.days
            updates = [
                (_mailpack.compact(_mailpack.unpack(bytes(data), self._dictionaries), days), id_)
                for id_, data in rows
            ]
            if updates:
                async with self._lock:
                    await self._db.executemany(
                        "UPDATE outbox SET data = ?, body_kept = 0 WHERE id = ? AND status = 'sent'",
                        updates,
                    )
            compacted += len(updates)
            if len(rows) < self.PURGE_CHUNK:
                return compacted
