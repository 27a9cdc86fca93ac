"""The checks of a flow file that need the whole file, each reported as ``file:line``.

A field a condition, check or role names must exist; a ``when`` value must be one of the
options' values; parameters must be ones the validator or step type declares; a form's
submission roles must name fields of the right kind; every step must be reachable.
Split from :mod:`bot.flows.model`, which holds the typed flow these checks read.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from bot._yaml import LineDict, LineList, Problems, line_of
from bot.flows._lines import describe, line_at
from bot.flows._spec import _NEEDS_OPTIONS, TEMPLATE_NAMES, TYPE_PARAMS, WHILE_OPEN_NAMES
from bot.flows.model import Check, Condition, Flow, NotifyWhenOpen, Step, Submission
from bot.flows.validators import VALIDATOR_PARAMS, VALIDATORS


def _raw_step(raw: LineDict, field_id: str) -> LineDict:
    for item in raw.get("steps") or []:
        if isinstance(item, LineDict) and item.get("field") == field_id:
            return item
    return LineDict()


def _template_names(text: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name]
    except ValueError:
        return ["{"]


class _Checker:
    """The checks that need the whole flow: each adds ``file:line: problem``."""

    def __init__(self, path: Path, raw: LineDict, flow: Flow, problems: Problems) -> None:
        self.path, self.raw, self.flow, self.problems = path, raw, flow, problems
        self.known = {s.field for s in flow.steps}

    def add(self, line: int, message: str) -> None:
        self.problems.add(self.path, line, message)

    def run(self) -> None:
        seen: dict[str, int] = {}
        for step in self.flow.steps:
            if step.field in seen:
                self.add(
                    step.line,
                    f"step {step.field}: duplicate field (first at line {seen[step.field]})",
                )
            seen.setdefault(step.field, step.line)
            self._step(step)
            submission = self.flow.submission
            if step.window is not None and (submission is None or submission.window is None):
                self.add(
                    line_of(_raw_step(self.raw, step.field), "window"),
                    f"step {step.field}: 'window' needs the form's submission.window "
                    "(whose application windows count)",
                )
        for check in self.flow.checks:
            self._check(check)
        if self.flow.submission is not None:
            self._submission(self.flow.submission)
        for step in _unreachable(self.flow):
            self.add(step.line, f"step {step.field}: unreachable (no step leads to it)")

    def _step(self, step: Step) -> None:
        item = _raw_step(self.raw, step.field)
        where = f"step {step.field}"
        self._validator(step, item, where)
        self._options(step, item, where)
        if not step.prompt.strip() and step.is_question:
            self.add(step.line, f"{where}: missing field 'prompt'")
        if step.when is not None:
            self._condition(step.when, item.get("when"), where)
        values = [o.value for o in step.options]
        if step.criterion is not None and step.options and step.criterion.passes not in values:
            self.add(
                line_of(item.get("criterion"), "passes"),
                f"{where}: criterion passes {step.criterion.passes!r} is not one of its "
                f"option values ({', '.join(values)})",
            )
        if step.next and step.next != "end" and step.next not in self.known:
            self.add(line_of(item, "next"), f"{where}: 'next' names unknown step {step.next!r}")

    def _validator(self, step: Step, item: LineDict, where: str) -> None:
        """An input step's validator and its parameters; any other step's own parameters."""
        if step.type != "input":
            if step.validator:
                self.add(
                    line_of(item, "validator"), f"{where}: a {step.type} step takes no validator"
                )
            self._params(step, item, TYPE_PARAMS[step.type], f"a {step.type} step")
        elif not step.validator:
            self.add(step.line, f"{where}: missing field 'validator'")
        elif step.validator not in VALIDATORS:
            self.add(
                line_of(item, "validator"),
                f"{where}: unknown validator {step.validator!r} (known: {', '.join(sorted(VALIDATORS))})",
            )
        else:
            self._params(
                step, item, VALIDATOR_PARAMS[step.validator], f"validator {step.validator}"
            )

    def _options(self, step: Step, item: LineDict, where: str) -> None:
        """Options where the step type needs them, and its ``accept`` among them."""
        if step.type in _NEEDS_OPTIONS and not step.options:
            self.add(step.line, f"{where}: a {step.type} step needs 'options'")
        values = [o.value for o in step.options]
        if step.type in ("consent", "confirm") and step.options:
            accept = str(
                step.params.get("accept", "yes" if step.type == "consent" else "confirmed")
            )
            if accept not in values:
                self.add(
                    line_of(item, "params"),
                    f"{where}: accept {accept!r} is not one of its option values",
                )

    def _params(self, step: Step, item: LineDict, model: type[BaseModel], what: str) -> None:
        try:
            model.model_validate(step.params)
        except ValidationError as exc:
            raw_params = item.get("params")
            for error in exc.errors():
                loc = error.get("loc") or ()
                key = str(loc[0]) if loc else ""
                known = (
                    ", ".join(f.alias or name for name, f in model.model_fields.items()) or "none"
                )
                if error.get("type") == "extra_forbidden":
                    message = f"unknown parameter {key!r} for {what} (known: {known})"
                else:
                    message = f"parameter {key!r}: {describe(error)}"
                self.add(
                    line_at(raw_params, loc) if raw_params else step.line,
                    f"step {step.field}: {message}",
                )
        if step.type == "hub" and (source := step.params.get("from")) and source not in self.known:
            self.add(
                line_of(item, "params"),
                f"step {step.field}: params.from names unknown field {source!r}",
            )

    def _condition(self, cond: Condition, raw: Any, where: str) -> None:
        line = line_of(raw) if isinstance(raw, LineDict) else 1
        unknown = [f for f in cond.fields() if f not in self.known]
        for field_id in unknown:
            self.add(line, f"{where}: condition names unknown field {field_id!r}")
        if unknown or cond.field is None:
            return
        options = self.flow.step(cond.field).options
        values = [o.value for o in options]
        for value in cond.equals:
            if options and value not in values:
                label = next((o for o in options if o.label == value), None)
                hint = f" (that is the label of {label.value!r})" if label else ""
                self.add(
                    line_of(raw, "equals") if isinstance(raw, LineDict) else line,
                    f"{where}: condition value {value!r} is not an option value of "
                    f"{cond.field} (values: {', '.join(values)}){hint}",
                )

    def _check(self, check: Check) -> None:
        for field_id in check.different:
            if field_id not in self.known:
                self.add(check.line, f"check: names unknown field {field_id!r}")
        if check.unless is not None:
            self._condition(check.unless, None, "check")
        for name in _template_names(check.message):
            if name not in ("other", "other_label", "academic_year"):
                self.add(check.line, f"check: message uses unknown placeholder {{{name}}}")

    def _field(self, line: int, role: str, field_id: str, kinds: tuple[str, ...] = ()) -> None:
        if field_id not in self.known:
            self.add(line, f"submission: {role} names no field of this form ({field_id!r})")
            return
        step = self.flow.step(field_id)
        if kinds and step.type not in kinds and step.validator not in kinds:
            self.add(
                line, f"submission: {role} must be a {' or '.join(kinds)} field, not {field_id!r}"
            )

    def _submission(self, sub: Submission) -> None:
        raw = self.raw.get("submission")
        assert isinstance(raw, LineDict)
        self._field(line_of(raw, "hub"), "hub", sub.hub, ("hub",))
        self._field(line_of(raw, "title"), "title", sub.title)
        self._people(sub, raw)
        if sub.commitments is not None:
            self._field(line_of(raw, "commitments"), "commitments", sub.commitments, ("confirm",))
        if sub.notify_when_open is not None:
            self._notify(sub.notify_when_open, raw.get("notify_when_open"))
        self._templates(sub, raw)
        if not any(s.type == "review" for s in self.flow.steps):
            self.add(line_of(raw), "submission: a form needs a review step before it is submitted")

    def _people(self, sub: Submission, raw: LineDict) -> None:
        """Who is copied in and who replies: each name and email a field of the form."""
        for key, people in (("cc", sub.cc), ("reply_to", (sub.reply_to,) if sub.reply_to else ())):
            raw_people = raw.get(key)
            for n, person in enumerate(people):
                raw_person = raw_people[n] if isinstance(raw_people, LineList) else raw_people
                name = f"{key}[{n + 1}]" if key == "cc" else key
                self._field(line_of(raw_person, "name"), f"{name}.name", person.name)
                self._field(line_of(raw_person, "email"), f"{name}.email", person.email, ("email",))

    def _notify(self, notify: NotifyWhenOpen, raw_notify: Any) -> None:
        """The "tell me when applications open" question: a yes/no field, and its email."""
        self._field(
            line_of(raw_notify, "field"),
            "notify_when_open.field",
            notify.field,
            ("choice", "yes_no"),
        )
        step = self.flow.step(notify.field) if notify.field in self.known else None
        if (
            step is not None
            and step.type == "choice"
            and "yes" not in {o.value for o in step.options}
        ):
            self.add(
                line_of(raw_notify, "field"),
                f"submission: notify_when_open.field {notify.field!r} has no option "
                "with value 'yes'",
            )
        if notify.email is not None:
            self._field(
                line_of(raw_notify, "email"), "notify_when_open.email", notify.email, ("email",)
            )

    def _templates(self, sub: Submission, raw: LineDict) -> None:
        """Every placeholder in the submission's texts names a field or a known value."""
        if sub.window is not None:
            raw_window = raw.get("window")
            raw_open = raw_window.get("while_open") if isinstance(raw_window, LineDict) else None
            for name in _template_names(sub.window.while_open.message):
                if name not in self.known | WHILE_OPEN_NAMES:
                    self.add(
                        line_of(raw_open, "message"),
                        f"submission: window.while_open.message uses unknown placeholder {{{name}}}",
                    )
        allowed = self.known | TEMPLATE_NAMES
        for key in (
            "subject",
            "heading",
            "confirmation",
            "held_confirmation",
            "footer",
            "signatures_note",
        ):
            for name in _template_names(getattr(sub, key) or ""):
                if name not in allowed:
                    self.add(
                        line_of(raw, key), f"submission: {key} uses unknown placeholder {{{name}}}"
                    )


def _unreachable(flow: Flow) -> list[Step]:
    """Steps no path can reach: every conditional step may be taken or skipped."""
    reached: set[int] = set()
    frontier = [0]
    while frontier:
        position = frontier.pop()
        if position in reached or position >= len(flow.steps):
            continue
        reached.add(position)
        step = flow.steps[position]
        if step.when is not None:
            frontier.append(position + 1)
        if step.next == "end":
            continue
        if step.next and not flow.has(step.next):
            continue  # reported as an unknown step already
        frontier.append(flow.index(step.next) if step.next else position + 1)
    return [s for i, s in enumerate(flow.steps) if i not in reached]
