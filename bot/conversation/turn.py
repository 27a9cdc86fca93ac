"""What a person sent, in any channel, and what one turn of the conversation says back.

Split from the assistant so that channels and responders share these two small types
without importing the whole conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.replies import Option, Reply
from bot.store.base import Submission


@dataclass(frozen=True)
class Incoming:
    """One thing a person sent, in any channel."""

    user_id: str
    text: str = ""
    kind: str = "text"  # "text", "location", or a non-text kind such as "sticker"
    private: bool = True
    update_key: str | None = None
    location: tuple[float, float] | None = None
    # A button press says which question it answered: a button from an old message (or
    # from before a restart) must not answer whatever question is current now.
    for_field: str | None = None
    # A button pressed (``for_field`` None: a menu or suggestion button, which is current
    # only while its choice is still on offer and no question is waiting).
    button: bool = False


@dataclass
class Turn:
    """The replies of one turn, and what it asks the store to do when it is committed."""

    replies: list[Reply] = field(default_factory=list)
    submission: Submission | None = None
    forget: bool = False
    stale: bool = False  # a button for something no longer asked: nothing was changed

    def say(
        self,
        text: str,
        options: tuple[Option, ...] = (),
        *,
        field: str | None = None,
        flow: str | None = None,
    ) -> None:
        self.replies.append(Reply(text, field=field, options=options, flow=flow))
