"""Sessions and transcripts: what a person's conversation needs from turn to turn.

A write-through cache of session JSON saves the round trip to aiosqlite's thread when a
session is read back; a version on every row keeps two processes from overwriting each
other's newer state (:class:`~bot.exceptions.SessionConflict`).
"""

from __future__ import annotations

import asyncio
import logging

from bot.exceptions import SessionConflict
from bot.session import Session
from bot.store.base import TranscriptEntry
from bot.store.sqlite.database import SESSION_CACHE_SIZE, PendingSave, SqliteBase

logger = logging.getLogger(__name__)

CONFLICT = "this conversation was changed by another process; it has been read again"
# Sessions written in one statement at most (5 parameters each, well under SQLite's limit).
SAVE_BATCH = 200


class SqliteSessions(SqliteBase):
    """The sessions port (:class:`~bot.store.ports.SessionPort`) but for commit and
    forget, which span tables (the facade has them)."""

    def _cache(self, user_id: str, state: str, version: int) -> None:
        self._sessions[user_id] = (state, version)
        self._sessions.move_to_end(user_id)
        if len(self._sessions) > SESSION_CACHE_SIZE:
            self._sessions.popitem(last=False)

    async def load_session(self, user_id: str) -> Session | None:
        cached = self._sessions.get(user_id)
        if cached is None:
            row = await self._one(
                "SELECT state, version FROM sessions WHERE user_id = ?", (user_id,)
            )
            if row is None:
                self._absent.add(user_id)
                return None
            cached = (row[0], int(row[1]))
            self._cache(user_id, *cached)
        try:
            return Session.from_json(cached[0])
        except (ValueError, KeyError, TypeError):
            logger.warning("discarding an unreadable session for one user")
            return None

    # One statement, so it is atomic on its own.  ``version`` guards against a second
    # process: the row is only replaced if it is still the version this process read (or,
    # for a user this process found absent, if it is still absent); otherwise nothing is
    # written and commit raises SessionConflict.  ``answered_at`` moves only when the
    # answers changed, so /status or /cancel do not extend a draft's retention.
    _SAVE_SESSION = (
        "INSERT INTO sessions (user_id, state, updated_at, version, answered_at, answers_digest)"
        " VALUES (?, ?, ?, 1, ?, ?) "
        "ON CONFLICT(user_id) DO UPDATE SET state = excluded.state,"
        " updated_at = excluded.updated_at, version = sessions.version + 1,"
        " answered_at = CASE WHEN sessions.answers_digest IS excluded.answers_digest"
        " THEN sessions.answered_at ELSE excluded.answered_at END,"
        " answers_digest = excluded.answers_digest"
        " WHERE ? IS NULL OR sessions.version = ?"
    )

    async def _save_session(self, user_id: str, state: str, digest: str, now: str) -> int:
        """Write the session; returns its new version, or raises SessionConflict."""
        cached = self._sessions.pop(user_id, None)  # until the write is known to have landed
        absent = user_id in self._absent
        self._absent.discard(user_id)
        expected = cached[1] if cached is not None else (-1 if absent else None)
        cursor = await self._db.execute(
            self._SAVE_SESSION, (user_id, state, now, now, digest, expected, expected)
        )
        if cursor.rowcount == 0:
            raise SessionConflict(CONFLICT)
        return (
            expected + 1 if expected is not None and expected >= 0 else await self._version(user_id)
        )

    # -- grouped saves --------------------------------------------------------------------
    #
    # A turn that submits nothing saves one row.  Saves that arrive while another is being
    # written (Telegram handles many chats at once) are written together, in one statement
    # and one round trip to aiosqlite's thread: each save is still all or nothing (one
    # row; the update id travels inside it), and each one's version guard is checked on
    # its own row, so one conflict fails only its own commit.  Why it matters: one round
    # trip per turn let a burst of N updates' replies out one hop apart, so each reply's
    # answer reached the Bot API alone and getUpdates returned batches of one; written
    # together, the replies go out together and the next poll collects their answers.

    _SAVE_SESSIONS = (
        "WITH batch(user_id, state, at, digest, expected) AS (VALUES {rows}) "
        "INSERT INTO sessions (user_id, state, updated_at, version, answered_at, answers_digest)"
        " SELECT b.user_id, b.state, b.at, 1, b.at, b.digest FROM batch b"
        " WHERE b.expected IS NULL"
        " OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = b.user_id)"
        " OR EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = b.user_id"
        " AND s.version = b.expected) "
        "ON CONFLICT(user_id) DO UPDATE SET state = excluded.state,"
        " updated_at = excluded.updated_at, version = sessions.version + 1,"
        " answered_at = CASE WHEN sessions.answers_digest IS excluded.answers_digest"
        " THEN sessions.answered_at ELSE excluded.answered_at END,"
        " answers_digest = excluded.answers_digest "
        "RETURNING user_id, version"
    )

    async def _save_grouped(self, user_id: str, state: str, digest: str, at: str) -> None:
        """Save a session with whichever others are waiting; raises SessionConflict."""
        if any(save.user_id == user_id for save in self._saves):
            # Never two rows of one user in a statement (a user's turns are serialised
            # by the assistant, so this is another process's business: write it alone).
            async with self._lock:
                self._cache(user_id, state, await self._save_session(user_id, state, digest, at))
            return
        done = asyncio.get_running_loop().create_future()
        self._saves.append(PendingSave(user_id, state, digest, at, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_saves())
        await done

    async def _flush_saves(self) -> None:
        while self._saves:
            async with self._lock:  # saves arriving meanwhile join this batch
                batch, self._saves = self._saves[:SAVE_BATCH], self._saves[SAVE_BATCH:]
                try:
                    versions = await self._save_sessions(batch)
                except BaseException as exc:
                    for save in batch:
                        if not save.done.done():
                            save.done.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
            for save in batch:
                if save.done.done():
                    continue
                version = versions.get(save.user_id)
                if version is None:
                    save.done.set_exception(SessionConflict(CONFLICT))
                else:
                    self._cache(save.user_id, save.state, version)
                    save.done.set_result(None)

    async def _save_sessions(self, batch: list[PendingSave]) -> dict[str, int]:
        params: list[object] = []
        for save in batch:
            cached = self._sessions.pop(save.user_id, None)  # until the write has landed
            absent = save.user_id in self._absent
            self._absent.discard(save.user_id)
            expected = cached[1] if cached is not None else (-1 if absent else None)
            params += (save.user_id, save.state, save.at, save.digest, expected)
        sql = self._SAVE_SESSIONS.format(rows=", ".join("(?, ?, ?, ?, ?)" for _ in batch))
        rows = await self._db.execute_fetchall(sql, params)
        return {str(user_id): int(version) for user_id, version in rows}

    async def _version(self, user_id: str) -> int:
        row = await self._one_in_transaction(
            "SELECT version FROM sessions WHERE user_id = ?", (user_id,)
        )
        return int(row[0]) if row is not None else 0

    async def append_transcript(self, user_id: str, entries: list[tuple[str, str]]) -> int:
        if not entries:
            return 0
        now = self._now().isoformat()
        # One multi-row INSERT: a turn's messages are stored together or not at all.
        values = ", ".join("(?, ?, ?, ?)" for _ in entries)
        params = [p for role, body in entries for p in (user_id, role, body, now)]
        async with self._lock:
            cursor = await self._db.execute(
                f"INSERT INTO transcript (user_id, role, body, at) VALUES {values}", params
            )
        return int(cursor.lastrowid or 0)

    async def transcript(
        self, user_id: str, *, after: int = 0, limit: int = 500
    ) -> list[TranscriptEntry]:
        rows = await self._all(
            "SELECT seq, role, body FROM transcript WHERE user_id = ? AND seq > ?"
            " ORDER BY seq DESC LIMIT ?",
            (user_id, after, limit),
        )
        return [TranscriptEntry(int(r[0]), r[1], r[2]) for r in reversed(rows)]
