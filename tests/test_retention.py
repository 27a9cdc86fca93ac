"""Retention that runs and /forget that forgets: real SQLite files, real services."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import time
from pathlib import Path

from bot.assistant import Assistant, Incoming
from bot.knowledge.base import Knowledge
from bot.services import open_services
from bot.store.base import (
    APPLICATION_RETENTION,
    DRAFT_RETENTION,
    SUBSCRIPTION_RETENTION,
    UNANSWERED_PER_USER,
    UNANSWERED_RETENTION,
    utcnow,
)
from bot.store.sqlite import SqliteStore
from tests._smtp import mail_settings, submit
from tests.conftest import TODAY, Chat, run_bot

SECRET = "Zanzibar-7731 is my personal phone number, call me"


def backdate(db: Path, sql: str, days: int, now: dt.datetime | None = None) -> None:
    """Move stored times into the past, as if that many days had gone by since ``now``."""
    when = ((now or utcnow()) - dt.timedelta(days=days)).isoformat()
    with sqlite3.connect(db) as conn:
        conn.execute(sql, (when,))
    conn.close()


async def test_forget_deletes_unanswered_questions_and_leaves_no_copy_on_disk(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    path = tmp_path / "db.sqlite3"
    store = await SqliteStore.open(path)
    try:
        assistant = Assistant(knowledge, store, today=lambda: TODAY)
        await assistant.handle(Incoming("u1", SECRET))
        await assistant.handle(Incoming("u2", "Is there a zorblax quiffle discount?"))
        assert len(await store.unanswered()) == 2
        reply = await assistant.handle(Incoming("u1", "/forget"))
        assert "the questions you asked me" in reply[0].text
        assert [q.question for q in await store.unanswered()] == [
            "Is there a zorblax quiffle discount?"
        ]
        # Neither the database file nor its WAL still holds the forgotten words.
        for name in os.listdir(tmp_path):
            with open(tmp_path / name, "rb") as handle:  # noqa: ASYNC230 - a test's own file
                assert b"Zanzibar-7731" not in handle.read(), name
    finally:
        await store.close()


async def test_one_persons_unanswered_questions_are_bounded(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        for n in range(UNANSWERED_PER_USER * 3):
            await store.record_unanswered(f"zorblax {n}?", 1, user_id="flood")
        await store.record_unanswered("someone else's?", 1, user_id="other")
        rows = await store.unanswered(1000)
        assert len(rows) == UNANSWERED_PER_USER + 1
        assert rows[1].question == f"zorblax {UNANSWERED_PER_USER * 3 - 1}?"
    finally:
        await store.close()


async def test_status_and_cancel_do_not_extend_a_drafts_life(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    path = tmp_path / "db.sqlite3"
    store = await SqliteStore.open(path)
    try:
        chat = Chat(Assistant(knowledge, store, today=lambda: TODAY))
        await chat.fill_until("school_phone")
        days = DRAFT_RETENTION.days + 1
        backdate(path, "UPDATE sessions SET answered_at = ?, updated_at = answered_at", days)
        for command in ("/status", "/cancel", "/status"):
            await chat.send(command)  # written now, but not an answer
        assert await store.purge(utcnow()) == 1
        assert await store.load_session("u1") is None
        # An answer does move the clock.
        await chat.fill_until("school_phone")
        await chat.send("0113 496 0000")
        backdate(path, "UPDATE sessions SET updated_at = ?", days)
        assert await store.purge(utcnow()) == 0
    finally:
        await store.close()


async def test_a_running_service_purges_on_schedule_including_eml_files(tmp_path: Path) -> None:
    settings = mail_settings(tmp_path, purge_interval_seconds=0.2)
    services = await open_services(settings)
    try:
        reference = await submit(services.assistant)
        deadline = time.monotonic() + 5
        eml = settings.mail_dir / f"{reference}.eml"
        while not eml.exists():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await services.store.record_unanswered("old question?", 1, user_id="u9")
        old = APPLICATION_RETENTION.days + 5
        # Rows are judged by the service's clock (a fixed test day, not the machine's).
        now = settings.clock.now()
        backdate(settings.db_path, "UPDATE applications SET submitted_at = ?", old, now)
        backdate(settings.db_path, "UPDATE outbox SET created_at = ?", old, now)
        backdate(
            settings.db_path,
            "UPDATE unanswered SET asked_at = ?",
            UNANSWERED_RETENTION.days + 1,
            now,
        )
        past = time.time() - old * 86400
        os.utime(eml, (past, past))
        # A pass may fall between two of the backdatings above and take only part of
        # them; the next pass must take the rest, so wait for everything to be gone.
        while (
            eml.exists()
            or await services.store.applications()
            or await services.store.outbox()
            or await services.store.unanswered()
        ):
            assert time.monotonic() < deadline, "the scheduled purge never removed everything"
            await asyncio.sleep(0.05)
    finally:
        await services.close()


def test_outbox_retry_never_sends_an_application_past_its_retention(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    settings = mail_settings(tmp_path)

    async def queue_old() -> None:
        store = await SqliteStore.open(settings.db_path)
        try:
            from bot.knowledge.base import load_knowledge
            from bot.mail.compose import Composer
            from tests._smtp import ROOT

            knowledge = load_knowledge(ROOT / "knowledge", ROOT / "flows")
            composer = Composer(
                knowledge, mail_from="a@assistant.example.org", hold_placeholders=False
            )
            assistant = Assistant(knowledge, store, today=lambda: TODAY, compose=composer)
            await submit(assistant)
        finally:
            await store.close()

    asyncio.run(queue_old())
    old = APPLICATION_RETENTION.days + 35
    backdate(settings.db_path, "UPDATE applications SET submitted_at = ?", old)
    backdate(settings.db_path, "UPDATE outbox SET created_at = ?", old)
    env = bot_env | {"BOT_DATA_DIR": str(settings.data_dir)}
    retried = run_bot(env, "outbox", "retry")
    assert retried.returncode == 0, retried.stderr
    assert "sent 0 now" in retried.stdout and "0 not delivered" in retried.stdout
    assert not list(settings.mail_dir.glob("*.eml"))
    listed = run_bot(env, "outbox")
    assert "The outbox is empty" in listed.stdout


def test_the_privacy_notice_states_the_periods_the_code_keeps(knowledge: Knowledge) -> None:
    from bot.store.memory import MemoryStore

    notice = Assistant(knowledge, MemoryStore(), today=lambda: TODAY).privacy_notice()
    assert f"{DRAFT_RETENTION.days} days after your last answer" in notice
    assert APPLICATION_RETENTION.days == 365 and "12 months after you submit" in notice
    assert f"question I couldn't answer for {UNANSWERED_RETENTION.days} days" in notice
    for place in ("database", "email file", "Telegram's own chat history", "copied in"):
        assert place in notice
    assert "/forget" in notice and "questions you asked me" in notice
    assert SUBSCRIPTION_RETENTION.days == 365 and "told when applications open" in notice
    assert "until you are told, and at most 12 months" in notice
