"""How hubs and hub searches are described to a person, the same in every channel."""

from __future__ import annotations

from bot.knowledge.hubs import Hub, HubSearch

ANY_HUB = "A school may choose to work with any Maths Hub, not only the one for its area."
CONTACT_NOTE = "Contact details for each Maths Hub are on the Maths Hubs Programme website."


def describe_hub(hub: Hub) -> str:
    contact = hub.email
    if hub.has_placeholder_email:
        contact = f"{hub.email} (placeholder: {CONTACT_NOTE})"
    return f"{hub.name} ({hub.region})\nLead school: {hub.lead_school}\nContact: {contact}"


def describe_search(search: HubSearch) -> str:
    shown = search.query if len(search.query) <= 60 else search.query[:57] + "..."
    if search.status == "empty":
        return "Please tell me a town, county, London borough, postcode or hub name."
    if search.status == "outside":
        return (
            f"{search.recognised or shown} is in {search.country}, not England. Maths Hubs serve "
            "schools in England, so there is no Maths Hub for it. " + CONTACT_NOTE
        )
    if search.status == "unknown":
        return (
            f"I couldn't find a place called \"{shown}\" in England. Try the school's town, "
            'county, London borough or postcode (for example "Truro", "Kent", '
            '"Southwark" or "NR2 4AB"). ' + ANY_HUB
        )
    first, *others = search.hubs
    lines = [f"The Maths Hub for {search.recognised or shown} is:", "", describe_hub(first)]
    if others:
        lines += ["", "Nearby hubs that also serve the area:"]
        lines += [f"- {hub.name} ({hub.region}): {hub.email}" for hub in others]
    lines += ["", ANY_HUB]
    return "\n".join(lines)
