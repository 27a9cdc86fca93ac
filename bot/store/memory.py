"""An in-memory :class:`Store` for tests and benchmarks: same behaviour, no durability.

Its outbox and notices are in :mod:`bot.store.memory_mail`; tests/test_store_contract.py
holds it and the SQLite store to one contract."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator

from bot.clock import SYSTEM_CLOCK, Clock
from bot.session import Session
from bot.store._mailpack import COMPACTED_TAIL, compact
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
    Notice,
    OutboxEntry,
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
from bot.store.memory_mail import MemoryNotify


def _sequence(reference: str) -> int:
    return int(reference.rpartition("-")[2])


class MemoryStore(MemoryNotify, Store):
    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.sessions: dict[str, tuple[str, dt.datetime]] = {}
        self.applications_: list[SubmittedApplication] = []
        self.mail: list[OutboxEntry] = []
        self.questions: list[UnansweredQuestion] = []
        self.transcripts: dict[str, list[tuple[TranscriptEntry, dt.datetime]]] = {}
        self._seq = 0
        # Per user: (digest of the answers, when they last changed): the draft clock.
        self._answered: dict[str, tuple[str, dt.datetime]] = {}
        self._askers: dict[int, str | None] = {}
        self.subscriptions_: dict[str, Subscription] = {}
        self.notices_: list[Notice] = []
        # The last reference number handed out per PREFIX-YEAR (SQLite keeps it in a file).
        self._last_reference: dict[str, int] = {}

    async def load_session(self, user_id: str) -> Session | None:
        stored = self.sessions.get(user_id)
        return Session.from_json(stored[0]) if stored else None

    async def commit(
        self,
        user_id: str,
        session: Session,
        *,
        submission: Submission | None = None,
    ) -> SubmittedApplication | None:
        now = self._now()
        stored = None
        new_mail: OutboxEntry | None = None
        if submission is not None:
            if submission.admit is not None:
                recent = [a for a in self.applications_ if a.submitted_at >= now - RECENT_WINDOW]
                submission.admit(user_id, dict(submission.answers), recent, now)
            # As SQLite's store: one past the highest number this form has in the year, or
            # past the last one ever handed out, so a purge never makes one come round again.
            series = f"{submission.reference_prefix}-{now.year}"
            numbers = [
                _sequence(a.reference)
                for a in self.applications_
                if a.submitted_at.year == now.year and a.form == submission.form
            ]
            sequence = 1 + max([self._last_reference.get(series, 0), *numbers])
            stored = SubmittedApplication(
                make_reference(submission.reference_prefix, now.year, sequence),
                user_id,
                submission.hub_id,
                now,
                dict(submission.answers),
                form=submission.form,
            )
            mail = submission.compose(stored)  # may raise: nothing is written then
            if mail is not None:
                new_mail = self._entry(len(self.mail) + 1, stored.reference, mail, now)
                stored = dataclasses.replace(stored, delivery=new_mail.status)
        self.sessions[user_id] = (session.to_json(), now)
        digest = answers_digest(session)
        if self._answered.get(user_id, ("", now))[0] != digest:
            self._answered[user_id] = (digest, now)
        if stored is not None:
            self.applications_.append(stored)
            self._last_reference[series] = _sequence(stored.reference)
        if new_mail is not None:
            self.mail.append(new_mail)
        return stored

    async def forget(self, user_id: str) -> None:
        self.sessions.pop(user_id, None)
        self.transcripts.pop(user_id, None)
        self.questions = [q for q in self.questions if self._askers.get(id(q)) != user_id]
        self.subscriptions_.pop(user_id, None)
        self.notices_ = [n for n in self.notices_ if n.user_id != user_id]

    async def append_transcript(self, user_id: str, entries: list[tuple[str, str]]) -> int:
        now = self._now()
        kept = self.transcripts.setdefault(user_id, [])
        for role, body in entries:
            self._seq += 1
            kept.append((TranscriptEntry(self._seq, role, body), now))
        return self._seq if entries else 0

    async def transcript(
        self, user_id: str, *, after: int = 0, limit: int = 500
    ) -> list[TranscriptEntry]:
        entries = [e for e, _ in self.transcripts.get(user_id, []) if e.seq > after]
        return entries[-limit:] if limit > 0 else []

    async def applications(
        self,
        *,
        user_id: str | None = None,
        hub_id: str | None = None,
        since: dt.date | None = None,
        form: str | None = None,
    ) -> list[SubmittedApplication]:
        mail = {m.reference: m for m in self.mail}
        ordered = sorted(self.applications_, key=lambda a: (a.submitted_at, _sequence(a.reference)))
        return [
            dataclasses.replace(
                a,
                delivery=mail[a.reference].status if a.reference in mail else None,
                delivery_results=mail[a.reference].results if a.reference in mail else (),
                delivery_error=mail[a.reference].last_error if a.reference in mail else None,
            )
            for a in ordered
            if (user_id is None or a.user_id == user_id)
            and (hub_id is None or a.hub_id == hub_id)
            and (since is None or a.submitted_at.date() >= since)
            and (form is None or a.form == form)
        ]

    async def export_applications(
        self,
        build: Callable[[Iterator[SubmittedApplication]], T],
        *,
        hub_id: str | None = None,
        form: str | None = None,
    ) -> T:
        return build(iter(await self.applications(hub_id=hub_id, form=form)))

    async def record_unanswered(
        self, question: str, score: int, *, user_id: str | None = None, hub_id: str | None = None
    ) -> None:
        asked = UnansweredQuestion(question[:500], score, self._now(), hub_id)
        self.questions.append(asked)
        self._askers[id(asked)] = user_id
        if user_id is not None:
            theirs = [q for q in self.questions if self._askers.get(id(q)) == user_id]
            for old in theirs[:-UNANSWERED_PER_USER]:
                self.questions.remove(old)
                del self._askers[id(old)]

    async def unanswered(
        self, limit: int = 50, *, hub_id: str | None = None
    ) -> list[UnansweredQuestion]:
        rows = [q for q in self.questions if hub_id is None or q.hub_id == hub_id]
        return list(reversed(rows))[:limit]

    async def purge(self, now: dt.datetime) -> int:
        # The same rows as SqliteStore.purge, counted the same way.
        before = self._rows()
        self._purge_drafts(now)
        self._purge_applications(now)
        self._purge_the_rest(now)
        self._compact_sent(now)
        return before - self._rows()

    def _purge_drafts(self, now: dt.datetime) -> None:
        """Drafts and conversations untouched for DRAFT_RETENTION."""
        self.sessions = {
            k: v
            for k, v in self.sessions.items()
            if self._answered.get(k, (None, v[1]))[1] >= now - DRAFT_RETENTION
        }
        self.transcripts = {
            user: kept
            for user, entries in self.transcripts.items()
            if (kept := [(e, at) for e, at in entries if at >= now - DRAFT_RETENTION])
        }

    def _purge_applications(self, now: dt.datetime) -> None:
        """Applications past APPLICATION_RETENTION, with their emails."""
        cutoff = now - APPLICATION_RETENTION
        old = {a.reference for a in self.applications_ if a.submitted_at < cutoff}
        self.mail = [m for m in self.mail if m.reference not in old and m.created_at >= cutoff]
        self.applications_ = [a for a in self.applications_ if a.reference not in old]

    def _purge_the_rest(self, now: dt.datetime) -> None:
        """Unanswered questions, requests to be told and their notices, each by its limit."""
        self.questions = [q for q in self.questions if q.asked_at >= now - UNANSWERED_RETENTION]
        self.subscriptions_ = {
            user: sub
            for user, sub in self.subscriptions_.items()
            if sub.created_at >= now - SUBSCRIPTION_RETENTION
        }
        self.notices_ = [n for n in self.notices_ if n.created_at >= now - NOTICE_RETENTION]

    def _compact_sent(self, now: dt.datetime) -> None:
        """Sent emails' bodies cut to their headers after SENT_BODY_RETENTION."""
        cutoff = now - SENT_BODY_RETENTION
        self.mail = [
            dataclasses.replace(m, data=compact(m.data, SENT_BODY_RETENTION.days))
            if _sent_before(m, cutoff) and not m.data.endswith(COMPACTED_TAIL)
            else m
            for m in self.mail
        ]

    def _rows(self) -> int:
        transcript = sum(len(entries) for entries in self.transcripts.values())
        notify = len(self.subscriptions_) + len(self.notices_)
        return (
            (len(self.sessions) + len(self.applications_) + len(self.mail) + len(self.questions))
            + transcript
            + notify
        )

    async def stats(self, *, hub_id: str | None = None) -> dict[str, int]:
        apps = [a for a in self.applications_ if hub_id is None or a.hub_id == hub_id]
        out = self._user_stats() if hub_id is None else {}
        out["applications"] = len(apps)
        for form in sorted({a.form for a in apps}):
            out[f"applications_{form}"] = sum(1 for a in apps if a.form == form)
        if hub_id is None:
            out.update(self._draft_stats())
        out["unanswered"] = len(await self.unanswered(len(self.questions), hub_id=hub_id))
        out.update(self._mail_stats({a.reference for a in apps} if hub_id is not None else None))
        return out

    def _user_stats(self) -> dict[str, int]:
        sessions = [Session.from_json(s) for s, _ in self.sessions.values()]
        return {"users": len(sessions), "drafts": sum(1 for s in sessions if s.flows)}

    def _draft_stats(self) -> dict[str, int]:
        drafts: dict[str, int] = {}
        for state, _ in self.sessions.values():
            for flow_id in Session.from_json(state).flows:
                drafts[flow_id] = drafts.get(flow_id, 0) + 1
        return {f"drafts_{flow_id}": drafts[flow_id] for flow_id in sorted(drafts)}

    def _mail_stats(self, references: set[str | None] | None) -> dict[str, int]:
        """Emails by status; ``references``: only those of these applications."""
        mail = [m for m in self.mail if references is None or m.reference in references]
        return {
            f"mail_{status}": sum(1 for m in mail if m.status == status)
            for status in (PENDING, SENT, HELD, FAILED)
        }

    async def close(self) -> None:
        return None


def _sent_before(mail: OutboxEntry, cutoff: dt.datetime) -> bool:
    return mail.status == SENT and mail.sent_at is not None and mail.sent_at < cutoff
