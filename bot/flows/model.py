"""Flows parsed once from ``flows/*.yaml`` into typed, validated objects."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot._yaml import LineDict, Problems, YamlProblem, line_of, load_yaml
from bot.exceptions import KnowledgeError
from bot.flows.validators import VALIDATORS
from bot.replies import Option

STEP_TYPES = (
    "input",
    "choice",
    "consent",
    "confirm",
    "hub",
    "place",
    "hub_pick",
    "review",
    "verdict",
)
# Types whose answer comes from a validator named in the step.
_NEEDS_VALIDATOR = ("input",)
_NEEDS_OPTIONS = ("choice", "consent", "confirm")
_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Condition:
    field: str
    equals: tuple[str, ...]

    def holds(self, answers: Mapping[str, str]) -> bool:
        return answers.get(self.field) in self.equals


@dataclass(frozen=True)
class Criterion:
    name: str
    passes: str
    failure: str


@dataclass(frozen=True)
class Step:
    field: str
    type: str
    prompt: str
    label: str
    section: str | None = None
    help: str | None = None
    example: str | None = None
    validator: str | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    options: tuple[Option, ...] = ()
    optional: bool = False
    when: Condition | None = None
    next: str | None = None
    different_from: str | None = None
    criterion: Criterion | None = None
    line: int = 0

    @property
    def is_question(self) -> bool:
        return self.type not in ("review", "verdict")


@dataclass(frozen=True)
class Flow:
    id: str
    title: str
    intro: str | None
    steps: tuple[Step, ...]
    private: bool
    params: Mapping[str, Any]
    source: tuple[str, ...]

    def step(self, field_id: str) -> Step:
        for step in self.steps:
            if step.field == field_id:
                return step
        raise KeyError(field_id)

    def has(self, field_id: str) -> bool:
        return any(s.field == field_id for s in self.steps)

    def index(self, field_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.field == field_id)

    def path(self, answers: Mapping[str, str]) -> list[Step]:
        """The steps this applicant will see, in order, given the answers so far."""
        seen: list[Step] = []
        position: int | None = 0
        visited: set[int] = set()
        while position is not None and position < len(self.steps) and position not in visited:
            visited.add(position)
            step = self.steps[position]
            if step.when is not None and not step.when.holds(answers):
                position += 1
                continue
            seen.append(step)
            if step.next == "end":
                position = None
            elif step.next:
                position = self.index(step.next)
            else:
                position += 1
        return seen


def _options(raw: Any) -> tuple[Option, ...]:
    out: list[Option] = []
    for item in raw or []:
        if isinstance(item, Mapping):
            out.append(
                Option(str(item.get("label", "")), str(item.get("value", item.get("label", ""))))
            )
        else:
            out.append(Option(str(item), str(item)))
    return tuple(out)


def _parse_flow(path: Path, raw: Any, problems: Problems) -> Flow | None:
    if not isinstance(raw, LineDict):
        problems.add(path, 1, "expected a mapping with 'id' and 'steps'")
        return None
    flow_id = str(raw.get("id") or "").strip()
    if not flow_id:
        problems.add(path, line_of(raw), "missing field 'id'")
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.add(path, line_of(raw), "missing field 'steps' (a list)")
        return None
    steps: list[Step] = []
    fields: dict[str, int] = {}
    for item in raw_steps:
        if not isinstance(item, LineDict):
            problems.add(path, line_of(raw_steps), "each step is a mapping")
            continue
        field_id = str(item.get("field") or "").strip()
        where = f"step {field_id or '?'}"
        if not _FIELD.match(field_id):
            problems.add(path, line_of(item), f"{where}: 'field' must be a snake_case id")
            continue
        if field_id in fields:
            problems.add(
                path,
                line_of(item, "field"),
                f"{where}: duplicate field (first at line {fields[field_id]})",
            )
        fields[field_id] = line_of(item, "field")
        step_type = str(item.get("type") or "input")
        if step_type not in STEP_TYPES:
            problems.add(path, line_of(item, "type"), f"{where}: unknown type {step_type!r}")
        validator = item.get("validator")
        if step_type in _NEEDS_VALIDATOR:
            if not validator:
                problems.add(path, line_of(item), f"{where}: missing field 'validator'")
            elif validator not in VALIDATORS:
                problems.add(
                    path,
                    line_of(item, "validator"),
                    f"{where}: unknown validator {validator!r} (known: {', '.join(sorted(VALIDATORS))})",
                )
        options = _options(item.get("options"))
        if step_type in _NEEDS_OPTIONS and not options:
            problems.add(path, line_of(item), f"{where}: a {step_type} step needs 'options'")
        prompt = str(item.get("prompt") or "").strip()
        if not prompt and step_type not in ("review", "verdict"):
            problems.add(path, line_of(item), f"{where}: missing field 'prompt'")
        when = None
        if isinstance(item.get("when"), Mapping):
            cond = item["when"]
            equals = cond.get("equals", cond.get("in"))
            when = Condition(
                str(cond.get("field", "")),
                tuple(str(v) for v in (equals if isinstance(equals, list) else [equals])),
            )
        criterion = None
        if isinstance(item.get("criterion"), Mapping):
            crit = item["criterion"]
            criterion = Criterion(
                str(crit.get("name", field_id)),
                str(crit.get("passes", "yes")),
                str(crit.get("failure", "")),
            )
        steps.append(
            Step(
                field=field_id,
                type=step_type,
                prompt=prompt,
                label=str(item.get("label") or field_id.replace("_", " ").capitalize()),
                section=item.get("section"),
                help=item.get("help"),
                example=item.get("example"),
                validator=str(validator) if validator else None,
                params=dict(item.get("params") or {}),
                options=options,
                optional=bool(item.get("optional", False)),
                when=when,
                next=str(item["next"]) if item.get("next") else None,
                different_from=item.get("different_from"),
                criterion=criterion,
                line=line_of(item),
            )
        )
    known = {s.field for s in steps}
    for step in steps:
        where = f"step {step.field}"
        if step.when is not None and step.when.field not in known:
            problems.add(
                path, step.line, f"{where}: condition names unknown field {step.when.field!r}"
            )
        if step.next and step.next != "end" and step.next not in known:
            problems.add(path, step.line, f"{where}: 'next' names unknown step {step.next!r}")
        if step.different_from and step.different_from not in known:
            problems.add(
                path,
                step.line,
                f"{where}: 'different_from' names unknown field {step.different_from!r}",
            )
    file_problems = len(problems.items)
    flow = Flow(
        id=flow_id,
        title=str(raw.get("title") or flow_id),
        intro=raw.get("intro"),
        steps=tuple(steps),
        private=bool(raw.get("private", False)),
        params=dict(raw.get("params") or {}),
        source=tuple(raw.get("source") or ())
        if isinstance(raw.get("source"), list)
        else ((str(raw["source"]),) if raw.get("source") else ()),
    )
    for unreachable in _unreachable(flow):
        problems.add(
            path, unreachable.line, f"step {unreachable.field}: unreachable (no step leads to it)"
        )
    return None if problems or len(problems.items) > file_problems else flow


def _unreachable(flow: Flow) -> list[Step]:
    """Steps no path can reach: every conditional step may be taken or skipped."""
    reached: set[int] = set()
    frontier = [0]
    while frontier:
        position = frontier.pop()
        if position in reached or position >= len(flow.steps):
            continue
        reached.add(position)
        step = flow.steps[position]
        if step.when is not None:
            frontier.append(position + 1)
        if step.next == "end":
            continue
        if step.next and not flow.has(step.next):
            continue  # reported as an unknown step already
        frontier.append(flow.index(step.next) if step.next else position + 1)
    return [s for i, s in enumerate(flow.steps) if i not in reached]


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
        flow = _parse_flow(path, raw, problems)
        if flow is not None:
            if flow.id in flows:
                problems.add(path, 1, f"duplicate flow id {flow.id!r}")
            flows[flow.id] = flow
    if problems:
        raise KnowledgeError(problems.items)
    return flows
