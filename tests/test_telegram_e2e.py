"""End to end: the real python-telegram-bot Application polling a fake Bot API over HTTP.

Nothing of ours is mocked: each test runs bot.channels.telegram's Application with the
real assistant and a real SQLite file in its own data dir, against tests/fake_bot_api.py
on loopback, and asserts on the HTTP calls the bot made.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.ext import AIORateLimiter

from bot.conversation.commands import COMMANDS
from bot.settings import Settings
from tests.fake_bot_api import BOT_USERNAME, Call, FakeBotApi, RunningBot

TODAY = dt.date(2026, 11, 23)
USER = 1001
STAFF = 9001
HUB_STAFF = 9002
GROUP = -100500
STATEMENT = " ".join(
    ["Our department wants to develop <b>teaching for mastery</b> & <i>fluency</i> so that"]
    + ["every pupil builds a deep and connected understanding of mathematics."] * 3
)
SCHOOL = "Bad & Co Academy"  # names refuse < and >; the statement carries the tags


def make_settings(tmp_path: Path, api: FakeBotApi, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "telegram_token": api.token,
        "telegram_api_url": api.api_url,
        "today_override": TODAY,
        "shutdown_grace_seconds": 2.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, api, staff={STAFF: None, HUB_STAFF: "enigma"})
    async with RunningBot(api, settings) as running:
        yield running


def texts(calls: list[Call]) -> str:
    return "\n".join(c.plain_text or "" for c in calls)


async def fill_eoi(bot: RunningBot, user: int = USER, *, school: str = SCHOOL) -> list[Call]:
    """The whole Expression of Interest through Telegram, by buttons where offered."""
    sent = await bot.say(user, "/apply eoi")
    assert "Question 1 —" in texts(sent)
    sent = await bot.press(user, sent[-1], "I agree")
    for number, answer in enumerate(
        (
            school,
            "1 Example Road, Milton Keynes MK9 1AA",
            "123456",
            "0113 496 0000",
            "Jane Head",
            "head@school.org.uk",
            "Harry Hod",
            "hod@school.org.uk",
        ),
        start=3,
    ):
        sent = await bot.say(user, answer)
        assert f"Question {number} —" in texts(sent), texts(sent)
    assert "Which Maths Hub" in texts(sent)
    sent = await bot.press(user, sent[-1], "Enigma Maths Hub")
    for number, answer in enumerate(
        (
            "Ann One",
            "ann@school.org.uk",
            "annone",
            "7-9",
            "Teacher of mathematics",
            "Bob Two",
            "bob@school.org.uk",
            "bobtwo",
            "Y10, Y11",
            "Teacher of mathematics",
        ),
        start=12,
    ):
        sent = await bot.say(user, answer)
        assert f"Question {number} —" in texts(sent), texts(sent)
    assert "Has your school worked with" in texts(sent)
    sent = await bot.press(user, sent[-1], "No")
    sent = await bot.say(user, STATEMENT)
    assert "commitments" in texts(sent)
    sent = await bot.press(user, sent[-1], "I confirm")
    sent = await bot.say(user, "Morgan Example")
    sent = await bot.say(user, "School business manager")
    assert "Please check your Work Group Expression of Interest" in texts(sent)
    return sent


# -- basics ---------------------------------------------------------------------------------


async def test_start_shows_the_menu_as_buttons_and_commands_are_registered(
    bot: RunningBot, api: FakeBotApi
) -> None:
    sent = await bot.say(USER, "/start")
    assert len(sent) == 1
    assert sent[0].params["parse_mode"] == "HTML"
    assert "Hello!" in (sent[0].plain_text or "")
    labels = [label for label, _ in sent[0].buttons]
    assert labels == [
        "Ask a question",
        "Am I eligible?",
        "Find my Maths Hub",
        "Apply for a Work Group",
        "Specialist Programme interest",
    ]
    registered = api.called("setMyCommands")[0].params["commands"]
    assert [c["command"] for c in registered] == [name for name, _ in COMMANDS]
    assert all(len(data.encode()) <= 64 for _, data in sent[0].buttons)


async def test_a_question_is_answered_from_the_knowledge_base(bot: RunningBot) -> None:
    sent = await bot.say(USER, "How much release time do the teachers get?")
    assert "release" in texts(sent).lower()
    assert "10" in texts(sent)


async def test_menu_buttons_work_and_every_callback_is_answered_once(
    bot: RunningBot, api: FakeBotApi
) -> None:
    menu = await bot.say(USER, "/start")
    sent = await bot.press(USER, menu[0], "Find my Maths Hub")
    assert "postcode" in texts(sent).lower() or "town" in texts(sent).lower()
    queries = [c.params["callback_query_id"] for c in api.called("answerCallbackQuery")]
    assert len(queries) == 1 == len(set(queries))
    # The pressed message lost its keyboard.
    edit = api.called("editMessageReplyMarkup")[-1]
    assert int(edit.params["message_id"]) == menu[0].params["_result"]["message_id"]
    assert not edit.params.get("reply_markup")


async def test_shared_location_finds_the_nearest_hub(bot: RunningBot, api: FakeBotApi) -> None:
    sent = await bot.deliver(api.location(USER, 52.02, -0.80), USER)  # Milton Keynes
    assert "nearest" in texts(sent)
    assert "Maths Hub" in texts(sent)


# -- the Expression of Interest ---------------------------------------------------------------


async def test_whole_eoi_through_telegram_is_stored_with_its_email(
    bot: RunningBot, api: FakeBotApi, tmp_path: Path
) -> None:
    review = await fill_eoi(bot)
    # Applicant text arrives escaped: the fake server parsed the HTML and showed it literally.
    assert SCHOOL in texts(review) and "<b>teaching for mastery</b> & <i>fluency</i>" in texts(
        review
    )
    assert "Bad &amp; Co" in review[-1].params["text"]
    assert "&lt;b&gt;teaching for mastery&lt;/b&gt; &amp; &lt;i&gt;" in review[-1].params["text"]
    sent = await bot.press(USER, review[-1], "Submit application")
    assert "Reference: EOI-2026-" in texts(sent)
    apps = await bot.services.store.applications(user_id=f"tg:{USER}")
    assert len(apps) == 1
    assert apps[0].answers["school_name"] == SCHOOL
    assert apps[0].answers["teacher2_year_groups"] == "Year 10, Year 11"
    assert apps[0].hub_id == "enigma"
    outbox = await bot.services.store.outbox()
    assert [entry.reference for entry in outbox] == [apps[0].reference]
    # Every callback was answered exactly once; no request was refused.
    assert all(count == 1 for count in api.answered.values())
    assert len(api.answered) == len(api.called("answerCallbackQuery")) == 5
    assert not [
        c for c in api.calls if "_error" in c.params and c.method != "editMessageReplyMarkup"
    ]
    await bot.stop()  # the sender delivers (or leaves pending) before close
    (eml,) = (tmp_path / "data" / "mail").glob("*.eml")  # no SMTP server set: one .eml file
    assert apps[0].reference in eml.read_text(encoding="utf-8")


async def test_sticker_and_photo_mid_form_keep_the_step(bot: RunningBot, api: FakeBotApi) -> None:
    sent = await bot.say(USER, "/apply eoi")
    await bot.press(USER, sent[-1], "I agree")
    sent = await bot.deliver(api.sticker(USER), USER)
    assert "sticker" in texts(sent)
    assert "Question 2 —" in texts(sent)
    sent = await bot.deliver(api.photo(USER), USER)
    assert "photo" in texts(sent) and "Question 2 —" in texts(sent)
    sent = await bot.say(USER, "Example Academy")
    assert "Question 3 —" in texts(sent)


async def test_stale_buttons_change_nothing(bot: RunningBot, api: FakeBotApi) -> None:
    menu = await bot.say(USER, "/start")
    consent = await bot.say(USER, "/apply eoi")
    await bot.press(USER, consent[-1], "I agree")
    await bot.say(USER, "Example Academy")
    # The consent button again: an earlier question.
    sent = await bot.press(USER, consent[-1], "No, stop here")
    assert "earlier question" in texts(sent)
    assert "Question 3 —" in texts(sent)
    # A menu button mid-form is stale too; it must not be taken as the address.
    sent = await bot.press(USER, menu[0], "Ask a question")
    assert "earlier question" in texts(sent) and "Question 3 —" in texts(sent)
    # Data nobody can vouch for (a long value's hash from another process).
    sent = await bot.deliver(api.press(USER, consent[-1], "#" + "0" * 32), USER)
    assert "earlier question" in texts(sent)
    session = await bot.services.store.load_session(f"tg:{USER}")
    state = session.current()
    assert state.step == "school_address"
    assert state.answers["privacy_consent"] == "yes"
    assert "school_address" not in state.answers
    assert all(count == 1 for count in api.answered.values())


async def test_a_button_from_before_a_restart(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, api)
    async with RunningBot(api, settings) as first:
        consent = await first.say(USER, "/apply eoi")
        menu = await first.say(USER, "/start")
    async with RunningBot(api, settings) as second:
        # Self-describing data: the consent button still answers the consent question.
        sent = await second.say(USER, "/resume")
        assert "Question 1 —" in texts(sent)
        sent = await second.press(USER, consent[-1], "I agree")
        assert "Question 2 —" in texts(sent)
        # The menu from before the restart is no longer what was offered last.
        sent = await second.press(USER, menu[0], "Am I eligible?")
        assert "earlier question" in texts(sent) and "Question 2 —" in texts(sent)


async def test_a_redelivered_update_is_answered_once(bot: RunningBot, api: FakeBotApi) -> None:
    consent = await bot.say(USER, "/apply eoi")
    await bot.press(USER, consent[-1], "I agree")
    update_id = api.text(USER, "Example Academy")
    first = await bot.deliver(update_id, USER)
    assert "Question 3 —" in texts(first)
    # Telegram delivers it again (the confirmation was lost): no second answer.
    api.redeliver(update_id)
    await api.wait_redelivered()
    await asyncio.wait_for(bot.app.update_queue.join(), 5)
    sent = await bot.say(USER, "1 Example Road, Milton Keynes MK9 1AA")
    assert "Question 4 —" in texts(sent)
    replies_to_name = [c for c in api.sent_to(USER) if "Question 3 —" in (c.plain_text or "")]
    assert len(replies_to_name) == 1


async def test_messages_from_one_chat_are_handled_in_order(
    bot: RunningBot, api: FakeBotApi
) -> None:
    consent = await bot.say(USER, "/apply eoi")
    await bot.press(USER, consent[-1], "I agree")
    answers = [
        "Example Academy",
        "1 Example Road, Milton Keynes MK9 1AA",
        "123456",
        "01134960000",
    ]
    ids = [api.text(USER, a) for a in answers]
    other = api.text(USER + 1, "/start")
    await bot.settle(max(*ids, other))
    questions = [
        c.plain_text.split("\n")[0]
        for c in api.sent_to(USER)
        if c.plain_text and c.plain_text.split("\n")[-3:] and "more after this" in c.plain_text
    ]
    assert [q.split(" (")[0] for q in questions if q.startswith(("Question", "Saved"))][-4:] == [
        "Question 3 — School details",
        "Question 4 — School details",
        "Question 5 — School details",
        "Saved as: 0113 496 0000",
    ]
    assert api.sent_to(USER + 1)


# -- groups ----------------------------------------------------------------------------------------


async def test_group_answers_questions_but_takes_no_application(
    bot: RunningBot, api: FakeBotApi
) -> None:
    sent = await bot.say(USER, f"/apply@{BOT_USERNAME}", chat=GROUP)
    assert "private chat" in texts(sent)
    assert sent[0].params["reply_parameters"]["message_id"]
    sent = await bot.say(
        USER, f"@{BOT_USERNAME} how much release time do teachers get?", chat=GROUP
    )
    assert "release" in texts(sent).lower()
    # Chatter not meant for the bot, a command for another bot, a member joining: silence.
    assert await bot.say(USER, "see you all tomorrow", chat=GROUP) == []
    assert await bot.say(USER, "/start@SomeOtherBot", chat=GROUP) == []
    assert await bot.deliver(api.service_message(USER + 5, chat=GROUP), GROUP) == []
    assert await bot.deliver(api.sticker(USER, chat=GROUP), GROUP) == []
    # Two people in the group have separate conversations.
    first = await bot.say(USER, "/eligibility", chat=GROUP)
    second = await bot.say(USER + 1, "/eligibility", chat=GROUP)
    assert first[-1].buttons and second[-1].buttons
    pressed = await bot.press(USER + 1, first[-1], first[-1].buttons[0][0], chat=GROUP)
    # USER+1 pressing USER's button answers USER+1's own (same) question, not USER's.
    session = await bot.services.store.load_session(f"tg:{GROUP}:{USER}")
    assert session.current() is not None and not session.current().answers
    assert pressed
    # Personal data never stored from a group.
    assert await bot.services.store.load_session(f"tg:{USER}") is None


# -- staff -----------------------------------------------------------------------------------------


async def test_staff_export_sends_a_csv_and_others_get_the_ordinary_reply(
    bot: RunningBot, api: FakeBotApi
) -> None:
    review = await fill_eoi(bot)
    await bot.press(USER, review[-1], "Submit application")
    # Not staff: the ordinary unknown-command reply, no document.
    sent = await bot.say(USER, "/export")
    assert "I don't know the command /export" in texts(sent)
    sent = await bot.say(USER, "/stats")
    assert "I don't know the command /stats" in texts(sent)
    assert not api.called("sendDocument")
    # Staff for every hub.
    sent = await bot.say(STAFF, "/export")
    assert [c.method for c in sent] == ["sendDocument"]
    name, data = sent[0].files["document"]
    assert name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["school_name"] == SCHOOL and rows[0]["reference"].startswith("EOI-2026-")
    # Staff tied to the hub the application went to; and to another hub's data: refused.
    sent = await bot.say(HUB_STAFF, "/export")
    assert [c.method for c in sent] == ["sendDocument"]
    sent = await bot.say(HUB_STAFF, "/export some-other-hub")
    assert "enigma only" in texts(sent) and sent[0].method == "sendMessage"
    # Staff commands are refused in a group, where others would see the data.
    sent = await bot.say(STAFF, "/export", chat=GROUP)
    assert "private chat" in texts(sent) and all(c.method == "sendMessage" for c in sent)
    sent = await bot.say(STAFF, "/stats")
    assert "applications: 1" in texts(sent)


async def test_a_redelivered_staff_export_sends_the_data_once(
    bot: RunningBot, api: FakeBotApi
) -> None:
    review = await fill_eoi(bot)
    await bot.press(USER, review[-1], "Submit application")
    update_id = api.text(STAFF, "/export")
    first = await bot.deliver(update_id, STAFF)
    assert [c.method for c in first] == ["sendDocument"]
    api.redeliver(update_id)
    await api.wait_redelivered()
    await asyncio.wait_for(bot.app.update_queue.join(), 5)
    await bot.say(STAFF, "/stats")
    assert len(api.called("sendDocument")) == 1


async def test_staff_unanswered_is_split_over_telegrams_limit(
    bot: RunningBot, api: FakeBotApi
) -> None:
    for n in range(8):
        question = f"Question number {n} about " + " ".join(["zorblax quiffle"] * 60) + "?"
        sent = await bot.say(USER, question)
        assert "not sure" in texts(sent).lower()
    sent = await bot.say(USER, "/unanswered")
    assert "I don't know the command" in texts(sent)
    sent = await bot.say(STAFF, "/unanswered")
    assert len(sent) >= 2  # over 4096 characters: split, each part accepted by the server
    assert all("_error" not in c.params for c in sent)


async def test_staff_unanswered_groups_repeats_with_counts(
    bot: RunningBot, api: FakeBotApi
) -> None:
    for question in (
        "Is there parking for zorblax quiffles?",
        "is there PARKING for zorblax quiffles",
    ):
        await bot.say(USER, question)
    await bot.say(USER + 1, "Is there parking for zorblax quiffles??")
    shown = texts(await bot.say(STAFF, "/unanswered"))
    assert shown.lower().count("parking") == 1
    assert "3 x" in shown and "nearest:" in shown


async def test_hub_staff_see_only_their_hubs_stats_and_questions(
    bot: RunningBot, api: FakeBotApi
) -> None:
    await bot.say(USER + 1, "Is there parking for zorblax quiffles?")  # no draft: no hub
    await fill_eoi(bot)  # USER's draft names enigma
    await bot.say(USER, "/cancel")
    await bot.say(USER, "Do zorblax quiffles count as release time?")
    review = await bot.say(USER, "/resume")
    await bot.press(USER, review[-1], "Submit application")
    everyone = texts(await bot.say(STAFF, "/unanswered"))
    assert "parking" in everyone and "release time" in everyone
    mine = texts(await bot.say(HUB_STAFF, "/unanswered"))
    assert "release time" in mine and "parking" not in mine
    stats = texts(await bot.say(HUB_STAFF, "/stats"))
    assert "applications: 1" in stats and "unanswered: 1" in stats and "users" not in stats
    assert "unanswered: 2" in texts(await bot.say(STAFF, "/stats"))


# -- escaping, errors, logs ------------------------------------------------------------------


async def test_html_in_what_people_type_is_escaped(bot: RunningBot) -> None:
    sent = await bot.say(USER, "/<b>bold</b> & <i>")
    assert "I don't know the command /<b>bold</b>" in texts(sent)
    assert "&lt;b&gt;" in sent[0].params["text"]


async def test_an_error_is_logged_and_the_user_told(
    bot: RunningBot, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.fake_bot_api import BadRequest

    api.fail_next["sendMessage"] = BadRequest("Bad Request: chat is busy, try again")
    with caplog.at_level(logging.INFO):
        sent = await bot.say(USER, "/start")
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failed and failed[0].exc_info is not None
    assert "Sorry, something went wrong" in texts(sent)
    assert "Hello!" in texts(await bot.say(USER, "/start"))


async def test_the_token_never_appears_in_logs(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.NOTSET)  # as if nobody had configured it
    from tests.fake_bot_api import BadRequest

    settings = make_settings(tmp_path, api)
    async with RunningBot(api, settings) as bot:
        await bot.say(USER, "/start")
        api.fail_next["sendMessage"] = BadRequest("Bad Request: something odd")
        await bot.say(USER, "hello")
    assert caplog.records
    for record in caplog.records:
        assert api.token not in record.getMessage()
        assert api.token not in (record.exc_text or "")
    assert api.token not in caplog.text


class RecordingLimiter(AIORateLimiter):
    """PTB's limiter, noting each Bot API method that went through it."""

    def __init__(self) -> None:
        super().__init__(max_retries=1)
        self.endpoints: list[str] = []

    async def process_request(self, *args: Any, **kwargs: Any) -> Any:
        self.endpoints.append(kwargs["endpoint"])
        return await super().process_request(*args, **kwargs)


async def test_rate_limiter_and_custom_limits_build(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, api)
    limiter = RecordingLimiter()
    async with RunningBot(api, settings, rate_limiter=limiter) as bot:
        assert "Hello!" in texts(await bot.say(USER, "/start"))
    # The limiter given is the one every request went through.
    assert "sendMessage" in limiter.endpoints


# -- webhook --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_webhook_checks_the_secret_token(api: FakeBotApi, tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = make_settings(
        tmp_path, api, webhook_url=url, webhook_listen="127.0.0.1", webhook_port=port
    )
    async with RunningBot(api, settings) as bot:
        hook = api.called("setWebhook")[-1].params
        assert hook["url"] == url
        secret = hook["secret_token"]
        assert len(secret) >= 32
        api.chat_for(USER)
        update = {"update_id": 77, "message": api.incoming_message(USER, text="/start")}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as response:
                assert response.status == 403
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as response:
                assert response.status == 403
            assert not api.sent_to(USER)
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
            ) as response:
                assert response.status == 200
        await api.wait_for(lambda: bool(api.sent_to(USER)))
        await asyncio.wait_for(bot.app.update_queue.join(), 5)
        assert "Hello!" in texts(api.sent_to(USER))


async def test_many_chats_at_once_all_persist(bot: RunningBot, api: FakeBotApi) -> None:
    """Different chats run concurrently on one SQLite connection: no transaction may trip
    over another's (this once failed with 'cannot start a transaction within a transaction')."""
    users = range(3000, 3020)
    last = 0
    for text in ("/apply eoi", "yes", "Example Academy"):
        for user in users:
            last = api.text(user, text)
    await bot.settle(last, within=20)
    for user in users:
        assert "Sorry" not in texts(api.sent_to(user))
        assert "Question 3 —" in texts(api.sent_to(user))
        session = await bot.services.store.load_session(f"tg:{user}")
        assert session.current().answers["school_name"] == "Example Academy"
