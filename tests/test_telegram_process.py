"""``python -m bot run`` as a real process against the fake Bot API: kill -9 mid-form and
resume, SIGTERM within seconds, a rejected token, and the token never in its output."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotApi, RunningBot
from tests.test_telegram_e2e import TODAY, make_settings, texts

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "987654321:AAE-secret-token-never-logged_x"
USER = 2002


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN) as server:
        yield server


async def start_bot(
    api: FakeBotApi, data_dir: Path, token: str = TOKEN
) -> asyncio.subprocess.Process:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SMTP_", "TELEGRAM_", "BOT_", "WEBHOOK_"))
    }
    env.update(
        {
            "BOT_DATA_DIR": str(data_dir),
            "BOT_TODAY": TODAY.isoformat(),
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_URL": api.api_url,
            "PYTHONPATH": str(ROOT),
        }
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def ask(api: FakeBotApi, text: str, expect: str, within: float = 15.0) -> None:
    before = len(api.calls)
    api.text(USER, text)
    await api.wait_for(
        lambda: any(
            c.method == "sendMessage" and expect in (c.plain_text or "") for c in api.calls[before:]
        ),
        within,
    )


async def test_kill_mid_form_then_resume_in_a_new_process(api: FakeBotApi, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = await start_bot(api, data_dir)
    try:
        await ask(api, "/apply eoi", "Question 1 —", within=30)
        await ask(api, "yes", "Question 2 —")
        await ask(api, "Example Academy", "Question 3 —")
        last = api.text(USER, "1 Example Road, Milton Keynes MK9 1AA")
        await api.wait_for(lambda: "Question 4 —" in texts(api.sent_to(USER)), 15)
    finally:
        process.kill()  # SIGKILL: no shutdown at all
        _, stderr = await process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert TOKEN not in stderr.decode()
    # Telegram delivers the last update again (its confirmation died with the process).
    api.redeliver(last)
    settings = make_settings(tmp_path, api)
    async with RunningBot(api, settings) as bot:
        await api.wait_redelivered()
        await asyncio.wait_for(bot.app.update_queue.join(), 5)
        assert [c for c in api.sent_to(USER) if "Question 4 —" in (c.plain_text or "")][1:] == []
        sent = await bot.say(USER, "/resume")
        assert "Question 4 —" in texts(sent)
        sent = await bot.say(USER, "123456")
        assert "Question 5 —" in texts(sent)
        state = (await bot.services.store.load_session(f"tg:{USER}")).current()
        assert state.answers["school_name"] == "Example Academy"
        assert state.answers["school_urn"] == "123456"


async def test_sigterm_shuts_down_cleanly_within_seconds(api: FakeBotApi, tmp_path: Path) -> None:
    process = await start_bot(api, tmp_path / "data")
    try:
        await ask(api, "/start", "Hello!", within=30)
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
        took = time.monotonic() - started
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert took < 5
    log = stderr.decode()
    assert "shutting down" in log
    assert TOKEN not in log
    # The final getUpdates confirmed what was handled, so nothing is delivered twice.
    assert api.called("getUpdates")[-1].params.get("timeout") == 0


async def test_a_rejected_token_fails_without_showing_it(api: FakeBotApi, tmp_path: Path) -> None:
    wrong = "111111111:AAE-this-one-is-wrong-and-secret"
    process = await start_bot(api, tmp_path / "data", token=wrong)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    output = stdout.decode() + stderr.decode()
    assert "rejected the bot token" in output
    assert wrong not in output
    assert "111111111" not in output or wrong.split(":")[1] not in output


async def test_a_corrupt_database_stops_the_bot_with_one_line(
    api: FakeBotApi, tmp_path: Path
) -> None:
    data = tmp_path / "var"
    data.mkdir()
    (data / "assistant.sqlite3").write_bytes(b"not a database at all\n" * 300)
    proc = await start_bot(api, data)
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    text = stderr.decode()
    assert proc.returncode == 1, text
    assert "Traceback" not in text
    assert "error: cannot open the database" in text and "not a database" in text
