"""What every part of the SQLite store shares: the two connections, the lock, the clock,
and the helpers that read and write through them.

One connection serves every write (and every read that must see this process's own
transactions), behind one asyncio lock; a second, read-only connection serves the long
reads, which in WAL mode see the last committed state without taking that lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import SYSTEM_CLOCK, Clock
from bot.store.base import RecipientResult

logger = logging.getLogger(__name__)

SESSION_CACHE_SIZE = 20_000


def _results_json(results: tuple[RecipientResult, ...]) -> str | None:
    return json.dumps([r.as_json() for r in results]) if results else None


def _results(raw: str | None) -> tuple[RecipientResult, ...]:
    return tuple(RecipientResult.from_json(r) for r in json.loads(raw)) if raw else ()


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _read_only_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def describe(exc: BaseException) -> str:
    """A one-line account of a database failure, with what to do about it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    lowered = text.lower()
    if "full" in lowered:
        return f"{text} (free some disk space; nothing already saved is lost)"
    if "readonly" in lowered or "read-only" in lowered or "permission" in lowered:
        return f"{text} (the data directory must be writable by this user)"
    if "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return f"{text} (the file is damaged: restore it from a backup, or move it away to start afresh)"
    return text


def _read_floor(path: Path) -> dict[str, int]:
    """The last reference handed out per ``PREFIX-YEAR`` (a bare ``YEAR`` key, written
    before forms were data, holds for every form)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {str(key): int(last) for key, last in raw.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


@dataclass(frozen=True)
class PendingSave:
    """A session waiting for the next grouped write, and the commit waiting for it."""

    user_id: str
    state: str
    digest: str
    at: str
    done: asyncio.Future[None]


class SqliteBase:
    """The state the per-aggregate parts of :class:`~bot.store.sqlite.SqliteStore` share."""

    def __init__(
        self,
        connection: aiosqlite.Connection,
        path: Path,
        reader: aiosqlite.Connection | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._db = connection
        self.clock = clock
        # Read-only and outside the lock: it never sees another coroutine's open
        # transaction, only what has been committed.
        self._reader = reader
        self.path = path
        # One connection serves every coroutine: an explicit transaction must not be
        # interleaved with another's BEGIN ("cannot start a transaction within a
        # transaction") nor swallow another's write (rolled back with it).  Telegram
        # handles different chats concurrently, so every read and write takes this lock.
        self._lock = asyncio.Lock()
        # Write-through cache of session JSON: every session this process writes goes
        # through commit(), so reading it back needs no round trip to the worker thread.
        # The database stays the truth; the cache is empty after a restart.
        self._sessions: OrderedDict[str, tuple[str, int]] = OrderedDict()
        # Users this process looked up and found without a session: their first save must
        # not overwrite one another process created meanwhile.
        self._absent: set[str] = set()
        # The last reference number handed out each year, also kept beside the database,
        # so a reset database (moved away, restored from an old backup) never hands out a
        # reference a hub has already seen.
        self._references = path.with_suffix(".references")
        self._floor: dict[str, int] = _read_floor(self._references)
        # Compression dictionaries of outbox bytes by id (bot/store/_mailpack.py).
        self._dictionaries: dict[int, bytes] = {}
        self._dictionary_sample: bytes | None = None
        # Session saves waiting to be written together (bot/store/sqlite/sessions.py), and
        # the task writing them.
        self._saves: list[PendingSave] = []
        self._flusher: asyncio.Task[None] | None = None

    def _now(self) -> dt.datetime:
        return self.clock.now().replace(microsecond=0)  # stored to the second

    async def _rollback(self) -> None:
        # SQLite has already rolled back after some errors (a full disk): a second ROLLBACK
        # would fail with "no transaction is active" and hide the error that matters.
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                await self._db.execute("ROLLBACK")

    # Every call below is one round trip to aiosqlite's worker thread; an update costs two
    # (load the session, save it), which is what keeps the Telegram bot near PTB's speed.

    async def _one_in_transaction(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        # Reads take the lock too: on the shared connection a read in the middle of
        # another coroutine's transaction would see rows that may yet be rolled back.
        async with self._lock:
            return await self._one_in_transaction(sql, params)

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        async with self._lock:
            return list(await self._db.execute_fetchall(sql, params))

    async def _read_all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """A long read, on the read-only connection: the write lock stays free meanwhile."""
        if self._reader is None:
            return await self._all(sql, params)
        return list(await self._reader.execute_fetchall(sql, params))

    async def _checkpoint(self) -> None:
        # With secure_delete the deleted rows are zeroed in their pages, but the WAL still
        # holds the pages' earlier versions until a checkpoint copies and truncates it.
        with contextlib.suppress(sqlite3.Error):
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
