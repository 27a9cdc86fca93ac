"""Unit tests of the flow engine's pure API (bot.flows.engine): answer, back, skip, the
review's edit and submit, driven directly on a FlowState with the shipped flows and
nothing else (no assistant, store or channel).  The end-to-end suites drive the same
paths through a channel; these pin the engine's own contract."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.flows.engine import End, FlowEngine, Outcome
from bot.knowledge.base import Knowledge
from bot.session import FlowState
from tests.conftest import EOI_ANSWERS, TODAY, shared_knowledge
from tests.test_specialist_form import ANSWERS as SPECIALIST_ANSWERS
from tests.test_specialist_form import OPEN_DAY


@pytest.fixture(scope="module")
def shipped() -> Knowledge:
    return shared_knowledge()


def _engine(shipped: Knowledge, day: dt.date) -> FlowEngine:
    return FlowEngine(
        shipped.flows,
        shipped.finder,
        lambda: day,
        lambda _window: None,
        windows=lambda: shipped.faq.windows,
    )


@pytest.fixture(scope="module")
def engine(shipped: Knowledge) -> FlowEngine:
    return _engine(shipped, TODAY)


def _text(outcome: Outcome) -> str:
    return "\n".join(r.text for r in outcome.replies)


def _fill(
    engine: FlowEngine, flow_id: str, given: list[tuple[str, str]], until: str = "review"
) -> FlowState:
    """A form answered until ``until`` is asked, each answer given where it is asked."""
    state, _ = engine.begin(flow_id)
    answers = dict(given)
    while state.step != until:
        assert state.step in answers, f"asked {state.step}, which the test has no answer for"
        outcome = engine.handle(state, answers[state.step])
        assert outcome.end is None, _text(outcome)
    return state


def _fill_eoi(engine: FlowEngine) -> FlowState:
    return _fill(engine, "eoi", EOI_ANSWERS)


def test_an_answer_is_recorded_and_the_next_question_asked(engine: FlowEngine) -> None:
    state, _ = engine.begin("eoi")
    engine.handle(state, "I agree")
    outcome = engine.handle(state, "Example Academy")
    assert state.answers["school_name"] == "Example Academy"
    assert state.step == "school_address" and state.history[-1] == "school_name"
    assert outcome.replies[-1].field == "school_address" and outcome.end is None


def test_an_optional_question_is_skipped_blank_and_the_form_goes_on(engine: FlowEngine) -> None:
    state = _fill_eoi(engine)
    state.step = "teacher1_ncetm_username"
    outcome = engine.skip(state)
    assert state.answers["teacher1_ncetm_username"] == ""
    assert state.step != "teacher1_ncetm_username" and outcome.end is None


def test_back_at_the_first_question_says_so_and_changes_nothing(engine: FlowEngine) -> None:
    state, _ = engine.begin("eoi")
    outcome = engine.back(state)
    assert state.step == "privacy_consent"
    assert "no earlier question" in _text(outcome)


def test_back_asks_the_previous_question_again_with_its_answer_kept(engine: FlowEngine) -> None:
    state, _ = engine.begin("eoi")
    engine.handle(state, "I agree")
    engine.handle(state, "Example Academy")
    outcome = engine.back(state)
    assert state.step == "school_name" and state.answers["school_name"] == "Example Academy"
    assert outcome.replies[-1].field == "school_name" and outcome.end is None


def test_a_required_question_is_not_skipped(engine: FlowEngine) -> None:
    state, _ = engine.begin("eoi")
    engine.handle(state, "I agree")
    outcome = engine.skip(state)
    assert state.step == "school_name" and "school_name" not in state.answers
    assert "can't be skipped" in _text(outcome)


def test_an_invalid_answer_is_refused_and_nothing_recorded(engine: FlowEngine) -> None:
    state = _fill(engine, "eoi", EOI_ANSWERS, until="school_urn")
    outcome = engine.handle(state, "not a number")
    assert state.step == "school_urn" and "school_urn" not in state.answers
    assert outcome.replies[-1].field == "school_urn" and outcome.end is None


def test_a_complete_form_submits_from_its_review(engine: FlowEngine) -> None:
    state = _fill_eoi(engine)
    summary = engine.question(engine.ctx.flows["eoi"], state).text
    assert "Example Academy" in summary and "Jane Smith" in summary
    outcome = engine.handle(state, "Submit application")
    assert outcome.end is End.SUBMIT and outcome.submit and not outcome.finished


def test_an_answer_named_at_the_review_is_changed_and_the_review_shown_again(
    engine: FlowEngine,
) -> None:
    state = _fill_eoi(engine)
    outcome = engine.handle(state, "URN")
    assert state.step == "school_urn" and state.editing
    assert "come back to the summary" in _text(outcome)
    outcome = engine.handle(state, "654321")
    assert state.step == "review" and not state.editing
    assert state.answers["school_urn"] == "654321"
    assert state.answers["school_name"] == "Example Academy"  # the others are kept
    assert "654321" in _text(outcome) and outcome.end is None


def test_a_review_reply_not_understood_never_submits(engine: FlowEngine) -> None:
    state = _fill_eoi(engine)
    outcome = engine.handle(state, "blah blah")
    assert outcome.end is None and state.step == "review"
    assert "nothing was submitted" in _text(outcome)
    # The list of answers is shown: a number now picks an answer, never Submit.
    outcome = engine.handle(state, "1")
    assert outcome.end is None and state.step == "school_name" and state.editing


def test_submit_while_a_window_is_open_gives_the_summary_and_sends_nothing(
    shipped: Knowledge,
) -> None:
    engine = _engine(shipped, OPEN_DAY)
    state = _fill(engine, "specialist", SPECIALIST_ANSWERS)
    outcome = engine.handle(state, "Show my summary for the NCETM form")
    assert outcome.end is End.COMPLETED and state.step is None
    text = _text(outcome)
    assert "Robin Example" in text and "Tell me when applications open" not in text


@pytest.mark.parametrize(("day", "asked"), [(TODAY, True), (OPEN_DAY, False)])
def test_the_notify_question_is_asked_only_while_no_window_is_open(
    shipped: Knowledge, day: dt.date, asked: bool
) -> None:
    """flows/specialist.yaml's ``window: closed``: while a window is open there is no later
    one to be told about, so the question is neither asked nor counted nor summarised."""
    engine = _engine(shipped, day)
    state = _fill(engine, "specialist", SPECIALIST_ANSWERS, until="head_release")
    header = engine.question(shipped.flows["specialist"], state).text.splitlines()[0]
    assert header.endswith("(1 more after this)" if asked else "(the last one)"), header
    outcome = engine.handle(state, "Yes, agreed")
    assert state.step == ("tell_me_when_open" if asked else "review")
    # Its section heads the question, or would head its line in the summary.
    assert ("Next application window" in _text(outcome)) is asked
