"""Which messages are hub questions, and the hub finder's reply to them, in every channel.

A question about a programme can name a hub in passing ("how many places has South
Yorkshire Maths Hub got?"); a hub question may not say "hub" ("is it still Matrix Essex and
Herts for us?").  The rules that tell them apart live here, beside :mod:`bot.answers`,
which asks them first.
"""

from __future__ import annotations

import re

from bot.knowledge.base import Knowledge
from bot.knowledge.faq import FaqEntry
from bot.knowledge.hub_text import describe_search
from bot.knowledge.hubs import HubSearch
from bot.knowledge.matching import MatchResult
from bot.knowledge.place_names import DIRECTIONS
from bot.knowledge.text import fold

# A message with one of these words that names a place is a hub search, in every channel.
HUB_WORDS = frozenset({"hub", "hubs", "postcode", "postcodes"})
HUB_FINDER_ENTRY = "hub-finder"
# Asking *which* hub, or who leads one: "which hub covers swindon", "hub for PO30",
# "jurassic maths hub lead school?"; or a message short enough to be a search
# ("blackpool secondary - hub?").  "How many places has Solent got?" is not one.
_HUB_LOOKUP = re.compile(
    r"\b(which|what|whats|wat|wich)\b(\s+\S+){0,6}?\s+hubs?\b|\bhubs?\s+(for|covers?|"
    r"covering|serves?|serving|near|in|are we|am i|is (it|ours|ours now))\b|"
    r"\blead schools?\b|\brun (from|by)\b|\bwho (leads|runs)\b|\bled by\b|\bis it still\b|"
    r"\b(our|my|local|nearest) (local )?(maths )?hub\b|"
    # "is there even a hub down here", "any maths hub near us"
    r"\b(is there|are there|any)( \w+)? (a )?(maths )?hubs?\b|\bhubs? (down|up|round|around|over|out) here\b"
)
_SHORT_HUB_QUESTION = 5
_HUB_TOKENS = frozenset({"hub", "maths"})
_HUB_SUFFIX = re.compile(r"\s+(maths\s+)?hub$")
# Entries about the hub directory itself (new hubs, a region's hubs, a renamed hub): a
# message the knowledge base reads as one of these, and which names a place or hub, is
# answered better by the finder when it asks which hub or who leads one.
_HUB_DIRECTORY_ENTRIES = ("hub-new-hubs", "hub-turing-nw", "hubs-")
_ASKS_WHO_LEADS = re.compile(r"\b(who (leads|runs)|lead schools?|led by|still|run from)\b")
# Entries that only say what a hub is or how to find one: a named place answers better.
_HUB_QUESTIONS = frozenset({HUB_FINDER_ENTRY, "hub-what-is"})
_LONGEST_PLACE = 5  # words ("Newcastle upon Tyne", "Isle of Wight")
# Words that only say where someone is: "we're a school in Leeds", "our academy is near York".
_WHERE_WORDS = frozenset(
    {"i", "im", "we", "were", "re", "are", "am", "is", "our", "my", "school", "schools",
     "academy", "trust", "mat", "college", "a", "an", "the", "in", "at", "near", "from",
     "based", "teach", "work", "live", "located", "hello", "hi", "hey", "secondary",
     "around", "just", "outside", "of", "area", "town", "city", "county", "here", "s", "on"}
)  # fmt: skip


def hub_reply(
    knowledge: Knowledge, question: str, result: MatchResult
) -> tuple[str, FaqEntry | None] | None:
    """The hub finder's reply, and the hub-finder entry, when the message is a hub question.

    A hub question the knowledge base does not answer outright ("which hub covers
    Reading?"), or a message that only says where the school is ("we're on the Isle of
    Wight"), is the finder's; "how many places has Solent got?" stays a question."""
    about_hubs = _about_the_hubs(result)
    # The finder is only asked when the message says "hub" or reads as a hub question, so
    # the (second) tokenising of _thin_match is only done then, not for every answer.
    could_be_hub = about_hubs or bool(HUB_WORDS & set(fold(question).split()))
    hub_worded = (
        result.tier != "confident"
        or (result.entry is not None and result.entry.id in _HUB_QUESTIONS)
        or (could_be_hub and _thin_match(knowledge, question))
    )
    search = _where_the_school_is(knowledge, question)
    asks_who = about_hubs and _ASKS_WHO_LEADS.search(fold(question))
    if search is None and (hub_worded or asks_who):
        search = _hub_search(knowledge, question, about_hubs=about_hubs, asks=bool(asks_who))
    hubbish = any(e.id.startswith("hub") for e in (*result.entries, *result.suggestions))
    if search is None and result.tier != "confident" and hubbish:
        # "is Solent running work groups in Portsmouth this year?" is not one: the knowledge
        # base sees no hub question in it.
        search = _place_beside_a_hub_name(knowledge, question)
    if search is None or _a_region_the_answer_lists(knowledge, search, result):
        return None
    try:
        entry: FaqEntry | None = knowledge.faq.entry(HUB_FINDER_ENTRY)
    except KeyError:
        entry = None
    return describe_search(search), entry


def _a_region_the_answer_lists(
    knowledge: Knowledge, search: HubSearch, result: MatchResult
) -> bool:
    """ "Which hubs are still in the north west?": a region is no place with one hub; the
    knowledge base's list of the region's hubs answers it."""
    regions = {fold(hub.region) for hub in knowledge.finder.directory.hubs}
    return (
        result.tier == "confident"
        and result.entry is not None
        and result.entry.id.startswith("hubs-")
        and fold(search.recognised or "") in regions
    )


def _thin_match(knowledge: Knowledge, question: str) -> bool:
    """Whether the knowledge base's match rests on one word besides "hub": place names
    weigh nothing there, so "hub covering newbury" is matched on "cover" alone."""
    return len(set(knowledge.matcher.query_tokens(question)) - _HUB_TOKENS) <= 1


def _where_the_school_is(knowledge: Knowledge, question: str) -> HubSearch | None:
    """The search for a message that only says where the school is ("our school is in
    Leeds", "we're on the isle of wight"): any other word keeps it a question."""
    rest = set(fold(question).split()) - _WHERE_WORDS
    if not rest or len(rest) > _LONGEST_PLACE:
        return None  # not worth a search: no place fits in what is left
    search = knowledge.finder.find(question)
    if search.status not in ("found", "ambiguous"):
        return None
    place = set(fold(search.recognised or "").split())
    return None if says_more_than_where(question, place) else search


def says_more_than_where(text: str, place: set[str]) -> bool:
    """Whether ``text`` says anything but where someone is (the place's own words aside)."""
    return bool(set(fold(text).split()) - place - _WHERE_WORDS)


def _about_the_hubs(result: MatchResult) -> bool:
    """Whether the knowledge base reads the message as one about the hub directory
    ("is it still Matrix Essex and Herts for us?" has no word "hub" but names one)."""
    best = result.entry or (result.suggestions[0] if result.suggestions else None)
    return best is not None and best.id.startswith(_HUB_DIRECTORY_ENTRIES)


def _hub_search(
    knowledge: Knowledge, question: str, *, about_hubs: bool, asks: bool
) -> HubSearch | None:
    """ "Which hub covers Reading?", "Jurassic Maths Hub lead school?": the finder's search,
    when the message asks which hub (or is short) and names a place or hub; a misspelt
    place ("maths hub for birkenhed?") is offered as the finder's guess."""
    folded = fold(question)
    asks = asks or bool(_HUB_LOOKUP.search(folded)) or len(folded.split()) <= _SHORT_HUB_QUESTION
    if not (asks and (about_hubs or HUB_WORDS & set(folded.split()))):
        return None
    search = knowledge.finder.find(question)
    if search.status not in ("found", "ambiguous", "outside", "suggested"):
        return None
    return search


def _place_beside_a_hub_name(knowledge: Knowledge, question: str) -> HubSearch | None:
    """A place named beside a hub's name (current or former) is a question about that
    place's hub: "we're in grays. our old paperwork says matrix essex and herts - still
    right?".  The hub's own name is no such place: "how many places has South Yorkshire
    Maths Hub got?" names no place once "south yorkshire maths hub" is taken out."""
    padded = f" {fold(question)} "
    named = False
    for hub in knowledge.finder.directory.hubs:
        for name in (hub.name, *hub.former_names):
            key = _HUB_SUFFIX.sub("", fold(name))
            # "Central" alone is a word ("are the central events in london?"), not a hub.
            bare = (f" {key} ",) if key not in DIRECTIONS else ()
            for form in (f" {key} maths hub ", f" {key} hub ", *bare):
                if form in padded:
                    padded, named = padded.replace(form, " "), True
    if not named or not padded.strip():
        return None
    search = knowledge.finder.find(padded.strip())
    return search if search.status in ("found", "ambiguous") else None
