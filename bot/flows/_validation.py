"""What every answer validator shares: its result, its parameters, and the registry.

Each validator takes the raw text and the step's parameters and returns a
:class:`Checked`: the normalised value, or a message that says exactly what is wrong
(the engine then asks the same field again).  The validators themselves are in
:mod:`bot.flows.validators` and :mod:`bot.flows.validators_contact`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.knowledge.text import strip_control

MAX_ANSWER_CHARS = 3000


@dataclass(frozen=True)
class Checked:
    value: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


Validator = Callable[[str, Mapping[str, Any]], Checked]
VALIDATORS: dict[str, Validator] = {}


class Params(BaseModel):
    """A validator's parameters: the flow checker refuses any it does not declare."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TextParams(Params):
    what: str = Field("answer", description="What the answer is, in error messages.")
    max_chars: int = Field(300, ge=1, le=3000)


class NameParams(Params):
    what: str = "name"
    max_chars: int = Field(100, ge=2, le=3000)


class YearGroupsParams(Params):
    lowest: int = Field(
        7, ge=1, le=13, description="The lowest year group taken (5 lets middle schools answer)."
    )


class WordsParams(Params):
    min_words: int = Field(20, ge=0)
    target_words: int = Field(150, ge=1)
    max_words: int = Field(250, ge=1)


# The parameters each validator takes; a validator absent here takes none.
VALIDATOR_PARAMS: dict[str, type[Params]] = {}


def register(name: str, params: type[Params] = Params) -> Callable[[Validator], Validator]:
    def wrap(func: Validator) -> Validator:
        VALIDATORS[name] = func
        VALIDATOR_PARAMS[name] = params
        return func

    return wrap


def clean(text: str) -> str:
    return " ".join(strip_control(text).split())


def bounded(text: str, what: str, low: int, high: int) -> Checked:
    """``text`` cleaned, refused when empty, shorter than ``low``, longer than ``high`` or
    without a letter; ``what`` names the answer in the message."""
    value = clean(text)
    if not value:
        return Checked(None, f"Please type the {what}; an empty answer can't be saved.")
    if len(value) < low:
        return Checked(None, f"That looks too short for the {what} (at least {low} characters).")
    if len(value) > high:
        return Checked(
            None, f"That is {len(value)} characters; the {what} can be at most {high} characters."
        )
    if not re.search(r"[^\W\d_]", value):
        return Checked(None, f"The {what} should contain letters, not only numbers or symbols.")
    return Checked(value)
