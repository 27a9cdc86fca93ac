"""Incoming Telegram updates turned into :class:`~bot.assistant.Incoming` and back.

The handlers only translate: who is speaking (a person in a private chat, or a person in
a group), what kind of message it is, whether a group message is meant for the bot.
Whether a button is stale or an update was already answered is the assistant's call:
every update reaches it with ``update_key="telegram:<update_id>"``, committed with the
session, so an update Telegram delivers again after a crash is not answered twice.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.assistant import Incoming
from bot.channels.telegram.render import STALE_FIELD, escape, send_replies
from bot.channels.telegram.runtime import services_of
from bot.exceptions import BotError

logger = logging.getLogger(__name__)

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
SORRY = (
    "Sorry, something went wrong on my side. Everything you had answered is saved; "
    "please send that again in a moment."
)


def user_key(chat_id: int, chat_type: str, user_id: int) -> str:
    """Private chats: the person.  Groups: the person *in that group*, so two people in
    one group never share a form's state."""
    if chat_type == ChatType.PRIVATE:
        return f"tg:{user_id}"
    return f"tg:{chat_id}:{user_id}"


def update_key(update: Update) -> str:
    return f"telegram:{update.update_id}"


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


def _to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


def _addressed(message: Message, text: str, username: str, bot_id: int) -> str | None:
    """In a group: the text meant for the bot (mention removed), or None if it isn't.
    Commands, replies to the bot and messages naming @bot count; the rest of the
    group's conversation is none of the bot's business."""
    mention = f"@{username}".lower()
    if text.startswith("/"):
        word = text.split(maxsplit=1)[0]
        _, named, target = word.partition("@")
        return text if not named or target.lower() == username.lower() else None
    at = text.lower().find(mention)
    if at >= 0:
        return (text[:at] + text[at + len(mention) :]).strip(" ,:")
    return text if _to_bot(message, bot_id) else None


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
        if kind == "text":
            addressed = _addressed(message, text, context.bot.username, context.bot.id)
            if addressed is None:
                return
            text = addressed
        elif not _to_bot(message, context.bot.id):
            return
    rt, services = services_of(context)
    incoming = Incoming(
        user_id=user_key(chat.id, chat.type, user.id),
        text=text,
        kind=kind,
        private=private,
        update_key=update_key(update),
        location=location,
    )
    replies = await services.assistant.handle(incoming)
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
    rt, services = services_of(context)
    private = chat.type == ChatType.PRIVATE
    # Data this process can't vouch for answers a question that never exists: stale.
    field_id, value = rt.codec.decode(query.data) or (STALE_FIELD, "")
    incoming = Incoming(
        user_id=user_key(chat.id, chat.type, user.id),
        text=value,
        private=private,
        update_key=update_key(update),
        for_field=field_id or None,
        button=True,
    )
    replies, current = await services.assistant.press(incoming)
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


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram unreachable for a moment, or a person who blocked the bot: a warning.
    Anything else is our fault: logged with its traceback, and the person is told."""
    error = context.error
    if isinstance(error, NetworkError | Forbidden) and not isinstance(error, BadRequest):
        logger.warning("Telegram request failed: %s", error)
        return
    if isinstance(error, BotError):
        # A machine failure we describe ourselves (the database is full, say): one line.
        logger.error("could not handle an update: %s", error)
    else:
        logger.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, escape(SORRY))
        except TelegramError as exc:
            logger.warning("could not tell the user about the error: %s", exc)
