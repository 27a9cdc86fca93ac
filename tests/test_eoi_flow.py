"""The Expression of Interest as a conversation, driven in-process over a real SQLite file."""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from bot.knowledge.base import Knowledge
from bot.store.sqlite import SqliteStore
from tests.conftest import EOI_ANSWERS, TODAY, Chat

CONTRACT_FIELDS = [
    "school_name", "school_address", "school_urn", "school_phone", "head_name", "head_email",
    "hod_name", "hod_email", "maths_hub", "teacher1_name", "teacher1_email",
    "teacher1_ncetm_username", "teacher1_year_groups", "teacher1_role", "teacher2_name",
    "teacher2_email", "teacher2_ncetm_username", "teacher2_year_groups", "teacher2_role",
    "worked_with_specialist", "specialist_details", "hod_statement", "commitments",
]  # fmt: skip
# Fields added since (issue 13): never renamed, only added.
ADDED_FIELDS = ["head_is_hod", "submitter_name", "submitter_role"]
ANSWERED_FIELDS = [*CONTRACT_FIELDS, "submitter_name", "submitter_role"]


def test_field_ids_are_the_contract(knowledge: Knowledge) -> None:
    fields = [s.field for s in knowledge.flows["eoi"].steps]
    assert fields[0] == "privacy_consent"
    assert fields[-1] == "review"
    assert [f for f in fields[1:-1] if f not in ADDED_FIELDS] == CONTRACT_FIELDS
    assert sorted(set(fields[1:-1]) - set(CONTRACT_FIELDS)) == sorted(ADDED_FIELDS)


async def test_complete_application_is_stored_with_a_reference(
    assistant: Assistant, store: SqliteStore
) -> None:
    chat = Chat(assistant)
    await chat.fill_until("review")
    assert "Please check your Work Group Expression of Interest" in chat.text
    assert "Enigma Maths Hub" in chat.text
    assert "Year 7, Year 8, Year 11" in chat.text
    await chat.send("Submit application")
    assert "Reference: EOI-2026-0001" in chat.text
    assert "selection process" in chat.text
    [app] = await store.applications(user_id="u1")
    assert app.reference == "EOI-2026-0001"
    assert app.hub_id == "enigma"
    columns = [*ANSWERED_FIELDS]
    columns.insert(columns.index("hod_email") + 1, "head_is_hod")
    assert list(app.answers) == [*columns, "academic_year"]
    assert app.answers["academic_year"] == "2027/28"
    assert app.answers["school_phone"] == "0113 496 0000"
    assert app.answers["specialist_details"] == ""
    # the draft is gone: a submitted application can't be edited
    await chat.send("/resume")
    assert "no application in progress" in chat.text


async def test_questions_say_where_the_applicant_is(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("/apply eoi")
    assert "Question 1 —" in chat.text and "Privacy" in chat.text
    await chat.send("I agree")
    assert "Question 2 — School details" in chat.text
    assert "Example: Example Academy" in chat.text


async def test_nothing_personal_is_asked_before_consent(
    assistant: Assistant, store: SqliteStore
) -> None:
    chat = Chat(assistant)
    await chat.send("/apply eoi")
    assert chat.field == "privacy_consent"
    for part in ("What I collect", "Why", "Who receives it", "How long", "/forget"):
        assert part in chat.text
    await chat.send("No, stop here")
    assert "nothing has been saved" in chat.text
    session = await store.load_session("u1")
    assert session is not None and "eoi" not in session.flows


@pytest.mark.parametrize(
    ("field", "bad", "says"),
    [
        ("school_name", "   ", "empty"),
        ("school_name", "12345", "letters"),
        ("school_address", "Nowhere", "postcode"),
        ("school_urn", "12345", "six digits"),
        ("school_urn", "ABCDEF", "only digits"),
        ("school_phone", "12", "telephone"),
        ("school_phone", "+44 20 1234", "UK telephone"),
        ("head_name", "<script>", "characters"),
        ("head_email", "not-an-email", "valid email"),
        ("head_email", "a@b", "valid email"),
        ("teacher1_year_groups", "3-4", "7 to 13"),
        ("teacher1_year_groups", "lots", "year groups"),
        ("teacher1_role", "x" * 200, "at most 150"),
        ("worked_with_specialist", "maybe", "Yes"),
        ("hod_statement", "", "can't be empty"),
        ("hod_statement", "too short", "2 words"),
        ("hod_statement", "word " * 260, "260 words"),
        ("commitments", "Not yet", "only be sent"),
    ],
)
async def test_each_refusal_says_what_is_wrong_and_asks_again(
    assistant: Assistant, store: SqliteStore, field: str, bad: str, says: str
) -> None:
    chat = Chat(assistant)
    await chat.fill_until(field)
    before = await store.load_session("u1")
    await chat.send(bad)
    assert says in chat.text
    assert chat.field == field
    after = await store.load_session("u1")
    assert before is not None and after is not None
    assert after.flows["eoi"].answers == before.flows["eoi"].answers


async def test_teachers_must_be_different_people(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("teacher2_name")
    await chat.send("alex jones")
    assert "same as Teacher 1 name" in chat.text and chat.field == "teacher2_name"
    await chat.send("Priya Shah")
    await chat.send("A.Jones@academy.example.org")
    assert "same as Teacher 1 email" in chat.text and chat.field == "teacher2_email"


async def test_year_groups_are_normalised(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("teacher1_year_groups")
    await chat.send("Y7, Y8")
    assert "Saved as: Year 7, Year 8" in chat.text


async def test_specialist_details_only_when_yes(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("worked_with_specialist")
    await chat.send("Yes")
    assert chat.field == "specialist_details"
    await chat.send("Chris Lee: joint planning in Year 7 over two terms")
    assert chat.field == "hod_statement"


async def test_back_returns_to_the_previous_question_keeping_answers(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("school_phone")
    await chat.send("/back")
    assert chat.field == "school_urn"
    assert "Current answer: 123456" in chat.text
    await chat.send("654321")
    assert chat.field == "school_phone"


async def test_skip_only_for_optional_fields(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("school_urn")
    await chat.send("/skip")
    assert "can't be skipped" in chat.text and chat.field == "school_urn"
    await chat.fill_until("teacher1_ncetm_username")


async def test_skip_optional_username(assistant: Assistant, store: SqliteStore) -> None:
    chat = Chat(assistant)
    await chat.fill_until("teacher1_ncetm_username")
    await chat.send("/skip")
    assert chat.field == "teacher1_year_groups"
    session = await store.load_session("u1")
    assert session is not None and session.flows["eoi"].answers["teacher1_ncetm_username"] == ""


async def test_edit_one_field_from_the_review_and_come_back(
    assistant: Assistant, store: SqliteStore
) -> None:
    chat = Chat(assistant)
    await chat.fill_until("review")
    await chat.send("Change an answer")
    labels = [o.label for o in chat.replies[-1].options]
    assert "School URN" in labels
    await chat.send("edit:school_urn")
    assert chat.field == "school_urn"
    await chat.send("654321")
    assert chat.field == "review"
    assert "School URN: 654321" in chat.text
    # turning on a conditional field asks it before returning to the summary
    await chat.send("edit:worked_with_specialist")
    await chat.send("Yes")
    assert chat.field == "specialist_details"
    await chat.send("Chris Lee: two terms of joint planning")
    assert chat.field == "review"
    await chat.send("Submit application")
    [app] = await store.applications(user_id="u1")
    assert app.answers["school_urn"] == "654321"
    assert app.answers["specialist_details"].startswith("Chris Lee")


async def test_question_mid_form_is_answered_then_the_same_field_asked(
    assistant: Assistant,
) -> None:
    chat = Chat(assistant)
    await chat.fill_until("school_urn")
    await chat.send("How much funding does a department get?")
    assert "£2000" in chat.text or "£2,000" in chat.text
    assert chat.field == "school_urn"
    assert "Back to the form" in chat.text


async def test_help_explains_the_current_field(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("school_urn")
    await chat.send("/help")
    assert "six-digit number" in chat.text and chat.field == "school_urn"


async def test_cancel_keeps_the_draft_and_resume_continues(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("hod_name")
    await chat.send("/cancel")
    assert "saved" in chat.text
    await chat.send("Do I need QTS?")
    assert "QTS" in chat.text and "/resume" in chat.text
    await chat.send("/resume")
    assert chat.field == "hod_name"


async def test_resume_after_restart_with_a_new_assistant(knowledge: Knowledge, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "a.sqlite3"
    first = await SqliteStore.open(db)
    chat = Chat(Assistant(knowledge, first, today=lambda: TODAY))
    await chat.fill_until("teacher1_email")
    await first.close()
    second = await SqliteStore.open(db)
    try:
        replies = await Assistant(knowledge, second, today=lambda: TODAY).greet("u1")
        assert replies[-1].field == "teacher1_email"
        assert "Welcome back" in replies[0].text
    finally:
        await second.close()


async def test_forget_deletes_the_draft(assistant: Assistant, store: SqliteStore) -> None:
    chat = Chat(assistant)
    await chat.fill_until("hod_email")
    await chat.send("/forget")
    assert "deleted" in chat.text
    session = await store.load_session("u1")
    assert session is not None and session.flows == {}
    assert "Jane Smith" not in session.to_json()
    await chat.send("/resume")
    assert "no application in progress" in chat.text


async def test_commands_in_the_wrong_place_get_a_clear_reply(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("/back")
    assert "no form is open" in chat.text
    await chat.send("/skip")
    assert "no form is open" in chat.text
    await chat.send("/frobnicate")
    assert "I don't know the command /frobnicate" in chat.text
    await chat.send("/cancel")
    assert "nothing to cancel" in chat.text


async def test_stickers_and_stale_buttons_leave_the_step_unchanged(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("school_urn")
    await chat.send("", kind="sticker")
    assert "can't read a sticker" in chat.text and chat.field == "school_urn"
    await chat.send("yes", for_field="privacy_consent")
    assert "earlier question" in chat.text and chat.field == "school_urn"


async def test_a_group_chat_never_collects_personal_data(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("/apply", private=False)
    assert "private chat" in chat.text and chat.field is None


async def test_maths_hub_is_suggested_from_the_address_and_can_be_changed(
    assistant: Assistant,
) -> None:
    chat = Chat(assistant)
    await chat.fill_until("maths_hub")
    options = chat.replies[-1].options
    assert options[0].value == "enigma"
    await chat.send("Sheffield")
    assert next(o.value for o in chat.replies[-1].options) == "south-yorkshire"
    await chat.send("atlantis")
    assert "couldn't find" in chat.text and chat.field == "maths_hub"
    await chat.send("South Yorkshire Maths Hub")
    assert chat.field == "teacher1_name"


async def test_commitments_show_the_academic_year_from_today(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("commitments")
    assert "2027/28" in chat.text
    assert "2019/20" not in chat.text
    assert "four separate half-day meetings" in chat.text
    assert "10 (combined) days" in chat.text


async def test_same_update_twice_is_answered_once(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("school_name")
    first = await chat.send("Example Academy", update_key="telegram:7")
    again = await chat.send("Example Academy", update_key="telegram:7")
    assert first and again == []


def test_every_eoi_field_has_a_sample_answer() -> None:
    assert [f for f, _ in EOI_ANSWERS] == [
        "privacy_consent",
        *[f for f in ANSWERED_FIELDS if f != "specialist_details"],
    ]


async def test_a_hub_question_naming_a_place_finds_the_hub(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("Which hub covers Sheffield?")
    assert "South Yorkshire Maths Hub" in chat.text
    await chat.send("Is there a maths hub in Glasgow?")
    assert "Scotland, not England" in chat.text


async def test_a_place_in_a_question_does_not_derail_the_answer(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("I teach in Leeds, do I need QTS to be a specialist?")
    assert "Qualified Teacher Status" in chat.text or "QTS" in chat.text
    assert "West Yorkshire" not in chat.text


async def test_unicode_digits_are_not_option_numbers_or_urns(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("school_urn")
    await chat.send("11039²")
    assert "only digits" in chat.text and chat.field == "school_urn"
    await chat.fill_until("worked_with_specialist")
    await chat.send("²")
    assert chat.field == "worked_with_specialist"


async def test_start_mid_form_pauses_it_and_the_menu_continues_it(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.fill_until("school_urn")
    await chat.send("/start")
    values = [o.value for o in chat.replies[-1].options]
    assert "resume" in values and chat.field is None
    await chat.send("Ask a question")  # a menu choice, not a school URN
    assert "Type your question" in chat.text
    await chat.send("Continue my application")
    assert chat.field == "school_urn"


async def test_asking_how_to_get_back_to_a_saved_form_takes_you_there(
    assistant: Assistant,
) -> None:
    chat = Chat(assistant)
    await chat.send("can I save the form and come back later?")
    assert "/resume" in chat.text and chat.field is None  # no draft: the answer
    await chat.fill_until("school_urn")
    await chat.send("/cancel")
    assert chat.field is None
    await chat.send("how do i get back to my half-finished application?")
    assert "saved" in chat.text and chat.field == "school_urn"
