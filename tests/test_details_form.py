"""Issue 13 through the console's JSON-lines channel (``python -m bot chat --jsonl``), as a
school office would type it: questions in the middle of the form, editing at the review,
the progress count."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

from tests.conftest import EOI_ANSWERS
from tests.test_console import run_chat, turns

ANSWERS = [value for _, value in EOI_ANSWERS]


def _text(turn: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in turn)


def _asked(turn: list[dict[str, Any]]) -> str | None:
    return next((m["field"] for m in reversed(turn) if m["field"]), None)


def _labels(turn: list[dict[str, Any]]) -> list[str]:
    return [o["label"] for m in turn for o in m["options"]]


# -- 1. a question in the middle of the form ---------------------------------------------------


def test_a_question_without_a_question_mark_is_asked_about_not_saved(
    bot_env: dict[str, str],
) -> None:
    lines = [
        "/apply eoi",
        "I agree",
        "where do i find our URN",
        "It's a question",
        "Oak Lane Academy",
    ]
    conversation = turns(run_chat(bot_env, lines, "--user", "q1"))
    unclear = conversation[3]
    assert 'Is "where do i find our URN" the school name, or a question?' in _text(unclear)
    assert _labels(unclear) == ["It's the school name", "It's a question"]
    assert _asked(unclear) == "school_name"  # a Telegram button for it answers this step
    answered = _text(conversation[4])
    assert "Get Information about Schools" in answered
    assert (
        "What is the name of the school?" in answered and _asked(conversation[4]) == "school_name"
    )
    assert _asked(conversation[5]) == "school_address"  # the name itself was then taken


def test_the_unclear_message_can_be_the_answer_after_all(bot_env: dict[str, str]) -> None:
    lines = ["/apply eoi", "I agree", "Who Dares Academy", "1", "/status"]
    conversation = turns(run_chat(bot_env, lines, "--user", "q2"))
    assert "or a question?" in _text(conversation[3])
    assert _asked(conversation[4]) == "school_address"
    assert "Who Dares Academy" not in _text(conversation[4])  # taken as typed, not re-shown


def test_questions_are_answered_and_plain_answers_taken(bot_env: dict[str, str]) -> None:
    lines = [
        "/apply eoi",
        "I agree",
        "Oak Lane Academy",
        "how long will this take?",  # was refused as a bad address
        "where do I find the URN?",
        "Will Smith Way, Leeds LS8 1AA",  # a name-like word first is still an answer
    ]
    conversation = turns(run_chat(bot_env, lines, "--user", "q3"))
    how_long = _text(conversation[4])
    assert "questions to go" in how_long and "address" not in how_long.split("Back to")[0]
    assert _asked(conversation[4]) == "school_address"
    assert "Get Information about Schools" in _text(conversation[5])
    assert _asked(conversation[5]) == "school_address"
    assert _asked(conversation[6]) == "school_urn"


def test_a_choice_question_answers_a_question_instead_of_refusing_it(
    bot_env: dict[str, str],
) -> None:
    lines = ["/apply eoi", "what do you do with my information"]
    conversation = turns(run_chat(bot_env, lines, "--user", "q4"))
    reply = _text(conversation[2])
    assert "Please choose" not in reply and "Back to the form" in reply
    assert _asked(conversation[2]) == "privacy_consent"


# -- 3. editing at the review -----------------------------------------------------------------


def test_review_edits_by_part_of_a_label_section_and_number(bot_env: dict[str, str]) -> None:
    lines = ["/apply eoi", *ANSWERS]
    lines += [
        "Teacher 2 role",  # part of "Teacher 2 role/responsibility"
        "Head of Department",
        "Teacher 2",  # a section: then a choice
        "2",  # its second answer: the email
        "p.shah2@academy.example.org",
        "email",  # several answers: a choice, never a submission
        "Back to the summary",
        "Submit application",
    ]
    conversation = turns(run_chat(bot_env, lines, "--user", "r1"))
    at = len(ANSWERS) + 2
    assert _asked(conversation[at - 1]) == "review"
    assert _asked(conversation[at]) == "teacher2_role"
    assert _asked(conversation[at + 1]) == "review"
    assert "Head of Department" in _text(conversation[at + 1])
    assert _labels(conversation[at + 2])[:5] == [
        "Teacher 2 name",
        "Teacher 2 email",
        "Teacher 2 NCETM username",
        "Teacher 2 year groups",
        "Teacher 2 role/responsibility",
    ]
    assert _asked(conversation[at + 3]) == "teacher2_email"
    assert "p.shah2@academy.example.org" in _text(conversation[at + 4])
    emails = _labels(conversation[at + 5])
    assert "Teacher 1 email" in emails and "Head of department email" in emails
    assert "Reference" not in _text(conversation[at + 5])
    assert "Reference: EOI-2026-0001" in _text(conversation[-1])


def test_an_unknown_reply_at_review_never_submits_and_the_next_number_edits(
    bot_env: dict[str, str],
) -> None:
    lines = ["/apply eoi", *ANSWERS, "Teacher 3 pet's name", "1", "2", "Submit"]
    conversation = turns(run_chat(bot_env, lines, "--user", "r2"))
    at = len(ANSWERS) + 2
    unknown = _text(conversation[at])
    assert "nothing was submitted" in unknown and "Reference" not in unknown
    assert "Submit application" not in _labels(conversation[at])
    assert _asked(conversation[at + 1]) == "school_name"  # "1": the first answer, not Submit
    assert "Reference" not in _text(conversation[at + 1])


def test_an_edit_in_progress_survives_a_restart(bot_env: dict[str, str]) -> None:
    turns(run_chat(bot_env, ["/apply eoi", *ANSWERS, "URN"], "--user", "r3"))
    again = turns(run_chat(bot_env, ["654321"], "--user", "r3"))
    assert _asked(again[0]) == "school_urn" and "Current answer: 123456" in _text(again[0])
    assert _asked(again[1]) == "review" and "654321" in _text(again[1])


def test_a_list_of_answers_to_change_survives_a_restart(bot_env: dict[str, str]) -> None:
    turns(run_chat(bot_env, ["/apply eoi", *ANSWERS, "email"], "--user", "r4"))
    again = turns(run_chat(bot_env, ["1"], "--user", "r4"))
    assert "Which answer would you like to change?" in _text(again[0])
    assert _asked(again[1]) == "head_email"


# -- 7. progress ------------------------------------------------------------------------------


def test_progress_counts_down_without_jumping_when_a_question_appears(
    bot_env: dict[str, str],
) -> None:
    answers = dict(EOI_ANSWERS)
    answers["worked_with_specialist"] = "Yes"
    lines = ["/apply eoi", *answers.values()]
    lines.insert(lines.index("Yes") + 1, "Chris Lee (Example Maths Hub): joint planning in Year 7")
    conversation = turns(run_chat(bot_env, lines, "--user", "p1"))
    import re

    lefts = []
    for turn in conversation[1:]:
        found = re.search(
            r"Question (\d+) — [^\n]*?\((about (\d+) more|1 more|the last one)", _text(turn)
        )
        if found:
            lefts.append(
                int(found.group(3)) if found.group(3) else 1 if "1 more" in found.group(2) else 0
            )
    assert lefts == sorted(lefts, reverse=True), lefts  # never goes up
    assert lefts[-1] == 0 and len(lefts) == len(lines) - 1
    assert "of 2" not in "".join(_text(t) for t in conversation)


# -- 4. the head teacher and the head of department -------------------------------------------


def _same_head_and_hod(extra: list[str]) -> list[str]:
    answers = dict(EOI_ANSWERS)
    lines = ["/apply eoi"]
    for field, value in answers.items():
        lines.append(answers["head_email"] if field == "hod_email" else value)
        if field == "hod_email":
            lines += extra
    return lines


def test_one_address_for_head_and_hod_is_asked_about(bot_env: dict[str, str]) -> None:
    lines = _same_head_and_hod(["No, two people", "s.patel@academy.example.org"])
    lines.append("Submit application")
    conversation = turns(run_chat(bot_env, lines, "--user", "h1"))
    at = lines.index("No, two people")
    asked = conversation[at]
    assert "Are the head teacher and head of department the same person?" in _text(asked)
    assert _asked(asked) == "head_is_hod"
    refused = conversation[at + 1]
    assert "needs their own email address" in _text(refused) and _asked(refused) == "hod_email"
    assert "Question 9 — School details (about 16 more after this)" in _text(refused)
    assert _asked(conversation[at + 2]) == "maths_hub"
    assert "Head teacher is also head of department" not in _text(conversation[-2])
    (eml,) = (Path(bot_env["BOT_DATA_DIR"]) / "mail").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Reply-To"] == "Sam Patel <s.patel@academy.example.org>"


def test_one_person_as_head_and_hod_is_allowed_when_the_school_says_so(
    bot_env: dict[str, str],
) -> None:
    lines = [*_same_head_and_hod(["Yes, the same person"]), "Submit application"]
    conversation = turns(run_chat(bot_env, lines, "--user", "h2"))
    summary = _text(conversation[-2])
    assert "Head teacher is also head of department: Yes, the same person" in summary
    assert "Reference: EOI-2026-0001" in _text(conversation[-1])
