"""The outbox sender: delivers the store's pending messages, exactly once, through outages.

How the guarantees hold:

- *Nothing is lost.*  A message enters the outbox in the same transaction that stores
  its application (see :meth:`bot.store.base.Store.commit`), before any attempt to send.
- *Sent means accepted by the hub's server.*  A message is marked sent only after the
  transport returned, i.e. the SMTP server accepted it for the hub's address (or the
  ``.eml`` file is on disk); what the server said about every recipient is recorded.  The
  hub's address refused for good fails the message with the server's reason; refused for
  now (greylisting) keeps it pending.  A server that goes silent after receiving the data
  may have the message: it is marked failed ("unconfirmed") rather than re-sent blindly.  A failed attempt
  is counted, its error kept, and the next attempt scheduled after a growing delay
  (``base_delay`` doubling up to ``max_delay``); after ``max_attempts``, or a permanent
  refusal, the message is marked failed and ``python -m bot outbox retry`` can revive it.
- *Once.*  Every pass holds the data directory's :class:`~bot.mail.lock.DeliveryLock`
  (and, within a process, an asyncio lock), so no two senders - console, Telegram,
  ``outbox retry`` - ever send the same pending message; a sent message is never
  selected again.  The one window left is a crash after the server accepted a message
  and before it was marked sent: that message goes again on the next start, with the
  same Message-ID, so the receiving side can recognise the duplicate.
- *Survives restarts.*  All state is in the store; a new sender picks up where the old
  one stopped.  On start (and on ``outbox retry``) held messages are recomposed, and go
  out once their hub has a real address.

The applicant never waits: :meth:`OutboxSender.wake` only sets an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable

from bot.clock import SYSTEM_CLOCK
from bot.exceptions import BotError, StoreError
from bot.mail.attempt import hand_over
from bot.mail.base import Transport, TransportError
from bot.mail.held import Recompose, release_held
from bot.mail.lock import DeliveryLock, LockBusy
from bot.store.base import (
    OutboxEntry,
    Store,
    SubmittedApplication,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_DELAY = 30.0
DEFAULT_MAX_DELAY = 3600.0
DEFAULT_MAX_ATTEMPTS = 80  # about three days of hourly attempts once the delay is capped
DEFAULT_POLL_INTERVAL = 60.0
BUSY_RETRY_SECONDS = 0.5
FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)  # "due" for a pass that tries everything


@dataclasses.dataclass
class PassReport:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0  # attempts that failed; the message is still pending
    gave_up: int = 0  # messages marked failed for good
    busy: bool = False  # another process was delivering, so nothing was tried


class OutboxSender:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        recompose: Recompose | None = None,
        lock: DeliveryLock | None = None,
        base_delay: float = DEFAULT_BASE_DELAY,
        max_delay: float = DEFAULT_MAX_DELAY,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        batch: int = 50,
        clock: Callable[[], dt.datetime] = SYSTEM_CLOCK.now,
    ) -> None:
        self.store = store
        self.transport = transport
        self.recompose = recompose
        self.lock = lock
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self.poll_interval = poll_interval
        self.batch = batch
        self.clock = clock
        self._pass_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- scheduling --------------------------------------------------------------------

    def delay_after(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt: doubling, capped."""
        return float(min(self.max_delay, self.base_delay * 2 ** max(attempts - 1, 0)))

    def wake(self, _application: SubmittedApplication | None = None) -> None:
        """Deliver now (the assistant's ``on_submitted`` hook).  Never blocks."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Release held messages that can now go, then deliver in the background
        (the first pass tries every pending message, whatever its schedule)."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        try:
            await self.release_held()
        except StoreError:
            raise  # a database that cannot be read stops the start, with one line
        except Exception:
            logger.exception("could not check held messages; will deliver the rest")
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = 0.0) -> int:
        """Give pending messages up to ``grace`` seconds to go, then stop.

        Returns how many messages are still pending (they go on the next start, or with
        ``python -m bot outbox retry``).
        """
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        started = time.monotonic()
        try:
            async with asyncio.timeout(max(grace, 0.0)):
                if task is not None:
                    await task
                if (await self.store.pending_mail())[0]:
                    left = grace - (time.monotonic() - started)
                    await self.deliver(force=True, lock_timeout=max(left, 0.0))
        except TimeoutError:
            logger.warning("stopped delivering after the %.1f s shutdown grace period", grace)
        finally:
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._loop = None
        pending, _ = await self.store.pending_mail()
        if pending:
            logger.warning(
                "%d email(s) still pending: they go on the next start, or now with "
                "`python -m bot outbox retry`",
                pending,
            )
        return pending

    async def _run(self) -> None:
        first = True  # on start, try everything pending at once: a restart often follows a fix
        while not self._stopping:
            self._wake.clear()
            wait = self.poll_interval
            try:
                report = await self.deliver(force=first)
                first = False
                wait = await self._seconds_to_next()
                if report.busy:
                    wait = max(wait, BUSY_RETRY_SECONDS)
            except BotError as exc:  # e.g. the database is full: one line, not a traceback
                logger.error("an outbox pass failed (%s); trying again in %.0f s", exc, wait)
            except Exception:
                logger.exception("an outbox pass failed; trying again in %.0f s", wait)
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))

    async def _seconds_to_next(self) -> float:
        pending, earliest = await self.store.pending_mail()
        if not pending:
            return self.poll_interval
        if earliest is None:
            return 0.0
        return min(self.poll_interval, max(0.0, (earliest - self.clock()).total_seconds()))

    # -- delivering --------------------------------------------------------------------

    async def deliver(self, *, force: bool = False, lock_timeout: float = 0.0) -> PassReport:
        """One pass: try every due pending message (``force``: every pending one)."""
        async with self._pass_lock:
            if self.lock is None:
                return await self._pass(force)
            try:
                async with self.lock.held(lock_timeout):
                    return await self._pass(force)
            except LockBusy:
                logger.info("another process is delivering the outbox; leaving it to that one")
                return PassReport(busy=True)

    async def _pass(self, force: bool) -> PassReport:
        # Pages through the outbox in id order, one batch in memory at a time: an entry is
        # tried at most once a pass, and 10,000 pending messages never all sit in memory.
        report = PassReport()
        after = 0
        down: list[TransportError] = []  # set once the server is found unreachable
        try:
            while True:
                due = FAR_FUTURE if force else self.clock()
                batch = await self.store.due_mail(due, self.batch, after_id=after)
                if not batch:
                    return report
                after = batch[-1].id
                queue = list(reversed(batch))
                # Up to `transport.connections` messages in flight; each entry is taken by
                # exactly one worker, so it is still tried at most once.
                workers = min(max(self.transport.connections, 1), len(batch))
                await asyncio.gather(
                    *(self._work(queue, down, report) for _ in range(workers))
                )
        finally:
            # A transport may keep its connection between the messages of one pass (SMTP
            # does); it is let go once the pass is over.
            with contextlib.suppress(Exception):
                await self.transport.close()

    async def _work(
        self, queue: list[OutboxEntry], down: list[TransportError], report: PassReport
    ) -> None:
        while queue:
            entry = queue.pop()
            if down:
                # The server is unreachable: count the attempt without contacting it again.
                await self._failed(entry, down[0], report)
                continue
            error = await self._attempt(entry)
            if error is None:
                report.sent += 1
                continue
            await self._failed(entry, error, report)
            if error.unavailable and not down:
                down.append(error)

    async def _attempt(self, entry: OutboxEntry) -> TransportError | None:
        return await hand_over(self.store, self.transport, entry, self.clock)

    async def _failed(self, entry: OutboxEntry, error: TransportError, report: PassReport) -> None:
        attempts = entry.attempts + 1
        label = entry.reference or entry.message_id
        if error.permanent or error.unconfirmed or attempts >= self.max_attempts:
            await self.store.mark_attempt_failed(entry.id, str(error), None, error.results)
            report.gave_up += 1
            logger.error(
                "gave up on %s after %d attempt(s): %s (`python -m bot outbox retry` tries again)",
                label,
                attempts,
                error,
            )
            return
        delay = self.delay_after(attempts)
        await self.store.mark_attempt_failed(
            entry.id, str(error), self.clock() + dt.timedelta(seconds=delay), error.results
        )
        report.failed += 1
        logger.warning(
            "could not deliver %s (attempt %d): %s; next attempt in %.0f s",
            label,
            attempts,
            error,
            delay,
        )

    # -- held and failed messages ------------------------------------------------------

    async def release_held(self, *, include_failed: bool = False) -> int:
        """Recompose held (and, with ``include_failed``, failed) messages with the hubs'
        current addresses; those that can now go become pending.  Returns how many."""
        if self.recompose is None:
            return 0
        return await release_held(
            self.store, self.transport, self.recompose, include_failed=include_failed
        )
