"""Persistence: the :class:`~bot.store.base.Store` ports, a SQLite adapter and a fake.

Nothing outside this package names SQLite: the services, the CLI commands and retention
ask :func:`open_store` for the store, and depend on the ports in :mod:`bot.store.base`.
"""

from __future__ import annotations

from pathlib import Path

from bot.clock import SYSTEM_CLOCK, Clock
from bot.store.base import Store


async def open_store(path: Path, clock: Clock = SYSTEM_CLOCK) -> Store:
    """The assistant's durable store in the database file ``path`` (created, or upgraded
    from an earlier release, as needed); raises StoreError with one readable line."""
    from bot.store.sqlite import SqliteStore  # imported when a store is opened, not before

    return await SqliteStore.open(path, clock)
