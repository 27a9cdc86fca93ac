"""The 35 Maths Hubs and the finder that maps a place to its hub(s).

``knowledge/hubs.yaml`` is parsed once into :class:`Hub` objects.  The shipped file carries
placeholder addresses under the reserved ``example`` domain; an operator's contacts file
(``HUB_CONTACTS_FILE``, a YAML mapping of hub id to address) replaces them at load time
without touching the shipped file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from rapidfuzz import fuzz, process

from bot._yaml import LineDict, Problems, YamlProblem, line_of, load_yaml
from bot.exceptions import KnowledgeError
from bot.knowledge.text import fold

AREA_KINDS = ("counties", "unitary_authorities", "boroughs", "towns", "postcodes")
# In an address the most specific place wins: "Milton Keynes, Buckinghamshire" is Milton Keynes.
_SPECIFICITY = {"towns": 3, "boroughs": 3, "unitary_authorities": 2, "counties": 1}
COUNTRY_NAMES = {
    "wales": "Wales",
    "scotland": "Scotland",
    "northern_ireland": "Northern Ireland",
    "other": "outside England",
}
_FUZZY_CUTOFF = 86
# Outward code (area + district) optionally followed by the inward code.
_POSTCODE = re.compile(r"\b([A-Z]{1,2})(\d{1,2}[A-Z]?)\s*(\d[A-Z]{2})?\b")
_AREA_ONLY = re.compile(r"^[A-Z]{1,2}$")
_NAME_NOISE = re.compile(
    r"\b(maths?|hub|city of|royal borough of|london borough of|borough of|county of|"
    r"metropolitan borough|district|council|county|the|uk|england|united kingdom|near|in)\b"
)


@dataclass(frozen=True)
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

    @property
    def has_placeholder_email(self) -> bool:
        return self.email.lower().endswith(".example") or "@" not in self.email

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "lead_school": self.lead_school,
            "email": self.email,
        }


@dataclass(frozen=True)
class HubSearch:
    """What the finder made of a place."""

    query: str
    status: str  # "found", "outside", "unknown" or "empty"
    hubs: tuple[Hub, ...] = ()
    recognised: str | None = None
    country: str | None = None

    @property
    def found(self) -> bool:
        return self.status == "found"


@dataclass(frozen=True)
class _Place:
    hub_ids: tuple[str, ...]  # best first
    also: tuple[str, ...]
    country: str | None
    label: str


def _as_strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return (str(value).strip(),)


def load_hubs(path: Path, contacts_file: Path | None = None) -> HubDirectory:
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        raise KnowledgeError([str(exc)]) from None
    problems = Problems()
    if not isinstance(raw, LineDict) or not isinstance(raw.get("hubs"), list):
        raise KnowledgeError([f"{path}:1: missing field 'hubs' (a list of Maths Hubs)"])
    hubs: list[Hub] = []
    seen: dict[str, int] = {}
    for item in raw["hubs"]:
        if not isinstance(item, LineDict):
            problems.add(path, line_of(raw["hubs"]), "hubs: each hub is a mapping")
            continue
        hid = str(item.get("id") or "").strip()
        if not hid:
            problems.add(path, line_of(item), "hub: missing field 'id'")
            continue
        if hid in seen:
            problems.add(
                path, line_of(item, "id"), f"hub {hid}: duplicate id (first at line {seen[hid]})"
            )
        seen[hid] = line_of(item, "id")
        missing = [k for k in ("name", "region", "lead_school", "email") if not item.get(k)]
        for key in missing:
            problems.add(path, line_of(item), f"hub {hid}: missing field {key!r}")
        raw_areas = item.get("areas")
        areas: dict[str, tuple[str, ...]] = {}
        if isinstance(raw_areas, LineDict):
            for kind, values in raw_areas.items():
                if kind not in AREA_KINDS:
                    problems.add(
                        path, line_of(raw_areas, kind), f"hub {hid}: unknown area kind {kind!r}"
                    )
                    continue
                areas[kind] = _as_strings(values)
        if not any(areas.values()):
            problems.add(path, line_of(item), f"hub {hid}: has no areas")
        email = str(item.get("email") or "")
        if email and not email.lower().endswith("@hubs.example"):
            problems.add(
                path,
                line_of(item, "email"),
                f"hub {hid}: shipped addresses must be placeholders under hubs.example; "
                "set real ones in the operator's contacts file (HUB_CONTACTS_FILE)",
            )
        lat, lon = item.get("lat"), item.get("lon")
        hubs.append(
            Hub(
                id=hid,
                name=str(item.get("name") or hid),
                region=str(item.get("region") or ""),
                lead_school=str(item.get("lead_school") or ""),
                town=str(item.get("town") or ""),
                lat=float(lat) if isinstance(lat, (int, float)) else None,
                lon=float(lon) if isinstance(lon, (int, float)) else None,
                email=email,
                areas=areas,
                also_serves=_as_strings(item.get("also_serves")),
                areas_source=str(item.get("areas_source") or "not stated"),
                line=line_of(item),
            )
        )
    outside: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for country, spec in (raw.get("outside_england") or {}).items():
        if isinstance(spec, dict):
            outside[str(country)] = (
                _as_strings(spec.get("places")),
                _as_strings(spec.get("postcodes")),
            )
    if contacts_file is not None:
        hubs = _apply_contacts(hubs, contacts_file, problems)
    if problems:
        raise KnowledgeError(problems.items)
    return HubDirectory(tuple(hubs), outside)


def _apply_contacts(hubs: list[Hub], path: Path, problems: Problems) -> list[Hub]:
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        problems.items.append(str(exc))
        return hubs
    if raw is None:
        return hubs
    if not isinstance(raw, LineDict):
        problems.add(path, 1, "expected a mapping of hub id to email address")
        return hubs
    by_id = {h.id: h for h in hubs}
    for hid, address in raw.items():
        if hid not in by_id:
            problems.add(path, line_of(raw, hid), f"unknown hub id {hid!r}")
            continue
        try:
            normalised = validate_email(str(address), check_deliverability=False).normalized
        except EmailNotValidError as exc:
            problems.add(path, line_of(raw, hid), f"hub {hid}: {exc}")
            continue
        by_id[hid] = replace(by_id[hid], email=normalised)
    return [by_id[h.id] for h in hubs]


class HubDirectory:
    """All hubs, with the finder's indexes built once."""

    def __init__(
        self,
        hubs: tuple[Hub, ...],
        outside: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    ) -> None:
        self.hubs = hubs
        self.by_id = {h.id: h for h in hubs}
        self.outside = outside

    def get(self, hub_id: str) -> Hub | None:
        return self.by_id.get(hub_id)

    def place_words(self) -> frozenset[str]:
        """Single-word place names in England (towns, counties, boroughs)."""
        words: set[str] = set()
        for hub in self.hubs:
            for kind, names in hub.areas.items():
                if kind != "postcodes":
                    words.update(fold(n) for n in names if " " not in fold(n))
        return frozenset(w for w in words if len(w) > 3)


def _name_key(text: str) -> str:
    folded = fold(text)
    folded = folded.replace("saint ", "st ").replace(" upon ", " on ").replace("-", " ")
    return " ".join(_NAME_NOISE.sub(" ", folded).split())


class HubFinder:
    """Finds the Maths Hub(s) for a town, county, borough, postcode, hub name or address."""

    def __init__(self, directory: HubDirectory) -> None:
        self.directory = directory
        primary: dict[str, list[str]] = {}
        also: dict[str, list[str]] = {}
        outside_names: dict[str, str] = {}
        self._postcodes: dict[str, str] = {}
        self._outside_postcodes: dict[str, str] = {}
        labels: dict[str, str] = {}

        specificity: dict[str, int] = {}

        def add(index: dict[str, list[str]], name: str, hub_id: str, rank: int = 2) -> None:
            key = _name_key(name)
            if key and hub_id not in index.setdefault(key, []):
                index[key].append(hub_id)
                labels.setdefault(key, name)
                specificity[key] = max(specificity.get(key, 0), rank)

        for hub in directory.hubs:
            for kind, names in hub.areas.items():
                for name in names:
                    if kind == "postcodes":
                        self._postcodes[name.upper().replace(" ", "")] = hub.id
                    else:
                        add(primary, name, hub.id, _SPECIFICITY.get(kind, 2))
            for name in hub.also_serves:
                add(also, name, hub.id)
            add(primary, hub.name, hub.id)
            add(primary, hub.id.replace("-", " "), hub.id)
        regions: dict[str, list[str]] = {}
        for hub in directory.hubs:
            if hub.region:
                add(regions, hub.region, hub.id)
        for country, (places, postcodes) in directory.outside.items():
            label = COUNTRY_NAMES.get(country, country.replace("_", " ").title())
            for name in places:
                key = _name_key(name)
                if key:
                    outside_names.setdefault(key, label)
                    labels.setdefault(key, name)
            for code in postcodes:
                self._outside_postcodes[code.upper().replace(" ", "")] = label
        self._primary = primary
        self._specificity = specificity
        self._also = also
        self._regions = regions
        self._outside_names = outside_names
        self._labels = labels
        self._all_names = sorted(set(primary) | set(also) | set(outside_names) | set(regions))

    # -- lookups -----------------------------------------------------------------

    def _place_for_key(self, key: str) -> _Place | None:
        hub_ids = tuple(self._primary.get(key, ()))
        also = tuple(h for h in self._also.get(key, ()) if h not in hub_ids)
        if key in self._regions:
            # "London" is a region of six hubs, not the area of whichever hub lists it.
            region = [h for h in self._regions[key] if h not in hub_ids and h not in also]
            if not hub_ids:
                hub_ids, region = tuple(region[:1]), region[1:]
            also = (*also, *region)
        if hub_ids or also:
            if not hub_ids:
                hub_ids, also = also[:1], also[1:]
            return _Place(hub_ids, also, None, self._labels.get(key, key))
        if key in self._outside_names:
            return _Place((), (), self._outside_names[key], self._labels.get(key, key))
        return None

    def _postcode_place(self, text: str) -> _Place | None:
        upper = text.upper()
        candidates: list[tuple[str, str]] = []
        for match in _POSTCODE.finditer(upper):
            candidates.append((match.group(1), match.group(1) + match.group(2)))
        stripped = upper.strip()
        if _AREA_ONLY.match(stripped):
            candidates.append((stripped, stripped))
        for area, district in candidates:
            for code in (district, area):
                if code in self._postcodes:
                    return _Place((self._postcodes[code],), (), None, district)
                if code in self._outside_postcodes:
                    return _Place((), (), self._outside_postcodes[code], district)
        return None

    def _exact(self, text: str) -> _Place | None:
        key = _name_key(text)
        if not key:
            return None
        if place := self._place_for_key(key):
            return place
        # An address or a sentence: of every place named in it, the most specific wins,
        # then the one named last ("Bath Road, Bristol" is in Bristol).
        words = key.split()
        best: tuple[int, int, int] | None = None
        best_place: _Place | None = None
        for size in (4, 3, 2, 1):
            for start in range(len(words) - size + 1):
                gram = " ".join(words[start : start + size])
                if len(gram) < 3:
                    continue
                place = self._place_for_key(gram)
                if place is None:
                    continue
                rank = (
                    self._specificity.get(gram, 0) if place.country is None else 3,
                    start + size,
                    size,
                )
                if best is None or rank > best:
                    best, best_place = rank, place
        return best_place

    def _fuzzy(self, text: str) -> _Place | None:
        key = _name_key(text)
        if len(key) < 4:
            return None
        found = process.extractOne(
            key, self._all_names, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
        )
        if found is None:
            return None
        return self._place_for_key(found[0])

    def find(self, text: str, *, whole: bool = False) -> HubSearch:
        """Search for ``text``; ``whole=True`` accepts only the whole text as a place
        (used to spot a bare place name typed as a chat message)."""
        query = " ".join(text.split())[:300]
        if not _name_key(query) and not query.strip():
            return HubSearch(query, "empty")
        if whole:
            key = _name_key(query)
            place = (
                (
                    self._postcode_place(query)
                    if _POSTCODE.fullmatch(query.upper().strip())
                    else None
                )
                or (self._place_for_key(key) if key else None)
                or self._fuzzy(query)
            )
        else:
            place = self._postcode_place(query) or self._exact(query) or self._fuzzy(query)
        if place is None:
            return HubSearch(query, "unknown")
        if place.country is not None:
            return HubSearch(query, "outside", recognised=place.label, country=place.country)
        hubs = tuple(
            self.directory.by_id[h]
            for h in (*place.hub_ids, *place.also)
            if h in self.directory.by_id
        )
        return HubSearch(query, "found", hubs=hubs, recognised=place.label)

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
