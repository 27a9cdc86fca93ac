"""The web chat channel: ``python -m bot web`` (see :mod:`bot.channels.web.server`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from aiohttp import web

from bot.channels.web.chat import WebChat
from bot.channels.web.config import QuietAccessLogger, WebConfig
from bot.channels.web.server import WebServer, create_app
from bot.exceptions import ConfigError
from bot.settings import Settings

__all__ = ["WebChat", "WebConfig", "WebServer", "create_app", "run_web"]

logger = logging.getLogger(__name__)


def embed_snippet(base: str) -> str:
    return f'<script src="{base}/embed.js" async></script>'


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Serve the chat until SIGINT or SIGTERM, then close everything in order."""
    from bot.services import open_services

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Installed before the services open, so their own SIGTERM handler stands aside and
    # this one shuts the web server down first (answers in flight are finished).
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    services = await open_services(settings)
    runner = web.AppRunner(
        create_app(services.assistant, services.store, WebConfig.from_settings(settings)),
        access_log_class=QuietAccessLogger,
        handle_signals=False,
        shutdown_timeout=5.0,
    )
    try:
        await runner.setup()
        site = web.TCPSite(runner, settings.web_host, settings.web_port)
        try:
            await site.start()
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {settings.web_host}:{settings.web_port}: {exc.strerror or exc}"
            ) from None
        host = settings.web_host if ":" not in settings.web_host else f"[{settings.web_host}]"
        address = settings.web_public_url or f"http://{host}:{settings.web_port}"
        print(f"Web chat: open {address}/ in a browser (Ctrl+C stops it)", flush=True)
        print(f"Embed it in a hub's site with: {embed_snippet(address)}", flush=True)
        if not settings.web_allowed_origins:
            print("(No WEB_ALLOWED_ORIGINS set: no other site may embed it yet.)", flush=True)
        if ready is not None:
            ready.set()
        await stop.wait()
        logger.info("stopping the web chat")
    finally:
        await runner.cleanup()
        await services.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def run_web(settings: Settings) -> int:
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 130
    sys.stdout.flush()
    return 0
