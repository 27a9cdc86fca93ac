"""Turning a submitted application into the email its Maths Hub receives.

Who receives it is the form's to say, in its flow's ``submission`` block: To: the hub
its ``hub`` field names; Cc: each person of ``cc`` (for the Work Group form the head teacher, head
of department and both teachers, each once, in that order, in confirmation of their
electronic signatures); Reply-To: the ``reply_to`` person.  A text and an HTML part in
the form's own sections and order, and two attachments: ``application.json`` and
``application.csv``.

The Message-ID is derived from the application (not random), so the same application
always yields the same Message-ID: a message re-sent after a crash between the server's
acceptance and our bookkeeping can be recognised as a duplicate by the receiving side.

:class:`Composer` runs inside the store's submission transaction, so it must not fail on
anything an applicant typed: every value that reaches a header is cleaned by
:mod:`bot.mail.headers`, and an address that is not a plain address is left out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from bot.exceptions import ConfigError
from bot.export import application_record, applications_csv
from bot.flows.model import Flow, Submission
from bot.flows.validators import academic_year
from bot.knowledge.base import Knowledge
from bot.mail.body import form_sections, render_html, render_text
from bot.mail.headers import address, domain_of, header_text
from bot.store.base import OutgoingMail, SubmittedApplication

logger = logging.getLogger(__name__)

NAME_CHARS = 80
# Applicant text in the subject (the form's template names which) is cut to this much.
SUBJECT_SCHOOL_CHARS = 60


def _mailbox(name: str, addr: str) -> Address:
    return Address(display_name=header_text(name, NAME_CHARS), addr_spec=addr)


def parse_mail_from(mail_from: str) -> tuple[str, str]:
    """(display name, address) of ``MAIL_FROM``; raises ConfigError when it is unusable."""
    name, raw = parseaddr(header_text(mail_from, 300))
    addr = address(raw)
    if addr is None:
        raise ConfigError(
            f"MAIL_FROM must be an address like 'Assistant <assistant@example.org>', not {mail_from!r}"
        )
    return header_text(name, NAME_CHARS), addr


def message_id(app: SubmittedApplication, domain: str) -> str:
    """A Message-ID that is the same every time this application is composed."""
    seed = f"{app.reference}|{app.submitted_at.isoformat()}|{app.user_id}|{app.hub_id}"
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:20]
    local = "".join(c for c in app.reference if c.isascii() and (c.isalnum() or c in "-_"))
    return f"<{local or 'application'}.{digest}@{domain}>"


class Composer:
    """``Composer(knowledge, mail_from=..., hold_placeholders=...)(application)``.

    ``hold_placeholders``: when True (real SMTP is configured), a hub that still has its
    shipped placeholder address gets a *held* message, kept in the outbox until the
    operator's contacts file gives the hub a real address.
    """

    def __init__(self, knowledge: Knowledge, *, mail_from: str, hold_placeholders: bool) -> None:
        self.knowledge = knowledge
        self.from_name, self.from_address = parse_mail_from(mail_from)
        self.domain = domain_of(self.from_address)
        self.hold_placeholders = hold_placeholders

    def _form(self, app: SubmittedApplication) -> tuple[Flow, Submission]:
        flow = self.knowledge.flows.get(app.form)
        if flow is None or flow.submission is None:
            # The store only holds applications submitted with a form; a form removed
            # from flows/ since is an operator's error, reported rather than guessed at.
            raise ConfigError(f"{app.reference}: no form {app.form!r} with a submission in flows/")
        return flow, flow.submission

    def __call__(self, app: SubmittedApplication) -> OutgoingMail:
        flow, submission = self._form(app)
        hub = self.knowledge.hubs.get(app.hub_id)
        hub_name = header_text(hub.name if hub else app.hub_id, NAME_CHARS) or "Maths Hub"
        hub_address = address(hub.email) if hub else None
        held: str | None = None
        if hub is None:
            held = f"unknown Maths Hub id {header_text(app.hub_id, 60)!r}"
        elif hub_address is None:
            held = f"{hub.id}: the hub's address is not usable; set it in HUB_CONTACTS_FILE"
        elif self.hold_placeholders and hub.has_placeholder_email:
            held = (
                f"{hub.id}: the hub still has the placeholder address {hub_address}; "
                "set its real address in HUB_CONTACTS_FILE"
            )

        msg = EmailMessage(policy=SMTP)
        msg["Subject"] = self.subject(app)
        msg["From"] = _mailbox(self.from_name, self.from_address)
        recipients: list[str] = []
        if hub_address is not None:
            msg["To"] = _mailbox(hub_name, hub_address)
            recipients.append(hub_address)
        copied = self._copied(app, submission, {a.lower() for a in recipients})
        if copied:
            msg["Cc"] = [_mailbox(name, addr) for name, addr in copied]
            recipients += [addr for _, addr in copied]
        reply_to = submission.reply_to
        if (
            reply_to is not None
            and (replies := address(app.answers.get(reply_to.email, ""))) is not None
        ):
            msg["Reply-To"] = _mailbox(app.answers.get(reply_to.name, ""), replies)
        msg["Date"] = format_datetime(app.submitted_at)
        msg["Message-ID"] = message_id(app, self.domain)
        msg["X-Application-Reference"] = header_text(app.reference, 40)
        msg["X-Application-Form"] = header_text(flow.id, 40)
        msg["X-Maths-Hub"] = header_text(app.hub_id, 60)

        # The year the applicant confirmed the commitments for, as the form showed it.
        year = app.answers.get("academic_year") or academic_year(app.submitted_at.date())
        document = form_sections(flow, app, hub_name=hub_name, academic_year=year)
        msg.set_content(render_text(document), cte="quoted-printable")
        msg.add_alternative(render_html(document), subtype="html", cte="quoted-printable")
        record = application_record(app, flow)
        msg.add_attachment(
            json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"),
            maintype="application",
            subtype="json",
            filename="application.json",
        )
        msg.add_attachment(
            applications_csv([app], flow).encode("utf-8"),
            maintype="text",
            subtype="csv",
            filename="application.csv",
            params={"charset": "utf-8"},
        )
        if held:
            logger.info("held the email for %s: %s", app.reference, held)
        return OutgoingMail(
            message_id=str(msg["Message-ID"]),
            sender=self.from_address,
            recipients=tuple(recipients),
            data=msg.as_bytes(policy=SMTP),
            held_reason=held or (None if recipients else "no usable recipient address"),
        )

    def subject(self, app: SubmittedApplication) -> str:
        """The form's subject template, every value cleaned for a header."""
        _flow, submission = self._form(app)
        values = {
            name: header_text(value, SUBJECT_SCHOOL_CHARS) for name, value in app.answers.items()
        }
        values["reference"] = header_text(app.reference, 40)
        hub = self.knowledge.hubs.get(app.hub_id)
        values["hub_name"] = header_text(hub.name if hub else app.hub_id, NAME_CHARS)
        values["academic_year"] = app.answers.get("academic_year") or academic_year(
            app.submitted_at.date()
        )
        if not values.get(submission.title):
            values[submission.title] = "a school"

        def fill(match: re.Match[str]) -> str:
            return values.get(match.group(1), "")

        return header_text(re.sub(r"\{([a-z_]+)\}", fill, submission.subject), 250)

    def _copied(
        self, app: SubmittedApplication, submission: Submission, seen: set[str]
    ) -> list[tuple[str, str]]:
        copied: list[tuple[str, str]] = []
        for person in submission.cc:
            addr = address(app.answers.get(person.email, ""))
            if addr is None:
                if app.answers.get(person.email):
                    logger.warning(
                        "left an unusable %s out of %s's Cc", person.email, app.reference
                    )
                continue
            if addr.lower() in seen:
                continue
            seen.add(addr.lower())
            copied.append((app.answers.get(person.name, ""), addr))
        return copied
