"""Place names as the hub finder compares them.

Split from the finder so that the rules for reading a place name (accents and apostrophes
dropped, "Saint" read as "St", "City of" and "Maths Hub" ignored, a hyphenated compound
kept as one unit, "Richmond, London" headed by "Richmond") live in one place, used alike by
the directory's loader, the operator's file and the finder.  The word lists say which
words of a chat sentence are never places, and which places are also ordinary words.
"""

from __future__ import annotations

import re
import unicodedata

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
# Outward code (area + district) optionally followed by the inward code.
POSTCODE = re.compile(r"\b([A-Z]{1,2})(\d{1,2}[A-Z]?)\s*(\d[A-Z]{2})?\b")
AREA_ONLY = re.compile(r"^[A-Z]{1,2}$")
OUTWARD = re.compile(r"^[A-Z]{1,2}(\d{1,2}[A-Z]?)?$")
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
FILLER = frozenset(
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
# Place names that are also ordinary words or first names: inside a sentence they count only
# when written with a capital ("a school in Reading", not "reading about hubs").  A name
# that is no English word (Crewe, Poole, Looe) counts in lower case too: "crewe academy here".
COMMON_WORDS = frozenset(
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
        "bury",
        "leigh",
        "eye",
        "diss",
        "rye",
        "hull",
    ]
)
DIRECTIONS = frozenset(["north", "south", "east", "west", "great", "central"])
_TOKEN = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")


def plain_text(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("’", "'").replace("'", "").replace("&", " and ").replace("_", " ")


def name_units(text: str) -> list[tuple[str, str]]:
    """``(key, original)`` for each token; a hyphenated compound is one unit."""
    plain = _multi_noise_keep_case(plain_text(text))
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


def name_key(text: str) -> str:
    return " ".join(key for key, _ in name_units(text))


def label_head(label: str) -> str | None:
    """``"Richmond, London"`` -> ``"Richmond"``; None for a name without a qualifier."""
    head, sep, _ = label.partition(",")
    return head.strip() if sep and head.strip() else None


def label_qualifier(label: str) -> str:
    return label.partition(",")[2].strip()


def country_name(country: str) -> str:
    return COUNTRIES.get(country, (country.replace("_", " ").title(), "", ""))[0]
