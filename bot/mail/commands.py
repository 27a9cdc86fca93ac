"""``python -m bot outbox [list|retry]`` and ``python -m bot export --hub ID``.

Both are called lazily by :mod:`bot.cli` with the parsed arguments and the settings, and
return the process's exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import difflib
import sys
from collections.abc import Sequence

from bot.export import applications_csv, applications_json
from bot.mail.factory import composer_for, sender_for
from bot.retention import open_store
from bot.settings import Settings
from bot.store.base import ACCEPTED, FAILED, HELD, PENDING, SENT, OutboxEntry

RETRY_LOCK_SECONDS = 60.0


def _when(entry: OutboxEntry) -> str:
    if entry.status == SENT and entry.sent_at is not None:
        return f"sent {entry.sent_at:%Y-%m-%d %H:%M} UTC"
    if entry.status == PENDING and entry.next_attempt_at is not None:
        return f"next attempt {entry.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC"
    return f"queued {entry.created_at:%Y-%m-%d %H:%M} UTC"


def format_outbox(entries: Sequence[OutboxEntry]) -> str:
    if not entries:
        return "The outbox is empty: no application has been submitted yet."
    lines = []
    for entry in entries:
        lines.append(
            f"{entry.reference or entry.message_id:<15} {entry.status:<8} "
            f"{entry.attempts:>3} attempt(s)  {_when(entry)}"
        )
        lines.append(f"    to: {', '.join(entry.recipients) or '(nobody)'}")
        for result in entry.results:
            if result.outcome != ACCEPTED:
                lines.append(f"    {result.outcome}: {result.address} ({result.reply})")
        if entry.last_error and entry.status != SENT:
            label = "held" if entry.status == HELD else "last error"
            lines.append(f"    {label}: {' '.join(entry.last_error.split())}")
    counts = {s: sum(1 for e in entries if e.status == s) for s in (SENT, PENDING, HELD, FAILED)}
    lines.append("")
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items()))
    return "\n".join(lines)


async def _list(settings: Settings) -> int:
    store = await open_store(settings)
    try:
        print(format_outbox(await store.outbox(bodies=False)))
    finally:
        await store.close()
    return 0


async def _retry(settings: Settings) -> int:
    from bot.services import load_checked_knowledge

    knowledge = load_checked_knowledge(settings)
    composer = composer_for(settings, knowledge)
    store = await open_store(settings)
    try:
        sender = sender_for(settings, store, composer)
        released = await sender.release_held(include_failed=True)
        report = await sender.deliver(force=True, lock_timeout=RETRY_LOCK_SECONDS)
        # Only what is still waiting, without the message bytes: after a big retry the
        # outbox holds thousands of sent messages nobody needs to read back here.
        waiting = await store.outbox(statuses=(PENDING, HELD, FAILED), bodies=False)
    finally:
        await store.close()
    if report.busy:
        print(
            "Another process kept the outbox busy for over a minute; try again shortly.",
            file=sys.stderr,
        )
    print(
        f"Via {sender.transport.description}: sent {report.sent} now"
        + (f" (released {released} held or failed)" if released else "")
        + f"; {len(waiting)} not delivered."
    )
    if waiting:
        print(format_outbox(waiting))
    return 1 if waiting else 0


def outbox_command(args: argparse.Namespace, settings: Settings) -> int:
    """List the outbox, or (``retry``) try every pending and releasable message now.

    Exit status of ``retry``: 0 when every message has been delivered, 1 while any is
    still pending, held or failed.
    """
    if getattr(args, "action", "list") == "retry":
        return asyncio.run(_retry(settings))
    return asyncio.run(_list(settings))


async def _export(
    settings: Settings, hub_id: str, fmt: str, since: dt.date | None, form: str | None
) -> int:
    from bot.services import load_checked_knowledge

    knowledge = load_checked_knowledge(settings)
    forms = [f for f in knowledge.flows.values() if f.is_form]
    if form is None:
        form = forms[0].id if len(forms) == 1 else None
        if form is None:
            listed = ", ".join(f"{f.id} ({f.title})" for f in forms)
            print(f"error: say which form to export with --form: {listed}", file=sys.stderr)
            return 2
    flow = knowledge.flows.get(form)
    if flow is None or not flow.is_form:
        listed = ", ".join(f.id for f in forms)
        print(f"error: unknown form {form!r}; the forms are: {listed}", file=sys.stderr)
        return 2
    if knowledge.hubs.get(hub_id) is None:
        ids = [h.id for h in knowledge.hubs.hubs]
        close = difflib.get_close_matches(hub_id, ids, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        print(
            f"error: unknown hub id {hub_id!r}.{hint} Hub ids are listed in knowledge/hubs.yaml "
            f"(for example {ids[0]}).",
            file=sys.stderr,
        )
        return 2
    store = await open_store(settings)
    try:
        apps = await store.applications(hub_id=hub_id, since=since, form=flow.id)
    finally:
        await store.close()
    out = applications_json(apps, flow) + "\n" if fmt == "json" else applications_csv(apps, flow)
    sys.stdout.write(out)
    sys.stdout.flush()
    print(f"{len(apps)} {flow.title} application(s) for {hub_id}", file=sys.stderr)
    return 0


def export_command(args: argparse.Namespace, settings: Settings) -> int:
    """Print a hub's submitted applications (CSV or JSON, columns in form order)."""
    return asyncio.run(
        _export(settings, args.hub, args.format, args.since, getattr(args, "form", None))
    )
