"""Where in a flow file a problem is, and how it reads: the line a pydantic error
location reaches, the step it is in, and a message a form author understands.

Shared by :mod:`bot.flows.loading` (shape errors) and :mod:`bot.flows._checker`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot._yaml import LineDict, LineList, line_of
from bot.flows._spec import STEP_TYPES


def line_at(raw: Any, loc: Sequence[int | str]) -> int:
    """The line of the deepest part of ``raw`` that ``loc`` (a pydantic error location) reaches."""
    node, line = raw, line_of(raw)
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line = line_of(node, part)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = line_of(node) if isinstance(node, LineDict | LineList) else line
        elif isinstance(node, LineDict) and isinstance(part, str):
            # An unknown key: pydantic names it; the key's own line is best.
            return node.key_lines.get(part, line)
    return line


def where(raw: Any, loc: Sequence[int | str]) -> str:
    steps = raw.get("steps") if isinstance(raw, LineDict) else None
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int) and isinstance(steps, list):
        item = steps[loc[1]] if loc[1] < len(steps) else None
        name = item.get("field") if isinstance(item, LineDict) else None
        rest = ".".join(str(p) for p in loc[2:] if not str(p).startswith(("function", "tuple")))
        return f"step {name or loc[1] + 1}" + (f": {rest}" if rest else "")
    return ".".join(str(p) for p in loc) or "flow"


def describe(error: Mapping[str, Any]) -> str:
    kind = error.get("type")
    loc: tuple[int | str, ...] = tuple(error.get("loc") or ())
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key {last!r}"
    if kind == "missing":
        return f"missing field {last!r}"
    if kind == "literal_error" and loc and loc[-1] == "type":
        return f"unknown type {error.get('input')!r} (known: {', '.join(STEP_TYPES)})"
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")
