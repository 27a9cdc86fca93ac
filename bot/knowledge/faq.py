"""FAQ entries and application windows, parsed once from ``knowledge/faq.yaml``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot._yaml import LineDict, Problems, YamlProblem, line_of, load_yaml
from bot.exceptions import KnowledgeError

PROGRAMMES = ("specialist", "workgroups", "both")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


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

    def answer_text(self, entry: FaqEntry, today: dt.date) -> str:
        """The entry's answer, with today's status of its application window."""
        if entry.window is None:
            return entry.answer
        return f"{entry.answer} {entry.window.status_sentence(today)}"


def format_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _strings(value: Any) -> tuple[str, ...] | None:
    """A string or a list of scalars as strings (YAML reads an unquoted 150 as a number)."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (str(value),)
    if isinstance(value, list) and all(
        isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value
    ):
        return tuple(str(v) for v in value)
    return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _text(mapping: LineDict, key: str) -> str | None:
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def load_faq(path: Path, sources_dir: Path | None = None) -> FaqBase:
    """Parse ``path``; raise :class:`KnowledgeError` listing every problem found."""
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        raise KnowledgeError([str(exc)]) from None
    problems = Problems()
    if not isinstance(raw, LineDict):
        raise KnowledgeError([f"{path}:1: expected a mapping with 'entries'"])

    known_sources = (
        {p.name for p in sources_dir.iterdir()} if sources_dir and sources_dir.is_dir() else None
    )

    def check_sources(where: LineDict, value: Any, what: str) -> tuple[str, ...]:
        sources = _strings(value)
        if not sources:
            problems.add(path, line_of(where), f"{what}: no source (every answer cites its file)")
            return ()
        for name in sources:
            if known_sources is not None and name not in known_sources:
                problems.add(path, line_of(where, "source"), f"{what}: unknown source {name!r}")
        return sources

    programmes = {str(k): str(v) for k, v in (raw.get("programmes") or {}).items()}
    synonyms: dict[str, tuple[str, ...]] = {}
    for canonical, variants in (raw.get("synonyms") or {}).items():
        words = _strings(variants)
        if words is None:
            problems.add(
                path, line_of(raw["synonyms"], canonical), f"synonyms: {canonical!r} needs a list"
            )
            continue
        synonyms[str(canonical).lower()] = tuple(w.lower() for w in words)

    windows: dict[str, Window] = {}
    for item in raw.get("windows") or []:
        if not isinstance(item, LineDict):
            problems.add(path, line_of(raw, "windows"), "windows: each window is a mapping")
            continue
        wid = _text(item, "id")
        opens, closes = _date(item.get("opens")), _date(item.get("closes"))
        label = _text(item, "label")
        if not wid or not label or opens is None or closes is None:
            problems.add(
                path, line_of(item), "window: needs id, label, opens and closes (YYYY-MM-DD)"
            )
            continue
        if wid in windows:
            problems.add(path, line_of(item), f"window: duplicate id {wid!r}")
        if closes < opens:
            problems.add(path, line_of(item, "closes"), f"window {wid}: closes before it opens")
        windows[wid] = Window(
            id=wid,
            programme=str(item.get("programme", "both")),
            label=label,
            opens=opens,
            closes=closes,
            source=check_sources(item, item.get("source"), f"window {wid}"),
        )

    entries: list[FaqEntry] = []
    seen: dict[str, int] = {}
    raw_entries = raw.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        problems.add(path, line_of(raw), "missing field 'entries' (a list of FAQ entries)")
        raw_entries = []
    for item in raw_entries:
        if not isinstance(item, LineDict):
            problems.add(path, line_of(raw_entries), "entries: each entry is a mapping")
            continue
        eid = _text(item, "id")
        where = f"entry {eid}" if eid else "entry"
        if not eid:
            problems.add(path, line_of(item), "entry: missing field 'id'")
            continue
        if not _ID.match(eid):
            problems.add(path, line_of(item, "id"), f"{where}: id must be lower-case kebab-case")
        if eid in seen:
            problems.add(
                path, line_of(item, "id"), f"{where}: duplicate id (first at line {seen[eid]})"
            )
        seen[eid] = line_of(item, "id")
        programme = _text(item, "programme")
        if programme not in PROGRAMMES:
            problems.add(
                path,
                line_of(item, "programme") if "programme" in item else line_of(item),
                f"{where}: programme must be one of {', '.join(PROGRAMMES)}",
            )
        questions = _strings(item.get("questions"))
        if not questions:
            problems.add(path, line_of(item), f"{where}: missing field 'questions' (a list)")
        answer = _text(item, "answer")
        if not answer:
            problems.add(path, line_of(item), f"{where}: missing field 'answer'")
        keywords = _strings(item.get("keywords")) or ()
        window = None
        if (wid := _text(item, "window")) is not None:
            window = windows.get(wid)
            if window is None:
                problems.add(path, line_of(item, "window"), f"{where}: unknown window {wid!r}")
        year = item.get("year")
        entries.append(
            FaqEntry(
                id=eid,
                programme=programme or "both",
                year=str(year) if year is not None else None,
                questions=questions or (),
                keywords=tuple(k.lower() for k in keywords),
                answer=" ".join((answer or "").split()),
                source=check_sources(item, item.get("source"), where),
                window=window,
                line=line_of(item),
            )
        )
    if problems:
        raise KnowledgeError(problems.items)
    return FaqBase(
        programmes=programmes, synonyms=synonyms, windows=windows, entries=tuple(entries)
    )
