"""How hubs and hub searches are described to a person, the same in every channel.

The advice agrees with 005_hubs_since_2020.md: a school may choose to work with any Maths
Hub; the hub the finder names first is the local suggestion; a hub whose details are only
announced is checked on the NCETM website's hub search.
"""

from __future__ import annotations

from typing import Any

from bot.knowledge.hub_directory import Hub
from bot.knowledge.hubs import HubSearch
from bot.knowledge.place_names import COUNTRIES, country_name
from bot.knowledge.text import fold
from bot.replies import Option

ANY_HUB = (
    "The first hub is the local suggestion: a school may choose to work with any Maths Hub, "
    "not only the one for its area."
)
CONTACT_NOTE = "Contact details for each Maths Hub are on the Maths Hubs Programme website."
HUB_SEARCH = "the NCETM website's Maths Hub search (by school name or location)"
# The value of a button that answers "which place did you mean?".
PLACE_CHOICE = "place:"


def provenance_note(hub: Hub) -> str:
    if hub.status == "verified" and hub.verified_date is not None:
        return f"Confirmed with the hub on {hub.verified_date:%-d %B %Y}."
    when = f" ({hub.announced_date:%B %Y})" if hub.announced_date else ""
    return f"Details as publicly announced{when}, not confirmed with the hub: check them on {HUB_SEARCH}."


def describe_hub(hub: Hub) -> str:
    contact = hub.email
    if hub.has_placeholder_email:
        # A placeholder address (…@hubs.example) is for the operator's files, never for
        # an applicant to write to.
        contact = CONTACT_NOTE
    title = f"{hub.name} ({hub.region})"
    if not hub.name_published:
        title += "; its own name is not in our sources"
    lines = [
        title,
        f"Lead school: {hub.lead_school or 'not in our sources'}",
        f"Contact: {contact}",
    ]
    if hub.website:
        lines.append(f"Website: {hub.website}")
    if hub.former_names:
        lines.append("Formerly " + " and ".join(hub.former_names) + ".")
    lines.append(provenance_note(hub))
    return "\n".join(lines)


def describe_outside(place: str, country: str) -> str:
    name, preposition, kind = COUNTRIES.get(
        country, (country.replace("_", " ").title(), "in", "abroad")
    )
    bare = name.removeprefix("the ")
    head, _, qualifier = place.partition(",")
    if qualifier.strip().lower().removeprefix("the ") == bare.lower():
        place = head.strip()  # "Newport, Wales" is in Wales: say "Newport"
    if place.lower().removeprefix("the ") == bare.lower():
        subject = name[0].upper() + name[1:]
        where = {
            "nation": f"{subject} is not part of England",
            "crown": f"{subject} is a Crown Dependency, outside England",
            "abroad": f"{subject} is outside the United Kingdom",
        }[kind]
    elif kind == "nation":
        where = f"{place} is in {name}, not England"
    elif kind == "crown":
        where = f"{place} is {preposition} {name}, which is outside England (a Crown Dependency)"
    else:
        where = f"{place} is {preposition} {name}, outside the United Kingdom"
    return (
        f"{where}. Maths Hubs serve schools in England, so there is no Maths Hub for it. "
        + CONTACT_NOTE
    )


def _hub_names(hub: Hub) -> set[str]:
    """The hub's name and former names, folded, with and without "Maths Hub"."""
    names = {fold(n) for n in (hub.name, *hub.former_names)}
    return names | {n.removesuffix(" maths hub") for n in names}


def describe_choices(search: HubSearch) -> str:
    """A shared name's places, each with its county and hub."""
    lines = [f"There is more than one {search.recognised}. Which one is the school in?"]
    for choice in search.choices:
        if choice.hub is not None:
            lines.append(f"- {choice.label}: {choice.hub.name}")
        elif choice.country is not None:
            lines.append(f"- {choice.label}: outside England, no Maths Hub")
    return "\n".join(lines)


def describe_search(search: HubSearch) -> str:
    shown = search.query if len(search.query) <= 60 else search.query[:57] + "..."
    if search.status == "empty":
        return "Please tell me a town, county, London borough, postcode or hub name."
    if search.status == "outside" and search.country_id is not None:
        return describe_outside(search.recognised or shown, search.country_id)
    if search.status == "unknown" or not search.hubs:
        return (
            f"I couldn't find a place called \"{shown}\" in England. Try the school's town, "
            'county, London borough or postcode (for example "Truro", "Kent", '
            f'"Southwark" or "NR2 4AB"), or look the school up on {HUB_SEARCH}. '
            "A school may choose to work with any Maths Hub."
        )
    if search.status == "ambiguous":
        example = search.choices[0].label
        return (
            describe_choices(search)
            + f'\n\nReply with the place as written above (for example "{example}").'
        )
    first, *others = search.hubs
    if search.status == "suggested":
        # A sentence ("maths hub for birkenhed?") is not the place's name: only the guess.
        unknown = f'I don\'t know a place called "{shown}". ' if len(shown.split()) <= 3 else ""
        lines = [f"{unknown}Did you mean {search.recognised}? If so, its Maths Hub is:"]
    elif search.recognised and fold(search.recognised) in _hub_names(first):
        # "is Jurassic still a hub": the place found is the hub itself.
        lines = ["Here is what I know of that Maths Hub:"]
    else:
        lines = [f"The Maths Hub for {search.recognised or shown} is:"]
    lines += ["", describe_hub(first)]
    if others:
        lines += ["", "Nearby hubs that also serve the area:"]
        lines += [f"- {hub.name} ({hub.region}): {hub.email}" for hub in others]
    lines += ["", ANY_HUB]
    return "\n".join(lines)


def search_options(search: HubSearch) -> tuple[Option, ...]:
    """Buttons for a search that needs an answer: which place, or whether the guess is right."""
    if search.status == "ambiguous":
        return tuple(Option(c.label, PLACE_CHOICE + c.label) for c in search.choices)
    if search.status == "suggested" and search.recognised:
        return (Option(f"Yes, {search.recognised}", PLACE_CHOICE + search.recognised),)
    return ()


def search_json(search: HubSearch) -> dict[str, Any]:
    """``hub --json``: the contract's ``query`` and ``hubs`` (each with ``id``, ``name``,
    ``region``, ``lead_school``, ``email``), plus what the finder made of the place."""
    place_of: dict[str, str] = {}
    for choice in search.choices:
        if choice.hub is not None:
            place_of.setdefault(choice.hub.id, choice.label)
    hubs = []
    for hub in search.hubs:
        row = hub.as_json()
        if hub.id in place_of:
            row["place"] = place_of[hub.id]
            row["county"] = place_of[hub.id].partition(",")[2].strip()
        hubs.append(row)
    return {
        "query": search.query,
        "hubs": hubs,
        "match": search.status,
        "place": search.recognised,
        "ambiguous": search.status == "ambiguous",
        "choices": [
            {
                "place": c.label,
                "county": c.county,
                "hub": c.hub.id if c.hub else None,
                "country": country_name(c.country) if c.country else None,
            }
            for c in search.choices
        ],
        "country": search.country,
    }
