"""Opening and closing everything the assistant needs, for the CLI and every channel.

:func:`open_services` also starts the outbox sender, so whichever process takes a
submission (console or Telegram) starts delivering it at once; :meth:`Services.close`
first gives pending emails up to ``shutdown_grace_seconds`` to go.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.assistant import Assistant
from bot.knowledge.base import Knowledge, load_knowledge
from bot.mail.factory import composer_for, sender_for
from bot.mail.outbox import OutboxSender
from bot.settings import Settings
from bot.store.base import Store, utcnow
from bot.store.sqlite import SqliteStore

logger = logging.getLogger(__name__)


def load_checked_knowledge(settings: Settings) -> Knowledge:
    """Load knowledge/ and flows/; raises KnowledgeError (the bot refuses to start)."""
    return load_knowledge(settings.knowledge_dir, settings.flows_dir, settings.contacts_file())


@dataclass
class Services:
    settings: Settings
    knowledge: Knowledge
    store: Store
    assistant: Assistant
    sender: OutboxSender | None = None

    async def close(self) -> None:
        try:
            if self.sender is not None:
                await self.sender.stop(self.settings.shutdown_grace_seconds)
                await self.sender.transport.close()
        finally:
            await self.store.close()


async def open_services(settings: Settings, knowledge: Knowledge | None = None) -> Services:
    knowledge = knowledge or load_checked_knowledge(settings)
    composer = composer_for(settings, knowledge)  # raises ConfigError on a bad MAIL_FROM
    store = await SqliteStore.open(settings.db_path)
    try:
        removed = await store.purge(utcnow())
        if removed:
            logger.info("purged %d records past their retention period", removed)
        sender = sender_for(settings, store, composer)
        assistant = Assistant(
            knowledge, store, today=settings.today, compose=composer, on_submitted=sender.wake
        )
        await sender.start()
    except BaseException:
        await store.close()
        raise
    logger.info("delivering applications via %s", sender.transport.description)
    return Services(settings, knowledge, store, assistant, sender)
