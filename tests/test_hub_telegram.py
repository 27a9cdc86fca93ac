"""Telegram: a shared place name is asked with one button per place, county included."""

from __future__ import annotations

from tests.fake_bot_api import FakeBotApi, RunningBot
from tests.test_telegram_e2e import USER, api, bot, texts

__all__ = ["api", "bot"]  # the fixtures this module uses


async def test_a_shared_name_is_asked_with_a_button_per_place(
    bot: RunningBot, api: FakeBotApi
) -> None:
    sent = await bot.say(USER, "which hub is Newport in?")
    assert "There is more than one Newport" in texts(sent)
    labels = [label for label, _ in sent[-1].buttons]
    assert labels == [
        "Newport, Isle of Wight",
        "Newport, Shropshire",
        "Newport, Essex",
        "Newport, Wales",
    ]
    chosen = await bot.press(USER, sent[-1], "Newport, Shropshire")
    assert "The Maths Hub for Newport, Shropshire is:" in texts(chosen)
    assert "Salop and Herefordshire Maths Hub" in texts(chosen)
    wales = await bot.say(USER, "/hub Newport")
    pressed = await bot.press(USER, wales[-1], "Newport, Wales")
    assert "Newport is in Wales, not England" in texts(pressed)
