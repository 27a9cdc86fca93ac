"""The Telegram channel's pure parts: HTML escaping, splitting, button data, chat ordering."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram import Chat, Message, Update, User

from bot.channels.telegram import file_url_for, user_key
from bot.channels.telegram.ordering import ChatOrderedProcessor
from bot.channels.telegram.render import (
    MAX_CALLBACK_BYTES,
    CallbackCodec,
    render,
    split_text,
    utf16_len,
)
from tests.fake_bot_api import ParseEntitiesError, parse_telegram_html


def test_render_escapes_what_telegram_would_read_as_html() -> None:
    (html,) = render("<b>Bad & Co</b> > 3")
    assert html == "&lt;b&gt;Bad &amp; Co&lt;/b&gt; &gt; 3"
    assert parse_telegram_html(html) == "<b>Bad & Co</b> > 3"


def test_the_fake_server_refuses_malformed_html() -> None:
    for bad in ("<b>x", "a & b", "<script>x</script>", "a < b", "<b><i>x</b></i>"):
        with pytest.raises(ParseEntitiesError):
            parse_telegram_html(bad)


@pytest.mark.parametrize(
    "text",
    [
        "word " * 2000,
        ("paragraph line\n" * 40 + "\n") * 20,
        "x" * 9000,
        "😀" * 3000,  # two UTF-16 units each
        "<&>" * 2000,  # escaping must not push a part over the limit
    ],
)
def test_long_text_is_split_within_telegrams_limit_and_loses_nothing(text: str) -> None:
    pieces = split_text(text)
    assert len(pieces) >= 2
    assert all(utf16_len(p) <= 4096 for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )
    for html in render(text):
        assert utf16_len(parse_telegram_html(html)) <= 4096


def test_short_text_is_one_message() -> None:
    assert split_text("hello") == ["hello"]


def test_callback_data_fits_and_round_trips() -> None:
    codec = CallbackCodec()
    data = codec.encode("review", "edit:teacher1_ncetm_username")
    assert data == "review|edit:teacher1_ncetm_username"
    assert codec.decode(data) == ("review", "edit:teacher1_ncetm_username")
    assert codec.decode(codec.encode(None, "eoi")) == ("", "eoi")
    assert codec.decode(codec.encode("f", "a|b")) == ("f", "a|b")


def test_long_callback_values_use_a_bounded_map_and_are_stale_after_a_restart() -> None:
    codec = CallbackCodec(max_entries=3)
    long_value = "faq:" + "a-very-long-entry-identifier-" * 4
    data = codec.encode(None, long_value)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert codec.decode(data) == ("", long_value)
    assert CallbackCodec().decode(data) is None  # a new process can't vouch for it
    for n in range(3):
        codec.encode("field", f"{long_value}{n}")
    assert codec.decode(data) is None  # evicted: stale, never another value
    assert codec.decode("garbage-without-separator") is None
    assert codec.decode(None) is None


def test_user_keys_separate_people_in_groups() -> None:
    assert user_key(5, "private", 5) == "tg:5"
    assert user_key(-100, "supergroup", 5) != user_key(-100, "supergroup", 6)
    assert user_key(-100, "group", 5) != user_key(5, "private", 5)


def test_file_url_follows_the_api_url() -> None:
    assert file_url_for("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert file_url_for("https://api.example/bot{token}") == "https://api.example/file/bot{token}"


def _update(update_id: int, chat_id: int) -> Update:
    user = User(id=chat_id, first_name="T", is_bot=False)
    chat = Chat(id=chat_id, type="private")
    message = Message(message_id=update_id, date=None, chat=chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id=update_id, message=message)


async def test_one_chat_in_order_different_chats_concurrently() -> None:
    processor = ChatOrderedProcessor(max_concurrent=8)
    log: list[tuple[str, int, int]] = []
    running: dict[int, int] = {}
    overlap = 0

    async def work(chat: int, n: int, delay: float) -> None:
        nonlocal overlap
        running[chat] = running.get(chat, 0) + 1
        assert running[chat] == 1, "two updates of one chat at once"
        overlap = max(overlap, sum(1 for v in running.values() if v))
        log.append(("start", chat, n))
        await asyncio.sleep(delay)
        log.append(("end", chat, n))
        running[chat] -= 1

    tasks: list[asyncio.Task[Any]] = []
    for n in range(6):
        for chat in (1, 2, 3):
            delay = 0.01 if n % 2 else 0.002
            tasks.append(
                asyncio.create_task(
                    processor.process_update(_update(n * 10 + chat, chat), work(chat, n, delay))
                )
            )
    await asyncio.gather(*tasks)
    for chat in (1, 2, 3):
        assert [n for kind, c, n in log if c == chat and kind == "start"] == list(range(6))
    assert overlap >= 2
    assert processor.chats_in_progress == 0


async def test_the_concurrency_limit_holds() -> None:
    processor = ChatOrderedProcessor(max_concurrent=2)
    active = peak = 0

    async def work() -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.005)
        active -= 1

    await asyncio.gather(
        *(processor.process_update(_update(n, 100 + n), work()) for n in range(10))
    )
    assert peak == 2
