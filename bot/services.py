"""Opening and closing everything the assistant needs, for the CLI and every channel."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.assistant import Assistant
from bot.knowledge.base import Knowledge, load_knowledge
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

    async def close(self) -> None:
        await self.store.close()


async def open_services(settings: Settings, knowledge: Knowledge | None = None) -> Services:
    knowledge = knowledge or load_checked_knowledge(settings)
    store = await SqliteStore.open(settings.db_path)
    removed = await store.purge(utcnow())
    if removed:
        logger.info("purged %d records past their retention period", removed)
    assistant = Assistant(knowledge, store, today=settings.today)
    return Services(settings, knowledge, store, assistant)
