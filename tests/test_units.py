"""Unit tests of the pure domain beside the end-to-end suites: the flow engine, the FAQ
matcher and the hub finder, each driven directly (no assistant, no store, no channel).

They test public behaviour that any rewrite must keep, not how it is done today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.exceptions import KnowledgeError
from bot.flows.engine import FlowEngine, match_option
from bot.knowledge.base import Knowledge
from bot.knowledge.faq_file import load_faq
from bot.replies import Option
from bot.session import FlowState
from tests.conftest import ROOT, SHARED_DIR, TODAY, needs_shared_sources, shared_knowledge


@pytest.fixture(scope="module")
def engine() -> FlowEngine:
    knowledge = shared_knowledge()
    return FlowEngine(knowledge.flows, knowledge.finder, lambda: TODAY, lambda _window: None)


def _answer(engine: FlowEngine, state: FlowState, text: str) -> str:
    """Give ``text`` as the current answer; return the replies' text."""
    return "\n".join(r.text for r in engine.handle(state, text).replies)


# -- the flow engine -----------------------------------------------------------------------


def test_options_are_chosen_by_number_label_or_value_only() -> None:
    options = (Option("Yes", "yes"), Option("No, not yet", "no"))
    assert match_option(options, "2") == options[1]
    assert match_option(options, " no, NOT yet ") == options[1]
    assert match_option(options, "yes") == options[0]
    assert match_option(options, "3") is None
    assert match_option(options, "0") is None
    assert match_option(options, "²") is None  # a digit to str.isdigit, but no option number
    assert match_option(options, "") is None
    assert match_option(options, "maybe") is None


def test_a_new_form_starts_at_its_first_question(engine: FlowEngine) -> None:
    state, outcome = engine.begin("eoi")
    assert state.step == "privacy_consent" and state.answers == {}
    assert outcome.replies[-1].field == "privacy_consent"
    assert not outcome.finished and not outcome.submit


def test_an_invalid_answer_is_explained_and_changes_nothing(engine: FlowEngine) -> None:
    state, _ = engine.begin("eoi")
    _answer(engine, state, "I agree")
    assert state.step == "school_name"
    _answer(engine, state, "Example Academy")
    _answer(engine, state, "1 Example Road, Milton Keynes MK9 1AA")
    assert state.step == "school_urn"
    text = _answer(engine, state, "not a number")
    assert state.step == "school_urn" and "school_urn" not in state.answers
    assert "URN" in text
    _answer(engine, state, "123456")
    assert state.answers["school_urn"] == "123456" and state.step != "school_urn"


def test_back_returns_to_the_previous_question_keeping_its_answer(engine: FlowEngine) -> None:
    state, _ = engine.begin("eoi")
    _answer(engine, state, "I agree")
    _answer(engine, state, "Example Academy")
    assert state.step == "school_address"
    outcome = engine.back(state)
    assert state.step == "school_name" and outcome.replies[-1].field == "school_name"
    assert state.answers["school_name"] == "Example Academy"


def test_a_required_question_cannot_be_skipped(engine: FlowEngine) -> None:
    state, _ = engine.begin("eoi")
    _answer(engine, state, "I agree")
    outcome = engine.skip(state)
    assert state.step == "school_name" and "can't be skipped" in outcome.replies[-1].text


def test_submitting_with_answers_missing_goes_to_the_first_missing_one(
    engine: FlowEngine,
) -> None:
    state, _ = engine.begin("eoi")
    _answer(engine, state, "I agree")
    state.step = "review"  # as if the answers after consent had been lost
    outcome = engine.handle(state, "Submit application")
    assert not outcome.submit
    assert state.step == "school_name" and "still missing" in outcome.replies[-1].text


def test_declining_the_privacy_notice_ends_the_form(engine: FlowEngine) -> None:
    state, _ = engine.begin("eoi")
    outcome = engine.handle(state, "2")
    assert outcome.finished and not outcome.submit and state.answers == {}


# -- the FAQ matcher -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("Do I need QTS to become a Mastery Specialist?", "QTS|Qualified Teacher Status"),
        ("how much does a work group cost", "free|no (fee|charge|cost)"),
    ],
)
def test_the_matcher_finds_the_entry_that_states_the_fact(question: str, fact: str) -> None:
    result = shared_knowledge().matcher.match(question)
    assert result.entry is not None, result
    assert re.search(fact, result.entry.answer, re.IGNORECASE), result.entry.answer
    assert 0 <= result.score <= 100
    assert result.entry not in result.suggestions and len(result.suggestions) <= 3


@pytest.mark.parametrize("question", ["What is the capital of France?", "", "   "])
def test_the_matcher_does_not_guess(question: str) -> None:
    result = shared_knowledge().matcher.match(question)
    assert result.entry is None
    if not question.strip():
        assert result.score == 0 and result.suggestions == ()


# -- the hub finder --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "hub"),
    [
        ("Sheffield", "South Yorkshire Maths Hub"),
        ("S1 2HE", "South Yorkshire Maths Hub"),  # a postcode
        ("MK9 1AA", "Enigma Maths Hub"),
    ],
)
def test_the_finder_puts_the_right_hub_first(place: str, hub: str) -> None:
    search = shared_knowledge().finder.find(place)
    assert search.status == "found" and search.found
    assert search.hubs[0].name == hub


def test_a_typo_is_a_suggestion_with_the_hub_of_the_place_it_may_mean() -> None:
    search = shared_knowledge().finder.find("Sheffeild")
    assert search.status == "suggested" and search.recognised == "Sheffield"
    assert search.hubs[0].name == "South Yorkshire Maths Hub"


@pytest.mark.parametrize(
    ("place", "status"), [("Cardiff", "outside"), ("Qwertyville", "unknown"), ("", "empty")]
)
def test_the_finder_never_guesses_a_hub(place: str, status: str) -> None:
    search = shared_knowledge().finder.find(place)
    assert search.status == status and search.hubs == () and not search.found
    if status == "outside":
        assert search.country == "Wales"


def test_nearest_hubs_by_lead_school() -> None:
    hubs = shared_knowledge().finder.nearest(53.38, -1.47)  # Sheffield
    assert len(hubs) == 3 and hubs[0].name == "South Yorkshire Maths Hub"


# -- the knowledge base's sources ----------------------------------------------------------


def _cited_sources(knowledge: Knowledge) -> set[str]:
    return {name for entry in knowledge.faq.entries for name in entry.source}


def test_a_faq_entry_citing_a_missing_source_file_is_refused(tmp_path: Path) -> None:
    """The loader checks each cited file against the source documents, wherever they are."""
    cited = sorted(_cited_sources(shared_knowledge()))
    for name in cited[1:]:
        (tmp_path / name).write_text("")
    assert load_faq(ROOT / "knowledge" / "faq.yaml").entries  # no directory: no check
    with pytest.raises(KnowledgeError) as raised:
        load_faq(ROOT / "knowledge" / "faq.yaml", tmp_path)
    assert f"unknown source {cited[0]!r}" in str(raised.value)
    (tmp_path / cited[0]).write_text("")
    assert load_faq(ROOT / "knowledge" / "faq.yaml", tmp_path).entries


@needs_shared_sources
def test_every_cited_source_is_a_real_document() -> None:
    present = {p.name for p in (SHARED_DIR / "sources").iterdir()}
    assert _cited_sources(shared_knowledge()) <= present
    assert set(shared_knowledge().sources) <= present
