"""The web chat in a real browser (Debian's chromium driven by Playwright) against
``python -m bot web`` running as a process: greet, ask, find a hub, a whole Expression of
Interest with wrong answers refused, a reload and a server restart mid-form, submission
and the email in the outbox, two tabs and two browsers, /forget, keyboard use, the embed
snippet on another origin (and its refusal elsewhere), screenshots and an axe-core check.

These tests never skip: without chromium they fail, and ``scripts/test`` installs it.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    expect,
    sync_playwright,
)

from tests._web import (
    ARTIFACTS,
    AXE,
    DESKTOP,
    PHONE,
    TIMEOUT_MS,
    ChatPage,
    WebProcess,
    free_port,
    hub_page,
    launch,
    static_site,
)
from tests.conftest import EOI_ANSWERS

# The "hub website" that may embed the chat is on this port; another is not allowed.
HUB_PORT = free_port()
HUB_ORIGIN = f"http://127.0.0.1:{HUB_PORT}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    process = WebProcess(tmp_path_factory.mktemp("web") / "var", allowed_origins=(HUB_ORIGIN,))
    process.start()
    yield process
    if process.process is not None:
        assert process.stop() == 0, process.log()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def chat(context: BrowserContext, server: WebProcess) -> ChatPage:
    return ChatPage(context.new_page()).open(server.url)


def _answer(chat: ChatPage, value: str) -> str:
    """Answer the current question as a person would: its button if it has one."""
    options = chat.current_field_options()
    if value in options:
        return chat.choose(value)
    return chat.type(value)


def test_greeting_menu_answers_with_sources_and_the_hub_finder(chat: ChatPage) -> None:
    greeting = chat.last()
    assert greeting.startswith("Hello!")
    menu = chat.current_field_options()
    assert menu[:3] == ["Ask a question", "Am I eligible?", "Find my Maths Hub"]
    answer = chat.type("do i need qts")
    assert "Qualified Teacher Status" in answer and "Source:" in answer
    # The answer keeps its paragraphs: the text, then the source.
    paragraphs = chat.assistant_messages().last.locator("p")
    assert paragraphs.count() >= 2
    expect(paragraphs.last).to_contain_text("Source:")
    chat.type("/start")
    asked = chat.choose("Find my Maths Hub")
    assert "town" in asked.lower() or "postcode" in asked.lower()
    found = chat.type("Sheffeild")  # a typo is asked about, with the hub it may mean
    assert "Did you mean Sheffield?" in found and "South Yorkshire Maths Hub" in found
    assert "Your Maths Hub" in chat.choose("South Yorkshire Maths Hub")
    privacy = chat.reply_to(chat.page.get_by_role("button", name="Privacy").click)
    assert "how your information is used" in privacy.lower()
    assert "/forget" in privacy


def test_eligibility_check_with_buttons(chat: ChatPage) -> None:
    first = chat.choose("Am I eligible?")
    options = chat.current_field_options()
    assert options, first
    for _ in range(6):
        options = chat.current_field_options()
        if not options:
            break
        reply = chat.choose(options[0])
    assert "eligib" in reply.lower() or "criteria" in reply.lower()


def test_applicant_text_is_shown_as_text_never_as_html(chat: ChatPage) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    chat.page.on("dialog", on_dialog)
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script><b>bold</b>'
    chat.type(attack)
    mine = chat.page.locator(".msg-user").last
    expect(mine).to_contain_text(attack)
    assert chat.page.locator(".log img, .log script, .log b").count() == 0
    assert dialogs == []


def test_a_whole_application_with_wrong_answers_refused_reload_and_restart(
    context: BrowserContext, server: WebProcess
) -> None:
    chat = ChatPage(context.new_page()).open(server.url)
    chat.choose("Apply for a Work Group")
    answers = dict(EOI_ANSWERS)
    wrong = {
        "school_urn": ("1103", "six digits"),
        "head_email": ("head at academy", "email"),
        "school_phone": ("12", "phone"),
    }
    reloaded = restarted = False
    changed = False
    for _ in range(60):
        field = _current_field(chat)
        text = chat.last()
        if field == "review":
            if not changed:
                # Review and edit: change one answer and come back to the summary.
                assert "Example Academy" in text
                chat.choose(re.compile("Change an answer"))
                chat.choose(re.compile("Name of school"))
                summary = chat.type("Example Academy & Sixth Form")
                assert "Example Academy & Sixth Form" in summary
                changed = True
                continue
            done = chat.choose(re.compile("Submit"))
            break
        assert field in answers, text
        if field in wrong:
            bad, expected = wrong.pop(field)
            refused = chat.type(bad)
            assert expected in refused.lower(), refused
            assert _current_field(chat) == field  # the same question, asked again
        if field == "school_phone":
            # The progress shows, and /back goes to the previous question.
            expect(chat.page.locator("progress").last).to_have_attribute("value", "5")
            back = chat.type("/back")
            assert "URN" in back and "Current answer: 123456" in back
            chat.type("123456")
        if field == "head_name" and not reloaded:
            chat.page.reload()
            expect(chat.assistant_messages().last).to_contain_text("head teacher")
            # The conversation so far is still on the page.
            expect(chat.page.locator(".msg-user", has_text="0113 496 0000")).to_have_count(1)
            reloaded = True
        if field == "teacher1_name" and not restarted:
            assert server.stop() == 0
            server.start()
            chat.page.reload()
            expect(chat.assistant_messages().last).to_contain_text("Mastery Advocate")
            assert _current_field(chat) == "teacher1_name"
            restarted = True
        if field == "teacher2_ncetm_username":
            # An optional question: the "/skip" in its text is a button.
            skip = chat.assistant_messages().last.get_by_role("button", name="/skip")
            after_skip = chat.reply_to(skip.click)
            assert "year groups" in after_skip.lower(), after_skip
            continue
        _answer(chat, answers[field])
    else:
        raise AssertionError("the form never reached its review")
    assert reloaded and restarted and not wrong
    reference = re.search(r"EOI-\d{4}-\d{4}", done)
    assert reference, done
    status = chat.type("/status")
    assert reference.group(0) in status
    mail = server.data_dir / "mail" / f"{reference.group(0)}.eml"
    expect(chat.page.locator("body")).to_be_visible()
    _wait_for_file(mail)
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    assert "Example Academy & Sixth Form" in str(message["Subject"])
    assert "enigma@hubs.example" in str(message["To"])


def _current_field(chat: ChatPage) -> str | None:
    """The field the newest message asks for (None after the applicant's own message)."""
    field: str | None = chat.page.locator(".msg").last.get_attribute("data-field")
    return field


def _wait_for_file(path: Path) -> None:
    import time

    deadline = time.monotonic() + 20
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert path.exists(), f"no email at {path}"


def test_two_tabs_are_one_conversation_and_two_browsers_are_separate(
    browser: Browser, context: BrowserContext, server: WebProcess
) -> None:
    first = ChatPage(context.new_page()).open(server.url)
    first.choose("Apply for a Work Group")
    first.choose("I agree")
    first.type("Tab School")
    second = ChatPage(context.new_page()).open(server.url)
    expect(second.page.locator(".msg-user", has_text="Tab School")).to_have_count(1)
    second.type("1 Tab Road, Sheffield S1 2AB")
    first.page.bring_to_front()
    first.page.evaluate("() => window.dispatchEvent(new Event('focus'))")
    expect(first.page.locator(".msg-user", has_text="1 Tab Road")).to_have_count(1)
    other_context = browser.new_context(viewport=DESKTOP)
    try:
        other = ChatPage(other_context.new_page()).open(server.url)
        assert other.assistant_messages().count() == 1
        expect(other.page.locator(".log")).not_to_contain_text("Tab School")
        other.type("/status")
        expect(other.page.locator(".log")).not_to_contain_text("Tab School")
    finally:
        other_context.close()


def test_forget_deletes_the_conversation_and_the_cookie(
    context: BrowserContext, chat: ChatPage
) -> None:
    chat.choose("Apply for a Work Group")
    chat.choose("I agree")
    chat.type("Forgettable School")
    assert [c["name"] for c in context.cookies()] == ["mh_chat"]
    cookie = context.cookies()[0]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    reply = chat.type("/forget")
    assert "deleted your draft" in reply
    assert context.cookies() == []
    expect(chat.page.locator(".log")).not_to_contain_text("Forgettable School")
    chat.page.reload()
    expect(chat.assistant_messages()).to_have_count(1)
    expect(chat.page.locator(".log")).not_to_contain_text("Forgettable School")
    assert chat.last().startswith("Hello!")


def test_keyboard_only(chat: ChatPage) -> None:
    page = chat.page
    expect(page.get_by_label("Your message")).to_be_focused()
    # Shift+Tab from the message box reaches the newest choices, Enter presses one.
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert focused in chat.current_field_options()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus indicator
    for _ in range(5):
        if page.evaluate("() => document.activeElement.textContent") == "Apply for a Work Group":
            break
        page.keyboard.press("Shift+Tab")
    before = chat.assistant_messages().count()
    page.keyboard.press("Enter")
    expect(chat.assistant_messages()).not_to_have_count(before)
    chat.wait_until_idle()
    expect(page.get_by_label("Your message")).to_be_focused()
    for _ in range(3):
        if page.evaluate("() => document.activeElement.textContent") == "I agree":
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(chat.assistant_messages().last).to_contain_text("name of the school")
    chat.wait_until_idle()
    page.keyboard.type("Keyboard School")
    page.keyboard.press("Enter")
    expect(chat.assistant_messages().last).to_contain_text("address")


def test_the_page_says_when_a_reply_is_on_its_way_and_when_it_is_refused(
    chat: ChatPage,
) -> None:
    page = chat.page
    # Hold the next reply back for a moment to see the typing indicator.
    page.evaluate(
        """() => { const real = window.fetch; window.fetch = (...a) =>
             new Promise(r => setTimeout(r, 700)).then(() => real(...a)); }"""
    )
    box = page.get_by_label("Your message")
    box.fill("What does it cost?")
    box.press("Enter")
    expect(page.locator("#typing")).to_be_visible()
    expect(page.locator("#typing")).to_be_hidden()
    # A refusal (here, the rate limit) is shown plainly and the typed text is kept.
    page.route(
        "**/api/message",
        lambda route: route.fulfill(
            status=429,
            content_type="application/json",
            body=json.dumps({"error": "You're sending messages faster than I can read them."}),
        ),
    )
    box.fill("How much release time is there?")
    box.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("faster than I can read")
    expect(box).to_have_value("How much release time is there?")


def test_the_embed_snippet_on_an_allowed_site(browser: Browser, server: WebProcess) -> None:
    pages = {"/": hub_page(server.url)}
    with static_site(pages, port=HUB_PORT) as origin:
        context = browser.new_context(viewport=DESKTOP)
        try:
            page = context.new_page()
            page.goto(origin + "/")
            launcher = page.get_by_role("button", name="Ask the Maths Hub assistant")
            expect(launcher).to_have_attribute("aria-expanded", "false")
            launcher.click()
            expect(launcher).to_have_attribute("aria-expanded", "true")
            frame = page.frame_locator("#mathshub-chat-frame")
            chat = ChatPage(page).within(frame)
            expect(chat.assistant_messages().first).to_contain_text("Hello!")
            answer = chat.type("How much release time is there?")
            assert "release" in answer.lower()
            _screenshot(page, "embed-desktop")
            # Close from inside the frame: Escape hands focus back to the launcher.
            frame.get_by_label("Your message").press("Escape")
            expect(page.locator("#mathshub-chat-frame")).to_be_hidden()
            expect(launcher).to_be_focused()
        finally:
            context.close()


def test_the_embed_snippet_is_refused_elsewhere(browser: Browser, server: WebProcess) -> None:
    pages = {"/": hub_page(server.url), "/frame": hub_page(server.url, iframe=True)}
    with static_site(pages) as origin:
        assert origin != HUB_ORIGIN
        context = browser.new_context()
        try:
            page = context.new_page()
            refused: list[str] = []
            page.on("response", lambda r: refused.append(r.url) if r.status == 403 else None)
            page.goto(origin + "/")
            page.wait_for_load_state("networkidle")
            assert any(u.endswith("/embed.js") for u in refused)
            expect(page.get_by_role("button", name="Ask the Maths Hub assistant")).to_have_count(0)
            # An iframe pasted by hand is blocked by the browser (frame-ancestors).
            page.goto(origin + "/frame")
            page.wait_for_load_state("networkidle")
            frame = page.frames[1]
            assert frame.url.startswith("chrome-error://") or frame.locator("#log").count() == 0
            expect(page.frame_locator("iframe").locator("#log")).to_have_count(0)
        finally:
            context.close()


def _screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 5_000
    return path


def test_screenshots_on_desktop_and_phone(browser: Browser, server: WebProcess) -> None:
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        try:
            chat = ChatPage(context.new_page()).open(server.url)
            chat.type("Do I need QTS?")
            _screenshot(chat.page, f"chat-{name}")
            chat.type("/apply eoi")
            chat.choose("I agree")
            chat.type("Example Academy")
            chat.type("1 Example Road, Milton Keynes MK9 1AA")
            chat.type("1103")
            _screenshot(chat.page, f"form-{name}")
            # Nothing overflows sideways on a phone.
            width = chat.page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport["width"]
        finally:
            context.close()


def _axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def test_no_serious_accessibility_violations(browser: Browser, server: WebProcess) -> None:
    for viewport in (DESKTOP, PHONE):
        # Only so axe's own script can be injected: the page's CSP forbids inline script.
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        try:
            chat = ChatPage(context.new_page()).open(server.url)
            checked = []
            chat.type("Do I need QTS?")
            checked.append(_axe(chat.page))
            chat.type("/apply eoi")
            chat.type("yes")
            chat.type("<b>x</b>")
            chat.type("/status")
            checked.append(_axe(chat.page))
            serious = [
                f"{v['id']} ({v['impact']}): {v['help']} - {[n['target'] for n in v['nodes']][:3]}"
                for violations in checked
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == []
        finally:
            context.close()
