"""The outbox at scale: one batch in memory at a time, a few kept SMTP connections a pass.

A real aiosmtpd server on loopback counts connections (one EHLO each) and messages; a real
SQLite store is traced to see what each pass reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.exceptions import ConfigError
from bot.mail.outbox import OutboxSender
from bot.mail.smtp import SmtpTransport
from bot.session import Session
from bot.settings import Settings, SmtpSettings
from bot.store.base import OutgoingMail, Submission, SubmittedApplication
from bot.store.sqlite import SqliteStore
from tests._smtp import free_port


@dataclass
class Counting:
    """Accepts everything; counts connections; ``one_per_connection`` answers a second
    MAIL FROM on a connection with 421, as servers with a per-connection limit do."""

    one_per_connection: bool = False
    connections: int = 0
    refused_mail: int = 0
    message_ids: list[str] = field(default_factory=list)
    in_flight: int = 0  # messages between MAIL FROM and the end of DATA
    most_in_flight: int = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        session.sent = 0
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.one_per_connection and getattr(session, "sent", 0) >= 1:
            self.refused_mail += 1
            return "421 4.7.0 one message per connection, come back"
        envelope.mail_from = address
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.in_flight -= 1
        session.sent = getattr(session, "sent", 0) + 1
        found = re.search(rb"Message-ID: (<[^>]+>)", envelope.original_content)
        self.message_ids.append(found.group(1).decode() if found else "?")
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Counting, int]]:
    handler = Counting()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _mail(app: SubmittedApplication) -> OutgoingMail:
    body = f"Message-ID: <{app.reference}@test>\r\nSubject: {app.reference}\r\n\r\nHello\r\n"
    return OutgoingMail(
        f"<{app.reference}@test>", "a@b.example", ("hub@c.example", "cc@d.example"), body.encode()
    )


async def _store_with(tmp_path: Path, count: int) -> SqliteStore:
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    for n in range(count):
        await store.commit(f"u{n}", Session(), submission=Submission("enigma", {}, _mail))
    return store


async def test_one_connection_serves_a_whole_pass(
    smtp: tuple[Counting, int], tmp_path: Path
) -> None:
    handler, port = smtp
    store = await _store_with(tmp_path, 7)
    try:
        settings = SmtpSettings(host="127.0.0.1", port=port, connections=1)
        sender = OutboxSender(store, SmtpTransport(settings))
        assert (await sender.deliver()).sent == 7
        assert handler.connections == 1
        assert len(handler.message_ids) == 7 == len(set(handler.message_ids))
        # The pass let the connection go; the next pass opens a new one.
        await store.commit("late", Session(), submission=Submission("enigma", {}, _mail))
        assert (await sender.deliver()).sent == 1
        assert handler.connections == 2
    finally:
        await store.close()
    assert (await _reopened_stats(tmp_path))["mail_sent"] == 8


async def test_a_kept_connection_the_server_drops_is_replaced_and_nothing_goes_twice(
    smtp: tuple[Counting, int], tmp_path: Path
) -> None:
    handler, port = smtp
    handler.one_per_connection = True
    store = await _store_with(tmp_path, 5)
    try:
        settings = SmtpSettings(host="127.0.0.1", port=port, connections=1)
        sender = OutboxSender(store, SmtpTransport(settings))
        report = await sender.deliver()
        assert (report.sent, report.failed, report.gave_up) == (5, 0, 0)
    finally:
        await store.close()
    assert handler.refused_mail == 4 and handler.connections == 5
    assert sorted(handler.message_ids) == sorted(set(handler.message_ids))
    assert len(handler.message_ids) == 5


async def test_a_pass_keeps_a_few_messages_in_flight_each_sent_once(
    smtp: tuple[Counting, int], tmp_path: Path
) -> None:
    # Three connections, each kept for the whole pass, so the client is not idle while
    # the server answers; every message still goes exactly once.
    handler, port = smtp
    store = await _store_with(tmp_path, 30)
    try:
        settings = SmtpSettings(host="127.0.0.1", port=port, connections=3)
        sender = OutboxSender(store, SmtpTransport(settings), batch=10)
        assert (await sender.deliver()).sent == 30
    finally:
        await store.close()
    assert handler.connections == 3 and handler.most_in_flight == 3
    assert len(handler.message_ids) == 30 == len(set(handler.message_ids))
    assert (await _reopened_stats(tmp_path))["mail_sent"] == 30


async def test_a_pass_holds_one_batch_of_messages_at_a_time(
    smtp: tuple[Counting, int], tmp_path: Path
) -> None:
    handler, port = smtp
    store = await _store_with(tmp_path, 25)
    statements: list[str] = []
    try:
        transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=port))
        sender = OutboxSender(store, transport, batch=10)
        await store._db.set_trace_callback(statements.append)
        if store._reader is not None:
            await store._reader.set_trace_callback(statements.append)
        assert (await sender.deliver(force=True)).sent == 25
    finally:
        await store.close()
    reads = [s for s in statements if re.match(r"\s*SELECT .*\bdata\b.* FROM outbox", s)]
    assert reads, statements
    # Every read of message bodies is a page of at most 10; none reads all that is pending.
    assert all(re.search(r"LIMIT 10$", s) for s in reads), reads
    assert len(reads) == 4  # 10 + 10 + 5, and an empty page to end
    assert len(handler.message_ids) == 25 == len(set(handler.message_ids))


async def _reopened_stats(tmp_path: Path) -> dict[str, int]:
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        return await store.stats()
    finally:
        await store.close()


# -- bodies at rest ------------------------------------------------------------------------------


def _big_mail(app: SubmittedApplication) -> OutgoingMail:
    """About the size and shape of a real application email."""
    head = (
        f"From: a@b.example\r\nTo: hub@c.example\r\nMessage-ID: <{app.reference}@test>\r\n"
        f"Subject: Expression of Interest {app.reference}\r\nMIME-Version: 1.0\r\n\r\n"
    )
    body = "".join(
        f"<tr><th>Question {n}</th><td>{app.answers.get('school_name', '')} answer {n}</td></tr>\r\n"
        for n in range(200)
    )
    return OutgoingMail(
        f"<{app.reference}@test>", "a@b.example", ("hub@c.example",), (head + body).encode()
    )


async def test_bodies_are_compressed_at_rest_and_read_back_exactly(tmp_path: Path) -> None:
    import sqlite3

    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        originals = {}
        for n in range(20):
            app = await store.commit(
                f"u{n}",
                Session(),
                submission=Submission("enigma", {"school_name": f"School {n}"}, _big_mail),
            )
            assert app is not None
            originals[app.reference] = _big_mail(app).data
        entries = await store.outbox()
        assert {e.reference: e.data for e in entries} == originals
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as raw:
        sizes = [len(r[0]) for r in raw.execute("SELECT data FROM outbox ORDER BY id")]
    size = len(next(iter(originals.values())))
    # The first waits for the dictionary; every later one is a small fraction of its size.
    assert sizes[0] == size and max(sizes[1:]) < size / 10, (size, sizes)
    # Another process (a fresh store) reads them too.
    reopened = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        assert [e.data for e in await reopened.due_mail(_far(), 100)] == list(originals.values())
    finally:
        await reopened.close()


async def test_a_sent_body_is_compacted_after_the_stated_time_keeping_headers_and_results(
    smtp: tuple[Counting, int], tmp_path: Path
) -> None:
    import datetime as dt

    from bot.store.base import SENT_BODY_RETENTION, utcnow

    _, port = smtp
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        for n in range(3):
            await store.commit(f"u{n}", Session(), submission=Submission("enigma", {}, _big_mail))
        sender = OutboxSender(store, SmtpTransport(SmtpSettings(host="127.0.0.1", port=port)))
        assert (await sender.deliver()).sent == 3
        before = await store.outbox()
        assert await store.purge(utcnow() + SENT_BODY_RETENTION - dt.timedelta(days=1)) == 0
        assert [e.data for e in await store.outbox()] == [e.data for e in before]
        assert await store.purge(utcnow() + SENT_BODY_RETENTION + dt.timedelta(days=1)) == 0
        after = await store.outbox()
        await store.purge(utcnow() + SENT_BODY_RETENTION + dt.timedelta(days=2))  # idempotent
        again = await store.outbox()
    finally:
        await store.close()
    for old, new, last in zip(before, after, again, strict=True):
        head = old.data.split(b"\r\n\r\n")[0]
        assert new.data.startswith(head + b"\r\n\r\n[The body of this message was removed 30 days")
        assert len(new.data) < len(old.data) / 4 and last.data == new.data
        assert (new.message_id, new.recipients, new.results, new.status) == (
            old.message_id,
            old.recipients,
            old.results,
            "sent",
        )
        assert new.results and new.results[0].outcome == "accepted"


def _far() -> Any:
    import datetime as dt

    return dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


# -- composing outside the transaction -----------------------------------------------------------


async def test_the_email_is_composed_outside_the_lock_and_matches_its_application(
    tmp_path: Path,
) -> None:
    import asyncio
    import threading

    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    calls: list[tuple[str, bool, bool]] = []

    def compose(app: SubmittedApplication) -> OutgoingMail:
        calls.append(
            (
                app.reference,
                store._lock.locked(),
                threading.current_thread() is threading.main_thread(),
            )
        )
        return _mail(app)

    try:
        first = await store.commit("a", Session(), submission=Submission("enigma", {}, compose))
        assert first is not None
        assert calls == [(first.reference, False, False)]  # a worker thread, lock free
        # Two at once: both compose for the same next reference; the one that loses the
        # race is composed again, inside its transaction, for the reference it really got.
        calls.clear()
        stored = await asyncio.gather(
            *(
                store.commit(user, Session(), submission=Submission("enigma", {}, compose))
                for user in ("b", "c")
            )
        )
        entries = {e.reference: e for e in await store.outbox()}
    finally:
        await store.close()
    references = sorted(a.reference for a in stored if a is not None)
    assert len(references) == 2
    # Whatever the interleaving, a composing inside a transaction (the main thread) is for
    # a reference that was really stored.
    assert all(c[0] in references for c in calls if c[2]), calls
    for reference in [first.reference, *references]:
        assert entries[reference].message_id == f"<{reference}@test>"
        assert f"Subject: {reference}".encode() in entries[reference].data


def test_smtp_connections_is_read_and_checked() -> None:
    base = {"SMTP_HOST": "127.0.0.1"}
    smtp = Settings.from_env(base).smtp
    assert smtp is not None and smtp.connections == 3
    smtp = Settings.from_env({**base, "SMTP_CONNECTIONS": "1"}).smtp
    assert smtp is not None and SmtpTransport(smtp).connections == 1
    for bad in ("0", "21", "two"):
        with pytest.raises(ConfigError, match="SMTP_CONNECTIONS"):
            Settings.from_env({**base, "SMTP_CONNECTIONS": bad})
