"""The web chat's conversation side: text in, transcript entries out.

Split from :mod:`bot.channels.web.server` (HTTP: cookies, headers, limits) because this
part knows nothing of HTTP: it hands each message to the assistant, keeps every message
shown in the store's transcript (what a reload or a restarted server shows again), and
greets a new visitor, or one whose transcript lags the saved session.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.assistant import Assistant, Incoming
from bot.replies import Reply
from bot.session import Session
from bot.store.base import Store, TranscriptEntry

HISTORY_LIMIT = 400
USER, ASSISTANT = "user", "assistant"


def _is_forget(text: str) -> bool:
    """The assistant's own reading of ``/forget`` (``/forget@bot`` and any case)."""
    text = text.strip()
    if not text.startswith("/"):
        return False
    word = text[1:].split(None, 1)[0] if text[1:].strip() else ""
    return word.split("@", 1)[0].lower() == "forget"


def _entry_json(entry: TranscriptEntry) -> dict[str, Any]:
    try:
        body = json.loads(entry.body)
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return {
        "seq": entry.seq,
        "role": entry.role,
        "text": str(body.get("text", "")),
        "field": body.get("field"),
        "flow": body.get("flow"),
        "options": [
            {"label": str(o.get("label", "")), "value": str(o.get("value", ""))}
            for o in body.get("options") or []
            if isinstance(o, dict)
        ],
    }


class WebChat:
    """The conversation side of the channel: text in, transcript entries out."""

    def __init__(self, assistant: Assistant, store: Store) -> None:
        self.assistant = assistant
        self.store = store
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, user_id: str) -> asyncio.Lock:
        # One browser's tabs share a conversation: a turn's message and replies are stored
        # together, never interleaved with the other tab's.
        lock = self._locks.get(user_id)
        if lock is None:
            if len(self._locks) > 10_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[user_id] = asyncio.Lock()
        return lock

    async def _record(self, user_id: str, text: str | None, replies: list[Reply]) -> None:
        entries = [(USER, json.dumps({"text": text}, ensure_ascii=False))] if text else []
        entries += [(ASSISTANT, json.dumps(r.as_json(), ensure_ascii=False)) for r in replies]
        await self.store.append_transcript(user_id, entries)

    async def history(self, user_id: str, after: int = 0) -> list[dict[str, Any]]:
        async with self._lock(user_id):
            entries = await self.store.transcript(user_id, after=after, limit=HISTORY_LIMIT)
            if after == 0 and await self._needs_greeting(user_id, entries):
                await self._record(user_id, None, await self.assistant.greet(user_id))
                entries = await self.store.transcript(user_id, after=after, limit=HISTORY_LIMIT)
        return [_entry_json(e) for e in entries]

    async def _needs_greeting(self, user_id: str, entries: list[TranscriptEntry]) -> bool:
        """A new visitor, or a transcript that lags the session (the server stopped between
        saving an answer and recording the replies): greet, which re-asks the question."""
        if not entries:
            return True
        shown = next((_entry_json(e) for e in reversed(entries) if e.role == ASSISTANT), None)
        session = await self.store.load_session(user_id) or Session()
        state = session.current()
        current = state.step if state is not None else None
        return current is not None and (shown is None or shown["field"] != current)

    async def send(
        self,
        user_id: str,
        text: str,
        *,
        label: str | None = None,
        for_field: str | None = None,
        button: bool = False,
        message_id: str | None = None,
        after: int = 0,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Handle one message; returns the entries after ``after`` and whether the user's
        data was forgotten (the page then starts afresh)."""
        async with self._lock(user_id):
            incoming = Incoming(
                user_id,
                text,
                for_field=for_field,
                button=button,
                update_key=f"web:{message_id}" if message_id else None,
            )
            replies = await self.assistant.handle(incoming)
            if _is_forget(text):
                await self.store.forget(user_id)
                return [{"seq": 0, "role": ASSISTANT, **r.as_json()} for r in replies], True
            if replies:  # none: a message already handled (sent again), already shown
                await self._record(user_id, label or text, replies)
            entries = await self.store.transcript(user_id, after=after, limit=HISTORY_LIMIT)
        return [_entry_json(e) for e in entries], False
