"""Applications in the shapes hub staff work with: CSV rows and JSON, columns in form order."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence

from bot.flows.model import Flow
from bot.store.base import SubmittedApplication

META_COLUMNS = ("reference", "submitted_at", "hub_id")


def form_fields(flow: Flow) -> list[str]:
    """The EoI's answer fields in the form's own order (consent and review left out)."""
    return [s.field for s in flow.steps if s.is_question and s.type != "consent"]


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


def applications_csv(apps: Sequence[SubmittedApplication], flow: Flow) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*META_COLUMNS, *form_fields(flow)])
    for app in apps:
        writer.writerow([_safe_cell(v) for v in application_record(app, flow).values()])
    return out.getvalue()


def applications_json(apps: Sequence[SubmittedApplication], flow: Flow) -> str:
    return json.dumps([application_record(a, flow) for a in apps], ensure_ascii=False, indent=2)
