"""An update processor that keeps each chat's updates in order while chats run concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own semaphore is taken before do_process_update; if it were ever full, waiting
# updates might be let in out of order.  So it gets a bound that is never reached and
# the real limit is applied after an update has taken its place in its chat's queue.
_UNREACHED = 1_000_000


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates from one chat are processed one at a time, in arrival order; different
    chats concurrently, at most ``max_concurrent`` at once.

    PTB starts one task per update in arrival order, and each task reaches the chat's
    lock without awaiting anything first; asyncio locks are first-come first-served, so
    a chat's updates take the lock in the order they arrived.
    """

    def __init__(self, max_concurrent: int = 256) -> None:
        super().__init__(_UNREACHED)
        self.max_concurrent = max_concurrent
        self._work = asyncio.Semaphore(max_concurrent)
        self._chats: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    @staticmethod
    def chat_key(update: object) -> int | None:
        if not isinstance(update, Update):
            return None
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self.chat_key(update)
        if key is None:
            async with self._work:
                await coroutine
            return
        entry = self._chats.get(key)
        if entry is None:
            entry = self._chats[key] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock, self._work:
                await coroutine
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._chats[key]

    @property
    def chats_in_progress(self) -> int:
        return len(self._chats)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
