"""Told when the window opens: /notify, the daily check, email and Telegram notices.

Real parts throughout: a SQLite file, aiosmtpd on loopback, the real python-telegram-bot
Application against the fake Bot API, and a temporary copy of the knowledge base to
which the test adds the next cohort's window, as an operator would.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.assistant import Incoming
from bot.clock import SystemClock
from bot.notify import NoticeMail, queue_due
from bot.notify_command import notify_command
from bot.services import Services, open_services
from bot.settings import Settings
from bot.store.base import NOTICE_RETENTION, SUBSCRIPTION_RETENTION, Store, Subscription
from bot.store.memory import MemoryStore
from bot.store.sqlite import SqliteStore
from tests._smtp import SmtpServer
from tests.conftest import ROOT
from tests.fake_bot_api import FakeBotApi, RunningBot

SIGNED_UP = dt.date(2026, 11, 23)  # Cohort 11 closed on 23 April 2026; nothing dated after
OPENS = dt.date(2026, 12, 15)
WINDOW_ID = "specialist-cohort-12"
TEACHER = "teacher@school.example.org"
USER = 1001
NEXT_WINDOW = f"""
  - id: {WINDOW_ID}
    programme: specialist
    label: Secondary Mastery Specialist Programme, Cohort 12 (2027/28)
    opens: {OPENS.isoformat()}
    closes: 2027-04-22
    source: 002_f21929d7976b199c.txt
"""


def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    if not target.exists():
        shutil.copytree(ROOT / "knowledge", target)
    return target


def add_next_window(knowledge_dir: Path) -> None:
    """What an operator does: the next cohort's dates, added to knowledge/faq.yaml."""
    faq = knowledge_dir / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    assert "\nwindows:\n" in text
    faq.write_text(text.replace("\nwindows:\n", "\nwindows:\n" + NEXT_WINDOW.lstrip("\n"), 1))


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def mail_settings(tmp_path: Path, smtp: SmtpServer, day: dt.date) -> Settings:
    return smtp.settings(tmp_path, today_override=day, knowledge_dir=knowledge_copy(tmp_path))


async def wait_until(predicate: Any, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


async def say(services: Services, user: str, text: str) -> str:
    replies = await services.assistant.handle(Incoming(user, text))
    return "\n".join(r.text for r in replies)


def to_teacher(smtp: SmtpServer) -> list[Any]:
    return [m for m in smtp.messages if TEACHER in m.rcpt_tos]


# -- by email (web chat and terminal) ------------------------------------------------------


async def test_an_email_notice_goes_once_on_the_opening_day_and_never_again(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    services = await open_services(mail_settings(tmp_path, smtp, SIGNED_UP))
    try:
        asked = await say(services, "web:abc", "/notify")
        assert "/notify followed by your email address" in asked
        reply = await say(services, "web:abc", f"/notify {TEACHER}")
        assert "email to teacher@school.example.org" in reply
        assert "not published yet" in reply  # no later window in the sources yet
        assert [s.address for s in await services.store.subscriptions()] == [TEACHER]
    finally:
        await services.close()

    add_next_window(tmp_path / "knowledge")

    # The day before: nothing, however often the check runs.
    services = await open_services(mail_settings(tmp_path, smtp, OPENS - dt.timedelta(days=1)))
    try:
        assert services.notices is not None
        report = await services.notices.check()
        assert report.queued == []
        await asyncio.sleep(0.2)
        assert to_teacher(smtp) == []
        assert len(await services.store.subscriptions()) == 1
    finally:
        await services.close()

    # The opening day: the running service's own check (on start) tells them, once.
    services = await open_services(mail_settings(tmp_path, smtp, OPENS))
    try:
        await wait_until(lambda: len(to_teacher(smtp)) == 1)
        message = to_teacher(smtp)[0].message
        assert "Cohort 12" in str(message["Subject"])
        body = message.get_content()
        assert "15 December 2026" in body and "22 April 2027" in body
        assert services.notices is not None
        assert (await services.notices.check()).queued == []
        assert await services.store.subscriptions() == []  # the request is fulfilled
    finally:
        await services.close()

    # Restarted, that day and the next: not again.
    for day in (OPENS, OPENS + dt.timedelta(days=1)):
        services = await open_services(mail_settings(tmp_path, smtp, day))
        try:
            assert services.notices is not None
            await services.notices.check()
            await asyncio.sleep(0.2)
        finally:
            await services.close()
    assert len(to_teacher(smtp)) == 1


async def test_a_crash_between_queueing_and_sending_sends_on_the_next_start(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    settings = mail_settings(tmp_path, smtp, OPENS)
    add_next_window(knowledge_copy(tmp_path))
    store = await SqliteStore.open(settings.db_path)
    await store.subscribe(
        Subscription(
            "console", "specialist", "email", TEACHER, dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
        )
    )
    # Queued (the notice and its email, in one transaction) and then the process dies
    # before any sender ran.
    from bot.services import current_windows, load_checked_knowledge

    windows = current_windows(settings, load_checked_knowledge(settings))()
    report = await queue_due(store, windows, settings.clock, NoticeMail(settings.mail_from))
    assert [q[0] for q in report.queued] == [WINDOW_ID]
    await store.close()
    assert to_teacher(smtp) == []

    services = await open_services(settings)
    try:
        await wait_until(lambda: len(to_teacher(smtp)) == 1)
    finally:
        await services.close()
    services = await open_services(settings)
    try:
        assert services.notices is not None
        await services.notices.check()
        await asyncio.sleep(0.2)
    finally:
        await services.close()
    assert len(to_teacher(smtp)) == 1


def test_the_operator_command_lists_then_sends(
    tmp_path: Path, smtp: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = mail_settings(tmp_path, smtp, OPENS)
    add_next_window(knowledge_copy(tmp_path))

    async def subscribe() -> None:
        store = await SqliteStore.open(settings.db_path)
        await store.subscribe(
            Subscription(
                "console", "specialist", "email", TEACHER, dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
            )
        )
        await store.close()

    asyncio.run(subscribe())
    assert notify_command(argparse.Namespace(dry_run=True), settings) == 0
    dry = capsys.readouterr().out
    assert "would tell 1 teacher(s)" in dry and "console" in dry
    assert smtp.messages == []
    assert notify_command(argparse.Namespace(dry_run=False), settings) == 0
    out = capsys.readouterr().out
    assert "told 1 teacher(s)" in out and "Emails sent now: 1" in out
    assert len(to_teacher(smtp)) == 1
    assert notify_command(argparse.Namespace(dry_run=False), settings) == 0
    assert "told 0 teacher(s)" in capsys.readouterr().out
    assert len(to_teacher(smtp)) == 1


async def test_a_request_made_while_a_window_is_open_waits_for_the_next(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    add_next_window(knowledge_copy(tmp_path))
    services = await open_services(mail_settings(tmp_path, smtp, OPENS + dt.timedelta(days=3)))
    try:
        reply = await say(services, "console", f"/notify {TEACHER}")
        assert "open now, until 22 April 2027" in reply
        assert services.notices is not None
        assert (await services.notices.check()).queued == []
    finally:
        await services.close()


async def test_refusals_stopping_and_forgetting(tmp_path: Path, smtp: SmtpServer) -> None:
    add_next_window(knowledge_copy(tmp_path))
    services = await open_services(mail_settings(tmp_path, smtp, SIGNED_UP))
    try:
        assert "valid email" in await say(services, "web:x", "/notify not-an-address")
        group = await services.assistant.handle(Incoming("tg:-100:5", "/notify", private=False))
        assert "private chat" in group[0].text
        assert await services.store.subscriptions() == []
        reply = await say(services, "web:x", f"/notify {TEACHER}")
        assert "on 15 December 2026" in reply
        assert "won't tell you" in await say(services, "web:x", "/notify off")
        assert await services.store.subscriptions() == []
        assert "nothing to stop" in await say(services, "web:x", "/notify off")
        await say(services, "web:x", f"/notify {TEACHER}")
        await say(services, "web:x", "/forget")
        assert await services.store.subscriptions() == []
    finally:
        await services.close()


# -- the store's contract, the same for both stores ----------------------------------------


@pytest.fixture(params=["sqlite", "memory"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    clock = SystemClock(SIGNED_UP)
    if request.param == "memory":
        yield MemoryStore(clock)
        return
    store = await SqliteStore.open(tmp_path / "assistant.sqlite3", clock=clock)
    yield store
    await store.close()


def _sub(user: str, at: dt.datetime, channel: str = "telegram") -> Subscription:
    return Subscription(user, "specialist", channel, user.removeprefix("tg:"), at)


async def test_store_queues_one_notice_per_window_and_teacher(any_store: Store) -> None:
    at = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    await any_store.subscribe(_sub("tg:1", at))
    await any_store.subscribe(_sub("tg:2", at))
    assert await any_store.queue_notice(_sub("tg:1", at), WINDOW_ID, "open", None)
    # Asked again after being told: the same window is never told twice.
    await any_store.subscribe(_sub("tg:1", at + dt.timedelta(days=1)))
    assert not await any_store.queue_notice(
        _sub("tg:1", at + dt.timedelta(days=1)), WINDOW_ID, "open", None
    )
    assert [n.user_id for n in await any_store.notices()] == ["tg:1"]
    assert [s.user_id for s in await any_store.subscriptions()] == ["tg:2"]
    notice = (await any_store.notices(statuses=("pending",), channel="telegram"))[0]
    await any_store.mark_notice(notice.id, "sent", at)
    assert (await any_store.notices())[0].status == "sent"
    await any_store.forget("tg:1")
    assert await any_store.notices() == []


async def test_retention_purges_requests_and_notices(any_store: Store) -> None:
    at = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    await any_store.subscribe(_sub("tg:1", at))
    await any_store.subscribe(_sub("tg:2", at - dt.timedelta(days=200)))
    await any_store.queue_notice(_sub("tg:2", at - dt.timedelta(days=200)), WINDOW_ID, "x", None)
    assert await any_store.purge(at + NOTICE_RETENTION + dt.timedelta(days=1)) == 1
    assert [s.user_id for s in await any_store.subscriptions()] == ["tg:1"]
    assert await any_store.purge(at + SUBSCRIPTION_RETENTION + dt.timedelta(days=1)) == 1
    assert await any_store.subscriptions() == []


# -- by Telegram ---------------------------------------------------------------------------


def tg_settings(tmp_path: Path, api: FakeBotApi, day: dt.date) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        telegram_token=api.token,
        telegram_api_url=api.api_url,
        today_override=day,
        shutdown_grace_seconds=2.0,
        knowledge_dir=knowledge_copy(tmp_path),
    )


def notices_to(api: FakeBotApi, chat: int) -> list[str]:
    return [
        c.plain_text or ""
        for c in api.sent_to(chat)
        if "Applications are now open" in (c.plain_text or "")
    ]


async def test_a_telegram_notice_is_sent_once_on_the_opening_day(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        async with RunningBot(api, tg_settings(tmp_path, api, SIGNED_UP)) as bot:
            reply = await bot.say(USER, "/notify")
            assert "here in Telegram" in (reply[0].plain_text or "")
        add_next_window(tmp_path / "knowledge")

        async with RunningBot(api, tg_settings(tmp_path, api, OPENS - dt.timedelta(days=1))) as bot:
            await bot.services.notices.check()
        assert notices_to(api, USER) == []

        async with RunningBot(api, tg_settings(tmp_path, api, OPENS)) as bot:
            await api.wait_for(lambda: len(notices_to(api, USER)) == 1)
            await bot.services.notices.check()
        assert "Cohort 12" in notices_to(api, USER)[0]

        async with RunningBot(api, tg_settings(tmp_path, api, OPENS)) as bot:
            await bot.services.notices.check()
            await asyncio.sleep(0.2)
        assert len(notices_to(api, USER)) == 1


async def test_telegram_after_a_crash_pending_goes_and_sending_is_never_repeated(
    tmp_path: Path,
) -> None:
    settings_day = OPENS
    async with FakeBotApi() as api:
        settings = tg_settings(tmp_path, api, settings_day)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await SqliteStore.open(settings.db_path)
        at = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
        # 1001: queued, then the process died before sending.  1002: the process died
        # during the Bot API call, so Telegram may have shown it.  1003: the chat is gone
        # (Telegram refuses for good).
        api.chat_for(USER)
        api.chat_for(USER + 1)
        for user in (USER, USER + 1, USER + 2):
            await store.queue_notice(
                _sub(f"tg:{user}", at), WINDOW_ID, "Applications are now open (test)", None
            )
        sending = (await store.notices(channel="telegram"))[1]
        await store.mark_notice(sending.id, "sending")
        await store.close()

        async with RunningBot(api, settings) as bot:
            await api.wait_for(lambda: len(notices_to(api, USER)) == 1)
            await bot.services.notices.check()
            statuses = {n.user_id: n.status for n in await bot.services.store.notices()}
        assert statuses == {
            f"tg:{USER}": "sent",
            f"tg:{USER + 1}": "unconfirmed",
            f"tg:{USER + 2}": "failed",
        }
        assert notices_to(api, USER + 1) == []
        assert len(notices_to(api, USER)) == 1


# -- a form's yes/no question (the notify_when_open role) ----------------------------------

INTEREST = """\
id: interest
title: Specialist Programme interest (test)
short_name: interest registration
private: true
steps:
  - field: contact_name
    section: You
    label: Your name
    validator: name
    prompt: What is your name?
  - field: contact_email
    section: You
    label: Your email
    validator: email
    prompt: What is your email address?
  - field: town
    section: You
    label: School's town
    validator: text
    params: {what: town, max_chars: 80}
    prompt: Which town is your school in?
  - field: chosen_hub
    type: hub
    section: You
    label: Maths Hub
    params: {from: town}
    prompt: Which Maths Hub?
  - field: tell_me
    type: choice
    section: You
    label: Tell me when applications open
    prompt: Shall I tell you when applications open?
    options: [{label: "Yes please", value: "yes"}, {label: "No thanks", value: "no"}]
  - field: review
    type: review
submission:
  reference_prefix: INT
  hub: chosen_hub
  title: contact_name
  subject: "Interest: {contact_name} ({reference})"
  heading: Specialist Programme interest
  reply_to: {name: contact_name, email: contact_email}
  confirmation: "Registered. Reference: {reference}."
  notify_when_open: {field: tell_me, email: contact_email}
"""


def interest_flows(tmp_path: Path, text: str = INTEREST) -> Path:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    (flows / "interest.yaml").write_text(text, encoding="utf-8")
    return flows


async def fill_interest(services: Services, user: str, tell_me: str) -> str:
    for text in ("/apply interest", "Robin Example", TEACHER, "Milton Keynes", "1", tell_me):
        await say(services, user, text)
    return await say(services, user, "Submit application")


async def test_a_forms_yes_asks_to_be_told_and_no_does_not(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    flows = interest_flows(tmp_path)
    settings = smtp.settings(
        tmp_path, today_override=SIGNED_UP, knowledge_dir=knowledge_copy(tmp_path), flows_dir=flows
    )
    services = await open_services(settings)
    try:
        said = await fill_interest(services, "web:yes", "Yes please")
        assert "Reference: INT-" in said
        assert f"by email to {TEACHER}" in said
        said = await fill_interest(services, "web:no", "No thanks")
        assert "Reference: INT-" in said and "tell you" not in said
        assert [
            (s.user_id, s.channel, s.address) for s in await services.store.subscriptions()
        ] == [("web:yes", "email", TEACHER)]
    finally:
        await services.close()
    add_next_window(tmp_path / "knowledge")
    settings = smtp.settings(
        tmp_path, today_override=OPENS, knowledge_dir=tmp_path / "knowledge", flows_dir=flows
    )
    services = await open_services(settings)
    try:
        await wait_until(
            lambda: any(
                "Applications are open" in str(m.message["Subject"]) for m in to_teacher(smtp)
            )
        )
    finally:
        await services.close()


def test_check_refuses_a_notify_role_that_names_no_yes_no_field(tmp_path: Path) -> None:
    from bot.exceptions import KnowledgeError
    from bot.flows.loading import load_flows

    flows = interest_flows(tmp_path, INTEREST.replace("{field: tell_me,", "{field: contact_name,"))
    with pytest.raises(KnowledgeError) as caught:
        load_flows(flows)
    line = next(
        n
        for n, text in enumerate(INTEREST.splitlines(), 1)
        if text.startswith("  notify_when_open")
    )
    assert any(
        p.startswith(f"{flows / 'interest.yaml'}:{line}:") and "notify_when_open.field" in p
        for p in caught.value.problems
    ), caught.value.problems


# -- the web chat over HTTP ------------------------------------------------------------------


async def test_a_web_visitor_asks_by_email_is_told_and_forget_erases(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    from aiohttp import DummyCookieJar
    from aiohttp.test_utils import TestClient, TestServer

    from bot.channels.web.server import create_app
    from tests.test_web_http import Browser

    services = await open_services(mail_settings(tmp_path, smtp, SIGNED_UP))
    server = TestServer(create_app(services.assistant, services.store))
    client: TestClient[Any, Any] = TestClient(server, cookie_jar=DummyCookieJar())
    await client.start_server()
    try:
        browser = Browser(client)
        await browser.history()
        said = " ".join(
            m["text"] for m in await browser.say(f"/notify {TEACHER}") if m["role"] == "assistant"
        )
        assert f"email to {TEACHER}" in said
        [request] = await services.store.subscriptions()
        assert request.channel == "email" and not request.user_id.startswith("tg:")
        await browser.say("/forget")
        assert await services.store.subscriptions() == []
        await browser.say(f"/notify {TEACHER}")
    finally:
        await client.close()
        await services.close()
    add_next_window(tmp_path / "knowledge")
    services = await open_services(mail_settings(tmp_path, smtp, OPENS))
    try:
        await wait_until(lambda: len(to_teacher(smtp)) == 1)
    finally:
        await services.close()


def test_python_m_bot_notify_as_cron_runs_it(bot_env: dict[str, str], tmp_path: Path) -> None:
    from tests.conftest import run_bot

    knowledge = knowledge_copy(tmp_path)
    add_next_window(knowledge)
    data = tmp_path / "var"
    data.mkdir(parents=True, exist_ok=True)

    async def requests() -> None:
        store = await SqliteStore.open(data / "assistant.sqlite3")
        at = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
        await store.subscribe(Subscription("console", "specialist", "email", TEACHER, at))
        await store.subscribe(_sub("tg:1001", at))
        await store.queue_notice(_sub("tg:1002", at), "specialist-cohort-11", "x", None)
        notice = (await store.notices())[0]
        await store.mark_notice(notice.id, "unconfirmed", error="the process stopped")
        await store.close()

    asyncio.run(requests())
    env = bot_env | {"BOT_KNOWLEDGE_DIR": str(knowledge), "BOT_TODAY": OPENS.isoformat()}
    before = run_bot(env | {"BOT_TODAY": (OPENS - dt.timedelta(days=1)).isoformat()}, "notify")
    assert before.returncode == 0, before.stderr
    assert "told 0 teacher(s)" in before.stdout
    dry = run_bot(env, "notify", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would tell 2 teacher(s)" in dry.stdout and not list((data / "mail").glob("*.eml"))
    done = run_bot(env, "notify")
    assert done.returncode == 0, done.stderr
    assert "told 2 teacher(s)" in done.stdout and "Emails sent now: 1" in done.stdout
    assert "waiting for the running bot (`python -m bot run`): 1" in done.stdout
    assert "not confirmed: specialist-cohort-11  tg:1002  unconfirmed" in done.stdout
    [eml] = list((data / "mail").glob("*.eml"))
    assert TEACHER in eml.read_text(encoding="utf-8")
    again = run_bot(env, "notify")
    assert "told 0 teacher(s)" in again.stdout and len(list((data / "mail").glob("*.eml"))) == 1


async def test_a_notice_that_cannot_be_sent_at_all_is_failed_not_left_sending() -> None:
    from bot.notify import deliver_telegram

    store = MemoryStore(SystemClock(OPENS))
    at = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    await store.queue_notice(_sub("tg:1", at), WINDOW_ID, "open", None)

    async def broken(chat_id: str, text: str) -> None:
        raise ValueError("not a chat id")

    report = await deliver_telegram(store, broken, SystemClock(OPENS))
    assert report.failed == 1
    [notice] = await store.notices()
    assert notice.status == "failed" and "not a chat id" in (notice.error or "")


def test_a_forms_request_is_for_the_programme_of_the_forms_window() -> None:
    from bot.conversation.notify_requests import requested_in_form

    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    by_email = requested_in_form(
        user_id="web:w", programme="workgroups", private=True, answer="yes", email=TEACHER, now=at
    )
    in_telegram = requested_in_form(
        user_id="tg:42", programme="workgroups", private=True, answer="yes", email=None, now=at
    )
    assert by_email is not None and by_email.programme == "workgroups"
    assert in_telegram is not None and in_telegram.programme == "workgroups"
