"""The hubs responder: a place searched for, or a shared location, answered with its hub(s).

Finding the hub is the knowledge base's job (:class:`bot.knowledge.hubs.HubFinder`) and
wording it is :mod:`bot.knowledge.hub_text`; this module puts the answer in the turn and
remembers any choice offered (a shared name, a guessed typo) so a reply picks one.
"""

from __future__ import annotations

from bot.conversation import texts
from bot.conversation.turn import Turn
from bot.knowledge.base import Knowledge
from bot.knowledge.hub_text import ANY_HUB, describe_hub, describe_search, search_options
from bot.knowledge.hubs import HubSearch
from bot.session import Session


class Hubs:
    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    def search(self, session: Session, text: str, turn: Turn, *, offer: bool = True) -> None:
        self.say(session, self.knowledge.finder.find(text), turn, offer=offer)

    def say(self, session: Session, search: HubSearch, turn: Turn, *, offer: bool = True) -> None:
        """A hub search's answer; a shared name or a guessed typo comes with buttons to
        say which place was meant."""
        options = search_options(search) if offer else ()
        if options:
            session.offered = [(o.label, o.value) for o in options]
        turn.say(describe_search(search), options)

    def nearest(self, location: tuple[float, float], turn: Turn) -> None:
        """A shared location: the hubs whose lead schools are nearest."""
        first, *others = self.knowledge.finder.nearest(*location)
        lines = [texts.NEAREST, "", describe_hub(first)]
        if others:
            lines += ["", texts.NEXT_NEAREST] + [f"- {h.name} ({h.region})" for h in others]
        lines += ["", texts.NEAREST_IS_ROUGH + ANY_HUB]
        turn.say("\n".join(lines))
