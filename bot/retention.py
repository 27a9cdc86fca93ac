"""Retention that runs: what the privacy notice promises is deleted on time.

Three places hold personal data: the database (drafts, conversation transcripts,
applications and their emails, unanswered questions), the ``.eml`` files of the embedded
mail transport, and the emails hubs receive (outside our reach).  :func:`purge` deletes
everything past its period from the first two, using the periods in
:mod:`bot.store.base` that the notice quotes.  It runs:

- whenever a command opens the store (:func:`open_store`: ``export``, ``outbox``,
  ``outbox retry``, ``unanswered``, ``ask``), so an old application is deleted before it
  could be exported or re-sent;
- when a conversation service starts, and then every :data:`PURGE_INTERVAL` seconds
  while it runs (:class:`PurgeSchedule`), so a bot that never restarts still forgets.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path

from bot.clock import SYSTEM_CLOCK
from bot.exceptions import BotError
from bot.settings import Settings
from bot.store import open_store as open_database
from bot.store.base import APPLICATION_RETENTION, Store

logger = logging.getLogger(__name__)

PURGE_INTERVAL = 3600.0


def purge_mail_files(directory: Path, now: dt.datetime) -> int:
    """Delete ``.eml`` files older than an application is kept; returns how many."""
    cutoff = (now - APPLICATION_RETENTION).timestamp()
    removed = 0
    if not directory.is_dir():
        return 0
    for path in directory.glob("*.eml"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed


async def purge(store: Store, settings: Settings, now: dt.datetime | None = None) -> int:
    """Delete every record and ``.eml`` file past its retention period."""
    # Rows are dated by the settings' clock; .eml files by the file system, i.e. the
    # machine's clock (BOT_TODAY in the future must not make today's files look old).
    removed = await store.purge(now or settings.clock.now())
    try:
        removed += await asyncio.to_thread(
            purge_mail_files, settings.mail_dir, now or SYSTEM_CLOCK.now()
        )
    except OSError as exc:
        logger.warning("could not purge old email files in %s: %s", settings.mail_dir, exc)
    if removed:
        logger.info("purged %d records past their retention period", removed)
    return removed


async def open_store(settings: Settings) -> Store:
    """The store, with everything past its retention period already gone."""
    store = await open_database(settings.db_path, settings.clock)
    try:
        await purge(store, settings)
    except BaseException:
        await store.close()
        raise
    return store


class PurgeSchedule:
    """Purges in the background of a long-running service."""

    def __init__(self, store: Store, settings: Settings, interval: float = PURGE_INTERVAL):
        self.store = store
        self.settings = settings
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="purge")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await purge(self.store, self.settings)
            except BotError as exc:
                logger.error("the scheduled purge failed (%s); trying again later", exc)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
