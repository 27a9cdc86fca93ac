"""One user's turns run one at a time: the assistant serialises them, whatever the channel.

Channels may hand the assistant several messages of one person at once (Telegram runs
different chats concurrently and re-delivers updates after a crash; the web chat takes
parallel requests).  Without the per-user lock two turns would read the same session and
the later write would silently drop the earlier answer."""

from __future__ import annotations

import asyncio

from bot.assistant import Assistant, Incoming
from bot.knowledge.base import Knowledge
from bot.store.sqlite import SqliteStore
from tests.conftest import TODAY, Chat


async def test_an_update_delivered_twice_at_once_is_answered_once(assistant: Assistant) -> None:
    question = Incoming("u1", "What does it cost?", update_key="telegram:7")
    first, second = await asyncio.gather(assistant.handle(question), assistant.handle(question))
    assert sorted([bool(first), bool(second)]) == [False, True]


async def test_answers_sent_at_once_are_all_kept_in_order(
    knowledge: Knowledge, store: SqliteStore
) -> None:
    assistant = Assistant(knowledge, store, today=lambda: TODAY)
    chat = Chat(assistant)
    await chat.fill_until("school_name")
    answers = ["Example Academy", "1 Example Road, Milton Keynes MK9 1AA", "123456"]
    await asyncio.gather(
        *(
            assistant.handle(Incoming("u1", text, update_key=f"k{n}"))
            for n, text in enumerate(answers)
        )
    )
    session = await store.load_session("u1")
    assert session is not None
    state = session.current()
    assert state is not None and state.step == "school_phone"
    assert [state.answers[f] for f in ("school_name", "school_address", "school_urn")] == answers
