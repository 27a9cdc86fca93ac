"""The transport interface: how a finished message leaves the assistant.

A transport takes one :class:`Envelope` and either returns (the server, or the
directory, has accepted the message and is now responsible for it) or raises
:class:`TransportError`.  It never retries and never touches the store: the
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


@dataclass(frozen=True)
class Envelope:
    """One message as the outbox holds it: SMTP envelope plus the RFC 5322 bytes."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes
    reference: str | None = None


class TransportError(DeliveryError):
    """The message was not accepted.

    ``permanent``: the server refused this message for good (a 5xx reply to its recipients
    or data); retrying the same message will not help, so the outbox gives up on it.
    ``unavailable``: the server could not be reached at all; the sender stops the current
    pass instead of trying every other message against a server that is down.
    """

    def __init__(self, message: str, *, permanent: bool = False, unavailable: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.unavailable = unavailable


class Transport(abc.ABC):
    """Hands one message to whatever delivers it further."""

    #: Shown by ``python -m bot outbox`` and in logs, e.g. ``smtp://mail.example.org:587``.
    description: str = ""

    @abc.abstractmethod
    async def send(self, envelope: Envelope) -> None:
        """Deliver ``envelope``; return only once it has been accepted.

        Raises :class:`TransportError` when it was not.  Must be safe to call again
        with the same envelope after a failure (the outbox will).
        """

    async def close(self) -> None:  # noqa: B027 - optional hook, most transports hold nothing
        """Release anything held between sends."""
