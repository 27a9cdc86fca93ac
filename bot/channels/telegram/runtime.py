"""What every Telegram handler reaches through ``application.bot_data``: the settings,
the button codec and the open services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.channels.telegram.render import CallbackCodec
from bot.exceptions import BotError
from bot.services import Services
from bot.settings import Settings

TgApp = Application[Any, Any, Any, Any, Any, Any]
RUNTIME_KEY = "runtime"


@dataclass
class Runtime:
    settings: Settings
    codec: CallbackCodec = field(default_factory=CallbackCodec)
    services: Services | None = None  # open between post_init and post_stop


def runtime(application: TgApp) -> Runtime:
    rt = application.bot_data[RUNTIME_KEY]
    assert isinstance(rt, Runtime)
    return rt


def services_of(context: ContextTypes.DEFAULT_TYPE) -> tuple[Runtime, Services]:
    rt = context.bot_data[RUNTIME_KEY]
    assert isinstance(rt, Runtime)
    if rt.services is None:
        raise BotError("the assistant's services are not open")
    return rt, rt.services
