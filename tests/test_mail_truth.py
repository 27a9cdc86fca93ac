"""Delivery that tells the truth: what the server said about each recipient, against a real
aiosmtpd server on loopback that refuses, greylists, hangs and hangs up.

The hub's address refused for good fails the message with the reason and sends nobody a
copy; refused for now (greylisting) keeps it pending; a refused copy is recorded and shown;
a silent server cannot hold a message past the deadline; and a server that goes silent
after the data is not sent the message a second time.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.assistant import Incoming
from bot.exceptions import ConfigError
from bot.mail.base import Envelope, TransportError
from bot.mail.commands import format_outbox
from bot.mail.smtp import SmtpTransport
from bot.services import Services, open_services
from bot.settings import SmtpSettings
from bot.store.base import OutboxEntry, RecipientResult
from tests._smtp import HUB_ADDRESS, SmtpServer, contacts_file, submit

TEACHER2 = "p.shah@academy.example.org"


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    smtp = SmtpServer().start()
    yield smtp
    smtp.stop()


@pytest.fixture
async def services(server: SmtpServer, tmp_path: Path) -> AsyncIterator[Services]:
    opened = await open_services(
        server.settings(tmp_path, hub_contacts_file=contacts_file(tmp_path))
    )
    yield opened
    await opened.close()


async def settled(services: Services, within: float = 10.0) -> OutboxEntry:
    """The one outbox entry, once its first attempt is recorded."""
    deadline = time.monotonic() + within
    while True:
        entries = await services.store.outbox()
        if entries and entries[0].attempts >= 1:
            return entries[0]
        assert time.monotonic() < deadline, entries
        await asyncio.sleep(0.02)


async def status_text(services: Services, user: str = "u1") -> str:
    return "\n".join(r.text for r in await services.assistant.handle(Incoming(user, "/status")))


async def test_the_hubs_address_refused_for_good_fails_and_nobody_is_copied(
    services: Services, server: SmtpServer
) -> None:
    server.recorder.rcpt_replies[HUB_ADDRESS] = ["550 5.1.1 <eoi@enigma-hub> no such mailbox"]
    await submit(services.assistant)
    entry = await settled(services)
    assert entry.status == "failed"
    assert entry.last_error is not None and "550 5.1.1" in entry.last_error
    assert "hub's address was refused" in entry.last_error
    assert server.recorder.data_seen == 0 and not server.messages  # no Cc got it either
    assert (entry.results[0].address, entry.results[0].outcome) == (HUB_ADDRESS, "refused")
    listing = format_outbox([entry])
    assert "failed" in listing and f"refused: {HUB_ADDRESS} (550 5.1.1" in listing
    assert "not delivered: please email your hub" in await status_text(services)


async def test_a_greylisted_hub_address_stays_pending_then_goes_once(
    services: Services, server: SmtpServer
) -> None:
    server.recorder.rcpt_replies[HUB_ADDRESS] = ["450 4.7.1 greylisted, come back later", "250"]
    await submit(services.assistant)
    entry = await settled(services)
    assert entry.status == "pending" and entry.next_attempt_at is not None
    assert entry.last_error is not None and "450 4.7.1" in entry.last_error
    assert server.recorder.data_seen == 0
    assert "being sent to the hub" in await status_text(services)

    assert services.sender is not None
    report = await services.sender.deliver(force=True)
    assert report.sent == 1 and len(server.messages) == 1
    (entry,) = await services.store.outbox()
    assert entry.status == "sent" and {r.outcome for r in entry.results} == {"accepted"}


async def test_a_refused_copy_is_recorded_and_shown(services: Services, server: SmtpServer) -> None:
    server.recorder.rcpt_replies[TEACHER2] = ["550 5.1.1 unknown user"]
    await submit(services.assistant)
    entry = await settled(services)
    assert entry.status == "sent"
    (received,) = server.messages
    assert HUB_ADDRESS in received.rcpt_tos and TEACHER2 not in received.rcpt_tos
    refused = [r for r in entry.results if r.outcome != "accepted"]
    assert [(r.address, r.outcome) for r in refused] == [(TEACHER2, "refused")]
    assert f"refused: {TEACHER2} (550 5.1.1 unknown user)" in format_outbox([entry])
    status = await status_text(services)
    assert "delivered to the hub's mail server" in status
    assert f"not copied to {TEACHER2}" in status


async def _send_and_close(transport: SmtpTransport) -> tuple[RecipientResult, ...]:
    # A transport keeps its connection for the next message until closed.
    try:
        return await transport.send(_envelope())
    finally:
        await transport.close()


def _envelope() -> Envelope:
    return Envelope(
        "<x@a.example.org>",
        "a@a.example.org",
        (HUB_ADDRESS, TEACHER2),
        b"Subject: x\r\n\r\nbody\r\n",
        "EOI-2026-0001",
        required=(HUB_ADDRESS,),
    )


async def test_a_server_silent_after_the_data_is_not_sent_the_message_twice(
    server: SmtpServer,
) -> None:
    server.recorder.hang_data = True
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=server.port), timeout=1.0)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        await transport.send(_envelope())
    assert time.monotonic() - started < 3  # one deadline for the whole message
    assert caught.value.unconfirmed and not caught.value.permanent
    assert {r.outcome for r in caught.value.results} == {"unconfirmed"}
    assert "not re-sent automatically" in str(caught.value)


async def test_unconfirmed_delivery_is_marked_failed_not_retried(
    server: SmtpServer, tmp_path: Path
) -> None:
    server.recorder.hang_data = True
    settings = server.settings(tmp_path, hub_contacts_file=contacts_file(tmp_path))
    settings = settings.__class__(
        **{**settings.__dict__, "smtp": SmtpSettings(host="127.0.0.1", port=server.port, timeout=1)}
    )
    services = await open_services(settings)
    try:
        await submit(services.assistant)
        entry = await settled(services)
        assert entry.status == "failed" and server.recorder.data_seen == 1
        assert services.sender is not None
        await services.sender.deliver(force=True)
        assert server.recorder.data_seen == 1  # not sent again on its own
        assert "please email your hub to check it arrived" in await status_text(services)
    finally:
        await services.close()


async def test_a_server_that_hangs_mid_conversation_is_cut_off_at_the_deadline(
    server: SmtpServer,
) -> None:
    server.recorder.hang_rcpt = True
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=server.port), timeout=1.0)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        await transport.send(_envelope())
    assert time.monotonic() - started < 3
    assert caught.value.unavailable and not caught.value.unconfirmed
    assert "stopped answering before the message was sent" in str(caught.value)


class RawServer:
    """A TCP listener that never speaks (``silent``) or hangs up at once."""

    def __init__(self, *, silent: bool) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.silent = silent
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.silent:
                self.held.append(conn)
            else:
                conn.close()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.mark.parametrize("silent", [True, False], ids=["silent", "hangs-up"])
async def test_a_server_that_never_greets_or_hangs_up_keeps_the_message_pending(
    silent: bool,
) -> None:
    raw = RawServer(silent=silent)
    try:
        transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=raw.port), timeout=1.0)
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            await transport.send(_envelope())
        assert time.monotonic() - started < 3
        assert caught.value.unavailable and not caught.value.unconfirmed
    finally:
        raw.close()


def test_credentials_are_never_sent_without_tls(tmp_path: Path) -> None:
    server = SmtpServer(login=("bot", "s3cret")).start()
    try:
        plain = SmtpSettings(host="127.0.0.1", port=server.port, username="bot", password="s3cret")
        settings = server.settings(tmp_path, hub_contacts_file=contacts_file(tmp_path))
        settings = settings.__class__(**{**settings.__dict__, "smtp": plain})
        with pytest.raises(ConfigError, match=r"offers no TLS.*SMTP_ALLOW_PLAIN_AUTH"):
            asyncio.run(open_services(settings))
        with pytest.raises(TransportError, match="refusing to log in"):
            asyncio.run(SmtpTransport(plain, timeout=2).send(_envelope()))
        assert server.logins == []  # the password never went over the wire

        allowed = SmtpSettings(**{**plain.__dict__, "allow_plain_auth": True})
        results = asyncio.run(_send_and_close(SmtpTransport(allowed, timeout=2)))
        assert server.logins == ["bot"] and len(server.messages) == 1
        assert [r.outcome for r in results] == ["accepted", "accepted"]
    finally:
        server.stop()


def test_settings_repr_hides_secrets() -> None:
    from bot.settings import Settings

    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "123456:SECRET-TOKEN",
            "SMTP_HOST": "smtp.example.org",
            "SMTP_USERNAME": "bot",
            "SMTP_PASSWORD": "hunter2-password",
            "WEBHOOK_SECRET": "webhook-secret-value",
        }
    )
    text = repr(settings)
    assert "smtp.example.org" in text
    for secret in ("SECRET-TOKEN", "hunter2-password", "webhook-secret-value"):
        assert secret not in text


def test_a_staff_entry_with_an_empty_hub_is_refused() -> None:
    from bot.settings import parse_staff

    with pytest.raises(ConfigError, match="names no hub"):
        parse_staff("123:")
    assert parse_staff("123, 456:enigma") == {123: None, 456: "enigma"}


async def test_outbox_retry_exits_non_zero_while_the_hub_refuses(
    server: SmtpServer, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    from tests.conftest import run_bot

    server.recorder.rcpt_replies[HUB_ADDRESS] = ["550 5.1.1 no such mailbox"]
    contacts = contacts_file(tmp_path)
    services = await open_services(server.settings(tmp_path, hub_contacts_file=contacts))
    try:
        await submit(services.assistant)
        await settled(services)
    finally:
        await services.close()
    env = bot_env | {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(server.port),
        "HUB_CONTACTS_FILE": str(contacts),
    }
    retried = await asyncio.to_thread(run_bot, env, "outbox", "retry")
    assert retried.returncode == 1, retried.stderr
    assert "1 not delivered" in retried.stdout
    assert f"refused: {HUB_ADDRESS} (550 5.1.1 no such mailbox)" in retried.stdout
    assert server.recorder.data_seen == 0
