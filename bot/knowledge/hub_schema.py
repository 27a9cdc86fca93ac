"""The schema of ``knowledge/hubs.yaml``: typed models that refuse unknown keys.

Split from the directory so that the shipped file and the operator's file
(:mod:`bot.knowledge.hub_operator`) share one strict base and one way of turning a
pydantic error into ``file:line: where: what``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot._yaml import LineDict, LineList, Problems, line_of


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreasModel(StrictModel):
    counties: list[str] = []
    unitary_authorities: list[str] = []
    boroughs: list[str] = []
    towns: list[str] = []
    postcodes: list[str] = []


class AnnouncedModel(StrictModel):
    date: dt.date
    source: str = Field(min_length=1)


class VerifiedModel(StrictModel):
    date: dt.date
    note: str = ""


class HubModel(StrictModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    name_published: bool = True
    former_names: list[str] = []
    former_ids: list[str] = []
    region: str = Field(min_length=1)
    lead_school: str
    town: str = ""
    lat: float | None = None
    lon: float | None = None
    email: str = Field(min_length=1)
    website: str | None = Field(default=None, pattern=r"^https?://\S+$")
    announced: AnnouncedModel
    verified: VerifiedModel | None = None
    areas_source: str = "not stated"
    areas: AreasModel = AreasModel()
    also_serves: list[str] = []


class OutsideModel(StrictModel):
    places: list[str] = []
    postcodes: list[str] = []


class HubsFileModel(StrictModel):
    hubs: list[HubModel]
    outside_england: dict[str, OutsideModel] = {}
    shared_names: dict[str, list[str]] = {}


def line_at(raw: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the YAML node a pydantic error location points to (or its nearest parent)."""
    line = line_of(raw)
    node = raw
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line = line_of(node, part)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = line_of(node) if isinstance(node, (LineDict, LineList)) else line
        else:
            break
    return line


def schema_problems(exc: ValidationError, raw: Any, path: Path, problems: Problems) -> None:
    """Report each schema error as ``file:line: where: what``."""
    for error in exc.errors():
        loc = tuple(error["loc"])
        where = ".".join(str(p) for p in loc)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
        elif error["type"] == "missing":
            message = "missing field"
        if (
            len(loc) >= 2
            and loc[0] == "hubs"
            and isinstance(loc[1], int)
            and isinstance(raw, LineDict)
        ):
            items = raw.get("hubs")
            if isinstance(items, list) and loc[1] < len(items):
                item = items[loc[1]]
                if isinstance(item, dict) and item.get("id"):
                    where = f"hub {item['id']}: " + ".".join(str(p) for p in loc[2:])
        problems.add(path, line_at(raw, loc), f"{where}: {message}")


# -- the directory --------------------------------------------------------------------------
