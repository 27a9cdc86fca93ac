"""The web channel's settings and the small pieces of HTTP it shares: the cookie, the
limits on what a page may send, the fixed replies, and an access log without personal data.

Split from :mod:`bot.channels.web.server` (the routes and their checks).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.flows.validators import MAX_ANSWER_CHARS
from bot.settings import DEFAULT_WEB_ADDRESS_RATE, DEFAULT_WEB_SESSION_RATE, Settings

COOKIE = "mh_chat"
COOKIE_MAX_AGE = 90 * 24 * 3600  # as long as a draft is kept
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
# Longer than any answer the form takes, so the assistant's own "that is N characters"
# reply explains the limit; beyond this the server refuses before reading further.
MAX_TEXT_CHARS = MAX_ANSWER_CHARS + 1000
MAX_BODY_BYTES = 4 * MAX_TEXT_CHARS + 1024

SORRY = (
    "Sorry, something went wrong on my side. Everything you had answered is saved; "
    "please send that again in a moment."
)
TOO_FAST = (
    "You're sending messages faster than I can read them. Please wait {seconds} seconds "
    "and send that again; nothing you had answered is lost."
)
TOO_LONG = (
    "That message is too long for me to read ({length:,} characters). Please keep it under "
    f"{MAX_TEXT_CHARS:,} characters."
)
REFUSED = "This request was refused: it did not come from the chat page."

@dataclass(frozen=True)
class WebConfig:
    allowed_origins: tuple[str, ...] = ()
    public_url: str | None = None
    # Messages a minute; a bucket holds a third of a minute's worth (at least 10), so a
    # quick burst of clicks passes and a script is slowed to the rate.
    address_rate: int = DEFAULT_WEB_ADDRESS_RATE
    session_rate: int = DEFAULT_WEB_SESSION_RATE

    @classmethod
    def from_settings(cls, settings: Settings) -> WebConfig:
        return cls(
            allowed_origins=settings.web_allowed_origins,
            public_url=settings.web_public_url,
            address_rate=settings.web_address_rate,
            session_rate=settings.web_session_rate,
        )


def user_id_for(token: str) -> str:
    return "web:" + hashlib.sha256(token.encode("ascii")).hexdigest()[:40]


# -- HTTP -------------------------------------------------------------------------------


class QuietAccessLogger(AbstractAccessLogger):
    """Method, path, status and time: no address, query, cookie or user agent."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1fms", request.method, request.path, response.status, time * 1000
        )


def message_options(body: dict[str, Any]) -> dict[str, Any]:
    """What the page says about a message besides its text, each checked and bounded."""
    label = body.get("label")
    field = body.get("field")
    message_id = body.get("id")
    try:
        after = max(0, int(body.get("after") or 0))
    except (TypeError, ValueError):
        after = 0
    return {
        "label": label[:300] if isinstance(label, str) and label else None,
        "for_field": field[:100] if isinstance(field, str) and field else None,
        "button": body.get("button") is True,
        "message_id": (
            message_id
            if isinstance(message_id, str) and _MESSAGE_ID.fullmatch(message_id)
            else None
        ),
        "after": after,
    }


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
