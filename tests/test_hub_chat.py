"""The hub finder inside conversations: the EoI's hub step and the hub flow never pick one of
two places with the same name silently."""

from __future__ import annotations

from bot.assistant import Assistant
from tests.conftest import EOI_ANSWERS, Chat


async def _at_hub_step(chat: Chat, address: str) -> None:
    answers = dict(EOI_ANSWERS, school_address=address)
    await chat.send("/apply eoi")
    for _ in range(len(answers)):
        if chat.field == "maths_hub":
            return
        await chat.send(answers[chat.field or ""])
    raise AssertionError(chat.text)


async def test_an_address_naming_a_shared_place_is_placed_by_its_postcode(
    assistant: Assistant,
) -> None:
    # The address needs its postcode (issue 13), and the postcode says which Newport.
    chat = Chat(assistant)
    await _at_hub_step(chat, "1 High Street, Newport TF10 7AA")
    assert "There is more than one Newport" not in chat.text
    assert "listed first" in chat.text
    options = [o.value for o in chat.replies[-1].options]
    assert options[0] == "salop-herefordshire"
    await chat.send("salop-herefordshire")
    assert chat.field == "teacher1_name"


async def test_a_shared_name_typed_at_the_hub_step_lists_each_place(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await _at_hub_step(chat, "1 Example Road, Milton Keynes MK9 1AA")
    await chat.send("Wells")
    assert chat.field == "maths_hub"
    assert "- Wells-next-the-Sea, Norfolk: Norfolk and Suffolk Maths Hub" in chat.text
    assert [o.value for o in chat.replies[-1].options] == ["boolean", "norfolk-suffolk"]


async def test_the_hub_flow_lists_each_richmond_with_its_county(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("/hub")
    await chat.send("Richmond")
    assert "- Richmond, North Yorkshire: Yorkshire Ridings Maths Hub" in chat.text
    assert [o.value for o in chat.replies[-1].options] == ["london-south-west", "yorkshire-ridings"]
    await chat.send("yorkshire-ridings")
    assert "Your Maths Hub:" in chat.text and "Yorkshire Ridings Maths Hub" in chat.text
    assert "local suggestion" in chat.text


async def test_a_typo_in_the_hub_flow_is_asked_not_taken(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("/hub")
    await chat.send("Hutten le Hole")
    assert "Did you mean Hutton-le-Hole?" in chat.text
    assert "Your Maths Hub:" not in chat.text
    assert [o.value for o in chat.replies[-1].options] == ["yorkshire-ridings"]
    await chat.send("yorkshire-ridings")
    assert "Your Maths Hub:" in chat.text


async def test_a_typo_at_the_eoi_hub_step_is_asked(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await _at_hub_step(chat, "1 Example Road, Milton Keynes MK9 1AA")
    await chat.send("Sheffeild")
    assert "Did you mean Sheffield? I found:" in chat.text and chat.field == "maths_hub"


async def test_a_postcode_given_in_a_sentence_finds_the_hub(assistant: Assistant) -> None:
    # "postcode" says what the message is, as "hub" does: without it this was "not sure".
    chat = Chat(assistant)
    await chat.send("our school postcode is LS6 3QS")
    assert "West Yorkshire Maths Hub" in chat.text
    assert "not sure" not in chat.text
