"""The shipped knowledge base keeps the content rules the answers depend on.

These are rules about what staff write in ``knowledge/faq.yaml`` (the schema and the
yes/no check are ``check``'s job): every answer names its programme and year, a topic
joins answers for different programmes or years, the hub count is the current one,
each source document is cited, and the facts the issue asked for are there with the
right programme. A curator's slip (one programme's fact filed under the other, "35
Maths Hubs" copied from the 2019/20 list) fails here rather than reaching a teacher.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest

from bot.answers import answer_question
from bot.knowledge.base import Knowledge
from bot.knowledge.faq import FaqEntry
from tests.conftest import SHARED_DIR, needs_shared_sources, shared_knowledge

TODAY = dt.date(2026, 11, 24)
_PROGRAMME_WORDS = re.compile(r"Specialist Programme|Work Groups?|Maths Hubs?|Mastery Specialists?")
_YEAR_WORDS = re.compile(r"\b20\d\d\b|Cohort \d+")


def _entries() -> tuple[FaqEntry, ...]:
    return shared_knowledge().faq.entries


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.id)
def test_every_answer_names_its_programme_and_year(entry: FaqEntry) -> None:
    assert _PROGRAMME_WORDS.search(entry.answer), entry.answer
    assert _YEAR_WORDS.search(entry.answer), entry.answer
    assert entry.year and _YEAR_WORDS.search(entry.year), entry.year


def test_entries_sharing_a_topic_answer_for_different_programmes_or_years() -> None:
    by_topic: dict[str, list[FaqEntry]] = defaultdict(list)
    for entry in _entries():
        if entry.topic:
            by_topic[entry.topic].append(entry)
    assert {"cost", "release-time", "who-can-apply", "deadline", "senior-leaders"} <= set(by_topic)
    for topic, family in by_topic.items():
        assert len(family) >= 2, f"topic {topic} has one entry: {family[0].id}"
        kinds = {(e.programme, e.year) for e in family}
        assert len(kinds) == len(family), f"topic {topic}: two entries for the same programme/year"


def test_the_hub_count_is_forty_wherever_thirty_five_is_mentioned() -> None:
    for entry in _entries():
        if re.search(r"\b35\b", entry.answer):
            assert re.search(r"\b40\b", entry.answer), entry.id


@needs_shared_sources
def test_every_source_document_is_cited() -> None:
    cited = {name for entry in _entries() for name in entry.source}
    shipped = {p.name for p in (SHARED_DIR / "sources").iterdir() if p.name != "README.md"}
    assert shipped <= cited


@pytest.mark.parametrize(
    ("question", "entry_id", "facts"),
    [
        (
            "What is the difference between the Specialist Programme and the Work Groups?",
            "programmes-differences",
            ["lead teacher", "Advocates", "£2000"],
        ),
        (
            "What is the difference between Year 1 and Year 2 of the specialist programme?",
            "specialist-year-1-vs-year-2",
            ["department", "7.5"],
        ),
        (
            "How does accreditation work on the specialist programme?",
            "specialist-accreditation",
            ["reflective journal", "accreditation criteria"],
        ),
        ("is it first come first served", "specialist-selection-quotas", ["quota"]),
        ("What is the £2000 for?", "workgroups-grant", ["department", "Advocates"]),
        (
            "Who should our Mastery Advocates be?",
            "workgroups-who-should-advocates-be",
            ["Head of Department", "Second in Department"],
        ),
        ("where do i find our school urn", "eoi-urn", ["Unique Reference Number"]),
        (
            "what counts as evidence of good teaching",
            "specialist-teaching-skills-evidence",
            ["internal", "external", "Ofsted"],
        ),
        ("How many Maths Hubs are there?", "hub-count", ["40"]),
        ("can we pick any maths hub we like", "hub-any-school", ["any"]),
        ("what is the turing nw maths hub", "hub-turing-nw", ["North West Two"]),
        ("Is there a cohort 12?", "specialist-later-cohorts", ["23 April 2026", "NCETM"]),
        (
            "what does senior leadership have to commit to for the work group",
            "workgroups-senior-leaders",
            ["Head of Department"],
        ),
    ],
)
def test_the_facts_the_issue_asked_for_are_answered(
    question: str, entry_id: str, facts: list[str]
) -> None:
    knowledge: Knowledge = shared_knowledge()
    answer = answer_question(knowledge, question, TODAY)
    assert entry_id in {e.id for e in (*answer.entries, answer.entry) if e is not None}
    for fact in facts:
        assert fact in answer.text, (fact, answer.text)


def test_senior_leader_commitments_are_kept_apart_by_programme() -> None:
    faq = shared_knowledge().faq
    specialist = faq.entry("specialist-headteacher")
    workgroups = faq.entry("workgroups-senior-leaders")
    assert specialist.programme == "specialist" and workgroups.programme == "workgroups"
    assert "half-day launch" in specialist.answer and "autumn term launch" in specialist.answer
    assert "launch" not in workgroups.answer
    assert "fully support the Head of Department" in workgroups.answer
