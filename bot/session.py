"""A user's conversation state: which flow is active and every answer given so far.

Stored as JSON by the store after every accepted answer, so a restart at any point
resumes exactly where the applicant was.  The ids of the updates that produced it are
kept with it, so that writing the state and remembering the update is one atomic write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Telegram re-delivers at most the updates not yet confirmed: a few per chat.
HANDLED_KEPT = 32
# Steps remembered for /back: many times a form's length, so endless review edits cannot
# grow a session without bound.
HISTORY_KEPT = 200


@dataclass
class FlowState:
    flow: str
    step: str | None
    answers: dict[str, str] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    editing: bool = False
    candidates: list[str] = field(default_factory=list)
    # A message waiting for "is this the answer, or a question?" (bot/flows/asking.py).
    pending: str = ""
    # Which question it waits for: "" (answer or question?) or "outside" (an address
    # outside England: continue or stop?).
    pending_kind: str = ""
    # At the review: the fields offered for change (empty: Submit or Change is asked), so a
    # number typed next picks from that list, after a restart too.
    picking: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        # Written out by hand: dataclasses.asdict deep-copies and is the slowest part of
        # saving a session, which happens on every message.
        return {
            "flow": self.flow,
            "step": self.step,
            "answers": self.answers,
            "history": self.history[-HISTORY_KEPT:],
            "editing": self.editing,
            "candidates": self.candidates,
            "pending": self.pending,
            "pending_kind": self.pending_kind,
            "picking": self.picking,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FlowState:
        return cls(
            flow=str(raw["flow"]),
            step=raw.get("step"),
            answers={str(k): str(v) for k, v in (raw.get("answers") or {}).items()},
            history=[str(s) for s in raw.get("history") or []],
            editing=bool(raw.get("editing", False)),
            candidates=[str(c) for c in raw.get("candidates") or []],
            pending=str(raw.get("pending") or ""),
            pending_kind=str(raw.get("pending_kind") or ""),
            picking=[str(f) for f in raw.get("picking") or []],
        )


@dataclass
class Session:
    active: str | None = None
    flows: dict[str, FlowState] = field(default_factory=dict)
    # Options last offered outside a flow (menu, "did you mean"), so a typed number works.
    offered: list[tuple[str, str]] = field(default_factory=list)
    # Recent update ids already answered (a channel may deliver one again after a crash).
    handled: list[str] = field(default_factory=list)

    def has_handled(self, update_key: str) -> bool:
        return update_key in self.handled

    def remember(self, update_key: str) -> None:
        self.handled = [*self.handled[-(HANDLED_KEPT - 1) :], update_key]

    def current(self) -> FlowState | None:
        return self.flows.get(self.active) if self.active else None

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active,
                "flows": {k: v.as_json() for k, v in self.flows.items()},
                "offered": self.offered,
                "handled": self.handled,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Session:
        raw = json.loads(text)
        return cls(
            active=raw.get("active"),
            flows={k: FlowState.from_json(v) for k, v in (raw.get("flows") or {}).items()},
            offered=[(str(a), str(b)) for a, b in raw.get("offered") or []],
            handled=[str(k) for k in raw.get("handled") or []],
        )
