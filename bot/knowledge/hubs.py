"""The hub finder: maps a place (town, county, borough, postcode, hub name, address) to its
Maths Hub(s).

The finder is honest about what it matched: a name shared by places in different hubs
("Richmond") is *ambiguous* and answered with each place and its county; a typo corrected
to a known place is a *suggestion*, shown as a question; hyphenated and multi-word names are
matched whole before their parts ("Wells-next-the-Sea" is not "Wells").  The hubs
themselves are :mod:`bot.knowledge.hub_directory`; how a name is read is
:mod:`bot.knowledge.place_names`.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.knowledge.hub_directory import Hub, HubDirectory
from bot.knowledge.place_index import PlaceIndex, PlaceMatch
from bot.knowledge.place_names import (
    AREA_ONLY,
    COMMON_WORDS,
    DIRECTIONS,
    FILLER,
    POSTCODE,
    country_name,
    label_qualifier,
    name_units,
    plain_text,
)

_FUZZY_CUTOFF = 86
_SENTENCE_FUZZY_CUTOFF = 88
# A long message with no place in it is not compared word by word without end.
_MAX_FUZZY_TRIES = 12


@dataclass(frozen=True)
class PlaceChoice:
    """One place a shared name may mean: in a hub's area, or outside England."""

    label: str
    hub: Hub | None
    country: str | None

    @property
    def county(self) -> str:
        return label_qualifier(self.label)


SearchStatus = Literal["found", "ambiguous", "suggested", "outside", "unknown", "empty"]


# Words after which a lower-case common word is read as a place ("covers reading").
_PLACE_LEADS = frozenset({"in", "covers", "cover", "covering", "near", "around", "serves"})


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


def _may_be_a_place(units: list[tuple[str, str]], start: int) -> bool:
    """Whether one word of a sentence may be read as a place name on its own."""
    key, original = units[start]
    capital = original[:1].isupper()
    # "reading" is a word, but "which hub covers reading" names the town.
    after_lead = start > 0 and units[start - 1][0] in _PLACE_LEADS
    if key in COMMON_WORDS and not capital and not after_lead:
        return False
    # "the central days": a direction alone is no place ("Central" is).
    if key in DIRECTIONS and not capital:
        return False
    return key not in FILLER


class HubFinder:
    """Finds the Maths Hub(s) for a town, county, borough, postcode, hub name or address."""

    def __init__(self, directory: HubDirectory) -> None:
        self.directory = directory
        self._places = PlaceIndex(directory)

    def _postcode_match(self, text: str) -> PlaceMatch | None:
        upper = plain_text(text).upper()
        candidates: list[tuple[str, str]] = []
        for match in POSTCODE.finditer(upper):
            candidates.append((match.group(1), match.group(1) + match.group(2)))
        stripped = upper.strip()
        if AREA_ONLY.match(stripped):
            candidates.append((stripped, stripped))
        for area, district in candidates:
            for code in (district, area):
                if code in self._places.postcodes:
                    return PlaceMatch(district, [self._places.postcodes[code]], specificity=4)
                if code in self._places.outside_postcodes:
                    return PlaceMatch(district, country=self._places.outside_postcodes[code], specificity=4)
        return None

    def _in_text(self, units: list[tuple[str, str]]) -> PlaceMatch | None:
        """Of every place named in an address or sentence: the most specific, then the one
        named last ("Bath Road, Bristol" is in Bristol); a name inside a longer one never
        counts on its own ("Sutton" in "Sutton Coldfield")."""
        found: list[tuple[int, int, PlaceMatch]] = []
        sentence = len(units) > 1
        for size in range(min(len(units), 6), 0, -1):
            for start in range(len(units) - size + 1):
                gram = " ".join(key for key, _ in units[start : start + size])
                if len(gram) < 3:
                    continue
                if size == 1 and sentence and not _may_be_a_place(units, start):
                    continue
                match = self._places.lookup(gram)
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

    def _fuzzy(self, units: list[tuple[str, str]], *, sentence: bool) -> PlaceMatch | None:
        words = [(k, o) for k, o in units if k not in FILLER] if sentence else units
        if not words:
            return None
        tries = [" ".join(k for k, _ in words)]
        if sentence:
            for size in (3, 2, 1):
                for start in range(len(words) - size + 1):
                    part = words[start : start + size]
                    if size == 1 and (part[0][0] in COMMON_WORDS or part[0][0].isdigit()):
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
                self._places.name_lengths, math.floor(len(attempt) * share / (2 - share))
            )
            high = bisect.bisect_right(
                self._places.name_lengths, math.ceil(len(attempt) * (2 - share) / share)
            )
            hit = process.extractOne(
                attempt, self._places.all_names[low:high], scorer=fuzz.ratio, score_cutoff=cutoff
            )
            if hit is not None and (best is None or hit[1] > best[0]):
                best = (hit[1], hit[0])
        if best is None:
            return None
        return self._places.lookup(best[1])

    def find(self, text: str, *, whole: bool = False) -> HubSearch:
        """Search for ``text``; ``whole=True`` accepts only the whole text as a place
        (used to spot a bare place name typed as a chat message)."""
        query = " ".join(text.split())[:300]
        units = name_units(query)
        if not units:
            return HubSearch(query, "empty")
        key = " ".join(k for k, _ in units)
        suggested = False
        match: PlaceMatch | None
        if whole:
            match = (
                self._postcode_match(query) if POSTCODE.fullmatch(query.upper().strip()) else None
            ) or self._places.lookup(key)
            if match is None and (match := self._fuzzy(units, sentence=False)) is not None:
                suggested = True
        else:
            match = self._postcode_match(query) or self._places.lookup(key) or self._in_text(units)
            if match is None:
                sentence = len([u for u in units if u[0] not in FILLER]) < len(units)
                match = self._fuzzy(units, sentence=sentence)
                suggested = match is not None
        if match is None:
            return HubSearch(query, "unknown")
        return self._search(query, match, suggested)

    def _search(self, query: str, match: PlaceMatch, suggested: bool) -> HubSearch:
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
