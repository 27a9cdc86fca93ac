"""The 40 Maths Hubs: the directory loaded from ``knowledge/hubs.yaml``.

The file is parsed once, through a typed schema (:mod:`bot.knowledge.hub_schema`) that
refuses unknown keys (reported as ``file:line``), into :class:`Hub` objects.  The shipped
file carries only what public sources say, so every hub is *announced*, with placeholder
addresses under the reserved ``example`` domain.  The operator's file (``HUB_CONTACTS_FILE``,
see :mod:`bot.knowledge.hub_operator`) keeps the directory current without editing shipped
files: real addresses, names, websites, the date a hub confirmed its details, places added
or removed.  The loader also refuses a place listed under two hubs and a shared name
written without its county, so the finder (:mod:`bot.knowledge.hubs`) can trust the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot._yaml import LineDict, Problems, YamlProblem, line_of, load_yaml
from bot.exceptions import KnowledgeError
from bot.knowledge.hub_schema import HubModel, HubsFileModel, schema_problems
from bot.knowledge.place_names import COUNTRIES, OUTWARD, label_head, name_key

AREA_KINDS = ("counties", "unitary_authorities", "boroughs", "towns", "postcodes")
# A hub verified longer ago than this is reported by ``check`` as due for a new check.
VERIFY_EVERY_DAYS = 365


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
                        key = name_key(label_head(name) or name)
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
            if not OUTWARD.match(code.upper().replace(" ", "")):
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
        key = name_key(label)
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
        if (head := label_head(label)) is not None:
            heads.setdefault(name_key(head), []).append((key_owner, label))
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
            if name_key(label) not in owner:
                problems.add(
                    path,
                    shared_line,
                    f"shared_names {name}: {label!r} is not an area of any hub or outside England",
                )


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
