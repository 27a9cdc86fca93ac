"""Building the mail pieces from the settings: one place that decides SMTP or ``.eml``."""

from __future__ import annotations

from bot.knowledge.base import Knowledge
from bot.mail.base import Transport
from bot.mail.compose import Composer
from bot.mail.eml import EmlDirectoryTransport
from bot.mail.lock import DeliveryLock
from bot.mail.outbox import OutboxSender
from bot.mail.smtp import SmtpTransport
from bot.settings import Settings
from bot.store.base import Store

LOCK_FILE = "outbox.lock"


def transport_for(settings: Settings) -> Transport:
    """SMTP when ``SMTP_HOST`` is set, otherwise ``.eml`` files in ``BOT_DATA_DIR/mail``."""
    if settings.smtp is not None:
        return SmtpTransport(settings.smtp)
    return EmlDirectoryTransport(settings.mail_dir)


def composer_for(settings: Settings, knowledge: Knowledge) -> Composer:
    # Placeholder hub addresses are fine for .eml files, but never handed to a real server.
    return Composer(
        knowledge, mail_from=settings.mail_from, hold_placeholders=settings.smtp is not None
    )


def sender_for(
    settings: Settings,
    store: Store,
    composer: Composer,
    transport: Transport | None = None,
) -> OutboxSender:
    return OutboxSender(
        store,
        transport or transport_for(settings),
        recompose=composer,
        lock=DeliveryLock(settings.data_dir / LOCK_FILE),
        clock=settings.clock.now,
    )
