"""The operator's file: keeping the hub directory current without editing shipped files.

``HUB_CONTACTS_FILE`` is a YAML mapping of hub id to either an email address (the original
short form) or a mapping that may set the hub's ``email``, ``name``, ``lead_school``,
``website``, ``verified`` date (with an optional ``verified_note``) and ``areas`` to ``add``
or ``remove``.  It is validated like the shipped file: unknown hub ids and unknown keys are
reported as ``file:line``.  A place added to one hub leaves the hub that had it, so a place
always has one hub.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import Field, ValidationError

from bot._yaml import LineDict, Problems, YamlProblem, line_of, load_yaml
from bot.knowledge.hub_directory import AREA_KINDS, Hub
from bot.knowledge.hub_schema import AreasModel, StrictModel, line_at
from bot.knowledge.place_names import name_key


class OperatorAreas(StrictModel):
    add: AreasModel = AreasModel()
    remove: list[str] = Field(default_factory=list)


class OperatorHub(StrictModel):
    email: str | None = None
    name: str | None = Field(default=None, min_length=1)
    lead_school: str | None = None
    website: str | None = Field(default=None, pattern=r"^https?://\S+$")
    verified: dt.date | None = None
    verified_note: str = ""
    areas: OperatorAreas = OperatorAreas()


def _code(text: str) -> str:
    return text.upper().replace(" ", "")


def _same_kind(a: str, b: str) -> bool:
    """Postcodes compare with postcodes; every kind of place name with every other."""
    return (a == "postcodes") == (b == "postcodes")


def _same_place(kind: str, a: str, b: str) -> bool:
    return _code(a) == _code(b) if kind == "postcodes" else name_key(a) == name_key(b)


def apply_operator_file(hubs: list[Hub], path: Path, problems: Problems) -> list[Hub]:
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        problems.items.append(str(exc))
        return hubs
    if raw is None:
        return hubs
    if not isinstance(raw, LineDict):
        problems.add(path, 1, "expected a mapping of hub id to an email address or settings")
        return hubs
    by_id = {h.id: h for h in hubs}
    aliases = {old: h.id for h in hubs for old in h.former_ids}
    for key, value in raw.items():
        line = line_of(raw, key)
        hid = aliases.get(key, key)
        if hid not in by_id:
            problems.add(
                path, line, f"unknown hub id {key!r} (ids are the `id:` fields of hubs.yaml)"
            )
            continue
        if isinstance(value, str):
            value = {"email": value}
            settings_raw: Any = LineDict(value)
            settings_raw.line, settings_raw.key_lines = line, {"email": line}
        elif isinstance(value, LineDict):
            settings_raw = value
        else:
            problems.add(
                path, line, f"hub {hid}: expected an email address or a mapping of settings"
            )
            continue
        try:
            settings = OperatorHub.model_validate(settings_raw)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                message = (
                    f"unknown key {loc[-1]!r}"
                    if error["type"] == "extra_forbidden"
                    else error["msg"]
                )
                problems.add(
                    path,
                    line_at(settings_raw, loc),
                    f"hub {hid}: {'.'.join(str(p) for p in loc)}: {message}",
                )
            continue
        by_id = _apply(by_id, hid, settings, settings_raw, path, problems)
    return [by_id[h.id] for h in hubs]


def _apply(
    by_id: dict[str, Hub],
    hid: str,
    settings: OperatorHub,
    settings_raw: LineDict,
    path: Path,
    problems: Problems,
) -> dict[str, Hub]:
    hub = by_id[hid]
    changes, set_fields = _contact_changes(hub, settings, settings_raw, path, problems)
    areas = {kind: list(names) for kind, names in hub.areas.items()}
    also = list(hub.also_serves)
    removed_line = line_of(settings_raw.get("areas"), "remove")
    for place in settings.areas.remove:
        also, hit = _remove_place(areas, also, place)
        if not hit:
            problems.add(
                path,
                removed_line,
                f"hub {hid}: cannot remove {place!r}: it is not one of the hub's areas",
            )
    added = {kind: list(getattr(settings.areas.add, kind)) for kind in AREA_KINDS}
    if any(added.values()) or settings.areas.remove:
        set_fields.append("areas")
    for kind, names in added.items():
        for place in names:
            _take_from_other_hubs(by_id, hid, kind, place)
            if not any(_same_place(kind, n, place) for n in areas.get(kind, [])):
                areas.setdefault(kind, []).append(place)
    changes["areas"] = {k: tuple(v) for k, v in areas.items() if v}
    changes["also_serves"] = tuple(also)
    changes["operator_fields"] = tuple(dict.fromkeys((*hub.operator_fields, *set_fields)))
    by_id[hid] = replace(hub, **changes)
    return by_id


def _contact_changes(
    hub: Hub, settings: OperatorHub, settings_raw: LineDict, path: Path, problems: Problems
) -> tuple[dict[str, Any], list[str]]:
    """The hub's email, name, lead school, website and verified date the operator set, and
    which fields those are."""
    changes: dict[str, Any] = {}
    set_fields: list[str] = []
    if settings.email is not None:
        try:
            changes["email"] = validate_email(settings.email, check_deliverability=False).normalized
            set_fields.append("email")
        except EmailNotValidError as exc:
            problems.add(path, line_of(settings_raw, "email"), f"hub {hub.id}: {exc}")
    for name in ("name", "lead_school", "website"):
        value = getattr(settings, name)
        if value is not None:
            changes[name] = value
            set_fields.append(name)
    if settings.name is not None and settings.name != hub.name:
        changes["name_published"] = True
        changes["former_names"] = (*hub.former_names, hub.name)
    if settings.verified is not None:
        changes["verified_date"] = settings.verified
        changes["verified_note"] = settings.verified_note
        set_fields.append("verified")
    return changes, set_fields


def _remove_place(
    areas: dict[str, list[str]], also: list[str], place: str
) -> tuple[list[str], bool]:
    """Remove ``place`` from every kind of area (in place) and from ``also``; the new
    ``also``, and whether the place was there at all."""
    hit = False
    for kind, names in areas.items():
        kept = [n for n in names if not _same_place(kind, n, place)]
        hit = hit or len(kept) != len(names)
        areas[kind] = kept
    kept_also = [n for n in also if not _same_place("towns", n, place)]
    hit = hit or len(kept_also) != len(also)
    return kept_also, hit


def _take_from_other_hubs(by_id: dict[str, Hub], hid: str, kind: str, place: str) -> None:
    """The operator moves the place: it stays the area of one hub only (a town added here
    may have been another hub's borough)."""
    for other_id, other in list(by_id.items()):
        if other_id == hid:
            continue
        other_areas = {
            k: tuple(n for n in v if not (_same_kind(k, kind) and _same_place(kind, n, place)))
            for k, v in other.areas.items()
        }
        if other_areas != other.areas:
            by_id[other_id] = replace(other, areas=other_areas)
