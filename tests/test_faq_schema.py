"""The FAQ file is parsed into typed models: unknown keys and yes/no openings fail as file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.exceptions import KnowledgeError
from bot.knowledge.faq import yes_no_opening
from bot.knowledge.faq_file import load_faq

ENTRY = """\
  - id: {id}
    programme: {programme}
    year: "{year}"
{extra}    questions:
      - How much does it cost?
    answer: >-
      {answer}
    source: 002_f21929d7976b199c.txt
"""


def _faq(tmp_path: Path, *entries: str, top: str = "") -> Path:
    path = tmp_path / "faq.yaml"
    path.write_text(
        "programmes:\n  specialist: Specialist\n" + top + "entries:\n" + "".join(entries)
    )
    return path


def _entry(
    id: str = "cost",
    answer: str = "The programme is free.",
    extra: str = "",
    programme: str = "specialist",
    year: str = "2026/27",
) -> str:
    return ENTRY.format(id=id, answer=answer, extra=extra, programme=programme, year=year)


def _problems(path: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_faq(path)
    return caught.value.problems


def test_a_valid_file_loads_with_topics_and_siblings(tmp_path: Path) -> None:
    path = _faq(
        tmp_path,
        _entry("cost-specialist", extra="    topic: cost\n"),
        _entry("cost-workgroups", extra="    topic: cost\n", programme="workgroups"),
        _entry("other"),
    )
    faq = load_faq(path)
    first, second, other = faq.entries
    assert first.topic == "cost" and other.topic is None
    assert faq.siblings(first) == (second,) and faq.siblings(other) == ()


def test_an_unknown_key_is_refused_at_its_line(tmp_path: Path) -> None:
    path = _faq(tmp_path, _entry(extra="    topik: cost\n"))
    assert _problems(path) == [f"{path}:7: entry cost: unknown key 'topik'"]


def test_an_unknown_top_level_key_and_a_bad_programme_are_refused(tmp_path: Path) -> None:
    path = _faq(tmp_path, _entry(programme="primary"), top="synonym:\n  cost: [fee]\n")
    problems = _problems(path)
    assert problems == [f"{path}:3: faq: unknown key 'synonym'"]
    path = _faq(tmp_path, _entry(programme="primary"))
    assert _problems(path) == [
        f"{path}:5: entry cost: programme must be one of specialist, workgroups, both"
    ]


@pytest.mark.parametrize(
    "answer",
    [
        "Yes. Qualified Teacher Status is essential.",
        "No, it is free.",
        "For the Secondary Mastery Specialist Programme (Cohort 11, 2026/27), no: two years are essential.",
        "yeah you can",
    ],
)
def test_an_answer_opening_with_yes_or_no_is_refused(tmp_path: Path, answer: str) -> None:
    path = _faq(tmp_path, _entry(answer=answer))
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:9: entry cost: the answer opens with ")


@pytest.mark.parametrize(
    "answer",
    [
        "Qualified Teacher Status (QTS) is an essential criterion.",
        "No longer: since 2025/26 Specialists are not required to work with other schools.",
        "No fee is charged: the Work Groups are fully funded.",
        "For the Work Groups, no school pays a fee.",
    ],
)
def test_a_fact_first_answer_passes(answer: str) -> None:
    assert yes_no_opening(answer) is None
