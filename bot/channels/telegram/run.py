"""Running the Application until SIGINT/SIGTERM, by long polling or by webhook.

This is python-telegram-bot's own run loop (``Application.run_polling``) in the same
order, initialize, post_init, start the updater, start; then stop the updater, stop,
post_stop, shutdown, post_shutdown, with two differences PTB's loop cannot give: it
runs in an event loop the caller owns (tests and the benchmark drive it), and the
updates still in hand get at most the grace period (``SHUTDOWN_GRACE_SECONDS``) to finish,
so a stuck update never keeps a stopping service alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import signal
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError

from bot.channels.telegram.builder import build_application
from bot.channels.telegram.runtime import TgApp, runtime
from bot.settings import Settings

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")


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
        await _start_updater(application, settings, poll_timeout)
        await application.start()
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await _shut_down(application, settings.shutdown_grace_seconds)


async def _start_updater(application: TgApp, settings: Settings, poll_timeout: float) -> None:
    updater = application.updater
    assert updater is not None
    if settings.webhook_url:
        await updater.start_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret or secrets.token_urlsafe(32),
            allowed_updates=list(ALLOWED_UPDATES),
        )
        logger.info("receiving updates by webhook")
    else:
        await updater.start_polling(
            timeout=dt.timedelta(seconds=poll_timeout), allowed_updates=list(ALLOWED_UPDATES)
        )
        logger.info("receiving updates by long polling")


async def _shut_down(application: TgApp, grace: float) -> None:
    logger.info("shutting down")
    updater = application.updater
    if updater is not None and updater.running:
        await updater.stop()
    try:
        if application.running:
            try:
                await asyncio.wait_for(application.stop(), grace)
            except TimeoutError:
                logger.warning("updates still in progress after %.0f s were abandoned", grace)
        if application.post_stop is not None:
            await application.post_stop(application)
    finally:
        await application.shutdown()
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
