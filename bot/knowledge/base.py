"""The whole knowledge base, loaded and checked once at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bot._yaml import LineDict, YamlProblem, load_yaml
from bot.exceptions import KnowledgeError
from bot.flows.loading import load_flows
from bot.flows.model import Flow
from bot.knowledge.faq import FaqBase
from bot.knowledge.faq_file import load_faq
from bot.knowledge.hub_directory import HubDirectory, load_hubs
from bot.knowledge.hubs import HubFinder
from bot.knowledge.matching import FaqMatcher
from bot.knowledge.text import fold

SOURCES_DIR = Path(__file__).resolve().parent.parent.parent.parent / "shared" / "sources"


@dataclass(frozen=True)
class SourceInfo:
    title: str
    year: str


@dataclass(frozen=True, repr=False)
class Knowledge:
    faq: FaqBase
    matcher: FaqMatcher
    hubs: HubDirectory
    finder: HubFinder
    flows: dict[str, Flow]
    sources: dict[str, SourceInfo]

    def __repr__(self) -> str:
        return (
            f"<Knowledge: {len(self.faq.entries)} FAQ entries, {len(self.hubs.hubs)} hubs, "
            f"{len(self.flows)} flows>"
        )

    def cite(self, files: tuple[str, ...]) -> str:
        names = []
        for name in files:
            info = self.sources.get(name)
            names.append(f"{info.title} ({info.year})" if info else name)
        return "Source: " + "; ".join(names) + "."


def _load_sources(path: Path) -> dict[str, SourceInfo]:
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        raise KnowledgeError([str(exc)]) from None
    if not isinstance(raw, LineDict) or not isinstance(raw.get("sources"), dict):
        raise KnowledgeError([f"{path}:1: missing field 'sources'"])
    return {
        str(name): SourceInfo(str(spec.get("title", name)), str(spec.get("year", "")))
        for name, spec in raw["sources"].items()
        if isinstance(spec, dict)
    }


def _faq_words(faq: FaqBase) -> frozenset[str]:
    """Words the FAQ's answers use (a place like "England" is not neutral there)."""
    words: set[str] = set()
    for entry in faq.entries:
        words.update(fold(entry.answer).split())
    return frozenset(words)


# Places outside England that are also first names or ordinary words: "can Barry apply?" is
# about a person, so these do not turn a question into one about schools outside England.
_NOT_PLACE_CUES = frozenset(
    [
        "barry",
        "flint",
        "mold",
        "hamilton",
        "irvine",
        "elgin",
        "angus",
        "moray",
        "douglas",
        "peel",
        "wick",
        "highland",
        "newtown",
        "holywood",
        "perth",
        "duns",
        "selkirk",
    ]
)
# The token an outside-England place becomes in questions; the FAQ entry on schools outside
# England lists it among its keywords.
OUTSIDE_ENGLAND_TOKEN = "outsideengland"


def _outside_england_places(hubs: HubDirectory) -> tuple[str, ...]:
    """Every place the hub directory knows is not in England, as a question would name it."""
    return tuple(
        place
        for places, _ in hubs.outside.values()
        for place in places
        if fold(place) not in _NOT_PLACE_CUES
    )


def load_knowledge(
    knowledge_dir: Path, flows_dir: Path, contacts_file: Path | None = None
) -> Knowledge:
    """Load and cross-check everything; raise one :class:`KnowledgeError` with every problem."""
    problems: list[str] = []
    sources_dir = SOURCES_DIR if SOURCES_DIR.is_dir() else None
    results: dict[str, object] = {}
    loaders: dict[str, Callable[[], object]] = {
        "faq": partial(load_faq, knowledge_dir / "faq.yaml", sources_dir),
        "hubs": partial(load_hubs, knowledge_dir / "hubs.yaml", contacts_file),
        "flows": partial(load_flows, flows_dir),
        "sources": partial(_load_sources, knowledge_dir / "sources.yaml"),
    }
    for name, loader in loaders.items():
        try:
            results[name] = loader()
        except KnowledgeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise KnowledgeError(problems)
    faq = results["faq"]
    hubs = results["hubs"]
    flows = results["flows"]
    sources = results["sources"]
    assert isinstance(faq, FaqBase) and isinstance(hubs, HubDirectory)
    assert isinstance(flows, dict) and isinstance(sources, dict)
    for entry in faq.entries:
        for name in entry.source:
            if name not in sources:
                problems.append(
                    f"{knowledge_dir / 'faq.yaml'}:{entry.line}: entry {entry.id}: source {name!r} "
                    "is not listed in sources.yaml"
                )
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        faq=faq,
        matcher=FaqMatcher(
            faq,
            hubs.place_words() - _faq_words(faq),
            extra_synonyms={OUTSIDE_ENGLAND_TOKEN: _outside_england_places(hubs)},
        ),
        hubs=hubs,
        finder=HubFinder(hubs),
        flows=flows,
        sources=sources,
    )
