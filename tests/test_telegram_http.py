"""The Bot API HTTP client: aiohttp by default, PTB's httpx by ``TELEGRAM_HTTP=httpx``.

The rest of the Telegram suite runs on the default (aiohttp) client; these tests pin down
what that suite cannot see: which client is built, timeouts, transport failures, uploads,
a proxy, and one whole conversation plus an upload on httpx.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels._aiohttp_request import AiohttpRequest, telegram_requests
from bot.exceptions import ConfigError
from bot.settings import Settings
from tests.fake_bot_api import FakeBotApi, RunningBot
from tests.test_telegram_e2e import STAFF, USER, fill_eoi, make_settings, texts


def test_settings_choose_the_client() -> None:
    assert Settings.from_env({}).telegram_http == "aiohttp"
    assert Settings.from_env({"TELEGRAM_HTTP": " HTTPX "}).telegram_http == "httpx"
    with pytest.raises(ConfigError, match="TELEGRAM_HTTP must be aiohttp or httpx"):
        Settings.from_env({"TELEGRAM_HTTP": "requests"})
    assert Settings.from_env({"TELEGRAM_PROXY": "http://p:3128"}).telegram_proxy == "http://p:3128"


def test_both_roles_get_their_own_client_of_the_chosen_kind() -> None:
    calls, updates = telegram_requests(Settings(telegram_token="1:x"))
    assert isinstance(calls, AiohttpRequest) and isinstance(updates, AiohttpRequest)
    assert calls is not updates
    calls, updates = telegram_requests(Settings(telegram_token="1:x", telegram_http="httpx"))
    assert isinstance(calls, HTTPXRequest) and isinstance(updates, HTTPXRequest)


def test_a_socks_proxy_is_refused_with_a_way_on() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_HTTP=httpx"):
        telegram_requests(Settings(telegram_token="1:x", telegram_proxy="socks5://h:1080"))


async def test_the_application_uses_aiohttp_for_calls_and_get_updates(tmp_path: Path) -> None:
    from bot.channels.telegram import build_application

    app = build_application(Settings(data_dir=tmp_path, telegram_token="1:x"))
    assert isinstance(app.bot.request, AiohttpRequest)
    assert isinstance(app.bot._request[0], AiohttpRequest)  # PTB's getUpdates slot


# -- the client against a small local server ----------------------------------------------------


class Server:
    """Records each request (method, path, content type, form) and answers as told."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "type": request.content_type,
            "agent": request.headers.get("User-Agent", ""),
        }
        if request.content_type == "multipart/form-data":
            parts: dict[str, Any] = {}
            reader = await request.multipart()
            async for part in reader:
                body = await part.read()  # type: ignore[union-attr]
                parts[part.name or ""] = (part.filename, bytes(body))  # type: ignore[union-attr]
            entry["form"] = parts
        elif request.method == "POST":
            entry["form"] = dict(await request.post())
        self.seen.append(entry)
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response({"ok": True, "result": True})


@pytest.fixture
async def server() -> AsyncIterator[tuple[Server, str]]:
    recorder = Server()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield recorder, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _data(**values: Any) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_a_call_is_a_form_of_json_values_and_its_answer_comes_back(
    server: tuple[Server, str],
) -> None:
    recorder, base = server
    async with AiohttpRequest() as request:
        code, body = await request.do_request(
            f"{base}/bot1:x/sendMessage",
            "POST",
            _data(chat_id=5, text="héllo", reply_markup={"a": 1}),
        )
    assert code == 200 and json.loads(body) == {"ok": True, "result": True}
    [seen] = recorder.seen
    assert seen["type"] == "application/x-www-form-urlencoded"
    assert seen["form"] == {"chat_id": "5", "text": "héllo", "reply_markup": '{"a": 1}'}
    assert seen["agent"].startswith("python-telegram-bot")


async def test_a_document_is_uploaded_as_multipart(server: tuple[Server, str]) -> None:
    from telegram import InputFile

    recorder, base = server
    csv_bytes = "reference,school\r\nEOI-2026-0001,Café\r\n".encode("utf-8-sig")
    document = InputFile(io.BytesIO(csv_bytes), filename="export.csv")
    async with AiohttpRequest() as request:
        code, _ = await request.do_request(
            f"{base}/bot1:x/sendDocument", "POST", _data(chat_id=7, document=document)
        )
    assert code == 200
    [seen] = recorder.seen
    assert seen["type"] == "multipart/form-data"
    assert seen["form"]["chat_id"] == (None, b"7")
    assert seen["form"]["document"] == ("export.csv", csv_bytes)


async def test_a_slow_answer_times_out_as_ptb_expects(server: tuple[Server, str]) -> None:
    recorder, base = server
    recorder.delay = 1.0
    async with AiohttpRequest(read_timeout=0.1) as request:
        with pytest.raises(TimedOut):
            await request.do_request(f"{base}/bot1:x/getMe", "POST")
        # A longer read timeout for one call (as getUpdates passes) is honoured.
        recorder.delay = 0.2
        code, _ = await request.do_request(f"{base}/bot1:x/getMe", "POST", read_timeout=2.0)
    assert code == 200


async def test_a_refused_connection_is_a_network_error() -> None:
    async with AiohttpRequest(connect_timeout=1.0) as request:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.do_request("http://127.0.0.1:9/bot1:x/getMe", "POST")


async def test_calls_before_initialize_or_after_shutdown_are_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")
    await request.initialize()  # PTB may initialise again after a shutdown
    await request.shutdown()


async def test_calls_go_through_the_configured_proxy() -> None:
    """A forward proxy receives the absolute URL of every call (HTTP/1.1, RFC 9112 3.2.2)."""
    lines: list[str] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines.append(head.split(b"\r\n", 1)[0].decode())
        length = next(
            (
                int(h.split(b":")[1])
                for h in head.split(b"\r\n")
                if h.lower().startswith(b"content-length")
            ),
            0,
        )
        await reader.readexactly(length)
        body = b'{"ok":true,"result":true}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        writer.write(b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        async with AiohttpRequest(proxy=f"http://127.0.0.1:{port}") as request:
            code, _ = await request.do_request(
                "http://api.telegram.invalid/bot1:x/getMe", "POST", _data(a=1)
            )
    finally:
        listener.close()
        await listener.wait_closed()
    assert code == 200
    assert lines == ["POST http://api.telegram.invalid/bot1:x/getMe HTTP/1.1"]


# -- the whole bot on httpx, the setting a user can fall back to ------------------------------------


async def test_the_bot_on_httpx_answers_and_uploads_an_export(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = make_settings(tmp_path, api, staff={STAFF: None}, telegram_http="httpx")
        async with RunningBot(api, settings) as bot:
            assert isinstance(bot.app.bot.request, HTTPXRequest)
            review = await fill_eoi(bot)
            sent = await bot.press(USER, review[-1], "Submit application")
            assert "EOI-2026-" in texts(sent)
            sent = await bot.say(STAFF, "/export")
            assert [c.method for c in sent] == ["sendDocument"]
            _, data = sent[0].files["document"]
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
            assert len(rows) == 1
