"""The flow format's vocabulary: step types, option shapes, each step type's parameters,
and the conditions and criteria a step may carry.

Split from :mod:`bot.flows.model` (the typed flow) so the parameters a step type takes
(``consent: accept``, ``verdict: window``) sit in one short list a form author can read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

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


# -- conditions and criteria a step may carry ---------------------------------------------


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
