"""FAQ entries and application windows, parsed once from ``knowledge/faq.yaml``.

The file is edited by hub staff, so it is parsed into typed models (pydantic, unknown keys
refused) and every problem is reported as ``file:line: problem``: a misspelt key such as
``anwser:`` or ``topik:`` must fail ``check`` instead of being silently ignored.

Answers state the fact first and never open with "Yes" or "No": the same entry answers
"do I need QTS?" and "can an unqualified teacher apply?", whose yes/no are opposite, so a
bare yes/no at the start would be wrong for one of them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot._yaml import LineDict, Problems, YamlProblem, line_of, load_yaml
from bot.exceptions import KnowledgeError

PROGRAMMES = ("specialist", "workgroups", "both")
_ID = r"^[a-z0-9][a-z0-9-]*$"
# "Yes." / "No," / "Yes, slightly." at the start, or right after an opening "For the X (Y),".
_YES_NO_OPENING = re.compile(
    r"^(?:(yes|yeah|yep)\b|(no|nope)\s*[.,:;!]|[^.:;]{0,160}?,\s*(yes|no)\s*[.,:;!])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Window:
    """An application window; its status is worked out on the day it is asked about."""

    id: str
    programme: str
    label: str
    opens: dt.date
    closes: dt.date
    source: tuple[str, ...]

    def status(self, today: dt.date) -> str:
        if today < self.opens:
            return "not yet open"
        if today > self.closes:
            return "closed"
        return "open"

    def status_sentence(self, today: dt.date) -> str:
        on = format_date(today)
        state = self.status(today)
        if state == "open":
            return (
                f"As of {on}, the application window for the {self.label} is open: "
                f"it closes on {format_date(self.closes)}."
            )
        if state == "not yet open":
            return (
                f"As of {on}, the application window for the {self.label} is not yet open: "
                f"it opens on {format_date(self.opens)}."
            )
        return (
            f"As of {on}, the application window for the {self.label} is closed "
            f"(it closed on {format_date(self.closes)}). Dates for later cohorts are not in "
            "my sources: your Maths Hub can tell you when the next window opens."
        )


@dataclass(frozen=True)
class FaqEntry:
    id: str
    programme: str
    year: str | None
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    source: tuple[str, ...]
    window: Window | None
    line: int
    # Entries sharing a topic answer the same question for different programmes or years.
    topic: str | None = None


@dataclass(frozen=True)
class FaqBase:
    programmes: dict[str, str]
    synonyms: dict[str, tuple[str, ...]]
    windows: dict[str, Window]
    entries: tuple[FaqEntry, ...]

    def entry(self, entry_id: str) -> FaqEntry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    def siblings(self, entry: FaqEntry) -> tuple[FaqEntry, ...]:
        """The other entries answering ``entry``'s topic (for another programme or year)."""
        if entry.topic is None:
            return ()
        return tuple(e for e in self.entries if e.topic == entry.topic and e.id != entry.id)

    def answer_text(self, entry: FaqEntry, today: dt.date) -> str:
        """The entry's answer, with today's status of its application window."""
        if entry.window is None:
            return entry.answer
        return f"{entry.answer} {entry.window.status_sentence(today)}"


def format_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def yes_no_opening(answer: str) -> str | None:
    """The yes/no word an answer opens with, if any ("For the X (Y), no: ..." counts)."""
    found = _YES_NO_OPENING.match(answer.strip())
    return next((g for g in found.groups() if g), None) if found else None


# -- the file's schema --------------------------------------------------------------------


def _as_strings(value: Any) -> Any:
    """A string or a list of scalars as a list of strings (YAML reads an unquoted 150 as a number)."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [
            str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in value
        ]
    return value


def _as_text(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return " ".join(value.split())
    return value


Text = Annotated[str, BeforeValidator(_as_text), Field(min_length=1)]
Strings = Annotated[list[Annotated[str, Field(min_length=1)]], BeforeValidator(_as_strings)]
Slug = Annotated[str, Field(pattern=_ID)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class WindowModel(_Strict):
    id: Slug
    programme: Literal["specialist", "workgroups", "both"] = "both"
    label: Text
    opens: dt.date
    closes: dt.date
    source: Strings = Field(min_length=1)


class EntryModel(_Strict):
    id: Slug
    programme: Literal["specialist", "workgroups", "both"]
    year: Text | None = None
    topic: Slug | None = None
    questions: Strings = Field(min_length=1)
    keywords: Strings = Field(default_factory=list)
    answer: Text
    source: Strings = Field(min_length=1)
    window: Slug | None = None


class FileModel(_Strict):
    programmes: dict[str, Text] = Field(default_factory=dict)
    synonyms: dict[str, Strings] = Field(default_factory=dict)
    windows: list[Any] = Field(default_factory=list)
    entries: list[Any] = Field(min_length=1)


def _describe(error: Any) -> str:
    kind = error["type"]
    loc = [str(part) for part in error["loc"]]
    field = loc[0] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key {field!r}"
    if kind == "missing":
        why = " (every answer cites its file)" if field == "source" else ""
        return f"missing field {field!r}{why}"
    if kind == "literal_error" and field == "programme":
        return f"programme must be one of {', '.join(PROGRAMMES)}"
    if kind == "string_pattern_mismatch":
        return f"{field} must be lower-case kebab-case (letters, digits, hyphens)"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"{field} must be a date (YYYY-MM-DD)"
    where = ".".join(loc)
    return f"{where}: {error['msg']}"


def _validate(
    model: type[_Strict], item: LineDict, path: Path, problems: Problems, label: str
) -> Any:
    try:
        return model.model_validate(dict(item))
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else None
            line = line_of(item, key) if key in item.key_lines else line_of(item)
            problems.add(path, line, f"{label}: {_describe(error)}")
        return None


def load_faq(path: Path, sources_dir: Path | None = None) -> FaqBase:
    """Parse ``path``; raise :class:`KnowledgeError` listing every problem found."""
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        raise KnowledgeError([str(exc)]) from None
    if not isinstance(raw, LineDict):
        raise KnowledgeError([f"{path}:1: expected a mapping with 'entries'"])
    problems = Problems()
    top = _validate(FileModel, raw, path, problems, "faq")
    if top is None:
        raise KnowledgeError(problems.items)
    assert isinstance(top, FileModel)

    known_sources = (
        {p.name for p in sources_dir.iterdir()} if sources_dir and sources_dir.is_dir() else None
    )

    def check_sources(item: LineDict, sources: list[str], what: str) -> tuple[str, ...]:
        for name in sources:
            if known_sources is not None and name not in known_sources:
                problems.add(path, line_of(item, "source"), f"{what}: unknown source {name!r}")
        return tuple(sources)

    synonyms = {
        canonical.lower(): tuple(w.lower() for w in words)
        for canonical, words in top.synonyms.items()
    }

    windows: dict[str, Window] = {}
    for item in top.windows:
        if not isinstance(item, LineDict):
            problems.add(path, line_of(raw, "windows"), "windows: each window is a mapping")
            continue
        label = f"window {item.get('id')}" if item.get("id") else "window"
        model = _validate(WindowModel, item, path, problems, label)
        if model is None:
            continue
        assert isinstance(model, WindowModel)
        if model.id in windows:
            problems.add(path, line_of(item), f"window: duplicate id {model.id!r}")
        if model.closes < model.opens:
            problems.add(
                path, line_of(item, "closes"), f"window {model.id}: closes before it opens"
            )
        windows[model.id] = Window(
            id=model.id,
            programme=model.programme,
            label=model.label,
            opens=model.opens,
            closes=model.closes,
            source=check_sources(item, model.source, f"window {model.id}"),
        )

    entries: list[FaqEntry] = []
    seen: dict[str, int] = {}
    for item in top.entries:
        if not isinstance(item, LineDict):
            problems.add(path, line_of(raw, "entries"), "entries: each entry is a mapping")
            continue
        label = f"entry {item.get('id')}" if item.get("id") else "entry"
        if isinstance(raw_id := item.get("id"), str):
            if raw_id in seen:
                problems.add(
                    path,
                    line_of(item, "id"),
                    f"{label}: duplicate id (first at line {seen[raw_id]})",
                )
            seen.setdefault(raw_id, line_of(item, "id"))
        model = _validate(EntryModel, item, path, problems, label)
        if model is None:
            continue
        assert isinstance(model, EntryModel)
        if (word := yes_no_opening(model.answer)) is not None:
            problems.add(
                path,
                line_of(item, "answer"),
                f"{label}: the answer opens with {word!r}; state the fact first (the same "
                "answer serves positive and negated questions, so a bare yes/no is wrong for one)",
            )
        window = None
        if model.window is not None:
            window = windows.get(model.window)
            if window is None:
                problems.add(
                    path, line_of(item, "window"), f"{label}: unknown window {model.window!r}"
                )
        entries.append(
            FaqEntry(
                id=model.id,
                programme=model.programme,
                year=model.year,
                questions=tuple(model.questions),
                keywords=tuple(k.lower() for k in model.keywords),
                answer=model.answer,
                source=check_sources(item, model.source, label),
                window=window,
                line=line_of(item),
                topic=model.topic,
            )
        )
    if problems:
        raise KnowledgeError(problems.items)
    return FaqBase(
        programmes=dict(top.programmes),
        synonyms=synonyms,
        windows=windows,
        entries=tuple(entries),
    )
