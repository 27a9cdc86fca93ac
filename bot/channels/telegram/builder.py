"""Building the python-telegram-bot Application: client, defaults, handlers, lifecycle hooks.

Every message goes out as HTML without link previews (PTB ``Defaults``, so no call passes
them); the services (store, assistant, outbox sender) open in ``post_init`` and close in
``post_stop``, as python-telegram-bot's rules-bot does, so they are up before the first
update and still up while the last ones finish.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.channels._aiohttp_request import telegram_requests
from bot.channels.telegram.handlers import on_button, on_error, on_message
from bot.channels.telegram.ordering import ChatOrderedProcessor
from bot.channels.telegram.runtime import RUNTIME_KEY, Runtime, TgApp, runtime
from bot.channels.telegram.staff import staff_handlers
from bot.conversation.commands import COMMANDS
from bot.exceptions import ConfigError
from bot.notify import DeliveryFailed, SendTelegram
from bot.services import open_services
from bot.settings import Settings

logger = logging.getLogger(__name__)

DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML,
    link_preview_options=LinkPreviewOptions(is_disabled=True),
    # In groups a reply quotes the person's message; if they deleted it, send anyway.
    allow_sending_without_reply=True,
)


# -- secrets stay out of logs -----------------------------------------------------------


class _TokenRedactor:
    """Log record factory that replaces the bot token wherever a record would show it
    (message, arguments, exception text): Bot API URLs and some PTB errors contain it."""

    def __init__(self, token: str, previous: Any) -> None:
        self.token = token
        self.previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "[bot token]"), None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self.token in text:
                record.exc_text = text.replace(self.token, "[bot token]")
        return record


def protect_token_in_logs(token: str) -> None:
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for name in ("httpx", "httpcore"):
        named = logging.getLogger(name)
        if named.level < logging.WARNING:
            named.setLevel(logging.WARNING)
    factory = logging.getLogRecordFactory()
    if isinstance(factory, _TokenRedactor):
        if factory.token == token:
            return
        factory = factory.previous
    logging.setLogRecordFactory(_TokenRedactor(token, factory))


def file_url_for(api_url: str) -> str:
    """``http://host:8081/bot`` -> ``http://host:8081/file/bot`` (telegram-bot-api's layout)."""
    head, separator, tail = api_url.rpartition("/bot")
    if separator:
        return f"{head}/file/bot{tail}"
    return api_url.rstrip("/") + "/file/bot"


# -- building the application ------------------------------------------------------------


def build_application(
    settings: Settings,
    *,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    max_concurrent: int = 256,
) -> TgApp:
    """The configured Application; its services open in post_init and close in post_stop."""
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    protect_token_in_logs(settings.telegram_token)
    request, get_updates_request = telegram_requests(settings)
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .defaults(DEFAULTS)
        .request(request)
        .get_updates_request(get_updates_request)
        .concurrent_updates(ChatOrderedProcessor(max_concurrent))
        .rate_limiter(rate_limiter if rate_limiter is not None else AIORateLimiter())
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if settings.telegram_api_url:
        builder = builder.base_url(settings.telegram_api_url).base_file_url(
            file_url_for(settings.telegram_api_url)
        )
    application: TgApp = builder.build()
    application.bot_data[RUNTIME_KEY] = Runtime(settings)
    # Staff commands first: for anyone else they fall through to the conversation.
    application.add_handlers(staff_handlers(frozenset(settings.staff)))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, on_message))
    application.add_error_handler(on_error)
    return application


async def _post_init(application: TgApp) -> None:
    rt = runtime(application)
    rt.services = await open_services(rt.settings)
    if rt.services.notices is not None:
        rt.services.notices.telegram(_notice_sender(application))
    commands = [BotCommand(name, what) for name, what in COMMANDS]
    try:
        await application.bot.set_my_commands(commands)
    except TelegramError as exc:
        logger.warning("could not register the command list with Telegram: %s", exc)


def _notice_sender(application: TgApp) -> SendTelegram:
    """Sends a "applications are open" notice (bot/notify.py) to a private chat."""

    async def send(chat_id: str, text: str) -> None:
        try:
            await application.bot.send_message(chat_id=int(chat_id), text=html.escape(text))
        except (Forbidden, BadRequest) as exc:  # blocked the bot, or the chat is gone
            raise DeliveryFailed(str(exc), permanent=True) from None
        except TelegramError as exc:  # network, flood control: the next check tries again
            raise DeliveryFailed(str(exc), permanent=False) from None

    return send


async def _post_stop(application: TgApp) -> None:
    rt = runtime(application)
    if rt.services is not None:
        services, rt.services = rt.services, None
        await services.close()
