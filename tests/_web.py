"""Test helpers for the web chat in a real browser: ``python -m bot web`` as a process,
small static "hub websites" on other loopback ports, and Debian's chromium via Playwright.

Playwright's own browser download is not reachable here, so the browser is the one the
operating system's package manager installs (``apt-get install chromium``; ``scripts/test``
does it when missing).  Nothing here touches the network beyond loopback.
"""

from __future__ import annotations

import http.server
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from playwright.sync_api import Browser, Page, ViewportSize, expect

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "tests" / "assets" / "axe.min.js"
TODAY = "2026-11-23"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class WebProcess:
    """``python -m bot web`` on a loopback port, stopped and started like a real service."""

    def __init__(self, data_dir: Path, allowed_origins: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SMTP_", "TELEGRAM_", "BOT_", "WEB_", "HUB_"))
        }
        self.env.update(
            {
                "BOT_DATA_DIR": str(data_dir),
                "BOT_TODAY": TODAY,
                "WEB_HOST": "127.0.0.1",
                "WEB_PORT": str(self.port),
                "WEB_ALLOWED_ORIGINS": ",".join(allowed_origins),
                # A test answers a whole form faster than any person could.
                "WEB_SESSION_RATE": "6000",
                "PYTHONPATH": str(ROOT),
            }
        )
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self._drainer: threading.Thread | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "web"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if line.startswith("Web chat: open"):
                self._drainer = threading.Thread(target=self._drain, daemon=True)
                self._drainer.start()
                return
        raise AssertionError("the web chat did not start:\n" + "".join(self.output))

    def _drain(self) -> None:
        process = self.process
        assert process is not None and process.stdout is not None
        for line in process.stdout:
            self.output.append(line)

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        if self._drainer is not None:
            self._drainer.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None
        return code

    def log(self) -> str:
        return "".join(self.output)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    pages: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:
        body = self.pages.get(self.path.split("?", 1)[0])
        if body is None:
            self.send_error(404)
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def static_site(pages: dict[str, str], port: int = 0) -> Iterator[str]:
    """A "hub website" on another loopback port: its pages by path; yields its origin."""
    handler = type("Pages", (_Quiet,), {"pages": pages})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def hub_page(chat_url: str, *, iframe: bool = False) -> str:
    snippet = (
        f'<iframe src="{chat_url}/?embed=1" title="Maths Hub assistant" '
        'width="400" height="600"></iframe>'
        if iframe
        else f'<script src="{chat_url}/embed.js" async></script>'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A Maths Hub</title>'
        "</head><body><h1>Enigma Maths Hub</h1><p>Work Groups for schools in our area.</p>"
        f"{snippet}</body></html>"
    )


class ChatPage:
    """The chat as a person sees it: messages, buttons, the message box."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.root: Any = page

    def within(self, frame: Any) -> ChatPage:
        self.root = frame
        return self

    def assistant_messages(self) -> Any:
        return self.root.locator(".msg-assistant")

    def last(self) -> str:
        """The newest assistant message's text (without its buttons)."""
        text: str = self.assistant_messages().last.locator(".body").inner_text()
        return text

    def wait_until_idle(self) -> None:
        expect(self.root.locator(".msg-user.pending")).to_have_count(0, timeout=TIMEOUT_MS)
        expect(self.root.locator("#typing")).to_be_hidden(timeout=TIMEOUT_MS)

    def open(self, url: str) -> ChatPage:
        self.page.goto(url)
        expect(self.assistant_messages().first).to_be_visible(timeout=TIMEOUT_MS)
        return self

    def reply_to(self, act: Any) -> str:
        before = self.assistant_messages().count()
        act()
        expect(self.assistant_messages()).not_to_have_count(before, timeout=TIMEOUT_MS)
        self.wait_until_idle()
        return self.last()

    def type(self, text: str) -> str:
        box = self.root.get_by_label("Your message")

        def act() -> None:
            box.fill(text)
            box.press("Enter")

        return self.reply_to(act)

    def choose(self, label: str | re.Pattern[str]) -> str:
        button = self.root.locator(".options:not([hidden])").get_by_role(
            "button", name=label, exact=isinstance(label, str)
        )
        return self.reply_to(button.click)

    def current_field_options(self) -> list[str]:
        labels: list[str] = self.root.locator(".options:not([hidden]) button").all_inner_texts()
        return labels


def launch(playwright: Any) -> Browser:
    browser: Browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    return browser
