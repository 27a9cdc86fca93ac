"""The Specialist Programme interest form (flows/specialist.yaml), end to end.

Driven like the EoI: in-process over a real SQLite file, as ``chat --jsonl`` in a
subprocess, with the email through aiosmtpd on loopback, and over Telegram against the
fake Bot API.  Its outcome follows the application window on the settings clock's day:
Cohort 11's window (16 December 2025 to 23 April 2026, knowledge/faq.yaml) is open on
OPEN_DAY and closed on TODAY.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.assistant import Assistant
from bot.export import applications_csv
from bot.knowledge.base import Knowledge
from bot.knowledge.windows import window_on
from bot.services import open_services
from bot.store.sqlite import SqliteStore
from tests._smtp import HUB, HUB_ADDRESS, SmtpServer, contacts_file
from tests.conftest import PYTHON, ROOT, TODAY, Chat
from tests.fake_bot_api import FakeBotApi, RunningBot

OPEN_DAY = dt.date(2026, 1, 10)  # inside Cohort 11's window
TEACHER_EMAIL = "r.example@oakfield.example.org"
HEAD_EMAIL = "head@oakfield.example.org"
CRITERIA = ["qts", "state_school_england", "teaching_ks3_ks4", "two_years_maths",
            "observed_good_teaching"]  # fmt: skip

# Valid answers for every field, in form order (labels, as a person would type them).
ANSWERS: list[tuple[str, str]] = [
    *((field, "Yes") for field in CRITERIA),
    ("privacy_consent", "I agree"),
    ("teacher_name", "Robin Example"),
    ("teacher_email", TEACHER_EMAIL),
    ("teacher_role", "Key Stage 3 Lead"),
    ("school_name", "Oakfield Academy"),
    ("school_address", "1 Oakfield Road, Shenley, Milton Keynes MK9 1AA"),
    ("school_urn", "123456"),
    ("maths_hub", "1"),  # the suggested hub, first
    ("lead_practitioner", "No"),
    ("maths_sle", "Yes"),
    ("accredited_pd_lead", "No"),
    ("subject_leader", "Yes"),
    ("curriculum_development", "Yes"),
    ("leading_collaborative_pd", "No"),
    ("head_name", "Jane Smith"),
    ("head_email", HEAD_EMAIL),
    ("head_release", "Yes, agreed"),
    ("tell_me_when_open", "Yes please"),
]
FIELDS = [field for field, _ in ANSWERS] + ["review"]
# While a window is open there is no later one to be told about: that question is not asked.
FIELDS_WHILE_OPEN = [field for field in FIELDS if field != "tell_me_when_open"]


def asked_on(day: dt.date) -> list[str]:
    """The fields the form asks on ``day`` (OPEN_DAY: a window is open; TODAY: none is)."""
    return FIELDS_WHILE_OPEN if day == OPEN_DAY else FIELDS


def test_the_form_asks_the_essential_criteria_first_then_the_details(
    knowledge: Knowledge,
) -> None:
    flow = knowledge.flows["specialist"]
    assert [s.field for s in flow.steps] == FIELDS
    stops = [s for s in flow.steps if s.criterion is not None]
    assert [s.field for s in stops] == CRITERIA
    assert all(s.criterion.stop and s.criterion.advice for s in stops if s.criterion)
    assert flow.submission is not None and flow.submission.window is not None


def test_the_window_comes_from_the_knowledge_base(knowledge: Knowledge) -> None:
    windows = knowledge.faq.windows
    on_open_day = window_on(windows, OPEN_DAY, "specialist")
    assert on_open_day.open is not None and on_open_day.open.id == "specialist-cohort-11"
    today = window_on(windows, TODAY, "specialist")
    assert today.open is None and today.next is None
    assert today.last is not None and today.last.closes == dt.date(2026, 4, 23)
    assert "closed" in (today.sentence() or "")
    before = window_on(windows, dt.date(2025, 12, 1), "specialist")
    assert before.open is None and before.next is not None
    assert window_on(windows, OPEN_DAY, "workgroups").open is None


async def fill(chat: Chat, until: str = "review", **overrides: str) -> None:
    """Answer every question (typing each answer) until ``until`` is asked."""
    answers = dict(ANSWERS) | overrides
    for _ in range(len(ANSWERS) + 1):
        if chat.field == until:
            return
        assert chat.field in answers, (chat.field, chat.text)
        await chat.send(answers[chat.field])
    raise AssertionError(f"never reached {until}: {chat.text}")


async def test_bare_apply_asks_which_form_and_the_button_starts_it(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("/start")
    labels = [o.label for o in chat.replies[-1].options]
    assert "Apply for a Work Group" in labels and "Specialist Programme interest" in labels
    await chat.send("/apply")
    assert "Which form" in chat.text
    assert "/apply eoi" in chat.text and "/apply specialist" in chat.text
    [offer] = chat.replies
    assert [o.value for o in offer.options] == ["eoi", "specialist"]
    await chat.send("specialist", button=True)
    assert chat.field == "qts" and chat.replies[-1].flow == "specialist"
    await chat.send("/start")  # the draft is offered to continue, the other form to start
    labels = [o.label for o in chat.replies[-1].options]
    assert "Continue my application" in labels and "Apply for a Work Group" in labels


async def test_whole_walk_through_with_refusals_while_no_window_is_open(
    assistant: Assistant, store: SqliteStore, knowledge: Knowledge
) -> None:
    chat = Chat(assistant)
    await chat.send("/apply specialist")
    assert "Secondary Mastery Specialist Programme" in chat.text
    # Today's window, from the knowledge base: Cohort 11 closed on 23 April 2026.
    assert "As of 23 November 2026" in chat.text and "closed on 23 April 2026" in chat.text
    assert "Question 1 — Essential criteria" in chat.text
    await chat.send("maybe")
    assert chat.field == "qts" and 'Please choose "Yes" or "No"' in chat.text
    await chat.send("Yes")
    assert "Qualified Teacher Status: met." in chat.text and chat.field == "state_school_england"
    await fill(chat, "teacher_email")
    await chat.send("robin at oakfield")
    assert chat.field == "teacher_email" and "email" in chat.text.lower()
    await chat.send("/skip")
    assert chat.field == "teacher_email" and "can't be skipped" in chat.text
    await fill(chat, "school_urn")
    await chat.send("12345")
    assert chat.field == "school_urn" and "six digits" in chat.text
    await chat.send("123456")
    # The hub is suggested from the school's address, as in the EoI.
    assert chat.field == "maths_hub" and chat.replies[-1].options[0].value == HUB
    await chat.send("/back")
    assert chat.field == "school_urn" and "Current answer: 123456" in chat.text
    await fill(chat, "head_release")
    assert "7.5 days in each of the programme's two years" in chat.text
    await chat.send("Not yet")
    assert chat.field == "head_release" and "headteacher's agreement" in chat.text
    await fill(chat, "review")
    assert "Please check your Secondary Mastery Specialist Programme interest form" in chat.text
    assert [o.label for o in chat.replies[-1].options] == [
        "Send to my Maths Hub",
        "Change an answer",
    ]
    # Edit one answer at the review and come back to it.
    await chat.send("Change an answer")
    await chat.send("edit:teacher_role")
    assert chat.field == "teacher_role"
    await chat.send("Second in Department")
    assert chat.field == "review" and "Second in Department" in chat.text
    await chat.send("Send to my Maths Hub")
    assert "registered for the next cohort" in chat.text
    assert "Reference: SPEC-2026-0001" in chat.text
    assert f"by email to {TEACHER_EMAIL}" in chat.text  # told when applications open
    [app] = await store.applications(user_id="u1")
    assert app.form == "specialist" and app.hub_id == HUB
    assert app.answers["teacher_role"] == "Second in Department"
    assert app.answers["head_email"] == HEAD_EMAIL
    [subscription] = await store.subscriptions()
    assert subscription.address == TEACHER_EMAIL
    # Hub staff's export of this form: its own columns, in form order.
    header, row = list(
        csv.reader(io.StringIO(applications_csv([app], knowledge.flows["specialist"])))
    )
    assert header == ["reference", "submitted_at", "hub_id", *FIELDS[:5], *FIELDS[6:-1]]
    assert row[0] == "SPEC-2026-0001" and row[header.index("head_release")] == "agreed"


async def test_a_criterion_not_met_gives_the_verdict_and_what_to_do(
    assistant: Assistant, store: SqliteStore
) -> None:
    chat = Chat(assistant)
    await chat.send("/apply specialist")
    await fill(chat, "two_years_maths")
    await chat.send("No")
    assert "At least two years' experience teaching maths: not met." in chat.text
    assert "What you can do:" in chat.text and "later cohort" in chat.text
    assert "The form stops here" in chat.text and chat.field is None
    session = await store.load_session("u1")
    assert session is not None and "specialist" not in session.flows
    await chat.send("/resume")
    assert "no application in progress" in chat.text


async def test_a_criterion_changed_at_the_review_is_refused_and_the_rest_kept(
    assistant: Assistant,
) -> None:
    chat = Chat(assistant)
    await chat.send("/apply specialist")
    await fill(chat, "review")
    await chat.send("edit:qts")
    await chat.send("No")
    assert "Qualified Teacher Status: not met." in chat.text
    assert "Your other answers are kept" in chat.text and chat.field == "qts"
    await chat.send("Yes")
    assert chat.field == "review" and "Robin Example" in chat.text


async def test_a_criterion_changed_after_back_keeps_what_was_answered_since(
    assistant: Assistant,
) -> None:
    chat = Chat(assistant)
    await chat.send("/apply specialist")
    await fill(chat, "teacher_email")
    for _ in range(3):  # teacher_name, privacy_consent, observed_good_teaching
        await chat.send("/back")
    assert chat.field == "observed_good_teaching"
    await chat.send("No")
    assert "not met" in chat.text and "Your other answers are kept" in chat.text
    assert chat.field == "observed_good_teaching"
    await chat.send("Yes")
    await chat.send("/resume")
    assert chat.field == "teacher_email"  # nothing answered since was lost


async def test_restart_mid_form_continues_from_the_sqlite_file(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    db = tmp_path / "assistant.sqlite3"
    first = await SqliteStore.open(db)
    try:
        chat = Chat(Assistant(knowledge, first, today=lambda: TODAY))
        await chat.send("/apply specialist")
        await fill(chat, "school_urn")
    finally:
        await first.close()
    second = await SqliteStore.open(db)
    try:
        assistant = Assistant(knowledge, second, today=lambda: TODAY)
        greeting = "\n".join(r.text for r in await assistant.greet("u1"))
        assert "Welcome back! Your Specialist Programme interest form is saved" in greeting
        assert "URN" in greeting
        chat = Chat(assistant)
        await chat.send("123456")
        assert chat.field == "maths_hub"
        await fill(chat, "review")
        assert "Oakfield Academy" in chat.text and "Robin Example" in chat.text
    finally:
        await second.close()


async def test_while_a_window_is_open_the_teacher_gets_a_summary_and_nothing_is_sent(
    knowledge: Knowledge, store: SqliteStore
) -> None:
    chat = Chat(Assistant(knowledge, store, today=lambda: OPEN_DAY))
    await chat.send("/apply specialist")
    assert "is open: it closes on 23 April 2026" in chat.text
    await fill(chat, "review")
    button = "Show my summary for the NCETM form"
    assert chat.replies[-1].options[0].label == button
    await chat.send(button)
    text = chat.text
    assert "Applications for the Secondary Mastery Specialist Programme, Cohort 11" in text
    assert "opened on 16 December 2025 and closes on 23 April 2026" in text
    assert "in conjunction with your headteacher, Jane Smith" in text
    assert "NCETM application form" in text
    summary = text.split("NCETM application form:", 1)[1]
    assert "Your name: Robin Example" in summary and "School URN: 123456" in summary
    assert "Mathematics SLE: Yes" in summary and "Lead Practitioner: No" in summary
    assert "Tell me when applications open" not in summary
    assert await store.applications() == [] and await store.outbox() == []
    assert await store.subscriptions() == []
    session = await store.load_session("u1")
    assert session is not None and "specialist" not in session.flows


# -- email to the hub, through the outbox and a real SMTP server ----------------------------


@pytest.fixture
def smtp() -> Any:
    server = SmtpServer().start()
    yield server
    server.stop()


async def test_the_interest_is_emailed_to_the_hub_with_the_headteacher_copied(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    settings = smtp.settings(tmp_path, hub_contacts_file=contacts_file(tmp_path))
    services = await open_services(settings)
    try:
        chat = Chat(services.assistant, user="web:teacher")
        await chat.send("/apply specialist")
        await fill(chat, "review", tell_me_when_open="No thanks")
        await chat.send("Send to my Maths Hub")
        assert "Reference: SPEC-2026-0001" in chat.text and "tell you" not in chat.text
        assert "is registered for the next cohort" in chat.text  # a mail server and address
        for _ in range(250):
            if smtp.messages:
                break
            await asyncio.sleep(0.02)
    finally:
        await services.close()
    [received] = smtp.messages
    message = received.message
    assert set(received.rcpt_tos) == {HUB_ADDRESS, HEAD_EMAIL, TEACHER_EMAIL}
    assert HUB_ADDRESS in str(message["To"])
    assert HEAD_EMAIL in str(message["Cc"]) and "Jane Smith" in str(message["Cc"])
    assert TEACHER_EMAIL in str(message["Reply-To"])
    assert message["X-Application-Form"] == "specialist"
    assert message["Subject"] == (
        "Secondary Mastery Specialist Programme, interest in the next cohort: "
        "Robin Example, Oakfield Academy (SPEC-2026-0001)"
    )
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "registration of interest for the next cohort" in text
    assert "Essential criteria" in text and "Desirable criteria" in text
    assert "7.5 days in each of the programme's two years" in text
    record = next(p for p in message.iter_attachments() if p.get_filename() == "application.json")
    answers = json.loads(record.get_content())
    assert answers["reference"] == "SPEC-2026-0001" and answers["maths_sle"] == "yes"


# -- chat --jsonl, in a subprocess, on either side of the window ----------------------------


def run_jsonl(env: dict[str, str], lines: list[str]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [PYTHON, "-m", "bot", "chat", "--jsonl", "--user", "teacher"],
        input="".join(line + "\n" for line in lines),
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def jsonl_answers(day: dt.date) -> list[str]:
    answers = dict(ANSWERS)
    return ["/apply specialist"] + [answers[field] for field in asked_on(day)[:-1]]


@pytest.mark.parametrize(
    ("day", "button", "outcome"),
    [
        (TODAY, "Send to my Maths Hub", "Reference: SPEC-2026-0001"),
        (OPEN_DAY, "Show my summary for the NCETM form", "opened on 16 December 2025"),
    ],
)
def test_console_jsonl_both_window_states(
    bot_env: dict[str, str], day: dt.date, button: str, outcome: str
) -> None:
    env = bot_env | {"BOT_TODAY": day.isoformat()}
    objects = run_jsonl(env, [*jsonl_answers(day), button])
    messages = [o for o in objects if o != {"turn": "end"}]
    assert all(set(o) == {"text", "field", "options", "flow"} for o in messages)
    asked = [o["field"] for o in messages if o["field"]]
    assert asked == asked_on(day)
    assert {o["flow"] for o in messages if o["field"]} == {"specialist"}
    review = next(o for o in messages if o["field"] == "review")
    assert review["options"][0] == {"label": button, "value": "submit"}
    last_turn = objects[objects[:-1].index(review) + 1 :]
    said = "\n".join(o.get("text", "") for o in last_turn)
    assert outcome in said
    assert ("Reference: SPEC-" in said) == (day == TODAY)


# -- Telegram, against the fake Bot API ------------------------------------------------------


async def telegram_answer(bot: RunningBot, user: int, sent: list[Any], fields: list[str]) -> Any:
    """Answer ``fields`` in Telegram: by button where the question offers them."""
    from tests.test_telegram_e2e import texts

    answers = dict(ANSWERS)
    for field in fields:
        if field == "maths_hub":
            sent = await bot.press(user, sent[-1], "Enigma Maths Hub")
        elif sent[-1].buttons:
            sent = await bot.press(user, sent[-1], answers[field])
        else:
            sent = await bot.say(user, answers[field])
        assert sent, (field, texts(sent))
    return sent


@pytest.mark.parametrize(
    ("day", "button", "outcome"),
    [
        (TODAY, "Send to my Maths Hub", "Reference: SPEC-2026-0001"),
        (OPEN_DAY, "Show my summary for the NCETM form", "opened on 16 December 2025"),
    ],
)
async def test_telegram_choose_the_form_by_button_and_finish_by_the_window(
    tmp_path: Path, day: dt.date, button: str, outcome: str
) -> None:
    from tests.test_telegram_e2e import make_settings, texts

    user = 2002
    async with FakeBotApi() as api:
        settings = make_settings(tmp_path, api, today_override=day)
        async with RunningBot(api, settings) as bot:
            sent = await bot.say(user, "/apply")
            assert "Which form" in texts(sent)
            sent = await bot.press(user, sent[-1], "Specialist Programme interest")
            assert "Question 1 —" in texts(sent)
            assert ("closed on 23 April 2026" in texts(sent)) == (day == TODAY)
            sent = await bot.press(user, sent[-1], "Yes")
            assert "Qualified Teacher Status: met." in texts(sent)
            sent = await telegram_answer(bot, user, sent, asked_on(day)[1:-1])
            assert "Please check your Secondary Mastery Specialist" in texts(sent)
            sent = await bot.press(user, sent[-1], button)
            said = texts(sent)
            assert outcome in said
            if day == TODAY:
                assert "I'll tell you here, once, when the next application window opens" in said
                # No mail server here: saved for the operator to send, and said so.
                assert "interest in the Secondary Mastery Specialist Programme is saved" in said
                assert "It has not been emailed yet" in said
            else:
                assert "Your name: Robin Example" in said and "Reference:" not in said
            applications = await bot.services.store.applications()
            assert len(applications) == (1 if day == TODAY else 0)


async def test_telegram_restart_mid_form_resumes_where_it_stopped(tmp_path: Path) -> None:
    from tests.test_telegram_e2e import make_settings, texts

    user = 2004
    async with FakeBotApi() as api:
        settings = make_settings(tmp_path, api)
        async with RunningBot(api, settings) as first:
            sent = await first.say(user, "/apply specialist")
            sent = await telegram_answer(first, user, sent, FIELDS[: FIELDS.index("school_name")])
            assert "What is the name of your school?" in texts(sent)
        async with RunningBot(api, settings) as second:
            sent = await second.say(user, "/resume")
            assert "What is the name of your school?" in texts(sent)
            sent = await telegram_answer(
                second, user, sent, FIELDS[FIELDS.index("school_name") : -1]
            )
            sent = await second.press(user, sent[-1], "Send to my Maths Hub")
            assert "Reference: SPEC-2026-0001" in texts(sent)


async def test_telegram_a_criterion_not_met_stops_with_advice(tmp_path: Path) -> None:
    from tests.test_telegram_e2e import make_settings, texts

    user = 2003
    async with FakeBotApi() as api, RunningBot(api, make_settings(tmp_path, api)) as bot:
        sent = await bot.say(user, "/apply specialist")
        sent = await bot.press(user, sent[-1], "No")
        said = texts(sent)
        assert "Qualified Teacher Status: not met." in said
        assert "What you can do:" in said and "The form stops here" in said
        assert not sent[-1].buttons


async def test_a_window_added_to_the_knowledge_base_changes_the_outcome_without_a_restart(
    tmp_path: Path,
) -> None:
    """The operator adds the next cohort's window (as for /notify): a running service's
    form now gives the summary instead of emailing the hub, with the new dates."""
    from tests._smtp import mail_settings
    from tests.test_notify import OPENS, add_next_window, knowledge_copy

    knowledge_dir = knowledge_copy(tmp_path)
    day = OPENS + dt.timedelta(days=5)
    services = await open_services(
        mail_settings(tmp_path, knowledge_dir=knowledge_dir, today_override=day)
    )
    try:
        chat = Chat(services.assistant)
        await chat.send("/apply specialist")
        assert "closed on 23 April 2026" in chat.text
        await fill(chat, "review")
        assert chat.replies[-1].options[0].label == "Send to my Maths Hub"
        add_next_window(knowledge_dir)
        await chat.send("/resume")
        assert chat.field == "review"
        assert chat.replies[-1].options[0].label == "Show my summary for the NCETM form"
        await chat.send("Show my summary for the NCETM form")
        assert "Cohort 12 (2027/28) are open now" in chat.text
        assert "opened on 15 December 2026 and closes on 22 April 2027" in chat.text
        assert await services.store.applications() == []
    finally:
        await services.close()


# -- the web chat over HTTP ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "button", "outcome"),
    [
        (TODAY, "Send to my Maths Hub", "Reference: SPEC-2026-0001"),
        (OPEN_DAY, "Show my summary for the NCETM form", "paste into the NCETM application form"),
    ],
)
async def test_web_chat_choose_by_button_answer_and_finish(
    knowledge: Knowledge, store: SqliteStore, day: dt.date, button: str, outcome: str
) -> None:
    from aiohttp import DummyCookieJar
    from aiohttp.test_utils import TestClient, TestServer

    from bot.channels.web.config import WebConfig
    from bot.channels.web.server import create_app
    from tests.test_web_http import Browser

    assistant = Assistant(knowledge, store, today=lambda: day)
    async with TestClient(
        TestServer(create_app(assistant, store, WebConfig(session_rate=1000))),
        cookie_jar=DummyCookieJar(),
    ) as client:
        browser = Browser(client)
        await browser.history()
        offered = await browser.say("/apply")
        assert [o["value"] for o in offered[-1]["options"]] == ["eoi", "specialist"]
        said = await browser.say("specialist", label="Specialist Programme interest", button=True)
        assert said[-1]["field"] == "qts" and said[-1]["flow"] == "specialist"
        answers = dict(ANSWERS)
        for field in asked_on(day)[:-1]:
            asked = said[-1]
            assert asked["field"] == field, asked
            value = next(
                (o["value"] for o in asked["options"] if o["label"] == answers[field]), None
            )
            if value is not None:
                said = await browser.say(value, label=answers[field], field=field)
            else:
                said = await browser.say(answers[field])
        assert said[-1]["field"] == "review" and said[-1]["options"][0]["label"] == button
        said = await browser.say("submit", label=button, field="review")
        assert outcome in "\n".join(m["text"] for m in said)
    assert len(await store.applications()) == (1 if day == TODAY else 0)


async def test_privacy_in_the_form_shows_this_forms_notice(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("/apply specialist")
    await fill(chat, "privacy_consent")
    assert "You meet the five essential criteria" in chat.text
    await chat.send("/privacy")
    assert chat.text.startswith("How your information is used:")
    assert "summary to paste into the NCETM application form" in chat.text
    assert chat.field == "privacy_consent"  # and the question again
    await chat.send("/cancel")
    await chat.send("/privacy")  # outside a form: the first form's notice, as before
    assert "Expression of Interest" in chat.text


async def test_two_drafts_side_by_side_resume_asks_which_and_status_counts_each(
    assistant: Assistant,
) -> None:
    chat = Chat(assistant)
    await chat.send("/apply specialist")
    await fill(chat, "teacher_name")
    await chat.send("/apply eoi")
    assert "Your Specialist Programme interest form is saved" in chat.text
    assert chat.field == "privacy_consent" and chat.replies[-1].flow == "eoi"
    await chat.send("/cancel")
    await chat.send("/status")
    assert "Draft in progress (Secondary Mastery Specialist Programme interest form)" in chat.text
    assert "/resume specialist" in chat.text
    await chat.send("/resume")
    assert [o.value for o in chat.replies[-1].options] == ["resume:specialist", "resume:eoi"]
    await chat.send("resume:specialist", button=True)
    assert chat.field == "teacher_name" and chat.replies[-1].flow == "specialist"
    await fill(chat, "review")
    await chat.send("Send to my Maths Hub")
    await chat.send("/status")
    assert "SPEC-2026-0001 (Robin Example), submitted " in chat.text
    assert "to Enigma Maths Hub: saved." in chat.text


async def test_passing_the_eligibility_check_points_to_the_form(assistant: Assistant) -> None:
    chat = Chat(assistant)
    await chat.send("/eligibility")
    for _ in range(4):
        await chat.send("Yes")
    assert "Good news" in chat.text and "/apply specialist" in chat.text
    await chat.send("/apply specialist")
    assert chat.field == "qts"
