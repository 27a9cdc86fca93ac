"""Sessions and transcripts: what a person's conversation needs from turn to turn.

A write-through cache of session JSON saves the round trip to aiosqlite's thread when a
session is read back; a version on every row keeps two processes from overwriting each
other's newer state (:class:`~bot.exceptions.SessionConflict`).
"""

from __future__ import annotations

import logging

from bot.exceptions import SessionConflict
from bot.session import Session
from bot.store.base import TranscriptEntry
from bot.store.sqlite.database import SESSION_CACHE_SIZE, SqliteBase

logger = logging.getLogger(__name__)


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
            raise SessionConflict(
                "this conversation was changed by another process; it has been read again"
            )
        return (
            expected + 1 if expected is not None and expected >= 0 else await self._version(user_id)
        )

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
