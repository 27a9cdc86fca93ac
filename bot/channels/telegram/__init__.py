"""The Telegram channel: python-telegram-bot 22 in front of the :class:`~bot.assistant.Assistant`.

``run_telegram(settings)`` runs the bot by long polling, or by webhook when
``WEBHOOK_URL`` is set, until SIGINT/SIGTERM.  A thin adapter, one job a module:

* :mod:`.builder`: the Application (HTTP client, ``Defaults``, handlers, post_init/post_stop);
* :mod:`.handlers`: messages and button presses to :class:`~bot.assistant.Incoming`, errors;
* :mod:`.staff`: /export, /unanswered, /stats for the ids in ``STAFF_TELEGRAM_IDS``;
* :mod:`.render`: escaped HTML split at 4096 characters, choices as inline buttons;
* :mod:`.ordering`: each chat's updates one at a time in arrival order, chats concurrently;
* :mod:`.run`: the run loop, with a grace period for updates in hand at shutdown;
* :mod:`.runtime`: what the handlers share through ``bot_data``.
"""

from __future__ import annotations

from bot.channels.telegram.builder import build_application, file_url_for
from bot.channels.telegram.handlers import user_key
from bot.channels.telegram.run import run_telegram, serve
from bot.channels.telegram.runtime import runtime

__all__ = ["build_application", "file_url_for", "run_telegram", "runtime", "serve", "user_key"]
