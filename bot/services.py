"""Opening and closing everything the assistant needs, for the CLI and every channel.

:func:`open_services` also starts the outbox sender, so whichever process takes a
submission (console or Telegram) starts delivering it at once; :meth:`Services.close`
first gives pending emails up to ``shutdown_grace_seconds`` to go.  When nothing else
handles SIGTERM (the console; Telegram's application installs its own handler and calls
``close`` itself), SIGTERM runs ``close`` and then terminates the process as SIGTERM would.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from dataclasses import dataclass, field

from bot.assistant import Assistant
from bot.exceptions import KnowledgeError
from bot.knowledge.base import Knowledge, load_knowledge
from bot.knowledge.faq import Window
from bot.knowledge.faq_file import load_faq
from bot.mail.factory import composer_for, sender_for
from bot.mail.outbox import OutboxSender
from bot.notify import NoticeMail, NoticeSchedule, Windows
from bot.retention import PurgeSchedule, open_store
from bot.settings import Settings
from bot.store.base import Store

logger = logging.getLogger(__name__)


def load_checked_knowledge(settings: Settings) -> Knowledge:
    """Load knowledge/ and flows/; raises KnowledgeError (the bot refuses to start)."""
    return load_knowledge(settings.knowledge_dir, settings.flows_dir, settings.contacts_file())


def current_windows(settings: Settings, knowledge: Knowledge) -> Windows:
    """The application windows as ``knowledge/faq.yaml`` says now: an operator adding the
    next cohort's window needs no restart.  A file broken meanwhile keeps the loaded ones."""

    path = settings.knowledge_dir / "faq.yaml"
    # Parsed again only when the file changes: forms ask at their start and their review.
    cache: dict[tuple[int, int], dict[str, Window]] = {}

    def windows() -> dict[str, Window]:
        try:
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size)
            if key not in cache:
                cache.clear()
                cache[key] = load_faq(path).windows
            return cache[key]
        except (KnowledgeError, OSError) as exc:
            logger.error(
                "knowledge/faq.yaml has problems, using the windows loaded at start: %s", exc
            )
            return dict(knowledge.faq.windows)

    return windows


@dataclass
class Services:
    settings: Settings
    knowledge: Knowledge
    store: Store
    assistant: Assistant
    sender: OutboxSender | None = None
    purging: PurgeSchedule | None = None
    notices: NoticeSchedule | None = None
    _sigterm: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _closing: set[asyncio.Task[None]] = field(default_factory=set, repr=False)
    _closed: bool = field(default=False, repr=False)

    def terminate_cleanly_on_sigterm(self) -> None:
        """On SIGTERM, deliver pending mail within the grace period, close, then exit.

        Only when SIGTERM has its default disposition (nobody else handles it) and we
        run in the main thread of a POSIX system.
        """
        if (
            sys.platform == "win32"
            or threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        ):
            return
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._on_sigterm)
        self._sigterm = loop

    def _on_sigterm(self) -> None:
        logger.info(
            "SIGTERM: closing (pending emails get %.0f s)", self.settings.shutdown_grace_seconds
        )

        async def close_then_exit() -> None:
            try:
                await self.close()
            finally:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.raise_signal(signal.SIGTERM)

        task = asyncio.get_running_loop().create_task(close_then_exit())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._sigterm is not None:
            self._sigterm.remove_signal_handler(signal.SIGTERM)
            self._sigterm = None
        try:
            if self.purging is not None:
                await self.purging.stop()
            if self.notices is not None:
                await self.notices.stop()
            if self.sender is not None:
                await self.sender.stop(self.settings.shutdown_grace_seconds)
                await self.sender.transport.close()
        finally:
            await self.store.close()


async def open_services(settings: Settings, knowledge: Knowledge | None = None) -> Services:
    knowledge = knowledge or load_checked_knowledge(settings)
    composer = composer_for(settings, knowledge)  # raises ConfigError on a bad MAIL_FROM
    store = await open_store(settings)  # purges what is past its retention period
    try:
        sender = sender_for(settings, store, composer)
        await sender.transport.probe()  # e.g. credentials set but the server offers no TLS
        assistant = Assistant(
            knowledge,
            store,
            today=settings.today,
            compose=composer,
            on_submitted=sender.wake,
            windows=current_windows(settings, knowledge),
            mail_delivers=sender.transport.delivers,
        )
        await sender.start()
    except BaseException:
        await store.close()
        raise
    logger.info("delivering applications via %s", sender.transport.description)
    services = Services(settings, knowledge, store, assistant, sender)
    services.purging = PurgeSchedule(store, settings, settings.purge_interval_seconds)
    services.purging.start()  # a service that runs for months still forgets on time
    services.notices = NoticeSchedule(
        store,
        current_windows(settings, knowledge),
        settings.clock,
        NoticeMail(settings.mail_from),
        settings.notify_interval_seconds,
        on_queued=sender.wake,
    )
    services.notices.start()  # tells teachers on the day a window opens
    services.terminate_cleanly_on_sigterm()
    return services
