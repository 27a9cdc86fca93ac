"""The assistant: one conversation core behind every channel.

A channel turns what a person sent into an :class:`Incoming` and shows the returned
:class:`~bot.replies.Reply` objects.  For each message the assistant loads the user's
session, works out the replies, and commits the new session (with the update id and
any submission) *before* returning, so nothing a user was told is ever lost on a crash.

This module is the one place a user's turns are serialised (:meth:`Assistant._turn`);
what a turn says is the responders' job (:mod:`bot.conversation`): commands
(:mod:`~bot.conversation.commands`), questions, hubs and forms.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping

from bot.conversation import texts
from bot.conversation.commands import Commands
from bot.conversation.forms import Forms
from bot.conversation.hubs import Hubs
from bot.conversation.notify_requests import NotifyRequests
from bot.conversation.questions import Questions
from bot.conversation.submission import Compose, confirmation
from bot.conversation.turn import Incoming, Turn
from bot.exceptions import SessionConflict, SubmissionRefused
from bot.flows.engine import FlowEngine
from bot.knowledge.base import Knowledge
from bot.knowledge.faq import Window
from bot.knowledge.text import strip_control
from bot.limits import SubmissionLimits
from bot.replies import Reply
from bot.session import Session
from bot.store.base import Store, SubmittedApplication

__all__ = ["Assistant", "Incoming"]

logger = logging.getLogger(__name__)

DEFAULT_LIMITS = SubmissionLimits()


class Assistant:
    def __init__(
        self,
        knowledge: Knowledge,
        store: Store,
        *,
        today: Callable[[], dt.date],
        compose: Compose | None = None,
        on_submitted: Callable[[SubmittedApplication], None] | None = None,
        limits: SubmissionLimits | None = DEFAULT_LIMITS,
        windows: Callable[[], Mapping[str, Window]] | None = None,
        mail_delivers: bool = True,
    ) -> None:
        self.knowledge = knowledge
        # False when email only becomes files for the operator (no SMTP_HOST): the
        # applicant is then never told their application is being emailed.
        self.mail_delivers = mail_delivers
        # The application windows as the knowledge base says now (a running service
        # re-reads them when knowledge/faq.yaml changes); /notify and forms both use them.
        self.windows = windows or (lambda: knowledge.faq.windows)
        self.store = store
        self.today = today
        self.compose = compose
        self.on_submitted = on_submitted
        self.limits = limits
        self.engine = FlowEngine(
            knowledge.flows,
            knowledge.finder,
            today,
            self._window_sentence,
            windows=self.windows,
            ask=lambda question: self.questions.sure_answer(question),
        )
        self.forms = Forms(knowledge, self.engine, today, compose, limits)
        self.hubs = Hubs(knowledge)
        self.notify_requests = NotifyRequests(knowledge, store, today, self.windows)
        self.commands = Commands(
            knowledge,
            self.engine,
            store,
            self.forms,
            self.hubs,
            self.notify_requests.command,
            mail_delivers=mail_delivers,
        )
        self.questions = Questions(
            knowledge, store, today, self.forms, self.hubs, self.commands.welcome
        )
        self._locks: dict[str, asyncio.Lock] = {}

    def _window_sentence(self, window_id: str) -> str | None:
        window = self.windows().get(window_id)
        return window.status_sentence(self.today()) if window else None

    def _lock(self, user_id: str) -> asyncio.Lock:
        lock = self._locks.get(user_id)
        if lock is None:
            if len(self._locks) > 10_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[user_id] = asyncio.Lock()
        return lock

    # -- entry points ----------------------------------------------------------------------

    async def greet(self, user_id: str, *, private: bool = True) -> list[Reply]:
        """What a person sees on opening the conversation (resuming a draft if there is one)."""
        async with self._lock(user_id):
            for attempt in (1, 2):
                session = await self.store.load_session(user_id) or Session()
                turn = Turn()
                state = session.current()
                if state is not None and self.forms.is_form(state.flow) and private:
                    name = self.knowledge.flows[state.flow].name
                    turn.say(texts.WELCOME_BACK.format(form=name))
                    self.forms.resume(session, turn, state.flow)
                else:
                    self.commands.welcome(session, turn, private)
                try:
                    await self.store.commit(user_id, session)
                except SessionConflict:
                    if attempt == 2:
                        raise
                    continue  # another process saved it meanwhile: greet from that
                break
            return turn.replies

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return (await self._turn(incoming)).replies

    async def press(self, incoming: Incoming) -> tuple[list[Reply], bool]:
        """A button press: the replies, and whether the button was current (False for a
        stale one, which changed nothing, and for an update already handled)."""
        turn = await self._turn(incoming)
        return turn.replies, not turn.stale

    async def handle_once(
        self, user_id: str, update_key: str, action: Callable[[], Awaitable[None]]
    ) -> bool:
        """Run a channel's own ``action`` for an update (a staff command that never reaches
        the conversation) unless that update was handled already, in the user's turn order;
        its key is remembered with the session.  False when it was a re-delivery."""
        async with self._lock(user_id):
            session = await self.store.load_session(user_id) or Session()
            if session.has_handled(update_key):
                logger.info("skipping an update that was already handled")
                return False
            await action()
            session.remember(update_key)
            await self.store.commit(user_id, session)
            return True

    async def _turn(self, incoming: Incoming) -> Turn:
        """One turn, serialised per user: the only place a user's session is loaded and
        committed, and where re-delivered updates and stale buttons are recognised."""
        async with self._lock(incoming.user_id):
            try:
                return await self._turn_once(incoming)
            except SessionConflict:
                # Another process (a second terminal on the same data) saved this user's
                # session after we read it: nothing of ours was written, so the turn runs
                # again on what is really stored - a draft is never overwritten by an older
                # copy, nor submitted twice.
                logger.info("the session changed in another process; reading it again")
                return await self._turn_once(incoming)

    async def _turn_once(self, incoming: Incoming) -> Turn:
        session = await self.store.load_session(incoming.user_id) or Session()
        turn = Turn()
        if incoming.update_key and session.has_handled(incoming.update_key):
            logger.info("skipping an update that was already handled")
            turn.stale = True
            return turn
        await self._respond(session, incoming, turn)
        if turn.forget:
            await self.store.forget(incoming.user_id)
        if incoming.update_key:
            session.remember(incoming.update_key)
        try:
            stored = await self.store.commit(incoming.user_id, session, submission=turn.submission)
        except SubmissionRefused as refused:
            # Nothing was stored: the saved draft still stands at its review.
            return Turn([Reply(texts.SUBMISSION_REFUSED.format(reason=refused))])
        if stored is not None:
            turn.say(confirmation(self.knowledge, stored, self.mail_delivers))
            if self.on_submitted is not None:
                self.on_submitted(stored)
            await self.notify_requests.from_form(incoming, stored, turn)
        return turn

    # -- dispatch --------------------------------------------------------------------------

    async def _respond(self, session: Session, incoming: Incoming, turn: Turn) -> None:
        state = session.current()
        if incoming.kind == "location" and incoming.location is not None:
            self.hubs.nearest(incoming.location, turn)
            self.forms.reask(session, turn)
            return
        if incoming.kind != "text":
            what = texts.NON_TEXT.get(incoming.kind, texts.NON_TEXT_OTHER)
            if state is not None and state.step is not None:
                turn.replies.append(
                    self.engine.question(
                        self.knowledge.flows[state.flow],
                        state,
                        note=texts.NON_TEXT_IN_FORM.format(what=what),
                    )
                )
            else:
                turn.say(texts.NON_TEXT_IDLE.format(what=what))
            return
        text = strip_control(incoming.text).strip()
        if text.startswith("/") and len(text) > 1 and not text[1].isspace():
            await self.commands.run(session, incoming, text, turn)
            return
        if not self._is_current(session, incoming):
            turn.stale = True
            if state is not None and state.step is not None:
                flow = self.knowledge.flows[state.flow]
                turn.replies.append(self.engine.question(flow, state, note=texts.STALE_BUTTON))
            else:
                turn.say(texts.STALE_BUTTON_IDLE)
            return
        if state is not None and state.step is not None:
            self.forms.answer(session, state, text, turn, private=incoming.private)
            return
        await self.questions.respond(session, incoming, text, turn)

    @staticmethod
    def _is_current(session: Session, incoming: Incoming) -> bool:
        """Whether a button still answers what is being asked (typed text always does)."""
        state = session.current()
        waiting = state is not None and state.step is not None
        if incoming.for_field is not None:
            return waiting and state is not None and state.step == incoming.for_field
        if incoming.button:
            return not waiting and incoming.text in {value for _, value in session.offered}
        return True

    def privacy_notice(self) -> str:
        """The notice ``/privacy`` shows; questions about the assistant itself are answered from it."""
        return self.forms.privacy_text()
