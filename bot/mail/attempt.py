"""One message handed to the transport, and what came of it recorded in the store.

Split from :mod:`bot.mail.outbox`, which decides *which* messages to try and when; this
is what one try does.  A message is marked sent only after the transport returned, so
"sent" always means accepted by the hub's server (or, for an ``.eml`` transport, held
for the operator, never "sent").
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from bot.mail.base import Envelope, Transport, TransportError
from bot.store.base import OutboxEntry, Store

logger = logging.getLogger(__name__)


async def hand_over(
    store: Store, transport: Transport, entry: OutboxEntry, clock: Callable[[], dt.datetime]
) -> TransportError | None:
    """Send ``entry``; record it sent (or held) and return None, or return the error."""
    label = entry.reference or entry.message_id
    envelope = Envelope(
        message_id=entry.message_id,
        sender=entry.sender,
        recipients=entry.recipients,
        data=entry.data,
        reference=entry.reference,
        required=entry.recipients[:1],  # the hub: see OutgoingMail
    )
    try:
        results = await transport.send(envelope)
    except TransportError as exc:
        return exc
    except Exception as exc:  # a transport bug must not stop the outbox
        logger.warning("unexpected error sending %s", label, exc_info=True)
        return TransportError(f"{type(exc).__name__}: {exc}")
    if not transport.delivers:
        # An .eml file is for the operator to send: held, never "sent", so neither the
        # applicant nor /status is told it reached the hub.
        note = transport.handed_over(envelope)
        await store.mark_sent(entry.id, clock(), tuple(results or ()), held=note)
        logger.info("held %s for the operator: %s", label, note)
        return None
    await store.mark_sent(entry.id, clock(), tuple(results or ()))
    logger.info(
        "delivered %s to %d recipient(s) via %s",
        label,
        len(entry.recipients),
        transport.description,
    )
    return None
