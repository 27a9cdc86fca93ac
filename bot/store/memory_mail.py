"""The in-memory fake's outbox and notices (bot/store/memory.py puts it together).

The same behaviour as the SQLite store's :mod:`~bot.store.sqlite.outbox` and
:mod:`~bot.store.sqlite.notify`, minus durability; tests/test_store_contract.py holds
the two to one contract.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.clock import Clock
from bot.store.base import (
    FAILED,
    HELD,
    PENDING,
    SENT,
    Notice,
    OutboxEntry,
    OutgoingMail,
    RecipientResult,
    Subscription,
)


class MemoryOutbox:
    """The outbox port, on a list."""

    clock: Clock
    mail: list[OutboxEntry]

    def _now(self) -> dt.datetime:
        return self.clock.now().replace(microsecond=0)  # stored to the second

    @staticmethod
    def _entry(
        entry_id: int, reference: str | None, mail: OutgoingMail, now: dt.datetime
    ) -> OutboxEntry:
        return OutboxEntry(
            id=entry_id,
            reference=reference,
            message_id=mail.message_id,
            sender=mail.sender,
            recipients=mail.recipients,
            data=mail.data,
            status=HELD if mail.held_reason else PENDING,
            attempts=0,
            last_error=mail.held_reason,
            next_attempt_at=now,
            created_at=now,
            sent_at=None,
        )

    async def outbox(
        self, *, statuses: tuple[str, ...] | None = None, bodies: bool = True
    ) -> list[OutboxEntry]:
        return [
            m if bodies else dataclasses.replace(m, data=b"")
            for m in self.mail
            if statuses is None or m.status in statuses
        ]

    async def due_mail(
        self, now: dt.datetime, limit: int = 20, *, after_id: int = 0
    ) -> list[OutboxEntry]:
        return [
            m
            for m in self.mail
            if m.id > after_id
            and m.status == PENDING
            and (m.next_attempt_at is None or m.next_attempt_at <= now)
        ][:limit]

    async def pending_mail(self) -> tuple[int, dt.datetime | None]:
        pending = [m for m in self.mail if m.status == PENDING]
        if not pending or any(m.next_attempt_at is None for m in pending):
            return len(pending), None
        return len(pending), min(m.next_attempt_at for m in pending if m.next_attempt_at)

    def _update(self, entry_id: int, **changes: Any) -> None:
        self.mail = [
            dataclasses.replace(m, **changes) if m.id == entry_id else m for m in self.mail
        ]

    async def mark_sent(
        self,
        entry_id: int,
        at: dt.datetime,
        results: tuple[RecipientResult, ...] = (),
        *,
        held: str | None = None,
    ) -> None:
        entry = next(m for m in self.mail if m.id == entry_id)
        self._update(
            entry_id,
            status=HELD if held else SENT,
            sent_at=at,
            attempts=entry.attempts + 1,
            last_error=held[:500] if held else None,
            next_attempt_at=None,
            results=results,
        )

    async def mark_attempt_failed(
        self,
        entry_id: int,
        error: str,
        next_attempt_at: dt.datetime | None,
        results: tuple[RecipientResult, ...] = (),
    ) -> None:
        entry = next(m for m in self.mail if m.id == entry_id)
        if entry.status == PENDING:
            self._update(
                entry_id,
                attempts=entry.attempts + 1,
                last_error=error[:500],
                next_attempt_at=next_attempt_at,
                status=PENDING if next_attempt_at else FAILED,
                results=results or entry.results,
            )

    async def replace_mail(self, entry_id: int, mail: OutgoingMail) -> None:
        entry = next(m for m in self.mail if m.id == entry_id)
        if entry.status in (HELD, FAILED):
            fresh = self._entry(entry_id, entry.reference, mail, self._now())
            self._update(
                entry_id,
                message_id=fresh.message_id,
                sender=fresh.sender,
                recipients=fresh.recipients,
                data=fresh.data,
                status=fresh.status,
                last_error=fresh.last_error,
                next_attempt_at=fresh.next_attempt_at,
            )


class MemoryNotify(MemoryOutbox):
    """The notify port: requests by user, notices in a list, a notice's email in the outbox."""

    subscriptions_: dict[str, Subscription]
    notices_: list[Notice]

    async def subscribe(self, subscription: Subscription) -> None:
        self.subscriptions_[subscription.user_id] = dataclasses.replace(
            subscription, created_at=subscription.created_at.replace(microsecond=0)
        )

    async def unsubscribe(self, user_id: str) -> bool:
        return self.subscriptions_.pop(user_id, None) is not None

    async def subscriptions(self, *, user_id: str | None = None) -> list[Subscription]:
        found = [s for s in self.subscriptions_.values() if user_id in (None, s.user_id)]
        return sorted(found, key=lambda s: (s.created_at, s.user_id))

    async def queue_notice(
        self, subscription: Subscription, window_id: str, text: str, mail: OutgoingMail | None
    ) -> bool:
        now = self._now()
        queued = not any(
            n.window_id == window_id and n.user_id == subscription.user_id for n in self.notices_
        )
        if queued:
            self.notices_.append(
                Notice(
                    id=1 + max((n.id for n in self.notices_), default=0),
                    window_id=window_id,
                    user_id=subscription.user_id,
                    channel=subscription.channel,
                    address=subscription.address,
                    text=text,
                    status="queued" if mail is not None else "pending",
                    created_at=now,
                )
            )
            if mail is not None:
                self.mail.append(self._entry(len(self.mail) + 1, None, mail, now))
        current = self.subscriptions_.get(subscription.user_id)
        if current is not None and current.created_at == subscription.created_at:
            del self.subscriptions_[subscription.user_id]
        return queued

    async def notices(
        self, *, statuses: tuple[str, ...] | None = None, channel: str | None = None
    ) -> list[Notice]:
        return [
            n
            for n in self.notices_
            if (statuses is None or n.status in statuses) and channel in (None, n.channel)
        ]

    async def mark_notice(
        self, notice_id: int, status: str, at: dt.datetime | None = None, error: str | None = None
    ) -> None:
        self.notices_ = [
            dataclasses.replace(n, status=status, sent_at=at or n.sent_at, error=error)
            if n.id == notice_id
            else n
            for n in self.notices_
        ]
