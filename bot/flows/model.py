"""Flows parsed once from ``flows/*.yaml`` into typed, validated objects.

Pydantic models with ``extra="forbid"`` give a flow file its shape: unknown keys
(``optinal: true``), wrong types and unknown step types are refused.  Reading the files,
with every problem reported as ``file:line``, is :mod:`bot.flows.loading`; the checks that
need the whole file are :mod:`bot.flows._checker`; step types' parameters are
:mod:`bot.flows._spec`.  Nothing outside the YAML says what a particular form asks or
where it goes: a flow with a ``submission`` block is an application form, and that block
names the fields that play each role (the hub, the school, who is copied in, who replies).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from bot.flows._spec import (
    FIELD_PATTERN,
    OneOrMany,
    Options,
    StepType,
    _Spec,
)
from bot.flows._spec import Condition as Condition  # re-exported: part of the flow's model
from bot.flows._spec import Criterion as Criterion
from bot.flows._spec import same_answer as same_answer

# -- the flow format ---------------------------------------------------------------------------


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
