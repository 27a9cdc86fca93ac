"""The embedded .eml default, and the hub-staff commands: outbox, outbox retry, export.

The console runs in a real subprocess (``python -m bot chat --jsonl``), so the
end-of-input shutdown path that delivers pending mail is exercised as a user sees it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import subprocess
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pytest

from bot.mail.commands import export_command, outbox_command
from bot.services import open_services
from tests._smtp import (
    ANSWERS,
    COLUMNS,
    HUB,
    ROOT,
    TODAY,
    SmtpServer,
    mail_body,
    mail_settings,
    submit,
)
from tests.conftest import PYTHON, run_bot


def chat_input() -> str:
    lines = ["/apply eoi"] + [value for _, value in ANSWERS] + ["submit", "/status"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def console_submission(bot_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """One application submitted through the console; yields the environment."""
    proc = run_bot(bot_env, "chat", "--jsonl", "--user", "teacher", stdin=chat_input())
    assert proc.returncode == 0, proc.stderr
    texts = [json.loads(line).get("text", "") for line in proc.stdout.splitlines()]
    assert any("Reference: EOI-2026-0001" in t for t in texts), texts[-3:]
    yield bot_env


def smtp_env(bot_env: dict[str, str], tmp_path: Path, server: SmtpServer) -> dict[str, str]:
    """The environment of a process that sends to ``server`` and knows the hub's address."""
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text(f"{HUB}: eoi@enigma-hub.example.org\n", encoding="utf-8")
    return bot_env | {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(server.port),
        "HUB_CONTACTS_FILE": str(contacts),
    }


def test_the_console_writes_an_eml_file_by_default(console_submission: dict[str, str]) -> None:
    mail_dir = Path(console_submission["BOT_DATA_DIR"]) / "mail"
    (path,) = mail_dir.glob("*.eml")
    assert path.name == "EOI-2026-0001.eml"
    message = BytesParser(policy=default).parsebytes(path.read_bytes())
    assert str(message["To"]) == "Enigma Maths Hub <enigma@hubs.example>"
    assert len(message["Cc"].addresses) == 4
    assert str(message["Reply-To"]) == "Sam Patel <s.patel@academy.example.org>"
    assert message["Subject"].endswith("Example Academy (EOI-2026-0001)")
    assert "Head of department statement" in mail_body(message, "plain")
    assert "&lt;Alex&gt;" in mail_body(message, "html")
    names = sorted(str(p.get_filename()) for p in message.iter_attachments())
    assert names == ["application.csv", "application.json"]
    assert not list(mail_dir.glob(".*"))  # no temporary files left behind


def test_outbox_lists_and_a_second_retry_sends_nothing(
    console_submission: dict[str, str],
) -> None:
    env = console_submission
    listed = run_bot(env, "outbox")
    assert listed.returncode == 0, listed.stderr
    # An .eml file has not reached the hub: held for the operator, with where it is.
    assert "EOI-2026-0001   held" in listed.stdout and "held: written to " in listed.stdout
    assert "0 sent, 0 pending, 1 held, 0 failed" in listed.stdout
    assert "1 attempt(s)" in listed.stdout
    assert "enigma@hubs.example, head@academy.example.org" in listed.stdout
    path = next((Path(env["BOT_DATA_DIR"]) / "mail").glob("*.eml"))
    before = path.stat().st_mtime_ns
    retry = run_bot(env, "outbox", "retry")
    assert retry.returncode == 1, retry.stderr  # still not delivered: no mail server is set
    assert "sent 0 now; 1 not delivered" in retry.stdout
    assert path.stat().st_mtime_ns == before  # not written again


def test_export_csv_json_and_since(console_submission: dict[str, str]) -> None:
    env = console_submission
    as_csv = run_bot(env, "export", "--form", "eoi", "--hub", HUB)
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["reference", "submitted_at", "hub_id", *COLUMNS]
    assert len(rows) == 2 and rows[1][0] == "EOI-2026-0001" and rows[1][3] == "Example Academy"
    as_json = run_bot(env, "export", "--form", "eoi", "--hub", HUB, "--format", "json")
    (record,) = json.loads(as_json.stdout)
    assert list(record) == rows[0] and record["teacher1_name"] == "Alex Jones"
    later = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert (
        json.loads(
            run_bot(
                env, "export", "--form", "eoi", "--hub", HUB, "--format", "json", "--since", later
            ).stdout
        )
        == []
    )
    other = run_bot(env, "export", "--form", "eoi", "--hub", "cambridge")
    assert other.returncode == 0 and len(other.stdout.splitlines()) == 1  # the header only


def test_export_refuses_an_unknown_hub(bot_env: dict[str, str]) -> None:
    proc = run_bot(bot_env, "export", "--form", "eoi", "--hub", "enigmaa")
    assert proc.returncode == 2
    assert "unknown hub id 'enigmaa'" in proc.stderr and "enigma" in proc.stderr
    assert proc.stdout == ""


def test_outbox_on_an_empty_store(bot_env: dict[str, str]) -> None:
    proc = run_bot(bot_env, "outbox", "list")
    assert proc.returncode == 0 and "The outbox is empty" in proc.stdout


def test_retry_exits_non_zero_while_the_server_is_down(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    server = SmtpServer()
    env = smtp_env(bot_env, tmp_path, server) | {
        "MAIL_FROM": "Assistant <assistant@assistant.example.org>"
    }
    proc = run_bot(env, "chat", "--jsonl", stdin=chat_input())
    assert proc.returncode == 0, proc.stderr
    assert "still pending" in proc.stderr  # the shutdown grace period ran out of server
    down = run_bot(env, "outbox", "retry")
    assert down.returncode == 1
    assert "pending" in down.stdout and "cannot reach smtp://127.0.0.1" in down.stdout
    server.start()
    try:
        up = run_bot(env, "outbox", "retry")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "sent 1 now; 0 not delivered" in up.stdout
        again = run_bot(env, "outbox", "retry")
        assert again.returncode == 0 and "sent 0 now" in again.stdout
    finally:
        server.stop()
    assert len(server.messages) == 1
    assert server.messages[0].rcpt_tos[0] == "eoi@enigma-hub.example.org"


def test_the_command_functions_directly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    settings = mail_settings(tmp_path)

    async def one() -> None:
        services = await open_services(settings)
        try:
            await submit(services.assistant)
        finally:
            await services.close()

    asyncio.run(one())
    assert outbox_command(argparse.Namespace(action="list"), settings) == 0
    assert "held: written to" in capsys.readouterr().out
    assert outbox_command(argparse.Namespace(action="retry"), settings) == 1
    assert "sent 0 now; 1 not delivered" in capsys.readouterr().out
    args = argparse.Namespace(
        hub=HUB, format="json", since=TODAY - dt.timedelta(days=400), form="eoi"
    )
    assert export_command(args, settings) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["hod_email"] == "s.patel@academy.example.org"
    assert (
        export_command(
            argparse.Namespace(hub="nowhere", format="csv", since=None, form="eoi"), settings
        )
        == 2
    )


def test_sigterm_gives_pending_mail_its_grace_period(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    """Server down at submission, back up, then SIGTERM: delivered on the way out."""
    import signal
    import time

    server = SmtpServer()
    env = smtp_env(bot_env, tmp_path, server)
    proc = subprocess.Popen(
        [PYTHON, "-m", "bot", "chat", "--jsonl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(chat_input())
        proc.stdin.flush()  # stdin stays open: the applicant has not left yet
        deadline = time.monotonic() + 30
        while "Reference: EOI-" not in (line := proc.stdout.readline()):
            assert line and time.monotonic() < deadline
        server.start()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        server.stop()
    assert proc.returncode == -signal.SIGTERM
    assert len(server.messages) == 1


def test_retry_releases_a_held_message_once_the_hub_has_an_address(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    server = SmtpServer().start()
    env = bot_env | {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port)}
    try:
        assert run_bot(env, "chat", "--jsonl", stdin=chat_input()).returncode == 0
        listed = run_bot(env, "outbox")
        assert "held" in listed.stdout and "HUB_CONTACTS_FILE" in listed.stdout
        assert run_bot(env, "outbox", "retry").returncode == 1
        contacts = tmp_path / "contacts.yaml"
        contacts.write_text(f"{HUB}: eoi@enigma-hub.example.org\n", encoding="utf-8")
        released = run_bot(env | {"HUB_CONTACTS_FILE": str(contacts)}, "outbox", "retry")
        assert released.returncode == 0, released.stdout + released.stderr
        assert "sent 1 now (released 1 held or failed)" in released.stdout
    finally:
        server.stop()
    (received,) = server.messages
    assert received.rcpt_tos[0] == "eoi@enigma-hub.example.org"
