"""``python -m bot notify [--dry-run]``: the window-opening check, for operators and cron.

The running services check on start and every ``NOTIFY_INTERVAL_SECONDS``; this command
does the same check once (reading ``knowledge/faq.yaml`` as it is now), sends the emails
it queued through the outbox, and says what it did.  Telegram notices are sent by the
running Telegram process (``python -m bot run``), which alone holds the bot's
connection.  ``--dry-run`` lists who would be told, and writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio

from bot.mail.factory import composer_for, sender_for
from bot.notify import TELEGRAM, NoticeMail, queue_due
from bot.retention import open_store
from bot.settings import Settings

RETRY_LOCK_SECONDS = 60.0


async def _notify(settings: Settings, dry_run: bool) -> int:
    from bot.services import load_checked_knowledge

    knowledge = load_checked_knowledge(settings)
    composer = composer_for(settings, knowledge)
    store = await open_store(settings)
    try:
        report = await queue_due(
            store,
            knowledge.faq.windows,
            settings.clock,
            NoticeMail(settings.mail_from),
            dry_run=dry_run,
        )
        waiting = len(await store.subscriptions())
        sent = 0
        if report.queued and not dry_run:
            sender = sender_for(settings, store, composer)
            sent = (await sender.deliver(lock_timeout=RETRY_LOCK_SECONDS)).sent
        telegram = len(await store.notices(statuses=("pending",), channel=TELEGRAM))
        # Telegram notices that did not arrive (blocked bot, a crash during the call): the
        # operator may want to tell those teachers another way.
        troubled = await store.notices(statuses=("failed", "unconfirmed"), channel=TELEGRAM)
    finally:
        await store.close()
    verb = "would tell" if dry_run else "told"
    print(
        f"{settings.today().isoformat()}: {verb} {len(report.queued)} teacher(s) that "
        "applications are open"
        + (f" ({report.already} told already by another process)." if report.already else ".")
    )
    for window_id, user_id, channel in report.queued:
        print(f"  {window_id}  {user_id}  {channel}")
    if not dry_run:
        print(f"Emails sent now: {sent} (the rest go with the outbox; see `python -m bot outbox`).")
        if telegram:
            print(
                f"Telegram notices waiting for the running bot (`python -m bot run`): {telegram}."
            )
    for notice in troubled:
        print(
            f"  not confirmed: {notice.window_id}  {notice.user_id}  {notice.status}: {notice.error}"
        )
    print(
        f"Requests still waiting for a window to open: {waiting - (len(report.queued) if dry_run else 0)}."
    )
    return 0


def notify_command(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_notify(settings, bool(getattr(args, "dry_run", False))))
