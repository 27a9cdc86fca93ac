"""The questions responder: text typed while no question waits.

In order: a choice from the buttons last offered (by label, value or number), a greeting
(the menu), a hub question naming a place, an answer from the knowledge base, a bare
place name, an offer to carry on with the one draft, and otherwise an honest "not sure"
with suggestions (recorded for the hub staff's /unanswered).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.answers import answer_question, entry_text
from bot.conversation import texts
from bot.conversation.forms import Forms
from bot.conversation.hubs import Hubs
from bot.conversation.turn import Incoming, Turn
from bot.flows.engine import match_option
from bot.hub_questions import HUB_WORDS, says_more_than_where
from bot.knowledge.base import Knowledge
from bot.knowledge.faq import FaqEntry
from bot.knowledge.hub_text import PLACE_CHOICE
from bot.knowledge.self_entry import RESUME_ENTRY
from bot.knowledge.text import fold
from bot.replies import Option
from bot.session import Session
from bot.store.ports import UnansweredPort

MAX_QUESTION_CHARS = 1000

Welcome = Callable[[Session, Turn, bool], None]


class Questions:
    def __init__(
        self,
        knowledge: Knowledge,
        unanswered: UnansweredPort,
        today: Callable[[], dt.date],
        forms: Forms,
        hubs: Hubs,
        welcome: Welcome,
    ) -> None:
        self.knowledge = knowledge
        self.unanswered = unanswered
        self.today = today
        self.forms = forms
        self.hubs = hubs
        self.welcome = welcome

    def sure_answer(self, question: str) -> str | None:
        """A question typed in the middle of a form, answered only when the match is sure."""
        answer = answer_question(
            self.knowledge, question, self.today(), about_assistant=self.forms.privacy_text
        )
        return answer.text if answer.tier == "confident" else None

    async def respond(self, session: Session, incoming: Incoming, text: str, turn: Turn) -> None:
        if not text:
            turn.say(texts.NO_TEXT)
            return
        if len(text) > MAX_QUESTION_CHARS:
            turn.say(texts.QUESTION_TOO_LONG.format(length=len(text), limit=MAX_QUESTION_CHARS))
            return
        if session.offered and (
            chosen := match_option(
                tuple(Option(label, value) for label, value in session.offered), text
            )
        ):
            self.choose(session, incoming, chosen.value, turn)
            return
        if fold(text) in texts.GREETINGS:
            self.welcome(session, turn, incoming.private)
            return
        if self._place_search(session, text, turn):
            return
        answer = answer_question(
            self.knowledge,
            text,
            self.today(),
            limit=MAX_QUESTION_CHARS,
            about_assistant=self.forms.privacy_text,
        )
        if answer.tier == "smalltalk":
            turn.say(answer.text)
            return
        drafts = self.forms.drafts(session)
        if self._back_to_draft(answer.entry, drafts, session, incoming, turn):
            return
        if answer.answered:
            # A likely answer offers the alternatives as choices; a reply "2" picks one.
            session.offered = [(o.label, o.value) for o in answer.options]
            turn.say(answer.chat_text, answer.options)
            self.forms.remind_drafts(session, turn, incoming.private)
            return
        search = self.knowledge.finder.find(text, whole=True)
        if search.status not in ("unknown", "empty"):
            self.hubs.say(session, search, turn)
            return
        if len(drafts) == 1 and incoming.private and not text.endswith("?"):
            turn.say(texts.CARRY_ON.format(form=self.knowledge.flows[drafts[0]].name))
            self.forms.resume(session, turn, drafts[0])
            return
        await self.unanswered.record_unanswered(
            text,
            answer.score,
            user_id=incoming.user_id,
            hub_id=self.forms.draft_hub(session),
        )
        session.offered = [(o.label, o.value) for o in answer.options]
        turn.say(answer.chat_text, answer.options)

    def _place_search(self, session: Session, text: str, turn: Turn) -> bool:
        """A hub search for "which hub covers Sheffield?" or "our school is in Leeds"."""
        words = set(fold(text).split())
        if HUB_WORDS & words:
            search = self.knowledge.finder.find(text)
            if search.status not in ("unknown", "empty"):
                self.hubs.say(session, search, turn)
                return True
        if text.rstrip().endswith("?"):
            return False
        search = self.knowledge.finder.find(text)
        # A place outside England is answered from the knowledge base (England only).
        if search.status not in ("found", "ambiguous"):
            return False
        if says_more_than_where(text, set(fold(search.recognised or "").split())):
            return False
        self.hubs.say(session, search, turn)
        return True

    def _back_to_draft(
        self,
        entry: FaqEntry | None,
        drafts: list[str],
        session: Session,
        incoming: Incoming,
        turn: Turn,
    ) -> bool:
        """"How do I get back to my application?" with a draft saved: take them there."""
        if entry is None or entry.id != RESUME_ENTRY.id or not drafts or not incoming.private:
            return False
        turn.say(texts.DRAFT_KEPT)
        self.forms.resume(session, turn, drafts[0] if len(drafts) == 1 else None)
        return True

    def choose(self, session: Session, incoming: Incoming, value: str, turn: Turn) -> None:
        """A button (or its label or number) from the choices last offered."""
        session.offered = []
        if value.startswith("faq:"):
            try:
                entry = self.knowledge.matcher.entry(value[4:])
                turn.say(
                    entry_text(self.knowledge, entry, self.today(), self.forms.privacy_text)
                )
            except KeyError:
                turn.say(texts.SUGGESTION_OUT_OF_DATE)
        elif value == "ask":
            turn.say(texts.ASK_PROMPT)
        elif value == "resume" or value.startswith("resume:"):
            self.forms.resume(session, turn, value.partition(":")[2] or None)
        elif value.startswith(PLACE_CHOICE):
            self.hubs.search(session, value[len(PLACE_CHOICE) :], turn)
        elif value in self.knowledge.flows:
            if self.knowledge.flows[value].private and not incoming.private:
                turn.say(texts.FORMS_IN_PRIVATE.format(command="apply"))
            else:
                self.forms.start(session, value, turn)
