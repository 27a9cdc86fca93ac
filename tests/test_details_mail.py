"""Issue 13 item 6: honest status in every mode, through ``python -m bot chat --jsonl``.

With no mail server set, an application becomes an ``.eml`` file that has not reached
anyone: the applicant is told it is saved and will reach the hub once the operator sends
it, ``/status`` says the same, no placeholder address is ever shown, and the operator sees
the message as held.  Once the operator sets SMTP and a real address, ``outbox retry``
sends it, and ``/status`` then says it was delivered.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests._smtp import ANSWERS, HUB, SmtpServer
from tests.conftest import run_bot


def _chat(env: dict[str, str], lines: list[str]) -> list[str]:
    proc = run_bot(env, "chat", "--jsonl", "--user", "office", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line).get("text", "") for line in proc.stdout.splitlines()]


def test_default_mode_never_says_emailed_and_the_operator_sees_held(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    lines = ["/hub Milton Keynes", "/apply eoi", *[v for _, v in ANSWERS], "submit", "/status"]
    texts = _chat(bot_env, lines)
    everything = "\n".join(texts)
    assert "hubs.example" not in everything  # no placeholder address, anywhere
    confirmation = next(t for t in texts if "Reference: EOI-2026-0001" in t)
    assert "has not been emailed yet" in confirmation
    assert "once this service's operator sends it" in confirmation
    assert "being emailed" not in everything and "delivered to the hub" not in everything
    status = next(t for t in texts if t.startswith("EOI-2026-0001 ("))
    assert "not yet sent to the hub" in status

    listed = run_bot(bot_env, "outbox")
    assert "EOI-2026-0001   held" in listed.stdout and "SMTP_HOST" in listed.stdout

    # The operator sets a mail server and the hub's real address, and sends it.
    server = SmtpServer()
    contacts = tmp_path / "contacts.yaml"
    contacts.write_text(f"{HUB}: eoi@enigma-hub.example.org\n", encoding="utf-8")
    smtp = bot_env | {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(server.port),
        "HUB_CONTACTS_FILE": str(contacts),
        "MAIL_FROM": "Assistant <assistant@assistant.example.org>",
    }
    server.start()
    try:
        sent = run_bot(smtp, "outbox", "retry")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "sent 1 now" in sent.stdout
    finally:
        server.stop()
    (received,) = server.messages
    assert received.rcpt_tos[0] == "eoi@enigma-hub.example.org"
    after = _chat(smtp, ["/status"])
    assert any("delivered to the hub's mail server" in t for t in after), after


def test_smtp_with_a_placeholder_hub_tells_the_applicant_it_is_held(
    bot_env: dict[str, str],
) -> None:
    server = SmtpServer()
    env = bot_env | {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(server.port),
        "MAIL_FROM": "Assistant <assistant@assistant.example.org>",
    }
    server.start()
    try:
        texts = _chat(env, ["/apply eoi", *[v for _, v in ANSWERS], "submit", "/status"])
    finally:
        server.stop()
    assert server.messages == []
    confirmation = next(t for t in texts if "Reference: EOI-2026-0001" in t)
    assert "has not been emailed yet" in confirmation
    assert "not yet sent to the hub" in texts[-2] + texts[-1]
    assert "hubs.example" not in "\n".join(texts)
