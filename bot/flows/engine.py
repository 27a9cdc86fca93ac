"""The flow engine: text in, messages out, for any channel.

The engine is pure: it changes a :class:`FlowState` in place and returns the replies;
the caller (the assistant) persists the state before sending them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.flows.model import Flow, Step
from bot.flows.validators import VALIDATORS, academic_year, clean
from bot.knowledge.faq import Window, format_date
from bot.knowledge.hub_text import ANY_HUB, describe_choices, describe_hub, describe_search
from bot.knowledge.hubs import HubFinder
from bot.knowledge.text import fold
from bot.knowledge.windows import WindowState, window_on
from bot.replies import Option, Reply
from bot.session import FlowState

SUBMIT = "submit"
EDIT = "edit"
EDIT_PREFIX = "edit:"


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    finished: bool = False
    submit: bool = False
    cancelled: bool = False
    # The form reached its end with nothing to submit (an application window is open, so
    # the applicant was given their answers to take elsewhere): its draft is not kept.
    completed: bool = False


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


def _same_answer(a: str, b: str) -> bool:
    """Names match loosely (case, accents, punctuation); addresses only exactly (ignoring
    case): a.b@school.org and a-b@school.org are two different people."""
    if "@" in a or "@" in b:
        return a.strip().casefold() == b.strip().casefold()
    return fold(a) == fold(b)


class FlowEngine:
    def __init__(
        self,
        flows: Mapping[str, Flow],
        finder: HubFinder,
        today: Callable[[], dt.date],
        window_sentence: Callable[[str], str | None],
        windows: Callable[[], Mapping[str, Window]] = dict,
    ) -> None:
        self.flows = flows
        self.finder = finder
        self.today = today
        self.window_sentence = window_sentence
        self.windows = windows

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
            if (window := self.window_state(flow)) is not None and window.sentence():
                intro.append(str(window.sentence()))
            if intro:
                outcome.replies.append(Reply("\n\n".join(intro), flow=flow_id))
        state.editing = False
        state.step = self._first_open(flow, state)
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
            outcome.finished = True
            return
        step = flow.step(state.step)
        if step.type == "verdict":
            text = self._verdict(flow, step, state)
            outcome.replies.append(Reply(text, flow=flow.id))
            outcome.finished = True
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
            return Reply(
                "\n\n".join(parts),
                field=step.field,
                options=self.options(flow, state, step),
                flow=flow.id,
            )
        if step.field in [s.field for s in questions] and len(questions) > 1:
            number = [s.field for s in questions].index(step.field) + 1
            header = f"Question {number} of {len(questions)}"
            if step.section:
                header += f" — {step.section}"
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
            return (Option(self._submit_label(flow), SUBMIT), Option("Change an answer", EDIT))
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
            lines.append(f"- {step.label}: {value or '(left blank)'}")
        label = self._submit_label(flow)
        if label == "Submit application":
            lines.append("\nSubmit it, or change any answer first.")
        else:
            lines.append(f'\nChoose "{label}", or change any answer first.')
        return "\n".join(lines)

    # -- answering -------------------------------------------------------------------

    def handle(self, state: FlowState, text: str) -> Outcome:
        flow = self.flows[state.flow]
        assert state.step is not None
        step = flow.step(state.step)
        outcome = Outcome()
        if step.type == "review":
            return self._review(flow, state, text)
        value: str | None
        error: str | None = None
        note = ""
        if step.type == "input":
            assert step.validator is not None
            checked = VALIDATORS[step.validator](text, step.params)
            value, error = checked.value, checked.error
            if value is not None and value != clean(text):
                note = f"Saved as: {value}"
            if value is not None:
                error = self._cross_check(flow, state, step, value)
                if error is not None:
                    value = None
        elif step.type in ("hub", "hub_pick", "place"):
            return self._hub_answer(flow, state, step, text)
        else:
            option = match_option(step.options, text)
            value = option.value if option else None
            if option is None:
                labels = " or ".join(f'"{o.label}"' for o in step.options)
                error = f"Please choose {labels} (type it or its number)."
            elif step.type == "consent" and value != step.params.get("accept", "yes"):
                state.answers.clear()
                state.step = None
                outcome.replies.append(
                    Reply(self._fill(str(step.params.get("declined", "Stopped."))), flow=flow.id)
                )
                outcome.finished = outcome.cancelled = True
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
        if value is not None and step.criterion is not None and step.criterion.immediate:
            verdict = self._criterion_verdict(step, value)
            if step.criterion.stop and value != step.criterion.passes:
                if state.editing:
                    # Changed at the review: everything else answered is kept.
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
                    outcome.finished = outcome.cancelled = True
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

    def _cross_check(self, flow: Flow, state: FlowState, step: Step, value: str) -> str | None:
        """The form's declared rules across answers, checked as the later answer is given."""
        for check in flow.checks:
            if step.field not in check.different:
                continue
            if check.unless is not None and check.unless.holds(state.answers):
                continue
            other_field = next(f for f in check.different if f != step.field)
            other = state.answers.get(other_field, "")
            if other and _same_answer(other, value):
                return (
                    self._fill(check.message)
                    .replace("{other_label}", flow.step(other_field).label)
                    .replace("{other}", other)
                )
        return None

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

    def _hub_answer(self, flow: Flow, state: FlowState, step: Step, text: str) -> Outcome:
        outcome = Outcome()
        options = self.options(flow, state, step)
        if option := match_option(options, text):
            self._accept(flow, state, step, option.value, outcome)
            return outcome
        search = self.finder.find(text)
        if step.type == "place":
            if search.status == "outside":
                outcome.replies.append(Reply(describe_search(search), flow=flow.id))
                outcome.finished = True
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
        outcome = Outcome()
        step = flow.step(state.step or "")
        choice = match_option(self.options(flow, state, step), text)
        raw = text.strip()
        if choice is not None and choice.value == SUBMIT:
            missing = [
                s.label
                for s in flow.path(state.answers)
                if s.is_question and s.field not in state.answers
            ]
            if missing:
                state.step = self._first_open(flow, state)
                self._arrive(
                    flow,
                    state,
                    outcome,
                    note="Some answers are still missing: " + ", ".join(missing),
                )
                return outcome
            window = self.window_state(flow)
            if window is not None and window.open is not None:
                outcome.replies.append(
                    Reply(self._while_open(flow, state, window.open), flow=flow.id)
                )
                state.step = None
                outcome.finished = outcome.completed = True
                return outcome
            outcome.submit = True
            return outcome
        editable = [s for s in flow.path(state.answers) if s.is_question and s.type != "consent"]
        edit_options = tuple(Option(f"{s.label}", f"{EDIT_PREFIX}{s.field}") for s in editable)
        target: str | None = None
        if raw.startswith(EDIT_PREFIX):
            target = raw[len(EDIT_PREFIX) :]
        elif fold(raw).startswith("edit ") or fold(raw).startswith("change "):
            found = match_option(edit_options, raw.split(" ", 1)[1])
            target = found.value[len(EDIT_PREFIX) :] if found else None
        elif (found := match_option(edit_options, raw)) is not None and choice is None:
            target = found.value[len(EDIT_PREFIX) :]
        if target and any(s.field == target for s in editable):
            state.editing = True
            state.step = target
            outcome.replies.append(
                self.question(
                    flow, state, note="After this answer you'll come back to the summary."
                )
            )
            return outcome
        if choice is not None and choice.value == EDIT:
            outcome.replies.append(
                Reply(
                    "Which answer would you like to change?",
                    field=step.field,
                    options=edit_options,
                    flow=flow.id,
                )
            )
            return outcome
        outcome.replies.append(
            self.question(
                flow, state, note='Please choose "Submit application" or "Change an answer".'
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
