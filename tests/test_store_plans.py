"""Every query a request makes uses an index, and long reads leave the write lock free.

Each operation below runs against a real SQLite store while a trace callback records the
SQL it sends (with its values bound); each statement's ``EXPLAIN QUERY PLAN`` must then
search by an index: a plain ``SCAN`` of a table grows with the data, which is how an
export of 10,000 applications once took 91 s and /status 150 ms.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import itertools
import re
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot.export import CsvExport, applications_csv, csv_files, staff_export
from bot.knowledge.base import Knowledge
from bot.session import FlowState, Session
from bot.store.base import OutgoingMail, Submission, SubmittedApplication, utcnow
from bot.store.sqlite import SqliteStore

Operation = Callable[[SqliteStore], Awaitable[object]]


def _mail(app: SubmittedApplication) -> OutgoingMail:
    return OutgoingMail(f"<{app.reference}@test>", "a@b.example", ("hub@c.example",), b"x")


def _held(app: SubmittedApplication) -> OutgoingMail:
    return OutgoingMail(
        f"<{app.reference}@held>", "a@b.example", (), b"x", held_reason="no address"
    )


async def _seed(store: SqliteStore) -> None:
    for n in range(30):
        session = Session(active="eoi", flows={"eoi": FlowState("eoi", "school_urn", {"x": "y"})})
        await store.commit(f"u{n}", session)
        await store.commit(
            f"u{n}",
            Session(),
            submission=Submission(
                hub_id=f"hub{n % 3}",
                answers={"school_name": "S"},
                compose=_mail if n % 2 else _held,
            ),
        )
        await store.record_unanswered(f"question {n}", 40)
        await store.append_transcript(f"u{n}", [("user", "hello"), ("bot", "Hello!")])


def _submit(store: SqliteStore) -> Awaitable[object]:
    return store.commit(
        "new", Session(), submission=Submission(hub_id="hub1", answers={}, compose=_mail)
    )


async def _load_uncached(store: SqliteStore) -> object:
    store._sessions.clear()
    return await store.load_session("u3")


async def _replace(store: SqliteStore) -> None:
    held = await store.outbox(statuses=("held",))
    mail = OutgoingMail("<recomposed@test>", "a@b.example", ("hub@c.example",), b"x")
    await store.replace_mail(held[0].id, mail)


async def _fail(store: SqliteStore) -> None:
    due = await store.due_mail(utcnow())
    await store.mark_attempt_failed(due[0].id, "451 try later", utcnow())


async def _sent(store: SqliteStore) -> None:
    due = await store.due_mail(utcnow())
    await store.mark_sent(due[0].id, utcnow())


REQUEST_PATHS: dict[str, Operation] = {
    # a chat turn
    "load a session": _load_uncached,
    "save a session": lambda s: s.commit("u3", Session()),
    "submit an application": _submit,
    "/status": lambda s: s.applications(user_id="u4"),
    "/forget": lambda s: s.forget("u5"),
    "record an unanswered question": lambda s: s.record_unanswered("what?", 10),
    # the web chat's transcript
    "append to a transcript": lambda s: s.append_transcript("u2", [("user", "hi")]),
    "reload a transcript": lambda s: s.transcript("u2", after=1),
    # staff
    "staff /export of a hub": lambda s: s.applications(hub_id="hub1"),
    "export --hub --since": lambda s: s.applications(hub_id="hub1", since=dt.date(2020, 1, 1)),
    "export --since": lambda s: s.applications(since=utcnow().date()),
    "/unanswered": lambda s: s.unanswered(20),
    # the outbox
    "due mail": lambda s: s.due_mail(utcnow(), after_id=3),
    "pending mail": lambda s: s.outbox(statuses=("pending",)),
    "when is mail next due": lambda s: s.pending_mail(),
    "mark sent": _sent,
    "mark an attempt failed": _fail,
    "replace held mail": _replace,
    # retention
    "purge": lambda s: s.purge(utcnow() + dt.timedelta(days=800)),
}

FULL_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")
# Newest-first by rowid with a LIMIT and no filter reads LIMIT rows, though its plan says SCAN.
NEWEST = re.compile(r"^SELECT [^;]+ FROM \w+ ORDER BY id DESC LIMIT \d+$")


def _constant_rows(sql: str) -> set[str]:
    """Names (and aliases) of the statement's ``WITH name(...) AS (VALUES ...)`` tables:
    the rows it brings along (sessions saved together), not data that grows."""
    names = set(re.findall(r"\bWITH (\w+)\([^)]*\) AS \(VALUES", sql))
    aliases = {alias for name in names for alias in re.findall(rf"\bFROM {name} (\w+)", sql)}
    return names | aliases


async def _traced(store: SqliteStore, operation: Operation) -> list[str]:
    seen: list[str] = []
    connections = [store._db, *([store._reader] if store._reader is not None else [])]
    for connection in connections:
        await connection.set_trace_callback(seen.append)
    try:
        await operation(store)
    finally:
        for connection in connections:
            await connection.set_trace_callback(None)  # type: ignore[arg-type]
    return [
        sql
        for sql in seen
        if sql.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"))
    ]


@pytest.mark.parametrize("name", list(REQUEST_PATHS))
async def test_every_query_on_a_request_path_uses_an_index(store: SqliteStore, name: str) -> None:
    await _seed(store)
    statements = await _traced(store, REQUEST_PATHS[name])
    assert statements, f"{name}: no SQL was traced"
    planner = sqlite3.connect(store.path)
    try:
        for sql in statements:
            plan = [row[3] for row in planner.execute(f"EXPLAIN QUERY PLAN {sql}")]
            scans = [
                line
                for line in plan
                if (scan := FULL_SCAN.match(line))
                and not NEWEST.match(sql)
                and scan.group(1) not in _constant_rows(sql)
            ]
            assert not scans, f"{name}: {sql}\n  scans a whole table: {plan}"
    finally:
        planner.close()


async def test_a_staff_export_does_not_hold_the_lock_a_chat_needs(store: SqliteStore) -> None:
    """The export reads on the read-only connection: while it runs, a person's commit
    goes straight through instead of queueing behind it."""
    await _seed(store)
    assert store._reader is not None
    entered, release = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow_row(*_: object) -> int:
        # Runs on the reader's thread for each row the export reads: hold it there.
        loop.call_soon_threadsafe(entered.set)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(5)
        return 0

    await store._reader.create_function("slow_row", -1, slow_row)
    original = store._read_all

    async def slow_read(sql: str, params: tuple[object, ...] = ()) -> list[object]:
        slowed = sql.replace(
            "FROM applications a", "FROM applications a JOIN (SELECT slow_row() AS z) ON 1", 1
        )
        assert slowed != sql
        return await original(slowed, params)

    store._read_all = slow_read  # type: ignore[method-assign]
    export = asyncio.create_task(store.applications(hub_id="hub1"))
    await asyncio.wait_for(entered.wait(), 5)
    await asyncio.wait_for(store.commit("someone", Session()), 1)
    assert await asyncio.wait_for(store.applications(user_id="u1"), 1)
    release.set()
    assert len(await export) == 10


async def test_the_read_only_connection_sees_every_commit(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "s.sqlite3")
    try:
        for n in range(5):
            await store.commit(
                f"u{n}", Session(), submission=Submission(hub_id="h", answers={}, compose=_mail)
            )
            assert len(await store.applications(hub_id="h")) == n + 1
            assert (await store.stats())["applications"] == n + 1
    finally:
        await store.close()


async def test_purge_in_chunks_removes_everything_due(store: SqliteStore) -> None:
    store.PURGE_CHUNK = 4
    await _seed(store)
    # Draft sessions, unanswered questions, transcripts and the sent mail of old applications.
    due = await store.due_mail(utcnow(), limit=100)
    for entry in due:
        await store.mark_sent(entry.id, utcnow())
    removed = await store.purge(utcnow() + dt.timedelta(days=800))
    stats = await store.stats()
    assert stats["users"] == 0 and stats["unanswered"] == 0
    # Every application goes with its email, whatever the email's state (held ones too).
    assert stats["applications"] == 0 and stats["mail_held"] == 0
    assert removed == 30 + 30 + 30 + 30 + 60  # sessions, questions, mail, apps, transcript


async def test_a_staff_export_is_built_in_a_worker_thread_while_chats_go_on(
    store: SqliteStore, knowledge: Knowledge
) -> None:
    """The export's reading, decoding and CSV run off the event loop: halfway through
    it, a person's turn (a commit through the loop and the write lock) goes through; the
    files are the plain CSV's bytes, one per form."""
    for n in range(300):
        answers = {"school_name": f"=cmd|{n}", "hod_statement": 'line one\nline two, "quoted"'}
        await store.commit(
            f"x{n}",
            Session(),
            submission=Submission(hub_id="hubx", answers=answers, compose=_mail, form="eoi"),
        )
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    builders: list[int] = []

    def build(apps: Iterator[SubmittedApplication]) -> CsvExport:
        builders.append(threading.get_ident())
        first = [next(apps)]
        # Stays here until the loop has served someone else's whole turn.
        turn = asyncio.run_coroutine_threadsafe(store.commit("someone", Session()), loop)
        turn.result(5)
        return csv_files(itertools.chain(first, apps), knowledge.flows)

    export = await asyncio.wait_for(store.export_applications(build, hub_id="hubx"), 10)
    assert builders and loop_thread not in builders
    assert await store.load_session("someone") == Session()
    [file] = export.files
    flow = knowledge.flows["eoi"]
    plain = applications_csv(await store.applications(hub_id="hubx"), flow)
    assert file.flow is flow and file.count == 300 and export.left_out == 0
    assert file.data == plain.encode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(plain)))
    assert len(rows) == 301 and rows[1][rows[0].index("school_name")] == "'=cmd|0"


async def test_an_export_leaves_out_and_counts_forms_no_longer_installed(
    store: SqliteStore, knowledge: Knowledge
) -> None:
    for form in ("eoi", "retired", "eoi"):
        await store.commit(
            "u", Session(), submission=Submission(hub_id="h", answers={}, compose=_mail, form=form)
        )
    export = await staff_export(store, knowledge.flows, hub_id="h")
    assert [(f.flow.id, f.count) for f in export.files] == [("eoi", 2)]
    assert export.left_out == 1
