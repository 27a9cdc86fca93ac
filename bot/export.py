"""Applications in the shapes hub staff work with: CSV rows and JSON, columns in form order.

One table per form: each form has its own columns, so an export is always of one form's
applications (the caller groups them with :func:`by_form`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import unicodedata
from collections.abc import Mapping, Sequence

from bot.flows.model import Flow
from bot.store.base import SubmittedApplication

META_COLUMNS = ("reference", "submitted_at", "hub_id")


def form_fields(flow: Flow) -> list[str]:
    """The form's answer fields in the form's own order (consent and review left out)."""
    return flow.answer_fields()


def by_form(
    apps: Sequence[SubmittedApplication], flows: Mapping[str, Flow]
) -> list[tuple[Flow, list[SubmittedApplication]]]:
    """Applications grouped by the form they were submitted with, in the flows' order;
    an application whose form is no longer in flows/ is left out (its email has it)."""
    return [
        (flow, [a for a in apps if a.form == flow.id])
        for flow in flows.values()
        if flow.is_form and any(a.form == flow.id for a in apps)
    ]


def application_record(app: SubmittedApplication, flow: Flow) -> dict[str, str]:
    record = {
        "reference": app.reference,
        "submitted_at": app.submitted_at.isoformat(),
        "hub_id": app.hub_id,
    }
    for name in form_fields(flow):
        record[name] = app.answers.get(name, "")
    return record


_INVISIBLE = frozenset(("Cc", "Cf", "Zs", "Zl", "Zp"))


def _safe_cell(value: str) -> str:
    """A cell starting with = + - @ is run as a formula by spreadsheets (CSV injection).

    Spreadsheets skip invisible characters (U+2060, U+FEFF, spaces) and read full-width
    forms (＝, ＋) as their ASCII twins, so the first *visible* character, normalised,
    decides."""
    if value[:1] in ("\t", "\r"):
        return "'" + value
    first = next((c for c in value if unicodedata.category(c) not in _INVISIBLE), "")
    return (
        "'" + value if unicodedata.normalize("NFKC", first)[:1] in ("=", "+", "-", "@") else value
    )


def _csv_row(app: SubmittedApplication, fields: Sequence[str]) -> list[str]:
    # The cells of application_record, in its order, without building the dict.
    values = [app.reference, app.submitted_at.isoformat(), app.hub_id]
    values += [app.answers.get(name, "") for name in fields]
    return [_safe_cell(v) for v in values]


def applications_csv(apps: Sequence[SubmittedApplication], flow: Flow) -> str:
    fields = form_fields(flow)  # once, not once a row: an export of 10,000 spent a third here
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*META_COLUMNS, *fields])
    writer.writerows(_csv_row(app, fields) for app in apps)
    return out.getvalue()


async def applications_csv_yielding(
    apps: Sequence[SubmittedApplication], flow: Flow, chunk: int = 50
) -> str:
    """The same CSV, yielding to the event loop every ``chunk`` rows, for a bot: a staff
    export of thousands of applications must not hold up everyone else's messages."""
    fields = form_fields(flow)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*META_COLUMNS, *fields])
    for start in range(0, len(apps), chunk):
        if start:
            await asyncio.sleep(0)
        writer.writerows(_csv_row(app, fields) for app in apps[start : start + chunk])
    return out.getvalue()


def applications_json(apps: Sequence[SubmittedApplication], flow: Flow) -> str:
    return json.dumps([application_record(a, flow) for a in apps], ensure_ascii=False, indent=2)
