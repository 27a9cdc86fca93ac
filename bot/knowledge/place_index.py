"""The names the hub finder knows, each mapped to its hub(s) or to a country outside England.

Split from :mod:`bot.knowledge.hubs` so that building the index (every area, hub name,
former name, place a hub also serves, region, distinctive first word, and a shared
name's choices in the directory's order) and an exact look-up of one name sit apart from
reading free text (addresses, sentences, typos), which is the finder's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.knowledge.hub_directory import Hub, HubDirectory
from bot.knowledge.place_names import DIRECTIONS, FILLER, label_head, name_key

# In an address the most specific place wins: "Milton Keynes, Buckinghamshire" is Milton Keynes.
_SPECIFICITY = {"towns": 3, "boroughs": 3, "unitary_authorities": 2, "counties": 1}
HUB_NAME_SPECIFICITY = 0


@dataclass
class Candidate:
    label: str
    hub_id: str | None
    country: str | None
    specificity: int


@dataclass
class PlaceMatch:
    label: str
    hub_ids: list[str] = field(default_factory=list)
    country: str | None = None
    choices: list[Candidate] = field(default_factory=list)
    specificity: int = 0

    @property
    def ambiguous(self) -> bool:
        return len(self.choices) > 1


def _append_once(index: dict[str, list[str]], key: str, hub_id: str) -> None:
    hub_ids = index.setdefault(key, [])
    if hub_id not in hub_ids:
        hub_ids.append(hub_id)


def _display_labels(hubs: tuple[Hub, ...]) -> dict[str, str]:
    """How a region or a place known only as another hub's alternative is shown."""
    labels: dict[str, str] = {}
    for hub in hubs:
        for name in hub.also_serves:
            for key in (name_key(name), name_key(label_head(name) or name)):
                labels.setdefault(key, name)
    for hub in hubs:
        labels[name_key(hub.region)] = hub.region
    return labels


class PlaceIndex:
    """Every name a hub or place is known by; ``lookup`` reads one normalised name."""

    def __init__(self, directory: HubDirectory) -> None:
        self._index: dict[str, list[Candidate]] = {}
        self._also: dict[str, list[str]] = {}
        self._regions: dict[str, list[str]] = {}
        self.postcodes: dict[str, str] = {}
        self.outside_postcodes: dict[str, str] = {}
        for hub in directory.hubs:
            self._index_hub(hub)
        for country, (places, postcodes) in directory.outside.items():
            for name in places:
                self._add_place(name, None, country, 3)
            for code in postcodes:
                self.outside_postcodes[code.upper().replace(" ", "")] = country
        self._index_first_words(directory.hubs)
        for name, labels in directory.shared_names.items():
            self._order_shared_name(name, labels)
        self._labels = _display_labels(directory.hubs)
        # Sorted by length: a typo is compared only with names of a length it could match.
        self.all_names = sorted(
            set(self._index) | set(self._also) | set(self._regions), key=lambda n: (len(n), n)
        )
        self.name_lengths = [len(n) for n in self.all_names]

    # -- building the indexes ---------------------------------------------------------

    def _add(self, key: str, candidate: Candidate) -> None:
        if not key:
            return
        entries = self._index.setdefault(key, [])
        if not any(
            c.hub_id == candidate.hub_id
            and c.country == candidate.country
            and c.label == candidate.label
            for c in entries
        ):
            entries.append(candidate)

    def _add_place(self, label: str, hub_id: str | None, country: str | None, rank: int) -> None:
        candidate = Candidate(label, hub_id, country, rank)
        self._add(name_key(label), candidate)
        if (head := label_head(label)) is not None:
            self._add(name_key(head), candidate)

    def _index_hub(self, hub: Hub) -> None:
        """A hub's places, postcodes, names, the places it also serves and its region."""
        for kind, names in hub.areas.items():
            for name in names:
                if kind == "postcodes":
                    self.postcodes[name.upper().replace(" ", "")] = hub.id
                else:
                    self._add_place(name, hub.id, None, _SPECIFICITY.get(kind, 2))
        # A hub's own name ranks below any place: "we're in Thurrock, is it still Matrix
        # Essex and Herts?" asks for Thurrock's hub, not about the hub it names.
        for name in (hub.name, hub.id.replace("-", " "), *hub.former_names, *hub.former_ids):
            self._add(name_key(name), Candidate(hub.name, hub.id, None, HUB_NAME_SPECIFICITY))
        for name in hub.also_serves:
            for key in {name_key(name), name_key(label_head(name) or name)}:
                if key:
                    _append_once(self._also, key, hub.id)
        if hub.region:
            _append_once(self._regions, name_key(hub.region), hub.id)

    def _index_first_words(self, hubs: tuple[Hub, ...]) -> None:
        """A hub is also found by the distinctive first word of its name ("Turing", "Venn")."""
        firsts: dict[str, list[Hub]] = {}
        for hub in hubs:
            words = name_key(hub.name).split()
            if len(words) > 1 and len(words[0]) >= 4 and words[0] not in FILLER | DIRECTIONS:
                firsts.setdefault(words[0], []).append(hub)
        for word, named in firsts.items():
            if len(named) == 1 and word not in self._index:
                self._add(word, Candidate(named[0].name, named[0].id, None, HUB_NAME_SPECIFICITY))

    def _order_shared_name(self, name: str, labels: tuple[str, ...]) -> None:
        """A shared name's choices in the order the directory gives (best guess first)."""
        key = name_key(name)
        order = {name_key(label): i for i, label in enumerate(labels)}
        extra = [
            c
            for label in labels
            for c in self._index.get(name_key(label), [])
            if c.label == label or name_key(c.label) == name_key(label)
        ]
        merged = extra + [c for c in self._index.get(key, []) if c not in extra]
        merged.sort(key=lambda c: order.get(name_key(c.label), len(order)))
        self._index[key] = merged

    # -- lookups -----------------------------------------------------------------

    def lookup(self, key: str) -> PlaceMatch | None:
        places = self._distinct_places(key)
        hub_ids = list(dict.fromkeys(c.hub_id for c in places if c.hub_id))
        distinct = {(c.hub_id, c.country) for c in places}
        if len(distinct) > 1 and len({name_key(c.label) for c in places}) > 1:
            return PlaceMatch(
                label=label_head(places[0].label) or places[0].label,
                hub_ids=hub_ids,
                choices=places,
                specificity=max(c.specificity for c in places),
            )
        extra = self._other_hubs(key, hub_ids)
        if hub_ids or extra:
            return PlaceMatch(
                label=self._match_label(key, places),
                hub_ids=hub_ids + extra,
                specificity=max((c.specificity for c in places), default=2),
            )
        if places and places[0].country is not None:
            return PlaceMatch(label=places[0].label, country=places[0].country, specificity=3)
        return None

    def _distinct_places(self, key: str) -> list[Candidate]:
        """The places a name may mean, each (hub or country, place) once."""
        places: list[Candidate] = []
        for c in self._index.get(key, []):
            if not any(
                (p.hub_id, p.country) == (c.hub_id, c.country)
                and name_key(p.label) == name_key(c.label)
                for p in places
            ):
                places.append(c)
        return places

    def _other_hubs(self, key: str, hub_ids: list[str]) -> list[str]:
        """Hubs that also serve a place, or share a region, beyond those whose area it is."""
        extra = [h for h in self._also.get(key, ()) if h not in hub_ids]
        if key in self._regions:
            # "London" is a region of six hubs, not the area of whichever hub lists it.
            extra += [h for h in self._regions[key] if h not in hub_ids and h not in extra]
        return extra

    def _match_label(self, key: str, places: list[Candidate]) -> str:
        if key in self._regions:
            return self._label_for(key)
        # "Stratford-upon-Avon, Warwickshire" says more than "Stratford-on-Avon District".
        named = [c for c in places if label_head(c.label) is not None] or places
        return named[0].label if named else self._label_for(key)

    def _label_for(self, key: str) -> str:
        return self._labels.get(key) or key.title()

