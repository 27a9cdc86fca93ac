"""The issue's smaller items, one test each: international addresses, references and .eml
files after a database reset, bad bytes on the console, hidden CSV formulas, bounded
session history, and two addresses that differ by one character."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from bot.assistant import Assistant
from bot.export import applications_csv
from bot.flows.validators import validate_email_address
from bot.knowledge.base import Knowledge
from bot.mail.base import Envelope
from bot.mail.compose import Composer
from bot.mail.eml import EmlDirectoryTransport
from bot.session import HISTORY_KEPT, Session
from bot.store.base import SubmittedApplication
from bot.store.sqlite import SqliteStore
from tests._smtp import ANSWERS, parse, submit
from tests.conftest import PYTHON, ROOT, TODAY, Chat


def test_international_addresses_are_deliverable_or_refused_with_a_reason() -> None:
    refused = validate_email_address("jöhn@school.org.uk", {})
    assert refused.value is None and refused.error is not None
    assert "plain letters" in refused.error and "ö" in refused.error
    accepted = validate_email_address("hod@bücher.de", {})
    assert accepted.value == "hod@xn--bcher-kva.de"


async def test_an_international_domain_is_copied_not_dropped(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        composer = Composer(knowledge, mail_from="a@assistant.example.org", hold_placeholders=False)
        assistant = Assistant(knowledge, store, today=lambda: TODAY, compose=composer)
        await submit(assistant, hod_email="hod@bücher.de")
        (entry,) = await store.outbox()
        assert "hod@xn--bcher-kva.de" in entry.recipients
        message = parse(entry.data)
        assert str(message["Reply-To"]).endswith("<hod@xn--bcher-kva.de>")
    finally:
        await store.close()


async def test_references_continue_after_the_database_is_reset(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    data = tmp_path / "var"
    references = []
    for _ in range(2):
        store = await SqliteStore.open(data / "assistant.sqlite3")
        try:
            references.append(await submit(Assistant(knowledge, store, today=lambda: TODAY)))
        finally:
            await store.close()
        backup = tmp_path / f"moved-{len(references)}"
        backup.mkdir()
        for file in data.glob("assistant.sqlite3*"):
            file.rename(backup / file.name)  # the operator moves a broken database away
    assert references[0] != references[1]
    assert references[1].endswith("-0002")


async def test_an_eml_file_is_never_overwritten_by_another_message(tmp_path: Path) -> None:
    transport = EmlDirectoryTransport(tmp_path / "mail")
    first = Envelope("<1@x>", "a@x.org", ("h@x.org",), b"first school\r\n", "EOI-2026-0001")
    second = Envelope("<2@x>", "a@x.org", ("h@x.org",), b"second school\r\n", "EOI-2026-0001")
    await transport.send(first)
    await transport.send(second)
    await transport.send(first)  # a retry of the first: no third file
    files = sorted(p.name for p in (tmp_path / "mail").iterdir())
    assert files == ["EOI-2026-0001-2.eml", "EOI-2026-0001.eml"]
    assert (tmp_path / "mail" / "EOI-2026-0001.eml").read_bytes() == b"first school\r\n"


def test_bytes_that_are_not_utf8_on_the_console_get_a_reply(bot_env: dict[str, str]) -> None:
    proc = subprocess.run(
        [PYTHON, "-m", "bot", "chat", "--jsonl"],
        input=b"caf\xe9 au lait\n\xff\xfe\n/help\n", capture_output=True,
        env=bot_env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert out.count("isn't UTF-8 text") == 2
    assert "/apply" in out  # the next line is handled as usual


def test_formulas_behind_invisible_or_full_width_characters_are_neutralised(
    knowledge: Knowledge,
) -> None:
    tricks = ["\u2060=HYPERLINK(1)", "\ufeff=1+1", "＝1+1", "\u200b\u00a0+1", "＠SUM(1)"]
    app = SubmittedApplication(
        "EOI-2026-0001",
        "u",
        "enigma",
        dt.datetime(2026, 11, 23, tzinfo=dt.UTC),
        dict(ANSWERS) | {f: t for f, t in zip(
            ("school_name", "school_address", "head_name", "hod_name", "teacher1_name"),
            tricks, strict=True,
        )},
    )  # fmt: skip
    text = applications_csv([app], knowledge.flows["eoi"])
    for trick in tricks:
        assert f"'{trick}" in text, trick


def test_a_sessions_history_is_bounded_when_saved() -> None:
    from bot.session import FlowState

    session = Session(active="eoi")
    session.flows["eoi"] = FlowState("eoi", "review", history=["school_urn", "review"] * 2000)
    saved = Session.from_json(session.to_json())
    assert len(saved.flows["eoi"].history) == HISTORY_KEPT
    assert saved.flows["eoi"].history[-1] == "review"


async def test_addresses_differing_by_one_character_are_different_teachers(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        chat = Chat(Assistant(knowledge, store, today=lambda: TODAY))
        await chat.fill_until("teacher1_email")
        await chat.send("a.b@academy.example.org")
        answers = dict(ANSWERS)
        while chat.field != "teacher2_email":
            await chat.send(answers[chat.field or ""])
        await chat.send("A.B@academy.example.org")
        assert chat.field == "teacher2_email" and "same as" in chat.text
        await chat.send("a-b@academy.example.org")
        assert chat.field != "teacher2_email", chat.text
    finally:
        await store.close()
