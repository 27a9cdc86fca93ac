"""A message that only says where someone is gets that place's Maths Hub; a place said
alongside anything else stays a question for the knowledge base."""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from tests.conftest import Chat


@pytest.mark.parametrize(
    ("text", "hub"),
    [
        ("our school is in Leeds", "West Yorkshire Maths Hub"),
        ("we're a school in the Wirral", "Cheshire and Wirral Maths Hub"),
        ("I teach in Sheffield", "South Yorkshire Maths Hub"),
        ("hello from Newcastle", "Great North Maths Hub"),
    ],
)
async def test_saying_where_the_school_is_finds_its_hub(
    assistant: Assistant, text: str, hub: str
) -> None:
    chat = Chat(assistant)
    await chat.send(text)
    assert chat.text.startswith("The Maths Hub for") and hub in chat.text


@pytest.mark.parametrize(
    "text",
    [
        "we're in cumbria, no travel money i guess",  # a worry about travel costs
        "I work in Cardiff",  # outside England: the England-only answer
        "our school is in Leeds, do we pay for the work group?",
    ],
)
async def test_a_place_with_a_question_is_answered_as_a_question(
    assistant: Assistant, text: str
) -> None:
    chat = Chat(assistant)
    await chat.send(text)
    assert "The Maths Hub for" not in chat.text
