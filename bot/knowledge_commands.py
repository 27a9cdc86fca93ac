"""``python -m bot ask``, ``hubs`` and ``eval``: the knowledge base from the command line.

Split from :mod:`bot.cli` (which wires the commands) because these are the commands'
own work, not wiring: answers for another tool (``ask --json``), the hub directory as an
operator reviews it, and a development set run against the answers or the hub finder,
each case judged on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.answers import answer_question
from bot.exceptions import BotError
from bot.knowledge.base import Knowledge
from bot.settings import Settings

logger = logging.getLogger(__name__)


def ask_command(args: argparse.Namespace, knowledge: Knowledge, settings: Settings) -> int:
    """``ask``: one answer, or one a line from stdin; unanswered questions are recorded."""
    questions = (
        [args.question]
        if args.question is not None
        else (line.rstrip("\r\n") for line in sys.stdin)
    )
    about_assistant = _about_assistant(knowledge, settings)
    answered: list[tuple[str, int]] = []
    for question in questions:
        answer = answer_question(
            knowledge, question, settings.today(), about_assistant=about_assistant
        )
        if args.json:
            print(json.dumps(answer.as_json(), ensure_ascii=False), flush=True)
        else:
            print(answer.text + ("\n" if args.question is None else ""), flush=True)
        if answer.unanswered:
            answered.append((question, answer.score))
    if answered:
        asyncio.run(_record_unanswered(settings, answered))
    return 0


def _about_assistant(knowledge: Knowledge, settings: Settings) -> Callable[[], str]:
    """The assistant's own privacy notice, for questions about the assistant itself."""

    def notice() -> str:
        from bot.assistant import Assistant
        from bot.store.memory import MemoryStore

        return Assistant(knowledge, MemoryStore(), today=settings.today).privacy_notice()

    return notice


async def _record_unanswered(settings: Settings, questions: list[tuple[str, int]]) -> None:
    from bot.retention import open_store

    try:
        store = await open_store(settings)
    except BotError as exc:
        logger.warning("could not record unanswered questions: %s", exc)
        return
    try:
        for question, score in questions:
            await store.record_unanswered(question, score)
    finally:
        await store.close()


def hubs_command(args: argparse.Namespace, knowledge: Knowledge) -> int:
    """Every hub with where its details come from, whether its address is real, and how
    many places it serves: what an operator reviews before keeping the directory current."""
    directory = knowledge.hubs
    rows = []
    for hub in directory.hubs:
        row = hub.as_json()
        row.update(
            {
                "areas": hub.area_count,
                "postcodes": len(hub.areas.get("postcodes", ())),
                "website": hub.website,
                "source": hub.announced_source,
                "announced": hub.announced_date.isoformat() if hub.announced_date else None,
                "verified": hub.verified_date.isoformat() if hub.verified_date else None,
                "operator_fields": list(hub.operator_fields),
            }
        )
        rows.append(row)
    if args.json:
        print(
            json.dumps(
                {
                    "hubs": rows,
                    "count": len(rows),
                    "operator_file": str(directory.operator_file)
                    if directory.operator_file
                    else None,
                },
                ensure_ascii=False,
            )
        )
        return 0
    width = max(len(h.id) for h in directory.hubs)
    print(f"{'id':<{width}}  {'status':<21}  {'contact':<11}  {'areas':>5}  name")
    for hub, row in zip(directory.hubs, rows, strict=True):
        status = f"{hub.status} {row['status_date']}"
        print(
            f"{hub.id:<{width}}  {status:<21}  {row['contact']:<11}  {hub.area_count:>5}  {hub.name}"
        )
    verified = sum(1 for h in directory.hubs if h.status == "verified")
    real = sum(1 for h in directory.hubs if not h.has_placeholder_email)
    source = directory.operator_file or "none (set HUB_CONTACTS_FILE)"
    print(
        f"{len(directory.hubs)} hubs: {verified} verified, {len(directory.hubs) - verified} "
        f"announced only; {real} real addresses. Operator file: {source}"
    )
    return 0


def _load_eval(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SystemExit(f"{path}: cannot read the evaluation set: {exc}") from None
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a list of cases")
    return [case for case in data if isinstance(case, dict)]


def eval_command(args: argparse.Namespace, knowledge: Knowledge, settings: Settings) -> int:
    """``eval``: each case judged on the answer a user would read (the same as ``ask``)."""
    cases = _load_eval(Path(args.file))
    today = settings.today()
    about_assistant = _about_assistant(knowledge, settings)
    failures: list[str] = []
    for case in cases:
        if args.kind == "questions":
            label = str(case.get("q", ""))
            ok, why = _judge_question(knowledge, case, label, today, about_assistant)
        else:
            label = str(case.get("place", ""))
            ok, why = _judge_place(knowledge, case, label)
        if not ok:
            failures.append(f"FAIL {label!r}\n  {why}")
    for failure in failures:
        print(failure)
    passed = len(cases) - len(failures)
    rate = 100 * passed / len(cases) if cases else 0.0
    print(f"{args.kind}: {passed}/{len(cases)} passed ({rate:.1f}%)")
    return 0 if not failures else 1


def _judge_question(
    knowledge: Knowledge,
    case: dict[str, Any],
    question: str,
    today: dt.date,
    about_assistant: Callable[[], str],
) -> tuple[bool, str]:
    """Whether the answer holds every expected pattern (or declines, for a fallback case),
    and what it chose."""
    answer = answer_question(knowledge, question, today, about_assistant=about_assistant)
    chosen = (
        f"{answer.tier}: {', '.join(e.id for e in answer.entries) or None} (score {answer.score})"
    )
    expected = str(case.get("why", "")).strip()
    if case.get("fallback"):
        why = (
            f"chose {chosen}; expected a decline"
            + (f" ({expected})" if expected else "")
            + f"; suggested {[e.id for e in answer.suggestions]}"
        )
        return answer.tier == "decline", why
    missing = [p for p in case.get("expect", []) if not re.search(p, answer.text, re.IGNORECASE)]
    why = f"chose {chosen}; missing {missing}"
    if expected:
        why += f"; expected: {expected}"
    if not answer.answered:
        why += f"; suggested {[e.id for e in answer.suggestions]}"
    return answer.answered and not missing, why


def _judge_place(knowledge: Knowledge, case: dict[str, Any], place: str) -> tuple[bool, str]:
    """Whether the finder put the expected hub first, said 'not in England', or asked which
    place was meant, as the case says."""
    search = knowledge.finder.find(place)
    if case.get("none"):
        why = f"expected 'not in England', got {[h.name for h in search.hubs][:2]}"
        return not search.hubs, why
    if isinstance(case.get("ambiguous"), list):
        # A shared name: the finder must ask, offering a place matching each pattern.
        labels = [c.label for c in search.choices]
        missing = [
            p
            for p in case["ambiguous"]
            if not any(re.search(str(p), label, re.IGNORECASE) for label in labels)
        ]
        why = f"expected a question offering {case['ambiguous']}, got {search.status} {labels}"
        return search.status == "ambiguous" and not missing, why
    first = search.hubs[0].name if search.hubs else None
    # A development set may name a hub by its 2019/20 name ("North West Two").
    names = [first, *search.hubs[0].former_names] if search.hubs else []
    ok = any(
        name is not None and re.search(str(case.get("hub")), name, re.IGNORECASE) is not None
        for name in names
    )
    return ok, f"expected {case.get('hub')!r}, got {first!r}"
