"""The SQLite store (aiosqlite), one file under ``BOT_DATA_DIR``.

WAL journal with ``synchronous=NORMAL``: a committed transaction survives the process
being killed (kill -9) at any moment; only a power cut can lose the last commits.
Every write that must be atomic runs inside one ``BEGIN IMMEDIATE`` transaction; a
submission's email is composed before it, outside the lock (see :meth:`_precompose`).

Long reads (exports, the outbox listing, staff statistics) run on a second, read-only
connection: in WAL mode it reads the last committed state without taking the write lock
the people chatting need, so no one's message waits behind staff work.  Every query on a
request path uses an index (tests/test_store_plans.py checks each one's query plan).

The store is one class made of one part per aggregate, each in its own module:
:mod:`.sessions` (sessions and transcripts), :mod:`.applications`, :mod:`.outbox`,
:mod:`.unanswered`, :mod:`.notify` and :mod:`.housekeeping` (purge, statistics), over the
connections and lock of :mod:`.database`; this module adds what spans them (opening,
the submission's one transaction, /forget).  :mod:`.schema` upgrades a database made by
an earlier release in place when the store opens it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import inspect
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import SYSTEM_CLOCK, Clock
from bot.exceptions import StoreError
from bot.session import Session
from bot.store.base import (
    Store,
    Submission,
    SubmittedApplication,
    answers_digest,
)
from bot.store.sqlite.applications import SqliteApplications
from bot.store.sqlite.database import _read_only_uri, describe
from bot.store.sqlite.housekeeping import SqliteHousekeeping
from bot.store.sqlite.notify import SqliteNotify
from bot.store.sqlite.schema import MIGRATIONS as MIGRATIONS
from bot.store.sqlite.schema import SCHEMA as SCHEMA
from bot.store.sqlite.schema import SCHEMA_VERSION as SCHEMA_VERSION
from bot.store.sqlite.schema import _migrate
from bot.store.sqlite.sessions import SqliteSessions
from bot.store.sqlite.unanswered import SqliteUnanswered

logger = logging.getLogger(__name__)


def _store_errors(cls: type[SqliteStore]) -> type[SqliteStore]:
    """Every public coroutine of the store raises StoreError (one readable line) for a
    database failure, instead of a raw sqlite3 traceback."""
    for name in dir(cls):
        # Static lookup: the public coroutines of every part, not a bound classmethod.
        method = inspect.getattr_static(cls, name)
        if name.startswith("_") or name == "close" or not asyncio.iscoroutinefunction(method):
            continue

        def wrap(method: Any, name: str = name) -> Any:
            @functools.wraps(method)
            async def guarded(self: SqliteStore, *args: Any, **kwargs: Any) -> Any:
                try:
                    return await method(self, *args, **kwargs)
                except sqlite3.Error as exc:
                    raise StoreError(f"the database {self.path} failed: {describe(exc)}") from None

            return guarded

        setattr(cls, name, wrap(method))
    return cls


@_store_errors
class SqliteStore(
    SqliteSessions,
    SqliteApplications,
    SqliteNotify,
    SqliteUnanswered,
    SqliteHousekeeping,
    Store,
):
    @classmethod
    async def open(cls, path: Path, clock: Clock = SYSTEM_CLOCK) -> SqliteStore:
        """Open (creating, or migrating) the database; raises StoreError with one readable
        line, having closed whatever it opened, so a failed start never hangs on a worker."""
        opened: list[aiosqlite.Connection] = []
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            connection = await aiosqlite.connect(path, isolation_level=None)
            opened.append(connection)
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA busy_timeout=5000")
            # Deleted rows are overwritten, not left readable in free pages (/forget, purge).
            await connection.execute("PRAGMA secure_delete=ON")
            await _migrate(connection)
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)
            reader = await aiosqlite.connect(_read_only_uri(path), uri=True, isolation_level=None)
            opened.append(reader)
            await reader.execute("PRAGMA busy_timeout=5000")
        except (sqlite3.Error, OSError) as exc:
            for connection in opened:
                with contextlib.suppress(Exception):
                    await connection.close()
            raise StoreError(f"cannot open the database {path}: {describe(exc)}") from None
        except BaseException:
            for connection in opened:
                with contextlib.suppress(Exception):
                    await connection.close()
            raise
        return cls(connection, path, reader, clock)

    async def commit(
        self,
        user_id: str,
        session: Session,
        *,
        submission: Submission | None = None,
    ) -> SubmittedApplication | None:
        now = self._now().isoformat()
        state = session.to_json()
        digest = answers_digest(session)
        precomposed = None
        if submission is not None:
            precomposed = await self._precompose(
                user_id, submission, dt.datetime.fromisoformat(now)
            )
        if submission is None:
            await self._save_grouped(user_id, state, digest, now)
            return None
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                version = await self._save_session(user_id, state, digest, now)
                stored = await self._insert_application(
                    user_id, submission, dt.datetime.fromisoformat(now), precomposed
                )
                await self._db.execute("COMMIT")
            except BaseException:
                self._dictionary_sample = None
                await self._rollback()
                raise
            if self._dictionary_sample is not None:
                try:
                    await self._make_dictionary()
                except sqlite3.Error as exc:  # the submission is stored; compression can wait
                    logger.warning("could not store the mail dictionary: %s", describe(exc))
            self._cache(user_id, state, version)
            if stored is not None:
                await self._remember_reference(stored.submitted_at.year, stored.reference)
            return stored

    async def forget(self, user_id: str) -> None:
        async with self._lock:
            self._sessions.pop(user_id, None)
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
                await self._db.execute("DELETE FROM transcript WHERE user_id = ?", (user_id,))
                await self._db.execute("DELETE FROM unanswered WHERE user_id = ?", (user_id,))
                await self._db.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
                await self._db.execute("DELETE FROM notices WHERE user_id = ?", (user_id,))
                await self._db.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            await self._checkpoint()

    async def close(self) -> None:
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher  # the saves already promised
        try:
            if self._reader is not None:
                await self._reader.close()
        finally:
            await self._db.close()
