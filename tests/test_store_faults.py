"""The SQLite store's schema history and its behaviour when the file or the disk fails."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store.sqlite import MIGRATIONS, SCHEMA, SqliteStore


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
