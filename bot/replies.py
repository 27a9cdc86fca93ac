"""What the assistant says: channel-neutral messages with optional choices."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True)
class Reply:
    """One message to the user.

    ``field`` names the form field this message asks for (None otherwise); ``flow`` the
    flow it belongs to.  Channels render ``options`` as numbered choices or buttons.
    """

    text: str
    field: str | None = None
    options: tuple[Option, ...] = ()
    flow: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "field": self.field,
            "options": [{"label": o.label, "value": o.value} for o in self.options],
            "flow": self.flow,
        }
