"""The SQLite store (aiosqlite), one file under ``BOT_DATA_DIR``.

WAL journal with ``synchronous=NORMAL``: a committed transaction survives the process
being killed (kill -9) at any moment; only a power cut can lose the last commits.
Every write that must be atomic runs inside one ``BEGIN IMMEDIATE`` transaction; a
submission's email is composed before it, outside the lock (see :meth:`_precompose`).

Long reads (exports, the outbox listing, staff statistics) run on a second, read-only
connection: in WAL mode it reads the last committed state without taking the write lock
the people chatting need, so no one's message waits behind staff work.  Every query on a
request path uses an index (tests/test_store_plans.py checks each one's query plan).

The schema is versioned with ``PRAGMA user_version``: :data:`MIGRATIONS` upgrades a
database made by an earlier release in place, one version at a time, each step in its
own transaction, when the store opens it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import os
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import SYSTEM_CLOCK, Clock
from bot.exceptions import SessionConflict, StoreError
from bot.session import Session
from bot.store import _mailpack
from bot.store.base import (
    APPLICATION_RETENTION,
    DRAFT_RETENTION,
    FAILED,
    HELD,
    NOTICE_RETENTION,
    PENDING,
    RECENT_WINDOW,
    SENT,
    SENT_BODY_RETENTION,
    SUBSCRIPTION_RETENTION,
    UNANSWERED_PER_USER,
    UNANSWERED_RETENTION,
    MailStatus,
    Notice,
    OutboxEntry,
    OutgoingMail,
    RecipientResult,
    Store,
    Submission,
    SubmittedApplication,
    Subscription,
    T,
    TranscriptEntry,
    UnansweredQuestion,
    answers_digest,
    make_reference,
)

logger = logging.getLogger(__name__)

SESSION_CACHE_SIZE = 20_000
# Rows a listing decodes between two yields to the event loop (a few milliseconds' work).
DECODE_CHUNK = 50
# A staff export's worker thread (see _export): rows fetched at a time, and how long it
# works before pausing to let the event loop and the store's thread have the GIL.
EXPORT_FETCH = 200
EXPORT_SLICE = 0.002
EXPORT_PAUSE = 0.0005

# Version 1 of the schema.  Later changes are appended to MIGRATIONS, never edited in place.
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    user_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS applications (
    reference TEXT PRIMARY KEY,
    year INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    hub_id TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    answers TEXT NOT NULL,
    UNIQUE (year, sequence)
);
CREATE INDEX IF NOT EXISTS applications_hub ON applications (hub_id, submitted_at);
CREATE INDEX IF NOT EXISTS applications_user ON applications (user_id);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT,
    message_id TEXT NOT NULL UNIQUE,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    data BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question TEXT NOT NULL,
    score INTEGER NOT NULL,
    asked_at TEXT NOT NULL
);
"""

# The schema's history: MIGRATIONS[n] takes a database from ``PRAGMA user_version`` n to
# n + 1, in one transaction with the version bump.  Version 1 is idempotent (CREATE IF NOT
# EXISTS), so a database made before versions existed (user_version 0) joins the history
# safely.  To change the schema, append a script; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    SCHEMA,
    # 2: what the mail server said per recipient (JSON list of RecipientResult).
    "ALTER TABLE outbox ADD COLUMN results TEXT;",
    # 3: the messages a channel showed (the web chat shows them again after a reload).
    """
CREATE TABLE IF NOT EXISTS transcript (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transcript_user ON transcript (user_id, seq);
""",
    # 4: a session's version (two processes never overwrite each other's newer state), the
    # time of its last *answer* (the draft retention clock: /status does not reset it), and
    # who asked each unanswered question and about which hub (for /forget and staff scope).
    """
ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN answered_at TEXT;
ALTER TABLE sessions ADD COLUMN answers_digest TEXT;
UPDATE sessions SET answered_at = updated_at;
ALTER TABLE unanswered ADD COLUMN user_id TEXT;
ALTER TABLE unanswered ADD COLUMN hub_id TEXT;
CREATE INDEX IF NOT EXISTS unanswered_user ON unanswered (user_id);
""",
    # 5: indexes for the purge's retention clocks (every state of an old email goes too).
    """
CREATE INDEX IF NOT EXISTS sessions_answered ON sessions (answered_at);
CREATE INDEX IF NOT EXISTS outbox_created ON outbox (created_at);
""",
    # 6: indexes the request paths need (tests/test_store_plans.py).  Without
    # outbox_reference every application row in an export or /status scanned the whole
    # outbox: 91 s to export 10,000 applications, under a second with it.
    "CREATE INDEX IF NOT EXISTS outbox_reference ON outbox (reference, id);\n"
    "CREATE INDEX IF NOT EXISTS applications_submitted ON applications (submitted_at);\n"
    "CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (updated_at);\n"
    "CREATE INDEX IF NOT EXISTS unanswered_asked ON unanswered (asked_at);\n"
    "CREATE INDEX IF NOT EXISTS transcript_at ON transcript (at);",
    # 7: applications carry their form id, and references are numbered per form and
    # year.  Every application before forms were data was submitted with the form its
    # reference prefix names (EOI-2026-0001 -> eoi).  SQLite cannot change a UNIQUE
    # constraint in place, so the table is rebuilt (and its indexes with it).
    """
CREATE TABLE applications_v5 (
    reference TEXT PRIMARY KEY,
    form TEXT NOT NULL,
    year INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    hub_id TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    answers TEXT NOT NULL,
    UNIQUE (form, year, sequence)
);
INSERT INTO applications_v5
    SELECT reference, lower(substr(reference, 1, instr(reference, '-') - 1)), year, sequence,
           user_id, hub_id, submitted_at, answers
    FROM applications;
DROP TABLE applications;
ALTER TABLE applications_v5 RENAME TO applications;
CREATE INDEX IF NOT EXISTS applications_hub ON applications (hub_id, submitted_at);
CREATE INDEX IF NOT EXISTS applications_user ON applications (user_id);
CREATE INDEX IF NOT EXISTS applications_submitted ON applications (submitted_at);
""",
    # 8: message bytes compressed against a dictionary kept here (bot/store/_mailpack.py),
    # and sent bodies compacted after SENT_BODY_RETENTION; the partial index finds the
    # sent messages whose bodies are still kept without reading the rest.
    "CREATE TABLE IF NOT EXISTS mail_dictionary (id INTEGER PRIMARY KEY, data BLOB NOT NULL);\n"
    "ALTER TABLE outbox ADD COLUMN body_kept INTEGER NOT NULL DEFAULT 1;\n"
    "CREATE INDEX IF NOT EXISTS outbox_sent_bodies ON outbox (sent_at)"
    " WHERE status = 'sent' AND body_kept = 1;",
    # 9: requests to be told when applications open, and the notices sent for them
    # (bot/notify.py).  UNIQUE (window_id, user_id) is what makes a notice go only once.
    """
CREATE TABLE IF NOT EXISTS subscriptions (
    user_id TEXT PRIMARY KEY,
    programme TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_created ON subscriptions (created_at);
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    window_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    error TEXT,
    UNIQUE (window_id, user_id)
);
CREATE INDEX IF NOT EXISTS notices_user ON notices (user_id);
CREATE INDEX IF NOT EXISTS notices_status ON notices (status, id);
CREATE INDEX IF NOT EXISTS notices_created ON notices (created_at);
""",
)
SCHEMA_VERSION = len(MIGRATIONS)


def _results_json(results: tuple[RecipientResult, ...]) -> str | None:
    return json.dumps([r.as_json() for r in results]) if results else None


def _results(raw: str | None) -> tuple[RecipientResult, ...]:
    return tuple(RecipientResult.from_json(r) for r in json.loads(raw)) if raw else ()


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _mail_columns(mail: OutgoingMail, data: bytes) -> tuple[Any, ...]:
    """message_id, sender, recipients, data, status, last_error: how an email is stored
    (``data``: its bytes as kept at rest, see bot/store/_mailpack.py)."""
    return (
        mail.message_id,
        mail.sender,
        json.dumps(list(mail.recipients)),
        data,
        HELD if mail.held_reason else PENDING,
        mail.held_reason,
    )


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


def _store_errors(cls: type[SqliteStore]) -> type[SqliteStore]:
    """Every public coroutine of the store raises StoreError (one readable line) for a
    database failure, instead of a raw sqlite3 traceback."""
    for name, method in list(vars(cls).items()):
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


def _read_floor(path: Path) -> dict[str, int]:
    """The last reference handed out per ``PREFIX-YEAR`` (a bare ``YEAR`` key, written
    before forms were data, holds for every form)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {str(key): int(last) for key, last in raw.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def _write_floor(path: Path, floor: dict[str, int]) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(dict(sorted(floor.items()))), encoding="utf-8")
    os.replace(partial, path)


def _read_only_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _applications_query(
    *,
    user_id: str | None = None,
    hub_id: str | None = None,
    since: dt.date | None = None,
    form: str | None = None,
) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in (
        ("a.form = ?", form),
        ("a.user_id = ?", user_id),
        ("a.hub_id = ?", hub_id),
        ("a.submitted_at >= ?", since.isoformat() if since is not None else None),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = (
        "SELECT a.reference, a.user_id, a.hub_id, a.submitted_at, a.answers, "
        "o.status, o.results, o.last_error, a.form "
        "FROM applications a LEFT JOIN outbox o ON o.id = "
        "(SELECT MAX(id) FROM outbox WHERE reference = a.reference) "
        f"{where} ORDER BY a.submitted_at, a.year, a.sequence"
    )
    return sql, tuple(params)


def _application(row: Any) -> SubmittedApplication:
    return SubmittedApplication(
        reference=row[0],
        user_id=row[1],
        hub_id=row[2],
        submitted_at=dt.datetime.fromisoformat(row[3]),
        answers=json.loads(row[4]),
        delivery=row[5],
        delivery_results=_results(row[6]),
        delivery_error=row[7],
        form=row[8],
    )


def _export(
    path: Path,
    sql: str,
    params: tuple[Any, ...],
    build: Callable[[Iterator[SubmittedApplication]], T],
) -> T:
    """In a worker thread: ``build`` over the rows of ``sql``, fetched a chunk at a time
    on a read-only connection of this thread's own (one statement: one consistent
    snapshot of the committed data, and the write lock stays free).

    The thread pauses briefly every :data:`EXPORT_SLICE` seconds of work.  Without that
    it would starve the event loop and aiosqlite's thread of the GIL: a thread that gives
    the GIL up for I/O (every SQLite call does) waits up to the interpreter's 5 ms switch
    interval to get it back from a busy thread, many times over in one chat's turn, and a
    10,000-application export held people's turns for its whole second.
    """
    connection = sqlite3.connect(_read_only_uri(path), uri=True, check_same_thread=False)
    try:
        connection.execute("PRAGMA busy_timeout=5000")
        cursor = connection.execute(sql, params)

        def applications() -> Iterator[SubmittedApplication]:
            worked_since = time.perf_counter()
            while rows := cursor.fetchmany(EXPORT_FETCH):
                for row in rows:
                    yield _application(row)
                    if time.perf_counter() - worked_since >= EXPORT_SLICE:
                        time.sleep(EXPORT_PAUSE)
                        worked_since = time.perf_counter()

        return build(applications())
    finally:
        connection.close()


async def _migrate(connection: aiosqlite.Connection) -> None:
    rows = await connection.execute_fetchall("PRAGMA user_version")
    version = int(next(iter(rows))[0])
    if version > len(MIGRATIONS):
        await connection.close()
        raise StoreError(
            f"the database has schema version {version}, newer than this release "
            f"understands ({len(MIGRATIONS)}); run the newer release"
        )
    for target in range(version + 1, len(MIGRATIONS) + 1):
        try:
            await connection.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[target - 1]}\nPRAGMA user_version = {target};\nCOMMIT;"
            )
        except BaseException:
            if connection.in_transaction:
                await connection.execute("ROLLBACK")
            raise
    if version < len(MIGRATIONS):
        # A rebuilt table leaves free pages behind; give them back, so the file's size
        # (and a full disk) behaves as it would for a database made at this version.
        rows = await connection.execute_fetchall("PRAGMA freelist_count")
        if int(next(iter(rows))[0]):
            await connection.execute("VACUUM")


@_store_errors
class SqliteStore(Store):
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

    # -- "tell me when applications open" -----------------------------------------------

    async def subscribe(self, subscription: Subscription) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT OR REPLACE INTO subscriptions (user_id, programme, channel, address,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (
                    subscription.user_id,
                    subscription.programme,
                    subscription.channel,
                    subscription.address,
                    subscription.created_at.isoformat(),
                ),
            )

    async def unsubscribe(self, user_id: str) -> bool:
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM subscriptions WHERE user_id = ?", (user_id,)
            )
            return cursor.rowcount > 0

    async def subscriptions(self, *, user_id: str | None = None) -> list[Subscription]:
        where, params = ("WHERE user_id = ?", (user_id,)) if user_id is not None else ("", ())
        rows = await self._all(
            "SELECT user_id, programme, channel, address, created_at FROM subscriptions"
            f" {where} ORDER BY created_at, user_id",
            params,
        )
        return [Subscription(r[0], r[1], r[2], r[3], dt.datetime.fromisoformat(r[4])) for r in rows]

    async def queue_notice(
        self, subscription: Subscription, window_id: str, text: str, mail: OutgoingMail | None
    ) -> bool:
        now = self._now()
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = await self._db.execute(
                    "INSERT OR IGNORE INTO notices (window_id, user_id, channel, address, text,"
                    " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        window_id,
                        subscription.user_id,
                        subscription.channel,
                        subscription.address,
                        text,
                        "queued" if mail is not None else "pending",
                        now.isoformat(),
                    ),
                )
                queued = cursor.rowcount > 0
                if queued and mail is not None:
                    await self._insert_mail(None, mail, now)
                await self._db.execute(
                    "DELETE FROM subscriptions WHERE user_id = ? AND created_at = ?",
                    (subscription.user_id, subscription.created_at.isoformat()),
                )
                await self._db.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            return queued

    async def notices(
        self, *, statuses: tuple[str, ...] | None = None, channel: str | None = None
    ) -> list[Notice]:
        clauses: list[str] = []
        params: list[Any] = []
        if statuses is not None:
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params += statuses
        if channel is not None:
            clauses.append("channel = ?")
            params.append(channel)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._all(
            "SELECT id, window_id, user_id, channel, address, text, status, created_at, sent_at,"
            f" error FROM notices {where} ORDER BY id",
            tuple(params),
        )
        return [
            Notice(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                _time(r[7]) or self._now(),
                _time(r[8]),
                r[9],
            )
            for r in rows
        ]

    async def mark_notice(
        self, notice_id: int, status: str, at: dt.datetime | None = None, error: str | None = None
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE notices SET status = ?, sent_at = COALESCE(?, sent_at), error = ?"
                " WHERE id = ?",
                (status, _iso(at), error, notice_id),
            )

    async def close(self) -> None:
        try:
            if self._reader is not None:
                await self._reader.close()
        finally:
            await self._db.close()

    def _floor_of(self, prefix: str, year: int) -> int:
        return max(self._floor.get(f"{prefix}-{year}", 0), self._floor.get(str(year), 0))

    async def _remember_reference(self, year: int, reference: str) -> None:
        series, _, number = reference.rpartition("-")
        sequence = int(number)
        if sequence <= self._floor.get(series, 0):
            return
        self._floor[series] = sequence
        try:
            await asyncio.to_thread(_write_floor, self._references, self._floor)
        except OSError as exc:  # the database is the truth; this only guards a reset
            logger.warning("could not record the last reference in %s: %s", self._references, exc)

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

    # -- sessions ----------------------------------------------------------------------

    def _cache(self, user_id: str, state: str, version: int) -> None:
        self._sessions[user_id] = (state, version)
        self._sessions.move_to_end(user_id)
        if len(self._sessions) > SESSION_CACHE_SIZE:
            self._sessions.popitem(last=False)

    def _now(self) -> dt.datetime:
        return self.clock.now().replace(microsecond=0)  # stored to the second

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
        async with self._lock:
            if submission is None:
                version = await self._save_session(user_id, state, digest, now)
                self._cache(user_id, state, version)
                return None
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

    async def _precompose(
        self, user_id: str, submission: Submission, now: dt.datetime
    ) -> tuple[SubmittedApplication, OutgoingMail | None] | None:
        """Compose the email before taking the lock, in a worker thread, for the reference
        this submission will most likely get (the next one as last committed).

        Why the guarantees still hold: composing is a pure function of the application
        (reference, user, hub, time, answers; the Message-ID and Date derive from them),
        so :meth:`_insert_application` uses this email only when the application it stores
        is equal to the one composed for; otherwise (another submission took that
        reference meanwhile) it composes again inside the transaction, as before.  The
        application and its email are still written in one transaction, and a composer
        that fails here fails the submission before anything is written.  What changes:
        the 10-60 ms of composing no longer holds the store lock, nor the event loop.
        """
        if self._reader is None:
            return None
        rows = await self._reader.execute_fetchall(
            "SELECT COALESCE(MAX(sequence), 0) FROM applications WHERE form = ? AND year = ?",
            (submission.form, now.year),
        )
        floor = self._floor_of(submission.reference_prefix, now.year)
        sequence = max(int(next(iter(rows))[0]), floor) + 1
        application = SubmittedApplication(
            reference=make_reference(submission.reference_prefix, now.year, sequence),
            user_id=user_id,
            hub_id=submission.hub_id,
            submitted_at=now,
            answers=dict(submission.answers),
            form=submission.form,
        )
        return application, await asyncio.to_thread(submission.compose, application)

    async def _insert_application(
        self,
        user_id: str,
        submission: Submission,
        now: dt.datetime,
        precomposed: tuple[SubmittedApplication, OutgoingMail | None] | None = None,
    ) -> SubmittedApplication:
        if submission.admit is not None:
            rows = await self._db.execute_fetchall(
                "SELECT reference, user_id, hub_id, submitted_at, answers FROM applications"
                " WHERE submitted_at >= ?",
                ((now - RECENT_WINDOW).isoformat(),),
            )
            recent = [
                SubmittedApplication(
                    r[0], r[1], r[2], dt.datetime.fromisoformat(r[3]), json.loads(r[4])
                )
                for r in rows
            ]
            submission.admit(user_id, dict(submission.answers), recent, now)
        row = await self._one_in_transaction(
            "SELECT COALESCE(MAX(sequence), 0) FROM applications WHERE form = ? AND year = ?",
            (submission.form, now.year),
        )
        sequence = max(int(row[0]), self._floor_of(submission.reference_prefix, now.year)) + 1
        application = SubmittedApplication(
            reference=make_reference(submission.reference_prefix, now.year, sequence),
            user_id=user_id,
            hub_id=submission.hub_id,
            submitted_at=now,
            answers=dict(submission.answers),
            form=submission.form,
        )
        await self._db.execute(
            "INSERT INTO applications (reference, form, year, sequence, user_id, hub_id,"
            " submitted_at, answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                application.reference,
                submission.form,
                now.year,
                sequence,
                user_id,
                submission.hub_id,
                now.isoformat(),
                json.dumps(application.answers, ensure_ascii=False),
            ),
        )
        if precomposed is not None and precomposed[0] == application:
            mail = precomposed[1]
        else:
            mail = submission.compose(application)
        if mail is not None:
            await self._insert_mail(application.reference, mail, now)
            status = HELD if mail.held_reason else PENDING
            return SubmittedApplication(**{**application.__dict__, "delivery": status})
        return application

    async def _insert_mail(
        self, reference: str | None, mail: OutgoingMail, now: dt.datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO outbox (reference, message_id, sender, recipients, data, status, attempts,"
            " last_error, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            (
                reference,
                *_mail_columns(mail, await self._pack(mail.data)),
                now.isoformat(),
                now.isoformat(),
            ),
        )

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

    async def _checkpoint(self) -> None:
        # With secure_delete the deleted rows are zeroed in their pages, but the WAL still
        # holds the pages' earlier versions until a checkpoint copies and truncates it.
        with contextlib.suppress(sqlite3.Error):
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- transcripts ---------------------------------------------------------------------

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

    # -- applications --------------------------------------------------------------------

    async def applications(
        self,
        *,
        user_id: str | None = None,
        hub_id: str | None = None,
        since: dt.date | None = None,
        form: str | None = None,
    ) -> list[SubmittedApplication]:
        sql, params = _applications_query(user_id=user_id, hub_id=hub_id, since=since, form=form)
        # One person's /status is short and indexed; anything wider is a staff export.
        read = self._all if user_id is not None else self._read_all
        rows = await read(sql, params)
        applications: list[SubmittedApplication] = []
        for start in range(0, len(rows), DECODE_CHUNK):
            if start:
                await asyncio.sleep(0)  # a long listing lets other chats' turns run between chunks
            applications += [_application(r) for r in rows[start : start + DECODE_CHUNK]]
        return applications

    async def export_applications(
        self,
        build: Callable[[Iterator[SubmittedApplication]], T],
        *,
        hub_id: str | None = None,
        form: str | None = None,
    ) -> T:
        sql, params = _applications_query(hub_id=hub_id, form=form)
        return await asyncio.to_thread(_export, self.path, sql, params, build)

    # -- unanswered questions --------------------------------------------------------------

    async def record_unanswered(
        self, question: str, score: int, *, user_id: str | None = None, hub_id: str | None = None
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT INTO unanswered (question, score, asked_at, user_id, hub_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (question[:500], score, self._now().isoformat(), user_id, hub_id),
            )
            if user_id is not None:
                # One person's questions are bounded: the oldest beyond the cap go.
                await self._db.execute(
                    "DELETE FROM unanswered WHERE user_id = ? AND id NOT IN (SELECT id FROM"
                    " unanswered WHERE user_id = ? ORDER BY id DESC LIMIT ?)",
                    (user_id, user_id, UNANSWERED_PER_USER),
                )

    async def unanswered(
        self, limit: int = 50, *, hub_id: str | None = None
    ) -> list[UnansweredQuestion]:
        where, params = ("WHERE hub_id = ? ", (hub_id,)) if hub_id is not None else ("", ())
        rows = await self._read_all(
            f"SELECT question, score, asked_at, hub_id FROM unanswered {where}"
            "ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [
            UnansweredQuestion(r[0], int(r[1]), dt.datetime.fromisoformat(r[2]), r[3]) for r in rows
        ]

    # -- outbox ------------------------------------------------------------------------

    _OUTBOX_COLUMNS = (
        "id, reference, message_id, sender, recipients, data, status, attempts, last_error,"
        " next_attempt_at, created_at, sent_at, results"
    )

    async def _pack(self, data: bytes) -> bytes:
        """Compressed against the database's dictionary (called with the lock held).

        Until the database has a dictionary the bytes stay as they are, and the first
        such message becomes the dictionary once its transaction has committed (see
        :meth:`_make_dictionary`): a dictionary written inside a transaction that then
        rolled back would leave this process compressing against one nobody can read.
        """
        if not self._dictionaries:
            rows = await self._db.execute_fetchall(
                "SELECT id, data FROM mail_dictionary ORDER BY id DESC LIMIT 1"
            )
            for number, zdict in rows:
                self._dictionaries[int(number)] = bytes(zdict)
        if not self._dictionaries:
            self._dictionary_sample = self._dictionary_sample or data
            return data
        newest = max(self._dictionaries)
        return _mailpack.pack(data, (newest, self._dictionaries[newest]))

    async def _make_dictionary(self) -> None:
        """With the lock held and no transaction open: store the sample as the dictionary,
        unless another process has already made one."""
        sample, self._dictionary_sample = self._dictionary_sample, None
        if not sample or self._dictionaries:
            return
        await self._db.execute(
            "INSERT INTO mail_dictionary (data) SELECT ? WHERE NOT EXISTS"
            " (SELECT 1 FROM mail_dictionary)",
            (sample[-_mailpack.MAX_DICTIONARY :],),
        )

    async def _load_dictionaries(self, blobs: Any) -> None:
        """Make sure every dictionary these stored bytes need is in memory (another
        process may have made one since this store opened)."""
        wanted = {_mailpack.dictionary_id(bytes(b)) for b in blobs} - {None}
        missing = wanted - set(self._dictionaries)
        if missing:
            for number, zdict in await self._read_all("SELECT id, data FROM mail_dictionary"):
                self._dictionaries.setdefault(int(number), bytes(zdict))

    def _entry(self, row: Any) -> OutboxEntry:
        return OutboxEntry(
            id=int(row[0]),
            reference=row[1],
            message_id=row[2],
            sender=row[3],
            recipients=tuple(json.loads(row[4])),
            data=_mailpack.unpack(bytes(row[5]), self._dictionaries),
            status=MailStatus(row[6]),
            attempts=int(row[7]),
            last_error=row[8],
            next_attempt_at=_time(row[9]),
            created_at=dt.datetime.fromisoformat(row[10]),
            sent_at=_time(row[11]),
            results=_results(row[12]),
        )

    async def outbox(
        self, *, statuses: tuple[str, ...] | None = None, bodies: bool = True
    ) -> list[OutboxEntry]:
        columns = self._OUTBOX_COLUMNS if bodies else self._OUTBOX_COLUMNS.replace("data", "x''")
        if statuses:
            marks = ",".join("?" * len(statuses))
            rows = await self._read_all(
                f"SELECT {columns} FROM outbox WHERE status IN ({marks}) ORDER BY id",
                tuple(statuses),
            )
        else:
            rows = await self._read_all(f"SELECT {columns} FROM outbox ORDER BY id")
        await self._load_dictionaries(r[5] for r in rows)
        return [self._entry(r) for r in rows]

    async def due_mail(
        self, now: dt.datetime, limit: int = 20, *, after_id: int = 0
    ) -> list[OutboxEntry]:
        rows = await self._all(
            f"SELECT {self._OUTBOX_COLUMNS} FROM outbox WHERE status = ? AND id > ? AND "
            "(next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
            (PENDING, after_id, now.isoformat(), limit),
        )
        await self._load_dictionaries(r[5] for r in rows)
        return [self._entry(r) for r in rows]

    async def pending_mail(self) -> tuple[int, dt.datetime | None]:
        [row] = await self._read_all(
            "SELECT COUNT(*), MIN(next_attempt_at), COUNT(*) - COUNT(next_attempt_at)"
            " FROM outbox WHERE status = ?",
            (PENDING,),
        )
        count, earliest, due_now = int(row[0]), row[1], int(row[2])
        return count, None if due_now else _time(earliest)

    async def mark_sent(
        self, entry_id: int, at: dt.datetime, results: tuple[RecipientResult, ...] = ()
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET status = ?, sent_at = ?, attempts = attempts + 1, last_error = NULL,"
                " next_attempt_at = NULL, results = ? WHERE id = ?",
                (SENT, at.isoformat(), _results_json(results), entry_id),
            )

    async def mark_attempt_failed(
        self,
        entry_id: int,
        error: str,
        next_attempt_at: dt.datetime | None,
        results: tuple[RecipientResult, ...] = (),
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                " status = ?, results = COALESCE(?, results) WHERE id = ? AND status = ?",
                (
                    error[:500],
                    _iso(next_attempt_at),
                    PENDING if next_attempt_at else FAILED,
                    _results_json(results),
                    entry_id,
                    PENDING,
                ),
            )

    async def replace_mail(self, entry_id: int, mail: OutgoingMail) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET message_id = ?, sender = ?, recipients = ?, data = ?, status = ?,"
                " last_error = ?, next_attempt_at = ? WHERE id = ? AND status IN (?, ?)",
                (
                    *_mail_columns(mail, await self._pack(mail.data)),
                    self._now().isoformat(),
                    entry_id,
                    HELD,
                    FAILED,
                ),
            )

    # -- housekeeping ----------------------------------------------------------------------

    PURGE_CHUNK = 500

    async def purge(self, now: dt.datetime) -> int:
        """Deletes in chunks of :data:`PURGE_CHUNK` rows, each its own transaction, so the
        write lock is never held for long; one interrupted is finished by the next run.
        Sent mail goes before its application, so no application loses an email it still
        needs."""
        removed = 0
        for table, where, cutoff in (
            ("sessions", "answered_at < ?", now - DRAFT_RETENTION),
            # Applications and their email in every state (sent, pending, held, failed):
            # nothing is delivered, nor kept, beyond the period the notice states.
            (
                "outbox",
                "reference IN (SELECT reference FROM applications WHERE submitted_at < ?)",
                now - APPLICATION_RETENTION,
            ),
            ("outbox", "created_at < ?", now - APPLICATION_RETENTION),
            ("applications", "submitted_at < ?", now - APPLICATION_RETENTION),
            ("unanswered", "asked_at < ?", now - UNANSWERED_RETENTION),
            ("transcript", "at < ?", now - DRAFT_RETENTION),
            ("subscriptions", "created_at < ?", now - SUBSCRIPTION_RETENTION),
            ("notices", "created_at < ?", now - NOTICE_RETENTION),
        ):
            sql = (
                f"DELETE FROM {table} WHERE rowid IN "
                f"(SELECT rowid FROM {table} WHERE {where} LIMIT ?)"
            )
            while True:
                async with self._lock:
                    cursor = await self._db.execute(sql, (cutoff.isoformat(), self.PURGE_CHUNK))
                    count = max(cursor.rowcount, 0)
                    if table == "sessions" and count:
                        self._sessions.clear()
                removed += count
                if count < self.PURGE_CHUNK:
                    break
        await self._compact_sent(now - SENT_BODY_RETENTION)
        if removed:
            async with self._lock:
                await self._checkpoint()
        return removed

    async def _compact_sent(self, cutoff: dt.datetime) -> int:
        """Sent messages older than ``cutoff`` keep their headers, not their bodies
        (bot/store/_mailpack.py).  Not counted as removed: the rows stay."""
        compacted = 0
        while True:
            rows = await self._read_all(
                "SELECT id, data FROM outbox WHERE status = 'sent' AND body_kept = 1"
                " AND sent_at < ? LIMIT ?",
                (cutoff.isoformat(), self.PURGE_CHUNK),
            )
            await self._load_dictionaries(r[1] for r in rows)
            days = SENT_BODY_RETENTION.days
            updates = [
                (_mailpack.compact(_mailpack.unpack(bytes(data), self._dictionaries), days), id_)
                for id_, data in rows
            ]
            if updates:
                async with self._lock:
                    await self._db.executemany(
                        "UPDATE outbox SET data = ?, body_kept = 0 WHERE id = ? AND status = 'sent'",
                        updates,
                    )
            compacted += len(updates)
            if len(rows) < self.PURGE_CHUNK:
                return compacted

    async def stats(self, *, hub_id: str | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        if hub_id is None:
            queries: tuple[tuple[str, str, tuple[Any, ...]], ...] = (
                ("users", "SELECT COUNT(*) FROM sessions", ()),
                (
                    "drafts",
                    "SELECT COUNT(*) FROM sessions WHERE json_extract(state, '$.flows') != '{}'",
                    (),
                ),
                ("applications", "SELECT COUNT(*) FROM applications", ()),
                ("unanswered", "SELECT COUNT(*) FROM unanswered", ()),
            )
        else:  # a hub's staff see their hub's figures only
            queries = (
                ("applications", "SELECT COUNT(*) FROM applications WHERE hub_id = ?", (hub_id,)),
                ("unanswered", "SELECT COUNT(*) FROM unanswered WHERE hub_id = ?", (hub_id,)),
            )
        for name, sql, params in queries:
            [row] = await self._read_all(sql, params)
            out[name] = int(row[0])
        where, args = ("WHERE hub_id = ?", (hub_id,)) if hub_id is not None else ("", ())
        for form, count in await self._read_all(
            f"SELECT form, COUNT(*) FROM applications {where} GROUP BY form ORDER BY form", args
        ):
            out[f"applications_{form}"] = int(count)
        if hub_id is None:
            for flow_id, count in await self._read_all(
                "SELECT f.key, COUNT(*) FROM sessions s, json_each(s.state, '$.flows') f "
                "GROUP BY f.key ORDER BY f.key"
            ):
                out[f"drafts_{flow_id}"] = int(count)
        for status in (PENDING, SENT, HELD, FAILED):
            if hub_id is None:
                sql, params = "SELECT COUNT(*) FROM outbox WHERE status = ?", (status,)
            else:
                sql = (
                    "SELECT COUNT(*) FROM outbox o JOIN applications a ON a.reference = o.reference"
                    " WHERE o.status = ? AND a.hub_id = ?"
                )
                params = (status, hub_id)
            [row] = await self._read_all(sql, params)
            out[f"mail_{status}"] = int(row[0])
        return out
