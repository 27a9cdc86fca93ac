"""The store's ports: one small interface per aggregate the domain keeps.

A caller depends on the port it uses (the outbox sender on :class:`OutboxPort`, the notice
schedule on :class:`NotifyPort`, ...); :class:`~bot.store.base.Store` is all of them, with
retention and statistics, as the SQLite adapter and the in-memory fake implement it.
``tests/test_store_contract.py`` runs one contract suite per port against both.

Only annotations refer to the value objects of :mod:`bot.store.base`, so this module
imports nothing at run time and base can build :class:`Store` from it.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterator

    from bot.session import Session
    from bot.store.base import (
        Notice,
        OutboxEntry,
        OutgoingMail,
        RecipientResult,
        Submission,
        SubmittedApplication,
        Subscription,
        T,
        TranscriptEntry,
        UnansweredQuestion,
    )


class SessionPort(Protocol):
    """A person's conversation: the session a turn reads and commits, the transcript a channel shows again, and forgetting all of it."""

    @abc.abstractmethod
    async def load_session(self, user_id: str) -> Session | None: ...

    @abc.abstractmethod
    async def commit(
        self,
        user_id: str,
        session: Session,
        *,
        submission: Submission | None = None,
    ) -> SubmittedApplication | None:
        """Atomically save the session and store a submission (with its reference and its
        outbox message).  Returns the stored application."""

    @abc.abstractmethod
    async def forget(self, user_id: str) -> None:
        """Delete the user's session, drafts, transcript and unanswered questions
        (submitted applications belong to the hub)."""

    @abc.abstractmethod
    async def append_transcript(self, user_id: str, entries: list[tuple[str, str]]) -> int:
        """Store ``(role, body)`` messages in one write; returns the last entry's seq
        (the entries get consecutive seqs, ending with it)."""

    @abc.abstractmethod
    async def transcript(
        self, user_id: str, *, after: int = 0, limit: int = 500
    ) -> list[TranscriptEntry]:
        """The user's most recent ``limit`` entries with seq > ``after``, oldest first."""


class ApplicationPort(Protocol):
    """Submitted applications, as /status, the export command and staff /export read them (they are written by :meth:`SessionPort.commit`, with their email)."""

    @abc.abstractmethod
    async def applications(
        self,
        *,
        user_id: str | None = None,
        hub_id: str | None = None,
        since: dt.date | None = None,
        form: str | None = None,
    ) -> list[SubmittedApplication]:
        """Submitted applications, oldest first."""

    @abc.abstractmethod
    async def export_applications(
        self,
        build: Callable[[Iterator[SubmittedApplication]], T],
        *,
        hub_id: str | None = None,
        form: str | None = None,
    ) -> T:
        """``build``'s result over the applications :meth:`applications` would return,
        run in a worker thread that reads them as it goes: a staff export of thousands of
        applications (the reading, decoding and building of its file) never runs on the
        event loop, so nobody's message waits behind it."""


class OutboxPort(Protocol):
    """The emails waiting to go, or gone: what the outbox sender pages through and records."""

    @abc.abstractmethod
    async def outbox(
        self, *, statuses: tuple[str, ...] | None = None, bodies: bool = True
    ) -> list[OutboxEntry]:
        """The outbox in id order; ``bodies=False`` leaves each ``data`` empty (listings
        need no message bytes, and 10,000 of them are 150 MB)."""

    @abc.abstractmethod
    async def due_mail(
        self, now: dt.datetime, limit: int = 20, *, after_id: int = 0
    ) -> list[OutboxEntry]:
        """Pending messages whose next attempt is due, in id order, from after ``after_id``
        (a sender pages through the outbox with it, holding one batch at a time)."""

    @abc.abstractmethod
    async def pending_mail(self) -> tuple[int, dt.datetime | None]:
        """How many messages are pending, and the earliest next attempt among them
        (None when one is due now, or none is pending)."""

    @abc.abstractmethod
    async def mark_sent(
        self,
        entry_id: int,
        at: dt.datetime,
        results: tuple[RecipientResult, ...] = (),
        *,
        held: str | None = None,
    ) -> None:
        """The hub's server accepted the message; ``results`` says what it said per recipient.

        ``held``: the message was handed to the operator instead (an ``.eml`` file, with no
        mail server configured): it is kept as held, with this note, until the operator
        sends it (``outbox retry`` once ``SMTP_HOST`` is set)."""

    @abc.abstractmethod
    async def mark_attempt_failed(
        self,
        entry_id: int,
        error: str,
        next_attempt_at: dt.datetime | None,
        results: tuple[RecipientResult, ...] = (),
    ) -> None:
        """Count a failed attempt; ``next_attempt_at=None`` gives up (status failed)."""

    @abc.abstractmethod
    async def replace_mail(self, entry_id: int, mail: OutgoingMail) -> None:
        """Swap a held message for a recomposed one (pending, or still held)."""


class UnansweredPort(Protocol):
    """Questions the knowledge base could not answer, kept for its editors."""

    @abc.abstractmethod
    async def record_unanswered(
        self, question: str, score: int, *, user_id: str | None = None, hub_id: str | None = None
    ) -> None:
        """Keep a question for the knowledge base's editors, with who asked it (so /forget
        deletes it) and the hub it concerns (so only that hub's staff see it)."""

    @abc.abstractmethod
    async def unanswered(
        self, limit: int = 50, *, hub_id: str | None = None
    ) -> list[UnansweredQuestion]:
        """Recent questions the knowledge base could not answer, newest first (``hub_id``:
        only those about that hub)."""


class NotifyPort(Protocol):
    """Requests to be told when applications open, and the notices sent for them (bot/notify.py)."""

    @abc.abstractmethod
    async def subscribe(self, subscription: Subscription) -> None:
        """Keep (or replace) the user's request to be told when applications open."""

    @abc.abstractmethod
    async def unsubscribe(self, user_id: str) -> bool:
        """Withdraw the user's request; False when there was none."""

    @abc.abstractmethod
    async def subscriptions(self, *, user_id: str | None = None) -> list[Subscription]:
        """Requests to be told, oldest first."""

    @abc.abstractmethod
    async def queue_notice(
        self, subscription: Subscription, window_id: str, text: str, mail: OutgoingMail | None
    ) -> bool:
        """In one transaction: record the notice for (window, user), put ``mail`` (if
        any) in the outbox, and remove the request it fulfils.  False, writing nothing,
        when that user was already given a notice for that window."""

    @abc.abstractmethod
    async def notices(
        self, *, statuses: tuple[str, ...] | None = None, channel: str | None = None
    ) -> list[Notice]:
        """Notices in id order."""

    @abc.abstractmethod
    async def mark_notice(
        self, notice_id: int, status: str, at: dt.datetime | None = None, error: str | None = None
    ) -> None:
        """Move a Telegram notice on (``sending``, ``sent``, ``failed``, ``unconfirmed``)."""
