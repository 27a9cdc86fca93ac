"""A third form is only a YAML file: three questions, one email, no Python.

The test writes a small form into a copy of flows/, loads the real knowledge base with it
and drives it through the real assistant, store and composer.
"""

from __future__ import annotations

import email
import email.policy
import shutil
from pathlib import Path

from bot.assistant import Assistant
from bot.knowledge.base import load_knowledge
from bot.mail.compose import Composer
from bot.store.memory import MemoryStore
from tests.conftest import ROOT, TODAY, Chat

TINY = """\
id: tiny
title: Maths Hub newsletter sign-up
short_name: newsletter sign-up
menu: Sign up for the newsletter
private: true
steps:
  - field: contact_name
    section: You
    label: Your name
    validator: name
    prompt: What is your name?
  - field: contact_email
    section: You
    label: Your email
    validator: email
    prompt: What is your email address?
  - field: town
    section: Where
    label: School's town
    validator: text
    params: {what: town, max_chars: 80}
    prompt: Which town is your school in?
  - field: chosen_hub
    type: hub
    section: Where
    label: Maths Hub
    params: {from: town}
    prompt: Which Maths Hub's newsletter would you like?
  - field: review
    type: review
submission:
  reference_prefix: NEWS
  hub: chosen_hub
  title: contact_name
  subject: "Newsletter sign-up: {contact_name} ({reference})"
  heading: Maths Hub newsletter sign-up
  cc:
    - {role: Subscriber, name: contact_name, email: contact_email}
  reply_to: {name: contact_name, email: contact_email}
  confirmation: "Signed up. Reference: {reference}. {hub_name} will be in touch."
"""


async def test_a_form_added_as_yaml_only_is_asked_and_emailed(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    (flows / "tiny.yaml").write_text(TINY, encoding="utf-8")
    knowledge = load_knowledge(ROOT / "knowledge", flows)
    store = MemoryStore()
    composer = Composer(knowledge, mail_from="a@assistant.example.org", hold_placeholders=False)
    chat = Chat(Assistant(knowledge, store, today=lambda: TODAY, compose=composer))

    await chat.send("/apply")
    assert "Which form" in chat.text and "/apply tiny" in chat.text
    await chat.send("/apply tiny")
    assert chat.field == "contact_name" and chat.replies[-1].flow == "tiny"
    await chat.send("Robin Example")
    await chat.send("not an address")
    assert chat.field == "contact_email" and "valid email" in chat.text
    await chat.send("robin@school.example.org")
    await chat.send("Milton Keynes")
    assert chat.field == "chosen_hub"
    await chat.send("1")
    assert chat.field == "review" and "Robin Example" in chat.text
    await chat.send("Submit application")
    assert "Signed up. Reference: NEWS-" in chat.text

    [app] = await store.applications()
    assert (
        app.form == "tiny" and app.reference.startswith("NEWS-") and app.reference.endswith("-0001")
    )
    assert app.hub_id == app.answers["chosen_hub"] != ""
    [entry] = await store.outbox()
    message = email.message_from_bytes(entry.data, policy=email.policy.SMTP)
    assert message["Subject"] == f"Newsletter sign-up: Robin Example ({app.reference})"
    assert "robin@school.example.org" in str(message["Cc"])
    assert "robin@school.example.org" in str(message["Reply-To"])
    assert "robin@school.example.org" in entry.recipients
    assert message["X-Application-Form"] == "tiny"
    body = message.get_body(("plain",))
    assert body is not None and "Maths Hub newsletter sign-up" in body.get_content()
