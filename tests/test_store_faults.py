"""The SQLite store's schema history and its behaviour when the file or the disk fails."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.assistant import Assistant
from bot.exceptions import StoreError
from bot.knowledge.base import Knowledge
from bot.mail.compose import Composer
from bot.store.sqlite import MIGRATIONS, SCHEMA, SqliteStore
from tests.conftest import PYTHON, ROOT, TODAY, Chat


async def test_a_database_from_before_schema_versions_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.executescript(SCHEMA)
        old.execute(
            "INSERT INTO outbox (reference, message_id, sender, recipients, data, status,"
            " created_at) VALUES ('EOI-2026-0001', '<m@x>', 'a@x.org', '[\"h@x.org\"]', x'00',"
            " 'pending', '2026-11-23T10:00:00+00:00')"
        )
    old.close()
    store = await SqliteStore.open(path)
    try:
        (entry,) = await store.outbox()
        assert entry.reference == "EOI-2026-0001" and entry.results == ()
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.close()
    reopened = await SqliteStore.open(path)  # opening again changes nothing
    await reopened.close()


# -- commands against a database they cannot use --------------------------------------------

COMMANDS = [
    ("chat", "--jsonl"),
    ("export", "--form", "eoi", "--hub", "enigma"),
    ("outbox",),
    ("outbox", "retry"),
    ("unanswered",),
]


def run_quick(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` that must finish well within 30 s (a hang fails the test)."""
    return subprocess.run(
        [PYTHON, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        env=env, cwd=ROOT, timeout=30, check=False,
    )  # fmt: skip


def assert_one_line_failure(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def make_database(path: Path, rows: int = 300) -> None:
    """A real database with enough rows to span many pages."""
    path.parent.mkdir(parents=True, exist_ok=True)

    async def fill() -> None:
        store = await SqliteStore.open(path)
        try:
            for n in range(rows):
                await store.record_unanswered(f"question {n} " + "x" * 400, 10)
        finally:
            await store.close()

    asyncio.run(fill())


def test_a_file_that_is_not_a_database(bot_env: dict[str, str]) -> None:
    db = Path(bot_env["BOT_DATA_DIR"]) / "assistant.sqlite3"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    for args in COMMANDS:
        proc = run_quick(bot_env, *args, stdin="hello\n")
        assert_one_line_failure(proc, "cannot open the database", "not a database", "backup")


def test_a_truncated_database(bot_env: dict[str, str]) -> None:
    db = Path(bot_env["BOT_DATA_DIR"]) / "assistant.sqlite3"
    make_database(db)
    size = db.stat().st_size
    assert size > 40_000
    with open(db, "r+b") as handle:
        handle.truncate(size // 3)
    for args in COMMANDS:
        proc = run_quick(bot_env, *args, stdin="hello\n")
        assert_one_line_failure(proc, "malformed")


def test_a_damaged_table_page_stops_the_start_with_one_line(
    bot_env: dict[str, str],
) -> None:
    db = Path(bot_env["BOT_DATA_DIR"]) / "assistant.sqlite3"
    make_database(db)
    page = 4096
    # Damage the outbox's pages (table, indexes, sequence), wherever the schema's history
    # has put them.
    damaged = ("outbox", "sqlite_autoindex_outbox_1", "sqlite_sequence", "outbox_due")
    reading = sqlite3.connect(db)
    roots = [
        reading.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
        for name in damaged
    ]
    reading.close()
    with open(db, "r+b") as handle:
        for root in roots:
            handle.seek(page * (root - 1))
            handle.write(os.urandom(page))
    proc = run_quick(bot_env, "chat", "--jsonl", stdin="hello\n")
    assert_one_line_failure(proc, "the database", "malformed")


def test_a_read_only_data_directory(bot_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "ro"
    data.mkdir()
    env = bot_env | {"BOT_DATA_DIR": str(data / "var")}

    def check() -> None:
        for args in COMMANDS:
            proc = run_quick(env, *args, stdin="hello\n")
            assert_one_line_failure(proc)
            assert "read" in proc.stderr.lower() or "cannot" in proc.stderr.lower()

    if os.geteuid() != 0:  # permissions bind an ordinary user: a read-only folder will do
        make_database(data / "var" / "assistant.sqlite3", rows=5)
        (data / "var").chmod(0o500)
        try:
            check()
        finally:
            (data / "var").chmod(0o700)
        return
    with mounted_tmpfs(data, "size=4m") as remount_read_only:  # root ignores permissions
        make_database(data / "var" / "assistant.sqlite3", rows=5)
        remount_read_only()
        check()


def test_an_unwritable_mail_folder_stops_the_chat_before_it_starts(
    bot_env: dict[str, str],
) -> None:
    data = Path(bot_env["BOT_DATA_DIR"])
    data.mkdir()
    (data / "mail").write_text("a file where the mail folder should be")
    proc = run_quick(bot_env, "chat", "--jsonl", stdin="hello\n")
    assert_one_line_failure(proc, "cannot write to the mail folder")


@contextlib.contextmanager
def mounted_tmpfs(where: Path, options: str) -> Iterator[Callable[[], None]]:
    """A real small filesystem at ``where`` (root only); yields "make it read-only"."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")

    def read_only() -> None:
        subprocess.run(["mount", "-o", f"remount,ro,{options}", str(where)], check=True)

    try:
        yield read_only
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_mid_form_exits_with_one_line_and_keeps_saved_answers(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "small"
    data.mkdir()
    env = bot_env | {"BOT_DATA_DIR": str(data / "var")}
    with mounted_tmpfs(data, "size=1m"):
        with subprocess.Popen(
            [PYTHON, "-m", "bot", "chat", "--jsonl"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env, cwd=ROOT,
        ) as proc:  # fmt: skip
            assert proc.stdin is not None and proc.stdout is not None
            assert proc.stderr is not None

            def turn_end() -> None:
                assert proc.stdout is not None
                while json.loads(proc.stdout.readline()).get("turn") != "end":
                    pass

            turn_end()
            for line in ["/apply eoi", "I agree", "Example Academy"]:
                proc.stdin.write(line + "\n")
                proc.stdin.flush()
                turn_end()
            filler = data / "filler"
            with open(filler, "wb") as handle, contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            proc.stdin.write("1 Example Road, Milton Keynes MK9 1AA " * 20 + "\n")
            proc.stdin.write("123456\n")
            proc.stdin.close()
            proc.wait(timeout=30)
            stderr = proc.stderr.read()
            proc.stdout.read()
        assert proc.returncode == 1, stderr
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "disk is full" in lines[0], stderr
        filler.unlink()

        async def saved() -> dict[str, str]:
            store = await SqliteStore.open(data / "var" / "assistant.sqlite3")
            try:
                session = await store.load_session("console")
            finally:
                await store.close()
            assert session is not None
            return session.flows["eoi"].answers

        answers = asyncio.run(saved())
        assert answers["school_name"] == "Example Academy"


async def test_a_full_database_at_submit_reports_the_real_error(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    """Simulated with SQLite's max_page_count on a real file (works without root)."""
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        composer = Composer(knowledge, mail_from="a@assistant.example.org", hold_placeholders=False)
        chat = Chat(Assistant(knowledge, store, today=lambda: TODAY, compose=composer))
        await chat.fill_until("review")
        rows = await store._db.execute_fetchall("PRAGMA page_count")
        await store._db.execute(f"PRAGMA max_page_count = {next(iter(rows))[0]}")
        with pytest.raises(StoreError) as caught:
            await chat.send("submit")
        assert "full" in str(caught.value) and "rollback" not in str(caught.value)
        assert await store.applications() == [] and await store.outbox() == []
        session = await store.load_session("u1")
        assert session is not None and session.flows["eoi"].step == "review"
    finally:
        await store.close()
