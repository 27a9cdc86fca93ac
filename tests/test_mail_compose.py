"""The hub email itself: recipients, headers, both bodies, both attachments, and safety."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import replace

import pytest

from bot.assistant import Assistant
from bot.knowledge.base import Knowledge, load_knowledge
from bot.mail.compose import Composer
from bot.mail.headers import address, header_text
from bot.store.base import SubmittedApplication
from bot.store.memory import MemoryStore
from tests._smtp import ANSWERS, COLUMNS, FORM_ORDER, HUB, ROOT, TODAY, mail_body, parse, submit

SUBMITTED = dt.datetime(2026, 11, 23, 14, 2, 5, tzinfo=dt.UTC)
FROM = "Maths Hub assistant <assistant@assistant.example.org>"


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(ROOT / "knowledge", ROOT / "flows")


@pytest.fixture(scope="module")
def real_hub_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    contacts = tmp_path_factory.mktemp("contacts") / "hub_contacts.yaml"
    contacts.write_text(f"{HUB}: eoi@enigma-hub.example.org\n", encoding="utf-8")
    return load_knowledge(ROOT / "knowledge", ROOT / "flows", contacts)


def application(**answers: str) -> SubmittedApplication:
    values = {
        name: value for name, value in ANSWERS if name not in ("privacy_consent", "commitments")
    }
    values.update(
        school_phone="0113 496 0000",
        teacher1_year_groups="Year 7, Year 8, Year 9",
        maths_hub=HUB,
        worked_with_specialist="yes",
        commitments="confirmed",
    )
    values.update(answers)
    return SubmittedApplication("EOI-2026-0042", "u1", HUB, SUBMITTED, values, form="eoi")


@pytest.fixture
def composer(real_hub_knowledge: Knowledge) -> Composer:
    return Composer(real_hub_knowledge, mail_from=FROM, hold_placeholders=True)


async def test_the_assistant_stores_the_composed_email_with_its_application(
    knowledge: Knowledge,
) -> None:
    store = MemoryStore()
    submitted: list[SubmittedApplication] = []
    assistant = Assistant(
        knowledge,
        store,
        today=lambda: TODAY,
        compose=Composer(knowledge, mail_from=FROM, hold_placeholders=False),
        on_submitted=submitted.append,
    )
    reference = await submit(assistant)
    (entry,) = await store.outbox()
    assert entry.reference == reference == submitted[0].reference
    assert entry.status == "pending" and entry.attempts == 0
    message = parse(entry.data)
    assert message["Subject"].endswith(f"Example Academy ({reference})")
    assert message["To"].addresses[0].addr_spec == "enigma@hubs.example"
    assert entry.recipients[0] == "enigma@hubs.example"


def test_recipients_and_headers(composer: Composer) -> None:
    mail = composer(application())
    message = parse(mail.data)
    assert mail.held_reason is None
    assert mail.sender == "assistant@assistant.example.org"
    assert mail.recipients == (
        "eoi@enigma-hub.example.org",
        "head@academy.example.org",
        "s.patel@academy.example.org",
        "a.jones@academy.example.org",
        "p.shah@academy.example.org",
    )
    assert str(message["To"]) == "Enigma Maths Hub <eoi@enigma-hub.example.org>"
    assert [a.addr_spec for a in message["Cc"].addresses] == list(mail.recipients[1:])
    assert [a.display_name for a in message["Cc"].addresses] == [
        "Jane Smith",
        "Sam Patel",
        "Alex Jones",
        "Priya Shah",
    ]
    assert str(message["Reply-To"]) == "Sam Patel <s.patel@academy.example.org>"
    assert message["From"].addresses[0].addr_spec == mail.sender
    assert message["Subject"] == (
        "Secondary Teaching for Mastery Work Group Expression of Interest: "
        "Example Academy (EOI-2026-0042)"
    )
    assert message["Message-ID"] == mail.message_id
    assert mail.message_id.startswith("<EOI-2026-0042.")
    assert mail.message_id.endswith("@assistant.example.org>")
    assert message["Date"].datetime == SUBMITTED
    assert message["X-Application-Reference"] == "EOI-2026-0042"
    assert message["X-Application-Form"] == "eoi"
    assert mail.data.isascii() and b"\r\n" in mail.data


def test_the_message_id_is_stable(composer: Composer) -> None:
    app = application()
    assert composer(app).message_id == composer(app).message_id
    assert composer(app).message_id != composer(replace(app, reference="EOI-2026-0043")).message_id


def test_cc_is_deduplicated_and_excludes_the_hub(composer: Composer) -> None:
    mail = composer(
        application(
            head_email="S.Patel@academy.example.org",  # the head is also head of department
            teacher1_email="s.patel@academy.example.org",
            teacher2_email="eoi@enigma-hub.example.org",
        )
    )
    message = parse(mail.data)
    assert mail.recipients == ("eoi@enigma-hub.example.org", "S.Patel@academy.example.org")
    assert [a.addr_spec for a in message["Cc"].addresses] == ["S.Patel@academy.example.org"]


def test_text_and_html_follow_the_form_sections_and_order(
    composer: Composer, knowledge: Knowledge
) -> None:
    message = parse(composer(application()).data)
    text = mail_body(message, "plain")
    html = mail_body(message, "html")
    sections = [
        "School details",
        "Mastery Advocate — Teacher 1",
        "Mastery Advocate — Teacher 2",
        "Engagement with a Secondary Mastery Specialist",
        "Head of department statement",
        "Confirmation of school commitment",
    ]
    flow = knowledge.flows["eoi"]
    labels = [flow.step(name).label for name in FORM_ORDER]
    for body in (text, html):
        positions = [body.index(s) for s in sections]
        assert positions == sorted(positions), body
        label_positions = [body.index(label, positions[0]) for label in labels]
        assert label_positions == sorted(label_positions)
        assert "EOI-2026-0042" in body and "Enigma Maths Hub" in body
        # The commitments, with the academic year the application is for.
        assert "If chosen to take part in the Work Group in 2027/28" in body
        assert "a minimum of four separate half-day meetings" in body
        assert "10 (combined) days release time" in body
    assert "Teacher 1 email: a.jones@academy.example.org" in text
    assert "Worked with a Mastery Specialist: Yes" in text
    assert "Mastery Advocate Teacher 2 (electronic signature): Priya Shah" in text
    assert "Year 7, Year 8, Year 9" in text


def test_every_applicant_value_is_escaped_in_html(composer: Composer) -> None:
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    fields = [f for f in FORM_ORDER if not f.endswith("email") and f != "maths_hub"]
    app = application(**dict.fromkeys(fields, hostile))
    html = mail_body(parse(composer(app).data), "html")
    assert "<script>" not in html and "<img" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;") >= len(fields) - 2
    text = mail_body(parse(composer(app).data), "plain")
    assert hostile in text  # the text part shows exactly what was typed


def test_attachments_hold_every_field(composer: Composer, knowledge: Knowledge) -> None:
    app = application(school_name='=HYPERLINK("http://x")')
    message = parse(composer(app).data)
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {"application.json", "application.csv"}
    assert attachments["application.json"].get_content_type() == "application/json"
    record = json.loads(attachments["application.json"].get_content())
    assert record["reference"] == "EOI-2026-0042"
    assert record["hub_id"] == HUB
    assert dt.datetime.fromisoformat(record["submitted_at"]) == SUBMITTED
    assert [k for k in record if k not in ("reference", "submitted_at", "hub_id")] == COLUMNS
    assert record["teacher2_name"] == "Priya Shah"
    assert attachments["application.csv"].get_content_type() == "text/csv"
    raw = attachments["application.csv"].get_content()
    rows = list(csv.reader(io.StringIO(raw.decode() if isinstance(raw, bytes) else raw)))
    assert len(rows) == 2
    assert rows[0] == ["reference", "submitted_at", "hub_id", *COLUMNS]
    assert dict(zip(rows[0], rows[1], strict=True))["school_name"].startswith("'=HYPERLINK")
    assert dict(zip(rows[0], rows[1], strict=True))["hod_email"] == "s.patel@academy.example.org"


INJECTIONS = [
    "x\r\nBcc: victim@evil.example.org",
    "x\nBcc: victim@evil.example.org",
    "x\rBcc: victim@evil.example.org",
    "x\x00Bcc: victim@evil.example.org",
    "x\u2028Bcc: victim@evil.example.org",
    "x\u2029Bcc: victim@evil.example.org",
    "x\x85Bcc: victim@evil.example.org",
    "x\x0bBcc: victim@evil.example.org\x0c",
    "x\r\n\r\n<html>body takeover</html>",
]
HEADER_FIELDS = [
    "school_name",
    "head_name",
    "hod_name",
    "teacher1_name",
    "teacher2_name",
    "head_email",
    "hod_email",
    "teacher1_email",
    "teacher2_email",
]


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field_id", HEADER_FIELDS)
def test_no_applicant_text_can_add_or_change_a_header(
    composer: Composer, field_id: str, payload: str
) -> None:
    value = (
        payload.replace("x", "someone@academy.example.org", 1)
        if field_id.endswith("email")
        else payload
    )
    mail = composer(application(**{field_id: value}))
    message = parse(mail.data)
    head = mail.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    starts = [line.split(":", 1)[0] for line in head.split("\r\n") if line[:1] not in (" ", "\t")]
    assert "Bcc" not in message and "Bcc" not in starts  # (a folded line may mention it)
    assert "victim@evil.example.org" not in mail.recipients
    names = [name.lower() for name in message.keys()]  # noqa: SIM118 - header names, repeated
    expected = [
        "subject", "from", "to", "cc", "reply-to", "date", "message-id",
        "x-application-reference", "x-application-form", "x-maths-hub", "mime-version",
        "content-type",
    ]  # fmt: skip
    if field_id == "hod_email":  # an unusable address: no Reply-To rather than a bad one
        expected.remove("reply-to")
    assert sorted(names) == sorted(expected)
    for header in ("Subject", "To", "Cc", "Reply-To", "From"):
        rendered = str(message[header])
        assert not any(c in rendered for c in "\r\n\x00\u2028\u2029\x85\x0b\x0c"), rendered
    assert message.get_body(("html",)) is not None and message.is_multipart()
    # A bad address is left out of the headers and the envelope; the body still shows it.
    if field_id.endswith("email"):
        assert len(mail.recipients) == 4
        text = mail_body(message, "plain")
        assert "someone@academy.example.org" in text


def test_header_helpers_on_their_own() -> None:
    assert header_text("a\r\nb\x00c\u2028d\u202ee\t f") == "a b c d e f"
    assert header_text("x" * 500, 10) == "x" * 9 + "…"
    assert address("a@b.example.org") == "a@b.example.org"
    assert address("a@b.example.org\r\nBcc: c@d.org") is None
    assert address("Name <a@b.example.org>") is None
    assert address("a@b.example.org\x00") == "a@b.example.org"


def test_placeholder_hubs_are_held_only_when_smtp_is_real(knowledge: Knowledge) -> None:
    held = Composer(knowledge, mail_from=FROM, hold_placeholders=True)(application())
    assert held.held_reason is not None and "HUB_CONTACTS_FILE" in held.held_reason
    assert "enigma@hubs.example" in held.held_reason
    free = Composer(knowledge, mail_from=FROM, hold_placeholders=False)(application())
    assert free.held_reason is None


def test_an_unknown_hub_is_held_not_lost(composer: Composer) -> None:
    mail = composer(replace(application(), hub_id="atlantis"))
    assert mail.held_reason is not None and "atlantis" in mail.held_reason
    assert "atlantis" not in " ".join(mail.recipients)


def test_a_bad_mail_from_is_a_configuration_error(knowledge: Knowledge) -> None:
    from bot.exceptions import ConfigError

    with pytest.raises(ConfigError, match="MAIL_FROM"):
        Composer(knowledge, mail_from="not an address", hold_placeholders=False)
