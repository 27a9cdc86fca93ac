"""Submitted applications: references, the email composed before the transaction, the
listings /status and the export command read, and staff exports built in a worker thread.

References are numbered per form and year, one past the highest stored, and never below
the last one handed out, which is also kept in a file beside the database (a reset
database must never hand out a reference a hub has already seen).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.store.base import (
    HELD,
    PENDING,
    RECENT_WINDOW,
    OutgoingMail,
    Submission,
    SubmittedApplication,
    T,
    make_reference,
)
from bot.store.sqlite.database import _read_only_uri, _results
from bot.store.sqlite.outbox import SqliteOutbox

logger = logging.getLogger(__name__)

# Rows a listing decodes between two yields to the event loop (a few milliseconds' work).
DECODE_CHUNK = 50


# A staff export's worker thread (see _export): rows fetched at a time, and how long it
# works before pausing to let the event loop and the store's thread have the GIL.
EXPORT_FETCH = 200


EXPORT_SLICE = 0.002


EXPORT_PAUSE = 0.0005


def _write_floor(path: Path, floor: dict[str, int]) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(dict(sorted(floor.items()))), encoding="utf-8")
    os.replace(partial, path)


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


class SqliteApplications(SqliteOutbox):
    """The applications port (:class:`~bot.store.ports.ApplicationPort`), and the
    writing of a submission inside the facade's transaction."""

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
        _, application = self._numbered(user_id, submission, now, int(next(iter(rows))[0]))
        return application, await asyncio.to_thread(submission.compose, application)

    def _numbered(
        self, user_id: str, submission: Submission, now: dt.datetime, highest: int
    ) -> tuple[int, SubmittedApplication]:
        """The next sequence of its form and year after ``highest``, and the application."""
        sequence = max(highest, self._floor_of(submission.reference_prefix, now.year)) + 1
        return sequence, SubmittedApplication(
            reference=make_reference(submission.reference_prefix, now.year, sequence),
            user_id=user_id,
            hub_id=submission.hub_id,
            submitted_at=now,
            answers=dict(submission.answers),
            form=submission.form,
        )

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
        sequence, application = self._numbered(user_id, submission, now, int(row[0]))
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
