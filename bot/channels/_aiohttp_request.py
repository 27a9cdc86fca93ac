"""python-telegram-bot's HTTP layer on aiohttp instead of httpx.

Why: profiles of the bot put 61-78 % of its CPU time in PTB's default HTTP stack
(httpx, httpcore, anyio), more than our own logic, store and rendering together.  aiohttp
(already needed for the webhook server) does the same Bot API call for well under half the
CPU, so the assistant costs less per update than a bare PTB bot on the stock client.
``TELEGRAM_HTTP=httpx`` switches back to PTB's own :class:`~telegram.request.HTTPXRequest`.

What PTB expects of a :class:`~telegram.request.BaseRequest` (see ``_httpxrequest.py``):
``do_request`` returns ``(status, body)`` and raises :class:`~telegram.error.TimedOut` or
:class:`~telegram.error.NetworkError` for transport failures; PTB maps HTTP statuses to its
own errors.  Plain calls are sent as a urlencoded form of JSON-encoded values, uploads
(``sendDocument`` for staff ``/export``) as multipart/form-data, exactly as HTTPXRequest does.

Timeouts: ``connect`` bounds opening a connection, ``pool`` waiting for a free one (aiohttp
counts both in one ``connect`` budget, so that budget is their sum), ``read`` each wait for
response bytes.  aiohttp has no per-write timeout, so a request that writes anything is
also bounded as a whole by the sum of its four timeouts (with ``media_write_timeout`` for
uploads); a ``None`` anywhere means no such overall bound.

Proxies: an ``http://`` proxy URL (``TELEGRAM_PROXY``).  Environment proxy variables are
not read (aiohttp would parse the environment on every request); SOCKS proxies need
``TELEGRAM_HTTP=httpx`` with ``python-telegram-bot[socks]``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.exceptions import ConfigError
from bot.settings import Settings


def _sum(*values: float | None) -> float | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


class AiohttpRequest(BaseRequest):
    """A pooled aiohttp session behind PTB's request interface; one per PTB ``Bot`` role
    (API calls, and getUpdates, each with its own pool as PTB's builder does)."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_timeouts",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        if proxy is not None and not proxy.lower().startswith(("http://", "https://")):
            raise ConfigError(
                f"TELEGRAM_PROXY: aiohttp takes an http:// proxy, not {proxy.split(':', 1)[0]}:// "
                "(set TELEGRAM_HTTP=httpx and install python-telegram-bot[socks] for SOCKS)"
            )
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        # ClientTimeout objects by their four values: getUpdates and sendMessage each reuse one.
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        # The session binds to the running event loop, so it is made here, not in __init__.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                trust_env=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(
        self,
        read: float | None,
        write: float | None,
        connect: float | None,
        pool: float | None,
        writes: bool,
    ) -> aiohttp.ClientTimeout:
        key = (read, write, connect, pool, writes)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(
                total=_sum(read, write, connect, pool) if writes else None,
                connect=_sum(connect, pool),
                sock_connect=connect,
                sock_read=read,
            )
            if len(self._timeouts) < 64:
                self._timeouts[key] = timeout
        return timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        data: Any = None
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():  # type: ignore[union-attr]
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
        elif request_data is not None:
            data = request_data.json_parameters or None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        timeout = self._timeout(read, write, connect, pool, writes=data is not None)
        try:
            async with session.request(
                method, url, data=data, timeout=timeout, proxy=self._proxy
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            # aiohttp's connect, read and total timeouts all subclass TimeoutError.
            raise TimedOut(f"aiohttp: {exc.__class__.__name__}: {exc}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc


def telegram_requests(settings: Settings) -> tuple[BaseRequest, BaseRequest]:
    """The request objects for Bot API calls and for getUpdates, as ``TELEGRAM_HTTP`` says.

    Pool sizes follow PTB's builder: 256 connections for calls (PTB's concurrency), one
    for getUpdates (one long poll at a time).
    """
    proxy = settings.telegram_proxy
    if settings.telegram_http == "httpx":
        try:
            return (
                HTTPXRequest(connection_pool_size=256, proxy=proxy),
                HTTPXRequest(connection_pool_size=1, proxy=proxy),
            )
        except RuntimeError as exc:  # e.g. a socks5:// proxy without the socks extra
            raise ConfigError(f"TELEGRAM_PROXY: {exc}") from exc
    return (
        AiohttpRequest(connection_pool_size=256, proxy=proxy),
        AiohttpRequest(connection_pool_size=1, proxy=proxy),
    )
