"""The flow engine: text in, messages out, for any channel.

The engine is pure: it changes a :class:`FlowState` in place and returns the replies;
the caller (the assistant) persists the state before sending them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.flows.asking import Reading, is_long, reads_as_question, step_asked_about
from bot.flows.model import Flow, Step, same_answer
from bot.flows.validators import VALIDATORS, academic_year, clean
from bot.knowledge.faq import Window, format_date
from bot.knowledge.hub_text import ANY_HUB, describe_choices, describe_hub, describe_search
from bot.knowledge.hubs import HubFinder
from bot.knowledge.text import fold, stem
from bot.knowledge.windows import WindowState, window_on
from bot.replies import Option, Reply
from bot.session import FlowState

SUBMIT = "submit"
EDIT = "edit"
EDIT_PREFIX = "edit:"
SUMMARY = "summary"
_FILLER = frozenset(
    {"change", "edit", "the", "answer", "to", "my", "i", "want", "please", "id", "like",
     "would", "fix", "correct", "update", "for", "a", "an", "of", "wrong", "is"}
)  # fmt: skip
# The buttons of "Is '...' the school name, or a question?".
AS_ANSWER = "as:answer"
AS_QUESTION = "as:question"
AS_STOP = "as:stop"
OUTSIDE = "outside"  # FlowState.pending_kind: an address outside England
PENDING_CHARS = 300
_HOW_LONG = re.compile(
    r"\bhow (long|many (more )?questions|much (longer|more))\b|\bnearly (done|finished)\b"
)


class End(StrEnum):
    """How a turn ended its flow (one of these, or none: the flow goes on)."""

    # The flow reached a result or a stop: a form keeps its draft, other flows are done.
    FINISHED = "finished"
    # Declined or cancelled: nothing is kept.
    CANCELLED = "cancelled"
    # The form reached its end with nothing to submit (an application window is open, so
    # the applicant was given their answers to take elsewhere): its draft is not kept.
    COMPLETED = "completed"
    # The answers are to be submitted.
    SUBMIT = "submit"


@dataclass
class Outcome:
    """The replies of one step of a flow, and whether (and how) it ended the flow: one
    value, so an outcome cannot be both submitted and cancelled."""

    replies: list[Reply] = field(default_factory=list)
    end: End | None = None

    @property
    def finished(self) -> bool:
        """The flow stopped without submitting (a result, a stop, a cancel or completion)."""
        return self.end is not None and self.end is not End.SUBMIT

    @property
    def submit(self) -> bool:
        return self.end is End.SUBMIT


def match_option(options: tuple[Option, ...], text: str) -> Option | None:
    """An option chosen by its value, its label or its number."""
    raw = text.strip()
    # isascii: "²".isdigit() is true, but it is no option number.
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= len(options):
        return options[int(raw) - 1]
    key = fold(raw)
    if not key:
        return None
    for option in options:
        if raw == option.value or key == fold(option.label) or key == fold(option.value):
            return option
    return None


def _words(text: str) -> list[str]:
    return [stem(w) for w in fold(text).split()]


def _fields_named(editable: list[Step], text: str) -> list[str]:
    """The answers a reply names: a label said in full; else every answer whose label (or
    field id, or section) holds all the reply's words, the last word perhaps cut short
    ("Teacher 2 resp")."""
    key = fold(text)
    if not key:
        return []
    exact = [s.field for s in editable if key in (fold(s.label), fold(s.field))]
    if exact:
        return exact
    asked = [w for w in _words(text) if w not in _FILLER]
    if not asked:
        return []
    named = []
    for step in editable:
        words = set(_words(f"{step.label} {step.field.replace('_', ' ')} {step.section or ''}"))
        *whole, last = asked
        if all(w in words for w in whole) and (
            last in words or (len(last) >= 3 and any(w.startswith(last) for w in words))
        ):
            named.append(step.field)
    return named


class FlowEngine:
    def __init__(
        self,
        flows: Mapping[str, Flow],
        finder: HubFinder,
        today: Callable[[], dt.date],
        window_sentence: Callable[[str], str | None],
        windows: Callable[[], Mapping[str, Window]] = dict,
        ask: Callable[[str], str | None] | None = None,
    ) -> None:
        self.flows = flows
        self.finder = finder
        self.today = today
        self.window_sentence = window_sentence
        self.windows = windows
        # A question typed mid-form, answered from the knowledge base when it is sure.
        self.ask = ask or (lambda _text: None)

    def window_state(self, flow: Flow) -> WindowState | None:
        """Today's application windows, for a form whose outcome depends on them."""
        outcome = flow.submission.window if flow.submission is not None else None
        if outcome is None:
            return None
        return window_on(self.windows(), self.today(), outcome.programme)

    # -- navigation ------------------------------------------------------------------

    def begin(self, flow_id: str, state: FlowState | None = None) -> tuple[FlowState, Outcome]:
        flow = self.flows[flow_id]
        outcome = Outcome()
        if state is None:
            state = FlowState(flow=flow_id, step=None)
            intro = [self._fill(flow.intro.strip())] if flow.intro else []
            window = self.window_state(flow)
            if window is not None and (status := window.sentence()):
                intro.append(status)  # the outcome depends on it, so say it up front
            if intro:
                outcome.replies.append(Reply("\n\n".join(intro), flow=flow_id))
        path = flow.path(state.answers)
        editing = state.editing and any(s.field == state.step and s.is_question for s in path)
        if not editing:
            # An edit in progress (a review answer being changed) reopens at that field.
            state.editing = False
            state.step = self._first_open(flow, state)
        state.pending, state.pending_kind = "", ""
        if state.step is None:
            state.step = flow.path(state.answers)[-1].field
        self._arrive(flow, state, outcome)
        return state, outcome

    def _first_open(self, flow: Flow, state: FlowState) -> str | None:
        for step in flow.path(state.answers):
            if not step.is_question or step.field not in state.answers:
                return step.field
        return None

    def _next_after(self, flow: Flow, state: FlowState, current: str) -> str | None:
        path = flow.path(state.answers)
        if state.editing:
            for step in path:
                if step.is_question and step.field not in state.answers:
                    return step.field
            state.editing = False
            return next((s.field for s in path if s.type == "review"), None)
        fields = [s.field for s in path]
        start = fields.index(current) + 1 if current in fields else 0
        for step in path[start:]:
            if not step.is_question or step.field not in state.answers:
                return step.field
        return None

    def _arrive(self, flow: Flow, state: FlowState, outcome: Outcome, note: str = "") -> None:
        """Show the step the state now points at (a question, or a result that ends the flow)."""
        if state.step is None:
            outcome.end = End.FINISHED
            return
        step = flow.step(state.step)
        if step.type == "verdict":
            text = self._verdict(flow, step, state)
            outcome.replies.append(Reply(text, flow=flow.id))
            outcome.end = End.FINISHED
            state.step = None
            return
        outcome.replies.append(self.question(flow, state, note))

    # -- asking ----------------------------------------------------------------------

    def _fill(self, text: str) -> str:
        return text.replace("{academic_year}", academic_year(self.today()))

    def question(self, flow: Flow, state: FlowState, note: str = "") -> Reply:
        assert state.step is not None
        step = flow.step(state.step)
        questions = [s for s in flow.path(state.answers) if s.is_question]
        parts: list[str] = []
        if note:
            parts.append(note)
        if step.type == "review":
            parts.append(self.summary(flow, state))
            if state.picking:
                parts.append(self._picking_prompt(flow, state))
            return Reply(
                "\n\n".join(parts),
                field=step.field,
                options=self.options(flow, state, step),
                flow=flow.id,
            )
        fields = [s.field for s in questions]
        if step.field in fields and len(questions) > 1:
            # Numbered along the path the answers so far lead to, with what is left on it:
            # a question that appears with an answer ("yes, we have worked with one")
            # never makes the count jump backwards.
            number = fields.index(step.field) + 1
            left = sum(1 for s in questions[number:] if s.field not in state.answers)
            header = f"Question {number}"
            if step.section:
                header += f" — {step.section}"
            header += (
                ""
                if state.editing
                else " (the last one)"
                if left == 0
                else f" (about {left} more after this)"
                if left > 1
                else " (1 more after this)"
            )
            parts.append(header)
        parts.append(self._fill(step.prompt.strip()))
        if step.type == "hub":
            parts.append(self._hub_prompt(state))
        if step.example:
            parts.append(f"Example: {step.example}")
        if state.answers.get(step.field):
            parts.append(f"Current answer: {state.answers[step.field]}")
        hints = []
        if step.optional:
            hints.append("/skip to leave it blank")
        if state.history:
            hints.append("/back for the previous question")
        hints.append("/help for help")
        parts.append("(" + ", ".join(hints) + ")")
        return Reply(
            "\n".join(parts),
            field=step.field,
            options=self.options(flow, state, step),
            flow=flow.id,
        )

    def options(self, flow: Flow, state: FlowState, step: Step) -> tuple[Option, ...]:
        if step.type in ("hub", "hub_pick"):
            hubs = [
                self.finder.directory.by_id[h]
                for h in self._candidates(state, step)
                if h in self.finder.directory.by_id
            ]
            return tuple(Option(h.name, h.id) for h in hubs)
        if step.type == "review":
            if state.picking:
                return (
                    *(
                        Option(flow.step(f).label, f"{EDIT_PREFIX}{f}")
                        for f in state.picking
                        if flow.has(f)
                    ),
                    Option("Back to the summary", SUMMARY),
                )
            return (Option(self._submit_label(flow), SUBMIT), Option("Change an answer", EDIT))
        if state.pending:
            return self._pending_options(step, state.pending_kind)
        return step.options

    def _submit_label(self, flow: Flow) -> str:
        if flow.submission is None:
            return "Submit application"
        window = self.window_state(flow)
        if window is not None and window.is_open and flow.submission.window is not None:
            return flow.submission.window.while_open.button
        return flow.submission.submit_button

    def _candidates(self, state: FlowState, step: Step) -> list[str]:
        if state.candidates:
            return state.candidates
        address = state.answers.get(str(step.params.get("from", "")))
        if step.type == "hub" and address:
            search = self.finder.find(address)
            if search.found:
                return [h.id for h in search.hubs[:4]]
        return []

    def _hub_prompt(self, state: FlowState) -> str:
        if state.candidates:
            return "Choose one of the hubs below, or type another town, postcode or hub name."
        step = self.flows[state.flow].step(state.step or "")
        if self._candidates(state, step):
            address = state.answers.get(str(step.params.get("from", "")), "")
            if (search := self.finder.find(address)).status == "ambiguous":
                # "High Street, Newport": never a silent pick between two Newports.
                return describe_choices(search) + (
                    "\nChoose the hub for the school's place, or type its town with the county."
                )
            return (
                "From the school's address, the hub for your area is listed first. Choose it, "
                "or type another town, postcode or hub name. " + ANY_HUB
            )
        return "Type the school's town, postcode or county, or a hub's name, and I'll find it."

    def help(self, state: FlowState) -> Reply:
        flow = self.flows[state.flow]
        assert state.step is not None
        step = flow.step(state.step)
        text = step.help or "Answer the question, or use /cancel to stop (your answers are kept)."
        question = self.question(flow, state)
        return Reply(
            f"{self._fill(text.strip())}\n\n{question.text}",
            field=step.field,
            options=question.options,
            flow=flow.id,
        )

    def summary(self, flow: Flow, state: FlowState) -> str:
        lines = [f"Please check your {flow.title}:"]
        section = None
        for step in flow.path(state.answers):
            if not step.is_question or step.type == "consent":
                continue
            if step.section != section and step.section:
                section = step.section
                lines.append(f"\n{section}")
            value = state.answers.get(step.field, "")
            if step.type in ("hub", "hub_pick") and (hub := self.finder.directory.get(value)):
                value = hub.name
            elif step.type == "confirm" and value:
                value = "Confirmed"
            elif chosen := next((o for o in step.options if o.value == value), None):
                value = chosen.label
            lines.append(f"- {step.label}: {value or '(left blank)'}")
        label = self._submit_label(flow)
        lead = "Submit it" if label == "Submit application" else f'Choose "{label}"'
        lines.append(
            f"\n{lead}, or change any answer first: choose Change an answer, or type the "
            "answer's name (or part of it, like \"URN\"), or a section's name."
        )
        return "\n".join(lines)

    # -- answering -------------------------------------------------------------------

    def handle(self, state: FlowState, text: str) -> Outcome:
        flow = self.flows[state.flow]
        assert state.step is not None
        step = flow.step(state.step)
        if step.type == "review":
            return self._review(flow, state, text)
        if state.pending:
            pending, kind = state.pending, state.pending_kind
            choice = match_option(self._pending_options(step, kind), text)
            state.pending, state.pending_kind = "", ""
            if choice is not None and choice.value == AS_ANSWER:
                return self._answer(flow, state, step, pending, read=False, placed=kind == OUTSIDE)
            if choice is not None and choice.value == AS_STOP:
                outcome = Outcome(end=End.FINISHED)
                outcome.replies.append(
                    Reply(
                        "Stopped. Your answers so far are saved: /resume continues with the "
                        "school's address, and /forget deletes them. The Maths Hubs can tell "
                        "you about support for schools outside England (/hub finds them).",
                        flow=flow.id,
                    )
                )
                return outcome
            if choice is not None:
                return self._answer_question(flow, state, step, pending)
            # Anything else is a new message, read afresh.
        return self._answer(flow, state, step, text, read=True)

    def _pending_options(self, step: Step, kind: str = "") -> tuple[Option, ...]:
        if kind == OUTSIDE:
            return (Option("Continue with this address", AS_ANSWER), Option("Stop here", AS_STOP))
        what = str(step.params.get("what") or step.label.lower())
        return (Option(f"It's the {what}", AS_ANSWER), Option("It's a question", AS_QUESTION))

    def _outside_england(self, flow: Flow, step: Step, value: str) -> str | None:
        """For an answer a hub is suggested from (an address): where it is, when the hub
        finder places it outside England, for whose schools the programmes are."""
        if not any(s.type == "hub" and s.params.get("from") == step.field for s in flow.steps):
            return None
        search = self.finder.find(value)
        if search.status != "outside":
            return None
        place = search.recognised or "That address"
        return f"{place} is in {search.country or 'a place outside England'}"

    def _answer(
        self,
        flow: Flow,
        state: FlowState,
        step: Step,
        text: str,
        *,
        read: bool,
        placed: bool = False,
    ) -> Outcome:
        """``text`` as the answer to ``step``; with ``read``, a message that reads as a
        question is answered (or asked about) instead (bot/flows/asking.py)."""
        outcome = Outcome()
        reading = reads_as_question(text) if read else Reading.NONE
        value: str | None
        error: str | None = None
        note = ""
        if step.type == "input":
            assert step.validator is not None
            checked = VALIDATORS[step.validator](text, step.params)
            value, error = checked.value, checked.error
            if reading is not Reading.NONE:
                if value is None or (reading is Reading.STRONG and not is_long(text)):
                    return self._answer_question(flow, state, step, text)
                # Plausible as the answer and phrased as a question: ask which it is.
                state.pending = clean(text)[:PENDING_CHARS]
                shown = state.pending if len(state.pending) <= 80 else state.pending[:77] + "..."
                what = str(step.params.get("what") or step.label.lower())
                outcome.replies.append(
                    Reply(
                        f'Is "{shown}" the {what}, or a question?',
                        field=step.field,
                        options=self._pending_options(step),
                        flow=flow.id,
                    )
                )
                return outcome
            if value is not None and value != clean(text):
                note = f"Saved as: {value}"
            if value is not None:
                error = self._cross_check(flow, state, step, value)
                if error is not None:
                    value = None
            where = self._outside_england(flow, step, value) if value and not placed else None
            if where is not None and value is not None:
                state.pending, state.pending_kind = value, OUTSIDE
                outcome.replies.append(
                    Reply(
                        f"{where}. Maths Hubs and their programmes are for schools in England. "
                        "Continue with this address anyway, or stop here? Nothing is lost "
                        "either way.",
                        field=step.field,
                        options=self._pending_options(step, OUTSIDE),
                        flow=flow.id,
                    )
                )
                return outcome
        elif step.type in ("hub", "hub_pick", "place"):
            return self._hub_answer(flow, state, step, text, reading)
        else:
            option = match_option(step.options, text)
            value = option.value if option else None
            if option is None and reading is not Reading.NONE:
                return self._answer_question(flow, state, step, text)
            if option is None:
                labels = " or ".join(f'"{o.label}"' for o in step.options)
                error = f"Please choose {labels} (type it or its number)."
            elif step.type == "consent" and value != step.params.get("accept", "yes"):
                state.answers.clear()
                state.step = None
                outcome.replies.append(
                    Reply(self._fill(str(step.params.get("declined", "Stopped."))), flow=flow.id)
                )
                outcome.end = End.CANCELLED
                return outcome
            elif step.type == "confirm" and value != step.params.get("accept", "confirmed"):
                value, error = (
                    None,
                    self._fill(
                        str(
                            step.params.get(
                                "refused",
                                "This confirmation is needed before the form can be submitted.",
                            )
                        )
                    ),
                )
            elif value is not None:
                error = self._cross_check(flow, state, step, value)
                if error is not None:
                    return self._redirect(flow, state, step, error, outcome)
        if value is not None and step.criterion is not None and step.criterion.immediate:
            verdict = self._criterion_verdict(step, value)
            if step.criterion.stop and value != step.criterion.passes:
                path = [s.field for s in flow.path(state.answers)]
                later = path[path.index(step.field) + 1 :] if step.field in path else []
                if state.editing or any(f in state.answers for f in later):
                    # Changed at the review or after /back: what was answered since is kept.
                    value, error = (
                        None,
                        (
                            f"{verdict}\n\nYour other answers are kept: choose again, or /cancel "
                            "to stop here."
                        ),
                    )
                else:
                    state.answers.clear()
                    state.step = None
                    outcome.replies.append(
                        Reply(
                            f"{verdict}\n\nThe form stops here, and nothing you answered has "
                            f"been kept. If you chose that by mistake, /apply {flow.id} starts "
                            "again.",
                            flow=flow.id,
                        )
                    )
                    outcome.end = End.CANCELLED
                    return outcome
            else:
                note = "\n".join(p for p in (note, verdict) if p)
        if error is not None or value is None:
            reply = self.question(flow, state, note=error or "")
            outcome.replies.append(reply)
            return outcome
        self._accept(flow, state, step, value, outcome, note)
        return outcome

    def _criterion_verdict(self, step: Step, value: str) -> str:
        """A criterion's verdict on one answer: met, or not met with why and what to do."""
        criterion = step.criterion
        assert criterion is not None
        if value == criterion.passes:
            return " ".join(p for p in (f"{criterion.name}: met.", criterion.met) if p)
        parts = [f"{criterion.name}: not met. {self._fill(criterion.failure.strip())}"]
        if criterion.advice:
            parts.append(self._fill(criterion.advice.strip()))
        return "\n".join(parts)

    def _answer_question(self, flow: Flow, state: FlowState, step: Step, text: str) -> Outcome:
        """A question asked in the middle of the form: answered, then the same question
        asked again; nothing is saved."""
        path = flow.path(state.answers)
        about = step_asked_about(text, path)
        if about is not None and about.help:
            answer = self._fill(about.help.strip())
            if about.field != step.field:
                answer = f"{about.label}: {answer}"
        elif _HOW_LONG.search(fold(text)):
            fields = [s.field for s in path if s.is_question]
            left = sum(1 for f in fields if f not in state.answers)
            answer = (
                f"About {left} question{'s' if left != 1 else ''} to go, counting this one; "
                "most take a few seconds, the statement longest. Your answers are saved "
                "as you go."
            )
        elif (known := self.ask(text)) is not None:
            answer = known
        else:
            answer = (
                "I'm not sure: I couldn't find an answer to that in the programme documents. "
                "Your Maths Hub can answer other questions (/hub finds it)."
            )
            if step.help:
                answer += "\n\nAbout this question: " + self._fill(step.help.strip())
        outcome = Outcome()
        outcome.replies.append(self.question(flow, state, note=f"{answer}\n\nBack to the form:"))
        return outcome

    def _cross_check(self, flow: Flow, state: FlowState, step: Step, value: str) -> str | None:
        """The form's declared rules across answers, checked as the later answer is given.

        A rule whose ``unless`` names a question still to be asked ("are they the same
        person?") waits for that answer, and is checked again when it is given."""
        answers = {**state.answers, step.field: value}
        visible = {s.field for s in flow.path(answers)}
        for check in flow.checks:
            unless = check.unless
            if step.field not in check.different and (
                unless is None or step.field not in unless.fields()
            ):
                continue
            if unless is not None and unless.holds(answers):
                continue
            asked_later = (
                unless is not None
                and unless.field is not None
                and unless.field in visible
                and unless.field not in answers
            )
            if asked_later:
                continue
            first, second = check.different
            if not (answers.get(first) and answers.get(second)):
                continue
            if not same_answer(answers[first], answers[second]):
                continue
            other_field = first if step.field == second else second
            return (
                self._fill(check.message)
                .replace("{other_label}", flow.step(other_field).label)
                .replace("{other}", answers[other_field])
            )
        return None

    def _redirect(
        self, flow: Flow, state: FlowState, step: Step, error: str, outcome: Outcome
    ) -> Outcome:
        """A rule broken by a choice ("No, they are different people"): one of the answers
        it compares has to change, so the later of them is asked again."""
        check = next((c for c in flow.checks if c.unless and step.field in c.unless.fields()), None)
        if check is not None:
            state.step = max(check.different, key=flow.index)
            # The answer that broke the rule is asked again from empty, so the question
            # that depended on it leaves the path and the count does not go up.
            state.answers.pop(state.step, None)
        outcome.replies.append(self.question(flow, state, note=error))
        return outcome

    def _accept(
        self, flow: Flow, state: FlowState, step: Step, value: str, outcome: Outcome, note: str = ""
    ) -> None:
        state.answers[step.field] = value
        state.candidates = []
        visible = {s.field for s in flow.path(state.answers)}
        for stale in [f for f in state.answers if f not in visible]:
            del state.answers[stale]
        if not state.history or state.history[-1] != step.field:
            state.history.append(step.field)
        state.step = self._next_after(flow, state, step.field)
        self._arrive(flow, state, outcome, note)

    def _hub_answer(
        self, flow: Flow, state: FlowState, step: Step, text: str, reading: Reading
    ) -> Outcome:
        outcome = Outcome()
        options = self.options(flow, state, step)
        if option := match_option(options, text):
            self._accept(flow, state, step, option.value, outcome)
            return outcome
        search = self.finder.find(text)
        if search.status in ("unknown", "empty") and reading is not Reading.NONE:
            return self._answer_question(flow, state, step, text)
        if step.type == "place":
            if search.status == "outside":
                outcome.replies.append(Reply(describe_search(search), flow=flow.id))
                outcome.end = End.FINISHED
                state.step = None
                return outcome
            if search.found:
                state.answers[step.field] = clean(text)[:200]
                state.history.append(step.field)
                # A typo's correction is asked, never taken as the place (status "suggested").
                if len(search.hubs) == 1 and search.status == "found":
                    state.answers["hub"] = search.hubs[0].id
                    state.candidates = []
                else:
                    state.candidates = [h.id for h in search.hubs]
                    state.answers.pop("hub", None)
                state.step = self._next_after(flow, state, step.field)
                note = (
                    describe_search(search)
                    if len(search.hubs) > 1 or search.status != "found"
                    else ""
                )
                self._arrive(flow, state, outcome, note)
                return outcome
        elif search.found:
            state.candidates = [h.id for h in search.hubs]
            if search.status == "ambiguous":
                note = describe_choices(search)
            elif search.status == "suggested":
                note = f'I don\'t know "{text[:60]}". Did you mean {search.recognised}? I found:'
            else:
                note = f'For "{search.recognised}" I found:'

            outcome.replies.append(self.question(flow, state, note=note))
            return outcome
        outcome.replies.append(self.question(flow, state, note=describe_search(search)))
        return outcome

    def _review(self, flow: Flow, state: FlowState, text: str) -> Outcome:
        """Submit, or find the answer to change: by its button, its label or a part of it
        ("Teacher 2 role", "URN"), a section ("Teacher 2") and then a choice, or its number
        in the list last shown.  Anything not understood shows the list of answers (never
        the Submit button again), so a number typed next changes an answer, and nothing
        short of Submit itself ever submits."""
        outcome = Outcome()
        step = flow.step(state.step or "")
        raw = text.strip()
        editable = [s for s in flow.path(state.answers) if s.is_question and s.type != "consent"]
        fields = [s.field for s in editable]
        state.picking = [f for f in state.picking if f in fields]
        choice = match_option(
            (Option(self._submit_label(flow), SUBMIT), Option("Change an answer", EDIT)),
            raw if not state.picking or not raw.isdigit() else "",
        )
        if choice is not None and choice.value == SUBMIT:
            return self._submit(flow, state, outcome)
        target: str | None = None
        if raw.startswith(EDIT_PREFIX):
            target = raw[len(EDIT_PREFIX) :]
        elif raw == SUMMARY:
            state.picking = []
            outcome.replies.append(self.question(flow, state))
            return outcome
        elif state.picking and (found := match_option(self.options(flow, state, step), raw)):
            if found.value == SUMMARY:
                state.picking = []
                outcome.replies.append(self.question(flow, state))
                return outcome
            target = found.value[len(EDIT_PREFIX) :]
        elif choice is not None:  # "Change an answer"
            state.picking = fields
            outcome.replies.append(
                self._picking_reply(flow, state, "Which answer would you like to change?")
            )
            return outcome
        else:
            named = _fields_named(editable, raw)
            if len(named) == 1:
                target = named[0]
            elif named:
                state.picking = named
                outcome.replies.append(
                    self._picking_reply(flow, state, "Which of these would you like to change?")
                )
                return outcome
        if target is not None and target in fields:
            state.editing = True
            state.picking = []
            state.step = target
            outcome.replies.append(
                self.question(
                    flow, state, note="After this answer you'll come back to the summary."
                )
            )
            return outcome
        state.picking = fields
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        outcome.replies.append(
            self._picking_reply(
                flow,
                state,
                f'I couldn\'t tell which answer "{shown}" means, so nothing was submitted. '
                "Which answer would you like to change?",
            )
        )
        return outcome

    def _while_open(self, flow: Flow, state: FlowState, window: Window) -> str:
        """What a form says instead of submitting while an application window is open."""
        assert flow.submission is not None and flow.submission.window is not None
        hub = self.finder.directory.get(state.answers.get(flow.submission.hub, ""))
        values = {
            **state.answers,
            "summary": self.plain_answers(flow, state),
            "window_label": window.label,
            "window_opens": format_date(window.opens),
            "window_closes": format_date(window.closes),
            "hub_name": hub.name if hub else "your Maths Hub",
            "academic_year": academic_year(self.today()),
        }
        # One pass, so an answer that happens to contain "{summary}" is left as typed.
        return re.sub(
            r"\{([a-z][a-z0-9_]*)\}",
            lambda found: values.get(found.group(1), found.group(0)),
            flow.submission.window.while_open.message.strip(),
        )

    def plain_answers(self, flow: Flow, state: FlowState) -> str:
        """The answers as plain "label: answer" lines under their sections, to copy into
        another form (consent and the 'tell me when applications open' question left out)."""
        notify = flow.submission.notify_when_open if flow.submission else None
        skipped = {notify.field} if notify is not None else set()
        lines: list[str] = []
        section = None
        for step in flow.path(state.answers):
            if not step.is_question or step.type == "consent" or step.field in skipped:
                continue
            if step.section and step.section != section:
                section = step.section
                lines.append(f"\n{section}" if lines else section)
            value = state.answers.get(step.field, "")
            if step.type in ("hub", "hub_pick") and (hub := self.finder.directory.get(value)):
                value = hub.name
            elif step.type == "confirm" and value:
                value = "Confirmed"
            else:
                value = next((o.label for o in step.options if o.value == value), value)
            lines.append(f"{step.label}: {value or '(left blank)'}")
        return "\n".join(lines)

    def _picking_prompt(self, flow: Flow, state: FlowState) -> str:
        return (
            "Which answer would you like to change? Choose it (or type its number or "
            "name); Back to the summary shows Submit again."
        )

    def _picking_reply(self, flow: Flow, state: FlowState, text: str) -> Reply:
        step = flow.step(state.step or "")
        return Reply(text, field=step.field, options=self.options(flow, state, step), flow=flow.id)

    def _submit(self, flow: Flow, state: FlowState, outcome: Outcome) -> Outcome:
        missing = [
            s.label
            for s in flow.path(state.answers)
            if s.is_question and s.field not in state.answers
        ]
        if missing:
            state.picking = []
            state.step = self._first_open(flow, state)
            self._arrive(
                flow, state, outcome, note="Some answers are still missing: " + ", ".join(missing)
            )
            return outcome
        window = self.window_state(flow)
        if window is not None and window.open is not None:
            outcome.replies.append(Reply(self._while_open(flow, state, window.open), flow=flow.id))
            state.step = None
            outcome.end = End.COMPLETED
            return outcome
        outcome.end = End.SUBMIT
        return outcome

    def back(self, state: FlowState) -> Outcome:
        flow = self.flows[state.flow]
        outcome = Outcome()
        if state.editing or not state.history:
            note = "There is no earlier question to go back to." if not state.history else ""
            outcome.replies.append(self.question(flow, state, note=note))
            return outcome
        previous = state.history.pop()
        if previous == state.step and state.history:
            previous = state.history.pop()
        state.step = previous
        state.candidates = []
        outcome.replies.append(self.question(flow, state))
        return outcome

    def skip(self, state: FlowState) -> Outcome:
        flow = self.flows[state.flow]
        assert state.step is not None
        step = flow.step(state.step)
        outcome = Outcome()
        if not step.optional:
            outcome.replies.append(
                self.question(
                    flow, state, note=f'"{step.label}" is needed, so it can\'t be skipped.'
                )
            )
            return outcome
        self._accept(flow, state, step, "", outcome)
        return outcome

    # -- results ---------------------------------------------------------------------

    def _verdict(self, flow: Flow, step: Step, state: FlowState) -> str:
        kind = step.params.get("kind")
        if kind == "hub":
            hub = self.finder.directory.get(state.answers.get("hub", ""))
            if hub is None:
                return "I couldn't find a hub for that place."
            return f"Your Maths Hub:\n\n{describe_hub(hub)}\n\n{ANY_HUB}"
        checks = [
            (s.criterion, state.answers.get(s.field) == s.criterion.passes)
            for s in flow.path(state.answers)
            if s.criterion is not None
        ]
        failures = [criterion.failure for criterion, met in checks if not met]
        verdict = "fail" if failures else "pass"
        parts = [str(step.params.get(f"{verdict}_heading", ""))]
        parts += [f"- {line}" for line in failures or [c.name for c, _ in checks]]
        parts.append(self._fill(str(step.params.get(f"{verdict}_next", "")).strip()))
        if not failures and (window := step.params.get("window")):
            parts.append(self.window_sentence(str(window)) or "")
        if source := step.params.get("source_note"):
            parts.append(str(source))
        return "\n".join(p for p in parts if p)
