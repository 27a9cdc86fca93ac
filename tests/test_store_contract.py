"""One contract, two stores: every port of the store (sessions, applications, outbox,
unanswered questions, requests to be told) kept the same way by the SQLite adapter and by
the in-memory fake the other tests use.

Each test runs against both.  A fake that drifts from the real store makes every test
built on it prove less; this suite is where the drift shows (the fake once purged less
than SQLite, numbered references again after a purge, kept every unanswered question of
a flooding user and counted only applications' mail in its statistics).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.exceptions import SubmissionRefused
from bot.session import FlowState, Session
from bot.store.base import (
    ACCEPTED,
    APPLICATION_RETENTION,
    DEFERRED,
    FAILED,
    HELD,
    PENDING,
    SENT,
    OutgoingMail,
    RecipientResult,
    Store,
    Submission,
    SubmittedApplication,
    Subscription,
)
from bot.store.memory import MemoryStore
from bot.store.sqlite import SqliteStore

START = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
YEAR = START.year


@dataclass
class ManualClock:
    """A clock the test moves by hand (both stores date their rows by it)."""

    at: dt.datetime = START

    def today(self) -> dt.date:
        return self.at.date()

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> dt.datetime:
        self.at += dt.timedelta(**delta)
        return self.at


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["sqlite", "memory"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore(clock)
        return
    db = await SqliteStore.open(tmp_path / "contract.sqlite3", clock)
    yield db
    await db.close()


def _draft(step: str = "school_urn", **answers: str) -> Session:
    return Session(active="eoi", flows={"eoi": FlowState("eoi", step, dict(answers))})


def _mail(app: SubmittedApplication) -> OutgoingMail:
    return OutgoingMail(
        f"<{app.reference}@test>",
        "assistant@example.org",
        ("hub@example.org", "head@school.example"),
        f"Subject: {app.reference}\r\n\r\nbody of {app.reference}\r\n".encode() * 20,
    )


def _held(app: SubmittedApplication) -> OutgoingMail:
    return OutgoingMail(
        f"<{app.reference}@held>", "assistant@example.org", (), b"held", held_reason="no address"
    )


def _submission(hub: str = "enigma", form: str = "eoi", compose: object = _mail) -> Submission:
    prefix = {"eoi": "EOI", "specialist": "SMP"}.get(form, "APP")
    return Submission(
        hub,
        {"school_name": f"A school for {hub}"},
        compose,  # type: ignore[arg-type]
        form=form,
        reference_prefix=prefix,
    )


async def _submit(store: Store, user: str, **kwargs: object) -> SubmittedApplication:
    stored = await store.commit(user, Session(), submission=_submission(**kwargs))  # type: ignore[arg-type]
    assert stored is not None
    return stored


def _subscription(user: str, at: dt.datetime, channel: str = "email") -> Subscription:
    address = f"{user}@school.example" if channel == "email" else "42"
    return Subscription(user, "eoi", channel, address, at)


def _notice_mail(user: str) -> OutgoingMail:
    return OutgoingMail(f"<notice-{user}@test>", "assistant@example.org", (f"{user}@x",), b"open")


# -- sessions and transcripts ----------------------------------------------------------------


async def test_a_committed_session_is_loaded_back(store: Store) -> None:
    assert await store.load_session("nobody") is None
    session = _draft(school_name="Example Academy")
    session.remember("telegram:7")
    assert await store.commit("u", session) is None
    loaded = await store.load_session("u")
    assert loaded == session and loaded is not None and loaded.has_handled("telegram:7")
    await store.commit("u", Session())
    assert await store.load_session("u") == Session()


async def test_a_transcript_keeps_the_newest_entries_in_order(store: Store) -> None:
    assert await store.append_transcript("u", []) == 0
    first = await store.append_transcript("u", [("user", "a"), ("assistant", "b")])
    await store.append_transcript("other", [("user", "elsewhere")])
    last = await store.append_transcript("u", [("user", "c")])
    entries = await store.transcript("u")
    assert [(e.role, e.body) for e in entries] == [("user", "a"), ("assistant", "b"), ("user", "c")]
    assert entries[1].seq == first and entries[-1].seq == last and last > first
    assert [e.body for e in await store.transcript("u", after=first)] == ["c"]
    assert [e.body for e in await store.transcript("u", limit=2)] == ["b", "c"]


async def test_forget_removes_everything_of_the_person_but_their_applications(
    store: Store, clock: ManualClock
) -> None:
    await store.commit("u", _draft())
    await store.append_transcript("u", [("user", "hi")])
    await store.record_unanswered("pizza?", 3, user_id="u")
    await store.record_unanswered("someone else's", 3, user_id="v")
    await store.subscribe(_subscription("u", clock.now()))
    await store.queue_notice(_subscription("u", clock.now()), "w1", "open", None)
    app = await _submit(store, "u")
    await store.forget("u")
    assert await store.load_session("u") is None
    assert await store.transcript("u") == []
    assert [q.question for q in await store.unanswered()] == ["someone else's"]
    assert await store.subscriptions() == [] and await store.notices() == []
    assert [a.reference for a in await store.applications(user_id="u")] == [app.reference]


# -- applications ------------------------------------------------------------------------------


async def test_references_are_numbered_per_form_and_year(store: Store, clock: ManualClock) -> None:
    refs = [(await _submit(store, user, form=form)).reference for user, form in
            (("a", "eoi"), ("b", "specialist"), ("c", "eoi"))]  # fmt: skip
    assert refs == [f"EOI-{YEAR}-0001", f"SMP-{YEAR}-0001", f"EOI-{YEAR}-0002"]
    clock.at = dt.datetime(YEAR + 1, 1, 2, 9, 0, tzinfo=dt.UTC)
    assert (await _submit(store, "d")).reference == f"EOI-{YEAR + 1}-0001"


async def test_a_reference_is_never_handed_out_twice_even_after_a_purge(
    store: Store, clock: ManualClock
) -> None:
    """A hub has seen EOI-YEAR-0001 and 0002; once they are purged, the next is 0003."""
    await _submit(store, "a")
    await _submit(store, "b")
    assert await store.purge(clock.now() + APPLICATION_RETENTION + dt.timedelta(days=1)) >= 4
    assert await store.applications() == []
    assert (await _submit(store, "c")).reference == f"EOI-{YEAR}-0003"


async def test_applications_are_filtered_and_carry_their_mail_status(
    store: Store, clock: ManualClock
) -> None:
    first = await _submit(store, "a", hub="enigma")
    clock.advance(days=2)
    second = await _submit(store, "b", hub="salop", compose=_held)
    clock.advance(seconds=1)
    third = await _submit(store, "a", hub="enigma", form="specialist")
    assert first.delivery == PENDING and second.delivery == HELD
    assert first.form == "eoi" and third.form == "specialist"
    everything = await store.applications()
    assert [a.reference for a in everything] == [first.reference, second.reference, third.reference]
    assert everything[0].answers == {"school_name": "A school for enigma"}
    assert [a.reference for a in await store.applications(user_id="a")] == [
        first.reference,
        third.reference,
    ]
    assert [a.reference for a in await store.applications(hub_id="salop")] == [second.reference]
    assert [a.reference for a in await store.applications(form="specialist")] == [third.reference]
    since = await store.applications(since=clock.today())
    assert [a.reference for a in since] == [second.reference, third.reference]
    assert [a.delivery for a in everything] == [PENDING, HELD, PENDING]
    assert [a.delivery_error for a in everything] == [None, "no address", None]


async def test_an_export_builds_over_what_applications_returns(store: Store) -> None:
    for user, hub in (("a", "enigma"), ("b", "salop"), ("c", "enigma")):
        await _submit(store, user, hub=hub)

    def build(apps: Iterator[SubmittedApplication]) -> list[str]:
        return [a.reference for a in apps]

    expected = [a.reference for a in await store.applications(hub_id="enigma")]
    assert await store.export_applications(build, hub_id="enigma") == expected
    assert await store.export_applications(build, form="specialist") == []
    assert len(await store.export_applications(build)) == 3


async def test_admission_sees_the_last_day_and_a_refusal_stores_nothing(
    store: Store, clock: ManualClock
) -> None:
    await _submit(store, "old")
    clock.advance(hours=25)
    await _submit(store, "recent")
    seen: list[list[str]] = []

    def admit(
        user: str, answers: dict[str, str], recent: list[SubmittedApplication], now: dt.datetime
    ) -> None:
        seen.append([a.user_id for a in recent])
        raise SubmissionRefused("too many today")

    refused = Submission("enigma", {}, _mail, admit=admit, form="eoi", reference_prefix="EOI")
    with pytest.raises(SubmissionRefused):
        await store.commit("u", _draft("review"), submission=refused)
    assert seen == [["recent"]]
    assert len(await store.applications()) == 2 and len(await store.outbox()) == 2
    assert await store.load_session("u") is None


async def test_a_composer_that_fails_stores_nothing(store: Store) -> None:
    await store.commit("u", _draft("school_urn"))

    def broken(app: SubmittedApplication) -> OutgoingMail:
        raise RuntimeError("composer failed")

    with pytest.raises(RuntimeError):
        await store.commit("u", _draft("review"), submission=_submission(compose=broken))
    assert await store.applications() == [] and await store.outbox() == []
    loaded = await store.load_session("u")
    assert loaded is not None and loaded.flows["eoi"].step == "school_urn"


# -- the outbox --------------------------------------------------------------------------------


async def test_a_submission_queues_its_email_byte_for_byte(
    store: Store, clock: ManualClock
) -> None:
    app = await _submit(store, "a")
    [entry] = await store.outbox()
    assert entry.reference == app.reference and entry.status == PENDING
    assert entry.data == _mail(app).data and entry.message_id == f"<{app.reference}@test>"
    assert entry.recipients == ("hub@example.org", "head@school.example")
    assert entry.attempts == 0 and entry.created_at == clock.now()
    [listed] = await store.outbox(bodies=False)
    assert listed.data == b"" and listed.id == entry.id
    assert await store.pending_mail() == (1, clock.now())


async def test_due_mail_pages_by_id_and_skips_what_is_not_due(
    store: Store, clock: ManualClock
) -> None:
    apps = [await _submit(store, f"u{n}") for n in range(5)]
    await _submit(store, "held", compose=_held)
    due = await store.due_mail(clock.now(), limit=2)
    assert [e.reference for e in due] == [apps[0].reference, apps[1].reference]
    rest = await store.due_mail(clock.now(), limit=10, after_id=due[-1].id)
    assert [e.reference for e in rest] == [a.reference for a in apps[2:]]
    later = clock.now() + dt.timedelta(minutes=5)
    await store.mark_attempt_failed(due[0].id, "451 greylisted", later)
    assert apps[0].reference not in [e.reference for e in await store.due_mail(clock.now())]
    assert apps[0].reference in [e.reference for e in await store.due_mail(later)]
    assert (await store.pending_mail())[0] == 5


async def test_a_message_is_sent_retried_or_given_up(store: Store, clock: ManualClock) -> None:
    sent_app, retried_app, failed_app = [await _submit(store, u) for u in ("a", "b", "c")]
    by_ref = {e.reference: e for e in await store.outbox()}
    results = (RecipientResult("hub@example.org", ACCEPTED, "250 ok"),)
    await store.mark_sent(by_ref[sent_app.reference].id, clock.now(), results)
    deferred = (RecipientResult("hub@example.org", DEFERRED, "451 later"),)
    retry_at = clock.now() + dt.timedelta(minutes=1)
    await store.mark_attempt_failed(by_ref[retried_app.reference].id, "451", retry_at, deferred)
    await store.mark_attempt_failed(by_ref[failed_app.reference].id, "550 no such user", None)
    # A message already sent is not failed by a late report.
    await store.mark_attempt_failed(by_ref[sent_app.reference].id, "late", None)
    after = {e.reference: e for e in await store.outbox()}
    sent, retried, failed = (after[a.reference] for a in (sent_app, retried_app, failed_app))
    assert (sent.status, sent.attempts, sent.sent_at, sent.results) == (
        SENT,
        1,
        clock.now(),
        results,
    )
    assert sent.last_error is None and sent.next_attempt_at is None
    assert (retried.status, retried.attempts, retried.next_attempt_at) == (PENDING, 1, retry_at)
    assert retried.results == deferred and retried.last_error == "451"
    assert (failed.status, failed.attempts, failed.last_error) == (FAILED, 1, "550 no such user")
    assert [e.status for e in await store.outbox(statuses=(FAILED,))] == [FAILED]
    apps = {a.reference: a for a in await store.applications()}
    assert apps[sent_app.reference].delivery == SENT
    assert apps[sent_app.reference].delivery_results == results
    assert apps[failed_app.reference].delivery_error == "550 no such user"


async def test_a_held_message_is_replaced_by_its_recomposed_email(
    store: Store, clock: ManualClock
) -> None:
    held_app = await _submit(store, "a", compose=_held)
    sent_app = await _submit(store, "b")
    entries = {e.reference: e for e in await store.outbox()}
    await store.mark_sent(entries[sent_app.reference].id, clock.now())
    recomposed = _mail(held_app)
    await store.replace_mail(entries[held_app.reference].id, recomposed)
    await store.replace_mail(entries[sent_app.reference].id, _mail(held_app))  # sent: untouched
    after = {e.reference: e for e in await store.outbox()}
    assert after[held_app.reference].status == PENDING
    assert after[held_app.reference].data == recomposed.data
    assert after[held_app.reference].last_error is None
    assert after[sent_app.reference].data == _mail(sent_app).data
    assert [e.reference for e in await store.due_mail(clock.now())] == [held_app.reference]


# -- unanswered questions ------------------------------------------------------------------------


async def test_unanswered_questions_newest_first_per_hub_and_capped_per_person(
    store: Store,
) -> None:
    await store.record_unanswered("about leeds", 10, hub_id="leeds")
    await store.record_unanswered("x" * 600, 5)
    for n in range(25):
        await store.record_unanswered(f"flood {n}", 1, user_id="flooder")
    questions = await store.unanswered(100)
    flood = [q.question for q in questions if q.question.startswith("flood")]
    assert flood == [f"flood {n}" for n in range(24, 4, -1)]  # the 20 newest of one person
    assert questions[-1].question == "about leeds" and len(questions[-2].question) == 500
    assert [q.question for q in await store.unanswered(hub_id="leeds")] == ["about leeds"]
    assert len(await store.unanswered(3)) == 3


# -- requests to be told when applications open ---------------------------------------------------


async def test_a_request_is_replaced_withdrawn_and_listed_oldest_first(
    store: Store, clock: ManualClock
) -> None:
    await store.subscribe(_subscription("b", clock.now()))
    await store.subscribe(_subscription("a", clock.advance(minutes=1), channel="telegram"))
    await store.subscribe(_subscription("b", clock.advance(minutes=1)))
    assert [s.user_id for s in await store.subscriptions()] == ["a", "b"]
    [mine] = await store.subscriptions(user_id="a")
    assert mine.channel == "telegram" and mine.created_at == START + dt.timedelta(minutes=1)
    assert await store.unsubscribe("a") is True and await store.unsubscribe("a") is False
    assert [s.user_id for s in await store.subscriptions()] == ["b"]


async def test_a_notice_goes_once_per_window_and_person(store: Store, clock: ManualClock) -> None:
    by_mail, by_telegram = (
        _subscription("a", clock.now()),
        _subscription("b", clock.now(), "telegram"),
    )
    await store.subscribe(by_mail)
    await store.subscribe(by_telegram)
    assert await store.queue_notice(by_mail, "w1", "open!", _notice_mail("a")) is True
    assert await store.queue_notice(by_mail, "w1", "open!", _notice_mail("a")) is False
    assert await store.queue_notice(by_telegram, "w1", "open!", None) is True
    assert await store.subscriptions() == []  # fulfilled
    [mail] = await store.outbox()
    assert mail.reference is None and mail.message_id == "<notice-a@test>"
    notices = await store.notices()
    assert [(n.user_id, n.status, n.channel) for n in notices] == [
        ("a", "queued", "email"),
        ("b", "pending", "telegram"),
    ]
    [telegram] = await store.notices(statuses=("pending",), channel="telegram")
    await store.mark_notice(telegram.id, "sending")
    await store.mark_notice(telegram.id, "sent", clock.now())
    [told] = await store.notices(channel="telegram")
    assert (told.status, told.sent_at, told.error) == ("sent", clock.now(), None)
    # A request made again after the notice was queued is kept for the next window.
    again = _subscription("b", clock.advance(minutes=1), "telegram")
    await store.subscribe(again)
    assert await store.queue_notice(by_telegram, "w1", "open!", None) is False
    assert await store.subscriptions() == [again]


# -- retention and statistics ----------------------------------------------------------------------


async def test_purge_deletes_exactly_what_the_privacy_notice_says(
    store: Store, clock: ManualClock
) -> None:
    now = clock.now()
    await store.commit("draft", _draft())
    await store.append_transcript("draft", [("user", "hi"), ("assistant", "hello")])
    sent = await _submit(store, "a")
    await _submit(store, "b")
    await _submit(store, "c", compose=_held)
    await store.queue_notice(_subscription("n", now), "w1", "open", _notice_mail("n"))
    await store.subscribe(_subscription("s", now))
    entry = next(e for e in await store.outbox() if e.reference == sent.reference)
    await store.mark_sent(entry.id, now)
    await store.record_unanswered("pizza in Leeds?", 3)

    assert await store.purge(now + dt.timedelta(days=29)) == 0
    assert await store.load_session("draft") is not None
    # After 30 days: the unanswered question and the notice's record; a sent email keeps
    # only its headers (its row stays).
    assert await store.purge(now + dt.timedelta(days=31)) == 2
    assert await store.unanswered() == [] and await store.notices() == []
    kept = next(e for e in await store.outbox() if e.reference == sent.reference)
    assert kept.data.startswith(b"Subject: ") and b"body of EOI" not in kept.data
    assert b"was removed 30 days after" in kept.data
    assert await store.purge(now + dt.timedelta(days=89)) == 0
    # After 90 days the draft, its transcript and the submitters' sessions.
    assert await store.purge(now + dt.timedelta(days=91)) == 4 + 2
    assert await store.load_session("draft") is None and await store.transcript("draft") == []
    assert len(await store.applications()) == 3
    # After a year every application goes with its email, whatever the email's state, and
    # so do the notice's email and the request never fulfilled.
    assert await store.purge(now + dt.timedelta(days=366)) == 3 + 3 + 1 + 1
    assert await store.applications() == [] and await store.outbox() == []
    assert await store.subscriptions() == []
    assert await store.purge(now + dt.timedelta(days=800)) == 0


async def test_statistics_count_the_same_things(store: Store, clock: ManualClock) -> None:
    await store.commit("u", _draft())
    other = Session(active="specialist", flows={"specialist": FlowState("specialist", "qts")})
    await store.commit("v", other)
    await _submit(store, "w", hub="enigma")
    await _submit(store, "x", hub="salop", compose=_held)
    await _submit(store, "y", hub="enigma", form="specialist")
    await store.record_unanswered("q", 1, hub_id="enigma")
    await store.record_unanswered("r", 1)
    await store.queue_notice(_subscription("n", clock.now()), "w1", "open", _notice_mail("n"))
    assert await store.stats() == {
        "users": 5,
        "drafts": 2,
        "applications": 3,
        "unanswered": 2,
        "applications_eoi": 2,
        "applications_specialist": 1,
        "drafts_eoi": 1,
        "drafts_specialist": 1,
        "mail_pending": 3,  # the notice's email too
        "mail_sent": 0,
        "mail_held": 1,
        "mail_failed": 0,
    }
    assert await store.stats(hub_id="enigma") == {
        "applications": 2,
        "unanswered": 1,
        "applications_eoi": 1,
        "applications_specialist": 1,
        "mail_pending": 2,
        "mail_sent": 0,
        "mail_held": 0,
        "mail_failed": 0,
    }


async def test_a_message_handed_to_the_operator_is_kept_as_held(
    store: Store, clock: ManualClock
) -> None:
    """An .eml file reached nobody: the message stays held with the file's path."""
    app = await _submit(store, "a")
    [entry] = await store.outbox()
    await store.mark_sent(entry.id, clock.now(), held="written to /var/mail/x.eml")
    [kept] = await store.outbox()
    assert (kept.status, kept.attempts, kept.last_error) == (
        HELD,
        1,
        "written to /var/mail/x.eml",
    )
    assert await store.due_mail(clock.now()) == []
    [listed] = await store.applications()
    assert listed.reference == app.reference and listed.delivery == HELD
