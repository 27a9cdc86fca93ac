"""What the Telegram channel sends: HTML text, message splitting, button data, and the
messages themselves.

Everything but :func:`send_replies` is pure, so it can be tested directly.  Parse mode
and link previews are the Application's ``Defaults`` (see builder), not per-call options.
"""

from __future__ import annotations

import hashlib
import html
from collections import OrderedDict

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.ext import ContextTypes

from bot.replies import Reply

# Telegram's limits: 4096 characters of text after entity parsing (counted in UTF-16
# code units) and 1-64 bytes of callback data per button.
MAX_MESSAGE_UNITS = 4096
MAX_CALLBACK_BYTES = 64
# A button whose question is gone: never a real field id, so the assistant treats the
# press as stale and re-shows the current question instead of changing anything.
STALE_FIELD = "(stale button)"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Text safe for parse_mode=HTML: only &, < and > are special in Telegram's HTML."""
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Split plain text into pieces of at most ``limit`` UTF-16 units, preferring to
    break between paragraphs, then lines, then words."""
    if utf16_len(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        # The longest prefix within the limit (in code points, then checked in units).
        cut = min(len(rest), limit)
        while utf16_len(rest[:cut]) > limit:
            cut -= 1
        window = rest[:cut]
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at > limit // 4:
                cut = at + len(separator)
                break
        piece = rest[:cut].rstrip()
        pieces.append(piece or rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest.strip():
        pieces.append(rest)
    return pieces


def render(text: str) -> list[str]:
    """A reply's plain text as escaped HTML messages, each within Telegram's limit."""
    return [escape(piece) for piece in split_text(text)]


class CallbackCodec:
    """Encodes which field a button answers and the value it gives into callback data.

    ``field|value`` when it fits in 64 bytes: self-describing, so a button from before a
    restart still says exactly what it answers (the assistant then applies it if that
    question is current, or re-shows the current question).  Longer pairs get a short
    hash kept in a bounded in-memory map; after a restart (or eviction) such a button
    decodes to None and is treated as stale, never as some other value.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._long: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def encode(self, field: str | None, value: str) -> str:
        field = field or ""
        data = f"{field}|{value}"
        if "|" not in field and len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            return data
        key = "#" + hashlib.blake2b(data.encode("utf-8"), digest_size=16).hexdigest()
        self._long[key] = (field, value)
        self._long.move_to_end(key)
        while len(self._long) > self.max_entries:
            self._long.popitem(last=False)
        return key

    def decode(self, data: str | None) -> tuple[str, str] | None:
        """``(field, value)`` (field "" for a button that answers no form question), or
        None for data this process can't vouch for."""
        if not data:
            return None
        if data.startswith("#"):
            return self._long.get(data)
        field, separator, value = data.partition("|")
        if not separator:
            return None
        return field, value


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
                reply_markup=markup,
                reply_parameters=(
                    ReplyParameters(message_id=reply_to) if reply_to is not None else None
                ),
            )


async def say(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str) -> None:
    """Plain text from the channel itself (not the assistant), escaped and split."""
    for piece in render(text):
        await context.bot.send_message(chat_id, piece)
