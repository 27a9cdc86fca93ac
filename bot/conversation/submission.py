"""A submitted application, from the form's declared roles to what the applicant is told.

The form's YAML declares which answer names the hub and which the application's title
(``submission.hub``, ``submission.title``), its reference prefix and its confirmation;
nothing here names a form's field.  Split from the assistant so that assembling the
submission, confirming it and describing its delivery are one small module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.conversation import texts
from bot.flows.model import Flow
from bot.flows.validators import academic_year
from bot.knowledge.base import Knowledge
from bot.limits import SubmissionLimits
from bot.session import FlowState
from bot.store.base import OutgoingMail, Submission, SubmittedApplication

Compose = Callable[[SubmittedApplication], OutgoingMail | None]


def assemble(
    flow: Flow,
    state: FlowState,
    today: dt.date,
    compose: Compose | None,
    limits: SubmissionLimits | None,
) -> Submission:
    """The submission of a finished form: its answers in form order (consent left out),
    the academic year, the hub its ``hub`` role names, and its reference prefix."""
    assert flow.submission is not None
    answers = {name: state.answers.get(name, "") for name in flow.answer_fields()}
    answers["academic_year"] = academic_year(today)
    return Submission(
        hub_id=state.answers.get(flow.submission.hub, ""),
        answers=answers,
        compose=compose or (lambda _app: None),
        admit=limits.check if limits is not None else None,
        form=flow.id,
        reference_prefix=flow.submission.reference_prefix,
    )


def held(app: SubmittedApplication, mail_delivers: bool) -> bool:
    """Whether the application's email cannot reach the hub without the operator: no
    mail server (it becomes a file), or a hub without a real address."""
    return app.delivery == "held" or (app.delivery == "pending" and not mail_delivers)


def confirmation(knowledge: Knowledge, app: SubmittedApplication, mail_delivers: bool) -> str:
    """The form's confirmation (or, when the email waits for the operator, its held
    confirmation), with the reference, hub and academic year filled in."""
    hub = knowledge.hubs.get(app.hub_id)
    hub_name = hub.name if hub else "your Maths Hub"
    flow = knowledge.flows.get(app.form)
    if flow is None or flow.submission is None:
        return texts.SUBMITTED.format(reference=app.reference)
    template = flow.submission.confirmation
    if held(app, mail_delivers):
        template = flow.submission.held_confirmation or texts.HELD_CONFIRMATION
    return (
        template.replace("{reference}", app.reference)
        .replace("{hub_name}", hub_name)
        .replace("{academic_year}", app.answers.get("academic_year", ""))
    )


def status_line(knowledge: Knowledge, app: SubmittedApplication, mail_delivers: bool) -> str:
    """One submitted application as ``/status`` shows it."""
    hub = knowledge.hubs.get(app.hub_id)
    flow = knowledge.flows.get(app.form)
    title = app.answers.get(flow.submission.title, "") if flow and flow.submission else ""
    return texts.APPLICATION_STATUS.format(
        reference=app.reference,
        title=title,
        date=app.submitted_at,
        hub=hub.name if hub else app.hub_id,
        delivery=texts.DELIVERY_WORDS["held"] if held(app, mail_delivers) else delivery_words(app),
    )


def delivery_words(app: SubmittedApplication) -> str:
    """The applicant's view of the outbox: the hub's fate first, then who was not copied."""
    results = app.delivery_results
    if app.delivery == "failed" and any(r.outcome == "unconfirmed" for r in results[:1]):
        return texts.UNCONFIRMED_WORDS
    words = texts.DELIVERY_WORDS.get(app.delivery, texts.DELIVERY_WORDS[None])
    if app.delivery == "failed" and results[:1] and results[0].outcome == "refused":
        words += texts.HUB_REFUSED.format(reply=results[0].reply[:80])
    not_copied = [r.address for r in results[1:] if r.outcome in ("refused", "deferred")]
    if app.delivery == "sent" and not_copied:
        words += texts.NOT_COPIED.format(addresses=", ".join(not_copied))
    return words
