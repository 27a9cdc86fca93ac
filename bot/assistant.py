"""The assistant: one conversation engine behind every channel.

A channel turns what a person sent into an :class:`Incoming` and shows the returned
:class:`~bot.replies.Reply` objects.  For each message the assistant loads the user's
session, works out the replies, and commits the new session (with the update id and
any submission) *before* returning, so nothing a user was told is ever lost on a crash.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from bot.answers import answer_question, entry_text
from bot.exceptions import SessionConflict, StoreError, SubmissionRefused
from bot.flows.engine import FlowEngine, Outcome, match_option
from bot.flows.model import Flow
from bot.flows.validators import MAX_ANSWER_CHARS, academic_year, validate_email_address
from bot.knowledge.base import Knowledge
from bot.knowledge.faq import FaqEntry, Window
from bot.knowledge.hub_text import (
    ANY_HUB,
    PLACE_CHOICE,
    describe_hub,
    describe_search,
    search_options,
)
from bot.knowledge.hubs import HubSearch
from bot.knowledge.text import fold, strip_control
from bot.limits import SubmissionLimits
from bot.notify import TELEGRAM, DayClock, notify_command, requested_in_form
from bot.replies import Option, Reply
from bot.session import FlowState, Session
from bot.store.base import OutgoingMail, Store, Submission, SubmittedApplication

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
DEFAULT_LIMITS = SubmissionLimits()
COMMANDS = (
    ("start", "the welcome and menu"),
    ("help", "what I can do, or help with the current question"),
    ("eligibility", "check the Specialist programme's essential criteria"),
    ("hub", "find your Maths Hub (also /hub PLACE)"),
    ("apply", "fill in an application form (also /apply FORM)"),
    ("resume", "continue your application (also /resume FORM)"),
    ("status", "see whether your application has been delivered"),
    ("cancel", "stop the current form (your answers are kept)"),
    ("notify", "be told once when applications open (/notify off stops it)"),
    ("privacy", "how your information is used"),
    ("forget", "delete your draft and conversation data"),
)
FORM_COMMANDS = (
    ("back", "go to the previous question"),
    ("skip", "leave an optional question blank"),
)
DELIVERY_WORDS = {
    "pending": "being sent to the hub (I'll keep trying if its mail server is busy)",
    "sent": "delivered to the hub's mail server",
    "held": (
        "saved, and not yet sent to the hub: it will reach the hub once this service's "
        "operator sends it"
    ),
    "failed": "not delivered: please email your hub directly",
    None: "saved",
}
HELD_CONFIRMATION = (
    "Thank you: your application has been saved.\nReference: {reference}\n\n"
    "It has not been emailed yet: it will reach {hub_name} once this service's operator "
    "sends it. /status shows when it has gone."
)
UNCONFIRMED_WORDS = (
    "sent, but the hub's mail server stopped answering before confirming it: please email "
    "your hub to check it arrived"
)
# A message with one of these words and a place is a hub search ("our postcode is LS6 3QS").
_HUB_WORDS = {"hub", "hubs", "postcode", "postcodes"}
GREETINGS = {
    "hi",
    "hello",
    "hey",
    "hiya",
    "good morning",
    "good afternoon",
    "menu",
    "start",
    "help",
}
NON_TEXT = {
    "sticker": "a sticker",
    "photo": "a photo",
    "voice": "a voice message",
    "video": "a video",
    "document": "a file",
    "audio": "an audio clip",
    "animation": "a GIF",
    "contact": "a contact",
    "poll": "a poll",
    "video_note": "a video message",
}


def _delivery_words(app: SubmittedApplication) -> str:
    """The applicant's view of the outbox: the hub's fate first, then who was not copied."""
    results = app.delivery_results
    if app.delivery == "failed" and any(r.outcome == "unconfirmed" for r in results[:1]):
        return UNCONFIRMED_WORDS
    words = DELIVERY_WORDS.get(app.delivery, DELIVERY_WORDS[None])
    if app.delivery == "failed" and results[:1] and results[0].outcome == "refused":
        words += f" (its mail server refused the hub's address: {results[0].reply[:80]})"
    not_copied = [r.address for r in results[1:] if r.outcome in ("refused", "deferred")]
    if app.delivery == "sent" and not_copied:
        words += (
            f"; not copied to {', '.join(not_copied)} (refused by the mail server), "
            "so please forward it to them"
        )
    return words


@dataclass(frozen=True)
class Incoming:
    """One thing a person sent, in any channel."""

    user_id: str
    text: str = ""
    kind: str = "text"  # "text", "location", or a non-text kind such as "sticker"
    private: bool = True
    update_key: str | None = None
    location: tuple[float, float] | None = None
    # A button press says which question it answered: a button from an old message (or
    # from before a restart) must not answer whatever question is current now.
    for_field: str | None = None
    # A button pressed (``for_field`` None: a menu or suggestion button, which is current
    # only while its choice is still on offer and no question is waiting).
    button: bool = False


@dataclass
class _Turn:
    replies: list[Reply] = field(default_factory=list)
    submission: Submission | None = None
    forget: bool = False
    stale: bool = False  # a button for something no longer asked: nothing was changed

    def say(
        self,
        text: str,
        options: tuple[Option, ...] = (),
        *,
        field: str | None = None,
        flow: str | None = None,
    ) -> None:
        self.replies.append(Reply(text, field=field, options=options, flow=flow))


Compose = Callable[[SubmittedApplication], OutgoingMail | None]


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
            ask=self._sure_answer,
        )
        self._locks: dict[str, asyncio.Lock] = {}

    def _sure_answer(self, question: str) -> str | None:
        """A question typed in the middle of a form, answered only when the match is sure."""
        answer = answer_question(
            self.knowledge, question, self.today(), about_assistant=self._privacy_text
        )
        return answer.text if answer.tier == "confident" else None

    def _window_sentence(self, window_id: str) -> str | None:
        window = self.windows().get(window_id)
        return window.status_sentence(self.today()) if window else None

    async def _notify(self, incoming: Incoming, argument: str) -> str:
        def email(text: str) -> tuple[str | None, str | None]:
            checked = validate_email_address(text, {})
            return checked.value, checked.error

        return await notify_command(
            self.store,
            user_id=incoming.user_id,
            argument=argument,
            private=incoming.private,
            windows=self.windows(),
            clock=DayClock(self.today),
            validate_email=email,
        )

    async def _notify_from_form(
        self, incoming: Incoming, stored: SubmittedApplication, turn: _Turn
    ) -> None:
        """A form whose ``notify_when_open`` question was answered "yes" asks to be told
        when applications open (bot/notify.py), as ``/notify`` does."""
        flow = self.knowledge.flows.get(stored.form)
        role = flow.submission.notify_when_open if flow and flow.submission else None
        if role is None:
            return
        subscription = requested_in_form(
            user_id=incoming.user_id,
            private=incoming.private,
            answer=stored.answers.get(role.field, ""),
            email=stored.answers.get(role.email) if role.email else None,
            now=DayClock(self.today).now(),
        )
        if subscription is None:
            return
        try:
            await self.store.subscribe(subscription)
        except StoreError as exc:  # the application is stored; only the reminder is lost
            logger.error("could not keep the request to be told when applications open: %s", exc)
            turn.say(
                "I could not save your request to be told when applications open: send /notify to try again."
            )
            return
        how = "here" if subscription.channel == TELEGRAM else f"by email to {subscription.address}"
        turn.say(
            f"I'll tell you {how}, once, when the next application window opens "
            "(/notify off stops it)."
        )

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
                turn = _Turn()
                state = session.current()
                if state is not None and self._is_form(state.flow) and private:
                    name = self.knowledge.flows[state.flow].name
                    turn.say(f"Welcome back! Your {name} is saved; let's carry on.")
                    self._resume(session, turn, state.flow)
                else:
                    self._welcome(session, turn, private)
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

    async def _turn(self, incoming: Incoming) -> _Turn:
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

    async def _turn_once(self, incoming: Incoming) -> _Turn:
        session = await self.store.load_session(incoming.user_id) or Session()
        turn = _Turn()
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
            return _Turn([Reply(f"{refused}\n\nYour answers are kept: /resume shows them again.")])
        if stored is not None:
            self._confirm_submission(stored, turn)
            if self.on_submitted is not None:
                self.on_submitted(stored)
            await self._notify_from_form(incoming, stored, turn)
        return turn

    # -- dispatch --------------------------------------------------------------------------

    async def _respond(self, session: Session, incoming: Incoming, turn: _Turn) -> None:
        state = session.current()
        if incoming.kind == "location" and incoming.location is not None:
            self._nearest(incoming.location, turn)
            self._reask(session, turn)
            return
        if incoming.kind != "text":
            what = NON_TEXT.get(incoming.kind, "that kind of message")
            if state is not None and state.step is not None:
                turn.replies.append(
                    self.engine.question(
                        self.knowledge.flows[state.flow],
                        state,
                        note=f"I can't read {what} here: please type your answer as text.",
                    )
                )
            else:
                turn.say(f"I can't read {what}, only text. Type a question, or choose from /start.")
            return
        text = strip_control(incoming.text).strip()
        if text.startswith("/") and len(text) > 1 and not text[1].isspace():
            await self._command(session, incoming, text, turn)
            return
        if not self._is_current(session, incoming):
            turn.stale = True
            note = "That button belongs to an earlier question, so I haven't changed anything."
            if state is not None and state.step is not None:
                flow = self.knowledge.flows[state.flow]
                turn.replies.append(self.engine.question(flow, state, note=note))
            else:
                turn.say(note + " Send /start for the menu.")
            return
        if state is not None and state.step is not None:
            self._flow_input(session, state, text, turn, private=incoming.private)
            return
        await self._idle(session, incoming, text, turn)

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

    async def _command(self, session: Session, incoming: Incoming, text: str, turn: _Turn) -> None:
        word, _, argument = text[1:].partition(" ")
        command = word.split("@", 1)[0].lower()
        argument = argument.strip()
        state = session.current()
        in_form = state is not None and state.step is not None
        if command in ("start", "menu"):
            # The menu replaces the question on screen, so the form pauses (its draft is
            # kept and the menu offers to continue it): a menu choice is never an answer.
            if state is not None and not self._is_form(state.flow):
                session.flows.pop(state.flow, None)
            session.active = None
            self._welcome(session, turn, incoming.private)
        elif command == "help":
            if in_form and state is not None:
                turn.replies.append(self.engine.help(state))
            else:
                turn.say(self._help_text(incoming.private))
        elif command == "eligibility":
            self._start_flow(session, "eligibility", turn)
        elif command == "hub":
            if argument:
                self._say_search(
                    session, self.knowledge.finder.find(argument), turn, offer=not in_form
                )
                self._reask(session, turn)
            else:
                self._start_flow(session, "hub", turn)
        elif command == "apply":
            if not incoming.private:
                turn.say(
                    "To keep personal details out of group chats, I only take applications in a "
                    "private chat. Message me directly and send /apply there."
                )
            else:
                self._apply(session, argument, turn)
        elif command == "resume":
            if not incoming.private:
                turn.say(
                    "Applications continue in a private chat: message me directly and send /resume."
                )
            else:
                self._resume(session, turn, argument or None)
        elif command == "status":
            await self._status(session, incoming, turn)
        elif command == "notify":
            turn.say(await self._notify(incoming, argument))
            self._reask(session, turn)
        elif command == "cancel":
            self._cancel(session, turn)
        elif command == "privacy":
            turn.say(self._privacy_text(state.flow if state is not None else None))
            self._reask(session, turn)
        elif command == "forget":
            session.active, session.flows, session.offered = None, {}, []
            turn.forget = True
            turn.say(
                "Done: I've deleted your draft, our conversation, the questions you asked me and "
                "any request to be told when applications open. An application you "
                "already submitted stays with the Maths Hub it was sent to; contact that hub to "
                "have it removed."
            )
        elif command in ("back", "skip"):
            if in_form and state is not None:
                outcome = self.engine.back(state) if command == "back" else self.engine.skip(state)
                self._apply_outcome(session, state, outcome, turn)
            else:
                turn.say(
                    f"/{command} works while you're answering a form's questions, and no form is open now."
                )
        else:
            shown = word[:30]
            turn.say(f"I don't know the command /{shown}. " + self._command_list(in_form))
            self._reask(session, turn)

    def _flow_input(
        self, session: Session, state: FlowState, text: str, turn: _Turn, *, private: bool
    ) -> None:
        flow = self.knowledge.flows[state.flow]
        if flow.private and not private:
            turn.say(
                "I only take applications in a private chat: message me directly and send /resume."
            )
            return
        if len(text) > MAX_ANSWER_CHARS:
            turn.replies.append(
                self.engine.question(
                    flow,
                    state,
                    note=f"That message is {len(text):,} characters; the longest answer I can take is "
                    f"{MAX_ANSWER_CHARS:,}. Nothing was saved for this question.",
                )
            )
            return
        outcome = self.engine.handle(state, text)
        self._apply_outcome(session, state, outcome, turn)

    def _apply_outcome(
        self, session: Session, state: FlowState, outcome: Outcome, turn: _Turn
    ) -> None:
        turn.replies.extend(outcome.replies)
        if outcome.submit:
            flow = self.knowledge.flows[state.flow]
            assert flow.submission is not None
            answers = self._ordered_answers(state)
            answers["academic_year"] = academic_year(self.today())
            turn.submission = Submission(
                hub_id=state.answers.get(flow.submission.hub, ""),
                answers=answers,
                compose=self.compose or (lambda _app: None),
                admit=self.limits.check if self.limits is not None else None,
                form=flow.id,
                reference_prefix=flow.submission.reference_prefix,
            )
            session.flows.pop(state.flow, None)
            session.active = None
        elif outcome.finished:
            if outcome.cancelled or outcome.completed or not self._is_form(state.flow):
                session.flows.pop(state.flow, None)
            session.active = None

    def _ordered_answers(self, state: FlowState) -> dict[str, str]:
        flow = self.knowledge.flows[state.flow]
        return {name: state.answers.get(name, "") for name in flow.answer_fields()}

    async def _idle(self, session: Session, incoming: Incoming, text: str, turn: _Turn) -> None:
        if not text:
            turn.say("I didn't get any text there. Type a question, or send /start for the menu.")
            return
        if len(text) > MAX_QUESTION_CHARS:
            turn.say(
                f"That message is {len(text):,} characters. Please ask one question at a time, "
                f"in up to {MAX_QUESTION_CHARS:,} characters."
            )
            return
        if session.offered and (
            chosen := match_option(
                tuple(Option(label, value) for label, value in session.offered), text
            )
        ):
            await self._choose(session, incoming, chosen.value, turn)
            return
        if fold(text) in GREETINGS:
            self._welcome(session, turn, incoming.private)
            return
        if _HUB_WORDS & set(fold(text).split()):
            # "Which hub covers Sheffield?": a place named with a hub question is a search.
            search = self.knowledge.finder.find(text)
            if search.status not in ("unknown", "empty"):
                self._say_search(session, search, turn)
                return
        answer = answer_question(
            self.knowledge,
            text,
            self.today(),
            limit=MAX_QUESTION_CHARS,
            about_assistant=self._privacy_text,
        )
        if answer.tier == "smalltalk":
            turn.say(answer.text)
            return
        if answer.answered:
            # A likely answer offers the alternatives as choices; a reply "2" picks one.
            session.offered = [(o.label, o.value) for o in answer.options]
            turn.say(answer.chat_text, answer.options)
            self._remind_draft(session, turn, incoming.private)
            return
        search = self.knowledge.finder.find(text, whole=True)
        if search.status not in ("unknown", "empty"):
            self._say_search(session, search, turn)
            return
        drafts = self._drafts(session)
        if len(drafts) == 1 and incoming.private and not text.endswith("?"):
            turn.say(f"Let's carry on with your {self.knowledge.flows[drafts[0]].name}.")
            self._resume(session, turn, drafts[0])
            return
        await self.store.record_unanswered(
            text,
            answer.score,
            user_id=incoming.user_id,
            hub_id=self._draft_hub(session),
        )
        session.offered = [(o.label, o.value) for o in answer.options]
        turn.say(answer.chat_text, answer.options)

    async def _choose(self, session: Session, incoming: Incoming, value: str, turn: _Turn) -> None:
        session.offered = []
        if value.startswith("faq:"):
            try:
                self._answer(self.knowledge.matcher.entry(value[4:]), turn)
            except KeyError:
                turn.say("That suggestion is out of date; please ask your question again.")
        elif value == "ask":
            turn.say('Type your question, for example "How much release time is there?"')
        elif value == "resume" or value.startswith("resume:"):
            self._resume(session, turn, value.partition(":")[2] or None)
        elif value.startswith(PLACE_CHOICE):
            self._say_search(session, self.knowledge.finder.find(value[len(PLACE_CHOICE) :]), turn)
        elif value in self.knowledge.flows:
            if self.knowledge.flows[value].private and not incoming.private:
                turn.say(
                    "I only take applications in a private chat: message me directly and send /apply."
                )
            else:
                self._start_flow(session, value, turn)

    # -- pieces ----------------------------------------------------------------------------

    def _answer(self, entry: FaqEntry, turn: _Turn) -> None:
        turn.say(entry_text(self.knowledge, entry, self.today(), self._privacy_text))

    def _forms(self) -> list[Flow]:
        return [f for f in self.knowledge.flows.values() if f.is_form]

    def _is_form(self, flow_id: str) -> bool:
        flow = self.knowledge.flows.get(flow_id)
        return flow is not None and flow.is_form

    def _drafts(self, session: Session) -> list[str]:
        """The forms this person has a saved draft of."""
        return [f for f in session.flows if self._is_form(f)]

    def _draft_hub(self, session: Session) -> str | None:
        """The hub a draft has chosen so far, if any (its staff see the questions asked)."""
        for form_id in self._drafts(session):
            submission = self.knowledge.flows[form_id].submission
            if submission is not None and (
                hub := session.flows[form_id].answers.get(submission.hub)
            ):
                return hub
        return None

    def _form_named(self, text: str) -> Flow | None:
        key = fold(text)
        for flow in self._forms():
            if key in (fold(flow.id), fold(flow.title), fold(flow.name), fold(flow.menu or "")):
                return flow
        return None

    def _offer_forms(self, session: Session, turn: _Turn, forms: list[Flow], text: str) -> None:
        options = tuple(Option(f.menu or f.title, f.id) for f in forms)
        session.offered = [(o.label, o.value) for o in options]
        lines = [text] + [f"- {f.title}: /apply {f.id}" for f in forms]
        turn.say("\n".join(lines), options)

    def _apply(self, session: Session, argument: str, turn: _Turn) -> None:
        forms = self._forms()
        if argument:
            flow = self._form_named(argument)
            if flow is None:
                self._offer_forms(
                    session,
                    turn,
                    forms,
                    f"I don't know a form called {argument[:40]!r}. The forms are:",
                )
                return
            self._start_flow(session, flow.id, turn)
        elif len(forms) == 1:
            self._start_flow(session, forms[0].id, turn)
        else:
            self._offer_forms(session, turn, forms, "Which form would you like to fill in?")

    def _start_flow(self, session: Session, flow_id: str, turn: _Turn) -> None:
        previous = session.current()
        if previous is not None and self._is_form(previous.flow) and flow_id != previous.flow:
            name = self.knowledge.flows[previous.flow].name
            turn.say(f"Your {name} is saved: /resume takes you back to it.")
        existing = session.flows.get(flow_id) if self._is_form(flow_id) else None
        if existing is not None:
            name = self.knowledge.flows[flow_id].name
            turn.say(
                f"You already have an {name} in progress; let's continue it."
                if name[:1].lower() in "aeiou"
                else f"You already have a {name} in progress; let's continue it."
            )
        state, outcome = self.engine.begin(flow_id, existing)
        session.flows[flow_id] = state
        session.active = flow_id
        session.offered = []
        self._apply_outcome(session, state, outcome, turn)

    def _resume(self, session: Session, turn: _Turn, flow_id: str | None = None) -> None:
        drafts = self._drafts(session)
        if flow_id is not None and flow_id not in drafts:
            flow = self._form_named(flow_id)
            flow_id = flow.id if flow is not None and flow.id in drafts else None
            if flow_id is None:
                turn.say("You have no draft of that form. /resume continues the one you have.")
                return
        if flow_id is None:
            if not drafts:
                forms = self._forms()
                what = f"the {forms[0].title}" if len(forms) == 1 else "an application form"
                turn.say(f"You have no application in progress. /apply starts {what}.")
                return
            if len(drafts) > 1:
                options = tuple(
                    Option(f"Continue: {self.knowledge.flows[d].title}", f"resume:{d}")
                    for d in drafts
                )
                session.offered = [(o.label, o.value) for o in options]
                turn.say(
                    "You have more than one form in progress. Which shall we continue?", options
                )
                return
            flow_id = drafts[0]
        state, outcome = self.engine.begin(flow_id, session.flows[flow_id])
        session.active = flow_id
        self._apply_outcome(session, state, outcome, turn)

    def _reask(self, session: Session, turn: _Turn) -> None:
        state = session.current()
        if state is not None and state.step is not None:
            turn.replies.append(self.engine.question(self.knowledge.flows[state.flow], state))

    def _remind_draft(self, session: Session, turn: _Turn, private: bool) -> None:
        drafts = self._drafts(session)
        if private and drafts and session.active is None:
            names = " and ".join(f"your {self.knowledge.flows[d].name}" for d in drafts)
            turn.say(
                f"({names[0].upper()}{names[1:]} {'is' if len(drafts) == 1 else 'are'} saved: /resume to continue.)"
            )

    def _cancel(self, session: Session, turn: _Turn) -> None:
        state = session.current()
        if state is None:
            turn.say("There's nothing to cancel. Ask a question, or send /start for the menu.")
            return
        session.active = None
        if self._is_form(state.flow):
            turn.say(
                "Stopped. Your answers so far are saved: /resume continues where you left off, "
                "and /forget deletes them."
            )
        else:
            session.flows.pop(state.flow, None)
            turn.say("Stopped. Ask me a question, or send /start for the menu.")

    def _say_search(
        self, session: Session, search: HubSearch, turn: _Turn, *, offer: bool = True
    ) -> None:
        """A hub search's answer; a shared name or a guessed typo comes with buttons to
        say which place was meant."""
        options = search_options(search) if offer else ()
        if options:
            session.offered = [(o.label, o.value) for o in options]
        turn.say(describe_search(search), options)

    def _nearest(self, location: tuple[float, float], turn: _Turn) -> None:
        first, *others = self.knowledge.finder.nearest(*location)
        lines = [
            "The Maths Hub whose lead school is nearest to that location:",
            "",
            describe_hub(first),
        ]
        if others:
            lines += ["", "Next nearest:"] + [f"- {h.name} ({h.region})" for h in others]
        lines += [
            "",
            "Hubs serve areas rather than distances, so /hub with your town or postcode is more precise. "
            + ANY_HUB,
        ]
        turn.say("\n".join(lines))

    async def _status(self, session: Session, incoming: Incoming, turn: _Turn) -> None:
        if not incoming.private:
            turn.say("Ask me /status in a private chat.")
            return
        applications = await self.store.applications(user_id=incoming.user_id)
        lines = []
        for app in applications:
            hub = self.knowledge.hubs.get(app.hub_id)
            flow = self.knowledge.flows.get(app.form)
            title = app.answers.get(flow.submission.title, "") if flow and flow.submission else ""
            lines.append(
                f"{app.reference} ({title}), submitted "
                f"{app.submitted_at:%d %B %Y} to {hub.name if hub else app.hub_id}: "
                f"{DELIVERY_WORDS['held'] if self._held(app) else _delivery_words(app)}."
            )
        drafts = self._drafts(session)
        for form_id in drafts:
            flow = self.knowledge.flows[form_id]
            draft = session.flows[form_id]
            questions = [s for s in flow.path(draft.answers) if s.is_question]
            done = sum(1 for s in questions if s.field in draft.answers)
            which = f" ({flow.title})" if len(drafts) > 1 else ""
            again = f"/resume {form_id}" if len(drafts) > 1 else "/resume"
            lines.append(
                f"Draft in progress{which}: {done} of {len(questions)} questions answered. "
                f"{again} to continue."
            )
        turn.say(
            "\n".join(lines)
            if lines
            else "You haven't submitted an application yet. /apply starts one."
        )
        self._reask(session, turn)

    def _confirm_submission(self, app: SubmittedApplication, turn: _Turn) -> None:
        hub = self.knowledge.hubs.get(app.hub_id)
        hub_name = hub.name if hub else "your Maths Hub"
        flow = self.knowledge.flows.get(app.form)
        if flow is None or flow.submission is None:
            turn.say(f"Thank you: your application has been submitted.\nReference: {app.reference}")
            return
        template = flow.submission.confirmation
        if self._held(app):
            template = flow.submission.held_confirmation or HELD_CONFIRMATION
        turn.say(
            template.replace("{reference}", app.reference)
            .replace("{hub_name}", hub_name)
            .replace("{academic_year}", app.answers.get("academic_year", ""))
        )

    def _held(self, app: SubmittedApplication) -> bool:
        """Whether the application's email cannot reach the hub without the operator: no
        mail server (it becomes a file), or a hub without a real address."""
        return app.delivery == "held" or (app.delivery == "pending" and not self.mail_delivers)

    def _welcome(self, session: Session, turn: _Turn, private: bool) -> None:
        options = [
            Option("Ask a question", "ask"),
            Option("Am I eligible?", "eligibility"),
            Option("Find my Maths Hub", "hub"),
        ]
        forms = self._forms()
        if private:
            if self._drafts(session):
                options.append(Option("Continue my application", "resume"))
            options += [Option(f.menu or f.title, f.id) for f in forms if f.id not in session.flows]
        session.offered = [(o.label, o.value) for o in options]
        names = " and the ".join(f.title for f in forms)
        turn.say(
            "Hello! I answer questions about the Secondary Mastery Specialist Programme and the "
            "Secondary Teaching for Mastery Work Groups run by England's Maths Hubs with the "
            f"NCETM, find your Maths Hub, and help schools fill in the {names}."
            "\nType a question, or choose:",
            tuple(options),
        )

    def _command_list(self, in_form: bool) -> str:
        commands = COMMANDS + (FORM_COMMANDS if in_form else ())
        return "Commands: " + ", ".join(f"/{name}" for name, _ in commands) + "."

    def _help_text(self, private: bool) -> str:
        lines = ["Ask me anything about the programmes in your own words, or use a command:"]
        lines += [
            f"/{name}: {what}"
            for name, what in COMMANDS
            if private or name not in ("apply", "resume", "notify", "forget")
        ]
        lines.append("While filling in a form: /back, /skip (optional questions), /help, /cancel.")
        return "\n".join(lines)

    def privacy_notice(self) -> str:
        """The notice ``/privacy`` shows; questions about the assistant itself are answered from it."""
        return self._privacy_text()

    def _privacy_text(self, flow_id: str | None = None) -> str:
        """The privacy notice of the form being filled in (``flow_id``), else of the first form."""
        forms = self._forms()
        if flow_id is not None and self._is_form(flow_id):
            forms.insert(0, self.knowledge.flows[flow_id])
        step = next((s for f in forms for s in f.steps if s.type == "consent"), None)
        if step is None:
            return "I keep only what you tell me in a form, and /forget deletes it."
        # "Before we start, how your information is used:" -> "How your information is used:"
        notice = step.prompt.rsplit("\n", 1)[0]
        return re.sub(r"^Before [^,\n]*, how", "How", notice, count=1)
