"""The console channel: a chat in the terminal, for a person or (``--jsonl``) for programs.

JSON lines contract (``python -m bot chat --jsonl [--user ID]``): one user message per
input line; one object per bot message, ``{"text", "field", "options", "flow"}``; after
the replies to each input line (and once after the greeting) ``{"turn": "end"}``.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from typing import TextIO

from bot.assistant import Assistant, Incoming
from bot.replies import Reply

MAX_LINE_CHARS = 100_000
UNREADABLE = (
    "I couldn't read that line: it isn't UTF-8 text (perhaps a file in another encoding). "
    "Nothing was saved from it; please type it again."
)


class ConsoleChannel:
    def __init__(
        self,
        assistant: Assistant,
        user_id: str,
        *,
        jsonl: bool = False,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.assistant = assistant
        self.user_id = user_id
        self.jsonl = jsonl
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        if isinstance(self.stdin, io.TextIOWrapper):
            # Bytes that are not UTF-8 become lone surrogates instead of crashing readline;
            # the line is then refused with a reply (see run).
            self.stdin.reconfigure(errors="surrogateescape")
        self._last_options: tuple[tuple[str, str], ...] = ()

    def _write(self, replies: list[Reply]) -> None:
        if self.jsonl:
            for reply in replies:
                self.stdout.write(json.dumps(reply.as_json(), ensure_ascii=False) + "\n")
            self.stdout.write('{"turn": "end"}\n')
        else:
            for reply in replies:
                self.stdout.write("\n" + reply.text + "\n")
                for number, option in enumerate(reply.options, 1):
                    self.stdout.write(f"  {number}. {option.label}\n")
            self.stdout.write("\n> ")
        self.stdout.flush()
        for reply in reversed(replies):
            if reply.options:
                self._last_options = tuple((o.label, o.value) for o in reply.options)
                break
        else:
            self._last_options = ()

    def _translate(self, line: str) -> str:
        """A number typed by a person picks the numbered option last shown."""
        stripped = line.strip()
        if (
            not self.jsonl
            and stripped.isascii()
            and stripped.isdigit()
            and 1 <= int(stripped) <= len(self._last_options)
        ):
            return self._last_options[int(stripped) - 1][1]
        return line

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._write(await self.assistant.greet(self.user_id))
        while True:
            line = await loop.run_in_executor(None, self.stdin.readline, MAX_LINE_CHARS + 1)
            if not line:
                break
            text = line.rstrip("\r\n")
            if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                # Swallow the rest of an enormous line so it isn't read as more messages.
                while (
                    more := await loop.run_in_executor(None, self.stdin.readline, MAX_LINE_CHARS)
                ) and not more.endswith("\n"):
                    text += more[:1]
            if any("\udc80" <= c <= "\udcff" for c in text):
                self._write([Reply(UNREADABLE)])
                continue
            replies = await self.assistant.handle(Incoming(self.user_id, self._translate(text)))
            self._write(replies)
        if not self.jsonl:
            self.stdout.write("\n")
            self.stdout.flush()
