"""The form is not a mail relay: the 20-submission attack against the real assistant,
SQLite store and composer, counting the addresses the outbox would email."""

from __future__ import annotations

from pathlib import Path

from bot.assistant import Assistant, Incoming
from bot.knowledge.base import Knowledge
from bot.mail.compose import Composer
from bot.store.sqlite import SqliteStore
from tests._smtp import ANSWERS, TODAY


async def attempt(assistant: Assistant, user: str, **overrides: str) -> str:
    """Fill in the EoI and press submit; the text of the last replies."""
    answers = dict(ANSWERS) | overrides
    replies = await assistant.handle(Incoming(user, "/apply eoi"))
    for _ in range(len(answers) + 2):
        field_id = next((r.field for r in reversed(replies) if r.field), None)
        if field_id == "review":
            replies = await assistant.handle(Incoming(user, "submit"))
            break
        assert field_id in answers, (field_id, [r.text for r in replies])
        replies = await assistant.handle(Incoming(user, answers[field_id]))
    return "\n".join(r.text for r in replies)


def strangers(n: int) -> dict[str, str]:
    return {
        f"{role}_email": f"victim{n}.{role}@example{n}.org"
        for role in ("head", "hod", "teacher1", "teacher2")
    }


def make_assistant(knowledge: Knowledge, store: SqliteStore) -> Assistant:
    composer = Composer(knowledge, mail_from="a@assistant.example.org", hold_placeholders=False)
    return Assistant(knowledge, store, today=lambda: TODAY, compose=composer)


async def emailed(store: SqliteStore) -> set[str]:
    return {r for entry in await store.outbox() for r in entry.recipients}


async def test_one_person_submitting_twenty_times_reaches_eight_strangers(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        assistant = make_assistant(knowledge, store)
        texts = [
            await attempt(assistant, "attacker", school_urn=f"{100000 + n}", **strangers(n))
            for n in range(20)
        ]
        assert sum("Reference: EOI-" in t for t in texts) == 2
        assert "would email 12 different people" in texts[2]
        assert "Your answers are kept" in texts[2]
        addresses = await emailed(store)
        assert len(addresses - {"enigma@hubs.example"}) == 8
        assert len(await store.applications()) == 2
        # The refused draft is still there, at its review.
        status = await assistant.handle(Incoming("attacker", "/status"))
        assert "Draft in progress" in status[0].text
    finally:
        await store.close()


async def test_a_genuine_school_can_correct_and_resubmit(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        assistant = make_assistant(knowledge, store)
        first = await attempt(assistant, "school")
        second = await attempt(assistant, "school", school_phone="0113 496 0001")
        assert "Reference: EOI-2026-0001" in first and "Reference: EOI-2026-0002" in second
        third = await attempt(assistant, "school", school_phone="0113 496 0002")
        assert "Reference: EOI-2026-0003" in third
        fourth = await attempt(assistant, "school")
        assert "already submitted 3 applications in the last 24 hours" in fourth
    finally:
        await store.close()


async def test_many_identities_are_capped_per_school_and_per_hour(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    store = await SqliteStore.open(tmp_path / "db.sqlite3")
    try:
        assistant = make_assistant(knowledge, store)
        same_school = [await attempt(assistant, f"sock{n}", **strangers(n)) for n in range(4)]
        assert [("Reference: EOI-" in t) for t in same_school] == [True, True, True, False]
        assert "school with URN 123456" in same_school[3]
        others = [
            await attempt(assistant, f"bot{n}", school_urn=f"{200000 + n}", **strangers(100 + n))
            for n in range(20)
        ]
        accepted = sum("Reference: EOI-" in t for t in others)
        assert accepted == 17  # 20 an hour for everyone together, 3 already used
        assert "pausing submissions" in others[-1]
        assert len(await store.applications()) == 20
    finally:
        await store.close()


def test_the_subject_carries_only_a_capped_school_name(knowledge: Knowledge) -> None:
    import datetime as dt

    from bot.store.base import SubmittedApplication

    composer = Composer(knowledge, mail_from="a@assistant.example.org", hold_placeholders=False)
    app = SubmittedApplication(
        "EOI-2026-0001",
        "u",
        "enigma",
        dt.datetime(2026, 11, 23, tzinfo=dt.UTC),
        dict(ANSWERS) | {"school_name": "WIN A PRIZE " * 20},
        form="eoi",
    )
    subject = composer.subject(app)
    school = subject.split(": ", 1)[1].rsplit(" (", 1)[0]
    assert len(school) <= 60 and subject.endswith("(EOI-2026-0001)")
