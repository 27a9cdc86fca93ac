"""Validators for contact details: a UK school address with its postcode, an email
address, a school URN and a UK telephone number.

Split from :mod:`bot.flows.validators`; each registers itself under the name a flow's
step uses (``address``, ``email``, ``urn``, ``uk_phone``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.flows._validation import Checked, clean
from bot.flows._validation import bounded as _bounded
from bot.flows._validation import register as _register
from bot.knowledge.text import strip_control

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
