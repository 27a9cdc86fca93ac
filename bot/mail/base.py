"""The transport interface: how a finished message leaves the assistant.

A transport takes one :class:`Envelope` and either returns what happened to each
recipient (the server, or the directory, has accepted the message for at least every
*required* recipient, i.e. the hub) or raises :class:`TransportError`.  A required
recipient that is refused means nobody gets the message (the transaction is reset before
any data is sent), so a retry never copies the Cc recipients twice.  It never retries and never touches the store: the
:class:`~bot.mail.outbox.OutboxSender` owns retries and bookkeeping, so every transport
gets the same exactly-once behaviour.

Implementations: :class:`~bot.mail.smtp.SmtpTransport` (aiosmtplib),
:class:`~bot.mail.eml.EmlDirectoryTransport` (the embedded default) and
:class:`~bot.mail.memory.MemoryTransport` (a fake for tests).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from bot.exceptions import DeliveryError
from bot.store.base import ACCEPTED, RecipientResult


@dataclass(frozen=True)
class Envelope:
    """One message as the outbox holds it: SMTP envelope plus the RFC 5322 bytes."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes
    reference: str | None = None
    # Recipients without whom the message must not go at all (the hub).
    required: tuple[str, ...] = ()


def all_accepted(envelope: Envelope) -> tuple[RecipientResult, ...]:
    return tuple(RecipientResult(r, ACCEPTED) for r in envelope.recipients)


class TransportError(DeliveryError):
    """The message was not accepted.

    ``permanent``: the server refused this message for good (a 5xx reply to its recipients
    or data); retrying the same message will not help, so the outbox gives up on it.
    ``unavailable``: the server could not be reached at all; the sender stops the current
    pass instead of trying every other message against a server that is down.
    ``unconfirmed``: the server went silent (or hung up) after receiving the message's
    data, so it may have accepted it; the outbox does not re-send it on its own.
    ``results``: what the server said per recipient before it failed, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        unavailable: bool = False,
        unconfirmed: bool = False,
        results: tuple[RecipientResult, ...] = (),
    ):
        super().__init__(message)
        self.permanent = permanent
        self.unavailable = unavailable
        self.unconfirmed = unconfirmed
        self.results = results


class Transport(abc.ABC):
    """Hands one message to whatever delivers it further."""

    #: Shown by ``python -m bot outbox`` and in logs, e.g. ``smtp://mail.example.org:587``.
    description: str = ""
    #: False for a transport that only hands messages to the operator (``.eml`` files):
    #: what it accepted has not reached the hub, so the outbox keeps it as held.
    delivers: bool = True
    #: How many messages an outbox pass may have in flight at once (SMTP: one connection
    #: each); 1 for a transport that is not safe to call concurrently.
    connections: int = 1

    def handed_over(self, envelope: Envelope) -> str:
        """Where a transport that does not deliver left ``envelope``, for the operator."""
        return f"handed to {self.description}"

    @abc.abstractmethod
    async def send(self, envelope: Envelope) -> tuple[RecipientResult, ...]:
        """Deliver ``envelope``; return, once it has been accepted, one result per recipient.

        Raises :class:`TransportError` when it was not.  Must be safe to call again
        with the same envelope after a failure (the outbox will).
        """

    async def probe(self) -> None:  # noqa: B027 - optional hook
        """Check the configuration against the real server at start-up (ConfigError)."""

    async def close(self) -> None:  # noqa: B027 - optional hook, most transports hold nothing
        """Release anything held between sends."""
