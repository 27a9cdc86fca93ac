"""Reading ``knowledge/faq.yaml``: its schema, and every problem as ``file:line: problem``.

The file is edited by hub staff, so it is parsed into typed models (pydantic, unknown keys
refused) and every problem is reported as ``file:line: problem``: a misspelt key such as
``anwser:`` or ``topik:`` must fail ``check`` instead of being silently ignored.  Split
from :mod:`bot.knowledge.faq` (the entries and windows themselves) so that the types the
rest of the assistant uses do not carry the loader.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot._yaml import LineDict, Problems, YamlProblem, line_of, load_yaml
from bot.exceptions import KnowledgeError
from bot.knowledge.faq import PROGRAMMES, FaqBase, FaqEntry, Window, yes_no_opening

_ID = r"^[a-z0-9][a-z0-9-]*$"


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


class _FaqReader:
    """One reading of ``faq.yaml``: every problem is collected, none stops the others."""

    def __init__(self, path: Path, sources_dir: Path | None) -> None:
        self.path = path
        self.problems = Problems()
        self.known_sources = (
            {p.name for p in sources_dir.iterdir()} if sources_dir and sources_dir.is_dir() else None
        )

    def validate(self, model: type[_Strict], item: LineDict, label: str) -> Any:
        try:
            return model.model_validate(dict(item))
        except ValidationError as exc:
            for error in exc.errors():
                key = str(error["loc"][0]) if error["loc"] else None
                line = line_of(item, key) if key in item.key_lines else line_of(item)
                self.problems.add(self.path, line, f"{label}: {_describe(error)}")
            return None

    def sources(self, item: LineDict, sources: list[str], what: str) -> tuple[str, ...]:
        for name in sources:
            if self.known_sources is not None and name not in self.known_sources:
                self.problems.add(
                    self.path, line_of(item, "source"), f"{what}: unknown source {name!r}"
                )
        return tuple(sources)

    def windows(self, raw: LineDict, items: list[Any]) -> dict[str, Window]:
        windows: dict[str, Window] = {}
        for item in items:
            if not isinstance(item, LineDict):
                self.problems.add(
                    self.path, line_of(raw, "windows"), "windows: each window is a mapping"
                )
                continue
            window = self.window(item)
            if window is None:
                continue
            if window.id in windows:
                self.problems.add(self.path, line_of(item), f"window: duplicate id {window.id!r}")
            windows[window.id] = window
        return windows

    def window(self, item: LineDict) -> Window | None:
        label = f"window {item.get('id')}" if item.get("id") else "window"
        model = self.validate(WindowModel, item, label)
        if model is None:
            return None
        assert isinstance(model, WindowModel)
        if model.closes < model.opens:
            self.problems.add(
                self.path, line_of(item, "closes"), f"window {model.id}: closes before it opens"
            )
        return Window(
            id=model.id,
            programme=model.programme,
            label=model.label,
            opens=model.opens,
            closes=model.closes,
            source=self.sources(item, model.source, f"window {model.id}"),
        )

    def entries(
        self, raw: LineDict, items: list[Any], windows: dict[str, Window]
    ) -> tuple[FaqEntry, ...]:
        entries: list[FaqEntry] = []
        seen: dict[str, int] = {}
        for item in items:
            if not isinstance(item, LineDict):
                self.problems.add(
                    self.path, line_of(raw, "entries"), "entries: each entry is a mapping"
                )
                continue
            label = f"entry {item.get('id')}" if item.get("id") else "entry"
            if isinstance(raw_id := item.get("id"), str):
                if raw_id in seen:
                    self.problems.add(
                        self.path,
                        line_of(item, "id"),
                        f"{label}: duplicate id (first at line {seen[raw_id]})",
                    )
                seen.setdefault(raw_id, line_of(item, "id"))
            entry = self.entry(item, label, windows)
            if entry is not None:
                entries.append(entry)
        return tuple(entries)

    def entry(self, item: LineDict, label: str, windows: dict[str, Window]) -> FaqEntry | None:
        model = self.validate(EntryModel, item, label)
        if model is None:
            return None
        assert isinstance(model, EntryModel)
        if (word := yes_no_opening(model.answer)) is not None:
            self.problems.add(
                self.path,
                line_of(item, "answer"),
                f"{label}: the answer opens with {word!r}; state the fact first (the same "
                "answer serves positive and negated questions, so a bare yes/no is wrong for one)",
            )
        window = None
        if model.window is not None:
            window = windows.get(model.window)
            if window is None:
                self.problems.add(
                    self.path, line_of(item, "window"), f"{label}: unknown window {model.window!r}"
                )
        return FaqEntry(
            id=model.id,
            programme=model.programme,
            year=model.year,
            questions=tuple(model.questions),
            keywords=tuple(k.lower() for k in model.keywords),
            answer=model.answer,
            source=self.sources(item, model.source, label),
            window=window,
            line=line_of(item),
            topic=model.topic,
        )


def load_faq(path: Path, sources_dir: Path | None = None) -> FaqBase:
    """Parse ``path``; raise :class:`KnowledgeError` listing every problem found."""
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        raise KnowledgeError([str(exc)]) from None
    if not isinstance(raw, LineDict):
        raise KnowledgeError([f"{path}:1: expected a mapping with 'entries'"])
    reader = _FaqReader(path, sources_dir)
    top = reader.validate(FileModel, raw, "faq")
    if top is None:
        raise KnowledgeError(reader.problems.items)
    assert isinstance(top, FileModel)
    synonyms = {
        canonical.lower(): tuple(w.lower() for w in words)
        for canonical, words in top.synonyms.items()
    }
    windows = reader.windows(raw, top.windows)
    entries = reader.entries(raw, top.entries, windows)
    if reader.problems:
        raise KnowledgeError(reader.problems.items)
    return FaqBase(
        programmes=dict(top.programmes), synonyms=synonyms, windows=windows, entries=entries
    )
