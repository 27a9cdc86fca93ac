"""An in-memory :class:`~bot.mail.base.Transport` for tests: records what it accepts.

``fail_with`` makes every send raise that error until it is cleared, which is how tests
simulate a mail server that is down.
"""

from __future__ import annotations

from bot.mail.base import Envelope, Transport, TransportError, all_accepted
from bot.store.base import RecipientResult


class MemoryTransport(Transport):
    description = "memory"

    def __init__(self) -> None:
        self.sent: list[Envelope] = []
        self.attempts = 0
        self.fail_with: TransportError | None = None

    async def send(self, envelope: Envelope) -> tuple[RecipientResult, ...]:
        self.attempts += 1
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(envelope)
        return all_accepted(envelope)
