"""The forms responder: starting, resuming, answering, stopping and submitting forms.

A form is any flow with a ``submission`` block (``flows/*.yaml``); its draft is kept in
the session between turns and restarts, and it is submitted when the engine says so.
Other flows (the eligibility check, the hub finder's questions) run through the same
engine but keep nothing once they end.  What a form's questions ask and check is the flow
engine's job (:mod:`bot.flows.engine`); this module decides what happens to the session.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from bot.conversation import texts
from bot.conversation.submission import Compose, assemble
from bot.conversation.turn import Turn
from bot.flows.engine import End, FlowEngine, Outcome
from bot.flows.model import Flow
from bot.flows.validators import MAX_ANSWER_CHARS
from bot.knowledge.base import Knowledge
from bot.knowledge.text import fold
from bot.limits import SubmissionLimits
from bot.replies import Option
from bot.session import FlowState, Session


class Forms:
    def __init__(
        self,
        knowledge: Knowledge,
        engine: FlowEngine,
        today: Callable[[], dt.date],
        compose: Compose | None,
        limits: SubmissionLimits | None,
    ) -> None:
        self.knowledge = knowledge
        self.engine = engine
        self.today = today
        self.compose = compose
        self.limits = limits

    # -- what there is --------------------------------------------------------------------

    def all(self) -> list[Flow]:
        return [f for f in self.knowledge.flows.values() if f.is_form]

    def is_form(self, flow_id: str) -> bool:
        flow = self.knowledge.flows.get(flow_id)
        return flow is not None and flow.is_form

    def drafts(self, session: Session) -> list[str]:
        """The forms this person has a saved draft of."""
        return [f for f in session.flows if self.is_form(f)]

    def draft_hub(self, session: Session) -> str | None:
        """The hub a draft has chosen so far, if any (its staff see the questions asked)."""
        for form_id in self.drafts(session):
            submission = self.knowledge.flows[form_id].submission
            if submission is not None and (
                hub := session.flows[form_id].answers.get(submission.hub)
            ):
                return hub
        return None

    def named(self, text: str) -> Flow | None:
        key = fold(text)
        for flow in self.all():
            if key in (fold(flow.id), fold(flow.title), fold(flow.name), fold(flow.menu or "")):
                return flow
        return None

    def privacy_text(self, flow_id: str | None = None) -> str:
        """The privacy notice of the form being filled in (``flow_id``), else of the first form."""
        forms = self.all()
        if flow_id is not None and self.is_form(flow_id):
            forms.insert(0, self.knowledge.flows[flow_id])
        step = next((s for f in forms for s in f.steps if s.type == "consent"), None)
        if step is None:
            return texts.NO_PRIVACY_NOTICE
        # "Before we start, how your information is used:" -> "How your information is used:"
        notice = step.prompt.rsplit("\n", 1)[0]
        return re.sub(r"^Before [^,\n]*, how", "How", notice, count=1)

    def progress_lines(self, session: Session) -> list[str]:
        """How far each draft has got, as ``/status`` shows it."""
        drafts = self.drafts(session)
        lines = []
        for form_id in drafts:
            flow = self.knowledge.flows[form_id]
            draft = session.flows[form_id]
            questions = [s for s in self.engine.path(flow, draft.answers) if s.is_question]
            lines.append(
                texts.DRAFT_PROGRESS.format(
                    which=f" ({flow.title})" if len(drafts) > 1 else "",
                    done=sum(1 for s in questions if s.field in draft.answers),
                    total=len(questions),
                    again=f"/resume {form_id}" if len(drafts) > 1 else "/resume",
                )
            )
        return lines

    # -- starting and resuming ------------------------------------------------------------

    def offer(self, session: Session, turn: Turn, forms: list[Flow], text: str) -> None:
        options = tuple(Option(f.menu or f.title, f.id) for f in forms)
        session.offered = [(o.label, o.value) for o in options]
        lines = [text] + [f"- {f.title}: /apply {f.id}" for f in forms]
        turn.say("\n".join(lines), options)

    def apply(self, session: Session, argument: str, turn: Turn) -> None:
        """``/apply [FORM]``: the form named, the only form, or a choice of forms."""
        forms = self.all()
        if argument:
            flow = self.named(argument)
            if flow is None:
                self.offer(session, turn, forms, texts.UNKNOWN_FORM.format(name=argument[:40]))
                return
            self.start(session, flow.id, turn)
        elif len(forms) == 1:
            self.start(session, forms[0].id, turn)
        else:
            self.offer(session, turn, forms, texts.WHICH_FORM)

    def start(self, session: Session, flow_id: str, turn: Turn) -> None:
        previous = session.current()
        if previous is not None and self.is_form(previous.flow) and flow_id != previous.flow:
            turn.say(texts.FORM_SAVED.format(form=self.knowledge.flows[previous.flow].name))
        existing = session.flows.get(flow_id) if self.is_form(flow_id) else None
        if existing is not None:
            name = self.knowledge.flows[flow_id].name
            article = "an" if name[:1].lower() in "aeiou" else "a"
            turn.say(texts.FORM_IN_PROGRESS.format(article=article, form=name))
        state, outcome = self.engine.begin(flow_id, existing)
        session.flows[flow_id] = state
        session.active = flow_id
        session.offered = []
        self.apply_outcome(session, state, outcome, turn)

    def resume(self, session: Session, turn: Turn, flow_id: str | None = None) -> None:
        """``/resume [FORM]``: the draft named, the only draft, or a choice of drafts."""
        drafts = self.drafts(session)
        if flow_id is not None and flow_id not in drafts:
            flow = self.named(flow_id)
            flow_id = flow.id if flow is not None and flow.id in drafts else None
            if flow_id is None:
                turn.say(texts.NO_SUCH_DRAFT)
                return
        if flow_id is None:
            if not drafts:
                forms = self.all()
                what = f"the {forms[0].title}" if len(forms) == 1 else "an application form"
                turn.say(texts.NO_DRAFT.format(what=what))
                return
            if len(drafts) > 1:
                options = tuple(
                    Option(
                        texts.CONTINUE_FORM.format(form=self.knowledge.flows[d].title),
                        f"resume:{d}",
                    )
                    for d in drafts
                )
                session.offered = [(o.label, o.value) for o in options]
                turn.say(texts.WHICH_DRAFT, options)
                return
            flow_id = drafts[0]
        state, outcome = self.engine.begin(flow_id, session.flows[flow_id])
        session.active = flow_id
        self.apply_outcome(session, state, outcome, turn)

    def reask(self, session: Session, turn: Turn) -> None:
        """The question waiting, again (after a reply about something else)."""
        state = session.current()
        if state is not None and state.step is not None:
            turn.replies.append(self.engine.question(self.knowledge.flows[state.flow], state))

    def remind_drafts(self, session: Session, turn: Turn, private: bool) -> None:
        drafts = self.drafts(session)
        if private and drafts and session.active is None:
            names = " and ".join(f"your {self.knowledge.flows[d].name}" for d in drafts)
            turn.say(
                texts.DRAFTS_SAVED.format(
                    drafts=f"{names[0].upper()}{names[1:]}",
                    verb="is" if len(drafts) == 1 else "are",
                )
            )

    def cancel(self, session: Session, turn: Turn) -> None:
        state = session.current()
        if state is None:
            turn.say(texts.NOTHING_TO_CANCEL)
            return
        session.active = None
        if self.is_form(state.flow):
            turn.say(texts.FORM_STOPPED)
        else:
            session.flows.pop(state.flow, None)
            turn.say(texts.STOPPED)

    # -- answering ------------------------------------------------------------------------

    def answer(
        self, session: Session, state: FlowState, text: str, turn: Turn, *, private: bool
    ) -> None:
        """Text typed while a question waits: the engine checks and records it."""
        flow = self.knowledge.flows[state.flow]
        if flow.private and not private:
            turn.say(texts.FORMS_IN_PRIVATE.format(command="resume"))
            return
        if len(text) > MAX_ANSWER_CHARS:
            note = texts.ANSWER_TOO_LONG.format(length=len(text), limit=MAX_ANSWER_CHARS)
            turn.replies.append(self.engine.question(flow, state, note=note))
            return
        outcome = self.engine.handle(state, text)
        self.apply_outcome(session, state, outcome, turn)

    def apply_outcome(
        self, session: Session, state: FlowState, outcome: Outcome, turn: Turn
    ) -> None:
        """The engine's replies, and what its outcome means for the session: a submission
        ends the form; a cancelled or completed form, or a flow that is not a form, is
        dropped; a form that only paused keeps its draft."""
        turn.replies.extend(outcome.replies)
        if outcome.end is None:
            return
        if outcome.end is End.SUBMIT:
            flow = self.knowledge.flows[state.flow]
            turn.submission = assemble(flow, state, self.today(), self.compose, self.limits)
        if outcome.end is not End.FINISHED or not self.is_form(state.flow):
            session.flows.pop(state.flow, None)
        session.active = None
