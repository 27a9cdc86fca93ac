"""The SQLite store on a real file: atomic commits, references, retention, the session
cache.  What the in-memory fake must keep the same way is in test_store_contract.py."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.exceptions import SessionConflict
from bot.session import FlowState, Session
from bot.store.base import OutgoingMail, Submission, SubmittedApplication, utcnow
from bot.store.sqlite import SqliteStore


def _session(step: str) -> Session:
    return Session(active="eoi", flows={"eoi": FlowState("eoi", step, {"school_name": "X"})})


def _mail(app: SubmittedApplication) -> OutgoingMail:
    return OutgoingMail(f"<{app.reference}@test>", "a@b.example", ("hub@c.example",), b"x")


def _eoi(answers: dict[str, str], compose: Any = None) -> Submission:
    return Submission("enigma", answers, compose or _mail, form="eoi", reference_prefix="EOI")


async def test_references_count_up_within_a_year(store: SqliteStore) -> None:
    refs = []
    for user in ("a", "b", "c"):
        app = await store.commit(user, Session(), submission=_eoi({"k": "v"}))
        assert app is not None
        refs.append(app.reference)
    year = utcnow().year
    assert refs == [f"EOI-{year}-0001", f"EOI-{year}-0002", f"EOI-{year}-0003"]
    assert [e.reference for e in await store.outbox()] == refs


async def test_references_are_numbered_per_form(store: SqliteStore) -> None:
    other = Submission("enigma", {}, _mail, form="specialist", reference_prefix="SMP")
    first = await store.commit("a", Session(), submission=_eoi({}))
    second = await store.commit("b", Session(), submission=other)
    third = await store.commit("c", Session(), submission=_eoi({}))
    year = utcnow().year
    assert first and second and third
    assert [first.reference, second.reference, third.reference] == [
        f"EOI-{year}-0001", f"SMP-{year}-0001", f"EOI-{year}-0002",
    ]  # fmt: skip
    assert [a.reference for a in await store.applications(form="specialist")] == [
        f"SMP-{year}-0001"
    ]
    assert (await store.applications(user_id="b"))[0].form == "specialist"
    stats = await store.stats()
    assert stats["applications"] == 3
    assert stats["applications_eoi"] == 2 and stats["applications_specialist"] == 1


async def test_a_failed_submission_writes_nothing_and_caches_nothing(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "s.sqlite3")
    try:
        await store.commit("u", _session("school_urn"))

        def broken(app: SubmittedApplication) -> OutgoingMail:
            raise RuntimeError("composer failed")

        with pytest.raises(RuntimeError):
            await store.commit("u", _session("review"), submission=_eoi({}, broken))
        assert await store.applications() == []
        assert await store.outbox() == []
        loaded = await store.load_session("u")
        assert loaded is not None and loaded.flows["eoi"].step == "school_urn"
    finally:
        await store.close()
    reopened = await SqliteStore.open(tmp_path / "s.sqlite3")
    try:
        loaded = await reopened.load_session("u")
        assert loaded is not None and loaded.flows["eoi"].step == "school_urn"
    finally:
        await reopened.close()


async def test_update_ids_travel_with_the_session(store: SqliteStore) -> None:
    session = _session("school_urn")
    session.remember("telegram:1")
    await store.commit("u", session)
    loaded = await store.load_session("u")
    assert loaded is not None and loaded.has_handled("telegram:1")
    for n in range(100):
        loaded.remember(f"telegram:{n + 2}")
    assert len(loaded.handled) == 32 and loaded.has_handled("telegram:101")


async def test_purge_keeps_what_the_privacy_notice_promises(store: SqliteStore) -> None:
    await store.commit("u", _session("school_urn"))
    assert await store.purge(utcnow() + dt.timedelta(days=89)) == 0
    assert await store.load_session("u") is not None
    assert await store.purge(utcnow() + dt.timedelta(days=91)) >= 1
    assert await store.load_session("u") is None


async def test_forget_removes_the_session(store: SqliteStore) -> None:
    await store.commit("u", _session("school_urn"))
    await store.forget("u")
    assert await store.load_session("u") is None


async def test_stats_count_drafts_per_form(store: SqliteStore) -> None:
    await store.commit("u", _session("school_urn"))
    other = Session(active="specialist", flows={"specialist": FlowState("specialist", "qts")})
    await store.commit("v", other)
    await store.commit("w", Session())
    stats = await store.stats()
    assert stats["users"] == 3 and stats["drafts"] == 2
    assert stats["drafts_eoi"] == 1 and stats["drafts_specialist"] == 1


SQLITE_MODULES = ("sqlite3", "aiosqlite", "bot.store.sqlite")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_store_package_knows_sqlite() -> None:
    """Everything else opens the store through bot.store.open_store and uses its ports."""
    package = Path(__file__).resolve().parent.parent / "bot"
    modules = [p for p in package.rglob("*.py") if "store" not in p.relative_to(package).parts]
    assert len(modules) > 40
    knowing = {
        str(path.relative_to(package)): sorted(
            name for name in _imports(path) if name.startswith(SQLITE_MODULES)
        )
        for path in modules
    }
    assert {path: names for path, names in knowing.items() if names} == {}


async def test_saves_arriving_together_are_written_in_one_statement(tmp_path: Path) -> None:
    """Twenty chats' turns ending at once cost one round trip, not twenty; a session
    another process changed meanwhile fails its own commit only."""
    store = await SqliteStore.open(tmp_path / "s.sqlite3")
    other = await SqliteStore.open(tmp_path / "s.sqlite3")
    try:
        for n in range(20):
            await store.commit(f"u{n}", _session("school_urn"))
        await other.commit("u3", _session("other_process"))  # unknown to it: written as is
        writes: list[str] = []
        await store._db.set_trace_callback(writes.append)
        results = await asyncio.gather(
            *(store.commit(f"u{n}", _session(f"step{n}")) for n in range(20)),
            return_exceptions=True,
        )
        await store._db.set_trace_callback(None)  # type: ignore[arg-type]
        assert [type(r).__name__ for r in results if r is not None] == ["SessionConflict"]
        assert isinstance(results[3], SessionConflict)
        saves = [sql for sql in writes if "INSERT INTO sessions" in sql]
        assert len(saves) == 1
        for n in range(20):
            if n != 3:
                loaded = await store.load_session(f"u{n}")
                assert loaded is not None and loaded.flows["eoi"].step == f"step{n}"
                reread = await other.load_session(f"u{n}")
                assert reread is not None and reread.flows["eoi"].step == f"step{n}"
        kept = await store.load_session("u3")  # read again from the database
        assert kept is not None and kept.flows["eoi"].step == "other_process"
        # The versions cached by the grouped write are right: the next turn saves.
        await store.commit("u5", _session("after"))
    finally:
        await other.close()
        await store.close()
