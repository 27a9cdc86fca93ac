"""Delivery over SMTP to a real aiosmtpd server on loopback: what arrives, outages,
restarts, exactly-once, refusals, held messages and header injection end to end."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.assistant import Incoming
from bot.knowledge.base import load_knowledge
from bot.mail.compose import Composer
from bot.mail.lock import DeliveryLock
from bot.mail.outbox import OutboxSender
from bot.mail.smtp import SmtpTransport
from bot.services import Services, open_services
from bot.session import Session
from bot.settings import SmtpSettings
from bot.store.base import OutboxEntry, Submission
from bot.store.sqlite import SqliteStore
from tests._smtp import (
    ANSWERS,
    HUB,
    HUB_ADDRESS,
    ROOT,
    SmtpServer,
    contacts_file,
    mail_body,
    submit,
)

CC = (
    "head@academy.example.org",
    "s.patel@academy.example.org",
    "a.jones@academy.example.org",
    "p.shah@academy.example.org",
)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    smtp = SmtpServer().start()
    yield smtp
    smtp.stop()


@pytest.fixture
def down_server() -> Iterator[SmtpServer]:
    """A server whose port nobody listens on until the test calls ``start()``."""
    smtp = SmtpServer()
    yield smtp
    smtp.stop()


async def eventually(check: Callable[[], object], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def until_stored(
    services: Services, check: Callable[[list[OutboxEntry]], bool], within: float = 5.0
) -> None:
    deadline = time.monotonic() + within
    while not check(await services.store.outbox()):
        assert time.monotonic() < deadline, await services.store.outbox()
        await asyncio.sleep(0.02)


@pytest.fixture
async def services(server: SmtpServer, tmp_path: Path) -> AsyncIterator[Services]:
    opened = await open_services(
        server.settings(tmp_path, hub_contacts_file=contacts_file(tmp_path))
    )
    yield opened
    await opened.close()


async def test_a_submission_reaches_the_hub_with_everything(
    services: Services, server: SmtpServer
) -> None:
    reference = await submit(services.assistant)
    await eventually(lambda: server.messages)
    (received,) = server.messages
    assert received.mail_from == "assistant@assistant.example.org"
    assert received.rcpt_tos == [HUB_ADDRESS, *CC]
    message = received.message
    assert str(message["To"]) == f"Enigma Maths Hub <{HUB_ADDRESS}>"
    assert [a.addr_spec for a in message["Cc"].addresses] == list(CC)
    assert str(message["Reply-To"]) == "Sam Patel <s.patel@academy.example.org>"
    assert message["Subject"] == (
        "Secondary Teaching for Mastery Work Group Expression of Interest: "
        f"Example Academy ({reference})"
    )
    assert message["Message-ID"].startswith(f"<{reference}.")
    text = mail_body(message, "plain")
    html = mail_body(message, "html")
    for body in (text, html):
        assert reference in body and "Confirmation of school commitment" in body
        assert "2027/28" in body  # the academic year, derived from the submission date
    assert "Chris Lee: joint planning <b>& observation</b> in Year 7" in text
    assert "Chris Lee: joint planning &lt;b&gt;&amp; observation&lt;/b&gt; in Year 7" in html
    assert "<b>&" not in html and "&lt;Alex&gt;" in html
    attachments = {p.get_filename(): p for p in message.iter_attachments()}
    record = json.loads(attachments["application.json"].get_content())
    assert record["reference"] == reference and record["hub_id"] == HUB
    assert record["teacher2_year_groups"] == "Year 7, Year 8, Year 11"
    csv_text = attachments["application.csv"].get_content()
    csv_text = csv_text.decode() if isinstance(csv_text, bytes) else csv_text
    header, row, *rest = csv_text.splitlines()
    assert not rest and header.startswith("reference,submitted_at,hub_id,school_name,")
    assert row.startswith(f"{reference},") and "Example Academy" in row

    await until_stored(services, lambda rows: rows[0].status == "sent")
    (entry,) = await services.store.outbox()
    assert entry.attempts == 1 and entry.last_error is None and entry.sent_at is not None
    status = await services.assistant.handle(Incoming("u1", "/status"))
    assert "delivered to the hub's mail server" in status[0].text


async def test_server_down_at_submission_then_delivered_exactly_once(
    down_server: SmtpServer, tmp_path: Path
) -> None:
    settings = down_server.settings(tmp_path, hub_contacts_file=contacts_file(tmp_path))
    services = await open_services(settings)
    try:
        started = time.monotonic()
        reference = await submit(services.assistant)
        assert time.monotonic() - started < 5  # the applicant never waits on the server
        await until_stored(services, lambda rows: bool(rows) and rows[0].attempts >= 1)
        (entry,) = await services.store.outbox()
        assert entry.reference == reference and entry.status == "pending"
        assert entry.last_error and "cannot reach smtp://127.0.0.1" in entry.last_error
        assert entry.next_attempt_at is not None

        down_server.start()
        assert services.sender is not None
        report = await services.sender.deliver(force=True)
        assert report.sent == 1 and len(down_server.messages) == 1
        again = await services.sender.deliver(force=True)
        assert again.sent == 0 and len(down_server.messages) == 1
        (entry,) = await services.store.outbox()
        assert entry.status == "sent" and entry.attempts >= 2
    finally:
        await services.close()
    assert len(down_server.messages) == 1


async def test_a_restart_between_queueing_and_sending(
    down_server: SmtpServer, tmp_path: Path
) -> None:
    settings = down_server.settings(
        tmp_path, hub_contacts_file=contacts_file(tmp_path), shutdown_grace_seconds=0.5
    )
    first = await open_services(settings)
    reference = await submit(first.assistant)
    await first.close()  # the server is still down: the message stays queued on disk

    store = await SqliteStore.open(settings.db_path)
    (entry,) = await store.outbox()
    await store.close()
    assert entry.status == "pending" and entry.reference == reference

    down_server.start()
    second = await open_services(settings)  # a new process: picks the message up at once
    try:
        await eventually(lambda: down_server.messages)
        await until_stored(second, lambda rows: rows[0].status == "sent")
    finally:
        await second.close()
    third = await open_services(settings)
    await third.close()
    assert len(down_server.messages) == 1
    assert down_server.messages[0].message["Subject"].endswith(f"({reference})")


async def test_close_gives_pending_mail_a_grace_period(
    down_server: SmtpServer, tmp_path: Path
) -> None:
    settings = down_server.settings(tmp_path, hub_contacts_file=contacts_file(tmp_path))
    services = await open_services(settings)
    await submit(services.assistant)
    await until_stored(services, lambda rows: bool(rows) and rows[0].attempts >= 1)
    down_server.start()  # back up, but the next scheduled attempt is 30 s away
    await services.close()  # an applicant closing the terminal: delivered on the way out
    assert len(down_server.messages) == 1


async def test_the_background_sender_retries_with_growing_delays(
    down_server: SmtpServer, tmp_path: Path
) -> None:
    knowledge = load_knowledge(ROOT / "knowledge", ROOT / "flows", contacts_file(tmp_path))
    composer = Composer(knowledge, mail_from="a@assistant.example.org", hold_placeholders=True)
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=down_server.port), timeout=2)
    sender = OutboxSender(
        store, transport, recompose=composer, base_delay=0.05, max_delay=0.2, poll_interval=0.5
    )
    assert [sender.delay_after(n) for n in (1, 2, 3, 4, 5)] == [0.05, 0.1, 0.2, 0.2, 0.2]
    await store.commit(
        "u1",
        Session(),
        submission=Submission(
            HUB, dict(ANSWERS[1:]), compose=composer, form="eoi", reference_prefix="EOI"
        ),
    )
    await sender.start()
    try:
        deadline = time.monotonic() + 5
        while (await store.outbox())[0].attempts < 3:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        down_server.start()
        await eventually(lambda: down_server.messages)
        await asyncio.sleep(0.3)  # a few more wake-ups: nothing is sent twice
    finally:
        assert await sender.stop(1.0) == 0
        await store.close()
    assert len(down_server.messages) == 1


async def test_a_temporary_refusal_is_retried(server: SmtpServer, services: Services) -> None:
    server.recorder.fail_data = "451 4.3.0 Try again later"
    await submit(services.assistant)
    await until_stored(services, lambda rows: bool(rows) and rows[0].attempts >= 1)
    (entry,) = await services.store.outbox()
    assert entry.status == "pending" and entry.last_error is not None
    assert "451" in entry.last_error
    server.recorder.fail_data = None
    assert services.sender is not None
    assert (await services.sender.deliver(force=True)).sent == 1


async def test_a_permanent_refusal_fails_and_retry_revives_it(
    server: SmtpServer, services: Services
) -> None:
    server.recorder.refuse_rcpt = "550 5.1.1 No such mailbox"
    await submit(services.assistant)
    await until_stored(services, lambda rows: bool(rows) and rows[0].status == "failed")
    (entry,) = await services.store.outbox()
    assert entry.attempts == 1 and entry.last_error and "550" in entry.last_error
    status = await services.assistant.handle(Incoming("u1", "/status"))
    assert "not delivered" in status[0].text
    server.recorder.refuse_rcpt = None
    assert services.sender is not None
    assert await services.sender.release_held(include_failed=True) == 1
    assert (await services.sender.deliver(force=True)).sent == 1
    assert len(server.messages) == 1


async def test_placeholder_hubs_are_held_until_the_operator_sets_an_address(
    server: SmtpServer, tmp_path: Path
) -> None:
    held_settings = server.settings(tmp_path)  # SMTP set, no contacts file
    services = await open_services(held_settings)
    try:
        await submit(services.assistant)
        (entry,) = await services.store.outbox()
        assert entry.status == "held" and entry.recipients[0] == "enigma@hubs.example"
        assert entry.last_error and "HUB_CONTACTS_FILE" in entry.last_error
        status = await services.assistant.handle(Incoming("u1", "/status"))
        assert "not yet sent to the hub" in status[0].text and "hubs.example" not in status[0].text
        assert services.sender is not None
        assert (await services.sender.deliver(force=True)).sent == 0
    finally:
        await services.close()
    assert server.messages == []

    # The operator adds the hub's real address; the next start releases the message.
    released = await open_services(
        server.settings(tmp_path, hub_contacts_file=contacts_file(tmp_path))
    )
    try:
        await eventually(lambda: server.messages)
    finally:
        await released.close()
    (received,) = server.messages
    assert received.rcpt_tos == [HUB_ADDRESS, *CC]
    assert "hubs.example" not in received.data.decode()


INJECTED = {
    "school_name": "Evil School\r\nBcc: victim@evil.example.org",
    "head_name": "Jane\u2028Bcc: victim@evil.example.org",
    "hod_name": "Sam\x00\r\nReply-To: victim@evil.example.org",
    "teacher1_name": "Alex\u2029To: victim@evil.example.org",
    "head_email": "head@academy.example.org\r\nBcc: victim@evil.example.org",
    "hod_email": "s.patel@academy.example.org\nCc: victim@evil.example.org",
    "teacher2_email": "p.shah@academy.example.org\x85Bcc: victim@evil.example.org",
}


async def test_header_injection_never_reaches_the_server(
    server: SmtpServer, tmp_path: Path
) -> None:
    """The validators refuse such answers; compose is safe even when they are bypassed."""
    knowledge = load_knowledge(ROOT / "knowledge", ROOT / "flows", contacts_file(tmp_path))
    composer = Composer(knowledge, mail_from="a@assistant.example.org", hold_placeholders=True)
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        answers = dict(ANSWERS[1:]) | INJECTED
        await store.commit(
            "u1",
            Session(),
            submission=Submission(
                HUB, answers, compose=composer, form="eoi", reference_prefix="EOI"
            ),
        )
        transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=server.port))
        sender = OutboxSender(store, transport, lock=DeliveryLock(tmp_path / "outbox.lock"))
        assert (await sender.deliver()).sent == 1
    finally:
        await store.close()
    (received,) = server.messages
    assert received.rcpt_tos == [HUB_ADDRESS, "a.jones@academy.example.org"]
    message = received.message
    assert "victim" not in " ".join(received.rcpt_tos)
    assert message["Bcc"] is None and message["Reply-To"] is None
    assert [a.addr_spec for a in message["To"].addresses] == [HUB_ADDRESS]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["a.jones@academy.example.org"]
    assert "Evil School Bcc: victim@evil.example.org" in message["Subject"]


async def test_two_processes_never_send_the_same_message(
    server: SmtpServer, tmp_path: Path
) -> None:
    knowledge = load_knowledge(ROOT / "knowledge", ROOT / "flows", contacts_file(tmp_path))
    composer = Composer(knowledge, mail_from="a@assistant.example.org", hold_placeholders=True)
    path = tmp_path / "db.sqlite3"
    stores = [await SqliteStore.open(path), await SqliteStore.open(path)]
    try:
        for user in ("u1", "u2", "u3"):
            await stores[0].commit(
                user,
                Session(),
                submission=Submission(
                    HUB, dict(ANSWERS[1:]), compose=composer, form="eoi", reference_prefix="EOI"
                ),
            )
        transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=server.port))
        senders = [
            OutboxSender(store, transport, lock=DeliveryLock(tmp_path / "outbox.lock"))
            for store in stores
        ]
        reports = await asyncio.gather(*(s.deliver(lock_timeout=5) for s in senders))
        assert sorted(r.sent for r in reports) == [0, 3]
        assert [(await s.deliver(force=True)).sent for s in senders] == [0, 0]
    finally:
        for store in stores:
            await store.close()
    assert len(server.messages) == 3
    assert len({m.message["Message-ID"] for m in server.messages}) == 3
