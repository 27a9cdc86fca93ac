"""The web channel over HTTP (aiohttp's test server, the real assistant and SQLite file):
cookies, the origin check, headers, size and rate limits, transcripts, /forget, errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from http.cookies import SimpleCookie
from typing import Any

import pytest
from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestClient, TestServer

from bot.assistant import Assistant, Incoming
from bot.channels.web.config import (
    COOKIE,
    MAX_TEXT_CHARS,
    QuietAccessLogger,
    WebConfig,
    user_id_for,
)
from bot.channels.web.server import create_app
from bot.store.sqlite import SqliteStore

HUB_SITE = "https://www.enigma-hub.example"


class Browser:
    """One browser: its own cookie, sending what the page's script sends."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.cookie: str | None = None
        self.seq = 0
        self.last: dict[str, Any] = {}

    @property
    def origin(self) -> str:
        return str(self.client.make_url("/")).rstrip("/")

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        headers.update(extra or {})
        return headers

    def _keep_cookie(self, response: Any) -> None:
        for header in response.headers.getall("Set-Cookie", []):
            name, _, value = header.split(";", 1)[0].partition("=")
            if name == COOKIE:
                self.cookie = value or None

    async def history(self, after: int = 0) -> list[dict[str, Any]]:
        response = await self.client.get(f"/api/history?after={after}", headers=self._headers())
        assert response.status == 200
        self._keep_cookie(response)
        self.last = await response.json()
        messages: list[dict[str, Any]] = self.last["messages"]
        self.seq = max([self.seq, *(m["seq"] for m in messages)])
        return messages

    async def post(self, body: dict[str, Any], **headers: str) -> Any:
        merged = {"Origin": self.origin, "Content-Type": "application/json", **headers}
        response = await self.client.post("/api/message", json=body, headers=self._headers(merged))
        self._keep_cookie(response)
        return response

    async def say(self, text: str, **extra: Any) -> list[dict[str, Any]]:
        response = await self.post({"text": text, "after": self.seq, **extra})
        assert response.status == 200, await response.text()
        self.last = await response.json()
        messages: list[dict[str, Any]] = self.last["messages"]
        self.seq = max([self.seq, *(m["seq"] for m in messages)])
        return messages


@pytest.fixture
async def make_client(
    assistant: Assistant, store: SqliteStore
) -> AsyncIterator[Callable[..., Any]]:
    clients: list[TestClient[Any, Any]] = []

    async def make(config: WebConfig | None = None, **runner: Any) -> TestClient[Any, Any]:
        server = TestServer(create_app(assistant, store, config))
        await server.start_server(**runner)
        client: TestClient[Any, Any] = TestClient(server, cookie_jar=DummyCookieJar())
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: Callable[..., Any]) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await make_client(WebConfig(allowed_origins=(HUB_SITE,)))
    return client


async def test_a_new_visitor_gets_a_cookie_and_the_greeting(
    client: TestClient[Any, Any], store: SqliteStore
) -> None:
    response = await client.get("/api/history")
    assert response.status == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    body = await response.json()
    assert body["fresh"] is True
    [greeting] = body["messages"]
    assert greeting["role"] == "assistant" and greeting["text"].startswith("Hello!")
    assert [o["label"] for o in greeting["options"]][:3] == [
        "Ask a question",
        "Am I eligible?",
        "Find my Maths Hub",
    ]
    # The database knows the browser only by a hash of its cookie.
    token = SimpleCookie(cookie)[COOKIE].value
    assert await store.load_session(user_id_for(token)) is not None
    assert await store.load_session(token) is None
    assert user_id_for(token) != f"web:{token}"


async def test_a_returning_browser_sees_its_conversation_and_is_not_greeted_again(
    client: TestClient[Any, Any],
) -> None:
    browser = Browser(client)
    await browser.history()
    answer = await browser.say("Do I need QTS?")
    assert [m["role"] for m in answer] == ["user", "assistant"]
    assert "Qualified Teacher Status" in answer[1]["text"]
    again = await browser.history()
    assert [m["text"][:5] for m in again] == ["Hello", "Do I ", answer[1]["text"][:5]]
    assert browser.last["fresh"] is False


async def test_two_browsers_never_see_each_others_messages(client: TestClient[Any, Any]) -> None:
    alice, bob = Browser(client), Browser(client)
    await alice.history()
    await bob.history()
    await alice.say("/apply eoi")
    await alice.say("yes", label="I agree", field="privacy_consent")
    await alice.say("Secret Academy")
    bob_view = await bob.history()
    assert alice.cookie != bob.cookie
    assert not any("Secret Academy" in m["text"] for m in bob_view)
    alice_seqs = {m["seq"] for m in await alice.history()}
    assert len(alice_seqs) > 3 and alice_seqs.isdisjoint(m["seq"] for m in bob_view)


async def test_two_tabs_of_one_browser_are_one_conversation(client: TestClient[Any, Any]) -> None:
    first = Browser(client)
    await first.history()
    second = Browser(client)
    second.cookie = first.cookie
    await second.history()
    await first.say("/apply eoi")
    caught_up = await second.history(after=second.seq)
    assert caught_up[0] == {
        "seq": caught_up[0]["seq"],
        "role": "user",
        "text": "/apply eoi",
        "field": None,
        "flow": None,
        "options": [],
    }
    assert caught_up[-1]["field"] == "privacy_consent"
    # A message from the second tab answers the same form.
    reply = await second.say("yes", label="I agree", field="privacy_consent")
    assert reply[-1]["field"] == "school_name"
    # The first tab's next message brings back what the second tab said in between.
    caught = await first.say("Two Tab School")
    assert [m["text"] for m in caught if m["role"] == "user"] == ["I agree", "Two Tab School"]
    assert caught[-1]["field"] == "school_address"


async def test_a_button_records_its_label_and_a_stale_button_changes_nothing(
    client: TestClient[Any, Any],
) -> None:
    browser = Browser(client)
    await browser.history()
    await browser.say("/apply eoi")
    reply = await browser.say("yes", label="I agree", field="privacy_consent")
    assert reply[0]["text"] == "I agree"
    stale = await browser.say("no", label="No, stop here", field="privacy_consent")
    assert "earlier question" in stale[-1]["text"]
    assert stale[-1]["field"] == "school_name"
    # A menu button from before the form started is stale too, and changes nothing.
    menu = await browser.say("hub", label="Find my Maths Hub", button=True)
    assert "earlier question" in menu[-1]["text"]
    assert menu[-1]["field"] == "school_name"


async def test_posts_from_other_origins_or_without_json_are_refused(
    client: TestClient[Any, Any], store: SqliteStore
) -> None:
    browser = Browser(client)
    await browser.history()
    for headers in ({"Origin": HUB_SITE}, {"Origin": "null"}, {"Origin": ""}):
        response = await browser.post({"text": "/apply eoi"}, **headers)
        assert response.status == 403
        assert "refused" in (await response.json())["error"]
    response = await browser.post({"text": "/apply eoi"}, **{"Content-Type": "text/plain"})
    assert response.status == 415
    assert browser.cookie is not None
    session = await store.load_session(user_id_for(browser.cookie))
    assert session is not None and session.active is None


async def test_malformed_bodies_get_a_clear_400(client: TestClient[Any, Any]) -> None:
    browser = Browser(client)
    for body in ({"text": 5}, {"nothing": "here"}):
        response = await browser.post(body)
        assert response.status == 400
        assert (await response.json())["error"] == "Please send your message as text."
    response = await client.post(
        "/api/message",
        data=b"{not json",
        headers={"Origin": browser.origin, "Content-Type": "application/json"},
    )
    assert response.status == 400


async def test_size_limits_answer_clearly_and_lose_nothing(client: TestClient[Any, Any]) -> None:
    browser = Browser(client)
    await browser.history()
    await browser.say("/apply eoi")
    await browser.say("yes", field="privacy_consent")
    response = await browser.post({"text": "x" * (MAX_TEXT_CHARS + 1)})
    assert response.status == 413
    assert "too long" in (await response.json())["error"]
    response = await browser.post({"text": "x" * 10, "padding": "y" * 100_000})
    assert response.status == 413
    # Within the HTTP limit, the form's own limit explains itself and keeps the question.
    reply = await browser.say("x" * (MAX_TEXT_CHARS - 10))
    assert "longest answer I can take" in reply[-1]["text"]
    assert reply[-1]["field"] == "school_name"


async def test_one_browser_sending_too_fast_is_told_to_wait(
    make_client: Callable[..., Any],
) -> None:
    client = await make_client(WebConfig(session_rate=6, address_rate=1000))
    browser, other = Browser(client), Browser(client)
    await browser.history()  # the page load spends one
    for _ in range(9):
        await browser.say("hello")
    response = await browser.post({"text": "hello"})
    assert response.status == 429
    assert int(response.headers["Retry-After"]) >= 1
    error = (await response.json())["error"]
    assert "faster than I can read" in error and "seconds" in error
    # Another browser from the same address is not held back by it.
    await other.history()
    assert await other.say("hello")


async def test_one_address_is_limited_across_sessions(make_client: Callable[..., Any]) -> None:
    client = await make_client(WebConfig(address_rate=30, session_rate=1000))
    statuses = []
    for _ in range(15):
        response = await client.get("/api/history")
        statuses.append(response.status)
    assert 429 in statuses
    assert statuses[:10] == [200] * 10


async def test_security_headers_on_every_response(client: TestClient[Any, Any]) -> None:
    for path in ("/", "/chat.js", "/chat.css", "/api/history", "/missing"):
        response = await client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "default-src 'none'" in csp
        assert f"frame-ancestors 'self' {HUB_SITE}" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "aiohttp" not in response.headers.get("Server", "")
    page = await (await client.get("/")).text()
    assert "<script>" not in page and "style=" not in page and "onclick" not in page
    assert '<script src="chat.js" defer></script>' in page


async def test_without_allowed_origins_only_the_chat_itself_may_frame_it(
    make_client: Callable[..., Any],
) -> None:
    client = await make_client(WebConfig())
    response = await client.get("/")
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")


async def test_the_embed_script_is_refused_to_other_sites(client: TestClient[Any, Any]) -> None:
    allowed = await client.get("/embed.js", headers={"Referer": f"{HUB_SITE}/contact"})
    assert allowed.status == 200
    assert "mathshub-chat" in await allowed.text()
    assert "Cross-Origin-Resource-Policy" not in allowed.headers
    refused = await client.get("/embed.js", headers={"Referer": "https://evil.example/page"})
    assert refused.status == 403
    assert "mathshub-chat" not in await refused.text()


async def test_forget_deletes_the_data_and_the_cookie(
    client: TestClient[Any, Any], store: SqliteStore
) -> None:
    browser = Browser(client)
    await browser.history()
    await browser.say("/apply eoi")
    await browser.say("yes", field="privacy_consent")
    await browser.say("Example Academy")
    token = browser.cookie
    assert token is not None
    response = await browser.post({"text": "/forget", "after": browser.seq})
    body = await response.json()
    assert body["reset"] is True
    assert "deleted your draft" in body["messages"][0]["text"]
    cleared = SimpleCookie(response.headers["Set-Cookie"])[COOKIE]
    assert cleared.value == "" and cleared["max-age"] == "0"
    assert await store.load_session(user_id_for(token)) is None
    assert await store.transcript(user_id_for(token)) == []
    # The browser starts afresh, with a new cookie.
    assert browser.cookie is None
    fresh = await browser.history()
    assert browser.cookie not in (None, token)
    assert [m["text"][:6] for m in fresh] == ["Hello!"]


async def test_a_transcript_that_lags_the_session_re_asks_the_current_question(
    client: TestClient[Any, Any], assistant: Assistant
) -> None:
    """The server stopped after saving an answer but before recording its replies."""
    browser = Browser(client)
    await browser.history()
    await browser.say("/apply eoi")
    assert browser.cookie is not None
    await assistant.handle(Incoming(user_id_for(browser.cookie), "yes"))  # not recorded
    again = Browser(client)
    again.cookie = browser.cookie
    messages = await again.history()
    assert messages[-1]["field"] == "school_name"
    assert "Welcome back" in messages[-2]["text"]


async def test_a_message_sent_twice_is_answered_once(client: TestClient[Any, Any]) -> None:
    browser = Browser(client)
    await browser.history()
    await browser.say("/apply eoi", id="0b7a3c52-1111-4c1e-9d7f-123456789abc")
    first = await browser.say("yes", id="0b7a3c52-2222-4c1e-9d7f-123456789abc")
    assert first[-1]["field"] == "school_name"
    await browser.say("Example Academy", id="0b7a3c52-3333-4c1e-9d7f-123456789abc")
    repeat = await browser.say("Example Academy", id="0b7a3c52-3333-4c1e-9d7f-123456789abc")
    assert repeat == []
    shown = [m["text"] for m in await browser.history() if m["role"] == "user"]
    assert shown.count("Example Academy") == 1


async def test_a_failure_shows_one_sentence_and_no_internals(
    client: TestClient[Any, Any], store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    browser = Browser(client)
    await browser.history()
    await store.close()
    response = await browser.post({"text": "Do I need QTS?"})
    assert response.status == 500
    text = await response.text()
    assert "something went wrong on my side" in text
    for secret in ("Traceback", "Error", "sqlite", "File ", browser.cookie or "?"):
        assert secret not in text


async def test_secure_deployments_use_a_partitioned_cross_site_cookie(
    make_client: Callable[..., Any],
) -> None:
    client = await make_client(WebConfig(public_url="https://chat.example-hub.org"))
    response = await client.get("/api/history")
    cookie = response.headers["Set-Cookie"]
    for part in ("HttpOnly", "Secure", "SameSite=None", "Partitioned"):
        assert part in cookie
    # The public address is an origin the page may post from.
    browser = Browser(client)
    response = await browser.post({"text": "hi"}, Origin="https://chat.example-hub.org")
    assert response.status == 200


async def test_the_request_log_has_no_personal_data(
    make_client: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(WebConfig(), access_log_class=QuietAccessLogger)
    browser = Browser(client)
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        await browser.history(after=0)
        await browser.say("Do I need QTS? Write to jane@school.example")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "aiohttp.access")
    assert "POST /api/message 200" in logged and "GET /api/history 200" in logged
    for private in ("jane@school.example", "127.0.0.1", browser.cookie or "?", "after="):
        assert private not in logged
