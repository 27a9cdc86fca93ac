"""The 40 Maths Hubs and the finder that maps a place to its hub(s).

``knowledge/hubs.yaml`` is parsed once, through a typed schema that refuses unknown keys
(reported as ``file:line``), into :class:`Hub` objects.  The shipped file carries only what
public sources say, so every hub is *announced*, with placeholder addresses under the
reserved ``example`` domain.  The operator's file (``HUB_CONTACTS_FILE``, see
:mod:`bot.knowledge.hub_operator`) keeps the directory current without editing shipped
files: real addresses, names, websites, the date a hub confirmed its details, places added
or removed.

The finder is honest about what it matched: a name shared by places in different hubs
("Richmond") is *ambiguous* and answered with each place and its county; a typo corrected
to a known place is a *suggestion*, shown as a question; hyphenated and multi-word names are
matched whole before their parts ("Wells-next-the-Sea" is not "Wells").
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rapidfuzz import fuzz, process

from bot._yaml import LineDict, LineList, Problems, YamlProblem, line_of, load_yaml
from bot.exceptions import KnowledgeError

AREA_KINDS = ("counties", "unitary_authorities", "boroughs", "towns", "postcodes")
# In an address the most specific place wins: "Milton Keynes, Buckinghamshire" is Milton Keynes.
_SPECIFICITY = {"towns": 3, "boroughs": 3, "unitary_authorities": 2, "counties": 1}
# How each place outside England is described: (name, preposition, what it is).
COUNTRIES: dict[str, tuple[str, str, str]] = {
    "wales": ("Wales", "in", "nation"),
    "scotland": ("Scotland", "in", "nation"),
    "northern_ireland": ("Northern Ireland", "in", "nation"),
    "isle_of_man": ("the Isle of Man", "on", "crown"),
    "jersey": ("Jersey", "in", "crown"),
    "guernsey": ("the Bailiwick of Guernsey", "in", "crown"),
    "channel_islands": ("the Channel Islands", "in", "crown"),
    "ireland": ("Ireland", "in", "abroad"),
}
_FUZZY_CUTOFF = 86
_SENTENCE_FUZZY_CUTOFF = 88
# A long message with no place in it is not compared word by word without end.
_MAX_FUZZY_TRIES = 12
# A hub verified longer ago than this is reported by ``check`` as due for a new check.
VERIFY_EVERY_DAYS = 365
# Outward code (area + district) optionally followed by the inward code.
_POSTCODE = re.compile(r"\b([A-Z]{1,2})(\d{1,2}[A-Z]?)\s*(\d[A-Z]{2})?\b")
_AREA_ONLY = re.compile(r"^[A-Z]{1,2}$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}(\d{1,2}[A-Z]?)?$")
_MULTI_NOISE = re.compile(
    r"\b(city of|royal borough of|london borough of|metropolitan borough of|borough of|"
    r"county of|united kingdom|maths hub|math hub)\b"
)
_NOISE = frozenset(
    [
        "maths",
        "math",
        "hub",
        "hubs",
        "district",
        "council",
        "county",
        "the",
        "uk",
        "england",
        "near",
        "in",
        "metropolitan",
    ]
)
_WORD_MAP = {"saint": "st", "upon": "on"}
# Words of a chat sentence around a place ("which hub is Leeds in?", "we're an academy in
# Leeds"): never taken for a typo of a place.
_FILLER = frozenset(
    [
        "a",
        "about",
        "academy",
        "am",
        "an",
        "and",
        "any",
        "are",
        "area",
        "at",
        "based",
        "belong",
        "belongs",
        "best",
        "can",
        "could",
        "cover",
        "covers",
        "covering",
        "do",
        "does",
        "find",
        "for",
        "from",
        "get",
        "give",
        "go",
        "have",
        "help",
        "hi",
        "hello",
        "here",
        "i",
        "im",
        "is",
        "it",
        "its",
        "know",
        "local",
        "located",
        "looking",
        "me",
        "my",
        "near",
        "nearest",
        "need",
        "of",
        "on",
        "our",
        "please",
        "primary",
        "region",
        "s",
        "school",
        "schools",
        "secondary",
        "serve",
        "serves",
        "serving",
        "should",
        "so",
        "tell",
        "thanks",
        "that",
        "the",
        "their",
        "there",
        "this",
        "to",
        "us",
        "we",
        "were",
        "what",
        "whats",
        "where",
        "which",
        "who",
        "whose",
        "will",
        "with",
        "would",
        "you",
        "your",
        "youre",
        "college",
        "trust",
        "mat",
        "is",
        "our",
        "ours",
        "sixth",
        "form",
        "which",
        "one",
    ]
)
# Place names that are also ordinary words: inside a sentence they count only when written
# with a capital ("a school in Reading", not "reading about hubs").
_COMMON_WORDS = frozenset(
    [
        "march",
        "street",
        "battle",
        "stone",
        "reading",
        "hope",
        "sale",
        "bath",
        "deal",
        "wells",
        "ware",
        "wem",
        "hale",
        "hyde",
        "bury",
        "kirkby",
        "poole",
        "crewe",
        "leigh",
        "thame",
        "eye",
        "diss",
        "looe",
        "rye",
        "hull",
    ]
)
_DIRECTIONS = frozenset(["north", "south", "east", "west", "great", "central"])
_TOKEN = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("’", "'").replace("'", "").replace("&", " and ").replace("_", " ")


def _units(text: str) -> list[tuple[str, str]]:
    """``(key, original)`` for each token; a hyphenated compound is one unit."""
    plain = _multi_noise_keep_case(_plain(text))
    units: list[tuple[str, str]] = []
    for token in _TOKEN.findall(plain):
        words = [_WORD_MAP.get(w, w) for w in token.lower().split("-") if w not in _NOISE]
        if words:
            units.append((" ".join(words), token))
    return units


def _multi_noise_keep_case(text: str) -> str:
    lowered = text.lower()
    out = list(text)
    for match in _MULTI_NOISE.finditer(lowered):
        out[match.start() : match.end()] = " " * (match.end() - match.start())
    return "".join(out)


def _name_key(text: str) -> str:
    return " ".join(key for key, _ in _units(text))


def _head(label: str) -> str | None:
    """``"Richmond, London"`` -> ``"Richmond"``; None for a name without a qualifier."""
    head, sep, _ = label.partition(",")
    return head.strip() if sep and head.strip() else None


def _qualifier(label: str) -> str:
    return label.partition(",")[2].strip()


def country_name(country: str) -> str:
    return COUNTRIES.get(country, (country.replace("_", " ").title(), "", ""))[0]


# -- the schema of knowledge/hubs.yaml ---------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreasModel(_Strict):
    counties: list[str] = []
    unitary_authorities: list[str] = []
    boroughs: list[str] = []
    towns: list[str] = []
    postcodes: list[str] = []


class AnnouncedModel(_Strict):
    date: dt.date
    source: str = Field(min_length=1)


class VerifiedModel(_Strict):
    date: dt.date
    note: str = ""


class HubModel(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    name_published: bool = True
    former_names: list[str] = []
    former_ids: list[str] = []
    region: str = Field(min_length=1)
    lead_school: str
    town: str = ""
    lat: float | None = None
    lon: float | None = None
    email: str = Field(min_length=1)
    website: str | None = Field(default=None, pattern=r"^https?://\S+$")
    announced: AnnouncedModel
    verified: VerifiedModel | None = None
    areas_source: str = "not stated"
    areas: AreasModel = AreasModel()
    also_serves: list[str] = []


class OutsideModel(_Strict):
    places: list[str] = []
    postcodes: list[str] = []


class HubsFileModel(_Strict):
    hubs: list[HubModel]
    outside_england: dict[str, OutsideModel] = {}
    shared_names: dict[str, list[str]] = {}


def _line_at(raw: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the YAML node a pydantic error location points to (or its nearest parent)."""
    line = line_of(raw)
    node = raw
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line = line_of(node, part)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = line_of(node) if isinstance(node, (LineDict, LineList)) else line
        else:
            break
    return line


def schema_problems(exc: ValidationError, raw: Any, path: Path, problems: Problems) -> None:
    """Report each schema error as ``file:line: where: what``."""
    for error in exc.errors():
        loc = tuple(error["loc"])
        where = ".".join(str(p) for p in loc)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
        elif error["type"] == "missing":
            message = "missing field"
        if (
            len(loc) >= 2
            and loc[0] == "hubs"
            and isinstance(loc[1], int)
            and isinstance(raw, LineDict)
        ):
            items = raw.get("hubs")
            if isinstance(items, list) and loc[1] < len(items):
                item = items[loc[1]]
                if isinstance(item, dict) and item.get("id"):
                    where = f"hub {item['id']}: " + ".".join(str(p) for p in loc[2:])
        problems.add(path, _line_at(raw, loc), f"{where}: {message}")


# -- the directory --------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Hub:
    id: str
    name: str
    region: str
    lead_school: str
    town: str
    lat: float | None
    lon: float | None
    email: str
    areas: dict[str, tuple[str, ...]]
    also_serves: tuple[str, ...]
    areas_source: str
    line: int
    announced_date: dt.date | None = None
    announced_source: str = ""
    verified_date: dt.date | None = None
    verified_note: str = ""
    website: str | None = None
    name_published: bool = True
    former_names: tuple[str, ...] = ()
    former_ids: tuple[str, ...] = ()
    # Which fields the operator's file set, for ``hubs`` and ``check``.
    operator_fields: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<Hub {self.id}>"

    @property
    def has_placeholder_email(self) -> bool:
        return self.email.lower().endswith(".example") or "@" not in self.email

    @property
    def status(self) -> str:
        """``verified`` once the hub confirmed its details, else ``announced``."""
        return "verified" if self.verified_date is not None else "announced"

    @property
    def area_count(self) -> int:
        return sum(len(names) for names in self.areas.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "lead_school": self.lead_school,
            "email": self.email,
            "status": self.status,
            "status_date": (self.verified_date or self.announced_date or dt.date.min).isoformat(),
            "website": self.website,
            "contact": "placeholder" if self.has_placeholder_email else "real",
        }


@dataclass(frozen=True)
class PlaceChoice:
    """One place a shared name may mean: in a hub's area, or outside England."""

    label: str
    hub: Hub | None
    country: str | None

    @property
    def county(self) -> str:
        return _qualifier(self.label)


SearchStatus = Literal["found", "ambiguous", "suggested", "outside", "unknown", "empty"]


@dataclass(frozen=True)
class HubSearch:
    """What the finder made of a place.

    ``status``: ``found``; ``ambiguous`` (a shared name: ``choices`` holds each place,
    best guess first, and ``hubs`` each of their hubs); ``suggested`` (not a place we
    know, but close to ``recognised``: ask before trusting it); ``outside`` England;
    ``unknown``; ``empty``.
    """

    query: str
    status: SearchStatus
    hubs: tuple[Hub, ...] = ()
    recognised: str | None = None
    country: str | None = None
    choices: tuple[PlaceChoice, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.hubs)

    # The key of the place outside England in COUNTRIES ("isle_of_man"); ``country`` is its
    # display name ("the Isle of Man").
    country_id: str | None = None


@dataclass
class _Candidate:
    label: str
    hub_id: str | None
    country: str | None
    specificity: int


@dataclass
class _Match:
    label: str
    hub_ids: list[str] = field(default_factory=list)
    country: str | None = None
    choices: list[_Candidate] = field(default_factory=list)
    specificity: int = 0

    @property
    def ambiguous(self) -> bool:
        return len(self.choices) > 1


class HubDirectory:
    """All hubs, with the finder's indexes built once."""

    def __init__(
        self,
        hubs: tuple[Hub, ...],
        outside: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
        shared_names: dict[str, tuple[str, ...]] | None = None,
        *,
        path: Path | None = None,
        operator_file: Path | None = None,
    ) -> None:
        self.hubs = hubs
        self.by_id = {h.id: h for h in hubs}
        self.aliases = {old: h.id for h in hubs for old in h.former_ids}
        self.outside = outside
        self.shared_names = shared_names or {}
        self.path = path
        self.operator_file = operator_file

    def get(self, hub_id: str) -> Hub | None:
        return self.by_id.get(hub_id) or self.by_id.get(self.aliases.get(hub_id, ""))

    def place_words(self) -> frozenset[str]:
        """Single-word place names in England (towns, counties, boroughs)."""
        words: set[str] = set()
        for hub in self.hubs:
            for kind, names in hub.areas.items():
                if kind != "postcodes":
                    for name in names:
                        key = _name_key(_head(name) or name)
                        if " " not in key:
                            words.add(key)
        return frozenset(w for w in words if len(w) > 3)


def _hub_from_model(model: HubModel, line: int) -> Hub:
    areas = {kind: tuple(getattr(model.areas, kind)) for kind in AREA_KINDS}
    return Hub(
        id=model.id,
        name=model.name,
        region=model.region,
        lead_school=model.lead_school,
        town=model.town,
        lat=model.lat,
        lon=model.lon,
        email=model.email,
        areas={k: v for k, v in areas.items() if v},
        also_serves=tuple(model.also_serves),
        areas_source=model.areas_source,
        line=line,
        announced_date=model.announced.date,
        announced_source=" ".join(model.announced.source.split()),
        verified_date=model.verified.date if model.verified else None,
        verified_note=model.verified.note if model.verified else "",
        website=model.website,
        name_published=model.name_published,
        former_names=tuple(model.former_names),
        former_ids=tuple(model.former_ids),
    )


def load_hubs(path: Path, contacts_file: Path | None = None) -> HubDirectory:
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        raise KnowledgeError([str(exc)]) from None
    problems = Problems()
    if not isinstance(raw, LineDict) or not isinstance(raw.get("hubs"), list):
        raise KnowledgeError([f"{path}:1: missing field 'hubs' (a list of Maths Hubs)"])
    try:
        model = HubsFileModel.model_validate(raw)
    except ValidationError as exc:
        schema_problems(exc, raw, path, problems)
        raise KnowledgeError(problems.items) from None
    hubs: list[Hub] = []
    seen: dict[str, int] = {}
    for item, hub_model in zip(raw["hubs"], model.hubs, strict=True):
        hid = hub_model.id
        id_line = line_of(item, "id")
        for name in (hid, *hub_model.former_ids):
            if name in seen:
                problems.add(
                    path, id_line, f"hub {hid}: duplicate id {name!r} (first at line {seen[name]})"
                )
            seen[name] = id_line
        if not any(getattr(hub_model.areas, kind) for kind in AREA_KINDS):
            problems.add(path, line_of(item), f"hub {hid}: has no areas")
        if not hub_model.email.lower().endswith("@hubs.example"):
            problems.add(
                path,
                line_of(item, "email"),
                f"hub {hid}: shipped addresses must be placeholders under hubs.example; "
                "set real ones in the operator's file (HUB_CONTACTS_FILE)",
            )
        for code in hub_model.areas.postcodes:
            if not _OUTWARD.match(code.upper().replace(" ", "")):
                problems.add(
                    path,
                    line_of(item.get("areas"), "postcodes"),
                    f"hub {hid}: {code!r} is not a postcode area or district",
                )
        hubs.append(_hub_from_model(hub_model, line_of(item)))
    outside = {
        country: (tuple(spec.places), tuple(spec.postcodes))
        for country, spec in model.outside_england.items()
    }
    for country in outside:
        if country not in COUNTRIES:
            problems.add(
                path,
                line_of(raw.get("outside_england"), country),
                f"outside_england: unknown country {country!r} (one of {', '.join(COUNTRIES)})",
            )
    shared = {name: tuple(labels) for name, labels in model.shared_names.items()}
    if problems:
        raise KnowledgeError(problems.items)
    operator_file: Path | None = None
    if contacts_file is not None:
        from bot.knowledge.hub_operator import apply_operator_file

        hubs = apply_operator_file(hubs, contacts_file, problems)
        operator_file = contacts_file
    directory = HubDirectory(tuple(hubs), outside, shared, path=path, operator_file=operator_file)
    _check_names(directory, raw, path, problems)
    if problems:
        raise KnowledgeError(problems.items)
    return directory


def _check_names(directory: HubDirectory, raw: LineDict, path: Path, problems: Problems) -> None:
    """Every place a primary area of one hub only; a shared name written with its county."""
    owner: dict[str, tuple[str, str]] = {}  # key -> (hub id or country, label)
    plain: dict[str, tuple[str, str]] = {}
    heads: dict[str, list[tuple[str, str]]] = {}

    def note(key_owner: str, label: str, line: int) -> None:
        key = _name_key(label)
        if not key:
            return
        previous = owner.get(key)
        if previous is not None and previous[0] != key_owner:
            problems.add(
                path,
                line,
                f"{label!r} is an area of both {previous[0]} and {key_owner}: a place belongs "
                "to one hub (list the other under also_serves)",
            )
        owner.setdefault(key, (key_owner, label))
        if (head := _head(label)) is not None:
            heads.setdefault(_name_key(head), []).append((key_owner, label))
        else:
            plain.setdefault(key, (key_owner, label))

    for hub in directory.hubs:
        for kind, names in hub.areas.items():
            if kind != "postcodes":
                for name in names:
                    note(hub.id, name, hub.line)
    for country, (places, _) in directory.outside.items():
        for name in places:
            note(country, name, line_of(raw.get("outside_england"), country))
    for head_key, entries in heads.items():
        if head_key in plain and any(o != plain[head_key][0] for o, _ in entries):
            other = next(label for o, label in entries if o != plain[head_key][0])
            problems.add(
                path,
                1,
                f"{plain[head_key][1]!r} ({plain[head_key][0]}) shares its name with {other!r}: "
                "write it with its county too, so the finder can ask which one is meant",
            )
    shared_line = line_of(raw, "shared_names")
    for name, labels in directory.shared_names.items():
        for label in labels:
            if _name_key(label) not in owner:
                problems.add(
                    path,
                    shared_line,
                    f"shared_names {name}: {label!r} is not an area of any hub or outside England",
                )


class HubFinder:
    """Finds the Maths Hub(s) for a town, county, borough, postcode, hub name or address."""

    def __init__(self, directory: HubDirectory) -> None:
        self.directory = directory
        index: dict[str, list[_Candidate]] = {}
        also: dict[str, list[str]] = {}
        regions: dict[str, list[str]] = {}
        self._postcodes: dict[str, str] = {}
        self._outside_postcodes: dict[str, str] = {}

        def add(key: str, candidate: _Candidate) -> None:
            if not key:
                return
            entries = index.setdefault(key, [])
            if not any(
                c.hub_id == candidate.hub_id
                and c.country == candidate.country
                and c.label == candidate.label
                for c in entries
            ):
                entries.append(candidate)

        def add_place(label: str, hub_id: str | None, country: str | None, rank: int) -> None:
            candidate = _Candidate(label, hub_id, country, rank)
            add(_name_key(label), candidate)
            if (head := _head(label)) is not None:
                add(_name_key(head), candidate)

        for hub in directory.hubs:
            for kind, names in hub.areas.items():
                for name in names:
                    if kind == "postcodes":
                        self._postcodes[name.upper().replace(" ", "")] = hub.id
                    else:
                        add_place(name, hub.id, None, _SPECIFICITY.get(kind, 2))
            for name in (hub.name, hub.id.replace("-", " "), *hub.former_names, *hub.former_ids):
                add(_name_key(name), _Candidate(hub.name, hub.id, None, 2))
            for name in hub.also_serves:
                for key in {_name_key(name), _name_key(_head(name) or name)}:
                    if key and hub.id not in also.setdefault(key, []):
                        also[key].append(hub.id)
            if hub.region:
                key = _name_key(hub.region)
                if hub.id not in regions.setdefault(key, []):
                    regions[key].append(hub.id)
        for country, (places, postcodes) in directory.outside.items():
            for name in places:
                add_place(name, None, country, 3)
            for code in postcodes:
                self._outside_postcodes[code.upper().replace(" ", "")] = country
        # A hub is also found by the distinctive first word of its name ("Turing", "Venn").
        firsts: dict[str, list[Hub]] = {}
        for hub in directory.hubs:
            words = _name_key(hub.name).split()
            if len(words) > 1 and len(words[0]) >= 4 and words[0] not in _FILLER | _DIRECTIONS:
                firsts.setdefault(words[0], []).append(hub)
        for word, named in firsts.items():
            if len(named) == 1 and word not in index:
                add(word, _Candidate(named[0].name, named[0].id, None, 2))
        # A shared name's choices in the order the directory gives (best guess first).
        for name, labels in directory.shared_names.items():
            key = _name_key(name)
            order = {_name_key(label): i for i, label in enumerate(labels)}
            extra = [
                c
                for label in labels
                for c in index.get(_name_key(label), [])
                if c.label == label or _name_key(c.label) == _name_key(label)
            ]
            merged = extra + [c for c in index.get(key, []) if c not in extra]
            merged.sort(key=lambda c: order.get(_name_key(c.label), len(order)))
            index[key] = merged
        self._index = index
        self._also = also
        self._regions = regions
        # How a region or a place known only as another hub's alternative is shown.
        self._labels: dict[str, str] = {}
        for hub in directory.hubs:
            for name in hub.also_serves:
                for key in (_name_key(name), _name_key(_head(name) or name)):
                    self._labels.setdefault(key, name)
        for hub in directory.hubs:
            self._labels[_name_key(hub.region)] = hub.region
        # Sorted by length: a typo is compared only with names of a length it could match.
        self._all_names = sorted(set(index) | set(also) | set(regions), key=lambda n: (len(n), n))
        self._name_lengths = [len(n) for n in self._all_names]

    # -- lookups -----------------------------------------------------------------

    def _lookup(self, key: str) -> _Match | None:
        candidates = self._index.get(key, [])
        places: list[_Candidate] = []
        for c in candidates:
            if not any(
                (p.hub_id, p.country) == (c.hub_id, c.country)
                and _name_key(p.label) == _name_key(c.label)
                for p in places
            ):
                places.append(c)
        distinct = {(c.hub_id, c.country) for c in places}
        if len(distinct) > 1 and len({_name_key(c.label) for c in places}) > 1:
            hub_ids = list(dict.fromkeys(c.hub_id for c in places if c.hub_id))
            return _Match(
                label=_head(places[0].label) or places[0].label,
                hub_ids=hub_ids,
                choices=places,
                specificity=max(c.specificity for c in places),
            )
        hub_ids = list(dict.fromkeys(c.hub_id for c in places if c.hub_id))
        extra = [h for h in self._also.get(key, ()) if h not in hub_ids]
        if key in self._regions:
            # "London" is a region of six hubs, not the area of whichever hub lists it.
            extra += [h for h in self._regions[key] if h not in hub_ids and h not in extra]
        if hub_ids or extra:
            if key in self._regions:
                label = self._label_for(key)
            else:
                # "Stratford-upon-Avon, Warwickshire" says more than "Stratford-on-Avon District".
                named = [c for c in places if _head(c.label) is not None] or places
                label = named[0].label if named else self._label_for(key)
            return _Match(
                label=label,
                hub_ids=hub_ids + extra,
                specificity=max((c.specificity for c in places), default=2),
            )
        if places and places[0].country is not None:
            return _Match(label=places[0].label, country=places[0].country, specificity=3)
        return None

    def _label_for(self, key: str) -> str:
        return self._labels.get(key) or key.title()

    def _postcode_match(self, text: str) -> _Match | None:
        upper = _plain(text).upper()
        candidates: list[tuple[str, str]] = []
        for match in _POSTCODE.finditer(upper):
            candidates.append((match.group(1), match.group(1) + match.group(2)))
        stripped = upper.strip()
        if _AREA_ONLY.match(stripped):
            candidates.append((stripped, stripped))
        for area, district in candidates:
            for code in (district, area):
                if code in self._postcodes:
                    return _Match(district, [self._postcodes[code]], specificity=4)
                if code in self._outside_postcodes:
                    return _Match(district, country=self._outside_postcodes[code], specificity=4)
        return None

    def _in_text(self, units: list[tuple[str, str]]) -> _Match | None:
        """Of every place named in an address or sentence: the most specific, then the one
        named last ("Bath Road, Bristol" is in Bristol); a name inside a longer one never
        counts on its own ("Sutton" in "Sutton Coldfield")."""
        found: list[tuple[int, int, _Match]] = []
        sentence = len(units) > 1
        for size in range(min(len(units), 6), 0, -1):
            for start in range(len(units) - size + 1):
                gram = " ".join(key for key, _ in units[start : start + size])
                if len(gram) < 3:
                    continue
                if size == 1 and sentence:
                    key, original = units[start]
                    if key in _COMMON_WORDS and not original[:1].isupper():
                        continue
                    if key in _FILLER:
                        continue
                match = self._lookup(gram)
                if match is not None:
                    found.append((start, start + size, match))
        kept = [
            (s, e, m)
            for s, e, m in found
            if not any((s2 <= s and e <= e2) and (e2 - s2) > (e - s) for s2, e2, _ in found)
        ]
        if not kept:
            return None
        return max(kept, key=lambda f: (f[2].specificity, f[1], f[1] - f[0]))[2]

    def _fuzzy(self, units: list[tuple[str, str]], *, sentence: bool) -> _Match | None:
        words = [(k, o) for k, o in units if k not in _FILLER] if sentence else units
        if not words:
            return None
        tries = [" ".join(k for k, _ in words)]
        if sentence:
            for size in (3, 2, 1):
                for start in range(len(words) - size + 1):
                    part = words[start : start + size]
                    if size == 1 and (part[0][0] in _COMMON_WORDS or part[0][0].isdigit()):
                        continue
                    tries.append(" ".join(k for k, _ in part))
        cutoff = _SENTENCE_FUZZY_CUTOFF if sentence else _FUZZY_CUTOFF
        # ratio = 2 * matches / (len(a) + len(b)): names much shorter or longer cannot reach
        # the cutoff, so they are never scored.
        share = cutoff / 100
        best: tuple[float, str] | None = None
        for attempt in list(dict.fromkeys(tries))[:_MAX_FUZZY_TRIES]:
            if len(attempt) < 4:
                continue
            low = bisect.bisect_left(
                self._name_lengths, math.floor(len(attempt) * share / (2 - share))
            )
            high = bisect.bisect_right(
                self._name_lengths, math.ceil(len(attempt) * (2 - share) / share)
            )
            hit = process.extractOne(
                attempt, self._all_names[low:high], scorer=fuzz.ratio, score_cutoff=cutoff
            )
            if hit is not None and (best is None or hit[1] > best[0]):
                best = (hit[1], hit[0])
        if best is None:
            return None
        return self._lookup(best[1])

    def find(self, text: str, *, whole: bool = False) -> HubSearch:
        """Search for ``text``; ``whole=True`` accepts only the whole text as a place
        (used to spot a bare place name typed as a chat message)."""
        query = " ".join(text.split())[:300]
        units = _units(query)
        if not units:
            return HubSearch(query, "empty")
        key = " ".join(k for k, _ in units)
        suggested = False
        match: _Match | None
        if whole:
            match = (
                self._postcode_match(query) if _POSTCODE.fullmatch(query.upper().strip()) else None
            ) or self._lookup(key)
            if match is None and (match := self._fuzzy(units, sentence=False)) is not None:
                suggested = True
        else:
            match = self._postcode_match(query) or self._lookup(key) or self._in_text(units)
            if match is None:
                sentence = len([u for u in units if u[0] not in _FILLER]) < len(units)
                match = self._fuzzy(units, sentence=sentence)
                suggested = match is not None
        if match is None:
            return HubSearch(query, "unknown")
        return self._search(query, match, suggested)

    def _search(self, query: str, match: _Match, suggested: bool) -> HubSearch:
        by_id = self.directory.by_id
        hubs = tuple(by_id[h] for h in match.hub_ids if h in by_id)
        if match.ambiguous:
            choices = tuple(
                PlaceChoice(c.label, by_id.get(c.hub_id or ""), c.country) for c in match.choices
            )
            return HubSearch(query, "ambiguous", hubs=hubs, recognised=match.label, choices=choices)
        if match.country is not None and not hubs:
            return HubSearch(
                query,
                "outside",
                recognised=match.label,
                country=country_name(match.country),
                country_id=match.country,
            )
        status: SearchStatus = "suggested" if suggested else "found"
        return HubSearch(query, status, hubs=hubs, recognised=match.label)

    def nearest(self, lat: float, lon: float, count: int = 3) -> tuple[Hub, ...]:
        """Hubs whose lead school is nearest to a point, nearest first."""

        def distance(hub: Hub) -> float:
            if hub.lat is None or hub.lon is None:
                return math.inf
            p1, p2 = math.radians(lat), math.radians(hub.lat)
            dp, dl = p2 - p1, math.radians(hub.lon - lon)
            a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
            return 2 * 6371 * math.asin(math.sqrt(a))

        return tuple(sorted(self.directory.hubs, key=distance)[:count])


def hub_warnings(directory: HubDirectory, today: dt.date) -> list[str]:
    """Hubs whose details were never confirmed with the hub, or not for over a year."""
    warnings: list[str] = []
    where = directory.path or Path("knowledge/hubs.yaml")
    for hub in directory.hubs:
        if hub.verified_date is None:
            warnings.append(
                f"{where}:{hub.line}: hub {hub.id}: never verified (details as announced "
                f"{hub.announced_date:%-d %B %Y}); confirm them with the hub and set "
                "`verified: DATE` in the operator's file"
            )
        elif (today - hub.verified_date).days > VERIFY_EVERY_DAYS:
            warnings.append(
                f"{where}:{hub.line}: hub {hub.id}: last verified {hub.verified_date:%-d %B %Y}, "
                "more than 12 months ago; confirm its details again and update `verified:`"
            )
    return warnings
