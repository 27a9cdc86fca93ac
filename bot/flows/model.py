"""Flows parsed once from ``flows/*.yaml`` into typed, validated objects.

A flow file is checked in two passes.  First its shape: pydantic models with
``extra="forbid"`` refuse unknown keys (``optinal: true``), wrong types and unknown step
types.  Then its meaning, which needs the whole file: every field a condition, check or
role names exists; a ``when`` value is one of the options' *values* (not a label);
validator and step parameters are ones the validator or step knows (``max_char`` is
refused, not ignored); a form's submission roles name fields of the right kind.  Every
problem is reported as ``file:line: problem``, so ``python -m bot check`` tells a hub
editor exactly which line to fix, and the assistant refuses to start until it is fixed.

Nothing outside the YAML says what a particular form asks or where it goes: a flow with
a ``submission`` block is an application form, and that block names the fields that
play each role (the hub, the school, who is copied in, who replies).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from bot._yaml import LineDict, LineList, Problems, YamlProblem, line_of, load_yaml
from bot.exceptions import KnowledgeError
from bot.flows.validators import VALIDATOR_PARAMS, VALIDATORS
from bot.knowledge.text import fold
from bot.replies import Option

StepType = Literal[
    "input", "choice", "consent", "confirm", "hub", "place", "hub_pick", "review", "verdict"
]  # fmt: skip
STEP_TYPES: tuple[str, ...] = StepType.__args__  # type: ignore[attr-defined]
_NEEDS_OPTIONS = ("choice", "consent", "confirm")
FIELD_PATTERN = r"^[a-z][a-z0-9_]*$"
_FIELD = re.compile(FIELD_PATTERN)
_STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
# Shorthands YAML allows (a single string for a list, a bare label for an option) are
# normalised on loading; the published schema accepts them as written.
OneOrMany = Annotated[tuple[str, ...], WithJsonSchema({"anyOf": [{"type": "string"}, _STRINGS]})]
_OPTION = {
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {"label": {"type": "string"}, "value": {"type": "string"}},
            "required": ["label"],
            "additionalProperties": False,
        },
    ]
}
Options = Annotated[tuple[Option, ...], WithJsonSchema({"type": "array", "items": _OPTION})]
# Placeholders every template may use besides the form's own field ids.
TEMPLATE_NAMES = frozenset({"reference", "hub_name", "academic_year"})
# What a window's while_open message may use besides the form's field ids.
WHILE_OPEN_NAMES = frozenset(
    {"summary", "window_label", "window_opens", "window_closes", "hub_name", "academic_year"}
)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


# -- parameters a step type takes (validators declare theirs in validators.py) -------------


class ConsentParams(_Spec):
    accept: str = Field("yes", description="The option value that means 'I agree'.")
    declined: str = Field("Stopped.", description="Said when the person does not agree.")


class ConfirmParams(_Spec):
    accept: str = Field("confirmed", description="The option value that confirms.")
    refused: str = Field(
        "This confirmation is needed before the form can be submitted.",
        description="Said when the person does not confirm; the question is asked again.",
    )


class HubParams(_Spec):
    from_: str = Field(
        alias="from", description="The field (an address) from which the hub is suggested."
    )


class VerdictParams(_Spec):
    kind: Literal["eligibility", "hub"] = "eligibility"
    window: str | None = Field(None, description="An application window id in knowledge/faq.yaml.")
    pass_heading: str = ""
    pass_next: str = ""
    fail_heading: str = ""
    fail_next: str = ""
    source_note: str | None = None


class _NoParams(_Spec):
    pass


TYPE_PARAMS: dict[str, type[BaseModel]] = {
    "consent": ConsentParams,
    "confirm": ConfirmParams,
    "hub": HubParams,
    "verdict": VerdictParams,
    "choice": _NoParams,
    "place": _NoParams,
    "hub_pick": _NoParams,
    "review": _NoParams,
}


# -- the flow format ---------------------------------------------------------------------------


class Condition(_Spec):
    """Ask a step only when an earlier answer has one of these option values, or (``same``)
    when two earlier answers are the same (one person given twice)."""

    field: str | None = Field(None, pattern=FIELD_PATTERN)
    equals: OneOrMany = Field(
        (), description="An option value (or a list of them) of the named field."
    )
    same: tuple[str, str] | None = Field(
        None, description="Two field ids: holds when both are answered with the same value."
    )

    @field_validator("equals", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | int | float | bool) else value

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        if (self.same is None) == (self.field is None):
            raise ValueError("a condition has either 'field' and 'equals', or 'same'")
        if self.field is not None and not self.equals:
            raise ValueError("missing field 'equals'")
        return self

    def fields(self) -> tuple[str, ...]:
        return self.same if self.same is not None else (self.field or "",)

    def holds(self, answers: Mapping[str, str]) -> bool:
        if self.same is not None:
            first, second = (answers.get(f, "") for f in self.same)
            return bool(first) and same_answer(first, second)
        return answers.get(self.field or "") in self.equals


def same_answer(a: str, b: str) -> bool:
    """Names match loosely (case, accents, punctuation); addresses only exactly (ignoring
    case): a.b@school.org and a-b@school.org are two different people."""
    if "@" in a or "@" in b:
        return a.strip().casefold() == b.strip().casefold()
    return fold(a) == fold(b)


class Criterion(_Spec):
    """An essential criterion the answer must meet (``passes`` is the option value that
    meets it).  An eligibility check gives its verdict at the end; a criterion with
    ``stop`` or ``advice`` gives it as soon as the answer is given."""

    name: str
    passes: str = "yes"
    failure: str = Field(description="Why the criterion matters, said when it is not met.")
    met: str | None = Field(None, description="Said after 'NAME: met.' when it is met.")
    advice: str | None = Field(None, description="What to do if it is not met.")
    stop: bool = Field(
        False,
        description="true: an answer that does not meet it ends the form (nothing is kept); "
        "changed once later questions are answered, it is refused and the answers are kept.",
    )

    @property
    def immediate(self) -> bool:
        """Whether the verdict is given as the question is answered."""
        return self.stop or self.advice is not None or self.met is not None


class Step(_Spec):
    field: str = Field(pattern=FIELD_PATTERN, description="The answer's id (a contract).")
    type: StepType = "input"
    prompt: str = ""
    label: str = ""
    section: str | None = None
    help: str | None = None
    example: str | None = None
    validator: str | None = Field(None, description="For input steps: how the answer is checked.")
    params: dict[str, Any] = Field(default_factory=dict)
    options: Options = ()
    optional: bool = False
    when: Condition | None = None
    window: Literal["open", "closed"] | None = Field(
        None,
        description="Ask this step only while the form's application window "
        "(submission.window) is open, or only while it is closed.",
    )
    next: str | None = Field(None, description="A step id to go to next, or 'end'.")
    criterion: Criterion | None = None
    _line: int = PrivateAttr(default=1)

    @model_validator(mode="before")
    @classmethod
    def _default_label(cls, value: Any) -> Any:
        if isinstance(value, Mapping) and not value.get("label") and value.get("field"):
            return {**value, "label": str(value["field"]).replace("_", " ").capitalize()}
        return value

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        out = []
        for item in value or []:
            if isinstance(item, Mapping):
                extra = sorted(set(item) - {"label", "value"})
                if extra:
                    raise ValueError(f"an option has only 'label' and 'value', not {extra[0]!r}")
                if "label" not in item:
                    raise ValueError("an option needs a 'label'")
                label = str(item["label"])
                out.append({"label": label, "value": str(item.get("value", label))})
            else:
                out.append({"label": str(item), "value": str(item)})
        return out

    @property
    def line(self) -> int:
        return self._line

    @property
    def is_question(self) -> bool:
        return self.type not in ("review", "verdict")


class Check(_Spec):
    """A rule across two answers: they must differ (unless a condition holds)."""

    different: tuple[str, str] = Field(description="Two field ids whose answers must differ.")
    message: str = Field(
        description="Said when they are the same; may use {other} (the earlier answer) and "
        "{other_label}."
    )
    unless: Condition | None = None
    _line: int = PrivateAttr(default=1)

    @property
    def line(self) -> int:
        return self._line


class Person(_Spec):
    """Someone the form names: their name's field and their email's field."""

    name: str = Field(pattern=FIELD_PATTERN)
    email: str = Field(pattern=FIELD_PATTERN)
    role: str | None = Field(None, description="How the email describes them.")


class NotifyWhenOpen(_Spec):
    """A question whose "yes" asks to be told once when the next application window opens
    (bot/notify.py): in the Telegram chat, or by email to ``email`` on the web and terminal."""

    field: str = Field(
        pattern=FIELD_PATTERN, description="A choice field with a 'yes' option, or a yes_no field."
    )
    email: str | None = Field(
        None,
        pattern=FIELD_PATTERN,
        description="The email field web and terminal users are told at.",
    )


class WhileOpen(_Spec):
    """What a form does instead of submitting while an application window is open."""

    button: str = Field(description="The review's button (instead of submitting).")
    message: str = Field(
        description="Said instead of submitting; may use {summary} (the answers as text to "
        "paste elsewhere), {window_label}, {window_opens}, {window_closes}, {hub_name}, "
        "{academic_year} and the form's field ids."
    )


class WindowOutcome(_Spec):
    """The outcome depends on the programme's application window on the day
    (``windows:`` in knowledge/faq.yaml, the settings clock's date): while one is open,
    ``while_open``; while none is, the submission as declared (the email to the hub)."""

    programme: Literal["specialist", "workgroups"] = Field(
        description="Whose application windows count."
    )
    while_open: WhileOpen


class Submission(_Spec):
    """What happens when the form is submitted: the roles its fields play."""

    reference_prefix: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    hub: str = Field(pattern=FIELD_PATTERN, description="The hub step's field (To: the hub).")
    title: str = Field(
        pattern=FIELD_PATTERN, description="The field that names the application (the school)."
    )
    subject: str = Field(description="The email's subject; may use {reference} and field ids.")
    heading: str
    cc: tuple[Person, ...] = Field((), description="Copied in (the signatories), in this order.")
    reply_to: Person | None = None
    commitments: str | None = Field(
        None, description="A confirm step whose bullet list the email repeats above the signatures."
    )
    signatures_note: str | None = None
    confirmation: str = Field(
        description="Told to the applicant once submitted; may use {reference} and {hub_name}."
    )
    held_confirmation: str | None = Field(
        None,
        description="Told instead of 'confirmation' when the email cannot reach the hub yet "
        "(no mail server is set, or the hub has no real address): the application is saved "
        "and reaches the hub once the service's operator sends it.",
    )
    footer: str = ""
    notify_when_open: NotifyWhenOpen | None = Field(
        None, description="The question that asks to be told when applications open."
    )
    submit_button: str = Field("Submit application", description="The review's submit button.")
    window: WindowOutcome | None = Field(
        None,
        description="Submit only while no application window is open; while one is, say "
        "'window.while_open.message' instead.",
    )


class Flow(_Spec):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = ""
    short_name: str | None = Field(None, description="What the form is called in a sentence.")
    menu: str | None = Field(None, description="The menu button that starts the form.")
    intro: str | None = None
    private: bool = False
    source: OneOrMany = ()
    steps: tuple[Step, ...] = Field(min_length=1)
    checks: tuple[Check, ...] = ()
    submission: Submission | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _sources(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def name(self) -> str:
        return self.short_name or self.title or self.id

    @property
    def is_form(self) -> bool:
        """A form is submitted (and so keeps its draft between sessions)."""
        return self.submission is not None

    def step(self, field_id: str) -> Step:
        for step in self.steps:
            if step.field == field_id:
                return step
        raise KeyError(field_id)

    def has(self, field_id: str) -> bool:
        return any(s.field == field_id for s in self.steps)

    def index(self, field_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.field == field_id)

    def answer_fields(self) -> list[str]:
        """The fields an application records, in form order (consent and review left out)."""
        return [s.field for s in self.steps if s.is_question and s.type != "consent"]

    def path(self, answers: Mapping[str, str], window_open: bool | None = None) -> list[Step]:
        """The steps this applicant will see, in order, given the answers so far (and,
        when known, whether the form's application window is open today)."""
        seen: list[Step] = []
        position: int | None = 0
        visited: set[int] = set()
        while position is not None and position < len(self.steps) and position not in visited:
            visited.add(position)
            step = self.steps[position]
            hidden = step.window is not None and window_open is not None
            if (step.when is not None and not step.when.holds(answers)) or (
                hidden and (step.window == "open") != window_open
            ):
                position += 1
                continue
            seen.append(step)
            if step.next == "end":
                position = None
            elif step.next:
                position = self.index(step.next)
            else:
                position += 1
        return seen


def flow_json_schema() -> dict[str, Any]:
    """The JSON Schema of a flow file, for editors' autocompletion (flows/flow.schema.json)."""
    schema = Flow.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Maths Hub assistant flow (flows/*.yaml)"
    return schema


# -- loading -------------------------------------------------------------------------------------


def _line_at(raw: Any, loc: Sequence[int | str]) -> int:
    """The line of the deepest part of ``raw`` that ``loc`` (a pydantic error location) reaches."""
    node, line = raw, line_of(raw)
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line = line_of(node, part)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = line_of(node) if isinstance(node, LineDict | LineList) else line
        elif isinstance(node, LineDict) and isinstance(part, str):
            # An unknown key: pydantic names it; the key's own line is best.
            return node.key_lines.get(part, line)
    return line


def _where(raw: Any, loc: Sequence[int | str]) -> str:
    steps = raw.get("steps") if isinstance(raw, LineDict) else None
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int) and isinstance(steps, list):
        item = steps[loc[1]] if loc[1] < len(steps) else None
        name = item.get("field") if isinstance(item, LineDict) else None
        rest = ".".join(str(p) for p in loc[2:] if not str(p).startswith(("function", "tuple")))
        return f"step {name or loc[1] + 1}" + (f": {rest}" if rest else "")
    return ".".join(str(p) for p in loc) or "flow"


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type")
    loc: tuple[int | str, ...] = tuple(error.get("loc") or ())
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key {last!r}"
    if kind == "missing":
        return f"missing field {last!r}"
    if kind == "literal_error" and loc and loc[-1] == "type":
        return f"unknown type {error.get('input')!r} (known: {', '.join(STEP_TYPES)})"
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")


def _attach_lines(flow: Flow, raw: LineDict) -> None:
    raw_steps = raw.get("steps") or []
    for step, item in zip(flow.steps, raw_steps, strict=False):
        step._line = line_of(item)
    raw_checks = raw.get("checks") or []
    for check, item in zip(flow.checks, raw_checks, strict=False):
        check._line = line_of(item)


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
        if step.type == "input":
            if not step.validator:
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
        else:
            if step.validator:
                self.add(
                    line_of(item, "validator"), f"{where}: a {step.type} step takes no validator"
                )
            self._params(step, item, TYPE_PARAMS[step.type], f"a {step.type} step")
        if step.type in _NEEDS_OPTIONS and not step.options:
            self.add(step.line, f"{where}: a {step.type} step needs 'options'")
        if step.type in ("consent", "confirm") and step.options:
            accept = str(
                step.params.get("accept", "yes" if step.type == "consent" else "confirmed")
            )
            if accept not in {o.value for o in step.options}:
                self.add(
                    line_of(item, "params"),
                    f"{where}: accept {accept!r} is not one of its option values",
                )
        if not step.prompt.strip() and step.is_question:
            self.add(step.line, f"{where}: missing field 'prompt'")
        if step.when is not None:
            self._condition(step.when, item.get("when"), where)
        if step.criterion is not None and step.options:
            values = [o.value for o in step.options]
            if step.criterion.passes not in values:
                self.add(
                    line_of(item.get("criterion"), "passes"),
                    f"{where}: criterion passes {step.criterion.passes!r} is not one of its "
                    f"option values ({', '.join(values)})",
                )
        if step.next and step.next != "end" and step.next not in self.known:
            self.add(line_of(item, "next"), f"{where}: 'next' names unknown step {step.next!r}")

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
                    message = f"parameter {key!r}: {_message(error)}"
                self.add(
                    _line_at(raw_params, loc) if raw_params else step.line,
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
        for key, people in (("cc", sub.cc), ("reply_to", (sub.reply_to,) if sub.reply_to else ())):
            raw_people = raw.get(key)
            for n, person in enumerate(people):
                raw_person = raw_people[n] if isinstance(raw_people, LineList) else raw_people
                name = f"{key}[{n + 1}]" if key == "cc" else key
                self._field(line_of(raw_person, "name"), f"{name}.name", person.name)
                self._field(line_of(raw_person, "email"), f"{name}.email", person.email, ("email",))
        if sub.commitments is not None:
            self._field(line_of(raw, "commitments"), "commitments", sub.commitments, ("confirm",))
        if (notify := sub.notify_when_open) is not None:
            raw_notify = raw.get("notify_when_open")
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
            text = getattr(sub, key)
            for name in _template_names(text or ""):
                if name not in allowed:
                    self.add(
                        line_of(raw, key), f"submission: {key} uses unknown placeholder {{{name}}}"
                    )
        if not any(s.type == "review" for s in self.flow.steps):
            self.add(line_of(raw), "submission: a form needs a review step before it is submitted")


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


def parse_flow(path: Path, raw: Any, problems: Problems) -> Flow | None:
    """One flow file into a :class:`Flow`, or ``None`` with its problems added."""
    if not isinstance(raw, LineDict):
        problems.add(path, 1, "expected a mapping with 'id' and 'steps'")
        return None
    before = len(problems.items)
    try:
        flow = Flow.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error.get("loc") or ()
            # The message names the key itself, so the place stops at its parent.
            named = error.get("type") in ("extra_forbidden", "missing") or loc[-1:] == ("type",)
            place = loc[:-1] if named else loc
            problems.add(path, _line_at(raw, loc), f"{_where(raw, place)}: {_message(error)}")
        return None
    _attach_lines(flow, raw)
    _Checker(path, raw, flow, problems).run()
    return flow if len(problems.items) == before else None


def load_flows(directory: Path) -> dict[str, Flow]:
    problems = Problems()
    flows: dict[str, Flow] = {}
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        raise KnowledgeError([f"{directory}:1: no flow files (*.yaml)"])
    for path in files:
        try:
            raw = load_yaml(path)
        except YamlProblem as exc:
            problems.items.append(str(exc))
            continue
        flow = parse_flow(path, raw, problems)
        if flow is not None:
            if flow.id in flows:
                problems.add(path, 1, f"duplicate flow id {flow.id!r}")
            flows[flow.id] = flow
    if problems:
        raise KnowledgeError(problems.items)
    return flows
