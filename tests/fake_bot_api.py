"""A local fake of the Telegram Bot API (aiohttp, 127.0.0.1, ephemeral port).

It serves the methods the bot uses, records every call for assertions, feeds queued
updates through getUpdates (long polling with offset confirmation, like Telegram), and
refuses what Telegram refuses: malformed or unsupported HTML ("can't parse entities"),
text over 4096 characters, callback data over 64 bytes, a wrong token.

    async with FakeBotApi() as api:
        settings = Settings(..., telegram_token=api.token, telegram_api_url=api.api_url)
        update_id = api.text(user=1001, text="/start")
        ...
        api.sent_to(1001)   # the sendMessage calls for chat 1001, in order
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

BOT_ID = 4242
BOT_USERNAME = "MathsHubTestBot"
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}  # fmt: skip
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>")
# Values that stay strings even when they look like JSON (PTB sends form fields).
STRING_PARAMS = {
    "text", "caption", "callback_query_id", "parse_mode", "url", "secret_token",
    "filename", "data", "inline_message_id", "language_code", "scope_text",
}  # fmt: skip


class ParseEntitiesError(ValueError):
    pass


class _TelegramHtml(HTMLParser):
    """Telegram's HTML: only its tags, properly nested; returns the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ParseEntitiesError(f'Unsupported start tag "{tag}"')
        if tag == "a" and not dict(attrs).get("href"):
            raise ParseEntitiesError("Can't find end of the entity: <a> needs href")
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            raise ParseEntitiesError('Tag "span" must have class "tg-spoiler"')
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ParseEntitiesError(f'Unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_telegram_html(source: str) -> str:
    """The visible text of ``source``, or ParseEntitiesError as Telegram would refuse it."""
    at = 0
    while at < len(source):
        char = source[at]
        if char == "<":
            tag = TAG.match(source, at)
            if tag is None:
                raise ParseEntitiesError(f"Unexpected '<' at byte offset {at}")
            at = tag.end()
            continue
        if char == "&" and not ENTITY.match(source, at):
            raise ParseEntitiesError(f"Character '&' is reserved (byte offset {at})")
        if char == ">":
            raise ParseEntitiesError(f"Unexpected '>' at byte offset {at}")
        at += 1
    parser = _TelegramHtml()
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise ParseEntitiesError(
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
        )
    return "".join(parser.text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    plain_text: str | None = None  # sendMessage/editMessageText: the text as a person sees it
    at: float = field(default_factory=time.monotonic)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of an inline keyboard, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]


class BadRequest(Exception):
    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.code = code


class FakeBotApi:
    def __init__(self, token: str = "123:TEST", *, bot_username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot_username = bot_username
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []  # delivered until confirmed by an offset
        self.confirmed_below = 0
        self.webhook: dict[str, Any] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.answered: dict[str, int] = {}
        self._history: dict[int, dict[str, Any]] = {}
        self.redelivered_at = -1  # index in calls of the getUpdates that re-delivered
        self.fail_next: dict[str, BadRequest] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._poll_generation = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.closing = False
        # Called with (chat_id, visible text) on every accepted sendMessage (benchmarks).
        self.on_send: Callable[[int, str], None] | None = None
        self.record = True  # False: keep no call history (long benchmarks)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        self.port = int(server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        self.closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """For TELEGRAM_API_URL / ApplicationBuilder.base_url (the token is appended)."""
        return f"{self.base}/bot"

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # -- building updates --------------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Test") -> dict[str, Any]:
        return self.users.setdefault(
            user_id,
            {
                "id": user_id,
                "is_bot": False,
                "first_name": f"{first_name}{user_id}",
                "language_code": "en",
            },
        )

    def chat_for(self, user_id: int, chat_id: int | None = None) -> dict[str, Any]:
        if chat_id is None or chat_id == user_id:
            user = self.user(user_id)
            return self.chats.setdefault(
                user_id, {"id": user_id, "type": "private", "first_name": user["first_name"]}
            )
        return self.chats.setdefault(
            chat_id, {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
        )

    def push(self, body: dict[str, Any]) -> int:
        """Queue an update (``body`` without update_id); returns its update_id."""
        uid = next(self._update_ids)
        update = {"update_id": uid, **body}
        self._history[uid] = update
        self.updates.append(update)
        self._notify()
        return uid

    def incoming_message(
        self,
        user: int,
        *,
        chat: int | None = None,
        reply_to: dict[str, Any] | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat_for(user, chat),
            "from": self.user(user),
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return message

    def text(self, user: int, text: str, *, chat: int | None = None, **extra: Any) -> int:
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        content: dict[str, Any] = {"text": text, **extra}
        if entities:
            content["entities"] = entities
        return self.push({"message": self.incoming_message(user, chat=chat, **content)})

    def sticker(self, user: int, *, chat: int | None = None) -> int:
        sticker = {
            "file_id": "CAACAgQAAxkBAAEB", "file_unique_id": "AgAD", "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False,
        }  # fmt: skip
        return self.push({"message": self.incoming_message(user, chat=chat, sticker=sticker)})

    def photo(self, user: int, *, chat: int | None = None) -> int:
        photo = [{"file_id": "AgACAgQ", "file_unique_id": "AQAD", "width": 90, "height": 90}]
        return self.push({"message": self.incoming_message(user, chat=chat, photo=photo)})

    def location(self, user: int, lat: float, lon: float, *, chat: int | None = None) -> int:
        loc = {"latitude": lat, "longitude": lon}
        return self.push({"message": self.incoming_message(user, chat=chat, location=loc)})

    def service_message(self, user: int, *, chat: int) -> int:
        joined = [self.user(user)]
        return self.push(
            {"message": self.incoming_message(user, chat=chat, new_chat_members=joined)}
        )

    def press(self, user: int, message: Call | dict[str, Any], data: str) -> int:
        """Press a button: ``message`` is the recorded sendMessage call (or a message dict)."""
        sent = message.params["_result"] if isinstance(message, Call) else message
        query = {
            "id": str(next(self._query_ids)),
            "from": self.user(user),
            "chat_instance": str(sent["chat"]["id"]),
            "data": data,
            "message": sent,
        }
        return self.push({"callback_query": query})

    def press_label(self, user: int, message: Call, label: str) -> int:
        for text, data in message.buttons:
            if text == label:
                return self.press(user, message, data)
        raise AssertionError(f"no button {label!r} in {message.buttons}")

    # -- waiting and looking -------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the fake Bot API waited in vain")
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.05))

    async def wait_confirmed(self, update_id: int, within: float = 5.0) -> None:
        """Until the bot has fetched the update and confirmed it (asked for a later offset)."""
        await self.wait_for(lambda: self.confirmed_below > update_id, within)

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method in ("sendMessage", "sendDocument") and int(c.params["chat_id"]) == chat_id
        ]

    # -- serving -----------------------------------------------------------------------------------

    async def _params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body or {}), files
        if request.method == "GET":
            raw: Any = request.query
        else:
            raw = await request.post()
        for key, value in raw.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
            elif isinstance(value, str) and key not in STRING_PARAMS:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
            else:
                params[key] = value
        return params, files

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        handler = getattr(self, f"api_{method}", None)
        params, files = await self._params(request)
        call = Call(method, params, files)
        if self.record or method != "sendMessage":
            self.calls.append(call)
        try:
            if method in self.fail_next:
                raise self.fail_next.pop(method)
            if handler is None:
                raise BadRequest("Not Found: method not found", 404)
            result = await handler(call, request)
        except BadRequest as exc:
            call.params["_error"] = exc.description
            self._notify()
            return web.json_response(
                {"ok": False, "error_code": exc.code, "description": exc.description},
                status=exc.code,
            )
        call.params["_result"] = result
        self._notify()
        return web.json_response({"ok": True, "result": result})

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Maths Hub assistant",
            "username": self.bot_username,
        }

    async def api_getMe(self, call: Call, request: web.Request) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def api_getUpdates(self, call: Call, request: web.Request) -> Any:
        offset = int(call.params.get("offset") or 0)
        limit = int(call.params.get("limit") or 100)
        timeout = float(call.params.get("timeout") or 0)
        if offset > self.confirmed_below:
            self.confirmed_below = offset
            self.updates = [u for u in self.updates if u["update_id"] >= offset or u.get("_forced")]
            self._notify()
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self.updates if u["update_id"] >= offset or u.get("_forced")][
                :limit
            ]
            if ready or self.closing or generation != self._poll_generation:
                break
            transport = request.transport
            if transport is None or transport.is_closing():
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.05))
        if generation != self._poll_generation:
            return []  # a newer getUpdates took over (Telegram answers 409 to the old one)
        forced = [u for u in ready if u.get("_forced")]
        if forced:
            self.redelivered_at = len(self.calls)
            self.updates = [u for u in self.updates if not any(u is f for f in forced)]
        return [{k: v for k, v in u.items() if not k.startswith("_")} for u in ready]

    def redeliver(self, update_id: int) -> None:
        """Deliver an update once more even though it was confirmed, as Telegram does when
        a crash lost the confirmation: the bot must not answer it twice."""
        self.updates.append({**self._history[update_id], "_forced": True})
        self.redelivered_at = -1
        self._notify()

    async def wait_redelivered(self, within: float = 5.0) -> None:
        """Until the bot has fetched the re-delivered update and put it in its queue (it
        asks for more only after queueing what it got)."""
        await self.wait_for(
            lambda: (
                self.redelivered_at >= 0
                and any(c.method == "getUpdates" for c in self.calls[self.redelivered_at :])
            ),
            within,
        )

    async def api_deleteWebhook(self, call: Call, request: web.Request) -> Any:
        self.webhook = {}
        return True

    async def api_setWebhook(self, call: Call, request: web.Request) -> Any:
        self.webhook = dict(call.params)
        return True

    async def api_getWebhookInfo(self, call: Call, request: web.Request) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def api_setMyCommands(self, call: Call, request: web.Request) -> Any:
        for command in call.params.get("commands", []):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]) or not (
                1 <= len(command["description"]) <= 256
            ):
                raise BadRequest("Bad Request: BOT_COMMAND_INVALID")
        return True

    async def api_close(self, call: Call, request: web.Request) -> Any:
        return True

    async def api_logOut(self, call: Call, request: web.Request) -> Any:
        return True

    def _check_markup(self, markup: Any) -> None:
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                    raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise BadRequest(
                        "Bad Request: text buttons are unallowed in the inline keyboard"
                    )

    def _visible(self, text: str, parse_mode: str | None) -> str:
        if parse_mode and parse_mode.upper() == "HTML":
            try:
                return parse_telegram_html(text)
            except ParseEntitiesError as exc:
                raise BadRequest(f"Bad Request: can't parse entities: {exc}") from None
        if parse_mode:
            raise BadRequest(f"Bad Request: unsupported parse_mode {parse_mode}")
        return text

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        try:
            return self.chats[int(chat_id)]
        except (KeyError, ValueError, TypeError):
            raise BadRequest("Bad Request: chat not found") from None

    async def api_sendMessage(self, call: Call, request: web.Request) -> Any:
        chat = self._chat(call.params.get("chat_id"))
        text = str(call.params.get("text", ""))
        visible = self._visible(text, call.params.get("parse_mode"))
        if not visible.strip():
            raise BadRequest("Bad Request: message text is empty")
        if utf16_len(visible) > 4096:
            raise BadRequest("Bad Request: message is too long")
        self._check_markup(call.params.get("reply_markup"))
        call.plain_text = visible
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            "text": visible,
        }
        markup = call.params.get("reply_markup")
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if self.record:
            self.messages[(int(chat["id"]), message_id)] = message
        if self.on_send is not None:
            self.on_send(int(chat["id"]), visible)
        return message

    def _message(self, call: Call) -> dict[str, Any]:
        key = (int(call.params.get("chat_id", 0)), int(call.params.get("message_id", 0)))
        message = self.messages.get(key)
        if message is None:
            raise BadRequest("Bad Request: message to edit not found")
        return message

    async def api_editMessageReplyMarkup(self, call: Call, request: web.Request) -> Any:
        message = self._message(call)
        markup = call.params.get("reply_markup")
        self._check_markup(markup)
        if not markup and "reply_markup" not in message:
            raise BadRequest("Bad Request: message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def api_editMessageText(self, call: Call, request: web.Request) -> Any:
        message = self._message(call)
        visible = self._visible(str(call.params.get("text", "")), call.params.get("parse_mode"))
        self._check_markup(call.params.get("reply_markup"))
        call.plain_text = visible
        message["text"] = visible
        if call.params.get("reply_markup"):
            message["reply_markup"] = call.params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    async def api_answerCallbackQuery(self, call: Call, request: web.Request) -> Any:
        query_id = str(call.params.get("callback_query_id"))
        if query_id in self.answered:
            raise BadRequest(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self.answered[query_id] = self.answered.get(query_id, 0) + 1
        return True

    async def api_sendDocument(self, call: Call, request: web.Request) -> Any:
        chat = self._chat(call.params.get("chat_id"))
        if "document" not in call.files:
            raise BadRequest("Bad Request: there is no document in the request")
        caption = call.params.get("caption")
        if caption is not None:
            call.plain_text = self._visible(str(caption), call.params.get("parse_mode"))
        name, data = call.files["document"]
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            "document": {
                "file_id": "BQACAgQ",
                "file_unique_id": "AgADBQ",
                "file_name": name,
                "file_size": len(data),
            },
        }


# -- running the real bot against the fake ----------------------------------------------------


class RunningBot:
    """The real python-telegram-bot Application from bot.channels.telegram, polling the
    fake server over loopback HTTP, in the test's event loop."""

    def __init__(self, api: FakeBotApi, settings: Any, **build: Any) -> None:
        self.api = api
        self.settings = settings
        self.build = build
        self.app: Any = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> RunningBot:
        from bot.channels.telegram import build_application, serve

        self.app = build_application(self.settings, **self.build)
        ready = asyncio.Event()
        self._task = asyncio.create_task(serve(self.app, self._stop, ready=ready, poll_timeout=5))
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait({self._task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.is_set():
            waiter.cancel()
            await self._task  # raises what went wrong
        return self

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def __aenter__(self) -> RunningBot:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def services(self) -> Any:
        from bot.channels.telegram import runtime

        return runtime(self.app).services

    async def settle(self, update_id: int, within: float = 5.0) -> None:
        """Until the bot has fetched ``update_id`` and finished handling every update it has."""
        await self.api.wait_confirmed(update_id, within)
        await asyncio.wait_for(self.app.update_queue.join(), within)

    async def say(
        self, user: int, text: str, *, chat: int | None = None, **extra: Any
    ) -> list[Call]:
        """Send a text and return what the bot sent to that chat in answer."""
        before = len(self.api.calls)
        await self.settle(self.api.text(user, text, chat=chat, **extra))
        return self._sent_since(before, chat if chat is not None else user)

    async def press(
        self, user: int, message: Call, label: str, *, chat: int | None = None
    ) -> list[Call]:
        before = len(self.api.calls)
        await self.settle(self.api.press_label(user, message, label))
        return self._sent_since(before, chat if chat is not None else user)

    async def deliver(self, update_id: int, chat: int) -> list[Call]:
        before = len(self.api.calls)
        await self.settle(update_id)
        return self._sent_since(before, chat)

    def _sent_since(self, before: int, chat_id: int) -> list[Call]:
        return [
            c
            for c in self.api.calls[before:]
            if c.method in ("sendMessage", "sendDocument") and int(c.params["chat_id"]) == chat_id
        ]
