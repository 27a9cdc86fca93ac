"""Caps on submissions, so the application form cannot be used as a mail relay.

Every submission emails the hub and copies four addresses the applicant typed, from the
assistant's trusted sender.  Without limits anyone could submit again and again with
strangers' addresses.  The design chosen keeps a genuine school's path unchanged (one
submission, perhaps a corrected second one, no confirmation step) and bounds what an
attacker can do:

- per person (chat, console user or web session): at most ``per_user`` submissions and at
  most ``copied_per_user`` distinct copied addresses in a rolling 24 hours;
- per school (its URN): at most ``per_school`` submissions in 24 hours, whoever sends them;
- everyone together: at most ``per_hour`` submissions in a rolling hour, so neither the
  hubs nor the sender's reputation can be flooded by many fake identities.

The store calls :meth:`SubmissionLimits.check` inside the transaction that would store the
application, with the applications of the last 24 hours, so two processes cannot both
slip under a cap.  A refusal stores nothing and leaves the draft as it was; the reply says
which cap was reached and when to try again or whom to contact instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.exceptions import SubmissionRefused
from bot.store.base import SubmittedApplication

WINDOW = dt.timedelta(hours=24)
URN_FIELD = "school_urn"


def copied_addresses(answers: Mapping[str, str]) -> set[str]:
    """Every address an applicant typed (any field ending in ``_email``), case-folded."""
    return {
        value.strip().lower()
        for name, value in answers.items()
        if name.endswith("_email") and value.strip()
    }


@dataclass(frozen=True)
class SubmissionLimits:
    per_user: int = 3
    copied_per_user: int = 8
    per_school: int = 3
    per_hour: int = 20

    def check(
        self,
        user_id: str,
        answers: Mapping[str, str],
        recent: Sequence[SubmittedApplication],
        now: dt.datetime,
    ) -> None:
        """Raise :class:`SubmissionRefused` when this submission would exceed a cap.

        ``recent``: every application submitted in the 24 hours before ``now``.
        """
        recent = [a for a in recent if now - a.submitted_at < WINDOW]
        mine = [a for a in recent if a.user_id == user_id]
        if len(mine) >= self.per_user:
            raise SubmissionRefused(
                f"You have already submitted {len(mine)} applications in the last 24 hours "
                f"({', '.join(a.reference for a in mine)}). To stop this form being used to "
                "email people who did not ask for it, I can't send another today. If one "
                "needs correcting, email your Maths Hub quoting its reference."
            )
        copied = copied_addresses(answers)
        for app in mine:
            copied |= copied_addresses(app.answers)
        if len(copied) > self.copied_per_user:
            raise SubmissionRefused(
                f"Together with your earlier applications today, this one would email "
                f"{len(copied)} different people. To stop this form being used to email people "
                f"who did not ask for it, I copy at most {self.copied_per_user} different "
                "addresses a day for one person. If the details need correcting, email your "
                "Maths Hub quoting your reference."
            )
        urn = answers.get(URN_FIELD, "").strip()
        if urn:
            school = [a for a in recent if a.answers.get(URN_FIELD, "").strip() == urn]
            if len(school) >= self.per_school:
                raise SubmissionRefused(
                    f"{len(school)} applications for the school with URN {urn} have already "
                    "been submitted in the last 24 hours. I can't send another today; if one "
                    "needs correcting, please email your Maths Hub quoting its reference."
                )
        last_hour = [a for a in recent if now - a.submitted_at < dt.timedelta(hours=1)]
        if len(last_hour) >= self.per_hour:
            raise SubmissionRefused(
                "An unusual number of applications has been submitted in the last hour, so "
                "I'm pausing submissions for a while to protect the hubs' inboxes. Your "
                "answers are saved: please try again in an hour."
            )
