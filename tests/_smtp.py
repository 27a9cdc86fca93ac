"""Test helpers for mail delivery: a real SMTP server on loopback, and applications.

:class:`SmtpServer` runs aiosmtpd in-process (its own thread) on 127.0.0.1 and an
ephemeral port, recording every message it accepts.  ``stop()`` / ``start()`` simulate
an outage on the same port; ``refuse_rcpt`` / ``fail_data`` make it answer with a code.
Nothing here touches the network beyond loopback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from bot.assistant import Assistant, Incoming
from bot.settings import Settings, SmtpSettings
from tests.conftest import EOI_ANSWERS

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)
HUB = "enigma"
HUB_ADDRESS = "eoi@enigma-hub.example.org"

# The shared sample answers, with the Mastery Specialist engagement on and markup in the
# free text, so the email's conditional section and its HTML escaping are exercised.
_MAIL_VARIANT = {
    "worked_with_specialist": "Yes",
    "hod_statement": (
        "We want to develop teaching for mastery across Key Stage 3 so that every pupil "
        "builds a deep & connected understanding; <Alex> leads our KS3 work and Priya is "
        "a keen, committed teacher who will share what we learn with the department."
    ),
}
ANSWERS: list[tuple[str, str]] = []
for _name, _value in EOI_ANSWERS:
    ANSWERS.append((_name, _MAIL_VARIANT.get(_name, _value)))
    if _name == "worked_with_specialist":
        ANSWERS.append(
            ("specialist_details", "Chris Lee: joint planning <b>& observation</b> in Year 7")
        )
FORM_ORDER = [name for name, _ in ANSWERS if name != "privacy_consent"]
# Every column of an export or attachment, in form order: the answers above, and the
# question asked only when the head and head of department give one address.
COLUMNS = [*FORM_ORDER]
COLUMNS.insert(COLUMNS.index("hod_email") + 1, "head_is_hod")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return parse(self.data)


@dataclass
class Recorder:
    """aiosmtpd handler: stores what arrives; can refuse recipients or data, or hang.

    ``rcpt_replies`` maps an address to the replies its RCPT gets, one per attempt, the last
    one repeating (``["450 greylisted", "250 OK"]`` greylists once); ``hang_data`` makes the
    server take the data and then say nothing until the test ends; ``rcpt_seen`` counts
    every RCPT the server was asked.
    """

    messages: list[Received] = field(default_factory=list)
    refuse_rcpt: str | None = None  # e.g. "550 5.1.1 no such mailbox"
    fail_data: str | None = None  # e.g. "451 4.3.0 try again later"
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    hang_data: bool = False
    hang_rcpt: bool = False
    rcpt_seen: list[str] = field(default_factory=list)
    data_seen: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        self.rcpt_seen.append(address)
        if self.hang_rcpt:
            await asyncio.sleep(3600)
        if self.refuse_rcpt:
            return self.refuse_rcpt
        replies = self.rcpt_replies.get(address)
        if replies:
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
            if not reply.startswith("250"):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_seen += 1
        if self.hang_data:
            await asyncio.sleep(3600)
        if self.fail_data:
            return self.fail_data
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can go down and come back on the same port."""

    def __init__(self, *, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.recorder = Recorder()
        self._controller: Controller | None = None
        self.login = login
        self.logins: list[str] = []  # every AUTH the server received (user names)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult

        user = auth_data.login.decode()
        self.logins.append(user)
        ok = self.login is not None and (user, auth_data.password.decode()) == self.login
        return AuthResult(success=ok)

    @property
    def messages(self) -> list[Received]:
        return self.recorder.messages

    def start(self) -> SmtpServer:
        if self._controller is None:
            extra: dict[str, Any] = {}
            if self.login is not None:
                extra = {"authenticator": self._authenticate, "auth_require_tls": False}
            self._controller = Controller(
                self.recorder, hostname="127.0.0.1", port=self.port, **extra
            )
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self, tmp_path: Path, **changes: Any) -> Settings:
        return mail_settings(
            tmp_path, smtp=SmtpSettings(host="127.0.0.1", port=self.port), **changes
        )


def contacts_file(tmp_path: Path, hub: str = HUB, address: str = HUB_ADDRESS) -> Path:
    path = tmp_path / "hub_contacts.yaml"
    path.write_text(f"{hub}: {address}\n", encoding="utf-8")
    return path


def mail_settings(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "today_override": TODAY,
        "shutdown_grace_seconds": 2.0,
        "mail_from": "Maths Hub assistant <assistant@assistant.example.org>",
    }
    values.update(changes)
    return Settings(**values)


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def mail_body(message: EmailMessage, subtype: str) -> str:
    """The message's ``text/plain`` or ``text/html`` body (failing if it has none)."""
    part = message.get_body((subtype,))
    assert part is not None, f"no text/{subtype} body"
    content = part.get_content()
    assert isinstance(content, str)
    return content


async def submit(assistant: Assistant, user: str = "u1", **overrides: str) -> str:
    """Fill in and submit the EoI through the real assistant; returns the reference."""
    answers = dict(ANSWERS) | overrides
    replies = await assistant.handle(Incoming(user, "/apply eoi"))
    for _ in range(len(answers) + 2):
        field_id = next((r.field for r in reversed(replies) if r.field), None)
        if field_id == "review":
            replies = await assistant.handle(Incoming(user, "submit"))
            break
        assert field_id in answers, (field_id, [r.text for r in replies])
        replies = await assistant.handle(Incoming(user, answers[field_id]))
    text = "\n".join(r.text for r in replies)
    assert "Reference: EOI-" in text, text
    return text.split("Reference: ", 1)[1].split()[0]
