"""The schema migration, on databases made exactly as earlier releases made them.

``tests/fixtures/schema_before_forms.sql`` is the schema of the release before forms
were data (its PRAGMA user_version is in the file), dumped from a database it made; ``schema_v1.sql`` the first
release's (before schema versions, user_version 0).  The rows below are written as those
stores wrote them.  Opening the file with today's store must upgrade it in place:
nothing lost, the form id filled in, numbering carrying on per form.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.exceptions import StoreError
from bot.session import FlowState, Session
from bot.store.base import OutgoingMail, Submission, SubmittedApplication, Subscription, utcnow
from bot.store.sqlite import SCHEMA_VERSION, SqliteStore

FIXTURES = Path(__file__).parent / "fixtures"
RELEASES = [("schema_before_forms.sql", 6), ("schema_v1.sql", 0)]


def _old_database(path: Path, fixture: str, version: int) -> None:
    year = utcnow().year
    db = sqlite3.connect(path)
    db.executescript((FIXTURES / fixture).read_text(encoding="utf-8"))
    draft = Session(
        active="eoi", flows={"eoi": FlowState("eoi", "school_urn", {"school_name": "X"})}
    )
    db.execute(
        "INSERT INTO sessions (user_id, state, updated_at) VALUES (?, ?, ?)",
        ("draft-user", draft.to_json(), f"{year}-11-01T10:00:00+00:00"),
    )
    for n in (1, 2):
        reference = f"EOI-{year}-{n:04d}"
        db.execute(
            "INSERT INTO applications (reference, year, sequence, user_id, hub_id, submitted_at,"
            " answers) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (reference, year, n, f"user{n}", "enigma", f"{year}-11-0{n}T10:00:00+00:00",
             json.dumps({"school_name": f"School {n}"})),
        )  # fmt: skip
        db.execute(
            "INSERT INTO outbox (reference, message_id, sender, recipients, data, status, attempts,"
            " created_at) VALUES (?, ?, 'a@b.example', '[\"hub@c.example\"]', X'78', 'pending', 0, ?)",
            (reference, f"<{reference}@test>", f"{year}-11-0{n}T10:00:00+00:00"),
        )
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == version
    db.close()


def _mail(app: SubmittedApplication) -> OutgoingMail:
    return OutgoingMail(f"<{app.reference}@test>", "a@b.example", ("hub@c.example",), b"x")


@pytest.mark.parametrize(("fixture", "version"), RELEASES)
async def test_a_database_of_an_earlier_release_is_upgraded_in_place(
    tmp_path: Path, fixture: str, version: int
) -> None:
    path = tmp_path / "assistant.sqlite3"
    _old_database(path, fixture, version)
    store = await SqliteStore.open(path)
    year = utcnow().year
    try:
        old = await store.applications()
        assert [(a.reference, a.form, a.answers["school_name"]) for a in old] == [
            (f"EOI-{year}-0001", "eoi", "School 1"),
            (f"EOI-{year}-0002", "eoi", "School 2"),
        ]
        assert [a.delivery for a in old] == ["pending", "pending"]
        draft = await store.load_session("draft-user")
        assert draft is not None and draft.flows["eoi"].step == "school_urn"
        new = await store.commit(
            "u3", Session(),
            submission=Submission("enigma", {}, _mail, form="eoi", reference_prefix="EOI"),
        )  # fmt: skip
        other = await store.commit(
            "u4", Session(),
            submission=Submission("enigma", {}, _mail, form="specialist", reference_prefix="SMP"),
        )  # fmt: skip
        assert new is not None and new.reference == f"EOI-{year}-0003"
        assert other is not None and other.reference == f"SMP-{year}-0001"
        assert len(await store.outbox()) == 4
        # Requests to be told when applications open, and their notices (version 9).
        asked = Subscription("u5", "specialist", "telegram", "5", utcnow())
        await store.subscribe(asked)
        assert await store.queue_notice(asked, "specialist-cohort-12", "open", None)
        assert not await store.queue_notice(asked, "specialist-cohort-12", "open", None)
        assert [n.user_id for n in await store.notices()] == ["u5"]
    finally:
        await store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"applications_hub", "applications_user"} <= indexes
    db.close()
    # opening it again changes nothing
    again = await SqliteStore.open(path)
    try:
        assert len(await again.applications()) == 4
    finally:
        await again.close()


async def test_a_fresh_database_starts_at_the_current_version(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "new.sqlite3")
    await store.close()
    db = sqlite3.connect(tmp_path / "new.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


async def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this release"):
        await SqliteStore.open(path)
