"""The web channel: an aiohttp server in front of the :class:`~bot.assistant.Assistant`.

The page (``static/``) is plain HTML, CSS and one script, served from here: no CDN, no
build step.  It talks to two JSON endpoints:

- ``GET api/history?after=SEQ``: the conversation so far (a new visitor is greeted);
- ``POST api/message`` ``{"text", "label"?, "field"?, "button"?, "id"?, "after"?}``: one
  message in (a pressed button says so, and which question it answered),
  every transcript entry after ``after`` out (so a second tab catches up too).

A browser is known by a random token in an HttpOnly, SameSite cookie; the assistant sees
only a hash of it (``web:<hash>``), so the database holds nothing that could be replayed
as a cookie.  Every message shown is kept in the store's transcript, which is what a
reload or a restarted server shows again (:mod:`bot.channels.web.chat`, the conversation
side, which knows nothing of HTTP).

Safety: a Content-Security-Policy with no inline script and ``frame-ancestors`` limited to
``WEB_ALLOWED_ORIGINS``; POSTs must come from the chat's own origin with a JSON body of
bounded size; per-session and per-address rate limits answer with a clear message;
nothing but a fixed sentence reaches the page when something breaks, and the access log
records method, path, status and time only.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
from importlib import resources
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.assistant import Assistant
from bot.channels.web.chat import WebChat
from bot.channels.web.config import (
    _TOKEN,
    COOKIE,
    COOKIE_MAX_AGE,
    MAX_BODY_BYTES,
    MAX_TEXT_CHARS,
    REFUSED,
    SORRY,
    TOO_FAST,
    TOO_LONG,
    WebConfig,
    message_options,
    origin_of,
    user_id_for,
)
from bot.channels.web.limits import RateLimiter
from bot.store.base import Store

logger = logging.getLogger(__name__)

STATIC = resources.files("bot.channels.web") / "static"
STATIC_TYPES = {
    "chat.css": "text/css; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "embed.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


class WebServer:
    def __init__(self, chat: WebChat, config: WebConfig) -> None:
        self.chat = chat
        self.config = config
        self.session_limit = RateLimiter(config.session_rate, max(10, config.session_rate // 3))
        self.address_limit = RateLimiter(config.address_rate, max(10, config.address_rate // 3))
        ancestors = " ".join(("'self'", *config.allowed_origins))
        self.csp = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "connect-src 'self'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {ancestors}"
        )
        self._static: dict[str, bytes] = {}

    # -- plumbing ----------------------------------------------------------------------

    def own_origins(self, request: web.Request) -> set[str]:
        origins = {f"{request.scheme}://{request.host}".lower()}
        if self.config.public_url:
            origins.add(self.config.public_url)
        return origins

    def _secure(self, request: web.Request) -> bool:
        return request.secure or (self.config.public_url or "").startswith("https://")

    def _token(self, request: web.Request) -> str | None:
        token = request.cookies.get(COOKIE, "")
        return token if _TOKEN.fullmatch(token) else None

    def _set_cookie(
        self, request: web.Request, response: web.StreamResponse, token: str, max_age: int
    ) -> None:
        attributes = f"Max-Age={max_age}; Path=/; HttpOnly; "
        if self._secure(request):
            # Served over HTTPS the chat may sit in a hub's page on another site: a
            # partitioned cookie reaches it there, and only there.  (Written by hand:
            # http.cookies knows "Partitioned" only from Python 3.14.)
            attributes += "Secure; SameSite=None; Partitioned"
        else:
            attributes += "SameSite=Lax"
        response.headers.add("Set-Cookie", f"{COOKIE}={token}; {attributes}")

    @web.middleware
    async def headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self._harden(request, exc)
            raise
        except Exception:
            logger.exception("web request failed: %s %s", request.method, request.path)
            response = web.json_response({"error": SORRY}, status=500)
        self._harden(request, response)
        return response

    def _harden(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["Server"] = "mathshub-assistant"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.path != "/embed.js":
            response.headers["Cross-Origin-Resource-Policy"] = "same-origin"

    def _asset(self, name: str) -> bytes:
        data = self._static.get(name)
        if data is None:
            data = self._static[name] = (STATIC / name).read_bytes()
        return data

    # -- pages ---------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=self._asset("index.html"),
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    async def asset(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_TYPES:
            raise web.HTTPNotFound()
        if name == "embed.js" and not self._may_embed(request):
            return web.Response(
                status=403,
                text="/* This site is not allowed to embed the Maths Hub chat. */",
                content_type="text/javascript",
            )
        return web.Response(
            body=self._asset(name),
            headers={"Content-Type": STATIC_TYPES[name], "Cache-Control": "no-cache"},
        )

    def _may_embed(self, request: web.Request) -> bool:
        """The embed script is for the configured sites; a page elsewhere gets a refusal.
        (A page that sends no Referer is let through: the browser still enforces
        ``frame-ancestors`` on the chat itself.)"""
        referer = request.headers.get("Referer")
        if not referer:
            return True
        origin = origin_of(referer)
        return origin in self.config.allowed_origins or origin in self.own_origins(request)

    # -- API -----------------------------------------------------------------------------

    def _limited(self, request: web.Request, token: str | None) -> web.Response | None:
        wait = self.address_limit.take(request.remote or "?")
        if not wait and token is not None:
            wait = self.session_limit.take(token)
        if not wait:
            return None
        seconds = max(1, math.ceil(wait))
        return web.json_response(
            {"error": TOO_FAST.format(seconds=seconds)},
            status=429,
            headers={"Retry-After": str(seconds)},
        )

    async def history(self, request: web.Request) -> web.StreamResponse:
        token = self._token(request)
        new = token is None
        if token is None:
            token = secrets.token_urlsafe(32)
        if limited := self._limited(request, token):
            return limited
        try:
            after = max(0, int(request.query.get("after", "0")))
        except ValueError:
            after = 0
        messages = await self.chat.history(user_id_for(token), after)
        response = web.json_response({"messages": messages, "fresh": new})
        if new:
            self._set_cookie(request, response, token, COOKIE_MAX_AGE)
        return response

    async def message(self, request: web.Request) -> web.StreamResponse:
        if refused := self._refuse_foreign(request):
            return refused
        token = self._token(request)
        new = token is None
        if token is None:
            token = secrets.token_urlsafe(32)
        if limited := self._limited(request, token):
            return limited
        body = await self._json_body(request)
        if isinstance(body, web.Response):
            return body
        messages, forgot = await self.chat.send(
            user_id_for(token), body["text"], **message_options(body)
        )
        response = web.json_response({"messages": messages, "reset": forgot})
        if forgot:
            self._set_cookie(request, response, "", 0)
        elif new:
            self._set_cookie(request, response, token, COOKIE_MAX_AGE)
        return response

    def _refuse_foreign(self, request: web.Request) -> web.Response | None:
        """A POST from another site (cross-site request forgery), or not JSON: refused."""
        origin = request.headers.get("Origin", "").lower()
        if origin not in self.own_origins(request):
            logger.warning("refused a POST from another origin")
            return web.json_response({"error": REFUSED}, status=403)
        if request.content_type != "application/json":
            return web.json_response({"error": REFUSED}, status=415)
        return None

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any] | web.Response:
        """The message's JSON object with its ``text``, or the reply refusing it (too long,
        not JSON, no text); nothing past the size limit is read."""
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return web.json_response(
                {"error": TOO_LONG.format(length=request.content_length or 0)}, status=413
            )
        try:
            raw = await request.content.read(MAX_BODY_BYTES + 1)
            if len(raw) > MAX_BODY_BYTES:
                return web.json_response({"error": TOO_LONG.format(length=len(raw))}, status=413)
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return web.json_response({"error": "Please send your message as text."}, status=400)
        text: str = body["text"]
        if len(text) > MAX_TEXT_CHARS:
            return web.json_response({"error": TOO_LONG.format(length=len(text))}, status=413)
        return body

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.headers], client_max_size=MAX_BODY_BYTES)
        app.router.add_get("/", self.index)
        app.router.add_get("/api/history", self.history)
        app.router.add_post("/api/message", self.message)
        app.router.add_get("/{name}", self.asset)
        return app


def create_app(
    assistant: Assistant, store: Store, config: WebConfig | None = None
) -> web.Application:
    return WebServer(WebChat(assistant, store), config or WebConfig()).app()
