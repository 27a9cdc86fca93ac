"""Telling teachers when applications open: the daily check, and delivery.

(The requests themselves, ``/notify`` and a form's "yes", are taken by
:mod:`bot.conversation.notify_requests`.)

A teacher who cannot apply yet (no window is open) sends ``/notify`` and is told once,
on the day the next application window opens, in the channel they used: a Telegram
message, or an email for the web chat and the terminal (``/notify name@school.org``).
The operator only adds the next cohort's window to ``knowledge/faq.yaml``; the window
file is re-read on every check, so no restart is needed.

How "once" and "survives restarts" hold:

- *Queued once.*  On a window's opening day (or any later day it is still open, if the
  bot was down on the day), each request made before the window opened becomes a
  notice.  :meth:`bot.store.ports.NotifyPort.queue_notice` records the notice, puts its email
  in the outbox, and removes the request, in one transaction; a second notice for the
  same (window, teacher) is refused by the database (``UNIQUE``), so a restart, two
  processes, or ``python -m bot notify`` run by cron at the same time never queue twice.
- *Emails* then have every outbox guarantee (bot/mail/outbox.py): retried through
  outages, the same Message-ID if re-sent after a crash between the server's acceptance
  and our bookkeeping.
- *Telegram messages* are sent by the running Telegram process.  A notice is marked
  ``sending`` before the Bot API call and ``sent`` after it; a notice found ``sending``
  on start (the process died during the call, so Telegram may have shown it) is marked
  ``unconfirmed`` and not sent again: a teacher is never told twice.  A chat that
  blocked the bot is ``failed``; a network error leaves the notice pending for the next
  check.

Everything reads the injected clock (``BOT_TODAY``), so tests and operators can move the
day.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from bot.clock import Clock
from bot.exceptions import BotError
from bot.knowledge.faq import Window, format_date
from bot.knowledge.windows import covers
from bot.mail.compose import parse_mail_from
from bot.mail.headers import domain_of
from bot.store.base import Notice, OutgoingMail, Subscription
from bot.store.ports import NotifyPort

logger = logging.getLogger(__name__)

TELEGRAM, EMAIL = "telegram", "email"
PROGRAMME = "specialist"  # the programme whose application windows the knowledge base dates

Windows = Callable[[], Mapping[str, Window]]
SendTelegram = Callable[[str, str], Awaitable[None]]


@dataclasses.dataclass(frozen=True)
class DayClock:
    """A :class:`~bot.clock.Clock` over a ``today`` callable (what the assistant is given):
    the date from it, the time of day from the machine."""

    today_of: Callable[[], dt.date]

    def today(self) -> dt.date:
        return self.today_of()

    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.today_of(), dt.datetime.now(dt.UTC).timetz())


class DeliveryFailed(Exception):
    """A channel could not deliver a notice; ``permanent``: it never will (blocked bot)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def is_due(subscription: Subscription, window: Window, today: dt.date) -> bool:
    """A request is answered by a window it was made before (or on the day of) opening,
    once that window is open; a request made while a window was already open waits for
    the next one (the teacher was told at once that applications were open)."""
    return (
        covers(window, subscription.programme)
        and window.status(today) == "open"
        and subscription.created_at.date() <= window.opens
    )


def notice_text(window: Window) -> str:
    return (
        f"Applications are now open for the {window.label}: the window opened on "
        f"{format_date(window.opens)} and closes on {format_date(window.closes)}. "
        "You apply together with your headteacher; your Maths Hub can help with any "
        "question. You asked me to tell you once, so this is the only reminder I'll send."
    )


class NoticeMail:
    """The email of a notice, from ``MAIL_FROM``; its Message-ID is derived from the
    (window, teacher) pair, so a re-send after a crash is recognisably the same message."""

    def __init__(self, mail_from: str) -> None:
        self.from_name, self.from_address = parse_mail_from(mail_from)
        self.domain = domain_of(self.from_address)

    def __call__(
        self, subscription: Subscription, window: Window, text: str, now: dt.datetime
    ) -> OutgoingMail:
        seed = f"{window.id}|{subscription.user_id}|{subscription.address}"
        digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:20]
        message_id = f"<notice.{window.id}.{digest}@{self.domain}>"
        message = EmailMessage(policy=SMTP)
        message["From"] = Address(display_name=self.from_name, addr_spec=self.from_address)
        message["To"] = subscription.address
        message["Subject"] = f"Applications are open: {window.label}"
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id
        message.set_content(
            f"{text}\n\nYou receive this because you asked the Maths Hubs applicant "
            "assistant to tell you when applications open. Nothing else will be sent.\n"
        )
        return OutgoingMail(
            message_id=message_id,
            sender=self.from_address,
            recipients=(subscription.address,),
            data=message.as_bytes(),
        )


@dataclasses.dataclass
class NoticeReport:
    """What one check did (or, with ``dry_run``, would do)."""

    queued: list[tuple[str, str, str]] = dataclasses.field(
        default_factory=list
    )  # window, user, channel
    already: int = 0
    sent: int = 0
    failed: int = 0
    unconfirmed: int = 0


async def queue_due(
    store: NotifyPort,
    windows: Mapping[str, Window],
    clock: Clock,
    mail: NoticeMail,
    *,
    dry_run: bool = False,
) -> NoticeReport:
    """Turn every request answered by a window open today into a notice."""
    report = NoticeReport()
    today = clock.today()
    opened = sorted(windows.values(), key=lambda w: w.opens)
    for subscription in await store.subscriptions():
        window = next((w for w in opened if is_due(subscription, w, today)), None)
        if window is None:
            continue
        if dry_run:
            report.queued.append((window.id, subscription.user_id, subscription.channel))
            continue
        text = notice_text(window)
        email = (
            mail(subscription, window, text, clock.now()) if subscription.channel == EMAIL else None
        )
        if await store.queue_notice(subscription, window.id, text, email):
            report.queued.append((window.id, subscription.user_id, subscription.channel))
            logger.info("queued the %s notice of window %s", subscription.channel, window.id)
        else:
            report.already += 1
    return report


async def recover_interrupted(store: NotifyPort) -> int:
    """Telegram notices left ``sending`` by a process that died during the Bot API call
    may have been shown: they are marked ``unconfirmed``, never sent again."""
    stuck = await store.notices(statuses=("sending",), channel=TELEGRAM)
    for notice in stuck:
        await store.mark_notice(
            notice.id, "unconfirmed", error="the process stopped while sending it"
        )
        logger.warning(
            "notice %d may not have reached %s: not sending it twice", notice.id, notice.user_id
        )
    return len(stuck)


async def deliver_telegram(
    store: NotifyPort, send: SendTelegram, clock: Clock, report: NoticeReport | None = None
) -> NoticeReport:
    """Send every pending Telegram notice, each at most once."""
    report = report or NoticeReport()
    pending: list[Notice] = await store.notices(statuses=("pending",), channel=TELEGRAM)
    for notice in pending:
        await store.mark_notice(notice.id, "sending")
        try:
            await send(notice.address, notice.text)
        except DeliveryFailed as exc:
            await store.mark_notice(
                notice.id, "failed" if exc.permanent else "pending", error=str(exc)
            )
            report.failed += 1
            logger.warning("could not send notice %d: %s", notice.id, exc)
            if not exc.permanent:
                break  # Telegram is unreachable: the rest wait for the next check
            continue
        except Exception as exc:  # a bug in sending must not leave it "sending" for good
            await store.mark_notice(notice.id, "failed", error=f"{type(exc).__name__}: {exc}")
            report.failed += 1
            logger.exception("could not send notice %d", notice.id)
            continue
        await store.mark_notice(notice.id, "sent", clock.now())
        report.sent += 1
    return report


class NoticeSchedule:
    """A running service's check: on start and every ``interval`` seconds, queue the
    notices due today, wake the outbox for the emails, and (in the Telegram process)
    send the Telegram ones.  An asyncio task, opened and closed with the services."""

    def __init__(
        self,
        store: NotifyPort,
        windows: Windows,
        clock: Clock,
        mail: NoticeMail,
        interval: float,
        *,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.windows = windows
        self.clock = clock
        self.mail = mail
        self.interval = interval
        self.on_queued = on_queued
        self.send_telegram: SendTelegram | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._recovered = False
        # One check at a time: two would both see a pending Telegram notice and send it twice.
        self._checking = asyncio.Lock()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="notices")

    def telegram(self, send: SendTelegram) -> None:
        """The Telegram process delivers Telegram notices from now on (checking at once)."""
        self.send_telegram = send
        self._wake.set()

    async def check(self) -> NoticeReport:
        async with self._checking:
            return await self._check()

    async def _check(self) -> NoticeReport:
        report = await queue_due(self.store, self.windows(), self.clock, self.mail)
        if report.queued and self.on_queued is not None:
            self.on_queued()
        if self.send_telegram is not None:
            if not self._recovered:
                report.unconfirmed = await recover_interrupted(self.store)
                self._recovered = True
            await deliver_telegram(self.store, self.send_telegram, self.clock, report)
        return report

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.check()
            except BotError as exc:
                logger.error("the window-opening check failed (%s); trying again later", exc)
            except Exception:
                logger.exception("the window-opening check failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
