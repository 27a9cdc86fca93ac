"""Applications in the shapes hub staff work with: CSV rows and JSON, columns in form order.

One table per form: each form has its own columns, so an export is always of one form's
applications (:func:`csv_files` writes one file per form in one pass).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.flows.model import Flow
from bot.store.base import Store, SubmittedApplication

META_COLUMNS = ("reference", "submitted_at", "hub_id")


def form_fields(flow: Flow) -> list[str]:
    """The form's answer fields in the form's own order (consent and review left out)."""
    return flow.answer_fields()


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
    first = value[:1]
    if first.isascii() and first.isalnum():
        return value  # most cells (names, numbers, emails): nothing to look into
    if first in ("\t", "\r"):
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


@dataclass(frozen=True)
class CsvFile:
    """One form's applications as a spreadsheet opens them (UTF-8 with a BOM)."""

    flow: Flow
    count: int
    data: bytes


@dataclass(frozen=True)
class CsvExport:
    files: list[CsvFile]
    # Applications submitted with a form no longer in flows/ (their emails have them).
    left_out: int = 0


class _Table:
    """One form's CSV as it is being written."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.fields = form_fields(flow)  # once, not once a row
        self.out = io.StringIO()
        self.writer = csv.writer(self.out, lineterminator="\r\n")
        self.writer.writerow([*META_COLUMNS, *self.fields])
        self.count = 0

    def add(self, app: SubmittedApplication) -> None:
        self.writer.writerow(_csv_row(app, self.fields))
        self.count += 1


def csv_files(apps: Iterable[SubmittedApplication], flows: Mapping[str, Flow]) -> CsvExport:
    """One CSV per form, in the flows' order, written in one pass over ``apps`` (which
    may be a stream: nothing but the files is held)."""
    forms = {flow.id: flow for flow in flows.values() if flow.is_form}
    tables: dict[str, _Table] = {}
    left_out = 0
    for app in apps:
        table = tables.get(app.form)
        if table is None:
            flow = forms.get(app.form)
            if flow is None:
                left_out += 1
                continue
            table = tables[app.form] = _Table(flow)
        table.add(app)
    files = [
        CsvFile(t.flow, t.count, t.out.getvalue().encode("utf-8-sig"))
        for t in (tables[form] for form in forms if form in tables)
    ]
    return CsvExport(files, left_out)


async def staff_export(
    store: Store, flows: Mapping[str, Flow], *, hub_id: str | None = None
) -> CsvExport:
    """The applications of one hub (or all), one CSV per form, built in the store's
    worker thread (:meth:`Store.export_applications`): the bot goes on answering
    everyone else meanwhile."""
    return await store.export_applications(functools.partial(csv_files, flows=flows), hub_id=hub_id)


def applications_json(apps: Sequence[SubmittedApplication], flow: Flow) -> str:
    return json.dumps([application_record(a, flow) for a in apps], ensure_ascii=False, indent=2)
