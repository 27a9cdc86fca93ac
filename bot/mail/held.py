"""Held and failed messages: recomposed with the hubs' current addresses, and released.

A message is held while its hub has only a placeholder address (or when the transport
only writes ``.eml`` files for the operator).  Once the operator adds the hub's real
address, recomposing the message from its application makes it pending again.  Split
from :mod:`bot.mail.outbox` because it reads applications, which delivery never does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from bot.mail.base import Transport
from bot.store.base import FAILED, HELD, OutgoingMail, Store, SubmittedApplication

logger = logging.getLogger(__name__)

Recompose = Callable[[SubmittedApplication], OutgoingMail | None]


async def release_held(
    store: Store, transport: Transport, recompose: Recompose, *, include_failed: bool = False
) -> int:
    """Recompose held (and, with ``include_failed``, failed) messages; those that can now
    go become pending.  Returns how many."""
    entries = await store.outbox(
        statuses=(HELD, FAILED) if include_failed else (HELD,), bodies=False
    )
    if not entries:
        return 0
    wanted = {e.reference for e in entries if e.reference}

    def pick(applications: Iterator[SubmittedApplication]) -> dict[str, SubmittedApplication]:
        # Streamed: only the applications of these messages are kept in memory.
        return {a.reference: a for a in applications if a.reference in wanted}

    applications = await store.export_applications(pick)
    released = 0
    for entry in entries:
        application = applications.get(entry.reference or "")
        if application is None:
            continue
        if entry.status == HELD and entry.sent_at is not None and not transport.delivers:
            continue  # already handed to the operator; writing it again gains nothing
        mail = recompose(application)
        if mail is None or (mail.held_reason and entry.status == HELD):
            continue
        await store.replace_mail(entry.id, mail)
        if not mail.held_reason:
            released += 1
            logger.info("%s is no longer held: queued for delivery", entry.reference)
    return released
