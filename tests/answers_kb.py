"""A small, fixed knowledge base for the matcher's tests.

The shipped FAQ changes as staff curate it; these tests pin the matcher's behaviour
(tiers, topics, segmentation) on entries that do not move.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.knowledge.base import Knowledge, load_knowledge

ROOT = Path(__file__).resolve().parent.parent

FAQ = """\
programmes:
  specialist: Secondary Mastery Specialist Programme
  workgroups: Secondary Teaching for Mastery Work Groups
synonyms:
  specialist: [specialist programme, mastery specialist, specialists]
  workgroup: [work groups, work group, workgroups]
  cost: [fee, fees, charge, free, price, pay]
  qts: [qualified teacher status, qualified, unqualified]
  deadline: [closing date, close, closes]
  travel: [travel costs, travelling, train fares]
  head: [headteacher, head teacher, slt]
  # out of scope: a canonical word no entry uses
  salary: [pay rise, tlr, salary, pay scale]
entries:
  - id: cost-specialist
    programme: specialist
    year: "2026/27"
    topic: cost
    questions:
      - How much does the Specialist programme cost?
      - Is the Specialist programme free?
    answer: >-
      For the Secondary Mastery Specialist Programme (Cohort 11, 2026/27), the Maths Hub covers
      the cost of the lead teacher's release time.
    source: 002_f21929d7976b199c.txt
  - id: cost-workgroups
    programme: workgroups
    year: "2024/25"
    topic: cost
    questions:
      - How much does a Work Group cost?
      - Is the Work Group free?
    answer: >-
      The Secondary Teaching for Mastery Work Groups (2024/25) are fully funded, so free, and each
      department receives a £2000 grant.
    source: 004_b8dd91edf2334743.txt
  - id: closing-date
    programme: specialist
    year: "2026/27"
    questions:
      - When is the closing date for applications?
      - What is the deadline?
    answer: >-
      For the Secondary Mastery Specialist Programme (Cohort 11, 2026/27), applications close on
      23 April 2026.
    source: 002_f21929d7976b199c.txt
  - id: qts
    programme: specialist
    year: "2026/27"
    questions:
      - Do I need QTS?
      - Can an unqualified teacher apply?
    answer: >-
      For the Secondary Mastery Specialist Programme (Cohort 11, 2026/27), Qualified Teacher Status
      (QTS) is an essential criterion.
    source: 002_f21929d7976b199c.txt
  - id: travel
    programme: specialist
    year: "2026/27"
    questions:
      - Are travel costs covered?
    answer: >-
      For the Secondary Mastery Specialist Programme (Cohort 11, 2026/27), travel costs to all
      required training events are covered.
    source: 002_f21929d7976b199c.txt
  - id: head-launch
    programme: specialist
    year: "2026/27"
    questions:
      - Does the headteacher need to attend the launch event?
    answer: >-
      For the Secondary Mastery Specialist Programme (Cohort 11, 2026/27), senior leadership
      attends a half-day launch at the start of the programme.
    source: 002_f21929d7976b199c.txt
"""


def make_knowledge_dir(tmp_path: Path) -> Path:
    """A knowledge directory with the small FAQ and the shipped hubs and sources."""
    target = tmp_path / "knowledge"
    target.mkdir()
    for name in ("hubs.yaml", "sources.yaml"):
        shutil.copy(ROOT / "knowledge" / name, target / name)
    (target / "faq.yaml").write_text(FAQ)
    return target


def small_knowledge(tmp_path: Path) -> Knowledge:
    return load_knowledge(make_knowledge_dir(tmp_path), ROOT / "flows")
