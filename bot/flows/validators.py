"""Validators for answers typed into a flow.

Each validator takes the raw text and the step's parameters and returns a
:class:`Checked`: the normalised value, or a message that says exactly what is wrong
(the engine then asks the same field again).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field

from bot.knowledge.text import fold, strip_control

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


def _register(name: str, params: type[Params] = Params) -> Callable[[Validator], Validator]:
    def wrap(func: Validator) -> Validator:
        VALIDATORS[name] = func
        VALIDATOR_PARAMS[name] = params
        return func

    return wrap


def clean(text: str) -> str:
    return " ".join(strip_control(text).split())


def _bounded(text: str, what: str, low: int, high: int) -> Checked:
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


# A UK postcode by its format (outward code, then inward code "9AA"); whether the place
# is in England is the hub finder's to say (bot/flows/engine.py).
_POSTCODE = re.compile(
    r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE
)
ADDRESS_EXAMPLE = "'1 Example Road, Milton Keynes MK9 1AA'"


def uk_postcode(text: str) -> str | None:
    """The last UK postcode in ``text``, normalised ("ls81aa" -> "LS8 1AA"), or None."""
    found = list(_POSTCODE.finditer(text))
    if not found:
        return None
    last = found[-1]
    return f"{last.group(1).upper()} {last.group(2).upper()}"


@_register("address")
def validate_address(text: str, params: Mapping[str, Any]) -> Checked:
    value = ", ".join(
        p.strip() for p in strip_control(text).replace("\n", ",").split(",") if p.strip()
    )
    checked = _bounded(value, "school address", 8, 300)
    if not checked.ok:
        return checked
    postcode = uk_postcode(value)
    if postcode is None:
        return Checked(
            None,
            "Please give the full address including the school's postcode (like MK9 1AA), "
            f"e.g. {ADDRESS_EXAMPLE}.",
        )
    last = list(_POSTCODE.finditer(value))[-1]
    value = f"{value[: last.start()]}{postcode}{value[last.end() :]}"
    return Checked(" ".join(value.split()))


@_register("email")
def validate_email_address(text: str, params: Mapping[str, Any]) -> Checked:
    value = clean(text)
    if not value:
        return Checked(None, "Please type an email address, e.g. name@school.org.uk.")
    if len(value) > 254:
        return Checked(None, "That is too long to be an email address (254 characters at most).")
    local = value.rpartition("@")[0]
    if not local.isascii():
        # Delivering to such an address needs SMTPUTF8, which many school mail servers
        # lack: better to ask now than to drop the address from the email silently.
        odd = "".join(dict.fromkeys(c for c in local if not c.isascii()))[:5]
        return Checked(
            None,
            f"I can only email addresses whose part before the @ uses plain letters a-z, "
            f"digits and . _ - + (this one has {odd}). Please give another address for this "
            "person, such as their school one.",
        )
    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        return Checked(
            None, f"That isn't a valid email address: {exc} Example: name@school.org.uk."
        )
    # An international domain (bücher.de) is kept in its ASCII form (xn--bcher-kva.de),
    # which every mail server can deliver to.
    return Checked(result.ascii_email or result.normalized)


@_register("urn")
def validate_urn(text: str, params: Mapping[str, Any]) -> Checked:
    value = re.sub(r"[\s-]", "", clean(text)).upper().removeprefix("URN").removeprefix(":")
    if not value:
        return Checked(None, "Please type your school's URN: six digits, e.g. 123456.")
    if not (value.isascii() and value.isdigit()):
        return Checked(None, "A URN has only digits: six of them, e.g. 123456.")
    if len(value) != 6:
        return Checked(
            None, f"A URN has exactly six digits; that has {len(value)}. Example: 123456."
        )
    return Checked(value)


@_register("uk_phone")
def validate_uk_phone(text: str, params: Mapping[str, Any]) -> Checked:
    value = clean(text)
    if not value or len(value) > 40:
        return Checked(None, f"Please type a UK telephone number, e.g. {PHONE_EXAMPLE}.")
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return Checked(
            None, f"That doesn't look like a telephone number. Example: {PHONE_EXAMPLE}."
        )
    if not phonenumbers.is_valid_number(number):
        return Checked(
            None,
            f"That isn't a valid UK telephone number. Example: {PHONE_EXAMPLE}, with the "
            "area code.",
        )
    # Stored as hub staff write it (0113 496 0000), never +44: a spreadsheet shows it as
    # typed, and the CSV's formula guard has no reason to prefix it.  A number outside the
    # UK keeps its international form, the only one that dials it from here.
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return Checked(phonenumbers.format_number(number, style))


PHONE_EXAMPLE = "0113 496 0000"
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
