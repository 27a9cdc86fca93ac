"""Issue 13 through Telegram (the real PTB Application against the fake Bot API): a
question in the middle of the form, and changing an answer at the review."""

from __future__ import annotations

from pathlib import Path

from tests.fake_bot_api import FakeBotApi, RunningBot
from tests.test_telegram_e2e import USER, api, bot, fill_eoi, make_settings, texts

__all__ = ["api", "bot"]  # fixtures


async def test_a_mid_form_question_is_asked_about_with_buttons(bot: RunningBot) -> None:
    sent = await bot.say(USER, "/apply eoi")
    await bot.press(USER, sent[-1], "I agree")
    sent = await bot.say(USER, "where do i find our URN")
    assert 'Is "where do i find our URN" the school name, or a question?' in texts(sent)
    sent = await bot.press(USER, sent[-1], "It's a question")
    assert "Get Information about Schools" in texts(sent)
    assert "What is the name of the school?" in texts(sent)
    sent = await bot.say(USER, "how long will this take?")
    assert "questions to go" in texts(sent) and "What is the name of the school?" in texts(sent)
    session = await bot.services.store.load_session(f"tg:{USER}")
    assert session is not None and session.flows["eoi"].answers.keys() == {"privacy_consent"}


async def test_review_edit_by_section_then_button_survives_a_restart(
    api: FakeBotApi, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, api)
    async with RunningBot(api, settings) as first:
        review = await fill_eoi(first)
        sent = await first.say(USER, "Teacher 2 role")
        assert "What is teacher 2's role" in texts(sent)
        sent = await first.say(USER, "Head of Department")
        assert "Head of Department" in texts(sent) and "Please check" in texts(sent)
        sent = await first.say(USER, "Teacher 2")
        assert [label for label, _ in sent[-1].buttons][:2] == ["Teacher 2 name", "Teacher 2 email"]
        await first.press(USER, sent[-1], "Teacher 2 email")
    async with RunningBot(api, settings) as second:
        sent = await second.say(USER, "/resume")
        assert "What is teacher 2's email address?" in texts(sent)
        sent = await second.say(USER, "bob.two@school.org.uk")
        assert "bob.two@school.org.uk" in texts(sent)
        # The Submit button from before the edit belongs to an earlier message.
        sent = await second.press(USER, review[-1], "Submit application")
        apps = await second.services.store.applications(user_id=f"tg:{USER}")
        assert len(apps) == 1
        assert apps[0].answers["teacher2_email"] == "bob.two@school.org.uk"
        assert apps[0].answers["teacher2_role"] == "Head of Department"
