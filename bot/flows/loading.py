"""Reading ``flows/*.yaml``: shape errors from pydantic turned into ``file:line`` problems,
then the whole-file checks (:mod:`bot.flows._checker`); the assistant refuses to start
until every problem is fixed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from bot._yaml import LineDict, Problems, YamlProblem, line_of, load_yaml
from bot.exceptions import KnowledgeError
from bot.flows._checker import _Checker
from bot.flows._lines import describe, line_at, where
from bot.flows.model import Flow

# -- loading -------------------------------------------------------------------------------------


def _attach_lines(flow: Flow, raw: LineDict) -> None:
    raw_steps = raw.get("steps") or []
    for step, item in zip(flow.steps, raw_steps, strict=False):
        step._line = line_of(item)
    raw_checks = raw.get("checks") or []
    for check, item in zip(flow.checks, raw_checks, strict=False):
        check._line = line_of(item)


def parse_flow(path: Path, raw: Any, problems: Problems) -> Flow | None:
    """One flow file into a :class:`Flow`, or ``None`` with its problems added."""
    if not isinstance(raw, LineDict):
        problems.add(path, 1, "expected a mapping with 'id' and 'steps'")
        return None
    before = len(problems.items)
    try:
        flow = Flow.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error.get("loc") or ()
            # The message names the key itself, so the place stops at its parent.
            named = error.get("type") in ("extra_forbidden", "missing") or loc[-1:] == ("type",)
            place = loc[:-1] if named else loc
            problems.add(path, line_at(raw, loc), f"{where(raw, place)}: {describe(error)}")
        return None
    _attach_lines(flow, raw)
    _Checker(path, raw, flow, problems).run()
    return flow if len(problems.items) == before else None


def load_flows(directory: Path) -> dict[str, Flow]:
    problems = Problems()
    flows: dict[str, Flow] = {}
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        raise KnowledgeError([f"{directory}:1: no flow files (*.yaml)"])
    for path in files:
        try:
            raw = load_yaml(path)
        except YamlProblem as exc:
            problems.items.append(str(exc))
            continue
        flow = parse_flow(path, raw, problems)
        if flow is not None:
            if flow.id in flows:
                problems.add(path, 1, f"duplicate flow id {flow.id!r}")
            flows[flow.id] = flow
    if problems:
        raise KnowledgeError(problems.items)
    return flows
