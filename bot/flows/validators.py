"""Validators for answers typed into a flow: text, names, year groups, yes/no, words.

Each takes the raw text and the step's parameters and returns a :class:`Checked` (see
:mod:`bot.flows._validation`); the contact details (address, email, URN, telephone) are
in :mod:`bot.flows.validators_contact`, registered when this module is imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.flows import validators_contact  # noqa: F401 - registers the contact validators
from bot.flows._validation import (
    MAX_ANSWER_CHARS,
    VALIDATOR_PARAMS,
    VALIDATORS,
    Checked,
    NameParams,
    TextParams,
    WordsParams,
    YearGroupsParams,
    clean,
)
from bot.flows._validation import bounded as _bounded
from bot.flows._validation import register as _register
from bot.flows.validators_contact import validate_email_address
from bot.knowledge.text import fold, strip_control

__all__ = [
    "MAX_ANSWER_CHARS",
    "VALIDATORS",
    "VALIDATOR_PARAMS",
    "Checked",
    "academic_year",
    "clean",
    "validate_email_address",
]


@_register("text", TextParams)
def validate_text(text: str, params: Mapping[str, Any]) -> Checked:
    return _bounded(text, str(params.get("what", "answer")), 1, int(params.get("max_chars", 300)))


@_register("name", NameParams)
def validate_name(text: str, params: Mapping[str, Any]) -> Checked:
    what = str(params.get("what", "name"))
    checked = _bounded(text, what, 2, int(params.get("max_chars", 100)))
    if checked.ok and checked.value and re.search(r"[<>{}\[\]@#$%^*=|\\]", checked.value):
        return Checked(
            None, f"The {what} has characters a name doesn't usually have (like < > @ #)."
        )
    return checked


_YEAR_TOKEN = re.compile(r"(\d{1,2})\s*(?:-|–|to)\s*(?:y(?:ear|r)?s?\s*)?(\d{1,2})|(\d{1,2})")


@_register("year_groups", YearGroupsParams)
def validate_year_groups(text: str, params: Mapping[str, Any]) -> Checked:
    value = clean(text).lower()
    value = re.sub(r"\b(years?|yrs?|y)\s*(?=\d)", "", value)
    value = re.sub(r"\bks\s*3\b|key stage 3", "7-9", value)
    value = re.sub(r"\bks\s*4\b|key stage 4", "10-11", value)
    value = re.sub(r"\bks\s*5\b|key stage 5|sixth form", "12-13", value)
    years: set[int] = set()
    leftovers = _YEAR_TOKEN.sub(" ", value)
    for match in _YEAR_TOKEN.finditer(value):
        if match.group(3):
            years.add(int(match.group(3)))
        else:
            low, high = int(match.group(1)), int(match.group(2))
            if low > high:
                low, high = high, low
            years.update(range(low, high + 1))
    junk = re.sub(r"\b(and|to|&)\b|[,;/+\s]", "", leftovers)
    lowest = int(params.get("lowest", 7))
    if not years or junk:
        return Checked(
            None,
            "Please list the year groups (7 to 13), e.g. '7-9' or 'Y7, Y8, Y10'."
            + (
                f" In a middle school, years {lowest} and up can be listed too."
                if lowest < 7
                else ""
            ),
        )
    bad = sorted(y for y in years if not lowest <= y <= 13)
    if bad:
        shown = ", ".join(str(y) for y in bad)
        if lowest < 7:
            return Checked(
                None,
                f"Year groups run from 7 to 13 in a secondary school, and from {lowest} in a "
                f"middle school; {shown} is not one of them.",
            )
        return Checked(None, f"Secondary year groups run from 7 to 13; {shown} is not one of them.")
    return Checked(", ".join(f"Year {y}" for y in sorted(years)))


_YES = {
    "yes",
    "y",
    "yeah",
    "yep",
    "yup",
    "true",
    "correct",
    "i do",
    "we have",
    "i have",
    "yes i do",
    "i agree",
    "agree",
}
_NO = {
    "no",
    "n",
    "nope",
    "nah",
    "false",
    "not yet",
    "i dont",
    "we havent",
    "i havent",
    "no i dont",
    "never",
}


@_register("yes_no")
def validate_yes_no(text: str, params: Mapping[str, Any]) -> Checked:
    value = fold(text)
    if value in _YES or value.startswith("yes "):
        return Checked("yes")
    if value in _NO or value.startswith("no "):
        return Checked("no")
    return Checked(None, "Please answer yes or no.")


@_register("words", WordsParams)
def validate_words(text: str, params: Mapping[str, Any]) -> Checked:
    value = "\n".join(" ".join(line.split()) for line in strip_control(text).strip().splitlines())
    value = re.sub(r"\n{3,}", "\n\n", value).strip()
    count = len(value.split())
    low, high = int(params.get("min_words", 20)), int(params.get("max_words", 250))
    target = params.get("target_words", 150)
    if count == 0:
        return Checked(
            None, f"Please write the statement (about {target} words); it can't be empty."
        )
    if count < low:
        return Checked(
            None,
            f"That is {count} word{'s' if count != 1 else ''}; the statement should be about "
            f"{target} words (at least {low}).",
        )
    if count > high:
        return Checked(
            None,
            f"That is {count} words; please shorten it to about {target} words "
            f"({high} at most). Nothing has been saved yet, so you can paste a shorter version.",
        )
    return Checked(value)


@_register("ncetm_username")
def validate_ncetm_username(text: str, params: Mapping[str, Any]) -> Checked:
    value = clean(text)
    if not value:
        return Checked(
            None, "Please type the NCETM username, or /skip if the teacher hasn't got one."
        )
    if len(value) > 100 or " " in value:
        return Checked(
            None, "An NCETM username is one word (often the email address you registered with)."
        )
    return Checked(value)


def academic_year(today: Any) -> str:
    """The academic year (September to July) a form filled in today is for.

    Work Groups recruit for the September ahead; in September and October the year
    that has just begun is still open, so from November on it is the next one.
    """
    start = today.year + (1 if today.month >= 11 else 0)
    return f"{start}/{(start + 1) % 100:02d}"
