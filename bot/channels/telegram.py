"""The Telegram channel: python-telegram-bot 22 in front of the :class:`~bot.assistant.Assistant`.

``run_telegram(settings)`` runs the bot by long polling, or by webhook when
``WEBHOOK_URL`` is set, until SIGINT/SIGTERM.  Everything the assistant says is sent as
escaped HTML (split at Telegram's 4096 characters) with its choices as inline buttons.

Ordering and duplicates: a :class:`ChatOrderedProcessor` runs each chat's updates one
at a time in arrival order (different chats concurrently), and every update reaches the
assistant with ``update_key="telegram:<update_id>"``, which it commits with the state,
so an update Telegram delivers again after a crash is not answered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import logging
import secrets
import signal
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.assistant import COMMANDS, EOI, Incoming
from bot.channels._aiohttp_request import telegram_requests
from bot.channels._telegram_order import ChatOrderedProcessor
from bot.channels._telegram_render import STALE_FIELD, CallbackCodec, escape, render
from bot.exceptions import BotError, ConfigError
from bot.export import applications_csv
from bot.replies import Reply
from bot.services import Services, open_services
from bot.session import Session
from bot.settings import Settings

logger = logging.getLogger(__name__)

TgApp = Application[Any, Any, Any, Any, Any, Any]
RUNTIME_KEY = "runtime"
ALLOWED_UPDATES = ("message", "callback_query")
STAFF_COMMANDS = ("export", "unanswered", "stats")
# Message attachments, most specific first (a GIF also carries a document).
NON_TEXT_KINDS = (
    "sticker",
    "animation",
    "photo",
    "video_note",
    "video",
    "voice",
    "audio",
    "document",
    "contact",
    "poll",
)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
SORRY = (
    "Sorry, something went wrong on my side. Everything you had answered is saved; "
    "please send that again in a moment."
)


@dataclass
class Runtime:
    """What the handlers need, kept in ``application.bot_data``."""

    settings: Settings
    codec: CallbackCodec = field(default_factory=CallbackCodec)
    services: Services | None = None
    handled: int = 0  # updates handed to the assistant (for tests and the benchmark)


def runtime(application: TgApp) -> Runtime:
    rt = application.bot_data[RUNTIME_KEY]
    assert isinstance(rt, Runtime)
    return rt


def _services(context: ContextTypes.DEFAULT_TYPE) -> tuple[Runtime, Services]:
    rt = context.bot_data[RUNTIME_KEY]
    assert isinstance(rt, Runtime)
    if rt.services is None:
        raise BotError("the assistant's services are not open")
    return rt, rt.services


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
    """The configured Application; its services open in post_init and close in post_shutdown."""
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    protect_token_in_logs(settings.telegram_token)
    request, get_updates_request = telegram_requests(settings)
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .request(request)
        .get_updates_request(get_updates_request)
        .concurrent_updates(ChatOrderedProcessor(max_concurrent))
        .rate_limiter(rate_limiter if rate_limiter is not None else AIORateLimiter())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.telegram_api_url:
        builder = builder.base_url(settings.telegram_api_url).base_file_url(
            file_url_for(settings.telegram_api_url)
        )
    application: TgApp = builder.build()
    application.bot_data[RUNTIME_KEY] = Runtime(settings)
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, on_message))
    application.add_error_handler(on_error)
    return application


async def _post_init(application: TgApp) -> None:
    rt = runtime(application)
    rt.services = await open_services(rt.settings)
    commands = [BotCommand(name, what) for name, what in COMMANDS]
    try:
        await application.bot.set_my_commands(commands)
    except TelegramError as exc:
        logger.warning("could not register the command list with Telegram: %s", exc)


async def _post_shutdown(application: TgApp) -> None:
    rt = runtime(application)
    if rt.services is not None:
        services, rt.services = rt.services, None
        await services.close()


# -- incoming messages ---------------------------------------------------------------------


def user_key(chat_id: int, chat_type: str, user_id: int) -> str:
    """Private chats: the person.  Groups: the person *in that group*, so two people in
    one group never share a form's state."""
    if chat_type == ChatType.PRIVATE:
        return f"tg:{user_id}"
    return f"tg:{chat_id}:{user_id}"


def classify(message: Message) -> tuple[str | None, tuple[float, float] | None]:
    """The assistant's ``kind`` for a message (None: a service message, ignored)."""
    if message.text is not None:
        return "text", None
    if message.location is not None:
        return "location", (message.location.latitude, message.location.longitude)
    for kind in NON_TEXT_KINDS:
        if getattr(message, kind, None):
            return kind, None
    if message.effective_attachment is not None:
        return "other", None
    return None, None


def _addressed(message: Message, text: str, username: str, bot_id: int) -> str | None:
    """In a group: the text meant for the bot (mention removed), or None if it isn't.
    Commands, replies to the bot and messages naming @bot count; the rest of the
    group's conversation is none of the bot's business."""
    mention = f"@{username}".lower()
    if text.startswith("/"):
        word = text.split(maxsplit=1)[0]
        _, named, target = word.partition("@")
        return text if not named or target.lower() == username.lower() else None
    replied = message.reply_to_message
    to_bot = (
        replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
    )
    at = text.lower().find(mention)
    if at >= 0:
        return (text[:at] + text[at + len(mention) :]).strip(" ,:")
    return text if to_bot else None


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, chat, user = update.message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None or user.is_bot:
        return
    kind, location = classify(message)
    if kind is None:
        return
    private = chat.type == ChatType.PRIVATE
    text = message.text or ""
    if not private:
        replied = message.reply_to_message
        to_bot = (
            replied is not None
            and replied.from_user is not None
            and replied.from_user.id == context.bot.id
        )
        if kind == "text":
            addressed = _addressed(message, text, context.bot.username, context.bot.id)
            if addressed is None:
                return
            text = addressed
        elif not to_bot:
            return
    rt, services = _services(context)
    if kind == "text" and text.startswith("/"):
        command, _, argument = text[1:].partition(" ")
        command = command.split("@", 1)[0].lower()
        if command in STAFF_COMMANDS and user.id in rt.settings.staff:
            # Staff commands don't pass through the assistant, so they remember their own
            # update ids: a re-delivered /export must not send the data twice.
            who, key = user_key(chat.id, chat.type, user.id), f"telegram:{update.update_id}"
            session = await services.store.load_session(who) or Session()
            if session.has_handled(key):
                return
            await _staff_command(context, message, command, argument.strip(), private=private)
            session.remember(key)
            await services.store.commit(who, session)
            return
    incoming = Incoming(
        user_id=user_key(chat.id, chat.type, user.id),
        text=text,
        kind=kind,
        private=private,
        update_key=f"telegram:{update.update_id}",
        location=location,
    )
    replies = await services.assistant.handle(incoming)
    rt.handled += 1
    await send_replies(
        context, chat.id, replies, rt.codec, reply_to=None if private else message.message_id
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    if query is None:
        return
    # Always answer, first: the button's spinner stops whatever happens next.
    try:
        await query.answer()
    except TelegramError as exc:
        logger.info("could not answer a callback query: %s", exc)
    if chat is None or user is None:
        return
    rt, services = _services(context)
    private = chat.type == ChatType.PRIVATE
    who = user_key(chat.id, chat.type, user.id)
    decoded = rt.codec.decode(query.data)
    current = True
    if decoded is None:
        field_id, value, current = STALE_FIELD, "", False
    else:
        field_id, value = decoded
        if not field_id or not private:
            # Read-only look at the state (this chat's updates run one at a time): is
            # this button for what the person is being asked now?  Menu buttons belong
            # to no question, so the assistant can't tell a stale one on its own.
            session = await services.store.load_session(who)
            state = session.current() if session is not None else None
            waiting = state is not None and state.step is not None
            if field_id:
                current = waiting and state is not None and state.step == field_id
            else:
                offered = {v for _, v in session.offered} if session is not None else set()
                current = not waiting and value in offered
                if not current:
                    field_id, value = STALE_FIELD, ""
    incoming = Incoming(
        user_id=who,
        text=value,
        private=private,
        update_key=f"telegram:{update.update_id}",
        for_field=field_id or None,
    )
    replies = await services.assistant.handle(incoming)
    rt.handled += 1
    # The pressed keyboard has done its job (or is stale).  In a group it may be someone
    # else's question, so it is only removed when it was current for this person.
    message = query.message
    if isinstance(message, Message) and (private or current):
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError as exc:
            logger.debug("could not remove a pressed keyboard: %s", exc)
    reply_to = None if private or not isinstance(message, Message) else message.message_id
    await send_replies(context, chat.id, replies, rt.codec, reply_to=reply_to)


# -- outgoing messages ---------------------------------------------------------------------


def keyboard(reply: Reply, codec: CallbackCodec) -> InlineKeyboardMarkup | None:
    if not reply.options:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    option.label, callback_data=codec.encode(reply.field, option.value)
                )
            ]
            for option in reply.options
        ]
    )


async def send_replies(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    replies: list[Reply],
    codec: CallbackCodec,
    *,
    reply_to: int | None = None,
) -> None:
    """Send each reply as HTML (split if long), its choices as buttons on the last part.
    In groups (``reply_to`` set) replies quote the person's message, and a question
    that wants typed text asks for a reply from that person only (selective ForceReply),
    since a bot in privacy mode only sees replies and commands there."""
    for reply in replies:
        pieces = render(reply.text)
        for number, piece in enumerate(pieces, 1):
            markup: InlineKeyboardMarkup | ForceReply | None = None
            if number == len(pieces):
                markup = keyboard(reply, codec)
                if markup is None and reply_to is not None and reply.field is not None:
                    markup = ForceReply(selective=True)
            await context.bot.send_message(
                chat_id,
                piece,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                reply_parameters=(
                    ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                    if reply_to is not None
                    else None
                ),
                link_preview_options=NO_PREVIEW,
            )


# -- staff -----------------------------------------------------------------------------------


async def _staff_command(
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    command: str,
    argument: str,
    *,
    private: bool,
) -> None:
    rt, services = _services(context)
    chat_id = message.chat_id
    user = message.from_user
    assert user is not None
    if not private:
        await _say(
            context,
            chat_id,
            f"Staff commands work only in a private chat with me: send /{command} there.",
        )
        return
    if command == "export":
        await _export(context, services, chat_id, rt.settings.staff.get(user.id), argument)
    elif command == "unanswered":
        rows = await services.store.unanswered(20)
        lines = [f"{r.asked_at:%d %b %H:%M} (score {r.score}): {r.question}" for r in rows]
        await _say(
            context,
            chat_id,
            "Recent questions I couldn't answer:\n" + "\n".join(lines)
            if lines
            else "No unanswered questions recorded.",
        )
    else:
        stats = await services.store.stats()
        lines = [f"{name.replace('_', ' ')}: {value:,}" for name, value in stats.items()]
        await _say(context, chat_id, "\n".join(lines) or "Nothing recorded yet.")


async def _export(
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    chat_id: int,
    own_hub: str | None,
    argument: str,
) -> None:
    hubs = services.knowledge.hubs
    hub_id: str | None = own_hub
    if argument:
        if own_hub is not None and argument != own_hub:
            await _say(context, chat_id, f"You can export the applications of {own_hub} only.")
            return
        if hubs.get(argument) is None:
            await _say(context, chat_id, f"I don't know a hub with the id {argument[:60]}.")
            return
        hub_id = argument
    apps = await services.store.applications(hub_id=hub_id)
    hub = hubs.get(hub_id) if hub_id else None
    scope = hub.name if hub is not None else (hub_id or "all hubs")
    if not apps:
        await _say(context, chat_id, f"No applications submitted yet for {scope}.")
        return
    data = applications_csv(apps, services.knowledge.flows[EOI]).encode("utf-8-sig")
    name = f"applications-{hub_id or 'all'}-{dt.date.today():%Y-%m-%d}.csv"
    await context.bot.send_document(
        chat_id,
        document=io.BytesIO(data),
        filename=name,
        caption=escape(f"{len(apps)} application(s) for {scope}."),
        parse_mode=ParseMode.HTML,
    )


async def _say(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str) -> None:
    for piece in render(text):
        await context.bot.send_message(chat_id, piece, parse_mode=ParseMode.HTML)


# -- errors ----------------------------------------------------------------------------------


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    if isinstance(error, NetworkError | Forbidden) and not isinstance(error, BadRequest):
        # Telegram unreachable for a moment, or the person blocked the bot: nothing to tell them.
        logger.warning("Telegram request failed: %s", error)
        return
    logger.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(
                update.effective_chat.id, escape(SORRY), parse_mode=ParseMode.HTML
            )
        except TelegramError as exc:
            logger.warning("could not tell the user about the error: %s", exc)


# -- running -----------------------------------------------------------------------------------


async def serve(
    application: TgApp,
    stop: asyncio.Event,
    *,
    ready: asyncio.Event | None = None,
    poll_timeout: float = 10.0,
) -> None:
    """Run until ``stop`` is set, then shut down cleanly: stop fetching, finish the
    updates in hand (within the grace period), close the services (the outbox keeps
    whatever is not delivered yet)."""
    settings = runtime(application).settings
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        updater = application.updater
        assert updater is not None
        if settings.webhook_url:
            secret = settings.webhook_secret or secrets.token_urlsafe(32)
            await updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
                webhook_url=settings.webhook_url,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            logger.info("receiving updates by webhook")
        else:
            await updater.start_polling(
                timeout=dt.timedelta(seconds=poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
            )
            logger.info("receiving updates by long polling")
        await application.start()
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await _shut_down(application, settings.shutdown_grace_seconds)


async def _shut_down(application: TgApp, grace: float) -> None:
    logger.info("shutting down")
    updater = application.updater
    if updater is not None and updater.running:
        await updater.stop()
    if application.running:
        try:
            await asyncio.wait_for(application.stop(), grace)
        except TimeoutError:
            logger.warning("updates still in progress after %.0f s were abandoned", grace)
    try:
        await application.shutdown()
    finally:
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def run_telegram(settings: Settings) -> int:
    """``python -m bot run``: until SIGINT/SIGTERM; 0 after a clean shutdown."""
    application = build_application(settings)

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await serve(application, stop)
        except InvalidToken:
            # PTB's message for this quotes the token itself.
            logger.error("Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN")
            return 1
        except NetworkError as exc:
            logger.error("cannot reach the Telegram Bot API: %s", exc)
            return 1
        return 0

    return asyncio.run(main())
