"""``python -m bot web`` as a process: the address it prints, its request log, a port in
use (one line, no traceback) and a clean SIGTERM."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests._web import ROOT, WebProcess


def test_it_prints_its_address_logs_requests_without_personal_data_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    server = WebProcess(tmp_path / "var")
    server.start()
    try:
        assert f"Web chat: open {server.url}/" in server.log()
        _wait_for(server, f'<script src="{server.url}/embed.js" async></script>')
        with urllib.request.urlopen(f"{server.url}/api/history?after=0") as response:
            body = json.load(response)
            cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        assert body["messages"][0]["text"].startswith("Hello!")
        _wait_for(server, "GET /api/history 200")
    finally:
        code = server.stop()
    assert code == 0
    requests = [line for line in server.log().splitlines() if "/api/history" in line]
    assert requests and all("GET /api/history 200" in line for line in requests)
    for private in ("127.0.0.1", "after=", cookie, "Python-urllib"):
        assert not any(private in line for line in requests), requests


def _wait_for(server: WebProcess, text: str) -> None:
    deadline = time.monotonic() + 10
    while text not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text in server.log()


def test_a_port_in_use_is_one_readable_line(tmp_path: Path) -> None:
    first = WebProcess(tmp_path / "var")
    first.start()
    try:
        second = subprocess.run(
            [sys.executable, "-m", "bot", "web"],
            cwd=ROOT,
            env=first.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        first.stop()
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{first.port}" in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
