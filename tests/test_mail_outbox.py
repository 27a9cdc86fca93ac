"""The outbox sender's bookkeeping, with the in-memory store and transport fakes."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.mail.base import Envelope, Transport, TransportError
from bot.mail.lock import DeliveryLock, LockBusy
from bot.mail.memory import MemoryTransport
from bot.mail.outbox import OutboxSender
from bot.session import Session
from bot.store.base import OutgoingMail, RecipientResult, Submission, SubmittedApplication
from bot.store.memory import MemoryStore


def _mail(app: SubmittedApplication) -> OutgoingMail:
    return OutgoingMail(
        f"<{app.reference}@t.example.org>", "a@t.example.org", ("h@t.example.org",), b"x"
    )


async def queue(store: MemoryStore, count: int = 1) -> None:
    for n in range(count):
        await store.commit(
            f"u{n}",
            Session(),
            submission=Submission("enigma", {}, compose=_mail, form="eoi", reference_prefix="EOI"),
        )


async def test_marks_sent_only_after_the_transport_accepted() -> None:
    store, transport = MemoryStore(), MemoryTransport()
    await queue(store)
    sender = OutboxSender(store, transport)
    report = await sender.deliver()
    assert report.sent == 1 and len(transport.sent) == 1
    assert transport.sent[0] == Envelope(
        f"<EOI-{dt.date.today().year}-0001@t.example.org>",
        "a@t.example.org",
        ("h@t.example.org",),
        b"x",
        f"EOI-{dt.date.today().year}-0001",
        required=("h@t.example.org",),
    )
    (entry,) = await store.outbox()
    assert entry.status == "sent" and entry.attempts == 1
    assert [(r.address, r.outcome) for r in entry.results] == [("h@t.example.org", "accepted")]
    assert (await sender.deliver(force=True)).sent == 0 and len(transport.sent) == 1


async def test_failures_are_counted_and_scheduled_with_growing_delays() -> None:
    store, transport = MemoryStore(), MemoryTransport()
    await queue(store)
    now = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    sender = OutboxSender(store, transport, base_delay=10, max_delay=60, clock=lambda: now)
    transport.fail_with = TransportError("451 busy")
    seen = []
    for _ in range(5):
        await sender.deliver(force=True)
        (entry,) = await store.outbox()
        assert entry.next_attempt_at is not None
        seen.append((entry.next_attempt_at - now).total_seconds())
    assert seen == [10, 20, 40, 60, 60]
    assert entry.status == "pending" and entry.attempts == 5 and entry.last_error == "451 busy"
    # Not due yet: a normal pass leaves it alone.
    assert (await sender.deliver()).failed == 0 and transport.attempts == 5


async def test_gives_up_after_max_attempts_or_a_permanent_refusal() -> None:
    store, transport = MemoryStore(), MemoryTransport()
    await queue(store, 2)
    sender = OutboxSender(store, transport, max_attempts=2)
    transport.fail_with = TransportError("451 busy")
    await sender.deliver(force=True)
    report = await sender.deliver(force=True)
    assert report.gave_up == 2
    assert [e.status for e in await store.outbox()] == ["failed", "failed"]

    store2 = MemoryStore()
    await queue(store2)
    transport.fail_with = TransportError("550 no such user", permanent=True)
    assert (await OutboxSender(store2, transport).deliver()).gave_up == 1
    (entry,) = await store2.outbox()
    assert entry.status == "failed" and entry.attempts == 1


async def test_an_unreachable_server_is_contacted_once_per_pass() -> None:
    store, transport = MemoryStore(), MemoryTransport()
    await queue(store, 3)
    transport.fail_with = TransportError("connection refused", unavailable=True)
    report = await OutboxSender(store, transport).deliver()
    assert transport.attempts == 1 and report.failed == 3
    assert [e.attempts for e in await store.outbox()] == [1, 1, 1]


class Broken(Transport):
    async def send(self, envelope: Envelope) -> tuple[RecipientResult, ...]:
        raise RuntimeError("bug")


async def test_an_unexpected_transport_error_is_a_failed_attempt() -> None:
    store = MemoryStore()
    await queue(store)
    assert (await OutboxSender(store, Broken()).deliver()).failed == 1
    (entry,) = await store.outbox()
    assert entry.status == "pending" and entry.last_error == "RuntimeError: bug"


async def test_wake_never_blocks_and_the_background_loop_delivers() -> None:
    store, transport = MemoryStore(), MemoryTransport()
    sender = OutboxSender(store, transport, poll_interval=30)
    sender.wake()  # before start: a no-op
    await sender.start()
    await queue(store)
    sender.wake()
    for _ in range(100):
        if transport.sent:
            break
        await asyncio.sleep(0.01)
    assert len(transport.sent) == 1
    assert await sender.stop(1.0) == 0


async def test_stop_reports_what_is_still_pending() -> None:
    store, transport = MemoryStore(), MemoryTransport()
    transport.fail_with = TransportError("down", unavailable=True)
    await queue(store, 2)
    sender = OutboxSender(store, transport)
    await sender.start()
    assert await sender.stop(0.5) == 2


async def test_the_delivery_lock_is_exclusive(tmp_path: Path) -> None:
    path = tmp_path / "outbox.lock"
    first, second = DeliveryLock(path), DeliveryLock(path)
    async with first.held():
        with pytest.raises(LockBusy):
            await second.acquire(0.1)
        store = MemoryStore()
        await queue(store)
        busy = await OutboxSender(store, MemoryTransport(), lock=second).deliver()
        assert busy.busy and busy.sent == 0
    await second.acquire()
    second.release()
