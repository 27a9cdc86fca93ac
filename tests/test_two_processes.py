"""Two real ``python -m bot chat`` processes for one user on one data directory: neither
overwrites the other's newer draft, and one draft never becomes two applications."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._smtp import ANSWERS
from tests.conftest import PYTHON, ROOT


class Terminal:
    """One console process speaking JSON lines."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "bot", "chat", "--jsonl", "--user", "teacher"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env, cwd=ROOT,
        )  # fmt: skip
        self.read_turn()

    def read_turn(self) -> list[dict[str, object]]:
        assert self.proc.stdout is not None
        replies: list[dict[str, object]] = []
        while True:
            line = self.proc.stdout.readline()
            assert line, self.finish()
            reply = json.loads(line)
            if reply.get("turn") == "end":
                return replies
            replies.append(reply)

    def say(self, text: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return "\n".join(str(r.get("text", "")) for r in self.read_turn())

    def finish(self) -> str:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        with self.proc.stderr as stderr:
            return stderr.read()


@pytest.fixture
def terminals(bot_env: dict[str, str]) -> Iterator[tuple[Terminal, Terminal]]:
    first = Terminal(bot_env)
    second = Terminal(bot_env)
    yield first, second
    for terminal in (first, second):
        stderr = terminal.finish()
        assert terminal.proc.returncode == 0, stderr


def test_two_terminals_never_lose_a_draft_nor_submit_it_twice(
    terminals: tuple[Terminal, Terminal], bot_env: dict[str, str]
) -> None:
    first, second = terminals
    first.say("/apply eoi")
    for _, value in ANSWERS[:11]:
        first.say(value)
    # The second terminal still holds the session it read at start; its next message must
    # not write that stale copy over the draft (consent and 10 answers).
    status = second.say("/status")
    assert "Draft in progress: 11 of" in status, status
    review = ""
    for _, value in ANSWERS[11:]:
        review = first.say(value)
    assert "submit" in review.lower()
    # Both terminals are at the review; the first submits, then the second tries to.
    assert "Reference: EOI-2026-0001" in first.say("submit")
    again = second.say("submit")
    assert "Reference:" not in again, again
    db = Path(bot_env["BOT_DATA_DIR"]) / "assistant.sqlite3"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM applications").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1
    conn.close()
