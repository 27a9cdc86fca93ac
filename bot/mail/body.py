"""The text and HTML bodies of a hub email, laid out in the form's own sections and order.

:func:`form_sections` reads the layout from the application's flow (each step's
``section`` and ``label``, in flow order, only the steps this applicant actually
answered) and what the email says from the flow's ``submission`` block (heading, the
commitments repeated, the signatories, the footer), so the email follows the paper form
without a second copy of it here.  :func:`render_text` and
:func:`render_html` turn the same sections into the two parts; every applicant value is
HTML-escaped in the HTML part.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.flows.model import Flow
from bot.knowledge.text import strip_control
from bot.store.base import SubmittedApplication

BLANK = "(left blank)"


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    heading: str
    facts: list[tuple[str, str]]
    sections: list[Section]
    footer: str


def _value(flow: Flow, field_id: str, app: SubmittedApplication, hub_name: str) -> str:
    step = flow.step(field_id)
    raw = strip_control(app.answers.get(field_id, "")).strip()
    if step.type in ("hub", "hub_pick"):
        return f"{hub_name} ({raw})" if raw and hub_name != raw else raw or BLANK
    if step.type == "confirm":
        return "Confirmed" if raw else "Not confirmed"
    for option in step.options:
        if raw == option.value:
            return option.label
    return raw or BLANK


def _commitments(flow: Flow, field_id: str, year: str) -> tuple[str, list[str]]:
    """The confirm step's lead-in and its bullet list, as the applicant saw them."""
    prompt = flow.step(field_id).prompt.replace("{academic_year}", year)
    lines = prompt.splitlines()
    bullets = [line[2:].strip() for line in lines if line.startswith("- ")]
    first = next((i for i, line in enumerate(lines) if line.startswith("- ")), 0)
    return " ".join(lines[:first]).strip(), bullets


def form_sections(
    flow: Flow, app: SubmittedApplication, *, hub_name: str, academic_year: str
) -> Document:
    """The application as sections of (label, value) rows, in the form's order."""
    submission = flow.submission
    assert submission is not None, f"flow {flow.id} has no submission block"
    commitments = submission.commitments
    sections: list[Section] = []
    for step in flow.path(app.answers):
        if not step.is_question or step.type == "consent":
            continue
        title = step.section or flow.title
        if not sections or sections[-1].title != title:
            sections.append(Section(title))
        section = sections[-1]
        if step.field == commitments:
            lead, bullets = _commitments(flow, step.field, academic_year)
            section.notes.append(lead)
            section.bullets.extend(bullets)
        section.rows.append((step.label, _value(flow, step.field, app, hub_name)))
        if step.field == commitments:
            section.rows.append(("Academic year", academic_year))
            signed = [
                (
                    person.role or flow.step(person.name).label,
                    strip_control(app.answers.get(person.name, "")).strip(),
                    app.answers.get(person.email, ""),
                )
                for person in submission.cc
            ]
            section.rows.extend(
                (f"{role} (electronic signature)", f"{who} <{strip_control(mail).strip()}>")
                for role, who, mail in signed
                if who or mail
            )
            if submission.signatures_note:
                section.notes.append(" ".join(submission.signatures_note.split()))
    title = strip_control(app.answers.get(submission.title, "")).strip()
    return Document(
        heading=submission.heading.replace("{academic_year}", academic_year),
        facts=[
            ("Reference", app.reference),
            (flow.step(submission.title).label, title or BLANK),
            ("Maths Hub", hub_name),
            ("Submitted", app.submitted_at.strftime("%d %B %Y, %H:%M UTC")),
            ("Academic year", academic_year),
        ],
        sections=sections,
        footer=" ".join(submission.footer.split()),
    )


def render_text(doc: Document) -> str:
    lines = [doc.heading, ""]
    lines += [f"{label}: {value}" for label, value in doc.facts]
    for section in doc.sections:
        lines += ["", section.title, "-" * min(len(section.title), 78)]
        lines += section.notes[:1]
        lines += [f"  * {bullet}" for bullet in section.bullets]
        for label, value in section.rows:
            if "\n" in value or len(value) > 60:
                lines += [f"{label}:", *(f"  {v}" for v in value.splitlines())]
            else:
                lines.append(f"{label}: {value}")
        lines += section.notes[1:]
    lines += ["", "--", doc.footer, ""]
    return "\n".join(lines)


def _h(value: str) -> str:
    return html.escape(value, quote=True).replace("\n", "<br>\n")


def _rows(rows: Sequence[tuple[str, str]]) -> list[str]:
    out = ['<table cellpadding="4" cellspacing="0" border="1" style="border-collapse:collapse">']
    out += [
        f'<tr><th align="left" valign="top">{_h(label)}</th><td>{_h(value)}</td></tr>'
        for label, value in rows
    ]
    out.append("</table>")
    return out


def render_html(doc: Document) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_h(doc.heading)}</title></head>",
        '<body style="font-family:Arial,sans-serif">',
        f"<h1>{_h(doc.heading)}</h1>",
        *_rows(doc.facts),
    ]
    for section in doc.sections:
        parts.append(f"<h2>{_h(section.title)}</h2>")
        parts += [f"<p>{_h(note)}</p>" for note in section.notes[:1]]
        if section.bullets:
            parts += ["<ul>", *(f"<li>{_h(b)}</li>" for b in section.bullets), "</ul>"]
        parts += _rows(section.rows)
        parts += [f"<p>{_h(note)}</p>" for note in section.notes[1:]]
    parts += [f"<hr><p><small>{_h(doc.footer)}</small></p>", "</body></html>", ""]
    return "\n".join(parts)
