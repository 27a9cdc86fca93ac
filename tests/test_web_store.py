"""Transcripts in the store (what the web page shows again after a reload or restart), on
the real SQLite file and the in-memory fake alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.session import Session
from bot.store.base import DRAFT_RETENTION, Store, utcnow
from bot.store.memory import MemoryStore
from bot.store.sqlite import SqliteStore


@pytest.fixture(params=["sqlite", "memory"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    store: Store
    if request.param == "sqlite":
        store = await SqliteStore.open(tmp_path / "t.sqlite3")
    else:
        store = MemoryStore()
    yield store
    await store.close()


async def test_entries_come_back_in_order_for_their_user_only(any_store: Store) -> None:
    first = await any_store.append_transcript("a", [("user", "1"), ("assistant", "2")])
    await any_store.append_transcript("b", [("user", "other")])
    last = await any_store.append_transcript("a", [("assistant", "3")])
    entries = await any_store.transcript("a")
    assert [(e.role, e.body) for e in entries] == [
        ("user", "1"),
        ("assistant", "2"),
        ("assistant", "3"),
    ]
    assert entries[1].seq == first and entries[2].seq == last and last > first
    assert [e.body for e in await any_store.transcript("a", after=first)] == ["3"]
    assert [e.body for e in await any_store.transcript("a", limit=2)] == ["2", "3"]
    assert await any_store.append_transcript("a", []) == 0


async def test_forget_deletes_the_transcript_with_the_session(any_store: Store) -> None:
    await any_store.commit("a", Session(active=None))
    await any_store.append_transcript("a", [("user", "my school")])
    await any_store.append_transcript("b", [("user", "kept")])
    await any_store.forget("a")
    assert await any_store.transcript("a") == []
    assert await any_store.load_session("a") is None
    assert [e.body for e in await any_store.transcript("b")] == ["kept"]


async def test_transcripts_are_purged_with_old_drafts(any_store: Store) -> None:
    await any_store.append_transcript("a", [("user", "old")])
    await any_store.purge(utcnow() + DRAFT_RETENTION + dt.timedelta(days=1))
    assert await any_store.transcript("a") == []


async def test_the_transcript_survives_reopening_the_file(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "t.sqlite3")
    await store.append_transcript("a", [("user", "hello"), ("assistant", "hi")])
    await store.close()
    store = await SqliteStore.open(tmp_path / "t.sqlite3")
    try:
        assert [e.body for e in await store.transcript("a")] == ["hello", "hi"]
    finally:
        await store.close()
