"""Issue 13 items 2, 5, 8 and 10 through ``python -m bot chat --jsonl``: the school's
postcode, telephone numbers as hub staff write them, middle-school year groups, and
examples that name no real school."""

from __future__ import annotations

import csv
import email
import email.message
import email.policy
import io
import json
from pathlib import Path
from typing import Any

from tests.conftest import EOI_ANSWERS, ROOT, run_bot
from tests.test_console import run_chat, turns

ANSWERS = dict(EOI_ANSWERS)


def _text(turn: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in turn)


def _asked(turn: list[dict[str, Any]]) -> str | None:
    return next((m["field"] for m in reversed(turn) if m["field"]), None)


def _until(field: str) -> list[str]:
    """/apply and the sample answers up to (not including) ``field``."""
    lines = ["/apply eoi"]
    for name, value in EOI_ANSWERS:
        if name == field:
            return lines
        lines.append(value)
    raise AssertionError(field)


def _after(field: str) -> list[str]:
    names = [name for name, _ in EOI_ANSWERS]
    return [value for _, value in EOI_ANSWERS[names.index(field) + 1 :]]


# -- 2. the postcode -------------------------------------------------------------------------


def test_an_address_needs_a_postcode_which_is_normalised_and_suggests_the_hub(
    bot_env: dict[str, str],
) -> None:
    lines = [*_until("school_address"), "Gledhow Lane, Leeds", "Gledhow Lane, Leeds ls81rx"]
    lines += _after("school_address")[:6]  # up to the hub question
    conversation = turns(run_chat(bot_env, lines, "--user", "a1"))
    refused = conversation[len(_until("school_address")) + 1]
    assert "postcode" in _text(refused) and _asked(refused) == "school_address"
    saved = _text(conversation[len(_until("school_address")) + 2])
    assert "Saved as: Gledhow Lane, Leeds LS8 1RX" in saved
    hub = conversation[-1]
    assert _asked(hub) == "maths_hub"
    assert hub[-1]["options"][0]["value"] == "west-yorkshire"  # the postcode's hub first


def test_an_address_outside_england_offers_to_continue_or_stop(bot_env: dict[str, str]) -> None:
    lines = [*_until("school_address"), "Heol y Castell, Cardiff CF10 1AA", "Stop here"]
    conversation = turns(run_chat(bot_env, lines, "--user", "a2"))
    asked = conversation[-2]
    assert "CF10 is in Wales" in _text(asked) and "schools in England" in _text(asked)
    assert [o["label"] for o in asked[-1]["options"]] == ["Continue with this address", "Stop here"]
    assert "Stopped" in _text(conversation[-1])
    # Nothing was lost, and the address is asked again; continuing keeps it.
    again = turns(
        run_chat(bot_env, ["/resume", "Heol y Castell, Cardiff CF10 1AA", "1"], "--user", "a2")
    )
    assert _asked(again[1]) == "school_address"
    assert "is in Wales" in _text(again[2])
    assert _asked(again[3]) == "school_urn"


def test_a_scottish_postcode_is_flagged_too(bot_env: dict[str, str]) -> None:
    lines = [*_until("school_address"), "12 High Street, Edinburgh eh1 1aa"]
    conversation = turns(run_chat(bot_env, lines, "--user", "a3"))
    assert "EH1 is in Scotland" in _text(conversation[-1])


# -- 5. telephone numbers ----------------------------------------------------------------------


def test_phones_are_kept_in_the_national_format_and_the_csv_shows_them_so(
    bot_env: dict[str, str],
) -> None:
    lines = [*_until("school_phone"), "+44 (0)113 393 1200", *_after("school_phone"), "submit"]
    conversation = turns(run_chat(bot_env, lines, "--user", "p1"))
    assert "Saved as: 0113 393 1200" in _text(conversation[len(_until("school_phone")) + 1])
    assert "Reference: EOI-2026-0001" in _text(conversation[-1])
    exported = run_bot(bot_env, "export", "--form", "eoi", "--hub", "enigma")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert rows[0]["school_phone"] == "0113 393 1200"
    assert "+44" not in exported.stdout and "'+" not in exported.stdout


def test_a_number_outside_the_uk_keeps_its_international_form(bot_env: dict[str, str]) -> None:
    lines = [*_until("school_phone"), "+35312345678"]
    conversation = turns(run_chat(bot_env, lines, "--user", "p2"))
    assert "Saved as: +353 1 234 5678" in _text(conversation[-1])


# -- 8. year groups ----------------------------------------------------------------------------


def test_middle_schools_can_give_years_5_and_6(bot_env: dict[str, str]) -> None:
    lines = [*_until("teacher1_year_groups"), "3, 4", "Y5-8"]
    conversation = turns(run_chat(bot_env, lines, "--user", "y1"))
    refused = _text(conversation[-2])
    assert "from 7 to 13 in a secondary school" in refused and "3, 4" in refused
    assert "Saved as: Year 5, Year 6, Year 7, Year 8" in _text(conversation[-1])


# -- 10. no real school in the examples -------------------------------------------------------


def test_no_real_school_in_the_examples() -> None:
    real = ["Denbigh " + "School", "1103" + "94", "MK5 " + "6BH", "5050" + "30"]
    files = [ROOT / "README.md", *(ROOT / "flows").glob("*"), *(ROOT / "tests").glob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}: {value}"
        for path in files
        if path.is_file()
        for value in real
        if value in path.read_text(encoding="utf-8")
    ]
    assert found == []
    # The hub directory names that school as a lead school: a fact, not an example.
    assert "Denbigh" in Path(ROOT / "knowledge" / "hubs.yaml").read_text(encoding="utf-8")


# -- 9. who submitted it -----------------------------------------------------------------------


def test_the_submitter_is_in_the_email_its_attachments_and_the_export(
    bot_env: dict[str, str],
) -> None:
    lines = ["/apply eoi", *ANSWERS.values(), "submit"]
    conversation = turns(run_chat(bot_env, lines, "--user", "s1"))
    asked = [_asked(t) for t in conversation]
    assert asked.index("submitter_name") == asked.index("commitments") + 1
    assert "Reference: EOI-2026-0001" in _text(conversation[-1])
    (eml,) = (Path(bot_env["BOT_DATA_DIR"]) / "mail").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Submitted by: Morgan Example" in text
    assert "Role of the person submitting: School business manager" in text
    attached = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    record = json.loads(attached["application.json"])
    assert record["submitter_name"] == "Morgan Example"
    assert record["submitter_role"] == "School business manager"
    assert "submitter_name" in attached["application.csv"].splitlines()[0]
    exported = run_bot(bot_env, "export", "--form", "eoi", "--hub", "enigma")
    (row,) = csv.DictReader(io.StringIO(exported.stdout))
    assert (row["submitter_name"], row["submitter_role"]) == (
        "Morgan Example",
        "School business manager",
    )
