"""The store interface the domain relies on, and the value objects it deals in.

Two implementations: :mod:`bot.store.sqlite` (the real one) and :mod:`bot.store.memory`
(a fake for tests and benchmarks that behaves the same, minus durability).

The one rule every implementation keeps: :meth:`Store.commit` is atomic.  The session
(which carries the ids of the updates that produced it), a submitted application and its
outbox message are written together or not at all, so a crash can never leave an
application without its email, nor answer the same Telegram update twice.
"""

from __future__ import annotations

import abc
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.clock import SYSTEM_CLOCK
from bot.session import Session
from bot.store.ports import ApplicationPort, NotifyPort, OutboxPort, SessionPort, UnansweredPort

# The periods the privacy notice states (bot.assistant's notice quotes these constants).
DRAFT_RETENTION = dt.timedelta(days=90)  # after the last answer given
APPLICATION_RETENTION = dt.timedelta(days=365)  # after submission, whatever its email's state
UNANSWERED_RETENTION = dt.timedelta(days=30)  # questions the knowledge base could not answer
# Unanswered questions kept per person (a flood from one user replaces its own oldest).
UNANSWERED_PER_USER = 20
# A sent email's body is kept this long after the hub's server accepted it; then only its
# headers, recipients, Message-ID and per-recipient results (bot/store/_mailpack.py).
SENT_BODY_RETENTION = dt.timedelta(days=30)
# A request to be told when applications open is kept this long after it was made (or
# until the notice is queued, or /forget); a notice's record (who was told what, when)
# is kept this long after it was queued.
SUBSCRIPTION_RETENTION = dt.timedelta(days=365)
NOTICE_RETENTION = dt.timedelta(days=30)


class MailStatus(StrEnum):
    """Where an outbox message stands (stored as its value)."""

    PENDING = "pending"  # to be tried (again) at next_attempt_at
    SENT = "sent"  # accepted by the mail server (or written as an .eml file)
    HELD = "held"  # waiting for the operator: the hub has no real address yet
    FAILED = "failed"  # given up after the last attempt, or refused for good


PENDING, SENT, HELD, FAILED = MailStatus

# What the mail server said about one recipient of one message.


class RecipientOutcome(StrEnum):
    """What the mail server said about one recipient."""

    ACCEPTED = "accepted"  # 250 to RCPT and the message's DATA accepted
    REFUSED = "refused"  # a 5xx reply to RCPT: this address will not get the message
    DEFERRED = "deferred"  # a 4xx reply to RCPT (greylisting, a full mailbox): try again later
    UNCONFIRMED = "unconfirmed"  # the server went silent after the data: it may have it


ACCEPTED, REFUSED, DEFERRED, UNCONFIRMED = RecipientOutcome


@dataclass(frozen=True)
class RecipientResult:
    """The server's answer for one recipient of one delivery attempt.

    Kept per message in the outbox (a JSON list), so ``outbox``, ``/status`` and the logs
    can say exactly who has the message and who does not.  A value object of its own (not
    tied to one SMTP connection) so that batching several messages over one connection
    records the same thing per message.
    """

    address: str
    outcome: str
    reply: str = ""

    def as_json(self) -> dict[str, str]:
        return {"address": self.address, "outcome": self.outcome, "reply": self.reply}

    @classmethod
    def from_json(cls, raw: dict[str, str]) -> RecipientResult:
        return cls(str(raw["address"]), str(raw["outcome"]), str(raw.get("reply", "")))


@dataclass(frozen=True)
class OutgoingMail:
    """A complete RFC 5322 message and its envelope, ready for the outbox.

    ``recipients[0]`` is the hub (To); the rest are copies (Cc).  The message counts as
    delivered only when the hub's address is accepted.
    """

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes
    held_reason: str | None = None


@dataclass(frozen=True)
class SubmittedApplication:
    reference: str
    user_id: str
    hub_id: str
    submitted_at: dt.datetime
    answers: dict[str, str]
    delivery: str | None = None  # the outbox status of its email, when there is one
    # What the server said per recipient, and the last error, for an honest /status.
    delivery_results: tuple[RecipientResult, ...] = ()
    delivery_error: str | None = None
    form: str = ""  # the id of the flow (flows/*.yaml) it was submitted with


T = TypeVar("T")

Admit = Callable[[str, dict[str, str], list[SubmittedApplication], dt.datetime], None]
RECENT_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Submission:
    """An application about to be submitted; ``compose`` builds its email once the
    store has given it a reference, inside the same transaction."""

    hub_id: str
    answers: dict[str, str]
    compose: Callable[[SubmittedApplication], OutgoingMail | None]
    # Called inside the storing transaction with (user id, answers, the applications of
    # the last 24 hours, now); raises SubmissionRefused to store nothing (bot.limits).
    admit: Admit | None = None
    form: str = ""
    # References are numbered per form and year: EOI-2026-0001, SMP-2026-0001.
    reference_prefix: str = "APP"


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    reference: str | None
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes
    status: MailStatus
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    results: tuple[RecipientResult, ...] = ()


@dataclass(frozen=True)
class TranscriptEntry:
    """One message of a conversation as a channel showed it, kept so a channel without
    its own history (the web page) can show the conversation again after a reload.
    ``body`` is the channel's own JSON; ``seq`` increases with every entry stored."""

    seq: int
    role: str  # "user" or "assistant"
    body: str


@dataclass(frozen=True)
class UnansweredQuestion:
    question: str
    score: int
    asked_at: dt.datetime
    hub_id: str | None = None  # the hub of the asker's draft, when there was one


def answers_digest(session: Session) -> str:
    """Changes exactly when an answer in any of the session's forms changes."""
    answers = {name: state.answers for name, state in session.flows.items()}
    text = json.dumps(answers, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def utcnow() -> dt.datetime:
    """The machine's time, to the second (for tests: a store reads the Clock it was given)."""
    return SYSTEM_CLOCK.now().replace(microsecond=0)


def make_reference(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}-{year}-{sequence:04d}"


@dataclass(frozen=True)
class Subscription:
    """A teacher's request to be told when the next application window opens.

    ``channel`` is how they will be told: ``telegram`` (``address`` is the chat id) or
    ``email`` (``address`` is the address they gave)."""

    user_id: str
    programme: str
    channel: str
    address: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Notice:
    """One "applications are open" notice: at most one per (window, user), ever.

    Email notices go through the outbox (``status`` is ``queued``; the outbox tracks the
    rest).  Telegram notices are delivered by the running Telegram process: ``pending``
    -> ``sending`` (recorded before the Bot API call) -> ``sent``; a notice found
    ``sending`` after a crash is marked ``unconfirmed`` and never sent again."""

    id: int
    window_id: str
    user_id: str
    channel: str
    address: str
    text: str
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    error: str | None = None


class Store(SessionPort, ApplicationPort, OutboxPort, UnansweredPort, NotifyPort, Protocol):
    """Everything the assistant keeps between messages and restarts: every port, and
    the retention and statistics that span them."""

    @abc.abstractmethod
    async def purge(self, now: dt.datetime) -> int:
        """Delete what the privacy notice says is not kept any longer; returns rows removed."""

    @abc.abstractmethod
    async def stats(self, *, hub_id: str | None = None) -> dict[str, int]:
        """Counts for staff; ``hub_id``: only that hub's applications, mail and questions."""

    @abc.abstractmethod
    async def close(self) -> None: ...
