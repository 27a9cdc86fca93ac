"""The flow format's vocabulary: step types, option shapes, and each step type's parameters.

Split from :mod:`bot.flows.model` (the typed flow) so the parameters a step type takes
(``consent: accept``, ``verdict: window``) sit in one short list a form author can read.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
)

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
