"""Likely answers, small talk and unanswered questions through the assistant and its channels.

The likely tier offers its alternatives as choices: numbered in the console's JSON lines,
inline buttons in Telegram (the real PTB Application against the fake Bot API).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.assistant import Assistant
from bot.store.sqlite import SqliteStore
from bot.unanswered import group_unanswered
from tests.answers_kb import make_knowledge_dir, small_knowledge
from tests.conftest import TODAY, Chat
from tests.fake_bot_api import FakeBotApi, RunningBot
from tests.test_console import run_chat, turns
from tests.test_telegram_e2e import make_settings

LIKELY = "the head and travel"


@pytest.fixture
async def small_chat(tmp_path: Path, store: SqliteStore) -> AsyncIterator[Chat]:
    assistant = Assistant(small_knowledge(tmp_path), store, today=lambda: TODAY)
    yield Chat(assistant)


async def test_a_likely_answer_offers_the_alternatives_and_a_number_picks_one(
    small_chat: Chat,
) -> None:
    (reply,) = await small_chat.send(LIKELY)
    assert reply.text.startswith("I think you're asking about")
    assert "did you mean one of these?" in reply.text
    assert [o.value for o in reply.options] == ["faq:head-launch"]
    (picked,) = await small_chat.send("1")
    assert "half-day launch" in picked.text and "Source:" in picked.text


async def test_small_talk_is_answered_and_not_recorded(
    small_chat: Chat, store: SqliteStore
) -> None:
    for text in ("thanks!", "ok", "7"):
        (reply,) = await small_chat.send(text)
        assert "not sure" not in reply.text
    await small_chat.send("What is the capital of France?")
    assert [q.question for q in await store.unanswered()] == ["What is the capital of France?"]


async def test_questions_about_the_assistant_are_answered_from_its_privacy_notice(
    small_chat: Chat,
) -> None:
    (reply,) = await small_chat.send("how long do you keep my data?")
    notice = small_chat.assistant.privacy_notice()
    assert reply.text == notice and "90 days" in notice


async def test_unanswered_groups_repeats_with_the_nearest_entry(
    small_chat: Chat, store: SqliteStore
) -> None:
    for text in ("Is parking free at the venue?", "is parking free at the venue", "thanks", "3"):
        await store.record_unanswered(text, 10)
    await small_chat.send("What is the capital of France?")
    groups = group_unanswered(await store.unanswered(), small_chat.assistant.knowledge)
    assert [(g.count, g.question.lower().rstrip("?")) for g in groups] == [
        (2, "is parking free at the venue"),
        (1, "what is the capital of france"),
    ]
    assert groups[0].nearest is not None and groups[0].nearest.topic == "cost"
    assert "2 x" in groups[0].describe() and "nearest: cost-" in groups[0].describe()


def test_console_jsonl_likely_answer_choices(bot_env: dict[str, str], tmp_path: Path) -> None:
    bot_env["BOT_KNOWLEDGE_DIR"] = str(make_knowledge_dir(tmp_path))
    conversation = turns(run_chat(bot_env, [LIKELY, "1"]))
    (likely,) = conversation[1]
    assert likely["options"] == [
        {
            "label": "Does the headteacher need to attend the launch event?",
            "value": "faq:head-launch",
        }
    ]
    assert "half-day launch" in conversation[2][0]["text"]


async def test_telegram_likely_answer_buttons(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = make_settings(tmp_path, api, knowledge_dir=make_knowledge_dir(tmp_path))
        async with RunningBot(api, settings) as bot:
            sent = await bot.say(1001, LIKELY)
            assert sent[-1].buttons == [
                ("Does the headteacher need to attend the launch event?", sent[-1].buttons[0][1])
            ]
            answered = await bot.press(
                1001, sent[-1], "Does the headteacher need to attend the launch event?"
            )
            assert any("half-day launch" in (c.plain_text or "") for c in answered)
